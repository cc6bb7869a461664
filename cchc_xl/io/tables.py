"""Table rows → typed domain records, with every data problem named by sheet, row and column.

No I/O here: an adapter (file or xlwings) hands over :class:`TableData`; this module
validates it against the contract in :mod:`cchc_xl.schema` and converts it. A bad cell
never stops the run: it becomes a :class:`Problem` and the rest is still processed.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import schema
from ..core.dossiers import Dossier, Procedure
from ..core.indicators import IndicatorRow
from ..core.narrative import NarrativeEntry, normalize
from ..core.settings import Settings, parse_settings
from ..core.tasks import Occurrence, Task, completion_problems
from ..core.text import clean_text

__all__ = [
    "Cell",
    "TableData",
    "Problem",
    "WorkbookData",
    "parse_tables",
]


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


class _Record(dict):
    """One row of a table: header → value. ``cells`` maps the headers whose cell holds a formula or an error,
    or lies in a merged range, to that :class:`Cell` (None when the row has none): read through
    :class:`_Rows`' methods, which report those cells."""

    __slots__ = ("cells",)


class _Rows:
    """Iterate a table's non-blank rows as :class:`_Record` (header → value), collecting problems."""

    def __init__(self, td: TableData, spec: schema.TableSpec, problems: list[Problem]):
        self.td, self.spec, self.problems = td, spec, problems
        self.index = {clean_text(str(h), single_line=True): i for i, h in enumerate(td.headers) if h is not None}
        self.ok = True
        for header in spec.headers:
            if header not in self.index and header not in spec.optional:
                self.ok = False
                self.add(None, header, "thiếu cột tiêu đề (đã bị đổi tên hoặc xóa?); "
                                       f"bảng '{spec.table}' không được xử lý")

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.spec.sheet, row, column, message))

    def __iter__(self):
        return self.select()

    def select(self, indices=None):
        """The rows as iterating gives them, only those at ``indices`` (0-based, ascending) when given."""
        if not self.ok:
            return
        items = list(self.index.items())
        if not items:
            return
        headers = [h for h, _ in items]
        width = max(j for _, j in items) + 1
        pick = operator.itemgetter(*[j for _, j in items]) if len(items) > 1 else \
            (lambda vals, j=items[0][1]: (vals[j],))
        names = {j: h for h, j in items}
        special: dict[int, dict[str, Cell]] = {}
        for (i, j), cell in self.td.cell_marks().items():
            if j in names:
                special.setdefault(i, {})[names[j]] = cell
        first_row = self.td.first_row
        last_filled = self.td.last_filled()     # a blank row before it is in the middle of the table
        values = self.td.row_values()
        for i, vals in enumerate(values) if indices is None else ((i, values[i]) for i in indices):
            row = first_row + i
            if len(vals) < width:
                vals = list(vals) + [None] * (width - len(vals))
            record = _Record(zip(headers, pick(vals)))
            if all(v is None or (v.__class__ is str and not v.strip()) for v in record.values()):
                if i < last_filled:
                    self.add(row, None, "dòng trống ở giữa bảng; đã bỏ qua")
                continue
            cells = record.cells = special.get(i)
            if cells:
                for header in headers:
                    cell = cells.get(header)
                    if cell is not None and cell.merged:
                        self.add(row, header, "ô bị gộp (merge); hãy bỏ gộp ô trong bảng dữ liệu")
            yield row, record

    def key(self, row: int, record: dict, what: str, seen: set[str]) -> str | None:
        """The row's key (the spec's ``key`` column), or None with a problem when blank or repeated."""
        header = self.spec.key
        key = self.text(row, record, header)
        if not key:
            self.add(row, header, f"chưa nhập mã {what}")
            return None
        if key in seen:
            self.add(row, header, f"mã {what} '{key}' bị lặp; dòng này bị bỏ qua")
            return None
        seen.add(key)
        return key

    def value(self, row: int, record: dict, header: str) -> object:
        """The cell's value, or None with a problem for error values; merged cells are reported."""
        cells = record.cells
        cell = cells.get(header) if cells else None
        if cell is None:
            value = record[header]
        else:
            if cell.error:
                self.add(row, header, f"ô có giá trị lỗi {cell.error}; đã coi là trống")
                return None
            if cell.formula and header not in self.spec.computed:
                self.add(row, header, "ô chứa công thức; hãy nhập giá trị trực tiếp (đã dùng giá trị đang hiển thị)")
            value = cell.value
        if isinstance(value, str):
            value = clean_text(value)       # NFC, no zero-width characters, no surrounding spaces
            if not value:
                return None
        return value

    def text(self, row, record, header) -> str:
        value = record[header]
        if value.__class__ is str and not (record.cells and header in record.cells):   # the common case
            return _clean_text(value)
        value = self.value(row, record, header)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, (dt.datetime, dt.date)):
            return value.strftime("%d/%m/%Y")
        return _clean_text(value if value.__class__ is str else str(value))

    def date(self, row, record, header, with_time: bool = False):
        value = self.value(row, record, header)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value if with_time else value.date()
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time()) if with_time else value
        kind = "số" if isinstance(value, (int, float)) and not isinstance(value, bool) else "văn bản"
        self.add(row, header, f"'{_short(value)}' là {kind}, không phải ngày; hãy nhập ngày dạng dd/mm/yyyy")
        return None

    def enum(self, row, record, header, mapping: dict, required: bool = False, default=None):
        value = self.text(row, record, header)
        if not value:
            if required:
                self.add(row, header, "chưa nhập giá trị (bắt buộc)")
            return default
        if value in mapping:
            return mapping[value]
        choices = ", ".join(mapping)
        self.add(row, header, f"giá trị '{_short(value)}' không hợp lệ; chỉ nhận: {choices}")
        return default

    def number(self, row, record, header):
        value = self.value(row, record, header)
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).replace("%", "").replace(",", ".").strip()
        try:
            number = float(text)
        except ValueError:
            return value  # text such as "Duy trì thứ hạng": the caller decides
        return number / 100 if "%" in str(value) else number


def _check_readable(data: WorkbookData, rows: _Rows) -> bool:
    """Record in ``data.unreadable`` a table whose contract headers are missing; True when readable."""
    if rows.ok:
        return True
    spec = rows.spec
    missing = [h for h in spec.headers if h not in rows.index and h not in spec.optional]
    data.unreadable[spec.table] = (f"bảng '{spec.table}' (trang '{spec.sheet}') thiếu cột "
                                   + ", ".join(f"'{h}'" for h in missing) + " (đã bị đổi tên hoặc xóa?)")
    return False


def _short(value: object, limit: int = 40) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


_TASK_ID = re.compile(r"^(\d+)\.(\S+)$")
_WS = re.compile(r"\s+")


def _clean_text(value: str) -> str:
    """A text as the tables read it: :func:`cchc_xl.core.text.clean_text` (NFC, no zero-width characters, no
    surrounding whitespace incl. NBSP) with every run of whitespace one space. The one cleaning of text cells:
    :meth:`_Rows.text` and the dossier columns (:mod:`.dossier_table`) both call it.

    >>> _clean_text("  Trực\u00a0tuyến \n")
    'Trực tuyến'
    >>> _clean_text("Hoa\u0300n tha\u0300nh\u200b") == "Hoàn thành"
    True
    """
    if not value.isascii():
        value = clean_text(value)
    value = value.strip()
    # every \s character but the ASCII space is non-printable: printable text without double
    # spaces is already normalised (skips a regex call per cell)
    if "  " in value or not value.isprintable():
        value = _WS.sub(" ", value).strip()
    return value


def parse_tables(tables: dict[str, TableData | None]) -> WorkbookData:
    """Convert the six contract tables to domain records.

    ``tables`` maps table names (``tblNhiemVu`` …) to :class:`TableData`, or to None when
    the adapter could not find the table (a missing sheet) — that becomes a problem.
    """
    data = WorkbookData()
    p = data.problems
    for spec in schema.TABLES:
        td = tables.get(spec.table)
        if td is None:
            message = f"không tìm thấy trang tính hoặc bảng '{spec.table}' (bị xóa hay đổi tên?)"
            data.unreadable[spec.table] = f"trang '{spec.sheet}': {message}"
            # the occurrences are needed only when the plan has periodic tasks (engine); without the narrative
            # table the report prints the engine's drafts
            if spec not in (schema.OCCURRENCES, schema.NARRATIVE):
                p.append(Problem(spec.sheet, None, None, message))
        else:
            data.tables[spec.table] = td

    if schema.SETTINGS.table in data.tables:
        rows = _Rows(data.tables[schema.SETTINGS.table], schema.SETTINGS, p)
        _check_readable(data, rows)
        triples = [(r, rows.value(r, rec, "Khóa"), rows.value(r, rec, "Giá trị")) for r, rec in rows]
        data.settings, sproblems = parse_settings(triples)
        p.extend(Problem(schema.SETTINGS.sheet, sp.row, "Giá trị", sp.message) for sp in sproblems)

    if schema.HOLIDAYS.table in data.tables:
        rows = _Rows(data.tables[schema.HOLIDAYS.table], schema.HOLIDAYS, p)
        _check_readable(data, rows)
        for r, rec in rows:
            day = rows.date(r, rec, "Ngày")
            kind = rows.enum(r, rec, "Loại", schema.HOLIDAY_KIND, required=True)
            if day is None:
                if rows.value(r, rec, "Ngày") is None:
                    rows.add(r, "Ngày", "chưa nhập ngày")
                continue
            if kind is None:
                continue
            if day in data.overrides:
                rows.add(r, "Ngày", f"ngày {day:%d/%m/%Y} bị lặp; dùng dòng đầu tiên")
                continue
            data.overrides[day] = kind

    if schema.PROCEDURES.table in data.tables:
        rows = _Rows(data.tables[schema.PROCEDURES.table], schema.PROCEDURES, p)
        _check_readable(data, rows)
        for r, rec in rows:
            code = rows.text(r, rec, "Mã TTHC")
            if not code:
                rows.add(r, "Mã TTHC", "chưa nhập mã thủ tục")
                continue
            if code in data.procedures:
                rows.add(r, "Mã TTHC", f"mã thủ tục '{code}' bị lặp; dùng dòng đầu tiên")
                continue
            days = rows.number(r, rec, "Số ngày làm việc")
            if not isinstance(days, float) or days < 0 or not days.is_integer():
                rows.add(r, "Số ngày làm việc", "cần một số nguyên không âm (0 = trả trong ngày); "
                                                "thủ tục này không được dùng để tính hạn")
                continue
            data.procedures[code] = Procedure(
                code=code,
                name=rows.text(r, rec, "Tên TTHC"),
                working_days=int(days),
                rule_15h=bool(rows.enum(r, rec, "Áp dụng mốc 15 giờ", schema.YES_NO, default=False)),
                decided_by=rows.text(r, rec, "Cơ quan quyết định"),
                published=bool(rows.enum(r, rec, "Công khai trên CSDLQG", schema.YES_NO, default=False)),
            )

    if schema.TASKS.table in data.tables:
        _parse_tasks(data)
    if schema.OCCURRENCES.table in data.tables:
        _parse_occurrences(data)
    if schema.DOSSIERS.table in data.tables:
        _parse_dossiers(data)
    if schema.INDICATORS.table in data.tables:
        _parse_indicators(data)
    if schema.NARRATIVE.table in data.tables:
        _parse_narrative(data)
    return data


def _parse_tasks(data: WorkbookData) -> None:
    rows = _Rows(data.tables[schema.TASKS.table], schema.TASKS, data.problems)
    _check_readable(data, rows)
    has_link = "Liên kết" in rows.index
    seen: set[str] = set()
    for r, rec in rows:
        task_id = rows.key(r, rec, "nhiệm vụ", seen)
        if task_id is None:
            continue
        m = _TASK_ID.match(task_id)
        area, letter = (int(m.group(1)), m.group(2)) if m else (0, task_id)
        if not area:
            area_text = rows.text(r, rec, "Lĩnh vực")
            m2 = re.match(r"^(\d+)", area_text)
            area = int(m2.group(1)) if m2 else 0
        status, done_date = _status_and_done(rows, r, rec, "nhiệm vụ", _plan_year(data))
        data.tasks.append(Task(
            id=task_id, area=area, letter=letter,
            content=rows.text(r, rec, "Nội dung công việc"),
            group=rows.text(r, rec, "Tổ/nhóm chuyên môn"),
            owner=rows.text(r, rec, "Cán bộ phụ trách"),
            timeframe=rows.text(r, rec, "Thời gian thực hiện/hoàn thành"),
            deadline=rows.date(r, rec, "Hạn hoàn thành"),
            product=rows.text(r, rec, "Sản phẩm"),
            status=status, done_date=done_date,
            evidence=rows.text(r, rec, "Minh chứng"),
            note=rows.text(r, rec, "Ghi chú"),
            row=r,
            link=rows.text(r, rec, "Liên kết") if has_link else "",
        ))
        data.task_rows.append(r)


def _status_and_done(rows: _Rows, r: int, rec: dict, what: str, plan_year: int | None = None
                     ) -> tuple[str, dt.date | None]:
    """``Trạng thái`` and ``Ngày hoàn thành`` of a task or occurrence row, with their consistency checks
    (:func:`cchc_xl.core.tasks.completion_problems`, the rule a returned copy is refused by too); a date
    outside the plan year's window is reported and not used."""
    status = rows.enum(r, rec, "Trạng thái", schema.TASK_STATUS, default="not_started")
    done_date = rows.date(r, rec, "Ngày hoàn thành")
    for column, message in completion_problems(status, done_date, plan_year):
        if column == "Trạng thái":
            rows.add(r, column, message)
        elif done_date is None:
            rows.add(r, column, f"{what} {message}; tạm coi là hoàn thành vào ngày tính đến")
        else:
            rows.add(r, column, message + "; đã bỏ qua ngày này" +
                     (" (tạm coi là hoàn thành vào ngày tính đến)" if status == "done" else ""))
            done_date = None
    return status, done_date


def _plan_year(data: WorkbookData) -> int | None:
    try:
        return int(data.settings["nam_ke_hoach"])
    except (KeyError, TypeError, ValueError):
        return None


def _parse_occurrences(data: WorkbookData) -> None:
    rows = _Rows(data.tables[schema.OCCURRENCES.table], schema.OCCURRENCES, data.problems)
    _check_readable(data, rows)
    seen: set[str] = set()
    for r, rec in rows:
        occ_id = rows.key(r, rec, "lần thực hiện", seen)
        if occ_id is None:
            continue
        task_id = rows.text(r, rec, "Mã nhiệm vụ")
        if not task_id:
            rows.add(r, "Mã nhiệm vụ", "chưa nhập mã nhiệm vụ; dòng này bị bỏ qua")
            continue
        status, done_date = _status_and_done(rows, r, rec, "lần thực hiện", _plan_year(data))
        data.occurrences.append(Occurrence(
            id=occ_id, task_id=task_id, label=rows.text(r, rec, "Lần thực hiện"),
            deadline=rows.date(r, rec, "Hạn hoàn thành"), status=status, done_date=done_date,
            evidence=rows.text(r, rec, "Minh chứng"), note=rows.text(r, rec, "Ghi chú"), row=r,
        ))
        data.occurrence_rows.append(r)


def _parse_dossiers(data: WorkbookData) -> None:
    """``tblHoSo`` → :class:`~cchc_xl.core.dossier_columns.DossierColumns`, column by column; a row that
    needs a closer look goes through :func:`_dossier_from_row` (:mod:`.dossier_table`)."""
    from .dossier_table import parse_dossier_table

    rows = _Rows(data.tables[schema.DOSSIERS.table], schema.DOSSIERS, data.problems)
    _check_readable(data, rows)
    data.dossiers = parse_dossier_table(rows, data.procedures, _dossier_from_row)
    data.dossier_rows = data.dossiers.rows.tolist()


def _parse_dossiers_by_row(data: WorkbookData) -> None:
    """``tblHoSo`` one row at a time (what :func:`_parse_dossiers` must equal: the tests compare them)."""
    rows = _Rows(data.tables[schema.DOSSIERS.table], schema.DOSSIERS, data.problems)
    _check_readable(data, rows)
    has_complete = "Ngày nhận đủ hồ sơ" in rows.index
    seen: set[str] = set()
    for r, rec in rows:
        dossier = _dossier_from_row(rows, r, rec, seen, data.procedures, has_complete)
        if dossier is not None:
            data.dossiers.append(dossier)
            data.dossier_rows.append(r)


def _dossier_from_row(rows: _Rows, r: int, rec: dict, seen: set[str], procedures: dict[str, Procedure],
                      has_complete: bool) -> Dossier | None:
    """One row of ``tblHoSo`` as a :class:`Dossier` (None when it cannot be one), its problems added to
    ``rows``."""
    dossier_id = rows.key(r, rec, "hồ sơ", seen)
    if dossier_id is None:
        return None
    received = rows.date(r, rec, "Ngày tiếp nhận", with_time=True)
    if received is None:
        if rows.value(r, rec, "Ngày tiếp nhận") is None:
            rows.add(r, "Ngày tiếp nhận", "chưa nhập ngày tiếp nhận")
        return None
    code = rows.text(r, rec, "Mã TTHC")
    appointment = rows.date(r, rec, "Ngày hẹn trả")
    if code not in procedures and appointment is None:
        rows.add(r, "Mã TTHC", f"mã thủ tục '{_short(code)}' không có trong trang 'Thủ tục' và chưa có "
                               "ngày hẹn trả; không tính được hạn trả")
    finished = rows.date(r, rec, "Ngày có kết quả")
    if finished and finished < received.date():
        rows.add(r, "Ngày có kết quả", f"ngày có kết quả {finished:%d/%m/%Y} trước ngày tiếp nhận "
                                       f"{received:%d/%m/%Y}; đã bỏ qua ngày này")
        finished = None
    status = rows.enum(r, rec, "Trạng thái", schema.DOSSIER_STATUS, required=True, default="processing")
    if status in ("returned", "refused") and finished is None:
        rows.add(r, "Ngày có kết quả", "hồ sơ đã trả kết quả/từ chối nhưng chưa có ngày có kết quả; "
                                       "tạm coi là đang xử lý")
    if status in ("processing", "waiting") and finished is not None:
        rows.add(r, "Trạng thái", "hồ sơ đã có ngày có kết quả nhưng trạng thái vẫn là đang xử lý; "
                                  "tạm coi là chưa có kết quả")
        finished = None
    complete = rows.date(r, rec, "Ngày nhận đủ hồ sơ") if has_complete else None
    if complete is not None and complete < received.date():
        rows.add(r, "Ngày nhận đủ hồ sơ", f"ngày nhận đủ hồ sơ {complete:%d/%m/%Y} trước ngày tiếp nhận "
                                          f"{received:%d/%m/%Y}; đã bỏ qua ngày này")
        complete = None
    if complete is not None and status == "waiting":
        rows.add(r, "Trạng thái", "đã có ngày nhận đủ hồ sơ nhưng trạng thái vẫn là 'Chờ bổ sung'; "
                                  "hãy đổi thành 'Đang xử lý' (hồ sơ vẫn được tính là chờ bổ sung)")
    return Dossier(
        id=dossier_id, procedure_code=code, received=received,
        channel=rows.enum(r, rec, "Hình thức nộp", schema.DOSSIER_CHANNEL, required=True, default="direct"),
        appointment=appointment, finished=finished, status=status,
        digitised=rows.enum(r, rec, "Số hóa kết quả", schema.YES_NO),
        rating=rows.enum(r, rec, "Đánh giá", schema.RATING),
        complaint=bool(rows.enum(r, rec, "Có phản ánh", schema.YES_NO, default=False)),
        row=r, complete=complete,
    )


def _parse_indicators(data: WorkbookData) -> None:
    rows = _Rows(data.tables[schema.INDICATORS.table], schema.INDICATORS, data.problems)
    _check_readable(data, rows)
    seen: set[str] = set()
    for r, rec in rows:
        code = rows.key(r, rec, "chỉ tiêu", seen)
        if code is None:
            continue
        op = rows.text(r, rec, "So sánh") or None
        if op is not None and op not in schema.INDICATOR_OP and op not in (">=", "<="):
            rows.add(r, "So sánh", f"phép so sánh '{_short(op)}' không hợp lệ; chỉ nhận: "
                                   + ", ".join(schema.INDICATOR_OP))
            op = None
        threshold = rows.number(r, rec, "Ngưỡng")
        manual = rows.value(r, rec, "Kết quả") if code == "CT1" else None
        data.indicators.append(IndicatorRow(
            code=code, name=rows.text(r, rec, "Chỉ tiêu"), method=rows.text(r, rec, "Cách tính"),
            op=op, threshold=threshold, manual_value=manual, note=rows.text(r, rec, "Ghi chú"), row=r,
        ))
        data.indicator_rows.append(r)


def _parse_narrative(data: WorkbookData) -> None:
    """Rows of the narrative table; texts keep their line breaks (:func:`cchc_xl.core.narrative.normalize`)."""
    rows = _Rows(data.tables[schema.NARRATIVE.table], schema.NARRATIVE, data.problems)
    _check_readable(data, rows)
    seen: set[tuple[str, str]] = set()

    def raw(r, rec, header) -> str:
        value = rows.value(r, rec, header) if header in rec else None
        return normalize(value) if isinstance(value, str) else ("" if value is None else str(value))

    for r, rec in rows:
        period, code = rows.text(r, rec, "Kỳ báo cáo"), rows.text(r, rec, "Mục")
        if code not in schema.NARRATIVE_SECTIONS:
            rows.add(r, "Mục", f"mục '{_short(code)}' không có trong báo cáo (chỉ nhận: "
                               + ", ".join(schema.NARRATIVE_SECTIONS) + "); dòng này không được dùng")
            continue
        if (period, code) in seen:
            rows.add(r, "Mục", f"mục '{code}' của kỳ '{_short(period)}' bị lặp; dùng dòng đầu tiên")
            continue
        seen.add((period, code))
        data.narrative.append(NarrativeEntry(period=period, code=code, text=raw(r, rec, "Nội dung"),
                                             fingerprint=rows.text(r, rec, "Mã bản nháp"),
                                             previous=raw(r, rec, "Bản trước"), row=r))
        data.narrative_rows.append(r)
