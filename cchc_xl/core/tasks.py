"""Plan tasks: deadline parsing from the plan's free text, deadline flags, CT2 and Vietnamese sorting.

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

__all__ = [
    "Task",
    "TASK_FLAGS",
    "parse_deadline",
    "flag_task",
    "task_summary",
    "ct2_rate",
    "ct2_counts",
    "vn_letter_key",
    "task_sort_key",
    "VN_ALPHABET",
]

# schema.TASK_FLAG keys, in report order
TASK_FLAGS = ("done_on_time", "done_late", "overdue", "due_soon", "in_time", "no_deadline", "not_done")
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
def flag_task(task: Task, deadline: date | None, as_of: date, cal: WorkCalendar, due_soon_days: int) -> str:
    """Deadline flag of ``task`` as of ``as_of`` — a :data:`cchc_xl.schema.TASK_FLAG` key.

    * ``cancelled`` → ``'not_done'``;
    * done: no deadline → ``'no_deadline'``; done on/before deadline → ``'done_on_time'``, after →
      ``'done_late'``. A done task without ``done_date`` is taken as done on ``as_of``
      (the reader reports the missing date);
    * not done: no deadline → ``'no_deadline'``; ``as_of > deadline`` → ``'overdue'``; at most
      ``due_soon_days`` working days in ``(as_of, deadline]`` → ``'due_soon'`` (so the deadline day
      itself is due soon); else ``'in_time'``.
    """
    if task.status == "cancelled":
        return "not_done"
    if deadline is None:
        return "no_deadline"
    if task.status == "done":
        done = task.done_date or as_of
        return "done_on_time" if done <= deadline else "done_late"
    if as_of > deadline:
        return "overdue"
    if cal.working_days_between(as_of, deadline) <= due_soon_days:
        return "due_soon"
    return "in_time"


def task_summary(flags: Iterable[str]) -> dict[str, int]:
    """Counts per flag plus ``total``.

    >>> task_summary(["overdue", "in_time", "overdue"])["overdue"]
    2
    """
    c = Counter(flags)
    out = {"total": sum(c.values())}
    out.update({k: c.get(k, 0) for k in TASK_FLAGS})
    return out


def ct2_counts(
    tasks: Sequence[Task], deadlines: Mapping[str, date | None] | Sequence[date | None], as_of: date
) -> tuple[int, int]:
    """CT2's numerator and denominator: ``(done on time, due)`` among non-cancelled tasks due by ``as_of``.

    Same arguments and rules as :func:`ct2_rate` (which is their ratio); a roll-up over many units
    sums these counts instead of averaging rates.

    >>> t = Task("1.a", 1, "a", "", "", "", "", None, "", "done", date(2024, 1, 5), "", "")
    >>> ct2_counts([t], [date(2024, 1, 10)], date(2024, 6, 1)), ct2_counts([t], [None], date(2024, 6, 1))
    ((1, 1), (0, 0))
    """
    if isinstance(deadlines, Mapping):
        dl = [deadlines.get(t.id) for t in tasks]
    else:
        dl = list(deadlines)
    due = done = 0
    for t, d in zip(tasks, dl):
        if t.status == "cancelled" or d is None or d > as_of:
            continue
        due += 1
        if t.status == "done" and (t.done_date or as_of) <= d:
            done += 1
    return done, due


def ct2_rate(
    tasks: Sequence[Task], deadlines: Mapping[str, date | None] | Sequence[date | None], as_of: date
) -> float | None:
    """CT2: tasks done on or before their deadline among non-cancelled tasks due by ``as_of``.

    Args:
        tasks: the tasks.
        deadlines: effective deadline per task, either ``{task.id: date}`` or a sequence
            parallel to ``tasks``; ``None`` = no deadline (task not counted).
        as_of: the as-of date.

    Returns:
        The fraction, or ``None`` when no task is due by ``as_of``. A done task without a
        done date counts as done on ``as_of`` (same rule as :func:`flag_task`).
    """
    done, due = ct2_counts(tasks, deadlines, as_of)
    return done / due if due else None


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
