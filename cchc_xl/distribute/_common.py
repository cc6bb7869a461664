"""Small helpers shared by the distribution modules (private: no public API).

* :func:`ascii_slug` — Vietnamese text to a file-name token without diacritics.
* :func:`percent` — a rate in a sentence of the e-mail (``cchc_xl.core.vnformat.percent``, or words when
  there is none).

A file name shortened so that it can be created is :func:`cchc_xl.io.inbox.fit_name`.
"""

from __future__ import annotations

import unicodedata

from ..core import vnformat

_SPECIAL = {"đ": "d", "Đ": "D"}


def strip_diacritics(text: str) -> str:
    """``"Tổ Toán – Tin"`` → ``"To Toan – Tin"`` (đ/Đ become d/D)."""
    text = "".join(_SPECIAL.get(ch, ch) for ch in str(text))
    norm = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in norm if not unicodedata.combining(ch))


def ascii_slug(text: str, sep: str = "_") -> str:
    """File-name token: no diacritics, words joined by ``sep``, only ``[A-Za-z0-9]`` kept.

    >>> ascii_slug("Tổ Toán - Tin"), ascii_slug("Các tổ, nhóm chuyên môn")
    ('To_Toan_Tin', 'Cac_to_nhom_chuyen_mon')
    """
    plain = strip_diacritics(text)
    words, cur = [], []
    for ch in plain:
        if ch.isascii() and ch.isalnum():
            cur.append(ch)
        elif cur:
            words.append("".join(cur))
            cur = []
    if cur:
        words.append("".join(cur))
    return sep.join(words) or "khong_ten"


def percent(x: float | None) -> str:
    """``0.9553`` → ``"95,53%"``; ``None`` → ``"chưa có dữ liệu"`` (for sentences in the e-mail body)."""
    return "chưa có dữ liệu" if x is None else vnformat.percent(x)
