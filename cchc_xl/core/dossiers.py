"""Dossiers (hồ sơ TTHC): receipt day, due date and classification of one dossier.

Rules (issue #2 §3, domain brief §3.1/§3.3):

* the receipt day is the receipt date, or the next working day when it was received on a day off;
* the printed appointment date (*Ngày hẹn trả*) is authoritative when filled;
* otherwise the due date is the n-th working day after the receipt day (the first day of a term
  is not counted, BLDS 2015 Điều 147); ``n == 0`` ("trong ngày") means the receipt day itself, or
  the next working day when the 15:00 rule applies and the dossier came in at or after 15:00;
* classification is date-only: finished < due → early, == → on time, > → late;
* a dossier waiting for the applicant's additions (*Chờ bổ sung*) is counted apart and is never
  overdue while it waits (OpenCPS ``waitingCount``); when the complete dossier arrives (*Ngày nhận đủ
  hồ sơ*) its due date counts afresh from that day (setting ``tinh_lai_han_khi_du_ho_so``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from .calendar import WorkCalendar

__all__ = [
    "Procedure",
    "Dossier",
    "CUTOFF_15H",
    "receipt_day",
    "due_date",
    "classify",
    "is_finished",
]

CUTOFF_15H = time(15, 0)


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure (row of ``tblThuTuc``)."""

    code: str
    name: str
    working_days: int  # 0 = "trong ngày"
    rule_15h: bool
    decided_by: str
    published: bool


@dataclass(frozen=True)
class Dossier:
    """One dossier (row of ``tblHoSo``); ``row`` is its Excel row, for messages.

    ``channel`` is ``'direct' | 'online' | 'post'``; ``status`` is ``'processing' | 'waiting' |
    'returned' | 'withdrawn' | 'refused'``; ``rating`` is ``'very_satisfied' | 'satisfied' |
    'dissatisfied'`` or ``None``. ``received`` may be a ``datetime`` or a plain ``date``
    (a date counts as received at 00:00).
    """

    id: str
    procedure_code: str
    received: datetime
    channel: str
    appointment: date | None
    finished: date | None
    status: str
    digitised: bool | None
    rating: str | None
    complaint: bool
    row: int | None = None
    complete: date | None = None  # Ngày nhận đủ hồ sơ: the day the additions made it complete


def _as_date(d: date | datetime) -> date:
    return d.date() if isinstance(d, datetime) else d


def receipt_day(received: date | datetime, cal: WorkCalendar, roll: bool = True) -> date:
    """The day the dossier counts as received: its date, or the next working day if that is a day off.

    ``roll=False`` (setting ``nhan_ngay_nghi_tinh_ngay_lam_viec_sau`` = Không) keeps the calendar date.

    >>> from datetime import datetime
    >>> receipt_day(datetime(2024, 3, 3, 9, 0), WorkCalendar())   # Sunday
    datetime.date(2024, 3, 4)
    >>> receipt_day(datetime(2024, 3, 3, 9, 0), WorkCalendar(), roll=False)
    datetime.date(2024, 3, 3)
    """
    return cal.roll_forward(_as_date(received)) if roll else _as_date(received)


def due_date(dossier: Dossier, procedure: Procedure | None, cal: WorkCalendar, restart: bool = True,
             roll: bool = True) -> date | None:
    """The date by which the result is due.

    Returns:
        ``dossier.appointment`` when filled (authoritative, even if it disagrees with the
        computed date); otherwise computed from ``procedure``; ``None`` when there is no
        appointment and the procedure is unknown.

    With ``restart`` (setting ``tinh_lai_han_khi_du_ho_so``) and a ``complete`` date (the dossier
    waited for additions), the term counts afresh from that day: an appointment on or after it is
    the re-issued one and stays authoritative; an earlier one is void and the due date is computed
    from ``complete`` (the appointment is kept only when the procedure is unknown).

    Edge cases:
        * ``n == 0`` and ``rule_15h``: received at or after 15:00 *on a working day* → next working
          day. A dossier received on a day off already counts from the next working day, so its
          clock time does not push the due date further.
        * The 15:00 rule only applies to ``n == 0`` procedures (as the spec states).
        * A negative ``working_days`` is treated as 0.

    >>> from datetime import datetime
    >>> p = Procedure("P", "", 3, False, "Trường", True)
    >>> d = Dossier("X", "P", datetime(2024, 6, 10, 9), "direct", date(2024, 6, 13), None, "processing",
    ...             None, None, False, complete=date(2024, 6, 17))
    >>> due_date(d, p, WorkCalendar()), due_date(d, p, WorkCalendar(), restart=False)
    (datetime.date(2024, 6, 20), datetime.date(2024, 6, 13))
    """
    if restart and dossier.complete is not None:
        complete = _as_date(dossier.complete)
        if dossier.appointment is not None and (_as_date(dossier.appointment) >= complete or procedure is None):
            return _as_date(dossier.appointment)
        if procedure is None:
            return None
        return _computed_due(complete, procedure, cal, roll)
    if dossier.appointment is not None:
        return _as_date(dossier.appointment)
    if procedure is None:
        return None
    return _computed_due(dossier.received, procedure, cal, roll)


def _computed_due(received: date | datetime, procedure: Procedure, cal: WorkCalendar, roll: bool) -> date:
    day = receipt_day(received, cal, roll)
    n = max(0, int(procedure.working_days))
    if n > 0:
        return cal.add_working_days(day, n)
    if (
        procedure.rule_15h
        and isinstance(received, datetime)
        and received.time() >= CUTOFF_15H
        and day == received.date()
    ):
        return cal.add_working_days(day, 1)
    return cal.roll_forward(day)


def is_finished(dossier: Dossier, cut: date) -> bool:
    """True when the dossier has a result dated on or before ``cut`` (and was not withdrawn).

    The result date is the fact that counts; the status is not cross-checked here (the
    table reader reports a finish date on a "processing" dossier as a data problem).
    """
    return dossier.status != "withdrawn" and dossier.finished is not None and _as_date(dossier.finished) <= cut


def classify(dossier: Dossier, due: date | None, cut: date, refused_timed: bool = True) -> str:
    """Classify a dossier as of ``cut`` (= min(as-of date, window end)).

    Returns:
        ``'withdrawn'``; ``'refused'`` (only when ``refused_timed`` is False — refused dossiers
        then are not timed); ``'early'`` / ``'on_time'`` / ``'late'`` when finished on or before
        ``cut`` (finished <, ==, > due); ``'waiting'`` while it waits for additions (status
        *Chờ bổ sung*, or ``cut`` before its ``complete`` date); otherwise ``'pending_not_due'``
        when ``cut <= due`` and ``'pending_overdue'`` when ``cut > due``.

    Edge cases:
        * ``due is None`` (unknown procedure, no appointment): pending → ``'pending_not_due'``;
          finished → ``'on_time'`` (cannot be shown late; the reader reports the missing procedure).
        * A result dated after ``cut`` makes the dossier pending as of ``cut``.

    >>> from datetime import datetime
    >>> d = Dossier("X", "P", datetime(2024, 3, 1, 8), "direct", None, date(2024, 3, 5),
    ...             "returned", True, None, False)
    >>> classify(d, date(2024, 3, 6), date(2024, 3, 14)), classify(d, date(2024, 3, 6), date(2024, 3, 4))
    ('early', 'pending_not_due')
    >>> w = Dossier("W", "P", datetime(2024, 3, 1, 8), "direct", None, None, "waiting", None, None, False)
    >>> classify(w, date(2024, 3, 6), date(2024, 6, 14))
    'waiting'
    """
    if dossier.status == "withdrawn":
        return "withdrawn"
    if dossier.status == "refused" and not refused_timed:
        return "refused"
    if is_finished(dossier, cut):
        if due is None:
            return "on_time"
        fin = _as_date(dossier.finished)
        return "early" if fin < due else "on_time" if fin == due else "late"
    if dossier.status == "waiting" or (dossier.complete is not None and cut < _as_date(dossier.complete)):
        return "waiting"
    if due is None or cut <= due:
        return "pending_not_due"
    return "pending_overdue"
