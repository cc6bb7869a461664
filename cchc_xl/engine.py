"""The engine: read the contract tables once, compute everything, write the outputs.

The same functions run headless over a file (:class:`cchc_xl.io.file_book.FileBook`) and
inside Excel over an xlwings book (:class:`cchc_xl.excel.xw_book.XwBook`): the adapter is
the only thing that differs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from . import schema
from .core.calendar import WorkCalendar
from .core.figures import SECTIONS, ReportFigures, build_figures
from .core.indicators import IndicatorResult, evaluate
from .core.narrative import DraftContext, SectionText, draft_sections, resolve
from .core.periods import Period, get_period
from .core.rates import RATE_NAMES, DossierStats
from .core.report_date import ReportDate, resolve_report_date
from .core.tasks import TASK_FLAGS, Task, TaskOutcome, judge_tasks, recurrence
from .core.vocabulary import PeriodKey
from .errors import CchcError
from .io.tables import Problem, TableData, WorkbookData, parse_tables

if TYPE_CHECKING:
    from .report.layout import ReportGrid

__all__ = [
    "Book",
    "RefreshResult",
    "TaskOutcome",
    "load_data",
    "compute",
    "refresh_book",
    "refresh_file",
    "check_file",
    "OUTPUTS_ALL",
    "SECTION_TABLES",
    "redraft_file",
    "stored_result",
    "decide_report_date",
]

Progress = Callable[[float, str], None]

# What a refresh writes; the ribbon can ask for a subset. "report" is the report sheet and its text (the
# narrative table's rows of the period).
OUTPUTS_ALL = frozenset({"tasks", "dossiers", "indicators", "report"})
# The report that follows each one (section IV of the narrative looks ahead to its window's end).
_NEXT_PERIOD = {PeriodKey.Q1: PeriodKey.H1, PeriodKey.H1: PeriodKey.Q3, PeriodKey.Q3: PeriodKey.YEAR,
                PeriodKey.YEAR: None}

# The report sections (core.figures.SECTIONS) each table feeds: a table that cannot be read leaves
# them uncomputed — never reported as zeros. The occurrence table matters only when the plan has
# periodic tasks.
SECTION_TABLES: dict[str, tuple[str, ...]] = {
    schema.TASKS.table: ("tasks",),
    schema.OCCURRENCES.table: ("tasks",),
    schema.DOSSIERS.table: ("dossiers",),
    schema.PROCEDURES.table: ("dossiers", "procedures"),
    schema.HOLIDAYS.table: ("dossiers",),
    schema.INDICATORS.table: ("indicators",),
    schema.SETTINGS.table: SECTIONS,
}


@runtime_checkable
class Book(Protocol):
    """The adapter seam (see docs/ARCHITECTURE.md): every method both engines —
    :class:`cchc_xl.io.file_book.FileBook` and :class:`cchc_xl.excel.xw_book.XwBook` — implement, with the same
    signature (``tests/test_book_seam.py`` checks them against this declaration)."""

    def read_table(self, sheet: str, table: str) -> TableData | None:
        """ONE read of the table (None when the workbook has none); the same object is updated by
        :meth:`write_column`, so what a run wrote is what it computes from next."""
        ...

    def write_column(self, sheet: str, table: str, header: str, values: list) -> None:
        """ONE write of the column ``header`` of the table, from its first data row down."""
        ...

    def write_report(self, grid: ReportGrid) -> None:
        """The report sheet: ONE write of the grid's cells, merges, row heights and page breaks."""
        ...

    def save(self) -> None:
        """Make the writes durable (a file: an atomic save with a backup; Excel: the user saves)."""
        ...

    def sheet_names(self) -> list[str]:
        """Every sheet's name, in workbook order."""
        ...

    def read_log(self) -> list[dict]:
        """Every row of ``Nhật ký`` as ``{header: value}``."""
        ...

    def append_log(self, rows: list[dict]) -> None:
        """Append rows keyed by ``schema.LOG_HEADERS`` to ``Nhật ký`` (one block write)."""
        ...


@dataclass
class RefreshResult:
    """Everything computed in one run; ``figures`` holds every number a report shows;
    ``to_json()`` is the ``--json`` contract."""

    as_of: dt.date
    period: Period
    cut: dt.date
    data: WorkbookData
    figures: ReportFigures
    dossier_flags: dict[str, tuple[dt.date | None, str]]
    task_outcomes: list[TaskOutcome]
    problems: list[Problem] = field(default_factory=list)
    # The report's text per section (core.narrative.SECTION_CODES): staff's text or the engine's draft.
    narrative: dict[str, SectionText] = field(default_factory=dict)
    # The date on the report's place-date line (setting ngay_bao_cao, else the as-of date rolled forward to a
    # working day).
    signed_on: dt.date | None = None
    chosen: ReportDate | None = None  # how the as-of date and the period were chosen (core.report_date)

    @property
    def settings(self):
        return self.data.settings

    @property
    def stats(self) -> DossierStats | None:
        """The dossier statistics, ``None`` when a table they need could not be read."""
        return self.figures.dossiers

    @property
    def indicators(self) -> list[IndicatorResult]:
        return list(self.figures.indicators)

    @property
    def ct2(self) -> float | None:
        return self.figures.ct2

    @property
    def task_counts(self) -> dict[str, int | None]:
        if self.figures.tasks is None:
            return {k: None for k in ("total", *TASK_FLAGS)}
        return dict(self.figures.tasks.counts)

    @property
    def overdue_tasks(self) -> list[TaskOutcome]:
        return self.figures.tasks.overdue if self.figures.tasks else []

    @property
    def unavailable(self) -> dict[str, str]:
        """Sections that could not be computed → why (Vietnamese, naming the table and header)."""
        return self.figures.unavailable

    def to_json(self) -> dict:
        def iso(d):
            return d.isoformat() if d else None

        stats = self.stats
        if stats is None:
            dossiers = {name: None for name in ("carried_over", "received_new", "online_new", "resolved", "early",
                                                "on_time", "late", "pending_not_due", "pending_overdue", "withdrawn",
                                                "direct_new", "post_new", "waiting", "refused_untimed", "digitised")}
            rates = {name: None for name in RATE_NAMES}
        else:
            dossiers = {name: getattr(stats, name) for name in (
                "carried_over", "received_new", "online_new", "resolved", "early", "on_time", "late",
                "pending_not_due", "pending_overdue", "withdrawn", "direct_new", "post_new", "waiting",
                "refused_untimed", "digitised")}
            rates = stats.rates()
        figures = self.figures.to_json()
        if self.figures.tasks is not None:
            figures["tasks"]["unfinished"] = [_task_json(o, iso) for o in self.figures.tasks.unfinished]
        chosen = self.chosen
        return {
            "as_of": iso(self.as_of),
            "period": {"key": self.period.key, "label": self.period.label,
                       "from": iso(self.period.start), "to": iso(self.period.end)},
            # how the rule of core.report_date chose them: flag | setting | today, flag | setting | date
            "as_of_source": chosen.as_of_source if chosen else None,
            "period_source": chosen.period_source if chosen else None,
            "date_note": self.figures.date_note,
            "dossiers": dossiers,
            "rates": rates,
            "dossier_flags": {k: {"due": iso(due), "class": cls} for k, (due, cls) in self.dossier_flags.items()},
            "tasks": self.task_counts,
            "task_flags": {o.task.id: {"due": iso(o.deadline), "flag": o.flag.label}
                           for o in self.task_outcomes},
            # every occurrence of every periodic task (issue #15): CT2 counts each one as a unit of work
            "occurrence_flags": {o.task.id: [{"label": occ.occurrence.label, "due": iso(occ.deadline),
                                              "flag": occ.flag.label} for occ in o.occurrences]
                                 for o in self.task_outcomes if o.periodic},
            "overdue_tasks": [_task_json(o, iso) for o in self.overdue_tasks],
            "indicators": [{"code": r.code, "actual": r.actual if not isinstance(r.actual, dt.date)
                            else iso(r.actual), "op": r.op, "threshold": r.threshold, "status": r.status}
                           for r in self.indicators],
            "problems": [p.to_dict() for p in self.problems],
            "unavailable": dict(self.unavailable),
            "figures": figures,
            "narrative": {code: {"source": t.source, "text": t.text, "stale": t.stale}
                          for code, t in self.narrative.items()},
            "signed_on": iso(self.signed_on),
        }


def _task_json(o: TaskOutcome, iso) -> dict:
    return {"id": o.task.id, "group": o.task.group, "owner": o.task.owner, "due": iso(o.deadline)}


def load_data(book: Book) -> WorkbookData:
    """Read the contract tables from ``book`` (one read each) and convert them."""
    _import_ahead()
    return parse_tables({spec.table: book.read_table(spec.sheet, spec.table) for spec in schema.TABLES})


def _import_ahead() -> None:
    """Import what the computation needs and reading does not — numpy (the dossier columns), holidays' Vietnam
    rules — on a second thread while the tables are read: python-calamine and zlib work without the GIL, so
    a command starts ~20 ms sooner. Whatever fails here fails again, and is reported, where it is used."""
    import sys

    if "cchc_xl.io.dossier_table" in sys.modules and "holidays" in sys.modules:
        return

    def run():
        try:
            from .core.calendar import vietnam_rules
            from .io import dossier_table  # noqa: F401 - imports numpy

            vietnam_rules()
        except BaseException:  # noqa: BLE001
            pass

    import threading

    threading.Thread(target=run, name="cchc-xl-import-ahead").start()


def _unavailable(data: WorkbookData, periodic: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for table, why in data.unreadable.items():
        if table == schema.OCCURRENCES.table and not periodic:
            continue
        for section in SECTION_TABLES.get(table, ()):
            out[section] = (out[section] + "; " + why) if section in out else why
    return out


_NOTE_SPECS = {"task": schema.TASKS, "occurrence": schema.OCCURRENCES}


def decide_report_date(data: WorkbookData, *, as_of: dt.date | None = None, period: str | None = None,
                       today: dt.date | None = None) -> ReportDate:
    """The run's one decision of its as-of date and period (:func:`cchc_xl.core.report_date.resolve_report_date`
    over the workbook's settings); a setting the rule cannot use is a :class:`CchcError`."""
    from .clock import today as system_today

    settings = data.settings
    clock = (lambda: today) if today is not None else system_today
    try:
        return resolve_report_date(int(settings["nam_ke_hoach"]), as_of=as_of, period=period,
                                   setting_as_of=settings["ngay_tinh_den"],
                                   setting_period=settings["ky_bao_cao"] or None, windows=settings.windows(),
                                   today=clock)
    except ValueError as exc:
        raise CchcError(str(exc)) from None


def compute(data: WorkbookData, *, as_of: dt.date | None = None, period: str | None = None,
            today: dt.date | None = None, date_note: str = "", redraft: Collection[str] = (),
            chosen: ReportDate | None = None) -> RefreshResult:
    """Compute flags, statistics, indicators — the report's figures — for ``period`` as of ``as_of``.

    The as-of date and the period follow the one rule of :func:`cchc_xl.core.report_date.resolve_report_date`:
    ``as_of``/``period`` when given, else the ``ngay_tinh_den``/``ky_bao_cao`` settings when filled, else
    today (``today``, default :func:`cchc_xl.clock.today`) and the period whose window contains it. A
    date after the plan year gives the plan year's annual report with a note (``figures.date_note``);
    ``date_note`` adds a note of the caller's (the build: the sample date). Classification happens at
    ``cut = min(as_of, period end)``: a report asked for before its window closes counts what is known on
    the as-of date. ``redraft``: narrative sections (codes of :data:`cchc_xl.core.narrative.SECTION_CODES`)
    whose text is replaced by a fresh draft even when staff edited it (the edited text is kept in 'Bản trước').
    ``chosen``: the date and period already decided by the caller (:func:`decide_report_date`), instead of
    ``as_of``/``period``/``today``.
    """
    from .clock import today as system_today

    settings = data.settings
    problems = list(data.problems)
    clock = (lambda: today) if today is not None else system_today
    year = int(settings["nam_ke_hoach"])
    windows = settings.windows()
    if chosen is None:
        chosen = decide_report_date(data, as_of=as_of, period=period, today=today)
    as_of, the_period = chosen.as_of, chosen.period
    cut = min(as_of, the_period.end)
    cal = WorkCalendar(data.overrides)

    # Tasks, and the occurrences of periodic ones.
    periodic_default = str(settings["tan_suat_dinh_ky"])
    periodic = any(t.deadline is None and recurrence(t.timeframe, periodic_default) for t in data.tasks)
    outcomes, notes = judge_tasks(
        _named_tasks(data, problems), data.occurrences, plan_year=year, as_of=as_of, cal=cal,
        due_soon_days=int(settings["so_ngay_sap_den_han"]), windows=windows,
        occurrence_rule=str(settings["han_lan_dinh_ky"]), periodic_default=periodic_default,
        umbrella=schema.TASK_LINK_UMBRELLA,
        occurrences_known=schema.OCCURRENCES.table in data.tables)
    for kind, record, column, message in notes:
        problems.append(Problem(_NOTE_SPECS[kind].sheet, record.row, column, message))
    if periodic and schema.OCCURRENCES.table not in data.tables:
        problems.append(Problem(schema.OCCURRENCES.sheet, None, None,
                                f"không tìm thấy trang tính hoặc bảng '{schema.OCCURRENCES.table}' các lần thực "
                                "hiện nhiệm vụ định kỳ (bị xóa hay đổi tên?)"))
    latest = max(as_of, clock())
    for record, sheet in [(t, schema.TASKS.sheet) for t in data.tasks] + \
                         [(o, schema.OCCURRENCES.sheet) for o in data.occurrences]:
        if record.done_date and record.done_date > latest:
            problems.append(Problem(sheet, record.row, "Ngày hoàn thành",
                                    f"ngày hoàn thành {record.done_date:%d/%m/%Y} ở tương lai"))

    # Dossiers. Membership uses the cut too: what was received after the as-of date is not known yet.
    refused_timed = bool(settings["tinh_han_ho_so_tu_choi"])
    measure = str(settings["cach_tinh_hai_long"])
    window = dataclasses.replace(the_period, end=cut)
    # core.rates.dossier_stats over columns (numpy): the same statistics, tested equal to it
    from .core.dossier_columns import column_stats

    stats = column_stats(data.dossiers, data.procedures, window, cut, cal, refused_timed, measure,
                         restart=bool(settings["tinh_lai_han_khi_du_ho_so"]),
                         roll=bool(settings["nhan_ngay_nghi_tinh_ngay_lam_viec_sau"]))

    unavailable = _unavailable(data, periodic)
    figures = build_figures(the_period, as_of, outcomes, stats, (), cut=cut, unavailable=unavailable,
                            sample_note=str(settings["du_lieu_mau"] or ""),
                            date_note=" ".join(n for n in (chosen.note, date_note.strip()) if n))
    final = figures.year_end or not settings["chua_dat_truoc_cuoi_nam"]
    indicators = evaluate(data.indicators, figures.dossiers, figures.ct2, data.procedures, measure, final=final,
                          unavailable=unavailable)
    figures = dataclasses.replace(figures, indicators=tuple(indicators))
    # Every dossier's class on the sheet is the one the report counts ('Ngoài kỳ báo cáo' outside it).
    flags = dict(stats.per_dossier) if figures.dossiers is not None else {}
    narrative = _narrative(data, figures, year, windows, redraft, problems)
    signed_on = settings["ngay_bao_cao"] or cal.roll_forward(as_of)
    return RefreshResult(as_of=as_of, period=the_period, cut=cut, data=data, figures=figures,
                         dossier_flags=flags, task_outcomes=outcomes, problems=problems, narrative=narrative,
                         signed_on=signed_on, chosen=chosen)


SHORT_NAME = "Tên ngắn"


def _named_tasks(data: WorkbookData, problems: list[Problem]) -> list[Task]:
    """The tasks with their ``Tên ngắn`` (issue #15: how the report's sentences name a task), read from the task
    table — a column the reader of records does not know, optional (an older workbook has none: the report then
    drafts every name, core.shortname). A formula or an error in the column is reported, as any cell's."""
    td = data.tables.get(schema.TASKS.table)
    if td is None or schema.TASKS.table in data.unreadable:
        return data.tasks
    from .io.table_rows import Rows

    found: list[Problem] = []
    rows = Rows(td, schema.TASKS, found)
    if SHORT_NAME not in rows.index:
        return data.tasks
    names = {r: rows.text(r, rec, SHORT_NAME) for r, rec in rows}
    problems.extend(p for p in found if p.column == SHORT_NAME)
    return [dataclasses.replace(t, short_name=names.get(t.row, "")) if names.get(t.row) else t for t in data.tasks]


def stored_result(data: WorkbookData, record) -> RefreshResult:
    """The result of the report stored in the workbook (a :class:`cchc_xl.report.record.ReportRecord`):
    ``data`` computed as of the record's date for its period — the same figures, and the same note, as the
    report in the workbook. One decision of the date and period: the rule's, when it gives the record's period
    (its note included), else the record's period as a run given it would have it (no note)."""
    chosen = None
    try:
        chosen = decide_report_date(data, as_of=record.as_of)
    except CchcError:
        pass
    if chosen is None or chosen.period.key != record.period:
        s = data.settings
        try:
            the_period = get_period(record.period, int(s["nam_ke_hoach"]), s.windows())
        except ValueError as exc:
            raise CchcError(str(exc)) from None
        chosen = ReportDate(record.as_of, "flag", the_period, "flag")
    return compute(data, chosen=chosen)


def _narrative(data: WorkbookData, figures: ReportFigures, year: int, windows, redraft: Collection[str],
               problems: list[Problem]) -> dict[str, SectionText]:
    """Drafts for the report of ``figures`` and, per section, the text the report prints (core.narrative)."""
    settings = data.settings
    following = _NEXT_PERIOD.get(figures.period.key)
    nxt = get_period(following, year, windows) if following else None
    ctx = DraftContext(school=str(settings["ten_truong_ngan"]), plan_number=str(settings["so_ke_hoach"]),
                       plan_date=settings["ngay_ke_hoach"], plan_year=year,
                       superior=str(settings["co_quan_nhan_bao_cao"]), next_end=nxt.end if nxt else None,
                       superior_plan=str(settings["ke_hoach_cap_tren"] or ""),
                       request=str(settings["van_ban_yeu_cau_bao_cao"] or ""),
                       proposals=tuple(str(settings["de_xuat_kien_nghi"] or "").splitlines()),
                       satisfaction_measure=str(settings["cach_tinh_hai_long"]))
    drafts = draft_sections(figures, ctx)
    unknown = set(redraft) - set(drafts)
    if unknown:
        raise CchcError("Không có mục " + ", ".join(f"'{c}'" for c in sorted(unknown)) + " trong báo cáo; các mục: "
                        + ", ".join(schema.NARRATIVE_SECTIONS) + ".")
    entries = [e for e in data.narrative if e.period == figures.period.label]
    readable = schema.NARRATIVE.table in data.tables and schema.NARRATIVE.table not in data.unreadable
    if redraft and not readable:
        why = data.unreadable.get(schema.NARRATIVE.table) or "không tìm thấy bảng"
        raise CchcError(f"Không soạn lại được nội dung báo cáo: trang '{schema.NARRATIVE.sheet}' ({why}).")
    if redraft and not entries:
        raise CchcError(f"Không soạn lại được nội dung báo cáo: trang '{schema.NARRATIVE.sheet}' chưa có dòng nào của "
                        f"kỳ '{figures.period.label}'.")
    if readable and not entries:
        problems.append(Problem(schema.NARRATIVE.sheet, None, "Kỳ báo cáo",
                                f"chưa có dòng nào của kỳ '{figures.period.label}'; báo cáo in bản nháp tự động "
                                "(thêm các dòng của kỳ này để viết nội dung báo cáo)"))
    return resolve(entries, drafts, redraft=redraft)


def _column_values(td: TableData, rows: list[int], values: list) -> list:
    """Align computed values with every data row of the table (blank/skipped rows get None)."""
    if len(rows) == td.n_rows and (not rows or (rows[0] == td.first_row and rows[-1] == td.first_row + len(rows) - 1)):
        return list(values)         # every row read (rows ascend, one per data row): already aligned
    by_row = dict(zip(rows, values))
    return [by_row.get(td.first_row + i) for i in range(td.n_rows)]


def write_outputs(book: Book, result: RefreshResult, outputs=OUTPUTS_ALL) -> None:
    """Write the computed columns, indicator results and report through ``book``.

    A computed column whose table could not be read is left as it is (never overwritten with blanks).
    """
    from .report.layout import build_report_grid
    from .report.record import add_record

    data = result.data
    readable = [t for t in data.tables if t not in data.unreadable]
    if "tasks" in outputs and schema.TASKS.table in readable:
        td = data.tables[schema.TASKS.table]
        labels = [o.flag.label for o in result.task_outcomes]
        book.write_column(schema.TASKS.sheet, schema.TASKS.table, "Tình trạng hạn",
                          _column_values(td, data.task_rows, labels))
    if "tasks" in outputs and schema.OCCURRENCES.table in readable:
        td = data.tables[schema.OCCURRENCES.table]
        by_id = {occ.occurrence.id: occ.flag for o in result.task_outcomes for occ in o.occurrences}
        labels = [by_id[occ.id].label if occ.id in by_id else None for occ in data.occurrences]
        book.write_column(schema.OCCURRENCES.sheet, schema.OCCURRENCES.table, "Tình trạng hạn",
                          _column_values(td, data.occurrence_rows, labels))
    if "dossiers" in outputs and schema.DOSSIERS.table in readable and result.dossier_flags:
        td = data.tables[schema.DOSSIERS.table]
        ids = getattr(data.dossiers, "ids", None)       # DossierColumns: without making the records
        flags = result.dossier_flags
        pairs = [flags[i] for i in (ids.tolist() if ids is not None else [d.id for d in data.dossiers])]
        label = schema.DOSSIER_CLASS
        dues = [due for due, _ in pairs]
        classes = [label[cls] for _, cls in pairs]
        book.write_column(schema.DOSSIERS.sheet, schema.DOSSIERS.table, "Hạn trả",
                          _column_values(td, data.dossier_rows, dues))
        book.write_column(schema.DOSSIERS.sheet, schema.DOSSIERS.table, "Phân loại",
                          _column_values(td, data.dossier_rows, classes))
    if "indicators" in outputs and schema.INDICATORS.table in readable:
        td = data.tables[schema.INDICATORS.table]
        actual = [r.actual for r in result.indicators]
        status = [str(r.status) for r in result.indicators]       # the word, as a plain text
        book.write_column(schema.INDICATORS.sheet, schema.INDICATORS.table, "Kết quả",
                          _column_values(td, data.indicator_rows, actual))
        book.write_column(schema.INDICATORS.sheet, schema.INDICATORS.table, "Đánh giá",
                          _column_values(td, data.indicator_rows, status))
    if "report" in outputs:  # the report keeps a record of its period, as-of date and data (report.record)
        _write_narrative(book, result)
        book.write_report(add_record(build_report_grid(result), result))
        package = getattr(book, "package", None)  # a file: what another program's save dropped comes back
        if package is not None:
            from .report.repair import restore_report_frame

            restore_report_frame(package)


def _write_narrative(book: Book, result: RefreshResult) -> None:
    """The period's rows of the narrative table: the new drafts (text, source, fingerprint, replaced text) and,
    beside a person's text, its mark and whether it needs another look (``Nguồn``); a text a person wrote is never
    written, nor is any other row. ``result.data.narrative`` then holds what the sheet holds, so the report's
    record (report.record) fingerprints the sheet as it is after the refresh."""
    data = result.data
    spec = schema.NARRATIVE
    if spec.table not in data.tables or spec.table in data.unreadable:
        return
    td = data.tables[spec.table]
    index = {str(h).strip(): i for i, h in enumerate(td.headers)}
    by_row = {t.row: t for t in result.narrative.values() if t.row is not None}
    source = {"Nguồn": lambda t: schema.NARRATIVE_SOURCE["stale" if t.stale else t.source]}
    mark = {"Mã bản nháp": lambda t: t.fingerprint or None}
    draft = {"Nội dung": lambda t: t.text or None, "Bản trước": lambda t: t.previous or None}
    rows = td.row_values()
    for columns, when in ((draft, lambda t: t.write and t.source != "person"), (mark, lambda t: t.write),
                          (source, lambda t: True)):
        for header, value_of in columns.items():
            j = index[header]
            current = [row[j] if j < len(row) else None for row in rows]
            new = list(current)
            for i in range(len(rows)):
                t = by_row.get(td.first_row + i)
                if t is not None and when(t):
                    new[i] = value_of(t)
            if new != current:
                book.write_column(spec.sheet, spec.table, header, new)
    written = {t.row: t for t in by_row.values() if t.write}
    data.narrative = [dataclasses.replace(e, text=t.text, fingerprint=t.fingerprint, previous=t.previous or "")
                      if (t := written.get(e.row)) is not None else e for e in data.narrative]


def refresh_book(book: Book, *, as_of: dt.date | None = None, period: str | None = None,
                 progress: Progress | None = None, outputs=OUTPUTS_ALL, today: dt.date | None = None,
                 save: bool = True, redraft: Collection[str] = (), data: WorkbookData | None = None) -> RefreshResult:
    """Read, compute and write through any :class:`Book` adapter (``redraft``: see :func:`compute`); ``data``:
    what the caller already read from ``book`` (nothing is read again)."""
    step = progress or (lambda fraction, message: None)
    step(0.05, "Đang đọc dữ liệu…")
    if data is None:
        data = load_data(book)
    step(0.40, "Đang tính toán…")
    result = compute(data, as_of=as_of, period=period, today=today, redraft=redraft)
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


def redraft_file(path: str | Path, sections: Collection[str] = (), *, as_of: dt.date | None = None,
                 period: str | None = None, out: str | Path | None = None, backup: bool = True,
                 today: dt.date | None = None) -> RefreshResult:
    """Write a fresh draft into the narrative ``sections`` of the period (every section when empty), even
    where staff edited the text (kept in 'Bản trước'), then lay the report out again; nothing else is
    written."""
    from .core.narrative import SECTION_CODES
    from .io.file_book import FileBook

    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    with FileBook.for_update(path, out=out, backup=backup) as book:  # one writer at a time
        return refresh_book(book, as_of=as_of, period=period, today=today, outputs=frozenset({"report"}),
                            redraft=tuple(sections) or SECTION_CODES)


def check_file(path: str | Path, *, as_of: dt.date | None = None) -> list[Problem]:
    """Every data problem of the workbook at ``path`` (nothing is written)."""
    from .io.file_book import FileBook

    book = FileBook.open(path)
    return compute(load_data(book), as_of=as_of).problems
