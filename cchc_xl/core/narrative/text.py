"""The narrative's text rules: how a text is compared and fingerprinted, and how a reason is read from a note.

* :func:`normalize` — a text as compared and printed (NFC, ``\\n`` line breaks, no trailing spaces, no blank lines
  at either end); :func:`fingerprint` — the mark stored beside a draft in ``Mã bản nháp``;
* :func:`reason_of` — the reason written in a ``Ghi chú``: its parts without sample-data marks (``(giả định)``) and
  without a leading label such as ``Chậm:`` or ``Lý do:``. A note without one gives ``""``: a reason the groups
  did not give is not report text (the report says nothing of it);
* :func:`lower_first` — a name that follows a colon starts in lower case, unless it starts with a proper noun.

>>> fingerprint("Dòng một\\r\\nDòng hai  ") == fingerprint("Dòng một\\nDòng hai")
True
>>> reason_of("Phân công mẫu (giả định); Chậm: chưa nhận đủ ý kiến của các tổ")
'chưa nhận đủ ý kiến của các tổ'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["normalize", "fingerprint", "reason_of", "lower_first", "sentence", "items"]


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
    return lower_first("; ".join(p for p in kept if p))


_PROPER = frozenset({"Sở", "Bộ", "Phòng", "Trường", "Tổ", "Nhóm", "Ban", "Hội", "Ủy", "Công", "Đoàn", "Thành",
                     "Nhà", "Chi", "Đảng", "Kế", "Nghị", "Quyết", "Mặt", "Đề", "Luật"})


# Words that start a proper name in one phrase and are a common word in another ("Tổ Toán" / "tổ chức").
_COMMON = frozenset({"tổ chức", "ban hành", "công tác", "công khai", "thành lập", "hội nghị", "đề xuất", "đề nghị",
                     "đề cao", "chi tiêu", "nhà trường"})


def lower_first(text: str) -> str:
    """``"Chờ ngân hàng"`` → ``"chờ ngân hàng"`` (it follows a colon); ``"UBND …"``, ``"Sở …"``, ``"Tổ Toán"`` stay.

    >>> lower_first("Xây dựng đội ngũ"), lower_first("UBND thành phố"), lower_first("Sở chưa phân bổ")
    ('xây dựng đội ngũ', 'UBND thành phố', 'Sở chưa phân bổ')
    >>> lower_first("Tổ chức thi hành pháp luật"), lower_first("Tổ Toán - Tin chưa gửi")
    ('tổ chức thi hành pháp luật', 'Tổ Toán - Tin chưa gửi')
    """
    words = text.split(" ", 2)
    first = words[0]
    common = " ".join(words[:2]).lower() in _COMMON
    if len(first) > 1 and first[0].isupper() and first[1:].islower() and (first not in _PROPER or common):
        return first[0].lower() + text[1:]
    return text


def sentence(text: str) -> str:
    """``text`` ending with a full stop (or the sign it ends with).

    >>> sentence("hoàn thành"), sentence("Đã xong.")
    ('hoàn thành.', 'Đã xong.')
    """
    text = text.strip()
    return text if text.endswith((".", ":", "!", "?", "…")) else text + "."


def items(lines: list[str]) -> list[str]:
    """List items ``- a;`` ``- b.``: each ends with ``;``, the last with ``.``.

    >>> items(["- một.", "- hai"])
    ['- một;', '- hai.']
    """
    out = [line.rstrip().rstrip(".;") + ";" for line in lines]
    if out:
        out[-1] = out[-1][:-1] + "."
    return out
