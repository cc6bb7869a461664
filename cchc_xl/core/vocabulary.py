"""The project's one vocabulary: the flags a task gets, the statuses an indicator gets, the keys of the report
periods — each a :class:`enum.StrEnum` whose values are the words the workbook shows and the JSON and the
exchange file carry, so that a member is written, printed and compared exactly as the bare string was.

* :class:`TaskFlag` — the deadline state of a task (or of one occurrence of a periodic task) on the as-of date,
  :func:`cchc_xl.core.tasks.flag_task`. Its value is the key of ``refresh --json``'s counts and of the exchange
  file's ``tasks.<key>``; its :attr:`TaskFlag.label` is the word the ``Tình trạng hạn`` column shows.
* :class:`IndicatorStatus` — the verdict on an indicator (``Đánh giá`` of ``tblChiTieu``),
  :func:`cchc_xl.core.indicators.evaluate`; its value is the word itself.
* :class:`PeriodKey` — a report period (``--period``, the report's record, ``period.key`` of the exchange file),
  :func:`cchc_xl.core.periods.get_period`.

Every consumer that treats members differently keeps a table keyed by the enum (a label, a column, a style, an
order) and ``tests/test_vocabulary.py`` checks that each such table covers every member: a member added here
fails the test until every consumer handles it.

>>> TaskFlag.DONE_ON_TIME == "done_on_time", TaskFlag.DONE_ON_TIME.label, f"tasks.{TaskFlag.OVERDUE}"
(True, 'Hoàn thành đúng hạn', 'tasks.overdue')
>>> IndicatorStatus("Chưa đạt") is IndicatorStatus.NOT_YET_MET, [str(k) for k in PeriodKey]
(True, ['q1', 'h1', 'q3', 'year'])
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TaskFlag", "IndicatorStatus", "PeriodKey", "DONE", "JUDGED", "NOT_YET_DUE", "LATE"]


class TaskFlag(StrEnum):
    """A task's (or an occurrence's) deadline state; the value is its key, :attr:`label` its word."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OVERDUE = "overdue"
    UNFINISHED = "unfinished"   # no longer given (issue #15: never late before the deadline); the key is kept
    DUE_SOON = "due_soon"
    IN_TIME = "in_time"
    NO_DEADLINE = "no_deadline"
    NOT_DONE = "not_done"

    @property
    def label(self) -> str:
        """The word the workbook's ``Tình trạng hạn`` column shows (``"Quá hạn"``)."""
        return _TASK_FLAG_LABELS[self]


_TASK_FLAG_LABELS = {
    TaskFlag.DONE_ON_TIME: "Hoàn thành đúng hạn",
    TaskFlag.DONE_LATE: "Hoàn thành trễ hạn",
    TaskFlag.OVERDUE: "Quá hạn",
    TaskFlag.UNFINISHED: "Chưa hoàn thành",
    TaskFlag.DUE_SOON: "Sắp đến hạn",
    TaskFlag.IN_TIME: "Trong hạn",
    TaskFlag.NO_DEADLINE: "Chưa xác định hạn",
    TaskFlag.NOT_DONE: "Không thực hiện",
}

#: Done, on time or late.
DONE = (TaskFlag.DONE_ON_TIME, TaskFlag.DONE_LATE)
#: CT2's denominator: the units of work due or done.
JUDGED = (TaskFlag.DONE_ON_TIME, TaskFlag.DONE_LATE, TaskFlag.OVERDUE)
#: Not judged in this report: not due yet.
NOT_YET_DUE = (TaskFlag.DUE_SOON, TaskFlag.IN_TIME, TaskFlag.NO_DEADLINE)
#: Late and not done (``unfinished`` only in a result made before issue #15).
LATE = (TaskFlag.OVERDUE, TaskFlag.UNFINISHED)


class IndicatorStatus(StrEnum):
    """The verdict on an indicator, as ``Đánh giá`` shows it. ``Chưa đạt``: an annual target not met before the
    annual cut-off; ``Không tính được``: a table it needs could not be read."""

    MET = "Đạt"
    NOT_MET = "Không đạt"
    NOT_YET_MET = "Chưa đạt"
    NO_DATA = "Chưa có dữ liệu"
    FOLLOWED = "Theo dõi"
    NOT_COMPUTABLE = "Không tính được"


class PeriodKey(StrEnum):
    """A report period: quarter I, the first six months, quarter III, the year."""

    Q1 = "q1"
    H1 = "h1"
    Q3 = "q3"
    YEAR = "year"
