"""Saving a workbook safely: atomic replace, a backup that can be trusted, nothing left behind on failure.

:func:`save_atomic` runs, in this order (the caller holds the writer lock, :mod:`cchc_xl.io.writelock`):

1. refuse when Excel has the file open (its owner file ``~$NAME``) or the file changed since it was read;
2. remove what a killed run left beside the target (``.tmp-NAME-*.part``);
3. write the new package to ``.tmp-NAME-….part``, fsync it and check it opens as a zip;
4. make the backup ``NAME.bak-YYYYmmdd-HHMMSS.ext`` of the file being replaced: written to a temporary
   name, fsync'd, read back and compared (it opens as a zip, same size, same SHA-256 as what was read),
   and only then renamed; old backups are rotated, the last good one is never removed;
5. compare the file on disk with what was read once more, right before the rename (a save by Excel in the
   meantime wins: nothing is overwritten), then ``os.replace`` and fsync the folder.

When any step fails, the temporary files and a backup made in step 4 are removed: the folder is as it was.
A full disk or a folder without write permission is one Vietnamese sentence.

Every file is created through :mod:`cchc_xl.io.nofollow`: temporaries exclusively (never through a link), the
backup with the workbook's own permission bits, and a target reached through a link is written at its real
path — the link stays a link to the updated workbook.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import os
import re
import zipfile
from pathlib import Path
from collections.abc import Callable

from ...errors import WorkbookChangedError, WorkbookError, WorkbookLockedError
from .. import nofollow

__all__ = ["Fingerprint", "fingerprint", "lock_file_for", "save_atomic", "make_backup", "KEEP_BACKUPS",
           "temp_prefix"]

KEEP_BACKUPS = 5
_BACKUP_TS = re.compile(r"^\d{8}-\d{6}(-\d+)?$")

Fingerprint = tuple[int, int, str]       # size, mtime_ns, sha256 of the bytes read


def fingerprint(data: bytes, st: os.stat_result) -> Fingerprint:
    return st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest()


def lock_file_for(path: str | os.PathLike) -> Path | None:
    """Excel's owner file (``~$NAME``) beside ``path`` when it exists."""
    p = Path(path)
    candidates = [p.with_name("~$" + p.name)]
    if len(p.name) > 2 and not os.path.exists(p.with_name(p.name[2:])):
        candidates.append(p.with_name("~$" + p.name[2:]))
    for c in candidates:
        if os.path.exists(c):       # False, not an error, for a name too long to exist (a 255-byte name)
            return c
    return None


temp_prefix = nofollow.temp_prefix        # ``.tmp-NAME-``: the temporary files of one target


def _folder(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _os_error(exc: OSError, target: Path) -> WorkbookError:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return WorkbookError(f"Không ghi được '{target.name}': ổ đĩa đã đầy. Hãy giải phóng dung lượng rồi chạy "
                             f"lại; tệp cũ vẫn còn nguyên.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return WorkbookError(f"Không ghi được vào thư mục '{_folder(target)}' (không có quyền ghi hoặc ổ chỉ "
                             f"đọc). Hãy chép sổ tính sang thư mục có quyền ghi rồi chạy lại; tệp cũ vẫn còn nguyên.")
    from ...errors import describe_os_error

    return WorkbookError(describe_os_error(exc, path=target.name) + " Tệp cũ vẫn còn nguyên.")


_fsync_folder = nofollow.sync_folder


def _unlink(path: Path | str | None) -> None:
    if path:
        with contextlib.suppress(OSError):
            os.unlink(path)


def clean_leftovers(target: Path) -> None:
    """Remove the temporary files a killed run left beside ``target`` (:func:`cchc_xl.io.nofollow.remove_temps`)."""
    nofollow.remove_temps(target)


def _changed_message(target: Path) -> str:
    return (f"Tệp '{target.name}' đã bị thay đổi trên đĩa sau khi được đọc (có thể vừa được lưu trong Excel). "
            f"Tệp chưa bị ghi đè; hãy chạy lại để đọc bản mới nhất.")


def check_unchanged(target: Path, fp: Fingerprint) -> None:
    """Raise :class:`WorkbookChangedError` unless ``target`` still holds the bytes fingerprinted by ``fp``."""
    try:
        st = target.stat()
    except FileNotFoundError:
        raise WorkbookChangedError(_changed_message(target)) from None
    size, mtime, digest = fp
    if st.st_size == size and st.st_mtime_ns == mtime:
        return
    if st.st_size != size or hashlib.sha256(target.read_bytes()).hexdigest() != digest:
        raise WorkbookChangedError(_changed_message(target))


def _is_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return bool(zf.namelist())
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return False


def _backups(target: Path) -> list[tuple[tuple, Path]]:
    stem, ext = target.stem, target.suffix
    prefix = f"{stem}.bak-"
    out = []
    with contextlib.suppress(OSError):
        for p in _folder(target).iterdir():
            if p.name.startswith(prefix) and p.name.endswith(ext):
                ts = p.name[len(prefix):len(p.name) - len(ext)]
                if _BACKUP_TS.match(ts):
                    parts = ts.split("-")
                    out.append(((parts[0], parts[1], int(parts[2]) if len(parts) > 2 else 1), p))
    return sorted(out)


def make_backup(target: Path, data: bytes | None = None, keep: int = KEEP_BACKUPS) -> Path:
    """A verified backup of ``target`` (of ``data``, the bytes read from it, when given) beside it, with the
    workbook's permission bits; returns it.

    Backups that do not open as a zip (left by a run killed while copying) are removed; of the good ones the
    ``keep`` newest are kept (at least one: the newest good backup is never removed)."""
    folder = _folder(target)
    if data is None:
        data = target.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with nofollow.temp_beside(target, tag="bak-", mode=nofollow.file_mode(target)) as tmp:
        with tmp.file() as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            fh.seek(0)
            back = fh.read()
        if len(back) != len(data) or hashlib.sha256(back).hexdigest() != digest or not _is_zip(tmp.path):
            raise WorkbookError(f"Không tạo được bản sao lưu đúng của '{target.name}' (bản chép khác bản gốc); "
                                f"tệp chưa bị ghi đè.")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        dest = target.with_name(f"{target.stem}.bak-{stamp}{target.suffix}")
        n = 2
        while os.path.lexists(dest):
            dest = target.with_name(f"{target.stem}.bak-{stamp}-{n}{target.suffix}")
            n += 1
        tmp.commit(dest)
    _fsync_folder(folder)
    good = []
    for _, p in _backups(target):
        if p == dest or _is_zip(p):
            good.append(p)
        else:
            _unlink(p)
    for p in good[:-max(keep, 1)]:
        _unlink(p)
    return dest


def save_atomic(target: Path, write: Callable, *, source: Fingerprint | None = None,
                source_bytes: bytes | None = None, backup: bool = True, keep_backups: int = KEEP_BACKUPS) -> Path:
    """Write a new ``target`` through ``write(fh)`` (see the module docstring for the steps); returns the path
    written — ``target``'s real path when ``target`` is a link to the workbook.

    ``source``: the fingerprint of ``target`` as it was read (None when ``target`` is not the file read);
    ``source_bytes``: those bytes (the backup is made from them, not from a second read)."""
    given, target = Path(target), nofollow.real_path(target)
    lock = lock_file_for(target) or lock_file_for(given)      # Excel may have opened the link's name
    if lock is not None:
        raise WorkbookLockedError(f"Tệp '{target.name}' đang được mở trong Excel (có tệp khóa {lock.name}). "
                                  f"Hãy đóng Excel rồi chạy lại.")
    if source is not None:
        check_unchanged(target, source)
    folder = _folder(target)
    clean_leftovers(target)
    made = None
    try:
        with nofollow.temp_beside(target) as tmp:     # exclusive, never through a link; removed on failure
            try:
                with tmp.file() as fh:
                    write(fh)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise _os_error(exc, target) from None
            if not _is_zip(tmp.path):
                raise WorkbookError(f"Không ghi được '{target.name}': tệp tạm tạo ra bị hỏng; tệp cũ vẫn còn "
                                    f"nguyên.")
            if backup and target.exists():
                try:
                    made = make_backup(target, source_bytes if source is not None else None, keep_backups)
                except OSError as exc:
                    raise _os_error(exc, target) from None
            if source is not None:
                check_unchanged(target, source)       # under the writer lock, right before the rename
            try:
                tmp.commit(target)
            except PermissionError:
                raise WorkbookLockedError(
                    f"Không ghi được tệp '{target.name}': tệp đang được mở trong Excel hoặc chương trình khác. "
                    f"Hãy đóng nó rồi chạy lại.") from None
            except OSError as exc:
                raise _os_error(exc, target) from None
    except OSError as exc:          # the temporary file could not be created (every later step says its own)
        _unlink(made)
        raise _os_error(exc, target) from None
    except BaseException:
        _unlink(made)
        raise
    _fsync_folder(folder)
    return target
