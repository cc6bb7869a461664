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

from ..core.vocabulary import PeriodKey
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
    "redraft_selected",
    "import_dossiers",
    "check_data",
    "handout_copies",
    "consolidate_inbox",
    "send_upward",
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
        from ..io.nofollow import write_new

        return write_new(path, f"cchc-xl: {job}\nPython {sys.version}\n\n{text}".encode())
    except OSError:
        return None


def _caller(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw  # keep module import light for tests/tools

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
    from .. import engine
    from ..core.narrative import stale_note

    def work(xb: XwBook):
        result = engine.refresh_book(xb, period=period, progress=xb.progress,
                                     outputs=engine.OUTPUTS_ALL if outputs is None else frozenset(outputs))
        message = done.format(period=result.period.label, as_of=f"{result.as_of:%d/%m/%Y}")
        stale = stale_note(result.narrative, result.period.label)
        if stale:  # a person's section whose figures changed since: kept as written, to be read again
            message += "\n\n" + stale
        if result.unavailable:  # a table could not be read: the report says so; so does this message
            message = _problems_text(result.problems, message + "\n\nBÁO CÁO CHƯA ĐẦY ĐỦ — không tính được: "
                                     + result.figures.unavailable_text() + ".\n\nCác vấn đề dữ liệu:")
            xb.alert(message, title=_TITLE, mode="critical")
        elif result.problems:
            message = _problems_text(result.problems, message + f"\n\nCó {len(result.problems)} vấn đề dữ liệu "
                                     "(các dòng lỗi được bỏ qua):")
            xb.alert(message, title=_TITLE, mode="info")
        elif stale:
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
    return _report(PeriodKey.Q1, "quý I", book)


def build_report_h1(book: Any = None):
    """Báo cáo 6 tháng đầu năm."""
    return _report(PeriodKey.H1, "6 tháng", book)


def build_report_q3(book: Any = None):
    """Báo cáo quý III."""
    return _report(PeriodKey.Q3, "quý III", book)


def build_report_year(book: Any = None):
    """Báo cáo năm."""
    return _report(PeriodKey.YEAR, "năm", book)


def redraft_selected(book: Any = None):
    """Soạn lại nội dung: a fresh draft into the sections whose rows are selected on sheet 'Nội dung báo cáo' (even
    where staff edited them — the edited text is kept in 'Bản trước'), then the report of their period is laid out
    again. Nothing selected there: one message saying how to choose, nothing written. Returns the RefreshResult
    of the last period re-drafted, or None."""
    from .. import engine, schema
    from ..core.periods import PERIOD_KEYS, get_period

    spec = schema.NARRATIVE
    how = (f"Hãy chọn (bôi đen) các dòng cần soạn lại trong trang '{spec.sheet}' — một hay nhiều ô của các dòng đó — "
           "rồi bấm lại nút 'Soạn lại nội dung'.")

    def work(xb: XwBook):
        selection = xb._call(lambda: xb.book.selection)
        sheet = str(xb._call(lambda: selection.sheet.name)) if selection is not None else ""
        if sheet != spec.sheet:
            xb.alert(how, title=_TITLE, mode="info")
            return None
        first = int(xb._call(lambda: selection.row))
        last = first + int(xb._call(lambda: selection.shape[0])) - 1
        data = engine.load_data(xb)
        chosen = [e for e in data.narrative if e.row is not None and first <= e.row <= last]
        if not chosen:
            xb.alert(how, title=_TITLE, mode="info")
            return None
        year = int(data.settings["nam_ke_hoach"])
        keys = {get_period(k, year, data.settings.windows()).label: k for k in PERIOD_KEYS}
        by_period: dict[str, list[str]] = {}
        for e in chosen:
            if e.period not in keys:
                raise CchcError(f"Trang '{spec.sheet}', dòng {e.row}, cột 'Kỳ báo cáo': '{e.period}' không phải một kỳ "
                                "báo cáo của năm kế hoạch (" + ", ".join(keys) + ").")
            by_period.setdefault(e.period, []).append(e.code)
        result = None
        lines = []
        for label, codes in by_period.items():
            result = engine.refresh_book(xb, period=keys[label], outputs={"report"}, redraft=codes,
                                         progress=xb.progress)
            kept = [c for c in codes if result.narrative[c].moved]
            lines.append(f"• Kỳ {label}: đã soạn lại mục " + ", ".join(codes) + ".")
            if kept:
                lines.append(f"  Văn bản đã sửa của mục {', '.join(kept)} được giữ ở cột 'Bản trước'.")
        lines.append(f"Trang 'Báo cáo' đã được lập lại cho kỳ {result.period.label}. Nhớ lưu sổ (Ctrl+S).")
        xb.alert("\n".join(lines), title=_TITLE, mode="info")
        return result

    return _run("Soạn lại nội dung", book, work)


def check_data(book: Any = None):
    """Kiểm tra dữ liệu: list every data problem; writes nothing. Returns the problems."""
    from .. import engine

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
    from .. import engine

    path = _vba_path(path)

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
    """Merge the export's rows into tblHoSo through the adapter: the plan is
    :func:`cchc_xl.io.import_dossiers.plan_import` (the same rules as the file path); here it is applied as
    one write per changed input column (and at most one table resize)."""
    from .. import schema
    from ..errors import ImportFileError
    from ..io import import_dossiers as imp

    header, rows = imp.read_import_file(file)
    spec = schema.DOSSIERS
    table = xb.read_table(spec.sheet, spec.table)
    if table is None:
        raise ImportFileError(f"Sổ tính không có bảng '{spec.table}' ở trang '{spec.sheet}'.")
    plan = imp.plan_import(header, rows, table, Path(file).name, window=imp.import_window(xb))
    if not plan.changed:
        return plan.report
    width = max(len(table.rows), plan.first_new_index + len(plan.new_rows))
    columns = {h: [r[j].value for r in table.rows] + [None] * (width - len(table.rows))
               for j, h in enumerate(table.headers)}
    changed: set[str] = set()
    for i, values in plan.updates.items():
        for h, value in values.items():
            columns[h][i] = value
            changed.add(h)
    for k, record in enumerate(plan.new_rows):
        for h, value in record.items():
            columns[h][plan.first_new_index + k] = value
            changed.add(h)
    for h in table.headers:  # one write per changed input column (bounded by the header count)
        if h in changed:
            _write_values(xb, table, h, columns[h])
    return plan.report


# --- helpers shared by the entry points ------------------------------------------------------------------

def _vba_path(path: Any) -> str:
    """A path from the ribbon: VBA passes \\uXXXX escapes, so re-join UTF-16 surrogate pairs (characters
    outside the BMP)."""
    return str(path).encode("utf-16", "surrogatepass").decode("utf-16")


def _write_values(xb: XwBook, table: Any, header: str, values: list) -> None:
    """``xb.write_column`` of ``values`` (texts stay texts: see :func:`cchc_xl.excel.xw_book.excel_text`)."""
    xb.write_column(table.sheet, table.table, header, values)
    j = table.headers.index(header)
    for i, v in enumerate(values):
        if i < len(table.rows):
            table.rows[i][j].value = v


def _saved_file(xb: XwBook) -> Path:
    """The workbook's file on disk (the last saved version)."""
    name = str(xb._call(lambda: xb.book.fullname) or "")
    path = Path(name)
    if "://" in name or not path.is_absolute() or not path.is_file():
        raise CchcError("Không tìm thấy tệp đã lưu của sổ này trên máy (sổ chưa được lưu, hoặc đang mở từ "
                        "OneDrive/SharePoint). Hãy lưu sổ vào một thư mục trên máy (Ctrl+S) rồi thử lại.")
    return path


def _saved_note(path: Path) -> str:
    saved = dt.datetime.fromtimestamp(path.stat().st_mtime)
    return (f"được lập từ bản ĐÃ LƯU gần nhất của sổ (lúc {saved:%H:%M ngày %d/%m/%Y}); những thay đổi chưa "
            "lưu KHÔNG có trong đó. Nếu vừa sửa sổ, hãy lưu (Ctrl+S) rồi bấm lại.")


def _folder(folder: Any, *, create: bool) -> Path:
    text = _vba_path(folder).strip()
    if not text:
        raise CchcError("Chưa chọn thư mục.")
    path = Path(text)
    if not path.is_dir() and not create:
        raise CchcError(f"Không tìm thấy thư mục '{path}'.")
    return path


def _confirm(xb: XwBook, prompt: str) -> bool:
    """An OK/Cancel message box; True only for OK. (xlwings' remote engine cannot wait for an answer: its
    alert returns None, which counts as Cancel.)"""
    try:
        answer = xb._call(lambda: xb.book.app.alert(prompt, title=_TITLE, buttons="ok_cancel", mode="info"))
    except Exception:  # noqa: BLE001 - no dialog, no consent
        return False
    return str(answer or "").strip().lower() == "ok"


# --- the 'Nhật ký' sheet through xlwings: the Book seam's read_log/append_log (XwBook) --------------------------

def _read_log(xb: XwBook) -> list[dict]:
    return xb.read_log()


def _append_log(xb: XwBook, rows: list[dict]) -> None:
    xb.append_log(rows)


# --- issue #4: hand-out, consolidation, sending upward -------------------------------------------------------

def handout_copies(folder: str, book: Any = None):
    """Phát bản cho tổ: one .xlsx per group into ``folder``, made from the SAVED workbook file (the open
    book is not read: its unsaved changes are not in the copies — the message says so). Returns the paths."""
    from ..distribute.handout import handout

    def work(xb: XwBook):
        out = _folder(folder, create=True)
        path = _saved_file(xb)
        xb.progress(0.05, "Đang tạo các bản phát cho tổ/nhóm…")
        written = handout(path, out, progress=xb.progress)
        if written:
            lines = [f"Đã tạo {len(written)} bản phát cho tổ/nhóm trong thư mục:", str(out), ""]
            lines += [f"• {p.name}" for p in written]
        else:
            lines = ["Không có nhiệm vụ nào ghi 'Tổ/nhóm chuyên môn': chưa tạo bản nào."]
        lines += ["", "Các bản phát " + _saved_note(path)]
        xb.alert("\n".join(lines), title=_TITLE, mode="info")
        return written

    return _run("Phát bản cho tổ", book, work)


def consolidate_inbox(folder: str, book: Any = None):
    """Tổng hợp bản nộp lại: the copies in ``folder`` are checked exactly as by ``cchc-xl consolidate``
    (:func:`cchc_xl.distribute.consolidate.plan_consolidation`), but the accepted changes go into the OPEN
    book through xlwings (one write per changed column of tblNhiemVu, one block write to 'Nhật ký') — Excel
    locks the file, so it is not written. The book is then refreshed, and the files are moved (processed /
    rejected + reasons) like the file-based run does. Returns the ConsolidationSummary."""
    from .. import engine
    from ..distribute.consolidate import (ConsolidationSummary, InboxLog, apply_plan,
                                          check_inbox_writable, file_away, plan_consolidation, read_master)
    from ..report.record import record_of

    def work(xb: XwBook):
        inbox = _folder(folder, create=False)
        now = dt.datetime.now().replace(microsecond=0)
        check_inbox_writable(inbox)
        log = InboxLog(inbox / "tong_hop.log")
        with _inbox_lock(xb):   # not with another writer (the scheduled run) at the same time: read under it
            xb.progress(0.02, "Đang đọc bảng nhiệm vụ…")
            read = read_master(xb, _book_name(xb))        # the one read of the open book
            plan = plan_consolidation(read.tasks, inbox, now=now, exclude=log.path, progress=xb.progress,
                                      master=_saved_path(xb))
            xb.progress(0.7, "Đang cập nhật bảng nhiệm vụ…")
            # the file path writes the same way (one write per column)
            changed = apply_plan(xb, read.tasks_table, read.tasks, plan, read.occurrences_table)
            xb.progress(0.8, "Đang tính lại chỉ số và báo cáo…")
            result = engine.refresh_book(xb, progress=xb.progress,
                                         data=read.written_data() if changed else read.data)
            summary = ConsolidationSummary(log_path=log.path, report=record_of(result), report_written=True,
                                           report_note=result.figures.date_note,
                                           report_as_of_words=result.chosen.as_of_words if result.chosen else "")
            try:
                file_away(plan, inbox, summary, log, now_overdue=len(result.overdue_tasks))
            finally:
                try:
                    log.flush()
                except OSError:
                    pass
        xb.alert(_consolidation_text(summary, inbox), title=_TITLE, mode="info")
        return summary

    return _run("Tổng hợp bản nộp lại", book, work)


def _book_name(xb: XwBook) -> str:
    """The open book's name, for a message."""
    try:
        return str(xb._call(lambda: xb.book.name))
    except Exception:  # noqa: BLE001 - a name only for a message
        return "đang mở"


def _saved_path(xb: XwBook):
    """The workbook's saved file, or None for a book never saved."""
    try:
        return _saved_file(xb)
    except CchcError:
        return None


def _inbox_lock(xb: XwBook):
    """The writer lock of the workbook's saved file, which the scheduled consolidation takes too (none for
    a book that was never saved)."""
    import contextlib

    from ..io.writelock import writer_lock

    try:
        path = _saved_file(xb)
    except CchcError:
        return contextlib.nullcontext()
    return writer_lock(path)


def _previous_send(xb: XwBook, column: str, label: str) -> str | None:
    """When the open book's 'Nhật ký' records a send of the period ``label``: its time, else None."""
    for row in _read_log(xb):
        if str(row.get("Cột") or "").strip() == column and str(row.get("Giá trị mới") or "").strip() == label:
            when = row.get("Thời gian")
            return f"{when:%d/%m/%Y %H:%M}" if isinstance(when, dt.datetime) else str(when or "")
    return None


def _consolidation_text(summary: Any, inbox: Path) -> str:
    lines = [f"Đã tổng hợp các bản trong thư mục:\n{inbox}", "",
             f"• Tệp đã đọc: {summary.files_read}",
             f"• Chấp nhận: {summary.accepted}",
             f"• Từ chối: {summary.rejected}"]
    if summary.skipped:
        lines.append(f"• Để lại lần sau (đang mở/đang ghi): {summary.skipped}")
    lines += [f"• Nhiệm vụ được cập nhật: {summary.tasks_changed} ({summary.cells_changed} ô)",
              f"• Nhiệm vụ đang quá hạn: {summary.now_overdue}"]
    if summary.conflicts:
        lines.append(f"• Xung đột (giữ nguyên dòng của bản đến hộp thư sau cùng): {len(summary.conflicts)}")
    lines += ["• " + line for line in summary.report_lines()]
    rejected = [f for f in summary.files if f.status == "rejected"]
    if rejected:
        lines += ["", "Tệp bị từ chối (lý do ghi trong thư mục 'rejected' và trang 'Nhật ký'):"]
        for f in rejected[:MAX_PROBLEMS_SHOWN]:
            why = "; ".join(f.reasons)
            lines.append(f"• {f.name}: {why[:200]}{'…' if len(why) > 200 else ''}")
        if len(rejected) > MAX_PROBLEMS_SHOWN:
            lines.append(f"… và {len(rejected) - MAX_PROBLEMS_SHOWN} tệp khác.")
    if summary.conflicts:
        lines += ["", "Xung đột (cả hai bản, cũng ghi trong trang 'Nhật ký'):"]
        for c in summary.conflicts[:MAX_PROBLEMS_SHOWN]:
            lines.append(f"• {c[:400]}{'…' if len(c) > 400 else ''}")
        if len(summary.conflicts) > MAX_PROBLEMS_SHOWN:
            lines.append(f"… và {len(summary.conflicts) - MAX_PROBLEMS_SHOWN} xung đột khác.")
    if summary.unfiled:
        lines += ["", "Tệp chưa chuyển được (để lại trong hộp thư):"]
        lines += [f"• {u}" for u in summary.unfiled[:MAX_PROBLEMS_SHOWN]]
    if summary.cells_changed or summary.rejected or summary.conflicts:
        lines += ["", "Các thay đổi đã được đưa vào sổ đang mở nhưng CHƯA được lưu: hãy lưu sổ (Ctrl+S). "
                  "Các bản đã xử lý nằm trong thư mục con 'processed'."]
    return "\n".join(lines)


def _pdf_maker(xb: XwBook):
    """Who prints the report's PDF for the ribbon: Excel itself (``Sheet.to_pdf``, the print area and page setup
    of 'Báo cáo'); xlwings' remote engine cannot print, so there LibreOffice (:func:`outgoing.pdf_maker`)."""
    from ..distribute.outgoing import pdf_maker

    return pdf_maker(None if xb._remote else xb._call(lambda: xb.book.app))


def send_upward(book: Any = None):
    """Gửi báo cáo lên Sở: the report that is in the SAVED file — its period and as-of date recorded with the
    report (:func:`cchc_xl.report.record.stored_report`; refused, naming the button *Cập nhật tất cả*, when the
    data changed since it was made) — as the exchange file of :mod:`cchc_xl.exchange` and the PDF
    (:mod:`cchc_xl.distribute.send`), the PDF printed by Excel itself (:func:`_pdf_maker`);
    the recipient, subject and attachment names are shown for confirmation first (Cancel = nothing
    happens); without SMTP settings a .eml draft is written instead. The send (or draft) is recorded in
    'Nhật ký' of the OPEN book through xlwings. Returns the SendOutcome, or None when cancelled."""
    from ..distribute import send as snd
    from ..errors import SendError
    from ..io.file_book import FileBook
    from ..report.record import RIBBON_REFRESH_HINT

    def hint(_period, _as_of) -> str:
        return RIBBON_REFRESH_HINT

    def work(xb: XwBook):
        path = _saved_file(xb)
        xb.progress(0.05, "Đang chuẩn bị báo cáo…")
        book = FileBook.open(path)                     # the saved file: opened once, read once, computed once
        result = snd.stored_report_result(book, hint=hint)  # the report that is in the saved workbook
        period, settings = result.period, result.settings
        cfg = snd.smtp_config(settings, os.environ)
        refusal = snd.unit_code_refusal(settings, dry_run_hint=False)
        if refusal:       # every Sở would reject the exchange file: told before asking
            raise SendError(refusal)
        if cfg.host and not cfg.to:
            raise SendError("Chưa có địa chỉ người nhận: điền 'email_nguoi_nhan' trong trang Cấu hình.")
        make_pdf = _pdf_maker(xb)  # before asking: a PC that cannot print the PDF is told first
        base = snd.outgoing_name(period, settings)
        previous = _previous_send(xb, snd.LOG_COLUMN_SEND, period.label)
        lines = [f"Gửi báo cáo CCHC {period.label} (tính đến ngày {result.as_of:%d/%m/%Y}) đang có trong sổ?", "",
                 "Người nhận: " + (", ".join(cfg.to) or "(chưa có — điền 'email_nguoi_nhan' trong trang Cấu hình)"),
                 f"Tiêu đề: {snd.subject_for(period, settings)}",
                 f"Tệp đính kèm: {base}.xlsx; {base}.pdf", ""]
        if not cfg.host:
            lines.append("Chưa cấu hình máy chủ thư (smtp_may_chu): sẽ chỉ tạo thư nháp .eml trong thư mục "
                         "của sổ, chưa gửi đi.")
        if previous:
            lines.append(f"CHÚ Ý: báo cáo {period.label} đã được gửi lúc {previous}; bấm OK sẽ gửi lại.")
        lines += ["Báo cáo " + _saved_note(path), "",
                  "Bấm OK để tiếp tục, Cancel để hủy."]
        if not _confirm(xb, "\n".join(lines)):
            return None
        outcome = snd.send_report(result, book=book, force=True, record=False, env=os.environ,
                                  progress=xb.progress, make_pdf=make_pdf)
        message = "\n".join([outcome.message, *outcome.warnings])
        try:
            _append_log(xb, [snd.send_log_row(outcome, resend=previous is not None)])
            message += "\nĐã ghi vào trang 'Nhật ký' (hãy lưu sổ để giữ dòng này)."
        except CchcError as exc:  # the mail is gone: say so, do not pretend the send failed
            message += f"\nChú ý: chưa ghi được vào 'Nhật ký' ({exc})."
        if outcome.eml:
            message += f"\nThư nháp: {outcome.eml}"
        else:
            message += f"\nTệp đính kèm lưu tại: {outcome.xlsx.parent}"
        xb.alert(message, title=_TITLE, mode="info")
        return outcome

    return _run("Gửi báo cáo lên Sở", book, work)
