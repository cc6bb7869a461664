"""Text sources of the workbook (``workbook/src/*.csv``, ``layout.json``) as typed rows.

Pure Python: no workbook library. Every CSV is UTF-8 (a BOM is tolerated), comma
separated, with a header row equal to the contract headers of :mod:`cchc_xl.schema`
(same names, same order). Cell conversion, by column:

* dates ``dd/mm/yyyy`` → :class:`datetime.date`; date-times ``dd/mm/yyyy hh:mm`` →
  :class:`datetime.datetime`;
* whole numbers → ``int``, decimals → ``float`` (only in numeric columns);
* empty cells → ``None``; everything else stays text (stripped).

A value that does not fit its column raises :class:`SourceError` naming file, line
and column, so a broken source never produces a half-built workbook.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from ..core.settings import SETTING_SPECS
from ..core.periods import PERIOD_KEYS, get_period
from ..core.tasks import occurrence_slots, recurrence
from ..schema import (DOSSIERS, HOLIDAYS, INDICATORS, NARRATIVE, NARRATIVE_SECTIONS, OCCURRENCES, PROCEDURES,
                      SETTINGS, TABLES, TASKS, TableSpec)

__all__ = [
    "SRC_DIR",
    "SOURCE_FILES",
    "COLUMN_KINDS",
    "SourceError",
    "SourceTable",
    "load_table",
    "load_all",
    "load_layout",
    "load_guide",
    "parse_date",
    "parse_datetime",
]

SRC_DIR = Path(__file__).resolve().parents[2] / "workbook" / "src"

# table name -> CSV file name
SOURCE_FILES: dict[str, str] = {
    TASKS.table: "tasks.csv",
    DOSSIERS.table: "dossiers.csv",
    PROCEDURES.table: "procedures.csv",
    INDICATORS.table: "indicators.csv",
    HOLIDAYS.table: "holidays.csv",
    SETTINGS.table: "settings.csv",
    OCCURRENCES.table: "occurrences.csv",
    NARRATIVE.table: "narrative.csv",
}

# table name -> {header: kind}; kinds: date | datetime | int | number | number_or_text | setting.
# Columns not listed are text.
COLUMN_KINDS: dict[str, dict[str, str]] = {
    TASKS.table: {"Hạn hoàn thành": "date", "Ngày hoàn thành": "date"},
    OCCURRENCES.table: {"Hạn hoàn thành": "date", "Ngày hoàn thành": "date"},
    DOSSIERS.table: {
        "Ngày tiếp nhận": "datetime",
        "Ngày hẹn trả": "date",
        "Ngày có kết quả": "date",
        "Ngày nhận đủ hồ sơ": "date",
        "Hạn trả": "date",
    },
    PROCEDURES.table: {"Số ngày làm việc": "int"},
    INDICATORS.table: {"Ngưỡng": "number_or_text", "Kết quả": "number_or_text"},
    HOLIDAYS.table: {"Ngày": "date"},
    SETTINGS.table: {"Giá trị": "setting"},
}

_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DATETIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_INT = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_SETTING_KIND = {s.key: s.kind for s in SETTING_SPECS}


class SourceError(ValueError):
    """A text source that cannot be read; the message names file, line and column."""


@dataclass(frozen=True)
class SourceTable:
    """Rows of one table, each a tuple in the contract header order."""

    spec: TableSpec
    path: Path
    rows: tuple[tuple[object, ...], ...]

    def dicts(self) -> list[dict[str, object]]:
        return [dict(zip(self.spec.headers, row)) for row in self.rows]

    def column(self, header: str) -> list[object]:
        i = self.spec.col(header)
        return [row[i] for row in self.rows]


def parse_date(text: str) -> dt.date:
    """``"5/2/2024"`` or ``"05/02/2024"`` → ``date(2024, 2, 5)``."""
    m = _DATE.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' không phải ngày dạng dd/mm/yyyy")
    day, month, year = (int(g) for g in m.groups())
    return dt.date(year, month, day)


def parse_datetime(text: str) -> dt.datetime:
    """``"06/01/2024 09:15"`` → ``datetime(2024, 1, 6, 9, 15)``; a bare date means 00:00."""
    text = text.strip()
    m = _DATETIME.match(text)
    if m:
        day, month, year, hour, minute = (int(g) for g in m.groups()[:5])
        second = int(m.group(6) or 0)
        return dt.datetime(year, month, day, hour, minute, second)
    d = parse_date(text)
    return dt.datetime(d.year, d.month, d.day)


def _number(text: str) -> int | float:
    if _INT.match(text):
        return int(text)
    if _NUMBER.match(text):
        return float(text)
    raise ValueError(f"'{text}' không phải số")


def _integer(text: str) -> int:
    if not _INT.match(text):
        raise ValueError(f"'{text}' không phải số nguyên")
    return int(text)


def _setting_value(key: str, text: str) -> object:
    kind = _SETTING_KIND.get(key, "text")
    if kind in ("int", "year"):
        return int(text)
    if kind == "date":
        return parse_date(text)
    return text  # daymonth stays text ("15/12"), yes/no, choice and lines stay text


_CONVERTERS: dict[str, Callable[[str], object]] = {
    "date": parse_date,
    "datetime": parse_datetime,
    "int": _integer,
    "number": _number,
}


def _convert(kind: str | None, text: str, row_key: str | None) -> object:
    if text == "":
        return None
    if kind is None:
        return text
    if kind == "number_or_text":
        try:
            return _number(text)
        except ValueError:
            return text
    if kind == "setting":
        return _setting_value(row_key or "", text)
    return _CONVERTERS[kind](text)


def load_table(spec: TableSpec, src_dir: Path | str = SRC_DIR) -> SourceTable:
    """Read the CSV of ``spec`` and convert its cells; raise :class:`SourceError` on any problem."""
    path = Path(src_dir) / SOURCE_FILES[spec.table]
    kinds = COLUMN_KINDS.get(spec.table, {})
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: không đọc được tệp nguồn ({exc})") from exc
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError(f"{path}: tệp rỗng, thiếu dòng tiêu đề") from None
    header = [h.strip() for h in header]
    if tuple(header) != spec.headers:
        raise SourceError(
            f"{path}: dòng tiêu đề phải đúng là {', '.join(spec.headers)} (đang là {', '.join(header)})"
        )
    rows: list[tuple[object, ...]] = []
    seen: dict[object, int] = {}
    key_index = spec.col(spec.key) if spec.key else None
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(spec.headers):
            raise SourceError(f"{path}, dòng {line}: có {len(record)} ô, cần {len(spec.headers)}")
        cells = [cell.strip() for cell in record]
        row_key = cells[0] if spec is SETTINGS else None
        out: list[object] = []
        for header_name, cell in zip(spec.headers, cells):
            try:
                out.append(_convert(kinds.get(header_name), cell, row_key))
            except ValueError as exc:
                raise SourceError(f"{path}, dòng {line}, cột '{header_name}': {exc}") from None
        if key_index is not None:
            key = out[key_index]
            if key is None:
                raise SourceError(f"{path}, dòng {line}: thiếu '{spec.key}'")
            if key in seen:
                raise SourceError(f"{path}, dòng {line}: '{spec.key}' = '{key}' trùng với dòng {seen[key]}")
            seen[key] = line
        rows.append(tuple(out))
    return SourceTable(spec, path, tuple(rows))


def load_all(src_dir: Path | str = SRC_DIR) -> dict[str, SourceTable]:
    """Every table source, keyed by table name (the occurrence table generated, see
    :func:`occurrence_table`)."""
    tables = {spec.table: load_table(spec, src_dir) for spec in TABLES}
    tables[OCCURRENCES.table] = occurrence_table(tables[TASKS.table], tables[OCCURRENCES.table],
                                                 tables[SETTINGS.table])
    tables[NARRATIVE.table] = narrative_table(tables[NARRATIVE.table], tables[SETTINGS.table])
    return tables


def narrative_table(filled: SourceTable, settings: SourceTable) -> SourceTable:
    """One row per section of the report (``schema.NARRATIVE_SECTIONS``) per period (Quý I, 6 tháng, Quý III,
    Năm of the plan year), in that order, each with the section's title; a row of ``narrative.csv`` with the
    same ``Kỳ báo cáo`` and ``Mục`` gives its text. A row there that is no such section raises
    :class:`SourceError`."""
    values = dict(zip(settings.column("Khóa"), settings.column("Giá trị")))
    year = int(values.get("nam_ke_hoach") or 2024)
    given = {(row[0], row[1]): row for row in filled.rows}
    rows: list[tuple[object, ...]] = []
    for key in PERIOD_KEYS:
        label = get_period(key, year).label
        for code, title in NARRATIVE_SECTIONS.items():
            row = given.pop((label, code), None)
            text = row[3] if row is not None else None
            rows.append((label, code, title, text, None, None, None))
    if given:
        raise SourceError(f"{filled.path}: không có mục " + ", ".join(f"'{c}' của kỳ '{p}'" for p, c in given)
                          + " trong báo cáo")
    return SourceTable(NARRATIVE, filled.path, tuple(rows))


def occurrence_table(tasks: SourceTable, filled: SourceTable, settings: SourceTable) -> SourceTable:
    """One row per occurrence of every periodic task of ``tasks`` (``Hằng quý`` → ``2.d-Q1`` … ``2.d-Q4``,
    labelled ``Quý I/<năm>``; ``Hằng tháng`` → ``-T01`` … ``-T12``; ``Định kỳ`` per the ``tan_suat_dinh_ky``
    setting), in task order; the values a row of ``occurrences.csv`` gives (same ``Mã``) fill it in.
    A row of ``occurrences.csv`` that is no such occurrence raises :class:`SourceError`."""
    values = dict(zip(settings.column("Khóa"), settings.column("Giá trị")))
    year = int(values.get("nam_ke_hoach") or 2024)
    default = str(values.get("tan_suat_dinh_ky") or "Hằng quý")
    given = {row[0]: row for row in filled.rows}
    rows: list[tuple[object, ...]] = []
    width = len(OCCURRENCES.headers)
    for task in tasks.dicts():
        kind = None if task["Hạn hoàn thành"] else recurrence(task["Thời gian thực hiện/hoàn thành"], default)
        if kind is None:
            continue
        for suffix, label in occurrence_slots(kind, year):
            occ_id = f"{task['Mã']}-{suffix}"
            row = given.pop(occ_id, None)
            if row is not None and (row[1], row[2]) != (task["Mã"], label):
                raise SourceError(f"{filled.path}: dòng '{occ_id}' phải có 'Mã nhiệm vụ' = '{task['Mã']}' và "
                                  f"'Lần thực hiện' = '{label}'")
            rows.append(row if row is not None else (occ_id, task["Mã"], label) + (None,) * (width - 3))
    if given:
        raise SourceError(f"{filled.path}: không có nhiệm vụ định kỳ nào có lần thực hiện "
                          + ", ".join(f"'{k}'" for k in given))
    return SourceTable(OCCURRENCES, filled.path, tuple(rows))


def load_layout(src_dir: Path | str = SRC_DIR) -> dict:
    """``layout.json``: column widths, wrapped columns, frozen panes and orientation per sheet."""
    path = Path(src_dir) / "layout.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SourceError(f"{path}: không đọc được bố cục ({exc})") from exc


def load_guide(src_dir: Path | str = SRC_DIR) -> list[tuple[str, str]]:
    """``huong_dan.md`` as ``(kind, text)`` lines; kind is title | heading | bullet | para.

    Only the tiny subset of Markdown the file uses: ``# `` title, ``## `` heading,
    ``- `` bullet, anything else a paragraph; blank lines are dropped.
    """
    path = Path(src_dir) / "huong_dan.md"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: không đọc được hướng dẫn ({exc})") from exc
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("## "):
            out.append(("heading", line[3:].strip()))
        elif line.startswith("# "):
            out.append(("title", line[2:].strip()))
        elif line.startswith("- "):
            out.append(("bullet", line[2:].strip().replace("`", "")))
        else:
            out.append(("para", line.replace("`", "")))
    return out
