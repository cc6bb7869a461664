"""Small helpers shared by the distribution modules (private: no public API).

* :func:`ascii_slug` — Vietnamese text to a file-name token without diacritics.
* :func:`percent`, :func:`date_vn` — Vietnamese number/date formatting (delegates to
  ``cchc_xl.core.vnformat`` when it is available).
* :func:`run_lock` — an O_EXCL lock file with stale detection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
import unicodedata
from pathlib import Path

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


def date_vn(d: dt.date | dt.datetime | None) -> str:
    """``date(2024, 2, 5)`` → ``"05/02/2024"``; a datetime keeps ``hh:mm``."""
    if d is None:
        return ""
    if isinstance(d, dt.datetime):
        return d.strftime("%d/%m/%Y %H:%M")
    return d.strftime("%d/%m/%Y")


LOCK_WAIT_SECONDS = 10.0
LOCK_STALE_MINUTES = 30.0


class LockBusy(Exception):
    """Another run holds the lock (and it is not stale)."""


@contextlib.contextmanager
def run_lock(target: Path, wait: float = LOCK_WAIT_SECONDS, stale_minutes: float = LOCK_STALE_MINUTES,
             suffix: str = ".cchc-lock"):
    """Hold ``TARGET.cchc-lock`` (created with O_EXCL) while the block runs.

    Waits up to ``wait`` seconds for a running holder; a lock file older than
    ``stale_minutes`` (a crashed run) is removed and taken over. Raises
    :class:`LockBusy` when the lock is still held after waiting.
    """
    lock = target.with_name(target.name + suffix)
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                age = time.time() - lock.stat().st_mtime
            except FileNotFoundError:
                continue
            if age > stale_minutes * 60:
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            if time.monotonic() >= deadline:
                raise LockBusy(str(lock)) from None
            time.sleep(0.2)
            continue
        break
    try:
        os.write(fd, f"{os.getpid()} {dt.datetime.now().isoformat(timespec='seconds')}\n".encode())
        os.close(fd)
        yield lock
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
