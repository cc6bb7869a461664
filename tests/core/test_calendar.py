from datetime import date, timedelta

import pytest

from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.periods import get_period

HOLIDAYS_2024 = [
    date(2024, 1, 1),
    *[date(2024, 2, d) for d in range(8, 15)],
    date(2024, 4, 18),
    date(2024, 4, 29),
    date(2024, 4, 30),
    date(2024, 5, 1),
    date(2024, 9, 2),
    date(2024, 9, 3),
]


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar()


@pytest.mark.parametrize("d", HOLIDAYS_2024)
def test_2024_public_holidays_are_days_off(cal, d):
    assert not cal.is_working_day(d)


def test_make_up_saturday_is_working(cal):
    assert cal.is_working_day(date(2024, 5, 4))
    assert not cal.is_working_day(date(2024, 5, 11))  # ordinary Saturday
    assert not cal.is_working_day(date(2024, 5, 5))  # Sunday


def test_all_non_weekend_non_holiday_2024_days_are_working(cal):
    d = date(2024, 1, 1)
    while d.year == 2024:
        expected = (d.weekday() < 5 and d not in HOLIDAYS_2024) or d == date(2024, 5, 4)
        assert cal.is_working_day(d) == expected, d
        d += timedelta(days=1)


def test_add_working_days_checked_examples(cal):
    assert cal.add_working_days(date(2024, 2, 7), 3) == date(2024, 2, 19)
    assert cal.add_working_days(date(2024, 4, 26), 3) == date(2024, 5, 4)
    assert cal.add_working_days(date(2024, 4, 26), 0) == date(2024, 4, 26)
    assert cal.add_working_days(date(2024, 3, 2), 1) == date(2024, 3, 4)  # from a Saturday


def test_add_working_days_across_years_and_backwards(cal):
    assert cal.add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 2)  # 01/01/2025 off
    assert cal.add_working_days(date(2024, 1, 2), 600) > date(2026, 1, 1)  # loads more years
    assert cal.add_working_days(date(2024, 5, 6), -1) == date(2024, 5, 4)
    assert cal.add_working_days(date(2024, 1, 2), -1) == date(2023, 12, 29)


def test_roll_forward(cal):
    assert cal.roll_forward(date(2024, 3, 4)) == date(2024, 3, 4)
    assert cal.roll_forward(date(2024, 3, 3)) == date(2024, 3, 4)
    assert cal.roll_forward(date(2024, 2, 8)) == date(2024, 2, 15)


def test_working_days_between_half_open(cal):
    assert cal.working_days_between(date(2024, 3, 4), date(2024, 3, 4)) == 0
    assert cal.working_days_between(date(2024, 3, 5), date(2024, 3, 4)) == 0
    assert cal.working_days_between(date(2024, 3, 4), date(2024, 3, 5)) == 1
    assert cal.working_days_between(date(2024, 3, 1), date(2024, 3, 4)) == 1  # (Fri, Mon]
    assert cal.working_days_between(date(2024, 5, 3), date(2024, 5, 4)) == 1


@pytest.mark.parametrize("key,count", [("q1", 59), ("h1", 122), ("q3", 63), ("year", 250)])
def test_2024_window_working_day_counts(cal, key, count):
    p = get_period(key, 2024)
    assert cal.working_days_between(p.start - timedelta(days=1), p.end) == count


def test_overrides_win():
    cal = WorkCalendar({date(2024, 3, 4): False, date(2024, 3, 9): True, date(2024, 5, 4): False})
    assert not cal.is_working_day(date(2024, 3, 4))
    assert cal.is_working_day(date(2024, 3, 9))
    assert not cal.is_working_day(date(2024, 5, 4))
    assert cal.add_working_days(date(2024, 3, 1), 1) == date(2024, 3, 5)
    assert cal.add_working_days(date(2024, 3, 8), 1) == date(2024, 3, 9)
    assert WorkCalendar(None).is_working_day(date(2024, 3, 4))


def test_years_loaded_out_of_order():
    cal = WorkCalendar()
    assert cal.is_working_day(date(2025, 3, 3))
    assert cal.working_days_between(date(2023, 12, 14), date(2024, 12, 14)) == 250
    assert not cal.is_working_day(date(2020, 1, 1))
    assert cal.working_days_between(date(2023, 12, 14), date(2024, 12, 14)) == 250


def test_vietnam_alone_is_the_national_calendar():
    """The calendar loads holidays' Vietnam module alone (not every country): the same days as
    ``holidays.country_holidays('VN')``, make-up Saturdays included, over a century."""
    import holidays

    reference = holidays.country_holidays("VN", years=range(1995, 2061))
    cal = WorkCalendar()
    d = date(1995, 1, 1)
    while d.year < 2061:
        assert cal.is_working_day(d) == reference.is_working_day(d), d
        d += timedelta(days=1)


def test_vietnam_falls_back_to_the_registry(monkeypatch):
    """Should holidays' layout change (no countries/vietnam.py), the public registry is used instead."""
    import importlib.util

    from cchc_xl.core import calendar

    def missing(*args, **kwargs):
        raise FileNotFoundError("countries/vietnam.py")

    monkeypatch.setattr(calendar, "_VIETNAM", None)
    monkeypatch.setattr(importlib.util, "spec_from_file_location", missing)
    calendar._national_year.cache_clear()
    try:
        cal = WorkCalendar()
        assert cal.is_working_day(date(2024, 5, 4)) and not cal.is_working_day(date(2024, 2, 12))
        assert calendar._VIETNAM.__name__ == "<lambda>"
    finally:
        calendar._national_year.cache_clear()
        monkeypatch.setattr(calendar, "_VIETNAM", None)   # the next calendar loads the module again


def test_working_days_is_the_table_behind_the_searches():
    cal = WorkCalendar({date(2024, 3, 9): True, date(2024, 3, 11): False})
    ords = cal.working_days(2023, 2025)
    assert ords == sorted(ords) and len(set(ords)) == len(ords)
    assert date.fromordinal(ords[0]) == date(2023, 1, 3) and date.fromordinal(ords[-1]).year == 2025
    assert date(2024, 3, 9).toordinal() in ords and date(2024, 3, 11).toordinal() not in ords
    assert all(cal.is_working_day(date.fromordinal(o)) for o in ords)
    assert len(ords) == cal.working_days_between(date(2022, 12, 31), date(2025, 12, 31))
    assert cal.working_days(2024, 2024) == [o for o in ords if date.fromordinal(o).year == 2024]
