"""Small helpers shared by the distribution modules (private: no public API).

* :func:`ascii_slug` — Vietnamese text to a file-name token without diacritics.
* :func:`percent` — a rate in a sentence of the e-mail (``cchc_xl.core.vnformat.percent``, or words when
  there is none).
* :func:`fit_name` — a file name the project creates, shortened by bytes so that it can be created.
* :func:`run_lock` — the workbook's writer lock (:func:`cchc_xl.io.writelock.writer_lock`).
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path

from ..core import vnformat
# The roll-up (cchc_xl.rollup.run) still takes its lock under these names; they go when it moves to the shared
# inbox module (issue #18 §4, after issue #16's rewrite of the roll-up lands).
from ..errors import WorkbookBusyError as LockBusy  # noqa: F401
from ..io.writelock import writer_lock as run_lock  # noqa: F401

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


NAME_MAX_BYTES = 255      # a file name: 255 bytes of UTF-8 (ext4, most Linux file systems) …
NAME_MAX_UNITS = 255      # … and 255 UTF-16 code units (NTFS)
WINDOWS_MAX_PATH = 259    # the longest path a Windows program opens without long-path support


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit_name(name: str, folder: str | os.PathLike | None = None, *, max_bytes: int = NAME_MAX_BYTES,
             max_path: int | None = None) -> str:
    """``name`` (NFC), shortened when needed so that a file of that name can be created in ``folder``.

    Limits: ``max_bytes`` bytes of UTF-8 and :data:`NAME_MAX_UNITS` UTF-16 units for the name; with a
    ``folder``, the whole path within ``max_path`` UTF-16 units (default: :data:`WINDOWS_MAX_PATH` on Windows,
    none elsewhere). A shortened name keeps its suffix, is cut between characters (never inside a letter and
    its tone mark), and ends with ``~`` and 8 hex digits of a hash of the full name, so two long names that
    differ only at the end stay different.

    >>> fit_name("Báo cáo.xlsx")
    'Báo cáo.xlsx'
    >>> long = "Bản tổ Toán " * 30 + ".xlsx"
    >>> short = fit_name(long); 250 < len(short.encode()) <= 255, short.endswith(".xlsx"), short[-14:-5]
    (True, True, '~f5d9120a')
    >>> fit_name(long, max_bytes=40), fit_name(long.replace("Toán", "Tin"), max_bytes=40)
    ('Bản tổ Toán Bản t~f5d9120a.xlsx', 'Bản tổ Tin Bản tổ~880fe69a.xlsx')
    >>> fit_name("Tổ Ngữ văn - Lịch sử.xlsx", "/hop_thu", max_path=30)   # a path of at most 30 units
    'Tổ Ngữ~...'

    """
    name = unicodedata.normalize("NFC", name)
    if max_path is None and os.name == "nt":
        max_path = WINDOWS_MAX_PATH
    budget_units = NAME_MAX_UNITS
    if folder is not None and max_path is not None:
        budget_units = min(budget_units, max_path - _utf16_units(os.path.abspath(os.fspath(folder))) - 1)
    if len(name.encode("utf-8")) <= max_bytes and _utf16_units(name) <= budget_units:
        return name
    dot = name.rfind(".")
    stem, suffix = (name[:dot], name[dot:]) if 0 < dot and len(name) - dot <= 10 else (name, "")
    tag = "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    room_bytes = max_bytes - len((tag + suffix).encode("utf-8"))
    room_units = budget_units - _utf16_units(tag + suffix)
    kept, used_bytes, used_units = [], 0, 0
    for ch in stem:
        b, u = len(ch.encode("utf-8")), 2 if ord(ch) > 0xFFFF else 1
        if used_bytes + b > room_bytes or used_units + u > room_units:
            while kept and unicodedata.combining(ch):      # do not leave a letter without its mark
                ch = kept.pop()
            break
        kept.append(ch)
        used_bytes += b
        used_units += u
    head = "".join(kept).rstrip(" .")                    # Windows refuses a name ending in a dot or space
    return head + tag + suffix


def unique_path(folder: Path, name: str) -> Path:
    """``folder / name`` fitted (:func:`fit_name`), as ``NAME (2).ext`` … when that name is taken."""
    dest = folder / fit_name(name, folder)
    stem, dot, ext = name.rpartition(".") if "." in name[1:] else (name, "", "")
    n = 2
    while dest.exists() or dest.is_symlink():
        dest = folder / fit_name(f"{stem} ({n}){dot}{ext}", folder)
        n += 1
    return dest
