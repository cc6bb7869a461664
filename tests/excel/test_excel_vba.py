"""The VBA project compiled from text (cchc_xl.excel.vba) and its presence in the built workbook."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlwings

from cchc_xl.excel.ribbon import RIBBON_BAS_PATH
from cchc_xl.excel.vba import build_vba_project, vba_sources, xlwings_vba_version

from vba_structure import read_vba_modules

COMMITTED_WORKBOOK = Path(__file__).resolve().parents[2] / "workbook" / "CCHC_2024.xlsm"

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent


def normalise(src: str) -> str:
    """Source without line-end differences, VBE export preamble and Attribute lines."""
    text = src.replace("\r\n", "\n").replace("\r", "\n")
    lines = [ln.rstrip() for ln in text.split("\n")]
    if lines and lines[0].startswith("VERSION 1.0 CLASS"):
        end = lines.index("END")
        lines = lines[end + 1:]
    lines = [ln for ln in lines if not ln.startswith("Attribute VB_")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def test_xlwings_module_version_matches_installed_package():
    src = (XLWINGS_DIR / "xlwings.bas").read_text(encoding="ascii")
    assert xlwings_vba_version(src) == xlwings.__version__ == "0.33.22"


def test_module_set_replicates_xlwings_standalone_quickstart(vba_bin):
    """quickstart_standalone.xlsm has xlwings + Dictionary (+ document modules + a sample Module1)."""
    shipped = read_vba_modules(XLWINGS_DIR / "quickstart_standalone.xlsm")
    ours = read_vba_modules(vba_bin)
    code_modules = {"xlwings", "Dictionary"}
    assert code_modules <= set(shipped)
    assert code_modules | {"CchcRibbon", "ThisWorkbook", "Sheet1", "Sheet2", "Sheet3"} == set(ours)
    for name in code_modules:  # same code as xlwings' own standalone workbook (the VBE re-cases identifiers)
        assert normalise(ours[name]).lower() == normalise(shipped[name]).lower(), name


def test_extracted_modules_equal_sources(vba_bin):
    """olevba decompresses every module back to its source — including modules far above 2 KB."""
    modules = read_vba_modules(vba_bin)
    sources = vba_sources()
    assert len(sources["xlwings"][1]) > 40_000 and len(sources["Dictionary"][1]) > 10_000
    for name, (_kind, src) in sources.items():
        assert normalise(modules[name]) == normalise(src), name
    assert normalise(modules["CchcRibbon"]) == normalise(RIBBON_BAS_PATH.read_text(encoding="ascii"))
    assert xlwings_vba_version(modules["xlwings"]) == xlwings.__version__


def test_document_modules_follow_code_names(vba_bin):
    modules = read_vba_modules(vba_bin)
    for name in ("ThisWorkbook", "Sheet1", "Sheet2", "Sheet3"):
        assert f'Attribute VB_Name = "{name}"' in modules[name]
    assert "00020819-0000-0000-C000-000000000046" in modules["ThisWorkbook"]
    assert "00020820-0000-0000-C000-000000000046" in modules["Sheet2"]


def test_vba_sources_are_ascii():
    for _name, (_kind, src) in vba_sources().items():
        src.encode("ascii")
    for path in RIBBON_BAS_PATH.parent.glob("*.*"):
        path.read_bytes().decode("ascii")


def test_build_is_deterministic_across_processes(vba_bin):
    code = ("import sys, hashlib; from cchc_xl.excel.vba import build_vba_project; "
            "sys.stdout.write(hashlib.sha256(build_vba_project(['Sheet1','Sheet2','Sheet3'])).hexdigest())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout
    import hashlib

    assert other == hashlib.sha256(vba_bin).hexdigest()
    assert build_vba_project(["Sheet1", "Sheet2", "Sheet3"]) == vba_bin


def test_duplicate_code_names_refused():
    with pytest.raises(ValueError):
        build_vba_project(["Sheet1", "sheet1"])


def _check_workbook(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "xl/vbaProject.bin" in names
        types = z.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "application/vnd.ms-office.vbaProject" in types
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        assert "relationships/vbaProject" in rels
        workbook = z.read("xl/workbook.xml").decode()
        assert re.search(r'<workbookPr\b[^>]*codeName="ThisWorkbook"', workbook)
    modules = read_vba_modules(path)
    sources = vba_sources()
    for name, (_kind, src) in sources.items():
        assert normalise(modules[name]) == normalise(src), name
    assert xlwings_vba_version(modules["xlwings"]) == xlwings.__version__


def test_built_workbook_carries_the_vba_project(excel_workbook):
    _check_workbook(excel_workbook)


@pytest.mark.skipif(not COMMITTED_WORKBOOK.exists(), reason="workbook/CCHC_2024.xlsm not built yet")
def test_committed_workbook_carries_the_vba_project():
    _check_workbook(COMMITTED_WORKBOOK)
