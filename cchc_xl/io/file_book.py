"""FileBook: the Book seam over a workbook file, through the surgical OOXML writer.

Reads each table once from the sheet XML; writes only the cells the engine owns
(computed columns, indicator results, the report sheet) and copies every other part of
the package byte for byte. Saving is atomic with a timestamped backup.
"""

from __future__ import annotations

from pathlib import Path

from .. import schema
from ..errors import WorkbookError
from .ooxml import Package, parse_ref
from .tables import Cell, TableData

__all__ = ["FileBook", "parse_ref"]


class FileBook:
    """A workbook file opened for one refresh."""

    def __init__(self, package: Package, path: Path, out: Path | None = None, backup: bool = True):
        self.package = package
        self.path = Path(path)
        self.out = Path(out) if out else None
        self.backup = backup
        self._sheets: dict[str, object] = {}
        self._styles: dict[str, int] = {}

    @classmethod
    def open(cls, path, out=None, backup: bool = True) -> "FileBook":
        path = Path(path)
        if not path.exists():
            raise WorkbookError(f"Không tìm thấy tệp '{path}'.")
        return cls(Package.open(path), path, out, backup)

    # -- reading -----------------------------------------------------------------------
    def _sheet(self, name: str):
        if name not in self._sheets:
            self._sheets[name] = self.package.read_sheet(name)
        return self._sheets[name]

    def table_info(self, table: str):
        for info in self.package.tables():
            if info.name == table or getattr(info, "display_name", None) == table:
                return info
        return None

    def read_table(self, sheet: str, table: str) -> TableData | None:
        info = self.table_info(table)
        if info is None:
            return None
        r1, c1, r2, c2 = parse_ref(info.ref)
        # one Cell per position, straight from the sheet XML (no per-sheet cell dict in between)
        grid, merged = self.package.read_box(info.sheet, r1, c1, max(r1, r2), c2, Cell, Cell)
        headers = [str(cell.value).strip() if cell.value is not None else "" for cell in grid[0]]
        rows = grid[1:]
        for mr1, mc1, mr2, mc2 in merged:
            for r in range(max(mr1, r1 + 1), min(mr2, r2) + 1):
                row = rows[r - r1 - 1]
                for c in range(max(mc1, c1), min(mc2, c2) + 1):
                    row[c - c1].merged = True
        return TableData(sheet=info.sheet, table=table, headers=headers, first_row=r1 + 1, rows=rows)

    def read_values(self, sheet: str, r1: int, c1: int, r2: int, c2: int) -> list[list[object]] | None:
        """The values of a block of cells (rows ``r1..r2``, columns ``c1..c2``); None when there is no such
        sheet. Used to read the report's record (:mod:`cchc_xl.report_record`)."""
        if sheet not in self.package.sheet_names():
            return None
        return [[cell.value for cell in row] for row in self.package.read_range(sheet, r1, c1, r2, c2)]

    # -- writing -----------------------------------------------------------------------
    def write_column(self, sheet: str, table: str, header: str, values: list) -> None:
        info = self.table_info(table)
        if info is None:
            raise WorkbookError(f"Không tìm thấy bảng '{table}' trong trang tính '{sheet}'.")
        r1, c1, _, _ = parse_ref(info.ref)
        headers = [h.strip() for h in info.headers]
        if header not in headers:
            raise WorkbookError(f"Trang tính '{info.sheet}': bảng '{table}' thiếu cột '{header}'.")
        col = c1 + headers.index(header)
        self.package.set_cells(info.sheet, {(r1 + 1 + i, col): v for i, v in enumerate(values)})

    def _style(self, key: str) -> int:
        if key not in self._styles:
            from ..report_layout import STYLES

            spec = STYLES[key]
            self._styles[key] = self.package.ensure_style(
                font=spec.get("font"), fill=spec.get("fill"), border=spec.get("border"),
                align=spec.get("align"), num_fmt=spec.get("num_fmt"))
        return self._styles[key]

    def write_report(self, grid) -> None:
        if schema.SHEET_REPORT not in self.package.sheet_names():
            raise WorkbookError(f"Không tìm thấy trang tính '{schema.SHEET_REPORT}'.")
        cells = {pos: (value, self._style(style)) for pos, (value, style) in grid.cells.items()}
        self.package.replace_sheet_content(schema.SHEET_REPORT, cells, grid.merges,
                                           row_heights=grid.row_heights)

    def save(self) -> None:
        target = self.out or self.path
        self.package.save(target, backup=self.backup and self.out is None)
