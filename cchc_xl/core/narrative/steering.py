"""Section I narrates steering: the documents the school issued in the period, taken from the evidence.

A report's section I says what the school did to steer the reform — the plans, decisions, reports, checks and
meetings it issued — as real reports do (a commune's CCHC report; BNV 581/BNV-CCHC), not a count of tasks per
group. :func:`documents` collects them from the ``Minh chứng`` of the tasks and occurrences done:

* every evidence of an area-1 task (*Công tác chỉ đạo, điều hành*), and the evidence of any other task or
  occurrence that is a document (:func:`is_document`: it starts with the kind of a document — *Kế hoạch*,
  *Quyết định*, *Báo cáo*, *Biên bản* …);
* dated by the ``ngày dd/mm/yyyy`` it carries, else by the completion date; kept when that date is in the
  report's window (``start``..``as_of``); in date order, each once.

>>> is_document("Quyết định số 41/QĐ-THPTKT ngày 29/02/2024 (số mẫu)"), is_document("Ảnh chụp buổi họp")
(True, False)
>>> document_date("Báo cáo số 47/BC-THPTKT ngày 12/03/2024")
datetime.date(2024, 3, 12)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..tasks import TaskOutcome
from ..vocabulary import TaskFlag

__all__ = ["Document", "documents", "is_document", "document_date", "DOCUMENT_KINDS"]

DOCUMENT_KINDS = ("Kế hoạch", "Quyết định", "Báo cáo", "Thông báo", "Công văn", "Tờ trình", "Biên bản", "Quy chế",
                  "Quy định", "Hướng dẫn", "Chương trình", "Giấy mời", "Kết luận", "Nghị quyết", "Chỉ thị",
                  "Văn bản", "Đề án")
_KIND = re.compile(r"^(?:" + "|".join(DOCUMENT_KINDS) + r")\b", re.IGNORECASE)
_DATE = re.compile(r"ngày (\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class Document:
    """One document of section I: its ``text`` as the evidence writes it, its ``date``, and the task (and
    occurrence label) it carries out."""

    text: str
    date: date
    outcome: TaskOutcome
    occurrence_label: str = ""
    dated: bool = True  # the text itself carries the date


def is_document(evidence: str) -> bool:
    """True when ``evidence`` names a document (starts with its kind)."""
    return bool(_KIND.match(str(evidence or "").strip()))


def document_date(evidence: str) -> date | None:
    """The first ``ngày dd/mm/yyyy`` of ``evidence``; None when there is none (or it is not a date)."""
    m = _DATE.search(str(evidence or ""))
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def documents(outcomes: list[TaskOutcome], start: date, as_of: date) -> list[Document]:
    """The documents issued from ``start`` to ``as_of`` (see the module docstring), in date order."""
    found: list[Document] = []
    for o in outcomes:
        if not o.counted:
            continue
        records = [(occ.occurrence, occ.flag, occ.occurrence.label) for occ in o.occurrences] if o.periodic else \
            [(o.task, o.flag, "")]
        for record, flag, label in records:
            evidence = " ".join(str(record.evidence or "").split())
            if flag not in (TaskFlag.DONE_ON_TIME, TaskFlag.DONE_LATE) or not evidence:
                continue
            if o.task.area != 1 and not is_document(evidence):
                continue
            on = document_date(evidence)
            when = on or record.done_date
            if when is None or not start <= when <= as_of:
                continue
            found.append(Document(evidence, when, o, label, dated=on is not None))
    seen: set[str] = set()
    out = []
    for doc in sorted(found, key=lambda d: d.date):
        if doc.text not in seen:
            seen.add(doc.text)
            out.append(doc)
    return out
