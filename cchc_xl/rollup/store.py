"""The Sở's SQLite database of received exchange files (embedded, one file beside the roll-up workbook).

Schema (version :data:`SCHEMA_VERSION`; ``PRAGMA application_id`` = :data:`APPLICATION_ID`, so another
program's database given as ``--db`` is recognised and refused)::

    meta(key PRIMARY KEY, value)                  schema version; fingerprint of the last workbook written
    keys(id PRIMARY KEY, key UNIQUE)              every value key once (``tasks.overdue`` …)
    files(sha256 PRIMARY KEY, file_name, size,    every file ever examined, by content hash, with its
          arrived_at, seen_at, outcome, cause,    verdict: accepted | rejected, the cause (a stable code,
          reason, program_version, period,        :class:`cchc_xl.exchange.reader.Cause` or the roll-up's),
          filed_as, note, submission_id)          the Vietnamese reason, the program that judged it, the
                                                  period rolled up then, where a rejected file was filed
    inbox_files(name PRIMARY KEY, size,           what each inbox file looked like when it was hashed:
          mtime_ns, ino, sha256)                  a file unchanged since is not read again
    submissions(id PRIMARY KEY, unit_code,        one row per accepted file: the unit (and its name as
          unit_name, name_key, period_key,        compared, :func:`name_key`), period, as-of date, when
          period_year, period_from, period_to,    it was made (``made_at``: never after its arrival;
          as_of, made_at, made_at_file,           ``made_at_file``: as the file says) and arrived
          arrived_at, sha256 UNIQUE, file_name,
          format_version, program_version)
    submission_values(submission_id, key_id,      the file's long table: one row per key, a number in
          num, text)                              ``num`` or a text (dates as ISO) in ``text`` — but the
                                                  identity kept in submissions' columns and the rates,
                                                  always recomputed from the counts
    current_submissions (VIEW)                    per (unit, period key, year) the submission made last
                                                  (ties: arrived later, then the later id)

Nothing is deleted or updated but a verdict examined again; every write of one run happens in one
transaction, so a run killed half-way leaves the database as before. The database, its ``-wal``,
``-shm`` and ``-journal`` must not be symbolic links (another user's planted link is refused, never
written through). Errors of SQLite become one Vietnamese sentence (:func:`sqlite_reason`).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from ..errors import CchcError

__all__ = ["Store", "StoreError", "SCHEMA_VERSION", "APPLICATION_ID", "name_key", "sqlite_reason", "companions"]

SCHEMA_VERSION = 2
APPLICATION_ID = 0x43434858  # "CCHX"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    period_key TEXT NOT NULL,
    period_year INTEGER NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    as_of TEXT NOT NULL,
    made_at TEXT NOT NULL,
    made_at_file TEXT NOT NULL,
    arrived_at TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    format_version INTEGER NOT NULL,
    program_version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_submissions_period ON submissions (period_year, period_key, unit_code);
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    arrived_at TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
    cause TEXT,
    reason TEXT,
    program_version TEXT,
    period TEXT,
    filed_as TEXT,
    note TEXT,
    submission_id INTEGER REFERENCES submissions (id)
);
CREATE TABLE IF NOT EXISTS inbox_files (
    name TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submission_values (
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    key_id INTEGER NOT NULL REFERENCES keys (id),
    num REAL,
    text TEXT,
    PRIMARY KEY (submission_id, key_id)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS current_submissions AS
    SELECT s.* FROM submissions s
    WHERE NOT EXISTS (
        SELECT 1 FROM submissions t
        WHERE t.unit_code = s.unit_code AND t.period_key = s.period_key AND t.period_year = s.period_year
          AND (t.made_at > s.made_at OR (t.made_at = s.made_at AND
               (t.arrived_at > s.arrived_at OR (t.arrived_at = s.arrived_at AND t.id > s.id)))));
"""

# Version 1 (cchc-xl before the roll-up's issue #16): values keyed by text with their label and unit, no
# verdict causes. Upgraded in place, in one transaction.
_UPGRADE_FROM_1 = """
ALTER TABLE files ADD COLUMN cause TEXT;
ALTER TABLE files ADD COLUMN program_version TEXT;
ALTER TABLE files ADD COLUMN period TEXT;
ALTER TABLE files ADD COLUMN filed_as TEXT;
ALTER TABLE files ADD COLUMN note TEXT;
UPDATE files SET filed_as = file_name WHERE outcome = 'rejected';
ALTER TABLE submissions ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN made_at_file TEXT NOT NULL DEFAULT '';
UPDATE submissions SET name_key = cchc_name_key(unit_name), made_at_file = made_at;
CREATE TABLE keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
INSERT INTO keys (key) SELECT DISTINCT key FROM submission_values ORDER BY key;
CREATE TABLE submission_values_2 (
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    key_id INTEGER NOT NULL REFERENCES keys (id),
    num REAL,
    text TEXT,
    PRIMARY KEY (submission_id, key_id)
) WITHOUT ROWID;
INSERT INTO submission_values_2 SELECT v.submission_id, k.id, v.num, COALESCE(v.text, v.date)
    FROM submission_values v JOIN keys k ON k.key = v.key;
DROP TABLE submission_values;
ALTER TABLE submission_values_2 RENAME TO submission_values;
DROP INDEX IF EXISTS ix_submissions_unit_period;
DROP VIEW IF EXISTS current_submissions;
"""


# Values not kept in submission_values: the identity in the submissions' own columns, and the rates, which are
# equal to the rates of the file's counts (the reader checks it) and are always recomputed from counts.
_IN_COLUMNS = frozenset({"unit.code", "unit.name", "period.key", "period.from", "period.to", "as_of", "made_at",
                         "format.version", "program.version"})


class StoreError(CchcError):
    """The database cannot be used; ``user_error`` is True when the cause is the user's choice of file (another
    program's database, a planted link) rather than a fault of the machine."""

    def __init__(self, message: str, user_error: bool = False):
        super().__init__(message)
        self.user_error = user_error


def name_key(name: str) -> str:
    """A unit's name as compared with the units list: NFC, case and spacing ignored, and a leading ``Trường``.

    >>> name_key("Trường  THPT Kiến Thụy") == name_key("thpt kiến thụy")
    True
    """
    text = " ".join(unicodedata.normalize("NFC", str(name or "")).casefold().split())
    return text.removeprefix("trường ").strip()


def companions(db: Path) -> tuple[Path, ...]:
    """The files SQLite keeps beside a database (write-ahead log, shared memory, rollback journal)."""
    return tuple(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))


_SQLITE_CAUSES = (
    ("file is not a database", "không phải cơ sở dữ liệu SQLite (có thể là tệp khác bị đặt trùng tên)"),
    ("database disk image is malformed", "cơ sở dữ liệu bị hỏng"),
    ("database or disk is full", "ổ đĩa đã đầy"),
    ("disk I/O error", "lỗi đọc ghi ổ đĩa"),
    ("readonly database", "tệp hoặc thư mục chỉ cho phép đọc"),
    ("unable to open database file", "không mở được tệp (thư mục không có hoặc không có quyền ghi)"),
    ("database is locked", "cơ sở dữ liệu đang bị chương trình khác khóa"),
    ("no such table", "cơ sở dữ liệu thiếu bảng cần thiết"),
    ("no such column", "cơ sở dữ liệu thiếu cột cần thiết"),
)


def sqlite_reason(exc: sqlite3.Error) -> str:
    """SQLite's English error as a Vietnamese cause; one this table does not know is named by SQLite's error code,
    never by its English sentence.

    >>> sqlite_reason(sqlite3.DatabaseError("file is not a database"))
    'không phải cơ sở dữ liệu SQLite (có thể là tệp khác bị đặt trùng tên)'
    >>> sqlite_reason(sqlite3.OperationalError("something new"))
    'lỗi của SQLite (mã lỗi không rõ)'
    """
    text = str(exc)
    for english, vietnamese in _SQLITE_CAUSES:
        if english in text:
            return vietnamese
    return f"lỗi của SQLite (mã lỗi {getattr(exc, 'sqlite_errorname', None) or 'không rõ'})"


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run ``script`` statement by statement inside the open transaction (``executescript`` would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _iso(value) -> str | None:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def refuse_links(*paths: Path) -> None:
    """Raise :class:`StoreError` when one of ``paths`` is a symbolic link (never written through; the sentence of
    :func:`cchc_xl.io.nofollow.refuse_link`)."""
    from ..io.nofollow import refuse_link

    for p in paths:
        if p.is_symlink():
            raise StoreError(str(refuse_link(p)), user_error=True)


def _create_no_follow(path: Path) -> None:
    """Create ``path`` (empty) if missing, refusing a link planted meanwhile, a hard link or anything but a regular
    file (:func:`cchc_xl.io.nofollow.open_nofollow`)."""
    from ..errors import LinkRefusedError
    from ..io.nofollow import open_nofollow

    try:
        fd = open_nofollow(path, os.O_RDWR | os.O_CREAT, 0o644)
    except LinkRefusedError as exc:
        raise StoreError(str(exc), user_error=True) from None
    except OSError as exc:
        raise StoreError(f"Không mở được cơ sở dữ liệu '{path}': {_os_cause(exc)}.") from None
    os.close(fd)


def _os_cause(exc: OSError) -> str:
    from ..errors import describe_os_error

    return describe_os_error(exc).split(": ", 1)[-1].split(". ", 1)[0]


class Store:
    """The database at ``path`` (created with its schema when missing; a version-1 database is upgraded)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        refuse_links(self.path, *companions(self.path))
        _create_no_follow(self.path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"Không mở được cơ sở dữ liệu '{self.path}': {sqlite_reason(exc)}.") from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            not_db = "file is not a database" in str(exc)
            raise StoreError(f"Không dùng được cơ sở dữ liệu '{self.path}': {sqlite_reason(exc)}"
                             + ("; hãy chọn tệp khác bằng --db." if not_db else "."), user_error=not_db) from None
        except StoreError:
            self.db.close()
            raise
        self._key_ids = dict(self.db.execute("SELECT key, id FROM keys"))
        self._in_transaction = False

    def _prepare(self) -> None:
        db = self.db
        app = db.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if app not in (0, APPLICATION_ID) or (app == 0 and tables and "meta" not in tables):
            raise StoreError(f"'{self.path.name}' là cơ sở dữ liệu của chương trình khác, không phải của cchc-xl "
                             "rollup; hãy chọn tệp khác bằng --db (hoặc bỏ --db để dùng tệp cạnh sổ tổng hợp).",
                             user_error=True)
        version = None
        if "meta" in tables:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row and str(row[0]).isdigit() else None
            if version is None:
                raise StoreError(f"'{self.path.name}' không phải cơ sở dữ liệu của cchc-xl rollup; hãy chọn tệp khác "
                                 "bằng --db.", user_error=True)
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(f"Cơ sở dữ liệu '{self.path.name}' được tạo bởi phiên bản cchc-xl mới hơn (lược đồ "
                             f"{version}); hãy cập nhật cchc-xl.", user_error=True)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            if version == 1:
                db.create_function("cchc_name_key", 1, name_key, deterministic=True)
                _script(db, _UPGRADE_FROM_1)
            _script(db, _SCHEMA)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._in_transaction:
            self.rollback()
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one run's writes, in one transaction ------------------------------------------------------
    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self._in_transaction = True

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self._in_transaction = False

    def rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self._in_transaction = False

    def _key_id(self, key: str) -> int:
        kid = self._key_ids.get(key)
        if kid is None:
            kid = self._key_ids[key] = self.db.execute("INSERT INTO keys (key) VALUES (?)", (key,)).lastrowid
        return kid

    def add_submission(self, sha: str, name: str, size: int, arrived: dt.datetime, made_at: dt.datetime,
                       sub, seen_at: dt.datetime, period: str, program_version: str, note: str | None) -> int:
        """Store an accepted file and its values; ``made_at`` is the time used to order the unit's files (the
        file's own, never after ``arrived``). Returns the submission id."""
        v = sub.values
        cur = self.db.execute(
            "INSERT INTO submissions (unit_code, unit_name, name_key, period_key, period_year, period_from, "
            "period_to, as_of, made_at, made_at_file, arrived_at, sha256, file_name, format_version, "
            "program_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sub.unit_code, sub.unit_name, name_key(sub.unit_name), sub.period_key, sub.period_year,
             _iso(v["period.from"]), _iso(v["period.to"]), _iso(v["as_of"]), _iso(made_at), _iso(v["made_at"]),
             _iso(arrived), sha, name, v["format.version"], v["program.version"]))
        sid = cur.lastrowid
        ids, key_id = self._key_ids, self._key_id
        rows = []
        for key, value in v.items():
            if value is None or key in _IN_COLUMNS or key.startswith("rates."):
                continue
            kid = ids.get(key) or key_id(key)
            if value.__class__ in (int, float):
                rows.append((sid, kid, value, None))
            elif isinstance(value, (dt.date, dt.datetime)):
                rows.append((sid, kid, None, _iso(value)))
            else:
                rows.append((sid, kid, None, str(value)))
        self.db.executemany("INSERT INTO submission_values VALUES (?, ?, ?, ?)", rows)
        self.db.execute("INSERT OR REPLACE INTO files (sha256, file_name, size, arrived_at, seen_at, outcome, cause, "
                        "reason, program_version, period, filed_as, note, submission_id) "
                        "VALUES (?, ?, ?, ?, ?, 'accepted', NULL, NULL, ?, ?, NULL, ?, ?)",
                        (sha, name, size, _iso(arrived), _iso(seen_at), program_version, period, note, sid))
        return sid

    def add_rejection(self, sha: str, name: str, size: int, arrived: dt.datetime, seen_at: dt.datetime,
                      cause: str, reason: str, program_version: str, period: str, filed_as: str | None,
                      note: str | None = None) -> None:
        self.db.execute("INSERT OR REPLACE INTO files (sha256, file_name, size, arrived_at, seen_at, outcome, cause, "
                        "reason, program_version, period, filed_as, note, submission_id) "
                        "VALUES (?, ?, ?, ?, ?, 'rejected', ?, ?, ?, ?, ?, ?, NULL)",
                        (sha, name, size, _iso(arrived), _iso(seen_at), cause, reason, program_version, period,
                         filed_as, note))

    def mark_rejected(self, sha: str, cause: str, reason: str, filed_as: str | None) -> None:
        """A stored file rejected by the roll-up itself (its unit code belongs to another unit in the units list):
        its submission stays, for a corrected list."""
        self.db.execute("UPDATE files SET outcome = 'rejected', cause = ?, reason = ?, filed_as = ? WHERE sha256 = ?",
                        (cause, reason, filed_as, sha))

    def set_run_period(self, seen_at: dt.datetime, period: str) -> None:
        """The period rolled up by the run that rejected files at ``seen_at`` (they are listed under it)."""
        self.db.execute("UPDATE files SET period = ? WHERE seen_at = ? AND submission_id IS NULL AND period IS NULL",
                        (period, _iso(seen_at)))

    def remember_inbox_file(self, name: str, size: int, mtime_ns: int, ino: int, sha: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO inbox_files VALUES (?, ?, ?, ?, ?)", (name, size, mtime_ns, ino, sha))

    def forget_inbox_files(self, names: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM inbox_files WHERE name = ?", ((n,) for n in names))

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- reads -----------------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def inbox_files(self) -> dict[str, tuple[int, int, int, str]]:
        """``{name: (size, mtime_ns, ino, sha256)}`` of the inbox files hashed before."""
        return {r[0]: r[1:] for r in self.db.execute("SELECT name, size, mtime_ns, ino, sha256 FROM inbox_files")}

    def verdict(self, sha: str) -> tuple[str, str | None, str | None] | None:
        """``(outcome, program version, cause)`` of a file examined before, or None."""
        return self.db.execute("SELECT outcome, program_version, cause FROM files WHERE sha256 = ?", (sha,)).fetchone()

    def inbox_sha(self, name: str) -> str | None:
        row = self.db.execute("SELECT sha256 FROM inbox_files WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def stale_rejections(self, program_version: str) -> list[tuple[str, str, str, str]]:
        """``(sha256, file name, where it was filed, arrived at)`` of rejected files judged by another version of
        the program (a cause it may no longer have) that were filed in the rejected folder."""
        return self.db.execute(
            "SELECT sha256, file_name, filed_as, arrived_at FROM files WHERE outcome = 'rejected' AND filed_as IS NOT "
            "NULL AND submission_id IS NULL AND (program_version IS NULL OR program_version <> ?) "
            "ORDER BY seen_at, file_name",
            (program_version,)).fetchall()

    def inbox_periods(self) -> list[tuple[str, int, str, int]]:
        """``(period key, year, period end, files)`` of the accepted files now in the inbox (``inbox_files``)."""
        return self.db.execute(
            "SELECT s.period_key, s.period_year, s.period_to, COUNT(*) FROM inbox_files i "
            "JOIN submissions s ON s.sha256 = i.sha256 GROUP BY s.period_key, s.period_year").fetchall()

    def latest_period(self) -> tuple[str, int] | None:
        """``(period key, year)`` of the period that ends last among stored submissions, or None."""
        row = self.db.execute("SELECT period_key, period_year FROM submissions "
                              "ORDER BY period_to DESC, made_at DESC LIMIT 1").fetchone()
        return (row[0], int(row[1])) if row else None

    def state_token(self) -> str:
        """Changes whenever a file is recorded or judged again (for the 'nothing new' check)."""
        n, last = self.db.execute("SELECT COUNT(*), MAX(rowid) FROM files").fetchone()
        seen = self.db.execute("SELECT MAX(seen_at) FROM files").fetchone()[0]
        return f"{n}:{last}:{seen}"
