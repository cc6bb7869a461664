"""How much room a text takes in a report cell: widths from the font's own metrics, lines as Excel and
LibreOffice wrap them, row heights.

Neither Excel nor LibreOffice fits the height of a row with merged or wrapped cells when the file was
written by a program, so the report computes every height itself. Widths are the advance widths of
Liberation Serif 2 (``cchc_xl/data/fonts/liberation_serif.json``, made by ``scripts/font_metrics.py``),
which is metric-compatible with Times New Roman: the same numbers hold for the Times New Roman of
Windows and for the Liberation Serif LibreOffice substitutes for it on Linux.

Wrapping is greedy and breaks only at spaces (both programs break at least there; a long word is cut
between characters). Measured lines are never wider than the given width, so as long as the width is
not more than the real one, the real text takes at most as many lines as computed here: a computed
height can leave a little room, it never clips.

>>> round(text_width("Kế hoạch", 13), 2)
49.45
>>> wrap("Kế hoạch cải cách hành chính năm 2024", 120, 13)
['Kế hoạch cải cách', 'hành chính năm 2024']
>>> line_height(13)
15.1
"""

from __future__ import annotations

import json
from bisect import bisect_right
from functools import lru_cache
from importlib import resources

__all__ = ["text_width", "wrap", "line_height", "LINE_SPACING", "FAMILY"]

FAMILY = "Times New Roman"
# Line pitch as a multiple of the font size: Liberation Serif's ascent + descent is 1.107 em (what LibreOffice
# uses); Excel (GDI at 96 dpi) adds a pixel of leading to Times New Roman — 15 pt at 13 pt, 13.5 pt at 12 pt,
# 12.75 pt at 11 pt — so 1.16 em leaves room in both.
LINE_SPACING = 1.16
_STYLE_KEYS = {(False, False): "regular", (True, False): "bold", (False, True): "italic", (True, True): "bold_italic"}


@lru_cache(maxsize=1)
def _metrics() -> dict:
    data = json.loads(resources.files("cchc_xl").joinpath("data/fonts/liberation_serif.json").read_text("utf-8"))
    upm = data["units_per_em"]
    styles = {}
    for key, style in data["styles"].items():
        runs = style["runs"]
        styles[key] = ([r[0] for r in runs], runs, style["default"] / upm)
    return {"upm": upm, "styles": styles}


class _EmWidths(dict):
    """Advance widths in em of one style, looked up by character (filled as characters are met)."""

    def __init__(self, key: str):
        super().__init__()
        self.key = key

    def __missing__(self, ch: str) -> float:
        starts, runs, default = _metrics()["styles"][self.key]
        cp = ord(ch)
        i = bisect_right(starts, cp) - 1
        width = default  # a character outside the table: as wide as a digit
        if i >= 0:
            first, count, w = runs[i]
            if cp < first + count:
                width = w / _metrics()["upm"]
        self[ch] = width
        return width


_EM = {key: _EmWidths(key) for key in _STYLE_KEYS.values()}


def text_width(text: str, size: float, bold: bool = False, italic: bool = False) -> float:
    """Width in points of ``text`` set in Times New Roman (Liberation Serif) at ``size`` points."""
    return sum(map(_EM[_STYLE_KEYS[(bool(bold), bool(italic))]].__getitem__, text)) * size


def line_height(size: float) -> float:
    """Vertical room of one wrapped line at ``size`` points (rounded to 0.1 pt)."""
    return round(size * LINE_SPACING, 1)


def wrap(text: str, width: float, size: float, bold: bool = False, italic: bool = False) -> list[str]:
    """``text`` broken into lines no wider than ``width`` points; a line break in ``text`` starts a new
    line; an empty text is one empty line.

    >>> wrap("a\\n\\nb", 100, 13)
    ['a', '', 'b']
    >>> wrap("Supercalifragilistic", 40, 13)
    ['Superc', 'alifragi', 'listic']
    """
    lines: list[str] = []
    space = text_width(" ", size, bold, italic)
    for paragraph in str(text).split("\n"):
        if text_width(paragraph, size, bold, italic) <= width - 1e-6:   # fits whole (a margin for rounding)
            lines.append(paragraph)
            continue
        words = paragraph.split(" ")
        current, current_w = "", 0.0
        started = False
        for word in words:
            w = text_width(word, size, bold, italic)
            if not started:
                current, current_w, started = word, w, True
            elif current_w + space + w <= width:
                current, current_w = current + " " + word, current_w + space + w
            else:
                lines.append(current)
                current, current_w = word, w
            while current_w > width and len(current) > 1:  # a word longer than the line: cut it
                cut = _fit(current, width, size, bold, italic)
                lines.append(current[:cut])
                current = current[cut:]
                current_w = text_width(current, size, bold, italic)
        lines.append(current)
    return lines


def _fit(text: str, width: float, size: float, bold: bool, italic: bool) -> int:
    """How many leading characters of ``text`` fit in ``width`` (at least one)."""
    total = 0.0
    for i, ch in enumerate(text):
        total += text_width(ch, size, bold, italic)
        if total > width:
            return max(i, 1)
    return len(text)
