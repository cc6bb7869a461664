"""Vietnamese number and date formatting: dot for thousands, comma for decimals; NĐ 30/2020 dates.

Rounding is half-up on the decimal value as written (``0.125`` → ``"12,50%"``, never a binary
artefact such as ``0.1249999``).

>>> percent(0.9553), percent(None), integer(1234), number(1234.5, 2)
('95,53%', '–', '1.234', '1.234,50')
>>> from datetime import date
>>> date_vn(date(2024, 2, 5)), place_date("Hải Phòng", date(2024, 4, 25))
('05/02/2024', 'Hải Phòng, ngày 25 tháng 4 năm 2024')
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["percent", "integer", "number", "date_vn", "place_date", "day_month_year", "typographic", "NONE_TEXT"]

NONE_TEXT = "–"


def _group(digits: str) -> str:
    """``"1234567"`` → ``"1.234.567"``."""
    head = len(digits) % 3 or 3
    return ".".join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


def number(x: float | int | Decimal | None, decimals: int = 2) -> str:
    """``x`` with ``decimals`` decimals, Vietnamese separators; ``None`` → ``"–"``.

    >>> number(-1234567.895, 2), number(0.5, 0), number(12, 1)
    ('-1.234.567,90', '1', '12,0')
    """
    if x is None:
        return NONE_TEXT
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x))) if isinstance(x, float) else Decimal(int(x))
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    return sign + _group(whole) + ("," + frac if decimals > 0 else "")


def integer(n: float | int | None) -> str:
    """Whole number with dot thousands separators (half-up rounding); ``None`` → ``"–"``.

    >>> integer(1234), integer(14579), integer(0), integer(-1000)
    ('1.234', '14.579', '0', '-1.000')
    """
    return number(n, 0)


def percent(fraction: float | None, decimals: int = 2, trim: bool = False) -> str:
    """A fraction as a Vietnamese percentage; ``None`` → ``"–"``. ``trim``: no trailing zero decimals (a
    target is written ``100%``, ``95%``, ``97,5%``; a result keeps its two decimals).

    >>> percent((13794 + 134) / 14579), percent(1), percent(0)
    ('95,53%', '100,00%', '0,00%')
    >>> percent(1, trim=True), percent(0.975, trim=True)
    ('100%', '97,5%')
    """
    if fraction is None:
        return NONE_TEXT
    d = Decimal(repr(float(fraction))) if not isinstance(fraction, Decimal) else fraction
    text = number(d * 100, decimals)
    if trim and "," in text:
        text = text.rstrip("0").rstrip(",")
    return text + "%"


def date_vn(d: date | None) -> str:
    """``dd/mm/yyyy``; a moment of a day (a datetime not at midnight) also ``hh:mm``; ``None`` → ``""``.

    >>> date_vn(date(2024, 2, 5)), date_vn(datetime(2024, 2, 5)), date_vn(datetime(2024, 2, 5, 14, 30))
    ('05/02/2024', '05/02/2024', '05/02/2024 14:30')
    """
    if d is None:
        return ""
    text = f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
    if isinstance(d, datetime) and (d.hour, d.minute, d.second, d.microsecond) != (0, 0, 0, 0):
        text += f" {d.hour:02d}:{d.minute:02d}"
    return text


def day_month_year(d: date) -> str:
    """``"ngày 05 tháng 02 năm 2024"`` per NĐ 30/2020: days < 10 and months 1–2 zero-padded, others not.

    >>> day_month_year(date(2024, 3, 5)), day_month_year(date(2024, 12, 14))
    ('ngày 05 tháng 3 năm 2024', 'ngày 14 tháng 12 năm 2024')
    """
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def place_date(place: str, d: date) -> str:
    """The place-and-date line of an official document.

    >>> place_date("Hải Phòng", date(2024, 2, 5))
    'Hải Phòng, ngày 05 tháng 02 năm 2024'
    """
    return f"{place.strip()}, {day_month_year(d)}"


_OPENING = re.compile(r"(?<![\w.,;:!?)\]%])['\"](?=\S)")
_CLOSING = re.compile(r"(?<=\S)['\"]")


def typographic(text: str) -> str:
    """Straight quotes as Vietnamese print sets them: ``“…”`` (a quote that opens after a space or a bracket,
    one that closes after a word or a sign).

    >>> typographic("ghi 'Chưa đạt' khi chưa đạt."), typographic('ghi "(số mẫu)".')
    ('ghi “Chưa đạt” khi chưa đạt.', 'ghi “(số mẫu)”.')
    >>> typographic("không có dấu nháy")
    'không có dấu nháy'
    """
    if "'" not in text and '"' not in text:
        return text
    return _CLOSING.sub("\u201d", _OPENING.sub("\u201c", text))
