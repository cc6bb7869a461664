"""The report survives other tools (issue #15 §3): a workbook saved by openpyxl loses the report's print area, and
saved again by LibreOffice its chart's series references; a refresh (which owns the report sheet's page setup and
chart) puts both back, so the PDF is the report again — the pages the layout planned, in order, nothing else.

Real saves: openpyxl ``load_workbook(keep_vba=True)`` + ``save``, then LibreOffice headless ``--convert-to xlsm``;
the PDF printed by LibreOffice and read with poppler."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import subprocess
import warnings
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from cchc_xl import schema
from cchc_xl.engine import compute, load_data, refresh_file
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package
from cchc_xl.report.layout import build_report_grid
from cchc_xl.report.page import PRINT_AREA, SERIES
from cchc_xl.report.repair import restore_report_frame

from helpers_soffice import convert, have_soffice

ROOT = Path(__file__).resolve().parents[1]
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
AS_OF = dt.date(2024, 6, 14)
needs_soffice = pytest.mark.skipif(not have_soffice() or not shutil.which("pdftotext"),
                                   reason="LibreOffice (soffice) and poppler-utils print and read the PDF")


def _render():
    spec = importlib.util.spec_from_file_location("render_report_pages", ROOT / "scripts" / "render_report_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def print_area(path: Path) -> str | None:
    names = [d for d in Package.open(path).defined_names() if d.name == "_xlnm.Print_Area" and d.sheet ==
             schema.SHEET_REPORT]
    return names[0].value if names else None


def chart_refs(path: Path) -> list[str]:
    pkg = Package.open(path)
    sheet = pkg.sheet_part(schema.SHEET_REPORT)
    drawing = next(r.part for r in pkg.rels(sheet) if r.type.endswith("/drawing"))
    chart = next(r.part for r in pkg.rels(drawing) if r.type.endswith("/chart"))
    return [f.text for f in etree.fromstring(pkg.read_part(chart)).iter(C + "f")]


def openpyxl_save(src: Path, dst: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Print area cannot be set to Defined name": the loss under test
        wb = openpyxl.load_workbook(src, keep_vba=True)
    wb.save(dst)
    return dst


def pdf_pages(xlsm: Path, work: Path) -> list[str]:
    render = _render()
    only = work / f"only_{xlsm.stem}.xlsx"
    render.report_only(xlsm, only, schema.SHEET_REPORT)
    pdf = render.to_pdf([only], work)[0]
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")[:-1]


@pytest.fixture(scope="module")
def saved(built_workbook, tmp_path_factory):
    """The built workbook refreshed, then saved by openpyxl, then that saved again by LibreOffice."""
    work = tmp_path_factory.mktemp("tools")
    refreshed = work / "refreshed.xlsm"
    refresh_file(built_workbook, as_of=AS_OF, period="h1", out=refreshed, backup=False)
    by_openpyxl = openpyxl_save(refreshed, work / "by_openpyxl.xlsm")
    out = {"refreshed": refreshed, "openpyxl": by_openpyxl, "work": work}
    if have_soffice():
        lo_dir = work / "lo"
        converted = convert([by_openpyxl], "xlsm", lo_dir)[0]
        assert converted.exists(), "LibreOffice did not save the workbook"
        out["libreoffice"] = converted
    return out


def test_the_losses_are_real(saved):
    """Without the refresh, the saved files have lost what the report needs (so the next test can fail)."""
    assert print_area(saved["refreshed"]) == PRINT_AREA
    assert print_area(saved["openpyxl"]) is None
    if "libreoffice" in saved:
        assert not set(chart_refs(saved["libreoffice"])) & {ref for series in SERIES for ref in series}


@pytest.mark.parametrize("tool", ["openpyxl", "libreoffice"])
def test_refresh_restores_the_print_area_page_setup_and_chart(saved, tool, tmp_path):
    if tool not in saved:
        pytest.skip("LibreOffice (soffice) is needed for its own save")
    out = tmp_path / f"fixed_{tool}.xlsm"
    refresh_file(saved[tool], as_of=AS_OF, period="h1", out=out, backup=False)
    assert print_area(out) == PRINT_AREA
    assert chart_refs(out) == [ref for series in SERIES for ref in series]
    pkg = Package.open(out)
    assert restore_report_frame(pkg) == []  # nothing left to restore, and nothing touched
    sheet = pkg.sheet_part(schema.SHEET_REPORT)
    charts = [r.part for d in pkg.rels(sheet) if d.type.endswith("/drawing") for r in pkg.rels(d.part)]
    assert charts and not [p for p in [pkg.workbook_part, sheet, *charts] if pkg.is_changed(p)]


@needs_soffice
@pytest.mark.parametrize("tool", ["openpyxl", "libreoffice"])
def test_after_the_refresh_the_pdf_is_the_report_again(saved, tool, tmp_path):
    out = tmp_path / f"fixed_{tool}.xlsm"
    refresh_file(saved[tool], as_of=AS_OF, period="h1", out=out, backup=False)
    grid = build_report_grid(compute(load_data(FileBook.open(out)), as_of=AS_OF, period="h1"))
    pages = pdf_pages(out, tmp_path)
    reference = pdf_pages(saved["refreshed"], tmp_path)
    assert len(pages) == len(grid.row_breaks) + 1 == len(reference)  # the planned pages, no hidden column printed
    assert [" ".join(p.split()) for p in pages] == [" ".join(p.split()) for p in reference]
    assert "Lĩnh vực Hoàn thành Chưa hoàn thành" not in " ".join(" ".join(p.split()) for p in pages)  # chart data


@needs_soffice
def test_without_the_refresh_the_openpyxl_copy_prints_more_than_the_report(saved, tmp_path):
    grid = build_report_grid(compute(load_data(FileBook.open(saved["refreshed"])), as_of=AS_OF, period="h1"))
    assert len(pdf_pages(saved["openpyxl"], tmp_path)) > len(grid.row_breaks) + 1
