"""The narrative of a period report: a draft written from the data for every section staff have not
written, and the rule that decides whose text the report prints.

Sections (their codes are the ``Mục`` column of sheet ``Nội dung báo cáo``, :data:`SECTION_CODES`): the
opening paragraph with its grounds (``Mở đầu``); **I** Công tác chỉ đạo, điều hành; **II.1**–**II.7** one
per area of the plan; **III.1** ưu điểm, **III.2** tồn tại, hạn chế, **III.3** nguyên nhân; **IV** phương
hướng, nhiệm vụ kỳ tới; **V** đề xuất, kiến nghị.

============================  ==========================================================================
module                        what it is
============================  ==========================================================================
:mod:`.text`                  normalising and fingerprinting a text; the reason written in a ``Ghi chú``
:mod:`.resolve`               whose text is printed; a person's text written before its figures changed
:mod:`.words`                 the words for a task's or an occurrence's state, counts of tasks
:mod:`.steering`              section I: the documents issued in the period, from the evidence
:mod:`.drafts`                the engine's draft of every section (:func:`draft_sections`)
============================  ==========================================================================

Only the names below are public.

>>> fingerprint("Dòng một\\r\\nDòng hai  ") == fingerprint("Dòng một\\nDòng hai")
True
"""

from __future__ import annotations

from .drafts import (
    AREA_NUMBERS,
    CAUSES,
    DIRECTION,
    NEXT,
    OPENING,
    PROPOSALS,
    SECTION_CODES,
    STRENGTHS,
    WEAKNESSES,
    DraftContext,
    area_code,
    draft_sections,
    year_pending,
)
from .resolve import NarrativeEntry, SectionText, resolve, stale_note
from .steering import Document, document_date, documents, is_document
from .text import fingerprint, lower_first, normalize, reason_of
from .words import CATEGORIES, category, count_phrase, started_words, state_words

__all__ = [
    "OPENING", "DIRECTION", "STRENGTHS", "WEAKNESSES", "CAUSES", "NEXT", "PROPOSALS", "SECTION_CODES",
    "AREA_NUMBERS", "area_code", "NarrativeEntry", "DraftContext", "SectionText", "draft_sections", "resolve",
    "stale_note",
    "fingerprint", "normalize", "reason_of", "lower_first", "state_words", "started_words", "category",
    "CATEGORIES", "count_phrase", "year_pending", "Document", "documents", "is_document", "document_date",
]
