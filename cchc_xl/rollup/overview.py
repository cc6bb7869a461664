"""The roll-up's first sheet, ``Tổng hợp``: the period at a glance, one section under the other.

1. reporting status — to report = reported + not reported, reported = on time + late (the units list's
   arithmetic), units outside the list and files the list rejected on lines of their own;
2. the city's figures now, and beside them the same period of the previous year **on the units that reported
   both times** (their number in the headers), with the difference;
3. task states of all units (the parts add up to the tasks to carry out) and their chart;
4. units per assessment class of each indicator (the classes add up to the units) and their chart;
5. the rates now and a year earlier on the same units, and their chart.

Every table is an Excel table in columns A–H; each chart sits under its table, inside the same columns, so
the sheet prints A4 landscape at nearly full size (page numbers at the foot).
"""

from __future__ import annotations

import datetime as dt

from ..core.vocabulary import NOT_YET_DUE, PeriodKey, TaskFlag
from .aggregate import CLASSES, class_label
from .cells import col_pt, print_setup, row_height, text_lines

__all__ = ["write_overview", "SHEET"]

SHEET = "Tổng hợp"
_STYLE = "Table Style Medium 2"
_FONT = "Times New Roman"
_LABEL_WIDTH, _NUMBER_WIDTH, _COLUMNS = 48, 12.5, 8
_CHART_ROWS = 16


def _value(series, key):
    if series is None:
        return None
    if key == "tasks.not_yet_due":
        return sum(float(series.get(f"tasks.{k}", 0) or 0) for k in NOT_YET_DUE)
    return series.get(key)


class _Sheet:
    def __init__(self, wb, w, ws):
        self.wb, self.w, self.ws = wb, w, ws
        self.row = 0
        self.breaks: list[int] = []

    def section(self, text: str, new_page: bool = False) -> None:
        self.row += 1
        if new_page:     # each section from 2 on starts a page: a table or chart is never cut by a page end
            self.breaks.append(self.row)
        self.ws.write_string(self.row, 0, text, self.w.section)
        self.row += 1

    def note(self, text: str) -> None:
        width = col_pt(_LABEL_WIDTH) + (_COLUMNS - 1) * col_pt(_NUMBER_WIDTH)
        self.ws.set_row(self.row, row_height(text_lines(text, width, 10), 10))
        self.ws.merge_range(self.row, 0, self.row, _COLUMNS - 1, None, self.w.note)
        self.ws.write_string(self.row, 0, text, self.w.note)
        self.row += 1

    def table(self, name: str, headers: list[str], rows: list[list[tuple[object, str]]]) -> tuple[int, int]:
        """An Excel table at the current row; returns (first data row, last data row)."""
        ws, w = self.ws, self.w
        widths = [_LABEL_WIDTH] + [_NUMBER_WIDTH] * (len(headers) - 1)
        need = max(text_lines(h, col_pt(wd), 11, True) for h, wd in zip(headers, widths))
        ws.set_row(self.row, row_height(need, 11, 4))
        first = self.row + 1
        ws.add_table(self.row, 0, self.row + max(len(rows), 1), len(headers) - 1, {
            "name": name, "style": _STYLE, "autofilter": False,
            "columns": [{"header": h, "header_format": w.head} for h in headers]})
        for i, cells in enumerate(rows):
            label = str(cells[0][0])
            lines = text_lines(label, col_pt(_LABEL_WIDTH), 11)
            if lines > 1:
                ws.set_row(first + i, row_height(lines, 11))
            for c, (value, kind) in enumerate(cells):
                w.cell(ws, first + i, c, value, kind)
        self.row = first + max(len(rows), 1)
        return first, first + len(rows) - 1

    def chart(self, chart) -> None:
        chart.set_size({"width": 980, "height": 300})
        self.ws.insert_chart(self.row + 1, 0, chart, {"object_position": 1})
        self.row += _CHART_ROWS


def _chart_style(chart, title: str) -> None:
    font = {"name": _FONT}
    chart.set_title({"name": title, "name_font": {**font, "size": 12, "bold": True}})
    chart.set_legend({"position": "bottom", "font": {**font, "size": 9}})
    chart.set_x_axis({"num_font": {**font, "size": 9}})


def write_overview(wb, w, data, made_at: dt.datetime, city_rows, history_rates) -> None:
    """The ``Tổng hợp`` sheet of ``data`` (a :class:`~cchc_xl.rollup.aggregate.Rollup`); ``w`` is the workbook's
    cell writer, ``city_rows`` the labelled keys of section 2, ``history_rates`` those of section 5."""
    ws = wb.add_worksheet(SHEET)
    s = _Sheet(wb, w, ws)
    ws.set_column(0, 0, _LABEL_WIDTH)
    ws.set_column(1, _COLUMNS - 1, _NUMBER_WIDTH)
    ws.set_row(0, 21)
    ws.write_string(0, 0, f"TỔNG HỢP BÁO CÁO CẢI CÁCH HÀNH CHÍNH {data.label.upper()} CỦA CÁC ĐƠN VỊ", w.title)
    s.row = 1
    s.note(f"Số liệu từ {data.period.start:%d/%m/%Y} đến {data.period.end:%d/%m/%Y}; hạn gửi báo cáo "
           f"{data.deadline:%d/%m/%Y}; lập lúc {made_at:%d/%m/%Y %H:%M}. Các tỷ lệ toàn ngành tính lại từ tổng các số "
           "đếm của các đơn vị, không lấy trung bình tỷ lệ.")

    _status_section(s, data)
    _city_section(s, data, city_rows)
    _tasks_section(s, data)
    _indicator_section(s, data)
    _history_section(s, data, city_rows, history_rates)
    ws.set_h_pagebreaks(s.breaks)
    print_setup(ws, None, f"Tổng hợp báo cáo CCHC {data.label}")
    ws.activate()


def _status_section(s: _Sheet, data) -> None:
    s.section("1. Tình hình báo cáo của các đơn vị")
    listed = data.expected is not None
    rejected = int((data.status["status"] == "Bị từ chối: mã thuộc đơn vị khác").sum())
    rows = [[("Số đơn vị phải báo cáo (theo danh sách đơn vị)", "text"), (data.expected, "count")],
            [("Số đơn vị đã báo cáo", "text"), (data.reported, "count")],
            [("    trong đó: báo cáo đúng hạn", "text"), (data.reported - data.late, "count")],
            [("    trong đó: nộp muộn", "text"), (data.late, "count")],
            [("Số đơn vị chưa báo cáo", "text"), (data.missing if listed else None, "count")],
            [("Đơn vị gửi báo cáo nhưng không có trong danh sách (không tính vào tổng hợp)", "text"),
             (data.unlisted, "count")],
            [("Tệp bị từ chối vì mã định danh thuộc đơn vị khác trong danh sách", "text"), (rejected, "count")]]
    s.table("tblTinhHinhBaoCao", ["Nội dung", "Số đơn vị"], rows)
    s.note("Số đơn vị phải báo cáo = đã báo cáo + chưa báo cáo; đã báo cáo = đúng hạn + nộp muộn (tệp đầu tiên được "
           f"tính của đơn vị đến sau hạn {data.deadline:%d/%m/%Y})."
           + ("" if listed else " Không có danh sách đơn vị (--units): chỉ đếm các đơn vị đã gửi báo cáo."))


def _diff(a, b):
    if a is None or b is None or a != a or b != b:
        return None
    return float(a) - float(b)


def _city_section(s: _Sheet, data, city_rows) -> None:
    prev_year = data.year - 1
    s.section(f"2. Chỉ số toàn ngành, so với cùng kỳ năm {prev_year}", new_page=True)
    m = data.common
    headers = ["Chỉ số", f"Kỳ này ({data.reported} đơn vị)", f"Kỳ này ({m} đơn vị có cả năm {prev_year})",
               f"Cùng kỳ năm {prev_year} ({m} đơn vị)", "Chênh lệch"]
    rows = []
    for label, key, kind in city_rows:
        now_c, before = _value(data.city_common, key), _value(data.previous_common, key)
        rows.append([(label, "text"), (_value(data.city, key), kind), (now_c, kind), (before, kind),
                     (_diff(now_c, before), kind)])
    s.table("tblChiSoToanNganh", headers, rows)
    s.note(f"So sánh với cùng kỳ năm {prev_year} chỉ trên {m} đơn vị đã báo cáo cả hai năm (cùng một tập đơn vị); cột "
           "'Kỳ này' đầu tiên là toàn bộ đơn vị đã báo cáo kỳ này.")


def _tasks_section(s: _Sheet, data) -> None:
    s.section("3. Tình trạng nhiệm vụ của các đơn vị", new_page=True)
    flags = [f for f in TaskFlag if f is not TaskFlag.NOT_DONE]
    rows = [[(f.label, "text"), (data.city.get(f"tasks.{f}", 0), "count")] for f in flags]
    rows.append([("Cộng: số nhiệm vụ phải thực hiện", "text"), (data.city.get("tasks.active", 0), "count")])
    rows.append([("Không thực hiện (tính riêng)", "text"), (data.city.get(f"tasks.{TaskFlag.NOT_DONE}", 0), "count")])
    first, _ = s.table("tblTinhTrangNhiemVu", ["Tình trạng", "Số nhiệm vụ"], rows)
    chart = s.wb.add_chart({"type": "column"})
    chart.add_series({"name": "Số nhiệm vụ", "categories": [SHEET, first, 0, first + len(flags) - 1, 0],
                      "values": [SHEET, first, 1, first + len(flags) - 1, 1], "fill": {"color": "#2E75B6"},
                      "data_labels": {"value": True}})
    _chart_style(chart, "Tình trạng nhiệm vụ của các đơn vị")
    chart.set_legend({"none": True})
    s.chart(chart)


def _indicator_section(s: _Sheet, data) -> None:
    key = data.period.key
    s.section("4. Số đơn vị theo mức đánh giá của từng chỉ tiêu", new_page=True)
    summary = data.indicator_summary
    headers = ["Mã chỉ tiêu"] + [class_label(c, key) for c in CLASSES] + ["Số đơn vị"]
    rows = [[(r["code"], "text")] + [(r[c], "count") for c in CLASSES] + [(r["units"], "count")]
            for r in summary.to_dict("records")]
    first, last = s.table("tblDatChiTieu", headers, rows)
    s.note("Tên đầy đủ và cách tính của từng chỉ tiêu: trang 'Chỉ tiêu toàn ngành'. "
           "Mỗi đơn vị thuộc đúng một mức của mỗi chỉ tiêu; cộng các mức bằng số đơn vị đã báo cáo. "
           f"'{class_label('not_met', key)}': chưa đạt ngưỡng"
           + (" tại thời điểm báo cáo (trước báo cáo năm)." if key != PeriodKey.YEAR else " của năm."))
    if rows:
        bar = s.wb.add_chart({"type": "bar", "subtype": "stacked"})
        colors = ("#2E7D32", "#C62828", "#BDBDBD", "#F9A825", "#6A1B9A", "#90A4AE")
        for c, color in enumerate(colors[:len(CLASSES)], start=1):      # a series per class, in CLASSES' order
            bar.add_series({"name": [SHEET, first - 1, c], "categories": [SHEET, first, 0, last, 0],
                            "values": [SHEET, first, c, last, c], "fill": {"color": color}, "gap": 60})
        _chart_style(bar, "Số đơn vị theo mức đánh giá từng chỉ tiêu")
        bar.set_y_axis({"reverse": True, "num_font": {"name": _FONT, "size": 8}})
        s.chart(bar)


def _history_section(s: _Sheet, data, city_rows, history_rates) -> None:
    prev_year = data.year - 1
    m = data.common
    s.section(f"5. Các tỷ lệ so với cùng kỳ năm {prev_year} ({m} đơn vị báo cáo cả hai năm)", new_page=True)
    label_of = {key: label for label, key, _ in city_rows}
    rows = [[(label_of[k], "text"), (_value(data.city_common, k), "rate"), (_value(data.previous_common, k), "rate")]
            for k in history_rates]
    first, last = s.table("tblSoSanhCungKy", ["Tỷ lệ", f"Năm {data.year}", f"Năm {prev_year}"], rows)
    if not m:
        s.note(f"Chưa có đơn vị nào báo cáo cùng kỳ năm {prev_year} trong cơ sở dữ liệu: chưa so sánh được.")
        return
    chart = s.wb.add_chart({"type": "column"})
    for c, color in ((1, "#2E75B6"), (2, "#F9A825")):
        chart.add_series({"name": [SHEET, first - 1, c], "categories": [SHEET, first, 0, last, 0],
                          "values": [SHEET, first, c, last, c], "fill": {"color": color}})
    _chart_style(chart, f"Các tỷ lệ toàn ngành so với cùng kỳ năm {prev_year} (cùng {m} đơn vị)")
    chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1, "num_font": {"name": _FONT, "size": 9}})
    s.chart(chart)
