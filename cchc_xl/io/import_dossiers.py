"""Import dossiers from the one-stop system's export into ``tblHoSo``.

Accepted files: CSV in UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode Text"), or the older
Vietnamese Windows-1258 (recognised when its header row reads right once decoded; otherwise the message
names the encoding to save in), comma-, semicolon- or tab-separated; or XLSX (first sheet). Headers as in
``tblHoSo`` (``Mã hồ sơ`` is required; computed columns are ignored). Every text — headers and values — is
normalised by :func:`cchc_xl.core.text.clean_text` (NFC, zero-width characters and surrounding spaces
removed) before it is matched or stored. Dates: ``dd/mm/yyyy``, ``dd/mm/yyyy hh:mm`` or ISO. Rows are
added, or updated by ``Mã hồ sơ``; a bad row — an invalid value, or a text longer than one Excel cell
holds (32,767 characters; a CSV field of any length up to the file's size is read) — is skipped with a
message naming its line and column, the other rows are imported, and the workbook is written atomically
with a backup.

What the import accepts, the workbook can hold and every other command can read: a date outside the
workbook's window (:func:`cchc_xl.core.calendar.date_window`, five years either side of its plan year — not
``10/06/9999``, not ``10/06/0001``) is a bad value of its row, named by line and column; an import that would
take the workbook past the size every command reads (:data:`cchc_xl.io.ooxml.limits.MAX_UNZIPPED_BYTES`,
checked on the package about to be written) is refused as a whole, naming that limit, and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..core.calendar import date_window, outside_window
from ..core.text import cell_limit_problem, clean_text
from ..errors import CchcError, ImportFileError, WorkbookTooLargeError, describe_os_error
from .file_book import FileBook, parse_ref
from .ooxml import MAX_ROW, col_letter

__all__ = ["import_dossiers", "plan_import", "ImportPlan", "ImportReport", "read_import_file", "import_window"]

_INPUT_HEADERS = [h for h in schema.DOSSIERS.headers if h not in schema.DOSSIERS.computed]
_DATE_COLUMNS = {"Ngày tiếp nhận": True, "Ngày hẹn trả": False, "Ngày có kết quả": False, "Ngày nhận đủ hồ sơ": False}
_ENUMS = {
    "Hình thức nộp": schema.DOSSIER_CHANNEL,
    "Trạng thái": schema.DOSSIER_STATUS,
    "Số hóa kết quả": schema.YES_NO,
    "Đánh giá": schema.RATING,
    "Có phản ánh": schema.YES_NO,
}
MAX_IMPORT_BYTES = 50 * 1024 * 1024


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""          # of a CSV file, when it was not UTF-8

    def summary(self) -> str:
        lines = [f"Đã thêm {self.added} hồ sơ, cập nhật {self.updated}, không đổi {self.unchanged}, "
                 f"bỏ qua {len(self.skipped)} dòng."]
        if self.encoding:
            lines.append(f"Tệp được đọc theo bảng mã {self.encoding}.")
        if self.ignored_columns:
            lines.append("Các cột không dùng: " + ", ".join(self.ignored_columns) + ".")
        lines.extend(self.skipped)
        return "\n".join(lines)


_TIME = r"(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?"
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)


def _parse_datetime(text: str, with_time: bool):
    """``dd/mm/yyyy [hh:mm[:ss]]`` or ISO ``yyyy-mm-dd[ hh:mm[:ss]]`` → datetime (date unless ``with_time``);
    ValueError otherwise (also for a day that does not exist).

    >>> _parse_datetime("04/03/2024 09:15", True), _parse_datetime("2024-03-04", False)
    (datetime.datetime(2024, 3, 4, 9, 15), datetime.date(2024, 3, 4))
    """
    text = text.strip()
    m = _DMY.fullmatch(text)
    if m:
        d, mo, y, h, mi, s = m.groups()
    else:
        m = _ISO_DATE.fullmatch(text)
        if not m:
            raise ValueError(text)
        y, mo, d, h, mi, s = m.groups()
    value = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    return value if with_time else value.date()


def read_import_file(path: str | Path) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a CSV/XLSX export; raises :class:`ImportFileError` in Vietnamese. ``rows[i]`` is line
    ``i + 2`` of the file (blank lines inside are kept, as blank rows)."""
    header, rows, _encoding = read_import_file_with_encoding(path)
    return header, rows


def read_import_file_with_encoding(path: str | Path) -> tuple[list[str], list[list[object]], str]:
    """:func:`read_import_file`, plus the encoding of a CSV that was not UTF-8 (``""`` otherwise)."""
    path = Path(path)
    if path.is_dir():
        raise ImportFileError(f"'{path}' là một thư mục, không phải tệp nhập; hãy chỉ đúng tệp .csv hoặc .xlsx.")
    if not path.exists():
        raise ImportFileError(f"Không tìm thấy tệp nhập '{path}'.")
    try:
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise ImportFileError(f"Tệp '{path.name}' quá lớn (giới hạn {MAX_IMPORT_BYTES // 1024 // 1024} MB).")
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(describe_os_error(exc, "đọc")) from None
    encoding = ""
    if raw[:2] == b"PK" or path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(raw, path.name)
    else:
        text, encoding = _decode(raw, path.name)
        first = text.split("\n", 1)[0]
        delimiter = max((";", ",", "\t"), key=first.count) if any(d in first for d in ";,\t") else ","
        limit = csv.field_size_limit()
        csv.field_size_limit(max(limit, MAX_IMPORT_BYTES))   # a huge field is one bad row, not a bad file
        try:
            rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        except csv.Error as exc:
            raise ImportFileError(f"Tệp '{path.name}' không đọc được dạng CSV ({exc}).") from None
        finally:
            csv.field_size_limit(limit)
    while rows and not _filled(rows[0]):
        rows.pop(0)
    while rows and not _filled(rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError(f"Tệp '{path.name}' không có dữ liệu.")
    header = [clean_text(str(h or ""), single_line=True) for h in rows[0]]
    if "Mã hồ sơ" not in header:
        raise ImportFileError(f"Tệp '{path.name}' thiếu cột 'Mã hồ sơ' ở dòng tiêu đề; các cột cần có: "
                              + ", ".join(_INPUT_HEADERS) + ".")
    return header, rows[1:], encoding


def _filled(row) -> bool:
    return any(str(v).strip() for v in row if v is not None)


_SAVE_AS_UTF8 = ("Hãy mở tệp bằng Excel và lưu lại: File → Save As → kiểu 'CSV UTF-8 (Comma delimited) (*.csv)', "
                 "rồi nhập lại.")


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV file and its encoding when not UTF-8: UTF-8 (BOM or not), UTF-16 with its BOM, or
    Windows-1258 when its first line, once decoded and normalised, has the header ``Mã hồ sơ`` (Windows-1258
    writes tone marks as combining characters: the text is NFC-normalised afterwards, with every value)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportFileError(f"Tệp '{name}' hỏng: không đọc được theo bảng mã UTF-16. " + _SAVE_AS_UTF8) from None
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1258")
    except UnicodeDecodeError:
        text = ""
    first = clean_text(text.split("\n", 1)[0])
    if "Mã hồ sơ" in {clean_text(h, single_line=True) for h in re.split(r"[;,\t]", first)}:
        return text, "Windows-1258 (tiếng Việt cũ)"
    raise ImportFileError(
        f"Tệp '{name}' không phải văn bản UTF-8, và đọc theo bảng mã Windows-1258 cũng không thấy cột 'Mã hồ sơ' "
        "(có thể tệp dùng bảng mã TCVN3/VNI hoặc bảng mã khác). " + _SAVE_AS_UTF8)


def _xlsx_rows(raw: bytes, name: str) -> list[list]:
    """The first sheet of an .xlsx export, read under the same limits as a workbook (decompression counted
    as it streams, work bounded by the cells that exist) before python-calamine reads it."""
    from .ooxml import MAX_BLANK_CELLS, Package

    try:
        pkg = Package.from_bytes(raw, name)
        sheet = next(s.name for s in pkg.sheets() if s.kind == "worksheet")
        area = pkg.on_sheet_text(sheet, lambda st: st.dense_area())
        cells = pkg.on_sheet_text(sheet, lambda st: st.cell_count()) if area > MAX_BLANK_CELLS else 0
    except StopIteration:
        raise ImportFileError(f"Tệp Excel '{name}' không có trang tính nào.") from None
    except CchcError as exc:
        raise ImportFileError(f"Không đọc được tệp nhập: {str(exc).rstrip('.')}.") from None
    if area > cells + MAX_BLANK_CELLS:
        raise ImportFileError(f"Tệp Excel '{name}': trang '{sheet}' trải trên vùng lớn bất thường ({area:,} ô cho "
                              f"{cells:,} ô có dữ liệu); tệp có thể bị hỏng hoặc độc hại nên không được nhập."
                              .replace(",", "."))
    try:
        return pkg.calamine().get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise ImportFileError(f"Không đọc được tệp Excel '{name}': tệp hỏng hoặc không phải .xlsx "
                              f"({type(exc).__name__}).") from None


def _convert(header: str, value: object, window: tuple[dt.date, dt.date]):
    """Value ready for the workbook, or raise ValueError with a Vietnamese message; a date must lie in
    ``window``."""
    if isinstance(value, str):
        value = clean_text(value)
    if value is None or value == "":
        return None
    if header in _DATE_COLUMNS:
        with_time = _DATE_COLUMNS[header]
        if isinstance(value, dt.datetime):
            day = value if with_time else value.date()
        elif isinstance(value, dt.date):
            day = dt.datetime.combine(value, dt.time()) if with_time else value
        else:
            try:
                day = _parse_datetime(str(value), with_time)
            except ValueError:
                raise ValueError(f"'{value}' không phải ngày (dùng dd/mm/yyyy, dd/mm/yyyy hh:mm hoặc "
                                 f"YYYY-MM-DD)") from None
        problem = outside_window(day, window)
        if problem:
            raise ValueError(problem)
        return day
    if isinstance(value, str):
        problem = cell_limit_problem(value)
        if problem:
            raise ValueError(problem)
    text = clean_text(str(value), single_line=True)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if header in _ENUMS and text not in _ENUMS[header]:
        raise ValueError(f"giá trị '{text}' không hợp lệ; chỉ nhận: " + ", ".join(_ENUMS[header]))
    return text


@dataclass
class ImportPlan:
    """What an import changes in ``tblHoSo`` — computed once, applied by the file path or through xlwings.

    ``updates`` maps a row index of ``table.rows`` to ``{header: new value}`` (only values that differ);
    ``new_rows`` are the records to append, the first at row index ``first_new_index`` (just after the last
    row that has a ``Mã hồ sơ``, so blank table rows are reused first).
    """

    report: ImportReport
    updates: dict[int, dict[str, object]] = field(default_factory=dict)
    new_rows: list[dict[str, object]] = field(default_factory=list)
    first_new_index: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.updates or self.new_rows)


def import_window(book) -> tuple[dt.date, dt.date]:
    """The dates an import into ``book`` (any Book adapter) accepts: :func:`cchc_xl.core.calendar.date_window` of
    the plan year in its settings (``nam_ke_hoach``; 2000–2100 when it cannot be read)."""
    from ..core.settings import parse_settings
    from .table_rows import Rows

    td = book.read_table(schema.SETTINGS.sheet, schema.SETTINGS.table)
    if td is None:
        return date_window(None)
    rows = Rows(td, schema.SETTINGS, [])
    settings, _problems = parse_settings([(r, rows.value(r, rec, "Khóa"), rows.value(r, rec, "Giá trị"))
                                          for r, rec in rows])
    return date_window(settings["nam_ke_hoach"])


def plan_import(header: list[str], rows: list[list[object]], table, source_name: str = "",
                window: tuple[dt.date, dt.date] | None = None) -> ImportPlan:
    """Plan the import of ``rows`` (as :func:`read_import_file` returns them) into ``table`` (a ``TableData``
    of ``tblHoSo`` from any Book adapter). Pure: reads nothing, writes nothing.

    Rules: only input columns of ``tblHoSo`` are used (others are listed in ``report.ignored_columns``);
    a row with an invalid value — a date outside ``window`` (:func:`import_window`; default 2000–2100) too —, no
    ``Mã hồ sơ`` or a code repeated in the file is skipped with a message naming its line and column; an
    existing code is updated, a new one appended.
    """
    window = window or date_window(None)
    report = ImportReport(ignored_columns=[h for h in header if h and h not in _INPUT_HEADERS])
    missing = [h for h in _INPUT_HEADERS if h not in table.headers and h not in schema.DOSSIERS.optional]
    if missing:
        raise ImportFileError(f"Trang tính '{table.sheet}': bảng thiếu cột " + ", ".join(missing) + ".")
    used = [(i, h) for i, h in enumerate(header) if h in _INPUT_HEADERS and h in table.headers]
    col = {h: i for i, h in enumerate(table.headers)}
    key_col = col["Mã hồ sơ"]
    existing: dict[str, int] = {}
    last = -1
    current = table.row_values()
    for i, values in enumerate(current):
        value = values[key_col] if key_col < len(values) else None
        key = clean_text(str(value), single_line=True) if value is not None else ""
        if key:
            existing[key] = i
            last = i
    plan = ImportPlan(report, first_new_index=last + 1)
    seen: set[str] = set()
    for n, raw in enumerate(rows, start=2):
        if not _filled(raw):
            continue            # a blank line inside the file: nothing to import
        record, errors = {}, []
        for i, h in used:
            try:
                record[h] = _convert(h, raw[i] if i < len(raw) else None, window)
            except ValueError as exc:
                errors.append(f"cột '{h}': {exc}")
        key = record.get("Mã hồ sơ")
        if not key:
            errors.append("cột 'Mã hồ sơ': chưa có mã hồ sơ")
        elif key in seen:
            errors.append(f"cột 'Mã hồ sơ': mã '{key}' lặp lại trong tệp nhập")
        if errors:
            report.skipped.append(f"Tệp '{source_name}', dòng {n}: " + "; ".join(errors) + ".")
            continue
        seen.add(key)
        if key in existing:
            i = existing[key]
            before = current[i]
            diff = {h: v for h, v in record.items()
                    if not _same(before[col[h]] if col[h] < len(before) else None, v)}
            if diff:
                plan.updates.setdefault(i, {}).update(diff)
            report.updated += bool(diff)
            report.unchanged += not diff
        else:
            plan.new_rows.append(record)
            report.added += 1
    return plan


def import_dossiers(workbook: str | Path, file: str | Path, out: str | Path | None = None) -> ImportReport:
    """Add or update dossiers of ``workbook`` from ``file``; write atomically (backup kept). The workbook's
    writer lock is held from reading it to writing it (a second run waits, then gives up with exit code 4)."""
    header, rows, encoding = read_import_file_with_encoding(file)
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    with FileBook.for_update(workbook, out=out) as book:
        info = book.table_info(schema.DOSSIERS.table)
        table = book.read_table(schema.DOSSIERS.sheet, schema.DOSSIERS.table)
        if info is None or table is None:
            raise ImportFileError(f"Sổ tính không có bảng '{schema.DOSSIERS.table}' ở trang "
                                  f"'{schema.DOSSIERS.sheet}'.")
        plan = plan_import(header, rows, table, Path(file).name, window=import_window(book))
        plan.report.encoding = encoding
        if not plan.changed:
            return plan.report
        try:
            _apply(book, info, table, plan)
            book.save()
        except WorkbookTooLargeError as exc:
            raise ImportFileError(_too_large(Path(file).name, plan, exc.total, exc.limit, exc.at_least)) from None
    return plan.report


def _too_large(name: str, plan: ImportPlan, total: int, limit: int, at_least: bool = False) -> str:
    from ..core.vnformat import integer

    return (f"Không nhập tệp '{name}': thêm {integer(len(plan.new_rows))} hồ sơ (cập nhật "
            f"{integer(len(plan.updates))}) sẽ làm sổ tính chiếm {'ít nhất ' if at_least else ''}"
            f"{integer(round(total / 1048576))} MB khi giải nén, quá giới hạn {integer(round(limit / 1048576))} MB "
            f"mà các lệnh refresh, check, consolidate, send đọc được (MAX_UNZIPPED_BYTES, docs/PROMISES.md). Hãy "
            f"nhập từng phần nhỏ hơn, hoặc chuyển hồ sơ của các năm trước sang sổ khác; sổ tính chưa bị thay đổi.")


def _apply(book, info, table, plan: ImportPlan) -> None:
    """Write ``plan`` into the file: changed cells, then the new rows as one block styled like the row above
    them (blank table rows are reused first), then the table's new range."""
    pkg = book.package
    r1, c1, r2, c2 = parse_ref(info.ref)
    col_of = {h: c1 + table.headers.index(h) for h in table.headers}
    writes: dict[tuple[int, int], object] = {}
    for i, values in plan.updates.items():
        for h, value in values.items():
            writes[(table.first_row + i, col_of[h])] = value
    pkg.set_cells(info.sheet, writes)
    next_row = table.first_row + plan.first_new_index
    template = pkg.on_sheet_text(info.sheet, lambda st: st.row_styles(next_row - 1))
    order = [h for h in table.headers]
    rows = [[record.get(h) for h in order] for record in plan.new_rows]
    styles = [template.get(c) for c in range(c1, c2 + 1)]
    if rows and next_row + len(rows) - 1 > MAX_ROW:
        raise ImportFileError(f"Không nhập được: bảng hồ sơ sẽ kéo tới dòng {next_row + len(rows) - 1:,}, quá số "
                              f"dòng tối đa {MAX_ROW:,} của một trang tính Excel; sổ tính chưa bị thay đổi."
                              .replace(",", "."))
    if rows:                # refused before the work of writing (the exact check is made when it is written)
        floor = pkg.size_floor(info.sheet, next_row, c1, rows, styles)
        if floor > pkg.max_total:
            raise WorkbookTooLargeError("", total=floor, limit=pkg.max_total, at_least=True)
    pkg.set_rows(info.sheet, next_row, c1, rows, styles)
    last_row = next_row + len(plan.new_rows) - 1
    if last_row > r2:
        pkg.set_table_ref(info.name, f"{col_letter(c1)}{r1}:{col_letter(c2)}{last_row}")


def _same(old: object, new: object) -> bool:
    if isinstance(old, dt.datetime) and isinstance(new, dt.date) and not isinstance(new, dt.datetime):
        return old.date() == new
    if isinstance(old, float) and isinstance(new, str):
        return str(int(old)) == new if old.is_integer() else str(old) == new
    if isinstance(old, dt.datetime) and isinstance(new, dt.datetime):
        return old.replace(microsecond=0) == new.replace(microsecond=0)
    return old == new
