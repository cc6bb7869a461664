"""The report's figures: every count and rate of one report, defined once and computed once per run.

The engine builds one :class:`ReportFigures` per refresh (:func:`build_figures`); the command-line
summary, ``refresh --json``, the ``Báo cáo`` sheet, the indicator table (CT2) and the e-mail to the
Sở all read their numbers from it, so they cannot disagree.

Definitions (issue #7):

* **tasks** — every task row of the plan is judged (:func:`cchc_xl.core.tasks.judge_tasks`); the
  *counted* tasks are the rows that are not an appendix repetition or umbrella row. Each counted
  task has one flag, so ``sum(counts[flag] for flag in TASK_FLAGS) == counts["total"]``, also per
  area. ``not_done`` (*Không thực hiện*) tasks are counted apart and listed with their reason;
* **CT2** per unit of work (:func:`cchc_xl.core.tasks.ct2_units`: a non-periodic task, or one
  occurrence of a periodic task, counts once) = units done on time / units *due or done* (done on
  time + done late + overdue: every unit done, whatever its deadline, and every unit whose deadline
  has passed); ``None`` when nothing is due or done yet. A unit due on or after the as-of date and not
  done is never in it (never late before the deadline);
* **completion** = tasks done (on time or late) / tasks the school carries out (every counted task
  but ``Không thực hiện``) — one denominator in every output;
* **not started** — of the tasks not due yet, those whose status is *Chưa thực hiện*
  (:attr:`TaskFigures.not_started`): named apart from those in progress;
* **dossiers** — :class:`cchc_xl.core.rates.DossierStats`, whose classes add up:
  ``total == resolved + pending + waiting + withdrawn + refused_untimed``;
* **unavailable** — a section (``tasks``, ``dossiers``, ``procedures``, ``indicators``) whose table
  could not be read carries the reason instead of numbers: its figures are ``None``, never zeros.

>>> from datetime import date
>>> from cchc_xl.core.periods import get_period
>>> f = build_figures(get_period("year", 2024), date(2024, 12, 14), [], None, [],
...                   unavailable={"dossiers": "bảng 'tblHoSo' thiếu cột 'Ngày tiếp nhận'"})
>>> f.year_end, f.tasks.counts["total"], f.ct2, f.dossiers
(True, 0, None, None)
>>> f.unavailable_text()
"Hồ sơ TTHC: bảng 'tblHoSo' thiếu cột 'Ngày tiếp nhận'"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .indicators import IndicatorResult
from .periods import Period, is_year_end
from .rates import COUNT_FIELDS, DossierStats
from .tasks import (NOT_YET_DUE, TASK_FLAGS, OccurrenceOutcome, TaskOutcome, Unit, ct2_counts, ct2_units,
                    task_summary)
from .vocabulary import TaskFlag

__all__ = ["ReportFigures", "TaskFigures", "build_figures", "SECTIONS", "SECTION_LABELS"]

SECTIONS = ("tasks", "dossiers", "procedures", "indicators")
SECTION_LABELS = {"tasks": "Tiến độ nhiệm vụ", "dossiers": "Hồ sơ TTHC", "procedures": "Thủ tục hành chính",
                  "indicators": "Chỉ tiêu chủ yếu"}


@dataclass(frozen=True)
class TaskFigures:
    """Task counts of one report (only *counted* tasks enter ``counts``, ``by_area`` and CT2)."""

    outcomes: tuple[TaskOutcome, ...]
    counts: dict[str, int]
    by_area: dict[int, dict[str, int]]
    ct2_numerator: int
    ct2_denominator: int
    units: tuple[Unit, ...] = ()  # CT2's units of work (tasks, occurrences of periodic tasks)

    @property
    def ct2(self) -> float | None:
        return self.ct2_numerator / self.ct2_denominator if self.ct2_denominator else None

    @property
    def done(self) -> int:
        """Counted tasks done, on time or late."""
        return self.counts[TaskFlag.DONE_ON_TIME] + self.counts[TaskFlag.DONE_LATE]

    @property
    def carried_out(self) -> int:
        """Counted tasks the school carries out: all but *Không thực hiện* (the completion rate's denominator)."""
        return self.counts["total"] - self.counts[TaskFlag.NOT_DONE]

    @property
    def completion(self) -> float | None:
        """Tasks done / tasks carried out."""
        return self.done / self.carried_out if self.carried_out else None

    @property
    def not_started(self) -> list[TaskOutcome]:
        """Counted tasks not due yet whose status is *Chưa thực hiện* (not in progress)."""
        return [o for o in self.counted if o.flag in NOT_YET_DUE and o.task.status == "not_started"]

    def units_with_flag(self, *flags: str) -> list[Unit]:
        return [u for u in self.units if u.flag in flags]

    @property
    def counted(self) -> list[TaskOutcome]:
        return [o for o in self.outcomes if o.counted]

    @property
    def not_counted(self) -> list[TaskOutcome]:
        """Appendix rows that repeat a task (``link_target`` = its id) or sum up the plan (umbrella)."""
        return [o for o in self.outcomes if not o.counted]

    def with_flag(self, *flags: str) -> list[TaskOutcome]:
        return [o for o in self.counted if o.flag in flags]

    @property
    def cancelled(self) -> list[TaskOutcome]:
        """*Không thực hiện* tasks; the reason is the task's ``note`` (*Ghi chú*)."""
        return self.with_flag(TaskFlag.NOT_DONE)

    @property
    def overdue(self) -> list[TaskOutcome]:
        return self.with_flag(TaskFlag.OVERDUE)

    @property
    def unfinished(self) -> list[TaskOutcome]:
        """Always empty since issue #15 (no task is late before its deadline); kept for ``--json``'s key."""
        return self.with_flag(TaskFlag.UNFINISHED)

    @property
    def occurrences(self) -> list[OccurrenceOutcome]:
        return [occ for o in self.counted for occ in o.occurrences]


@dataclass(frozen=True)
class ReportFigures:
    """Everything a report shows, for ``period`` as of ``as_of`` (classification at ``cut``)."""

    period: Period
    as_of: dt.date
    cut: dt.date
    year_end: bool
    tasks: TaskFigures | None
    dossiers: DossierStats | None
    indicators: tuple[IndicatorResult, ...]
    unavailable: dict[str, str] = field(default_factory=dict)
    sample_note: str = ""
    date_note: str = ""  # why the period is not the one the as-of date falls in (core.report_date), or ""

    @property
    def notes(self) -> list[str]:
        """The notes a report prints under its title: the date note, then the sample-data note."""
        return [n for n in (self.date_note, self.sample_note) if n]

    @property
    def ct2(self) -> float | None:
        return self.tasks.ct2 if self.tasks else None

    @property
    def complete(self) -> bool:
        """True when every section could be computed (a report that may be sent)."""
        return not self.unavailable

    def unavailable_text(self) -> str:
        """``"Hồ sơ TTHC: <why>; …"`` — one line naming every section that could not be computed."""
        return "; ".join(f"{SECTION_LABELS.get(k, k)}: {why}" for k, why in self.unavailable.items())

    def to_json(self) -> dict:
        """The figures as plain JSON (the ``figures`` key of ``refresh --json``)."""
        def iso(d):
            return d.isoformat() if d else None

        tasks = None
        if self.tasks is not None:
            t = self.tasks
            tasks = {
                "counts": dict(t.counts),
                "by_area": {str(a): dict(c) for a, c in t.by_area.items()},
                "ct2": {"numerator": t.ct2_numerator, "denominator": t.ct2_denominator, "rate": t.ct2,
                        "units": {u.id: u.flag for u in t.units}},
                "completion": {"done": t.done, "carried_out": t.carried_out, "rate": t.completion},
                "not_started": [o.task.id for o in t.not_started],
                "not_done": [{"id": o.task.id, "reason": o.task.note} for o in t.cancelled],
                "not_counted": [{"id": o.task.id, "link": o.link_target} for o in t.not_counted],
                "occurrences": {occ.occurrence.id: {"task": occ.occurrence.task_id, "label": occ.occurrence.label,
                                                    "due": iso(occ.deadline), "flag": occ.flag}
                                for occ in t.occurrences},
            }
        dossiers = None
        if self.dossiers is not None:
            st = self.dossiers
            dossiers = {name: getattr(st, name) for name in COUNT_FIELDS}
            dossiers.update(total=st.total, pending=st.pending)
        return {
            "year_end": self.year_end,
            "tasks": tasks,
            "dossiers": dossiers,
            "unavailable": dict(self.unavailable),
            "sample_note": self.sample_note,
            "date_note": self.date_note,
        }


def _task_figures(outcomes: Sequence[TaskOutcome]) -> TaskFigures:
    counted = [o for o in outcomes if o.counted]
    by_area: dict[int, dict[str, int]] = {}
    for area in sorted({o.task.area for o in counted}):
        by_area[area] = task_summary(o.flag for o in counted if o.task.area == area)
    units = ct2_units(counted)
    n, d = ct2_counts(u.flag for u in units)
    return TaskFigures(tuple(outcomes), task_summary(o.flag for o in counted), by_area, n, d, tuple(units))


def build_figures(
    period: Period,
    as_of: dt.date,
    outcomes: Sequence[TaskOutcome],
    stats: DossierStats | None,
    indicators: Iterable[IndicatorResult],
    *,
    cut: dt.date | None = None,
    unavailable: Mapping[str, str] | None = None,
    sample_note: str = "",
    date_note: str = "",
) -> ReportFigures:
    """Assemble the figures of one report.

    ``year_end`` is :func:`cchc_xl.core.periods.is_year_end`; ``date_note`` is the one-line note of
    :func:`cchc_xl.core.report_date.resolve_report_date` (and the build's sample-date note). A section named in
    ``unavailable`` gets ``None`` instead of figures (``tasks`` → no task figures; ``dossiers`` or ``procedures``
    → no dossier statistics).
    """
    unavailable = dict(unavailable or {})
    cut = cut or min(as_of, period.end)
    tasks = None if "tasks" in unavailable else _task_figures(outcomes)
    no_dossiers = "dossiers" in unavailable or "procedures" in unavailable
    if tasks is not None:
        assert sum(tasks.counts[k] for k in TASK_FLAGS) == tasks.counts["total"]
    return ReportFigures(
        period=period, as_of=as_of, cut=cut, year_end=is_year_end(period, cut),
        tasks=tasks, dossiers=None if no_dossiers else stats, indicators=tuple(indicators),
        unavailable=unavailable, sample_note=sample_note.strip(), date_note=date_note.strip(),
    )
