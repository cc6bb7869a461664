"""Bad input inside a real workbook file: a clear message naming sheet, row and column, the rest still
processed, and the workbook itself left intact (check writes nothing; refresh keeps the bad cells)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lxml import etree

from cchc_xl import schema
from cchc_xl.cli import main
from cchc_xl.engine import check_file, refresh_file
from cchc_xl.io.ooxml import Package, cell_ref, col_letter, parse_ref

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _dossier_cells(path):
    pkg = Package.open(path)
    info = pkg.table(schema.DOSSIERS.table)
    r1, c1, _, _ = parse_ref(info.ref)
    return pkg, info, r1, c1


def _patch_sheet(pkg: Package, sheet: str, edit) -> None:
    part = pkg.sheet_part(sheet)
    root = etree.fromstring(pkg.read_part(part))
    edit(root)
    pkg.write_part(part, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def test_merged_cells_error_values_and_formulas(workbook_copy, tmp_path, capsys):
    pkg, info, r1, c1 = _dossier_cells(workbook_copy)
    row = r1 + 1
    name_col = c1 + schema.DOSSIERS.col("Tên TTHC")
    finish_col = c1 + schema.DOSSIERS.col("Ngày có kết quả")
    code_col = c1 + schema.DOSSIERS.col("Mã TTHC")

    def edit(root):
        sheet_data = root.find(f"{{{NS}}}sheetData")
        row_el = [r for r in sheet_data if r.get("r") == str(row + 1)][0]
        for c in row_el:
            if c.get("r") == cell_ref(row + 1, finish_col):  # an error value as Excel stores it
                for child in list(c):
                    c.remove(child)
                c.set("t", "e")
                etree.SubElement(c, f"{{{NS}}}f").text = "NA()"
                etree.SubElement(c, f"{{{NS}}}v").text = "#N/A"
            if c.get("r") == cell_ref(row + 1, code_col):  # a formula whose result is the code
                value = c.find(f"{{{NS}}}is/{{{NS}}}t")
                text = value.text if value is not None else ""
                for child in list(c):
                    c.remove(child)
                c.set("t", "str")
                etree.SubElement(c, f"{{{NS}}}f").text = f'"{text}"'
                etree.SubElement(c, f"{{{NS}}}v").text = text
        merges = root.find(f"{{{NS}}}mergeCells")
        if merges is None:
            merges = etree.Element(f"{{{NS}}}mergeCells")
            root.find(f"{{{NS}}}sheetData").addnext(merges)
        etree.SubElement(merges, f"{{{NS}}}mergeCell",
                         ref=f"{col_letter(name_col)}{row}:{col_letter(name_col + 1)}{row}")
        merges.set("count", str(len(merges)))

    _patch_sheet(pkg, info.sheet, edit)
    bad = tmp_path / "bad.xlsm"
    pkg.save(bad, backup=False)
    before = bad.read_bytes()

    problems: dict[tuple, str] = {}
    for p in check_file(bad, as_of=dt.date(2024, 6, 14)):
        problems[(p.sheet, p.row, p.column)] = problems.get((p.sheet, p.row, p.column), "") + p.message + " | "
    assert "gộp" in problems[(schema.DOSSIERS.sheet, row, "Tên TTHC")]
    assert "#N/A" in problems[(schema.DOSSIERS.sheet, row + 1, "Ngày có kết quả")]
    assert "công thức" in problems[(schema.DOSSIERS.sheet, row + 1, "Mã TTHC")]
    assert bad.read_bytes() == before  # check writes nothing

    assert main(["check", str(bad), "--as-of", "2024-06-14"]) == 1
    out = capsys.readouterr().out
    assert f"Trang tính 'Hồ sơ TTHC', dòng {row}, cột 'Tên TTHC': ô bị gộp" in out

    result = refresh_file(bad, as_of=dt.date(2024, 6, 14), out=tmp_path / "o.xlsm")
    clean = refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14), out=tmp_path / "clean.xlsm")
    assert result.stats.total == clean.stats.total  # every dossier still counted
    # The user's bad cells are not overwritten by the refresh.
    out_pkg = Package.open(tmp_path / "o.xlsm")
    cell = out_pkg.read_sheet(info.sheet).cells[(row + 1, finish_col)]
    assert cell.error == "#N/A"


def test_renamed_header_in_the_file(workbook_copy, tmp_path):
    """Renaming a header cell in Excel renames the table's column too: both are changed here, as Excel does."""
    pkg, info, r1, c1 = _dossier_cells(workbook_copy)
    pkg.set_cells(info.sheet, {(r1, c1 + schema.DOSSIERS.col("Ngày tiếp nhận")): "Ngày nhận hồ sơ"})
    pkg.write_part(info.part, pkg.read_part(info.part).replace('name="Ngày tiếp nhận"'.encode(),
                                                               'name="Ngày nhận hồ sơ"'.encode()))
    bad = tmp_path / "renamed.xlsm"
    pkg.save(bad, backup=False)
    result = refresh_file(bad, as_of=dt.date(2024, 6, 14), out=tmp_path / "o.xlsm")
    p = [p for p in result.problems if p.column == "Ngày tiếp nhận"]
    assert p and p[0].sheet == schema.DOSSIERS.sheet and "tiêu đề" in p[0].message
    assert result.task_counts["total"] == 31  # tasks still computed
    assert result.stats is None  # never zeros: the dossier section is not computed
    assert "'Ngày tiếp nhận'" in result.unavailable["dossiers"]


def test_unknown_values_and_duplicates_in_the_file(workbook_copy, tmp_path):
    pkg = Package.open(workbook_copy)
    info = pkg.table(schema.TASKS.table)
    r1, c1, r2, _ = parse_ref(info.ref)
    first_id = pkg.read_sheet(info.sheet).cells[(r1 + 1, c1)].value
    pkg.set_cells(info.sheet, {(r1 + 2, c1): first_id,
                               (r1 + 3, c1 + schema.TASKS.col("Trạng thái")): "Xong rồi",
                               (r1 + 4, c1 + schema.TASKS.col("Ngày hoàn thành")): "tuần trước"})
    bad = tmp_path / "dup.xlsm"
    pkg.save(bad, backup=False)
    problems = check_file(bad, as_of=dt.date(2024, 6, 14))
    where = {(p.row, p.column) for p in problems}
    assert (r1 + 2, "Mã") in where
    assert (r1 + 3, "Trạng thái") in where
    assert (r1 + 4, "Ngày hoàn thành") in where
    assert all(p.sheet == schema.TASKS.sheet for p in problems)


def test_an_unreadable_table_is_never_reported_as_zeros(workbook_copy, tmp_path, capsys):
    """Issue #7: 'Ngày tiếp nhận' renamed 'Ngay nhan' → the report says the dossier figures could not be
    computed and why, refresh names it and exits 1, send refuses the report."""
    import openpyxl

    from cchc_xl.distribute.send import send_file
    from cchc_xl.errors import SendError

    pkg, info, r1, c1 = _dossier_cells(workbook_copy)
    pkg.set_cells(info.sheet, {(r1, c1 + schema.DOSSIERS.col("Ngày tiếp nhận")): "Ngay nhan"})
    pkg.write_part(info.part, pkg.read_part(info.part).replace('name="Ngày tiếp nhận"'.encode(),  # as Excel does
                                                               b'name="Ngay nhan"'))
    bad = tmp_path / "renamed.xlsm"
    pkg.save(bad, backup=False)
    out = tmp_path / "o.xlsm"
    code = main(["refresh", str(bad), "--as-of", "2024-12-14", "--period", "year", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1  # the data-problem exit code
    assert "KHÔNG TÍNH ĐƯỢC phần 'Hồ sơ TTHC'" in captured.out and "'Ngày tiếp nhận'" in captured.out
    assert "Hồ sơ TTHC: 0" not in captured.out and "'Ngày tiếp nhận'" in captured.err
    ws = openpyxl.load_workbook(out, read_only=True)[schema.SHEET_REPORT]
    text = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert any(t.startswith("Không tính được số liệu phần này") and "'Ngày tiếp nhận'" in t for t in text)
    assert "Tổng số hồ sơ tiếp nhận" not in text  # no table of zeros
    statuses = {row[0]: row[6] for row in openpyxl.load_workbook(out, read_only=True)[schema.INDICATORS.sheet]
                .iter_rows(min_row=2, values_only=True) if row[0]}
    assert statuses["CT4a"] == "Không tính được" and statuses["CT2"] != "Không tính được"

    assert main(["refresh", str(bad), "--as-of", "2024-12-14", "--out", str(out), "--json"]) == 1
    j = json.loads(capsys.readouterr().out)
    assert "'Ngày tiếp nhận'" in j["unavailable"]["dossiers"] and j["dossiers"]["resolved"] is None
    assert j["rates"]["early_or_on_time"] is None and j["dossier_flags"] == {}

    with pytest.raises(SendError, match="đã thay đổi sau khi lập báo cáo"):  # its report predates the rename
        send_file(bad, dry_run=True, outdir=tmp_path / "send", env={})
    with pytest.raises(SendError) as info:  # the report made after it says what it could not compute
        send_file(out, period="year", as_of=dt.date(2024, 12, 14), dry_run=True, outdir=tmp_path / "send", env={})
    assert "'Ngày tiếp nhận'" in str(info.value)
    assert not (tmp_path / "send").exists() or not list((tmp_path / "send").iterdir())


def test_old_workbook_without_the_new_columns_still_refreshes(workbook_copy, tmp_path):
    """Columns added by issue #7 ('Liên kết', 'Ngày nhận đủ hồ sơ') are optional: a workbook made before
    them is still read; only their feature is off."""
    from cchc_xl.io.file_book import FileBook
    from cchc_xl.io.tables import parse_tables

    book = FileBook.open(workbook_copy)
    tables = {spec.table: book.read_table(spec.sheet, spec.table) for spec in schema.TABLES}
    for spec, header in ((schema.TASKS, "Liên kết"), (schema.DOSSIERS, "Ngày nhận đủ hồ sơ")):
        td = tables[spec.table]
        j = td.headers.index(header)
        td.headers.pop(j)
        for row in td.rows:
            row.pop(j)
    data = parse_tables(tables)
    assert data.unreadable == {} and not [p for p in data.problems if p.column in ("Liên kết", "Ngày nhận đủ hồ sơ")]
    assert {t.id for t in data.tasks if t.link} == set()
