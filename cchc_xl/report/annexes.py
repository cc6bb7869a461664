"""The report's annexes (*Phụ lục*), each on a new page: the statistics behind sections I–V.

* Phụ lục I — tasks by area (every counted task in one category; the categories add up to the total),
  CT2, and a note for every task the table does not show on its own (not carried out, with the reason;
  appendix rows counted once; the occurrences of periodic tasks);
* Phụ lục II — the plan's indicators (target, result, verdict — the word carries the meaning, the
  colour only adds to it);
* Phụ lục III — dossiers received and resolved, and the rates;
* Phụ lục IV — tasks overdue, unfinished at the year's end or not carried out, with their whole text,
  group, officer, deadline and reason.

Every table has a header row (printed again on each page it continues on) and a numbering column; every
number comes from ``result.figures``.
"""

from __future__ import annotations

from .. import schema
from ..core import vnformat
from ..core.narrative import reason_of
from ..core.tasks import TASK_FLAGS
from .flow import COLUMNS, INDENT, Cell, PageBreak, Para, Row, annex_reference

__all__ = ["annexes", "task_columns"]

_N = vnformat.integer


def annexes(result) -> list:
    items: list = []
    for number, (title, body) in enumerate((
            # titles broken where a reader breaks them (never inside a word of two syllables, "cải cách")
            ("TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH\nTHEO LĨNH VỰC", _tasks_by_area),
            ("KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU", _indicators),
            ("TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT\nHỒ SƠ THỦ TỤC HÀNH CHÍNH", _dossiers),
            ("NHIỆM VỤ QUÁ HẠN, CHƯA HOÀN THÀNH, KHÔNG THỰC HIỆN", _late_tasks)), start=1):
        items += [PageBreak(),
                  Para(f"Phụ lục {('I', 'II', 'III', 'IV')[number - 1]}", "annex_no", keep=True, keep_with_next=True),
                  Para(title, "annex_title", keep=True, keep_with_next=True, balance=True),
                  Para(annex_reference(result), "annex_ref", keep=True, keep_with_next=True, balance=True,
                       space_after=8)]
        items += body(result)
    return items


def _not_computed(result, section: str) -> list:
    why = result.figures.unavailable.get(section) or result.figures.unavailable.get("procedures", "")
    return [Para(f"Không tính được số liệu phần này: {why}. Hãy sửa sổ tính rồi lập lại báo cáo.", "t_note")]


def _table(columns: list[tuple[str, int]], rows: list[list[tuple[object, str]]]) -> list[Row]:
    """A table: ``columns`` = (header, width in grid columns), widths adding up to the grid; ``rows`` =
    cells (value, style) in column order. The header row is repeated on each page the table continues on."""
    assert sum(w for _, w in columns) == COLUMNS, columns
    spans, c = [], 1
    for _, w in columns:
        spans.append((c, c + w - 1))
        c += w
    header = Row([Cell(a, b, title, "t_head") for (title, _), (a, b) in zip(columns, spans)], keep_with_next=True)
    body = [Row([Cell(a, b, value, style) for (value, style), (a, b) in zip(cells, spans)], header=header)
            for cells in rows]
    return [header, *body]


def _note(text: str) -> Para:
    return Para(INDENT + text, "t_note", space_after=1)


# -- Phụ lục I -----------------------------------------------------------------------------------------------

def task_columns(c: dict) -> list[int]:
    """Tổng số, đúng hạn, trễ hạn, quá hạn (+ chưa hoàn thành), chưa đến hạn (+ chưa xác định hạn),
    không thực hiện — they add up to the total."""
    return [c["total"], c["done_on_time"], c["done_late"], c["overdue"] + c["unfinished"],
            c["due_soon"] + c["in_time"] + c["no_deadline"], c["not_done"]]


def _tasks_by_area(result) -> list:
    tasks = result.figures.tasks
    if tasks is None:
        return _not_computed(result, "tasks")
    year_end = result.figures.year_end
    columns = [("TT", 2), ("Lĩnh vực", 8), ("Tổng số nhiệm vụ", 2), ("Hoàn thành đúng hạn", 2),
               ("Hoàn thành trễ hạn", 2), ("Quá hạn, chưa hoàn thành" if year_end else "Quá hạn", 3),
               ("Chưa đến hạn", 3), ("Không thực hiện", 2)]
    areas = list(schema.AREAS) + sorted(a for a in tasks.by_area if a not in schema.AREAS)
    rows = []
    for i, area in enumerate(areas, start=1):
        c = tasks.by_area.get(area) or {k: 0 for k in ("total", *TASK_FLAGS)}
        name = f"{area}. {schema.AREAS[area]}" if area in schema.AREAS else "Khác (chưa ghi lĩnh vực)"
        rows.append([(str(i), "t_center"), (name, "t_cell")] + [(_N(v), "t_center") for v in task_columns(c)])
    rows.append([("", "t_total"), ("Tổng cộng", "t_total_left")]
                + [(_N(v), "t_total") for v in task_columns(tasks.counts)])
    items: list = _table(columns, rows)
    items[-1].keep_with_next = True  # the total row goes with the CT2 line below it
    num, den = tasks.ct2_numerator, tasks.ct2_denominator
    items.append(Row([], height=6, keep_with_next=True))
    items.append(_note(f"Tỷ lệ nhiệm vụ hoàn thành đúng hạn (chỉ tiêu CT2): {_N(num)}/{_N(den)} = "
                       f"{vnformat.percent(tasks.ct2)} (số hoàn thành đúng hạn / số đã hoàn thành hoặc đã đến hạn)."))
    counts = tasks.counts
    parts = []
    if year_end and counts["unfinished"]:
        parts.append(f"quá hạn {_N(counts['overdue'])}, chưa hoàn thành khi kết thúc năm {_N(counts['unfinished'])}")
    if counts["due_soon"]:
        parts.append(f"sắp đến hạn {_N(counts['due_soon'])}")
    if counts["no_deadline"]:
        parts.append(f"chưa xác định hạn {_N(counts['no_deadline'])}")
    if parts:
        items.append(_note("Trong đó: " + "; ".join(parts) + "."))
    notes = _other_task_notes(result)
    if notes:
        items.append(Para("Ghi chú:", "h3", keep=True, keep_with_next=True))
        items += [_note("- " + line) for line in notes]
    return items


def _other_task_notes(result) -> list[str]:
    """Every task the table does not show on its own: not carried out (with the reason), appendix rows
    that are not counted again, and the occurrences of periodic tasks."""
    tasks = result.figures.tasks
    lines = []
    for o in tasks.cancelled:
        reason = reason_of(o.task.note) or o.task.note or "chưa ghi lý do"
        lines.append(f"Nhiệm vụ {o.task.id} không thực hiện. Lý do: {reason}.")
    for o in tasks.not_counted:
        if o.link_target == schema.TASK_LINK_UMBRELLA:
            lines.append(f"Dòng phụ lục {o.task.id} ({o.task.content.rstrip('.')}) là dòng tổng hợp của toàn bộ "
                         "Kế hoạch: không tính thêm.")
        else:
            lines.append(f"Dòng phụ lục {o.task.id} ({o.task.content.rstrip('.')}) cùng nội dung với nhiệm vụ "
                         f"{o.link_target}: tính một lần.")
    for o in tasks.counted:
        if o.occurrences:
            parts = [f"{occ.occurrence.label}: {schema.TASK_FLAG[occ.flag].lower()}" for occ in o.occurrences]
            lines.append(f"Nhiệm vụ định kỳ {o.task.id} ({schema.TASK_FLAG[o.flag].lower()}): " + "; ".join(parts)
                         + ".")
    return lines


# -- Phụ lục II ----------------------------------------------------------------------------------------------

def _target_text(op, threshold) -> str:
    if threshold is None:
        return ""
    if isinstance(threshold, str):
        return threshold
    return f"{op or ''} {vnformat.percent(threshold, trim=True)}".strip()


def _indicators(result) -> list:
    if "indicators" in result.figures.unavailable:
        return _not_computed(result, "indicators")
    columns = [("TT", 1), ("Mã", 2), ("Chỉ tiêu", 12), ("Chỉ tiêu đặt ra", 3), ("Kết quả", 3), ("Đánh giá", 3)]
    rows_by_code = {r.code: r for r in result.data.indicators}
    tasks = result.figures.tasks
    rows = []
    for i, res in enumerate(result.figures.indicators, start=1):
        source = rows_by_code.get(res.code)
        actual = res.actual if isinstance(res.actual, str) else vnformat.percent(res.actual)
        if res.code.upper() == "CT2" and tasks is not None and res.actual is not None:
            actual += f" ({_N(tasks.ct2_numerator)}/{_N(tasks.ct2_denominator)})"
        style = {"Đạt": "t_ok", "Không đạt": "t_bad"}.get(res.status, "t_center")
        rows.append([(str(i), "t_center"), (res.code, "t_center"), (source.name if source else res.code, "t_small"),
                     (_target_text(res.op, res.threshold), "t_center"), (actual, "t_center"), (res.status, style)])
    note = _note("Kết quả tính đến ngày " + vnformat.date_vn(result.cut) + "; "
                 + ("đánh giá cuối năm." if result.figures.year_end else
                    "chỉ tiêu năm chưa đạt trước kỳ báo cáo năm ghi 'Chưa đạt'."))
    note.keep, note.keep_with_next, note.space_after = True, True, 4
    return [note, *_table(columns, rows)]


# -- Phụ lục III ---------------------------------------------------------------------------------------------

def _dossiers(result) -> list:
    st = result.figures.dossiers
    if st is None:
        return _not_computed(result, "dossiers")
    rates = st.rates()
    p = vnformat.percent
    columns = [("TT", 2), ("Nội dung", 14), ("Số hồ sơ", 4), ("Tỷ lệ", 4)]
    lines = [
        ("1", "Tổng số hồ sơ tiếp nhận", st.total, None, True),
        ("1.1", "Kỳ trước chuyển sang", st.carried_over, None, False),
        ("1.2", "Mới tiếp nhận", st.received_new, None, False),
        ("", "- Trực tuyến", st.online_new, rates["online"], False),
        ("", "- Trực tiếp", st.direct_new, None, False),
        ("", "- Qua dịch vụ bưu chính công ích", st.post_new, None, False),
        ("2", "Đã giải quyết", st.resolved, None, True),
        ("2.1", "Trước hạn", st.early, rates["early"], False),
        ("2.2", "Đúng hạn", st.on_time, None, False),
        ("2.3", "Trễ hạn", st.late, rates["late"], False),
        ("3", "Đang giải quyết", st.pending, None, True),
        ("3.1", "Trong hạn", st.pending_not_due, None, False),
        ("3.2", "Quá hạn", st.pending_overdue, None, False),
        ("4", "Chờ bổ sung (tính riêng, không tính quá hạn khi đang chờ)", st.waiting, None, True),
        ("5", "Rút hồ sơ", st.withdrawn, None, True),
        ("6", "Từ chối (không tính hạn)", st.refused_untimed, None, True),
    ]
    rows = [[(tt, "t_center"), (label, "t_total_left" if bold else "t_cell"), (_N(n), "t_center"),
             (p(rate) if rate is not None else "", "t_center")] for tt, label, n, rate, bold in lines]
    items: list = [Para("1. Tiếp nhận và giải quyết hồ sơ", "h3", keep=True, keep_with_next=True)]
    items += _table(columns, rows)
    items.append(Row([], height=10))
    items.append(Para("2. Các tỷ lệ", "h3", keep=True, keep_with_next=True))
    rate_lines = [
        ("Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn", rates["early_or_on_time"]),
        ("Tỷ lệ hồ sơ giải quyết trước hạn", rates["early"]),
        ("Tỷ lệ hồ sơ giải quyết trễ hạn", rates["late"]),
        ("Tỷ lệ trễ hạn, kể cả hồ sơ đang giải quyết quá hạn", rates["late_incl_pending_overdue"]),
        ("Tỷ lệ hồ sơ nộp trực tuyến", rates["online"]),
        ("Tỷ lệ kết quả giải quyết được số hóa", rates["digitised"]),
        ("Tỷ lệ hài lòng (QĐ 766/QĐ-TTg)", rates["satisfaction_qd766"]),
        ("Tỷ lệ hài lòng (phiếu khảo sát)", rates["satisfaction_survey"]),
    ]
    items += _table([("TT", 2), ("Tỷ lệ", 16), ("Giá trị", 6)],
                    [[(str(i), "t_center"), (label, "t_cell"), (p(v), "t_center")]
                     for i, (label, v) in enumerate(rate_lines, start=1)])
    return items


# -- Phụ lục IV ----------------------------------------------------------------------------------------------

def _late_tasks(result) -> list:
    tasks = result.figures.tasks
    if tasks is None:
        return _not_computed(result, "tasks")
    late = tasks.with_flag("overdue", "unfinished", "not_done")
    if not late:
        return [_note(f"Đến ngày {vnformat.date_vn(result.cut)} không có nhiệm vụ quá hạn, chưa hoàn thành hoặc "
                      "không thực hiện.")]
    columns = [("TT", 1), ("Mã", 2), ("Nội dung công việc", 10), ("Tổ/nhóm, cán bộ phụ trách", 4),
               ("Hạn hoàn thành", 3), ("Tình trạng, nguyên nhân", 4)]  # a date fits 3 columns at 11 pt
    rows = []
    for i, o in enumerate(late, start=1):
        t = o.task
        state = schema.TASK_FLAG[o.flag]
        late_occ = [occ for occ in o.occurrences if occ.flag in ("overdue", "unfinished")]
        if late_occ:
            state += " (" + ", ".join(occ.occurrence.label for occ in late_occ) + ")"
        reason = ("; ".join(r for r in [reason_of(occ.occurrence.note) for occ in late_occ] if r) if o.occurrences
                  else reason_of(t.note))
        state += (". Lý do: " if o.flag == "not_done" else ". Nguyên nhân: ") + (reason or "chưa báo cáo") + "."
        who = ", ".join(x for x in (t.group, t.owner) if x) or "chưa giao"
        due = vnformat.date_vn(o.deadline) if o.deadline else (t.timeframe or "")
        rows.append([(str(i), "t_center"), (t.id, "t_center"), (t.content, "t_small"), (who, "t_small"),
                     (due, "t_small_center"), (state, "t_small")])
    return _table(columns, rows)
