"""``cchc-xl collect``: the schools' reports from the Sở's mailbox into the roll-up's inbox, each exactly once.

Flow of :func:`collect_mailbox` (the command) — under the inbox's lock (``INBOX/.cchc-hop-thu.sqlite.cchc-lock``,
:func:`cchc_xl.io.writelock.writer_lock`: a second run waits, then exits 4), with the ledger open
(:mod:`.ledger`) and the mailbox logged in (:mod:`.imap`) — then :func:`collect` for each message not yet
collected nor skipped, oldest first, at most :attr:`~.settings.Limits.max_messages` per run (the rest wait):

1. a message the ledger already knows (collected, but the run that collected it stopped before marking it) is
   only marked again;
2. a message larger than :attr:`~.settings.Limits.max_message_bytes` is skipped without being downloaded;
3. the message is downloaded and read (:func:`.letter.read_letter`); a message without exactly one report, or
   otherwise unusable, is skipped: it stays in the folder with the keyword ``CchcBoQua`` and its reason is in
   the summary and the ledger;
4. a report whose bytes were already collected (the same file sent twice, or one message collected twice) gives
   no second file; otherwise it is written into the inbox under a temporary hidden name, fsync'd, given the
   server's INTERNALDATE as its modification time, renamed to its safe name (``NAME (2).xlsx`` when taken)
   and the folder fsync'd; its PDFs go to ``INBOX/kem_theo/`` the same way;
5. the ledger records the file and the message (one durable transaction) — only then is the message marked
   on the server (:class:`~.settings.MarkMode`). A run stopped anywhere leaves either nothing, or a file the
   next run recognises by its bytes: never a lost or doubled report.

Nothing is ever written outside the inbox: names are made by :func:`.letter.safe_name` and checked again
against the folder before writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ..core import vnformat
from ..errors import CchcError, describe_os_error
from ..io.inbox import fit_name, unique_path
from ..io.nofollow import sync_folder, temp_beside
from .ledger import EXTRAS_FOLDER, Ledger, inbox_lock
from .letter import Attachment, read_letter, too_large_reason
from .settings import ImapSettings, Limits

__all__ = ["collect", "collect_mailbox", "CollectPlan", "CollectSummary", "save_durably"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def _local(when: dt.datetime) -> str:
    """``dd/mm/yyyy hh:mm`` in this computer's time zone (the server may answer in UTC)."""
    when = when.astimezone()
    return f"{vnformat.date_vn(when.date())} {when:%H:%M}"


@dataclass(frozen=True)
class CollectPlan:
    """One collection run: where to, from which account, within which limits."""

    inbox: Path
    settings: ImapSettings
    limits: Limits = Limits()
    lock_wait: float | None = None


@dataclass
class CollectSummary:
    where: str = ""
    pending: int = 0
    collected: list[tuple[str, str, dt.datetime]] = field(default_factory=list)   # (file, sender, arrived)
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)                   # (which message, why)
    left: int = 0
    notes: list[str] = field(default_factory=list)
    failure: str = ""

    @property
    def exit_code(self) -> int:
        if self.failure:
            return EXIT_ERROR
        return EXIT_PROBLEMS if self.skipped else EXIT_OK

    def text(self) -> str:
        lines = [f"Hộp thư {self.where}: {self.pending} thư chưa nhận",
                 f"Đã nhận {len(self.collected)} tệp báo cáo; trùng tệp đã nhận: {self.duplicates}; bỏ qua: "
                 f"{len(self.skipped)}; để lại lần sau: {self.left}"]
        lines += [f"NHẬN: {name} — từ {sender or '(không có địa chỉ trả lời)'}, thư đến lúc {_local(when)}"
                  for name, sender, when in self.collected]
        lines += [f"BỎ QUA: {which} — {why}" for which, why in self.skipped]
        lines += [f"CHÚ Ý: {note}" for note in self.notes]
        if self.failure:
            lines.append(f"Lỗi: {self.failure}")
        return "\n".join(lines)


def save_durably(folder: Path, name: str, data: bytes, when: dt.datetime) -> Path:
    """Write ``data`` as ``folder/name`` (``NAME (2).ext`` when another file has that name; the same bytes
    already there under that name are kept as they are), durably: temporary hidden file, fsync, modification
    time set to ``when``, rename, folder fsync. Raises ``OSError``; :class:`CchcError` when the name would
    leave ``folder`` (it cannot: :func:`.letter.safe_name` made it — this is the last guard)."""
    folder.mkdir(parents=True, exist_ok=True)
    same = folder / fit_name(name, folder)
    if same.is_file() and not same.is_symlink() and hashlib.sha256(same.read_bytes()).digest() == \
            hashlib.sha256(data).digest():
        return same
    dest = unique_path(folder, name)
    if dest.parent.resolve() != folder.resolve() or dest.name in ("", ".", ".."):
        raise CchcError(f"Tên tệp '{name}' không hợp lệ; không ghi.")
    with temp_beside(dest, mode=0o644) as tmp:   # created exclusively; a link planted at dest is replaced
        tmp.write(data)
        tmp.sync()
        stamp = when.timestamp()
        os.utime(tmp.path, (stamp, stamp))
        tmp.commit()
    sync_folder(folder)
    return dest


def _which(uid: int, letter_from: str, subject: str) -> str:
    text = f"thư UID {uid}"
    if letter_from:
        text += f" từ {letter_from}"
    if subject:
        text += f" «{subject[:80]}»"
    return text


def collect(plan: CollectPlan, ledger: Ledger, mailbox, *, now: dt.datetime | None = None,
            progress=None) -> CollectSummary:
    """Collect the waiting messages of ``mailbox`` (an open :class:`~.imap.Mailbox`) into ``plan.inbox``; the
    caller holds :func:`inbox_lock`. A :class:`CchcError`, ``OSError`` or SQLite error on the way (the connection
    lost, a full disk) stops the run: what was collected so far stays collected and the summary says why it stopped."""
    step = progress or (lambda f, m: None)
    summary = CollectSummary(where=f"{plan.settings.user}, thư mục '{plan.settings.folder}' ({plan.settings.where})")
    folder, validity, limits = plan.settings.folder, mailbox.uidvalidity, plan.limits
    try:
        waiting = mailbox.pending()
        summary.pending = len(waiting)
        batch = waiting[:limits.max_messages]
        summary.left = len(waiting) - len(batch)
        now = (now or dt.datetime.now().astimezone()).replace(microsecond=0)
        for i, item in enumerate(batch):
            step(0.05 + 0.9 * i / max(len(batch), 1), f"Đang nhận thư {i + 1}/{len(batch)}")
            _one(plan, ledger, mailbox, item, summary, now, folder, validity, limits)
    except CchcError as exc:
        summary.failure = str(exc)
    except OSError as exc:
        summary.failure = describe_os_error(exc, "ghi")
    except sqlite3.Error as exc:         # the ledger: a full disk, a folder that became read-only…
        summary.failure = (f"Không ghi được tệp theo dõi hộp thư '{ledger.path}' ({exc}); tệp vừa lưu sẽ được nhận "
                           "ra ở lần chạy sau. Hãy kiểm tra ổ đĩa rồi chạy lại.")
    step(1.0, "Xong.")
    return summary


def _one(plan: CollectPlan, ledger: Ledger, mailbox, item, summary: CollectSummary, now: dt.datetime,
         folder: str, validity: int, limits: Limits) -> None:
    known = ledger.message_outcome(folder, validity, item.uid)
    if known in ("collected", "duplicate"):
        mailbox.mark_collected(item.uid)
        return
    if known == "skipped":
        mailbox.mark_skipped(item.uid)
        return
    record = dict(folder=folder, uidvalidity=validity, uid=item.uid, size=item.size,
                  internal_date=item.internal_date, now=now)
    raw = None
    if item.size <= limits.max_message_bytes:
        raw = mailbox.fetch(item.uid)
        if raw is None:                  # removed by someone else meanwhile
            return
    if raw is None or len(raw) > limits.max_message_bytes:
        why = too_large_reason(max(item.size, len(raw or b"")), limits.max_message_bytes)
        ledger.record_message(outcome="skipped", reason=why, message_id="", **record)
        mailbox.mark_skipped(item.uid)
        summary.skipped.append((_which(item.uid, "", ""), why))
        return
    letter = read_letter(raw, limits)
    which = _which(item.uid, letter.sender or letter.sender_text, letter.subject)
    if letter.problem or letter.report is None:
        why = letter.problem or "thư không có tệp báo cáo"
        ledger.record_message(outcome="skipped", reason=why, message_id=letter.message_id, **record)
        mailbox.mark_skipped(item.uid)
        summary.skipped.append((which, why))
        return
    sha = hashlib.sha256(letter.report.data).hexdigest()
    if ledger.file_name_of(sha) is not None:
        ledger.link_duplicate(sha256=sha, message_id=letter.message_id, **record)
        mailbox.mark_collected(item.uid)
        summary.duplicates += 1
        return
    saved = save_durably(plan.inbox, letter.report.name, letter.report.data, item.internal_date)
    extras = [_save_extra(plan.inbox, saved, pdf, item.internal_date) for pdf in letter.extras]
    notes = list(letter.notes)
    if saved.name != letter.report.name:
        notes.append(f"đã có tệp khác tên '{letter.report.name}' trong hộp thư; lưu thành '{saved.name}'")
    ledger.record_message(outcome="collected", reason=None, message_id=letter.message_id, saved={
        "sha256": sha, "file_name": saved.name, "size": len(letter.report.data), "sender": letter.sender,
        "sender_text": letter.sender_text, "subject": letter.subject, "notes": notes, "extras": extras}, **record)
    mailbox.mark_collected(item.uid)
    summary.collected.append((saved.name, letter.sender, item.internal_date))
    summary.notes += [f"{saved.name}: {note}" for note in notes]


def _save_extra(inbox: Path, report: Path, pdf: Attachment, when: dt.datetime) -> str:
    """A PDF beside the report, for people: ``INBOX/kem_theo/<report's name>.pdf`` (the report's name, so the
    two are found together; the sender's PDF name when there are several)."""
    name = report.with_suffix(".pdf").name
    target = Path(inbox) / EXTRAS_FOLDER
    existing = target / fit_name(name, target)
    if existing.exists() and existing.read_bytes() != pdf.data:
        name = pdf.name
    return save_durably(target, name, pdf.data, when).name


def collect_mailbox(plan: CollectPlan, password: str, *, progress=None) -> CollectSummary:
    """The command's flow: the inbox checked, locked, the ledger opened, the mailbox logged in, :func:`collect`.
    Raises :class:`CchcError` (a missing inbox, a refused login, TLS…: exit 2) and
    :class:`~cchc_xl.errors.WorkbookBusyError` (another run: exit 4) before anything is collected."""
    from .imap import Mailbox

    inbox = Path(plan.inbox)
    if inbox.exists() and not inbox.is_dir():
        raise CchcError(f"'{inbox}' là một tệp, không phải thư mục hộp thư đến; hãy ghi đúng thư mục.")
    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'; hãy tạo thư mục đó (thư mục mà lệnh "
                        "rollup đọc) rồi chạy lại.")
    with inbox_lock(inbox, plan.lock_wait), Ledger(inbox) as ledger, \
            Mailbox.open(plan.settings, password) as mailbox:
        return collect(plan, ledger, mailbox, progress=progress)
