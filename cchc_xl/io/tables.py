"""Table rows → typed domain records, with every data problem named by sheet, row and column.

No I/O here: an adapter (file or xlwings) hands over :class:`TableData`; this module
validates it against the contract in :mod:`cchc_xl.schema` and converts it, reading rows through
:class:`.table_rows.Rows`. A bad cell never stops the run: it becomes a :class:`Problem` and the rest is
still processed. The data classes live in :mod:`.table_data` and are importable from here.
"""

from __future__ import annotations

import datetime as dt
import re

from .. import schema
from ..core.calendar import date_window
from ..core.dossiers import Dossier, Procedure
from ..core.indicators import IndicatorRow
from ..core.narrative import NarrativeEntry, normalize
from ..core.settings import parse_settings
from ..core.tasks import Occurrence, Task, completion_problems
from .table_data import Cell, Problem, TableData, WorkbookData
from .table_rows import Rows, _short

__all__ = [
    "Cell",
    "TableData",
    "Problem",
    "WorkbookData",
    "parse_tables",
]


def _check_readable(data: WorkbookData, rows: Rows) -> bool:
    """Record in ``data.unreadable`` a table whose contract headers are missing; True when readable."""
    if rows.ok:
        return True
    spec = rows.spec
    missing = [h for h in spec.headers if h not in rows.index and h not in spec.optional]
    data.unreadable[spec.table] = (f"bảng '{spec.table}' (trang '{spec.sheet}') thiếu cột "
                                   + ", ".join(f"'{h}'" for h in missing) + " (đã bị đổi tên hoặc xóa?)")
    return False


_TASK_ID = re.compile(r"^(\d+)\.(\S+)$")
MAX_PROCEDURE_DAYS = 365      # working days a procedure may take to settle a dossier


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
        rows = Rows(data.tables[schema.SETTINGS.table], schema.SETTINGS, p)
        _check_readable(data, rows)
        triples = [(r, rows.value(r, rec, "Khóa"), rows.value(r, rec, "Giá trị")) for r, rec in rows]
        data.settings, sproblems = parse_settings(triples)
        p.extend(Problem(schema.SETTINGS.sheet, sp.row, "Giá trị", sp.message) for sp in sproblems)

    if schema.HOLIDAYS.table in data.tables:
        rows = Rows(data.tables[schema.HOLIDAYS.table], schema.HOLIDAYS, p, _window(data))
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
        rows = Rows(data.tables[schema.PROCEDURES.table], schema.PROCEDURES, p)
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
            if days > MAX_PROCEDURE_DAYS:       # a typo (9999999): a deadline centuries away, past the calendar
                rows.add(r, "Số ngày làm việc", f"{int(days):,} ngày làm việc là quá dài (tối đa "
                                                f"{MAX_PROCEDURE_DAYS} ngày, khoảng một năm rưỡi); thủ tục này không "
                                                "được dùng để tính hạn".replace(",", "."))
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


def _window(data: WorkbookData):
    """The dates the workbook's tables may hold: five years either side of the plan year (a date beyond is a
    problem named by row and column, never a date handed to the calendar)."""
    return date_window(_plan_year(data))


def _parse_tasks(data: WorkbookData) -> None:
    rows = Rows(data.tables[schema.TASKS.table], schema.TASKS, data.problems, _window(data))
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


def _status_and_done(rows: Rows, r: int, rec: dict, what: str, plan_year: int | None = None
                     ) -> tuple[str, dt.date | None]:
    """``Trạng thái`` and ``Ngày hoàn thành`` of a task or occurrence row, with their consistency checks
    (:func:`cchc_xl.core.tasks.completion_problems`, the rule a returned copy is refused by too); a date
    outside the plan year's window is reported and not used."""
    status = rows.enum(r, rec, "Trạng thái", schema.TASK_STATUS, default="not_started")
    done_date = rows.date(r, rec, "Ngày hoàn thành", bounded=False)     # the plan year's narrower window, below
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
    rows = Rows(data.tables[schema.OCCURRENCES.table], schema.OCCURRENCES, data.problems, _window(data))
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

    rows = Rows(data.tables[schema.DOSSIERS.table], schema.DOSSIERS, data.problems, _window(data))
    _check_readable(data, rows)
    data.dossiers = parse_dossier_table(rows, data.procedures, _dossier_from_row)
    data.dossier_rows = data.dossiers.rows.tolist()


def _parse_dossiers_by_row(data: WorkbookData) -> None:
    """``tblHoSo`` one row at a time (what :func:`_parse_dossiers` must equal: the tests compare them)."""
    rows = Rows(data.tables[schema.DOSSIERS.table], schema.DOSSIERS, data.problems, _window(data))
    _check_readable(data, rows)
    has_complete = "Ngày nhận đủ hồ sơ" in rows.index
    seen: set[str] = set()
    for r, rec in rows:
        dossier = _dossier_from_row(rows, r, rec, seen, data.procedures, has_complete)
        if dossier is not None:
            data.dossiers.append(dossier)
            data.dossier_rows.append(r)


def _dossier_from_row(rows: Rows, r: int, rec: dict, seen: set[str], procedures: dict[str, Procedure],
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
    rows = Rows(data.tables[schema.INDICATORS.table], schema.INDICATORS, data.problems)
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
    rows = Rows(data.tables[schema.NARRATIVE.table], schema.NARRATIVE, data.problems)
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
