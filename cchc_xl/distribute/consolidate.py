"""Scheduled consolidation of returned group copies (``cchc-xl consolidate``, ``scripts/consolidate.py``).

Every regular file at the top of the inbox is examined by parsing the package (ooxml, never Excel,
never macros). A copy is accepted or rejected AS A WHOLE (:mod:`.returned` lists every check) — a
group fixes the reason and resends:

* skipped (left in the inbox, retried next run): Excel's owner file ``~$NAME`` exists, the file was
  modified in the last ``SETTLE_SECONDS`` seconds, or its size/mtime changed during a 1 s check;
* ignored: the master itself, its backups and lock file, when the master lies in its own inbox;
* rejected (moved to ``INBOX/rejected/`` with ``NAME.txt`` giving the Vietnamese reasons, each naming
  row and column): the container, the identity, the tables, locked columns, values (status list, dates,
  a text over a cell's limit, and for every row the group changed the rule ``check`` applies: a
  completion date needs ``Hoàn thành`` and lies in the plan year's window);
* accepted (moved to ``INBOX/processed/<YYYY-MM-DD>/``): every task (and occurrence) row the group
  changed since hand-out is proposed WHOLE — status, date, evidence and note together.

One bad copy never stops the others: each fault of a file is a rejection of that file, and a file that
cannot be moved afterwards is left in the inbox with the reason in the summary (the next run finds its
update already in the master).

Two accepted copies proposing different rows for one task: the copy that ARRIVED LATER in the inbox wins,
the whole row (:class:`cchc_xl.io.inbox.Arrivals`: the time the inbox's file system recorded, kept in a small
state file beside the inbox; never the copy's own save time, which the sender's clock sets), and the conflict is
reported with both versions — in the summary, the log file, ``Nhật ký`` and the ribbon's message. Every
change and rejection is appended to ``Nhật ký`` and to the log file (``INBOX/tong_hop.log`` by default).
When anything changed, the master is refreshed by the engine in memory and written ONCE, atomically,
with a verified backup, file and folder fsync'd, before any inbox file is moved — a run killed at any point
leaves the master as before or after, and a rerun finds identical values and changes nothing (idempotent).
An inbox that cannot be written is refused before the master is touched.

The workbook's writer lock (:mod:`cchc_xl.io.writelock`, ``MASTER.cchc-lock``, shared with refresh,
import-dossiers and setup-excel) is held from reading the master to moving the last file: a second run
waits ``lock_wait`` seconds (``CCHC_LOCK_WAIT_SECONDS``, else 10) and then returns exit code 4. Exit codes:
:data:`EXIT_OK` 0, :data:`EXIT_REJECTED` 2 (completed, some files rejected or left unfiled),
:data:`EXIT_FAILED` 3 (nothing changed: the message says why), :data:`EXIT_BUSY` 4.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..errors import CchcError, LinkRefusedError, WorkbookBusyError, describe_os_error
from ..io.inbox import (EXIT_BUSY, EXIT_FAILED, EXIT_OK, EXIT_REJECTED, MAX_FILE_BYTES, SETTLE_SECONDS, Arrivals,
                        busy_reasons, size_problem, write_reason_file)
from ..io.inbox import candidates as _candidates
from ..io.inbox import move_unique as _move
from .handout import EDITABLE, group_of
from .master import MasterTasks, master_tasks, read_master
from .returned import Change, FileReport, canon as _canon, display as _display, examine as _examine, short

__all__ = ["consolidate", "ConsolidationSummary", "ConsolidationPlan", "FileReport", "Change", "InboxLog",
           "MasterTasks", "master_tasks", "read_master", "plan_consolidation", "apply_plan", "file_away", "EXIT_OK",
           "EXIT_REJECTED", "EXIT_FAILED", "EXIT_BUSY"]


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
    unfiled: list[str] = field(default_factory=list)     # files that could not be moved/annotated, and why
    exit_code: int = EXIT_OK
    log_problem: str = ""                                # the log file could not be written, and why
    message: str = ""
    log_path: Path | None = None
    sent: object = None
    # The report now in the master (a report.record.ReportRecord), the one before the run, whether the run
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

    def table(self, message: bool = True) -> str:
        """The final summary as a small text table (Vietnamese); ``message=False`` leaves out the run's message and
        a log that could not be written (the command line prints those on the stream they belong to)."""
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
        out += [f"CHƯA CHUYỂN: {u}" for u in self.unfiled]
        out += self.report_lines()
        if message and self.log_problem:
            out.append(self.log_problem)
        if message and self.message:
            out.append(self.message)
        return "\n".join(out)


# ---------------------------------------------------------------------------------------- files


class InboxLog:
    """The consolidation log file (``INBOX/tong_hop.log`` by default): lines buffered, appended on flush —
    through :func:`cchc_xl.io.nofollow.append_text`, so a link planted under its name is refused, never
    written through."""

    def __init__(self, path: Path):
        self.path = path
        self.lines: list[str] = []

    def __call__(self, text: str) -> None:
        self.lines.append(f"{dt.datetime.now():%d/%m/%Y %H:%M:%S} {text}")

    def check(self) -> None:
        """Refuse (:class:`~cchc_xl.errors.LinkRefusedError`) a log that is a link or not a plain file, before
        the run changes anything."""
        from ..io.nofollow import open_nofollow

        if os.path.lexists(self.path):
            os.close(open_nofollow(self.path, os.O_WRONLY | os.O_APPEND))

    def flush(self) -> None:
        from ..io.nofollow import append_text

        if not self.lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        append_text(self.path, "\n".join(self.lines) + "\n")
        self.lines.clear()



# ---------------------------------------------------------------------------------------- main


def consolidate(master: str | os.PathLike, inbox: str | os.PathLike, as_of: dt.date | None = None,
                send: bool = False, log_path: str | os.PathLike | None = None, progress=None,
                lock_wait: float | None = None, settle_seconds: float = SETTLE_SECONDS,
                max_bytes: int = MAX_FILE_BYTES, now: dt.datetime | None = None,
                env=None) -> ConsolidationSummary:
    """Consolidate every returned copy in ``inbox`` into ``master``; never raises for bad copies.

    Returns a :class:`ConsolidationSummary` whose ``exit_code`` a scheduler can act on. A master
    that cannot be read or written (missing, locked by Excel, changed meanwhile, a full disk, a folder
    without write permission) or an inbox that cannot be written gives :data:`EXIT_FAILED` with
    ``message`` set, and no inbox file is moved. ``lock_wait`` defaults to ``CCHC_LOCK_WAIT_SECONDS``
    (else 10 s). ``send`` sends the report (:func:`cchc_xl.distribute.send.send_report`) after a
    successful run — the report the run left in the master, from the same read and the same computation, the
    master still open and locked; a send failure gives :data:`EXIT_FAILED` too.
    """
    master, inbox = Path(master), Path(inbox)
    step = progress or (lambda f, m: None)
    summary = ConsolidationSummary()
    log = InboxLog(Path(log_path) if log_path else inbox / "tong_hop.log")
    summary.log_path = log.path
    try:
        log.check()
    except (OSError, LinkRefusedError) as exc:      # nothing is done when the log cannot be trusted
        summary.exit_code = EXIT_FAILED
        reason = str(exc) if isinstance(exc, LinkRefusedError) else describe_os_error(exc)
        summary.message = f"Tổng hợp thất bại: {reason}"
        return summary
    sending = _Sending(env if env is not None else os.environ) if send else None
    try:
        _run(master, inbox, as_of, summary, log, step, settle_seconds, max_bytes,
             (now or dt.datetime.now()).replace(microsecond=0), lock_wait, sending)
    except WorkbookBusyError as exc:
        summary.exit_code = EXIT_BUSY
        summary.message = str(exc)
        log(summary.message)
    except CchcError as exc:
        summary.exit_code = EXIT_FAILED
        summary.message = f"Tổng hợp thất bại: {exc}"
        log(summary.message)
    except OSError as exc:          # the master or the inbox could not be read or written: nothing was moved
        summary.exit_code = EXIT_FAILED
        summary.message = f"Tổng hợp thất bại: {describe_os_error(exc, 'đọc hoặc ghi')} Sổ chính chưa bị thay đổi."
        log(summary.message)
    finally:
        _flush(log, summary)
    if sending is not None and sending.message:
        summary.message = (summary.message + " " + sending.message).strip()
        log(summary.message)
        _flush(log, summary)
    return summary


@dataclass
class _Sending:
    """``consolidate --send``: where the send's outcome goes (the run sends inside its lock, :func:`_send`)."""

    env: object
    message: str = ""


def _send(book, result, summary: ConsolidationSummary, sending: _Sending) -> None:
    """Send the report the run left in the master (``result``, the run's one computation) and record it in
    the master's ``Nhật ký`` through the same open ``book``; a failure is said in the summary."""
    from .send import send_report

    try:
        summary.sent = send_report(result, book=book, env=sending.env)
        sending.message = summary.sent.message
    except CchcError as exc:
        summary.exit_code = EXIT_FAILED
        sending.message = f"Gửi báo cáo thất bại: {exc}"
    except OSError as exc:
        summary.exit_code = EXIT_FAILED
        sending.message = f"Gửi báo cáo thất bại: {describe_os_error(exc, 'ghi')}"


def _flush(log: InboxLog, summary: ConsolidationSummary) -> None:
    """Append the log's lines; a log that cannot be written is said in the summary (the run's work stands)."""
    try:
        log.flush()
    except (OSError, LinkRefusedError) as exc:
        reason = str(exc) if isinstance(exc, LinkRefusedError) else describe_os_error(exc)
        summary.log_problem = f"Không ghi được nhật ký '{log.path}': {reason}"
        log.lines.clear()


@dataclass
class ConsolidationPlan:
    """What a run does, computed without writing anything (:func:`plan_consolidation`).

    ``files``: a report per inbox file (accepted / rejected / skipped); ``changes``: the cells to merge
    after conflict resolution (per task row, the copy that arrived last wins, the whole row);
    ``conflicts``: Vietnamese lines naming both versions; ``arrivals``: the inbox's arrival times.
    """

    now: dt.datetime
    files: list[FileReport] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    files_read: int = 0
    arrivals: Arrivals | None = None
    conflict_rows: list[tuple[str, str, str]] = field(default_factory=list)   # (table, Mã, group) per conflict

    def log_rows(self) -> list[dict]:
        """The rows for ``Nhật ký`` (keys ``schema.LOG_HEADERS``): every change, conflict and rejection."""
        now = self.now
        rows: list[dict] = []
        for ch in self.changes:
            rows.append({"Thời gian": now, "Tệp": ch.file, "Tổ/nhóm": ch.group, "Mã": ch.task, "Cột": ch.column,
                         "Giá trị cũ": _display(ch.old), "Giá trị mới": _display(ch.new), "Ghi chú": "Cập nhật"})
        for (_table, tid, group), msg in zip(self.conflict_rows, self.conflicts):
            rows.append({"Thời gian": now, "Tệp": "", "Tổ/nhóm": group, "Mã": tid, "Cột": "", "Giá trị cũ": "",
                         "Giá trị mới": "", "Ghi chú": ("Xung đột: " + msg)[:30000]})
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


def _belongs_to_master(p: Path, master: Path | None) -> bool:
    """The master itself, its backups, its lock file or Excel's owner file: never a returned copy."""
    if master is None:
        return False
    name = p.name
    if name == master.name or name == master.name + ".cchc-lock":
        try:
            return name != master.name or p.resolve() == master.resolve()
        except OSError:
            return True
    return bool(re.fullmatch(re.escape(master.stem) + r"\.bak-\d{8}-\d{6}(-\d+)?" + re.escape(master.suffix), name))


def plan_consolidation(mt: MasterTasks, inbox: str | os.PathLike, *, now: dt.datetime,
                       settle_seconds: float = SETTLE_SECONDS, max_bytes: int = MAX_FILE_BYTES,
                       exclude: Path | None = None, progress=None, master: Path | None = None) -> ConsolidationPlan:
    """Examine every file of ``inbox`` against the master tasks ``mt`` (see :func:`master_tasks`) and
    resolve conflicts. Reads the inbox files only: writes and moves nothing. ``exclude`` is the log file;
    ``master`` the master's path (when it lies in the inbox, it and its backups are not copies)."""
    step = progress or (lambda f, m: None)
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'.")
    plan = ConsolidationPlan(now=now, arrivals=Arrivals.load(inbox))
    groups = {group_of(v.get("Tổ/nhóm chuyên môn")) for _, v in mt.rows.values()} - {""}
    today = now.date()

    files = [p for p in _candidates(inbox, exclude) if not _belongs_to_master(p, master)]
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
        arrived = plan.arrivals.of(p, st)
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
                rep = FileReport(p.name, "skipped", reasons=[describe_os_error(exc, "đọc").rstrip(".")])
        rep.path, rep.arrived = p, arrived
        reports.append(rep)
    plan.files = reports
    _resolve(plan)
    return plan


def _row_text(row: dict) -> str:
    return ", ".join(f"{h} '{short(_display(row.get(h)))}'" for h in EDITABLE)


def _resolve(plan: ConsolidationPlan) -> None:
    """Per task (and occurrence) row: the copy that arrived last wins, the whole row; a conflict — copies
    proposing different rows — is reported with every version."""
    proposals: dict[tuple[str, str], list[FileReport]] = {}
    for rep in plan.files:
        if rep.status == "accepted":
            for key in rep.rows:
                proposals.setdefault(key, []).append(rep)
    for (table, tid), reps in proposals.items():
        reps.sort(key=lambda r: (r.arrived or plan.now, r.name))
        winner = reps[-1]
        for ch in winner.changes:
            if (ch.table, ch.task) == (table, tid):
                ch.when = winner.arrived
                plan.changes.append(ch)
        versions = {tuple(_canon(r.rows[(table, tid)].get(h)) for h in EDITABLE) for r in reps}
        if len(versions) > 1:
            label = "lần thực hiện" if table == schema.OCCURRENCES.table else "nhiệm vụ"
            told = "; ".join(f"bản '{r.name}' (đến hộp thư lúc {r.arrived:%d/%m/%Y %H:%M:%S}): "
                             f"{_row_text(r.rows[(table, tid)])}" for r in reps)
            plan.conflicts.append(f"{label} {tid} (tổ/nhóm {winner.group}) có {len(reps)} bản khác nhau — {told}. "
                                  f"Đã lấy nguyên dòng của bản đến sau cùng '{winner.name}'; nếu cần bản khác, hãy "
                                  "sửa trong sổ chính hoặc gửi lại bản đúng.")
            plan.conflict_rows.append((table, tid, winner.group))


def check_inbox_writable(inbox: Path, day: str | None = None) -> None:
    """Refuse (``CchcError``) an inbox whose files could not be moved after the master is written: one that
    cannot be written, or whose ``rejected``/``processed``(``/day``) folder is a link another user planted
    (the copies would land wherever it points)."""
    import tempfile

    from ..io.nofollow import refuse_link

    for sub in ("rejected", "processed", f"processed/{day}" if day else None):
        if sub and (inbox / sub).is_symlink():
            raise refuse_link(inbox / sub)
    try:
        fd, probe = tempfile.mkstemp(dir=inbox, prefix=".cchc-thu-ghi-", suffix=".part")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CchcError(f"Không ghi được vào thư mục hộp thư '{inbox}' để chuyển các bản đã xử lý: "
                        + describe_os_error(exc).split(": ", 1)[-1] + " Sổ chính chưa bị thay đổi.") from None


def file_away(plan: ConsolidationPlan, inbox: str | os.PathLike, summary: ConsolidationSummary,
              log: InboxLog, now_overdue: int | None = None) -> None:
    """After the master holds the changes: move accepted copies to ``processed/<date>/``, rejected ones
    to ``rejected/`` with ``NAME.txt`` giving the reasons, leave skipped ones; fill ``summary`` and the
    log lines (the caller flushes ``log``). Never raises for one file: a file that cannot be moved stays in
    the inbox and the summary says why (its update, if any, is already in the master)."""
    inbox = Path(inbox)
    now = plan.now
    summary.files_read = plan.files_read
    summary.files = plan.files
    summary.conflicts = list(plan.conflicts)
    summary.changes = plan.changes
    summary.cells_changed = len(plan.changes)
    summary.tasks_changed = len({(c.table, c.task) for c in plan.changes})
    summary.now_overdue = now_overdue
    day = now.strftime("%Y-%m-%d")
    left: set[str] = set()
    for rep in plan.files:
        src = rep.path
        arrived = f"; đến hộp thư lúc {rep.arrived:%d/%m/%Y %H:%M:%S}" if rep.arrived else ""
        try:
            if rep.status == "accepted":
                summary.accepted += 1
                rep.moved_to = _move(src, inbox / "processed" / day)
                log(f"CHẤP NHẬN {rep.name} (tổ/nhóm: {rep.group}; {len(rep.changes)} ô khác sổ chính{arrived})")
            elif rep.status == "rejected":
                summary.rejected += 1
                rep.moved_to = _move(src, inbox / "rejected")
                write_reason_file(rep.moved_to, _reason_text(rep, now))
                log(f"TỪ CHỐI {rep.name}: {'; '.join(rep.reasons)}")
            else:
                summary.skipped += 1
                left.add(rep.name)
                log(f"BỎ QUA {rep.name}: {'; '.join(rep.reasons)}")
        except (OSError, LinkRefusedError) as exc:
            where = "chuyển tệp" if rep.moved_to is None else "ghi tệp lý do"
            why = str(exc) if isinstance(exc, LinkRefusedError) else describe_os_error(exc).split(': ', 1)[-1]
            rep.filing = f"không {where} được: {why}"
            if rep.moved_to is None:
                left.add(rep.name)
                rep.filing += " Tệp được để lại trong hộp thư; lần chạy sau sẽ xử lý lại."
            summary.unfiled.append(f"{rep.name}: {rep.filing}")
            log(f"CHƯA CHUYỂN {rep.name}: {rep.filing}")
    for ch in plan.changes:
        log(f"THAY ĐỔI {ch.file} | {ch.group} | {ch.task} | {ch.column}: '{_display(ch.old)}' → '{_display(ch.new)}'")
    for c in summary.conflicts:
        log(f"XUNG ĐỘT {c}")
    log(f"KẾT QUẢ đọc {summary.files_read}, chấp nhận {summary.accepted}, từ chối {summary.rejected}, "
        f"bỏ qua {summary.skipped}, nhiệm vụ cập nhật {summary.tasks_changed}, quá hạn {summary.now_overdue}")
    if plan.arrivals is not None:
        try:
            plan.arrivals.save(left)
        except OSError as exc:
            log(f"Không ghi được thứ tự đến của các tệp: {describe_os_error(exc)}")
    summary.exit_code = EXIT_REJECTED if summary.rejected or summary.unfiled else EXIT_OK


def _reason_text(rep: FileReport, now: dt.datetime) -> str:
    return (f"Tệp: {rep.name}\nThời gian kiểm tra: {now:%d/%m/%Y %H:%M:%S}\n"
            + (f"Đến hộp thư lúc: {rep.arrived:%d/%m/%Y %H:%M:%S}\n" if rep.arrived else "")
            + (f"Tổ/nhóm: {rep.group}\n" if rep.group else "")
            + "Tệp bị TỪ CHỐI, chưa có thay đổi nào được đưa vào sổ chính. Lý do:\n"
            + "".join(f"- {r}\n" for r in rep.reasons)
            + "Hãy sửa theo lý do trên rồi gửi lại.\n")


def apply_plan(book, td, mt: MasterTasks, plan: ConsolidationPlan, occ_td=None) -> bool:
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
         settle: float, max_bytes: int, now: dt.datetime, lock_wait: float | None,
         sending: _Sending | None = None) -> None:
    from ..engine import compute, write_outputs
    from ..io.file_book import FileBook
    from ..report.record import read_record, record_of

    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'.")
    if master.is_dir():
        raise CchcError(f"'{master}' là một thư mục, không phải tệp sổ tính chính; "
                        "hãy ghi đúng đường dẫn tới tệp .xlsm.")
    check_inbox_writable(inbox, now.strftime("%Y-%m-%d"))
    step(0.02, "Đang đọc sổ tính chính…")
    with FileBook.for_update(master, wait=lock_wait) as book:     # one writer at a time, read to write
        read = read_master(book, master.name)                    # the one read of the master
        plan = plan_consolidation(read.tasks, inbox, now=now, settle_seconds=settle, max_bytes=max_bytes,
                                  exclude=log.path, progress=step, master=master)
        step(0.7, "Đang cập nhật sổ tính chính…")
        changed = apply_plan(book, read.tasks_table, read.tasks, plan, read.occurrences_table)
        # The report follows the one as-of rule (core.report_date): it is made again when anything changed, or
        # when the report in the master is not the one the rule gives today (another period, date or data).
        before = read_record(book)
        result = compute(read.written_data() if changed else read.data, as_of=as_of)
        made = record_of(result)
        if changed or made != before:
            step(0.8, "Đang tính lại chỉ số và báo cáo…")
            write_outputs(book, result)
            step(0.9, "Đang lưu sổ tính chính…")
            book.save()     # ONE atomic save (file and folder fsync'd) before any inbox file moves
            summary.report_written = True
        summary.report, summary.report_previous, summary.report_note = made, before, result.figures.date_note
        summary.report_as_of_words = result.chosen.as_of_words if result.chosen else ""
        # only now (master durably written) move the files and write the reasons; never raises for one file
        file_away(plan, inbox, summary, log, now_overdue=len(result.overdue_tasks))
        if sending is not None and summary.exit_code in (EXIT_OK, EXIT_REJECTED):
            _send(book, result, summary, sending)    # the report now in the master: this run's result
    step(1.0, "Xong.")
