"""Reporting periods (NĐ 09/2019/NĐ-CP, 581/BNV-CCHC) and their data cut-off windows.

Windows come from :meth:`cchc_xl.core.settings.Settings.windows` as
``{key: ((day, month) from, (day, month) to)}``. A *from* day/month later in the calendar
than the *to* day/month means the window starts in the previous year (15/12 → 14/03, and
15/12 → 14/12 for the year window).

>>> p = get_period("q1", 2024)
>>> p.label, p.start, p.end
('Quý I/2024', datetime.date(2023, 12, 15), datetime.date(2024, 3, 14))
>>> report_title_phrase(p)
'quý I năm 2024'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .vocabulary import PeriodKey

__all__ = [
    "Period",
    "PERIOD_KEYS",
    "DEFAULT_WINDOWS",
    "get_period",
    "period_for",
    "report_title_phrase",
    "is_year_end",
]

DayMonth = tuple[int, int]
Windows = Mapping[str, tuple[DayMonth, DayMonth]]

PERIOD_KEYS = tuple(PeriodKey)
DEFAULT_WINDOWS: dict[str, tuple[DayMonth, DayMonth]] = {
    PeriodKey.Q1: ((15, 12), (14, 3)),
    PeriodKey.H1: ((15, 12), (14, 6)),
    PeriodKey.Q3: ((15, 6), (14, 9)),
    PeriodKey.YEAR: ((15, 12), (14, 12)),
}
_LABEL = {PeriodKey.Q1: "Quý I/{y}", PeriodKey.H1: "6 tháng đầu năm {y}", PeriodKey.Q3: "Quý III/{y}",
          PeriodKey.YEAR: "Năm {y}"}
_PHRASE = {PeriodKey.Q1: "quý I năm {y}", PeriodKey.H1: "6 tháng đầu năm {y}", PeriodKey.Q3: "quý III năm {y}",
           PeriodKey.YEAR: "năm {y}"}


@dataclass(frozen=True)
class Period:
    """One reporting period of a plan year: ``start``/``end`` are inclusive dates."""

    key: PeriodKey
    label: str
    start: date
    end: date

    @property
    def year(self) -> int:
        """The reporting year (the year of ``end``)."""
        return self.end.year

    def __contains__(self, d: date) -> bool:
        return self.start <= d <= self.end


def _unknown(key: str) -> ValueError:
    return ValueError(f"kỳ báo cáo '{key}' không hợp lệ; chỉ nhận: {', '.join(PERIOD_KEYS)}")


def get_period(key: str, year: int, windows: Windows | None = None) -> Period:
    """The period ``key`` (``q1``, ``h1``, ``q3``, ``year``) of reporting year ``year``.

    Args:
        key: period key; surrounding spaces and case are ignored.
        year: the reporting year (the window ends in this year).
        windows: ``Settings.windows()``; a key missing from it uses :data:`DEFAULT_WINDOWS`.

    Raises:
        ValueError: unknown ``key``, or a window date that does not exist in that year
            (29/02 in a non-leap year); messages are in Vietnamese.

    >>> get_period("q3", 2024).start
    datetime.date(2024, 6, 15)
    >>> get_period("q4", 2024)
    Traceback (most recent call last):
    ...
    ValueError: kỳ báo cáo 'q4' không hợp lệ; chỉ nhận: q1, h1, q3, year
    """
    k = str(key).strip().lower()
    if k not in _LABEL:
        raise _unknown(str(key))
    (d1, m1), (d2, m2) = (windows or {}).get(k) or DEFAULT_WINDOWS[k]
    start_year = year - 1 if (m1, d1) > (m2, d2) else year
    try:
        start, end = date(start_year, m1, d1), date(year, m2, d2)
    except ValueError:
        raise ValueError(f"kỳ báo cáo '{k}': ngày bắt đầu/kết thúc không tồn tại trong năm {year}") from None
    return Period(PeriodKey(k), _LABEL[k].format(y=year), start, end)


def period_for(as_of: date, year: int, windows: Windows | None = None) -> Period:
    """The shortest period of ``year`` whose window contains ``as_of``; else the ``year`` period.

    Ties in length keep the order of :data:`PERIOD_KEYS`.

    >>> [str(period_for(d, 2024).key)
    ...  for d in (date(2024, 3, 1), date(2024, 6, 14), date(2024, 7, 1), date(2024, 12, 20))]
    ['q1', 'h1', 'q3', 'year']
    """
    best: Period | None = None
    for k in PERIOD_KEYS:
        p = get_period(k, year, windows)
        if as_of in p and (best is None or p.end - p.start < best.end - best.start):
            best = p
    return best or get_period(PeriodKey.YEAR, year, windows)


def report_title_phrase(period: Period) -> str:
    """The period as written in a report title, e.g. ``"quý I năm 2024"``.

    >>> report_title_phrase(get_period("h1", 2024)), report_title_phrase(get_period("year", 2024))
    ('6 tháng đầu năm 2024', 'năm 2024')
    """
    if period.key not in _PHRASE:
        raise _unknown(period.key)
    return _PHRASE[period.key].format(y=period.year)


def is_year_end(period: Period, cut: date) -> bool:
    """True for the year report at its annual cut-off: the indicators' verdicts are final (``Không đạt``) and the
    report lists apart the units not due yet (due 31/12) — never late before their deadline (issue #15).

    >>> year = get_period("year", 2024)
    >>> is_year_end(year, date(2024, 12, 14)), is_year_end(year, date(2024, 6, 14))
    (True, False)
    >>> is_year_end(get_period("q3", 2024), date(2024, 9, 14))
    False
    """
    return period.key == PeriodKey.YEAR and cut >= period.end
