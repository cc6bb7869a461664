"""Cells of the roll-up workbook: one typed cell writer, text measured for row heights, the print setup.

Shared by the table sheets (:mod:`.workbook`) and the overview (:mod:`.overview`). Columns are measured as
Excel and LibreOffice draw them with the workbook's default font, Times New Roman 12 (a digit is 8 px): a
column ``w`` characters wide is ``8w + 5`` px; texts are wrapped with the report's font metrics
(:mod:`cchc_xl.report.textmetrics`) to give each row the height its text needs.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

from ..core.text import MAX_CELL_CHARS, cell_length

__all__ = ["CellWriter", "streamed_sheet_class", "col_pt", "text_lines", "row_height", "print_setup", "FONT", "SIZE"]

FONT = "Times New Roman"
SIZE = 11
_PX_PER_CHAR, _PADDING_PX = 8, 5        # a column of w characters (Times New Roman 12 default font)


@functools.lru_cache(maxsize=1)
def streamed_sheet_class():
    """The worksheet class of the big table sheets (XlsxWriter is imported when a workbook is written, not with
    this module)."""
    from xlsxwriter.worksheet import Worksheet

    class StreamedSheet(Worksheet):
        """A worksheet written row by row (XlsxWriter's ``constant_memory``, whatever the workbook's option), which
        may still hold an Excel table: XlsxWriter refuses ``add_table`` in that mode because the table's header
        cells could be written behind the row being written; here they are written at the current row, before
        any row below it (XlsxWriter 3.2's row buffer: see the steps)."""

        def _initialize(self, init_data) -> None:
            super()._initialize({**init_data, "constant_memory": True})

        def _write_single_row(self, current_row_num=0) -> None:
            # What XlsxWriter keeps per row once the row is written is dropped: the sheet's memory stays that of
            # one row (set_row's height and the row sizes are read only when the row itself is written).
            written = self.previous_row
            super()._write_single_row(current_row_num)
            self.set_rows.pop(written, None)
            self.row_sizes.pop(written, None)

        def put_number(self, row: int, col: int, number: float, cell_format=None):
            return self._write_number(row, col, number, cell_format)     # write_number less its argument parsing

        def put_string(self, row: int, col: int, string: str, cell_format=None):
            return self._write_string(row, col, string, cell_format)     # write_string less its argument parsing

        def add_table(self, first_row, first_col, last_row, last_col, options=None):
            columns = (options or {}).get("columns", [])
            headers = [(c["header"], c.get("header_format")) for c in columns]
            self.write_string(first_row, first_col, *headers[0])  # the rows above are written; this one is current
            self.constant_memory = False                           # the table itself (its header cells: SST)
            try:
                result = super().add_table(first_row, first_col, last_row, last_col, options)
            finally:
                self.constant_memory = True
            # add_table remembers every cell of the range to refuse an overlapping table or merge (93 bytes a cell:
            # 50 MB for 10,000 units); this sheet holds one table and no merge below it
            self.table_cells.clear()
            for c, (header, fmt) in enumerate(headers, start=first_col):  # the header cells again, inline strings
                self.write_string(first_row, c, header, fmt)
            return result

    return StreamedSheet


def _missing(v) -> bool:
    """None, NaN or NaT."""
    if v is None:
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False


def _header_text(text: str) -> str:
    """``&`` doubled for a page header or footer (Excel reads ``&x`` as a code)."""
    return text.replace("&", "&&")


class CellWriter:
    def __init__(self, wb, warnings: list[str]):
        self.wb = wb
        self.warnings = warnings
        base = {"font_name": FONT, "font_size": SIZE, "valign": "top"}
        self.fmt = {
            "text": wb.add_format({**base, "text_wrap": True}),
            "count": wb.add_format({**base, "num_format": "#,##0"}),
            "rank": wb.add_format({**base, "num_format": "#,##0", "align": "center"}),
            "number": wb.add_format({**base}),
            "rate": wb.add_format({**base, "num_format": "0.00%"}),
            "date": wb.add_format({**base, "num_format": "dd/mm/yyyy", "align": "center"}),
            "datetime": wb.add_format({**base, "num_format": "dd/mm/yyyy hh:mm", "align": "center"}),
            "bool": wb.add_format({**base, "align": "center"}),
        }
        self.title = wb.add_format({"font_name": FONT, "font_size": 14, "bold": True})
        self.note = wb.add_format({"font_name": FONT, "font_size": 10, "italic": True, "text_wrap": True,
                                   "valign": "top"})
        self.section = wb.add_format({"font_name": FONT, "font_size": 12, "bold": True})
        self.head = wb.add_format({"font_name": FONT, "font_size": SIZE, "bold": True, "text_wrap": True,
                                   "valign": "vcenter", "align": "center"})
        self._skipped = 0

    def cell(self, ws, r: int, c: int, value, kind: str) -> None:
        """One typed cell; a value a cell cannot hold is left blank and reported (first five, then a count)."""
        fmt = self.fmt[kind]
        if _missing(value) or value == "":
            ws.write_blank(r, c, None, fmt)
        elif kind == "bool":
            ws.write_string(r, c, "Có" if value else "Không", fmt)
        elif isinstance(value, (dt.datetime, dt.date)) or kind in ("date", "datetime") and isinstance(value, str):
            try:
                if isinstance(value, str):
                    value = dt.datetime.fromisoformat(value)
            except ValueError:
                ws.write_string(r, c, str(value)[:MAX_CELL_CHARS], self.fmt["text"])
                return
            if not isinstance(value, dt.datetime):
                value = dt.datetime(value.year, value.month, value.day)
            ws.write_datetime(r, c, value.to_pydatetime() if hasattr(value, "to_pydatetime") else value, fmt)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                self._skip(ws, r, c, f"số không hữu hạn ({value})")
                ws.write_blank(r, c, None, fmt)
            else:
                ws.write_number(r, c, float(value), fmt if kind in ("count", "rank", "rate", "number")
                                else self.fmt["number"])
        elif hasattr(value, "item"):  # numpy scalar
            self.cell(ws, r, c, value.item(), kind)
        else:
            text = str(value)
            if cell_length(text) > MAX_CELL_CHARS:
                self._skip(ws, r, c, f"nội dung dài {cell_length(text):,} ký tự".replace(",", "."))
                ws.write_blank(r, c, None, self.fmt["text"])
            else:
                ws.write_string(r, c, text, self.fmt["text"])

    def column_writer(self, kind: str, ws):
        """``write(r, c, value)`` into ``ws`` for a column of ``kind``: the common values written at once, any other
        through :meth:`cell` (a table of thousands of rows spends its time here). On a streamed sheet the cell goes
        to XlsxWriter's own row writer, without the argument parsing of its public method (the cell, row and
        column checks stay)."""
        fmt, cell = self.fmt[kind], self.cell
        put_number = getattr(ws, "put_number", None) or ws.write_number
        put_string = getattr(ws, "put_string", None) or ws.write_string
        if kind in ("count", "rank", "rate", "number"):
            def write(r, c, v):
                if isinstance(v, float) and v - v == 0:       # finite (not None, NaN or infinite)
                    put_number(r, c, v, fmt)
                else:
                    cell(ws, r, c, v, kind)
        elif kind == "text":
            def write(r, c, v):
                if v.__class__ is str and v and len(v) <= MAX_CELL_CHARS // 2:   # fits a cell whatever its letters
                    put_string(r, c, v, fmt)
                else:
                    cell(ws, r, c, v, kind)
        else:
            def write(r, c, v):
                cell(ws, r, c, v, kind)
        return write

    def _skip(self, ws, r: int, c: int, why: str) -> None:
        from xlsxwriter.utility import xl_rowcol_to_cell

        self._skipped += 1
        if self._skipped <= 5:
            self.warnings.append(f"trang '{ws.name}', ô {xl_rowcol_to_cell(r, c)}: bỏ trống vì giá trị lưu trong cơ sở "
                                 f"dữ liệu không ghi được vào ô ({why})")

    def finish(self) -> None:
        if self._skipped > 5:
            self.warnings.append(f"… và {self._skipped - 5} ô khác bỏ trống vì lý do tương tự")


def col_pt(width: float) -> float:
    """The room for text in a column of ``width`` characters, in points (less the cell's padding)."""
    return (width * _PX_PER_CHAR + _PADDING_PX) * 0.75 - 3.75


def text_lines(text: str, width_pt: float, size: float, bold: bool = False, cache: dict | None = None) -> int:
    """How many lines ``text`` takes in a column ``width_pt`` wide (no glyph is wider than 1 em: a short text is one
    line without being measured)."""
    from ..report import textmetrics

    if len(text) * size <= width_pt and "\n" not in text:
        return 1
    key = (text, width_pt)
    if cache is not None and key in cache:
        return cache[key]
    n = len(textmetrics.wrap(text, width_pt, size, bold))
    if cache is not None and len(cache) < 100_000:
        cache[key] = n
    return n


def row_height(lines: int, size: float, padding: float = 3.0) -> float:
    from ..report import textmetrics
    from ..report.flow import quantize

    return quantize(lines * textmetrics.line_height(size) + padding)


def print_setup(ws, repeat_row: int | None, header: str) -> None:
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.set_header(f'&L&"{FONT},Italic"&9{_header_text(header)}', {"margin": 0.3})
    ws.set_footer(f'&C&"{FONT},Regular"&9Trang &P', {"margin": 0.3})
    ws.set_start_page(1)    # each sheet numbers its own pages, also when the whole workbook is printed


