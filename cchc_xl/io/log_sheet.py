"""The ``Nhật ký`` sheet of a workbook file: its rows read, rows appended (the file side of the Book seam's
``read_log``/``append_log``; the xlwings side is :class:`cchc_xl.excel.xw_book.XwBook`).

Columns are found by their header text (:data:`cchc_xl.schema.LOG_HEADERS`), so added columns do not
matter. When the headers sit in an Excel table the table's ``ref`` is extended; otherwise rows are appended
below the last used row. ``Thời gian`` is written as a real date-time; every value is written as a plain
value, so a text beginning with ``=`` stays text.
"""

from __future__ import annotations

import datetime as dt

from ..errors import WorkbookError
from ..schema import LOG_HEADERS, SHEET_LOG
from .ooxml import col_letter, parse_ref

__all__ = ["read_log_rows", "append_log_rows"]


def _layout(pkg):
    """(header row, {header: col}, last row, table info or None) of the log sheet of package ``pkg``."""
    if SHEET_LOG not in pkg.sheet_names():
        raise WorkbookError(f"Sổ tính thiếu trang tính '{SHEET_LOG}' để ghi nhật ký.")
    data = pkg.read_sheet(SHEET_LOG)
    table = next((t for t in pkg.tables() if t.sheet == SHEET_LOG), None)
    if table is not None:
        r1, c1, r2, c2 = parse_ref(table.ref)
        cols = {str(h).strip(): c1 + i for i, h in enumerate(table.headers)}
        last = r2
        # a table with one empty data row (fresh workbook) counts as empty
        if r2 == r1 + 1 and all(data.cells.get((r2, c)) is None or data.cells[(r2, c)].value in (None, "")
                                for c in range(c1, c2 + 1)):
            last = r1
        return r1, cols, last, table
    header_row = None
    for (r, _c), cell in sorted(data.cells.items()):
        if isinstance(cell.value, str) and cell.value.strip() == LOG_HEADERS[0]:
            header_row = r
            break
    if header_row is None:
        raise WorkbookError(f"Trang tính '{SHEET_LOG}' thiếu dòng tiêu đề ('{LOG_HEADERS[0]}', …).")
    cols = {str(cell.value).strip(): c for (r, c), cell in data.cells.items()
            if r == header_row and isinstance(cell.value, str)}
    used = [r for (r, c), cell in data.cells.items() if cell.value not in (None, "")]
    return header_row, cols, max(used + [header_row]), None


def read_log_rows(pkg) -> list[dict]:
    """Every data row of ``Nhật ký`` as ``{header: value}``."""
    header_row, cols, last, _ = _layout(pkg)
    cells = pkg.read_sheet(SHEET_LOG).cells
    out = []
    for r in range(header_row + 1, last + 1):
        row = {h: (cells[(r, c)].value if (r, c) in cells else None) for h, c in cols.items()}
        if any(v not in (None, "") for v in row.values()):
            out.append(row)
    return out


def append_log_rows(pkg, rows: list[dict]) -> None:
    """Append ``rows`` (dicts keyed by ``LOG_HEADERS``) to ``Nhật ký`` in ``pkg`` (not saved)."""
    if not rows:
        return
    header_row, cols, last, table = _layout(pkg)
    missing = [h for h in LOG_HEADERS if h not in cols]
    if missing:
        raise WorkbookError(f"Trang tính '{SHEET_LOG}' thiếu cột: {', '.join(missing)}.")
    cells = {}
    for i, row in enumerate(rows):
        r = last + 1 + i
        for h, v in row.items():
            if h in cols:
                if isinstance(v, dt.datetime):
                    v = v.replace(microsecond=0, tzinfo=None)
                cells[(r, cols[h])] = "" if v is None else v
    pkg.set_cells(SHEET_LOG, cells)
    if table is not None:
        r1, c1, _, c2 = parse_ref(table.ref)
        pkg.set_table_ref(table.name, f"{col_letter(c1)}{r1}:{col_letter(c2)}{last + len(rows)}")
