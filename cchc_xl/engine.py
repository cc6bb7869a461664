"""The engine: read the six tables once, compute everything, write the outputs.

The same functions run headless over a file (:class:`cchc_xl.io.file_book.FileBook`) and
inside Excel over an xlwings book (:class:`cchc_xl.excel.xw_book.XwBook`): the adapter is
the only thing that differs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from . import schema
from .core import vnformat
from .core.calendar import WorkCalendar
from .core.dossiers import classify
from .core.indicators import IndicatorResult, evaluate
from .core.periods import Period, get_period, period_for
from .core.rates import DossierStats, dossier_stats
from .core.tasks import ct2_rate, flag_task, parse_deadline, task_summary
from .errors import CchcError
from .io.tables import Problem, TableData, WorkbookData, parse_tables

__all__ = [
    "Book",
    "RefreshResult",
    "load_data",
    "compute",
    "refresh_book",
    "refresh_file",
    "check_file",
    "OUTPUTS_ALL",
]

Progress = Callable[[float, str], None]

# What a refresh writes; the ribbon can ask for a subset.
OUTPUTS_ALL = frozenset({"tasks", "dossiers", "indicators", "report"})


class Book(Protocol):
    """The adapter seam (see docs/ARCHITECTURE.md)."""

    def read_table(self, sheet: str, table: str) -> TableData | None: ...

    def write_column(self, sheet: str, table: str, header: str, values: list) -> None: ...

    def write_report(self, grid) -> None: ...

    def save(self) -> None: ...


@dataclass
class TaskOutcome:
    task: object
    deadline: dt.date | None
    flag: str  # schema.TASK_FLAG key


@dataclass
class RefreshResult:
    """Everything computed in one run; ``to_json()`` is the ``--json`` contract."""

    as_of: dt.date
    period: Period
    cut: dt.date
    data: WorkbookData
    stats: DossierStats
    dossier_flags: dict[str, tuple[dt.date | None, str]]
    task_outcomes: list[TaskOutcome]
    ct2: float | None
    indicators: list[IndicatorResult]
    problems: list[Problem] = field(default_factory=list)

    @property
    def settings(self):
        return self.data.settings

    @property
    def task_counts(self) -> dict[str, int]:
        return task_summary(o.flag for o in self.task_outcomes)

    @property
    def overdue_tasks(self) -> list[TaskOutcome]:
        return [o for o in self.task_outcomes if o.flag == "overdue"]

    def to_json(self) -> dict:
        def iso(d):
            return d.isoformat() if d else None

        stats = self.stats
        return {
            "as_of": iso(self.as_of),
            "period": {"key": self.period.key, "label": self.period.label,
                       "from": iso(self.period.start), "to": iso(self.period.end)},
            "dossiers": {
                "carried_over": stats.carried_over, "received_new": stats.received_new,
                "online_new": stats.online_new, "resolved": stats.resolved, "early": stats.early,
                "on_time": stats.on_time, "late": stats.late, "pending_not_due": stats.pending_not_due,
                "pending_overdue": stats.pending_overdue, "withdrawn": stats.withdrawn,
                "direct_new": stats.direct_new, "post_new": stats.post_new, "waiting": stats.waiting,
                "refused_untimed": stats.refused_untimed, "digitised": stats.digitised,
            },
            "rates": stats.rates(),
            "dossier_flags": {k: {"due": iso(due), "class": cls} for k, (due, cls) in self.dossier_flags.items()},
            "tasks": self.task_counts,
            "task_flags": {o.task.id: {"due": iso(o.deadline), "flag": schema.TASK_FLAG[o.flag]}
                           for o in self.task_outcomes},
            "overdue_tasks": [{"id": o.task.id, "group": o.task.group, "owner": o.task.owner,
                               "due": iso(o.deadline)} for o in self.overdue_tasks],
            "indicators": [{"code": r.code, "actual": r.actual if not isinstance(r.actual, dt.date)
                            else iso(r.actual), "op": r.op, "threshold": r.threshold, "status": r.status}
                           for r in self.indicators],
            "problems": [p.to_dict() for p in self.problems],
        }


def load_data(book: Book) -> WorkbookData:
    """Read the six contract tables from ``book`` (one read each) and convert them."""
    return parse_tables({spec.table: book.read_table(spec.sheet, spec.table) for spec in schema.TABLES})


def _resolve_as_of(data: WorkbookData, as_of: dt.date | None, today: dt.date | None) -> dt.date:
    if as_of is not None:
        return as_of
    configured = data.settings["ngay_tinh_den"]
    if isinstance(configured, dt.date):
        return configured
    return today or dt.date.today()


def compute(data: WorkbookData, *, as_of: dt.date | None = None, period: str | None = None,
            today: dt.date | None = None) -> RefreshResult:
    """Compute flags, statistics, indicators for ``period`` as of ``as_of``.

    ``as_of`` defaults to the ``ngay_tinh_den`` setting, then today. ``period`` defaults to
    the ``ky_bao_cao`` setting, then the shortest default window that contains ``as_of``.
    Classification happens at ``cut = min(as_of, period end)``: a report asked for before its
    window closes counts what is known on the as-of date.
    """
    settings = data.settings
    problems = list(data.problems)
    as_of = _resolve_as_of(data, as_of, today)
    year = int(settings["nam_ke_hoach"])
    windows = settings.windows()
    key = period or settings["ky_bao_cao"] or None
    try:
        the_period = get_period(key, year, windows) if key else period_for(as_of, year, windows)
    except ValueError as exc:
        raise CchcError(str(exc)) from None
    cut = min(as_of, the_period.end)
    cal = WorkCalendar(data.overrides)

    # Tasks: deadline from the date column, else parsed from the free text.
    outcomes: list[TaskOutcome] = []
    deadlines: dict[str, dt.date | None] = {}
    for task in data.tasks:
        deadline = task.deadline or parse_deadline(task.timeframe, year, as_of)
        if task.deadline is None and deadline is None and task.status != "cancelled":
            problems.append(Problem(schema.TASKS.sheet, task.row, "Thời gian thực hiện/hoàn thành",
                                    f"không xác định được hạn từ '{task.timeframe or '(trống)'}'; hãy nhập "
                                    "'Hạn hoàn thành' (dd/mm/yyyy)"))
        if task.done_date and task.done_date > as_of:
            problems.append(Problem(schema.TASKS.sheet, task.row, "Ngày hoàn thành",
                                    f"ngày hoàn thành {task.done_date:%d/%m/%Y} ở sau ngày tính đến "
                                    f"{as_of:%d/%m/%Y}"))
        deadlines[task.id] = deadline
        flag = flag_task(task, deadline, as_of, cal, int(settings["so_ngay_sap_den_han"]))
        outcomes.append(TaskOutcome(task, deadline, flag))
    ct2 = ct2_rate(data.tasks, deadlines, as_of)

    # Dossiers.
    refused_timed = bool(settings["tinh_han_ho_so_tu_choi"])
    measure = str(settings["cach_tinh_hai_long"])
    # Membership uses the cut too: what was received after the as-of date is not known yet.
    window = dataclasses.replace(the_period, end=cut)
    stats = dossier_stats(data.dossiers, data.procedures, window, cut, cal, refused_timed, measure)
    flags: dict[str, tuple[dt.date | None, str]] = {}
    for d in data.dossiers:  # ids are unique here: the table parser drops repeated ones
        due = stats.per_dossier[d.id][0]
        if d.received.date() > cut:  # not yet received on the classification date
            flags[d.id] = (due, "out_of_period")
        else:
            flags[d.id] = (due, classify(d, due, cut, refused_timed))

    indicators = evaluate(data.indicators, stats, ct2, data.procedures, measure)
    return RefreshResult(as_of=as_of, period=the_period, cut=cut, data=data, stats=stats,
                         dossier_flags=flags, task_outcomes=outcomes, ct2=ct2, indicators=indicators,
                         problems=problems)


def _column_values(td: TableData, rows: list[int], values: list) -> list:
    """Align computed values with every data row of the table (blank/skipped rows get None)."""
    by_row = dict(zip(rows, values))
    return [by_row.get(td.first_row + i) for i in range(td.n_rows)]


def write_outputs(book: Book, result: RefreshResult, outputs=OUTPUTS_ALL) -> None:
    """Write the computed columns, indicator results and report through ``book``."""
    from .report_layout import build_report_grid

    data = result.data
    if "tasks" in outputs and schema.TASKS.table in data.tables:
        td = data.tables[schema.TASKS.table]
        if "Tình trạng hạn" in td.headers:
            labels = [schema.TASK_FLAG[o.flag] for o in result.task_outcomes]
            book.write_column(schema.TASKS.sheet, schema.TASKS.table, "Tình trạng hạn",
                              _column_values(td, data.task_rows, labels))
    if "dossiers" in outputs and schema.DOSSIERS.table in data.tables:
        td = data.tables[schema.DOSSIERS.table]
        dues = [result.dossier_flags[d.id][0] for d in data.dossiers]
        classes = [schema.DOSSIER_CLASS[result.dossier_flags[d.id][1]] for d in data.dossiers]
        if "Hạn trả" in td.headers:
            book.write_column(schema.DOSSIERS.sheet, schema.DOSSIERS.table, "Hạn trả",
                              _column_values(td, data.dossier_rows, dues))
        if "Phân loại" in td.headers:
            book.write_column(schema.DOSSIERS.sheet, schema.DOSSIERS.table, "Phân loại",
                              _column_values(td, data.dossier_rows, classes))
    if "indicators" in outputs and schema.INDICATORS.table in data.tables:
        td = data.tables[schema.INDICATORS.table]
        actual = [r.actual for r in result.indicators]
        status = [r.status for r in result.indicators]
        book.write_column(schema.INDICATORS.sheet, schema.INDICATORS.table, "Kết quả",
                          _column_values(td, data.indicator_rows, actual))
        book.write_column(schema.INDICATORS.sheet, schema.INDICATORS.table, "Đánh giá",
                          _column_values(td, data.indicator_rows, status))
    if "report" in outputs:
        book.write_report(build_report_grid(result))


def refresh_book(book: Book, *, as_of: dt.date | None = None, period: str | None = None,
                 progress: Progress | None = None, outputs=OUTPUTS_ALL, today: dt.date | None = None,
                 save: bool = True) -> RefreshResult:
    """Read, compute and write through any :class:`Book` adapter."""
    step = progress or (lambda fraction, message: None)
    step(0.05, "Đang đọc dữ liệu…")
    data = load_data(book)
    step(0.40, "Đang tính toán…")
    result = compute(data, as_of=as_of, period=period, today=today)
    step(0.70, "Đang ghi kết quả…")
    write_outputs(book, result, outputs)
    if save:
        step(0.90, "Đang lưu…")
        book.save()
    step(1.0, "Xong.")
    return result


def refresh_file(path: str | Path, *, as_of: dt.date | None = None, period: str | None = None,
                 out: str | Path | None = None, backup: bool = True, progress: Progress | None = None,
                 today: dt.date | None = None) -> RefreshResult:
    """Refresh a workbook file headlessly: in place (with a backup) or into ``out``."""
    from .io.file_book import FileBook

    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    with FileBook.for_update(path, out=out, backup=backup) as book:  # one writer at a time
        return refresh_book(book, as_of=as_of, period=period, progress=progress, today=today)


def check_file(path: str | Path, *, as_of: dt.date | None = None) -> list[Problem]:
    """Every data problem of the workbook at ``path`` (nothing is written)."""
    from .io.file_book import FileBook

    book = FileBook.open(path)
    return compute(load_data(book), as_of=as_of).problems
