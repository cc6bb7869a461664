"""What arrives in an inbox folder: listing, settling, screening untrusted files, filing them away.

Shared by the consolidation of the groups' copies (:mod:`.consolidate`) and the Sở's roll-up of the
schools' exchange files (:mod:`cchc_xl.rollup`). Nothing here opens a file in Excel or runs a macro.

* :func:`candidates` — regular files at the top of the inbox (not ``~$`` owner files, hidden or
  temporary files, logs);
* :func:`busy_reasons` — which files are still being written (owner file, size or mtime changing
  during a 1 s check, written in the last few seconds): those are left for the next run;
* :func:`container_problem` — the first checks on the raw bytes: size cap, password protection
  (an encrypted OOXML file and an old ``.xls`` are both CFB containers), not a zip;
* :func:`zip_problems` — the package checks for a reader that does not go through
  :mod:`cchc_xl.io.ooxml`: the same bounded decompression as every workbook read
  (:class:`cchc_xl.io.ooxml.archive.ZipIn`: declared and real sizes against the cap of a returned file,
  every member inflated as a counted stream with its CRC checked, abnormal compression ratio), then not
  a spreadsheet, macros;
* :func:`move_unique` — move a file into a folder without overwriting (``NAME (2).xlsx``), its name
  shortened by bytes when it would be too long (:func:`._common.fit_name`); a folder that is a link is refused;
* :func:`write_reason_file` — ``NAME.txt`` beside a rejected file, its name fitted the same way, written
  through :func:`cchc_xl.io.nofollow.replace_file` (a link planted under that name is replaced, never followed).
"""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

from ..io.ooxml import MAX_COPY_UNZIPPED_BYTES
from ._common import fit_name, unique_path

__all__ = ["MAX_FILE_BYTES", "MAX_UNZIPPED_BYTES", "MAX_RATIO", "MAX_PARTS", "CFB", "MACRO_REASON",
           "candidates", "busy_reasons", "size_problem", "container_problem", "zip_problems", "move_unique", "in_use",
           "write_reason_file"]

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = MAX_COPY_UNZIPPED_BYTES   # one cap for every returned file (io/ooxml/limits.py)
MAX_RATIO = 250  # uncompressed / compressed, for parts larger than 1 MB (limits.RATIO_MIN_SIZE)
MAX_PARTS = 2000
CFB = bytes.fromhex("D0CF11E0A1B11AE1")
MACRO_REASON = "tệp có macro (VBA); hãy lưu lại dạng .xlsx không có macro"
_NOT_XLSX = "tệp không phải là sổ tính Excel (.xlsx)"


def candidates(inbox: Path, exclude: Path | None = None) -> list[Path]:
    """Regular files at the top of ``inbox``, sorted by name, except Excel owner files (``~$``),
    hidden/temporary files, ``*.log`` files, writer-lock files (``*.cchc-lock``) and ``exclude`` (a log file
    of ours)."""
    out = []
    excluded = exclude.resolve() if exclude is not None else None
    for p in sorted(inbox.iterdir()):
        if not p.is_file() or p.name.startswith(("~$", ".")) or p.suffix.lower() in (".tmp", ".log", ".cchc-lock"):
            continue
        if excluded is not None and p.resolve() == excluded:
            continue
        out.append(p)
    return out


def in_use(path: Path) -> bool:
    """Excel (or LibreOffice) has ``path`` open: its owner/lock file exists beside it."""
    from ..io.ooxml import lock_file_for

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


def zip_problems(zf: zipfile.ZipFile | bytes, max_unzipped: int = MAX_UNZIPPED_BYTES,
                 max_ratio: float = MAX_RATIO, max_parts: int = MAX_PARTS, name: str = "") -> list[str]:
    """Problems of a package (its bytes, or an opened ``zipfile.ZipFile`` over bytes): empty when it may
    be handed to a reader.

    Every member is inflated by :class:`cchc_xl.io.ooxml.archive.ZipIn` — part count, declared total size
    and compression ratio checked first, then each member as a counted stream with its CRC verified, stopped
    at ``max_unzipped`` — then a spreadsheet's two mandatory parts, and macros (a ``vbaProject.bin`` part
    or a macro-enabled content type).
    """
    from ..errors import WorkbookError
    from ..io.ooxml import ZipIn

    if isinstance(zf, zipfile.ZipFile):
        fp = zf.fp
        fp.seek(0)
        data = fp.read()
    else:
        data = zf
    try:
        zin = ZipIn(data, name or "tệp", max_total=max_unzipped, max_ratio=max_ratio, max_parts=max_parts)
        for member in zin.names:
            zin.read(member)
    except WorkbookError as exc:
        return [_without_name(str(exc), name or "tệp")]
    names = set(zin.names)
    if "[Content_Types].xml" not in names or not any(n.lower() == "xl/workbook.xml" for n in names):
        return [_NOT_XLSX]
    types = zin.read("[Content_Types].xml")
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
        return [MACRO_REASON]
    return []


def _without_name(message: str, name: str) -> str:
    """``"Tệp 'x' bị hỏng (…)."`` → ``"tệp bị hỏng (…)"``: a reason listed under the file's name."""
    return message.replace(f"Tệp '{name}' ", "tệp ", 1).rstrip(".")


def move_unique(src: Path, folder: Path) -> Path:
    """Move ``src`` into ``folder`` (created), as ``NAME (2).ext`` … when the name is taken; a name too long
    for the folder is shortened (:func:`._common.fit_name`)."""
    from ..io.nofollow import refuse_link

    if folder.is_symlink():          # another user's link: the file would land wherever it points
        raise refuse_link(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dest = unique_path(folder, src.name)
    shutil.move(os.fspath(src), os.fspath(dest))
    return dest


def write_reason_file(moved: Path, text: str) -> Path:
    """Write ``text`` to ``NAME.txt`` beside the rejected file ``moved`` (the name fitted, so a 255-byte file
    name still gets its reasons); returns the path. Raises ``OSError`` when the folder cannot be written."""
    from ..io.nofollow import replace_file

    dest = moved.with_name(fit_name(moved.name + ".txt", moved.parent))
    return replace_file(dest, text.encode("utf-8"))
