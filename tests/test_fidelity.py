"""Nothing lost: write a block of values into every workbook of a corpus and prove the rest is unchanged.

Corpus folder: $CCHC_FIDELITY_CORPUS, default tests/data/excel-corpus (files saved by real Excel).
For each file: the first worksheet gets a 5x4 block of mixed values below its used area; then
* every part other than that sheet (and xl/styles.xml, when a date format had to be added) is byte-identical,
  and the zip holds the same parts in the same order with the same compression;
* every child element of the sheet other than sheetData/dimension is unchanged (canonical XML);
* openpyxl reads back exactly the values written;
* LibreOffice opens the result (one headless conversion to PDF for the whole corpus).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers_soffice import convert, have_soffice

from cchc_xl.io.ooxml import Package, parse_ref

CORPUS = Path(os.environ.get("CCHC_FIDELITY_CORPUS")
              or Path(__file__).resolve().parent / "data" / "excel-corpus")
FILES = sorted(p for p in CORPUS.glob("*") if p.suffix.lower() in (".xlsx", ".xlsm")) if CORPUS.is_dir() else []

BLOCK = [
    ["Nguyễn Thị Hường", 1234, dt.date(2024, 6, 14), "=not a formula"],
    ["Trường THPT Kiến Thụy", 95.53, dt.date(2024, 12, 14), "Đạt"],
    ["Sở Giáo dục và Đào tạo", -7, dt.date(2023, 12, 15), "Quá hạn"],
    ["ghi chú: ắ ằ ẳ ẵ ặ ữ ự ỹ đ", 0.5, dt.date(2024, 2, 29), "Không đạt"],
    ["=SUM(A1:A3)", 1_000_000, dt.date(2024, 1, 1), "Hoàn thành đúng hạn"],
]
SKIP_CHILDREN = {"sheetData", "dimension"}


def _used_bottom(pkg: Package, sheet: str) -> int:
    sd = pkg.read_sheet(sheet)
    bottom = sd.max_row
    for m in sd.merged:
        bottom = max(bottom, m[2])
    for t in pkg.tables():
        if t.sheet == sheet:
            bottom = max(bottom, parse_ref(t.ref)[2])
    return bottom


def _as_written(v):
    return dt.datetime(v.year, v.month, v.day) if isinstance(v, dt.date) else v


def _children(xml: bytes) -> tuple[dict, list[tuple[str, bytes]]]:
    root = etree.fromstring(xml)
    kids = [(etree.QName(c).localname, etree.tostring(c, method="c14n")) for c in root
            if isinstance(c.tag, str) and etree.QName(c).localname not in SKIP_CHILDREN]
    return dict(root.attrib) | {"nsmap": tuple(sorted((k or "", v) for k, v in root.nsmap.items()))}, kids


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Process the whole corpus once; returns {file name: record}."""
    out_dir = tmp_path_factory.mktemp("fidelity")
    records = {}
    for src in FILES:
        pkg = Package.open(src)
        sheet = next(s.name for s in pkg.sheets() if s.kind == "worksheet")
        top = _used_bottom(pkg, sheet) + 2
        values = {(top + i, 1 + j): v for i, row in enumerate(BLOCK) for j, v in enumerate(row)}
        styles_before = pkg.read_part("xl/styles.xml")
        pkg.set_cells(sheet, values)
        dst = out_dir / src.name
        pkg.save(dst, backup=False)
        records[src.name] = {"src": src, "dst": dst, "sheet": sheet, "part": pkg.sheet_part(sheet),
                             "values": values, "styles_changed": pkg.read_part("xl/styles.xml") != styles_before}
    pdfs = {}
    if have_soffice() and records:
        pdf_dir = out_dir / "pdf"
        outs = convert([r["dst"] for r in records.values()], "pdf", pdf_dir, timeout=300)
        pdfs = dict(zip(records, outs))
    for name, rec in records.items():
        rec["pdf"] = pdfs.get(name)
    return records


def test_corpus_present():
    """The corpus ships in the repository: a fresh clone runs every fidelity case."""
    assert len(FILES) >= 30, f"fidelity corpus missing or incomplete at {CORPUS}"


@pytest.mark.parametrize("name", [f.name for f in FILES])
def test_other_parts_byte_identical(results, name):
    rec = results[name]
    with zipfile.ZipFile(rec["src"]) as a, zipfile.ZipFile(rec["dst"]) as b:
        assert [(i.filename, i.compress_type) for i in a.infolist()] == \
               [(i.filename, i.compress_type) for i in b.infolist()]
        allowed = {rec["part"]} | ({"xl/styles.xml"} if rec["styles_changed"] else set())
        for n in a.namelist():
            if n not in allowed:
                assert a.read(n) == b.read(n), f"{name}: part {n} changed"
        assert b.testzip() is None


@pytest.mark.parametrize("name", [f.name for f in FILES])
def test_sheet_elements_unchanged(results, name):
    rec = results[name]
    with zipfile.ZipFile(rec["src"]) as a, zipfile.ZipFile(rec["dst"]) as b:
        before, after = a.read(rec["part"]), b.read(rec["part"])
    assert _children(before) == _children(after)
    # the cells that were there are still there, unchanged
    ns = etree.QName(etree.fromstring(before)).namespace
    old = {c.get("r"): etree.tostring(c, method="c14n") for c in etree.fromstring(before).iter("{%s}c" % ns)}
    new = {c.get("r"): etree.tostring(c, method="c14n") for c in etree.fromstring(after).iter("{%s}c" % ns)}
    assert all(new.get(k) == v for k, v in old.items())


@pytest.mark.parametrize("name", [f.name for f in FILES])
def test_values_read_back_by_openpyxl(results, name):
    rec = results[name]
    wb = openpyxl.load_workbook(rec["dst"])
    try:
        ws = wb[rec["sheet"]]
        for (r, c), v in rec["values"].items():
            got = ws.cell(r, c).value
            assert got == _as_written(v), (name, r, c, got)
            if isinstance(v, str):
                assert ws.cell(r, c).data_type == "s"
    finally:
        wb.close()
    sd = Package.open(rec["dst"]).read_sheet(rec["sheet"])
    assert all(sd.cells[k].value == _as_written(v) for k, v in rec["values"].items())


@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
@pytest.mark.parametrize("name", [f.name for f in FILES])
def test_libreoffice_opens_result(results, name):
    pdf = results[name]["pdf"]
    assert pdf is not None and pdf.exists(), f"LibreOffice could not convert {name}"
    assert pdf.stat().st_size > 0 and pdf.read_bytes()[:5] == b"%PDF-"


@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
def test_libreoffice_sees_written_text(results, tmp_path):
    """LibreOffice reads the inline strings as text (Vietnamese intact, '=not a formula' not evaluated)."""
    picks = [r for n, r in results.items() if n in ("table01.xlsx", "merge_range01.xlsx", "utf8_01.xlsx")]
    if not picks:
        pytest.skip("corpus files for this check not present")
    outs = convert([r["dst"] for r in picks], "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path)
    for out in outs:
        text = out.read_text(encoding="utf-8")
        assert "Nguyễn Thị Hường" in text and "=not a formula" in text and "=SUM(A1:A3)" in text, out.name
        assert "14/06/2024" in text or "06/14/24" in text or "2024-06-14" in text, text
