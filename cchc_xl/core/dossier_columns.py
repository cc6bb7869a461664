"""Dossiers as columns: every dossier's due date and class, and a window's counts, at once (numpy).

The rules are those of :mod:`.dossiers` (``due_date``, ``classify``, ``receipt_day``) and
:func:`.rates.dossier_stats`; they stay the one definition, and this module is tested against them on
every fixture and on generated data (``tests/core/test_dossier_columns.py``). Here they run over
arrays:

* a date is its day ordinal (``date.toordinal()``), ``0`` when there is none;
* an enumeration is a small integer code (:data:`CHANNELS`, :data:`STATUSES`, :data:`RATINGS`,
  :data:`CLASSES`);
* working-day arithmetic is a lookup in the sorted ordinals of the calendar's working days
  (:meth:`.calendar.WorkCalendar.working_days`: holidays, make-up Saturdays and the ``Ngày nghỉ``
  overrides included) with ``numpy.searchsorted``: the receipt day is the first working day ``>=`` the
  date, the *n*-th working day after ``d`` is ``ords[searchsorted(ords, d, 'right') + n - 1]``.

Cost: a few dozen numpy passes over the table, ``O(n log w)``; 10,000 dossiers in about 2 ms, where the
rule functions one dossier at a time take about 25 ms.

>>> from datetime import datetime
>>> from .calendar import WorkCalendar
>>> from .dossiers import Dossier, Procedure
>>> from .periods import get_period
>>> cols = DossierColumns.from_dossiers([
...     Dossier("A", "P3", datetime(2024, 4, 26, 9), "online", None, date(2024, 5, 2), "returned", True,
...             "satisfied", False),
...     Dossier("B", "P3", datetime(2024, 3, 3, 9), "direct", None, None, "processing", None, None, False)])
>>> s = column_stats(cols, {"P3": Procedure("P3", "", 3, False, "Trường", True)}, get_period("h1", 2024),
...                  date(2024, 6, 14), WorkCalendar())
>>> s.per_dossier["A"], s.early, s.pending_overdue, s.online_new     # 26/04 + 3 = Sat 04/05 (make-up day)
((datetime.date(2024, 5, 4), 'early'), 1, 1, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

import numpy as np

from .calendar import WorkCalendar
from .dossiers import CUTOFF_15H, Dossier, Procedure
from .periods import Period
from .rates import DossierStats

__all__ = ["DossierColumns", "WorkingDays", "CHANNELS", "STATUSES", "RATINGS", "CLASSES", "due_ordinals",
           "receipt_ordinals", "class_codes", "column_stats"]

CHANNELS = ("direct", "online", "post")          # any other channel counts as direct, as in dossier_stats
STATUSES = ("processing", "waiting", "returned", "withdrawn", "refused")
RATINGS = ("very_satisfied", "satisfied", "dissatisfied")   # another non-blank rating: code 3 (rated, neither)
CLASSES = ("early", "on_time", "late", "pending_not_due", "pending_overdue", "withdrawn", "waiting", "refused",
           "out_of_period")
_CHANNEL = {name: k for k, name in enumerate(CHANNELS)}
_STATUS = {name: k for k, name in enumerate(STATUSES)}
_RATING = {name: k for k, name in enumerate(RATINGS)}
_WAITING, _WITHDRAWN, _REFUSED = _STATUS["waiting"], _STATUS["withdrawn"], _STATUS["refused"]
(_EARLY, _ON_TIME, _LATE, _NOT_DUE, _OVERDUE, _C_WITHDRAWN, _C_WAITING, _C_REFUSED, _OUT) = range(len(CLASSES))
_CUTOFF_SECONDS = CUTOFF_15H.hour * 3600 + CUTOFF_15H.minute * 60 + CUTOFF_15H.second


def _ordinal(d) -> int:
    return 0 if d is None else d.toordinal()


class DossierColumns(Sequence):
    """Dossiers in sheet order, one array per field; also a sequence of :class:`.dossiers.Dossier`
    (made when asked for, from the columns).

    Columns: ``ids``, ``codes`` (procedure codes) and ``received`` (the ``datetime`` values) are object
    arrays; ``received_day``, ``appointment``, ``finished``, ``complete`` day ordinals (``int64``, ``0`` = none);
    ``late_15h`` (received at or after 15:00 — a plain date counts as 00:00); ``channel``, ``status``
    (codes of :data:`CHANNELS`, :data:`STATUSES`), ``rating`` (``-1`` = none), ``digitised`` (``-1`` = none,
    ``0``, ``1``), ``complaint`` (bool); ``rows`` (Excel rows, for messages).

    Build it with :meth:`from_dossiers` from records, or from arrays (the table reader,
    ``cchc_xl.io.dossier_table``), where every value is already in the form the table reader gives a
    :class:`Dossier`: dates as ``date``, ``received`` as ``datetime``, enumerations from the tuples above.
    """

    __slots__ = ("ids", "codes", "received", "received_day", "late_15h", "channel", "appointment", "finished",
                 "status", "digitised", "rating", "complaint", "rows", "complete", "_records")

    def __init__(self, *, ids, codes, received, received_day, late_15h, channel, appointment, finished, status,
                 digitised, rating, complaint, rows, complete, records: list[Dossier] | None = None):
        self.ids, self.codes, self.received = ids, codes, received
        self.received_day, self.late_15h, self.channel = received_day, late_15h, channel
        self.appointment, self.finished, self.status = appointment, finished, status
        self.digitised, self.rating, self.complaint = digitised, rating, complaint
        self.rows, self.complete = rows, complete
        self._records = records

    @classmethod
    def of(cls, dossiers: Iterable[Dossier]) -> DossierColumns:
        """``dossiers`` as columns (itself when it already is)."""
        return dossiers if isinstance(dossiers, cls) else cls.from_dossiers(dossiers)

    @classmethod
    def from_dossiers(cls, dossiers: Iterable[Dossier]) -> DossierColumns:
        """The columns of ``dossiers`` (any :class:`Dossier`; iterating gives the same records back)."""
        records = list(dossiers)
        received = [d.received for d in records]
        seconds = [(r.hour * 3600 + r.minute * 60 + r.second) if isinstance(r, datetime) else -1 for r in received]

        def ordinals(name):
            return np.array([_ordinal(_as_date(getattr(d, name))) for d in records], dtype=np.int64)

        return cls(
            ids=_objects([d.id for d in records]), codes=_objects([d.procedure_code for d in records]),
            received=_objects(received),
            received_day=np.array([_as_date(r).toordinal() for r in received], dtype=np.int64),
            late_15h=np.array(seconds, dtype=np.int64) >= _CUTOFF_SECONDS,
            channel=np.array([_CHANNEL.get(d.channel, 0) for d in records], dtype=np.int8),
            appointment=ordinals("appointment"), finished=ordinals("finished"), complete=ordinals("complete"),
            status=np.array([_STATUS.get(d.status, 0) for d in records], dtype=np.int8),
            digitised=np.array([-1 if d.digitised is None else 1 if d.digitised else 0 for d in records],
                               dtype=np.int8),
            rating=np.array([-1 if d.rating is None else _RATING.get(d.rating, 3) for d in records], dtype=np.int8),
            complaint=np.array([bool(d.complaint) for d in records], dtype=bool),
            rows=_objects([d.row for d in records]), records=records)

    @classmethod
    def concat_by_row(cls, parts: Sequence[DossierColumns]) -> DossierColumns:
        """The dossiers of ``parts`` together, ordered by Excel row (stable); parts must hold the table
        reader's values (see the class)."""
        def cat(name):
            return np.concatenate([getattr(p, name) for p in parts])

        rows = cat("rows")
        order = np.argsort(np.array(rows, dtype=np.int64), kind="stable")
        return cls(**{name: cat(name)[order] for name in (
            "ids", "codes", "received", "received_day", "late_15h", "channel", "appointment", "finished", "status",
            "digitised", "rating", "complaint", "rows", "complete")})

    # -- the sequence of records ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if self._records is not None:
            return self._records[i]
        if i < 0:
            i += len(self)
        return Dossier(
            id=self.ids[i], procedure_code=self.codes[i], received=self.received[i],
            channel=CHANNELS[self.channel[i]], appointment=_date(self.appointment[i]),
            finished=_date(self.finished[i]), status=STATUSES[self.status[i]],
            digitised=None if self.digitised[i] < 0 else bool(self.digitised[i]),
            rating=None if self.rating[i] < 0 else RATINGS[self.rating[i]], complaint=bool(self.complaint[i]),
            row=self.rows[i], complete=_date(self.complete[i]))

    def __iter__(self):
        if self._records is not None:
            return iter(self._records)
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"DossierColumns({len(self)} dossiers)"


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _as_date(d):
    return d.date() if isinstance(d, datetime) else d


def _date(ordinal) -> date | None:
    return date.fromordinal(int(ordinal)) if ordinal else None


class WorkingDays:
    """The calendar's working days as a sorted ``int64`` array of ordinals, searched with
    ``numpy.searchsorted``; loads more years (from the calendar) when a search runs past its end.

    ``first_year`` must be at or before the year of every day asked about (:func:`due_ordinals` passes the
    earliest date it has).

    >>> wd = WorkingDays(WorkCalendar(), 2024, 2024)
    >>> days = np.array([date(2024, 2, 7).toordinal(), date(2024, 12, 31).toordinal()])
    >>> [date.fromordinal(int(o)) for o in wd.add(days, np.array([3, 1]))]    # jumps Tết; into 2025
    [datetime.date(2024, 2, 19), datetime.date(2025, 1, 2)]
    >>> date.fromordinal(int(wd.roll_forward(np.array([date(2024, 2, 10).toordinal()]))[0]))
    datetime.date(2024, 2, 15)
    """

    def __init__(self, cal: WorkCalendar, first_year: int, last_year: int):
        self.cal, self.first_year, self.last_year = cal, first_year, last_year
        self.ords = np.array(cal.working_days(first_year, last_year), dtype=np.int64)

    def _grow(self, past: int) -> None:
        # about 250 working days a year: load enough years at once (as WorkCalendar does)
        self.last_year += 1 + past // 240
        self.ords = np.array(self.cal.working_days(self.first_year, self.last_year), dtype=np.int64)

    def _cover(self, days: np.ndarray) -> None:
        """Load years until the last working day loaded is on or after every day of ``days``."""
        while days.size and (not self.ords.size or int(days.max()) > int(self.ords[-1])):
            self._grow(0)

    def _pick(self, idx: np.ndarray) -> np.ndarray:
        # positions stay valid when years are added at the end (the days searched are all covered)
        while idx.size and int(idx.max()) >= len(self.ords):
            self._grow(int(idx.max()) - len(self.ords))
        return self.ords[idx]

    def roll_forward(self, days: np.ndarray) -> np.ndarray:
        """Each day when it is a working day, else the next working day."""
        self._cover(days)
        return self._pick(np.searchsorted(self.ords, days, side="left"))

    def add(self, days: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The ``n``-th working day strictly after each day (``n >= 1``)."""
        self._cover(days)
        return self._pick(np.searchsorted(self.ords, days, side="right") + n - 1)


def _procedure_arrays(codes: np.ndarray, procedures: Mapping[str, Procedure]):
    """Per dossier: is the procedure known, its working days (``max(0, n)``) and its 15:00 rule."""
    procs = list(procedures.values())
    index = {code: k for k, code in enumerate(procedures)}
    uniq = {c: index.get(c, -1) for c in set(codes.tolist())}
    k = np.array([uniq[c] for c in codes.tolist()], dtype=np.int64)
    n = np.array([max(0, int(p.working_days)) for p in procs] + [0], dtype=np.int64)
    rule = np.array([bool(p.rule_15h) for p in procs] + [False], dtype=bool)
    return k >= 0, n[k], rule[k]          # k == -1 picks the trailing 0 / False


def _working_days(cal: WorkCalendar, *arrays: np.ndarray, extra_days: int = 0) -> WorkingDays | None:
    """A :class:`WorkingDays` from the earliest to the latest non-zero ordinal of ``arrays`` (+ ``extra_days``
    working days of margin); None when there is no date at all."""
    present = [a[a > 0] for a in arrays]
    present = [a for a in present if a.size]
    if not present:
        return None
    lo = min(int(a.min()) for a in present)
    hi = max(int(a.max()) for a in present)
    last = min(date.fromordinal(hi).year + 1 + extra_days // 240, date.max.year)
    return WorkingDays(cal, date.fromordinal(lo).year, last)


def receipt_ordinals(cols: DossierColumns, cal: WorkCalendar, roll: bool = True,
                     wd: WorkingDays | None = None) -> np.ndarray:
    """:func:`.dossiers.receipt_day` of every dossier, as ordinals."""
    day = cols.received_day
    if not roll or not day.size:
        return day
    wd = wd or _working_days(cal, day)
    return wd.roll_forward(day)


def due_ordinals(cols: DossierColumns, procedures: Mapping[str, Procedure], cal: WorkCalendar,
                 restart: bool = True, roll: bool = True, wd: WorkingDays | None = None) -> np.ndarray:
    """:func:`.dossiers.due_date` of every dossier, as ordinals (``0`` = None: no appointment, unknown
    procedure)."""
    known, n, rule = _procedure_arrays(cols.codes, procedures)
    appt, comp = cols.appointment, cols.complete
    has_appt = appt > 0
    use_complete = (comp > 0) if restart else np.zeros(len(cols), dtype=bool)
    # the printed appointment wins, unless a complete date re-starts the term after it (a known procedure)
    take_appt = has_appt & (~use_complete | (appt >= comp) | ~known)
    due = np.where(take_appt, appt, 0)
    need = known & ~take_appt
    if need.any():
        wd = wd or _working_days(cal, cols.received_day, comp, extra_days=int(n.max(initial=0)))
        base = np.where(use_complete, comp, cols.received_day)[need]
        late = (~use_complete & cols.late_15h)[need]
        n_need, rule_need = n[need], rule[need]
        day = wd.roll_forward(base) if roll else base
        out = wd.roll_forward(day)                                    # n == 0, "trong ngày"
        after_15h = (n_need == 0) & rule_need & late & (day == base)  # at/after 15:00 on a working day
        if after_15h.any():
            out[after_15h] = wd.add(day[after_15h], np.ones(int(after_15h.sum()), dtype=np.int64))
        positive = n_need > 0
        if positive.any():
            out[positive] = wd.add(day[positive], n_need[positive])
        due[need] = out
    return due


def class_codes(cols: DossierColumns, due: np.ndarray, cut: date, refused_timed: bool = True) -> np.ndarray:
    """:func:`.dossiers.classify` of every dossier as of ``cut``: codes of :data:`CLASSES`."""
    c = cut.toordinal()
    status, fin, comp = cols.status, cols.finished, cols.complete
    finished = (status != _WITHDRAWN) & (fin > 0) & (fin <= c)
    cls = np.where((due == 0) | (c <= due), _NOT_DUE, _OVERDUE)
    cls = np.where((status == _WAITING) | ((comp > 0) & (c < comp)), _C_WAITING, cls)
    timed = np.where(due == 0, _ON_TIME, np.where(fin < due, _EARLY, np.where(fin == due, _ON_TIME, _LATE)))
    cls = np.where(finished, timed, cls)
    if not refused_timed:
        cls = np.where(status == _REFUSED, _C_REFUSED, cls)
    return np.where(status == _WITHDRAWN, _C_WITHDRAWN, cls).astype(np.int8)


def column_stats(dossiers: Iterable[Dossier], procedures: Mapping[str, Procedure], period: Period, cut: date,
                 cal: WorkCalendar, refused_timed: bool = True, satisfaction: str = "QĐ 766",
                 restart: bool = True, roll: bool = True) -> DossierStats:
    """:func:`.rates.dossier_stats`, computed over columns: the same :class:`.rates.DossierStats` (counts and
    ``per_dossier``), for the same arguments."""
    cols = DossierColumns.of(dossiers)
    s = DossierStats(satisfaction_measure=satisfaction)
    if not len(cols):
        return s
    longest = max((max(0, int(p.working_days)) for p in procedures.values()), default=0)
    wd = _working_days(cal, cols.received_day, cols.complete, extra_days=longest)
    due = due_ordinals(cols, procedures, cal, restart, roll, wd)
    day = receipt_ordinals(cols, cal, roll, wd)
    start, end = period.start.toordinal(), period.end.toordinal()
    status, fin = cols.status, cols.finished
    withdrawn = status == _WITHDRAWN
    inside = np.where(withdrawn, (start <= day) & (day <= end), (day <= end) & ~((fin > 0) & (fin < start)))
    cls = np.where(inside, class_codes(cols, due, cut, refused_timed), _OUT)
    new = inside & (day >= start)
    counts = np.bincount(cls, minlength=len(CLASSES))
    count = np.count_nonzero

    s.received_new = count(new)
    s.carried_over = count(inside) - s.received_new
    s.online_new = count(new & (cols.channel == _CHANNEL["online"]))
    s.post_new = count(new & (cols.channel == _CHANNEL["post"]))
    s.direct_new = s.received_new - s.online_new - s.post_new
    s.early, s.on_time, s.late = int(counts[_EARLY]), int(counts[_ON_TIME]), int(counts[_LATE])
    s.pending_not_due, s.pending_overdue = int(counts[_NOT_DUE]), int(counts[_OVERDUE])
    s.withdrawn, s.waiting, s.refused_untimed = int(counts[_C_WITHDRAWN]), int(counts[_C_WAITING]), \
        int(counts[_C_REFUSED])
    resolved = cls <= _LATE
    s.resolved = count(resolved)
    s.digitised = count(resolved & (cols.digitised == 1))
    cohort = np.bincount(cls[new], minlength=len(CLASSES))
    s.cohort_early, s.cohort_on_time, s.cohort_late = (int(cohort[k]) for k in (_EARLY, _ON_TIME, _LATE))
    s.cohort_pending = int(cohort[_NOT_DUE] + cohort[_OVERDUE])
    considered = inside & (cls != _C_WITHDRAWN)
    rating = cols.rating
    s.considered = count(considered)
    s.rated = count(considered & (rating >= 0))
    s.satisfied = count(considered & ((rating == _RATING["very_satisfied"]) | (rating == _RATING["satisfied"])))
    s.dissatisfied_or_complaint = count(considered & ((rating == _RATING["dissatisfied"]) | cols.complaint))
    for name in ("received_new", "carried_over", "online_new", "post_new", "direct_new", "resolved", "digitised",
                 "considered", "rated", "satisfied", "dissatisfied_or_complaint"):
        setattr(s, name, int(getattr(s, name)))
    s.per_dossier = _per_dossier(cols.ids, due, cls)
    return s


def _per_dossier(ids: np.ndarray, due: np.ndarray, cls: np.ndarray) -> dict[str, tuple[date | None, str]]:
    """``{id: (due date or None, class name)}`` in order, the dates made once per distinct day."""
    days, inverse = np.unique(due, return_inverse=True)
    dates = _objects([_date(o) for o in days.tolist()])
    names = _objects(list(CLASSES))
    return dict(zip(ids.tolist(), zip(dates[inverse].tolist(), names[cls].tolist())))

