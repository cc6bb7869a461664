"""Build ``workbook/CCHC_2024.xlsm`` from the text sources in ``workbook/src/``.

XlsxWriter writes the whole package in memory; the result is byte-reproducible
(fixed document dates, fixed zip timestamps, no randomness), so a test can compare a
fresh build with the committed file.

Hooks for the Excel front:

* ``vba_project`` – the bytes of a ``vbaProject.bin``; added with XlsxWriter's
  ``add_vba_project`` (``vba_name`` is the workbook code name, ``sheet_codenames``
  maps sheet name → code name and must match the document modules inside the VBA
  project; when omitted XlsxWriter uses Sheet1, Sheet2, … in sheet order).
* ``after_write`` – called with the output path once the file is in place (e.g. to
  inject the customUI ribbon part).

Without ``vba_project`` an ``.xlsm`` output still gets the macro-enabled main
content type (exactly what Excel writes for an ``.xlsm`` without macros); an
``.xlsx`` output gets the ordinary one.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import zipfile
from pathlib import Path
from collections.abc import Callable, Mapping

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ..schema import (
    DOSSIERS,
    ENUM_NAMES,
    HOLIDAYS,
    INDICATORS,
    LOG_HEADERS,
    NARRATIVE,
    OCCURRENCES,
    PROCEDURES,
    SETTINGS,
    SHEET_GUIDE,
    SHEET_LOG,
    SHEET_REPORT,
    TASKS,
    TableSpec,
)
from ..report.frame import DEFAULT_FONT, REPORT_LAYOUT, ReportWorksheet, report_page_setup, write_report_frame
from .sources import SRC_DIR, SourceTable, load_all, load_guide, load_layout

__all__ = [
    "build_workbook",
    "REPORT_LAYOUT",
    "write_report_frame",
    "report_page_setup",
    "SHEET_LISTS",
    "LOG_HEADERS",
    "ENUM_COLUMNS",
    "SHEET_ORDER",
    "DOC_PROPERTIES",
]

SHEET_LISTS = "Danh mục"  # hidden sheet holding the drop-down lists behind ENUM_NAMES

SHEET_ORDER = (
    SHEET_GUIDE,
    TASKS.sheet,
    OCCURRENCES.sheet,
    DOSSIERS.sheet,
    PROCEDURES.sheet,
    INDICATORS.sheet,
    HOLIDAYS.sheet,
    SETTINGS.sheet,
    NARRATIVE.sheet,
    SHEET_REPORT,
    SHEET_LISTS,
    SHEET_LOG,
)

# (table, header) -> defined name of its drop-down list
ENUM_COLUMNS: dict[tuple[str, str], str] = {
    (TASKS.table, "Trạng thái"): "dsTrangThaiNhiemVu",
    (OCCURRENCES.table, "Trạng thái"): "dsTrangThaiNhiemVu",
    (DOSSIERS.table, "Hình thức nộp"): "dsHinhThucNop",
    (DOSSIERS.table, "Trạng thái"): "dsTrangThaiHoSo",
    (DOSSIERS.table, "Số hóa kết quả"): "dsCoKhong",
    (DOSSIERS.table, "Đánh giá"): "dsDanhGia",
    (DOSSIERS.table, "Có phản ánh"): "dsCoKhong",
    (PROCEDURES.table, "Áp dụng mốc 15 giờ"): "dsCoKhong",
    (PROCEDURES.table, "Công khai trên CSDLQG"): "dsCoKhong",
    (INDICATORS.table, "So sánh"): "dsSoSanh",
    (HOLIDAYS.table, "Loại"): "dsLoaiNgay",
}

# (table, header) -> "date" | "datetime" | "percent" | "int"; user-entered date columns get date validation.
_CELL_KINDS: dict[tuple[str, str], str] = {
    (TASKS.table, "Hạn hoàn thành"): "date",
    (TASKS.table, "Ngày hoàn thành"): "date",
    (OCCURRENCES.table, "Hạn hoàn thành"): "date",
    (OCCURRENCES.table, "Ngày hoàn thành"): "date",
    (DOSSIERS.table, "Ngày nhận đủ hồ sơ"): "date",
    (DOSSIERS.table, "Ngày tiếp nhận"): "datetime",
    (DOSSIERS.table, "Ngày hẹn trả"): "date",
    (DOSSIERS.table, "Ngày có kết quả"): "date",
    (DOSSIERS.table, "Hạn trả"): "date",
    (PROCEDURES.table, "Số ngày làm việc"): "int",
    (INDICATORS.table, "Ngưỡng"): "percent",
    (INDICATORS.table, "Kết quả"): "percent",
    (HOLIDAYS.table, "Ngày"): "date",
}

DOC_PROPERTIES = {
    "title": "Kế hoạch CCHC năm 2024 – Trường THPT Kiến Thụy",
    "subject": "Theo dõi Kế hoạch số 30/KH-THPTKT ngày 25/01/2024 về cải cách hành chính",
    "author": "cchc-xl",
    "company": "Trường THPT Kiến Thụy",
    "keywords": "CCHC, cải cách hành chính, TTHC, Kiến Thụy",
    "comments": "Tạo bởi cchc-xl build-workbook từ workbook/src",
    "created": dt.datetime(2024, 1, 25, 0, 0, 0),  # fixed: keeps the build byte-reproducible
}

# Row heights are written explicitly: LibreOffice does not re-fit rows of an imported
# workbook, so wrapped text would overlap. Estimate: characters per line ≈ column width − 1,
# widened by _CHAR_FACTOR (Vietnamese text in Calibri, or its substitute); 15 pt per line.
_CHAR_FACTOR = 0.9
_LINE_PT = 15.0
_MAX_LINES = 27  # Excel's maximum row height is 409 pt


def _lines(text: str, width: float, factor: float = _CHAR_FACTOR) -> int:
    per_line = max(width - 1.0, 1.0)
    total = 0
    for segment in str(text).split("\n"):
        total += max(1, math.ceil(len(segment) * factor / per_line))
    return total


def _row_height(values, widths, wraps, factor: float = _CHAR_FACTOR) -> float | None:
    """Height in points for a row of ``values`` (None when one line is enough)."""
    lines = 1
    for value, width, wrap in zip(values, widths, wraps):
        if value is None or not wrap:
            continue
        lines = max(lines, _lines(value, width, factor))
    if lines <= 1:
        return None
    return min(lines, _MAX_LINES) * _LINE_PT + 2


_XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_FIRST_DATE = dt.date(2000, 1, 1)
_LAST_DATE = dt.date(2100, 12, 31)


class _Formats:
    """All cell formats, created once (XlsxWriter dedupes, but one place keeps them consistent)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"valign": "top"}
        self.wb = wb
        self.text = wb.add_format(base)
        self.wrap = wb.add_format({**base, "text_wrap": True})
        self.date = wb.add_format({**base, "num_format": "dd/mm/yyyy", "align": "center"})
        self.datetime = wb.add_format({**base, "num_format": "dd/mm/yyyy hh:mm", "align": "center"})
        self.int = wb.add_format({**base, "num_format": "0", "align": "center"})
        self.percent = wb.add_format({**base, "num_format": "0.00%", "text_wrap": True, "align": "center"})
        self.date_left = wb.add_format({**base, "num_format": "dd/mm/yyyy", "align": "left"})
        # text format: "15/12" typed by a user stays text; dates and numbers written by the build keep their type
        self.setting_value = wb.add_format({**base, "num_format": "@", "text_wrap": True, "align": "left"})
        self.header = wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "vcenter", "align": "center"}
        )
        grey = {"bg_color": "#F2F2F2", "font_color": "#404040"}
        self.computed = {
            name: wb.add_format({**fmt_props, **grey})
            for name, fmt_props in (
                ("text", base),
                ("wrap", {**base, "text_wrap": True}),
                ("date", {**base, "num_format": "dd/mm/yyyy", "align": "center"}),
                ("percent", {**base, "num_format": "0.00%", "text_wrap": True, "align": "center"}),
            )
        }
        self.red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.amber = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.green = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.g_title = wb.add_format({"bold": True, "font_size": 14, "text_wrap": True, "valign": "top",
                                      "font_color": "#1F3864"})
        self.g_heading = wb.add_format({"bold": True, "font_size": 12, "valign": "top", "font_color": "#1F3864",
                                        "bottom": 1, "bottom_color": "#8EA9DB"})
        self.g_para = wb.add_format({"text_wrap": True, "valign": "top"})
        self.g_bullet = wb.add_format({"text_wrap": True, "valign": "top", "indent": 1})
        self.log_header = wb.add_format({"bold": True, "bottom": 1, "bg_color": "#D9E1F2", "text_wrap": True,
                                         "valign": "vcenter"})

    def for_cell(self, kind: str | None, wrap: bool, computed: bool):
        if computed:
            key = {"date": "date", "datetime": "date", "percent": "percent"}.get(kind or "", "wrap" if wrap else "text")
            return self.computed[key]
        if kind == "date":
            return self.date
        if kind == "datetime":
            return self.datetime
        if kind == "int":
            return self.int
        if kind == "percent":
            return self.percent
        return self.wrap if wrap else self.text


def _print_setup(ws, *, landscape: bool) -> None:
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&C&A – Trang &P/&N")


def _write_table(wb, ws, spec: TableSpec, source: SourceTable, layout: dict, fmt: _Formats, last_row: int,
                 style: str) -> None:
    sheet_layout = layout["sheets"][spec.sheet]
    widths = sheet_layout["widths"]
    wraps = set(sheet_layout.get("wrap", ()))
    n_rows = max(len(source.rows), 1)  # an Excel table needs at least one data row
    ncols = len(spec.headers)

    cell_formats = []
    for c, header in enumerate(spec.headers):
        kind = _CELL_KINDS.get((spec.table, header))
        computed = header in spec.computed and not (spec is INDICATORS and header == "Kết quả")
        cell_fmt = fmt.for_cell(kind, header in wraps, computed)
        if (spec.table, header) == (SETTINGS.table, "Giá trị"):
            cell_fmt = fmt.setting_value
        cell_formats.append(cell_fmt)
        ws.set_column(c, c, widths.get(header, 14), cell_fmt)

    ws.add_table(
        0, 0, n_rows, ncols - 1,
        {
            "name": spec.table,
            "style": style,
            "autofilter": True,
            "columns": [{"header": h, "header_format": fmt.header} for h in spec.headers],
        },
    )
    col_widths = [widths.get(h, 14) for h in spec.headers]
    col_wraps = [h in wraps for h in spec.headers]
    header_height = _row_height(spec.headers, col_widths, [True] * ncols, factor=1.25)
    if header_height:
        ws.set_row(0, header_height)
    for r, row in enumerate(source.rows, start=1):
        height = _row_height(row, col_widths, col_wraps)
        if height:
            ws.set_row(r, height)
        for c, value in enumerate(row):
            cell_fmt = cell_formats[c]
            if isinstance(value, dt.date) and _CELL_KINDS.get((spec.table, spec.headers[c])) is None:
                cell_fmt = fmt.date_left  # a date in a mixed column (Cấu hình: Giá trị)
            _write_cell(ws, r, c, value, cell_fmt)
    if not source.rows:
        for c in range(ncols):
            ws.write_blank(1, c, None, cell_formats[c])

    # drop-down lists on every enumerated column, dates on date columns, over rows 2..last_row
    for c, header in enumerate(spec.headers):
        name = ENUM_COLUMNS.get((spec.table, header))
        if name:
            ws.data_validation(1, c, last_row - 1, c, {
                "validate": "list",
                "source": "=" + name,
                "ignore_blank": True,
                "error_type": "stop",
                "error_title": "Giá trị không hợp lệ",
                "error_message": f"Cột '{header}' chỉ nhận một giá trị trong danh sách: "
                                 + ", ".join(ENUM_NAMES[name]) + ".",
            })
            continue
        kind = _CELL_KINDS.get((spec.table, header))
        if kind in ("date", "datetime") and header not in spec.computed:
            example = "05/02/2024 09:30" if kind == "datetime" else "05/02/2024"
            ws.data_validation(1, c, last_row - 1, c, {
                "validate": "date",
                "criteria": "between",
                "minimum": _FIRST_DATE,
                "maximum": _LAST_DATE,
                "ignore_blank": True,
                "error_type": "stop",
                "error_title": "Ngày không hợp lệ",
                "error_message": f"Cột '{header}' cần một ngày dạng "
                                 + ("dd/mm/yyyy hh:mm" if kind == "datetime" else "dd/mm/yyyy")
                                 + f", ví dụ {example}.",
            })
        elif kind == "int":
            ws.data_validation(1, c, last_row - 1, c, {
                "validate": "integer",
                "criteria": "between",
                "minimum": 0,
                "maximum": 365,
                "ignore_blank": True,
                "error_title": "Số ngày không hợp lệ",
                "error_message": f"Cột '{header}' cần một số nguyên từ 0 đến 365 (0 = trả trong ngày).",
            })

    freeze = sheet_layout.get("freeze", [1, 1])
    ws.freeze_panes(*freeze)
    _print_setup(ws, landscape=sheet_layout.get("landscape", True))


def _write_cell(ws, r: int, c: int, value: object, cell_fmt) -> None:
    if value is None:
        ws.write_blank(r, c, None, cell_fmt)
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(r, c, value, cell_fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, cell_fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, cell_fmt)
    else:
        ws.write_string(r, c, str(value), cell_fmt)


def _row_rule(ws, spec: TableSpec, header: str, last_row: int, rules) -> None:
    """Colour whole data rows 2..last_row by the text of ``header`` (absolute column, relative row)."""
    col = xl_col_to_name(spec.col(header))
    last_col = len(spec.headers) - 1
    for values, cell_fmt in rules:
        tests = [f'${col}2="{v}"' for v in values]
        formula = "=" + tests[0] if len(tests) == 1 else "=OR(" + ",".join(tests) + ")"
        ws.conditional_format(1, 0, last_row - 1, last_col, {
            "type": "formula",
            "criteria": formula,
            "format": cell_fmt,
            "stop_if_true": True,
        })


# One column, narrow enough to fit A4 portrait at 100% even where Calibri is replaced by a wider
# font (LibreOffice without Carlito uses DejaVu Sans: ~9.3 px per character unit instead of 7).
_GUIDE_WIDTH = 70


def _write_guide(ws, fmt: _Formats, src_dir) -> None:
    ws.set_column(0, 0, _GUIDE_WIDTH)
    ws.hide_gridlines(2)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.7, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer("&CHướng dẫn – Trang &P/&N")
    r = 0
    for kind, text in load_guide(src_dir):
        if kind == "heading" and r:
            r += 1  # blank line before each heading
        factor = {"title": 1.4, "heading": 1.1}.get(kind, _CHAR_FACTOR)
        height = _row_height([text if kind != "bullet" else "   " + text], [_GUIDE_WIDTH], [True], factor)
        if height:
            ws.set_row(r, height * (1.3 if kind == "title" else 1.0))
        if kind == "title":
            ws.write_string(r, 0, text, fmt.g_title)
        elif kind == "heading":
            ws.write_string(r, 0, text, fmt.g_heading)
        elif kind == "bullet":
            ws.write_string(r, 0, "• " + text, fmt.g_bullet)
        else:
            ws.write_string(r, 0, text, fmt.g_para)
        r += 1


def _write_lists(wb, ws, fmt: _Formats) -> None:
    for c, (name, values) in enumerate(ENUM_NAMES.items()):
        ws.write_string(0, c, name, fmt.log_header)
        for r, value in enumerate(values, start=1):
            ws.write_string(r, c, value)
        col = xl_col_to_name(c)
        wb.define_name(name, f"='{SHEET_LISTS}'!${col}$2:${col}${len(values) + 1}")
        ws.set_column(c, c, max(16, max(len(v) for v in values) + 2))
    ws.hide()


def _write_log(ws, layout: dict, fmt: _Formats) -> None:
    sheet_layout = layout["sheets"][SHEET_LOG]
    widths = sheet_layout["widths"]
    wraps = set(sheet_layout.get("wrap", ()))
    for c, header in enumerate(LOG_HEADERS):
        col_fmt = fmt.datetime if header == "Thời gian" else (fmt.wrap if header in wraps else fmt.text)
        ws.set_column(c, c, widths.get(header, 14), col_fmt)
        ws.write_string(0, c, header, fmt.log_header)
    ws.freeze_panes(*sheet_layout.get("freeze", [1, 0]))
    _print_setup(ws, landscape=sheet_layout.get("landscape", True))


def _set_main_content_type(data: bytes, content_type: str) -> bytes:
    """Rewrite the workbook part's content type, keeping every zip entry (order, dates) as it was."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                payload = payload.replace(_XLSX_MAIN.encode(), content_type.encode())
            dst.writestr(info, payload)
    return out.getvalue()


def build_bytes(*, vba_project: bytes | None = None, vba_name: str = "ThisWorkbook",
                sheet_codenames: Mapping[str, str] | None = None, macro_enabled: bool = True,
                src_dir: Path | str = SRC_DIR,
                extra_sheets: Callable[[xlsxwriter.Workbook], object] | None = None) -> bytes:
    """The workbook package as bytes (see :func:`build_workbook`).

    ``extra_sheets(workbook)`` may add sheets after the contract sheets (the Excel front adds
    ``xlwings.conf``). With a VBA project and no ``sheet_codenames``, every worksheet gets the
    code name ``Sheet1`` … ``SheetN`` in workbook order, matching the VBA document modules.
    """
    tables = load_all(src_dir)
    layout = load_layout(src_dir)
    last_row = int(layout.get("validation_last_row", 10001))
    style = layout.get("table_style", "Table Style Medium 2")

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False,
                                   "default_format_properties": dict(DEFAULT_FONT)})
    wb.set_properties(dict(DOC_PROPERTIES))
    fmt = _Formats(wb)
    sheets = {name: wb.add_worksheet(name, worksheet_class=ReportWorksheet if name == SHEET_REPORT else None)
              for name in SHEET_ORDER}

    _write_guide(sheets[SHEET_GUIDE], fmt, src_dir)
    for spec in (TASKS, OCCURRENCES, DOSSIERS, PROCEDURES, INDICATORS, HOLIDAYS, SETTINGS, NARRATIVE):
        _write_table(wb, sheets[spec.sheet], spec, tables[spec.table], layout, fmt, last_row, style)

    for spec in (TASKS, OCCURRENCES):
        _row_rule(sheets[spec.sheet], spec, "Tình trạng hạn", last_row, (
            (("Quá hạn", "Chưa hoàn thành"), fmt.red),
            (("Sắp đến hạn",), fmt.amber),
            (("Hoàn thành đúng hạn", "Hoàn thành trễ hạn"), fmt.green),
        ))
    _row_rule(sheets[DOSSIERS.sheet], DOSSIERS, "Phân loại", last_row, (
        (("Trễ hạn", "Đang xử lý quá hạn"), fmt.red),
        (("Chờ bổ sung",), fmt.amber),
        (("Trước hạn", "Đúng hạn"), fmt.green),
    ))
    write_report_frame(wb, sheets[SHEET_REPORT])
    _write_lists(wb, sheets[SHEET_LISTS], fmt)
    _write_log(sheets[SHEET_LOG], layout, fmt)
    sheets[SHEET_GUIDE].activate()
    if extra_sheets is not None:
        extra_sheets(wb)

    if vba_project is not None:
        wb.set_vba_name(vba_name)
        if sheet_codenames is None:
            sheet_codenames = {ws.get_name(): f"Sheet{i}" for i, ws in enumerate(wb.worksheets(), start=1)}
        by_name = {ws.get_name(): ws for ws in wb.worksheets()}
        for name, codename in sheet_codenames.items():
            by_name[name].set_vba_name(codename)
        wb.add_vba_project(io.BytesIO(vba_project), is_stream=True)
    wb.close()
    data = buf.getvalue()
    if vba_project is None and macro_enabled:
        data = _set_main_content_type(data, _XLSM_MAIN)
    return data


def build_workbook(out_path: str | os.PathLike, *, vba_project: bytes | None = None,
                   vba_name: str = "ThisWorkbook", sheet_codenames: Mapping[str, str] | None = None,
                   after_write: Callable[[Path], None] | None = None,
                   src_dir: Path | str = SRC_DIR,
                   extra_sheets: Callable[[xlsxwriter.Workbook], object] | None = None) -> Path:
    """Build the workbook from ``src_dir`` and write it atomically to ``out_path``.

    ``.xlsm`` → macro-enabled content type (with or without ``vba_project``);
    any other suffix → an ordinary ``.xlsx`` package (``vba_project`` then refused).
    Returns the output path.
    """
    out = Path(out_path)
    macro = out.suffix.lower() == ".xlsm"
    if vba_project is not None and not macro:
        raise ValueError("Tệp có macro (VBA) phải có phần mở rộng .xlsm")
    data = build_bytes(vba_project=vba_project, vba_name=vba_name, sheet_codenames=sheet_codenames,
                       macro_enabled=macro, src_dir=src_dir, extra_sheets=extra_sheets)
    out.parent.mkdir(parents=True, exist_ok=True)
    from ..io.nofollow import replace_file

    replace_file(out, data, durable=True)        # a temporary beside it, then renamed: never through a link
    if after_write is not None:
        after_write(out)
    return out
