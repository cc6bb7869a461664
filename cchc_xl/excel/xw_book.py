"""XwBook: the Book seam (docs/ARCHITECTURE.md) over an xlwings Book — Excel on Windows/Mac or xlwings'
remote engine (``xw.Book(json=payload)``).

Cost model: every xlwings object access that reaches Excel is counted in :attr:`XwBook.calls`
(``reads``/``writes`` separately). A table is read with ONE value read of the table's whole range
(header + data), a computed column is written with ONE 2-D column assignment, the report with one clear +
one block write (+ a bounded number of merges/formats that depend on the report layout, never on the
number of data rows). So the count does not grow with rows.

Remote engine notes (xlwings 0.33.22, ``xlwings/pro/_xlremote.py``): ``sheet.tables[name]`` works (from
the payload's ``tables`` list: ``range_address``, ``header_row_range_address``, ``data_body_range_address``,
``total_row_range_address``, ``show_totals``…), as do ``range.value`` reads/writes, ``clear_contents``,
``font.bold``, ``number_format``, ``table.resize`` and ``app.alert``. Not supported there: ``formula``,
``merge``/``unmerge``/``merge_cells``, ``column_width``, ``app.status_bar`` — each is tried once and then
skipped (recorded in :attr:`XwBook.unsupported`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..report.styles import STYLES
from ..core.text import MAX_CELL_CHARS, cell_limit_problem, clean_text
from ..errors import CellTextTooLongError, DataError, WorkbookError
from ..io.ooxml import col_letter
from ..io.tables import Cell, TableData
from ..schema import LOG_HEADERS, SHEET_LOG, SHEET_REPORT

if TYPE_CHECKING:
    from ..report.layout import ReportGrid

__all__ = ["XwBook", "ERROR_VALUES", "excel_text"]

ERROR_VALUES = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!",
                          "#UNKNOWN!"})


def _a1_to_rc(ref: str) -> tuple[int, int, int, int]:
    """``'$A$1:$C$9'`` → (row1, col1, row2, col2), 1-based."""
    parts = ref.replace("$", "").split("!")[-1].split(":")

    def one(p: str) -> tuple[int, int]:
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", p)
        if not m:
            raise ValueError(f"bad cell reference {p!r}")
        col = 0
        for ch in m.group(1).upper():
            col = col * 26 + ord(ch) - 64
        return int(m.group(2)), col

    r1, c1 = one(parts[0])
    r2, c2 = one(parts[-1])
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


class _Geometry:
    __slots__ = ("header_row", "first_col", "headers", "n_rows")

    def __init__(self, header_row: int, first_col: int, headers: list[str], n_rows: int):
        self.header_row, self.first_col, self.headers, self.n_rows = header_row, first_col, headers, n_rows


def _check_text(value: Any, sheet: str, row: int, column: str) -> None:
    """Refuse a text longer than a cell holds, naming where it was going (as the file engine does)."""
    if value.__class__ is str and len(value) > MAX_CELL_CHARS // 2:
        problem = cell_limit_problem(value)
        if problem:
            raise CellTextTooLongError(problem + "; chưa ghi gì vào sổ", sheet=sheet, row=row, column=column)


class XwBook:
    """The Book seam over ``xlwings.Book``.

    Args:
        book: an ``xlwings.Book`` (``xw.Book.caller()`` in Excel, ``xw.Book(json=...)`` remotely).
        autosave: :meth:`save` calls ``book.save()`` (Excel); default False — the user saves in Excel.
        read_formulas: also read each table's formulas (a second read per table, Excel only) so that a
            formula typed into an input column is reported like the file engine does; default False keeps
            the contract of ONE read per table (the displayed values are used either way).
    """

    def __init__(self, book: Any, *, autosave: bool = False, read_formulas: bool = False):
        self.book = book
        self.autosave = autosave
        self.read_formulas = read_formulas
        self.calls = 0
        self.reads = 0
        self.writes = 0
        self.unsupported: set[str] = set()
        self._sheets: dict[str, Any] = {}
        self._geom: dict[tuple[str, str], _Geometry] = {}
        self._tables: dict[tuple[str, str], TableData] = {}
        try:
            self._remote = getattr(book.app.engine, "type", None) == "remote"
        except Exception:  # noqa: BLE001 - a stand-in book in tests
            self._remote = False

    # -- accounting ---------------------------------------------------------------------------------------
    def _call(self, fn: Callable[[], Any], kind: str = "other") -> Any:
        self.calls += 1
        if kind == "read":
            self.reads += 1
        elif kind == "write":
            self.writes += 1
        return fn()

    def _optional(self, feature: str, fn: Callable[[], Any], kind: str = "other") -> Any:
        """Run an xlwings call the remote engine may not implement; remember and skip it afterwards."""
        if feature in self.unsupported:
            return None
        try:
            result = fn()
        except (NotImplementedError, AttributeError):
            self.unsupported.add(feature)
            return None
        return self._call(lambda: result, kind)  # counted once it went through

    def _sheet(self, name: str, required: bool = True):
        sht = self._sheets.get(name)
        if sht is None:
            try:
                sht = self._call(lambda: self.book.sheets[name])
            except Exception:  # noqa: BLE001 - xlwings raises different types per engine
                if not required:
                    return None
                raise WorkbookError(f"Sổ không có trang tính '{name}' (đã bị đổi tên hoặc xóa?).") from None
            self._sheets[name] = sht
        return sht

    def _table(self, sheet: str, table: str, required: bool = True):
        sht = self._sheet(sheet, required)
        if sht is None:
            return None
        try:
            return self._call(lambda: sht.tables[table])
        except Exception:  # noqa: BLE001
            if not required:
                return None
            raise WorkbookError(f"Trang tính '{sheet}' không có bảng '{table}' (đã bị đổi tên hoặc xóa?).") from None

    # -- progress -----------------------------------------------------------------------------------------
    def progress(self, fraction: float, message: str) -> None:
        """``progress(fraction, message)`` for the engine: Excel's status bar where the engine supports it."""
        text = f"CCHC: {message} ({round(100 * max(0.0, min(1.0, fraction)))}%)"
        self._optional("status_bar", lambda: setattr(self.book.app, "status_bar", text))

    def clear_progress(self) -> None:
        self._optional("status_bar", lambda: setattr(self.book.app, "status_bar", False))

    # -- Book seam ------------------------------------------------------------------------------------------
    def read_table(self, sheet: str, table: str) -> TableData | None:
        """ONE value read of the table's range (header row + data body; a totals row is dropped).

        None when the sheet or table does not exist (the engine reports it as a problem). A table read
        before is served from this adapter's cache, which :meth:`write_column` keeps up to date — the
        remote engine never sees its own writes, and in Excel nothing else writes during one action.
        """
        cached = self._tables.get((sheet, table))
        if cached is not None:
            return cached
        tbl = self._table(sheet, table, required=False)
        if tbl is None:
            return None
        rng = self._call(lambda: tbl.range)
        if rng is None:
            return None
        address = self._call(lambda: rng.address)
        r1, c1, r2, c2 = _a1_to_rc(address)
        if self._remote:  # JSON values: decode dates ourselves (xlwings' cleaning costs ~10x more)
            values = _from_remote(self._call(lambda: rng.raw_value, "read"))
        else:
            values = self._call(lambda: rng.options(ndim=2, err_to_str=True).value, "read")
        totals = bool(self._optional("show_totals", lambda: tbl.show_totals))
        formulas = self._optional("formula", lambda: rng.formula, "read") if self.read_formulas else None
        merged = self._optional("merge_cells", lambda: rng.merge_cells)
        if merged is None and "merge_cells" not in self.unsupported or merged is True:
            raise DataError(f"bảng '{table}' có ô bị gộp (merge); hãy bỏ gộp ô trong bảng dữ liệu", sheet=sheet)
        values = [list(row) for row in (values or [])]
        header_vals = values[0] if values else []
        headers = ["" if h is None else clean_text(str(h), single_line=True) for h in header_vals]
        body = values[1:]
        if totals and body:
            body = body[:-1]
        errors = ERROR_VALUES
        if formulas is None:
            rows = [[Cell(None, None, v) if v.__class__ is str and v in errors else Cell(v) for v in row]
                    for row in body]
        else:
            rows = []
            for i, row in enumerate(body):
                frow = formulas[i + 1] if i + 1 < len(formulas) else ()
                cells = []
                for j, v in enumerate(row):
                    fv = frow[j] if j < len(frow) else None
                    f = fv if isinstance(fv, str) and fv.startswith("=") else None
                    cells.append(Cell(None, f, v) if isinstance(v, str) and v in errors else Cell(v, f))
                rows.append(cells)
        self._geom[(sheet, table)] = _Geometry(r1, c1, headers, len(rows))
        td = TableData(sheet=sheet, table=table, headers=headers, first_row=r1 + 1, rows=rows)
        self._tables[(sheet, table)] = td
        return td

    def _geometry(self, sheet: str, table: str) -> _Geometry:
        g = self._geom.get((sheet, table))
        if g is None:
            if self.read_table(sheet, table) is None:
                raise WorkbookError(f"Không tìm thấy bảng '{table}' trong trang tính '{sheet}'.")
            g = self._geom[(sheet, table)]
        return g

    def write_column(self, sheet: str, table: str, header: str, values: list) -> None:
        """ONE 2-D column write of ``values`` under ``header``, from the first data row down.

        The table is resized (one call) when ``values`` has more rows than the table body.
        """
        g = self._geometry(sheet, table)
        try:
            j = g.headers.index(header)
        except ValueError:
            raise WorkbookError(f"Trang tính '{sheet}': bảng '{table}' thiếu cột '{header}'.") from None
        values = list(values)
        n = len(values)
        if n == 0:
            return
        first = g.header_row + 1
        for i, v in enumerate(values):                     # refused before Excel is asked anything
            _check_text(v, sheet, first + i, header)
        sht = self._sheet(sheet)
        col = g.first_col + j
        if n > g.n_rows:
            tbl = self._table(sheet, table)
            last_col = g.first_col + len(g.headers) - 1
            new = self._call(lambda: sht.range(_a1_range(g.header_row, g.first_col, first + n - 1, last_col)))
            self._call(lambda: tbl.resize(new))
            g.n_rows = n
        prep = self._prepare
        data = [[prep(excel_text(v))] for v in values]     # a text stays a text, as in the file engine
        target = self._call(lambda: sht.range(_a1_range(first, col, first + n - 1, col)))
        self._call(lambda: setattr(target, "raw_value", data), "write")
        td = self._tables.get((sheet, table))
        if td is not None:
            width = len(g.headers)
            while len(td.rows) < n:
                td.rows.append([Cell() for _ in range(width)])
            for i, v in enumerate(values):
                td.rows[i][j] = Cell(value=v)

    def write_report(self, grid: ReportGrid) -> None:
        """The report sheet: one clear (contents and formats) + ONE block write of the grid's values; then merges,
        formats, row heights and page breaks, each grouped into as few calls as the layout allows (never one per
        data row of the workbook). Formats and page breaks are cosmetic: an engine that lacks them (the remote
        engine) skips them, and a failure there never fails the refresh."""
        sheet = getattr(grid, "sheet", None) or SHEET_REPORT
        cells: dict[tuple[int, int], Any] = dict(grid.cells)
        for (r, c), item in cells.items():
            _check_text(item[0] if isinstance(item, tuple) else item, sheet, r, col_letter(c))
        sht = self._sheet(sheet)
        self._optional("unmerge", lambda: sht.cells.unmerge())
        self._optional("clear", lambda: sht.clear())  # the previous layout's formats go too
        if "clear" in self.unsupported:
            self._call(lambda: sht.clear_contents())
        if not cells:
            return
        r1 = min(r for r, _ in cells)
        c1 = min(c for _, c in cells)
        r2 = max(r for r, _ in cells)
        c2 = max(c for _, c in cells)
        empty = self._prepare(None)
        block = [[empty] * (c2 - c1 + 1) for _ in range(r2 - r1 + 1)]
        styles: dict[tuple[int, int], str | None] = {}
        for (r, c), item in cells.items():
            value, style = (item if isinstance(item, tuple) else (item, None))
            block[r - r1][c - c1] = self._prepare(excel_text(value))
            styles[(r, c)] = style
        target = self._call(lambda: sht.range(_a1_range(r1, c1, r2, c2)))
        self._call(lambda: setattr(target, "raw_value", block), "write")
        merges = [_a1_to_rc(m) if isinstance(m, str) else tuple(m) for m in getattr(grid, "merges", None) or ()]
        # each lambda below runs before _optional returns, so the loop variables it reads are the current ones
        for (mr1, mc1, mr2, mc2), across in _merge_runs(merges):
            self._optional("merge", lambda: sht.range(_a1_range(mr1, mc1, mr2, mc2)).merge(across))  # noqa: B023
        self._format(sht, styles)
        for (h1, h2), height in _height_runs(getattr(grid, "row_heights", None) or {}):
            self._optional("row_height",
                           lambda: setattr(sht.range(_a1_range(h1, 1, h2, 1)), "row_height", height))  # noqa: B023
        for col, width in sorted((getattr(grid, "col_widths", None) or {}).items()):
            self._optional("column_width",
                           lambda: setattr(sht.range(_a1_range(1, col, 1, col)), "column_width", width))  # noqa: B023
        breaks = list(getattr(grid, "row_breaks", None) or ())
        self._cosmetic("page_breaks", lambda: _set_page_breaks(sht, breaks))

    def _cosmetic(self, feature: str, fn: Callable[[], Any]) -> None:
        """A formatting call: skipped where unsupported; any failure is recorded, never raised."""
        if feature in self.unsupported:
            return
        try:
            fn()
        except Exception:  # noqa: BLE001 - the remote engine, a Mac, an Excel without the feature
            self.unsupported.add(feature)
            return
        self._call(lambda: None, "write")

    def _format(self, sht: Any, styles: dict[tuple[int, int], str | None]) -> None:
        """Fonts, fills, wrapping, alignment and borders of the report, per style key of
        :data:`cchc_xl.report.styles.STYLES`, on unions of cell ranges (a few calls per style)."""
        by_style: dict[str, list[tuple[int, int]]] = {}
        for pos, key in styles.items():
            if key in STYLES:
                by_style.setdefault(key, []).append(pos)
        for key, positions in sorted(by_style.items()):
            spec = STYLES[key]
            for address in _union_addresses(positions):
                if "format" in self.unsupported:
                    return
                try:  # a union of ranges: Excel takes it; the remote engine does not
                    rng = self._call(lambda: sht.range(address))  # noqa: B023 - called at once
                except Exception:  # noqa: BLE001 - formatting is cosmetic
                    self.unsupported.add("format")
                    return
                for feature, fn in _style_calls(rng, spec):
                    self._cosmetic(feature, fn)

    def save(self) -> None:
        """In Excel the user saves; with ``autosave=True`` the book is saved (not available remotely)."""
        if self.autosave:
            self._optional("save", lambda: self.book.save())

    def sheet_names(self) -> list[str]:
        return [sh.name for sh in self._call(lambda: list(self.book.sheets))]

    # -- the 'Nhật ký' sheet (Book seam: read_log / append_log) ----------------------------------------------
    def _read_values(self, sht: Any, address: str) -> list[list[Any]]:
        """ONE value read of ``address`` as a 2-D list (dates as datetime, empty cells as None)."""
        rng = self._call(lambda: sht.range(address))
        if self._remote:
            return _from_remote(self._call(lambda: rng.raw_value, "read"))
        return [list(r) for r in self._call(lambda: rng.options(ndim=2, err_to_str=True).value, "read") or ()]

    def _log_layout(self) -> tuple[Any, int, dict[str, int], int]:
        """(sheet, header row, {header: column}, last log row) of 'Nhật ký' — a bounded number of calls.

        The log ends at the last row of the contiguous 'Thời gian' column (every log row has a time)."""
        sht = self._sheet(SHEET_LOG)
        top = self._read_values(sht, _a1_range(1, 1, _LOG_SCAN_ROWS, _LOG_SCAN_COLS))
        for r, row in enumerate(top, start=1):  # noqa: B007 - r, the header row, is read after the loop
            cols = {v.strip(): c for c, v in enumerate(row, start=1) if isinstance(v, str) and v.strip()}
            if LOG_HEADERS[0] in cols:
                break
        else:
            raise WorkbookError(f"Trang tính '{SHEET_LOG}' thiếu dòng tiêu đề ('{LOG_HEADERS[0]}', …).")
        missing = [h for h in LOG_HEADERS if h not in cols]
        if missing:
            raise WorkbookError(f"Trang tính '{SHEET_LOG}' thiếu cột: {', '.join(missing)}.")
        first = _a1_range(r, cols[LOG_HEADERS[0]], r, cols[LOG_HEADERS[0]])
        down = self._call(lambda: sht.range(first).expand("down"))
        last = self._call(lambda: down.last_cell.row)
        return sht, r, cols, max(int(last), r)

    def read_log(self) -> list[dict]:
        """Every row of 'Nhật ký' as ``{header: value}`` (one read after the layout)."""
        sht, header_row, cols, last = self._log_layout()
        if last <= header_row:
            return []
        c1, c2 = min(cols.values()), max(cols.values())
        block = self._read_values(sht, _a1_range(header_row + 1, c1, last, c2))
        return [{h: (row[c - c1] if c - c1 < len(row) else None) for h, c in cols.items()} for row in block]

    def append_log(self, rows: list[dict]) -> None:
        """Append ``rows`` (keys ``LOG_HEADERS``) below the last log row: ONE block write."""
        if not rows:
            return
        sht, _header_row, cols, last = self._log_layout()
        for i, row in enumerate(rows):
            for h, v in row.items():
                _check_text(v, SHEET_LOG, last + 1 + i, h)
        c1, c2 = min(cols.values()), max(cols.values())
        block = []
        for row in rows:
            line = [self._prepare(None)] * (c2 - c1 + 1)
            for h, v in row.items():
                if h in cols:
                    if isinstance(v, dt.datetime):
                        v = v.replace(microsecond=0, tzinfo=None)
                    line[cols[h] - c1] = self._prepare(excel_text(v))
            block.append(line)
        target = self._call(lambda: sht.range(_a1_range(last + 1, c1, last + len(rows), c2)))
        self._call(lambda: setattr(target, "raw_value", block), "write")

    # -- extras used by entry points ------------------------------------------------------------------------
    def _prepare(self, v: Any) -> Any:
        """A value ready for a raw write (writes skip xlwings' converters: one block, no per-cell work)."""
        return _to_remote(v) if self._remote else _to_excel(v)

    def alert(self, message: str, title: str = "CCHC", mode: str | None = None) -> None:
        """A message box (Excel) / an ``alert`` action (remote). Never raises."""
        try:
            self._call(lambda: self.book.app.alert(message, title=title, mode=mode))
        except Exception:  # noqa: BLE001 - an alert must not hide the original problem
            self.unsupported.add("alert")


# A text Excel would turn into something else when assigned to Range.Value: a formula (= + - @), a number,
# a date/time, a percentage or a boolean. Such a text is written with Excel's text prefix (').
_EXCEL_PARSES = re.compile(r"[\s\d.,:/%()$+\-eE]*\d[\s\d.,:/%()$+\-eE]*")
_LOG_SCAN_ROWS, _LOG_SCAN_COLS = 20, 26  # where the log's header row is looked for (A1:Z20)


def excel_text(value: Any) -> Any:
    """``value`` ready for a raw write that keeps a text a text (as the file engine writes it): a text Excel would
    read as a formula, number, date or boolean gets Excel's text prefix ``'`` (not part of the stored value)."""
    if value.__class__ is not str or not value:
        return value
    if value[0] in "=+-@'" or value.strip().upper() in ("TRUE", "FALSE") or _EXCEL_PARSES.fullmatch(value):
        return "'" + value
    return value


def _merge_runs(merges: list[tuple[int, int, int, int]]) -> list[tuple[tuple[int, int, int, int], bool]]:
    """Merges grouped for ``Range.merge(across)``: one-row merges over the same columns in consecutive rows become
    one block merged across (one call); any other merge stays one call.

    >>> _merge_runs([(1, 1, 1, 24), (2, 1, 2, 24), (3, 2, 3, 4), (5, 1, 6, 2)])
    [((1, 1, 2, 24), True), ((3, 2, 3, 4), False), ((5, 1, 6, 2), False)]
    """
    out: list[tuple[tuple[int, int, int, int], bool]] = []
    singles = sorted(m for m in merges if m[0] == m[2])
    runs: dict[tuple[int, int], list[int]] = {}
    for r, c1, _, c2 in singles:
        rows = runs.setdefault((c1, c2), [])
        if rows and rows[-1] == r - 1:
            rows.append(r)
            continue
        if rows:
            out.append(((rows[0], c1, rows[-1], c2), len(rows) > 1))
        runs[(c1, c2)] = [r]
    for (c1, c2), rows in runs.items():
        out.append(((rows[0], c1, rows[-1], c2), len(rows) > 1))
    out += [(m, False) for m in merges if m[0] != m[2]]
    return sorted(out)


def _height_runs(heights: dict[int, float]) -> list[tuple[tuple[int, int], float]]:
    """Consecutive rows of the same height, as ``((first, last), height)``.

    >>> _height_runs({1: 15.0, 2: 15.0, 3: 18.0, 5: 18.0})
    [((1, 2), 15.0), ((3, 3), 18.0), ((5, 5), 18.0)]
    """
    out: list[list] = []
    for r in sorted(heights):
        h = heights[r]
        if out and out[-1][0][1] == r - 1 and out[-1][1] == h:
            out[-1][0] = (out[-1][0][0], r)
        else:
            out.append([(r, r), h])
    return [(tuple(a), h) for a, h in out]


def _union_addresses(positions: list[tuple[int, int]], limit: int = 240) -> list[str]:
    """The cells as rectangles (runs of columns, stacked over equal consecutive rows) joined into range
    addresses of at most ``limit`` characters (Excel refuses longer ones).

    >>> _union_addresses([(1, 1), (1, 2), (2, 1), (2, 2), (4, 3)])
    ['A1:B2,C4']
    """
    by_row: dict[int, list[int]] = {}
    for r, c in positions:
        by_row.setdefault(r, []).append(c)
    runs: list[tuple[int, int, int]] = []  # (row, c1, c2)
    for r in sorted(by_row):
        cols = sorted(set(by_row[r]))
        start = prev = cols[0]
        for c in cols[1:]:
            if c != prev + 1:
                runs.append((r, start, prev))
                start = c
            prev = c
        runs.append((r, start, prev))
    rects: list[list[int]] = []
    open_rects: dict[tuple[int, int], list[int]] = {}
    for r, c1, c2 in runs:
        rect = open_rects.get((c1, c2))
        if rect is not None and rect[2] == r - 1:
            rect[2] = r
        else:
            rect = [r, c1, r, c2]
            rects.append(rect)
            open_rects[(c1, c2)] = rect
    parts = []
    for a, b, c, d in rects:
        parts.append(f"{col_letter(b)}{a}" if (a, b) == (c, d) else _a1_range(a, b, c, d))
    out, current = [], ""
    for part in parts:
        if current and len(current) + 1 + len(part) > limit:
            out.append(current)
            current = part
        else:
            current = f"{current},{part}" if current else part
    if current:
        out.append(current)
    return out


_H_ALIGN = {"left": -4131, "center": -4108, "right": -4152, "justify": -4130}
_V_ALIGN = {"top": -4160, "center": -4108, "bottom": -4107}
_EDGES = {"left": 7, "top": 8, "bottom": 9, "right": 10}


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[0:2], 16), int(hex_color[2:4], 16), int(hex_color[4:6], 16)


def _style_calls(rng: Any, spec: dict) -> list[tuple[str, Callable[[], Any]]]:
    """The xlwings calls that give ``rng`` the look of a STYLES ``spec`` (feature name, call)."""
    calls: list[tuple[str, Callable[[], Any]]] = []
    font = spec.get("font") or {}
    if font.get("name"):
        calls.append(("font", lambda: setattr(rng.font, "name", font["name"])))
    if font.get("size"):
        calls.append(("font", lambda: setattr(rng.font, "size", font["size"])))
    calls.append(("font", lambda: setattr(rng.font, "bold", bool(font.get("bold")))))
    calls.append(("font", lambda: setattr(rng.font, "italic", bool(font.get("italic")))))
    if font.get("color"):
        calls.append(("font", lambda: setattr(rng.font, "color", _rgb(font["color"]))))
    if spec.get("fill"):
        calls.append(("fill", lambda: setattr(rng, "color", _rgb(spec["fill"]))))
    align = spec.get("align") or {}
    if align.get("wrap"):
        calls.append(("wrap", lambda: setattr(rng, "wrap_text", True)))
    if align.get("horizontal") in _H_ALIGN:
        calls.append(("align", lambda: setattr(rng.api, "HorizontalAlignment", _H_ALIGN[align["horizontal"]])))
    if align.get("vertical") in _V_ALIGN:
        calls.append(("align", lambda: setattr(rng.api, "VerticalAlignment", _V_ALIGN[align["vertical"]])))
    border = spec.get("border")
    if border == "thin":
        calls.append(("border", lambda: setattr(rng.api.Borders, "LineStyle", 1)))
    elif isinstance(border, dict):
        for side in border:
            calls.append(("border", lambda side=side: setattr(rng.api.Borders(_EDGES[side]), "LineStyle", 1)))
    return calls


def _set_page_breaks(sht: Any, rows: list[int]) -> None:
    """Excel's manual page breaks: a new page after each row of ``rows`` (Windows COM; elsewhere it raises)."""
    api = sht.api
    api.ResetAllPageBreaks()
    for r in rows:
        api.HPageBreaks.Add(sht.range(f"A{r + 1}").api)


def _to_excel(v: Any) -> Any:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    return v


_ISO_DT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z?$")


def _from_remote(raw: Any) -> list[list[Any]]:
    """Raw remote values → Python values as ``options(err_to_str=True).value`` gives them: "" → None,
    ISO date-time strings (the clients send dates so) → datetime; errors stay strings."""
    out = []
    for row in raw or ():
        new = []
        for v in row:
            if v.__class__ is str:
                if v == "":
                    v = None
                elif len(v) >= 19 and v[4] == "-" and v[10] == "T":
                    m = _ISO_DT.match(v)
                    if m:
                        v = dt.datetime(*map(int, m.groups()))
            new.append(v)
        out.append(new)
    return out


def _to_remote(v: Any) -> Any:
    """What xlwings' remote engine sends for a value (``_xlremote.Engine.prepare_xl_data_element``)."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0):
            return v.date().isoformat()
        return v.replace(tzinfo=None).isoformat(sep=" ").split(".")[0]
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v != v:  # NaN
        return ""
    return v



def _a1_range(r1: int, c1: int, r2: int, c2: int) -> str:
    """``'L2:L10001'``: ranges are addressed by A1 text (cheap on every engine)."""
    return f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"

