"""Flow the report onto A4 pages: measured rows, page breaks, headings kept with what follows.

The report sheet is a grid of :data:`COLUMNS` equal columns (the layout grid: a paragraph spans all of
them, a table column spans a few). :mod:`cchc_xl.report.layout` describes the report as a list of items —

* :class:`Para` — text in one merged cell; it may be split between two pages at a line boundary (at least
  two lines on each side), unless ``keep`` says otherwise;
* :class:`Row` — one grid row of cells (a table row, the header block…), never split; a table's body
  rows name their ``header`` row, which is printed again at the top of each page the table continues on;
* :class:`PageBreak` — the next item starts a new page (the annexes);

— and :func:`paginate` turns them into grid rows with heights and the rows after which a page ends. A
heading (``keep_with_next``) is never the last thing on a page: it moves to the next page with the first
lines of what follows it.

Heights: neither Excel nor LibreOffice fits rows with merged cells, so each row gets a height computed
from its text (:mod:`cchc_xl.report.textmetrics`), rounded up to whole pixels (0.75 pt) as Excel stores them, so
that the page breaks computed here are the ones both programs make.

Geometry (see ``docs/ARCHITECTURE.md``): a column is written as 17/7 character units wide by XlsxWriter
with the workbook's default font Times New Roman 12 (a digit is 8 px): Excel shows 25 px (18.75 pt),
LibreOffice 18.84 pt; texts are measured against the narrower one less the cell padding.

>>> rows, breaks = paginate([Para("Tiêu đề", "h1", keep_with_next=True), Para("Nội dung " * 30, "p")])
>>> len(rows), breaks
(2, [])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..core.vnformat import date_vn, integer, percent
from . import textmetrics

__all__ = [
    "COLUMNS",
    "COLUMN_UNITS",
    "COLUMN_PT",
    "PAGE_BODY_PT",
    "Para",
    "Row",
    "Cell",
    "PageBreak",
    "paginate",
    "span_width",
    "text_lines",
    "quantize",
    "FONTS",
    "INDENT",
    "report_number",
    "signed_date",
    "annex_reference",
    "ct2_line",
    "CT2_DEFINITION",
    "signature_rows",
    "span_tasks",
    "span_dossiers",
]

COLUMNS = 24
COLUMN_UNITS = 17 / 7          # what XlsxWriter's set_column is given (→ 22 "Calibri" px, stored 3.140625)
COLUMN_PT = 18.75              # Excel: 25 px; LibreOffice: 18.84 pt — the narrower one
_PADDING_PT = 3.75             # left + right inner margin of a cell (Excel: 5 px; LibreOffice: 3 pt)
_SAFETY = 0.995                # measured lines at most 99,5% of the room
# A4 (297 mm) less the top and bottom margins (20 mm each), less a margin of safety for rounding.
PAGE_BODY_PT = (297 - 20 - 20) / 25.4 * 72 - 8
_MIN_LINES = 2                  # lines of a paragraph kept together at a page break (widows, orphans)
# First-line indent of a paragraph (NĐ 30/2020: 1–1,27 cm): nine no-break spaces ≈ 1 cm at 13 pt.
INDENT = "\u00a0" * 9

# style key -> (size, bold, italic) for measuring; filled by cchc_xl.report.layout from its STYLES.
FONTS: dict[str, tuple[float, bool, bool]] = {}


def quantize(height: float) -> float:
    """``height`` rounded up to whole pixels at 96 dpi (0.75 pt), as Excel stores row heights.

    >>> quantize(15.6), quantize(15.0)
    (15.75, 15.0)
    """
    return math.ceil(round(height / 0.75, 6)) * 0.75


def span_width(c1: int, c2: int) -> float:
    """Room for text, in points, in a cell merged over columns ``c1``..``c2`` (1-based)."""
    return ((c2 - c1 + 1) * COLUMN_PT - _PADDING_PT) * _SAFETY


def _font(style: str) -> tuple[float, bool, bool]:
    return FONTS.get(style, (12.0, False, False))


def text_lines(text: object, style: str, c1: int, c2: int) -> list[str]:
    """``text`` wrapped as it prints in a cell of ``style`` merged over ``c1``..``c2``."""
    size, bold, italic = _font(style)
    return textmetrics.wrap("" if text is None else str(text), span_width(c1, c2), size, bold, italic)


def _line_pt(style: str) -> float:
    return textmetrics.line_height(_font(style)[0])


@dataclass
class Para:
    """A paragraph in one cell merged over columns ``c1``..``c2``; ``space_after`` in points."""

    text: str
    style: str
    c1: int = 1
    c2: int = COLUMNS
    keep_with_next: bool = False
    keep: bool = False            # never split between pages
    space_after: float = 0.0
    min_height: float = 0.0
    balance: bool = False         # a title: lines of even length, broken where computed ("\n" in the text)
    lines: list[str] = field(default_factory=list)

    def measure(self) -> Para:
        if not self.lines:
            self.lines = text_lines(self.text, self.style, self.c1, self.c2)
            if self.balance and len(self.lines) > 1 and "\n" not in self.text:
                self.lines = _balanced(self.text, self.style, len(self.lines), span_width(self.c1, self.c2))
                self.text = "\n".join(self.lines)
        return self

    def height(self, n: int | None = None) -> float:
        n = len(self.lines) if n is None else n
        return quantize(max(self.min_height, n * _line_pt(self.style) + 2 + self.space_after))


def _balanced(text: str, style: str, count: int, width: float) -> list[str]:
    """``text`` in ``count`` lines as even as they come: the narrowest width that still needs ``count`` lines.

    >>> FONTS["_t"] = (14.0, True, False)
    >>> _balanced("TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH", "_t", 2, 420)
    ['TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT', 'HỒ SƠ THỦ TỤC HÀNH CHÍNH']
    """
    size, bold, italic = _font(style)
    lo, hi = 1.0, width
    while hi - lo > 0.5:
        mid = (lo + hi) / 2
        if len(textmetrics.wrap(text, mid, size, bold, italic)) <= count:
            hi = mid
        else:
            lo = mid
    return textmetrics.wrap(text, hi, size, bold, italic)


@dataclass(frozen=True)
class Cell:
    """One cell of a :class:`Row`, merged over columns ``c1``..``c2``."""

    c1: int
    c2: int
    value: object
    style: str


@dataclass
class Row:
    """One grid row; ``height`` None = computed from the cells' texts (``padding`` added)."""

    cells: list[Cell]
    height: float | None = None
    keep_with_next: bool = False
    header: Row | None = None     # a table body row: its header row, repeated after a page break
    padding: float = 4.0

    def measure(self) -> Row:
        if self.height is None:
            need = 0.0
            for c in self.cells:
                if c.value is None or c.value == "":
                    continue
                need = max(need, len(text_lines(c.value, c.style, c.c1, c.c2)) * _line_pt(c.style))
            self.height = need + self.padding
        self.height = quantize(self.height)
        return self


@dataclass(frozen=True)
class PageBreak:
    """The next item starts on a new page (nothing happens at the top of a page)."""


def _min_need(items: list, i: int, depth: int = 0) -> float:
    """The room item ``i`` needs at the foot of a page: a paragraph's first lines (or all of it), a row;
    with what it must be kept with."""
    it = items[i]
    if isinstance(it, Para):
        n = len(it.lines)
        splittable = not it.keep and n >= 2 * _MIN_LINES
        need = it.height(_MIN_LINES) if splittable else it.height()
    elif isinstance(it, Row):
        need = it.height
        nxt = items[i + 1] if i + 1 < len(items) else None
        after = items[i + 2] if i + 2 < len(items) else None
        if it.header is not None and isinstance(nxt, Row) and nxt.header is it.header and not (
                isinstance(after, Row) and after.header is it.header):
            need += nxt.height  # a table's last row never goes alone onto a new page
    else:
        return 0.0
    if getattr(it, "keep_with_next", False) and i + 1 < len(items) and depth < 8 and \
            not isinstance(items[i + 1], PageBreak):
        need += _min_need(items, i + 1, depth + 1)
    return need


def paginate(items: list, page: float = PAGE_BODY_PT) -> tuple[list, list[int]]:
    """Lay ``items`` out on pages of ``page`` points: returns the grid rows (each a :class:`Para` or
    :class:`Row`, measured) and ``breaks``, the 0-based indexes of the rows that start a new page (= the
    1-based number of the last row before each break, when the rows start at grid row 1)."""
    items = [it.measure() if isinstance(it, (Para, Row)) else it for it in items]
    out: list = []
    breaks: list[int] = []
    used = 0.0
    i = 0

    def new_page():
        nonlocal used
        if out and (not breaks or breaks[-1] != len(out)):
            breaks.append(len(out))
        used = 0.0

    while i < len(items):
        it = items[i]
        if isinstance(it, PageBreak):
            if used > 0:
                new_page()
            i += 1
            continue
        if isinstance(it, Row) and it.header is not None and used == 0 and out:
            # a table continues on a new page: its header first
            out.append(it.header)
            used += it.header.height
        need = _min_need(items, i)
        if used > 0 and used + need > page:
            new_page()
            continue
        if isinstance(it, Para) and used + it.height() > page and not it.keep and len(it.lines) >= 2 * _MIN_LINES:
            room = page - used
            fit = 0
            while fit < len(it.lines) and it.height(fit + 1) - it.space_after <= room:
                fit += 1
            fit = min(fit, len(it.lines) - _MIN_LINES)
            if fit >= _MIN_LINES:
                head = replace(it, text=" ".join(it.lines[:fit]), lines=it.lines[:fit], space_after=0.0,
                               keep_with_next=False, min_height=0.0)
                out.append(head)
                items[i] = replace(it, text=" ".join(it.lines[fit:]).lstrip("\u00a0"),
                                   lines=[it.lines[fit].lstrip("\u00a0")] + it.lines[fit + 1:])
                new_page()
                continue
            if used > 0:
                new_page()
                continue
        out.append(it)
        used += it.height() if isinstance(it, Para) else it.height
        i += 1
    return out, breaks


# -- what the report and its annexes both print ---------------------------------------------------------------

def report_number(settings) -> str:
    """``Số: …`` of the report: the number the school gives it (``……`` until then) and its symbol."""
    return f"{settings['so_bao_cao'] or '……'}/{settings['ky_hieu_bao_cao']}"


def signed_date(result):
    """The date of the place-date line (and of the annexes' reference to the report)."""
    return result.signed_on or result.settings["ngay_bao_cao"] or result.as_of


def annex_reference(result) -> str:
    """``(Kèm theo Báo cáo số …/BC-… ngày … của …)`` under each annex title; on two lines (before ``của``) when it
    does not fit on one."""
    s = result.settings
    head = f"(Kèm theo Báo cáo số {report_number(s)} ngày {date_vn(signed_date(result))}"
    tail = f"của {s['ten_truong_ngan']})"
    one = f"{head} {tail}"
    return one if len(text_lines(one, "annex_ref", 1, COLUMNS)) == 1 else f"{head}\n{tail}"


CT2_DEFINITION = ("số nhiệm vụ, lần thực hiện nhiệm vụ định kỳ hoàn thành đúng hạn / số đã đến hạn hoặc đã hoàn "
                  "thành")


def ct2_line(tasks) -> str:
    """The CT2 sentence of section II and of Phụ lục I (``tasks``: :class:`cchc_xl.core.figures.TaskFigures`): the
    same numbers and the same definition as the indicator sheet's ``Cách tính``."""
    return (f"Tỷ lệ nhiệm vụ hoàn thành đúng hạn (chỉ tiêu CT2): {integer(tasks.ct2_numerator)}/"
            f"{integer(tasks.ct2_denominator)} = {percent(tasks.ct2)} ({CT2_DEFINITION}; mỗi nhiệm vụ, mỗi lần "
            "thực hiện tính một lần).")


def signature_rows(left: list, right: list) -> list[Row]:
    """The closing block of a report: ``Nơi nhận`` lines on the left, the signer's titles, space and name on the
    right (``(text, style)`` pairs; a ``None`` text is a blank line), side by side and kept together."""
    rows: list = [Row([], height=10, keep_with_next=True)]
    for i in range(max(len(left), len(right))):
        cells = []
        if i < len(left):
            cells.append(Cell(1, 11, *left[i]))
        if i < len(right) and right[i][0]:
            cells.append(Cell(12, COLUMNS, *right[i]))
        rows.append(Row(cells, height=17.25 if i else 18.0, keep_with_next=True))
    rows[-1].keep_with_next = False
    return rows


def span_tasks(figures) -> str:
    """The span of the task figures (``figures``: :class:`cchc_xl.core.figures.ReportFigures`), said alike in the
    report's text and in its annexes."""
    return f"tính từ đầu năm đến ngày {date_vn(figures.as_of)}"


def span_dossiers(figures) -> str:
    """The span of the period's dossier figures."""
    return f"từ ngày {date_vn(figures.period.start)} đến ngày {date_vn(figures.cut)}"
