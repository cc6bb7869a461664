"""Tests for the surgical OOXML reader/writer (cchc_xl.io.ooxml)."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lxml import etree

from cchc_xl.errors import WorkbookChangedError, WorkbookError, WorkbookLockedError
from cchc_xl.io import ooxml
from cchc_xl.io.ooxml import Formula, Package, is_date_format, parse_ref

CORPUS = Path(os.environ.get("CCHC_FIDELITY_CORPUS")
              or Path(__file__).resolve().parent / "data" / "excel-corpus")
NS = {"m": ooxml.NS_MAIN}


# --------------------------------------------------------------------------- fixtures

def make_book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    dtm_fmt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws = wb.add_worksheet("Dữ liệu")
    headers = ["Mã", "Tên", "Ngày", "Lúc", "Số", "Cờ", "Công thức"]
    rows = [
        ["HS-1", "Nguyễn Văn Ánh", dt.date(2024, 2, 5), dt.datetime(2024, 2, 5, 15, 30), 3, True, None],
        ["HS-2", "Trần Thị Bích", dt.date(2024, 12, 31), dt.datetime(2024, 1, 2, 8, 0), 2.5, False, None],
        ["HS-3", "Lê Đức", None, None, -7, False, None],
    ]
    ws.add_table(0, 0, len(rows), len(headers) - 1, {
        "name": "tblThu", "columns": [{"header": h} for h in headers]})
    for i, r in enumerate(rows, start=1):
        ws.write_string(i, 0, r[0])
        ws.write_string(i, 1, r[1])
        if r[2]:
            ws.write_datetime(i, 2, r[2], date_fmt)
            ws.write_datetime(i, 3, r[3], dtm_fmt)
        ws.write_number(i, 4, r[4])
        ws.write_boolean(i, 5, r[5])
        ws.write_formula(i, 6, f"=E{i + 1}*2", None, r[4] * 2)
    ws.write_rich_string(6, 0, "Chữ ", bold, "đậm", " thường")
    ws.merge_range(7, 0, 7, 2, "Ô gộp", bold)
    ws.write_string(8, 0, "  khoảng trắng  ")
    ws.data_validation(1, 6, 3, 6, {"validate": "integer", "criteria": ">", "value": 0})
    ws.conditional_format(1, 4, 3, 4, {"type": "cell", "criteria": ">", "value": 2, "format": bold})
    rep = wb.add_worksheet("Báo cáo")
    rep.set_landscape()
    rep.set_paper(9)
    rep.fit_to_pages(1, 0)
    rep.set_header("&CBÁO CÁO")
    rep.write_row(0, 0, ["A", "B"])
    rep.write_column(1, 0, [1, 2, 3])
    rep.write_column(1, 1, [4, 5, 6])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "='Báo cáo'!$A$2:$A$4"})
    rep.insert_chart("D2", chart)
    hidden = wb.add_worksheet("Ẩn")
    hidden.hide()
    wb.define_name("'Báo cáo'!VungIn", "='Báo cáo'!$A$1:$B$4")
    wb.define_name("DanhSach", "='Dữ liệu'!$A$2:$A$4")
    wb.close()
    return path


@pytest.fixture()
def book(tmp_path) -> Path:
    return make_book(tmp_path / "so.xlsx")


def parts_of(data_or_path) -> dict[str, bytes]:
    src = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    with zipfile.ZipFile(src) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def openpyxl_values(path, sheet):
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        return {(c.row, c.column): c.value for row in wb[sheet].iter_rows() for c in row
                if getattr(c, "value", None) is not None}
    finally:
        wb.close()


# --------------------------------------------------------------------------- reading

def test_round_trip_without_change_is_byte_identical(book, tmp_path):
    pkg = Package.open(book)
    pkg.read_sheet("Dữ liệu")
    pkg.tables()
    out = pkg.save(tmp_path / "out.xlsx", backup=False)
    assert parts_of(out) == parts_of(book)
    with zipfile.ZipFile(book) as a, zipfile.ZipFile(out) as b:
        assert [(i.filename, i.compress_type, i.date_time) for i in a.infolist()] == \
               [(i.filename, i.compress_type, i.date_time) for i in b.infolist()]


def test_corpus_round_trip_byte_identical():
    files = sorted(CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else []
    assert files, f"no corpus at {CORPUS}"
    for f in files:
        assert parts_of(Package.open(f).to_bytes()) == parts_of(f), f.name


def test_navigation(book):
    pkg = Package.open(book)
    assert pkg.sheet_names() == ["Dữ liệu", "Báo cáo", "Ẩn"]
    assert pkg.sheet_state("Ẩn") == "hidden" and pkg.sheet_state("Dữ liệu") == "visible"
    assert pkg.sheet_part("dữ liệu") == pkg.sheet_part("Dữ liệu") == "xl/worksheets/sheet1.xml"
    (t,) = pkg.tables()
    assert (t.name, t.sheet, t.ref, t.part) == ("tblThu", "Dữ liệu", "A1:G4", "xl/tables/table1.xml")
    assert t.headers == ["Mã", "Tên", "Ngày", "Lúc", "Số", "Cờ", "Công thức"]
    names = {d.name: d for d in pkg.defined_names()}
    assert names["VungIn"].sheet == "Báo cáo" and names["DanhSach"].sheet is None
    with pytest.raises(WorkbookError, match="Không tìm thấy trang tính 'Không có'"):
        pkg.read_sheet("Không có")


def test_read_values(book):
    pkg = Package.open(book)
    sd = pkg.read_sheet("Dữ liệu")
    v = {k: c.value for k, c in sd.cells.items()}
    assert v[(1, 1)] == "Mã" and v[(2, 2)] == "Nguyễn Văn Ánh"
    assert v[(2, 3)] == dt.datetime(2024, 2, 5) and v[(2, 4)] == dt.datetime(2024, 2, 5, 15, 30)
    assert v[(3, 4)] == dt.datetime(2024, 1, 2, 8, 0)
    assert v[(2, 5)] == 3 and isinstance(v[(2, 5)], int) and v[(3, 5)] == 2.5
    assert v[(2, 6)] is True and v[(3, 6)] is False
    assert sd.cells[(2, 7)].formula == "=E2*2" and v[(2, 7)] == 6
    assert v[(7, 1)] == "Chữ đậm thường"
    assert v[(9, 1)] == "  khoảng trắng  "
    assert (8, 1, 8, 3) in sd.merged and sd.cells[(8, 1)].merged
    grid = pkg.read_range("Dữ liệu", 8, 1, 8, 4)
    assert [c.merged for c in grid[0]] == [True, True, True, False]
    assert sd.max_row == 9 and sd.max_col == 7


def test_read_errors_inline_str_and_shared_formulas(book, tmp_path):
    pkg = Package.open(book)
    part = pkg.sheet_part("Báo cáo")
    xml = pkg.read_part(part).decode()
    cells = ('<row r="10"><c r="A10" t="e"><f>NA()</f><v>#N/A</v></c><c r="B10" t="str"><f>"x"&amp;"y"</f>'
             '<v>xy</v></c><c r="C10" t="inlineStr"><is><r><t>a_x000D_</t></r><r><t>b</t></r></is></c>'
             '<c r="D10"><f t="shared" ref="D10:D12" si="0">A2+1</f><v>2</v></c></row>'
             '<row r="11"><c r="D11"><f t="shared" si="0"/><v>3</v></c></row>')
    xml = xml.replace("</sheetData>", cells + "</sheetData>")
    pkg.write_part(part, xml.encode())
    sd = pkg.read_sheet("Báo cáo")
    assert sd.cells[(10, 1)].error == "#N/A" and sd.cells[(10, 1)].value is None
    assert sd.cells[(10, 2)].value == "xy" and sd.cells[(10, 2)].formula == '="x"&"y"'
    assert sd.cells[(10, 3)].value == "a\rb"
    assert sd.cells[(11, 4)].formula == "=A3+1"
    # overwriting the master of a shared formula gives each dependent its own formula
    pkg.set_cells("Báo cáo", {(10, 4): "thay"})
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    sd = Package.open(out).read_sheet("Báo cáo")
    assert sd.cells[(10, 4)].formula is None and sd.cells[(11, 4)].formula == "=A3+1"
    wb = openpyxl.load_workbook(out)
    assert wb["Báo cáo"]["D11"].value == "=A3+1"


@pytest.mark.parametrize("code,expected", [
    ("dd/mm/yyyy", True), ("dd/mm/yyyy hh:mm", True), ("[h]:mm", True), ("mmm-yy", True),
    ("#,##0", False), ("0.00%", False), ('0 "ngày"', False), ("[Red]0.00", False), ("@", False),
    ("General", False), ("[$-42A]dd/mm/yyyy", True), ('#,##0 "đ"', False), ("0.0E+00", False),
])
def test_is_date_format(code, expected):
    assert is_date_format(code) is expected


def test_date1904(book, tmp_path):
    pkg = Package.open(book)
    wbxml = pkg.read_part("xl/workbook.xml").replace(b"<workbookPr", b'<workbookPr date1904="1"')
    pkg.write_part("xl/workbook.xml", wbxml)
    assert pkg.date1904
    assert pkg.read_sheet("Dữ liệu").cells[(2, 3)].value == dt.datetime(2024, 2, 5) + dt.timedelta(days=1462)
    pkg.set_cells("Báo cáo", {(20, 1): dt.date(2024, 6, 14)})
    assert pkg.read_sheet("Báo cáo").cells[(20, 1)].value == dt.datetime(2024, 6, 14)


# --------------------------------------------------------------------------- writing cells

VALUES = {
    (2, 9): "Văn bản có dấu: Kiến Thụy",
    (3, 9): "=1+1",
    (4, 9): 42,
    (5, 9): 3.25,
    (6, 9): True,
    (7, 9): dt.date(2024, 6, 14),
    (8, 9): dt.datetime(2024, 6, 14, 15, 45),
    (9, 9): "  đầu và cuối  ",
    (30, 2): "dòng mới",
    (1, 30): "cột AD",
}


def test_set_cells_types_read_back_by_us_and_openpyxl(book, tmp_path):
    pkg = Package.open(book)
    pkg.set_cells("Dữ liệu", VALUES)
    pkg.set_cells("Dữ liệu", {(2, 2): None, (2, 7): 99})   # clear a value; overwrite a formula
    out = pkg.save(tmp_path / "out.xlsx", backup=False)
    sd = Package.open(out).read_sheet("Dữ liệu")
    for k, v in VALUES.items():
        expect = dt.datetime(v.year, v.month, v.day) if type(v) is dt.date else v
        assert sd.cells[k].value == expect and sd.cells[k].formula is None, k
        assert type(sd.cells[k].value) is type(expect)
    assert sd.cells[(2, 2)].value is None and sd.cells[(2, 2)].style == Package.open(book).read_sheet(
        "Dữ liệu").cells[(2, 2)].style
    assert sd.cells[(2, 7)].value == 99 and sd.cells[(2, 7)].formula is None
    ref = openpyxl_values(out, "Dữ liệu")
    for k, v in VALUES.items():
        expect = dt.datetime(v.year, v.month, v.day) if type(v) is dt.date else v
        assert ref[k] == expect, k
    assert ref.get((2, 2)) is None and ref[(2, 7)] == 99
    full = openpyxl.load_workbook(out)
    assert full["Dữ liệu"]["I3"].data_type == "s" and full["Dữ liệu"]["I3"].value == "=1+1"
    assert full["Dữ liệu"]["I7"].number_format == "dd/mm/yyyy"
    assert full["Dữ liệu"]["I8"].number_format == "dd/mm/yyyy hh:mm"
    assert full["Dữ liệu"].max_column == 30


def test_set_cells_xml_order_dimension_and_existing_date_style(book):
    pkg = Package.open(book)
    date_style = pkg.read_sheet("Dữ liệu").cells[(2, 3)].style
    pkg.set_cells("Dữ liệu", {(2, 3): dt.date(2025, 1, 1), (5, 1): "x", (1, 8): "h", (2, 1): "y", (40, 40): 1})
    sd = pkg.read_sheet("Dữ liệu")
    assert sd.cells[(2, 3)].style == date_style and sd.cells[(2, 3)].value == dt.datetime(2025, 1, 1)
    root = etree.fromstring(pkg.read_part(pkg.sheet_part("Dữ liệu")))
    rows = [int(r.get("r")) for r in root.iterfind("m:sheetData/m:row", NS)]
    assert rows == sorted(rows) and len(rows) == len(set(rows))
    for r in root.iterfind("m:sheetData/m:row", NS):
        cols = [parse_ref(c.get("r"))[1] for c in r.iterfind("m:c", NS)]
        assert cols == sorted(cols) and len(cols) == len(set(cols))
    assert root.find("m:dimension", NS).get("ref") == "A1:AN40"


def test_set_cells_control_characters_and_escapes(book, tmp_path):
    pkg = Package.open(book)
    nasty = "a\x00b\x0bc\x1fd\ttab\nline _x0041_ literal \ud800"
    pkg.set_cells("Dữ liệu", {(20, 1): nasty, (21, 1): Formula("SUM(E2:E4)")})
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    sd = Package.open(out).read_sheet("Dữ liệu")
    assert sd.cells[(20, 1)].value == nasty.replace("\ud800", "\ufffd")
    assert sd.cells[(21, 1)].formula == "=SUM(E2:E4)"
    wb = openpyxl.load_workbook(out)      # the XML is well formed for an independent reader
    assert wb["Dữ liệu"]["A21"].value == "=SUM(E2:E4)"


def test_set_cells_rejects_bad_values(book):
    pkg = Package.open(book)
    with pytest.raises(ValueError):
        pkg.set_cells("Dữ liệu", {(1, 1): float("nan")})
    with pytest.raises(TypeError):
        pkg.set_cells("Dữ liệu", {(1, 1): object()})
    with pytest.raises(WorkbookError):
        Package.open(book).set_cells("Không có", {(1, 1): 1})


def test_formula_removal_drops_calc_chain(book, tmp_path):
    pkg = Package.open(book)
    pkg.write_part("xl/calcChain.xml", b'<calcChain xmlns="%s"><c r="G2" i="1"/></calcChain>' % ooxml.NS_MAIN.encode(),
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml")
    pkg.add_rel("xl/workbook.xml", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain",
                "xl/calcChain.xml")
    pkg.set_cells("Dữ liệu", {(2, 7): 1})
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    parts = parts_of(out)
    assert "xl/calcChain.xml" not in parts and not pkg.has_part("xl/calcChain.xml")
    assert "calcChain" not in parts["xl/_rels/workbook.xml.rels"].decode()
    assert "calcChain" not in parts["[Content_Types].xml"].decode()
    openpyxl.load_workbook(out)


# --------------------------------------------------------------------------- styles, tables, sheets

def test_style_registry_is_idempotent(book, tmp_path):
    pkg = Package.open(book)
    spec = dict(font={"bold": True, "size": 13, "name": "Times New Roman", "color": "C00000"}, fill="FFF2CC",
                border="thin", align={"horizontal": "center", "vertical": "center", "wrap": True}, num_fmt="#,##0")
    a = pkg.ensure_style(**spec)
    assert pkg.ensure_style(**spec) == a
    pct = pkg.ensure_style(num_fmt="0.00%")
    assert pct != a and pkg.ensure_style(num_fmt="0.00%") == pct
    pkg.set_cells("Báo cáo", {(10, 1): 1234}, styles={(10, 1): a})
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    again = Package.open(out)
    assert again.ensure_style(**spec) == a          # found in the saved file, not appended again
    assert parts_of(again.to_bytes())["xl/styles.xml"] == parts_of(out)["xl/styles.xml"]
    c = openpyxl.load_workbook(out)["Báo cáo"]["A10"]
    assert c.font.b and c.font.name == "Times New Roman" and c.font.sz == 13
    assert c.fill.fgColor.rgb == "FFFFF2CC" and c.border.left.style == "thin"
    assert c.alignment.horizontal == "center" and c.alignment.wrap_text and c.number_format == "#,##0"


def test_writes_after_a_save_keep_what_the_save_wrote(book):
    """A book saved twice (consolidate --send records the send in the master it just saved): the second save
    keeps the first one's cells of the same sheet, whether or not the sheet was read in between."""
    for read_between in (False, True):
        pkg = Package.open(book)
        pkg.set_cells("Dữ liệu", {(10, 1): "lần một"})
        pkg.save(backup=False)
        if read_between:
            pkg.read_sheet("Dữ liệu")
        pkg.set_cells("Dữ liệu", {(11, 1): "lần hai"})
        pkg.save(backup=False)
        cells = Package.open(book).read_sheet("Dữ liệu").cells
        assert (cells[(10, 1)].value, cells[(11, 1)].value) == ("lần một", "lần hai"), read_between


def test_set_table_ref(book, tmp_path):
    pkg = Package.open(book)
    before = pkg.read_part("xl/tables/table1.xml")
    pkg.set_table_ref("TBLTHU", "A1:G10")
    assert pkg.table("tblThu").ref == "A1:G10"
    root = etree.fromstring(pkg.read_part("xl/tables/table1.xml"))
    assert root.find("m:autoFilter", NS).get("ref") == "A1:G10"
    assert len(root.find("m:tableColumns", NS)) == 7
    assert before.count(b"tableColumn ") == pkg.read_part("xl/tables/table1.xml").count(b"tableColumn ")
    with pytest.raises(ValueError):
        pkg.set_table_ref("tblThu", "A1:C10")
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    assert openpyxl.load_workbook(out)["Dữ liệu"].tables["tblThu"].ref == "A1:G10"


def _children(xml: bytes, skip=("sheetData", "mergeCells", "dimension", "cols")):
    root = etree.fromstring(xml)
    return [etree.tostring(c, method="c14n") for c in root if etree.QName(c).localname not in skip]


def test_replace_sheet_content_keeps_other_elements(book, tmp_path):
    pkg = Package.open(book)
    part = pkg.sheet_part("Báo cáo")
    before = pkg.read_part(part)
    assert b"<pageSetup" in before and b"<drawing" in before and b"<headerFooter" in before
    title = pkg.ensure_style(font={"bold": True, "size": 14}, align={"horizontal": "center"})
    cells = {(1, 1): ("BÁO CÁO KẾT QUẢ", title), (3, 1): ("Chỉ tiêu", None), (3, 2): (0.9553, None),
             (4, 1): ("Ngày", None), (4, 2): (dt.date(2024, 6, 14), None), (5, 1): ("=SUM(1)", None)}
    pkg.replace_sheet_content("Báo cáo", cells, [(1, 1, 1, 6)], {1: 30}, {1: 40, 2: 15.5})
    after = pkg.read_part(part)
    assert _children(after) == _children(before)
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    wb = openpyxl.load_workbook(out)
    ws = wb["Báo cáo"]
    assert ws["A1"].value == "BÁO CÁO KẾT QUẢ" and ws["B3"].value == 0.9553 and ws["A5"].value == "=SUM(1)"
    assert ws["A5"].data_type == "s" and ws["B4"].value == dt.datetime(2024, 6, 14)
    assert ws["D2"].value is None                                # the old data is gone
    assert [str(m) for m in ws.merged_cells.ranges] == ["A1:F1"]
    assert ws.row_dimensions[1].height == 30 and ws.column_dimensions["A"].width == 40
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert parts_of(out)["xl/charts/chart1.xml"] == parts_of(book)["xl/charts/chart1.xml"]
    assert parts_of(out)["xl/worksheets/sheet1.xml"] == parts_of(book)["xl/worksheets/sheet1.xml"]


def test_add_sheet(book, tmp_path):
    pkg = Package.open(book)
    part = pkg.add_sheet("Nhật ký", after="Dữ liệu")
    assert pkg.sheet_names() == ["Dữ liệu", "Nhật ký", "Báo cáo", "Ẩn"]
    assert {d.name: d.sheet for d in pkg.defined_names()}["VungIn"] == "Báo cáo"   # localSheetId shifted
    pkg.set_cells("Nhật ký", {(1, 1): "Thời điểm", (2, 1): dt.datetime(2024, 6, 14, 9, 0)})
    with pytest.raises(WorkbookError):
        pkg.add_sheet("nhật KÝ")
    with pytest.raises(WorkbookError):
        pkg.add_sheet("a/b")
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Dữ liệu", "Nhật ký", "Báo cáo", "Ẩn"]
    assert wb["Nhật ký"]["A2"].value == dt.datetime(2024, 6, 14, 9, 0)
    assert Package.open(out).sheet_part("Nhật ký") == part
    assert Package.open(out).content_types.get(part) == ooxml.CT_WORKSHEET


def test_delete_part_removes_rel_and_content_type():
    src = CORPUS / "macro01.xlsm"
    if not src.exists():
        pytest.skip(f"no {src}")
    pkg = Package.open(src)
    assert pkg.has_part("xl/vbaProject.bin")
    pkg.delete_part("xl/vbaProject.bin")
    pkg.content_types.set_override("xl/workbook.xml",
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    assert "xl/vbaProject.bin" not in pkg.part_names()
    assert all("vbaProject" not in r.target for r in pkg.rels("xl/workbook.xml"))
    assert "xl/vbaProject.bin" not in pkg.content_types.overrides()
    openpyxl.load_workbook(io.BytesIO(pkg.to_bytes()))


# --------------------------------------------------------------------------- bad input

def _msg(exc_info) -> str:
    return str(exc_info.value)


def test_not_a_zip(tmp_path):
    f = tmp_path / "ghi chu.xlsx"
    f.write_text("chỉ là văn bản", encoding="utf-8")
    with pytest.raises(WorkbookError) as e:
        Package.open(f)
    assert "ghi chu.xlsx" in _msg(e) and "không phải là sổ tính Excel" in _msg(e)
    (tmp_path / "rong.xlsx").write_bytes(b"")
    with pytest.raises(WorkbookError):
        Package.open(tmp_path / "rong.xlsx")
    with pytest.raises(WorkbookError, match="Không tìm thấy tệp"):
        Package.open(tmp_path / "khong-co.xlsx")


def test_corrupt_zip_truncated_and_bad_crc(book, tmp_path):
    data = book.read_bytes()
    t = tmp_path / "cut.xlsx"
    t.write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkbookError, match="bị hỏng") as e:
        Package.open(t)
    assert "cut.xlsx" in _msg(e)
    # flip one byte inside the stored data of the first part
    with zipfile.ZipFile(book) as zf:
        info = zf.infolist()[0]
    off = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 2
    bad = bytearray(data)
    bad[off] ^= 0xFF
    b = tmp_path / "crc.xlsx"
    b.write_bytes(bytes(bad))
    with pytest.raises(WorkbookError, match="bị hỏng"):
        Package.open(b)


def test_encrypted_workbook(book, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile
    enc = tmp_path / "mat khau.xlsx"
    with open(book, "rb") as src, open(enc, "wb") as dst:
        OOXMLFile(src).encrypt("123456", dst)
    assert enc.read_bytes()[:8] == ooxml.CFB_SIGNATURE
    with pytest.raises(WorkbookError) as e:
        Package.open(enc)
    assert "mat khau.xlsx" in _msg(e) and "được đặt mật khẩu hoặc là tệp .xls cũ" in _msg(e)


def test_missing_workbook_part(tmp_path):
    f = tmp_path / "van ban.xlsx"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("[Content_Types].xml", '<Types xmlns="%s"/>' % ooxml.NS_CT)
        zf.writestr("word/document.xml", "<w/>")
    with pytest.raises(WorkbookError, match="xl/workbook.xml"):
        Package.open(f)


def _bomb(path: Path, name: str, mb: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<Types xmlns="%s"/>' % ooxml.NS_CT)
        zf.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"\0" * (1 << 20)
        with zf.open(name, "w", force_zip64=True) as fh:
            for _ in range(mb):
                fh.write(chunk)
    return path


def test_zip_bomb_total_size(tmp_path):
    f = _bomb(tmp_path / "bom.xlsx", "xl/worksheets/sheet1.xml", 300)
    assert f.stat().st_size < 2_000_000
    t0 = time.perf_counter()
    with pytest.raises(WorkbookError, match="quá lớn khi giải nén") as e:
        Package.open(f)
    assert time.perf_counter() - t0 < 1.0 and "bom.xlsx" in _msg(e)


def test_zip_bomb_ratio(tmp_path):
    f = _bomb(tmp_path / "bom2.xlsx", "xl/media/x.bin", 20)
    with pytest.raises(WorkbookError, match="nén bất thường"):
        Package.open(f)


def test_broken_xml_part(book, tmp_path):
    pkg = Package.open(book)
    pkg.write_part(pkg.sheet_part("Dữ liệu"), b"<worksheet><sheetData>")
    bad = tmp_path / "xml.xlsx"
    bad.write_bytes(pkg.to_bytes())
    with pytest.raises(WorkbookError, match="không phải XML hợp lệ"):
        Package.open(bad).read_sheet("Dữ liệu")


def test_xml_entities_are_not_expanded(book):
    pkg = Package.open(book)
    evil = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<sst xmlns="%s"><si><t>&e;</t></si></sst>' % ooxml.NS_MAIN.encode())
    pkg.write_part("xl/sharedStrings.xml", evil)
    text = pkg._shared_strings()[0]
    assert "root:" not in text


# --------------------------------------------------------------------------- saving safely

def test_lock_file_refuses_and_leaves_file_untouched(book):
    original = book.read_bytes()
    pkg = Package.open(book)
    pkg.set_cells("Dữ liệu", {(1, 1): "đổi"})
    for lock_name in ("~$" + book.name, "~$" + book.name[2:]):
        lock = book.with_name(lock_name)
        lock.write_bytes(b"owner")
        with pytest.raises(WorkbookLockedError) as e:
            pkg.save()
        assert "đang được mở trong Excel" in _msg(e) and "Hãy đóng Excel rồi chạy lại" in _msg(e)
        assert book.read_bytes() == original
        lock.unlink()
    assert sorted(p.name for p in book.parent.iterdir()) == [book.name]


def test_source_changed_after_open(book):
    pkg = Package.open(book)
    pkg.set_cells("Dữ liệu", {(1, 1): "đổi"})
    other = Package.open(book)
    other.set_cells("Dữ liệu", {(1, 2): "người khác"})
    other.save(backup=False)
    changed = book.read_bytes()
    with pytest.raises(WorkbookChangedError, match="đã bị thay đổi"):
        pkg.save()
    assert book.read_bytes() == changed
    # saving elsewhere is still allowed
    pkg.save(book.with_name("khac.xlsx"))


def test_touch_without_content_change_is_not_a_change(book):
    pkg = Package.open(book)
    os.utime(book, ns=(1, 1))
    pkg.save(backup=False)


def test_crash_during_replace_keeps_original_and_no_temp(book, monkeypatch):
    original = book.read_bytes()
    pkg = Package.open(book)
    pkg.set_cells("Dữ liệu", {(1, 1): "đổi"})

    def boom(*a, **k):
        raise OSError("mất điện")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(WorkbookError, match="mất điện"):
        pkg.save(backup=False)
    assert book.read_bytes() == original
    assert sorted(p.name for p in book.parent.iterdir()) == [book.name]


def test_backup_created_and_pruned(book, monkeypatch):
    original = book.read_bytes()
    pkg = Package.open(book)
    pkg.set_cells("Dữ liệu", {(1, 1): "lần 1"})
    pkg.save()
    (bak,) = [p for p in book.parent.iterdir() if ".bak-" in p.name]
    assert bak.name.startswith("so.bak-") and bak.suffix == ".xlsx" and bak.read_bytes() == original
    for i in range(7):
        pkg.set_cells("Dữ liệu", {(1, 1): f"lần {i + 2}"})
        pkg.save()
    baks = sorted(p.name for p in book.parent.iterdir() if ".bak-" in p.name)
    assert len(baks) == 5
    assert Package.open(book).read_sheet("Dữ liệu").cells[(1, 1)].value == "lần 8"


def test_deterministic_output(book, tmp_path):
    outs = []
    for i in range(2):
        pkg = Package.open(book)
        pkg.set_cells("Dữ liệu", VALUES)
        pkg.ensure_style(fill="FFFF00")
        outs.append(pkg.save(tmp_path / f"o{i}.xlsx", backup=False).read_bytes())
    assert outs[0] == outs[1]


# --------------------------------------------------------------------------- speed

def test_read_10000_rows_is_fast(tmp_path):
    f = tmp_path / "big.xlsx"
    wb = xlsxwriter.Workbook(str(f))
    ws = wb.add_worksheet("Hồ sơ TTHC")
    datef = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for r in range(10_000):
        ws.write_row(r, 0, [f"HS-{r}", "1.001", "Cấp bản sao văn bằng", None, "Trực tuyến", None, None,
                            "Đã trả kết quả", "Có", "Hài lòng", "Không", r, r * 1.5])
        ws.write_datetime(r, 3, dt.datetime(2024, 1, 1, 8) + dt.timedelta(hours=r), datef)
        ws.write_datetime(r, 5, dt.datetime(2024, 1, 5), datef)
        ws.write_datetime(r, 6, dt.datetime(2024, 1, 4), datef)
    wb.close()
    t0 = time.perf_counter()
    pkg = Package.open(f)
    sd = pkg.read_sheet("Hồ sơ TTHC")
    elapsed = time.perf_counter() - t0
    assert len(sd.cells) == 130_000 and sd.cells[(10_000, 4)].value == dt.datetime(2024, 1, 1, 8) + \
        dt.timedelta(hours=9999)
    assert elapsed < 3.0, f"open+read took {elapsed:.2f} s"


def test_fast_reader_agrees_with_lxml_reader(book):
    from cchc_xl.io.ooxml import sheet_reader
    from cchc_xl.io.ooxml.xmltext import parse_xml

    files = [book] + (sorted(CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else [])
    for f in files:
        pkg = Package.open(f)
        for s in pkg.sheets():
            if s.kind != "worksheet":
                continue
            fast = pkg.read_sheet(s.name)
            decode = sheet_reader._Decoder(pkg._shared_strings(), pkg.styles.date_flags(), pkg.date1904,
                                           pkg.filename, s.name)
            slow = sheet_reader._read_tree(parse_xml(pkg.read_part(s.part), s.part, f.name), s.name, decode)
            assert fast == slow, (f.name, s.name)


def test_unusual_xml_falls_back_to_lxml(book):
    pkg = Package.open(book)
    part = pkg.sheet_part("Báo cáo")
    xml = pkg.read_part(part).decode()
    # cells without r, a comment, attributes in another order
    xml = xml.replace("</sheetData>", '<row r="30"><!-- x --><c t="inlineStr" s="0"><is><t>không r</t></is></c>'
                      '<c><v>5</v></c></row></sheetData>')
    pkg.write_part(part, xml.encode())
    sd = pkg.read_sheet("Báo cáo")
    assert sd.cells[(30, 1)].value == "không r" and sd.cells[(30, 2)].value == 5
    # and such a sheet is written the regular way before cells are spliced into it
    pkg.set_cells("Báo cáo", {(30, 3): "mới", (30, 1): "đổi"})
    sd = pkg.read_sheet("Báo cáo")
    assert [sd.cells[(30, c)].value for c in (1, 2, 3)] == ["đổi", 5, "mới"]
    assert b"<!--" not in pkg.read_part(part)


def test_broken_shared_string_index(book):
    pkg = Package.open(book)
    part = pkg.sheet_part("Báo cáo")
    xml = pkg.read_part(part).decode()
    pkg.write_part(part, xml.replace("</sheetData>", '<row r="40"><c r="A40" t="s"><v>999</v></c></row>'
                                     '</sheetData>').encode())
    with pytest.raises(WorkbookError, match="chuỗi không tồn tại"):
        pkg.read_sheet("Báo cáo")


def test_rewritten_parts_use_the_write_level(book, tmp_path):
    import zlib

    pkg = Package.open(book)
    pkg.set_cells("Dữ liệu", {(2, 1): "mới"})
    outs = [pkg.save(tmp_path / f"o{i}.xlsx", backup=False).read_bytes() for i in range(2)]
    assert outs[0] == outs[1]
    src, dst = parts_of(book), parts_of(outs[0])
    assert {n for n in src if src[n] != dst[n]} == {"xl/worksheets/sheet1.xml"}
    with zipfile.ZipFile(io.BytesIO(outs[0])) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    z = zlib.compressobj(ooxml.WRITE_LEVEL, zlib.DEFLATED, -15)
    assert info.compress_size == len(z.compress(dst["xl/worksheets/sheet1.xml"]) + z.flush())
