"""Dossier statistics and rates for one reporting window (issue #2 §3, domain brief §2.3/§3.2).

Window membership (``[start, end]`` = the period's window):

* a dossier belongs to the window when its receipt day is ``<= end`` and it was not finished
  before ``start``; a withdrawn dossier received before ``start`` is out;
* it is *carried over* when its receipt day is before ``start``, otherwise *new*.

Dossiers are classified as of ``cut`` (the caller passes ``min(as_of, period.end)``).

Rates are fractions, ``None`` when their denominator is 0:

=========================  ======================================================
early_or_on_time           (E + O) / R            R = E + O + L (resolved)
early                      E / R
late                       L / R
late_incl_pending_overdue  (L + Po) / (R + Po)    never below ``late`` (issue #15)
online                     online new / new
digitised                  resolved with digitised result / R
satisfaction_survey        (very satisfied + satisfied) / rated
satisfaction_qd766         (considered − dissatisfied or complaint) / considered
cohort_early_or_on_time    (E + O) / R among dossiers received in the window (CT3a)
=========================  ======================================================

"considered" = in-window dossiers that are not withdrawn; "rated" counts considered dossiers
with a rating.

Every in-window dossier has exactly one class, so the counts always add up::

    carried_over + received_new == resolved + pending + waiting + withdrawn + refused_untimed
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date

from .calendar import WorkCalendar
from .dossiers import Dossier, Procedure, classify, due_date, receipt_day
from .periods import Period

__all__ = ["DossierStats", "dossier_stats", "SATISFACTION_MEASURES", "COUNT_FIELDS", "RATE_NAMES"]

SATISFACTION_MEASURES = ("QĐ 766", "Khảo sát")

COUNT_FIELDS = (
    "carried_over", "received_new", "online_new", "direct_new", "post_new", "resolved", "early",
    "on_time", "late", "pending_not_due", "pending_overdue", "withdrawn", "refused_untimed",
    "waiting", "digitised", "rated", "satisfied", "dissatisfied_or_complaint", "considered",
    "cohort_early", "cohort_on_time", "cohort_late", "cohort_pending",
)
RATE_NAMES = (
    "early_or_on_time", "early", "late", "late_incl_pending_overdue", "online", "digitised",
    "satisfaction_survey", "satisfaction_qd766",
)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass
class DossierStats:
    """Counts for one window; rates are properties (fractions, ``None`` when undefined).

    ``per_dossier`` maps every dossier id given (in the window or not) to ``(due, cls)``,
    where ``cls`` is a :data:`cchc_xl.schema.DOSSIER_CLASS` key (``'out_of_period'`` outside
    the window).
    """

    carried_over: int = 0
    received_new: int = 0
    online_new: int = 0
    direct_new: int = 0
    post_new: int = 0
    resolved: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    pending_not_due: int = 0
    pending_overdue: int = 0
    withdrawn: int = 0
    refused_untimed: int = 0
    waiting: int = 0
    digitised: int = 0
    rated: int = 0
    satisfied: int = 0
    dissatisfied_or_complaint: int = 0
    considered: int = 0
    cohort_early: int = 0
    cohort_on_time: int = 0
    cohort_late: int = 0
    cohort_pending: int = 0
    satisfaction_measure: str = "QĐ 766"
    per_dossier: dict[str, tuple[date | None, str]] = field(default_factory=dict)

    # -- derived counts ------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Dossiers to handle in the window: carried over + new."""
        return self.carried_over + self.received_new

    @property
    def pending(self) -> int:
        """Being processed (not waiting for additions): not yet due + overdue."""
        return self.pending_not_due + self.pending_overdue

    @property
    def cohort_resolved(self) -> int:
        return self.cohort_early + self.cohort_on_time + self.cohort_late

    # -- rates ---------------------------------------------------------------------------
    @property
    def rate_early_or_on_time(self) -> float | None:
        return _ratio(self.early + self.on_time, self.resolved)

    early_or_on_time = rate_early_or_on_time

    @property
    def rate_early(self) -> float | None:
        return _ratio(self.early, self.resolved)

    @property
    def rate_late(self) -> float | None:
        return _ratio(self.late, self.resolved)

    @property
    def late_incl_pending_overdue(self) -> float | None:
        """(late + pending overdue) / (resolved + pending overdue): the dossiers that have reached their due date,
        late or still open past it, among those — never lower than the plain late rate (a pending dossier not due
        yet, waiting, withdrawn or refused untimed is in neither)."""
        return _ratio(self.late + self.pending_overdue, self.resolved + self.pending_overdue)

    @property
    def online(self) -> float | None:
        return _ratio(self.online_new, self.received_new)

    @property
    def rate_digitised(self) -> float | None:
        return _ratio(self.digitised, self.resolved)

    @property
    def satisfaction_survey(self) -> float | None:
        return _ratio(self.satisfied, self.rated)

    @property
    def satisfaction_qd766(self) -> float | None:
        return _ratio(self.considered - self.dissatisfied_or_complaint, self.considered)

    @property
    def satisfaction(self) -> float | None:
        """The satisfaction rate chosen by the setting: survey for ``'Khảo sát'``, else QĐ 766."""
        return self.satisfaction_survey if self.satisfaction_measure == "Khảo sát" else self.satisfaction_qd766

    @property
    def cohort_early_or_on_time(self) -> float | None:
        """(E + O) / resolved among dossiers received in the window (indicator CT3a)."""
        return _ratio(self.cohort_early + self.cohort_on_time, self.cohort_resolved)

    def counts(self) -> dict[str, int]:
        """All integer counts by name (for JSON / the report)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in COUNT_FIELDS}

    def rates(self) -> dict[str, float | None]:
        """The eight rates of the ``--json`` contract, by contract name."""
        return {
            "early_or_on_time": self.rate_early_or_on_time,
            "early": self.rate_early,
            "late": self.rate_late,
            "late_incl_pending_overdue": self.late_incl_pending_overdue,
            "online": self.online,
            "digitised": self.rate_digitised,
            "satisfaction_survey": self.satisfaction_survey,
            "satisfaction_qd766": self.satisfaction_qd766,
        }


_RESOLVED = ("early", "on_time", "late")


def dossier_stats(
    dossiers: Iterable[Dossier],
    procedures: Mapping[str, Procedure],
    period: Period,
    cut: date,
    cal: WorkCalendar,
    refused_timed: bool = True,
    satisfaction: str = "QĐ 766",
    restart: bool = True,
    roll: bool = True,
) -> DossierStats:
    """Count and classify ``dossiers`` for ``period``, as of ``cut``.

    Args:
        dossiers: the dossiers (ids should be unique; a repeated id keeps the last in ``per_dossier``).
        procedures: catalogue by procedure code, for due dates when no appointment is printed.
        period: the reporting window.
        cut: classification date, ``min(as_of, period.end)``.
        cal: working-day calendar.
        refused_timed: whether refused dossiers are timed (setting ``tinh_han_ho_so_tu_choi``).
        satisfaction: ``'QĐ 766'`` or ``'Khảo sát'``, picks :attr:`DossierStats.satisfaction`.
        restart: the due date counts afresh from ``Ngày nhận đủ hồ sơ`` (setting ``tinh_lai_han_khi_du_ho_so``).
        roll: a receipt on a day off counts from the next working day (setting
            ``nhan_ngay_nghi_tinh_ngay_lam_viec_sau``).

    Note:
        Strictly as the spec says, membership uses ``period.end`` even when ``cut`` is earlier.
        The counts ``rated``/``satisfied``/``dissatisfied_or_complaint`` are taken among the
        considered (in-window, not withdrawn) dossiers.
    """
    s = DossierStats(satisfaction_measure=satisfaction)
    start, end = period.start, period.end
    for d in dossiers:
        due = due_date(d, procedures.get(d.procedure_code), cal, restart, roll)
        day = receipt_day(d.received, cal, roll)
        if d.status == "withdrawn":
            inside = start <= day <= end
        else:
            fin = d.finished.date() if hasattr(d.finished, "date") else d.finished
            inside = day <= end and not (fin is not None and fin < start)
        if not inside:
            s.per_dossier[d.id] = (due, "out_of_period")
            continue
        cls = classify(d, due, cut, refused_timed)
        s.per_dossier[d.id] = (due, cls)
        new = day >= start
        if new:
            s.received_new += 1
            if d.channel == "online":
                s.online_new += 1
            elif d.channel == "post":
                s.post_new += 1
            else:
                s.direct_new += 1
        else:
            s.carried_over += 1
        if cls == "withdrawn":
            s.withdrawn += 1
        elif cls == "refused":
            s.refused_untimed += 1
        else:
            setattr(s, cls, getattr(s, cls) + 1)
            if cls in _RESOLVED:
                s.resolved += 1
                if d.digitised:
                    s.digitised += 1
                if new:
                    setattr(s, "cohort_" + cls, getattr(s, "cohort_" + cls) + 1)
            elif new and cls != "waiting":
                s.cohort_pending += 1
        if cls != "withdrawn":
            s.considered += 1
            if d.rating is not None:
                s.rated += 1
                if d.rating in ("very_satisfied", "satisfied"):
                    s.satisfied += 1
            if d.rating == "dissatisfied" or d.complaint:
                s.dissatisfied_or_complaint += 1
    return s
