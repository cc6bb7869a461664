"""The inbox's sidecar database: what came from the mailbox, when the server received it, who was answered.

``INBOX/.cchc-hop-thu.sqlite`` (:data:`LEDGER_NAME`; a hidden name, so the roll-up's listing of the inbox skips
it, its journal and its lock) — SQLite, one transaction per message::

    meta(key PRIMARY KEY, value)                    schema version
    files(sha256 PRIMARY KEY, file_name,            each report saved into the inbox, once per content:
          size, arrived_at, message_id, sender,     arrived_at = the server's INTERNALDATE (ISO, with its
          sender_text, subject, collected_at,       UTC offset); sender = the checked address to answer
          notes)                                    ('' when none); extras = the PDFs kept for people
    extras(sha256, file_name)                       …in INBOX/kem_theo/
    messages(folder, uidvalidity, uid, outcome,     each message examined: collected | duplicate |
          reason, sha256, message_id, size,         skipped (with its reason); a message already here
          internal_date, seen_at)                   is only marked again, never fetched again
    replies(sha256 PRIMARY KEY, kind, address,      each receipt the SMTP server accepted: never twice
          sent_at, message_id)                      for the same file

This module writes the ledger; the roll-up only reads its arrival times, through
:func:`cchc_xl.io.inbox.server_arrival` (the shared inbox module, so the roll-up never imports the mailbox that
runs it): a file's arrival time is the server's, looked up by the SHA-256 of its bytes — a file copied into the
inbox by hand, or changed since, keeps the time of its file system. The ledger's name, :data:`LEDGER_NAME`, is
that module's too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import CchcError, WorkbookBusyError
from ..io.inbox import LEDGER_NAME
from ..io.nofollow import refuse_link

__all__ = ["Ledger", "LEDGER_NAME", "EXTRAS_FOLDER", "inbox_lock", "CollectedFile", "SCHEMA_VERSION"]

EXTRAS_FOLDER = "kem_theo"          # the PDFs beside the reports, for people (the roll-up lists only the top level)
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    arrived_at TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_text TEXT NOT NULL,
    subject TEXT NOT NULL,
    collected_at TEXT NOT NULL,
    notes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS extras (
    sha256 TEXT NOT NULL REFERENCES files (sha256),
    file_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('collected', 'duplicate', 'skipped')),
    reason TEXT,
    sha256 TEXT,
    message_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    internal_date TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (folder, uidvalidity, uid)
);
CREATE TABLE IF NOT EXISTS replies (
    sha256 TEXT PRIMARY KEY REFERENCES files (sha256),
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    message_id TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class CollectedFile:
    """A row of ``files``: a report saved into the inbox."""

    sha256: str
    file_name: str
    arrived_at: dt.datetime          # aware (the server's offset)
    message_id: str
    sender: str
    sender_text: str
    subject: str


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds")


class Ledger:
    """The ledger of ``inbox`` (created with its schema when missing). Use as a context manager."""

    def __init__(self, inbox: str | os.PathLike):
        self.inbox = Path(inbox)
        self.path = self.inbox / LEDGER_NAME
        if self.path.is_symlink():   # SQLite would follow it and write into whatever it points to
            raise refuse_link(self.path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            # a rollback journal, not WAL: the inbox may be a network folder, where WAL's shared memory fails
            self.db.execute("PRAGMA journal_mode=DELETE")
            self.db.execute("PRAGMA synchronous=FULL")      # a message is marked only after its row is durable
            row = self.db.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone()
            if row is not None:
                version = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if version and int(version[0]) > SCHEMA_VERSION:
                    raise CchcError(f"Tệp '{self.path}' được tạo bởi phiên bản cchc-xl mới hơn; hãy cập nhật "
                                    "cchc-xl.")
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise CchcError(f"Không mở được tệp theo dõi hộp thư '{self.path}': {exc}. Hãy chuyển tệp đó ra "
                            "chỗ khác rồi chạy lại (các tệp đã nhận vẫn ở trong hộp thư).") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- collection --------------------------------------------------------------------------------
    def message_outcome(self, folder: str, uidvalidity: int, uid: int) -> str | None:
        row = self.db.execute("SELECT outcome FROM messages WHERE folder=? AND uidvalidity=? AND uid=?",
                              (folder, uidvalidity, uid)).fetchone()
        return row[0] if row else None

    def file_name_of(self, sha256: str) -> str | None:
        row = self.db.execute("SELECT file_name FROM files WHERE sha256=?", (sha256,)).fetchone()
        return row[0] if row else None

    def record_message(self, *, folder: str, uidvalidity: int, uid: int, outcome: str, reason: str | None,
                       size: int, internal_date: dt.datetime, message_id: str, now: dt.datetime,
                       saved: dict | None = None) -> None:
        """One message's outcome, and the file it brought (``saved``: the ``files`` columns and ``extras``
        — a list of names), in one transaction."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            sha = saved["sha256"] if saved else None
            if saved:
                cur.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (sha, saved["file_name"], saved["size"], _iso(internal_date), message_id,
                             saved["sender"], saved["sender_text"], saved["subject"], _iso(now),
                             json.dumps(saved.get("notes", []), ensure_ascii=False)))
                cur.executemany("INSERT INTO extras VALUES (?, ?)", [(sha, n) for n in saved.get("extras", [])])
            cur.execute("INSERT OR REPLACE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (folder, uidvalidity, uid, outcome, reason, sha,
                         message_id, size, _iso(internal_date), _iso(now)))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def link_duplicate(self, *, folder: str, uidvalidity: int, uid: int, sha256: str, size: int,
                       internal_date: dt.datetime, message_id: str, now: dt.datetime) -> None:
        """A message whose report is a file already collected: recorded, no second file."""
        self.db.execute("INSERT OR REPLACE INTO messages VALUES (?, ?, ?, 'duplicate', NULL, ?, ?, ?, ?, ?)",
                        (folder, uidvalidity, uid, sha256, message_id, size, _iso(internal_date), _iso(now)))

    # -- replies -------------------------------------------------------------------------------------
    def unanswered(self) -> list[CollectedFile]:
        """Every collected file without a reply yet, in the order they arrived."""
        rows = self.db.execute("SELECT sha256, file_name, arrived_at, message_id, sender, sender_text, subject "
                               "FROM files WHERE sha256 NOT IN (SELECT sha256 FROM replies) "
                               "ORDER BY arrived_at, file_name").fetchall()
        return [CollectedFile(r[0], r[1], dt.datetime.fromisoformat(r[2]), *r[3:]) for r in rows]

    def record_reply(self, sha256: str, kind: str, address: str, message_id: str, now: dt.datetime) -> None:
        self.db.execute("INSERT INTO replies VALUES (?, ?, ?, ?, ?)", (sha256, kind, address, _iso(now), message_id))

    def replies(self) -> dict[str, tuple[str, str]]:
        """sha256 → (kind, address) of every reply sent."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute("SELECT sha256, kind, address FROM replies")}


@contextlib.contextmanager
def inbox_lock(inbox: str | os.PathLike, wait: float | None = None):
    """The inbox's lock: one collection or reply run at a time (exit 4 for the second one)."""
    from ..io.writelock import writer_lock

    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(writer_lock(Path(inbox) / LEDGER_NAME, wait=wait))
        except WorkbookBusyError:
            raise WorkbookBusyError(f"Một lần nhận thư hoặc trả lời khác đang chạy với hộp thư đến '{inbox}'; lần "
                                    "này dừng lại, không thay đổi gì. Hãy chờ lần kia xong rồi chạy lại.") from None
        yield
