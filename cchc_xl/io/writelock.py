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

The lock file is opened through :mod:`cchc_xl.io.nofollow`: a link (or a hard link) planted under its name by
another user is refused in one sentence, never written through. A workbook reached through a link is locked
(and written) at its real path. The wait is bounded: a value that is not a finite number of seconds ≥ 0
(``nan``, ``inf``, ``1e400``, ``-5``) falls back to the default with a warning (:class:`~cchc_xl.errors.CchcWarning`,
``Chú ý: …`` on the command line), and no run waits longer than :data:`MAX_LOCK_WAIT_SECONDS` (one hour).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import sys
import time
import warnings
from pathlib import Path

from ..errors import CchcWarning, WorkbookBusyError
from .nofollow import open_lock_file, real_path

__all__ = ["writer_lock", "lock_path", "default_wait", "lock_wait", "LOCK_WAIT_SECONDS", "MAX_LOCK_WAIT_SECONDS",
           "EXIT_BUSY"]

LOCK_WAIT_SECONDS = 10.0      # how long a run waits for the lock; CCHC_LOCK_WAIT_SECONDS overrides
MAX_LOCK_WAIT_SECONDS = 3600.0   # no run waits longer than an hour, whatever it is told
EXIT_BUSY = 4
_POLL = 0.05


def lock_path(target: str | os.PathLike) -> Path:
    """``NAME.cchc-lock`` beside the real file of workbook ``target`` (a link to it shares its lock)."""
    t = real_path(target)
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


def _seconds(value: object, where: str) -> float:
    """``value`` as a bounded number of seconds (see :func:`lock_wait`), warning when it is not one."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        warnings.warn(CchcWarning(
            f"{where} = '{value}' không phải một số giây hợp lệ (cần một số từ 0 đến "
            f"{MAX_LOCK_WAIT_SECONDS:.0f}); dùng mặc định {LOCK_WAIT_SECONDS:.0f} giây."), stacklevel=3)
        return LOCK_WAIT_SECONDS
    if seconds > MAX_LOCK_WAIT_SECONDS:
        warnings.warn(CchcWarning(
            f"{where} = '{value}' giây dài quá giới hạn {MAX_LOCK_WAIT_SECONDS:.0f} giây (một giờ); chỉ chờ "
            f"tối đa {MAX_LOCK_WAIT_SECONDS:.0f} giây."), stacklevel=3)
        return MAX_LOCK_WAIT_SECONDS
    return seconds


def default_wait() -> float:
    """:data:`LOCK_WAIT_SECONDS`, or the ``CCHC_LOCK_WAIT_SECONDS`` environment variable bounded by
    :func:`lock_wait` (``nan``, ``inf``, ``-1`` → the default, with a warning)."""
    raw = os.environ.get("CCHC_LOCK_WAIT_SECONDS", "")
    return _seconds(raw, "CCHC_LOCK_WAIT_SECONDS") if raw.strip() else LOCK_WAIT_SECONDS


def lock_wait(wait: float | None = None) -> float:
    """How long a run waits for the lock: ``wait`` (``consolidate --wait``) when given, else :func:`default_wait`.
    A value that is not a finite number ≥ 0 gives :data:`LOCK_WAIT_SECONDS` and a :class:`CchcWarning`; one
    above :data:`MAX_LOCK_WAIT_SECONDS` gives that bound and a warning.

    >>> lock_wait(2.5), lock_wait(0)
    (2.5, 0.0)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     lock_wait(float("nan")), lock_wait(float("inf")), lock_wait(1e400), lock_wait(-5), lock_wait(7200)
    (10.0, 10.0, 10.0, 10.0, 3600.0)
    >>> len(seen), "không phải một số giây hợp lệ" in str(seen[0].message)
    (5, True)
    """
    return default_wait() if wait is None else _seconds(wait, "thời gian chờ (--wait)")


def _host() -> str:
    """This computer's name (without importing :mod:`socket`, ~2 ms of every command's start)."""
    return os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "?")


@contextlib.contextmanager
def writer_lock(target: str | os.PathLike, wait: float | None = None):
    """Hold the writer lock of workbook ``target`` while the block runs (see module docstring); ``wait``
    is bounded by :func:`lock_wait` (default :func:`default_wait`)."""
    wait = lock_wait(wait)
    lock = lock_path(target)
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = open_lock_file(lock)       # never through a link: LinkRefusedError, one sentence
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
                same = os.path.samestat(os.fstat(fd), os.lstat(lock))
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
