"""The inbox: a folder where other people drop files for a run of ours — the groups' returned copies that
``consolidate`` merges into the master, the schools' exchange files that the Sở's ``rollup`` counts (and that
``collect`` saves there from the mailbox). What those runs share lives here, once; nothing here opens a file in
Excel or runs a macro, and every file written goes through :mod:`cchc_xl.io.nofollow`.

* **A run's outcome** — :data:`EXIT_OK` 0, :data:`EXIT_REJECTED` 2 (done, some files rejected),
  :data:`EXIT_FAILED` 3 (nothing changed), :data:`EXIT_BUSY` 4 (another run holds the lock,
  :func:`cchc_xl.io.writelock.writer_lock`); :data:`SETTLE_SECONDS`, how long a file must have been left alone
  before a run takes it.
* **Listing and settling** — :func:`candidates`: regular files at the top of the inbox (not ``~$`` owner files,
  hidden or temporary files, logs, writer locks); :func:`busy_reasons`: which of them are still being written
  (an owner file beside it, size or time changing during a 1 s check, written in the last few seconds) and are
  left for the next run.
* **Screening untrusted bytes** — :func:`size_problem`, :func:`container_problem` (size cap, password
  protection: an encrypted OOXML file and an old ``.xls`` are both CFB containers, not a zip); the package
  itself is then read by the bounded reader of :mod:`cchc_xl.io.ooxml` (``ZipIn``, through the workbook reader
  for a copy, :func:`cchc_xl.exchange.reader.read_exchange` for an exchange file).
* **Filing away** — :func:`move_unique` into ``rejected/`` or ``processed/`` without overwriting (``NAME (2).ext``),
  :func:`write_reason_file` (``NAME.txt`` beside a rejected file), both with names fitted to what the file
  system takes (:func:`fit_name`, :func:`unique_path`).
* **Arrival order** — when each file reached the inbox, by the clock of the machine that holds it, never the
  sender's: :class:`Arrivals` (consolidation: the inbox file system's time, recorded the first time a run sees
  the file in :data:`STATE_NAME`) and :func:`server_arrival` (the roll-up: the mail server's time for a file
  ``cchc-xl collect`` saved, read from the collect ledger :data:`LEDGER_NAME`; ``cchc_xl.mailbox.ledger``
  writes that ledger).

>>> EXIT_OK, EXIT_REJECTED, EXIT_FAILED, EXIT_BUSY, SETTLE_SECONDS
(0, 2, 3, 4, 3.0)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time
import unicodedata
from pathlib import Path

from .ooxml import MAX_COPY_UNZIPPED_BYTES
from .writelock import EXIT_BUSY

__all__ = ["EXIT_OK", "EXIT_REJECTED", "EXIT_FAILED", "EXIT_BUSY", "SETTLE_SECONDS",
           "MAX_FILE_BYTES", "MAX_UNZIPPED_BYTES", "MACRO_REASON", "candidates", "in_use", "busy_reasons",
           "size_problem", "container_problem", "move_unique", "write_reason_file",
           "fit_name", "unique_path", "NAME_MAX_BYTES", "NAME_MAX_UNITS", "WINDOWS_MAX_PATH",
           "Arrivals", "STATE_NAME", "server_arrival", "LEDGER_NAME"]

EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 2, 3
SETTLE_SECONDS = 3.0

# --- listing, settling, screening ------------------------------------------------------------------------------

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = MAX_COPY_UNZIPPED_BYTES   # one cap for every returned file (io/ooxml/limits.py)
CFB = bytes.fromhex("D0CF11E0A1B11AE1")
MACRO_REASON = "tệp có macro (VBA); hãy lưu lại dạng .xlsx không có macro"
_NOT_XLSX = "tệp không phải là sổ tính Excel (.xlsx)"
_SKIPPED_SUFFIXES = (".tmp", ".log", ".cchc-lock")


def candidates(inbox: Path, exclude: Path | None = None) -> list[Path]:
    """Regular files at the top of ``inbox``, sorted by name, except Excel owner files (``~$``),
    hidden/temporary files, ``*.log`` files, writer-lock files (``*.cchc-lock``) and ``exclude`` (a log file
    of ours)."""
    out = []
    excluded = exclude.resolve() if exclude is not None else None
    for p in sorted(inbox.iterdir()):
        if not p.is_file() or skipped_name(p.name):
            continue
        if excluded is not None and p.resolve() == excluded:
            continue
        out.append(p)
    return out


def skipped_name(name: str) -> bool:
    """A name :func:`candidates` never lists: an owner file, a hidden file, a temporary file, a log, a lock.

    >>> [skipped_name(n) for n in ("~$BC.xlsx", ".cchc-hop-thu.sqlite", "tong_hop.log", "BC.xlsx")]
    [True, True, True, False]
    """
    return name.startswith(("~$", ".")) or os.path.splitext(name)[1].lower() in _SKIPPED_SUFFIXES


def in_use(path: Path) -> bool:
    """Excel (or LibreOffice) has ``path`` open: its owner/lock file exists beside it."""
    from .ooxml import lock_file_for

    return lock_file_for(path) is not None


def busy_reasons(files: list[Path], settle_seconds: float, check_seconds: float = 1.0) -> dict[Path, str | None]:
    """For each file: a Vietnamese reason to leave it for the next run, or None when it is settled.

    A file vanished meanwhile gets the reason ``"tệp đã bị xóa"``. Sleeps ``check_seconds`` once (not
    per file) to see whether sizes or times change.
    """
    first = {}
    for p in files:
        try:
            first[p] = p.stat()
        except FileNotFoundError:
            first[p] = None
    if files and check_seconds > 0:
        time.sleep(check_seconds)
    now = time.time()
    out: dict[Path, str | None] = {}
    for p in files:
        try:
            st = p.stat()
        except FileNotFoundError:
            out[p] = "tệp đã bị xóa"
            continue
        a = first[p]
        if in_use(p):
            out[p] = "tệp đang được mở trong Excel (có tệp khóa ~$)"
        elif a is None or st.st_size != a.st_size or st.st_mtime_ns != a.st_mtime_ns:
            out[p] = "tệp đang được ghi (kích thước thay đổi)"
        elif 0 <= now - st.st_mtime < settle_seconds:   # a time in the future is a wrong clock, not a write
            out[p] = "tệp vừa được ghi xong; để lại lần chạy sau"
        else:
            out[p] = None
    return out


def size_problem(size: int, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """``"tệp quá lớn (…)"`` when ``size`` exceeds ``max_bytes`` (checked before reading a file), else None."""
    if size <= max_bytes:
        return None
    return f"tệp quá lớn ({size / 1048576:.1f} MB; giới hạn {max_bytes / 1048576:.0f} MB)"


def container_problem(data: bytes, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """The first problem of ``data`` as a file to open (size, password, not a zip), or None.

    >>> container_problem(b"PK\\x03\\x04"), "mật khẩu" in container_problem(CFB + b"x"), container_problem(b"%PDF")
    (None, True, 'tệp không phải là sổ tính Excel (.xlsx)')
    """
    if len(data) > max_bytes:
        return size_problem(len(data), max_bytes)
    if data[:8] == CFB:
        return "tệp được đặt mật khẩu (hoặc là tệp .xls cũ); hãy gỡ mật khẩu và lưu lại dạng .xlsx"
    if data[:2] != b"PK":
        return _NOT_XLSX
    return None


def move_unique(src: Path, folder: Path) -> Path:
    """Move ``src`` into ``folder`` (created), as ``NAME (2).ext`` … when the name is taken; a name too long
    for the folder is shortened (:func:`fit_name`). A folder that is a link is refused (the file would land
    wherever it points)."""
    from .nofollow import refuse_link

    if folder.is_symlink():
        raise refuse_link(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dest = unique_path(folder, src.name)
    shutil.move(os.fspath(src), os.fspath(dest))
    return dest


def write_reason_file(moved: Path, text: str) -> Path:
    """Write ``text`` to ``NAME.txt`` beside the rejected file ``moved`` (the name fitted, so a 255-byte file
    name still gets its reasons) through :func:`cchc_xl.io.nofollow.replace_file` (a link planted under that name
    is replaced, never followed); returns the path. Raises ``OSError`` when the folder cannot be written."""
    from .nofollow import replace_file

    dest = moved.with_name(fit_name(moved.name + ".txt", moved.parent))
    return replace_file(dest, text.encode("utf-8"))


# --- names the file system takes --------------------------------------------------------------------------------

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


# --- arrival order: consolidation ----------------------------------------------------------------------------------

STATE_NAME = ".cchc-thu-tu-den.json"
_STATE_VERSION = 1


class Arrivals:
    """When each file of a consolidation inbox arrived: the order of conflicting copies is the school's.

    Two copies of one group that change the same task are settled by **arrival order in the inbox**: the copy
    that arrived later wins. A copy's own save time (``docProps/core.xml``) or its modification time is never
    used for that — both come from the sender's PC (a wrong clock would win), and copying a file keeps its
    modification time.

    The arrival time of a file is the time the inbox's own file system recorded when the file appeared there
    (``st_birthtime`` where the system has it, else ``st_ctime``: the creation in that folder on Windows, the
    last change of the file's entry on Linux — both on the clock of the machine that holds the inbox), taken
    the **first time a run sees the file** and recorded in a small state file beside the inbox
    (:data:`STATE_NAME`, a hidden JSON file). Later runs read it from there, so the order does not move when
    the file is touched again. A file whose size or modification time changed since (a group overwrote its copy
    with a new version under the same name) is a new arrival. Entries are kept only for the files still in the
    inbox; the state file is removed when none is left. A missing or unreadable state file is not an error: the
    times are taken again from the file system.
    """

    def __init__(self, inbox: Path, records: dict[str, dict] | None = None):
        self.inbox = Path(inbox)
        self.records: dict[str, dict] = records or {}

    @classmethod
    def load(cls, inbox: str | os.PathLike) -> Arrivals:
        """The arrivals recorded beside ``inbox`` (none when the state file is missing or unreadable)."""
        inbox = Path(inbox)
        try:
            raw = json.loads((inbox / STATE_NAME).read_text(encoding="utf-8"))
            ok = raw.get("version") == _STATE_VERSION and isinstance(raw.get("files"), dict)
            records = raw["files"] if ok else {}
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            records = {}
        return cls(inbox, {k: v for k, v in records.items() if isinstance(v, dict)})

    def of(self, path: Path, st: os.stat_result | None = None) -> dt.datetime:
        """When ``path`` arrived: as recorded for this version of the file, else now recorded from the file
        system (never later than the present moment)."""
        st = st or path.stat()
        rec = self.records.get(path.name)
        if rec and rec.get("size") == st.st_size and rec.get("mtime_ns") == st.st_mtime_ns:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                return dt.datetime.fromisoformat(rec["arrived"])
        stamp = min(getattr(st, "st_birthtime", None) or st.st_ctime, time.time())
        arrived = dt.datetime.fromtimestamp(stamp)
        self.records[path.name] = {"arrived": arrived.isoformat(), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        return arrived

    def save(self, still_there: set[str]) -> None:
        """Keep the records of the files named in ``still_there`` (those left in the inbox) and write the state
        file atomically; remove it when nothing is left. Raises ``OSError`` when the inbox cannot be written."""
        self.records = {k: v for k, v in self.records.items() if k in still_there}
        path = self.inbox / STATE_NAME
        if not self.records:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return
        from .nofollow import replace_file

        text = json.dumps({"version": _STATE_VERSION, "files": self.records}, ensure_ascii=False, indent=1)
        replace_file(path, text.encode("utf-8"))    # never through a link planted under the state file's name


# --- arrival order: the roll-up (the collect ledger, read only) ------------------------------------------------

#: The collect ledger beside the reports (``cchc_xl.mailbox.ledger`` writes it; a hidden name, so
#: :func:`candidates` skips it, its journal and its lock).
LEDGER_NAME = ".cchc-hop-thu.sqlite"

_LEDGER_CACHE: dict[str, tuple[float, tuple[int, int], dict[str, str]]] = {}
_LEDGER_CACHE_LOCK = threading.Lock()
_RECHECK_SECONDS = 1.0


def _ledger_arrivals(folder: str) -> dict[str, str]:
    """sha256 → arrived_at of the ledger in ``folder``: read again only when the ledger changed, and looked at
    at most once a second (a roll-up of 3,000 files asks 3,000 times; a stale answer only means the file's own
    time, which ``collect`` set to the same INTERNALDATE)."""
    now = time.monotonic()
    with _LEDGER_CACHE_LOCK:
        cached = _LEDGER_CACHE.get(folder)
    if cached and now - cached[0] < _RECHECK_SECONDS:
        return cached[2]
    path = Path(folder) / LEDGER_NAME
    try:
        st = path.stat()
    except OSError:
        table: dict[str, str] = {}
        key = (0, 0)
    else:
        key = (st.st_mtime_ns, st.st_size)
        if cached and cached[1] == key:
            table = cached[2]
        else:
            try:
                con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
                try:
                    table = dict(con.execute("SELECT sha256, arrived_at FROM files").fetchall())
                finally:
                    con.close()
            except (sqlite3.Error, ValueError, OSError):
                table = {}
    with _LEDGER_CACHE_LOCK:
        _LEDGER_CACHE[folder] = (now, key, table)
    return table


def server_arrival(path: str | os.PathLike, sha256: str) -> dt.datetime | None:
    """When the mail server received the file ``path`` whose content hashes to ``sha256`` — its INTERNALDATE
    as recorded by ``cchc-xl collect`` in the ledger beside it, in this computer's local time without time zone
    (as the roll-up keeps times) — or None when the file did not come through ``collect`` (copied by hand, or
    changed since). It never raises: without a ledger, or with an unreadable one, the answer is None.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> server_arrival(folder / "BC.xlsx", "0" * 64) is None        # no ledger: the roll-up keeps the file's time
    True
    """
    try:
        text = _ledger_arrivals(os.path.dirname(os.path.abspath(path))).get(sha256)
        if not text:
            return None
        return dt.datetime.fromisoformat(text).astimezone().replace(tzinfo=None, microsecond=0)
    except (OSError, ValueError, RuntimeError):
        return None
