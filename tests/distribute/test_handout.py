"""Hand-out copies: one per group, identity, protection, drop-downs, no macros."""

from __future__ import annotations

import zipfile

from lxml import etree

from cchc_xl import schema
from cchc_xl.distribute.handout import EDITABLE, IDENTITY_SHEET, handout, task_hash
from cchc_xl.io.ooxml import Package

from distfix import fill_copy, group_tasks, master_values

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _sheet_xml(path, name):
    pkg = Package.open(path)
    return etree.fromstring(pkg.read_part(pkg.sheet_part(name))), pkg


def test_one_copy_per_group_with_only_its_tasks(tmp_path, master, copies):
    groups = {str(r["Tổ/nhóm chuyên môn"].value).strip() for r in master_values(master).values()}
    assert set(copies) == groups
    assert "Các tổ, nhóm chuyên môn" in copies
    for group, path in copies.items():
        assert path.suffix == ".xlsx" and path.name.isascii() and path.name.startswith("CCHC2024_")
        rows = master_values(path)
        assert sorted(rows) == sorted(group_tasks(master, group))
        assert {str(r["Tổ/nhóm chuyên môn"].value) for r in rows.values()} == {group}
        with zipfile.ZipFile(path) as zf:
            assert not any("vbaProject" in n for n in zf.namelist())
        pkg = Package.open(path)
        assert pkg.table(schema.TASKS.table).headers == list(schema.TASKS.headers) or \
            pkg.table(schema.TASKS.table).headers == list(Package.open(master).table(schema.TASKS.table).headers)


def test_identity_in_properties_and_very_hidden_sheet(copies, master):
    from cchc_xl.distribute.returned import identity_sheet as _identity_sheet
    from cchc_xl.io.file_book import FileBook

    group, path = next(iter(copies.items()))
    pkg = Package.open(path)
    book = FileBook.open(path)
    props = book.custom_properties()
    ident, baseline = _identity_sheet(book)
    assert props["CCHC_ToNhom"] == ident["CCHC_ToNhom"] == group
    assert props["CCHC_KeHoach"] == "30/KH-THPTKT" and props["CCHC_Nam"] == "2024"
    assert props["CCHC_MaBam"] == task_hash(group_tasks(master, group))
    assert props["CCHC_ThoiGianPhat"]
    assert {s.name: s.state for s in pkg.sheets()}[IDENTITY_SHEET] == "veryHidden"
    assert pkg.sheet_names()[0] == schema.SHEET_GUIDE
    assert len(baseline) == len(group_tasks(master, group)) * len(EDITABLE)


def test_protection_unlocked_columns_and_dropdowns(copies):
    path = copies["Tổ Toán - Tin"] if "Tổ Toán - Tin" in copies else next(iter(copies.values()))
    root, pkg = _sheet_xml(path, schema.TASKS.sheet)
    prot = root.find(NS + "sheetProtection")
    assert prot is not None and prot.get("sheet") == "1" and prot.get("password") is None
    styles = etree.fromstring(pkg.read_part("xl/styles.xml"))
    xfs = styles.find(NS + "cellXfs").findall(NS + "xf")

    def unlocked(s):
        p = xfs[int(s)].find(NS + "protection")
        return p is not None and p.get("locked") == "0"

    row2 = {c.get("r").rstrip("0123456789"): c.get("s", "0") for c in root.iter(NS + "c") if c.get("r").endswith("2")
            and c.get("r")[-2] not in "0123456789"}
    for h in schema.TASKS.headers:
        letter = chr(65 + schema.TASKS.col(h))
        assert unlocked(row2[letter]) == (h in EDITABLE), h
    dv = root.find(NS + "dataValidations")
    kinds = {d.get("type") for d in dv}
    assert {"list", "date"} <= kinds
    assert any("Hoàn thành" in (d.findtext(NS + "formula1") or "") for d in dv)


def test_text_starting_with_equals_stays_text_in_copy(tmp_path, master):
    tid = next(iter(master_values(master)))
    hostile = fill_copy(master, tmp_path / "m2.xlsm", {tid: {"Ghi chú": "=cmd|' /C calc'!A0"}})
    out = handout(hostile, tmp_path / "h")
    for p in out:
        vals = master_values(p)
        if tid in vals:
            cell = vals[tid]["Ghi chú"]
            assert cell.value == "=cmd|' /C calc'!A0" and cell.formula is None
            break
    else:
        raise AssertionError("task not handed out")
