from datetime import date, datetime

import pytest

from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.dossiers import Dossier, Procedure
from cchc_xl.core.periods import get_period
from cchc_xl.core.rates import DossierStats, dossier_stats

CAL = WorkCalendar()
PROCS = {"P5": Procedure("P5", "Năm ngày", 5, False, "Trường", True)}
Q1 = get_period("q1", 2024)  # 15/12/2023 – 14/03/2024


def D(id, received, channel="direct", appt=None, fin=None, status="processing", dig=None, rating=None,  # noqa: N802
      complaint=False, code="P5"):
    return Dossier(id, code, received, channel, appt, fin, status, dig, rating, complaint)


DATA = [
    D("A", datetime(2024, 1, 2, 8), "direct", date(2024, 1, 9), date(2024, 1, 8), "returned", True, "very_satisfied"),
    D("B", datetime(2024, 1, 3, 8), "online", date(2024, 1, 10), date(2024, 1, 10), "returned", False, "satisfied"),
    D("C", datetime(2024, 1, 4, 8), "online", date(2024, 1, 11), date(2024, 1, 15), "returned", True, "dissatisfied"),
    D("D", datetime(2023, 12, 10, 8), "direct", date(2023, 12, 20), date(2024, 1, 5), "returned", True, None, True),
    D("E", datetime(2023, 12, 1, 8), "direct", date(2023, 12, 8), date(2023, 12, 8), "returned"),  # finished before
    D("F", datetime(2023, 12, 5, 8), "online", status="withdrawn"),  # withdrawn, received before start
    D("G", datetime(2024, 2, 1, 8), "post", status="withdrawn", rating="dissatisfied"),
    D("H", datetime(2024, 3, 1, 8), "direct", date(2024, 3, 20)),
    D("I", datetime(2024, 2, 20, 8), "online", date(2024, 3, 1), status="waiting"),
    D("J", datetime(2024, 3, 1, 8), "direct", date(2024, 3, 8), date(2024, 3, 5), "refused"),
    D("K", datetime(2024, 3, 15, 8), "direct"),  # after the window
    D("L", datetime(2024, 3, 10, 8), "direct", None, date(2024, 3, 20), "returned"),  # Sunday, P5
    D("M", datetime(2023, 12, 14, 8), "direct"),  # carried over, P5, pending
]


@pytest.fixture(scope="module")
def stats():
    return dossier_stats(DATA, PROCS, Q1, Q1.end, CAL)


def test_membership_and_counts(stats):
    assert stats.counts() == {
        "carried_over": 2, "received_new": 8, "online_new": 3, "direct_new": 4, "post_new": 1,
        "resolved": 5, "early": 2, "on_time": 1, "late": 2, "pending_not_due": 2, "pending_overdue": 1,
        "withdrawn": 1, "refused_untimed": 0, "waiting": 1, "digitised": 3, "rated": 3, "satisfied": 2,
        "dissatisfied_or_complaint": 2, "considered": 9,
        "cohort_early": 2, "cohort_on_time": 1, "cohort_late": 1, "cohort_pending": 2,
    }
    assert stats.total == 10 and stats.pending == 3 and stats.cohort_resolved == 4
    # every dossier of the window has one class: the counts add up
    assert stats.total == stats.resolved + stats.pending + stats.waiting + stats.withdrawn + stats.refused_untimed


def test_per_dossier(stats):
    pd = stats.per_dossier
    assert set(pd) == {d.id for d in DATA}
    assert pd["E"] == (date(2023, 12, 8), "out_of_period")
    assert pd["F"] == (date(2023, 12, 12), "out_of_period")
    assert pd["K"][1] == "out_of_period"
    assert pd["G"][1] == "withdrawn"
    assert pd["D"] == (date(2023, 12, 20), "late")
    assert pd["L"] == (date(2024, 3, 18), "pending_not_due")  # Sunday receipt → Monday + 5
    assert pd["M"] == (date(2023, 12, 21), "pending_overdue")
    assert pd["I"][1] == "waiting"  # waiting for additions: never overdue while it waits


def test_rates(stats):
    # late incl. pending overdue (issue #15: never below the late rate): (L 2 + Po 1 (M)) / (R 5 + Po 1) = 3/6
    assert stats.rates() == pytest.approx({
        "early_or_on_time": 3 / 5, "early": 2 / 5, "late": 2 / 5, "late_incl_pending_overdue": 3 / 6,
        "online": 3 / 8, "digitised": 3 / 5, "satisfaction_survey": 2 / 3, "satisfaction_qd766": 7 / 9,
    })
    assert stats.early_or_on_time == pytest.approx(0.6)
    assert stats.cohort_early_or_on_time == pytest.approx(3 / 4)
    assert stats.satisfaction == pytest.approx(7 / 9)


def test_satisfaction_setting():
    s = dossier_stats(DATA, PROCS, Q1, Q1.end, CAL, satisfaction="Khảo sát")
    assert s.satisfaction == pytest.approx(2 / 3)


def test_refused_untimed():
    s = dossier_stats(DATA, PROCS, Q1, Q1.end, CAL, refused_timed=False)
    assert (s.early, s.resolved, s.refused_untimed, s.considered) == (1, 4, 1, 9)
    assert s.per_dossier["J"][1] == "refused"
    assert s.rates()["early_or_on_time"] == pytest.approx(2 / 4)
    assert s.rates()["digitised"] == pytest.approx(3 / 4)
    assert s.cohort_early_or_on_time == pytest.approx(2 / 3)


def test_cut_before_window_end():
    s = dossier_stats(DATA, PROCS, Q1, date(2024, 1, 9), CAL)
    assert s.per_dossier["A"][1] == "early"
    assert s.per_dossier["B"][1] == "pending_not_due"  # result 10/01 after the cut, due 10/01
    assert s.per_dossier["C"][1] == "pending_not_due"  # due 11/01
    assert s.per_dossier["D"][1] == "late"  # result 05/01, due 20/12
    assert s.per_dossier["M"][1] == "pending_overdue"
    assert s.resolved == 2


def test_withdrawn_membership_edges():
    p = get_period("q3", 2024)  # 15/06 – 14/09
    data = [
        D("before", datetime(2024, 6, 14, 8), status="withdrawn", fin=date(2024, 7, 1)),
        D("first", datetime(2024, 6, 15, 8), status="withdrawn"),  # Saturday → receipt 17/06, in
        D("fin-before", datetime(2024, 6, 1, 8), appt=date(2024, 6, 10), fin=date(2024, 6, 14), status="returned"),
        D("fin-on-start", datetime(2024, 6, 1, 8), appt=date(2024, 6, 10), fin=date(2024, 6, 15), status="returned"),
        D("last", datetime(2024, 9, 14, 8), appt=date(2024, 9, 20)),  # Saturday → 16/09, out
    ]
    s = dossier_stats(data, PROCS, p, p.end, CAL)
    cls = {k: v[1] for k, v in s.per_dossier.items()}
    assert cls == {"before": "out_of_period", "first": "withdrawn", "fin-before": "out_of_period",
                   "fin-on-start": "late", "last": "out_of_period"}
    assert (s.carried_over, s.received_new, s.withdrawn, s.late) == (1, 1, 1, 1)


def test_rates_none_when_denominator_zero():
    empty = dossier_stats([], PROCS, Q1, Q1.end, CAL)
    assert all(v is None for v in empty.rates().values())
    assert empty.cohort_early_or_on_time is None and empty.satisfaction is None
    only_pending = dossier_stats([D("X", datetime(2024, 3, 1, 8), "online", date(2024, 3, 20))], PROCS, Q1,
                                 Q1.end, CAL)
    r = only_pending.rates()
    assert r["early_or_on_time"] is None and r["early"] is None and r["late"] is None
    assert r["digitised"] is None and r["satisfaction_survey"] is None
    # nothing resolved and nothing past its due date: no late rate of either kind (issue #15)
    assert r["online"] == 1.0 and r["late_incl_pending_overdue"] is None and r["satisfaction_qd766"] == 1.0
    carried_only = dossier_stats([D("Y", datetime(2023, 12, 1, 8), appt=date(2023, 12, 20))], PROCS, Q1,
                                 Q1.end, CAL)
    assert carried_only.rates()["online"] is None
    assert carried_only.rates()["late_incl_pending_overdue"] == 1.0  # (0 + 1) / (0 + 1)
    withdrawn_only = dossier_stats([D("Z", datetime(2024, 1, 2, 8), status="withdrawn")], PROCS, Q1, Q1.end, CAL)
    assert withdrawn_only.rates()["satisfaction_qd766"] is None
    assert withdrawn_only.rates()["late_incl_pending_overdue"] is None  # a withdrawn dossier is in neither term


def test_gia_lai_check_and_volume():
    from cchc_xl.core.vnformat import percent

    year = get_period("year", 2024)
    appt = date(2024, 6, 20)
    data = []
    for i, (n, fin) in enumerate([(13794, date(2024, 6, 19)), (134, appt), (651, date(2024, 6, 21))]):
        data += [D(f"{i}-{k}", datetime(2024, 6, 3, 9), appt=appt, fin=fin, status="returned") for k in range(n)]
    s = dossier_stats(data, PROCS, year, year.end, CAL)
    assert (s.early, s.on_time, s.late, s.resolved, s.received_new) == (13794, 134, 651, 14579, 14579)
    assert percent(s.rates()["early_or_on_time"]) == "95,53%"


def test_stats_is_plain_dataclass():
    assert DossierStats().rates()["early"] is None
