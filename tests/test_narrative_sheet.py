"""The report's text in sheet 'Nội dung báo cáo' (issue #7 §2), on real workbook files: drafts where staff have not
written, never over a text a person edited, re-drafts on request (command line), bad input."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pytest

from cchc_xl import schema
from cchc_xl.cli import main
from cchc_xl.core.narrative import fingerprint
from cchc_xl.engine import refresh_file
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package, parse_ref

from report_sheet import report_texts

SPEC = schema.NARRATIVE
H1 = "6 tháng đầu năm 2024"


def rows(path) -> dict[tuple[str, str], dict]:
    """{(period, code): {header: value, '_row': excel row}} of the narrative table."""
    td = FileBook.open(path).read_table(SPEC.sheet, SPEC.table)
    out = {}
    for i, cells in enumerate(td.rows):
        rec = {h: c.value for h, c in zip(td.headers, cells)}
        if rec["Kỳ báo cáo"]:
            out[(rec["Kỳ báo cáo"], rec["Mục"])] = {**rec, "_row": td.first_row + i}
    return out


def set_text(path, period: str, code: str, text, header: str = "Nội dung") -> None:
    pkg = Package.open(path)
    info = pkg.table(SPEC.table)
    r1, c1, _, _ = parse_ref(info.ref)
    row = rows(path)[(period, code)]["_row"]
    pkg.set_cells(info.sheet, {(row, c1 + SPEC.col(header)): text})
    pkg.save(path, backup=False)


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(a) for a in args])
    return code, out.getvalue()


def test_the_built_workbook_has_one_row_per_section_per_period(built_workbook):
    r = rows(built_workbook)
    labels = ["Quý I/2024", H1, "Quý III/2024", "Năm 2024"]
    assert list(r) == [(p, c) for p in labels for c in schema.NARRATIVE_SECTIONS]
    assert all(v["Tên mục"] == schema.NARRATIVE_SECTIONS[c] for (_, c), v in r.items())


def test_a_refresh_drafts_the_periods_blank_sections_only(workbook_copy, tmp_path):
    set_text(workbook_copy, "Quý I/2024", "V", None)
    out = tmp_path / "q1.xlsm"
    result = refresh_file(workbook_copy, as_of=dt.date(2024, 3, 14), period="q1", out=out)
    before, after = rows(workbook_copy), rows(out)
    for (period, code), row in after.items():
        if period != "Quý I/2024":
            assert row == before[(period, code)], (period, code)  # other periods untouched
            continue
        if code == "III.3":  # Q1: no group gave a cause for the task done late: nothing is said (issue #15)
            assert row["Nội dung"] is None and row["Nguồn"] == schema.NARRATIVE_SOURCE["blank"]
            continue
        assert row["Nội dung"] and row["Mã bản nháp"] == fingerprint(row["Nội dung"])
        assert row["Nguồn"] == schema.NARRATIVE_SOURCE["draft"]
        assert result.narrative[code].text == row["Nội dung"].replace("\r\n", "\n")
    # the opening's grounds (issue #15): the Sở's plan, then the school's plan
    assert after[("Quý I/2024", "Mở đầu")]["Nội dung"].startswith("Thực hiện Kế hoạch số 43/SGDĐT ngày 17/01/2024")
    assert "căn cứ Kế hoạch số 30/KH-THPTKT ngày 25/01/2024" in after[("Quý I/2024", "Mở đầu")]["Nội dung"]
    printed = "\n".join(report_texts(out))
    assert after[("Quý I/2024", "II.7")]["Nội dung"].splitlines()[0] in printed  # the report prints the text


def test_an_edited_section_survives_every_refresh_and_is_printed(workbook_copy, tmp_path):
    first = tmp_path / "a.xlsm"
    refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14), period="h1", out=first)
    draft = rows(first)[(H1, "V")]["Nội dung"]
    edited = draft + "\n- Đề nghị Sở tổ chức tập huấn phần mềm một cửa cho văn thư."
    set_text(first, H1, "V", edited)
    second = tmp_path / "b.xlsm"
    result = refresh_file(first, as_of=dt.date(2024, 6, 20), period="h1", out=second)  # later: new figures
    row = rows(second)[(H1, "V")]
    assert row["Nội dung"] == edited and result.narrative["V"].source == "person"
    assert row["Nguồn"] == schema.NARRATIVE_SOURCE["person"]
    printed = report_texts(second)
    assert "- Đề nghị Sở tổ chức tập huấn phần mềm một cửa cho văn thư." in printed
    third = tmp_path / "c.xlsm"
    refresh_file(second, as_of=dt.date(2024, 6, 14), period="h1", out=third)  # and again
    assert rows(third)[(H1, "V")]["Nội dung"] == edited


def test_unedited_drafts_follow_the_data(workbook_copy, tmp_path):
    a, b = tmp_path / "a.xlsm", tmp_path / "b.xlsm"
    refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14), period="h1", out=a)
    refresh_file(a, as_of=dt.date(2024, 5, 2), period="h1", out=b)  # an earlier cut-off: other figures
    old, new = rows(a)[(H1, "Mở đầu")], rows(b)[(H1, "Mở đầu")]
    assert "14/06/2024" in old["Nội dung"] and "02/05/2024" in new["Nội dung"]
    assert new["Mã bản nháp"] == fingerprint(new["Nội dung"])


def test_redraft_command_replaces_edited_text_and_keeps_it(workbook_copy, tmp_path):
    mine = "=Văn bản do cô Lan viết, bắt đầu bằng dấu bằng."
    set_text(workbook_copy, H1, "I", mine)
    out = tmp_path / "o.xlsm"
    code, text = run("redraft", workbook_copy, "--as-of", "2024-06-14", "--period", "h1", "--section", "I,IV",
                     "--out", out)
    assert code == 0
    assert "Đã soạn lại mục I (Công tác chỉ đạo, điều hành); văn bản đã sửa được giữ ở cột 'Bản trước'" in text
    assert "Đã soạn lại mục IV" in text
    r = rows(out)[(H1, "I")]
    assert r["Bản trước"] == mine and r["Nội dung"].startswith("Ngày 25/01/2024, nhà trường ban hành Kế hoạch cải "
                                                                "cách hành chính năm 2024")  # section I (issue #15)
    assert r["Mã bản nháp"] == fingerprint(r["Nội dung"])
    assert rows(out)[(H1, "II.1")] == rows(workbook_copy)[(H1, "II.1")]  # only the sections asked for


@pytest.mark.parametrize("argv,words", [
    (["--section", "VI"], "Không có mục 'VI'"),
    (["--period", "q9"], "q9"),
])
def test_redraft_refuses_unknown_sections_and_periods(workbook_copy, tmp_path, argv, words, capsys):
    original = workbook_copy.read_bytes()
    try:
        code = main(["redraft", str(workbook_copy), "--as-of", "2024-06-14", *argv])
    except SystemExit as exc:  # argparse refuses a choice before the command runs
        code = exc.code
    assert code == 2 and words in capsys.readouterr().err
    assert workbook_copy.read_bytes() == original


def test_a_renamed_header_is_reported_and_the_report_still_has_its_text(workbook_copy, tmp_path, capsys):
    pkg = Package.open(workbook_copy)
    info = pkg.table(SPEC.table)
    r1, c1, _, _ = parse_ref(info.ref)
    pkg.set_cells(info.sheet, {(r1, c1 + SPEC.col("Nội dung")): "Noi dung"})
    pkg.write_part(info.part, pkg.read_part(info.part).replace('name="Nội dung"'.encode(),  # as Excel does
                                                               b'name="Noi dung"'))
    pkg.save(workbook_copy, backup=False)
    out = tmp_path / "o.xlsm"
    result = refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14), period="h1", out=out)
    assert any(p.sheet == SPEC.sheet and p.column == "Nội dung" for p in result.problems)
    assert not result.unavailable  # the figures are complete; the report prints the drafts
    assert any(t.startswith("Thực hiện Kế hoạch số 43/SGDĐT") for t in report_texts(out))
    code = main(["redraft", str(workbook_copy), "--as-of", "2024-06-14"])
    assert code == 2 and f"trang '{SPEC.sheet}'" in capsys.readouterr().err


def test_a_workbook_without_the_sheet_prints_the_drafts(tmp_path):
    """A workbook made before the narrative sheet existed: no problem, the report prints the engine's drafts."""
    from cchc_xl.build.workbook import build_workbook

    src = build_workbook(tmp_path / "plain.xlsm")
    pkg = Package.open(src)
    part = pkg.sheet_part(SPEC.sheet)
    assert part
    # hide the table from the reader: rename it, as an older workbook would simply not have it
    table_part = next(n for n in pkg.part_names() if n.startswith("xl/tables/") and
                      b'name="tblNoiDung"' in (pkg.read_part(n) or b""))
    pkg.write_part(table_part, pkg.read_part(table_part).replace(b'"tblNoiDung"', b'"tblCu"'))
    pkg.save(src, backup=False)
    out = tmp_path / "o.xlsm"
    result = refresh_file(src, as_of=dt.date(2024, 6, 14), period="h1", out=out)
    assert not [p for p in result.problems if p.sheet == SPEC.sheet]
    assert all(t.source == "draft" and t.text for c, t in result.narrative.items())
    assert any(t.startswith("Thực hiện Kế hoạch số 43/SGDĐT") for t in report_texts(out))


def test_rows_missing_for_the_period_are_a_problem_named_by_sheet(workbook_copy, tmp_path):
    out = tmp_path / "o.xlsm"
    pkg = Package.open(workbook_copy)
    info = pkg.table(SPEC.table)
    _, c1, _, _ = parse_ref(info.ref)
    cells = {(v["_row"], c1 + SPEC.col("Kỳ báo cáo")): "Quý III/2023" for (p, _), v in rows(workbook_copy).items()
             if p == "Quý III/2024"}
    pkg.set_cells(info.sheet, cells)
    pkg.save(workbook_copy, backup=False)
    result = refresh_file(workbook_copy, as_of=dt.date(2024, 9, 14), period="q3", out=out)
    assert any(p.sheet == SPEC.sheet and "Quý III/2024" in p.message for p in result.problems)
    assert result.narrative["I"].text  # the report still has its text (the drafts)


def test_texts_that_look_like_formulas_or_numbers_stay_texts(workbook_copy, tmp_path):
    for code, text in (("I", "=SUM(A1:A3)"), ("V", "05/02/2024"), ("IV", "- gạch đầu dòng\n+ dấu cộng")):
        set_text(workbook_copy, H1, code, text)
    out = tmp_path / "o.xlsm"
    result = refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14), period="h1", out=out)
    r = rows(out)
    assert r[(H1, "I")]["Nội dung"] == "=SUM(A1:A3)" and r[(H1, "V")]["Nội dung"] == "05/02/2024"
    assert result.narrative["IV"].text == "- gạch đầu dòng\n+ dấu cộng"
    texts = report_texts(out)
    assert "=SUM(A1:A3)" in texts and "+ dấu cộng" in texts
