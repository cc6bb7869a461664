"""The Sở's printable summary report (sheet ``Báo cáo``), laid out as a :class:`~cchc_xl.report.layout.ReportGrid`.

Same conventions as the school's report (NĐ 30/2020: two-column header with the issuer on the left
— the governing authority above the Sở — and Quốc hiệu, Tiêu ngữ on the right; ``Số: …/BC-SGDĐT``;
place-date line; title; body tables; ``Nơi nhận``; signature block), the same style keys, so the
same writer prints it. Numbers are Vietnamese text here (``95,53%``, ``1.234``): this is the page
that is printed and signed; the other sheets hold the numbers as numbers.
"""

from __future__ import annotations

import math

from ..core import vnformat
from ..core.periods import Period, report_title_phrase
from ..report.layout import ReportGrid

__all__ = ["build_summary_grid", "MAX_LISTED_UNITS"]

MAX_LISTED_UNITS = 30
_RECIPIENTS = ("UBND thành phố (để báo cáo);", "Bộ GD&ĐT (để báo cáo);", "Giám đốc, các Phó Giám đốc Sở;",
               "Các đơn vị trực thuộc;", "Lưu: VT, VP.")


def _n(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "0"
    return vnformat.integer(int(value))


def _p(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "chưa có dữ liệu"
    return vnformat.percent(float(value))


def _row(g: ReportGrid, row: int, values: list[str], style: str = "td_center") -> None:
    for c, v in enumerate(values, start=1):
        g.put(row, c, v, "td" if c == 2 and style == "td_center" else style)


def build_summary_grid(data, options, made_at) -> ReportGrid:
    """The summary page of ``data`` (a :class:`~cchc_xl.rollup.aggregate.Rollup`) signed as ``options``."""
    g = ReportGrid()
    city, prev = data.city, data.city_previous
    g.put(1, 1, options.issuer_parent, "org", to_col=3)
    g.put(1, 4, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "org_bold", to_col=8)
    g.put(2, 1, options.issuer, "org_bold", to_col=3)
    g.put(2, 4, "Độc lập - Tự do - Hạnh phúc", "motto", to_col=8)
    g.put(4, 1, f"Số: {options.number or '……'}/{options.symbol}", "number", to_col=3)
    g.put(4, 4, vnformat.place_date(options.place, made_at.date()), "place_date", to_col=8)
    g.put(6, 1, "BÁO CÁO", "title", to_col=8)
    period = Period(data.period_key, data.label, data.start, data.end)
    g.put(7, 1, f"Tổng hợp kết quả thực hiện công tác cải cách hành chính {report_title_phrase(period)} "
                "của các đơn vị trực thuộc", "subtitle", to_col=8)
    g.row_heights[7] = 36
    g.put(8, 1, f"(Tổng hợp từ báo cáo của {_n(len(data.units))} đơn vị; số liệu từ ngày "
                f"{vnformat.date_vn(data.start)} đến ngày {vnformat.date_vn(data.end)}; hạn gửi báo cáo "
                f"{vnformat.date_vn(data.deadline)})", "note", to_col=8)
    g.row_heights[8] = 32

    row = 10
    g.put(row, 1, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ", "section", to_col=8)
    late = int((data.status["status"] == "Nộp muộn").sum())
    missing = int((data.status["status"] == "Chưa báo cáo").sum())
    head = ["TT", "Nội dung", "Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Nộp muộn", "Chưa báo cáo", "Tỷ lệ đã báo cáo"]
    _row(g, row + 1, head, "th")
    g.row_heights[row + 1] = 32
    expected = data.expected
    reported = len(data.units)
    _row(g, row + 2, ["1", "Số đơn vị", _n(expected) if expected is not None else "—", _n(reported),
                      _n(reported - late), _n(late), _n(missing) if expected is not None else "—",
                      _p(reported / expected) if expected else "—"])
    row += 4

    g.put(row, 1, "II. TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ CCHC CỦA CÁC ĐƠN VỊ", "section", to_col=8)
    head = ["TT", "Kỳ", "Số nhiệm vụ", "Đã hoàn thành", "Hoàn thành đúng hạn", "Hoàn thành trễ hạn", "Quá hạn",
            "Tỷ lệ hoàn thành"]
    _row(g, row + 1, head, "th")
    g.row_heights[row + 1] = 45
    series = [("1", data.label, city)]
    if prev is not None:
        series.append(("2", f"Cùng kỳ năm {data.year - 1}", prev))
    for i, (tt, name, s) in enumerate(series):
        _row(g, row + 2 + i, [tt, name, _n(s.get("tasks.active")), _n(s.get("tasks.done")),
                              _n(s.get("tasks.done_on_time")), _n(s.get("tasks.done_late")),
                              _n(s.get("tasks.overdue")), _p(s.get("rates.task_completion"))])
    row += 3 + len(series)

    g.put(row, 1, "III. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU", "section", to_col=8)
    row += 1
    for c, text, to in ((1, "Mã", None), (2, "Chỉ tiêu", 4), (5, "Chỉ tiêu đặt ra", None),
                        (6, "Toàn ngành", None), (7, "Số đơn vị đạt", None), (8, "Tỷ lệ đơn vị đạt", None)):
        g.put(row, c, text, "th", to_col=to)
    g.row_heights[row] = 32
    for _, ind in data.indicator_summary.iterrows():
        row += 1
        threshold = ind["threshold"]
        target = (f"{ind['op'] or ''} {vnformat.percent(threshold)}".strip()
                  if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) else str(threshold or ""))
        value = _p(ind["city_value"]) if ind["city_value"] is not None and not _isnan(ind["city_value"]) else "—"
        g.put(row, 1, str(ind["code"]), "td_center")
        g.put(row, 2, str(ind["name"]), "td", to_col=4)
        g.put(row, 5, target, "td_center")
        style = {"Đạt": "td_ok", "Không đạt": "td_bad"}.get(ind["city_status"], "td_center")
        g.put(row, 6, value, style)
        assessed = int(ind["met"]) + int(ind["not_met"])
        g.put(row, 7, f"{_n(ind['met'])}/{_n(assessed)}" if assessed else "—", "td_center")
        share = ind["share_met"]
        g.put(row, 8, "—" if share is None or _isnan(share) else _p(share), "td_center")
        g.row_heights[row] = 48 if len(str(ind["name"])) > 110 else (32 if len(str(ind["name"])) > 55 else 18)
    row += 2

    g.put(row, 1, "IV. TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH", "section", to_col=8)
    head = ["TT", "Kỳ", "Tổng số hồ sơ", "Trực tuyến", "Đã giải quyết", "Trước hạn", "Đúng hạn", "Trễ hạn"]
    _row(g, row + 1, head, "th")
    g.row_heights[row + 1] = 32
    for i, (tt, name, s) in enumerate(series):
        _row(g, row + 2 + i, [tt, name, _n(s.get("dossiers.total")), _n(s.get("dossiers.online_new")),
                              _n(s.get("dossiers.resolved")), _n(s.get("dossiers.early")),
                              _n(s.get("dossiers.on_time")), _n(s.get("dossiers.late"))])
    row += 2 + len(series)
    lines = [("Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn", "rates.early_or_on_time"),
             ("Tỷ lệ hồ sơ nộp trực tuyến", "rates.online"),
             ("Tỷ lệ kết quả giải quyết được số hóa", "rates.digitised"),
             ("Tỷ lệ hài lòng", data.satisfaction_key)]
    for label, key in lines:
        g.put(row, 1, "", "td_center")
        g.put(row, 2, label, "td", to_col=5)
        g.put(row, 6, _p(city.get(key)), "td_center", to_col=7 if prev is not None else 8)
        if prev is not None:
            before = prev.get(key)
            g.put(row, 8, "—" if before is None or _isnan(before) else f"{data.year - 1}: {_p(before)}", "td_center")
        row += 1
    g.put(row, 1, "(Các tỷ lệ toàn ngành tính từ tổng số hồ sơ, nhiệm vụ của các đơn vị, không lấy trung bình "
                  "tỷ lệ của đơn vị.)", "text", to_col=8)
    g.row_heights[row] = 32
    row += 2

    g.put(row, 1, "V. ĐƠN VỊ CHƯA BÁO CÁO, NỘP MUỘN", "section", to_col=8)
    row += 1
    listed = data.status[data.status["status"].isin(["Chưa báo cáo", "Nộp muộn"])]
    if listed.empty:
        g.put(row, 1, "Tất cả đơn vị đã báo cáo đúng hạn.", "text", to_col=8)
        row += 1
    else:
        for c, text, to in ((1, "TT", None), (2, "Đơn vị", 4), (5, "Mã định danh", 6), (7, "Tình trạng", 8)):
            g.put(row, c, text, "th", to_col=to)
        for i, (_, u) in enumerate(listed.head(MAX_LISTED_UNITS).iterrows(), start=1):
            row += 1
            g.put(row, 1, str(i), "td_center")
            g.put(row, 2, str(u["unit_name"] or ""), "td", to_col=4)
            g.put(row, 5, str(u["unit_code"]), "td_center", to_col=6)
            state = u["status"] + (f" ({_n(u['days_late'])} ngày)" if u["status"] == "Nộp muộn" else "")
            g.put(row, 7, state, "td_center", to_col=8)
        row += 1
        if len(listed) > MAX_LISTED_UNITS:
            g.put(row, 1, f"… và {_n(len(listed) - MAX_LISTED_UNITS)} đơn vị khác (xem trang "
                          "'Chưa báo cáo, nộp muộn').", "text", to_col=8)
            row += 1

    row += 1
    g.put(row, 1, "Nơi nhận:", "recipients_head", to_col=3)
    g.put(row, 5, options.signer_title, "sign_title", to_col=8)
    for i, line in enumerate(_RECIPIENTS, start=1):
        g.put(row + i, 1, "- " + line, "recipients", to_col=3)
    g.put(row + 6, 5, options.signer, "sign_name", to_col=8)
    return g


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)
