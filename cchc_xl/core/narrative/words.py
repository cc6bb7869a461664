"""The words a report uses for a task's or an occurrence's state, and for counts of tasks — one place, so the
sections and the annexes say the same of every task and every occurrence (issue #15).

* :func:`state_words` — ``hoàn thành ngày 12/03/2024, đúng hạn``, ``quá hạn (hạn 14/06/2024)``,
  ``đang thực hiện (hạn 31/12/2024)``, ``chưa triển khai, sắp đến hạn (hạn 15/03/2024)``,
  ``đang thực hiện, hạn đúng ngày báo cáo (14/12/2024)``, ``không thực hiện``. A unit is never called late
  before its deadline: a deadline on or after the as-of date reads *đang thực hiện* / *chưa triển khai*;
* :func:`category` and :func:`count_phrase` — the categories that add up to the number of tasks, with the tasks
  not started (*Chưa thực hiện*) counted and named apart from those in progress; a category with no task is left
  out (never a zero clause).

>>> from datetime import date
>>> from cchc_xl.core.tasks import Task
>>> t = Task("1.b", 1, "b", "", "", "", "", None, "", "in_progress", None, "", "")
>>> state_words(t, "in_time", date(2024, 12, 31), date(2024, 12, 14))
'đang thực hiện (hạn 31/12/2024)'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from .. import vnformat
from ..tasks import NOT_YET_DUE, TaskOutcome
from ..vocabulary import TaskFlag

__all__ = ["state_words", "started_words", "category", "CATEGORIES", "count_phrase", "unit_label"]


def _d(day: date | None) -> str:
    return vnformat.date_vn(day) if day else "chưa xác định"


def started_words(status: str) -> str:
    """``chưa triển khai`` for a task not started (*Chưa thực hiện*), else ``đang thực hiện``."""
    return "chưa triển khai" if status == "not_started" else "đang thực hiện"


def state_words(record, flag: str, deadline: date | None, as_of: date, period_start: date | None = None) -> str:
    """The state of ``record`` (a :class:`~cchc_xl.core.tasks.Task` or an
    :class:`~cchc_xl.core.tasks.Occurrence`) flagged ``flag`` with ``deadline``, as of ``as_of``; a completion
    before ``period_start`` says it was before the report's period.

    >>> from cchc_xl.core.tasks import Occurrence
    >>> o = Occurrence("2.d-Q4", "2.d", "Quý IV/2024", None, "not_started", None, "", "")
    >>> state_words(o, "due_soon", date(2024, 12, 14), date(2024, 12, 14))
    'chưa triển khai, hạn đúng ngày báo cáo (14/12/2024)'
    >>> done = Occurrence("2.d-Q1", "2.d", "Quý I/2024", None, "done", date(2024, 3, 12), "", "")
    >>> state_words(done, "done_on_time", date(2024, 3, 14), date(2024, 9, 14), date(2024, 6, 15))
    'hoàn thành ngày 12/03/2024 (trước kỳ báo cáo), đúng hạn'
    """
    if flag in (TaskFlag.DONE_ON_TIME, TaskFlag.DONE_LATE):
        when = record.done_date or as_of
        text = f"hoàn thành ngày {_d(when)}" + (" (trước kỳ báo cáo)" if period_start and when < period_start else "")
        return text + (", đúng hạn" if flag == TaskFlag.DONE_ON_TIME else f", trễ hạn (hạn {_d(deadline)})")
    if flag == TaskFlag.OVERDUE:
        return f"quá hạn (hạn {_d(deadline)})"
    if flag == TaskFlag.NOT_DONE:
        return "không thực hiện"
    if flag == TaskFlag.UNFINISHED:  # not given since issue #15; a result made before it still reads right
        return f"chưa hoàn thành (hạn {_d(deadline)})"
    started = started_words(record.status)
    if flag == TaskFlag.NO_DEADLINE or deadline is None:
        return f"{started}, chưa xác định hạn hoàn thành"
    if deadline == as_of:
        return f"{started}, hạn đúng ngày báo cáo ({_d(deadline)})"
    if flag == TaskFlag.DUE_SOON:
        return f"{started}, sắp đến hạn (hạn {_d(deadline)})"
    return f"{started} (hạn {_d(deadline)})"


# Categories of a task in a count, in report order; their counts add up to the number of tasks.
CATEGORIES = (
    (TaskFlag.DONE_ON_TIME, "hoàn thành đúng hạn"),
    (TaskFlag.DONE_LATE, "hoàn thành trễ hạn"),
    (TaskFlag.OVERDUE, "quá hạn"),
    (TaskFlag.UNFINISHED, "chưa hoàn thành"),
    (TaskFlag.DUE_SOON, "đang thực hiện, sắp đến hạn"),
    (TaskFlag.IN_TIME, "đang thực hiện, chưa đến hạn"),
    ("not_started", "chưa triển khai, chưa đến hạn"),
    (TaskFlag.NO_DEADLINE, "chưa xác định hạn"),
    (TaskFlag.NOT_DONE, "không thực hiện"),
)


def category(o: TaskOutcome) -> str:
    """The category of a task: its flag, except that a task not due yet whose status is *Chưa thực hiện* is
    ``not_started`` — not in progress."""
    if o.flag in NOT_YET_DUE and o.flag != TaskFlag.NO_DEADLINE and o.task.status == "not_started":
        return "not_started"
    return o.flag


def count_phrase(outcomes: Sequence[TaskOutcome]) -> str:
    """``hoàn thành đúng hạn 1; quá hạn 2; chưa triển khai, chưa đến hạn 1 (1.đ)`` — the categories with a task,
    the tasks not started named.

    >>> from cchc_xl.core.tasks import Task
    >>> def o(tid, flag, status="in_progress"):
    ...     return TaskOutcome(Task(tid, 1, "", "", "", "", "", None, "", status, None, "", ""), None, flag)
    >>> count_phrase([o("1.a", "done_on_time", "done"), o("1.b", "in_time"), o("1.đ", "in_time", "not_started")])
    'hoàn thành đúng hạn 1; đang thực hiện, chưa đến hạn 1; chưa triển khai, chưa đến hạn 1 (1.đ)'
    """
    by: dict[str, list[TaskOutcome]] = {}
    for o in outcomes:
        by.setdefault(category(o), []).append(o)
    parts = []
    for key, label in CATEGORIES:
        group = by.get(key)
        if not group:
            continue
        part = f"{label} {vnformat.integer(len(group))}"
        if key == "not_started":
            part += " (" + ", ".join(x.task.id for x in group) + ")"
        parts.append(part)
    return "; ".join(parts)


def unit_label(task_id: str, occurrence_label: str | None) -> str:
    """``2.d (Quý III/2024)`` for an occurrence, ``2.b`` for a task."""
    return f"{task_id} ({occurrence_label})" if occurrence_label else task_id


def ids(outcomes: Iterable[TaskOutcome]) -> str:
    return ", ".join(o.task.id for o in outcomes)
