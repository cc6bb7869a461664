"""The report sheet's page and chart, as plain values: what the build writes (:mod:`.frame`, with XlsxWriter) and
what a refresh puts back when another program's save dropped it (:mod:`.repair`) — one definition for both.

A4 portrait at 100%, the margins of Nghị định 30/2020 (top and bottom 20 mm, left 30 mm, right 15 mm), the page
number at the top centre from page 2, the print area ``A:X`` (the layout grid), the chart's two series over the
hidden data block ``AK1:AM8``.

>>> PRINT_AREA
"'Báo cáo'!$A:$X"
>>> SERIES[0]
("'Báo cáo'!$AL$1", "'Báo cáo'!$AK$2:$AK$8", "'Báo cáo'!$AL$2:$AL$8")
"""

from __future__ import annotations

from ..io.ooxml import col_letter
from ..schema import AREAS, SHEET_REPORT
from .flow import COLUMNS
from .layout import CHART_DATA

__all__ = ["PAPER_A4", "MARGINS_MM", "HEADER_MM", "FOOTER_IN", "HEADER", "PRINT_AREA", "SERIES", "MM"]

PAPER_A4 = 9
MARGINS_MM = {"left": 30, "right": 15, "top": 20, "bottom": 20}
HEADER_MM = 10
FOOTER_IN = 0.3                                     # XlsxWriter's default; no footer is printed
HEADER = '&C&"Times New Roman,Regular"&13&P'        # page number, top centre, from page 2 (differentFirst)
MM = 1 / 25.4

_SHEET = f"'{SHEET_REPORT}'"
PRINT_AREA = f"{_SHEET}!$A:${col_letter(COLUMNS)}"
_FIRST, _LAST = CHART_DATA["first_row"] + 1, CHART_DATA["first_row"] + len(AREAS)
_CAT = col_letter(CHART_DATA["cat_col"])
# (name cell, categories, values) of each series: tasks done, tasks not done, per area
SERIES = tuple(
    (f"{_SHEET}!${col}${CHART_DATA['first_row']}", f"{_SHEET}!${_CAT}${_FIRST}:${_CAT}${_LAST}",
     f"{_SHEET}!${col}${_FIRST}:${col}${_LAST}")
    for col in (col_letter(CHART_DATA["done_col"]), col_letter(CHART_DATA["open_col"])))
