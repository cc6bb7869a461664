"""The xlwings.conf sheet: what the build adds and what `cchc-xl setup-excel` writes."""

from __future__ import annotations

import io
import os
import re
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
import xlwings

from cchc_xl.errors import CchcError, WorkbookError
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


def _conf_value(path: Path, key: str):
    cells = Package.open(path).read_sheet(CONF_SHEET).cells
    row = next(r for (r, c), cell in cells.items() if c == 1 and str(cell.value).upper() == key.upper())
    cell = cells.get((row, 2))
    return cell.value if cell is not None else None


KEY = "Interpreter_Mac" if sys.platform == "darwin" else "Interpreter_Win"


def test_setup_excel_writes_this_python_runs_it_and_ticks(tmp_path):
    path = _book(tmp_path / "So CCHC.xlsm")
    before = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()}
    result = setup_excel(path)
    assert result.interpreter == sys.executable == _conf_value(path, KEY)  # as it runs: not resolved
    assert result.ok, result.text
    assert "[ ]" not in result.text and "CHƯA XONG" not in result.text
    assert f"[x] xlwings {xlwings.__version__} khớp với XLWINGS_VERSION" in result.text
    assert "[x] Python đó nạp được cchc_xl.excel.entry" in result.text
    assert "Enable Content" in result.text and "Trusted Locations" in result.text and "Unblock" in result.text
    after = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()}
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]  # surgical: the VBA is untouched
    assert list(tmp_path.glob("So CCHC.bak-*.xlsm"))  # a backup beside it


def test_an_interpreter_that_does_not_run_is_written_but_not_ticked(tmp_path):
    path = _book(tmp_path / "b.xlsm")
    result = setup_excel(path, interpreter=str(tmp_path / "khong_co" / "python.exe"))
    assert _conf_value(path, KEY) == str(tmp_path / "khong_co" / "python.exe")
    assert not result.ok and "  [x] " not in result.text
    assert "[ ] Không chạy được Python đã ghi" in result.text and "CHƯA XONG" in result.text


def test_version_mismatch_seen_by_the_written_python(tmp_path):
    """The PYTHONPATH row of xlwings.conf (which xlwings puts first on sys.path) brings an xlwings 0.0.1: the
    written Python imports that one, and the check says so — as Excel would meet it."""
    fake = tmp_path / "fake"
    (fake / "xlwings").mkdir(parents=True)
    (fake / "xlwings" / "__init__.py").write_text('__version__ = "0.0.1"\n', encoding="utf-8")
    path = _book(tmp_path / "b.xlsm")
    pkg = Package.open(path)
    existing = {rc: cell.value for rc, cell in pkg.read_sheet(CONF_SHEET).cells.items()}
    pkg.set_cells(CONF_SHEET, conf_updates(existing, {"PYTHONPATH": str(fake)}))
    pkg.save(path, backup=False)
    result = setup_excel(path)
    assert not result.ok
    assert "[ ] xlwings của Python đó là 0.0.1 nhưng VBA của sổ là 0.33.22" in result.text


def test_setup_excel_defaults_to_this_interpreter(tmp_path):
    path = _book(tmp_path / "b.xlsm")
    setup_excel(path)
    assert _conf_value(path, KEY) == interpreter_for_excel()


def test_setup_excel_refuses_a_workbook_without_conf_sheet(tmp_path):
    path = _book(tmp_path / "b.xlsm", with_conf=False)
    with pytest.raises(WorkbookError, match="xlwings.conf"):
        setup_excel(path)
    with pytest.raises(WorkbookError):
        setup_excel(tmp_path / "khong_co.xlsm")


# --- a real virtual environment -----------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def _venv(where: Path, inherit: bool = True) -> Path:
    """A real virtual environment made by this interpreter (``venv --without-pip``). ``inherit``: it also sees the
    packages of the environment running the tests — a ``.pth`` file in it adds their folders (``site.addsitedir``,
    so their own ``.pth`` files, an editable install's among them, are read too). ``--system-site-packages`` would
    not do: from inside a virtual environment it reaches the base interpreter's packages, not this environment's
    (no lxml, no cchc-xl), so the tests would pass only where the project is installed into the base interpreter."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, capture_output=True)
    python = where / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if inherit:
        purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                 check=True, capture_output=True, text=True).stdout.strip()
        folders = [d for d in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(d)]
        Path(purelib, "zz_tests_parent_environment.pth").write_text(
            "import site; " + "; ".join(f"site.addsitedir({d!r})" for d in folders) + "\n", encoding="utf-8")
    return python


def _setup_with(python: Path, workbook: Path, code: str | None = None) -> subprocess.CompletedProcess:
    """Run setup-excel with ``python`` (this checkout's code on PYTHONPATH, as after `pip install -e .`)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8")
    cmd = [str(python), "-c", code] if code else [str(python), "-m", "cchc_xl.cli", "setup-excel", str(workbook)]
    return subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=env, timeout=300)


def test_a_venv_python_is_written_as_is_and_imports_the_project(tmp_path):
    python = _venv(tmp_path / "venv")
    assert python.resolve() != python  # the venv's python is a link to the base interpreter
    path = _book(tmp_path / "b.xlsm")
    r = _setup_with(python, path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert _conf_value(path, KEY) == str(python)  # the venv's python, not the base it points to
    assert "[ ]" not in r.stdout and f"[x] xlwings {xlwings.__version__} khớp" in r.stdout
    # what Excel will do: start the written interpreter, without this shell's PYTHONPATH
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    check = subprocess.run([_conf_value(path, KEY), "-c", "import sys, cchc_xl.excel.entry, xlwings; "
                            "print(sys.prefix, xlwings.__version__)"], capture_output=True, text=True, env=env)
    assert check.returncode == 0 and check.stdout.split() == [str(tmp_path / "venv"), xlwings.__version__]


def test_a_python_that_cannot_import_the_project_is_not_ticked(tmp_path):
    """The written Python runs but has neither cchc_xl nor xlwings (a venv without the project): those lines
    stay [ ] — the old checklist ticked every line from the Python running setup-excel."""
    python = _venv(tmp_path / "bare", inherit=False)
    path = _book(tmp_path / "b.xlsm")
    result = setup_excel(path, interpreter=str(python))
    assert not result.ok and _conf_value(path, KEY) == str(python)
    assert "[x] Chạy được Python" in result.text
    assert "[ ] Python đó không nạp được xlwings" in result.text
    assert "[ ] Python đó không nạp được cchc_xl (ModuleNotFoundError" in result.text and "CHƯA XONG" in result.text


def test_windows_vietnamese_user_folder_gets_the_short_path(tmp_path):
    """The Windows branch with a short-path function injected: the interpreter lives under a folder with
    Vietnamese letters; its 8.3 name (here an ASCII link to the same folder) is written, and the written path
    really runs and imports the project."""
    home = tmp_path / "Users" / "Nguyễn Văn Ánh"
    python = _venv(home / "venv")
    short_home = tmp_path / "Users" / "NGUYNV~1"
    short_home.symlink_to(home, target_is_directory=True)
    path = _book(tmp_path / "b.xlsm")
    code = ("import sys; from pathlib import Path; from cchc_xl.excel.conf import setup_excel; "
            f"r = setup_excel(Path({str(path)!r}), platform='win32', "
            f"short_path=lambda p: p.replace({str(home)!r}, {str(short_home)!r})); "
            "print(r.ok); print(r.interpreter)")
    r = _setup_with(python, path, code)
    ok, written = r.stdout.strip().splitlines()[-2:]
    assert ok == "True", r.stdout + r.stderr
    assert written == str(short_home / "venv" / "bin" / "python") and written.isascii()
    assert _conf_value(path, "Interpreter_Win") == written


def test_windows_path_without_short_name_is_one_vietnamese_sentence(tmp_path, monkeypatch):
    path = _book(tmp_path / "b.xlsm")
    before = path.read_bytes()
    monkeypatch.setattr(sys, "executable", r"C:\Users\Nguyễn Văn Ánh\venv\Scripts\python.exe")
    with pytest.raises(CchcError) as info:
        setup_excel(path, platform="win32", short_path=lambda p: None)
    message = str(info.value)
    assert "Nguyễn Văn Ánh" in message and "thư mục không dấu" in message and "\n" not in message
    assert path.read_bytes() == before  # nothing written
    with pytest.raises(CchcError):  # a "short" name that still has diacritics is no fix either
        interpreter_for_excel(r"C:\Users\Nguyễn\python.exe", "win32", lambda p: p)
    assert interpreter_for_excel(r"C:\Python311\python.exe", "win32", lambda p: None) == r"C:\Python311\python.exe"
