"""Scheduled consolidation of returned group copies (``cchc-xl consolidate``, ``scripts/consolidate.py``).

Every regular file at the top of the inbox is examined by parsing the package (ooxml, never Excel,
never macros). A copy is accepted or rejected AS A WHOLE — a group fixes the reason and resends:

* skipped (left in the inbox, retried next run): Excel's owner file ``~$NAME`` exists, the file was
  modified in the last ``SETTLE_SECONDS`` seconds, or its size/mtime changed during a 1 s check;
* rejected (moved to ``INBOX/rejected/`` with ``NAME.txt`` giving the Vietnamese reasons): larger
  than ``MAX_FILE_BYTES``, password-protected (CFB signature), not a workbook, corrupt zip, zip bomb
  (ooxml limits), carries macros (``vbaProject.bin``), identity (custom properties AND the
  veryHidden ``_cchc`` sheet) missing/inconsistent or for another plan/group, table or headers
  changed, rows added/deleted/duplicated, tasks of another group, a locked column changed versus
  the master, invalid values (status outside the list, a date that is not a date or lies in the
  future, "Hoàn thành" without a date, formulas or error values in editable cells);
* accepted (moved to ``INBOX/processed/<YYYY-MM-DD>/``): the editable cells the group changed
  (versus the hand-out baseline in ``_cchc``) and that differ from the master are merged by task
  ``Mã``. A text beginning with ``=`` is written as text, never as a formula.

Two accepted copies changing the same cell differently: the newer copy (``dcterms:modified`` of
``docProps/core.xml``, else the file mtime) wins and the conflict is reported. Every change and
rejection is appended to ``Nhật ký`` and to the log file (``INBOX/tong_hop.log`` by default). When
anything changed, the master is refreshed by the engine in memory and written ONCE, atomically,
with a verified backup, file and folder fsync'd, before any inbox file is moved — a run killed at any point leaves the
master as before or after, and a rerun finds identical values and changes nothing (idempotent).

The workbook's writer lock (:mod:`cchc_xl.io.writelock`, ``MASTER.cchc-lock``, shared with refresh,
import-dossiers and setup-excel) is held from reading the master to moving the last file: a second run
waits ``lock_wait`` seconds and then returns exit code 4. Exit codes: :data:`EXIT_OK` 0,
:data:`EXIT_REJECTED` 2 (completed, some files rejected), :data:`EXIT_FAILED` 3, :data:`EXIT_BUSY` 4.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..errors import CchcError, WorkbookBusyError
from ..progress import text_progress  # noqa: F401 - re-exported: the bar of every command
from . import _common
from .handout import BASELINE_HEADER, EDITABLE, IDENTITY_KIND, IDENTITY_SHEET, baseline_text, group_of, task_hash
from .intake import MACRO_REASON, MAX_FILE_BYTES, busy_reasons, container_problem, size_problem
from .intake import candidates as _candidates
from .intake import in_use as _in_use  # noqa: F401 - kept for callers of the old private name
from .intake import move_unique as _move

__all__ = ["consolidate", "ConsolidationSummary", "ConsolidationPlan", "FileReport", "Change", "InboxLog",
           "master_tasks", "plan_consolidation", "apply_plan", "file_away", "EXIT_OK", "EXIT_REJECTED",
           "EXIT_FAILED", "EXIT_BUSY", "text_progress"]

EXIT_OK, EXIT_REJECTED, EXIT_FAILED, EXIT_BUSY = 0, 2, 3, 4
SETTLE_SECONDS = 3.0
_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


@dataclass
class Change:
    """One cell merged (or proposed) into the master; ``task`` is the row's ``Mã`` in ``table``
    (``tblNhiemVu``, or ``tblLanThucHien`` for an occurrence of a periodic task)."""

    file: str
    group: str
    task: str
    column: str
    old: object
    new: object
    when: dt.datetime | None = None
    table: str = schema.TASKS.table


@dataclass
class FileReport:
    name: str
    status: str  # accepted | rejected | skipped
    group: str = ""
    reasons: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    moved_to: Path | None = None
    when: dt.datetime | None = None  # the copy's last save (core.xml modified, else file mtime)
    path: Path | None = None


@dataclass
class ConsolidationSummary:
    files_read: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    tasks_changed: int = 0
    cells_changed: int = 0
    now_overdue: int | None = None
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)
    exit_code: int = EXIT_OK
    message: str = ""
    log_path: Path | None = None
    sent: object = None
    # The report now in the master (a report_record.ReportRecord), the one before the run, whether the run
    # wrote it, the note of the as-of rule and where the date came from ("hôm nay"…).
    report: object = None
    report_previous: object = None
    report_written: bool = False
    report_note: str = ""
    report_as_of_words: str = ""

    def report_lines(self) -> list[str]:
        """What the run did to the report (Vietnamese): its period and as-of date, a replaced period, the note."""
        if self.report is None:
            return []
        source = f" ({self.report_as_of_words})" if self.report_as_of_words else ""
        done = "đã lập lại" if self.report_written else "giữ nguyên, không có gì mới"
        lines = [f"Báo cáo trong sổ: báo cáo {self.report.describe()}{source} — {done}."]
        before = self.report_previous
        if before is not None and self.report_written and (before.period, before.year) != (self.report.period,
                                                                                          self.report.year):
            lines.append(f"Báo cáo trước đó trong sổ là báo cáo {before.describe()}; nay là báo cáo "
                         f"{self.report.describe()} theo ngày tính đến.")
        if self.report_note:
            lines.append("Lưu ý: " + self.report_note)
        return lines

    def table(self) -> str:
        """The final summary as a small text table (Vietnamese)."""
        rows = [("Tệp đã đọc", self.files_read), ("Chấp nhận", self.accepted), ("Từ chối", self.rejected),
                ("Để lại lần sau (đang mở/ghi)", self.skipped), ("Nhiệm vụ được cập nhật", self.tasks_changed),
                ("Ô thay đổi", self.cells_changed),
                ("Nhiệm vụ đang quá hạn", "—" if self.now_overdue is None else self.now_overdue),
                ("Xung đột", len(self.conflicts))]
        w = max(len(k) for k, _ in rows)
        line = "+" + "-" * (w + 2) + "+" + "-" * 8 + "+"
        out = [line] + [f"| {k:<{w}} | {str(v):>6} |" for k, v in rows] + [line]
        for f in self.files:
            if f.status != "accepted":
                label = "TỪ CHỐI" if f.status == "rejected" else "BỎ QUA"
                out.append(f"{label}: {f.name} — {'; '.join(f.reasons)}")
        out += [f"XUNG ĐỘT: {c}" for c in self.conflicts]
        out += self.report_lines()
        if self.message:
            out.append(self.message)
        return "\n".join(out)


# ---------------------------------------------------------------------------------------- reading


def _canon(v) -> str:
    return baseline_text(v)


def _display(v) -> str:
    if isinstance(v, (dt.date, dt.datetime)):
        return _common.date_vn(v.date() if isinstance(v, dt.datetime) and v.time() == dt.time(0) else v)
    return "" if v is None else (_canon(v))


@dataclass
class _MasterTasks:
    headers: list[str]
    first_row: int
    first_col: int
    rows: dict[str, tuple[int, dict]]  # id -> (excel row, {header: value})
    plan_no: str
    plan_year: int
    occurrences: "_MasterTasks | None" = None  # the occurrence table (tblLanThucHien), when the master has it


def master_tasks(td, settings, first_col: int = 1, occ_td=None, occ_first_col: int = 1) -> _MasterTasks:
    """The master's task table (a ``TableData`` from any Book adapter: FileBook or XwBook) and plan
    identity (settings ``so_ke_hoach``/``nam_ke_hoach``), as :func:`plan_consolidation` needs it;
    ``occ_td`` is its occurrence table (``tblLanThucHien``), if any. ``first_col``/``occ_first_col``
    are the sheet columns of the tables' first columns (kept for callers; every write goes through the
    Book seam, :func:`apply_plan`)."""
    def table(t, col) -> _MasterTasks:
        rows = {}
        for i, values in enumerate(t.row_values()):
            vals = dict(zip(t.headers, values))
            tid = _canon(vals.get("Mã"))
            if tid:
                rows[tid] = (t.first_row + i, vals)
        return _MasterTasks(list(t.headers), t.first_row, col, rows, str(settings["so_ke_hoach"]).strip(),
                            int(settings["nam_ke_hoach"]))

    mt = table(td, first_col)
    if occ_td is not None:
        mt.occurrences = table(occ_td, occ_first_col)
    return mt


def _read_master(book, name: str) -> tuple[_MasterTasks, object, object]:
    """(master tasks, the task table's TableData, the occurrence table's or None) of the master opened as
    ``book`` (any Book adapter); a table that lacks a contract column stops the run (nothing is moved)."""
    from ..engine import load_data

    td = book.read_table(schema.TASKS.sheet, schema.TASKS.table)
    if td is None:
        raise CchcError(f"Sổ tính chính '{name}' không có bảng '{schema.TASKS.table}'.")
    _require_headers(td, schema.TASKS)
    occ_td = book.read_table(schema.OCCURRENCES.sheet, schema.OCCURRENCES.table)
    if occ_td is not None:
        _require_headers(occ_td, schema.OCCURRENCES)
    return master_tasks(td, load_data(book).settings, occ_td=occ_td), td, occ_td


def _require_headers(td, spec) -> None:
    missing = [h for h in spec.headers if h not in td.headers and h not in spec.optional]
    if missing:
        raise CchcError(f"Trang tính '{spec.sheet}': bảng '{spec.table}' thiếu cột " + ", ".join(missing) + ".")


def _identity_sheet(book) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    if IDENTITY_SHEET not in book.sheet_names():
        return {}, {}
    cells = book.sheet_values(IDENTITY_SHEET)
    max_row = max((r for r, _ in cells), default=0)
    ident: dict[str, str] = {}
    base: dict[tuple[str, str], str] = {}
    r = 1
    while cells.get((r, 1)) not in (None, ""):
        key = str(cells[(r, 1)])
        ident[key] = _canon(cells.get((r, 2), ""))
        if key == "CCHC_DanhSachMa":
            v = cells.get((r, 2))
            ident["CCHC_DanhSachMa"] = str(v) if v is not None else ""
        r += 1
    while r <= max_row and _canon(cells.get((r, 1))) != BASELINE_HEADER[0]:
        r += 1
    r += 1
    while r <= max_row:
        tid = _canon(cells.get((r, 1)))
        col = _canon(cells.get((r, 2)))
        if tid and col:
            base[(tid, col)] = _canon(cells.get((r, 3)))
        r += 1
    return ident, base


def _parse_date(v) -> tuple[dt.date | None, bool]:
    """(date, ok) for a ``Ngày hoàn thành`` value: a date cell, blank, or text dd/mm/yyyy / ISO."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None, True
    if isinstance(v, dt.datetime):
        return v.date(), True
    if isinstance(v, dt.date):
        return v, True
    if isinstance(v, str):
        m = _DMY.match(v)
        try:
            if m:
                return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))), True
            return dt.date.fromisoformat(v.strip()), True
        except ValueError:
            return None, False
    return None, False


def _examine(path: Path, data: bytes, mt: _MasterTasks, groups: set[str], today: dt.date,
             max_bytes: int) -> FileReport:
    """Validate one copy; returns a report with ``changes`` (vs the master) or ``reasons``."""
    from ..io.file_book import FileBook
    from ..io.ooxml.limits import MAX_COPY_UNZIPPED_BYTES

    rep = FileReport(path.name, "rejected")
    reasons = rep.reasons
    problem = container_problem(data, max_bytes)
    if problem:
        reasons.append(problem)
        return rep
    try:
        book = FileBook.from_bytes(data, path.name, max_total=MAX_COPY_UNZIPPED_BYTES)
    except CchcError as exc:
        reasons.append(str(exc).rstrip("."))
        return rep
    except Exception as exc:  # noqa: BLE001 - a hostile file must never stop the run
        reasons.append(f"tệp bị hỏng, không đọc được ({type(exc).__name__})")
        return rep
    try:
        return _examine_book(book, path, rep, mt, groups, today)
    except CchcError as exc:
        reasons.append(str(exc).rstrip("."))
    except Exception as exc:  # noqa: BLE001
        reasons.append(f"tệp bị hỏng, không đọc được nội dung ({type(exc).__name__}: {exc})")
    rep.changes.clear()
    return rep


def _examine_book(book, path: Path, rep: FileReport, mt: _MasterTasks, groups: set[str],
                  today: dt.date) -> FileReport:
    reasons = rep.reasons
    if book.has_macros():
        reasons.append(MACRO_REASON)
        return rep
    props = book.custom_properties()
    ident, baseline = _identity_sheet(book)
    if not ident or props.get("CCHC_Loai") != IDENTITY_KIND or ident.get("CCHC_Loai") != IDENTITY_KIND:
        reasons.append("tệp không phải bản phát cho tổ/nhóm (thiếu thông tin nhận dạng); hãy dùng đúng tệp "
                       "văn phòng đã gửi")
        return rep
    for k in ("CCHC_KeHoach", "CCHC_Nam", "CCHC_ToNhom", "CCHC_MaBam"):
        if _canon(props.get(k)) != _canon(ident.get(k)):
            reasons.append("thông tin nhận dạng của tệp không nhất quán (có thể đã bị sửa)")
            return rep
    group = ident.get("CCHC_ToNhom", "")
    rep.group = group
    rep.when = book.modified() or dt.datetime.fromtimestamp(path.stat().st_mtime)
    if ident.get("CCHC_KeHoach") != mt.plan_no or ident.get("CCHC_Nam") != str(mt.plan_year):
        reasons.append(f"tệp thuộc kế hoạch khác ({ident.get('CCHC_KeHoach')} năm {ident.get('CCHC_Nam')}; "
                       f"sổ chính là {mt.plan_no} năm {mt.plan_year})")
        return rep
    if group not in groups:
        reasons.append(f"tổ/nhóm '{group}' không có trong kế hoạch")
        return rep
    ids_handed = [i for i in ident.get("CCHC_DanhSachMa", "").split("\n") if i]
    occ_handed = [i for i in ident.get("CCHC_DanhSachLan", "").split("\n") if i]
    if task_hash(ids_handed + occ_handed) != ident.get("CCHC_MaBam"):
        reasons.append("danh sách nhiệm vụ trong thông tin nhận dạng đã bị sửa")
        return rep
    _compare_table(book, schema.TASKS, mt, ids_handed, rep, baseline, today, "nhiệm vụ",
                   lambda vals: group_of(vals.get("Tổ/nhóm chuyên môn")) == group)
    if occ_handed and not reasons:
        if mt.occurrences is None:
            reasons.append(f"sổ chính không có bảng '{schema.OCCURRENCES.table}' các lần thực hiện nhiệm vụ định kỳ")
        else:
            handed = set(ids_handed)
            _compare_table(book, schema.OCCURRENCES, mt.occurrences, occ_handed, rep, baseline, today,
                           "lần thực hiện", lambda vals: _canon(vals.get("Mã nhiệm vụ")) in handed)
    if reasons:
        rep.changes.clear()
        return rep
    rep.status = "accepted"
    return rep


def _compare_table(book, spec, mt: _MasterTasks, ids_handed: list[str], rep: FileReport,
                   baseline: dict[tuple[str, str], str], today: dt.date, label: str, belongs) -> None:
    """Check the copy's table ``spec`` against the master rows ``mt`` (rows handed out: ``ids_handed``;
    ``belongs(master values)`` says a row is the group's) and add the group's edits to ``rep.changes``,
    or the reasons to ``rep.reasons``."""
    reasons = rep.reasons
    group, path_name = rep.group, rep.name
    td = book.read_table(spec.sheet, spec.table)
    if td is None:
        reasons.append(f"không tìm thấy bảng '{spec.table}' trên trang '{spec.sheet}' (đã đổi tên hoặc xóa)")
        return
    if list(td.headers) != list(mt.headers):
        diff = [f"'{a}' → '{b}'" for a, b in zip(mt.headers, td.headers) if a != b]
        more = "" if len(td.headers) == len(mt.headers) else f" (số cột {len(td.headers)}, cần {len(mt.headers)})"
        reasons.append("tiêu đề cột đã bị thay đổi: " + (", ".join(diff) or "thứ tự/số cột") + more)
        return
    hi = {h: i for i, h in enumerate(td.headers)}
    seen: dict[str, int] = {}
    rows = []
    for i, r in enumerate(td.rows):
        excel_row = td.first_row + i
        vals = {h: r[hi[h]] for h in td.headers}
        tid = _canon(vals["Mã"].value)
        if not tid:
            if any(c.value not in (None, "") for c in r):
                reasons.append(f"dòng {excel_row}: có dòng thêm không có 'Mã'")
            continue
        if tid in seen:
            reasons.append(f"dòng {excel_row}: {label} '{tid}' bị lặp (dòng {seen[tid]})")
            continue
        seen[tid] = excel_row
        rows.append((excel_row, tid, vals))
    handed = set(ids_handed)
    extra = [t for t in seen if t not in handed]
    missing = [t for t in ids_handed if t not in seen]
    if extra:
        reasons.append("có dòng thêm không thuộc bản phát: " + ", ".join(extra))
    if missing:
        reasons.append("thiếu dòng (đã bị xóa): " + ", ".join(missing))
    if reasons:
        return
    for excel_row, tid, vals in rows:
        where = f"{label} {tid} (dòng {excel_row})"
        m = mt.rows.get(tid)
        if m is None:
            reasons.append(f"{where}: không có trong sổ chính")
            continue
        if not belongs(m[1]):
            reasons.append(f"{where}: không thuộc tổ/nhóm '{group}'")
            continue
        for h in td.headers:
            if h in EDITABLE or h in spec.computed:
                continue
            cell = vals[h]
            if _canon(cell.value) != _canon(m[1].get(h)):
                reasons.append(f"{where}: cột '{h}' bị khóa nhưng đã bị sửa")
        for h in EDITABLE:
            cell = vals[h]
            if cell.formula:
                reasons.append(f"{where}: cột '{h}' chứa công thức; hãy nhập giá trị")
                continue
            if cell.error:
                reasons.append(f"{where}: cột '{h}' có giá trị lỗi {cell.error}")
                continue
        status = vals["Trạng thái"].value
        status_t = _canon(status)
        if status_t and status_t not in schema.TASK_STATUS:
            reasons.append(f"{where}: 'Trạng thái' = '{status_t}' không có trong danh sách "
                           f"({', '.join(schema.TASK_STATUS)})")
        done, ok = _parse_date(vals["Ngày hoàn thành"].value)
        if not ok:
            reasons.append(f"{where}: 'Ngày hoàn thành' = '{_canon(vals['Ngày hoàn thành'].value)}' không phải "
                           "là ngày (dd/mm/yyyy)")
        elif done is not None and done > today:
            reasons.append(f"{where}: 'Ngày hoàn thành' {_common.date_vn(done)} ở tương lai")
        elif status_t == "Hoàn thành" and done is None:
            reasons.append(f"{where}: trạng thái 'Hoàn thành' cần có 'Ngày hoàn thành'")
        if reasons:
            continue
        new_vals = {"Trạng thái": status_t or None, "Ngày hoàn thành": done,
                    "Minh chứng": _text_or_none(vals["Minh chứng"].value),
                    "Ghi chú": _text_or_none(vals["Ghi chú"].value)}
        for h, new in new_vals.items():
            b = baseline.get((tid, h))
            if b is not None and _canon(new) == b:
                continue  # not changed by the group since hand-out
            old = m[1].get(h)
            if _canon(new) != _canon(old):
                rep.changes.append(Change(path_name, group, tid, h, old, new, table=spec.table))


def _text_or_none(v):
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return _display(v)
    s = str(v).strip()
    return s or None


# ---------------------------------------------------------------------------------------- files


class InboxLog:
    """The consolidation log file (``INBOX/tong_hop.log`` by default): lines buffered, appended on flush."""

    def __init__(self, path: Path):
        self.path = path
        self.lines: list[str] = []

    def __call__(self, text: str) -> None:
        self.lines.append(f"{dt.datetime.now():%d/%m/%Y %H:%M:%S} {text}")

    def flush(self) -> None:
        if not self.lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write("\n".join(self.lines) + "\n")
        self.lines.clear()


_Log = InboxLog


# ---------------------------------------------------------------------------------------- main


def consolidate(master: str | os.PathLike, inbox: str | os.PathLike, as_of: dt.date | None = None,
                send: bool = False, log_path: str | os.PathLike | None = None, progress=None,
                lock_wait: float = _common.LOCK_WAIT_SECONDS, settle_seconds: float = SETTLE_SECONDS,
                max_bytes: int = MAX_FILE_BYTES, now: dt.datetime | None = None,
                env=None) -> ConsolidationSummary:
    """Consolidate every returned copy in ``inbox`` into ``master``; never raises for bad copies.

    Returns a :class:`ConsolidationSummary` whose ``exit_code`` a scheduler can act on. A master
    that cannot be read or written (missing, locked by Excel, changed meanwhile) gives
    :data:`EXIT_FAILED` with ``message`` set, and no inbox file is moved. ``send`` sends the report
    (:func:`cchc_xl.distribute.send.send_report`) after a successful run; a send failure gives
    :data:`EXIT_FAILED` too.
    """
    master, inbox = Path(master), Path(inbox)
    step = progress or (lambda f, m: None)
    summary = ConsolidationSummary()
    log = _Log(Path(log_path) if log_path else inbox / "tong_hop.log")
    summary.log_path = log.path
    try:
        _run(master, inbox, as_of, summary, log, step, settle_seconds, max_bytes,
             (now or dt.datetime.now()).replace(microsecond=0), lock_wait)
    except WorkbookBusyError as exc:
        summary.exit_code = EXIT_BUSY
        summary.message = str(exc)
        log(summary.message)
    except CchcError as exc:
        summary.exit_code = EXIT_FAILED
        summary.message = f"Tổng hợp thất bại: {exc}"
        log(summary.message)
    finally:
        try:
            log.flush()
        except OSError:
            pass
    if send and summary.exit_code in (EXIT_OK, EXIT_REJECTED):
        from .send import send_report

        try:
            summary.sent = send_report(master, as_of=as_of, env=env if env is not None else os.environ)
            summary.message = (summary.message + " " + summary.sent.message).strip()
        except CchcError as exc:
            summary.exit_code = EXIT_FAILED
            summary.message = (summary.message + f" Gửi báo cáo thất bại: {exc}").strip()
        log(summary.message)
        log.flush()
    return summary


@dataclass
class ConsolidationPlan:
    """What a run does, computed without writing anything (:func:`plan_consolidation`).

    ``files``: a report per inbox file (accepted / rejected / skipped); ``changes``: the cells to merge
    after conflict resolution (the newest copy wins per task and column); ``conflicts``: Vietnamese lines.
    """

    now: dt.datetime
    files: list[FileReport] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    files_read: int = 0

    def log_rows(self) -> list[dict]:
        """The rows for ``Nhật ký`` (keys ``_log.LOG_HEADERS``): every change, conflict and rejection."""
        now = self.now
        rows: list[dict] = []
        for ch in self.changes:
            rows.append({"Thời gian": now, "Tệp": ch.file, "Tổ/nhóm": ch.group, "Mã": ch.task, "Cột": ch.column,
                         "Giá trị cũ": _display(ch.old), "Giá trị mới": _display(ch.new), "Ghi chú": "Cập nhật"})
        for msg in self.conflicts:
            rows.append({"Thời gian": now, "Tệp": "", "Tổ/nhóm": "", "Mã": "", "Cột": "", "Giá trị cũ": "",
                         "Giá trị mới": "", "Ghi chú": "Xung đột: " + msg})
        for rep in self.files:
            if rep.status == "rejected":
                rows.append({"Thời gian": now, "Tệp": rep.name, "Tổ/nhóm": rep.group, "Mã": "", "Cột": "",
                             "Giá trị cũ": "", "Giá trị mới": "",
                             "Ghi chú": "Từ chối: " + "; ".join(rep.reasons)[:30000]})
        return rows

    def column_values(self, table: str = schema.TASKS.table) -> dict[str, dict[str, object]]:
        """``{column: {row id: new value}}`` of the accepted changes to ``table`` (one block per changed
        column)."""
        out: dict[str, dict[str, object]] = {}
        for ch in self.changes:
            if ch.table == table:
                out.setdefault(ch.column, {})[ch.task] = ch.new
        return out


def plan_consolidation(mt: _MasterTasks, inbox: str | os.PathLike, *, now: dt.datetime,
                       settle_seconds: float = SETTLE_SECONDS, max_bytes: int = MAX_FILE_BYTES,
                       exclude: Path | None = None, progress=None) -> ConsolidationPlan:
    """Examine every file of ``inbox`` against the master tasks ``mt`` (see :func:`master_tasks`) and
    resolve conflicts. Reads the inbox files only: writes and moves nothing. ``exclude`` is the log file."""
    step = progress or (lambda f, m: None)
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'.")
    plan = ConsolidationPlan(now=now)
    groups = {group_of(v.get("Tổ/nhóm chuyên môn")) for _, v in mt.rows.values()} - {""}
    today = now.date()

    files = _candidates(inbox, exclude)
    busy_by_file = busy_reasons(files, settle_seconds)
    reports: list[FileReport] = []
    for i, p in enumerate(files):
        step(0.05 + 0.6 * i / max(len(files), 1), f"Đang kiểm tra {p.name}")
        busy = busy_by_file[p]
        if busy == "tệp đã bị xóa":
            continue
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        if busy:
            rep = FileReport(p.name, "skipped", reasons=[busy])
        else:
            plan.files_read += 1
            try:
                if st.st_size > max_bytes:
                    rep = FileReport(p.name, "rejected", reasons=[size_problem(st.st_size, max_bytes)])
                else:
                    rep = _examine(p, p.read_bytes(), mt, groups, today, max_bytes)
            except OSError as exc:
                rep = FileReport(p.name, "skipped", reasons=[f"không đọc được tệp ({exc.strerror or exc})"])
        rep.path = p
        reports.append(rep)
    plan.files = reports

    # conflicts: newest copy wins per (task, column)
    proposals: dict[tuple[str, str, str], list[tuple[dt.datetime, Change]]] = {}
    for rep in reports:
        if rep.status != "accepted":
            continue
        when = rep.when or now
        for ch in rep.changes:
            ch.when = when
            proposals.setdefault((ch.table, ch.task, ch.column), []).append((when, ch))
    for (_table, tid, col), props in proposals.items():
        props.sort(key=lambda x: (x[0], x[1].file))
        winner = props[-1][1]
        distinct = {_canon(c.new) for _, c in props}
        if len(distinct) > 1:
            losers = ", ".join(f"{c.file} ('{_display(c.new)}')" for _, c in props[:-1] if _canon(c.new) != _canon(winner.new))
            msg = (f"nhiệm vụ {tid}, cột '{col}': {losers} khác với {winner.file} ('{_display(winner.new)}'); "
                   f"giữ bản mới hơn {winner.file}")
            plan.conflicts.append(msg)
        plan.changes.append(winner)
    return plan


def file_away(plan: ConsolidationPlan, inbox: str | os.PathLike, summary: ConsolidationSummary,
              log: InboxLog, now_overdue: int | None = None) -> None:
    """After the master holds the changes: move accepted copies to ``processed/<date>/``, rejected ones
    to ``rejected/`` with ``NAME.txt`` giving the reasons, leave skipped ones; fill ``summary`` and the
    log lines (the caller flushes ``log``)."""
    inbox = Path(inbox)
    now = plan.now
    summary.files_read = plan.files_read
    summary.files = plan.files
    summary.conflicts = list(plan.conflicts)
    summary.changes = plan.changes
    summary.cells_changed = len(plan.changes)
    summary.tasks_changed = len({c.task for c in plan.changes})
    summary.now_overdue = now_overdue
    day = now.strftime("%Y-%m-%d")
    for rep in plan.files:
        src = rep.path
        if rep.status == "accepted":
            summary.accepted += 1
            rep.moved_to = _move(src, inbox / "processed" / day)
            log(f"CHẤP NHẬN {rep.name} (tổ/nhóm: {rep.group}; {len(rep.changes)} ô khác sổ chính)")
        elif rep.status == "rejected":
            summary.rejected += 1
            rep.moved_to = _move(src, inbox / "rejected")
            reason_file = rep.moved_to.with_name(rep.moved_to.name + ".txt")
            reason_file.write_text(
                f"Tệp: {rep.name}\nThời gian kiểm tra: {now:%d/%m/%Y %H:%M:%S}\n"
                + (f"Tổ/nhóm: {rep.group}\n" if rep.group else "")
                + "Tệp bị TỪ CHỐI, chưa có thay đổi nào được đưa vào sổ chính. Lý do:\n"
                + "".join(f"- {r}\n" for r in rep.reasons)
                + "Hãy sửa theo lý do trên rồi gửi lại.\n", encoding="utf-8")
            log(f"TỪ CHỐI {rep.name}: {'; '.join(rep.reasons)}")
        else:
            summary.skipped += 1
            log(f"BỎ QUA {rep.name}: {'; '.join(rep.reasons)}")
    for ch in plan.changes:
        log(f"THAY ĐỔI {ch.file} | {ch.group} | {ch.task} | {ch.column}: '{_display(ch.old)}' → '{_display(ch.new)}'")
    for c in summary.conflicts:
        log(f"XUNG ĐỘT {c}")
    log(f"KẾT QUẢ đọc {summary.files_read}, chấp nhận {summary.accepted}, từ chối {summary.rejected}, "
        f"bỏ qua {summary.skipped}, nhiệm vụ cập nhật {summary.tasks_changed}, quá hạn {summary.now_overdue}")
    summary.exit_code = EXIT_REJECTED if summary.rejected else EXIT_OK


def apply_plan(book, td, mt: _MasterTasks, plan: ConsolidationPlan, occ_td=None) -> bool:
    """Write the accepted changes of ``plan`` and its log rows into ``book`` (any Book adapter: the file
    path and the ribbon write the same way): one :meth:`write_column` per changed column of each table the
    changes name (:attr:`Change.table`: the task table ``td``, or the occurrence table ``occ_td`` of
    ``mt.occurrences``, both as read from ``book``), one :meth:`append_log`. Returns True when anything was
    written."""
    tables = {schema.TASKS.table: (schema.TASKS, td, mt)}
    if occ_td is not None and mt.occurrences is not None:
        tables[schema.OCCURRENCES.table] = (schema.OCCURRENCES, occ_td, mt.occurrences)
    for name in dict.fromkeys(ch.table for ch in plan.changes):
        if name not in tables:
            raise CchcError(f"Sổ tính chính không có bảng '{name}' để ghi các thay đổi.")
        spec, table_td, table_mt = tables[name]
        index = {tid: row - table_td.first_row for tid, (row, _vals) in table_mt.rows.items()}
        values = table_td.row_values()
        for column, new in plan.column_values(name).items():
            j = table_td.headers.index(column)
            column_values = [row[j] if j < len(row) else None for row in values]
            for tid, value in new.items():
                column_values[index[tid]] = value
            book.write_column(spec.sheet, spec.table, column, column_values)
    rows = plan.log_rows()
    if rows:
        book.append_log(rows)
    return bool(plan.changes or rows)


def _run(master: Path, inbox: Path, as_of, summary: ConsolidationSummary, log: InboxLog, step,
         settle: float, max_bytes: int, now: dt.datetime, lock_wait: float) -> None:
    from ..engine import compute, load_data, write_outputs
    from ..io.file_book import FileBook
    from ..report_record import read_record, record_of

    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'.")
    step(0.02, "Đang đọc sổ tính chính…")
    with FileBook.for_update(master, wait=lock_wait) as book:     # one writer at a time, read to write
        mt, td, occ_td = _read_master(book, master.name)
        plan = plan_consolidation(mt, inbox, now=now, settle_seconds=settle, max_bytes=max_bytes,
                                  exclude=log.path, progress=step)
        step(0.7, "Đang cập nhật sổ tính chính…")
        changed = apply_plan(book, td, mt, plan, occ_td)
        # The report follows the one as-of rule (core.report_date): it is made again when anything changed, or
        # when the report in the master is not the one the rule gives today (another period, date or data).
        before = read_record(book)
        result = compute(load_data(book), as_of=as_of)
        made = record_of(result)
        if changed or made != before:
            step(0.8, "Đang tính lại chỉ số và báo cáo…")
            write_outputs(book, result)
            step(0.9, "Đang lưu sổ tính chính…")
            book.save()     # ONE atomic save (file and folder fsync'd) before any inbox file moves
            summary.report_written = True
        summary.report, summary.report_previous, summary.report_note = made, before, result.figures.date_note
        summary.report_as_of_words = result.chosen.as_of_words if result.chosen else ""
        # only now (master durably written) move the files and write the reasons
        file_away(plan, inbox, summary, log, now_overdue=len(result.overdue_tasks))
    step(1.0, "Xong.")
