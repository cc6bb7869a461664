"""The dossier table (``tblHoSo``) → :class:`~cchc_xl.core.dossier_columns.DossierColumns`, column by column.

A refresh reads tens of thousands of dossier rows; reading them one cell at a time through
:class:`~.table_rows.Rows` costs ~6 µs a row. Here each column is converted in one pass (a cache per distinct
value for texts and enumerations, numpy for the checks across columns), and only the rows that need a
closer look go through the row-by-row reader (:func:`.tables._dossier_from_row`), which reports their
problems. The result — records, their order, and every problem with its sheet, row, column and sentence —
is the same as reading every row one by one (``tests/test_dossier_table.py`` checks it on the bundled and
generated workbooks, every bad-input case and generated tables).

A row is converted by columns when every cell is what a well-kept table holds:

* no cell of the row lies in a merged range, and no cell it reads holds a formula or an error value
  (``Tên TTHC`` and the computed columns are not read);
* ``Mã hồ sơ`` is a text, not blank, and no other row has the same (cleaned) text;
* ``Ngày tiếp nhận`` is a date; ``Ngày hẹn trả``, ``Ngày có kết quả``, ``Ngày nhận đủ hồ sơ`` are dates or
  blank; every date lies within the rows' window (:func:`cchc_xl.core.calendar.date_window`);
* ``Mã TTHC`` is blank or a text, of a known procedure unless an appointment date is printed;
* the enumerated columns hold one of their values (or blank where that is allowed);
* the dates and the status agree (a result dated on or after the receipt, when and only when the status
  says there is one; a complete date on or after the receipt, and no longer *Chờ bổ sung*).

Any other row — blank, a missing or repeated key, a number or a stray text, a value not in the list,
dates or a status that disagree — takes the row-by-row path. Texts are cleaned by the one function
:func:`.table_rows.clean_cell_text`, once per distinct value.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from .. import schema
from ..core.dossier_columns import CHANNELS, RATINGS, STATUSES, DossierColumns, _objects
from ..core.dossiers import CUTOFF_15H, Dossier, Procedure
from .table_rows import Record, Rows, clean_cell_text

__all__ = ["parse_dossier_table"]

# the columns the row-by-row reader reads (a formula or an error there is a problem it reports)
_READ = ("Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Hình thức nộp", "Ngày hẹn trả", "Ngày có kết quả", "Trạng thái",
         "Số hóa kết quả", "Đánh giá", "Có phản ánh", "Ngày nhận đủ hồ sơ")

_BAD = -9          # a cell that sends its row to the row-by-row path
_CUTOFF = CUTOFF_15H.hour * 3600 + CUTOFF_15H.minute * 60 + CUTOFF_15H.second
_DATETIME, _DATE = dt.datetime, dt.date


def _enum_codes(values: list, mapping: dict, codes: dict, required: bool, default: int) -> np.ndarray:
    """Codes of an enumerated column: ``mapping`` (label → value) then ``codes`` (value → code); a blank
    cell is ``default`` (``_BAD`` when ``required``), an unknown label or a value that is not a text ``_BAD``."""
    by_value = {}
    for v in set(values):
        if v is None:
            by_value[v] = _BAD if required else default
        elif v.__class__ is str:
            label = clean_cell_text(v)
            by_value[v] = (_BAD if required else default) if not label else \
                codes[mapping[label]] if label in mapping else _BAD
        else:
            by_value[v] = _BAD
    return np.array([by_value[v] for v in values], dtype=np.int64)


def _all_clean(values: list) -> bool:
    """Every value is a text that :func:`~.table_rows.clean_cell_text` leaves as it is, told in a few passes over one
    joined text (dossier codes are printable ASCII): no other character, no space at either end, no two spaces
    in a row (an empty value among others, or a space at a value's end, makes two spaces at a join).

    >>> _all_clean(["THPTKT-240102-000001", "A B"]), _all_clean(["A", ""]), _all_clean([" A"]), _all_clean([])
    (True, False, False, True)
    """
    if not all(v.__class__ is str for v in values):
        return False
    joined = " ".join(values)
    return joined.isascii() and joined.isprintable() and "  " not in joined and \
        joined[:1] != " " and joined[-1:] != " "


def _day_ordinals(values: list, distinct: bool = False) -> np.ndarray:
    """Day ordinals of a date column: ``0`` blank, ``-1`` a value that is not a date. ``distinct``: most values
    differ (receipt times), so none is worth remembering."""
    kinds = set(map(type, values))
    if kinds <= {_DATETIME, _DATE}:
        return np.array([v.toordinal() for v in values], dtype=np.int64)
    if distinct:
        return np.array([v.toordinal() if (c := v.__class__) is _DATETIME or c is _DATE else 0 if v is None else -1
                         for v in values], dtype=np.int64)
    by_value = {v: v.toordinal() if (c := v.__class__) is _DATETIME or c is _DATE else -1 for v in set(values)}
    by_value[None] = 0
    return np.array([by_value[v] for v in values], dtype=np.int64)


def parse_dossier_table(rows: Rows, procedures: Mapping[str, Procedure],
                        by_row: Callable[..., Dossier | None]) -> DossierColumns:
    """The dossiers of ``rows`` (a :class:`~.table_rows.Rows` of ``tblHoSo``) in sheet order, problems added to
    ``rows.problems``; ``by_row(rows, r, record, seen, procedures, has_complete)`` reads one row the long way."""
    has_complete = "Ngày nhận đủ hồ sơ" in rows.index
    td = rows.td
    values = td.row_values() if rows.ok else []
    slow = np.zeros(len(values), dtype=bool)
    parts = []
    if values:
        read = _Columns.read(rows, values, procedures, has_complete, slow)
        fast = np.flatnonzero(~slow)
        if fast.size:
            parts.append(read.take(fast, td.first_row))
    if slow.any():
        # fast rows' keys are on no other row, so the long way needs only the keys it sees itself
        seen: set[str] = set()
        found = [by_row(rows, r, rec, seen, procedures, has_complete)
                 for r, rec in rows.select(np.flatnonzero(slow).tolist())]
        parts.append(DossierColumns.from_dossiers([d for d in found if d is not None]))
    if not parts:
        return DossierColumns.from_dossiers([])
    return parts[0] if len(parts) == 1 else DossierColumns.concat_by_row(parts)


@dataclass
class _Columns:
    """Every column of the table converted in one pass each; :meth:`read` marks in ``slow`` the rows that take
    the row-by-row path (each check in a function of its own), :meth:`take` makes the records of the others."""

    ids: list
    codes: list
    raw_received: list
    received_day: np.ndarray
    appointment: np.ndarray
    finished: np.ndarray
    complete: np.ndarray
    status: np.ndarray
    channel: np.ndarray
    digitised: np.ndarray
    rating: np.ndarray
    complaint: np.ndarray

    @classmethod
    def read(cls, rows: Rows, values: list[list], procedures: Mapping[str, Procedure], has_complete: bool,
             slow: np.ndarray) -> _Columns:
        n, index = len(values), rows.index
        width = max(index.values()) + 1
        if min(map(len, values)) < width:
            values = [v if len(v) >= width else list(v) + [None] * (width - len(v)) for v in values]

        def column(header: str) -> list:
            return list(map(itemgetter(index[header]), values))

        _mark_cells(rows, slow)
        ids = _keys(rows, column(schema.DOSSIERS.key), slow)
        raw_received = column("Ngày tiếp nhận")
        days = [_day_ordinals(raw_received, distinct=True), _day_ordinals(column("Ngày hẹn trả")),
                _day_ordinals(column("Ngày có kết quả")),
                _day_ordinals(column("Ngày nhận đủ hồ sơ")) if has_complete else np.zeros(n, dtype=np.int64)]
        _mark_dates(rows, days, slow)
        received_day, appointment, finished, complete = days
        codes = _procedure_codes(column("Mã TTHC"), procedures, appointment, slow)
        enums = _enums(column, slow)
        read = cls(ids, codes, raw_received, received_day, appointment, finished, complete, *enums)
        read._mark_disagreements(slow)
        return read

    def _mark_disagreements(self, slow: np.ndarray) -> None:
        """Dates and status that disagree: the row-by-row reader says so (and what it assumed)."""
        status, finished, received_day, complete = self.status, self.finished, self.received_day, self.complete
        has_result = np.isin(status, [STATUSES.index("returned"), STATUSES.index("refused")])
        in_progress = np.isin(status, [STATUSES.index("processing"), STATUSES.index("waiting")])
        slow |= (finished > 0) & (finished < received_day)
        slow |= has_result & (finished == 0)
        slow |= in_progress & (finished > 0)
        slow |= (complete > 0) & ((complete < received_day) | (status == STATUSES.index("waiting")))

    def take(self, fast: np.ndarray, first_row: int) -> DossierColumns:
        """The records of the rows ``fast`` (indexes into the table)."""
        received = _objects(self.raw_received)[fast]
        if _DATE in set(map(type, received)):           # a plain date counts as received at 00:00
            received = _objects([v if v.__class__ is _DATETIME else _DATETIME.combine(v, dt.time()) for v in received])
        seconds = np.array([v.hour * 3600 + v.minute * 60 + v.second for v in received], dtype=np.int64)
        return DossierColumns(
            ids=_objects(self.ids)[fast], codes=_objects(self.codes)[fast],
            received=received, received_day=self.received_day[fast], late_15h=seconds >= _CUTOFF,
            channel=self.channel[fast].astype(np.int8), appointment=self.appointment[fast],
            finished=self.finished[fast], status=self.status[fast].astype(np.int8),
            digitised=self.digitised[fast].astype(np.int8), rating=self.rating[fast].astype(np.int8),
            complaint=self.complaint[fast].astype(bool), rows=_objects((fast + first_row).tolist()),
            complete=self.complete[fast])


def _mark_cells(rows: Rows, slow: np.ndarray) -> None:
    """A formula or an error where the row is read, or a merged cell anywhere: the long way reports it."""
    index = rows.index
    read = {index[h] for h in _READ if h in index}
    columns = set(index.values())
    for (i, j), cell in rows.td.cell_marks().items():
        if cell.merged and j in columns or (cell.formula or cell.error) and j in read:
            slow[i] = True


def _keys(rows: Rows, raw_ids: list, slow: np.ndarray) -> list:
    """The key: a text, not blank, its cleaned text on no other row (any row: the long way compares the same)."""
    ids = raw_ids if _all_clean(raw_ids) else \
        [clean_cell_text(v) if v.__class__ is str else "" if v is None else _text_of(rows, v) for v in raw_ids]
    bad = [v.__class__ is not str or not k for v, k in zip(raw_ids, ids)]
    if len(set(ids)) < len(ids):
        counts = Counter(ids)
        bad = [b or counts[k] > 1 for b, k in zip(bad, ids)]
    slow |= np.array(bad, dtype=bool)
    return ids


def _mark_dates(rows: Rows, days: list[np.ndarray], slow: np.ndarray) -> None:
    """A received date that is not one, another date that is not one or blank, a date outside the workbook's
    window (set to -1 here): the long way reports it."""
    if rows.window is not None:
        lo, hi = (d.toordinal() for d in rows.window)
        for column in days:
            column[(column > 0) & ((column < lo) | (column > hi))] = -1
    received_day, appointment, finished, complete = days
    slow |= (received_day <= 0) | (appointment < 0) | (finished < 0) | (complete < 0)


def _procedure_codes(raw_codes: list, procedures: Mapping[str, Procedure], appointment: np.ndarray,
                     slow: np.ndarray) -> list:
    """The procedure: a text (or blank), known unless an appointment is printed."""
    code_of = {v: clean_cell_text(v) for v in set(raw_codes) if v.__class__ is str}
    code_of[None] = ""
    codes = [code_of.get(v) for v in raw_codes]            # None: not a text
    state = {c: 0 if c in procedures else 1 for c in code_of.values()}   # 1: unknown, 2: not a text
    state[None] = 2
    code_state = np.array([state[c] for c in codes], dtype=np.int8)
    slow |= (code_state == 2) | ((code_state == 1) & (appointment == 0))
    return codes


def _enums(column: Callable[[str], list], slow: np.ndarray) -> list[np.ndarray]:
    """The codes of the enumerated columns (status, channel, digitised, rating, complaint); a value not in its
    list sends the row the long way."""
    out = [_enum_codes(column("Trạng thái"), schema.DOSSIER_STATUS, {s: k for k, s in enumerate(STATUSES)},
                       required=True, default=0),
           _enum_codes(column("Hình thức nộp"), schema.DOSSIER_CHANNEL, {c: k for k, c in enumerate(CHANNELS)},
                       required=True, default=0),
           _enum_codes(column("Số hóa kết quả"), schema.YES_NO, {True: 1, False: 0}, False, -1),
           _enum_codes(column("Đánh giá"), schema.RATING, {r: k for k, r in enumerate(RATINGS)}, False, -1),
           _enum_codes(column("Có phản ánh"), schema.YES_NO, {True: 1, False: 0}, False, 0)]
    for codes in out:
        slow |= codes == _BAD
    return out


def _text_of(rows: Rows, value: object) -> str:
    """What :meth:`~.table_rows.Rows.text` reads in a cell holding ``value`` (a number, a date…)."""
    record = Record(k=value)
    record.cells = None
    return rows.text(None, record, "k")
