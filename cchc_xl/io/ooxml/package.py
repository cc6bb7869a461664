"""An .xlsx/.xlsm package opened for surgical edits: :class:`Package`.

It brings the pieces together: the zip (:mod:`.archive`), the parts and their relationships
(:mod:`.parts`), the workbook (:mod:`.workbook`), the style sheet (:mod:`.styles`), the readers
(:mod:`.sheet_reader`, :mod:`.table_reader`), the splicer (:mod:`.splicer`) and safe saving
(:mod:`.saving`). openpyxl is never used to save: it drops the ribbon, Excel 2010 extensions and text boxes.

Cell writes (:meth:`Package.set_cells`) are checked at once but applied later, all writes to one sheet in
one pass over its text: when the sheet is read again, or when the package is saved (then the new sheet is
deflated as it is spliced, so a big sheet is never held twice). Parts that were not changed are copied from
the original zip without being inflated or deflated.

Row and column numbers are 1-based everywhere. Part names have no leading slash.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import os
import re
import zlib
from pathlib import Path
from collections.abc import Iterable, Mapping

from ...core.text import cell_limit_problem
from ...errors import CellTextTooLongError, WorkbookError, WorkbookTooLargeError
from .archive import ZipIn, ZipOut, deflate
from .cell_xml import MAX_CELL_TEXT, CellWriter, Formula
from .limits import MAX_RATIO, MAX_UNZIPPED_BYTES, RATIO_MIN_SIZE
from .parts import PartStore
from .refs import MAX_COL, MAX_ROW, cell_ref, col_letter
from .saving import KEEP_BACKUPS, fingerprint, save_atomic
from .shared_strings import read_shared_strings
from .sheet_reader import Cell, SheetData, read_sheet_data
from .sheet_text import IrregularSheet, SheetText, attr_value, regularize
from .splicer import RowBlock, replace_sheet_data, splice_cells, unshare
from .styles import StyleSheet
from .workbook import DefinedName, SheetInfo, TableInfo, Workbook

__all__ = ["Package", "WRITE_LEVEL"]

# zlib level of the parts we rewrite: ~3.5x faster than the default (6) on a big sheet for ~30% more bytes
# (Excel recompresses on its next save); untouched parts are copied as they are.
WRITE_LEVEL = 1


class _Packed:
    """A rewritten part, already deflated (made while splicing, before the zip is written)."""

    __slots__ = ("crc", "usize", "data")

    def __init__(self, crc: int, usize: int, data: bytes):
        self.crc, self.usize, self.data = crc, usize, data


_PLAIN = frozenset({type(None), bool, int, dt.date, dt.datetime, dt.time, Formula})


def _check_values(values: Mapping, sheet: str | None = None) -> None:
    """Refuse what cannot go into a cell (``ValueError``/``TypeError``) before anything is written."""
    for key, value in values.items():
        cls = value.__class__
        if cls in _PLAIN or (cls is str and len(value) <= MAX_CELL_TEXT):
            r, c = key
            if 1 <= r <= MAX_ROW and 1 <= c <= MAX_COL:
                continue
        _check_value(key, value, sheet)


def _check_value(key, value, sheet: str | None = None) -> None:
    r, c = key
    if not (1 <= r <= MAX_ROW and 1 <= c <= MAX_COL):
        raise ValueError(f"cell ({r}, {c}) is outside the sheet")
    if value is None or isinstance(value, (str, bool, dt.date, dt.time, Formula)):
        if isinstance(value, str):
            problem = cell_limit_problem(value)
            if problem:
                raise CellTextTooLongError(problem + "; chưa ghi gì vào tệp", sheet=sheet, row=r,
                                           column=col_letter(c))
        return
    if isinstance(value, numbers.Real):
        if not isinstance(value, numbers.Integral) and not math.isfinite(float(value)):
            raise ValueError(f"cannot write {value!r} to a cell")
        return
    raise TypeError(f"unsupported cell value type {type(value).__name__}")


class Package(PartStore):
    """An .xlsx/.xlsm package held in memory. Use :meth:`open` or :meth:`from_bytes`."""

    def __init__(self, data: bytes, filename: str = "workbook.xlsx", *, path: Path | None = None,
                 max_total: int = MAX_UNZIPPED_BYTES, max_ratio: float = MAX_RATIO):
        self.path = path
        self.max_total, self.max_ratio = max_total, max_ratio      # what every later read of the file allows
        self._fingerprint = None
        self._source_bytes: bytes | None = None
        self._edits: dict[str, tuple[dict, dict, list]] = {}     # part -> (values, styles, row blocks)
        self._packed: dict[str, _Packed] = {}
        self._sheet_cache: dict[str, SheetData] = {}
        self._text_cache: dict[str, SheetText] = {}
        self._sst: list[str] | None = None
        self._calamine = None
        self.styles = None
        super().__init__(ZipIn(data, filename, max_total=max_total, max_ratio=max_ratio), filename)
        self.workbook = Workbook(self)
        self.workbook_part = self.workbook.part
        self.styles = StyleSheet(self, self.workbook_part)

    @classmethod
    def open(cls, path: str | os.PathLike, **limits) -> Package:
        p = Path(path)
        try:
            with open(p, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read()
        except FileNotFoundError:
            raise WorkbookError(f"Không tìm thấy tệp '{p}'.") from None
        except IsADirectoryError:
            raise WorkbookError(f"'{p}' là một thư mục, không phải tệp Excel.") from None
        except PermissionError:
            raise WorkbookError(f"Không đọc được tệp '{p.name}': không có quyền hoặc tệp đang bị khóa.") from None
        pkg = cls(data, p.name, path=p, **limits)
        pkg._fingerprint = fingerprint(data, st)
        pkg._source_bytes = data
        return pkg

    @classmethod
    def from_bytes(cls, data: bytes, filename: str = "workbook.xlsx", **limits) -> Package:
        return cls(data, filename, **limits)

    # -- state ---------------------------------------------------------------------------------------------
    def invalidate(self, name: str) -> None:
        low = name.lower()
        if low.endswith("sharedstrings.xml"):
            self._sst = None
        if self.styles is not None:
            self.styles.invalidate(name)
        self._sheet_cache.pop(name, None)
        self._text_cache.pop(name, None)
        self._packed.pop(name, None)
        self._calamine = None

    def is_changed(self, name: str) -> bool:
        return name in self._edits or name in self._packed or super().is_changed(name)

    @property
    def date1904(self) -> bool:
        return self.workbook.date1904

    def _shared_strings(self) -> list[str]:
        if self._sst is None:
            self._sst = read_shared_strings(self, self.workbook_part)
        return self._sst

    # -- raw parts -----------------------------------------------------------------------------------------
    def read_part(self, name: str) -> bytes | None:
        name = self.real(name)
        if name in self._edits:
            self._apply_edits(name)
        packed = self._packed.get(name)
        if packed is not None:
            return zlib.decompress(packed.data, -15)
        return self.read(name)

    def write_part(self, name: str, data: bytes, content_type: str | None = None) -> None:
        name = self.real(name)
        self._edits.pop(name, None)
        self.write(name, data)
        if content_type:
            self.content_types.set_override(name, content_type)

    def delete_part(self, name: str) -> None:
        """Remove a part, every relationship pointing to it, its own rels and its content-type override.

        Parts that only it referenced (e.g. a VBA signature) are removed too. Not for sheets.
        """
        name = self.real(name)
        if not self.has_part(name):
            return
        if any(s.part == name for s in self.sheets()):
            raise ValueError("delete_part() cannot remove a sheet")
        self.drop(name)
        self._sheet_cache.clear()

    # -- workbook navigation (see .workbook) -----------------------------------------------------------------
    def sheets(self) -> list[SheetInfo]:
        return self.workbook.sheets()

    def sheet_names(self) -> list[str]:
        """All sheet names in workbook order (worksheets and chart sheets)."""
        return [s.name for s in self.workbook.sheets()]

    def sheet_info(self, name: str) -> SheetInfo:
        return self.workbook.sheet_info(name)

    def sheet_part(self, name: str) -> str:
        return self.workbook.sheet_part(name)

    def sheet_state(self, name: str) -> str:
        return self.workbook.sheet_info(name).state

    def defined_names(self) -> list[DefinedName]:
        return self.workbook.defined_names()

    def tables(self) -> list[TableInfo]:
        return self.workbook.tables()

    def table(self, name: str) -> TableInfo:
        return self.workbook.table(name)

    def set_table_ref(self, table_name: str, ref: str) -> None:
        self.workbook.set_table_ref(table_name, ref)

    def add_sheet(self, name: str, after: str | None = None, state: str = "visible") -> str:
        return self.workbook.add_sheet(name, after, state)

    # -- styles (see .styles) ----------------------------------------------------------------------------------
    def is_date_style(self, xf_index: int) -> bool:
        return self.styles.is_date_style(xf_index)

    def ensure_style(self, font: Mapping | None = None, fill: str | None = None, border: str | Mapping | None = None,
                     align: Mapping | None = None, num_fmt: str | None = None) -> int:
        return self.styles.ensure_style(font=font, fill=fill, border=border, align=align, num_fmt=num_fmt)

    # -- reading cells -----------------------------------------------------------------------------------------
    def sheet_text(self, name: str, regular: bool = False) -> SheetText:
        """The worksheet's current XML as :class:`.sheet_text.SheetText` (cached until the sheet changes);
        ``regular=True`` rewrites it the regular way first (after a check raised ``IrregularSheet``)."""
        part = self.workbook.worksheet_part(name)
        if part in self._edits:
            self._apply_edits(part)
        st = self._text_cache.get(part)
        if st is None or (regular and not st.regularized):
            data = st.data if st is not None else self.read_part(part)
            st = None
            if not regular:
                try:
                    st = SheetText(data)
                    st.row_span()
                except IrregularSheet:
                    st = None
            if st is None:
                st = SheetText(regularize(data, self.filename, part))
                st.regularized = True
            self._text_cache[part] = st
        return st

    def on_sheet_text(self, name: str, work):
        """``work(sheet_text)``, again on the regular rewrite of the text when a local check fails."""
        try:
            return work(self.sheet_text(name))
        except IrregularSheet:
            return work(self.sheet_text(name, regular=True))

    def read_sheet(self, name: str) -> SheetData:
        """All cells of a worksheet (cached until the sheet is written). Treat the result as read-only."""
        part = self.workbook.worksheet_part(name)
        if part in self._edits:
            self._apply_edits(part)
        cached = self._sheet_cache.get(part)
        if cached is None:
            cached = self._sheet_cache[part] = read_sheet_data(
                self.read_part(part), self.sheet_info(name).name, self._shared_strings(), self.styles.date_flags(),
                self.date1904, self.filename, part)
        return cached

    def read_range(self, name: str, r1: int, c1: int, r2: int, c2: int) -> list[list[Cell]]:
        sd = self.read_sheet(name)
        merged = [m for m in sd.merged if m[0] <= r2 and m[2] >= r1 and m[1] <= c2 and m[3] >= c1]
        out = []
        for r in range(r1, r2 + 1):
            row = []
            for c in range(c1, c2 + 1):
                cell = sd.cells.get((r, c))
                if cell is None:
                    cell = Cell(merged=any(m[0] <= r <= m[2] and m[1] <= c <= m[3] for m in merged))
                row.append(cell)
            out.append(row)
        return out

    def read_table(self, table: str):
        """A table's data rows as :class:`cchc_xl.io.tables.TableData` (see :mod:`.table_reader`)."""
        from .table_reader import read_table

        return read_table(self, self.table(table))

    def calamine(self):
        """A python-calamine workbook over the package as it is now (cached until something changes)."""
        if self._calamine is None:
            from .table_reader import calamine_book

            dirty = self._edits or self._packed or self._new or self._trees
            self._calamine = calamine_book(self.to_bytes() if dirty else self.zin.data)
        return self._calamine

    # -- writing cells -----------------------------------------------------------------------------------------
    def set_cells(self, sheet: str, values: Mapping[tuple[int, int], object],
                  styles: Mapping[tuple[int, int], int] | None = None) -> None:
        """Write values (None clears, keeping the style) and/or style indexes into existing or new cells.

        ``str`` is always written as text (an inline string), even when it starts with '='; use
        :class:`Formula` for a real formula. Dates get a date format unless the cell already has one.
        Values are checked now (``ValueError``/``TypeError``) and written with the next read or save.
        """
        styles = styles or {}
        if not values and not styles:
            return
        part = self.workbook.worksheet_part(sheet)
        _check_values(values, sheet)
        _check_values(dict.fromkeys(styles), sheet)
        pending_values, pending_styles, blocks = self._edits.setdefault(part, ({}, {}, []))
        if blocks:                            # a later cell write wins over an earlier row block
            self._apply_edits(part)
            pending_values, pending_styles, blocks = self._edits.setdefault(part, ({}, {}, []))
        pending_values.update(values)
        pending_styles.update(styles)
        self._pending(part)

    def set_rows(self, sheet: str, first_row: int, first_col: int, rows: list[list],
                 styles: list[int | None] | None = None) -> None:
        """Write whole rows: ``rows[i][j]`` into (``first_row + i``, ``first_col + j``); a None value leaves
        the cell empty (with the column's style ``styles[j]`` when given). The compact way to write many rows
        (an import of 100,000 dossiers): no per-cell dictionary."""
        if not rows:
            return
        part = self.workbook.worksheet_part(sheet)
        if not (1 <= first_row and first_row + len(rows) - 1 <= MAX_ROW and 1 <= first_col <= MAX_COL):
            raise ValueError(f"rows {first_row}..{first_row + len(rows) - 1} are outside the sheet")
        plain, limit = _PLAIN, MAX_CELL_TEXT
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                cls = v.__class__
                if cls not in plain and not (cls is str and len(v) <= limit):
                    _check_value((first_row + i, first_col + j), v, sheet)
        self._edits.setdefault(part, ({}, {}, []))[2].append(
            RowBlock(first_row, first_col, rows, list(styles or [None] * max(len(r) for r in rows))))
        self._pending(part)

    def size_floor(self, sheet: str, first_row: int, first_col: int, rows: list[list],
                   styles: list[int | None] | None = None) -> int:
        """A lower bound of the bytes the package inflates to once :meth:`set_rows` writes ``rows`` there: its
        members as they are, plus the XML of the rows past the sheet's last row (:meth:`RowBlock.min_size`). A
        writer compares it with :attr:`max_total` to refuse, before the work of writing, what the final check of
        :meth:`write_to` would refuse anyway."""
        now = sum(info.file_size for info in self.zin.infos.values())
        span = self.on_sheet_text(sheet, lambda st: st.row_span())
        block = RowBlock(first_row, first_col, rows, list(styles or [None] * max(map(len, rows), default=0)))
        return now + block.min_size(after_row=span[1] if span else 0)

    def _pending(self, part: str) -> None:
        self._sheet_cache.pop(part, None)     # the text stays: the pending writes are spliced into it
        packed = self._packed.pop(part, None)
        if packed is not None and part not in self._text_cache:   # written by a save: that text is the sheet now
            self.write(part, zlib.decompress(packed.data, -15))
        self._calamine = None

    def _splice(self, part: str):
        """Run the pending writes of ``part``: returns the new text's chunks and applies their side effects."""
        values, styles, blocks = self._edits.pop(part)
        name = self.sheet_name_of(part)

        def work(st: SheetText):
            if st.data.find(b't="shared"', st.start, st.end) >= 0:    # a shared-formula master overwritten?
                masters = {}
                for (r, c), (attrs, text) in st.formula_cells().items():
                    if (r, c) in values and text and b"shared" in attrs and b"ref=" in attrs:
                        masters[attr_value(attrs, b"si")] = (text, cell_ref(r, c))
                if masters:
                    st = SheetText(unshare(st.data, st.prefix, masters))
            writer = CellWriter(self.styles, self.date1904, st.prefix)
            return writer, splice_cells(st, values, styles, writer, blocks)

        writer, result = self.on_sheet_text(name, work)
        if writer.wrote_formula:
            self.workbook.full_calc_on_load()
        if result.removed_formula:
            self.workbook.drop_calc_chain()
        self._text_cache.pop(part, None)
        return result.chunks

    def sheet_name_of(self, part: str) -> str:
        for s in self.sheets():
            if s.part == part:
                return s.name
        raise WorkbookError(f"Tệp '{self.filename}': không có trang tính nào ở phần '{part}'.")

    def _apply_edits(self, part: str) -> None:
        self.write(part, b"".join(self._splice(part)))

    def _pack_edits(self, part: str) -> None:
        crc, size, data = deflate(self._splice(part), WRITE_LEVEL)
        self.invalidate(part)
        self._new.pop(part, None)
        self._packed[part] = _Packed(crc, size, data)

    def replace_sheet_content(self, sheet: str, cells: Mapping[tuple[int, int], tuple[object, int | None]],
                              merges: Iterable[tuple[int, int, int, int]] = (),
                              row_heights: Mapping[int, float] | None = None,
                              col_widths: Mapping[int, float] | None = None,
                              row_breaks: Iterable[int] | None = None) -> None:
        """Replace a sheet's cells and merges (and column widths, manual page breaks when given), keeping every
        other element. ``row_breaks``: the rows after which a new page starts (``<brk id>``); ``[]`` removes
        them, ``None`` leaves the sheet's as they are."""
        part = self.workbook.worksheet_part(sheet)
        self._edits.pop(part, None)
        for key, (value, _style) in cells.items():
            _check_value(key, value, sheet)
        st = self.sheet_text(sheet)
        had_formula = re.search(b"<" + st.prefix + rb"f[\s/>]", st.body) is not None
        writer = CellWriter(self.styles, self.date1904, st.prefix)
        chunks = replace_sheet_data(st, cells, writer, merges, row_heights, col_widths, row_breaks,
                                    filename=self.filename, part=part)
        self.write(part, b"".join(chunks))
        if writer.wrote_formula:
            self.workbook.full_calc_on_load()
        if had_formula:
            self.workbook.drop_calc_chain()

    # -- saving ------------------------------------------------------------------------------------------------
    def write_to(self, fh) -> None:
        """Write the package as a zip to the binary file ``fh`` (seekable)."""
        for part in list(self._edits):
            self._pack_edits(part)
        out = ZipOut(fh)
        infos = self.zin.infos
        for name in self._order:
            packed = self._packed.get(name)
            if packed is not None:
                out.copy_packed(name, infos.get(name), packed.crc, packed.usize, packed.data)
                continue
            data = self.changed_bytes(name)
            if data is not None:
                out.write(name, [data], WRITE_LEVEL, infos.get(name))
            else:
                out.copy_raw(infos[name], self.zin.raw(name))
        self._check_limits(out.sizes())
        out.close()

    def _check_limits(self, sizes: list[tuple[str, int, int]]) -> None:
        """Refuse (:class:`WorkbookTooLargeError`, before the file is put in place) a package that the next read —
        under the limits this one was read with, those of :mod:`.limits` — would refuse: what a write makes,
        every command can still open."""
        total = sum(usize for _name, usize, _csize in sizes)
        if total > self.max_total:
            raise WorkbookTooLargeError(
                f"Không ghi được '{self.filename}': sau khi ghi, sổ tính sẽ chiếm {total / 1048576:.0f} MB khi giải "
                f"nén, quá giới hạn {self.max_total / 1048576:.0f} MB mà mọi lệnh đọc sổ tính (refresh, check, "
                f"consolidate, send) áp dụng; chưa ghi gì, tệp cũ vẫn còn nguyên.", total=total, limit=self.max_total)
        for name, usize, csize in sizes:
            if usize > RATIO_MIN_SIZE and usize > self.max_ratio * max(csize, 1):
                raise WorkbookTooLargeError(
                    f"Không ghi được '{self.filename}': phần '{name}' sẽ nén với tỉ lệ {usize // max(csize, 1)}:1, "
                    f"quá giới hạn {self.max_ratio}:1 mà mọi lệnh đọc sổ tính áp dụng; chưa ghi gì, tệp cũ vẫn còn "
                    f"nguyên.", total=total, limit=self.max_total)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.write_to(buf)
        return buf.getvalue()

    def save(self, path: str | os.PathLike | None = None, backup: bool = True,
             keep_backups: int = KEEP_BACKUPS) -> Path:
        """Write atomically to ``path`` (default: the file it was opened from); returns the path written.

        Saving over the file it was read from is refused when that file changed meanwhile (see
        :mod:`.saving`); hold the writer lock (:func:`cchc_xl.io.writelock.writer_lock`) around read and save.
        """
        if path is None:
            if self.path is None:
                raise ValueError("no path to save to")
            path = self.path
        target = Path(path)
        is_source = self.path is not None and _same_path(self.path, target) and self._fingerprint is not None
        save_atomic(target, self.write_to, source=self._fingerprint if is_source else None,
                    source_bytes=self._source_bytes if is_source else None, backup=backup,
                    keep_backups=keep_backups)
        if is_source:
            data = target.read_bytes()
            self._fingerprint = fingerprint(data, target.stat())
            self._source_bytes = None
        return target


def _same_path(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))
