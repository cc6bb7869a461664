"""The engine's draft of every section of a period report, from the report's figures and the settings only.

Written to be sent as it stands once the school's data is real (issue #15):

* **Mở đầu** — the grounds, each cited once: the superior body's plan (setting ``ke_hoach_cap_tren``), its
  request for this report when there is one (``van_ban_yeu_cau_bao_cao``), the school's plan (number and date —
  the only place the report cites it); the school named once; the spans of the figures;
* **I** — the documents the school issued in the period, in date order (:mod:`.steering`); the plan itself is
  referred to, not cited again;
* **II.k** — every task of area *k* in the plan's order, named by its short name (``Tên ngắn``, never a cut
  title), with its state (:func:`.words.state_words`), its evidence (not in II.1: section I lists it) and the
  reason a group gave — and nothing where none was given; a periodic task lists its occurrences;
* **III.1** — only what went well: units done on time, indicators met (with the measure and the target as the
  plan words it); **III.2** — shortfalls in order of weight: tasks overdue, dossiers still open past their due
  date, indicators not (yet) met, dossiers resolved late, units done late; **III.3** — the causes the groups gave,
  nothing for the others (blank when there is none);
* **IV** — what falls due before the next report, the overdue units to finish; in the year report the units due
  after the cut-off (31/12) listed apart, then the next year;
* **V** — the proposals of setting ``de_xuat_kien_nghi`` (what the superior body can act on: guidance, training,
  software, resources); blank when there is nothing to ask.

A section whose figures could not be computed (a table with a renamed header) gets no draft (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from .. import vnformat
from ..figures import ReportFigures
from ..indicators import measure_label, target_words
from ..periods import report_title_phrase
from ..shortname import task_name
from ..tasks import TaskOutcome, Unit, recurrence
from ..vocabulary import NOT_YET_DUE, IndicatorStatus, TaskFlag
from .steering import documents
from .text import items, lower_first, reason_of, sentence
from .words import state_words

__all__ = ["OPENING", "DIRECTION", "STRENGTHS", "WEAKNESSES", "CAUSES", "NEXT", "PROPOSALS", "SECTION_CODES",
           "AREA_NUMBERS", "area_code", "DraftContext", "draft_sections", "year_pending"]

OPENING, DIRECTION, STRENGTHS, WEAKNESSES, CAUSES, NEXT, PROPOSALS = (
    "Mở đầu", "I", "III.1", "III.2", "III.3", "IV", "V")
AREA_NUMBERS = (1, 2, 3, 4, 5, 6, 7)


def area_code(area: int) -> str:
    """The code of the section of area ``area``.

    >>> area_code(3), SECTION_CODES[:3]
    ('II.3', ('Mở đầu', 'I', 'II.1'))
    """
    return f"II.{area}"


SECTION_CODES: tuple[str, ...] = (OPENING, DIRECTION, *(area_code(a) for a in AREA_NUMBERS), STRENGTHS,
                                  WEAKNESSES, CAUSES, NEXT, PROPOSALS)


@dataclass(frozen=True)
class DraftContext:
    """What the drafts need beyond the figures (all from the settings and the period)."""

    school: str                 # "Trường THPT Kiến Thụy" (in a sentence)
    plan_number: str            # "30/KH-THPTKT"
    plan_date: date | None
    plan_year: int
    superior: str               # "Sở Giáo dục và Đào tạo" (whom V addresses)
    next_end: date | None       # end of the next report's window; None after the year report
    superior_plan: str = ""     # "Kế hoạch số 43/SGDĐT ngày 17/01/2024 của Sở …" (ke_hoach_cap_tren)
    request: str = ""           # the superior body's request for this report (van_ban_yeu_cau_bao_cao)
    proposals: tuple[str, ...] = field(default_factory=tuple)  # section V (de_xuat_kien_nghi)
    satisfaction_measure: str = "QĐ 766"


def _d(day: date | None) -> str:
    return vnformat.date_vn(day) if day else "chưa xác định"


def _n(x: int) -> str:
    return vnformat.integer(x)


def _name(o: TaskOutcome) -> str:
    return task_name(o.task.short_name, o.task.content)


def _named(o: TaskOutcome, label: str = "") -> str:
    """``2.b (Nâng cao chất lượng …)``, ``2.d, Quý II/2024 (Tổ chức thi hành …)``."""
    return f"{o.task.id}{', ' + label if label else ''} ({_name(o)})"


# -- Mở đầu ------------------------------------------------------------------------------------------------

def _opening(f: ReportFigures, ctx: DraftContext) -> str:
    plan = f"Kế hoạch số {ctx.plan_number}" + (f" ngày {vnformat.date_vn(ctx.plan_date)}" if ctx.plan_date else "")
    plan += f" của nhà trường về công tác cải cách hành chính năm {ctx.plan_year}"
    above = "; ".join(x for x in (ctx.superior_plan.strip().rstrip(".;"), ctx.request.strip().rstrip(".;")) if x)
    grounds = f"Thực hiện {above}; căn cứ {plan}" if above else f"Căn cứ {plan}"
    span = f"số liệu tính từ ngày {vnformat.date_vn(f.period.start)} đến ngày {vnformat.date_vn(f.cut)}"
    span += "; tiến độ nhiệm vụ lũy kế từ đầu năm" + (f" đến ngày {vnformat.date_vn(f.as_of)}"
                                                      if f.as_of != f.cut else "")
    return (f"{grounds}, {ctx.school} báo cáo kết quả thực hiện công tác cải cách hành chính "
            f"{report_title_phrase(f.period)} ({span}) như sau:")


# -- I ------------------------------------------------------------------------------------------------------

def _direction(f: ReportFigures, ctx: DraftContext) -> str:
    window = f"từ ngày {vnformat.date_vn(f.period.start)} đến ngày {vnformat.date_vn(f.as_of)}"
    docs = documents(list(f.tasks.outcomes), f.period.start, f.as_of)
    plan = [d for d in docs if ctx.plan_number and ctx.plan_number in d.text]
    others = [d for d in docs if d not in plan]
    lines = []
    if plan:
        lines.append(f"Ngày {vnformat.date_vn(plan[0].date)}, nhà trường ban hành Kế hoạch cải cách hành chính năm "
                     f"{ctx.plan_year} (nêu tại phần mở đầu), giao từng nhiệm vụ cho tổ, nhóm chuyên môn, bộ phận "
                     "và cán bộ phụ trách.")
    if others:
        lines.append(f"Trong kỳ ({window}), nhà trường đã ban hành các văn bản chỉ đạo, điều hành và triển khai "
                     "nhiệm vụ cải cách hành chính:")
        entries = []
        for doc in others:
            text = doc.text if doc.dated else f"{doc.text} (ngày {vnformat.date_vn(doc.date)})"
            what = f"nhiệm vụ {doc.outcome.task.id}" + (f", {doc.occurrence_label}" if doc.occurrence_label else "")
            entries.append(f"- {text}: {lower_first(_name(doc.outcome))} ({what})")
        lines += items(entries)
    elif not plan:
        lines.append(f"Trong kỳ ({window}), nhà trường tiếp tục chỉ đạo thực hiện các nhiệm vụ của Kế hoạch cải cách "
                     f"hành chính năm {ctx.plan_year}; không ban hành văn bản chỉ đạo, điều hành mới.")
    return "\n".join(lines)


# -- II.k ---------------------------------------------------------------------------------------------------

def _task_line(o: TaskOutcome, f: ReportFigures, evidence: bool) -> str:
    """One line of an area's draft: ``- 1.a. <name>: <state>; minh chứng: …; nguyên nhân: ….``"""
    t = o.task
    head = f"- {t.id}. {_name(o)}"
    if o.periodic:
        kind = recurrence(t.timeframe) or ""
        head += " (" + {"quarter": "hằng quý", "month": "hằng tháng"}.get(kind, "định kỳ") + ")"
        return head + ": " + _occurrences(o, f, evidence)
    text = state_words(t, o.flag, o.deadline, f.as_of, f.period.start)
    if o.flag == TaskFlag.OVERDUE:  # who is to finish it
        text = text[:-1] + f"; {t.group or 'chưa giao tổ/nhóm'})"
    reason = reason_of(t.note)
    if o.flag in (TaskFlag.DONE_ON_TIME, TaskFlag.DONE_LATE) and evidence and t.evidence:
        text += f"; minh chứng: {t.evidence}"
    if o.flag == TaskFlag.NOT_DONE and reason:
        text += f"; lý do: {reason}"
    elif o.flag in (TaskFlag.OVERDUE, TaskFlag.DONE_LATE) and reason:
        text += f"; nguyên nhân: {reason}"
    return head + ": " + sentence(text)


def _occurrences(o: TaskOutcome, f: ReportFigures, evidence: bool) -> str:
    """The occurrences due by the as-of date or done (all of them in the year report), then the next one."""
    if o.task.status == "cancelled":
        reason = reason_of(o.task.note)
        return sentence("không thực hiện" + (f"; lý do: {reason}" if reason else ""))
    parts, upcoming = [], None
    for occ in o.occurrences:
        x, due = occ.occurrence, occ.deadline
        if (occ.flag in (TaskFlag.DUE_SOON, TaskFlag.IN_TIME, TaskFlag.NO_DEADLINE) and due is not None
                and due > f.as_of and not f.year_end):
            upcoming = upcoming or f"lần tiếp theo: {x.label} (hạn {_d(due)})"
            continue
        part = f"{x.label} {state_words(x, occ.flag, due, f.as_of)}"
        if occ.flag in (TaskFlag.DONE_ON_TIME, TaskFlag.DONE_LATE) and evidence and x.evidence:
            part += f", minh chứng: {x.evidence}"
        reason = reason_of(x.note)  # the task's own note is about the task, not this occurrence
        if occ.flag in (TaskFlag.OVERDUE, TaskFlag.DONE_LATE) and reason:
            part += f", nguyên nhân: {reason}"
        parts.append(part)
    if upcoming:
        parts.append(upcoming)
    return sentence("; ".join(parts)) if parts else "chưa có lần thực hiện nào được ghi nhận."


def _area(outcomes: Sequence[TaskOutcome], f: ReportFigures, area: int) -> str:
    if not outcomes:
        return "Kế hoạch không có nhiệm vụ thuộc lĩnh vực này."
    return "\n".join(_task_line(o, f, evidence=area != 1) for o in outcomes)


# -- III ----------------------------------------------------------------------------------------------------

def _units_text(units: Sequence[Unit]) -> str:
    """``1.a, 2.d (Quý I/2024, Quý II/2024), 6.a`` — in the plan's order, a periodic task once with its occurrences."""
    order: dict[str, list[str]] = {}
    for u in units:
        labels = order.setdefault(u.outcome.task.id, [])
        if u.occurrence:
            labels.append(u.occurrence.occurrence.label)
    return ", ".join(f"{tid} ({', '.join(labels)})" if labels else tid for tid, labels in order.items())


def _units_count(units: Sequence[Unit]) -> str:
    """``5 nhiệm vụ và 3 lần thực hiện nhiệm vụ định kỳ`` (a part with none left out)."""
    tasks = sum(1 for u in units if u.occurrence is None)
    times = len(units) - tasks
    parts = [f"{_n(tasks)} nhiệm vụ" if tasks else "", f"{_n(times)} lần thực hiện nhiệm vụ định kỳ" if times else ""]
    return " và ".join(p for p in parts if p)


def _indicator_line(r, ctx: DraftContext, year_report: bool) -> str:
    label = measure_label(r.code, year_report=year_report, satisfaction_measure=ctx.satisfaction_measure)
    value = vnformat.percent(r.actual) if isinstance(r.actual, (int, float)) else str(r.actual)
    target = target_words(r.op, r.threshold)
    return f"{r.code} — {label} {value}" + (f" (chỉ tiêu {target})" if target else "")


def _strengths(f: ReportFigures, ctx: DraftContext) -> str | None:
    if f.tasks is None and f.dossiers is None:
        return None
    lines = []
    if f.tasks is not None:
        on_time = f.tasks.units_with_flag(TaskFlag.DONE_ON_TIME)
        if on_time:
            lines.append(f"- Đã hoàn thành đúng hạn {_units_count(on_time)}: {_units_text(on_time)}")
    lines += [f"- Đạt chỉ tiêu {_indicator_line(r, ctx, f.year_end)}" for r in f.indicators
              if r.status == IndicatorStatus.MET and isinstance(r.actual, (int, float))]
    if not lines:
        return ("Nhà trường đã giao từng nhiệm vụ của Kế hoạch cho tổ, nhóm chuyên môn, bộ phận và theo dõi tiến độ "
                "thực hiện.")
    return "\n".join(items(lines))


def _overdue_by_group(f: ReportFigures) -> str:
    """``Nhóm Văn phòng: 1.đ, 4.c; Bộ phận Kế toán: 6.b (Quý II/2024, Quý III/2024)`` — groups in order of first
    mention; a periodic task with its overdue occurrences."""
    groups: dict[str, list[str]] = {}
    for o in f.tasks.overdue:
        late = [occ.occurrence.label for occ in o.occurrences if occ.flag == TaskFlag.OVERDUE]
        groups.setdefault(o.task.group or "chưa giao tổ/nhóm", []).append(
            o.task.id + (f" ({', '.join(late)})" if late else ""))
    return "; ".join(f"{g}: {', '.join(ids)}" for g, ids in groups.items())


def _weaknesses(f: ReportFigures, ctx: DraftContext) -> str | None:
    if f.tasks is None and f.dossiers is None:
        return None
    lines = []
    if f.tasks is not None and f.tasks.overdue:
        lines.append(f"- Còn {_n(len(f.tasks.overdue))} nhiệm vụ quá hạn, chưa hoàn thành đúng tiến độ "
                     f"({_overdue_by_group(f)})")
    st = f.dossiers
    if st is not None and st.pending_overdue:
        lines.append(f"- Còn {_n(st.pending_overdue)} hồ sơ thủ tục hành chính đang giải quyết quá hạn")
    for status in (IndicatorStatus.NOT_MET, IndicatorStatus.NOT_YET_MET):
        lines += [f"- {status} chỉ tiêu {_indicator_line(r, ctx, f.year_end)}" for r in f.indicators
                  if r.status == status]
    if st is not None and st.late:
        lines.append(f"- Có {_n(st.late)} hồ sơ thủ tục hành chính giải quyết trễ hạn")
    if f.tasks is not None:
        late = f.tasks.units_with_flag(TaskFlag.DONE_LATE)
        if late:
            lines.append(f"- Hoàn thành trễ hạn {_units_count(late)}: {_units_text(late)}")
    return "\n".join(items(lines)) if lines else "Trong kỳ không có tồn tại, hạn chế đáng kể."


def _causes(f: ReportFigures) -> str | None:
    """The reasons the groups gave for the units overdue or done late; nothing for those without one."""
    if f.tasks is None:
        return None
    lines = []
    for flag in (TaskFlag.OVERDUE, TaskFlag.DONE_LATE):
        for u in f.tasks.units_with_flag(flag):
            record = u.occurrence.occurrence if u.occurrence else u.outcome.task
            reason = reason_of(record.note)
            if reason:
                label = u.occurrence.occurrence.label if u.occurrence else ""
                lines.append(f"- Nhiệm vụ {_named(u.outcome, label)}: {reason}")
    return "\n".join(items(lines))


# -- IV -----------------------------------------------------------------------------------------------------

def year_pending(f: ReportFigures) -> list[Unit]:
    """In the year report: the units not done whose deadline is not passed yet (e.g. due 31/12) — in progress,
    listed apart, not in CT2 until a report made on or after their deadline."""
    if f.tasks is None or not f.year_end:
        return []
    return f.tasks.units_with_flag(TaskFlag.DUE_SOON, TaskFlag.IN_TIME)


def _by_deadline(units: Sequence[Unit]) -> str:
    """``2.d (Quý IV/2024), 3.c (hạn 14/12/2024); 1.b, 1.d (hạn 31/12/2024)`` — in deadline order."""
    groups: dict[date | None, list[Unit]] = {}
    for u in sorted(units, key=lambda u: (u.deadline or date.max)):
        groups.setdefault(u.deadline, []).append(u)
    return "; ".join(f"{_units_text(us)} (hạn {_d(day)})" for day, us in groups.items())


def _with_group(u: Unit) -> str:
    """``2.b (Tổ Sử - Địa - GDCD)``, ``6.b (Quý II/2024; Bộ phận Kế toán)``."""
    group = u.outcome.task.group or "chưa giao tổ/nhóm"
    label = u.occurrence.occurrence.label if u.occurrence else ""
    return f"{u.outcome.task.id} ({label + '; ' if label else ''}{group})"


def _next(f: ReportFigures, ctx: DraftContext) -> str | None:
    """Section IV: what the next period is about — the rest of the plan year after the year report, else the
    units of the next report's window."""
    if f.tasks is None:
        return None
    overdue = f.tasks.units_with_flag(TaskFlag.OVERDUE)
    if ctx.next_end is None:
        return _next_year(f, ctx, overdue)
    lines = []
    if overdue:
        lines.append("- Hoàn thành các nhiệm vụ quá hạn: " + "; ".join(_with_group(u) for u in overdue))
    open_units = f.tasks.units_with_flag(TaskFlag.DUE_SOON, TaskFlag.IN_TIME)
    today = [u for u in open_units if u.deadline == f.as_of]
    if today:
        lines.append(f"- Hoàn thành các nhiệm vụ có hạn đúng ngày báo cáo ({vnformat.date_vn(f.as_of)}): "
                     + "; ".join(u.label for u in today))
    out = [f"Kỳ tới (đến ngày {vnformat.date_vn(ctx.next_end)}), nhà trường tập trung:", *items(lines)]
    coming = _coming(f, ctx, open_units)
    if coming:
        _continue(out)
        out.append("- Các nhiệm vụ đến hạn trong kỳ tới:")
        out += items(coming)
    later = [o.task.id for o in f.tasks.counted if not o.periodic and o.flag in NOT_YET_DUE
             and (o.deadline is None or o.deadline > ctx.next_end)]
    if later:
        _continue(out)
        out.append("- Tiếp tục thực hiện các nhiệm vụ thường xuyên, cả năm và các nhiệm vụ có hạn sau kỳ tới: "
                   + ", ".join(later) + ".")
    if len(out) == 1:
        out.append("- Tiếp tục duy trì kết quả đã đạt được.")
    return "\n".join(out)


def _coming(f: ReportFigures, ctx: DraftContext, open_units: list[Unit]) -> list[str]:
    """The units due in the next report's window, by deadline, one line each."""
    coming = sorted((u for u in open_units if u.deadline and f.as_of < u.deadline <= ctx.next_end),
                    key=lambda u: u.deadline)
    return [f"+ {u.outcome.task.id} ({_name(u.outcome)})" + (f" — {u.occurrence.occurrence.label}" if u.occurrence
                                                              else "") + f", hạn {vnformat.date_vn(u.deadline)}"
            for u in coming]


def _continue(out: list[str]) -> None:
    """The list goes on: its last item ends with ``;`` instead of ``.`` (none after the heading alone)."""
    if len(out) > 1:
        out[-1] = out[-1][:-1] + ";"


def _next_year(f: ReportFigures, ctx: DraftContext, overdue: list[Unit]) -> str:
    """Section IV of the year report: the rest of the plan year and the next year's plan."""
    lines = []
    pending = year_pending(f)
    if pending:
        lines.append(f"- Hoàn thành đúng hạn các nhiệm vụ, lần thực hiện chưa đến hạn của năm {ctx.plan_year}: "
                     f"{_by_deadline(pending)}")
    if overdue:
        lines.append(f"- Khẩn trương hoàn thành các nhiệm vụ quá hạn của năm {ctx.plan_year} (chi tiết tại Phụ "
                     f"lục IV): {_units_text(overdue)}")
    lines.append(f"- Xây dựng, ban hành Kế hoạch cải cách hành chính năm {ctx.plan_year + 1}")
    head = (f"Từ nay đến hết năm {ctx.plan_year} và trong năm {ctx.plan_year + 1}, nhà trường tập trung:"
            if pending or overdue else f"Năm {ctx.plan_year + 1}, nhà trường tập trung:")
    return "\n".join([head, *items(lines)])


# -- V ------------------------------------------------------------------------------------------------------

def _proposals(ctx: DraftContext) -> str:
    asks = [p.strip().lstrip("-+• ").strip() for p in ctx.proposals if p.strip().lstrip("-+• ").strip()]
    if not asks:
        return ""
    return f"Nhà trường đề nghị {ctx.superior}:\n" + "\n".join(items([f"- {p}" for p in asks]))


def draft_sections(f: ReportFigures, ctx: DraftContext) -> dict[str, str | None]:
    """The engine's draft of every section (:data:`SECTION_CODES`) for the report of ``f``; ``None`` for a
    section whose figures could not be computed; ``""`` for a section with nothing to say (III.3 without a
    cause, V without a proposal)."""
    out: dict[str, str | None] = {code: None for code in SECTION_CODES}
    out[OPENING] = _opening(f, ctx)
    if f.tasks is not None:
        by_area: dict[int, list[TaskOutcome]] = {}
        for o in f.tasks.counted:
            by_area.setdefault(o.task.area, []).append(o)
        out[DIRECTION] = _direction(f, ctx)
        for area in AREA_NUMBERS:
            out[area_code(area)] = _area(by_area.get(area, []), f, area)
    out[STRENGTHS] = _strengths(f, ctx)
    out[WEAKNESSES] = _weaknesses(f, ctx)
    out[CAUSES] = _causes(f)
    out[NEXT] = _next(f, ctx)
    out[PROPOSALS] = _proposals(ctx)
    return out

