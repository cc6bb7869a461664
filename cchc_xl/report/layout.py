"""Lay the report (sheet ``Báo cáo``) out as a grid of cells, independent of any workbook library.

The report is the school's *Báo cáo kết quả thực hiện công tác cải cách hành chính* of one period, in the
layout of Nghị định 30/2020/NĐ-CP: the two-column header (governing body and school | Quốc hiệu, Tiêu ngữ,
each with its short rule), ``Số: …/BC-…`` and the place-date line, ``BÁO CÁO`` and its subject, the opening
paragraph with its grounds, sections **I**–**V** (the narrative of :mod:`cchc_xl.core.narrative` — staff's
text or the engine's draft — with the figures in place), ``Nơi nhận`` and the signature, then the statistics
as annexes (tasks by area, indicators, dossiers, tasks overdue, unfinished or not carried out), each on a
new page.

Every number comes from ``result.figures`` (:class:`cchc_xl.core.figures.ReportFigures`) and is written as
Vietnamese text (``95,53%``, ``1.234``); targets without decimals (``100%``). The items are flowed onto A4
pages by :mod:`cchc_xl.report.flow`, which computes every row height and the page breaks.

Sheet columns: A:X (24) are the printed layout grid (print area, set by the workbook build); the chart's
data are in AK:AM (hidden), the chart itself to the right of the report (not printed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import schema
from ..core import narrative as nar
from ..core import vnformat
from ..core.indicators import measure_label
from ..core.periods import report_title_phrase
from ..core.tasks import TASK_FLAGS
from ..core.vocabulary import DONE, IndicatorStatus, TaskFlag
from .annexes import annexes
from .flow import (COLUMNS, FONTS, INDENT, Cell, Para, Row, ct2_line, paginate, report_number, signature_rows,
                   signed_date, span_dossiers, span_tasks)
from .styles import STYLES

__all__ = ["ReportGrid", "build_report_grid", "flowed_grid", "STYLES", "CHART_DATA", "PRINT_COLUMNS", "INDENT"]

# Chart data (columns AK:AM, hidden; the chart the workbook build anchors beside the report reads them).
CHART_DATA = {"first_row": 1, "cat_col": 37, "done_col": 38, "open_col": 39}
PRINT_COLUMNS = COLUMNS

# Style key -> engine-neutral spec: defined in cchc_xl.report.styles, which the adapters read too; measured here by
# the key's font (flow.FONTS).
for _key, _spec in STYLES.items():
    _font = _spec.get("font") or {}
    FONTS[_key] = (float(_font.get("size", 12)), bool(_font.get("bold")), bool(_font.get("italic")))


@dataclass
class ReportGrid:
    """Cells ``(row, col) -> (value, style key)`` (1-based), merges ``(r1, c1, r2, c2)``, row heights in
    points, ``row_breaks`` (the 1-based rows after which a new page starts — OOXML ``<brk id>``) and the
    number of printed ``columns`` (the print area is A..)."""

    cells: dict[tuple[int, int], tuple[object, str]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    row_heights: dict[int, float] = field(default_factory=dict)
    last_row: int = 0
    row_breaks: list[int] = field(default_factory=list)
    columns: int = 8

    def put(self, row: int, col: int, value: object, style: str, to_col: int | None = None,
            to_row: int | None = None) -> None:
        self.cells[(row, col)] = (value, style)
        if (to_col and to_col > col) or (to_row and to_row > row):
            spec = STYLES.get(style) or {}
            if spec.get("border") or spec.get("fill"):  # borders and fills show on every merged cell
                for r in range(row, (to_row or row) + 1):
                    for c in range(col, (to_col or col) + 1):
                        if (r, c) != (row, col):
                            self.cells[(r, c)] = (None, style)
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
_ROMAN = ("I", "II", "III", "IV", "V", "VI")
_N = vnformat.integer


def _para(text: str, style: str = "p", indent: bool = True, **kw) -> Para:
    return Para((INDENT if indent else "") + vnformat.typographic(text), style, **kw)


def _paras(text: str, style: str = "p") -> list[Para]:
    """One paragraph per line of ``text`` (blank lines dropped), each with its first-line indent; a line that
    introduces a list (ends with ``:``) stays on the page of the list's first item."""
    lines = [line.strip() for line in str(text).split("\n") if line.strip()]
    return [_para(line, style, space_after=2, keep_with_next=line.endswith(":") and i + 1 < len(lines))
            for i, line in enumerate(lines)]


def _heading(text: str, style: str = "h1", indent: bool = False) -> Para:
    return _para(text, style, indent=indent, keep_with_next=True, keep=True, space_after=2)


def _not_computed(result, section: str) -> Para:
    """A line saying why a section could not be computed (never zeros in its place)."""
    why = result.figures.unavailable.get(section) or result.figures.unavailable.get("procedures", "")
    return Para(f"Không tính được số liệu phần này: {why}. Hãy sửa sổ tính rồi lập lại báo cáo.", "p",
                space_after=2)


# -- the report -----------------------------------------------------------------------------------------------

def build_report_grid(result) -> ReportGrid:
    """The whole report for ``result`` (a :class:`cchc_xl.engine.RefreshResult`); every number comes
    from ``result.figures`` (:class:`cchc_xl.core.figures.ReportFigures`), the text from
    ``result.narrative``."""
    items: list = []
    items += _header(result)
    items += _body(result)
    items += _closing(result)
    items += annexes(result)
    g = flowed_grid(items)
    _chart_data(g, result)
    return g


def flowed_grid(items: list) -> ReportGrid:
    """The grid of flowed ``items`` (:class:`~cchc_xl.report.flow.Para` and :class:`~cchc_xl.report.flow.Row`),
    paginated: each on its row with its computed height, and the page breaks — the school's report and the Sở's
    summary page alike."""
    rows, breaks = paginate(items)
    g = ReportGrid(columns=COLUMNS)
    for r, item in enumerate(rows, start=1):
        if isinstance(item, Para):
            g.put(r, item.c1, item.text, item.style, to_col=item.c2)
            g.row_heights[r] = item.height()
        else:
            for c in item.cells:
                g.put(r, c.c1, c.value, c.style, to_col=c.c2)
            g.row_heights[r] = item.height
    g.row_breaks = list(breaks)
    return g


def _header(result) -> list:
    """NĐ 30/2020 header: governing body and school | Quốc hiệu and Tiêu ngữ, the short rules under the
    school's name (4 of its 10 columns) and under the Tiêu ngữ (its length), number and place-date, title."""
    s = result.settings
    left, right = (1, 10), (11, COLUMNS)
    items: list = [
        Row([Cell(*left, s["co_quan_chu_quan"], "nd_parent"),
             Cell(*right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "nd_nation")], padding=3),
        Row([Cell(*left, s["ten_truong"], "nd_issuer"), Cell(*right, "Độc lập - Tự do - Hạnh phúc", "nd_motto")],
            padding=6),  # the rules below keep a little distance from the text
        Row([Cell(4, 7, None, "nd_rule"), Cell(14, 21, None, "nd_rule")], height=9),
        Row([Cell(*left, f"Số: {report_number(s)}", "nd_number"),
             Cell(*right, vnformat.place_date(s["dia_danh"], signed_date(result)), "nd_place_date")], padding=3),
        Row([], height=12),
        Para("BÁO CÁO", "nd_title", keep=True, keep_with_next=True),
        Para(f"Kết quả thực hiện công tác cải cách hành chính {report_title_phrase(result.period)}", "nd_subject",
             keep=True, keep_with_next=True, balance=True),
        Row([Cell(10, 15, None, "nd_rule")], height=14),
    ]
    notes = " ".join(result.figures.notes)  # the date note (core.report_date), the sample-data note
    if notes:
        items.append(Para("Lưu ý: " + vnformat.typographic(notes), "nd_note", keep=True, space_after=6))
    return items


def _text(result, code: str) -> list[Para]:
    t = result.narrative.get(code)
    return _paras(t.text) if t is not None and t.text else []


def _body(result) -> list:
    f = result.figures
    items: list = _text(result, nar.OPENING)
    items.append(_heading("I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH"))
    items += _text(result, nar.DIRECTION) or ([_not_computed(result, "tasks")] if f.tasks is None else [])

    items.append(_heading("II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH"))
    items += _task_totals(result)
    for area in schema.AREAS:
        items.append(_heading(f"{area}. {schema.AREAS[area]}", "h2", indent=True))
        items += _area_figures(result, area)
        items += _text(result, nar.area_code(area))

    items.append(_heading("III. ĐÁNH GIÁ CHUNG"))
    items += _indicator_summary(result)
    for n, (code, title) in enumerate(((nar.STRENGTHS, "Ưu điểm"), (nar.WEAKNESSES, "Tồn tại, hạn chế"),
                                       (nar.CAUSES, "Nguyên nhân")), start=1):
        text = _text(result, code)
        if not text and code == nar.CAUSES:
            continue  # no cause given: the report says nothing of causes (issue #15)
        items.append(_heading(f"{n}. {title}", "h2", indent=True))
        items += text or [_para("(Chưa có nội dung.)")]
    items.append(_heading("IV. PHƯƠNG HƯỚNG, NHIỆM VỤ KỲ TỚI"))
    items += _text(result, nar.NEXT) or [_para("(Chưa có nội dung.)")]
    items.append(_heading("V. ĐỀ XUẤT, KIẾN NGHỊ"))
    items += _text(result, nar.PROPOSALS) or [_para("Không có đề xuất, kiến nghị.")]
    items.append(_para(f"Trên đây là báo cáo kết quả thực hiện công tác cải cách hành chính "
                       f"{report_title_phrase(result.period)} của {result.settings['ten_truong_ngan']}./.",
                       space_after=4, keep=True, keep_with_next=True))  # never a signature alone on a page
    return items


def _task_totals(result) -> list[Para]:
    tasks = result.figures.tasks
    if tasks is None:
        return [_not_computed(result, "tasks")]
    items = [
        _para(f"Tiến độ nhiệm vụ ({span_tasks(result.figures)}): Kế hoạch có {_N(tasks.counts['total'])} nhiệm vụ — "
              f"{nar.count_phrase(tasks.counted)}; đã hoàn thành {_N(tasks.done)}/{_N(tasks.carried_out)} nhiệm vụ "
              f"nhà trường thực hiện ({vnformat.percent(tasks.completion)}) (chi tiết tại Phụ lục I, Phụ lục IV).",
              space_after=2),
        _para(ct2_line(tasks), space_after=2),
    ]
    pending = nar.year_pending(result.figures)
    if pending and result.figures.as_of < _year_end(result):
        items.append(_para(
            f"Đến ngày {vnformat.date_vn(result.figures.as_of)}, các nhiệm vụ, lần thực hiện sau chưa đến hạn (chưa "
            f"hoàn thành nhưng không phải quá hạn) nên chưa tính vào tỷ lệ CT2: {_pending_text(pending)}. Tỷ lệ CT2 "
            f"cả năm là tỷ lệ tính lại khi cập nhật số liệu vào ngày {vnformat.date_vn(_year_end(result))} hoặc sau "
            "đó.", space_after=2))
    return items


def _year_end(result):
    import datetime as dt

    return dt.date(result.figures.period.year, 12, 31)


def _pending_text(units) -> str:
    groups: dict = {}
    for u in sorted(units, key=lambda u: u.deadline):
        groups.setdefault(u.deadline, []).append(u.label)
    return "; ".join(f"{', '.join(labels)} (hạn {vnformat.date_vn(day)})" for day, labels in groups.items())


def _area_figures(result, area: int) -> list[Para]:
    f = result.figures
    items: list[Para] = []
    if f.tasks is not None:
        outcomes = [o for o in f.tasks.counted if o.task.area == area]
        text = (f"Số liệu: {_N(len(outcomes))} nhiệm vụ — {nar.count_phrase(outcomes)}." if outcomes else
                "Số liệu: Kế hoạch không có nhiệm vụ thuộc lĩnh vực này.")
        items.append(_para(text, space_after=2))
    if area == 3:
        st = f.dossiers
        items.append(_not_computed(result, "dossiers") if st is None else _para(_dossier_text(result, st),
                                                                                 space_after=2))
    if area == 7 and f.dossiers is not None:
        r = f.dossiers.rates()
        parts = [f"tỷ lệ hồ sơ nộp trực tuyến {vnformat.percent(r['online'])}" if r["online"] is not None else "",
                 "tỷ lệ kết quả giải quyết thủ tục hành chính được số hóa "
                 f"{vnformat.percent(r['digitised'])}" if r["digitised"] is not None else ""]
        parts = [p for p in parts if p]
        if parts:
            items.append(_para(f"Trong kỳ ({span_dossiers(result.figures)}), " + "; ".join(parts) + ".", space_after=2))
    return items


def _clauses(pairs) -> str:
    """``"trước hạn 4, đúng hạn 8"`` — only the clauses whose number is not zero."""
    return ", ".join(f"{label} {_N(n)}" for label, n in pairs if n)


def _dossier_text(result, st) -> str:
    """The dossier paragraph of II.3: counts of the period, no zero clause, each rate with its label."""
    span = span_dossiers(result.figures)
    if not st.total:
        return f"Hồ sơ thủ tục hành chính: trong kỳ ({span}) nhà trường không tiếp nhận hồ sơ nào."
    received = f"tiếp nhận {_N(st.total)} hồ sơ"
    new = _clauses((("trực tuyến", st.online_new), ("trực tiếp", st.direct_new), ("qua bưu chính", st.post_new)))
    if st.carried_over:
        received += f" (kỳ trước chuyển sang {_N(st.carried_over)}; mới tiếp nhận {_N(st.received_new)}" + \
                    (f": {new})" if new and st.received_new else ")")
    elif new:
        received += f" ({new})"
    parts = [received]
    if st.resolved:
        parts.append(f"đã giải quyết {_N(st.resolved)} hồ sơ ("
                     + _clauses((("trước hạn", st.early), ("đúng hạn", st.on_time), ("trễ hạn", st.late))) + ")")
    if st.pending:
        parts.append(f"đang giải quyết {_N(st.pending)} hồ sơ"
                     + (f" (quá hạn {_N(st.pending_overdue)})" if st.pending_overdue else ""))
    parts += [f"{_N(n)} hồ sơ {label}" for label, n in (("chờ bổ sung", st.waiting), ("đã rút", st.withdrawn),
                                                         ("từ chối giải quyết", st.refused_untimed)) if n]
    text = f"Hồ sơ thủ tục hành chính trong kỳ ({span}): " + "; ".join(parts) + "."
    r = st.rates()
    year = result.figures.year_end
    rates = []
    if r["early_or_on_time"] is not None:
        rates.append(f"{measure_label('CT4a', year_report=year)} {vnformat.percent(r['early_or_on_time'])}")
    if st.cohort_early_or_on_time is not None:
        rates.append(f"{measure_label('CT3a', year_report=year)} {vnformat.percent(st.cohort_early_or_on_time)}")
    if rates:
        text += " " + "; ".join(rates)[0].upper() + "; ".join(rates)[1:] + "."
    return text + " Chi tiết tại Phụ lục III."


#: The order the report's summary counts the indicators' verdicts in.
STATUS_ORDER = (IndicatorStatus.MET, IndicatorStatus.NOT_YET_MET, IndicatorStatus.NOT_MET, IndicatorStatus.FOLLOWED,
                IndicatorStatus.NO_DATA, IndicatorStatus.NOT_COMPUTABLE)


def _indicator_summary(result) -> list[Para]:
    f = result.figures
    if "indicators" in f.unavailable:
        return [_not_computed(result, "indicators")]
    groups: dict[str, list[str]] = {}
    for r in f.indicators:
        groups.setdefault(r.status, []).append(r.code)
    parts = [f"{status.lower()} {_N(len(groups[status]))} ({', '.join(groups[status])})"
             for status in STATUS_ORDER if status in groups]
    return [_para(f"Kết quả các chỉ tiêu chủ yếu của Kế hoạch (chi tiết tại Phụ lục II): {_N(len(f.indicators))} "
                  f"chỉ tiêu, trong đó " + "; ".join(parts) + ".", space_after=2)]


def _closing(result) -> list:
    """``Nơi nhận`` (left) and the signature block (right), kept together on one page."""
    s = result.settings
    authority = str(s["quyen_han_ky"]).strip()
    titles = [f"{authority} {s['chuc_vu_ky']}".strip() if authority else s["chuc_vu_ky"]]
    if authority and s["chuc_vu_ky_thay"]:
        titles.append(s["chuc_vu_ky_thay"])
    recipients = ["- " + line.lstrip("- ") for line in str(s["noi_nhan"]).splitlines() if line.strip()]
    left = [("Nơi nhận:", "recv_head")] + [(line, "recv") for line in recipients]
    right = [(t, "sign") for t in titles] + [(None, "sign")] * 4 + [(s["nguoi_ky"], "sign")]
    return signature_rows(left, right)


def _chart_data(g: ReportGrid, result) -> None:
    """The chart's data block (hidden columns): per area, tasks done and not done yet."""
    cd = CHART_DATA
    g.put(cd["first_row"], cd["cat_col"], "Lĩnh vực", "chart_data")
    g.put(cd["first_row"], cd["done_col"], "Hoàn thành", "chart_data")
    g.put(cd["first_row"], cd["open_col"], "Chưa hoàn thành", "chart_data")
    tasks = result.figures.tasks
    for area in schema.AREAS:
        g.put(cd["first_row"] + area, cd["cat_col"], f"{area}. {_SHORT_AREA[area]}", "chart_data")
        if tasks is None:
            continue
        c = tasks.by_area.get(area) or {k: 0 for k in ("total", *TASK_FLAGS)}
        done = sum(c[flag] for flag in DONE)
        g.put(cd["first_row"] + area, cd["done_col"], done, "chart_data")
        g.put(cd["first_row"] + area, cd["open_col"], c["total"] - done - c[TaskFlag.NOT_DONE], "chart_data")
