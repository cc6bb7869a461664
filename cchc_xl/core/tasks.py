"""Plan tasks: deadline parsing from the plan's free text, deadline flags, periodic occurrences,
appendix links, the judgement of every task for one report, and Vietnamese sorting.

Rules (issue #7, issue #15):

* every task of the plan has exactly one flag (:data:`TASK_FLAGS`), so the counts per flag add up
  to the number of tasks; ``Không thực hiện`` tasks are flagged ``not_done`` and counted apart;
* a task whose completion date is after the as-of date was not done yet on that date;
* **never late before the deadline**: a task (or occurrence) not done whose deadline is on or after
  the as-of date is due soon or in time — in every report, the year report too (issue #15 replaced
  the year-end rule that made every unfinished task of the year late at the annual cut-off); the
  flag ``unfinished`` is kept in the vocabulary (files and ``--json`` keep the key) but no longer
  given;
* a periodic task (*Hằng quý*, *Hằng tháng*, *Định kỳ*) has one occurrence per quarter/month, each
  judged on its own (:func:`flag_task`); the task's flag follows from them (:func:`periodic_flag`):
  an overdue occurrence makes the task so; a late one makes it done late; all done on time → done
  on time; otherwise it is on track, as its next occurrence;
* an appendix row linked to the section III task it repeats, or marked as the umbrella row, is
  listed but not counted again (``counted=False``);
* CT2 counts **units of work** (:func:`ct2_units`): a non-periodic task, or one occurrence of a
  periodic task, counts once. CT2 = units done on time / units *due or done*, where *due or done* =
  done on time + done late + overdue (:data:`JUDGED`): a unit already done counts whatever its
  deadline; a unit not done counts only once its deadline has passed; units not carried out are out.

>>> from datetime import date
>>> parse_deadline("Trước ngày 25/1/2024", 2024, date(2024, 6, 1))
datetime.date(2024, 1, 25)
>>> parse_deadline("Quý II/2024", 2024, date(2024, 6, 1))
datetime.date(2024, 6, 30)
>>> sorted(["e", "đ", "d", "h"], key=vn_letter_key)
['d', 'đ', 'e', 'h']
"""

from __future__ import annotations

import calendar as _stdcal
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .calendar import WorkCalendar
from .vocabulary import DONE, JUDGED, NOT_YET_DUE, PeriodKey, TaskFlag

__all__ = [
    "Task",
    "Occurrence",
    "TaskOutcome",
    "OccurrenceOutcome",
    "TASK_FLAGS",
    "JUDGED",
    "NOT_YET_DUE",
    "parse_deadline",
    "flag_task",
    "periodic_flag",
    "recurrence",
    "occurrence_slots",
    "occurrence_deadline",
    "judge_tasks",
    "task_summary",
    "ct2_counts",
    "ct2_units",
    "Unit",
    "vn_letter_key",
    "task_sort_key",
    "completion_window",
    "completion_problems",
    "VN_ALPHABET",
]

# every flag (core.vocabulary.TaskFlag), in report order; JUDGED: CT2's denominator, units due or done;
# NOT_YET_DUE: not judged in this report
TASK_FLAGS = tuple(TaskFlag)
VN_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_VN_INDEX = {c: i for i, c in enumerate(VN_ALPHABET)}


@dataclass(frozen=True)
class Task:
    """One plan task (row of ``tblNhiemVu``).

    ``status`` is ``'not_started' | 'in_progress' | 'done' | 'cancelled'``; ``deadline`` is the
    typed ``Hạn hoàn thành`` (``None`` when blank — then ``timeframe`` is parsed).
    """

    id: str
    area: int
    letter: str
    content: str
    group: str
    owner: str
    timeframe: str
    deadline: date | None
    product: str
    status: str
    done_date: date | None
    evidence: str
    note: str
    row: int | None = None
    link: str = ""  # 'Liên kết': the Mã of the task this appendix row repeats, or the umbrella word
    short_name: str = ""  # 'Tên ngắn': how the report's sentences name the task (blank: drafted by rule)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a periodic task (row of ``tblLanThucHien``); ``label`` is e.g. ``"Quý I/2024"``,
    ``deadline`` the typed ``Hạn hoàn thành`` (``None``: derived from the label)."""

    id: str
    task_id: str
    label: str
    deadline: date | None
    status: str
    done_date: date | None
    evidence: str
    note: str
    row: int | None = None


@dataclass(frozen=True)
class OccurrenceOutcome:
    occurrence: Occurrence
    deadline: date | None
    flag: TaskFlag

    def __post_init__(self) -> None:
        object.__setattr__(self, "flag", TaskFlag(self.flag))   # a key given as text becomes the member


@dataclass(frozen=True)
class TaskOutcome:
    """The judgement of one task row: ``flag`` is a :class:`~cchc_xl.core.vocabulary.TaskFlag` (given as its key,
    it becomes the member); ``counted`` is False for an appendix row that repeats a task or sums up the plan;
    ``occurrences`` for a periodic task."""

    task: Task
    deadline: date | None
    flag: TaskFlag
    counted: bool = True
    occurrences: tuple[OccurrenceOutcome, ...] = ()
    link_target: str = ""  # the task id it repeats, or the umbrella word
    periodic: bool = False  # judged per occurrence: its units of work are the occurrences

    def __post_init__(self) -> None:
        object.__setattr__(self, "flag", TaskFlag(self.flag))


@dataclass(frozen=True)
class Unit:
    """One unit of work of CT2: a non-periodic task (``occurrence`` None) or one occurrence of a periodic one."""

    outcome: TaskOutcome
    occurrence: OccurrenceOutcome | None
    flag: TaskFlag
    deadline: date | None

    @property
    def id(self) -> str:
        return self.occurrence.occurrence.id if self.occurrence else self.outcome.task.id

    @property
    def label(self) -> str:
        """``"2.d (Quý III/2024)"`` for an occurrence, the task id otherwise."""
        t = self.outcome.task.id
        return f"{t} ({self.occurrence.occurrence.label})" if self.occurrence else t


# -- deadline parsing --------------------------------------------------------------------
def _fold(text: str) -> str:
    """Lower case, no diacritics (đ → d), single spaces; '/', '-', '.' between digits kept."""
    t = unicodedata.normalize("NFD", str(text).replace("Đ", "d").replace("đ", "d"))
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    t = re.sub(r"\s*([/\-.])\s*", r"\1", t)  # "25 / 1 / 2024" → "25/1/2024"
    return re.sub(r"\s+", " ", t).strip()


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_RE_DMY = re.compile(r"(?<!\d)(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})(?!\d)")
_RE_DM = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])")
_RE_DMY_WORDS = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_RE_HALF = re.compile(r"6 thang (dau|cuoi) nam(?: (\d{4}))?")
_RE_QUARTER = re.compile(r"\bquy (iv|iii|ii|i|[1-4])\b(?:(?:/| nam |/nam |-)(\d{4}))?")
_RE_MONTH = re.compile(r"\bthang (\d{1,2})(?:(?:/| nam |-)(\d{4}))?\b")
_RE_YEAR = re.compile(r"\b(?:ca nam|nam)(?: (\d{4}))?\b")


def _month_end(y: int, m: int) -> date:
    return date(y, m, _stdcal.monthrange(y, m)[1])


def _clamp_to_year(d: date, year: int) -> date:
    return min(max(d, date(year, 1, 1)), date(year, 12, 31))


def parse_deadline(text: str | None, plan_year: int, as_of: date) -> date | None:
    """Deadline from the plan's free text (*Thời gian thực hiện/hoàn thành*); ``None`` if not understood.

    Case, diacritics and spacing are ignored ("Hàng"/"Hằng", double spaces from the PDF).

    * "Trước ngày 25/1/2024", "Trước 30/11/2024", "25/01/2024", "ngày 25 tháng 1 năm 2024" →
      that date (the last one when several appear); "25/1" without a year → in the plan year;
    * "6 tháng đầu năm 2024" → 30/06; "6 tháng cuối năm 2024" → 31/12;
    * "Quý II/2024", "Quý 2 năm 2024", "Quý IV" → end of that quarter (year defaults to the plan year);
    * "Tháng 6/2024", "Tháng 12 năm 2024" → end of that month;
    * "Cả năm 2024", "Năm 2024", "Cả năm" → 31/12 of that year;
    * "Thường xuyên", "Hằng năm" → 31/12 of the plan year;
    * "Hằng quý"/"Hàng quý" → end of the quarter containing ``as_of``;
    * "Hằng tháng"/"Hàng tháng" → end of the month containing ``as_of``.

    For the recurring forms ``as_of`` is first clamped into the plan year (so a plan-year
    report refreshed in January of the next year still gets 31/12). A date that does not
    exist (31/02/2024) gives ``None``.

    >>> parse_deadline("Hằng  quý", 2024, date(2024, 5, 2)), parse_deadline("khi có yêu cầu", 2024, date(2024, 5, 2))
    (datetime.date(2024, 6, 30), None)
    """
    if text is None:
        return None
    t = _fold(text)
    if not t:
        return None
    try:
        hits = [(int(d), int(m), int(y)) for d, m, y in _RE_DMY.findall(t)]
        hits += [(int(d), int(m), int(y)) for d, m, y in _RE_DMY_WORDS.findall(t)]
        if hits:
            d, m, y = hits[-1]
            return date(y, m, d)
        dm = _RE_DM.findall(t)
        if dm:
            return date(plan_year, int(dm[-1][1]), int(dm[-1][0]))
        if re.search(r"\bthuong xuyen\b|\bhang nam\b", t):
            return date(plan_year, 12, 31)
        if re.search(r"\bhang quy\b", t):
            a = _clamp_to_year(as_of, plan_year)
            return _month_end(a.year, ((a.month - 1) // 3 + 1) * 3)
        if re.search(r"\bhang thang\b", t):
            a = _clamp_to_year(as_of, plan_year)
            return _month_end(a.year, a.month)
        m = _RE_HALF.search(t)
        if m:
            y = int(m.group(2) or plan_year)
            return date(y, 6, 30) if m.group(1) == "dau" else date(y, 12, 31)
        m = _RE_QUARTER.search(t)
        if m:
            return _month_end(int(m.group(2) or plan_year), _ROMAN[m.group(1)] * 3)
        m = _RE_MONTH.search(t)
        if m:
            return _month_end(int(m.group(2) or plan_year), int(m.group(1)))
        m = _RE_YEAR.search(t)
        if m and (m.group(1) or t.startswith("ca nam")):
            return date(int(m.group(1) or plan_year), 12, 31)
    except ValueError:  # impossible day or month
        return None
    return None


# -- flags ---------------------------------------------------------------------------------
def flag_task(task, deadline: date | None, as_of: date, cal: WorkCalendar, due_soon_days: int) -> str:
    """Deadline flag of ``task`` (a :class:`Task` or an :class:`Occurrence`) as of ``as_of``.

    * ``cancelled`` → ``'not_done'``;
    * done on or before ``as_of`` (a done task without ``done_date`` counts as done on ``as_of``; the
      reader reports the missing date): on/before deadline → ``'done_on_time'``, after → ``'done_late'``;
    * not done: ``as_of > deadline`` → ``'overdue'``; never before: at most ``due_soon_days`` working days
      in ``(as_of, deadline]`` → ``'due_soon'`` (so the deadline day itself is due soon); else ``'in_time'``
      — in the year report too (a task due 31/12 is in time at the annual cut-off 14/12);
    * no deadline → ``'no_deadline'``.

    >>> t = Task("1.a", 1, "a", "", "", "", "", None, "", "in_progress", None, "", "")
    >>> cal = WorkCalendar()
    >>> due = date(2024, 12, 31)
    >>> [str(flag_task(t, due, day, cal, 7)) for day in (date(2024, 12, 14), date(2025, 1, 2))]
    ['in_time', 'overdue']
    """
    if task.status == "cancelled":
        return TaskFlag.NOT_DONE
    if deadline is None:
        return TaskFlag.NO_DEADLINE
    if task.status == "done" and (task.done_date is None or task.done_date <= as_of):
        done = task.done_date or as_of
        return TaskFlag.DONE_ON_TIME if done <= deadline else TaskFlag.DONE_LATE
    if as_of > deadline:
        return TaskFlag.OVERDUE
    if cal.working_days_between(as_of, deadline) <= due_soon_days:
        return TaskFlag.DUE_SOON
    return TaskFlag.IN_TIME


def periodic_flag(occurrences: Sequence[tuple[str, date | None]]) -> tuple[str, date | None]:
    """Flag and deadline of a periodic task from its occurrences' ``(flag, deadline)``.

    In this order: an overdue occurrence → ``'overdue'``; every occurrence done → ``'done_late'`` if one was late, else
    ``'done_on_time'``; one done late while others are not due yet → ``'done_late'`` (the schedule was
    missed); otherwise the task is on track and takes the flag of its next occurrence (due soon, in
    time, no deadline). Occurrences not carried out are skipped; all of them not carried out →
    ``'not_done'``; none at all → ``'no_deadline'``. The deadline is that of the deciding occurrence
    (the earliest one with the deciding flag; for a finished task, the last one).

    >>> d = date
    >>> periodic_flag([("done_on_time", d(2024, 3, 14)), ("overdue", d(2024, 6, 14)), ("in_time", None)])
    (<TaskFlag.OVERDUE: 'overdue'>, datetime.date(2024, 6, 14))
    >>> periodic_flag([("done_on_time", d(2024, 3, 14)), ("due_soon", d(2024, 6, 14)), ("in_time", d(2024, 9, 14))])
    (<TaskFlag.DUE_SOON: 'due_soon'>, datetime.date(2024, 6, 14))
    >>> periodic_flag([("done_on_time", d(2024, 3, 14)), ("done_late", d(2024, 6, 14))])
    (<TaskFlag.DONE_LATE: 'done_late'>, datetime.date(2024, 6, 14))
    """
    live = [(TaskFlag(f), dl) for f, dl in occurrences if f != TaskFlag.NOT_DONE]
    if not live:
        return (TaskFlag.NOT_DONE if occurrences else TaskFlag.NO_DEADLINE), None

    def first(flag: TaskFlag, latest: bool = False) -> tuple[TaskFlag, date | None] | None:
        dates = [dl for f, dl in live if f == flag]
        if not dates:
            return None
        known = [x for x in dates if x is not None]
        return flag, ((max(known) if latest else min(known)) if known else None)

    hit = first(TaskFlag.OVERDUE)
    if hit:
        return hit
    done = [f for f, _ in live if f in DONE]
    if len(done) == len(live):
        return first(TaskFlag.DONE_LATE, latest=True) or first(TaskFlag.DONE_ON_TIME, latest=True)
    for flag in (TaskFlag.DONE_LATE, *NOT_YET_DUE):
        hit = first(flag)
        if hit:
            return hit
    return TaskFlag.NO_DEADLINE, None  # pragma: no cover - every flag is covered above


_QUARTER_LABEL = ("I", "II", "III", "IV")
_QUARTER_WINDOW = tuple(PeriodKey)  # the report whose cut-off closes each quarter (q1, h1, q3, year)


def recurrence(timeframe: str | None, periodic_default: str = "Hằng quý") -> str | None:
    """``'quarter'``, ``'month'`` or ``None`` (not periodic) for a task's time frame.

    ``'Định kỳ'`` follows ``periodic_default`` (setting ``tan_suat_dinh_ky``).

    >>> recurrence("Hằng quý"), recurrence("hàng  tháng"), recurrence("Định kỳ"), recurrence("Quý II/2024")
    ('quarter', 'month', 'quarter', None)
    """
    t = _fold(timeframe or "")
    if re.search(r"\bhang quy\b", t):
        return "quarter"
    if re.search(r"\bhang thang\b", t):
        return "month"
    if re.search(r"\bdinh ky\b", t):
        return "month" if _fold(periodic_default) == "hang thang" else "quarter"
    return None


def occurrence_slots(kind: str, year: int) -> list[tuple[str, str]]:
    """``(suffix, label)`` of every occurrence of a ``kind`` task in ``year``.

    >>> occurrence_slots("quarter", 2024)[0], occurrence_slots("month", 2024)[11]
    (('Q1', 'Quý I/2024'), ('T12', 'Tháng 12/2024'))
    """
    if kind == "quarter":
        return [(f"Q{i + 1}", f"Quý {_QUARTER_LABEL[i]}/{year}") for i in range(4)]
    if kind == "month":
        return [(f"T{m:02d}", f"Tháng {m:02d}/{year}") for m in range(1, 13)]
    raise ValueError(kind)


def occurrence_deadline(label: str, plan_year: int, windows: Mapping | None = None,
                        rule: str = "Ngày chốt số liệu") -> date | None:
    """Deadline of the occurrence ``label`` (``"Quý II/2024"``, ``"Tháng 3/2024"``); ``None`` if not understood.

    ``rule`` (setting ``han_lan_dinh_ky``): ``'Ngày chốt số liệu'`` — the data cut-off that closes the
    quarter (the end of the q1, h1, q3, year windows: 14/3, 14/6, 14/9, 14/12 by default; domain brief
    §9) or, for a month, the same day of that month as the annual cut-off (14); ``'Cuối kỳ'`` — the last
    day of the quarter or month.

    >>> occurrence_deadline("Quý II/2024", 2024), occurrence_deadline("Quý II/2024", 2024, rule="Cuối kỳ")
    (datetime.date(2024, 6, 14), datetime.date(2024, 6, 30))
    >>> occurrence_deadline("Tháng 02/2024", 2024)
    datetime.date(2024, 2, 14)
    """
    from .periods import DEFAULT_WINDOWS

    t = _fold(label or "")
    windows = windows or DEFAULT_WINDOWS
    end_of_period = _fold(rule) == "cuoi ky"
    m = _RE_QUARTER.search(t)
    if m:
        year, q = int(m.group(2) or plan_year), _ROMAN[m.group(1)]
        if end_of_period:
            return _month_end(year, q * 3)
        day, month = (windows.get(_QUARTER_WINDOW[q - 1]) or DEFAULT_WINDOWS[_QUARTER_WINDOW[q - 1]])[1]
        return date(year, month, day)
    m = _RE_MONTH.search(t)
    if m:
        year, month = int(m.group(2) or plan_year), int(m.group(1))
        if not 1 <= month <= 12:
            return None
        if end_of_period:
            return _month_end(year, month)
        day = (windows.get(PeriodKey.YEAR) or DEFAULT_WINDOWS[PeriodKey.YEAR])[1][0]
        return date(year, month, min(day, _stdcal.monthrange(year, month)[1]))
    return None


def judge_tasks(
    tasks: Sequence[Task],
    occurrences: Sequence[Occurrence],
    *,
    plan_year: int,
    as_of: date,
    cal: WorkCalendar,
    due_soon_days: int,
    windows: Mapping | None = None,
    occurrence_rule: str = "Ngày chốt số liệu",
    periodic_default: str = "Hằng quý",
    umbrella: str = "Tổng hợp",
    occurrences_known: bool = True,
) -> tuple[list[TaskOutcome], list[tuple[str, object, str, str]]]:
    """Judge every task (and every occurrence of the periodic ones) for one report.

    Returns the outcomes, in the order of ``tasks``, and notes ``(kind, record, column, message)``
    (``kind`` = ``'task'`` or ``'occurrence'``; Vietnamese messages) that the caller turns into data
    problems. ``occurrences_known=False`` (the occurrence table is missing): periodic tasks are noted.
    """
    notes: list[tuple[str, object, str, str]] = []
    by_task: dict[str, list[Occurrence]] = {}
    for occ in occurrences:
        by_task.setdefault(occ.task_id, []).append(occ)
    ids = {t.id for t in tasks}
    plain = {t.id: t for t in tasks if not t.link}
    for occ in occurrences:
        if occ.task_id not in ids:
            notes.append(("occurrence", occ, "Mã nhiệm vụ",
                          f"không có nhiệm vụ '{occ.task_id}' trong trang nhiệm vụ; dòng này không được tính"))

    out: list[TaskOutcome] = []
    for task in tasks:
        counted, target = True, ""
        if task.link:
            target = task.link
            if _fold(task.link) == _fold(umbrella):
                counted, target = False, umbrella
            elif task.link in plain and task.link != task.id:
                counted = False
                other = plain[task.link]
                if (other.status, other.done_date) != (task.status, task.done_date):
                    notes.append(("task", task, "Trạng thái",
                                  f"dòng này cùng nội dung với nhiệm vụ {task.link} nhưng trạng thái/ngày hoàn thành "
                                  "khác; hãy cập nhật cho khớp (báo cáo tính theo nhiệm vụ "
                                  f"{task.link})"))
            else:
                notes.append(("task", task, "Liên kết",
                              f"'{task.link}' không phải mã một nhiệm vụ (không có liên kết) cũng không phải "
                              f"'{umbrella}'; dòng này được tính như một nhiệm vụ riêng"))
                target = ""
        kind = recurrence(task.timeframe, periodic_default) if task.deadline is None else None
        if kind is None:
            deadline = task.deadline or parse_deadline(task.timeframe, plan_year, as_of)
            if task.deadline is None and deadline is None and task.status != "cancelled":
                notes.append(("task", task, "Thời gian thực hiện/hoàn thành",
                              f"không xác định được hạn từ '{task.timeframe or '(trống)'}'; hãy nhập "
                              "'Hạn hoàn thành' (dd/mm/yyyy)"))
            flag = flag_task(task, deadline, as_of, cal, due_soon_days)
            out.append(TaskOutcome(task, deadline, flag, counted, (), target))
            continue
        occ_out = []
        for occ in by_task.get(task.id, []):
            dl = occ.deadline or occurrence_deadline(occ.label, plan_year, windows, occurrence_rule)
            if dl is None:
                notes.append(("occurrence", occ, "Lần thực hiện",
                              f"không xác định được hạn từ '{occ.label or '(trống)'}'; hãy ghi dạng 'Quý II/"
                              f"{plan_year}' hoặc 'Tháng 5/{plan_year}', hoặc nhập 'Hạn hoàn thành'"))
            cancelled = task.status == "cancelled"
            f = TaskFlag.NOT_DONE if cancelled else flag_task(occ, dl, as_of, cal, due_soon_days)
            occ_out.append(OccurrenceOutcome(occ, dl, f))
        if task.status == "cancelled":
            flag, deadline = TaskFlag.NOT_DONE, None
        else:
            if not occ_out:
                notes.append(("task", task, "Thời gian thực hiện/hoàn thành",
                              f"nhiệm vụ '{task.timeframe}' chưa có dòng nào trong bảng các lần thực hiện"
                              + ("" if occurrences_known else " (sổ chưa có bảng này)")
                              + "; chưa đánh giá được"))
            flag, deadline = periodic_flag([(o.flag, o.deadline) for o in occ_out])
        out.append(TaskOutcome(task, deadline, flag, counted, tuple(occ_out), target, periodic=True))
    return out, notes


def task_summary(flags: Iterable[str]) -> dict[str, int]:
    """Counts per flag plus ``total``.

    >>> task_summary(["overdue", "in_time", "overdue"])["overdue"]
    2
    """
    c = Counter(flags)
    out = {"total": sum(c.values())}
    out.update({k: c.get(k, 0) for k in TASK_FLAGS})
    return out


def ct2_counts(flags: Iterable[str]) -> tuple[int, int]:
    """CT2's ``(numerator, denominator)`` over the flags of units of work: done on time, and due or done
    (:data:`JUDGED`).

    >>> ct2_counts(["done_on_time", "overdue", "in_time", "not_done", "due_soon", "done_late"])
    (1, 3)
    """
    c = Counter(flags)
    return c[TaskFlag.DONE_ON_TIME], sum(c[k] for k in JUDGED)


def ct2_units(outcomes: Iterable[TaskOutcome]) -> list[Unit]:
    """The units of work of CT2 among ``outcomes`` (counted rows only): each non-periodic task once, each
    occurrence of a periodic task once (a periodic task without occurrence rows has none).

    >>> t = Task("2.d", 2, "d", "", "", "", "Hằng quý", None, "", "in_progress", None, "", "")
    >>> o = Occurrence("2.d-Q1", "2.d", "Quý I/2024", None, "done", date(2024, 3, 12), "", "")
    >>> q = OccurrenceOutcome(o, date(2024, 3, 14), "done_on_time")
    >>> [u.label for u in ct2_units([TaskOutcome(t, None, "in_time", occurrences=(q,), periodic=True)])]
    ['2.d (Quý I/2024)']
    """
    units: list[Unit] = []
    for o in outcomes:
        if not o.counted:
            continue
        if o.periodic:
            units += [Unit(o, occ, occ.flag, occ.deadline) for occ in o.occurrences]
        else:
            units.append(Unit(o, None, o.flag, o.deadline))
    return units


# -- sorting -------------------------------------------------------------------------------
def vn_letter_key(letter: str) -> tuple:
    """Sort key in Vietnamese letter order ``a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y``.

    Case-insensitive; surrounding spaces and a trailing ``)`` or ``.`` are ignored. Characters
    outside the alphabet sort after it, by code point.

    >>> sorted(["g", "e", "đ", "a", "d"], key=vn_letter_key)
    ['a', 'd', 'đ', 'e', 'g']
    """
    s = unicodedata.normalize("NFC", str(letter)).strip().rstrip(").").lower()
    return tuple(_VN_INDEX.get(c, len(VN_ALPHABET) + ord(c)) for c in s)


def task_sort_key(task_id: str) -> tuple:
    """Sort key for task ids: areas numerically, then letters in Vietnamese order; ``PL.n`` rows
    after all areas, numerically; anything else last, as text.

    >>> sorted(["PL.12", "1.đ", "PL.2", "10.a", "1.e", "1.d", "4.g"], key=task_sort_key)
    ['1.d', '1.đ', '1.e', '4.g', '10.a', 'PL.2', 'PL.12']
    """
    s = unicodedata.normalize("NFC", str(task_id)).strip()
    parts = [p.strip() for p in s.split(".")]
    if parts and parts[0].isdigit():
        return (0, int(parts[0]), tuple((0, int(p), ()) if p.isdigit() else (1, 0, vn_letter_key(p))
                                        for p in parts[1:]))
    if len(parts) == 2 and parts[0].upper() == "PL" and parts[1].isdigit():
        return (1, int(parts[1]), ())
    return (2, 0, (s,))


def completion_window(plan_year: int) -> tuple[date, date]:
    """The completion dates a task of plan year ``plan_year`` may carry: 01/01 of the year before to 31/12 of
    the year after (the same range as the drop-down validation of a hand-out copy).

    >>> completion_window(2024)
    (datetime.date(2023, 1, 1), datetime.date(2025, 12, 31))
    """
    return date(plan_year - 1, 1, 1), date(plan_year + 1, 12, 31)


def completion_problems(status: str | None, done: date | None, plan_year: int | None) -> list[tuple[str, str]]:
    """What is wrong with a task's (or an occurrence's) ``Trạng thái``/``Ngày hoàn thành`` pair, as
    ``(column, Vietnamese reason)``: the one rule ``check`` reports and a returned copy is refused by.

    ``status`` is the status key (``"done"``, ``"in_progress"`` … or None for a blank cell), ``done`` the
    completion date.

    >>> completion_problems("done", date(2024, 6, 12), 2024), completion_problems(None, None, 2024)
    ([], [])
    >>> completion_problems("in_progress", date(2024, 6, 12), 2024)
    [('Trạng thái', "đã có ngày hoàn thành nhưng trạng thái chưa phải 'Hoàn thành'")]
    >>> completion_problems("done", date(1900, 1, 1), 2024)
    [('Ngày hoàn thành', 'ngày hoàn thành 01/01/1900 nằm ngoài khoảng 01/01/2023–31/12/2025 của kế hoạch năm 2024')]
    >>> completion_problems("done", None, 2024)
    [('Ngày hoàn thành', "'Hoàn thành' nhưng chưa nhập ngày hoàn thành")]
    """
    out: list[tuple[str, str]] = []
    if status == "done" and done is None:
        out.append(("Ngày hoàn thành", "'Hoàn thành' nhưng chưa nhập ngày hoàn thành"))
    if done is not None and status != "done":
        out.append(("Trạng thái", "đã có ngày hoàn thành nhưng trạng thái chưa phải 'Hoàn thành'"))
    if done is not None and plan_year:
        first, last = completion_window(plan_year)
        if not first <= done <= last:
            out.append(("Ngày hoàn thành", f"ngày hoàn thành {done:%d/%m/%Y} nằm ngoài khoảng {first:%d/%m/%Y}–"
                                           f"{last:%d/%m/%Y} của kế hoạch năm {plan_year}"))
    return out
