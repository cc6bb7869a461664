"""The report's annexes (*Phụ lục*), each on a new page: the statistics behind sections I–V.

* Phụ lục I — tasks by area (every counted task in one category; the categories add up to the total),
  CT2, and a note for every task the table does not show on its own (not carried out, with the reason;
  appendix rows counted once; the occurrences of periodic tasks);
* Phụ lục II — the plan's indicators (target, result, verdict — the word carries the meaning, the
  colour only adds to it);
* Phụ lục III — dossiers received and resolved, and the rates;
* Phụ lục IV — tasks overdue or not carried out, with their whole text, group, officer, deadline and the reason
  a group gave (nothing where none was given); a task not due yet is never in it.

Each annex names its span: tasks from the start of the plan year to the as-of date, dossiers for the period.

Every table has a header row (printed again on each page it continues on) and a numbering column; every
number comes from ``result.figures``.
"""

from __future__ import annotations

from .. import schema
from ..core import vnformat
from ..core.indicators import measure_label, target_words
from ..core.narrative import reason_of, state_words
from ..core.tasks import TASK_FLAGS
from ..core.vocabulary import IndicatorStatus, TaskFlag
from .flow import (COLUMNS, INDENT, Cell, PageBreak, Para, Row, annex_reference, ct2_line, span_dossiers,
                   span_tasks)

__all__ = ["annexes", "task_columns", "TASK_COLUMN", "STATUS_STYLE"]

_N = vnformat.integer


def annexes(result) -> list:
    items: list = []
    for number, (title, body) in enumerate((
            # titles broken where a reader breaks them (never inside a word of two syllables, "cải cách")
            ("TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH\nTHEO LĨNH VỰC", _tasks_by_area),
            ("KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU", _indicators),
            ("TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT\nHỒ SƠ THỦ TỤC HÀNH CHÍNH", _dossiers),
            ("NHIỆM VỤ QUÁ HẠN, NHIỆM VỤ KHÔNG THỰC HIỆN", _late_tasks)), start=1):
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
    return Para(INDENT + vnformat.typographic(text), "t_note", space_after=1)


def _span_note(text: str) -> Para:
    """The span of an annex's figures, under its title."""
    note = _note(text)
    note.keep, note.keep_with_next, note.space_after = True, True, 4
    return note


def _tasks_span(result) -> str:
    return f"Số liệu {span_tasks(result.figures)}."


def _dossiers_span(result) -> str:
    return f"Số liệu trong kỳ, {span_dossiers(result.figures)}."


# -- Phụ lục I -----------------------------------------------------------------------------------------------

#: The column of Phụ lục I each flag is counted in (after Tổng số): đúng hạn, trễ hạn, quá hạn (+ chưa hoàn
#: thành), chưa đến hạn (+ chưa xác định hạn), không thực hiện — every flag somewhere, so they add up to the total.
TASK_COLUMN = {TaskFlag.DONE_ON_TIME: 1, TaskFlag.DONE_LATE: 2, TaskFlag.OVERDUE: 3, TaskFlag.UNFINISHED: 3,
               TaskFlag.DUE_SOON: 4, TaskFlag.IN_TIME: 4, TaskFlag.NO_DEADLINE: 4, TaskFlag.NOT_DONE: 5}
#: The style of an indicator's verdict in Phụ lục II.
STATUS_STYLE = {IndicatorStatus.MET: "t_ok", IndicatorStatus.NOT_MET: "t_bad", IndicatorStatus.NOT_YET_MET: "t_center",
                IndicatorStatus.NO_DATA: "t_center", IndicatorStatus.FOLLOWED: "t_center",
                IndicatorStatus.NOT_COMPUTABLE: "t_center"}


def task_columns(c: dict) -> list[int]:
    """Tổng số and the counts of :data:`TASK_COLUMN`'s columns — they add up to the total."""
    out = [c["total"], 0, 0, 0, 0, 0]
    for flag, column in TASK_COLUMN.items():
        out[column] += c[flag]
    return out


def _tasks_by_area(result) -> list:
    tasks = result.figures.tasks
    if tasks is None:
        return _not_computed(result, "tasks")
    columns = [("TT", 2), ("Lĩnh vực", 8), ("Tổng số nhiệm vụ", 2), ("Hoàn thành đúng hạn", 2),
               ("Hoàn thành trễ hạn", 2), ("Quá hạn", 3), ("Chưa đến hạn", 3), ("Không thực hiện", 2)]
    areas = list(schema.AREAS) + sorted(a for a in tasks.by_area if a not in schema.AREAS)
    rows = []
    for i, area in enumerate(areas, start=1):
        c = tasks.by_area.get(area) or {k: 0 for k in ("total", *TASK_FLAGS)}
        name = f"{area}. {schema.AREAS[area]}" if area in schema.AREAS else "Khác (chưa ghi lĩnh vực)"
        rows.append([(str(i), "t_center"), (name, "t_cell")] + [(_N(v), "t_center") for v in task_columns(c)])
    rows.append([("", "t_total"), ("Tổng cộng", "t_total_left")]
                + [(_N(v), "t_total") for v in task_columns(tasks.counts)])
    items: list = [_span_note(_tasks_span(result)), *_table(columns, rows)]
    items[-1].keep_with_next = True  # the total row goes with the CT2 line below it
    items.append(Row([], height=6, keep_with_next=True))
    items.append(_note(ct2_line(tasks)))
    counts = tasks.counts
    not_due = counts[TaskFlag.DUE_SOON] + counts[TaskFlag.IN_TIME] + counts[TaskFlag.NO_DEADLINE]
    if not_due:
        parts = [("sắp đến hạn", counts[TaskFlag.DUE_SOON]), ("chưa xác định hạn", counts[TaskFlag.NO_DEADLINE])]
        text = f"Trong {_N(not_due)} nhiệm vụ chưa đến hạn: " + ", ".join(f"{w} {_N(n)}" for w, n in parts if n)
        started = tasks.not_started
        if started:
            text += (", " if any(n for _, n in parts) else "") + \
                f"chưa triển khai {_N(len(started))} ({', '.join(o.task.id for o in started)})"
        if text.endswith(": "):
            text += "đều đang thực hiện"
        items.append(_note(text + "."))
    notes = _other_task_notes(result)
    if notes:
        items.append(Para("Ghi chú:", "h3", keep=True, keep_with_next=True))
        items += [_note("- " + line) for line in notes]
    return items


def _other_task_notes(result) -> list[str]:
    """Every task the table does not show on its own: not carried out (with the reason a group gave), appendix
    rows that are not counted again, and the occurrences of periodic tasks (in the words of section II)."""
    tasks = result.figures.tasks
    lines = []
    for o in tasks.cancelled:
        reason = reason_of(o.task.note)
        lines.append(f"Nhiệm vụ {o.task.id} không thực hiện." + (f" Lý do: {reason}." if reason else ""))
    for o in tasks.not_counted:
        if o.link_target == schema.TASK_LINK_UMBRELLA:
            lines.append(f"Dòng phụ lục {o.task.id} ({o.task.content.rstrip('.')}) là dòng tổng hợp của toàn bộ "
                         "Kế hoạch: không tính thêm.")
        else:
            lines.append(f"Dòng phụ lục {o.task.id} ({o.task.content.rstrip('.')}) cùng nội dung với nhiệm vụ "
                         f"{o.link_target}: tính một lần.")
    as_of = result.figures.as_of
    for o in tasks.counted:
        if o.periodic and o.occurrences:
            parts = [f"{occ.occurrence.label}: {state_words(occ.occurrence, occ.flag, occ.deadline, as_of)}"
                     for occ in o.occurrences]
            lines.append(f"Nhiệm vụ định kỳ {o.task.id} ({schema.TASK_FLAG[o.flag].lower()}): " + "; ".join(parts)
                         + ".")
    return lines


# -- Phụ lục II ----------------------------------------------------------------------------------------------

# Indicators whose result is not what the plan's sentence literally says: CT2 counts tasks and occurrences (due or
# done by the as-of date), CT3a the dossiers received in this report's window ("trong năm" only in the year report),
# CT4a every dossier resolved, early or on time. The others measure what their sentence names.
_MEASURED_APART = frozenset({"CT2", "CT3A", "CT4A"})


def _indicators(result) -> list:
    if "indicators" in result.figures.unavailable:
        return _not_computed(result, "indicators")
    columns = [("TT", 1), ("Mã", 2), ("Chỉ tiêu", 12), ("Chỉ tiêu đặt ra", 3), ("Kết quả", 3), ("Đánh giá", 3)]
    rows_by_code = {r.code: r for r in result.data.indicators}
    tasks = result.figures.tasks
    year = result.figures.year_end
    measure = str(result.settings["cach_tinh_hai_long"])
    rows = []
    for i, res in enumerate(result.figures.indicators, start=1):
        source = rows_by_code.get(res.code)
        actual = res.actual if isinstance(res.actual, str) else vnformat.percent(res.actual)
        if res.code.upper() == "CT2" and tasks is not None and res.actual is not None:
            actual += f" ({_N(tasks.ct2_numerator)}/{_N(tasks.ct2_denominator)})"
        name = source.name if source else res.code
        if res.code.upper() in _MEASURED_APART:  # the result measures more, or otherwise, than the plan's words say
            label = measure_label(res.code, year_report=year, satisfaction_measure=measure)
            name = f"{name.rstrip()}\nKết quả tính theo {label}."
        style = STATUS_STYLE[res.status]
        rows.append([(str(i), "t_center"), (res.code, "t_center"), (vnformat.typographic(name), "t_small"),
                     (target_words(res.op, res.threshold), "t_center"), (actual, "t_center"), (str(res.status), style)])
    f = result.figures
    note = _span_note(f"Kết quả về nhiệm vụ tính từ đầu năm đến ngày {vnformat.date_vn(f.as_of)}; về hồ sơ "
                      f"thủ tục hành chính tính trong kỳ, từ ngày {vnformat.date_vn(f.period.start)} đến ngày "
                      f"{vnformat.date_vn(f.cut)}; " + ("đánh giá cuối năm." if year else
                                                        "chỉ tiêu năm chưa đạt trước kỳ báo cáo năm ghi 'Chưa đạt'."))
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
    items: list = [_span_note(_dossiers_span(result)),
                   Para("1. Tiếp nhận và giải quyết hồ sơ", "h3", keep=True, keep_with_next=True)]
    items += _table(columns, rows)
    items.append(Row([], height=10))
    items.append(Para("2. Các tỷ lệ", "h3", keep=True, keep_with_next=True))
    year = result.figures.year_end
    rate_lines = [
        (_capital(measure_label("CT4a", year_report=year)), rates["early_or_on_time"]),
        (_capital(measure_label("CT3a", year_report=year)), st.cohort_early_or_on_time),
        ("Tỷ lệ hồ sơ giải quyết trước hạn", rates["early"]),
        ("Tỷ lệ hồ sơ giải quyết trễ hạn", rates["late"]),
        ("Tỷ lệ trễ hạn, kể cả hồ sơ đang giải quyết quá hạn ((trễ hạn + đang quá hạn) / (đã giải quyết + "
         "đang quá hạn))", rates["late_incl_pending_overdue"]),
        ("Tỷ lệ hồ sơ nộp trực tuyến", rates["online"]),
        ("Tỷ lệ kết quả giải quyết được số hóa", rates["digitised"]),
        ("Tỷ lệ hài lòng (QĐ 766/QĐ-TTg)", rates["satisfaction_qd766"]),
        ("Tỷ lệ hài lòng (phiếu khảo sát)", rates["satisfaction_survey"]),
    ]
    items += _table([("TT", 2), ("Tỷ lệ", 16), ("Giá trị", 6)],
                    [[(str(i), "t_center"), (label, "t_cell"), (p(v), "t_center")]
                     for i, (label, v) in enumerate(rate_lines, start=1)])
    return items


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- Phụ lục IV ----------------------------------------------------------------------------------------------

def _late_tasks(result) -> list:
    tasks = result.figures.tasks
    if tasks is None:
        return _not_computed(result, "tasks")
    late = tasks.with_flag(TaskFlag.OVERDUE, TaskFlag.UNFINISHED, TaskFlag.NOT_DONE)
    if not late:
        return [_note(f"Đến ngày {vnformat.date_vn(result.figures.as_of)} không có nhiệm vụ quá hạn hoặc không "
                      "thực hiện.")]
    columns = [("TT", 1), ("Mã", 2), ("Nội dung công việc", 10), ("Tổ/nhóm, cán bộ phụ trách", 4),
               ("Hạn hoàn thành", 3), ("Tình trạng, nguyên nhân", 4)]  # a date fits 3 columns at 11 pt
    rows = []
    for i, o in enumerate(late, start=1):
        t = o.task
        state = o.flag.label
        late_occ = [occ for occ in o.occurrences if occ.flag in (TaskFlag.OVERDUE, TaskFlag.UNFINISHED)]
        if late_occ:
            state += " (" + ", ".join(occ.occurrence.label for occ in late_occ) + ")"
        reason = ("; ".join(r for r in [reason_of(occ.occurrence.note) for occ in late_occ] if r) if o.occurrences
                  else reason_of(t.note))
        lead_in = " Lý do: " if o.flag == TaskFlag.NOT_DONE else " Nguyên nhân: "
        state += "." + (lead_in + reason + "." if reason else "")
        who = ", ".join(x for x in (t.group, t.owner) if x) or "chưa giao"
        due = vnformat.date_vn(o.deadline) if o.deadline else (t.timeframe or "")
        rows.append([(str(i), "t_center"), (t.id, "t_center"), (t.content, "t_small"), (who, "t_small"),
                     (due, "t_small_center"), (state, "t_small")])
    return [_span_note(_tasks_span(result)), *_table(columns, rows)]
