"""The Sở's SQLite database of received exchange files (embedded, one file beside the roll-up workbook).

Schema (version :data:`SCHEMA_VERSION`)::

    meta(key PRIMARY KEY, value)                  schema version; fingerprint of the last workbook written
    files(sha256 PRIMARY KEY, file_name, size,    every file ever examined, by content hash:
          arrived_at, seen_at, outcome, reason,   outcome accepted | rejected; a file seen again
          submission_id)                          (same bytes, any name) is skipped
    submissions(id PRIMARY KEY, unit_code,        one row per accepted file: the unit, period,
          unit_name, period_key, period_year,     as-of date, when it was made (in the file) and
          period_from, period_to, as_of, made_at, when it arrived (file time when first seen)
          arrived_at, sha256 UNIQUE, file_name,
          format_version, program_version)
    submission_values(submission_id, key,         the file's long table: one row per key, the value
          label, unit, num, text, date)           in exactly one of num / text / date (ISO)
    current_submissions (VIEW)                    per (unit, period key, year) the submission made
                                                  last (ties: the later id); older ones are kept

A newer submission of the same unit and period supersedes the older one only through the view:
nothing is deleted or updated. Every write of one run happens in one transaction, so a run killed
half-way leaves the database as before.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from ..errors import CchcError

__all__ = ["Store", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    period_key TEXT NOT NULL,
    period_year INTEGER NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    as_of TEXT NOT NULL,
    made_at TEXT NOT NULL,
    arrived_at TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    format_version INTEGER NOT NULL,
    program_version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_submissions_unit_period
    ON submissions (period_year, period_key, unit_code, made_at);
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    arrived_at TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
    reason TEXT,
    submission_id INTEGER REFERENCES submissions (id)
);
CREATE TABLE IF NOT EXISTS submission_values (
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    unit TEXT NOT NULL,
    num REAL,
    text TEXT,
    date TEXT,
    PRIMARY KEY (submission_id, key)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS current_submissions AS
    SELECT s.* FROM submissions s
    WHERE NOT EXISTS (
        SELECT 1 FROM submissions t
        WHERE t.unit_code = s.unit_code AND t.period_key = s.period_key AND t.period_year = s.period_year
          AND (t.made_at > s.made_at OR (t.made_at = s.made_at AND t.id > s.id)));
"""


def _iso(value) -> str | None:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


class Store:
    """The database at ``path`` (created with its schema when missing)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            version = self._schema_version()
            if version is not None and version > SCHEMA_VERSION:
                raise CchcError(f"Cơ sở dữ liệu '{self.path.name}' được tạo bởi phiên bản cchc-xl mới hơn "
                                f"(lược đồ {version}); hãy cập nhật cchc-xl.")
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise CchcError(f"Không mở được cơ sở dữ liệu '{self.path}': {exc}.") from None

    def _schema_version(self) -> int | None:
        row = self.db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if row is None:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- files -------------------------------------------------------------------------------
    def known_hashes(self) -> set[str]:
        """Hashes of every file already examined (accepted or rejected)."""
        return {r[0] for r in self.db.execute("SELECT sha256 FROM files")}

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def record(self, accepted: list[tuple], rejected: list[tuple], seen_at: dt.datetime) -> None:
        """Store one run's outcome in one transaction.

        ``accepted``: ``(sha256, file_name, size, arrived_at, submission)`` with a
        :class:`~cchc_xl.exchange.reader.Submission`; ``rejected``: ``(sha256, file_name, size,
        arrived_at, reason)``.
        """
        seen = seen_at.isoformat(timespec="seconds")
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for sha, name, size, arrived, sub in accepted:
                v = sub.values
                cur.execute(
                    "INSERT INTO submissions (unit_code, unit_name, period_key, period_year, period_from, period_to,"
                    " as_of, made_at, arrived_at, sha256, file_name, format_version, program_version)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (sub.unit_code, sub.unit_name, sub.period_key, sub.period_year, _iso(v["period.from"]),
                     _iso(v["period.to"]), _iso(v["as_of"]), _iso(v["made_at"]), _iso(arrived), sha, name,
                     v["format.version"], v["program.version"]))
                sid = cur.lastrowid
                rows = []
                for key, value in v.items():
                    num = text = date = None
                    if isinstance(value, (dt.date, dt.datetime)):
                        date = _iso(value)
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        num = value
                    elif value is not None:
                        text = str(value)
                    rows.append((sid, key, sub.labels.get(key, ""), sub.units.get(key, ""), num, text, date))
                cur.executemany("INSERT INTO submission_values VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                cur.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, 'accepted', NULL, ?)",
                            (sha, name, size, _iso(arrived), seen, sid))
            for sha, name, size, arrived, reason in rejected:
                cur.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, 'rejected', ?, NULL)",
                            (sha, name, size, _iso(arrived), seen, reason))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    # -- queries -------------------------------------------------------------------------------
    def latest_period(self) -> tuple[str, int] | None:
        """``(period key, year)`` of the period that ends last among stored submissions, or None."""
        row = self.db.execute("SELECT period_key, period_year FROM submissions "
                              "ORDER BY period_to DESC, made_at DESC LIMIT 1").fetchone()
        return (row[0], int(row[1])) if row else None

    def submissions(self, period_key: str, year: int, current_only: bool = True):
        """Submission rows (``sqlite3.Row``-like tuples) of one period, by unit code then made_at."""
        table = "current_submissions" if current_only else "submissions"
        cur = self.db.execute(f"SELECT * FROM {table} WHERE period_key = ? AND period_year = ? "  # noqa: S608
                              "ORDER BY unit_code, made_at", (period_key, year))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def first_arrivals(self, period_key: str, year: int) -> dict[str, str]:
        """Unit code -> arrival time (ISO) of its first accepted submission for the period."""
        return dict(self.db.execute("SELECT unit_code, MIN(arrived_at) FROM submissions WHERE period_key = ? "
                                    "AND period_year = ? GROUP BY unit_code", (period_key, year)).fetchall())

    def values_frame(self, period_key: str, year: int):
        """A pandas DataFrame of every value of the current submissions of one period (long format:
        ``submission_id, unit_code, key, num, text, date``)."""
        import pandas as pd

        return pd.read_sql_query(
            "SELECT v.submission_id, c.unit_code, v.key, v.num, v.text, v.date FROM current_submissions c "
            "JOIN submission_values v ON v.submission_id = c.id WHERE c.period_key = ? AND c.period_year = ?",
            self.db, params=(period_key, year))

    def file_rows(self):
        cur = self.db.execute("SELECT f.*, s.unit_code, s.period_key, s.period_year FROM files f "
                              "LEFT JOIN submissions s ON s.id = f.submission_id ORDER BY f.seen_at, f.file_name")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def state_token(self) -> str:
        """Changes whenever a file is recorded (for the 'nothing new' check)."""
        n, last = self.db.execute("SELECT COUNT(*), MAX(rowid) FROM files").fetchone()
        return f"{n}:{last}"
