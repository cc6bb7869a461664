"""Working-day calendar: Vietnamese public holidays, make-up Saturdays and local overrides.

The national calendar comes from the ``holidays`` package (``country_holidays('VN')``), whose
``is_working_day`` already knows official make-up working Saturdays (e.g. Sat 04/05/2024).
Rows of the ``Ngày nghỉ`` sheet are layered on top as overrides: ``True`` = working day
(*Làm bù*), ``False`` = day off (*Nghỉ*).

Working days are precomputed per year into one sorted list of ordinals, so that
:meth:`WorkCalendar.add_working_days` and :meth:`WorkCalendar.working_days_between` are
``O(log n)`` binary searches, cheap enough for tens of thousands of dossiers;
:meth:`WorkCalendar.working_days` hands that list to the vectorised dossier rules
(:mod:`cchc_xl.core.dossier_columns`), which search it with ``numpy.searchsorted``.

Only Vietnam's rules are loaded: ``holidays.country_holidays`` would import the package of every
country (~45 ms of a command's start-up); :func:`vietnam_rules` loads ``holidays/countries/vietnam.py``
alone, and falls back to ``country_holidays('VN')`` if the package's layout ever changes.

>>> from datetime import date
>>> cal = WorkCalendar()
>>> cal.is_working_day(date(2024, 5, 4))      # make-up Saturday
True
>>> cal.add_working_days(date(2024, 2, 7), 3)  # jumps Tết
datetime.date(2024, 2, 19)
>>> cal.working_days_between(date(2023, 12, 14), date(2024, 3, 14))
59

The dates a workbook may hold are those of :func:`date_window`: five years either side of the plan year. A date
beyond (``10/06/9999`` typed for ``10/06/2024``) is refused by the import and reported by ``check`` naming its row
and column, and never reaches the calendar, which would otherwise load centuries of holidays (or run past year
9999).
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections.abc import Mapping
from datetime import date

__all__ = ["WorkCalendar", "vietnam_rules", "date_window", "outside_window", "FIRST_YEAR", "LAST_YEAR",
           "PLAN_MARGIN_YEARS"]

FIRST_YEAR, LAST_YEAR = 2000, 2100     # the years any date may take when the plan year is not known
PLAN_MARGIN_YEARS = 5                  # a workbook's dates lie within five years of its plan year


def date_window(plan_year: int | None = None) -> tuple[date, date]:
    """The dates a workbook of plan year ``plan_year`` may hold: 01/01 five years before to 31/12 five years after
    (:data:`FIRST_YEAR`–:data:`LAST_YEAR` when the plan year is not known or not itself in that range).

    >>> date_window(2024)
    (datetime.date(2019, 1, 1), datetime.date(2029, 12, 31))
    >>> date_window(None), date_window(9999)[1]
    ((datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)), datetime.date(2100, 12, 31))
    """
    if isinstance(plan_year, int) and FIRST_YEAR <= plan_year <= LAST_YEAR:
        return date(plan_year - PLAN_MARGIN_YEARS, 1, 1), date(plan_year + PLAN_MARGIN_YEARS, 12, 31)
    return date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


def outside_window(d: date, window: tuple[date, date]) -> str | None:
    """The Vietnamese reason when ``d`` (a date or a datetime) lies outside ``window``, else None.

    >>> outside_window(date(9999, 6, 10), date_window(2024))
    'ngày 10/06/9999 nằm ngoài khoảng 01/01/2019–31/12/2029 (năm kế hoạch ± 5 năm); hãy kiểm tra lại năm'
    >>> outside_window(date(1, 6, 10), date_window(None))[:60]
    'ngày 10/06/0001 nằm ngoài khoảng 01/01/2000–31/12/2100 (khoả'
    >>> outside_window(date(2024, 6, 10), date_window(2024)) is None
    True
    """
    day = d.date() if hasattr(d, "date") else d
    first, last = window
    if first <= day <= last:
        return None
    note = f"năm kế hoạch ± {PLAN_MARGIN_YEARS} năm" if (first.year, last.year) != (FIRST_YEAR, LAST_YEAR) else \
        "khoảng ngày chương trình tính được"
    return (f"ngày {day.day:02d}/{day.month:02d}/{day.year:04d} nằm ngoài khoảng {first:%d/%m/%Y}–{last:%d/%m/%Y} "
            f"({note}); hãy kiểm tra lại năm")

_VIETNAM = None
_VIETNAM_LOCK = threading.Lock()


def vietnam_rules():
    """The ``holidays`` class of Vietnam's days off and make-up days, loaded once (and alone: the package's
    ``countries`` imports every country, ~45 ms; the public registry is the fallback)."""
    global _VIETNAM
    with _VIETNAM_LOCK:
        if _VIETNAM is None:
            _without_metadata_lookup()
            import holidays  # the base classes; countries are registered lazily

            try:
                import importlib.util
                from pathlib import Path

                spec = importlib.util.spec_from_file_location(
                    "holidays.countries.vietnam", Path(holidays.__file__).with_name("countries") / "vietnam.py")
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                _VIETNAM = module.Vietnam
            except Exception:  # noqa: BLE001 - another layout of the package: its public way, all countries
                _VIETNAM = lambda years: holidays.country_holidays("VN", years=years)  # noqa: E731
        return _VIETNAM


def _without_metadata_lookup() -> None:
    """Spare the import of ``holidays`` its ``holidays.version`` module, which asks the installed distribution
    for its version through ``importlib.metadata`` — importing that and the e-mail parser it reads metadata with
    costs ~50 ms, a tenth of a refresh. The same version is read from the name of the distribution's
    ``holidays-<version>.dist-info`` folder beside the package (when there is exactly one; otherwise the
    package does its own lookup)."""
    import importlib.util
    import sys
    import types
    from pathlib import Path

    if "holidays" in sys.modules or "holidays.version" in sys.modules:
        return
    spec = importlib.util.find_spec("holidays")
    if spec is None or not spec.origin:
        return
    found = list(Path(spec.origin).parent.parent.glob("holidays-*.dist-info"))
    if len(found) != 1:
        return
    module = types.ModuleType("holidays.version")
    module.__version__ = found[0].name[len("holidays-"):-len(".dist-info")]
    sys.modules["holidays.version"] = module


def _vietnam(year: int):
    """Vietnam's holidays for ``year`` (a ``holidays.HolidayBase``: ``is_working_day`` knows make-up days)."""
    return vietnam_rules()(years=year)


@functools.cache
def _national_year(year: int) -> tuple[int, ...]:
    """The ordinals of the national working days of ``year`` (Vietnam's days off and make-up days); the same
    for every calendar of the process, computed once a year is asked for."""
    vn = _vietnam(year)
    first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
    return tuple(o for o in range(first, last + 1) if vn.is_working_day(date.fromordinal(o)))   # 9999 too


class WorkCalendar:
    """Working-day arithmetic over the Vietnamese calendar plus overrides.

    Args:
        overrides: ``{date: is_working}``; ``True`` forces a working day (*Làm bù*),
            ``False`` forces a day off (*Nghỉ*). Overrides win over the national calendar.

    Years are loaded lazily, on first use, and kept as one contiguous range; any date
    between year 1 and 9999 is accepted (``OverflowError`` only past ``date.max``).
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: dict[date, bool] = {
            (d.date() if hasattr(d, "date") else d): bool(v) for d, v in (overrides or {}).items()
        }
        self._first_year: int | None = None
        self._last_year: int | None = None
        self._ords: list[int] = []  # sorted ordinals of working days in [_first_year, _last_year]
        # answers of roll_forward/add_working_days: a refresh asks the same few hundred days ~20k times
        self._memo: dict[tuple[date, int], date] = {}

    # -- loading -------------------------------------------------------------------------
    def _year_ordinals(self, year: int) -> list[int]:
        national = _national_year(year)
        mine = {d: v for d, v in self._overrides.items() if d.year == year}
        if not mine:
            return list(national)
        days = set(national)
        for d, working in mine.items():
            (days.add if working else days.discard)(d.toordinal())
        return sorted(days)

    def _ensure(self, first: int, last: int) -> None:
        """Make sure years ``first..last`` (inclusive) are loaded."""
        if self._first_year is None:
            self._ords = [o for y in range(first, last + 1) for o in self._year_ordinals(y)]
            self._first_year, self._last_year = first, last
            return
        if first < self._first_year:
            head = [o for y in range(first, self._first_year) for o in self._year_ordinals(y)]
            self._ords = head + self._ords
            self._first_year = first
        if last > self._last_year:
            for y in range(self._last_year + 1, last + 1):
                self._ords.extend(self._year_ordinals(y))
            self._last_year = last

    # -- queries -------------------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        """True when ``d`` is a working day (overrides first, then the national calendar)."""
        self._ensure(d.year, d.year)
        o = d.toordinal()
        i = bisect.bisect_left(self._ords, o)
        return i < len(self._ords) and self._ords[i] == o

    def roll_forward(self, d: date) -> date:
        """``d`` when it is a working day, otherwise the next working day.

        >>> WorkCalendar().roll_forward(date(2024, 2, 10))   # Tết, Saturday
        datetime.date(2024, 2, 15)
        """
        hit = self._memo.get((d, None))
        if hit is None:
            hit = self._memo[(d, None)] = d if self.is_working_day(d) else self.add_working_days(d, 1)
        return hit

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day strictly after ``d``; ``n == 0`` returns ``d`` unchanged.

        ``d`` itself need not be a working day. Negative ``n`` counts backwards
        (``-1`` = the last working day strictly before ``d``).

        >>> WorkCalendar().add_working_days(date(2024, 4, 26), 3)   # make-up Saturday
        datetime.date(2024, 5, 4)
        """
        if n == 0:
            return d
        if n.__class__ is not int:      # memo only exact ints (1.0 must keep failing as before)
            return self._add_working_days(d, n)
        hit = self._memo.get((d, n))
        if hit is None:
            hit = self._memo[(d, n)] = self._add_working_days(d, n)
        return hit

    def _add_working_days(self, d: date, n: int) -> date:
        self._ensure(d.year, d.year)
        o = d.toordinal()
        if n > 0:
            target = bisect.bisect_right(self._ords, o) + n - 1
            while target >= len(self._ords):
                # about 250 working days a year; load enough years at once
                self._ensure(self._first_year, self._last_year + 1 + (target - len(self._ords)) // 240)
            return date.fromordinal(self._ords[target])
        while True:
            target = bisect.bisect_left(self._ords, o) + n  # n < 0
            if target >= 0:
                return date.fromordinal(self._ords[target])
            self._ensure(self._first_year - 1 - (-target) // 240, self._last_year)

    def working_days(self, first_year: int, last_year: int) -> list[int]:
        """The sorted ordinals of every working day of years ``first_year..last_year`` (inclusive).

        >>> ords = WorkCalendar().working_days(2024, 2024)
        >>> len(ords), date.fromordinal(ords[0]), date(2024, 5, 4).toordinal() in ords
        (251, datetime.date(2024, 1, 2), True)
        """
        self._ensure(first_year, last_year)
        ords = self._ords
        return ords[bisect.bisect_left(ords, date(first_year, 1, 1).toordinal()):
                    bisect.bisect_right(ords, date(last_year, 12, 31).toordinal())]

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days in the half-open interval ``(a, b]``; ``0`` when ``b <= a``.

        The closed interval ``[a, b]`` is ``working_days_between(a - 1 day, b)``.

        >>> WorkCalendar().working_days_between(date(2024, 6, 14), date(2024, 6, 14))
        0
        """
        if b <= a:
            return 0
        self._ensure(a.year, b.year)
        return bisect.bisect_right(self._ords, b.toordinal()) - bisect.bisect_right(self._ords, a.toordinal())
