"""The master workbook as the distribution commands read it: one load of the open book.

A run opens the master once (any Book adapter: :class:`cchc_xl.io.file_book.FileBook`, or the ribbon's
:class:`cchc_xl.excel.xw_book.XwBook`) and reads it once (:func:`cchc_xl.engine.load_data`: every contract
table, one read each). :func:`read_master` takes from that one load what hand-out and consolidation need — the
task table and the occurrence table with their contract headers checked, the plan's identity — and keeps the
load itself (``Master.data``) for the computation that follows, so nothing below the entry point reads the
master again. After :func:`cchc_xl.distribute.consolidate.apply_plan` has written through the book, the tables
of that load hold what was written (both adapters update the tables they handed out), and
:func:`Master.written_data` parses them again — nothing is read from the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import schema
from ..core.text import clean_text
from ..errors import WorkbookError
from ..io.table_data import TableData, WorkbookData

__all__ = ["Master", "MasterTasks", "read_master", "master_tasks", "require_headers", "baseline_text"]


@dataclass
class MasterTasks:
    """A task table of the master (or its occurrence table), by row id, and the plan's identity."""

    headers: list[str]
    first_row: int
    rows: dict[str, tuple[int, dict]]  # id -> (excel row, {header: value})
    plan_no: str
    plan_year: int
    occurrences: MasterTasks | None = None  # the occurrence table (tblLanThucHien), when the master has it


@dataclass
class Master:
    """What one read of the master gives: the load (``data``), the task and occurrence tables as read
    (``tasks_table``, ``occurrences_table``: the objects the book handed out) and :class:`MasterTasks`."""

    data: WorkbookData
    tasks: MasterTasks
    tasks_table: TableData
    occurrences_table: TableData | None = None
    plan_no: str = field(init=False)
    plan_year: int = field(init=False)

    def __post_init__(self) -> None:
        self.plan_no, self.plan_year = self.tasks.plan_no, self.tasks.plan_year

    def written_data(self) -> WorkbookData:
        """The workbook's data after writes through the book: the same tables, parsed again (not read)."""
        from ..io.tables import parse_tables

        return parse_tables(self.data.tables)


def baseline_text(v) -> str:
    """Canonical text of a cell value (dates as ISO), used to detect what a group changed: the hand-out's
    baseline, a returned copy and the master are compared through it.

    >>> [baseline_text(v) for v in (None, 3.0, dt.datetime(2024, 6, 14), dt.date(2024, 6, 14), " Tổ  Toán ")]
    ['', '3', '2024-06-14', '2024-06-14', 'Tổ  Toán']
    """
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return clean_text(str(v))


def require_headers(td: TableData, spec: schema.TableSpec) -> None:
    """Refuse (:class:`WorkbookError`, naming sheet, table and columns) a table that lacks a contract column."""
    missing = [h for h in spec.headers if h not in td.headers and h not in spec.optional]
    if missing:
        raise WorkbookError(f"Trang tính '{spec.sheet}': bảng '{spec.table}' thiếu cột " + ", ".join(missing) + ".")


def master_tasks(td: TableData, settings, occ_td: TableData | None = None) -> MasterTasks:
    """The master's task table (a ``TableData`` from any Book adapter) and plan identity (settings
    ``so_ke_hoach``/``nam_ke_hoach``), as consolidation needs it; ``occ_td`` is its occurrence table
    (``tblLanThucHien``), if any (every write goes through the Book seam)."""
    def table(t: TableData) -> MasterTasks:
        rows = {}
        for i, values in enumerate(t.row_values()):
            vals = dict(zip(t.headers, values))
            tid = baseline_text(vals.get("Mã"))
            if tid:
                rows[tid] = (t.first_row + i, vals)
        return MasterTasks(list(t.headers), t.first_row, rows, str(settings["so_ke_hoach"]).strip(),
                           int(settings["nam_ke_hoach"]))

    mt = table(td)
    if occ_td is not None:
        mt.occurrences = table(occ_td)
    return mt


def read_master(book, name: str) -> Master:
    """The master opened as ``book``, read once (:func:`cchc_xl.engine.load_data`); a missing task table or a
    table that lacks a contract column stops the run (:class:`WorkbookError`; nothing is written)."""
    from ..engine import load_data

    data = load_data(book)
    td = data.tables.get(schema.TASKS.table)
    if td is None:
        raise WorkbookError(f"Sổ tính chính '{name}' không có bảng '{schema.TASKS.table}' ở trang "
                            f"'{schema.TASKS.sheet}'.")
    require_headers(td, schema.TASKS)
    occ_td = data.tables.get(schema.OCCURRENCES.table)
    if occ_td is not None:
        require_headers(occ_td, schema.OCCURRENCES)
    return Master(data, master_tasks(td, data.settings, occ_td), td, occ_td)
