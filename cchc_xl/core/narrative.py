"""The narrative of a period report: a draft written from the data for every section staff have not
written, and the rule that decides whose text the report prints.

Sections (their codes are the ``Mục`` column of sheet ``Nội dung báo cáo``, :data:`SECTION_CODES`): the
opening paragraph with its grounds (``Mở đầu``); **I** Công tác chỉ đạo, điều hành; **II.1**–**II.7** one
per area of the plan; **III.1** ưu điểm, **III.2** tồn tại, hạn chế, **III.3** nguyên nhân; **IV** phương
hướng, nhiệm vụ kỳ tới; **V** đề xuất, kiến nghị.

:func:`draft_sections` writes the drafts from the report's figures only (:class:`~.figures.ReportFigures`):

* II.k — every task of area *k* in the plan's order, one line each: done (date, on time or late, the
  ``Minh chứng`` — number and date of the document), overdue or unfinished (deadline, group, reason),
  in progress (deadline), not carried out (reason); a periodic task lists its occurrences due so far;
* I — the plan (number, date, tasks, areas), who the tasks were given to, and the documents of area 1
  completed in the period; V — the causes of overdue tasks, as requests to the superior body;
* III — facts from the figures (done on time, dossier rate, indicators met / not met; overdue tasks;
  their reasons); IV — what falls due in the next period (tasks and occurrences), overdue tasks to
  finish, year-long tasks to continue.

A section whose figures could not be computed (a table with a renamed header) gets no draft (``None``).

Whose text is printed (:func:`resolve`): the sheet keeps, beside each text, the fingerprint of the draft
the engine last wrote there (:func:`fingerprint`). A blank text gets the draft; a text whose fingerprint is
that stored one is the engine's own draft and is replaced by the new draft; any other text was written or
edited by a person and is **never** overwritten — except on request (``redraft``), and then the replaced
text is kept in ``Bản trước``.

The reason of a late task is its ``Ghi chú`` without the parts marked ``(giả định)`` (sample-data marks)
and without a leading label such as ``Chậm:`` or ``Lý do:`` (:func:`reason_of`).

>>> fingerprint("Dòng một\\r\\nDòng hai  ") == fingerprint("Dòng một\\nDòng hai")
True
>>> reason_of("Phân công mẫu (giả định); Chậm: chưa nhận đủ ý kiến của các tổ")
'chưa nhận đủ ý kiến của các tổ'
>>> short_content("Chỉ đạo, điều hành tổ chức thực hiện; xây dựng kế hoạch thực hiện cụ thể.")
'Chỉ đạo, điều hành tổ chức thực hiện'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from . import vnformat
from .figures import ReportFigures
from .periods import Period, report_title_phrase
from .tasks import TaskOutcome, recurrence

__all__ = [
    "OPENING",
    "DIRECTION",
    "STRENGTHS",
    "WEAKNESSES",
    "CAUSES",
    "NEXT",
    "PROPOSALS",
    "SECTION_CODES",
    "area_code",
    "NarrativeEntry",
    "DraftContext",
    "SectionText",
    "draft_sections",
    "resolve",
    "fingerprint",
    "normalize",
    "reason_of",
    "short_content",
]

OPENING, DIRECTION, STRENGTHS, WEAKNESSES, CAUSES, NEXT, PROPOSALS = (
    "Mở đầu", "I", "III.1", "III.2", "III.3", "IV", "V")
AREA_NUMBERS = (1, 2, 3, 4, 5, 6, 7)


def area_code(area: int) -> str:
    """The code of the section of area ``area`` (``"II.3"``)."""
    return f"II.{area}"


SECTION_CODES: tuple[str, ...] = (OPENING, DIRECTION, *(area_code(a) for a in AREA_NUMBERS), STRENGTHS,
                                  WEAKNESSES, CAUSES, NEXT, PROPOSALS)


@dataclass(frozen=True)
class NarrativeEntry:
    """One row of the narrative table: the text of section ``code`` for the period ``period`` (its label,
    e.g. ``"Quý I/2024"``), the fingerprint of the engine's last draft there, and the text a re-draft
    replaced."""

    period: str
    code: str
    text: str
    fingerprint: str = ""
    previous: str = ""
    row: int | None = None

    @property
    def person_text(self) -> str:
        """The text when a person wrote it; ``""`` for a blank row or the engine's last draft (the text whose
        :func:`fingerprint` is the stored one).

        >>> NarrativeEntry("Quý I/2024", "V", "Bản nháp", fingerprint("Bản nháp")).person_text
        ''
        >>> NarrativeEntry("Quý I/2024", "V", "Bản nháp, đã sửa", fingerprint("Bản nháp")).person_text
        'Bản nháp, đã sửa'
        """
        text = normalize(self.text)
        return "" if not text or (self.fingerprint and fingerprint(text) == self.fingerprint) else text


@dataclass(frozen=True)
class DraftContext:
    """What the drafts need beyond the figures (all from the settings and the period)."""

    school: str                 # "Trường THPT Kiến Thụy" (in a sentence)
    plan_number: str            # "30/KH-THPTKT"
    plan_date: date | None
    plan_year: int
    superior: str               # "Sở Giáo dục và Đào tạo" (whom V addresses)
    next_end: date | None       # end of the next report's window; None after the year report
    next_label: str = ""        # "6 tháng đầu năm 2024"


@dataclass(frozen=True)
class SectionText:
    """The text the report prints for one section, and what to write back into the sheet.

    ``source``: ``"draft"`` (the engine's), ``"person"`` (written or edited by staff) or ``"blank"``;
    ``write``: the sheet row must be updated with ``text``/``fingerprint``/``previous``; ``moved``: a re-draft
    replaced a person's text, now in ``previous``."""

    code: str
    text: str
    source: str
    write: bool = False
    fingerprint: str = ""
    previous: str = ""
    row: int | None = None
    moved: bool = False


# -- texts ---------------------------------------------------------------------------------------------

def normalize(text: object) -> str:
    """A narrative text as compared and printed: NFC, ``\\n`` line breaks, no trailing spaces, no blank
    lines at either end.

    >>> normalize("  \\r\\nA  \\r\\n\\r\\nB\\n\\n")
    'A\\n\\nB'
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", str(text)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in s.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def fingerprint(text: object) -> str:
    """The mark stored beside a draft (16 hex digits of the SHA-256 of :func:`normalize`); ``""`` for a
    blank text."""
    s = normalize(text)
    return hashlib.sha256(s.encode("utf-8")).hexdigest()[:16] if s else ""


_LABEL = re.compile(r"^(chậm|lý do|nguyên nhân|vướng mắc|khó khăn)\s*:\s*", re.IGNORECASE)


def reason_of(note: str) -> str:
    """The reason written in a ``Ghi chú``: its ``;``-separated parts without sample-data marks
    (``(giả định)``) and without a leading label; ``""`` when nothing is left.

    >>> reason_of("Phân công mẫu (giả định)"), reason_of("Lý do: Chờ kinh phí; đã báo cáo Sở")
    ('', 'chờ kinh phí; đã báo cáo Sở')
    """
    parts = [p.strip() for p in str(note or "").split(";")]
    kept = [_LABEL.sub("", p).strip() for p in parts if p and "(giả định)" not in p]
    return _lower_first("; ".join(p for p in kept if p))


def _lower_first(text: str) -> str:
    """``"Chờ ngân hàng"`` → ``"chờ ngân hàng"`` (it follows a colon); ``"UBND …"``, ``"Sở …"`` stay."""
    words = text.split(" ", 1)
    first = words[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower() and first not in _PROPER:
        return first[0].lower() + text[1:]
    return text


_PROPER = frozenset({"Sở", "Bộ", "Phòng", "Trường", "Tổ", "Nhóm", "Ban", "Hội", "Ủy", "Công", "Đoàn", "Thành",
                     "Nhà", "Chi", "Đảng"})


def short_content(content: str, limit: int = 110) -> str:
    """The task's content as named in the narrative: its first clause (up to ``;`` or the end of the
    first sentence); a clause longer than ``limit`` characters is cut after a whole word and marked
    ``…`` (the annex prints the whole text).

    >>> short_content("Tiếp tục thực hiện Nghị định số 29/2023/NĐ-CP ngày 03/6/2023.")
    'Tiếp tục thực hiện Nghị định số 29/2023/NĐ-CP ngày 03/6/2023'
    >>> short_content("một hai ba bốn năm sáu", 12)
    'một hai ba…'
    """
    text = " ".join(str(content or "").split())
    m = re.search(r";\s|\.\s|\.$", text)
    clause = (text[:m.start()] if m else text).strip().rstrip(".;:,")
    if len(clause) <= limit:
        return clause
    cut = clause.rfind(" ", 0, limit)
    return clause[:cut if cut > 0 else limit].rstrip(" ,;:") + "…"


def _d(day: date | None) -> str:
    return vnformat.date_vn(day) if day else "(chưa xác định)"


def _n(x: int) -> str:
    return vnformat.integer(x)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", ":", "!", "?", "…")) else text + "."


# -- drafts --------------------------------------------------------------------------------------------

def _task_line(o: TaskOutcome, period: Period, cut: date, year_end: bool) -> str:
    """One line of an area's draft: ``- 1.a. <what>: <status>; <evidence or reason>.``"""
    t = o.task
    head = f"- {t.id}. {short_content(t.content)}"
    if o.occurrences:
        kind = recurrence(t.timeframe) or ""
        head += " (" + {"quarter": "hằng quý", "month": "hằng tháng"}.get(kind, "định kỳ") + ")"
        return head + ": " + _occurrence_status(o, cut, year_end)
    return head + ": " + _status(o, period, cut)


def _status(o: TaskOutcome, period: Period, cut: date) -> str:
    t = o.task
    flag = o.flag
    reason = reason_of(t.note)
    if flag in ("done_on_time", "done_late"):
        when = t.done_date or cut
        text = f"đã hoàn thành ngày {_d(when)}"
        text += ", đúng hạn" if flag == "done_on_time" else f", trễ hạn (hạn {_d(o.deadline)})"
        if when < period.start:
            text += " (trước kỳ báo cáo)"
        text += f"; minh chứng: {t.evidence}" if t.evidence else "; chưa ghi minh chứng"
        if flag == "done_late" and reason:
            text += f"; nguyên nhân chậm: {reason}"
        return _sentence(text)
    if flag in ("overdue", "unfinished"):
        what = "quá hạn, chưa hoàn thành" if flag == "overdue" else "chưa hoàn thành khi kết thúc năm"
        text = f"{what} (hạn {_d(o.deadline)}; {t.group or 'chưa giao tổ/nhóm'})"
        text += f"; nguyên nhân: {reason}" if reason else "; chưa báo cáo nguyên nhân"
        return _sentence(text)
    if flag == "not_done":
        return _sentence("không thực hiện; lý do: " + (reason or "chưa ghi lý do"))
    if flag == "no_deadline":
        return _sentence("đang thực hiện, chưa xác định hạn hoàn thành")
    started = "chưa triển khai" if t.status == "not_started" else "đang thực hiện"
    when = "sắp đến hạn" if flag == "due_soon" else "chưa đến hạn"
    return _sentence(f"{started}, {when} (hạn {_d(o.deadline)})")


def _occurrence_status(o: TaskOutcome, cut: date, year_end: bool) -> str:
    """The occurrences due by ``cut`` (all of them in the year report), then the next one."""
    parts = []
    upcoming = None
    for occ in o.occurrences:
        x = occ.occurrence
        due = occ.deadline
        if occ.flag in ("done_on_time", "done_late"):
            part = f"{x.label} hoàn thành ngày {_d(x.done_date or cut)}"
            if occ.flag == "done_late":
                part += f", trễ hạn (hạn {_d(due)})"
            part += f", minh chứng: {x.evidence}" if x.evidence else ", chưa ghi minh chứng"
        elif occ.flag in ("overdue", "unfinished"):
            reason = reason_of(x.note)  # the task's own note is about the task, not this occurrence
            part = f"{x.label} {'quá hạn' if occ.flag == 'overdue' else 'chưa hoàn thành'} (hạn {_d(due)})"
            part += f", nguyên nhân: {reason}" if reason else ", chưa báo cáo nguyên nhân"
        elif occ.flag == "not_done":
            part = f"{x.label} không thực hiện"
        elif due is not None and due <= cut:
            part = f"{x.label} đang thực hiện (hạn {_d(due)})"
        else:
            if upcoming is None:
                upcoming = f"lần tiếp theo: {x.label} (hạn {_d(due)})"
            continue
        parts.append(part)
    if o.task.status == "cancelled":
        return _sentence("không thực hiện; lý do: " + (reason_of(o.task.note) or "chưa ghi lý do"))
    if upcoming and not year_end:
        parts.append(upcoming)
    if not parts:
        return "chưa có lần thực hiện nào được ghi nhận."
    return _sentence("; ".join(parts))


def _area_draft(outcomes: Sequence[TaskOutcome], period: Period, cut: date, year_end: bool) -> str:
    if not outcomes:
        return "Kế hoạch không có nhiệm vụ thuộc lĩnh vực này."
    return "\n".join(_task_line(o, period, cut, year_end) for o in outcomes)


def _opening(f: ReportFigures, ctx: DraftContext) -> str:
    plan = f"Kế hoạch số {ctx.plan_number}"
    if ctx.plan_date:
        plan += f" ngày {vnformat.date_vn(ctx.plan_date)}"
    window = (f"số liệu tính từ ngày {vnformat.date_vn(f.period.start)} đến ngày "
              f"{vnformat.date_vn(f.cut)}")
    return (f"Căn cứ {plan} của {ctx.school} về cải cách hành chính năm {ctx.plan_year}; {ctx.school} báo cáo "
            f"kết quả thực hiện công tác cải cách hành chính {report_title_phrase(f.period)} ({window}) "
            "như sau:")


def _direction(f: ReportFigures, ctx: DraftContext, areas_used: int) -> str:
    tasks = f.tasks
    plan = f"Kế hoạch số {ctx.plan_number}" + (f" ngày {vnformat.date_vn(ctx.plan_date)}" if ctx.plan_date else "")
    lines = [f"Nhà trường ban hành {plan} về cải cách hành chính năm {ctx.plan_year} với "
             f"{_n(tasks.counts['total'])} nhiệm vụ thuộc {_n(areas_used)} lĩnh vực."]
    groups = Counter(o.task.group or "chưa giao tổ/nhóm" for o in tasks.counted)
    if groups:
        given = ", ".join(f"{g} {_n(n)}" for g, n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"Các nhiệm vụ được giao cho các tổ, nhóm chuyên môn và bộ phận thực hiện ({given} "
                     "nhiệm vụ); tiến độ từng nhiệm vụ được theo dõi, cập nhật trên sổ theo dõi Kế hoạch cải cách "
                     "hành chính của nhà trường.")
    docs = [o for o in tasks.counted if o.task.area == 1 and o.flag in ("done_on_time", "done_late")
            and o.task.done_date and f.period.start <= o.task.done_date <= f.cut]
    if docs:
        items = "; ".join((o.task.evidence or short_content(o.task.content)) for o in docs)
        lines.append(f"Trong kỳ, nhà trường đã ban hành các văn bản chỉ đạo, điều hành: {items}.")
    else:
        lines.append("Trong kỳ, nhà trường tiếp tục chỉ đạo thực hiện các nhiệm vụ của Kế hoạch; không có văn "
                     "bản chỉ đạo, điều hành mới về cải cách hành chính.")
    return "\n".join(lines)


def _late(f: ReportFigures) -> list[TaskOutcome]:
    return f.tasks.with_flag("overdue", "unfinished") if f.tasks else []


def _strengths(f: ReportFigures) -> str | None:
    lines = []
    if f.tasks is not None:
        c = f.tasks.counts
        done = c["done_on_time"] + c["done_late"]
        line = (f"- Đã hoàn thành {_n(done)}/{_n(c['total'])} nhiệm vụ của Kế hoạch, trong đó {_n(c['done_on_time'])} "
                "nhiệm vụ hoàn thành đúng hạn")
        if f.tasks.ct2 is not None:
            line += (f"; tỷ lệ hoàn thành đúng hạn {vnformat.percent(f.tasks.ct2)} "
                     f"({_n(f.tasks.ct2_numerator)}/{_n(f.tasks.ct2_denominator)} nhiệm vụ đã đến hạn)")
        lines.append(line + ".")
    st = f.dossiers
    if st is not None and st.total:
        rates = st.rates()
        line = f"- Tiếp nhận {_n(st.total)} hồ sơ thủ tục hành chính, đã giải quyết {_n(st.resolved)} hồ sơ"
        if rates["early_or_on_time"] is not None:
            line += f", trong đó {_n(st.early + st.on_time)} hồ sơ trước hạn và đúng hạn " \
                    f"({vnformat.percent(rates['early_or_on_time'])})"
        lines.append(line + ".")
    met = [r.code for r in f.indicators if r.status == "Đạt"]
    if met:
        lines.append(f"- Các chỉ tiêu đã đạt: {', '.join(met)}.")
    return "\n".join(lines) if lines else None


def _weaknesses(f: ReportFigures) -> str | None:
    if f.tasks is None and f.dossiers is None:
        return None
    lines = []
    late = _late(f)
    if late:
        lines.append(f"- Còn {_n(len(late))} nhiệm vụ chưa hoàn thành đúng tiến độ ({_by_group(late)}).")
    late_done = f.tasks.with_flag("done_late") if f.tasks else []
    if late_done:
        lines.append(f"- Có {_n(len(late_done))} nhiệm vụ hoàn thành trễ hạn: "
                     + ", ".join(o.task.id for o in late_done) + ".")
    st = f.dossiers
    if st is not None and (st.late or st.pending_overdue):
        lines.append(f"- Có {_n(st.late)} hồ sơ thủ tục hành chính giải quyết trễ hạn; {_n(st.pending_overdue)} hồ sơ "
                     "đang giải quyết quá hạn.")
    missed = [r for r in f.indicators if r.status in ("Chưa đạt", "Không đạt")]
    if missed:
        items = []
        for r in missed:
            item = r.code
            if isinstance(r.actual, (int, float)) and isinstance(r.threshold, (int, float)):
                item += (f" ({vnformat.percent(r.actual)}; chỉ tiêu {r.op or ''} "
                         f"{vnformat.percent(r.threshold, trim=True)})").replace("  ", " ")
            items.append(item)
        lines.append(f"- Các chỉ tiêu {'chưa đạt' if not f.year_end else 'không đạt'}: " + "; ".join(items) + ".")
    return "\n".join(lines) if lines else "Không có tồn tại, hạn chế đáng kể trong kỳ."


def _by_group(outcomes: Sequence[TaskOutcome]) -> str:
    """``"Nhóm Văn phòng: 3.a, 3.c; Tổ Toán - Tin: 3.d"`` — tasks by group, groups in order of first mention."""
    groups: dict[str, list[str]] = {}
    for o in outcomes:
        groups.setdefault(o.task.group or "chưa giao tổ/nhóm", []).append(o.task.id)
    return "; ".join(f"{g}: {', '.join(ids)}" for g, ids in groups.items())


def _late_reason(o: TaskOutcome) -> str:
    """Why a task is late: its late occurrences' notes for a periodic task, else the task's note."""
    if o.occurrences:
        return "; ".join(r for r in (reason_of(occ.occurrence.note) for occ in o.occurrences
                                     if occ.flag in ("overdue", "unfinished", "done_late")) if r)
    return reason_of(o.task.note)


def _causes(f: ReportFigures) -> str | None:
    if f.tasks is None:
        return None
    lines = []
    for o in _late(f) + f.tasks.with_flag("done_late"):
        reason = _late_reason(o)
        if reason:
            lines.append(f"- Nhiệm vụ {o.task.id}: {reason}.")
    if lines:
        return "\n".join(lines)
    if _late(f) or f.tasks.with_flag("done_late"):
        return "Nguyên nhân chậm tiến độ của các nhiệm vụ trên chưa được các tổ, nhóm báo cáo."
    return "Không có."


def _next(f: ReportFigures, ctx: DraftContext) -> str | None:
    if f.tasks is None:
        return None
    counted = f.tasks.counted
    lines = []
    late = _late(f)
    if ctx.next_end is None:
        lines.append(f"Năm {ctx.plan_year + 1}, nhà trường tập trung:")
        if late:
            lines.append(f"- Tiếp tục thực hiện {_n(len(late))} nhiệm vụ chưa hoàn thành của năm {ctx.plan_year} "
                         f"(chi tiết tại Phụ lục IV): {', '.join(o.task.id for o in late)}.")
        lines.append(f"- Xây dựng, ban hành Kế hoạch cải cách hành chính năm {ctx.plan_year + 1}.")
        return "\n".join(lines)
    lines.append(f"Kỳ tới (đến ngày {vnformat.date_vn(ctx.next_end)}), nhà trường tập trung:")
    if late:
        lines.append("- Hoàn thành các nhiệm vụ quá hạn: "
                     + "; ".join(f"{o.task.id} ({o.task.group or 'chưa giao tổ/nhóm'})" for o in late) + ".")
    coming = []                          # (deadline, as named when due on the report day, as listed otherwise)
    for o in counted:
        if o.occurrences:
            for occ in o.occurrences:
                if occ.deadline and f.cut <= occ.deadline <= ctx.next_end and occ.flag not in (
                        "done_on_time", "done_late", "not_done"):
                    coming.append((occ.deadline, f"{o.task.id} ({occ.occurrence.label})",
                                   f"{o.task.id} ({short_content(o.task.content, 90)}) — "
                                   f"{occ.occurrence.label}, hạn {vnformat.date_vn(occ.deadline)}"))
        elif o.deadline and f.cut <= o.deadline <= ctx.next_end and o.flag in ("due_soon", "in_time"):
            coming.append((o.deadline, o.task.id, f"{o.task.id} ({short_content(o.task.content, 90)}), hạn "
                                                  f"{vnformat.date_vn(o.deadline)}"))
    today = [name for deadline, name, _ in coming if deadline == f.cut]      # due on the report day, not done
    due = [(deadline, text) for deadline, _, text in coming if deadline > f.cut]
    if today:
        lines.append(f"- Hoàn thành các nhiệm vụ có hạn đúng ngày báo cáo ({vnformat.date_vn(f.cut)}): "
                     + "; ".join(today) + ".")
    if due:
        lines.append("- Các nhiệm vụ đến hạn trong kỳ tới:")
        lines += [f"+ {text};" for _, text in sorted(due, key=lambda x: x[0])]
        lines[-1] = lines[-1][:-1] + "."
    later = [o.task.id for o in counted if not o.occurrences and o.flag in ("due_soon", "in_time", "no_deadline")
             and (o.deadline is None or o.deadline > ctx.next_end)]
    if later:
        lines.append("- Tiếp tục thực hiện các nhiệm vụ thường xuyên, cả năm và các nhiệm vụ có hạn sau kỳ tới: "
                     + ", ".join(later) + ".")
    if len(lines) == 1:
        lines.append("- Tiếp tục duy trì kết quả đã đạt được.")
    return "\n".join(lines)


def _proposals(f: ReportFigures, ctx: DraftContext) -> str | None:
    if f.tasks is None:
        return None
    items = []
    for o in _late(f):
        reason = _late_reason(o)
        if reason:
            items.append(f"- Nhiệm vụ {o.task.id} ({short_content(o.task.content, 90)}): {reason}.")
    if not items:
        return "Không có đề xuất, kiến nghị."
    return (f"Nhà trường đề nghị {ctx.superior} quan tâm, hướng dẫn việc thực hiện các nhiệm vụ còn vướng mắc:\n"
            + "\n".join(items))


def draft_sections(f: ReportFigures, ctx: DraftContext) -> dict[str, str | None]:
    """The engine's draft of every section (:data:`SECTION_CODES`) for the report of ``f``; ``None`` for a
    section whose figures could not be computed."""
    out: dict[str, str | None] = {code: None for code in SECTION_CODES}
    out[OPENING] = _opening(f, ctx)
    if f.tasks is not None:
        by_area: dict[int, list[TaskOutcome]] = {}
        for o in f.tasks.counted:
            by_area.setdefault(o.task.area, []).append(o)
        out[DIRECTION] = _direction(f, ctx, len([a for a in by_area if a in AREA_NUMBERS]) or len(by_area))
        for area in AREA_NUMBERS:
            out[area_code(area)] = _area_draft(by_area.get(area, []), f.period, f.cut, f.year_end)
    out[STRENGTHS] = _strengths(f)
    out[WEAKNESSES] = _weaknesses(f)
    out[CAUSES] = _causes(f)
    out[NEXT] = _next(f, ctx)
    out[PROPOSALS] = _proposals(f, ctx)
    return out


# -- whose text ----------------------------------------------------------------------------------------

def resolve(entries: Iterable[NarrativeEntry], drafts: Mapping[str, str | None], *,
            redraft: Collection[str] = ()) -> dict[str, SectionText]:
    """The text of every section of ``drafts`` given the sheet rows ``entries`` of the period (see the
    module docstring); ``redraft``: codes whose text is replaced by the draft even when a person edited it.

    >>> e = [NarrativeEntry("Quý I/2024", "V", "Bản của cô Lan", fingerprint("Bản nháp cũ"), row=5)]
    >>> r = resolve(e, {"V": "Bản nháp mới"})["V"]
    >>> r.text, r.source, r.write
    ('Bản của cô Lan', 'person', False)
    >>> r = resolve(e, {"V": "Bản nháp mới"}, redraft={"V"})["V"]
    >>> r.text, r.previous, r.write, r.moved
    ('Bản nháp mới', 'Bản của cô Lan', True, True)
    >>> resolve([NarrativeEntry("Quý I/2024", "V", "Bản nháp cũ", fingerprint("Bản nháp cũ"))],
    ...         {"V": "Bản nháp mới"})["V"].text
    'Bản nháp mới'
    """
    by_code: dict[str, NarrativeEntry] = {}
    for e in entries:
        by_code.setdefault(e.code, e)
    out: dict[str, SectionText] = {}
    for code, draft in drafts.items():
        draft = normalize(draft) if draft is not None else None
        e = by_code.get(code)
        if e is None:  # no row in the sheet: print the draft, nothing to write
            out[code] = SectionText(code, draft or "", "draft" if draft else "blank")
            continue
        text = normalize(e.text)
        engine_text = bool(text) and not e.person_text
        base = SectionText(code, text, "draft" if engine_text else ("person" if text else "blank"),
                           fingerprint=e.fingerprint, previous=e.previous, row=e.row)
        if draft and (code in redraft or not text or engine_text):
            moved = bool(text) and not engine_text  # a person's text, replaced on request: keep it
            previous = e.text if moved else e.previous
            changed = draft != text or fingerprint(draft) != e.fingerprint or previous != e.previous
            out[code] = replace(base, text=draft, source="draft", write=changed, fingerprint=fingerprint(draft),
                                previous=previous, moved=moved)
        else:
            out[code] = base
    return out
