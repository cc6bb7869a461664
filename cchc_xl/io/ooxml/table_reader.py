"""Read an Excel table (``tblHoSo`` …) as :class:`~cchc_xl.io.tables.TableData`, through python-calamine.

python-calamine reads the values (typed: text, numbers as ``float``, dates as ``datetime``, booleans;
an empty cell is None); this module adds only what calamine does not give and the rules need, found in the sheet's XML
text without building anything per cell (:class:`.sheet_text.SheetText`): which cells hold a formula (its
text, shared formulas translated) or an error value (calamine reads an error as an empty cell), and which
lie in a merged range. Headers are the table's column names.

Work is bounded by the cells that exist, never by the range a file declares: rows past the last row of the
sheet are not laid out, a table that would still span more than ``MAX_BLANK_CELLS`` empty positions, or
whose range does not match its columns, is refused with a Vietnamese reason, and calamine is only given a
sheet whose block of cells it can lay out (a lone cell at ``XFD1048576`` would make it allocate 17 billion
cells); otherwise the sheet is read by this package's own reader, cell by cell.
"""

from __future__ import annotations

import datetime as dt
import io

from ...core.text import clean_text
from ...errors import WorkbookError
from ..tables import Cell, TableData
from .limits import MAX_BLANK_CELLS
from .refs import cell_ref, parse_ref
from .sheet_text import attr_value
from .workbook import TableInfo

__all__ = ["read_table", "calamine_book"]


def calamine_book(data: bytes):
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)


def _refuse(pkg, info: TableInfo, why: str) -> WorkbookError:
    return WorkbookError(f"Tệp '{pkg.filename}': bảng '{info.name}' ở trang '{info.sheet}' {why}; tệp có thể bị hỏng "
                         f"hoặc bị sửa bằng công cụ khác Excel nên không được đọc.")


def _calamine_values(pkg, info: TableInfo, first: int, last: int, declared_last: int, c1: int, width: int):
    """Rows ``first..last`` × the table's columns as calamine reads them, or None when calamine cannot."""
    try:
        book = pkg.calamine()
        names = {n.casefold(): n for n in (book.table_names or [])}
        name = names.get(info.name.casefold()) or names.get(info.display_name.casefold())
        if name is not None and last == declared_last:
            table = book.get_table_by_name(name)
            rows = table.to_python()
            if table.start == (first - 1, c1 - 1) and len(rows) == last - first + 1 and \
                    all(len(r) == width for r in rows[:1]):
                return rows
        rows = book.get_sheet_by_name(info.sheet).to_python(skip_empty_area=False)
        return [(r[c1 - 1:c1 - 1 + width] + [""] * width)[:width] for r in rows[first - 1:last]] + \
            [[""] * width for _ in range(max(0, last - max(first - 1, len(rows))))]
    except BaseException as exc:  # calamine's errors, and pyo3's PanicException (BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        return None


def _own_values(pkg, info: TableInfo, first: int, last: int, c1: int, width: int):
    sd = pkg.read_sheet(info.sheet)
    get = sd.cells.get
    out = []
    for r in range(first, last + 1):
        row = []
        for c in range(c1, c1 + width):
            cell = get((r, c))
            row.append(None if cell is None or cell.error else cell.value)
        out.append(row)
    return out


def read_table(pkg, info: TableInfo) -> TableData:
    """The data rows of table ``info`` of package ``pkg`` (a :class:`.package.Package`)."""
    try:
        r1, c1, r2, c2 = parse_ref(info.ref)
    except ValueError:
        raise _refuse(pkg, info, f"có vùng '{info.ref}' không hợp lệ") from None
    width = c2 - c1 + 1
    if width != len(info.headers):
        raise _refuse(pkg, info, f"có vùng {info.ref} rộng {width} cột nhưng khai báo {len(info.headers)} cột")
    first = r1 + max(info.header_row_count, 0)
    declared_last = r2 - max(info.totals_row_count, 0)

    def box(st):
        span = st.row_span()
        n = max(min(declared_last, span[1] if span else 0) - first + 1, 0)
        # the cells are counted only when a block is big enough to need it (one pass over the text)
        if n * width > MAX_BLANK_CELLS and n * width > st.cell_count() + MAX_BLANK_CELLS:
            raise _refuse(pkg, info, f"khai báo vùng {info.ref} ({n * width:,} ô) lớn bất thường so với "
                                     f"{st.cell_count():,} ô thực có".replace(",", "."))
        area = st.dense_area() if n else 0
        return n, n > 0 and (area <= MAX_BLANK_CELLS or area <= st.cell_count() + MAX_BLANK_CELLS)

    n, calamine_ok = pkg.on_sheet_text(info.sheet, box)
    last = first + n - 1
    values = _calamine_values(pkg, info, first, last, declared_last, c1, width) if calamine_ok else None
    if values is None:
        values = _own_values(pkg, info, first, last, c1, width) if n else []
    else:
        date, datetime = dt.date, dt.datetime        # calamine gives a date for midnight: always a datetime
        values = [[None if v == "" else datetime(v.year, v.month, v.day) if v.__class__ is date else v
                   for v in row] for row in values]
    marks = pkg.on_sheet_text(info.sheet, lambda st: _marks(st, first, last, c1, c1 + width - 1, values))
    return TableData(sheet=info.sheet, table=info.name, headers=[clean_text(h, single_line=True) for h in info.headers],
                     first_row=first, values=values, marks=marks)


def _marks(st, r1: int, r2: int, c1: int, c2: int, values: list) -> dict[tuple[int, int], Cell]:
    """The cells of the box that hold a formula or an error, or lie in a merged range."""
    marks: dict[tuple[int, int], Cell] = {}
    if r2 < r1:
        return marks

    def mark(r: int, c: int) -> Cell:
        key = (r - r1, c - c1)
        cell = marks.get(key)
        if cell is None:
            cell = marks[key] = Cell(values[key[0]][key[1]])
        return cell

    formulas = st.formula_cells()
    if formulas:
        shared: dict[str, tuple[str, int, int]] = {}
        for (r, c), (attrs, text) in formulas.items():
            if b'shared' in attrs and text:
                si = attr_value(attrs, b"si")
                shared[si] = (text, r, c)
        for (r, c), (attrs, text) in formulas.items():
            if r1 <= r <= r2 and c1 <= c <= c2:
                if not text and b"shared" in attrs:
                    text = _translate(shared.get(attr_value(attrs, b"si")), r, c)
                mark(r, c).formula = "=" + text if text else "="
    for (r, c), error in st.error_cells().items():
        if r1 <= r <= r2 and c1 <= c <= c2:
            cell = mark(r, c)
            cell.value, cell.error = None, error
            values[r - r1][c - c1] = None
    for mr1, mc1, mr2, mc2 in st.merges():
        for r in range(max(mr1, r1), min(mr2, r2) + 1):
            for c in range(max(mc1, c1), min(mc2, c2) + 1):
                mark(r, c).merged = True
    return marks


def _translate(master, r: int, c: int) -> str:
    if master is None:
        return ""
    text, mr, mc = master
    try:
        from openpyxl.formula.translate import Translator
        return Translator("=" + text, origin=cell_ref(mr, mc)).translate_formula(cell_ref(r, c))[1:]
    except Exception:  # noqa: BLE001 - an odd formula keeps the master's text: still "a formula"
        return text
