from datetime import date, datetime

import pytest

from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.dossiers import Dossier, Procedure
from cchc_xl.core.indicators import IndicatorResult, IndicatorRow, compare, evaluate
from cchc_xl.core.periods import get_period
from cchc_xl.core.rates import DossierStats, dossier_stats
from cchc_xl.schema import INDICATOR_STATUS


@pytest.mark.parametrize(
    "actual,op,threshold,status",
    [
        (0.96, ">", 0.95, "Đạt"),
        (0.95, ">", 0.95, "Không đạt"),
        (0.95, "≥", 0.95, "Đạt"),
        (0.9499, "≥", 0.95, "Không đạt"),
        (0.95, ">=", 0.95, "Đạt"),
        (1.0, "=", 1.0, "Đạt"),
        (0.1 + 0.2, "=", 0.3, "Đạt"),  # tolerance
        (0.99, "=", 1.0, "Không đạt"),
        (0.05, "≤", 0.05, "Đạt"),
        (0.06, "<=", 0.05, "Không đạt"),
        (None, "≥", 0.95, "Chưa có dữ liệu"),
        (0.9, "<", 0.95, "Theo dõi"),  # unknown operator
        (0.9, "≥", None, "Theo dõi"),  # no threshold
        (0.9, "≥", "90%", "Đạt"),
    ],
)
def test_compare(actual, op, threshold, status):
    assert status in INDICATOR_STATUS
    assert compare(actual, op, threshold) == status


def row(code, op="≥", threshold=0.95, manual=None):
    return IndicatorRow(code, code, "", op, threshold, manual, "", 2)


PROCS = {
    "A": Procedure("A", "a", 5, False, "Trường", True),
    "B": Procedure("B", "b", 0, True, "Trường", True),
    "C": Procedure("C", "c", 5, False, "Sở", False),
    "D": Procedure("D", "d", 5, False, "Trường", True),
}


def stats():
    D = lambda id, appt, fin, rating=None, dig=True: Dossier(  # noqa: E731, N806 - D(...): a dossier row
        id, "A", datetime(2024, 3, 1, 8), "online", appt, fin, "returned", dig, rating, False)
    data = [
        D("1", date(2024, 3, 8), date(2024, 3, 7), "very_satisfied"),
        D("2", date(2024, 3, 8), date(2024, 3, 8), "satisfied", False),
        D("3", date(2024, 3, 8), date(2024, 3, 11), "dissatisfied"),
        D("4", date(2024, 3, 8), date(2024, 3, 6)),
    ]
    q1 = get_period("q1", 2024)
    return dossier_stats(data, PROCS, q1, q1.end, WorkCalendar())


def test_evaluate_all_codes():
    rows = [
        row("CT1", None, None, "Xếp thứ 5/40"),
        row("CT2", "=", 1.0),
        row("CT3a", ">", 0.95),
        row("CT3b", "≥", 0.90),
        row("CT4a", "=", 1.0),
        row("CT4b", "≥", 0.80),
        row("CT4c", "≥", 0.95),
        row("CT5a", "=", 1.0),
        row("CT5b", "≥", 0.80),
        row("CT9", "≥", 0.5, "0,6"),
        row("CT10", "≥", 0.5, "ghi chú"),
    ]
    res = {r.code: r for r in evaluate(rows, stats(), 1.0, PROCS, "QĐ 766")}
    assert list(res) == [r.code for r in rows]
    assert res["CT1"] == IndicatorResult("CT1", "Xếp thứ 5/40", None, None, "Theo dõi")
    assert (res["CT2"].actual, res["CT2"].status) == (1.0, "Đạt")
    assert res["CT3a"].actual == pytest.approx(0.75) and res["CT3a"].status == "Không đạt"
    assert res["CT3b"].actual == pytest.approx(0.75)  # QĐ 766: (4 − 1) / 4
    assert res["CT4a"].actual == pytest.approx(0.75) and res["CT4a"].status == "Không đạt"
    assert res["CT4b"].actual == pytest.approx(0.5) and res["CT4b"].status == "Không đạt"
    assert res["CT4c"].actual == pytest.approx(0.75)
    assert res["CT5a"].actual == pytest.approx(0.75) and res["CT5a"].status == "Không đạt"
    assert res["CT5b"].actual == pytest.approx(0.75) and res["CT5b"].status == "Không đạt"
    assert (res["CT9"].actual, res["CT9"].status) == (pytest.approx(0.6), "Đạt")
    assert (res["CT10"].actual, res["CT10"].status) == ("ghi chú", "Theo dõi")
    survey = {r.code: r for r in evaluate(rows, stats(), 1.0, PROCS, "Khảo sát")}
    assert survey["CT3b"].actual == pytest.approx(2 / 3) and survey["CT3b"].status == "Không đạt"


def test_evaluate_without_data():
    rows = [row("CT2"), row("CT3a"), row("CT4a", ">="), row("CT5a"), row("CT5b")]
    res = evaluate(rows, DossierStats(), None, {}, "QĐ 766")
    assert [r.status for r in res] == ["Chưa có dữ liệu"] * 5
    assert res[2].op == "≥"
    assert evaluate([row("CT4b")], None, None, None)[0].status == "Chưa có dữ liệu"


def test_ct5a_all_published_equals_one():
    procs = [p for p in PROCS.values() if p.published]
    assert evaluate([row("CT5a", "=", 1.0)], None, None, procs)[0].status == "Đạt"
