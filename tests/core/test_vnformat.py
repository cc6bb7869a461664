from datetime import date
from decimal import Decimal

import pytest

from cchc_xl.core.vnformat import date_vn, integer, number, percent, place_date


def test_percent():
    assert percent(0.9553) == "95,53%"
    assert percent(None) == "–"
    assert percent(1) == "100,00%"
    assert percent(0.125) == "12,50%"
    assert percent(0.00005) == "0,01%"  # half-up
    assert percent(0.5, 0) == "50%"
    assert percent(Decimal("0.98805")) == "98,81%"


def test_gia_lai_check():
    assert percent((13794 + 134) / (13794 + 134 + 651)) == "95,53%"
    assert integer(14579) == "14.579"
    assert integer(13794) == "13.794"


def test_integer_and_number():
    assert integer(1234) == "1.234"
    assert integer(1234567) == "1.234.567"
    assert integer(999) == "999"
    assert integer(-1234) == "-1.234"
    assert integer(2.5) == "3"
    assert integer(None) == "–"
    assert number(1234.5, 2) == "1.234,50"
    assert number(0, 2) == "0,00"
    assert number(-0.001, 2) == "0,00"


def test_date_vn():
    assert date_vn(date(2024, 2, 5)) == "05/02/2024"
    assert date_vn(date(2024, 12, 14)) == "14/12/2024"
    assert date_vn(None) == ""


@pytest.mark.parametrize(
    "d,text",
    [
        (date(2024, 2, 5), "Hải Phòng, ngày 05 tháng 02 năm 2024"),
        (date(2024, 1, 25), "Hải Phòng, ngày 25 tháng 01 năm 2024"),
        (date(2024, 4, 25), "Hải Phòng, ngày 25 tháng 4 năm 2024"),
        (date(2024, 9, 3), "Hải Phòng, ngày 03 tháng 9 năm 2024"),
        (date(2024, 12, 14), "Hải Phòng, ngày 14 tháng 12 năm 2024"),
        (date(2024, 10, 10), "Hải Phòng, ngày 10 tháng 10 năm 2024"),
    ],
)
def test_place_date(d, text):
    assert place_date("Hải Phòng", d) == text
