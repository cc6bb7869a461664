"""Read the ``Báo cáo`` sheet back as a person reads it: one entry per printed cell (a merged range counts once).

The report is laid out on a grid of narrow columns (cchc_xl.report.flow): a table column or a paragraph is a
range of merged cells. :func:`logical_rows` gives, per sheet row, the value of each merged range (its top-left
cell) and of each cell outside any merge that holds a value, in column order — so a table row reads
``[TT, Lĩnh vực, Tổng số, …]`` whatever the widths. Read with openpyxl, independently of the project's reader.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from cchc_xl import schema

__all__ = ["logical_rows", "report_texts"]


def logical_rows(path: Path, sheet: str = schema.SHEET_REPORT, max_col: int = 24) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    anchors: dict[tuple[int, int], int] = {}
    covered: set[tuple[int, int]] = set()
    for rng in ws.merged_cells.ranges:
        anchors[(rng.min_row, rng.min_col)] = rng.max_col
        covered.update((r, c) for r in range(rng.min_row, rng.max_row + 1)
                       for c in range(rng.min_col, rng.max_col + 1) if (r, c) != (rng.min_row, rng.min_col))
    rows = []
    for r in range(1, ws.max_row + 1):
        row = []
        for c in range(1, max_col + 1):
            if (r, c) in covered:
                continue
            value = ws.cell(r, c).value
            if (r, c) in anchors or value is not None:
                row.append(value)
        rows.append(row)
    return rows


def report_texts(path: Path) -> list[str]:
    """Every text of the printed report (columns A:X), one per printed cell, no-break spaces as spaces."""
    return [str(v).replace("\u00a0", " ").strip() for row in logical_rows(path) for v in row if isinstance(v, str)]
