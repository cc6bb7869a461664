"""The plan's own words for the indicators, and sample data that says it is sample and is possible."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cchc_xl import schema
from cchc_xl.build.sources import load_all
from cchc_xl.core.vnformat import typographic
from cchc_xl.engine import refresh_file

from report_sheet import logical_rows, report_texts

SEED = "tests/data/seed/plan_30-KH-THPTKT_2024.txt"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def section_ii(root) -> str:
    text = (root / SEED).read_text(encoding="utf-8")
    return _norm(text[text.index("II. CHỈ TIÊU CHỦ YẾU"):text.index("III. NHIỆM VỤ, GIẢI PHÁP")])


def test_indicator_texts_are_the_plans_words(section_ii):
    rows = load_all()[schema.INDICATORS.table].dicts()
    assert len(rows) == 9
    for row in rows:
        name = _norm(row["Chỉ tiêu"]).rstrip(".")
        # the plan's sentence, whole (only the first letter may be capitalised)
        assert name in section_ii or (name[0].lower() + name[1:]) in section_ii, row["Mã"]
    by_code = {r["Mã"]: r for r in rows}
    assert "Phấn đấu" in by_code["CT4b"]["Chỉ tiêu"]
    assert "tích hợp, đồng bộ với Cổng Dịch vụ công của thành phố" in by_code["CT5a"]["Chỉ tiêu"]
    assert "còn hiệu lực" in by_code["CT5b"]["Chỉ tiêu"]
    assert "tiếp nhận trong kỳ" in by_code["CT3a"]["Cách tính"]  # what the engine computes (cohort)


def test_report_prints_the_indicator_texts_whole(workbook_copy, tmp_path):
    out = tmp_path / "o.xlsm"
    refresh_file(workbook_copy, as_of=dt.date(2024, 12, 14), period="year", out=out)
    codes = {r["Mã"] for r in load_all()[schema.INDICATORS.table].dicts()}
    printed = {row[1]: row[2] for row in logical_rows(out) if len(row) > 2 and row[1] in codes}  # [TT, Mã, Chỉ tiêu…]
    for row in load_all()[schema.INDICATORS.table].dicts():
        # the plan's sentence whole, then (issue #15) what the result measures in this report
        whole, _, measure = printed[row["Mã"]].partition("\nKết quả tính theo ")
        assert whole == row["Chỉ tiêu"] and bool(measure) == (row["Mã"] in ("CT2", "CT3a", "CT4a")), row["Mã"]


_DOC = re.compile(r"số (\d+)/([A-ZĐ]+)-THPTKT ngày (\d{2})/(\d{2})/(\d{4})")


def test_sample_document_numbers_are_possible():
    """One register of outgoing documents per year: a later document never has a lower number."""
    tables = load_all()
    texts = []
    for spec in (schema.TASKS, schema.OCCURRENCES):
        for row in tables[spec.table].dicts():
            texts += [str(row["Minh chứng"] or ""), str(row["Ghi chú"] or "")]
    docs = sorted({(dt.date(int(y), int(m), int(d)), int(n), kind)
                   for t in texts for n, kind, d, m, y in _DOC.findall(t)})
    assert len(docs) >= 8
    numbers = [n for _, n, _ in docs]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), docs
    assert (dt.date(2024, 1, 25), 30, "KH") in docs  # the plan itself (seed)


def test_sample_data_is_marked_in_the_workbook_and_the_report(workbook_copy, tmp_path):
    tables = load_all()
    settings = dict(zip(tables[schema.SETTINGS.table].column("Khóa"), tables[schema.SETTINGS.table].column("Giá trị")))
    assert "mẫu" in settings["du_lieu_mau"]
    for spec in (schema.TASKS, schema.OCCURRENCES):
        for row in tables[spec.table].dicts():
            evidence = str(row["Minh chứng"] or "")
            if evidence and "30/KH-THPTKT" not in evidence:  # the plan itself is real
                assert "(số mẫu)" in evidence, row["Mã"]
            if not row["Mã"].startswith("PL.") and row["Trạng thái"]:  # invented assignments and states
                assert "giả định" in str(row["Ghi chú"]), row["Mã"]
    out = tmp_path / "o.xlsm"
    refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14), out=out)
    assert "Lưu ý: " + typographic(settings["du_lieu_mau"]) in report_texts(out)  # “…” for '…' (issue #15)
