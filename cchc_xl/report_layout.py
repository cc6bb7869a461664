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
from .core.tasks import TASK_FLAGS

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


def _not_computed(g: ReportGrid, row: int, result, section: str) -> int:
    """A line saying why a section could not be computed (never zeros in its place)."""
    why = result.figures.unavailable.get(section) or result.figures.unavailable.get("procedures", "")
    g.put(row, 1, f"Không tính được số liệu phần này: {why}. Hãy sửa sổ tính rồi lập lại báo cáo.",
          "text", to_col=8)
    g.row_heights[row] = _height(len(why) + 60, 94)
    return row + 1


def _height(chars: int, width: float, line_pt: float = 16.0, minimum: float = 18.0) -> float:
    """Row height for ``chars`` characters of wrapped text in ``width`` character units."""
    lines = max(1, -(-int(chars * 1.1) // max(int(width) - 1, 1)))
    return max(minimum, lines * line_pt + 4)


def build_report_grid(result) -> ReportGrid:
    """The whole report for ``result`` (a :class:`cchc_xl.engine.RefreshResult`); every number comes
    from ``result.figures`` (:class:`cchc_xl.core.figures.ReportFigures`)."""
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
    notes = " ".join(result.figures.notes)  # the date note (core.report_date), the sample-data note
    if notes:
        g.put(9, 1, "Lưu ý: " + notes, "note", to_col=8)
        g.row_heights[9] = _height(len(notes) + 7, 94)

    _task_progress(g, result, 10)
    row = _indicators(g, result, CHART_ROWS[1] + 2)
    row = _dossier_tables(g, result, row + 1)
    row = _overdue_tasks(g, result, row + 1)
    _closing(g, result, row + 1)
    return g


def _task_progress(g: ReportGrid, result, row: int) -> None:
    g.put(row, 1, "I. TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ THEO LĨNH VỰC", "section", to_col=8)
    tasks = result.figures.tasks
    cd = CHART_DATA
    g.put(cd["first_row"], cd["cat_col"], "Lĩnh vực", "chart_data")
    g.put(cd["first_row"], cd["done_col"], "Hoàn thành", "chart_data")
    g.put(cd["first_row"], cd["open_col"], "Chưa hoàn thành", "chart_data")
    for area in schema.AREAS:
        g.put(cd["first_row"] + area, cd["cat_col"], f"{area}. {_SHORT_AREA[area]}", "chart_data")
    if tasks is None:
        _not_computed(g, row + 1, result, "tasks")
        return
    year_end = result.figures.year_end
    head = ["TT", "Lĩnh vực", "Tổng số nhiệm vụ", "Hoàn thành đúng hạn", "Hoàn thành trễ hạn",
            "Quá hạn, chưa hoàn thành" if year_end else "Quá hạn", "Chưa đến hạn", "Không thực hiện"]
    for c, text in enumerate(head, start=1):
        g.put(row + 1, c, text, "th")
    g.row_heights[row + 1] = 45
    n = vnformat.integer
    areas = list(schema.AREAS) + sorted(a for a in tasks.by_area if a not in schema.AREAS)
    r = row + 2
    for i, area in enumerate(areas):
        c = tasks.by_area.get(area) or {k: 0 for k in ("total", *TASK_FLAGS)}
        name = f"{area}. {schema.AREAS[area]}" if area in schema.AREAS else "Khác (chưa ghi lĩnh vực)"
        values = [str(i + 1), name, *_task_columns(c)]
        for col, v in enumerate(values, start=1):
            g.put(r, col, n(v) if isinstance(v, int) else v, "td" if col == 2 else "td_center")
        if len(name) > 34:  # wraps to two lines in column B
            g.row_heights[r] = 30
        if area in schema.AREAS:
            done = c["done_on_time"] + c["done_late"]
            g.put(cd["first_row"] + area, cd["done_col"], done, "chart_data")
            g.put(cd["first_row"] + area, cd["open_col"], c["total"] - done - c["not_done"], "chart_data")
        r += 1
    for col, v in enumerate(["", "Tổng cộng", *_task_columns(tasks.counts)], start=1):
        g.put(r, col, n(v) if isinstance(v, int) else v, "td_total")
    r += 1
    num, den = tasks.ct2_numerator, tasks.ct2_denominator
    g.put(r, 1, f"Tỷ lệ nhiệm vụ hoàn thành đúng hạn (chỉ tiêu CT2): {n(num)}/{n(den)} = "
                f"{vnformat.percent(tasks.ct2)} (số hoàn thành đúng hạn / số đã hoàn thành hoặc đã đến hạn).",
          "text", to_col=8)
    parts = []
    counts = tasks.counts
    if year_end and counts["unfinished"]:
        parts.append(f"quá hạn {n(counts['overdue'])}, chưa hoàn thành khi hết năm {n(counts['unfinished'])}")
    if counts["due_soon"]:
        parts.append(f"sắp đến hạn {n(counts['due_soon'])}")
    if counts["no_deadline"]:
        parts.append(f"chưa xác định hạn {n(counts['no_deadline'])}")
    if parts:
        g.put(r + 1, 1, "Trong đó: " + "; ".join(parts) + ".", "text", to_col=8)
    # Row r + 1 is 21 with the default start row; the chart is anchored just below.


def _task_columns(c: dict) -> list[int]:
    """Tổng số, đúng hạn, trễ hạn, quá hạn (+ chưa hoàn thành), chưa đến hạn (+ chưa xác định hạn),
    không thực hiện — they add up to the total."""
    return [c["total"], c["done_on_time"], c["done_late"], c["overdue"] + c["unfinished"],
            c["due_soon"] + c["in_time"] + c["no_deadline"], c["not_done"]]


def _indicators(g: ReportGrid, result, row: int) -> int:
    g.put(row, 1, "II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU", "section", to_col=8)
    row += 1
    if "indicators" in result.figures.unavailable:
        return _not_computed(g, row, result, "indicators")
    for c, text, to in ((1, "Mã", None), (2, "Chỉ tiêu", 4), (5, "Chỉ tiêu đặt ra", None), (6, "Kết quả", None),
                        (7, "Đánh giá", 8)):
        g.put(row, c, text, "th", to_col=to)
    rows_by_code = {r.code: r for r in result.data.indicators}
    tasks = result.figures.tasks
    for res in result.indicators:
        row += 1
        source = rows_by_code.get(res.code)
        target = _target_text(res.op, res.threshold)
        actual = res.actual if isinstance(res.actual, str) else vnformat.percent(res.actual)
        if res.code.upper() == "CT2" and tasks is not None and res.actual is not None:
            actual += f" ({vnformat.integer(tasks.ct2_numerator)}/{vnformat.integer(tasks.ct2_denominator)})"
        g.put(row, 1, res.code, "td_center")
        name = source.name if source else res.code
        g.put(row, 2, name, "td", to_col=4)
        g.put(row, 5, target, "td_center")
        g.put(row, 6, actual, "td_center")
        style = {"Đạt": "td_ok", "Không đạt": "td_bad"}.get(res.status, "td_center")
        g.put(row, 7, res.status, style, to_col=8)
        g.row_heights[row] = _height(len(name), 51, 15, 32)
    return row + 1


def _target_text(op, threshold) -> str:
    if threshold is None:
        return ""
    if isinstance(threshold, str):
        return threshold
    return f"{op or ''} {vnformat.percent(threshold)}".strip()


def _dossier_tables(g: ReportGrid, result, row: int) -> int:
    st = result.figures.dossiers
    n = vnformat.integer
    g.put(row, 1, "III. TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH", "section", to_col=8)
    row += 1
    if st is None:
        return _not_computed(g, row, result, "dossiers")
    g.put(row, 1, "1. Tiếp nhận hồ sơ", "text", to_col=8)
    head = ["", "Tổng số hồ sơ tiếp nhận", "Kỳ trước chuyển sang", "Mới tiếp nhận", "Trực tuyến", "Trực tiếp",
            "Bưu chính", "Rút hồ sơ"]
    values = ["", n(st.total), n(st.carried_over), n(st.received_new), n(st.online_new), n(st.direct_new),
              n(st.post_new), n(st.withdrawn)]
    row = _table(g, row + 1, head, values)
    g.put(row, 1, "2. Kết quả giải quyết", "text", to_col=8)
    head = ["", "Đã giải quyết", "Trước hạn", "Đúng hạn", "Trễ hạn", "Đang giải quyết trong hạn",
            "Đang giải quyết quá hạn", "Chờ bổ sung"]
    values = ["", n(st.resolved), n(st.early), n(st.on_time), n(st.late), n(st.pending_not_due),
              n(st.pending_overdue), n(st.waiting)]
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
    extra = [f"{n(st.pending)} hồ sơ đang giải quyết"]
    if st.waiting:
        extra.append(f"{n(st.waiting)} hồ sơ chờ bổ sung (tính riêng, không tính quá hạn khi đang chờ)")
    if st.refused_untimed:
        extra.append(f"{n(st.refused_untimed)} hồ sơ bị từ chối không tính hạn")
    g.put(row, 1, "Ghi chú: " + "; ".join(extra) + ".", "text", to_col=8)
    return row + 1


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
    tasks = result.figures.tasks
    year_end = result.figures.year_end
    title = "IV. NHIỆM VỤ QUÁ HẠN, CHƯA HOÀN THÀNH" if year_end else "IV. NHIỆM VỤ QUÁ HẠN CẦN ĐÔN ĐỐC"
    g.put(row, 1, title, "section", to_col=8)
    row += 1
    if tasks is None:
        return _not_computed(g, row, result, "tasks")
    late = tasks.with_flag("overdue", "unfinished")
    if not late:
        g.put(row, 1, f"Đến ngày {vnformat.date_vn(result.as_of)} không có nhiệm vụ quá hạn.", "text", to_col=8)
        row += 1
    else:
        for c, text, to in ((1, "Mã", None), (2, "Nội dung công việc", 4), (5, "Tổ/nhóm chuyên môn", 6),
                            (7, "Cán bộ phụ trách", None), (8, "Hạn hoàn thành", None)):
            g.put(row, c, text, "th", to_col=to)
        g.row_heights[row] = 32
        for o in late:
            row += 1
            content = o.task.content if len(o.task.content) <= 160 else o.task.content[:159] + "…"
            late_occ = [occ.occurrence.label for occ in o.occurrences if occ.flag in ("overdue", "unfinished")]
            if late_occ:
                content += " (" + ", ".join(late_occ) + ")"
            if o.flag == "unfinished":
                content += " — chưa hoàn thành"
            g.put(row, 1, o.task.id, "td_center")
            g.put(row, 2, content, "td", to_col=4)
            g.put(row, 5, o.task.group, "td", to_col=6)
            g.put(row, 7, o.task.owner, "td")
            g.put(row, 8, vnformat.date_vn(o.deadline), "td_center")
            g.row_heights[row] = max(32, 16 * (len(content) // 45 + 1))
        row += 1
    return _other_task_notes(g, result, row)


def _other_task_notes(g: ReportGrid, result, row: int) -> int:
    """Every task the table does not show on its own: not carried out (with the reason), appendix rows
    that are not counted again, and the occurrences of periodic tasks."""
    tasks = result.figures.tasks
    lines = []
    for o in tasks.cancelled:
        reason = o.task.note or "chưa ghi lý do"
        lines.append(f"Nhiệm vụ {o.task.id} không thực hiện. Lý do: {reason}.")
    for o in tasks.not_counted:
        if o.link_target == schema.TASK_LINK_UMBRELLA:
            lines.append(f"Dòng phụ lục {o.task.id} ({o.task.content.rstrip('.')}) là dòng tổng hợp của toàn bộ "
                         "kế hoạch: không tính thêm.")
        else:
            lines.append(f"Dòng phụ lục {o.task.id} ({o.task.content.rstrip('.')}) cùng nội dung với nhiệm vụ "
                         f"{o.link_target}: tính một lần.")
    for o in tasks.counted:
        if o.occurrences:
            parts = [f"{occ.occurrence.label}: {schema.TASK_FLAG[occ.flag].lower()}" for occ in o.occurrences]
            lines.append(f"Nhiệm vụ định kỳ {o.task.id} ({schema.TASK_FLAG[o.flag].lower()}): " + "; ".join(parts)
                         + ".")
    for line in lines:
        g.put(row, 1, "- " + line, "text", to_col=8)
        g.row_heights[row] = _height(len(line) + 2, 94)
        row += 1
    return row


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
