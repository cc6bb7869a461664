"""What an adapter hands to the engine: a table's cells (:class:`TableData`), the data problems found
(:class:`Problem`), and everything the engine needs, read once (:class:`WorkbookData`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.dossiers import Dossier, Procedure
from ..core.indicators import IndicatorRow
from ..core.narrative import NarrativeEntry
from ..core.settings import Settings
from ..core.tasks import Occurrence, Task

__all__ = ["Cell", "TableData", "Problem", "WorkbookData"]


@dataclass(slots=True)          # slots: ~130k of these are built per refresh
class Cell:
    """One cell as an adapter read it."""

    value: object = None
    formula: str | None = None
    error: str | None = None
    merged: bool = False


class TableData:
    """A table's header and data rows; ``rows[i]`` is Excel row ``first_row + i``.

    An adapter builds it from :class:`Cell` rows (``rows=``) or, cheaper for a big table, from the plain
    values (``values=``, one list per row, None for an empty cell) plus the few cells that hold a formula or
    an error or sit in a merged range (``marks={(i, j): Cell}``). ``rows`` then makes the cells once, when
    first asked; :meth:`iter_rows` makes them row by row without keeping them; :meth:`to_frame` gives the
    values as a pandas DataFrame without making any cell.
    """

    __slots__ = ("sheet", "table", "headers", "first_row", "_rows", "_values", "marks")

    def __init__(self, sheet: str, table: str, headers: list[str], first_row: int,
                 rows: list[list[Cell]] | None = None, *, values: list[list] | None = None,
                 marks: dict[tuple[int, int], Cell] | None = None):
        self.sheet, self.table, self.headers, self.first_row = sheet, table, headers, first_row
        self._rows = rows
        self._values = values if rows is None else None
        self.marks = marks or {}
        if rows is None and values is None:
            self._rows = []

    def __repr__(self) -> str:
        return f"TableData({self.sheet!r}, {self.table!r}, {len(self.headers)} columns, {self.n_rows} rows)"

    @property
    def n_rows(self) -> int:
        return len(self._rows) if self._rows is not None else len(self._values)

    def _make_row(self, i: int, values: list) -> list[Cell]:
        row = [Cell(v) for v in values]
        if self.marks:
            for j in range(len(row)):
                cell = self.marks.get((i, j))
                if cell is not None:
                    row[j] = cell
        return row

    @property
    def rows(self) -> list[list[Cell]]:
        if self._rows is None:
            self._rows = [self._make_row(i, vals) for i, vals in enumerate(self._values)]
            self._values = None
        return self._rows

    @rows.setter
    def rows(self, rows: list[list[Cell]]) -> None:
        self._rows, self._values = rows, None

    def iter_rows(self):
        """Each row's cells, made as they are needed (the same cells as :attr:`rows`, not kept)."""
        if self._rows is not None:
            yield from self._rows
            return
        make = self._make_row
        for i, vals in enumerate(self._values):
            yield make(i, vals)

    def row_values(self) -> list[list]:
        """The values, one list per row (an error cell's value is None)."""
        if self._values is not None:
            return self._values
        return [[c.value for c in row] for row in self._rows]

    def cell_marks(self) -> dict[tuple[int, int], Cell]:
        """``{(i, j): Cell}`` of the cells that hold a formula or an error, or lie in a merged range."""
        if self._rows is None:
            return self.marks
        return {(i, j): c for i, row in enumerate(self._rows) for j, c in enumerate(row)
                if c.formula or c.error or c.merged}

    def last_filled(self) -> int:
        """Index of the last row holding a value (-1 when every row is blank)."""
        if self._rows is not None:
            rows = ([c.value for c in r] for r in reversed(self._rows))
        else:
            rows = reversed(self._values)
        n = self.n_rows
        for k, values in enumerate(rows):
            if not all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                return n - 1 - k
        return -1

    def to_frame(self):
        """The values as a pandas DataFrame, one column per header (cells with formulas or errors are in
        :attr:`marks`)."""
        import pandas as pd

        width = len(self.headers)
        return pd.DataFrame([(list(r) + [None] * width)[:width] for r in self.row_values()], columns=self.headers)


@dataclass(frozen=True)
class Problem:
    """A data problem a user can fix; ``message`` is Vietnamese."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def describe(self) -> str:
        where = [f"Trang tính '{self.sheet}'"]
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột '{self.column}'")
        return ", ".join(where) + ": " + self.message

    def to_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class WorkbookData:
    """Everything the engine needs, read once."""

    tasks: list[Task] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)
    dossiers: Sequence[Dossier] = field(default_factory=list)   # the reader gives DossierColumns
    procedures: dict[str, Procedure] = field(default_factory=dict)
    indicators: list[IndicatorRow] = field(default_factory=list)
    overrides: dict[dt.date, bool] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    problems: list[Problem] = field(default_factory=list)
    # Excel rows of each table, in sheet order, so outputs line up with inputs.
    task_rows: list[int] = field(default_factory=list)
    dossier_rows: list[int] = field(default_factory=list)
    indicator_rows: list[int] = field(default_factory=list)
    occurrence_rows: list[int] = field(default_factory=list)
    # The report's text per period and section (sheet 'Nội dung báo cáo'); rows in sheet order.
    narrative: list[NarrativeEntry] = field(default_factory=list)
    narrative_rows: list[int] = field(default_factory=list)
    tables: dict[str, TableData] = field(default_factory=dict)
    # Tables that could not be read at all (missing, or a contract header renamed): table name → why,
    # in Vietnamese. The engine never reports figures computed from such a table.
    unreadable: dict[str, str] = field(default_factory=dict)
