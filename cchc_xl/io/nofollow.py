"""Files the program creates, never opened through a link: the one way every writer opens a file it makes.

Another user who can write in a shared folder (the inbox, the workbook's folder on a network drive) can
plant a symbolic link — or a hard link — under a name the program is about to create: the writer lock
``NAME.cchc-lock``, the log ``tong_hop.log``, a reason file ``rejected/NAME.txt``, a temporary file. Opened
the usual way (``open(path, "w")``), that name writes into the file the link points to, a victim's document.
So every file the program creates goes through this module, and nothing here ever follows a link:

* :func:`open_nofollow` — ``os.open`` with ``O_NOFOLLOW`` (and ``O_NONBLOCK``, so that a planted FIFO
  cannot hang the run); a link, a hard-linked file or anything that is not a regular file is refused with
  :class:`~cchc_xl.errors.LinkRefusedError`, one Vietnamese sentence naming the file. :func:`open_lock_file`
  (a lock, read-write, created when missing) and :func:`append_text` (a log) are built on it;
  :func:`write_new` creates a file that must not exist yet (a crash log).
* :func:`temp_beside` — a new temporary file ``.tmp-NAME-xxxxxxxx.part`` beside a target, created
  exclusively (``O_CREAT | O_EXCL`` never follows a link), with the mode the finished file should have,
  locked (``flock``) while it is open; :meth:`TempFile.commit` renames it over the target with
  ``os.replace``, which replaces a link planted there instead of writing through it. :func:`replace_file`
  writes a whole file that way (reason files, drafts, hand-out copies, the exchange file).
* :func:`remove_temps` — what a killed run left (``.tmp-NAME-*.part`` that no live process holds) is
  removed by the next run that writes the same target.
* :func:`real_path` — a workbook reached through a link is written at its real path, never over the link.

On Windows (no ``O_NOFOLLOW``, no ``flock``) the link is checked just before and after opening, and a
temporary file is left to the next run once it is ten minutes old (an open file cannot be removed there).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> replace_file(d / "lý do.txt", "Tệp bị từ chối\\n".encode()).read_text(encoding="utf-8")
'Tệp bị từ chối\\n'
>>> (d / "tong_hop.log").symlink_to(d / "lý do.txt")
>>> append_text(d / "tong_hop.log", "dòng mới\\n")  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
cchc_xl.errors.LinkRefusedError: Không ghi vào '...tong_hop.log': đó là một liên kết (symlink) ...
chưa có gì bị thay đổi.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from ..errors import LinkRefusedError

__all__ = ["open_nofollow", "open_lock_file", "append_text", "write_new", "temp_beside", "TempFile", "replace_file",
           "remove_temps", "temp_prefix", "TEMP_SUFFIX", "real_path", "refuse_link", "file_mode", "sync_folder"]

_WINDOWS = sys.platform == "win32"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_EXTRA = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
TEMP_SUFFIX = ".part"
_WINDOWS_TEMP_AGE = 600.0      # seconds: on Windows a temporary file this old belongs to no live run
_LINK_TAGS = (0xA000000C, 0xA0000003)   # IO_REPARSE_TAG_SYMLINK, IO_REPARSE_TAG_MOUNT_POINT (a junction)

_LINK = "đó là một liên kết (symlink) trỏ tới chỗ khác"
_HARD_LINK = "đó là một liên kết cứng (hard link) tới một tệp khác"
_NOT_A_FILE = "đó không phải một tệp thường"


def refuse_link(path: str | os.PathLike, why: str = _LINK) -> LinkRefusedError:
    """The one sentence for a file the program will not write through: which file, why, what to do."""
    return LinkRefusedError(
        f"Không ghi vào '{os.fspath(path)}': {why}, không phải tệp do chương trình tạo, và chương trình không "
        f"bao giờ ghi qua một liên kết. Hãy xóa '{Path(path).name}' (hoặc hỏi người đã tạo nó) rồi chạy lại; "
        f"chưa có gì bị thay đổi.")


def _is_link(path: str) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    # a Windows junction too (not the other reparse points: OneDrive marks its ordinary files with one)
    return stat.S_ISLNK(st.st_mode) or getattr(st, "st_reparse_tag", 0) in _LINK_TAGS


def open_nofollow(path: str | os.PathLike, flags: int, mode: int = 0o644) -> int:
    """``os.open(path, flags, mode)`` that never follows a link at ``path``; returns the descriptor.

    Refused with :class:`~cchc_xl.errors.LinkRefusedError`: a symbolic link (or junction), a file with a second
    hard link (writing it would change the other name's content too), anything but a regular file (a FIFO, a
    folder). Other errors are ``OSError`` as usual."""
    name = os.fspath(path)
    if _WINDOWS and _is_link(name):
        raise refuse_link(name)
    try:
        fd = os.open(name, flags | _NOFOLLOW | _EXTRA, mode)
    except OSError as exc:
        if _is_link(name):                       # ELOOP on Linux and macOS, EMLINK on FreeBSD
            raise refuse_link(name) from None
        if exc.errno in (errno.ENXIO, errno.EISDIR) and os.path.lexists(name):   # a FIFO, a folder
            raise refuse_link(name, _NOT_A_FILE) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise refuse_link(name, _NOT_A_FILE)
        if st.st_nlink > 1:
            raise refuse_link(name, _HARD_LINK)
        if _WINDOWS and _is_link(name):
            raise refuse_link(name)
        if hasattr(os, "set_blocking") and not _WINDOWS:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_lock_file(path: str | os.PathLike) -> int:
    """A lock file, opened read-write and created when missing (mode 0644), never through a link."""
    return open_nofollow(path, os.O_RDWR | os.O_CREAT, 0o644)


def append_text(path: str | os.PathLike, text: str) -> None:
    """Append ``text`` (UTF-8) to the log ``path``, created when missing, never through a link."""
    fd = open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(fd, "ab") as fh:
        fh.write(text.encode("utf-8"))


def write_new(path: str | os.PathLike, data: bytes, mode: int = 0o600) -> Path:
    """Create ``path``, which must not exist yet (``O_CREAT | O_EXCL``: a link planted there is refused by the
    system itself, ``FileExistsError``), and write ``data`` — a crash log under a fresh name."""
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _EXTRA, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(path)


def real_path(path: str | os.PathLike) -> Path:
    """``path`` with every link resolved (the file a workbook reached through a link really is): the program
    writes there — its lock, temporaries and backups beside it — never over the link."""
    return Path(os.path.realpath(os.fspath(path)))


def temp_prefix(target: str | os.PathLike) -> str:
    """``.tmp-NAME-`` (a hash of the name when it is long): the temporary files of ``target`` only."""
    name = Path(target).name
    if len(name.encode("utf-8")) > 120:
        name = hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]
    return f".tmp-{name}-"


def file_mode(target: str | os.PathLike) -> int:
    """The permission bits a new file at ``target`` gets: those of the regular file there now, else the usual
    ones of a new file (0666 less the umask)."""
    try:
        st = os.lstat(target)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _flock(fd: int, blocking: bool = True) -> bool:
    if _WINDOWS:           # pragma: no cover - an open file cannot be removed on Windows anyway
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except OSError:
        return False


@dataclass
class TempFile:
    """A temporary file beside ``target`` (:func:`temp_beside`): ``fd`` open read-write and locked, ``path``."""

    fd: int
    path: Path
    target: Path
    committed: bool = False

    def file(self):
        """A binary file object over :attr:`fd` (closing it leaves the descriptor open)."""
        return os.fdopen(self.fd, "w+b", closefd=False)

    def write(self, data: bytes) -> None:
        with self.file() as fh:
            fh.write(data)

    def sync(self) -> None:
        os.fsync(self.fd)

    def commit(self, dest: str | os.PathLike | None = None) -> Path:
        """Rename the file over ``dest`` (default: its target) with ``os.replace`` — a link at ``dest`` is
        replaced, never followed. Refused when the name no longer holds this file (someone swapped it)."""
        dest = Path(dest) if dest is not None else self.target
        try:
            same = os.path.samestat(os.fstat(self.fd), os.lstat(self.path))
        except OSError:
            same = False
        if not same:
            raise refuse_link(self.path, "tệp tạm của chương trình đã bị thay bằng tệp khác")
        if _WINDOWS:                # pragma: no cover - Windows renames no open file
            os.close(self.fd)
            self.fd = -1
        os.replace(self.path, dest)
        self.committed = True
        return dest


@contextlib.contextmanager
def temp_beside(target: str | os.PathLike, tag: str = "", mode: int | None = None):
    """``with temp_beside(target) as tmp:`` — a new ``.tmp-NAME-[tag]xxxxxxxx.part`` in ``target``'s folder,
    created exclusively (never through a link), with ``mode`` (default :func:`file_mode` of ``target``) and
    locked while the block runs. Removed at the end unless :meth:`TempFile.commit` renamed it."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    fd, name = tempfile.mkstemp(dir=folder, prefix=temp_prefix(target) + tag, suffix=TEMP_SUFFIX)
    tmp = TempFile(fd, Path(name), target)
    try:
        _flock(fd)
        if not _WINDOWS:
            os.fchmod(fd, file_mode(target) if mode is None else mode)
        yield tmp
    finally:
        if tmp.fd >= 0:
            if not tmp.committed:
                with contextlib.suppress(OSError):
                    os.unlink(tmp.path)
            os.close(tmp.fd)
        if _WINDOWS and not tmp.committed:   # pragma: no cover
            with contextlib.suppress(OSError):
                os.chmod(tmp.path, file_mode(target) if mode is None else mode)
                os.unlink(tmp.path)


def replace_file(dest: str | os.PathLike, data: bytes | Callable, *, mode: int | None = None,
                 durable: bool = False) -> Path:
    """Write a whole new ``dest`` (``data``: the bytes, or ``write(fh)``): a temporary file beside it, then
    ``os.replace`` — a link planted at ``dest`` is replaced, never written through. What a killed run left
    beside ``dest`` is removed first (:func:`remove_temps`). ``durable``: fsync the file and the folder."""
    dest = Path(dest)
    remove_temps(dest)
    with temp_beside(dest, mode=mode) as tmp:
        with tmp.file() as fh:
            data(fh) if callable(data) else fh.write(data)
            fh.flush()
        if durable:
            tmp.sync()
        tmp.commit()
    if durable:
        sync_folder(dest.parent)
    return dest


def sync_folder(folder: str | os.PathLike) -> None:
    """fsync a folder (a rename in it survives a power cut); nothing where folders cannot be opened."""
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def remove_temps(target: str | os.PathLike) -> int:
    """Remove the temporary files a killed run left beside ``target`` (``.tmp-NAME-*.part`` that no live process
    holds locked; on Windows those older than ten minutes); returns how many. Never raises."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    prefix, removed = temp_prefix(target), 0
    try:
        names = [e.name for e in os.scandir(folder) if e.name.startswith(prefix) and e.name.endswith(TEMP_SUFFIX)]
    except OSError:
        return 0
    for name in names:
        path = os.path.join(folder, name)
        try:
            if _WINDOWS:        # pragma: no cover
                if time.time() - os.lstat(path).st_mtime > _WINDOWS_TEMP_AGE:
                    os.unlink(path)
                    removed += 1
                continue
            if _is_link(path):
                os.unlink(path)
                removed += 1
                continue
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _EXTRA)
            try:
                if _flock(fd, blocking=False):     # nobody writes it: a run that was killed
                    os.unlink(path)
                    removed += 1
            finally:
                os.close(fd)
        except OSError:
            continue
    return removed
