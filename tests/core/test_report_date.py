"""The one rule for the as-of date and the period (cchc_xl.core.report_date), checked day by day against the
NĐ 09 windows of the domain brief (§2.1), written out here as dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cchc_xl.core.periods import period_for
from cchc_xl.core.report_date import resolve_report_date
from cchc_xl.core.settings import parse_settings

# The 2024 windows of CCHC_DOMAIN.md §2.1 (NĐ 09 / 581-BNV defaults).
WINDOWS_2024 = {
    "q1": (date(2023, 12, 15), date(2024, 3, 14)),
    "h1": (date(2023, 12, 15), date(2024, 6, 14)),
    "q3": (date(2024, 6, 15), date(2024, 9, 14)),
    "year": (date(2023, 12, 15), date(2024, 12, 14)),
}


def expected_key(day: date) -> tuple[str, str]:
    """(period key, note kind) for ``day`` under the 2024 plan, from the windows above: the report due next
    is the shortest window holding the day; after the year window the plan's annual report, before the
    first window Q1 — both with a note."""
    if day > WINDOWS_2024["year"][1]:
        return "year", "after"
    if day < WINDOWS_2024["q1"][0]:
        return "q1", "before"
    if day <= WINDOWS_2024["q1"][1]:
        return "q1", ""
    if day <= WINDOWS_2024["h1"][1]:
        return "h1", ""
    if day <= WINDOWS_2024["q3"][1]:
        return "q3", ""
    return "year", ""


def days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def test_every_day_from_december_2023_to_june_2025_gets_the_window_it_falls_in():
    checked = {"q1": 0, "h1": 0, "q3": 0, "year": 0, "after": 0, "before": 0}
    for day in days(date(2023, 11, 1), date(2025, 6, 30)):
        r = resolve_report_date(2024, today=lambda d=day: d)
        key, note = expected_key(day)
        assert (r.period.key, r.period.year) == (key, 2024), day
        assert r.as_of == day and r.as_of_source == "today" and r.period_source == "date"
        if note == "after":
            assert r.note.startswith(f"Ngày tính đến {day:%d/%m/%Y} đã qua ngày chốt số liệu năm 2024 (14/12/2024)")
        elif note == "before":
            assert r.note.startswith(f"Ngày tính đến {day:%d/%m/%Y} chưa đến kỳ báo cáo đầu tiên")
            assert "Quý I/2024 từ 15/12/2023" in r.note
        else:
            assert r.note == ""
            start, end = WINDOWS_2024[key]
            assert (r.period.start, r.period.end) == (start, end) and start <= day <= end
            assert period_for(day, 2024).key == key  # the windows' own function agrees inside the plan year
        checked[note or key] += 1
    assert all(checked.values()), checked  # every branch was met
    assert checked["after"] == 17 + 181  # 15/12/2024 … 30/06/2025


@pytest.mark.parametrize("day,key,note", [
    (date(2024, 3, 10), "q1", False), (date(2024, 3, 14), "q1", False), (date(2024, 3, 15), "h1", False),
    (date(2024, 6, 14), "h1", False), (date(2024, 6, 20), "q3", False), (date(2024, 9, 15), "year", False),
    (date(2024, 12, 14), "year", False), (date(2024, 12, 16), "year", True), (date(2025, 1, 10), "year", True),
    (date(2025, 6, 30), "year", True), (date(2023, 12, 14), "q1", True), (date(2023, 12, 15), "q1", False),
])
def test_named_dates(day, key, note):
    r = resolve_report_date(2024, as_of=day)
    assert (r.period.key, r.period.year, r.as_of_source, bool(r.note)) == (key, 2024, "flag", note)


def never(*_args):
    raise AssertionError("the clock must not be asked when a date is known")


def test_as_of_flag_then_setting_then_today():
    assert resolve_report_date(2024, as_of=date(2024, 3, 1), setting_as_of=date(2024, 9, 1), today=never).as_of \
        == date(2024, 3, 1)
    r = resolve_report_date(2024, setting_as_of=date(2024, 9, 1), today=never)
    assert (r.as_of, r.as_of_source, r.as_of_words) == (date(2024, 9, 1), "setting",
                                                        "theo ô ngay_tinh_den của trang Cấu hình")
    r = resolve_report_date(2024, today=lambda: date(2024, 2, 2))
    assert (r.as_of, r.as_of_source, r.as_of_words) == (date(2024, 2, 2), "today", "hôm nay")


def test_period_flag_then_setting_then_the_date():
    r = resolve_report_date(2024, as_of=date(2024, 3, 1), period="q3", setting_period="year")
    assert (r.period.key, r.period_source, r.note) == ("q3", "flag", "")
    r = resolve_report_date(2024, as_of=date(2024, 3, 1), setting_period="year")
    assert (r.period.key, r.period_source) == ("year", "setting")
    r = resolve_report_date(2024, as_of=date(2025, 3, 1), setting_period="h1")  # chosen by a person: no note
    assert (r.period.label, r.note) == ("6 tháng đầu năm 2024", "")
    assert resolve_report_date(2024, as_of=date(2024, 3, 1), setting_period="").period_source == "date"


def test_a_date_after_the_plan_year_never_gives_another_years_report():
    for day in (date(2024, 12, 15), date(2025, 3, 10), date(2026, 11, 28), date(2030, 1, 1)):
        r = resolve_report_date(2024, as_of=day)
        assert (r.period.key, r.period.year, r.period.end) == ("year", 2024, date(2024, 12, 14))
        assert "\n" not in r.note and "kế hoạch là của năm 2024" in r.note


def test_the_settings_windows_are_the_ones_used():
    settings, problems = parse_settings([(2, "ky_q1_den", "31/03"), (3, "ky_nam_tu", "01/01"),
                                         (4, "ky_nam_den", "31/12")])
    assert not problems
    w = settings.windows()
    assert resolve_report_date(2024, as_of=date(2024, 3, 20), windows=w).period.key == "q1"
    r = resolve_report_date(2024, as_of=date(2024, 12, 20), windows=w)
    assert (r.period.key, r.period.start, r.note) == ("year", date(2024, 1, 1), "")  # a calendar-year window
    assert resolve_report_date(2024, as_of=date(2025, 1, 1), windows=w).note


def test_an_unknown_period_is_a_vietnamese_error():
    with pytest.raises(ValueError, match="kỳ báo cáo 'q2' không hợp lệ"):
        resolve_report_date(2024, as_of=date(2024, 3, 1), period="q2")
    with pytest.raises(ValueError, match="kỳ báo cáo 'quy1' không hợp lệ"):
        resolve_report_date(2024, as_of=date(2024, 3, 1), setting_period="quy1")
