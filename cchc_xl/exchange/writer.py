"""Write a school's exchange file for the Sở from a computed :class:`~cchc_xl.engine.RefreshResult`.

The file is made from scratch with XlsxWriter — never a copy of the workbook — so it holds only:

* ``Báo cáo`` — the report sheet as printed (the same grid as the workbook's, its styles, merges,
  row heights, A4 page setup and chart);
* ``Nhiệm vụ`` — the task table (status, effective deadline, completion date, evidence, deadline flag);
* ``Chỉ tiêu`` — the indicator table (threshold, result, assessment);
* ``Thống kê hồ sơ`` — the dossier counts and rates;
* ``Dữ liệu trao đổi`` — the machine-readable long table of :mod:`cchc_xl.exchange.spec`.

No settings, log, xlwings sheet, macros, formulas (every text is written as text, even one
beginning with ``=``), external links or hidden sheets. Identity also goes into custom document
properties. The numbers are the report's own figures (``result.figures``, the same as ``refresh --json``, the
report sheet and the e-mail) plus the counts a roll-up needs to recompute rates (every dossier
counter, CT2's numerator and denominator, procedures). A report with a part that could not be
computed has no exchange file.
The file is written to a temporary name beside ``dest`` and renamed, so a half-written file never
appears.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

from .. import __version__, schema
from . import spec

__all__ = ["exchange_entries", "write_exchange", "write_grid", "SHEET_TASKS", "SHEET_INDICATORS", "SHEET_DOSSIERS"]

SHEET_TASKS = schema.TASKS.sheet
SHEET_INDICATORS = schema.INDICATORS.sheet
SHEET_DOSSIERS = "Thống kê hồ sơ"

_STATUS_LABEL = {code: label for label, code in schema.TASK_STATUS.items()}
_TASK_COLUMNS = (("Mã", 7), ("Lĩnh vực", 22), ("Nội dung công việc", 60), ("Tổ/nhóm chuyên môn", 18),
                 ("Cán bộ phụ trách", 18), ("Thời gian thực hiện/hoàn thành", 18), ("Hạn hoàn thành", 12),
                 ("Sản phẩm", 28), ("Trạng thái", 15), ("Ngày hoàn thành", 12), ("Minh chứng", 28),
                 ("Ghi chú", 24), ("Tình trạng hạn", 18))
_INDICATOR_COLUMNS = (("Mã", 7), ("Chỉ tiêu", 44), ("Cách tính", 44), ("So sánh", 8), ("Ngưỡng", 14),
                      ("Kết quả", 16), ("Đánh giá", 14), ("Ghi chú", 36))
_TABLE_STYLE = "Table Style Medium 2"
_DATE_FMT = "dd/mm/yyyy"
_DATETIME_FMT = "dd/mm/yyyy hh:mm:ss"
_PERCENT_FMT = "0.00%"
_COUNT_FMT = "#,##0"


def exchange_entries(result, made_at: dt.datetime | None = None,
                     program_version: str = __version__) -> list[tuple[str, str, object, str]]:
    """The long table ``(key, label, value, unit)`` of ``result`` (identity first, then counts, rates,
    indicators). ``made_at`` defaults to now (seconds)."""
    s = result.settings
    made_at = (made_at or dt.datetime.now()).replace(microsecond=0)
    summary = result.to_json()
    period = result.period
    number = str(s["so_bao_cao"] or "").strip()
    meta = {
        "format.name": spec.FORMAT_NAME,
        "format.version": spec.FORMAT_VERSION,
        "unit.code": str(s["ma_dinh_danh"] or "").strip(),
        "unit.name": str(s["ten_truong_ngan"] or s["ten_truong"] or "").strip(),
        "unit.governing_body": str(s["co_quan_chu_quan"] or "").strip(),
        "unit.place": str(s["dia_danh"] or "").strip(),
        "plan.number": str(s["so_ke_hoach"] or "").strip(),
        "plan.date": s["ngay_ke_hoach"],
        "plan.year": int(s["nam_ke_hoach"]),
        "report.number": f"{number or '……'}/{s['ky_hieu_bao_cao']}",
        "period.key": period.key,
        "period.label": period.label,
        "period.from": period.start,
        "period.to": period.end,
        "as_of": result.as_of,
        "made_at": made_at,
        "program.version": program_version,
        "settings.satisfaction_measure": str(s["cach_tinh_hai_long"] or ""),
    }
    figures = result.figures  # the one set of numbers of the report, the e-mail and refresh --json
    if not figures.complete:
        from ..errors import CchcError

        raise CchcError("Không lập được tệp trao đổi vì có phần không tính được số liệu — "
                        + figures.unavailable_text() + ".")
    task_counts = figures.tasks.counts
    counts: dict[str, int] = {f"tasks.{name}": int(n) for name, n in task_counts.items()}
    counts["tasks.active"] = figures.tasks.carried_out  # the completion rate's one denominator (core.figures)
    counts["tasks.done"] = figures.tasks.done
    counts["tasks.ct2_done"] = figures.tasks.ct2_numerator
    counts["tasks.ct2_due"] = figures.tasks.ct2_denominator
    stats = figures.dossiers
    dossier_counts = {**stats.counts(), **summary["dossiers"], "total": stats.total, "pending": stats.pending}
    for name, n in dossier_counts.items():
        counts[f"dossiers.{name}"] = int(n)
    procedures = list(result.data.procedures.values())
    counts["procedures.total"] = len(procedures)
    counts["procedures.published"] = sum(1 for p in procedures if p.published)

    rows: list[tuple[str, str, object, str]] = []
    for m in spec.META:
        rows.append((m.key, m.label, meta[m.key], ""))
    for key, n in counts.items():
        rows.append((key, spec.label_for(key), n, spec.unit_for(key)))
    for key in spec.RATE_FORMULAS:
        rows.append((key, spec.label_for(key), spec.rate(key, counts), spec.UNIT_RATE))
    names = {r.code: r.name for r in result.data.indicators}
    for ind in summary["indicators"]:
        code = ind["code"]
        actual = next(r.actual for r in result.indicators if r.code == code)  # typed (a date stays a date)
        numeric = isinstance(actual, (int, float)) and not isinstance(actual, bool)
        threshold = ind["threshold"]
        for field, value, unit in (
                ("name", names.get(code, code), ""),
                ("op", ind["op"], ""),
                ("threshold", threshold, spec.UNIT_RATE if isinstance(threshold, (int, float)) else ""),
                ("actual", actual, spec.UNIT_RATE if numeric else (spec.UNIT_DATE if isinstance(actual, dt.date)
                                                                   else "")),
                ("status", ind["status"], "")):
            key = spec.indicator_key(code, field)
            rows.append((key, spec.label_for(key), value, unit))
    return rows


# ---------------------------------------------------------------------------------------------- cells


class _Formats:
    def __init__(self, wb):
        self.wb = wb
        base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top"}
        self.text = wb.add_format({**base, "text_wrap": True})
        self.date = wb.add_format({**base, "num_format": _DATE_FMT, "align": "center"})
        self.datetime = wb.add_format({**base, "num_format": _DATETIME_FMT, "align": "center"})
        self.percent = wb.add_format({**base, "num_format": _PERCENT_FMT})
        self.count = wb.add_format({**base, "num_format": _COUNT_FMT})
        self.number = wb.add_format({**base, "num_format": "General"})
        self.title = wb.add_format({"font_name": "Times New Roman", "font_size": 13, "bold": True})
        self._report: dict[str, object] = {}

    def report(self, key: str):
        """XlsxWriter format for a :data:`cchc_xl.report.styles.STYLES` key."""
        if key not in self._report:
            from ..report.styles import STYLES

            s = STYLES[key]
            props: dict[str, object] = {}
            font = s.get("font") or {}
            for src, dst in (("name", "font_name"), ("size", "font_size"), ("bold", "bold"), ("italic", "italic")):
                if src in font:
                    props[dst] = font[src]
            if font.get("underline"):
                props["underline"] = 1
            if font.get("color"):
                props["font_color"] = "#" + font["color"]
            if s.get("fill"):
                props.update({"pattern": 1, "bg_color": "#" + s["fill"]})
            border = s.get("border")
            if border == "thin":
                props["border"] = 1
            elif isinstance(border, dict):  # some sides only
                props.update({side: 1 for side, style in border.items() if style == "thin"})
            align = s.get("align") or {}
            if align.get("horizontal"):
                props["align"] = align["horizontal"]
            if align.get("vertical"):
                props["valign"] = {"center": "vcenter"}.get(align["vertical"], align["vertical"])
            if align.get("wrap"):
                props["text_wrap"] = True
            if s.get("num_fmt"):
                props["num_format"] = s["num_fmt"]
            self._report[key] = self.wb.add_format(props)
        return self._report[key]


def _write(ws, r: int, c: int, value, fmt, fmts: _Formats, kind: str | None = None) -> None:
    """One typed cell: text is always text (never a formula or a URL), dates are dates."""
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value, fmts.datetime if kind != "date" else fmts.date)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), fmts.date)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def write_grid(wb, ws, grid, formats: _Formats | None = None) -> None:
    """Write a :class:`~cchc_xl.report.layout.ReportGrid` into XlsxWriter sheet ``ws`` of ``wb``: values,
    :data:`~cchc_xl.report.styles.STYLES`, merges, row heights and page breaks; the print area covers the
    grid's printed columns."""
    fmts = formats or _Formats(wb)
    covered = set()
    for r1, c1, r2, c2 in grid.merges:
        value, style = grid.cells[(r1, c1)]
        fmt = fmts.report(style)
        # merge_range writes its value with write(), which parses a text '{=…}' as an array formula whatever
        # the workbook's options say: merge with a blank, then write the value itself as what it is
        ws.merge_range(r1 - 1, c1 - 1, r2 - 1, c2 - 1, None, fmt)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(r1 - 1, c1 - 1, value, fmt)
        elif value is not None and value != "":
            ws.write_string(r1 - 1, c1 - 1, str(value), fmt)
        covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
    for (r, c), (value, style) in sorted(grid.cells.items()):
        if (r, c) not in covered:
            _write(ws, r - 1, c - 1, value, fmts.report(style), fmts)
    for r, height in grid.row_heights.items():
        ws.set_row(r - 1, height)
    if getattr(grid, "row_breaks", None):
        ws.set_h_pagebreaks(list(grid.row_breaks))
    ws.print_area(0, 0, max(grid.last_row, 1) - 1, getattr(grid, "columns", 8) - 1)


def _report_sheet(wb, fmts: _Formats, result) -> None:
    from ..report.frame import ReportWorksheet, write_report_frame
    from ..report.layout import build_report_grid

    ws = wb.add_worksheet(schema.SHEET_REPORT, worksheet_class=ReportWorksheet)
    write_report_frame(wb, ws)
    write_grid(wb, ws, build_report_grid(result), fmts)
    ws.activate()


def _table(ws, fmts: _Formats, name: str, columns, rows: list[list], formats: dict[int, object]) -> None:
    """An Excel table with filters and a frozen header row; ``formats`` maps column → cell format."""
    ws.add_table(0, 0, max(len(rows), 1), len(columns) - 1, {
        "name": name, "style": _TABLE_STYLE, "autofilter": True,
        "columns": [{"header": h} for h, _ in columns]})
    for c, (_, width) in enumerate(columns):
        ws.set_column(c, c, width)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            _write(ws, r, c, value, formats.get(c, fmts.text), fmts, kind="date")
    ws.freeze_panes(1, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _tasks_sheet(wb, fmts: _Formats, result) -> None:
    ws = wb.add_worksheet(SHEET_TASKS)
    rows = []
    for o in result.task_outcomes:
        t = o.task
        area = f"{t.area}. {schema.AREAS[t.area]}" if t.area in schema.AREAS else ""
        rows.append([t.id, area, t.content, t.group, t.owner, t.timeframe, o.deadline, t.product,
                     _STATUS_LABEL.get(t.status, t.status), t.done_date, t.evidence, t.note,
                     o.flag.label])
    _table(ws, fmts, "tblNhiemVuBaoCao", _TASK_COLUMNS, rows, {})


def _indicators_sheet(wb, fmts: _Formats, result) -> None:
    ws = wb.add_worksheet(SHEET_INDICATORS)
    source = {r.code: r for r in result.data.indicators}
    rows = []
    for res in result.indicators:
        src = source.get(res.code)
        rows.append([res.code, src.name if src else res.code, src.method if src else "", res.op or "",
                     res.threshold, res.actual, str(res.status), src.note if src else ""])
    numeric = {4: fmts.percent, 5: fmts.percent}
    _table(ws, fmts, "tblChiTieuBaoCao", _INDICATOR_COLUMNS, rows, numeric)


def _dossiers_sheet(wb, fmts: _Formats, entries) -> None:
    ws = wb.add_worksheet(SHEET_DOSSIERS)
    rows = []
    for key, label, value, unit in entries:
        group = key.partition(".")[0]
        if group in ("dossiers", "procedures") or key.startswith("rates."):
            rows.append([label, value, unit])
    ws.add_table(0, 0, len(rows), 2, {
        "name": "tblThongKeHoSo", "style": _TABLE_STYLE, "autofilter": True,
        "columns": [{"header": "Chỉ số"}, {"header": "Giá trị"}, {"header": "Đơn vị"}]})
    ws.set_column(0, 0, 70)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 10)
    for r, (label, value, unit) in enumerate(rows, start=1):
        ws.write_string(r, 0, label, fmts.text)
        _write(ws, r, 1, value, fmts.percent if unit == spec.UNIT_RATE else fmts.count, fmts)
        ws.write_string(r, 2, unit, fmts.text)
    ws.freeze_panes(1, 0)
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


def _data_sheet(wb, fmts: _Formats, entries) -> None:
    ws = wb.add_worksheet(spec.SHEET_DATA)
    ws.add_table(0, 0, len(entries), 3, {
        "name": spec.TABLE_DATA, "style": _TABLE_STYLE, "autofilter": True,
        "columns": [{"header": h} for h in spec.DATA_HEADERS]})
    for c, width in enumerate((34, 70, 24, 10)):
        ws.set_column(c, c, width)
    for r, (key, label, value, unit) in enumerate(entries, start=1):
        ws.write_string(r, 0, key, fmts.text)
        ws.write_string(r, 1, label, fmts.text)
        fmt = fmts.percent if unit == spec.UNIT_RATE else (fmts.count if unit else fmts.text)
        if isinstance(value, (int, float)) and not unit:
            fmt = fmts.number
        _write(ws, r, 2, value, fmt, fmts)
        ws.write_string(r, 3, unit, fmts.text)
    ws.freeze_panes(1, 0)


def _properties(wb, entries, result) -> None:
    values = {k: v for k, _, v, _ in entries}
    unit = values["unit.name"]
    wb.set_properties({
        "title": f"Báo cáo CCHC {values['period.label']} – {unit}",
        "subject": f"Kết quả thực hiện công tác cải cách hành chính {values['period.label']}",
        "author": unit, "company": unit, "keywords": "CCHC, báo cáo, trao đổi dữ liệu",
        "comments": f"Tệp trao đổi {spec.FORMAT_NAME} phiên bản {spec.FORMAT_VERSION}, lập bởi cchc-xl "
                    f"{values['program.version']}",
        "created": values["made_at"],
    })
    for key, prop in spec.PROPERTIES.items():
        value = values.get(key)
        if isinstance(value, dt.datetime):
            value = value.isoformat(timespec="seconds")
        elif isinstance(value, dt.date):
            value = value.isoformat()
        wb.set_custom_property(prop, "" if value is None else str(value))


def write_exchange(result, dest: str | os.PathLike, made_at: dt.datetime | None = None) -> Path:
    """Write the exchange file of ``result`` to ``dest`` (replaced if it exists) and return its path.

    ``made_at`` (default: now) is written as the time the file was made. Raises ``OSError`` only when
    ``dest``'s folder cannot be written. Written through :func:`cchc_xl.io.nofollow.replace_file`: a link planted
    under ``dest``'s name is replaced, never written through.
    """
    import xlsxwriter

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    entries = exchange_entries(result, made_at)
    from ..io.nofollow import replace_file
    from ..report.frame import DEFAULT_FONT

    buffer = io.BytesIO()      # made in memory, then written beside ``dest`` and renamed (never through a link)
    wb = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False, "default_date_format": _DATE_FMT,
                                      "default_format_properties": dict(DEFAULT_FONT), "in_memory": True})
    fmts = _Formats(wb)
    _properties(wb, entries, result)
    _report_sheet(wb, fmts, result)
    _tasks_sheet(wb, fmts, result)
    _indicators_sheet(wb, fmts, result)
    _dossiers_sheet(wb, fmts, entries)
    _data_sheet(wb, fmts, entries)
    wb.close()
    replace_file(dest, buffer.getvalue(), mode=0o644)   # the file is meant to be mailed and shared
    return dest
