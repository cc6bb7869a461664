"""The ribbon's 'Soạn lại nội dung' button (entry.redraft_selected) through xlwings' remote engine, and the report
written through the xlwings adapter: texts that look like formulas stay texts, page breaks and formats are
cosmetic (skipped where the engine lacks them)."""

from __future__ import annotations

import shutil

import pytest

from cchc_xl import schema
from cchc_xl.core.narrative import fingerprint
from cchc_xl.excel import entry
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package, parse_ref

from remote import alerts, build_payload, run_remote, sheet_values

SPEC = schema.NARRATIVE
H1 = "6 tháng đầu năm 2024"


@pytest.fixture
def book(excel_workbook, tmp_path, log_dir):
    target = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(excel_workbook, target)
    return target


def _rows(path):
    td = FileBook.open(path).read_table(SPEC.sheet, SPEC.table)
    return {(r[0].value, r[1].value): td.first_row + i for i, r in enumerate(td.rows)}


def _set(path, row, header, text):
    pkg = Package.open(path)
    info = pkg.table(SPEC.table)
    _, c1, _, _ = parse_ref(info.ref)
    pkg.set_cells(info.sheet, {(row, c1 + SPEC.col(header)): text})
    pkg.save(path, backup=False)


def _text(payload, row, header):
    return sheet_values(payload, SPEC.sheet).get((row, 1 + SPEC.col(header)))


def test_redraft_button_redrafts_the_selected_sections_and_keeps_edited_text(book):
    rows = _rows(book)
    r_i, r_ii1, r_v = rows[(H1, "I")], rows[(H1, "II.1")], rows[(H1, "V")]
    mine = "- Văn bản do cô Lan viết cho mục I."
    _set(book, r_i, "Nội dung", mine)
    _set(book, r_v, "Nội dung", "Kiến nghị riêng của trường.")  # not selected: stays
    payload = build_payload(book, active_sheet=SPEC.sheet)
    payload["book"]["selection"] = f"B{r_i}:E{r_ii1}"
    result, actions, after = run_remote(payload, lambda b: entry.redraft_selected(b))
    assert result is not None and result.period.label == H1
    assert _text(after, r_i, "Bản trước") == mine
    new = _text(after, r_i, "Nội dung")
    assert new.startswith("Ngày 25/01/2024, nhà trường ban hành Kế hoạch cải cách hành chính năm 2024") and \
        _text(after, r_i, "Mã bản nháp") == fingerprint(new)
    assert _text(after, r_ii1, "Nội dung").startswith("- 1.a.")
    assert _text(after, r_v, "Nội dung") == "Kiến nghị riêng của trường."  # a person's text, not selected
    message = alerts(after)[-1]["prompt"]
    assert "đã soạn lại mục I, II.1" in message and "'Bản trước'" in message
    names = [s["name"] for s in after["sheets"]]
    report = sheet_values(after, schema.SHEET_REPORT)
    assert not any(isinstance(v, str) and "Văn bản do cô Lan" in v for v in report.values())  # replaced
    assert any(isinstance(v, str) and "Kiến nghị riêng của trường." in v for v in report.values())
    assert names.index(schema.SHEET_REPORT) in {a["sheet_position"] for a in actions if a["func"] == "setValues"}


def test_redraft_button_without_a_selection_on_the_sheet_only_explains(book):
    payload = build_payload(book, active_sheet=schema.SHEET_REPORT)
    result, actions, after = run_remote(payload, lambda b: entry.redraft_selected(b))
    assert result is None
    assert [a["func"] for a in actions] == ["alert"]
    assert "Hãy chọn (bôi đen) các dòng cần soạn lại trong trang 'Nội dung báo cáo'" in alerts(after)[0]["prompt"]


def test_redraft_button_refuses_a_row_of_an_unknown_period(book):
    row = _rows(book)[(H1, "I")]
    _set(book, row, "Kỳ báo cáo", "Quý IV/2024")
    payload = build_payload(book, active_sheet=SPEC.sheet)
    payload["book"]["selection"] = f"D{row}"
    result, actions, after = run_remote(payload, lambda b: entry.redraft_selected(b))
    assert result is None and not [a for a in actions if a["func"] == "setValues"]
    prompt = alerts(after)[0]["prompt"]
    assert f"dòng {row}" in prompt and "'Quý IV/2024'" in prompt and "Kỳ báo cáo" in prompt


def test_report_texts_starting_like_formulas_stay_texts_through_xlwings(book):
    row = _rows(book)[(H1, "V")]
    _set(book, row, "Nội dung", "=1+1\n- gạch đầu dòng\n+ dấu cộng")
    payload = build_payload(book)
    _result, actions, after = run_remote(payload, lambda b: entry.build_report_h1(b))
    sent = [v for a in actions if a["func"] == "setValues" for line in a["values"] for v in line if isinstance(v, str)]
    assert [v for v in sent if v.lstrip("'\u00a0").startswith(("=1+1", "- gạch", "+ dấu"))]
    assert not [v for v in sent if v and v[0] in "=+-@"]  # indented, or with Excel's text prefix: never a formula
    report = [v for v in sheet_values(after, schema.SHEET_REPORT).values() if isinstance(v, str)]
    assert any(v.endswith("=1+1") for v in report) and any(v.endswith("+ dấu cộng") for v in report)
