"""The Sở's printable summary report (sheet ``Báo cáo``), flowed onto A4 pages as the school's report is.

Laid out with the school report's own tools (:mod:`cchc_xl.report.flow`): the 24-column grid, every row's
height computed from its text with the font metrics, page breaks placed so that no heading ends a page and a
table's header row is repeated on each page it continues on; written by the exchange writer's
:func:`~cchc_xl.exchange.writer.write_grid`. The page is that of Nghị định 30/2020: A4 portrait at 100%,
margins 20/20/30/15 mm, page numbers at the top from page 2, the two-column header (the governing authority
and the Sở | Quốc hiệu, Tiêu ngữ), ``Số: …/BC-SGDĐT`` and the place-date line (``--date``, default today),
title, sections I–V, ``Nơi nhận`` and the signature. Numbers are Vietnamese text (``95,53%``, ``1.234``);
each table that splits a total shows every part, and a note under it says how the parts add up.
"""

from __future__ import annotations

import math

from ..core import vnformat
from ..core.indicators import target_words
from ..core.periods import report_title_phrase
from ..core.vocabulary import NOT_YET_DUE, IndicatorStatus, TaskFlag
from ..report.flow import COLUMNS, Cell, Para, Row, signature_rows
from ..report.layout import ReportGrid, flowed_grid
from .aggregate import class_label

__all__ = ["build_summary_grid", "write_summary_page", "MAX_LISTED_UNITS", "STATUS_STYLE"]

MAX_LISTED_UNITS = 30
_RECIPIENTS = ("UBND thành phố (để báo cáo);", "Bộ GD&ĐT (để báo cáo);", "Giám đốc, các Phó Giám đốc Sở;",
               "Các đơn vị trực thuộc;", "Lưu: VT, VP.")
_N = vnformat.integer
# The style of the city's assessment in section III, for every status (a test checks none is missing).
STATUS_STYLE = {IndicatorStatus.MET: "t_ok", IndicatorStatus.NOT_MET: "t_bad", IndicatorStatus.NOT_YET_MET: "t_bad",
                IndicatorStatus.NO_DATA: "t_small_center", IndicatorStatus.FOLLOWED: "t_small_center",
                IndicatorStatus.NOT_COMPUTABLE: "t_small_center"}


def _n(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "0"
    return _N(int(value))


def _p(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return vnformat.percent(float(value))


def _get(series, key: str) -> float:
    if key == "tasks.not_yet_due":
        return sum(float(series.get(f"tasks.{k}", 0) or 0) for k in NOT_YET_DUE)
    if key == "dossiers.other_outcomes":
        return sum(float(series.get(f"dossiers.{k}", 0) or 0) for k in ("waiting", "withdrawn", "refused_untimed"))
    v = series.get(key)
    return 0.0 if v is None or v != v else float(v)


def _heading(text: str) -> Para:
    return Para(text, "h1", keep_with_next=True, keep=True, space_after=2)


def _para(text: str, style: str = "p", **kw) -> Para:
    return Para(text, style, space_after=kw.pop("space_after", 2), **kw)


def _table(spans: list[tuple[int, int]], header: list[str], rows: list[list[str]],
           styles: list[list[str]] | None = None) -> list[Row]:
    """A table on the grid: ``spans`` are the (first, last) grid columns of each table column; the header row is
    repeated on each page the table continues on."""
    head = Row([Cell(a, b, h, "t_head") for (a, b), h in zip(spans, header)], keep_with_next=True)
    out = [head]
    for i, values in enumerate(rows):
        row_styles = styles[i] if styles else ["t_small" if j == 1 else "t_small_center" for j in range(len(values))]
        out.append(Row([Cell(a, b, v, s) for (a, b), v, s in zip(spans, values, row_styles)], header=head))
    return out


def _header(data, options) -> list:
    left, right = (1, 10), (11, COLUMNS)
    date = options.date
    return [
        Row([Cell(*left, options.issuer_parent, "org"),  # 12 pt (NĐ 30: 12–13): one line for a city's name
             Cell(*right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "nd_nation")], padding=3),
        Row([Cell(*left, options.issuer, "nd_issuer"), Cell(*right, "Độc lập - Tự do - Hạnh phúc", "nd_motto")],
            padding=6),
        Row([Cell(4, 7, None, "nd_rule"), Cell(14, 21, None, "nd_rule")], height=9),
        Row([Cell(*left, f"Số: {options.number or '……'}/{options.symbol}", "nd_number"),
             Cell(*right, vnformat.place_date(options.place, date), "nd_place_date")], padding=3),
        Row([], height=12),
        Para("BÁO CÁO", "nd_title", keep=True, keep_with_next=True),
        Para(f"Tổng hợp kết quả thực hiện công tác cải cách hành chính {report_title_phrase(data.period)} của các "
             "đơn vị trực thuộc", "nd_subject", keep=True, keep_with_next=True, balance=True),
        Row([Cell(10, 15, None, "nd_rule")], height=14),
        Para(f"(Tổng hợp từ báo cáo của {_N(data.reported)} đơn vị; số liệu từ ngày "
             f"{vnformat.date_vn(data.period.start)} đến ngày {vnformat.date_vn(data.period.end)}; hạn gửi báo cáo "
             f"{vnformat.date_vn(data.deadline)}.)",
             "nd_note", keep=True, space_after=6),
    ]


def _reporting(data) -> list:
    items: list = [_heading("I. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ")]
    listed = data.expected is not None
    spans = [(1, 4), (5, 8), (9, 12), (13, 16), (17, 20), (21, 24)]
    head = ["Số đơn vị phải báo cáo", "Đã báo cáo", "Trong đó: đúng hạn", "Trong đó: nộp muộn", "Chưa báo cáo",
            "Tỷ lệ đã báo cáo"]
    row = [_n(data.expected) if listed else "—", _n(data.reported), _n(data.reported - data.late), _n(data.late),
           _n(data.missing) if listed else "—", _p(data.reported / data.expected) if listed and data.expected else "—"]
    items += _table(spans, head, [row], [["t_center"] * 6])
    note = ("Số đơn vị phải báo cáo = đã báo cáo + chưa báo cáo; đã báo cáo = đúng hạn + nộp muộn."
            if listed else "Không có danh sách đơn vị phải báo cáo: chỉ đếm các đơn vị đã gửi báo cáo.")
    if data.unlisted:
        note += (f" Ngoài ra có {_N(data.unlisted)} đơn vị không có trong danh sách đã gửi báo cáo (không tính vào "
                 "tổng hợp).")
    items.append(_para(note, "t_note", space_after=6))
    return items


def _series(data) -> list[tuple[str, str, object]]:
    """(TT, label, figures) of the rows of sections II and IV: this period, then the units of both years."""
    out = [("1", f"{data.label} ({_N(data.reported)} đơn vị)", data.city)]
    if data.common and data.city_common is not None:
        out.append(("2", f"{data.label}, {_N(data.common)} đơn vị báo cáo cả năm {data.year - 1}", data.city_common))
        out.append(("3", f"Cùng kỳ năm {data.year - 1}, cùng {_N(data.common)} đơn vị", data.previous_common))
    return out


def _tasks(data) -> list:
    items: list = [_heading("II. TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH CỦA CÁC ĐƠN VỊ")]
    spans = [(1, 1), (2, 7), (8, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 21), (22, 24)]
    head = ["TT", "Kỳ", "Phải thực hiện", "Hoàn thành đúng hạn", "Hoàn thành trễ hạn", "Quá hạn", "Chưa hoàn thành",
            "Chưa đến hạn", "Tỷ lệ hoàn thành"]
    shown = (TaskFlag.DONE_ON_TIME, TaskFlag.DONE_LATE, TaskFlag.OVERDUE, TaskFlag.UNFINISHED)
    rows = [[tt, label, _n(_get(s, "tasks.active")), *(_n(_get(s, f"tasks.{f}")) for f in shown),
             _n(_get(s, "tasks.not_yet_due")), _p(s.get("rates.task_completion"))] for tt, label, s in _series(data)]
    items += _table(spans, head, rows)
    items.append(_para("Phải thực hiện = hoàn thành đúng hạn + hoàn thành trễ hạn + quá hạn + chưa hoàn thành (đến "
                       "hạn cuối năm) + chưa đến hạn (sắp đến hạn, trong hạn, chưa xác định hạn); nhiệm vụ không thực "
                       "hiện tính riêng. Tỷ lệ hoàn thành = (đúng hạn + trễ hạn) / phải thực hiện.", "t_note",
                       space_after=6))
    return items


def _indicators(data) -> list:
    items: list = [_heading("III. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU")]
    key = data.period.key
    not_met = class_label("not_met", key)
    spans = [(1, 2), (3, 8), (9, 10), (11, 13), (14, 16), (17, 18), (19, 20), (21, 22), (23, 24)]
    head = ["Mã", "Chỉ tiêu", "Chỉ tiêu đặt ra", "Toàn ngành", "Đánh giá toàn ngành", "Số đơn vị đạt",
            f"Số đơn vị {not_met.lower()}", "Số đơn vị mức khác", "Tỷ lệ đơn vị đạt"]
    rows, styles = [], []
    for ind in data.indicator_summary.to_dict("records"):
        threshold = ind["threshold"]
        numeric = isinstance(threshold, (int, float)) and not isinstance(threshold, bool)
        target = "" if numeric and not math.isfinite(threshold) else target_words(ind["op"], threshold)
        other = ind["units"] - ind["met"] - ind["not_met"]
        rows.append([str(ind["code"]), str(ind["name"]), target, _p(ind["city_value"]), ind["city_status"],
                     _n(ind["met"]), _n(ind["not_met"]), _n(other), _p(ind["share_met"])])
        word = STATUS_STYLE.get(ind["city_status"], "t_small_center")
        styles.append(["t_small_center", "t_small", "t_small_center", "t_small_center", word]
                      + ["t_small_center"] * 4)
    items += _table(spans, head, rows, styles)
    items.append(_para(f"Mỗi đơn vị đã báo cáo ({_N(data.reported)}) thuộc đúng một mức của mỗi chỉ tiêu: đạt + "
                       f"{not_met.lower()} + mức khác (chưa có dữ liệu, theo dõi, không tính được, không có chỉ tiêu "
                       f"này) = {_N(data.reported)}. Tỷ lệ đơn vị đạt = đạt / (đạt + {not_met.lower()}). Toàn ngành: "
                       "tính lại từ tổng các số đếm của các đơn vị (không lấy trung bình tỷ lệ), đánh giá so với chỉ "
                       "tiêu đặt ra." + ("" if data.final else
                                                             f" '{not_met}': chưa đạt ngưỡng tại thời điểm báo cáo."),
                       "t_note", space_after=6))
    return items


def _dossiers(data) -> list:
    items: list = [_heading("IV. TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH")]
    spans = [(1, 1), (2, 7), (8, 10), (11, 13), (14, 15), (16, 17), (18, 19), (20, 21), (22, 24)]
    head = ["TT", "Kỳ", "Tổng số hồ sơ", "Đã giải quyết", "Trước hạn", "Đúng hạn", "Trễ hạn", "Đang giải quyết",
            "Chờ bổ sung, rút, từ chối"]
    rows = [[tt, label, _n(_get(s, "dossiers.total")), _n(_get(s, "dossiers.resolved")), _n(_get(s, "dossiers.early")),
             _n(_get(s, "dossiers.on_time")), _n(_get(s, "dossiers.late")), _n(_get(s, "dossiers.pending")),
             _n(_get(s, "dossiers.other_outcomes"))] for tt, label, s in _series(data)]
    items += _table(spans, head, rows)
    items.append(_para("Tổng số hồ sơ (kỳ trước chuyển sang + mới tiếp nhận) = đã giải quyết + đang giải quyết + chờ "
                       "bổ sung, rút, từ chối; đã giải quyết = trước hạn + đúng hạn + trễ hạn.", "t_note",
                       space_after=4))
    series = _series(data)
    spans = [(1, 10), (11, 15), (16, 20), (21, 24)] if len(series) > 1 else [(1, 14), (15, 24)]
    head = ["Tỷ lệ", series[0][1]] + ([series[1][1], series[2][1]] if len(series) > 1 else [])
    lines = [("Giải quyết trước hạn và đúng hạn", "rates.early_or_on_time"), ("Nộp trực tuyến", "rates.online"),
             ("Kết quả giải quyết được số hóa", "rates.digitised"), ("Hài lòng", data.satisfaction_key)]
    rows = [[label] + [_p(s.get(key)) for _, _, s in (series if len(series) > 1 else series[:1])]
            for label, key in lines]
    items += _table(spans, head, rows, [["t_small"] + ["t_small_center"] * (len(spans) - 1)] * len(rows))
    items.append(_para("Các tỷ lệ toàn ngành tính từ tổng số hồ sơ của các đơn vị, không lấy trung bình tỷ lệ của đơn "
                       "vị; hài lòng theo cách tính đa số đơn vị dùng ("
                       + ("khảo sát" if data.satisfaction_key.endswith("survey") else "QĐ 766") + ").", "t_note",
                       space_after=6))
    return items


def _late_and_missing(data) -> list:
    items: list = [_heading("V. ĐƠN VỊ CHƯA BÁO CÁO, NỘP MUỘN")]
    listed = data.status[data.status["status"].isin(["Chưa báo cáo", "Nộp muộn"])]
    if listed.empty:
        items.append(_para("Tất cả đơn vị đã báo cáo đúng hạn." if data.expected is not None else
                           "Không có đơn vị nộp muộn (không có danh sách đơn vị để biết đơn vị chưa báo cáo).",
                           space_after=6))
        return items
    spans = [(1, 2), (3, 13), (14, 18), (19, 24)]
    rows = []
    for i, u in enumerate(listed.head(MAX_LISTED_UNITS).to_dict("records"), start=1):
        state = u["status"] + (f" ({_n(u['days_late'])} ngày)" if u["status"] == "Nộp muộn" else "")
        rows.append([str(i), str(u["unit_name"] or ""), str(u["unit_code"]), state])
    items += _table(spans, ["TT", "Đơn vị", "Mã định danh", "Tình trạng"], rows)
    if len(listed) > MAX_LISTED_UNITS:
        items.append(_para(f"… và {_N(len(listed) - MAX_LISTED_UNITS)} đơn vị khác (xem trang 'Chưa báo cáo, nộp "
                           "muộn').", "t_note"))
    items.append(Row([], height=6))
    return items


def _closing(options) -> list:
    left = [("Nơi nhận:", "recv_head")] + [("- " + line, "recv") for line in _RECIPIENTS]
    right = [(options.signer_title, "sign")] + [(None, "sign")] * 4 + [(options.signer, "sign")]
    return signature_rows(left, right)


def build_summary_grid(data, options) -> ReportGrid:
    """The summary page of ``data`` (a :class:`~cchc_xl.rollup.aggregate.Rollup`) signed as ``options`` (whose
    ``date`` is the date line)."""
    items = (_header(data, options) + _reporting(data) + _tasks(data) + _indicators(data) + _dossiers(data)
             + _late_and_missing(data) + _closing(options))
    return flowed_grid(items)


def write_summary_page(wb, name: str, data, options) -> None:
    """The ``Báo cáo`` sheet: the page frame of the school's report (A4 portrait at 100%, NĐ 30 margins, page
    numbers from page 2, the 24-column grid, print area A:X) and the flowed grid."""
    from ..exchange.writer import write_grid
    from ..report.frame import ReportWorksheet, nd30_page

    ws = wb.add_worksheet(name, worksheet_class=ReportWorksheet)
    nd30_page(ws)
    ws.set_start_page(1)    # its own page numbers (from page 2, NĐ 30) when the whole workbook is printed
    write_grid(wb, ws, build_summary_grid(data, options))
