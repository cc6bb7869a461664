"""Lay the report (sheet ``Báo cáo``) out as a grid of cells, independent of any workbook library.

The layout follows NĐ 30/2020 conventions: a two-column header (governing body and school |
Quốc hiệu, Tiêu ngữ), ``Số: …/BC-…``, the place-date line, the title, the body tables,
``Nơi nhận`` and the signature block. Numbers in the body are written as Vietnamese text
(``95,53%``, ``1.234``) so that every viewer shows them the same way whatever its locale;
the chart's data (columns J:L) stay numeric.

Rows 22–37 are reserved for the chart the workbook build anchors there (``CHART_ROWS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import schema
from .core import vnformat
from .cell_styles import STYLES
from .core.periods import report_title_phrase

__all__ = ["ReportGrid", "build_report_grid", "STYLES", "CHART_DATA", "CHART_ROWS"]

# Columns A..H carry the printed report; J..L the chart's data (hidden, not printed). Column widths,
# page setup and the chart itself belong to the workbook build (cchc_xl.build.workbook.REPORT_LAYOUT).
CHART_DATA = {"first_row": 1, "cat_col": 10, "done_col": 11, "open_col": 12}
CHART_ROWS = (22, 37)
LAST_COL = 8

# Style key -> engine-neutral spec: defined in cchc_xl.cell_styles, which the adapters read too.


@dataclass
class ReportGrid:
    """Cells ``(row, col) -> (value, style key)`` (1-based), merges ``(r1, c1, r2, c2)``."""

    cells: dict[tuple[int, int], tuple[object, str]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    row_heights: dict[int, float] = field(default_factory=dict)
    last_row: int = 0

    def put(self, row: int, col: int, value: object, style: str, to_col: int | None = None,
            to_row: int | None = None) -> None:
        self.cells[(row, col)] = (value, style)
        if (to_col and to_col > col) or (to_row and to_row > row):
            for r in range(row, (to_row or row) + 1):
                for c in range(col, (to_col or col) + 1):
                    if (r, c) != (row, col):
                        self.cells[(r, c)] = (None, style)  # borders on every merged cell
            self.merges.append((row, col, to_row or row, to_col or col))
        self.last_row = max(self.last_row, to_row or row)

    def values(self, rows: int | None = None, cols: int = 12) -> list[list[object]]:
        """The grid as a dense 2-D list of values (for one-shot writes)."""
        rows = rows or self.last_row
        out = [[None] * cols for _ in range(rows)]
        for (r, c), (value, _) in self.cells.items():
            if r <= rows and c <= cols:
                out[r - 1][c - 1] = value
        return out


_SHORT_AREA = {
    1: "Chỉ đạo, điều hành",
    2: "Thể chế",
    3: "Thủ tục hành chính",
    4: "Tổ chức bộ máy",
    5: "Chế độ công vụ",
    6: "Tài chính công",
    7: "Chính quyền điện tử, số",
}


def _signed_date(result):
    return result.settings["ngay_bao_cao"] or result.as_of


def build_report_grid(result) -> ReportGrid:
    """The whole report for ``result`` (a :class:`cchc_xl.engine.RefreshResult`)."""
    s = result.settings
    g = ReportGrid()
    # Header: two columns, NĐ 30/2020.
    g.put(1, 1, s["co_quan_chu_quan"], "org", to_col=3)
    g.put(1, 4, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "org_bold", to_col=8)
    g.put(2, 1, s["ten_truong"], "org_bold", to_col=3)
    g.put(2, 4, "Độc lập - Tự do - Hạnh phúc", "motto", to_col=8)
    number = s["so_bao_cao"] or "……"
    g.put(4, 1, f"Số: {number}/{s['ky_hieu_bao_cao']}", "number", to_col=3)
    g.put(4, 4, vnformat.place_date(s["dia_danh"], _signed_date(result)), "place_date", to_col=8)
    g.put(6, 1, "BÁO CÁO", "title", to_col=8)
    phrase = report_title_phrase(result.period)
    g.put(7, 1, f"Kết quả thực hiện công tác cải cách hành chính {phrase}", "subtitle", to_col=8)
    g.row_heights[7] = 36
    g.put(8, 1, f"(Số liệu từ ngày {vnformat.date_vn(result.period.start)} đến ngày "
                f"{vnformat.date_vn(result.period.end)}; tính đến ngày {vnformat.date_vn(result.as_of)}; "
                f"theo Kế hoạch số {s['so_ke_hoach']} ngày {vnformat.date_vn(s['ngay_ke_hoach'])})",
          "note", to_col=8)
    g.row_heights[8] = 32

    _task_progress(g, result, 10)
    row = _indicators(g, result, CHART_ROWS[1] + 2)
    row = _dossier_tables(g, result, row + 1)
    row = _overdue_tasks(g, result, row + 1)
    _closing(g, result, row + 1)
    return g


def _task_progress(g: ReportGrid, result, row: int) -> None:
    g.put(row, 1, "I. TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ THEO LĨNH VỰC", "section", to_col=8)
    head = ["TT", "Lĩnh vực", "Số nhiệm vụ", "Hoàn thành đúng hạn", "Hoàn thành trễ hạn", "Quá hạn",
            "Chưa đến hạn", "Tỷ lệ hoàn thành"]
    for c, text in enumerate(head, start=1):
        g.put(row + 1, c, text, "th")
    g.row_heights[row + 1] = 45
    groups: dict[object, list] = {a: [] for a in schema.AREAS}
    groups["PL"] = []
    for o in result.task_outcomes:
        appendix = o.task.id.upper().startswith("PL.") or o.task.area not in schema.AREAS
        groups["PL" if appendix else o.task.area].append(o)
    first_data = row + 2
    total = {"n": 0, "ok": 0, "late": 0, "over": 0, "open": 0, "done": 0}
    cd = CHART_DATA
    g.put(cd["first_row"], cd["cat_col"], "Lĩnh vực", "chart_data")
    g.put(cd["first_row"], cd["done_col"], "Hoàn thành", "chart_data")
    g.put(cd["first_row"], cd["open_col"], "Chưa hoàn thành", "chart_data")
    for i, (area, items) in enumerate(groups.items()):
        r = first_data + i
        active = [o for o in items if o.flag != "not_done"]
        ok = sum(o.flag == "done_on_time" for o in items)
        late = sum(o.flag == "done_late" for o in items)
        over = sum(o.flag == "overdue" for o in items)
        opened = sum(o.flag in ("due_soon", "in_time", "no_deadline") and o.task.status != "done" for o in items)
        done = ok + late + sum(o.flag == "no_deadline" and o.task.status == "done" for o in items)
        name = f"{area}. {schema.AREAS[area]}" if area != "PL" else "Phụ lục: nhiệm vụ, công việc cụ thể"
        values = [str(i + 1) if area != "PL" else "PL", name, vnformat.integer(len(active)),
                  vnformat.integer(ok), vnformat.integer(late), vnformat.integer(over), vnformat.integer(opened),
                  vnformat.percent(done / len(active) if active else None)]
        for c, v in enumerate(values, start=1):
            g.put(r, c, v, "td" if c == 2 else "td_center")
        if len(name) > 34:  # wraps to two lines in column B
            g.row_heights[r] = 30
        for k, v in zip(("n", "ok", "late", "over", "open", "done"), (len(active), ok, late, over, opened, done)):
            total[k] += v
        if area != "PL":
            g.put(cd["first_row"] + area, cd["cat_col"], f"{area}. {_SHORT_AREA[area]}", "chart_data")
            g.put(cd["first_row"] + area, cd["done_col"], done, "chart_data")
            g.put(cd["first_row"] + area, cd["open_col"], len(active) - done, "chart_data")
    r = first_data + len(groups)
    values = ["", "Tổng cộng", vnformat.integer(total["n"]), vnformat.integer(total["ok"]),
              vnformat.integer(total["late"]), vnformat.integer(total["over"]), vnformat.integer(total["open"]),
              vnformat.percent(total["done"] / total["n"] if total["n"] else None)]
    for c, v in enumerate(values, start=1):
        g.put(r, c, v, "td_total")
    # Row r is 20 with the default start row; the chart is anchored just below.


def _indicators(g: ReportGrid, result, row: int) -> int:
    g.put(row, 1, "II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU", "section", to_col=8)
    row += 1
    for c, text, to in ((1, "Mã", None), (2, "Chỉ tiêu", 4), (5, "Chỉ tiêu đặt ra", None), (6, "Kết quả", None),
                        (7, "Đánh giá", 8)):
        g.put(row, c, text, "th", to_col=to)
    rows_by_code = {r.code: r for r in result.data.indicators}
    for res in result.indicators:
        row += 1
        source = rows_by_code.get(res.code)
        target = _target_text(res.op, res.threshold)
        actual = res.actual if isinstance(res.actual, str) else vnformat.percent(res.actual)
        g.put(row, 1, res.code, "td_center")
        g.put(row, 2, source.name if source else res.code, "td", to_col=4)
        g.put(row, 5, target, "td_center")
        g.put(row, 6, actual, "td_center")
        style = {"Đạt": "td_ok", "Không đạt": "td_bad"}.get(res.status, "td_center")
        g.put(row, 7, res.status, style, to_col=8)
        g.row_heights[row] = 48 if source and len(source.name) > 60 else 32
    return row + 1


def _target_text(op, threshold) -> str:
    if threshold is None:
        return ""
    if isinstance(threshold, str):
        return threshold
    return f"{op or ''} {vnformat.percent(threshold)}".strip()


def _dossier_tables(g: ReportGrid, result, row: int) -> int:
    st = result.stats
    n = vnformat.integer
    g.put(row, 1, "III. TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH", "section", to_col=8)
    row += 1
    g.put(row, 1, "1. Tiếp nhận hồ sơ", "text", to_col=8)
    head = ["", "Tổng số hồ sơ tiếp nhận", "Kỳ trước chuyển sang", "Mới tiếp nhận", "Trực tuyến", "Trực tiếp",
            "Bưu chính", "Rút hồ sơ"]
    values = ["", n(st.total), n(st.carried_over), n(st.received_new), n(st.online_new), n(st.direct_new),
              n(st.post_new), n(st.withdrawn)]
    row = _table(g, row + 1, head, values)
    g.put(row, 1, "2. Kết quả giải quyết", "text", to_col=8)
    head = ["", "Đã giải quyết", "Trước hạn", "Đúng hạn", "Trễ hạn", "Đang giải quyết", "Trong hạn", "Quá hạn"]
    values = ["", n(st.resolved), n(st.early), n(st.on_time), n(st.late), n(st.pending), n(st.pending_not_due),
              n(st.pending_overdue)]
    row = _table(g, row + 1, head, values)
    g.put(row, 1, "3. Các tỷ lệ", "text", to_col=8)
    rates = st.rates()
    lines = [
        ("Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn", rates["early_or_on_time"]),
        ("Tỷ lệ hồ sơ giải quyết trước hạn", rates["early"]),
        ("Tỷ lệ hồ sơ giải quyết trễ hạn", rates["late"]),
        ("Tỷ lệ trễ hạn, kể cả hồ sơ đang giải quyết quá hạn", rates["late_incl_pending_overdue"]),
        ("Tỷ lệ hồ sơ nộp trực tuyến", rates["online"]),
        ("Tỷ lệ kết quả giải quyết được số hóa", rates["digitised"]),
        ("Tỷ lệ hài lòng (QĐ 766/QĐ-TTg)", rates["satisfaction_qd766"]),
        ("Tỷ lệ hài lòng (phiếu khảo sát)", rates["satisfaction_survey"]),
    ]
    row += 1
    for label, value in lines:
        g.put(row, 1, "", "td_center")
        g.put(row, 2, label, "td", to_col=6)
        g.put(row, 7, vnformat.percent(value), "td_center", to_col=8)
        row += 1
    extra = []
    if st.refused_untimed:
        extra.append(f"{n(st.refused_untimed)} hồ sơ bị từ chối không tính hạn")
    if st.waiting:
        extra.append(f"{n(st.waiting)} hồ sơ đang chờ bổ sung")
    if extra:
        g.put(row, 1, "Ghi chú: " + "; ".join(extra) + ".", "text", to_col=8)
        row += 1
    return row


def _table(g: ReportGrid, row: int, head: list[str], values: list[str]) -> int:
    g.put(row, 1, "TT", "th")
    for c, text in enumerate(head[1:], start=2):
        g.put(row, c, text, "th")
    g.row_heights[row] = 45
    g.put(row + 1, 1, "1", "td_center")
    for c, v in enumerate(values[1:], start=2):
        g.put(row + 1, c, v, "td_center")
    return row + 2


def _overdue_tasks(g: ReportGrid, result, row: int) -> int:
    g.put(row, 1, "IV. NHIỆM VỤ QUÁ HẠN CẦN ĐÔN ĐỐC", "section", to_col=8)
    row += 1
    overdue = result.overdue_tasks
    if not overdue:
        g.put(row, 1, f"Đến ngày {vnformat.date_vn(result.as_of)} không có nhiệm vụ quá hạn.", "text", to_col=8)
        return row + 1
    for c, text, to in ((1, "Mã", None), (2, "Nội dung công việc", 4), (5, "Tổ/nhóm chuyên môn", 6),
                        (7, "Cán bộ phụ trách", None), (8, "Hạn hoàn thành", None)):
        g.put(row, c, text, "th", to_col=to)
    g.row_heights[row] = 32
    for o in overdue:
        row += 1
        content = o.task.content if len(o.task.content) <= 160 else o.task.content[:159] + "…"
        g.put(row, 1, o.task.id, "td_center")
        g.put(row, 2, content, "td", to_col=4)
        g.put(row, 5, o.task.group, "td", to_col=6)
        g.put(row, 7, o.task.owner, "td")
        g.put(row, 8, vnformat.date_vn(o.deadline), "td_center")
        g.row_heights[row] = max(32, 16 * (len(content) // 45 + 1))
    return row + 1


def _closing(g: ReportGrid, result, row: int) -> None:
    s = result.settings
    row += 1
    g.put(row, 1, "Nơi nhận:", "recipients_head", to_col=3)
    authority = s["quyen_han_ky"].strip()
    title = f"{authority} {s['chuc_vu_ky']}".strip() if authority else s["chuc_vu_ky"]
    g.put(row, 5, title, "sign_title", to_col=8)
    if authority and s["chuc_vu_ky_thay"]:
        g.put(row + 1, 5, s["chuc_vu_ky_thay"], "sign_title", to_col=8)
    for i, line in enumerate(str(s["noi_nhan"]).splitlines(), start=1):
        g.put(row + i, 1, "- " + line.lstrip("- "), "recipients", to_col=3)
    g.put(row + 6, 5, s["nguoi_ky"], "sign_name", to_col=8)
