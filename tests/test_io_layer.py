"""The I/O layer's pieces (cchc_xl/io/ooxml/*): the splicer against an independent reader (openpyxl) on
generated edits, untouched zip members copied raw, the table reader's formulas/errors/merges, row blocks,
sheets written another way than Excel's, and the modules' own examples (doctests)."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import re
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cchc_xl.io.ooxml import Package
from cchc_xl.io.ooxml.archive import ZipIn
from cchc_xl.io.ooxml.table_reader import read_table

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
MODULES = ["cchc_xl.io.table_rows", "cchc_xl.io.dossier_table", "cchc_xl.io.ooxml.refs", "cchc_xl.io.ooxml.xmltext",
           "cchc_xl.io.ooxml.serials", "cchc_xl.io.ooxml.relationships", "cchc_xl.io.ooxml.sheet_text",
           "cchc_xl.io.ooxml.cell_xml", "cchc_xl.report.styles"]


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


def _book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Dữ liệu")
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.add_table(0, 0, 6, 3, {"name": "tblX", "columns": [{"header": h} for h in ("Mã", "Ngày", "Số", "Ghi chú")]})
    for r in range(1, 7):
        ws.write_string(r, 0, f"M-{r}")
        ws.write_datetime(r, 1, dt.datetime(2024, 1, r), date)
        ws.write_number(r, 2, r * 1.5)
    ws.write_formula(3, 3, "=C4*2", None, 9)
    ws.write_formula(4, 3, "=NA()", None, "#N/A")
    ws.write_string(10, 5, "ngoài bảng")
    wb.close()
    pkg = Package.open(path)                     # a merged range inside the table (XlsxWriter refuses to)
    part = pkg.sheet_part("Dữ liệu")
    pkg.write_part(part, pkg.read_part(part).replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="C7:D7"/></mergeCells>'))
    pkg.save(path, backup=False)
    return path


def test_untouched_members_are_copied_raw(tmp_path):
    pkg = Package.open(BUNDLED)
    pkg.set_cells("Nhật ký", {(2, 1): "một dòng"})
    out = pkg.save(tmp_path / "o.xlsm", backup=False)
    a, b = ZipIn(BUNDLED.read_bytes(), "a"), ZipIn(out.read_bytes(), "b")
    changed = {pkg.sheet_part("Nhật ký")}
    assert a.names == b.names
    for name in a.names:
        if name not in changed:
            assert bytes(a.raw(name)) == bytes(b.raw(name)), name          # the compressed bytes themselves
            assert a.infos[name].CRC == b.infos[name].CRC


def test_table_reader_values_formulas_errors_merges(tmp_path):
    pkg = Package.open(_book(tmp_path / "b.xlsx"))
    td = read_table(pkg, pkg.table("tblX"))
    assert td.headers == ["Mã", "Ngày", "Số", "Ghi chú"] and td.first_row == 2 and td.n_rows == 6
    values = td.row_values()
    assert values[0][:3] == ["M-1", dt.datetime(2024, 1, 1), 1.5]
    assert values[2][3] == 9 and td.marks[(2, 3)].formula == "=C4*2"
    assert values[3][3] is None and td.marks[(3, 3)].error == "#N/A" and td.marks[(3, 3)].formula == "=NA()"
    assert td.marks[(5, 2)].merged and td.marks[(5, 3)].merged
    assert td.rows[2][3].formula == "=C4*2" and td.rows[0][0].value == "M-1"
    frame = td.to_frame()
    assert list(frame.columns) == td.headers and frame.shape == (6, 4) and frame["Mã"].tolist()[-1] == "M-6"


def test_shared_formula_dependents_are_translated(tmp_path):
    pkg = Package.open(_book(tmp_path / "b.xlsx"))
    part = pkg.sheet_part("Dữ liệu")
    xml = pkg.read_part(part)
    for r, f in ((2, b'<f t="shared" ref="D2:D3" si="0">C2+1</f><v>2.5</v>'), (3, b'<f t="shared" si="0"/><v>4</v>')):
        xml = re.sub(rb'(<c r="C%d"[^>]*?(?:/>|>.*?</c>))' % r, rb'\1<c r="D%d">%s</c>' % (r, f), xml, count=1)
    pkg.write_part(part, xml)
    td = read_table(pkg, pkg.table("tblX"))
    assert td.marks[(0, 3)].formula == "=C2+1" and td.marks[(1, 3)].formula == "=C3+1"


def test_row_block_over_existing_and_new_rows(tmp_path):
    path = _book(tmp_path / "b.xlsx")
    pkg = Package.open(path)
    style = pkg.read_sheet("Dữ liệu").cells[(2, 2)].style
    pkg.set_rows("Dữ liệu", 6, 1, [["M-5b", None, 50], ["M-N1", dt.date(2024, 5, 1), 60], ["M-N2", None, 70]],
                 [None, style, None, None])
    pkg.set_cells("Dữ liệu", {(9, 4): "sau"})
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    ws = openpyxl.load_workbook(out)["Dữ liệu"]
    assert [ws.cell(6, c).value for c in (1, 2, 3)] == ["M-5b", dt.datetime(2024, 1, 5), 50]   # None kept
    assert [ws.cell(r, 1).value for r in (7, 8, 9)] == ["M-6", "M-N1", "M-N2"] or \
        [ws.cell(r, 1).value for r in (7, 8)] == ["M-N1", "M-N2"]
    assert ws.cell(7, 2).value == dt.datetime(2024, 5, 1) and ws.cell(9, 4).value == "sau"
    assert ws["F11"].value == "ngoài bảng"


def _prefixed(path: Path) -> Path:
    """The same workbook with its worksheet written with an ``x:`` prefix and attributes in another order."""
    pkg = Package.open(path)
    part = pkg.sheet_part("Dữ liệu")
    xml = pkg.read_part(part).decode()
    xml = xml.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                      'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
    xml = re.sub(r"<(/?)(?!x:|\?)([A-Za-z]+)", r"<\1x:\2", xml)
    xml = re.sub(r'<x:c r="([A-Z]+\d+)" s="(\d+)"', r'<x:c s="\2" r="\1"', xml)   # s before r
    pkg.write_part(part, xml.encode())
    pkg.save(path.with_name("prefixed.xlsx"), backup=False)
    return path.with_name("prefixed.xlsx")


def test_sheet_written_another_way_is_read_and_written(tmp_path):
    path = _prefixed(_book(tmp_path / "b.xlsx"))
    pkg = Package.open(path)
    assert pkg.read_sheet("Dữ liệu").cells[(2, 1)].value == "M-1"
    pkg.set_cells("Dữ liệu", {(2, 2): dt.date(2025, 1, 1), (2, 4): "mới", (20, 1): "cuối"})
    out = pkg.save(tmp_path / "o.xlsx", backup=False)
    ws = openpyxl.load_workbook(out)["Dữ liệu"]
    assert ws["B2"].value == dt.datetime(2025, 1, 1) and ws["D2"].value == "mới" and ws["A20"].value == "cuối"
    assert ws["A3"].value == "M-2" and ws["C7"].value == 9
    refs = re.findall(rb'<x:c r="([A-Z]+\d+)"', Package.open(out).read_part(pkg.sheet_part("Dữ liệu")))
    assert len(refs) == len(set(refs))                     # no cell written twice


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda x: abs(x) < 1e300),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
)
# column B holds dates (a date format): a number written there reads back as a date, rightly
_CELLS = st.dictionaries(st.tuples(st.integers(1, 14), st.sampled_from([1, 3, 4, 5, 6, 7, 8])), _VALUES, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_CELLS)
def test_spliced_cells_read_back_by_openpyxl(tmp_path_factory, edits):
    tmp = tmp_path_factory.mktemp("splice")
    src = _book(tmp / "b.xlsx")
    before = {(c.row, c.column): c.value for row in openpyxl.load_workbook(src)["Dữ liệu"].iter_rows()
              for c in row}
    pkg = Package.open(src)
    pkg.set_cells("Dữ liệu", edits)
    out = pkg.save(tmp / "o.xlsx", backup=False)
    ws = openpyxl.load_workbook(out)["Dữ liệu"]
    merged = {(7, 3), (7, 4)}                                   # openpyxl shows only a merge's first cell
    for (r, c), v in edits.items():
        if (r, c) in merged - {(7, 3)}:
            continue
        got = ws.cell(r, c).value
        if isinstance(got, str):                                 # openpyxl leaves _xHHHH_ escapes as they are
            got = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), got)
        if v is None:
            assert got is None, (r, c)
        elif isinstance(v, dt.date):
            assert got == dt.datetime(v.year, v.month, v.day), (r, c)
        elif isinstance(v, str):
            assert got == v or (v == "" and got is None), (r, c)
        elif isinstance(v, float):
            assert got == pytest.approx(v, rel=1e-15), (r, c)
        else:
            assert got == v and type(got) is type(v), (r, c)
    for key, v in before.items():                              # every other cell is as it was
        if key not in edits:
            assert ws.cell(*key).value == v, key


def test_a_second_refresh_leaves_sheets_whose_values_did_not_change_untouched(tmp_path):
    """Only the computed cells whose value changes are written: refreshing the same day again rewrites no
    table sheet, so their zip members are copied raw, byte for byte."""
    from cchc_xl import schema
    from cchc_xl.engine import refresh_file

    as_of = dt.date(2024, 6, 14)
    first, second = tmp_path / "1.xlsm", tmp_path / "2.xlsm"
    refresh_file(BUNDLED, out=first, as_of=as_of)
    refresh_file(first, out=second, as_of=as_of)
    a, b = ZipIn(first.read_bytes(), "1"), ZipIn(second.read_bytes(), "2")
    pkg = Package.open(first)
    for spec in (schema.TASKS, schema.DOSSIERS, schema.INDICATORS):
        part = pkg.sheet_part(spec.sheet)
        assert bytes(a.raw(part)) == bytes(b.raw(part)), spec.sheet
    refresh_file(first, out=second, as_of=dt.date(2024, 12, 14))     # later: the flags change and are written
    c = ZipIn(second.read_bytes(), "3")
    assert c.read(pkg.sheet_part(schema.TASKS.sheet)) != a.read(pkg.sheet_part(schema.TASKS.sheet))


def test_sheet_table_and_relationship_lists_follow_every_change(tmp_path):
    """What the package remembers of its workbook part (sheets, tables, relationships) is never stale: a list
    handed out can be changed by its caller, and a change through any way in shows at once."""
    pkg = Package.open(_book(tmp_path / "b.xlsx"))
    sheets = pkg.sheets()
    sheets.clear()                                             # the caller's copy
    assert [s.name for s in pkg.sheets()] == ["Dữ liệu"]
    pkg.add_sheet("Mới")
    assert [s.name for s in pkg.sheets()] == ["Dữ liệu", "Mới"]
    root = pkg.tree(pkg.workbook.part)                         # held for modification: changed in place later
    assert [s.name for s in pkg.sheets()] == ["Dữ liệu", "Mới"]
    next(el for el in root.iter() if el.get("name") == "Mới").set("name", "Đổi tên")
    assert [s.name for s in pkg.sheets()] == ["Dữ liệu", "Đổi tên"]

    assert pkg.table("tblX").ref == "A1:D7"
    pkg.set_table_ref("tblX", "A1:D9")
    assert pkg.table("tblX").ref == "A1:D9"

    part = pkg.sheet_part("Dữ liệu")
    before = len(pkg.rels(part))
    pkg.add_rel(part, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
                "xl/other.xml")
    assert len(pkg.rels(part)) == before + 1
    pkg.save(tmp_path / "o.xlsx", backup=False)
    again = Package.open(tmp_path / "o.xlsx")
    assert [s.name for s in again.sheets()] == ["Dữ liệu", "Đổi tên"] and again.table("tblX").ref == "A1:D9"


def test_members_read_and_written_without_zlib_ng(tmp_path):
    """zlib-ng only speeds up inflating and CRC-32: where its wheel is missing, the standard zlib reads and
    writes the same members (and a corrupt member is still named)."""
    import subprocess
    import sys

    code = ("import sys\nsys.modules['zlib_ng'] = None\n"
            "from cchc_xl.io.ooxml import archive, Package\n"
            "import zlib\nassert archive._zlib_ng is zlib\n"
            f"pkg = Package.open({str(BUNDLED)!r})\n"
            "pkg.set_cells('Nhật ký', {(2, 1): 'một dòng'})\n"
            f"pkg.save({str(tmp_path / 'o.xlsm')!r}, backup=False)\n"
            f"print(Package.open({str(tmp_path / 'o.xlsm')!r}).read_range('Nhật ký', 2, 1, 2, 1)[0][0].value)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "một dòng"
    data = bytearray(BUNDLED.read_bytes())
    zin = ZipIn(bytes(data), "x")
    info = zin.infos["xl/workbook.xml"]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 10:start + 20] = b"\xff" * 10                # the deflate stream of workbook.xml broken
    with pytest.raises(Exception, match="bị hỏng"):
        ZipIn(bytes(data), "hỏng.xlsm").read("xl/workbook.xml")
