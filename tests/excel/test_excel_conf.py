"""The xlwings.conf sheet: what the build adds and what `cchc-xl setup-excel` writes."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
import xlwings

from cchc_xl.errors import WorkbookError
from cchc_xl.excel.conf import (CONF_SHEET, XLWINGS_CONF_DEFAULTS, add_conf_sheet, conf_updates,
                                interpreter_for_excel, setup_excel)
from cchc_xl.excel.vba import build_vba_project
from cchc_xl.io.ooxml import Package

XLWINGS_BAS = (Path(xlwings.__file__).parent / "xlwings.bas").read_text(encoding="ascii")


def _book(path: Path, with_conf: bool = True) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Hướng dẫn").write("A1", "Xin chào")
    if with_conf:
        add_conf_sheet(wb)
    wb.add_vba_project(io.BytesIO(build_vba_project(["Sheet1", "Sheet2"])), is_stream=True)
    wb.close()
    return path


def test_every_default_key_is_one_xlwings_reads():
    read = {k.upper() for k in re.findall(r'GetConfig\("([^"]+)"', XLWINGS_BAS)}
    for key, _ in XLWINGS_CONF_DEFAULTS:
        assert key.upper() in read, key
    assert 'PROJECT_NAME & ".conf"' in XLWINGS_BAS and 'Range("A1").End(xlDown)' in XLWINGS_BAS


def test_conf_sheet_layout(tmp_path):
    path = _book(tmp_path / "b.xlsm")
    pkg = Package.open(path)
    assert CONF_SHEET in pkg.sheet_names() and pkg.sheet_state(CONF_SHEET) == "hidden"
    cells = pkg.read_sheet(CONF_SHEET).cells
    keys = [cells[(r, 1)].value for r in range(1, len(XLWINGS_CONF_DEFAULTS) + 1)]
    assert keys == [k for k, _ in XLWINGS_CONF_DEFAULTS]
    assert (len(XLWINGS_CONF_DEFAULTS) + 1, 1) not in cells  # the block ends where xlwings stops reading
    assert cells[(6, 2)].value == "cchc_xl.excel.udfs" and cells[(9, 2)].value is False
    assert (1, 2) not in cells or cells[(1, 2)].value is None  # interpreter left to setup-excel


def test_conf_updates_in_place_and_append():
    existing = {(1, 1): "Interpreter_Win", (2, 1): "PYTHONPATH", (2, 2): "x"}
    assert conf_updates(existing, {"INTERPRETER_WIN": "C:/py.exe"}) == {(1, 2): "C:/py.exe"}
    assert conf_updates(existing, {"Show Console": True}) == {(3, 1): "Show Console", (3, 2): True}


def test_setup_excel_writes_interpreter_and_returns_checklist(tmp_path):
    path = _book(tmp_path / "So CCHC.xlsm")
    before = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()}
    text = setup_excel(path, interpreter=r"C:\Python311\python.exe")
    cells = Package.open(path).read_sheet(CONF_SHEET).cells
    key = "Interpreter_Mac" if sys.platform == "darwin" else "Interpreter_Win"
    row = next(r for (r, c), cell in cells.items() if c == 1 and cell.value == key)
    assert cells[(row, 2)].value == r"C:\Python311\python.exe"
    assert f"xlwings {xlwings.__version__} khớp với XLWINGS_VERSION" in text
    assert "Enable Content" in text and "Trusted Locations" in text and "Unblock" in text
    assert "Could not find Interpreter!" in text and "KHÔNG cần" in text
    after = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()}
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]  # surgical: the VBA is untouched
    assert list(tmp_path.glob("So CCHC.bak-*.xlsm"))  # a backup beside it


def test_setup_excel_defaults_to_this_interpreter(tmp_path):
    path = _book(tmp_path / "b.xlsm")
    setup_excel(path)
    values = {c.value for (r, col), c in Package.open(path).read_sheet(CONF_SHEET).cells.items() if col == 2}
    assert interpreter_for_excel() in values


def test_setup_excel_refuses_a_workbook_without_conf_sheet(tmp_path):
    path = _book(tmp_path / "b.xlsm", with_conf=False)
    with pytest.raises(WorkbookError, match="xlwings.conf"):
        setup_excel(path)
    with pytest.raises(WorkbookError):
        setup_excel(tmp_path / "khong_co.xlsm")


def test_setup_excel_reports_version_mismatch(tmp_path, monkeypatch):
    path = _book(tmp_path / "b.xlsm")
    monkeypatch.setattr(xlwings, "__version__", "0.0.1")
    text = setup_excel(path, interpreter="python")
    assert "[ ] xlwings đã cài là 0.0.1" in text and "0.33.22" in text
