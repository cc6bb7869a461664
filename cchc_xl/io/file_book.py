"""FileBook: the Book seam over a workbook file, through the surgical package writer.

Tables are read once each through python-calamine (:mod:`cchc_xl.io.ooxml.table_reader`); only the cells
the engine owns are written (computed columns, indicator results, the report sheet, the log), spliced into
the sheets' text, and every other part of the package is copied byte for byte. Saving is atomic, with a
verified backup when the file is replaced in place.

A run that writes opens the book with :meth:`FileBook.for_update`, which holds the workbook's writer lock
(:mod:`cchc_xl.io.writelock`) from before the read until the new file is in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from pathlib import Path
from typing import TYPE_CHECKING

from .. import schema
from ..report.styles import STYLES
from ..core.text import clean_text
from ..errors import CellTextTooLongError, WorkbookError
from .log_sheet import append_log_rows, read_log_rows
from .ooxml import Package, parse_ref
from .tables import TableData
from .writelock import writer_lock

if TYPE_CHECKING:
    from ..report.layout import ReportGrid

__all__ = ["FileBook", "parse_ref"]


def _shows(old, new) -> bool:
    """True when a cell read as ``old`` already holds ``new`` as this writer would write it: same type of value
    (a date as a date, a text as a text) and the same value."""
    if new is None or old is None:
        return new is None and old is None
    if isinstance(new, dt.date) and not isinstance(new, dt.datetime):
        new = dt.datetime(new.year, new.month, new.day)
    if old.__class__ is not new.__class__:
        if isinstance(old, (int, float)) and isinstance(new, (int, float)) and \
                not isinstance(old, bool) and not isinstance(new, bool):
            return float(old) == float(new)
        return False
    return old == new


def _changed(shown: list, values: list) -> list[int]:
    """Positions ``i`` (of both lists) where a cell showing ``shown[i]`` does not show ``values[i]`` (:func:`_shows`):
    the same class and value decided at once (a date compared as the datetime the reader gives back), the rest
    by :func:`_shows`."""
    datetime, date = dt.datetime, dt.date
    as_read = {v: datetime(v.year, v.month, v.day) for v in set(values) if v.__class__ is date}
    read = [as_read.get(v, v) if v.__class__ is date else v for v in values] if as_read else values
    return [i for i, (o, v) in enumerate(zip(shown, read))
            if not (o.__class__ is v.__class__ and o == v) and not _shows(o, values[i])]


class FileBook:
    """A workbook file opened for one run."""

    def __init__(self, package: Package, path: Path, out: Path | None = None, backup: bool = True):
        self.package = package
        self.path = Path(path)
        self.out = Path(out) if out else None
        self.backup = backup
        self._styles: dict[str, int] = {}
        self._read: dict[str, TableData] = {}      # tables as read, to write only the cells that change
        self._locked = False                       # opened by for_update: the writer lock is held

    @classmethod
    def open(cls, path, out=None, backup: bool = True) -> FileBook:
        """Open ``path`` (to read; :meth:`save` writes ``out``, else ``path`` in place with a backup)."""
        path = Path(path)
        for p in (path, Path(out) if out else None):
            if p is not None and p.is_dir():
                raise WorkbookError(f"'{p}' là một thư mục, không phải tệp sổ tính; hãy ghi đúng đường dẫn tới "
                                    f"tệp .xlsm/.xlsx.")
        if not path.exists():
            raise WorkbookError(f"Không tìm thấy tệp '{path}'.")
        return cls(Package.open(path), path, out, backup)

    @classmethod
    def from_bytes(cls, data: bytes, filename: str, max_total: int | None = None) -> FileBook:
        """A workbook received as bytes (a group's returned copy), read under the copy limits."""
        limits = {} if max_total is None else {"max_total": max_total}
        return cls(Package.from_bytes(data, filename, **limits), Path(filename))

    @classmethod
    @contextlib.contextmanager
    def for_update(cls, path, out=None, backup: bool = True, wait: float | None = None):
        """``with FileBook.for_update(path) as book:`` — :meth:`open` under the writer lock of the file that
        will be written, held until the block ends (raises :class:`~cchc_xl.errors.WorkbookBusyError` when
        another run holds it for longer than ``wait`` seconds, by default :func:`.writelock.default_wait`)."""
        with writer_lock(Path(out) if out else Path(path), wait):
            # the cyclic collector is paused for the run: a refresh of 100,000 dossiers makes millions of objects
            # that live until its end (no cycles among them), and the collector would walk them again and again
            # (~10% of the time); reference counting still frees everything as usual
            was_on = gc.isenabled()
            gc.disable()
            try:
                book = cls.open(path, out, backup)
                book._locked = True  # noqa: SLF001 - its own class, in a classmethod
                yield book
            finally:
                if was_on:
                    gc.enable()

    # -- reading -----------------------------------------------------------------------------------------
    def table_info(self, table: str):
        for info in self.package.tables():
            if info.name == table or info.display_name == table:
                return info
        return None

    def read_table(self, sheet: str, table: str) -> TableData | None:
        """The table's data rows (None when the workbook has no such table)."""
        info = self.table_info(table)
        if info is None:
            return None
        from .ooxml import read_table

        td = self._read[info.name] = read_table(self.package, info)
        return td

    def sheet_names(self) -> list[str]:
        return self.package.sheet_names()

    def sheet_values(self, sheet: str) -> dict[tuple[int, int], object]:
        """``{(row, col): value}`` of every non-empty cell of a (small) sheet; an error cell reads as None."""
        return {k: c.value for k, c in self.package.read_sheet(sheet).cells.items()
                if c.value is not None and not c.error}

    def has_macros(self) -> bool:
        """True when the file carries a VBA project."""
        return any(n.lower().endswith("vbaproject.bin") for n in self.package.part_names())

    def custom_properties(self) -> dict[str, str]:
        from .ooxml import custom_properties

        return custom_properties(self.package)

    def modified(self):
        """The save time the file records (``docProps/core.xml``), or None."""
        from .ooxml import modified

        return modified(self.package)

    def read_log(self) -> list[dict]:
        """Every row of the ``Nhật ký`` sheet as ``{header: value}``."""
        return read_log_rows(self.package)

    def read_values(self, sheet: str, r1: int, c1: int, r2: int, c2: int) -> list[list[object]] | None:
        """The values of a block of cells (rows ``r1..r2``, columns ``c1..c2``); None when there is no such
        sheet. Used to read the report's record (:mod:`cchc_xl.report.record`)."""
        if sheet not in self.package.sheet_names():
            return None
        return [[cell.value for cell in row] for row in self.package.read_range(sheet, r1, c1, r2, c2)]

    # -- writing -----------------------------------------------------------------------------------------
    def write_column(self, sheet: str, table: str, header: str, values: list) -> None:
        info = self.table_info(table)
        if info is None:
            raise WorkbookError(f"Không tìm thấy bảng '{table}' trong trang tính '{sheet}'.")
        r1, c1, _, _ = parse_ref(info.ref)
        headers = [clean_text(h, single_line=True) for h in info.headers]
        if header not in headers:
            raise WorkbookError(f"Trang tính '{info.sheet}': bảng '{table}' thiếu cột '{header}'.")
        j = headers.index(header)
        col = c1 + j
        first = r1 + max(info.header_row_count, 0)
        td = self._read.get(info.name)
        if td is not None and td.first_row == first:   # a cell already showing the value is left alone
            old = td.row_values()
            marks = td.cell_marks()
            shown = [r[j] if j < len(r) else None for r in old]
            cells = {(first + i, col): values[i] for i in _changed(shown, values)}
            cells.update(((first + i, col), values[i]) for i in range(len(old), len(values)))
            cells.update(((first + i, col), values[i]) for i, c in marks if c == j and i < len(values))
            for row, v in zip(old, values):                # what the file holds now, for a later write
                if j < len(row):
                    row[j] = v
        else:
            cells = {(first + i, col): v for i, v in enumerate(values)}
        try:
            self.package.set_cells(info.sheet, cells)
        except CellTextTooLongError as exc:     # name the column by its header
            raise CellTextTooLongError(exc.message, sheet=info.sheet, row=exc.row, column=header) from None

    def append_log(self, rows: list[dict]) -> None:
        """Append rows (dicts keyed by ``schema.LOG_HEADERS``) below the last row of ``Nhật ký``."""
        append_log_rows(self.package, rows)

    def _style(self, key: str) -> int:
        if key not in self._styles:
            spec = STYLES[key]
            self._styles[key] = self.package.ensure_style(
                font=spec.get("font"), fill=spec.get("fill"), border=spec.get("border"),
                align=spec.get("align"), num_fmt=spec.get("num_fmt"))
        return self._styles[key]

    def write_report(self, grid: ReportGrid) -> None:
        if schema.SHEET_REPORT not in self.package.sheet_names():
            raise WorkbookError(f"Không tìm thấy trang tính '{schema.SHEET_REPORT}'.")
        cells = {pos: (value, self._style(style)) for pos, (value, style) in grid.cells.items()}
        self.package.replace_sheet_content(schema.SHEET_REPORT, cells, grid.merges,
                                           row_heights=grid.row_heights,
                                           row_breaks=getattr(grid, "row_breaks", None) or [])

    @contextlib.contextmanager
    def write_lock(self, wait: float | None = None):
        """The writer lock of the file :meth:`save` writes, for a write after an :meth:`open` without it (a send
        recorded after the mail went out); nothing more when the book was opened by :meth:`for_update`. A save
        is refused anyway when the file changed since it was read."""
        if self._locked:
            yield
            return
        with writer_lock(self.out or self.path, wait):
            yield

    def save(self) -> None:
        target = self.out or self.path
        self.package.save(target, backup=self.backup and self.out is None)
