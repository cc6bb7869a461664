from datetime import date

import pytest

from cchc_xl.core.periods import Period, get_period, period_for, report_title_phrase
from cchc_xl.core.settings import parse_settings

EXPECTED = {
    "q1": ("Quý I/2024", date(2023, 12, 15), date(2024, 3, 14), "quý I năm 2024"),
    "h1": ("6 tháng đầu năm 2024", date(2023, 12, 15), date(2024, 6, 14), "6 tháng đầu năm 2024"),
    "q3": ("Quý III/2024", date(2024, 6, 15), date(2024, 9, 14), "quý III năm 2024"),
    "year": ("Năm 2024", date(2023, 12, 15), date(2024, 12, 14), "năm 2024"),
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_default_periods(key):
    label, start, end, phrase = EXPECTED[key]
    p = get_period(key, 2024)
    assert p == Period(key, label, start, end)
    assert report_title_phrase(p) == phrase
    assert get_period(key, 2024, parse_settings([])[0].windows()) == p


def test_settings_windows_used():
    s, problems = parse_settings([(2, "ky_q1_tu", "01/12"), (3, "ky_q1_den", "29/02")])
    assert not problems
    p = get_period("q1", 2024, s.windows())
    assert (p.start, p.end) == (date(2023, 12, 1), date(2024, 2, 29))
    with pytest.raises(ValueError, match="không tồn tại"):
        get_period("q1", 2023, s.windows())


def test_same_year_window_and_key_normalisation():
    p = get_period(" Q3 ", 2024, {"q3": ((1, 7), (30, 9))})
    assert (p.key, p.start, p.end) == ("q3", date(2024, 7, 1), date(2024, 9, 30))


def test_unknown_key():
    with pytest.raises(ValueError, match="kỳ báo cáo 'q4' không hợp lệ"):
        get_period("q4", 2024)
    with pytest.raises(ValueError):
        report_title_phrase(Period("q2", "x", date(2024, 1, 1), date(2024, 6, 30)))


@pytest.mark.parametrize(
    "as_of,key",
    [
        (date(2023, 12, 15), "q1"),
        (date(2024, 3, 14), "q1"),
        (date(2024, 3, 15), "h1"),
        (date(2024, 6, 14), "h1"),
        (date(2024, 6, 15), "q3"),
        (date(2024, 9, 14), "q3"),
        (date(2024, 9, 15), "year"),
        (date(2024, 12, 14), "year"),
        (date(2024, 12, 31), "year"),  # outside every window → year
        (date(2023, 1, 1), "year"),
    ],
)
def test_period_for(as_of, key):
    assert period_for(as_of, 2024).key == key
