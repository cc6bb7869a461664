"""A task's short name: how the report's sentences name a task of the plan, never cut mid-phrase.

The plan's task texts run to several sentences (``Nội dung công việc``, kept verbatim in the ``Nhiệm vụ``
sheet, typos and all: it is the plan). A sentence of the report names a task by its ``Tên ngắn`` — a column a
person may edit, filled in the bundled workbook — and, where that cell is blank, by the draft of
:func:`short_name`: the first clause of the text (up to ``;`` or the end of the first sentence) when it is at
most ``limit`` characters; otherwise that clause cut where a phrase ends — before a comma or before a word
that starts a new phrase (``ngày 28/02/2023``, ``của``, ``về``, ``theo``, ``để``, ``trong``, …), never after a
word that needs what follows (``và``, ``các``, ``của`` …), the longest such head of at least ``least``
characters; and when the clause has no such place, the whole clause (a long name, never a cut one). It never
ends with ``…``. The annexes print the whole text.

Cost: a few regular-expression searches per task.

>>> short_name("Ban hành Kế hoạch CCHC năm 2024.")
'Ban hành Kế hoạch CCHC năm 2024'
>>> short_name("Triển khai Kế hoạch của Ban Thường vụ Thành ủy thực hiện Kết luận số 50-KL/TW ngày 28/02/2023 "
...            "của Bộ Chính trị về tiếp tục thực hiện Nghị quyết số 18-NQ/TW ngày 25/10/2017 của Ban Chấp hành.")
'Triển khai Kế hoạch của Ban Thường vụ Thành ủy thực hiện Kết luận số 50-KL/TW'
>>> task_name("  Tên do cán bộ sửa ", "Nội dung dài; phần sau.")
'Tên do cán bộ sửa'
"""

from __future__ import annotations

import re

__all__ = ["short_name", "task_name", "SHORT_NAME_LIMIT"]

SHORT_NAME_LIMIT = 90
# Where a phrase ends inside a long clause: before a comma, or before a word that opens a new phrase.
_BOUNDARY = re.compile(
    r",\s| (?=(?:ngày \d|của |về |theo |nhằm |để |trong |tại |đối với |thuộc |gắn với |hướng tới |góp phần "
    r"|thông qua |từ |đảm bảo ))")
# A head must not end on a word that needs what follows it.
_DANGLING = re.compile(r"\b(và|các|của|với|cho|trong|để|theo|về|những|tại|là|có|được|số|nhằm|từ)$", re.IGNORECASE)
_FIRST_CLAUSE = re.compile(r";\s|\.\s|\.$")


def short_name(content: str, limit: int = SHORT_NAME_LIMIT, least: int = 35) -> str:
    """The draft short name of a task whose plan text is ``content`` (see the module docstring).

    >>> short_name("Rà soát, thống kê TTHC nội bộ; phần sau không vào tên.")
    'Rà soát, thống kê TTHC nội bộ'
    >>> short_name("một hai ba bốn năm sáu bảy tám chín mười", limit=12, least=5)  # no phrase end: whole clause
    'một hai ba bốn năm sáu bảy tám chín mười'
    """
    text = " ".join(str(content or "").split())
    m = _FIRST_CLAUSE.search(text)
    clause = (text[:m.start()] if m else text).strip().rstrip(".;:,")
    if len(clause) <= limit:
        return clause
    heads = [clause[:b.start()].rstrip(" ,") for b in _BOUNDARY.finditer(clause) if least <= b.start() <= limit]
    heads = [h for h in heads if not _DANGLING.search(h)]
    return max(heads, key=len) if heads else clause


def task_name(short: str | None, content: str) -> str:
    """The name a sentence gives a task: its ``Tên ngắn`` when filled (a person's, kept as written), else the
    draft of :func:`short_name`."""
    text = " ".join(str(short or "").split())
    return text or short_name(content)
