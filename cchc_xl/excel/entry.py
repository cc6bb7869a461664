"""Ribbon entry points: thin wrappers that run the engine over ``xw.Book.caller()`` through :class:`XwBook`.

Each function takes an optional ``book`` (an ``xlwings.Book``; tests pass ``xw.Book(json=payload)``) and
returns the engine's result, or None after an error. Errors never escape into xlwings' traceback popup:

* a :class:`~cchc_xl.errors.CchcError` (a user mistake) → a Vietnamese message box naming sheet/row/column;
* anything else → a short Vietnamese message box + the traceback written to a log file whose path the
  message gives (``%LOCALAPPDATA%\\cchc-xl\\logs`` on Windows, ``~/.cchc-xl/logs`` elsewhere,
  ``CCHC_XL_LOG_DIR`` overrides).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import CchcError
from .xw_book import XwBook

__all__ = [
    "refresh_all",
    "compute_indicators",
    "flag_overdue",
    "build_report_q1",
    "build_report_h1",
    "build_report_q3",
    "build_report_year",
    "import_dossiers",
    "check_data",
    "log_dir",
    "MAX_PROBLEMS_SHOWN",
]

MAX_PROBLEMS_SHOWN = 10
_TITLE = "CCHC"


def log_dir() -> Path:
    override = os.environ.get("CCHC_XL_LOG_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "cchc-xl" / "logs"
    return Path.home() / ".cchc-xl" / "logs"


def _write_log(job: str, exc: BaseException) -> Path | None:
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = folder / f"cchc-xl-{stamp}.log"
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        path.write_text(f"cchc-xl: {job}\nPython {sys.version}\n\n{text}", encoding="utf-8")
        return path
    except OSError:
        return None


def _caller(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw  # noqa: PLC0415 - keep module import light for tests/tools

    return xw.Book.caller()


def _problems_text(problems: list, header: str) -> str:
    if not problems:
        return header
    lines = [header, ""]
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        lines.append("• " + (p.describe() if hasattr(p, "describe") else str(p)))
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"… và {len(problems) - MAX_PROBLEMS_SHOWN} vấn đề khác "
                     "(chạy 'cchc-xl check <tệp sổ>' để xem đầy đủ).")
    return "\n".join(lines)


def _run(job: str, book: Any, work: Callable[[XwBook], Any]) -> Any:
    """Run ``work`` over the calling book with the error policy of the module docstring."""
    xb = XwBook(_caller(book))
    try:
        return work(xb)
    except CchcError as exc:
        xb.alert(f"Không thực hiện được việc '{job}':\n{exc}", title=_TITLE, mode="critical")
    except Exception as exc:  # noqa: BLE001 - the point: nothing escapes without a log
        path = _write_log(job, exc)
        where = f"\nChi tiết lỗi đã ghi vào tệp:\n{path}" if path else ""
        xb.alert(f"Đã xảy ra lỗi không mong muốn khi '{job}' ({type(exc).__name__}). "
                 f"Sổ tính có thể chưa được cập nhật đầy đủ.{where}\n"
                 "Hãy gửi tệp này cho người phụ trách kỹ thuật.", title=_TITLE, mode="critical")
    finally:
        xb.clear_progress()
    return None


def _refresh(job: str, book: Any, *, period: str | None = None, outputs=None, done: str) -> Any:
    from .. import engine  # noqa: PLC0415

    def work(xb: XwBook):
        result = engine.refresh_book(xb, period=period, progress=xb.progress,
                                     outputs=engine.OUTPUTS_ALL if outputs is None else frozenset(outputs))
        message = done.format(period=result.period.label, as_of=f"{result.as_of:%d/%m/%Y}")
        if result.problems:
            message = _problems_text(result.problems, message + f"\n\nCó {len(result.problems)} vấn đề dữ liệu "
                                     "(các dòng lỗi được bỏ qua):")
            xb.alert(message, title=_TITLE, mode="info")
        return result

    return _run(job, book, work)


# --- the ribbon jobs (names are the RunPython targets of ribbon.RIBBON_JOBS) ---------------------------------

def refresh_all(book: Any = None):
    """Cập nhật tất cả: computed columns, indicators and the report for the current period."""
    return _refresh("Cập nhật tất cả", book, done="Đã cập nhật sổ (kỳ {period}, tính đến ngày {as_of}).")


def compute_indicators(book: Any = None):
    """Tính chỉ tiêu: only the 'Kết quả'/'Đánh giá' columns of tblChiTieu."""
    return _refresh("Tính chỉ tiêu", book, outputs={"indicators"},
                    done="Đã tính kết quả các chỉ tiêu (kỳ {period}, tính đến ngày {as_of}).")


def flag_overdue(book: Any = None):
    """Đánh dấu quá hạn: only the 'Tình trạng hạn' column of tblNhiemVu."""
    return _refresh("Đánh dấu quá hạn", book, outputs={"tasks"},
                    done="Đã đánh dấu tình trạng hạn của nhiệm vụ (tính đến ngày {as_of}).")


def _report(key: str, label: str, book: Any):
    return _refresh(f"Báo cáo {label}", book, period=key, outputs={"report"},
                    done="Đã lập trang 'Báo cáo' kỳ {period} (tính đến ngày {as_of}).")


def build_report_q1(book: Any = None):
    """Báo cáo quý I."""
    return _report("q1", "quý I", book)


def build_report_h1(book: Any = None):
    """Báo cáo 6 tháng đầu năm."""
    return _report("h1", "6 tháng", book)


def build_report_q3(book: Any = None):
    """Báo cáo quý III."""
    return _report("q3", "quý III", book)


def build_report_year(book: Any = None):
    """Báo cáo năm."""
    return _report("year", "năm", book)


def check_data(book: Any = None):
    """Kiểm tra dữ liệu: list every data problem; writes nothing. Returns the problems."""
    from .. import engine  # noqa: PLC0415

    def work(xb: XwBook):
        xb.progress(0.1, "Đang kiểm tra dữ liệu…")
        problems = engine.compute(engine.load_data(xb)).problems
        if problems:
            xb.alert(_problems_text(problems, f"Có {len(problems)} vấn đề dữ liệu:"), title=_TITLE, mode="critical")
        else:
            xb.alert("Không phát hiện vấn đề nào trong dữ liệu.", title=_TITLE, mode="info")
        return problems

    return _run("Kiểm tra dữ liệu", book, work)


def import_dossiers(path: str, book: Any = None):
    """Nhập hồ sơ: add/update rows of tblHoSo from a one-stop export (CSV/XLSX), then refresh everything.

    The workbook is open in Excel, so the rows are written through xlwings (one write per changed column
    and at most one table resize), not into the file. Returns ``(ImportReport, RefreshResult)``.
    """
    from .. import engine  # noqa: PLC0415

    # VBA passes \\uXXXX escapes; re-join UTF-16 surrogate pairs (characters outside the BMP).
    path = str(path).encode("utf-16", "surrogatepass").decode("utf-16")

    def work(xb: XwBook):
        xb.progress(0.05, "Đang đọc tệp nhập…")
        report = _import_rows(xb, path)
        result = engine.refresh_book(xb, progress=xb.progress)
        message = report.summary()
        if result.problems:
            message = _problems_text(result.problems, message + f"\n\nSổ có {len(result.problems)} vấn đề dữ liệu:")
        xb.alert(message, title=_TITLE, mode="info")
        return report, result

    return _run("Nhập hồ sơ", book, work)


def _import_rows(xb: XwBook, file: str):
    """Merge the export's rows into tblHoSo through the adapter (rules of cchc_xl.io.import_dossiers)."""
    from .. import schema  # noqa: PLC0415
    from ..errors import ImportFileError  # noqa: PLC0415
    from ..io import import_dossiers as imp  # noqa: PLC0415

    header, rows = imp.read_import_file(file)
    report = imp.ImportReport(ignored_columns=[h for h in header if h and h not in imp._INPUT_HEADERS])
    used = [(i, h) for i, h in enumerate(header) if h in imp._INPUT_HEADERS]
    spec = schema.DOSSIERS
    table = xb.read_table(spec.sheet, spec.table)
    if table is None:
        raise ImportFileError(f"Sổ tính không có bảng '{spec.table}' ở trang '{spec.sheet}'.")
    missing = [h for h in imp._INPUT_HEADERS if h not in table.headers]
    if missing:
        raise ImportFileError(f"Trang tính '{spec.sheet}': bảng thiếu cột " + ", ".join(missing) + ".")
    key_col = table.headers.index("Mã hồ sơ")
    columns = {h: [c.value for c in (row[table.headers.index(h)] for row in table.rows)] for h in table.headers}
    existing: dict[str, int] = {}
    last = -1
    for i, row in enumerate(table.rows):
        value = row[key_col].value
        if value is not None and str(value).strip():
            existing[str(value).strip()] = i
            last = i
    next_index = last + 1
    changed: set[str] = set()
    seen: set[str] = set()
    for n, raw in enumerate(rows, start=2):
        record, errors = {}, []
        for i, h in used:
            try:
                record[h] = imp._convert(h, raw[i] if i < len(raw) else None, n, report.skipped)
            except ValueError as exc:
                errors.append(f"cột '{h}': {exc}")
        key = record.get("Mã hồ sơ")
        if not key:
            errors.append("cột 'Mã hồ sơ': chưa có mã hồ sơ")
        elif key in seen:
            errors.append(f"cột 'Mã hồ sơ': mã '{key}' lặp lại trong tệp nhập")
        if errors:
            report.skipped.append(f"Tệp '{Path(file).name}', dòng {n}: " + "; ".join(errors) + ".")
            continue
        seen.add(key)
        if key in existing:
            i = existing[key]
            row_changed = False
            for h, value in record.items():
                if not imp._same(columns[h][i], value):
                    columns[h][i] = value
                    changed.add(h)
                    row_changed = True
            report.updated += row_changed
            report.unchanged += not row_changed
        else:
            i = next_index
            next_index += 1
            for h in table.headers:
                col = columns[h]
                while len(col) <= i:
                    col.append(None)
                if h in record:
                    col[i] = record[h]
                    changed.add(h)
            existing[key] = i
            report.added += 1
    width = max(len(table.rows), next_index)
    for h in table.headers:  # one write per changed input column (bounded by the header count)
        if h in changed:
            values = columns[h] + [None] * (width - len(columns[h]))
            xb.write_column(spec.sheet, spec.table, h, values)
    return report
