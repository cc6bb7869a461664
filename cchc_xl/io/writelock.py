"""One writer at a time: the lock every command that writes a workbook holds for its whole run.

``refresh``, ``import-dossiers``, ``consolidate``, ``setup-excel`` and the ribbon's file paths take
:func:`writer_lock` on the workbook before they read it and keep it until the new file is in place, so two
runs never interleave read → compute → write on the same file (the second would silently overwrite the
first one's update). A run that finds the lock taken waits up to ``wait`` seconds (10 by default, or the
``CCHC_LOCK_WAIT_SECONDS`` environment variable), then gives up with
:class:`~cchc_xl.errors.WorkbookBusyError` — exit code 4 (``EXIT_BUSY``) on the command line.

The lock is the operating system's (``fcntl.flock``, ``msvcrt.locking`` on Windows) on ``NAME.cchc-lock``
beside the workbook: it is released when its holder ends, even by ``kill -9`` or a power cut, so there are
no stale locks to guess about. The file names its holder (process id, host, start time) for the message,
and is removed on release. Readers (``check``, ``send``, ``handout``) take no lock: the writer replaces the
file atomically, so a reader sees the old or the new file, never a mix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import time
from pathlib import Path

from ..errors import WorkbookBusyError

__all__ = ["writer_lock", "lock_path", "default_wait", "LOCK_WAIT_SECONDS", "EXIT_BUSY"]

LOCK_WAIT_SECONDS = 10.0      # how long a run waits for the lock; CCHC_LOCK_WAIT_SECONDS overrides
EXIT_BUSY = 4
_POLL = 0.05


def lock_path(target: str | os.PathLike) -> Path:
    t = Path(target)
    return t.with_name(t.name + ".cchc-lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _holder(lock: Path) -> str:
    try:
        text = lock.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" (đang giữ: {text})" if text else ""


def default_wait() -> float:
    """:data:`LOCK_WAIT_SECONDS`, or the ``CCHC_LOCK_WAIT_SECONDS`` environment variable when it is a number."""
    try:
        return max(float(os.environ.get("CCHC_LOCK_WAIT_SECONDS", "")), 0.0)
    except ValueError:
        return LOCK_WAIT_SECONDS


def _host() -> str:
    """This computer's name (without importing :mod:`socket`, ~2 ms of every command's start)."""
    return os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "?")


@contextlib.contextmanager
def writer_lock(target: str | os.PathLike, wait: float | None = None):
    """Hold the writer lock of workbook ``target`` while the block runs (see module docstring); ``wait``
    defaults to :func:`default_wait`."""
    if wait is None:
        wait = default_wait()
    lock = lock_path(target)
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            from ..errors import WorkbookError

            raise WorkbookError(f"Không tìm thấy thư mục '{lock.parent}'.") from None
        except PermissionError:
            from ..errors import WorkbookError

            raise WorkbookError(f"Không ghi được vào thư mục '{lock.parent}' (không có quyền ghi); "
                                f"hãy chép sổ tính sang thư mục có quyền ghi rồi chạy lại.") from None
        except OSError as exc:          # a read-only drive, a full disk, a name too long…
            from ..errors import WorkbookError, describe_os_error

            raise WorkbookError(describe_os_error(exc) + " Chưa có gì bị thay đổi.") from None
        if _try_lock(fd):
            try:        # the holder may have removed the file between our open and our lock: start again
                same = os.path.samestat(os.fstat(fd), os.stat(lock))
            except FileNotFoundError:
                same = False
            if same:
                break
        os.close(fd)
        if time.monotonic() >= deadline:
            raise WorkbookBusyError(
                f"Một lệnh khác đang chạy và ghi vào sổ tính '{Path(target).name}'{_holder(lock)}; lần này dừng "
                f"lại, không thay đổi gì. Hãy chờ lệnh kia xong rồi chạy lại.")
        time.sleep(_POLL)
    try:
        info = f"tiến trình {os.getpid()} trên {_host()}, từ {dt.datetime.now():%H:%M:%S %d/%m/%Y}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode("utf-8"), 0) if hasattr(os, "pwrite") else os.write(fd, info.encode("utf-8"))
    except OSError:
        pass
    try:
        yield lock
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)          # while still held: a waiter that opened it starts again (see above)
        os.close(fd)
