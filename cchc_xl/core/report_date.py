"""The as-of date and the report period of a run — one rule for every command and every ribbon button.

**As-of date** (*ngày tính đến*): the date given for this run (``--as-of``) if any; else the
``ngay_tinh_den`` setting if a person filled it in ``Cấu hình``; else today (asked of the clock,
only then).

**Period** (*kỳ báo cáo*): the period given for this run (``--period``, or the ribbon's report
buttons) if any; else the ``ky_bao_cao`` setting if filled; else the period whose NĐ 09 window
contains the as-of date (:func:`cchc_xl.core.periods.period_for`: Q1 15/12–14/3, 6 months
15/12–14/6, Q3 15/6–14/9, else the year 15/12–14/12). The plan covers one year (``nam_ke_hoach``), so a
date outside its windows never gives a report of another year:

* after the annual cut-off (14/12 of the plan year) → the plan year's **annual** report, with a
  one-line note;
* before the first window (15/12 of the previous year) → the plan year's **Q1** report, with a note
  (nothing of the plan is due yet; the figures are those known on that date).

>>> from datetime import date
>>> r = resolve_report_date(2024, today=lambda: date(2024, 6, 20))
>>> r.period.label, r.as_of, r.as_of_source, r.period_source, r.note
('Quý III/2024', datetime.date(2024, 6, 20), 'today', 'date', '')
>>> r = resolve_report_date(2024, setting_as_of=date(2024, 12, 16), today=lambda: date(2030, 1, 1))
>>> r.period.label, r.as_of_source
('Năm 2024', 'setting')
>>> print(r.note)  # doctest: +NORMALIZE_WHITESPACE
Ngày tính đến 16/12/2024 đã qua ngày chốt số liệu năm 2024 (14/12/2024): kế hoạch là của năm 2024
nên lập báo cáo năm 2024.
>>> resolve_report_date(2024, as_of=date(2024, 3, 10), setting_as_of=date(2024, 6, 14),
...                     setting_period="year").period.label
'Năm 2024'
>>> resolve_report_date(2024, as_of=date(2024, 3, 10), period="h1", setting_period="year").period.label
'6 tháng đầu năm 2024'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .periods import Period, Windows, get_period, period_for
from .vnformat import date_vn
from .vocabulary import PeriodKey

__all__ = ["ReportDate", "resolve_report_date", "AS_OF_SOURCES", "PERIOD_SOURCES"]

#: Where the as-of date came from: the run's own date, the ``ngay_tinh_den`` setting, the clock.
AS_OF_SOURCES = ("flag", "setting", "today")
#: Where the period came from: the run's own period, the ``ky_bao_cao`` setting, the as-of date's window.
PERIOD_SOURCES = ("flag", "setting", "date")
_AS_OF_WORDS = {"flag": "", "setting": "theo ô ngay_tinh_den của trang Cấu hình", "today": "hôm nay"}


@dataclass(frozen=True)
class ReportDate:
    """The outcome of the rule: ``as_of``, ``period``, where each came from, and a one-line Vietnamese
    ``note`` when the period is not the one the date falls in (``""`` otherwise)."""

    as_of: date
    as_of_source: str
    period: Period
    period_source: str
    note: str = ""

    @property
    def as_of_words(self) -> str:
        """Where the as-of date came from, in words (``"hôm nay"``…); ``""`` for a date given to the run.

        >>> resolve_report_date(2024, today=lambda: date(2024, 5, 2)).as_of_words
        'hôm nay'
        """
        return _AS_OF_WORDS[self.as_of_source]


def resolve_report_date(plan_year: int, *, as_of: date | None = None, period: str | None = None,
                        setting_as_of: date | None = None, setting_period: str | None = None,
                        windows: Windows | None = None,
                        today: Callable[[], date] = date.today) -> ReportDate:
    """Apply the rule of the module docstring.

    Args:
        plan_year: ``nam_ke_hoach``, the one year the plan covers.
        as_of, period: what this run was given (``--as-of``, ``--period``, a ribbon report button);
            ``None`` when not given. ``period`` is a key (``q1``, ``h1``, ``q3``, ``year``).
        setting_as_of, setting_period: the ``ngay_tinh_den`` and ``ky_bao_cao`` settings; ``None`` or
            ``""`` when nobody filled them.
        windows: ``Settings.windows()`` (NĐ 09 defaults when ``None``).
        today: the clock, called only when neither a date nor the setting gives the as-of date.

    Raises:
        ValueError: an unknown period key, or a window date that does not exist in the plan year
            (Vietnamese message, from :func:`cchc_xl.core.periods.get_period`).

    Before the first window, Q1 with a note:

    >>> r = resolve_report_date(2024, as_of=date(2023, 12, 1))
    >>> r.period.label
    'Quý I/2024'
    >>> print(r.note)  # doctest: +NORMALIZE_WHITESPACE
    Ngày tính đến 01/12/2023 chưa đến kỳ báo cáo đầu tiên của kế hoạch năm 2024 (Quý I/2024 từ 15/12/2023):
    lập báo cáo Quý I/2024 với số liệu đến ngày đó.

    A period given explicitly is never second-guessed, and has no note:

    >>> r = resolve_report_date(2024, as_of=date(2025, 1, 10), period="h1")
    >>> r.period.label, r.period_source, r.note
    ('6 tháng đầu năm 2024', 'flag', '')
    """
    if as_of is not None:
        day, day_source = as_of, "flag"
    elif setting_as_of is not None:
        day, day_source = setting_as_of, "setting"
    else:
        day, day_source = today(), "today"
    if period:
        return ReportDate(day, day_source, get_period(period, plan_year, windows), "flag")
    if setting_period:
        return ReportDate(day, day_source, get_period(setting_period, plan_year, windows), "setting")
    year = get_period(PeriodKey.YEAR, plan_year, windows)
    if day > year.end:
        return ReportDate(day, day_source, year, "date",
                          f"Ngày tính đến {date_vn(day)} đã qua ngày chốt số liệu năm {plan_year} "
                          f"({date_vn(year.end)}): kế hoạch là của năm {plan_year} nên lập báo cáo năm {plan_year}.")
    first = get_period(PeriodKey.Q1, plan_year, windows)
    if day < min(first.start, year.start):
        return ReportDate(day, day_source, first, "date",
                          f"Ngày tính đến {date_vn(day)} chưa đến kỳ báo cáo đầu tiên của kế hoạch năm {plan_year} "
                          f"({first.label} từ {date_vn(first.start)}): lập báo cáo {first.label} với số liệu "
                          "đến ngày đó.")
    return ReportDate(day, day_source, period_for(day, plan_year, windows), "date")
