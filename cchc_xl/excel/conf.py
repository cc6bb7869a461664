"""The ``xlwings.conf`` sheet: what the build writes into the workbook and what ``setup-excel`` fills in.

How xlwings reads it (``xlwings.bas``, ``GetConfigFromSheet``/``GetConfig``): a worksheet named exactly
``xlwings.conf``; keys in column A from A1 down to the first blank cell (``End(xlDown)``), values in
column B, **no header row**; keys are compared upper-cased (``INTERPRETER_WIN``, ``CONDA PATH``, ``SHOW
CONSOLE`` …). A key present in the sheet wins over the user/directory ``xlwings.conf`` files; an *empty*
value cell reads as Empty, which xlwings treats as "not set" for the interpreter (it then falls back to
``python`` on PATH) and as False for the flags. The sheet may be hidden: VBA reads hidden sheets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..schema import SHEET_XLWINGS_CONF

__all__ = [
    "XLWINGS_CONF_DEFAULTS",
    "CONF_SHEET",
    "add_conf_sheet",
    "interpreter_for_excel",
    "windows_short_path",
    "probe_interpreter",
    "Probe",
    "SetupResult",
    "setup_excel",
    "workbook_xlwings_version",
    "checklist",
]

CONF_SHEET = SHEET_XLWINGS_CONF  # "xlwings.conf"

#: Rows of the sheet (column A key, column B value), in the order of xlwings' own quickstart sheet.
#: ``None`` = empty cell. Keys are the spellings of the quickstart; xlwings upper-cases them.
XLWINGS_CONF_DEFAULTS: list[tuple[str, object]] = [
    ("Interpreter_Win", None),  # setup-excel writes sys.executable here
    ("Interpreter_Mac", None),  # setup-excel writes sys.executable here on a Mac
    ("PYTHONPATH", None),
    ("Conda Path", None),
    ("Conda Env", None),
    ("UDF Modules", "cchc_xl.excel.udfs"),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
]

_NOTE = [
    "Trang cấu hình của xlwings (đọc từ ô A1 xuống đến ô trống đầu tiên: cột A = khóa, cột B = giá trị).",
    "Không chèn dòng trống hay tiêu đề vào cột A. Lệnh 'cchc-xl setup-excel SỔ.xlsm' ghi đường dẫn Python.",
    "Interpreter_Win để trống = dùng 'python' trong PATH của Windows.",
]


def add_conf_sheet(workbook, hidden: bool = True):
    """Add the ``xlwings.conf`` worksheet to an XlsxWriter workbook and return it.

    Call it after the visible sheets (a hidden sheet cannot be the active one). The build must not put
    anything else in column A of this sheet.
    """
    ws = workbook.add_worksheet(CONF_SHEET)
    key_fmt = workbook.add_format({"bold": True})
    note_fmt = workbook.add_format({"italic": True, "font_color": "#595959"})
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 60)
    ws.set_column(3, 3, 100)
    for row, (key, value) in enumerate(XLWINGS_CONF_DEFAULTS):
        ws.write_string(row, 0, key, key_fmt)
        if isinstance(value, bool):
            ws.write_boolean(row, 1, value)
        elif value is not None:
            ws.write_string(row, 1, str(value))
    for row, text in enumerate(_NOTE):
        ws.write_string(row, 3, text, note_fmt)
    if hidden:
        ws.hide()
    return ws


# ---------------------------------------------------------------------------------------------------------
# setup-excel
# ---------------------------------------------------------------------------------------------------------

def _open_package(path: Path):
    from ..io.ooxml import Package  # the surgical writer (cchc_xl/io/ooxml/)

    opener = getattr(Package, "open", None)
    return opener(path) if callable(opener) else Package(path)


def _sheet_rows(pkg, sheet: str) -> dict[tuple[int, int], object]:
    """``{(row, col): value}`` (1-based) of a sheet, from whatever shape ``read_sheet`` returns."""
    data = pkg.read_sheet(sheet)
    cells = getattr(data, "cells", data)
    out: dict[tuple[int, int], object] = {}
    if isinstance(cells, dict):
        for (r, c), v in cells.items():
            out[(r, c)] = getattr(v, "value", v)
    else:  # a list of rows
        for r, row in enumerate(cells, start=1):
            for c, v in enumerate(row, start=1):
                out[(r, c)] = getattr(v, "value", v)
    return out


def conf_updates(existing: dict[tuple[int, int], object], settings: dict[str, object]) -> dict[tuple[int, int], object]:
    """Cells to write so that each key of ``settings`` has its value, keeping the A-column block contiguous.

    A key already present (case-insensitive) is updated in place; a new key goes to the first empty row of
    column A (where xlwings stops reading).
    """
    rows: dict[str, int] = {}
    r = 1
    while existing.get((r, 1)) not in (None, ""):
        rows.setdefault(str(existing[(r, 1)]).strip().upper(), r)
        r += 1
    next_row = r
    out: dict[tuple[int, int], object] = {}
    for key, value in settings.items():
        row = rows.get(key.upper())
        if row is None:
            row = next_row
            next_row += 1
            out[(row, 1)] = key
        out[(row, 2)] = value
    return out


def interpreter_for_excel(executable: str | None = None, platform: str = sys.platform,
                          short_path: Callable[[str], str | None] | None = None) -> str:
    r"""The interpreter xlwings should start: the one running now, exactly as it was started.

    ``sys.executable`` is NOT resolved: in a virtual environment it is the environment's ``python`` (a symlink
    on Linux/macOS, a launcher on Windows) whose ``sys.prefix`` holds the installed packages; the file it points
    to is the base interpreter, which cannot import ``cchc_xl``. On Windows xlwings' RunPython runs
    ``cmd.exe /C python.exe -c …`` in a hidden window, so ``python.exe`` is right (not ``pythonw.exe``).

    On Windows xlwings' VBA handles the path with ANSI functions, so a path with Vietnamese letters
    (``C:\Users\Nguyễn…``) fails: it is replaced by its 8.3 short path (``GetShortPathNameW``; ``short_path`` is
    injectable for tests). When the volume keeps no short names, a :class:`~cchc_xl.errors.CchcError` says how
    to fix it in one Vietnamese sentence.

    >>> interpreter_for_excel("/srv/venv/bin/python", "linux")
    '/srv/venv/bin/python'
    >>> interpreter_for_excel(r"C:\Users\Nguyễn\py\python.exe", "win32", lambda p: r"C:\Users\NGUYN~1\py\python.exe")
    'C:\\Users\\NGUYN~1\\py\\python.exe'
    """
    path = executable if executable is not None else sys.executable
    if not path:
        return "python"
    if platform != "win32" or path.isascii():
        return path
    short = (short_path or windows_short_path)(path)
    if short and short.isascii():
        return short
    from ..errors import CchcError

    raise CchcError(
        f"Đường dẫn Python '{path}' có chữ có dấu mà xlwings trong Excel không đọc được, và ổ đĩa không có tên "
        "ngắn (8.3) thay thế: hãy tạo môi trường ở một thư mục không dấu (ví dụ: python -m venv C:\\cchc\\venv, "
        "rồi C:\\cchc\\venv\\Scripts\\python -m pip install <thư mục cchc-xl>) và chạy lại lệnh này bằng Python "
        "đó (C:\\cchc\\venv\\Scripts\\cchc-xl setup-excel <tệp sổ>).")


def windows_short_path(path: str) -> str | None:
    """The 8.3 short form of an existing ``path`` (``GetShortPathNameW``), or None (not Windows, no short name)."""
    if sys.platform != "win32":
        return None
    import ctypes
    from ctypes import wintypes

    get = ctypes.windll.kernel32.GetShortPathNameW
    get.argtypes = [wintypes.LPCWSTR, wintypes.LPWSTR, wintypes.DWORD]
    get.restype = wintypes.DWORD
    size = get(path, None, 0)
    if not size:
        return None
    buffer = ctypes.create_unicode_buffer(size)
    return buffer.value if get(path, buffer, size) else None


# The probe the written interpreter runs: what RunPython will need, imported as Excel will import it.
_PROBE = r"""
import importlib, json, platform, sys
sys.path[:0] = json.loads(sys.argv[1])
out = {"python": platform.python_version(), "executable": sys.executable}
for key, name in (("xlwings", "xlwings"), ("cchc_xl", "cchc_xl"), ("entry", "cchc_xl.excel.entry"),
                  ("udfs", "cchc_xl.excel.udfs")):
    try:
        module = importlib.import_module(name)
        out[key] = {"ok": True, "version": getattr(module, "__version__", None), "file": module.__file__}
    except BaseException as exc:
        out[key] = {"ok": False, "error": (type(exc).__name__ + ": " + str(exc))[:300]}
print("CCHC-PROBE " + json.dumps(out))
"""


@dataclass
class Probe:
    """What the written interpreter reported: ``error`` when it could not run at all; else ``python`` (its
    version) and per import (``xlwings``, ``cchc_xl``, ``entry``, ``udfs``) ``{"ok", "version"|"error"}``."""

    error: str | None = None
    python: str | None = None
    imports: dict[str, dict] = field(default_factory=dict)

    def imported(self, key: str) -> bool:
        return bool(self.imports.get(key, {}).get("ok"))


def probe_interpreter(interpreter: str, sys_path: Sequence[str] = (), timeout: float = 120.0) -> Probe:
    """Run ``interpreter`` as xlwings' RunPython will: ``python -B -c …`` from the interpreter's folder (its
    VBA ``cd``s there), without this process's ``PYTHONPATH``/``PYTHONHOME``, with ``sys_path`` (the workbook's
    folder and the conf sheet's ``PYTHONPATH``, which ``xlwings.utils.prepare_sys_path`` adds) in front."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONIOENCODING"] = "utf-8"
    folder = Path(interpreter).parent
    try:
        r = subprocess.run([interpreter, "-B", "-c", _PROBE, json.dumps(list(sys_path))], capture_output=True,
                           timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                           cwd=folder if folder.is_dir() else None)
    except (OSError, subprocess.SubprocessError) as exc:
        return Probe(error=f"{type(exc).__name__}: {exc}")
    lines = [ln for ln in r.stdout.decode("utf-8", "replace").splitlines() if ln.startswith("CCHC-PROBE ")]
    if r.returncode != 0 or not lines:
        detail = r.stderr.decode("utf-8", "replace").strip().splitlines()
        return Probe(error=f"mã thoát {r.returncode}" + (f": {detail[-1]}" if detail else ""))
    data = json.loads(lines[-1][len("CCHC-PROBE "):])
    return Probe(python=data.get("python"), imports={k: v for k, v in data.items() if isinstance(v, dict)})


@dataclass
class SetupResult:
    """``text``: the Vietnamese checklist; ``ok``: every check passed (each ``[x]`` was verified by running the
    written interpreter)."""

    text: str
    ok: bool
    interpreter: str


def _conf_python_path(existing: dict[tuple[int, int], object]) -> list[str]:
    r = 1
    while existing.get((r, 1)) not in (None, ""):
        if str(existing[(r, 1)]).strip().upper() == "PYTHONPATH":
            value = existing.get((r, 2))
            return [p for p in str(value or "").split(";") if p.strip()]
        r += 1
    return []


def setup_excel(path: str | os.PathLike, interpreter: str | None = None, *, platform: str = sys.platform,
                short_path: Callable[[str], str | None] | None = None,
                probe: Callable[..., Probe] = probe_interpreter) -> SetupResult:
    """Write the interpreter into the workbook's ``xlwings.conf`` sheet, then run THAT interpreter to prove it
    imports ``cchc_xl`` and the ``xlwings`` of the workbook's VBA; return the checklist.

    ``interpreter`` defaults to :func:`interpreter_for_excel` (this Python, unresolved; its 8.3 form on Windows
    when the path has Vietnamese letters). The file is changed with the project's surgical writer (a
    timestamped backup is kept beside it). ``platform`` picks the key (``Interpreter_Win`` /
    ``Interpreter_Mac``) and the Windows path rule; ``short_path`` and ``probe`` are injectable for tests.
    """
    from ..errors import WorkbookError

    target = Path(path)
    if not target.is_file():
        raise WorkbookError(f"Không tìm thấy tệp '{target}'.")
    interpreter = interpreter or interpreter_for_excel(platform=platform, short_path=short_path)
    key = "Interpreter_Mac" if platform == "darwin" else "Interpreter_Win"
    from ..io.writelock import writer_lock

    with writer_lock(target):   # one writer at a time: read, change, save under the workbook's lock
        pkg = _open_package(target)
        try:
            existing = _sheet_rows(pkg, CONF_SHEET)
        except KeyError:
            raise WorkbookError(
                f"Sổ '{target.name}' không có trang '{CONF_SHEET}'; hãy dùng sổ do cchc-xl tạo ra.") from None
        pkg.set_cells(CONF_SHEET, conf_updates(existing, {key: interpreter}))
        pkg.save(target, backup=True)
    found = probe(interpreter, [str(target.resolve().parent), *_conf_python_path(existing)])
    text, ok = checklist(target, interpreter, found, workbook_xlwings_version(target))
    return SetupResult(text, ok, interpreter)


def workbook_xlwings_version(path: Path) -> str | None:
    """``XLWINGS_VERSION`` of the workbook's ``xlwings`` VBA module (read with pyopenvba), or None."""
    try:
        from pyopenvba import ExcelFile

        from .vba import xlwings_vba_version

        with ExcelFile(path) as book:
            return xlwings_vba_version(book.get_module("xlwings"))
    except Exception:  # noqa: BLE001 - no project, no module: the checklist says "không rõ"
        return None


def checklist(path: Path, interpreter: str, found: Probe, book_version: str | None) -> tuple[str, bool]:
    """The Vietnamese checklist printed by ``cchc-xl setup-excel`` and whether every line is ticked. A line
    is ticked only from what the written interpreter itself reported."""
    ok, bad = "[x]", "[ ]"
    lines = [f"Đã ghi Python vào trang '{CONF_SHEET}' của '{path.name}':", f"    {interpreter}", ""]
    lines.append("Kiểm tra (bằng chính Python vừa ghi, như Excel sẽ chạy nó):")
    checks: list[bool] = []

    def line(passed: bool, text: str) -> None:
        checks.append(passed)
        lines.append(f"  {ok if passed else bad} {text}")

    if found.error:
        line(False, f"Không chạy được Python đã ghi ({found.error}). Chạy lại lệnh này bằng đúng Python đã cài "
                    "cchc-xl (ví dụ: <thư mục môi trường>\\Scripts\\cchc-xl setup-excel <tệp sổ>).")
    else:
        line(True, f"Chạy được Python {found.python}")
        xw = found.imports.get("xlwings", {})
        if not xw.get("ok"):
            line(False, f"Python đó không nạp được xlwings ({xw.get('error', '?')}): "
                        f"chạy \"{interpreter}\" -m pip install \"xlwings=={book_version or '0.33.22'}\"")
        elif book_version and xw.get("version") == book_version:
            line(True, f"xlwings {xw['version']} khớp với XLWINGS_VERSION trong VBA của sổ")
        else:
            line(False, f"xlwings của Python đó là {xw.get('version')} nhưng VBA của sổ là "
                        f"{book_version or 'không rõ'}: chạy \"{interpreter}\" -m pip install "
                        f"\"xlwings=={book_version}\" hoặc dùng sổ mới tạo lại.")
        for key, module in (("cchc_xl", "cchc_xl"), ("entry", "cchc_xl.excel.entry"), ("udfs", "cchc_xl.excel.udfs")):
            result = found.imports.get(key, {})
            if result.get("ok"):
                line(True, f"Python đó nạp được {module}")
            else:
                line(False, f"Python đó không nạp được {module} ({result.get('error', '?')}): cài cchc-xl vào "
                            f"đúng Python này (\"{interpreter}\" -m pip install <thư mục cchc-xl>) hoặc điền "
                            "thư mục mã nguồn vào dòng PYTHONPATH của trang xlwings.conf.")
    all_ok = all(checks)
    if not all_ok:
        lines += ["", "CHƯA XONG: sửa các dòng [ ] ở trên rồi chạy lại lệnh này; các nút CCHC trong Excel sẽ "
                  "báo lỗi cho đến khi mọi dòng là [x]."]
    lines += [
        "",
        "Trong Excel:",
        "  1. Nếu tệp tải từ Internet/thư điện tử: chuột phải tệp > Properties > đánh dấu 'Unblock' > OK",
        "     (nếu không, Excel chặn macro và không hiện tab CCHC).",
        "  2. Mở sổ, bấm 'Enable Content' (Bật nội dung) trên thanh vàng để cho phép macro.",
        f"  3. Nên thêm thư mục '{path.resolve().parent}' vào File > Options > Trust Center >",
        "     Trust Center Settings > Trusted Locations để không phải bật macro mỗi lần.",
        "  4. KHÔNG cần bật 'Trust access to the VBA project object model'.",
        "  5. Không cần cài add-in xlwings: mô-đun VBA xlwings đã có sẵn trong sổ.",
        "",
        "Lỗi thường gặp:",
        "  - 'Could not find Interpreter!': đường dẫn Python trong trang xlwings.conf sai (đã đổi máy hoặc",
        "    cài lại Python) → chạy lại: cchc-xl setup-excel <tệp sổ>.",
        "  - 'ModuleNotFoundError: No module named cchc_xl': cài gói vào đúng Python đã ghi ở trên",
        "    (python -m pip install ...), hoặc điền thư mục mã nguồn vào dòng PYTHONPATH.",
        "  - Hộp thoại báo khác phiên bản xlwings: xem dòng kiểm tra xlwings ở trên.",
        "  - Tab CCHC không hiện: macro đang bị chặn (bước 1-2) hoặc tệp được lưu lại dưới dạng .xlsx.",
    ]
    return "\n".join(lines), all_ok
