"""The ``xlwings.conf`` sheet: what the build writes into the workbook and what ``setup-excel`` fills in.

How xlwings reads it (``xlwings.bas``, ``GetConfigFromSheet``/``GetConfig``): a worksheet named exactly
``xlwings.conf``; keys in column A from A1 down to the first blank cell (``End(xlDown)``), values in
column B, **no header row**; keys are compared upper-cased (``INTERPRETER_WIN``, ``CONDA PATH``, ``SHOW
CONSOLE`` …). A key present in the sheet wins over the user/directory ``xlwings.conf`` files; an *empty*
value cell reads as Empty, which xlwings treats as "not set" for the interpreter (it then falls back to
``python`` on PATH) and as False for the flags. The sheet may be hidden: VBA reads hidden sheets.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from ..schema import SHEET_XLWINGS_CONF

__all__ = [
    "XLWINGS_CONF_DEFAULTS",
    "CONF_SHEET",
    "add_conf_sheet",
    "interpreter_for_excel",
    "setup_excel",
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


def interpreter_for_excel() -> str:
    """The interpreter xlwings should start: this one (``sys.executable``).

    On Windows xlwings' RunPython runs ``cmd.exe /C python.exe -c …`` in a hidden window and redirects
    stderr into its error dialog, so ``python.exe`` is right (``pythonw.exe`` is only an option for the UDF
    server, see :func:`checklist`).
    """
    return str(Path(sys.executable).resolve()) if sys.executable else "python"


# ---------------------------------------------------------------------------------------------------------
# setup-excel
# ---------------------------------------------------------------------------------------------------------

def _open_package(path: Path):
    from ..io.ooxml import Package  # noqa: PLC0415 - the surgical writer (cchc_xl/io/ooxml/)

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


def setup_excel(path: str | os.PathLike, interpreter: str | None = None) -> str:
    """Write this interpreter into the workbook's ``xlwings.conf`` sheet and return a Vietnamese checklist.

    The file is changed with the project's surgical writer (a timestamped backup is kept beside it).
    """
    from ..errors import WorkbookError  # noqa: PLC0415

    target = Path(path)
    if not target.is_file():
        raise WorkbookError(f"Không tìm thấy tệp '{target}'.")
    interpreter = interpreter or interpreter_for_excel()
    key = "Interpreter_Mac" if sys.platform == "darwin" else "Interpreter_Win"
    from ..io.writelock import writer_lock  # noqa: PLC0415

    with writer_lock(target):   # one writer at a time: read, change, save under the workbook's lock
        pkg = _open_package(target)
        try:
            existing = _sheet_rows(pkg, CONF_SHEET)
        except KeyError:
            raise WorkbookError(
                f"Sổ '{target.name}' không có trang '{CONF_SHEET}'; hãy dùng sổ do cchc-xl tạo ra.") from None
        pkg.set_cells(CONF_SHEET, conf_updates(existing, {key: interpreter}))
        pkg.save(target, backup=True)
    return checklist(target, interpreter)


def _workbook_xlwings_version(path: Path) -> str | None:
    try:
        from .vba import read_vba_modules, xlwings_vba_version  # noqa: PLC0415

        return xlwings_vba_version(read_vba_modules(path).get("xlwings", ""))
    except Exception:  # noqa: BLE001 - a report line, not a failure
        return None


def checklist(path: Path, interpreter: str) -> str:
    """The Vietnamese checklist printed by ``cchc-xl setup-excel``."""
    ok, bad = "[x]", "[ ]"
    lines = [f"Đã ghi Python vào trang '{CONF_SHEET}' của '{path.name}':", f"    {interpreter}", ""]
    lines.append("Kiểm tra:")
    lines.append(f"  {ok} Python {platform.python_version()} ({sys.executable})")
    try:
        import xlwings  # noqa: PLC0415

        xw_version: str | None = xlwings.__version__
    except Exception as exc:  # noqa: BLE001
        xw_version = None
        lines.append(f"  {bad} Không nạp được xlwings: {exc}. Chạy: pip install \"xlwings==0.33.22\"")
    book_version = _workbook_xlwings_version(path)
    if xw_version and book_version == xw_version:
        lines.append(f"  {ok} xlwings {xw_version} khớp với XLWINGS_VERSION trong VBA của sổ")
    elif xw_version:
        lines.append(f"  {bad} xlwings đã cài là {xw_version} nhưng VBA của sổ là {book_version or 'không rõ'}: "
                     f"cài đúng phiên bản (pip install \"xlwings=={book_version}\") hoặc dùng sổ mới tạo lại.")
    for module in ("cchc_xl.excel.entry", "cchc_xl.excel.udfs"):
        try:
            __import__(module)
            lines.append(f"  {ok} Nạp được {module}")
        except Exception as exc:  # noqa: BLE001
            lines.append(f"  {bad} Không nạp được {module}: {exc}")
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
    return "\n".join(lines)
