"""Excel date serials and number-format codes.

A date in a cell is a number (days since 30/12/1899, or since 01/01/1904 for 1904-based books) shown
through a date format. Excel's fictitious 29/02/1900 (serial 60) is honoured: serials before it are one
day off, as in Excel.

>>> to_serial(dt.date(2024, 6, 14), False), from_serial(45457.5, False)
(45457, datetime.datetime(2024, 6, 14, 12, 0))
>>> is_date_format("dd/mm/yyyy hh:mm"), is_date_format('#,##0 "đ"'), is_date_format("[h]:mm")
(True, False, True)
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["from_serial", "to_serial", "is_date_format", "BUILTIN_DATE_FORMATS", "BUILTIN_FORMATS",
           "DATE_FMT", "DATETIME_FMT", "TIME_FMT"]

BUILTIN_DATE_FORMATS = frozenset(range(14, 23)) | {45, 46, 47}
# Builtin formats whose meaning does not depend on the locale (safe to reuse by id).
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
                   "0.00E+00": 11, "@": 49}
DATE_FMT = "dd/mm/yyyy"
DATETIME_FMT = "dd/mm/yyyy hh:mm"
TIME_FMT = "hh:mm"

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_DATE_TOKEN = re.compile(r"[dmyhs]", re.I)
_FMT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKET = re.compile(r"\[([^\]]*)\]")


def from_serial(serial: float, date1904: bool) -> dt.datetime | float:
    """The date-time of a serial; a serial outside Excel's range comes back unchanged."""
    if serial < 0 or serial > 2958465.99999:
        return serial
    if date1904:
        base = _EPOCH_1904
    elif serial < 60:
        base = dt.datetime(1899, 12, 31)      # Excel's fictitious 1900-02-29 sits at 60
        if serial < 1:
            base = _EPOCH_1900
    else:
        base = _EPOCH_1900
    return base + dt.timedelta(milliseconds=round(serial * 86_400_000))


def to_serial(value: dt.date | dt.datetime | dt.time, date1904: bool) -> float | int:
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if isinstance(value, dt.datetime):
        d = value.replace(tzinfo=None)
    else:
        d = dt.datetime(value.year, value.month, value.day)
    base = _EPOCH_1904 if date1904 else _EPOCH_1900
    delta = d - base
    if not date1904 and d < dt.datetime(1900, 3, 1):
        delta -= dt.timedelta(days=1)
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return int(serial) if serial == int(serial) else serial


def is_date_format(code: str) -> bool:
    """True when a number format code displays a date or a time."""
    section = code.split(";")[0]
    for m in _BRACKET.finditer(section):
        if re.fullmatch(r"[hms]+", m.group(1), re.I):
            return True
    section = _BRACKET.sub("", _FMT_NOISE.sub("", section))
    return bool(_DATE_TOKEN.search(section))
