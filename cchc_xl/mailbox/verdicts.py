"""Each collected file's verdict, read from the roll-up's database: the ONE place that reads it.

The roll-up (``cchc_xl/rollup/store.py``) records every file it examined by the SHA-256 of its bytes; the
replies look a file up by that hash. What is read, and nothing else (read-only connection):

* ``files(sha256, file_name, outcome, reason, submission_id)`` — ``outcome`` ``'accepted'`` or ``'rejected'``;
  ``reason`` the Vietnamese reason of a rejection;
* ``submissions(id, unit_code, unit_name, period_key, period_year, as_of, made_at, arrived_at, file_name)`` —
  the accepted file's unit and period;
* ``current_submissions(id, unit_code, period_key, period_year, made_at, file_name)`` (a view: the latest
  submission per unit and period) — an accepted file that is not the current one of its unit and period is
  *superseded* by the one that is;
* ``submission_values(submission_id, key_id, num, text)`` with ``keys(id, key)`` (schema 2) — the figures the
  Sở recorded for it (``num`` for counts, ``text`` for texts and ISO dates); the rates are not stored (the
  roll-up recomputes them from the counts) and are recomputed here by the exchange format's formulas.

A file the roll-up has not examined yet (left for the next run, or not collected by ``collect``) has no verdict.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..errors import CchcError
from ..exchange import spec

__all__ = ["read_verdicts", "Verdict", "VerdictKind"]

_CHUNK = 500


class VerdictKind(StrEnum):
    """What the Sở did with a file; the values are the words a receipt's subject uses."""

    ACCEPTED = "đã tiếp nhận"
    REJECTED = "bị từ chối"
    SUPERSEDED = "đã có bản mới hơn"


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    file_name: str
    reason: str = ""                                     # REJECTED: the roll-up's reason
    unit_code: str = ""
    unit_name: str = ""
    as_of: dt.date | None = None
    made_at: dt.datetime | None = None
    values: dict[str, object] = field(default_factory=dict)    # key → float | str | date (the recorded figures)
    newer_file: str = ""                                 # SUPERSEDED: the file the Sở uses instead
    newer_made_at: dt.datetime | None = None


def _date(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _datetime(text) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def read_verdicts(db: str | os.PathLike, shas: Iterable[str]) -> dict[str, Verdict]:
    """sha256 → :class:`Verdict` for each of ``shas`` the roll-up's database ``db`` has examined. Raises
    :class:`CchcError` when ``db`` is missing or cannot be read."""
    path = Path(db)
    if not path.is_file():
        raise CchcError(f"Không tìm thấy cơ sở dữ liệu tổng hợp '{path}'; hãy chạy lệnh rollup trước (với cùng "
                        "--out hoặc --db).")
    wanted = sorted(set(shas))
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise CchcError(f"Không mở được cơ sở dữ liệu tổng hợp '{path}': {exc}.") from None
    try:
        return _read(con, wanted)
    except sqlite3.Error as exc:
        raise CchcError(f"Không đọc được cơ sở dữ liệu tổng hợp '{path}': {exc}.") from None
    finally:
        con.close()


def _read(con: sqlite3.Connection, wanted: list[str]) -> dict[str, Verdict]:
    files = []
    for part in _chunks(wanted):
        marks = ",".join("?" * len(part))
        files += con.execute("SELECT sha256, file_name, outcome, reason, submission_id FROM files "  # noqa: S608
                             f"WHERE sha256 IN ({marks})", part).fetchall()
    ids = [f[4] for f in files if f[2] == "accepted" and f[4] is not None]
    subs: dict[int, tuple] = {}
    values: dict[int, dict[str, object]] = {i: {} for i in ids}
    for part in _chunks(ids):
        marks = ",".join("?" * len(part))
        for row in con.execute("SELECT id, unit_code, unit_name, period_key, period_year, as_of, made_at "  # noqa: S608
                               f"FROM submissions WHERE id IN ({marks})", part):
            subs[row[0]] = row
        for sid, key, num, text in con.execute(
                "SELECT v.submission_id, k.key, v.num, v.text FROM submission_values v JOIN keys k "  # noqa: S608
                f"ON k.id = v.key_id WHERE v.submission_id IN ({marks})", part):
            if num is not None:
                values[sid][key] = num
            elif text is not None:
                values[sid][key] = _date(text) if spec.unit_for(key) == spec.UNIT_DATE else text
    for figures in values.values():
        for key in spec.RATE_FORMULAS:
            value = spec.rate(key, figures)
            if value is not None:
                figures[key] = value
    current: dict[tuple, tuple] = {}
    for sub in subs.values():
        key = (sub[1], sub[3], sub[4])
        if key not in current:
            row = con.execute("SELECT id, file_name, made_at FROM current_submissions WHERE unit_code = ? AND "
                              "period_key = ? AND period_year = ?", key).fetchone()
            current[key] = row
    out: dict[str, Verdict] = {}
    for sha, name, outcome, reason, sid in files:
        if outcome != "accepted" or sid not in subs:
            out[sha] = Verdict(VerdictKind.REJECTED, name, reason=reason or "tệp không đọc được")
            continue
        sub = subs[sid]
        latest = current.get((sub[1], sub[3], sub[4]))
        newer = latest is not None and latest[0] != sid
        out[sha] = Verdict(VerdictKind.SUPERSEDED if newer else VerdictKind.ACCEPTED, name, unit_code=sub[1],
                           unit_name=sub[2], as_of=_date(sub[5]), made_at=_datetime(sub[6]), values=values[sid],
                           newer_file=latest[1] if newer else "",
                           newer_made_at=_datetime(latest[2]) if newer else None)
    return out
