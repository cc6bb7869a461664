"""Vietnamese text as people really type it: one normal form before anything is matched or stored.

The same word reaches the tool in several byte forms that look identical on screen: ``Hoàn thành`` typed
on Windows is NFC (precomposed letters), pasted from a PDF or typed on a Mac it is often NFD (``a`` +
combining grave), a Windows-1258 file decodes to a third form (base letter + combining tone mark), and a
copy from a web page may carry a zero-width space or a non-breaking space. :func:`clean_text` is THE
normalisation every text read from a file goes through (tables through ``io.table_rows.Rows``, hand-out
copies, import files, headers) before it is compared with a header or an enumerated value, and what the
tool stores is its result:

1. the zero-width characters :data:`ZERO_WIDTH` (U+200B–U+200D, U+2060, U+FEFF) are removed wherever they
   are (they are invisible, and one between a letter and its tone mark would block step 2);
2. the text is put in Unicode normal form C (NFC);
3. surrounding whitespace is stripped — every character :meth:`str.isspace` knows, so NBSP (U+00A0),
   the other Unicode spaces and line breaks too; inside the text, line breaks stay (a ``Minh chứng``
   may have several lines) unless ``single_line`` asks for every run of whitespace to become one space
   (headers, enumerated values, keys).

Anything that is not a ``str`` is returned unchanged, so a cell value can be passed as it is. The
pandas equivalent, for a column of texts (the vectorised dossier path tests itself against this
function)::

    s.str.replace(ZERO_WIDTH_PATTERN, "", regex=True).str.normalize("NFC").str.strip()

Cost: an ASCII text is only stripped; a text already in NFC without zero-width characters is checked
by two C-level scans (``str.translate`` is skipped when no such character is present).

:func:`cell_length` is a text's length as Excel counts it (UTF-16 code units); :data:`MAX_CELL_CHARS` is
the most one cell holds (32,767). :func:`cell_limit_problem` is the Vietnamese reason a text cannot be
written to a cell.

>>> nfd = "Hoa\\u0300n tha\\u0300nh"             # decomposed, as pasted from a PDF
>>> clean_text(nfd) == "Hoàn thành", len(nfd), len(clean_text(nfd))
(True, 12, 10)
>>> clean_text("\\ufeff Hoàn thành\\u200b\\u00a0")  # BOM, zero-width space, NBSP
'Hoàn thành'
>>> clean_text("Mã\\u00a0\\u00a0hồ  sơ", single_line=True), clean_text("dòng 1\\ndòng 2\\n")
('Mã hồ sơ', 'dòng 1\\ndòng 2')
>>> clean_text(None), clean_text(12.5)
(None, 12.5)
>>> cell_length("Hoàn thành"), cell_length("😀"), MAX_CELL_CHARS
(10, 2, 32767)
"""

from __future__ import annotations

import unicodedata
from typing import TypeVar

__all__ = ["clean_text", "ZERO_WIDTH", "ZERO_WIDTH_PATTERN", "cell_length", "MAX_CELL_CHARS", "cell_limit_problem"]

#: The invisible characters removed from every text: zero-width space, non-joiner, joiner, word joiner,
#: and the byte-order mark / zero-width no-break space.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
#: :data:`ZERO_WIDTH` as a regular-expression character class (for pandas ``str.replace``).
ZERO_WIDTH_PATTERN = "[\u200b-\u200d\u2060\ufeff]"
#: The most characters (UTF-16 code units) one Excel cell holds.
MAX_CELL_CHARS = 32_767

_DROP = dict.fromkeys(map(ord, ZERO_WIDTH))
_T = TypeVar("_T")


def clean_text(value: _T, *, single_line: bool = False) -> _T:
    """``value`` in the one normal form (see the module docstring); a non-``str`` is returned unchanged.

    >>> clean_text("  Đang\\u00a0thực hiện\\u2060 ") == "Đang\\u00a0thực hiện"
    True
    >>> clean_text("  Đang\\u00a0thực   hiện\\u2060 ", single_line=True)
    'Đang thực hiện'
    >>> clean_text("\\u200b\\u200c\\u200d\\u2060\\ufeff \\u00a0")
    ''
    """
    if not isinstance(value, str):
        return value
    text = str(value)
    if not text.isascii():
        for ch in ZERO_WIDTH:
            if ch in text:
                text = text.translate(_DROP)
                break
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    if single_line:
        return " ".join(text.split())  # type: ignore[return-value]
    return text.strip()  # type: ignore[return-value]


def cell_length(text: str) -> int:
    """The length of ``text`` as Excel counts it: UTF-16 code units (a character outside the Basic
    Multilingual Plane, such as an emoji, counts two)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def cell_limit_problem(text: object) -> str | None:
    """The Vietnamese reason ``text`` cannot go into one Excel cell (too long), or None.

    >>> cell_limit_problem("x" * 32767) is None, cell_limit_problem(5) is None
    (True, True)
    >>> cell_limit_problem("x" * 40000)
    'nội dung dài 40.000 ký tự, quá giới hạn 32.767 ký tự của một ô Excel; hãy rút gọn nội dung'
    """
    if not isinstance(text, str) or len(text) <= MAX_CELL_CHARS // 2:   # never more than 2 units a character
        return None
    n = cell_length(text)
    if n <= MAX_CELL_CHARS:
        return None
    from .vnformat import integer

    return (f"nội dung dài {integer(n)} ký tự, quá giới hạn {integer(MAX_CELL_CHARS)} ký tự của một ô Excel; "
            "hãy rút gọn nội dung")
