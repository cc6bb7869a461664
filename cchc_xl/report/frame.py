"""The frame of the report sheets, written with XlsxWriter: page setup, column grid, print area, page
numbers and the chart — the parts that do not change at a refresh (the engine writes the cells, row
heights and page breaks, :mod:`cchc_xl.report.layout`).

* :func:`write_report_frame` — the school's report (``Báo cáo`` of the workbook and of the exchange file):
  A4 portrait at 100%, margins of Nghị định 30/2020 (top and bottom 20 mm, left 30 mm, right 15 mm), the
  24-column layout grid of :mod:`cchc_xl.report.flow`, print area A:X, the page number at the top centre
  from page 2 (:class:`ReportWorksheet` writes ``differentFirst``, which XlsxWriter does not), the chart of
  task progress by area beside the report — on screen, outside the print area — and its hidden data.
* :func:`report_page_setup` — the Sở's eight-column summary page (:mod:`cchc_xl.rollup`), fitted to the
  page width.

A workbook holding a report sheet uses :data:`DEFAULT_FONT` (Times New Roman 12) as its default font:
Excel and LibreOffice size columns by the width of a digit of that font, which is a whole 8 px for
Times New Roman 12 (Liberation Serif on Linux), so both give the grid the same width.
"""

from __future__ import annotations

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..schema import AREAS, SHEET_REPORT
from .flow import COLUMN_UNITS, COLUMNS
from .layout import CHART_DATA
from .page import HEADER, HEADER_MM, MARGINS_MM, PAPER_A4
from .record import RECORD_CELL

__all__ = ["ReportWorksheet", "REPORT_LAYOUT", "SUMMARY_LAYOUT", "DEFAULT_FONT", "write_report_frame", "nd30_page",
           "report_page_setup"]

DEFAULT_FONT = {"font_name": "Times New Roman", "font_size": 12}
_MM = 1 / 25.4

REPORT_LAYOUT: dict[str, object] = {
    "sheet": SHEET_REPORT,
    "columns": f"A:{xl_col_to_name(COLUMNS - 1)}",  # the printed layout grid
    "column_count": COLUMNS,
    "column_units": COLUMN_UNITS,
    "paper": PAPER_A4,  # the page's values: report.page (a refresh restores them, report.repair)
    "portrait": True,
    "margins_mm": dict(MARGINS_MM),
    "header_mm": HEADER_MM,
    "header": HEADER,  # page number, top centre, from page 2
    "chart_title": "Tiến độ nhiệm vụ theo lĩnh vực",
    "chart_anchor": "Z2",  # beside the report, outside the print area: on screen, not printed
    "chart_size_px": (620, 320),
    # chart data block (hidden columns), written by the engine at every refresh
    "chart_data_header_row": CHART_DATA["first_row"],
    "chart_data_first_row": CHART_DATA["first_row"] + 1,
    "chart_data_last_row": CHART_DATA["first_row"] + len(AREAS),
    "chart_category_col": xl_col_to_name(CHART_DATA["cat_col"] - 1),
    "chart_series_cols": (xl_col_to_name(CHART_DATA["done_col"] - 1), xl_col_to_name(CHART_DATA["open_col"] - 1)),
    "chart_headers": ("Lĩnh vực", "Hoàn thành", "Chưa hoàn thành"),
    "chart_categories": tuple(
        f"{n}. {label}" for n, label in enumerate(
            ("Chỉ đạo, điều hành", "Thể chế", "Thủ tục hành chính", "Tổ chức bộ máy", "Chế độ công vụ",
             "Tài chính công", "Chính quyền số"), start=1)),
}
assert len(REPORT_LAYOUT["chart_categories"]) == len(AREAS)

# The Sở's summary page (cchc_xl.rollup.summary_page): eight columns, fitted to the page width.
SUMMARY_LAYOUT: dict[str, object] = {
    "col_widths": (5, 32, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5),
    "paper": 9,
    "margins_in": {"left": 1.0, "right": 0.6, "top": 0.6, "bottom": 0.6},
}


class ReportWorksheet(Worksheet):
    """An XlsxWriter worksheet whose header is left off the first page (``differentFirst``): NĐ 30/2020 numbers
    the pages of a document from page 2."""

    def _write_header_footer(self) -> None:  # XlsxWriter 3.2: Worksheet._write_header_footer
        attributes = [("differentFirst", 1)]
        if not self.header_footer_scales:
            attributes.append(("scaleWithDoc", 0))
        if not self.header_footer_aligns:
            attributes.append(("alignWithMargins", 0))
        if not (self.header or self.footer):
            return
        self._xml_start_tag("headerFooter", attributes)
        if self.header:
            self._write_odd_header()
        if self.footer:
            self._write_odd_footer()
        self._xml_end_tag("headerFooter")


def report_page_setup(ws) -> None:
    """Column widths A:H and the A4 portrait page of the Sở's summary page, fitted to the page width."""
    lay = SUMMARY_LAYOUT
    for c, width in enumerate(lay["col_widths"]):
        ws.set_column(c, c, width)
    ws.set_paper(lay["paper"])
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(**lay["margins_in"])
    ws.hide_gridlines(2)


def nd30_page(ws) -> None:
    """The NĐ 30 page of a flowed report sheet (the school's report, the Sở's summary page): the 24-column grid,
    A4 portrait at 100%, the margins, the page-number header, no gridlines."""
    lay = REPORT_LAYOUT
    ws.set_column(0, COLUMNS - 1, lay["column_units"])
    ws.set_paper(lay["paper"])
    ws.set_portrait()
    ws.set_print_scale(100)
    m = lay["margins_mm"]
    ws.set_margins(left=m["left"] * _MM, right=m["right"] * _MM, top=m["top"] * _MM, bottom=m["bottom"] * _MM)
    ws.set_header(lay["header"], {"margin": lay["header_mm"] * _MM})
    ws.hide_gridlines(2)


def write_report_frame(wb, ws) -> None:
    """The school's report sheet frame in XlsxWriter ``ws`` (a :class:`ReportWorksheet`, made with
    ``wb.add_worksheet(name, worksheet_class=ReportWorksheet)`` in a workbook whose default font is
    :data:`DEFAULT_FONT`): grid, A4 page, print area, page numbers, chart data headers and the chart."""
    lay = REPORT_LAYOUT
    nd30_page(ws)
    ws.print_area(0, 0, 1_048_575, COLUMNS - 1)

    cat = CHART_DATA["cat_col"] - 1
    first, last = lay["chart_data_first_row"] - 1, lay["chart_data_last_row"] - 1
    for i, header in enumerate(lay["chart_headers"]):
        ws.write_string(0, cat + i, header)
    for r, label in enumerate(lay["chart_categories"], start=first):
        ws.write_string(r, cat, label)
    ws.set_column(cat, cat + len(lay["chart_headers"]) - 1, 14, None, {"hidden": True})
    record = RECORD_CELL[1] - 1  # the report's record and its label (cchc_xl.report.record), hidden too
    ws.set_column(record, record, 60, None, {"hidden": True})

    sheet_ref = f"'{lay['sheet']}'"
    chart = wb.add_chart({"type": "bar"})
    font = {"name": "Times New Roman"}
    colors = ("#2E7D32", "#F9A825")
    cat_col = lay["chart_category_col"]
    for i, col in enumerate(lay["chart_series_cols"]):
        chart.add_series({
            "name": f"={sheet_ref}!{xl_rowcol_to_cell(0, cat + 1 + i, True, True)}",
            "categories": f"={sheet_ref}!${cat_col}${first + 1}:${cat_col}${last + 1}",
            "values": f"={sheet_ref}!${col}${first + 1}:${col}${last + 1}",
            "fill": {"color": colors[i]},
            "gap": 60,
        })
    chart.set_title({"name": lay["chart_title"], "name_font": {**font, "size": 12, "bold": True}})
    chart.set_x_axis({"num_format": "0", "num_font": {**font, "size": 9},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_y_axis({"reverse": True, "num_font": {**font, "size": 9}})
    chart.set_legend({"position": "bottom", "font": {**font, "size": 9}})
    chart.show_hidden_data()
    chart.set_size({"width": lay["chart_size_px"][0], "height": lay["chart_size_px"][1]})
    ws.insert_chart(lay["chart_anchor"], chart, {"object_position": 3})
