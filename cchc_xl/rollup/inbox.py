"""One pass over the Sở's inbox: every new file read once, judged and stored before the next one.

:func:`examine_inbox` lists the inbox (less the roll-up's own files), recognises the files it hashed before
by their name, size, modification time and inode (nothing is read again), leaves files still being written
for the next run, and for each new file: reads it (bounded by the size cap), hashes it, and — unless that
content was judged before — examines it (:func:`judge`: container checks of
:mod:`cchc_xl.io.inbox`, then :func:`cchc_xl.exchange.reader.read_exchange`) and stores the verdict:
an accepted file's submission at once (whatever its period), a rejected file moved to ``INBOX/rejected/``
with ``NAME.txt`` beside it. Files rejected by another version of the program are examined again — in the
inbox or where they were filed (an accepted one moves back into the inbox). Everything goes into the open
transaction of the caller's :class:`~cchc_xl.rollup.store.Store`; memory holds one file at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..io import inbox as shared
from ..io.inbox import server_arrival   # the mail server's arrival time of a file `collect` saved (its ledger)

__all__ = ["examine_inbox", "listing", "judge", "InboxState", "file_away", "arrival_time", "made_time"]

CONTAINER_CAUSE = "container"
UNREADABLE_CAUSE = "unreadable"
_FUTURE_SLACK = dt.timedelta(minutes=5)
RECENT_SECONDS = 60


def arrival_time(path: Path, st: os.stat_result, now: dt.datetime, sha: str) -> tuple[dt.datetime, str | None]:
    """When ``path`` (content hash ``sha``) reached the inbox, and a note when that had to be corrected.

    The one place the roll-up learns a file's arrival: the mail server's time when ``cchc-xl collect`` saved the
    file (its ledger beside the inbox), else the file's modification time (the time the mail program saved the
    attachment); never later than ``now`` — the run that first sees the file, whose verdict records the time once
    for good — so a clock set in the future on the machine that wrote it gives the present moment instead (and the
    note says so).
    """
    arrived = server_arrival(path, sha) or dt.datetime.fromtimestamp(st.st_mtime).replace(microsecond=0)
    if arrived > now + _FUTURE_SLACK:
        return now, (f"thời điểm của tệp ({arrived:%d/%m/%Y %H:%M}) ở tương lai; lấy thời điểm nhận là lúc "
                     f"kiểm tra ({now:%d/%m/%Y %H:%M})")
    return min(arrived, now), None


def made_time(made_at: dt.datetime, arrived: dt.datetime) -> tuple[dt.datetime, str | None]:
    """The time that orders a unit's files: when the file says it was made, never later than its arrival (a file
    dated 2099 would otherwise win for ever); a note when corrected.

    >>> made_time(dt.datetime(2099, 1, 1), dt.datetime(2024, 6, 17, 9))[0]
    datetime.datetime(2024, 6, 17, 9, 0)
    """
    if made_at > arrived + _FUTURE_SLACK:
        return arrived, (f"thời điểm lập tệp ghi trong tệp ({made_at:%d/%m/%Y %H:%M}) sau thời điểm nhận; lấy thời "
                         f"điểm nhận ({arrived:%d/%m/%Y %H:%M}) để xếp thứ tự các tệp của đơn vị")
    return made_at, None


@dataclass
class InboxState:
    """What the pass found besides what it stored: the new accepted files and their period. (The files now in the
    inbox are the store's ``inbox_files``.)"""

    new_accepted: list[tuple[str, str, int]] = field(default_factory=list)   # (file name, period key, year)


def listing(inbox: Path) -> list[tuple[Path, os.stat_result]]:
    """The inbox's candidate files with their ``stat`` (one system call each), sorted by name — the rule of
    :func:`cchc_xl.io.inbox.candidates` (:func:`~cchc_xl.io.inbox.skipped_name`): regular files at the top of the
    inbox, not Excel owner files (``~$``), hidden or temporary files, logs or writer locks."""
    out = []
    with os.scandir(inbox) as entries:
        for e in entries:
            if shared.skipped_name(e.name):
                continue
            try:
                if not e.is_file():
                    continue
                out.append((Path(e.path), e.stat()))
            except OSError:       # vanished meanwhile
                continue
    out.sort(key=lambda item: item[0].name)
    return out


def judge(data: bytes, max_bytes: int) -> tuple[object, str | None, str | None]:
    """``(submission, None, None)`` for a valid exchange file, else ``(None, cause, Vietnamese reason)``."""
    from ..exchange.reader import ExchangeFormatError, read_exchange

    problem = shared.container_problem(data, max_bytes)
    if problem:
        return None, CONTAINER_CAUSE, problem
    try:
        return read_exchange(data), None, None
    except ExchangeFormatError as exc:
        return None, exc.cause.value, str(exc)
    except Exception as exc:  # noqa: BLE001 - one hostile file never stops the run
        return None, UNREADABLE_CAUSE, f"tệp bị hỏng, không đọc được nội dung ({type(exc).__name__})"


def reason_text(name: str, now: dt.datetime, reason: str) -> str:
    return (f"Tệp: {name}\nThời gian kiểm tra: {now:%d/%m/%Y %H:%M:%S}\n"
            "Tệp bị TỪ CHỐI, chưa được đưa vào báo cáo tổng hợp của Sở. Lý do:\n"
            f"- {reason}\nĐơn vị hãy sửa theo lý do trên rồi gửi lại.\n")


def file_away(path: Path, inbox: Path, now: dt.datetime, reason: str) -> tuple[str | None, str]:
    """Move a rejected file to ``INBOX/rejected/`` with its reason file; ``(name it was filed as, reason)`` — the
    reason completed when the file could not be moved (the rejection stands; only its filing failed)."""
    try:
        moved = shared.move_unique(path, inbox / "rejected")
    except OSError as exc:
        return None, reason + f" (không chuyển được vào thư mục 'rejected': {_cause(exc)})"
    try:
        shared.write_reason_file(moved, reason_text(path.name, now, reason))
    except OSError as exc:
        return moved.name, reason + f" (không ghi được tệp lý do: {_cause(exc)})"
    return moved.name, reason


def _cause(exc: OSError) -> str:
    from ..errors import describe_os_error

    return describe_os_error(exc).split(": ", 1)[-1].split(". ", 1)[0]


def _read(path: Path, size: int, max_bytes: int) -> tuple[bytes, str]:
    """The file's bytes and the hash that identifies it; a file over ``max_bytes`` is never read whole (it is
    identified by its beginning and its size). At most one byte more than ``size`` is asked for: read(n) allocates
    n bytes first, and a 20 MB buffer per 45 KB file is most of the reading time."""
    with open(path, "rb") as fh:
        data = fh.read(min(size, max_bytes) + 1)
        if len(data) > size and len(data) <= max_bytes:   # it grew meanwhile: the rest, still bounded
            data += fh.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes or size > max_bytes:
        return b"", hashlib.sha256(data[:65536] + str(size).encode()).hexdigest()
    return data, hashlib.sha256(data).hexdigest()


class _Pass:
    def __init__(self, plan, store, summary, step):
        self.plan, self.store, self.summary, self.step = plan, store, summary, step
        self.state = InboxState()
        self.gone: set[str] = set()      # names moved out of the inbox by this run

    def store_file(self, path: Path, data: bytes, size: int, sha: str, arrived: dt.datetime,
                   note: str | None) -> bool:
        """Judge ``data`` and record the verdict; True when accepted."""
        plan, summary = self.plan, self.summary
        if data:
            sub, cause, reason = judge(data, plan.max_bytes)
        else:
            sub, cause, reason = None, CONTAINER_CAUSE, shared.size_problem(size, plan.max_bytes)
        if sub is not None:
            made, made_note = made_time(sub.made_at, arrived)
            notes = "; ".join(n for n in (note, made_note) if n) or None
            self.store.add_submission(sha, path.name, size, arrived, made, sub, plan.now,
                                      f"{sub.period_key}/{sub.period_year}", __version__, notes)
            if notes:
                summary.warnings.append(f"{path.name}: {notes}")
            self.state.new_accepted.append((path.name, sub.period_key, sub.period_year))
            summary.accepted += 1
            return True
        filed, reason = file_away(path, plan.inbox, plan.now, reason)
        if filed is not None:
            self.gone.add(path.name)
        self.store.add_rejection(sha, path.name, size, arrived, plan.now, cause, reason, __version__, None, filed,
                                 note)
        summary.rejections.append((path.name, reason))
        summary.rejected += 1
        return False

    def run(self) -> InboxState:
        plan, store, summary = self.plan, self.store, self.summary
        inbox_real = plan.inbox.resolve()
        own = {p.name for p in plan.own_files() if p.parent == inbox_real}
        files = [(p, st) for p, st in listing(plan.inbox) if p.name not in own]
        summary.files_seen = len(files)
        seen = store.inbox_files()
        pending: list[tuple[Path, os.stat_result]] = []
        for p, st in files:
            sig = seen.get(p.name)
            if sig is not None and sig[:3] == (st.st_size, st.st_mtime_ns, st.st_ino):
                summary.already_known += 1
            else:
                pending.append((p, st))
        recent = time.time() - RECENT_SECONDS        # the clock of the machine that holds the inbox
        busy = shared.busy_reasons([p for p, _ in pending], plan.settle_seconds,
                                   check_seconds=1.0 if any(st.st_mtime > recent for _, st in pending) else 0)
        total = max(len(pending), 1)
        for i, (p, _) in enumerate(pending):
            if i % 100 == 0:
                self.step(0.05 + 0.6 * i / total, f"Đang kiểm tra {p.name}")
            if busy[p]:
                summary.skipped += 1
                summary.skips.append((p.name, busy[p]))
                continue
            self._one(p)
        self._examine_filed_again()
        current = {p.name for p, _ in files} - self.gone
        store.forget_inbox_files(set(seen) - current)
        return self.state

    def _one(self, p: Path) -> None:
        plan, store, summary = self.plan, self.store, self.summary
        try:
            st = p.stat()
            data, sha = _read(p, st.st_size, plan.max_bytes)
        except OSError as exc:
            summary.skipped += 1
            summary.skips.append((p.name, f"không đọc được tệp ({_cause(exc)})"))
            return
        verdict = store.verdict(sha)
        if verdict is not None and not (verdict[0] == "rejected" and verdict[1] != __version__):
            store.remember_inbox_file(p.name, st.st_size, st.st_mtime_ns, st.st_ino, sha)
            summary.already_known += 1
            return
        if verdict is not None:
            summary.examined_again += 1
        arrived, note = arrival_time(p, st, plan.now, sha)
        if self.store_file(p, data, st.st_size, sha, arrived, note):
            store.remember_inbox_file(p.name, st.st_size, st.st_mtime_ns, st.st_ino, sha)

    def _examine_filed_again(self) -> None:
        """Files rejected by another version, filed in ``rejected/``: judged again; accepted ones come back."""
        plan, store, summary = self.plan, self.store, self.summary
        folder = plan.inbox / "rejected"
        for sha, name, filed, arrived_at in store.stale_rejections(__version__):
            path = folder / filed
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                st = path.stat()
                data, got = _read(path, st.st_size, plan.max_bytes)
            except OSError:
                continue
            if got != sha:
                continue
            summary.examined_again += 1
            arrived = dt.datetime.fromisoformat(arrived_at)
            sub, cause, reason = judge(data, plan.max_bytes) if data else (None, None, None)
            if sub is None:
                if cause is not None:
                    store.add_rejection(sha, name, st.st_size, arrived, plan.now, cause, reason, __version__, None,
                                        filed)
                    self._rewrite_reason(path, name, reason)
                continue
            try:
                back = shared.move_unique(path, plan.inbox)
            except OSError as exc:
                summary.warnings.append(f"{filed}: được chấp nhận khi xem xét lại nhưng không chuyển lại được vào hộp "
                                        f"thư ({_cause(exc)})")
                back = path
            reason_file = path.with_name(path.name + ".txt")
            if back != path and reason_file.is_file() and not reason_file.is_symlink():
                try:
                    reason_file.unlink()
                except OSError:
                    pass
            made, note = made_time(sub.made_at, arrived)
            store.add_submission(sha, name, st.st_size, arrived, made, sub, plan.now,
                                 f"{sub.period_key}/{sub.period_year}", __version__,
                                 "được chấp nhận khi xem xét lại" + (f"; {note}" if note else ""))
            if back != path:
                bst = back.stat()
                store.remember_inbox_file(back.name, bst.st_size, bst.st_mtime_ns, bst.st_ino, sha)
            self.state.new_accepted.append((name, sub.period_key, sub.period_year))
            summary.accepted += 1

    def _rewrite_reason(self, path: Path, name: str, reason: str) -> None:
        try:
            shared.write_reason_file(path, reason_text(name, self.plan.now, reason))
        except OSError:
            pass


def examine_inbox(plan, store, summary, step) -> InboxState:
    """Examine and store every new file of ``plan.inbox`` (see the module docstring) inside ``store``'s open
    transaction; counts, rejections, skips and warnings go to ``summary``."""
    return _Pass(plan, store, summary, step).run()
