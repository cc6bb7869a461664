"""One cell's XML for a Python value: ``<c r="L5" s="10" t="inlineStr"><is><t>Đúng hạn</t></is></c>``.

* ``str`` is always text (an inline string), even when it starts with ``=``: a value from a user or a
  returned copy never becomes a live formula; :class:`Formula` writes a real one;
* ``bool`` → ``t="b"``; ``int``/``float`` → a number (NaN and infinities are refused);
* ``date``/``datetime``/``time`` → a serial, shown through the cell's own format when it shows dates, else
  through a copy of it with ``dd/mm/yyyy`` (``dd/mm/yyyy hh:mm``, ``hh:mm``);
* ``None`` → an empty cell that keeps its style.

>>> w = CellWriter(styles=None, date1904=False)
>>> w.cell("A1", 0, b"", "a < b")
b'<c r="A1" t="inlineStr"><is><t>a &lt; b</t></is></c>'
>>> w.cell("B2", 3, b"", 2.5), w.cell("C3", 0, b"", None), w.cell("D4", 0, b"", True)
(b'<c r="B2" s="3"><v>2.5</v></c>', b'<c r="C3"/>', b'<c r="D4" t="b"><v>1</v></c>')
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass

from ...core.text import MAX_CELL_CHARS as MAX_CELL_TEXT
from .serials import DATE_FMT, DATETIME_FMT, TIME_FMT, to_serial
from .xmltext import escape_cell_text, xml_text

__all__ = ["Formula", "CellWriter", "MAX_CELL_TEXT"]

_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Formula:
    """Write a real formula (plain strings always stay text)."""

    text: str


class CellWriter:
    """Cell XML for one package: ``styles`` (a :class:`.styles.StyleSheet`) gives date formats on demand."""

    def __init__(self, styles, date1904: bool, prefix: bytes = b""):
        self.styles = styles
        self.date1904 = date1904
        self.p = prefix.decode()
        self.wrote_formula = False
        self._open = f'<{self.p}c r="'.encode()
        self._cache: dict[tuple, tuple[bytes, bytes]] = {}

    def cell(self, ref: str | bytes, style: int, extra: bytes, value) -> bytes:
        """The ``<c>`` element at ``ref`` with ``style`` (cellXfs index) and other attributes ``extra``."""
        if ref.__class__ is str:
            ref = ref.encode()
        hit = self.parts(style, value)
        return b"".join((self._open, ref, hit[0], extra, hit[1]))

    def parts(self, style: int, value) -> tuple[bytes, bytes]:
        """What follows ``<c r="REF`` : (``"`` and the ``s`` attribute, the rest after other attributes)."""
        key = (value.__class__, value, style)
        try:
            hit = self._cache.get(key)
        except TypeError:           # an unhashable value: refused below with a clear message
            hit = None
        if hit is None:
            hit = self._encode(style, value)
            if len(self._cache) < _CACHE_SIZE and value.__class__ is not Formula:
                try:
                    self._cache[key] = hit
                except TypeError:
                    pass
        return hit

    def _encode(self, style: int, value) -> tuple[bytes, bytes]:
        """(the quote ending ``r`` and the ``s`` attribute, the rest of the element)."""
        style, rest = self._content(style, value)
        return (b'" s="%d"' % style if style else b'"'), rest

    def _content(self, style: int, value) -> tuple[int, bytes]:
        p = self.p
        if value is None:
            return style, b"/>"
        if isinstance(value, str):
            if len(value) > MAX_CELL_TEXT:
                raise ValueError(f"Excel cells hold at most {MAX_CELL_TEXT} characters")
            text = xml_text(escape_cell_text(value))
            space = ' xml:space="preserve"' if (value != value.strip() or "\n" in value or "  " in value
                                                or "\t" in value) else ""
            return style, f' t="inlineStr"><{p}is><{p}t{space}>{text}</{p}t></{p}is></{p}c>'.encode()
        if isinstance(value, bool):
            return style, f' t="b"><{p}v>{int(value)}</{p}v></{p}c>'.encode()
        if isinstance(value, Formula):
            self.wrote_formula = True
            text = xml_text(escape_cell_text(value.text.lstrip("=")))
            return style, f"><{p}f>{text}</{p}f></{p}c>".encode()
        if isinstance(value, (dt.date, dt.time)):
            serial = to_serial(value, self.date1904)
            if self.styles is not None and not self.styles.is_date_style(style):
                if isinstance(value, dt.time):
                    code = TIME_FMT
                elif isinstance(value, dt.datetime) and value.time() != dt.time(0):
                    code = DATETIME_FMT
                else:
                    code = DATE_FMT
                style = self.styles.with_num_fmt(style, code)
            vtext = repr(serial) if isinstance(serial, float) else str(serial)
        elif isinstance(value, numbers.Integral):
            vtext = str(int(value))
        elif isinstance(value, numbers.Real):
            x = float(value)
            if not math.isfinite(x):
                raise ValueError(f"cannot write {value!r} to a cell")
            vtext = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
        else:
            raise TypeError(f"unsupported cell value type {type(value).__name__}")
        return style, f"><{p}v>{vtext}</{p}v></{p}c>".encode()
