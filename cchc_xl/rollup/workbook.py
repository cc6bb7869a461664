"""The Sở's roll-up workbook, written with XlsxWriter from a :class:`~cchc_xl.rollup.aggregate.Rollup`.

Sheets: ``Tổng hợp`` (reporting status, city totals beside the same period of the previous year,
three charts), ``Báo cáo`` (the printable NĐ 30 page, :mod:`.summary_page`), then one Excel table per
topic — ``Nhiệm vụ``, ``Hồ sơ TTHC``, ``Chỉ tiêu``, ``Chỉ tiêu toàn ngành``, ``Xếp hạng``,
``Chưa báo cáo, nộp muộn``, ``Tệp đã nhận`` — each with filters, a frozen header row and real number
formats (``#,##0`` counts, ``0.00%`` rates, ``dd/mm/yyyy`` dates: Excel shows them with the viewer's
Vietnamese separators). No formulas: every figure is a value computed by pandas. Written to a
temporary file beside the target and renamed.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from .. import schema
from ..core.tasks import TASK_FLAGS

__all__ = ["write_rollup_workbook", "SHEETS"]

SHEETS = ("Tổng hợp", "Báo cáo", "Nhiệm vụ", "Hồ sơ TTHC", "Chỉ tiêu", "Chỉ tiêu toàn ngành", "Xếp hạng",
          "Chưa báo cáo, nộp muộn", "Tệp đã nhận")
_STYLE = "Table Style Medium 2"
_FONT = "Times New Roman"

# (header, column, kind, width); kind: text | count | rate | date | datetime | bool | number
_UNIT = [("Mã định danh", "unit_code", "text", 16), ("Đơn vị", "unit_name", "text", 34)]
_TASK_COLUMNS = _UNIT + [
    ("Số nhiệm vụ", "tasks.active", "count", 10), ("Đã hoàn thành", "tasks.done", "count", 11),
    ("Hoàn thành đúng hạn", "tasks.done_on_time", "count", 11), ("Hoàn thành trễ hạn", "tasks.done_late", "count", 11),
    ("Quá hạn", "tasks.overdue", "count", 9), ("Sắp đến hạn", "tasks.due_soon", "count", 9),
    ("Trong hạn", "tasks.in_time", "count", 9), ("Chưa xác định hạn", "tasks.no_deadline", "count", 10),
    ("Không thực hiện", "tasks.not_done", "count", 10),
    ("Tỷ lệ hoàn thành", "rates.task_completion", "rate", 11),
    ("Tỷ lệ hoàn thành cùng kỳ năm trước", "previous:rates.task_completion", "rate", 14),
    ("Tỷ lệ đúng hạn (CT2)", "rates.ct2", "rate", 11),
    ("CT2 cùng kỳ năm trước", "previous:rates.ct2", "rate", 12),
    ("Hạng tiến độ", "rank_tasks", "count", 8),
]
_DOSSIER_COLUMNS = _UNIT + [
    ("Tổng số hồ sơ", "dossiers.total", "count", 10), ("Kỳ trước chuyển sang", "dossiers.carried_over", "count", 10),
    ("Mới tiếp nhận", "dossiers.received_new", "count", 10), ("Trực tuyến", "dossiers.online_new", "count", 10),
    ("Đã giải quyết", "dossiers.resolved", "count", 10), ("Trước hạn", "dossiers.early", "count", 9),
    ("Đúng hạn", "dossiers.on_time", "count", 9), ("Trễ hạn", "dossiers.late", "count", 9),
    ("Đang giải quyết", "dossiers.pending", "count", 10), ("Đang giải quyết quá hạn", "dossiers.pending_overdue",
                                                           "count", 11),
    ("Rút hồ sơ", "dossiers.withdrawn", "count", 9),
    ("Tỷ lệ trước hạn và đúng hạn", "rates.early_or_on_time", "rate", 12),
    ("Cùng kỳ năm trước", "previous:rates.early_or_on_time", "rate", 12),
    ("Tỷ lệ trực tuyến", "rates.online", "rate", 10), ("Tỷ lệ số hóa", "rates.digitised", "rate", 10),
    ("Tỷ lệ hài lòng", "rates.satisfaction", "rate", 10), ("Cách tính hài lòng", "satisfaction_measure", "text", 11),
    ("Hạng giải quyết hồ sơ", "rank_dossiers", "count", 10),
]
_INDICATOR_COLUMNS = _UNIT + [
    ("Mã chỉ tiêu", "code", "text", 9), ("Chỉ tiêu", "name", "text", 50), ("So sánh", "op", "text", 8),
    ("Ngưỡng", "threshold", "rate", 10), ("Kết quả", "actual", "rate", 12), ("Đánh giá", "status", "text", 13)]
_SUMMARY_COLUMNS = [
    ("Mã", "code", "text", 8), ("Chỉ tiêu", "name", "text", 50), ("So sánh", "op", "text", 8),
    ("Ngưỡng", "threshold", "rate", 10), ("Toàn ngành", "city_value", "rate", 11),
    ("Đánh giá toàn ngành", "city_status", "text", 13), ("Số đơn vị đạt", "met", "count", 9),
    ("Không đạt", "not_met", "count", 9), ("Chưa có dữ liệu", "no_data", "count", 9),
    ("Theo dõi", "followed", "count", 9), ("Số đơn vị", "units", "count", 9),
    ("Tỷ lệ đơn vị đạt", "share_met", "rate", 10)]
_RANK_COLUMNS = [("Hạng", "rank", "count", 7)] + _UNIT + [
    ("Tỷ lệ chỉ tiêu đạt", "share_met", "rate", 11), ("Số chỉ tiêu đạt", "met", "count", 9),
    ("Số chỉ tiêu không đạt", "not_met", "count", 10),
    ("Tỷ lệ hồ sơ trước hạn và đúng hạn", "rates.early_or_on_time", "rate", 13),
    ("Tỷ lệ nhiệm vụ hoàn thành", "rates.task_completion", "rate", 12), ("Nộp muộn", "late", "bool", 9)]
_STATUS_COLUMNS = [("Mã định danh", "unit_code", "text", 16), ("Đơn vị", "unit_name", "text", 40),
                   ("Tình trạng", "status", "text", 22), ("Thời điểm nhận", "arrived", "datetime", 17),
                   ("Số ngày muộn", "days_late", "count", 10)]
_FILE_COLUMNS = [("Tệp", "file_name", "text", 40), ("Thời điểm nhận", "arrived_at", "datetime", 17),
                 ("Thời điểm kiểm tra", "seen_at", "datetime", 17), ("Kết quả", "outcome", "text", 12),
                 ("Mã định danh", "unit_code", "text", 16), ("Kỳ", "period", "text", 10),
                 ("Lý do từ chối", "reason", "text", 60), ("Mã băm SHA-256", "sha256", "text", 20)]
_CITY_ROWS = [
    ("Số nhiệm vụ phải thực hiện", "tasks.active", "count"), ("Nhiệm vụ đã hoàn thành", "tasks.done", "count"),
    ("Hoàn thành đúng hạn", "tasks.done_on_time", "count"), ("Hoàn thành trễ hạn", "tasks.done_late", "count"),
    ("Nhiệm vụ quá hạn", "tasks.overdue", "count"), ("Tỷ lệ nhiệm vụ hoàn thành", "rates.task_completion", "rate"),
    ("Tỷ lệ nhiệm vụ đến hạn hoàn thành đúng hạn (CT2)", "rates.ct2", "rate"),
    ("Tổng số hồ sơ TTHC", "dossiers.total", "count"), ("Hồ sơ mới tiếp nhận", "dossiers.received_new", "count"),
    ("Hồ sơ nộp trực tuyến", "dossiers.online_new", "count"), ("Hồ sơ đã giải quyết", "dossiers.resolved", "count"),
    ("Giải quyết trước hạn", "dossiers.early", "count"), ("Giải quyết đúng hạn", "dossiers.on_time", "count"),
    ("Giải quyết trễ hạn", "dossiers.late", "count"), ("Đang giải quyết quá hạn", "dossiers.pending_overdue", "count"),
    ("Tỷ lệ giải quyết trước hạn và đúng hạn", "rates.early_or_on_time", "rate"),
    ("Tỷ lệ hồ sơ trực tuyến", "rates.online", "rate"), ("Tỷ lệ kết quả số hóa", "rates.digitised", "rate"),
    ("Tỷ lệ hài lòng (QĐ 766)", "rates.satisfaction_qd766", "rate"),
    ("Tỷ lệ hài lòng (khảo sát)", "rates.satisfaction_survey", "rate"),
]
_HISTORY_RATES = ("rates.task_completion", "rates.ct2", "rates.early_or_on_time", "rates.online", "rates.digitised")


def _missing(v) -> bool:
    """None, NaN or NaT."""
    if v is None:
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False


class _Writer:
    def __init__(self, wb):
        self.wb = wb
        base = {"font_name": _FONT, "font_size": 11, "valign": "top"}
        self.fmt = {
            "text": wb.add_format({**base, "text_wrap": True}),
            "count": wb.add_format({**base, "num_format": "#,##0"}),
            "number": wb.add_format({**base}),
            "rate": wb.add_format({**base, "num_format": "0.00%"}),
            "date": wb.add_format({**base, "num_format": "dd/mm/yyyy", "align": "center"}),
            "datetime": wb.add_format({**base, "num_format": "dd/mm/yyyy hh:mm", "align": "center"}),
            "bool": wb.add_format({**base, "align": "center"}),
        }
        self.title = wb.add_format({"font_name": _FONT, "font_size": 14, "bold": True})
        self.subtitle = wb.add_format({"font_name": _FONT, "font_size": 11, "italic": True})
        self.section = wb.add_format({"font_name": _FONT, "font_size": 12, "bold": True})

    def cell(self, ws, r: int, c: int, value, kind: str) -> None:
        fmt = self.fmt[kind]
        if _missing(value) or value == "":
            ws.write_blank(r, c, None, fmt)
        elif kind == "bool":
            ws.write_string(r, c, "Có" if value else "Không", fmt)
        elif isinstance(value, (dt.datetime, dt.date)) or kind in ("date", "datetime") and isinstance(value, str):
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            if not isinstance(value, dt.datetime):
                value = dt.datetime(value.year, value.month, value.day)
            ws.write_datetime(r, c, value.to_pydatetime() if hasattr(value, "to_pydatetime") else value, fmt)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(r, c, float(value), fmt if kind in ("count", "rate", "number") else self.fmt["number"])
        elif hasattr(value, "item"):  # numpy scalar
            self.cell(ws, r, c, value.item(), kind)
        else:
            ws.write_string(r, c, str(value), self.fmt["text"])

    def table(self, ws, first_row: int, name: str, columns, records: list[dict], freeze: bool = True,
              first_col: int = 0) -> int:
        """An Excel table at ``(first_row, first_col)``; returns the row after it."""
        n = len(records)
        ws.add_table(first_row, first_col, first_row + max(n, 1), first_col + len(columns) - 1, {
            "name": name, "style": _STYLE, "autofilter": True,
            "columns": [{"header": h} for h, _, _, _ in columns]})
        for c, (_, _, _, width) in enumerate(columns, start=first_col):
            ws.set_column(c, c, width)
        for i, rec in enumerate(records, start=first_row + 1):
            for c, (_, col, kind, _) in enumerate(columns, start=first_col):
                self.cell(ws, i, c, rec.get(col), kind)
        if freeze:
            ws.freeze_panes(first_row + 1, 0)
        return first_row + max(n, 1) + 1


def _records(frame, index_name: str | None = None) -> list[dict]:
    if index_name:
        frame = frame.reset_index().rename(columns={"index": index_name})
    return frame.to_dict("records")


def _page(ws, landscape: bool = True) -> None:
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)


def _summary_sheet(wb, w: _Writer, data, made_at: dt.datetime) -> None:
    ws = wb.add_worksheet(SHEETS[0])
    ws.write_string(0, 0, f"TỔNG HỢP BÁO CÁO CẢI CÁCH HÀNH CHÍNH {data.label.upper()} CỦA CÁC ĐƠN VỊ", w.title)
    ws.write_string(1, 0, f"Số liệu từ {data.start:%d/%m/%Y} đến {data.end:%d/%m/%Y}; hạn gửi báo cáo "
                          f"{data.deadline:%d/%m/%Y}; lập lúc {made_at:%d/%m/%Y %H:%M}. Các tỷ lệ toàn ngành tính "
                          "từ tổng các số đếm.", w.subtitle)
    status = data.status["status"].value_counts()
    reported = len(data.units)
    late = int(status.get("Nộp muộn", 0))
    rows = [{"k": "Số đơn vị phải báo cáo", "v": data.expected},
            {"k": "Số đơn vị đã báo cáo", "v": reported},
            {"k": "Báo cáo đúng hạn", "v": reported - late},
            {"k": "Nộp muộn", "v": late},
            {"k": "Chưa báo cáo", "v": int(status.get("Chưa báo cáo", 0)) if data.expected is not None else None},
            {"k": "Đơn vị không có trong danh sách", "v": int(status.get("Không có trong danh sách", 0))}]
    ws.write_string(3, 0, "1. Tình hình báo cáo", w.section)
    row = w.table(ws, 4, "tblTinhHinhBaoCao", [("Nội dung", "k", "text", 46), ("Số đơn vị", "v", "count", 13)],
                  rows, freeze=False)

    ws.write_string(row + 1, 0, "2. Chỉ số toàn ngành", w.section)
    prev = data.city_previous
    city_rows = []
    for label, key, kind in _CITY_ROWS:
        now_v = data.city.get(key)
        prev_v = prev.get(key) if prev is not None else None
        diff = None if _missing(now_v) or _missing(prev_v) else float(now_v) - float(prev_v)
        city_rows.append({"k": label, "now": now_v, "prev": prev_v, "diff": diff, "kind": kind})
    first = row + 2
    cols = [("Chỉ số", "k", "text", 46), ("Kỳ này", "now", "count", 13), (f"Cùng kỳ năm {data.year - 1}", "prev",
                                                                          "count", 13),
            ("Chênh lệch", "diff", "count", 13)]
    ws.add_table(first, 0, first + len(city_rows), 3, {"name": "tblChiSoToanNganh", "style": _STYLE,
                                                       "autofilter": True,
                                                       "columns": [{"header": h} for h, _, _, _ in cols]})
    for i, rec in enumerate(city_rows, start=first + 1):
        ws.write_string(i, 0, rec["k"], w.fmt["text"])
        for c, col in ((1, "now"), (2, "prev"), (3, "diff")):
            w.cell(ws, i, c, rec[col], rec["kind"])
    row = first + len(city_rows) + 2

    # chart data blocks (visible tables) to the right, charts below them
    ws.write_string(3, 5, "3. Tình trạng nhiệm vụ toàn ngành", w.section)
    flags = [{"k": schema.TASK_FLAG[f], "v": data.city.get(f"tasks.{f}", 0)} for f in TASK_FLAGS]
    w.table(ws, 4, "tblTinhTrangNhiemVu", [("Tình trạng", "k", "text", 22), ("Số nhiệm vụ", "v", "count", 12)],
            flags, freeze=False, first_col=5)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Số nhiệm vụ", "categories": [SHEETS[0], 5, 5, 4 + len(flags), 5],
                      "values": [SHEETS[0], 5, 6, 4 + len(flags), 6], "fill": {"color": "#2E75B6"},
                      "data_labels": {"value": True}})
    _chart_style(chart, "Tình trạng nhiệm vụ của các đơn vị")
    chart.set_legend({"none": True})
    ws.insert_chart(3, 10, chart, {"x_scale": 1.3, "y_scale": 1.1})

    summary = data.indicator_summary
    block = 14
    ws.write_string(block, 5, "4. Số đơn vị đạt theo chỉ tiêu", w.section)
    recs = _records(summary) if not summary.empty else []
    w.table(ws, block + 1, "tblDatChiTieu", [("Mã", "code", "text", 22), ("Đạt", "met", "count", 12),
                                              ("Không đạt", "not_met", "count", 11),
                                              ("Chưa có dữ liệu", "no_data", "count", 12)], recs, freeze=False,
            first_col=5)
    if recs:
        bar = wb.add_chart({"type": "bar", "subtype": "stacked"})
        for c, (name, color) in enumerate((("Đạt", "#2E7D32"), ("Không đạt", "#C62828"),
                                           ("Chưa có dữ liệu", "#BDBDBD")), start=6):
            bar.add_series({"name": name, "categories": [SHEETS[0], block + 2, 5, block + 1 + len(recs), 5],
                            "values": [SHEETS[0], block + 2, c, block + 1 + len(recs), c], "fill": {"color": color}})
        _chart_style(bar, "Số đơn vị đạt, không đạt từng chỉ tiêu")
        bar.set_y_axis({"reverse": True, "num_font": {"name": _FONT, "size": 9}})
        ws.insert_chart(21, 10, bar, {"x_scale": 1.3, "y_scale": 1.3})

    hist = block + 4 + max(len(recs), 1)
    ws.write_string(hist, 5, f"5. So sánh với cùng kỳ năm {data.year - 1}", w.section)
    label_of = {key: label for label, key, _ in _CITY_ROWS}
    hrecs = [{"k": label_of[k], "now": data.city.get(k), "prev": prev.get(k) if prev is not None else None}
             for k in _HISTORY_RATES]
    w.table(ws, hist + 1, "tblSoSanhCungKy", [("Tỷ lệ", "k", "text", 22), ("Kỳ này", "now", "rate", 12),
                                               (f"Năm {data.year - 1}", "prev", "rate", 11)], hrecs, freeze=False,
            first_col=5)
    col_chart = wb.add_chart({"type": "column"})
    col_chart.add_series({"name": data.label, "categories": [SHEETS[0], hist + 2, 5, hist + 1 + len(hrecs), 5],
                          "values": [SHEETS[0], hist + 2, 6, hist + 1 + len(hrecs), 6], "fill": {"color": "#2E75B6"}})
    if prev is not None:
        col_chart.add_series({"name": f"Cùng kỳ năm {data.year - 1}",
                              "categories": [SHEETS[0], hist + 2, 5, hist + 1 + len(hrecs), 5],
                              "values": [SHEETS[0], hist + 2, 7, hist + 1 + len(hrecs), 7],
                              "fill": {"color": "#F9A825"}})
    _chart_style(col_chart, "Các tỷ lệ toàn ngành" + (" so với cùng kỳ năm trước" if prev is not None else ""))
    col_chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1, "num_font": {"name": _FONT, "size": 9}})
    ws.insert_chart(43, 10, col_chart, {"x_scale": 1.3, "y_scale": 1.1})
    ws.set_column(0, 0, 46)
    ws.set_column(1, 3, 17)
    ws.set_column(4, 4, 3)
    ws.set_column(5, 5, 24)
    ws.set_column(6, 8, 12)
    ws.set_column(9, 9, 3)
    _page(ws)
    ws.activate()


def _chart_style(chart, title: str) -> None:
    font = {"name": _FONT}
    chart.set_title({"name": title, "name_font": {**font, "size": 12, "bold": True}})
    chart.set_legend({"position": "bottom", "font": {**font, "size": 9}})
    chart.set_x_axis({"num_font": {**font, "size": 9}})


def _report_sheet(wb, data, options, made_at) -> None:
    from ..report.frame import report_page_setup
    from ..exchange.writer import write_grid
    from .summary_page import build_summary_grid

    ws = wb.add_worksheet(SHEETS[1])
    report_page_setup(ws)
    write_grid(wb, ws, build_summary_grid(data, options, made_at))


def write_rollup_workbook(data, out: str | os.PathLike, options, files: list[dict],
                          made_at: dt.datetime) -> Path:
    """Write the Sở's workbook of ``data`` to ``out`` (atomic replace). ``files`` are the database's file
    rows (for ``Tệp đã nhận``)."""
    import xlsxwriter

    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=out.parent)
    os.close(fd)
    try:
        wb = xlsxwriter.Workbook(tmp, {"strings_to_formulas": False, "strings_to_urls": False,
                                       "strings_to_numbers": False})
        wb.set_properties({"title": f"Tổng hợp báo cáo CCHC {data.label}", "author": options.issuer or "cchc-xl",
                           "company": options.issuer, "comments": "Lập bởi cchc-xl rollup", "created": made_at})
        w = _Writer(wb)
        _summary_sheet(wb, w, data, made_at)
        _report_sheet(wb, data, options, made_at)
        units = _records(data.units, "unit_code")
        for name, table, cols, recs in (
                (SHEETS[2], "tblNhiemVuDonVi", _TASK_COLUMNS, units),
                (SHEETS[3], "tblHoSoDonVi", _DOSSIER_COLUMNS, units),
                (SHEETS[4], "tblChiTieuDonVi", _INDICATOR_COLUMNS, _records(data.indicators)),
                (SHEETS[5], "tblChiTieuToanNganh", _SUMMARY_COLUMNS, _records(data.indicator_summary)),
                (SHEETS[6], "tblXepHang", _RANK_COLUMNS, _records(data.ranking, "unit_code")),
                (SHEETS[7], "tblChuaBaoCaoNopMuon", _STATUS_COLUMNS, _records(data.status)),
                (SHEETS[8], "tblTepDaNhan", _FILE_COLUMNS, _file_records(files))):
            ws = wb.add_worksheet(name)
            w.table(ws, 0, table, cols, recs)
            _page(ws)
        wb.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _file_records(files: list[dict]) -> list[dict]:
    out = []
    for f in files:
        period = f"{f['period_key']}/{f['period_year']}" if f.get("period_key") else ""
        out.append({**f, "period": period,
                    "outcome": {"accepted": "Chấp nhận", "rejected": "Từ chối"}.get(f["outcome"], f["outcome"])})
    return out
