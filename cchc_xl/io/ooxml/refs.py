"""A1 references: column letters, cell and range references (1-based rows and columns).

Excel's grid is 1,048,576 rows by 16,384 columns (``XFD``); :func:`parse_ref` accepts ``$``
anchors and reversed corners, and always returns the box top-left first.

>>> col_letter(28), col_index("AB"), cell_ref(5, 3)
('AB', 28, 'C5')
>>> parse_ref("$M$32:A1"), parse_ref("B2")
((1, 1, 32, 13), (2, 2, 2, 2))
>>> range_ref(1, 1, 1, 1), range_ref(2, 1, 9, 3)
('A1', 'A2:C9')
"""

from __future__ import annotations

__all__ = ["MAX_ROW", "MAX_COL", "col_index", "col_letter", "cell_ref", "split_ref", "parse_ref", "range_ref"]

MAX_ROW = 1_048_576
MAX_COL = 16_384
_DIGITS = "0123456789"
_COL_CACHE: dict[str, int] = {}
_LETTER_CACHE: dict[int, str] = {}


def col_index(letters: str) -> int:
    """'A' -> 1, 'AB' -> 28 (case-insensitive)."""
    n = _COL_CACHE.get(letters)
    if n is None:
        n = 0
        for ch in letters.upper():
            n = n * 26 + (ord(ch) - 64)
        _COL_CACHE[letters] = n
    return n


def col_letter(col: int) -> str:
    """1 -> 'A', 28 -> 'AB'."""
    s = _LETTER_CACHE.get(col)
    if s is None:
        s, c = "", col
        while c > 0:
            c, rem = divmod(c - 1, 26)
            s = chr(65 + rem) + s
        _LETTER_CACHE[col] = s
    return s


def cell_ref(row: int, col: int) -> str:
    return f"{col_letter(col)}{row}"


def split_ref(ref: str) -> tuple[int, int]:
    """'$C$5' -> (5, 3). Raises ValueError for a text that is not a cell reference."""
    ref = ref.replace("$", "")
    letters = ref.rstrip(_DIGITS)
    digits = ref[len(letters):]
    if not letters or not digits or not letters.isalpha() or not letters.isascii():
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(digits), col_index(letters)


def parse_ref(ref: str) -> tuple[int, int, int, int]:
    """'A1:M32' -> (1, 1, 32, 13); 'B2' -> (2, 2, 2, 2)."""
    a, _, b = ref.partition(":")
    r1, c1 = split_ref(a)
    r2, c2 = split_ref(b) if b else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def range_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    a, b = cell_ref(r1, c1), cell_ref(r2, c2)
    return a if a == b else f"{a}:{b}"
