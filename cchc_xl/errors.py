"""One exception tree for cchc-xl.

Every error a user can cause is a :class:`CchcError` whose ``str()`` is one clear
Vietnamese sentence. Entry points (CLI, ribbon, scheduler) catch ``CchcError`` and
show the message; anything else is a bug and is logged with its traceback.
"""

from __future__ import annotations

import errno
import os

__all__ = [
    "CchcError",
    "DataError",
    "CellTextTooLongError",
    "WorkbookError",
    "WorkbookLockedError",
    "WorkbookChangedError",
    "WorkbookBusyError",
    "WorkbookTooLargeError",
    "LinkRefusedError",
    "ImportFileError",
    "SendError",
    "CchcWarning",
    "describe_os_error",
]


class CchcError(Exception):
    """Base class: the message is Vietnamese and meant for the user."""


class DataError(CchcError):
    """A problem in one cell or row of a table.

    Attributes name the place so that a user can find it: ``sheet`` (sheet name),
    ``row`` (1-based Excel row, or None), ``column`` (header text, or None).
    """

    def __init__(self, message: str, sheet: str | None = None, row: int | None = None,
                 column: str | None = None):
        self.message = message
        self.sheet = sheet
        self.row = row
        self.column = column
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.sheet:
            where.append(f"Trang tính '{self.sheet}'")
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message


class CellTextTooLongError(DataError, ValueError):
    """A text longer than one Excel cell holds (32,767 characters) was about to be written — from a user's file
    or from the engine itself; nothing is written. A ``ValueError`` too, for callers of the package writer."""


class WorkbookError(CchcError):
    """The file cannot be used as a workbook (not a workbook, corrupt, encrypted, missing parts)."""


class WorkbookLockedError(WorkbookError):
    """Excel (or another program) has the file open: its ``~$NAME`` lock file exists."""


class WorkbookChangedError(WorkbookError):
    """The file changed on disk between reading and writing."""


class WorkbookBusyError(WorkbookError):
    """Another run holds the workbook's writer lock (exit code 4, ``EXIT_BUSY``)."""

    exit_code = 4


class WorkbookTooLargeError(WorkbookError):
    """Writing the workbook would take it past the size every command reads (``io/ooxml/limits.py``); nothing is
    written. ``total``: the inflated bytes it would have (``at_least``: a lower bound of them), ``limit``: the
    limit."""

    def __init__(self, message: str, total: int = 0, limit: int = 0, at_least: bool = False):
        super().__init__(message)
        self.total, self.limit, self.at_least = total, limit, at_least


class LinkRefusedError(CchcError):
    """A file the program would create or write is a link (or not a plain file) that someone planted there: it is
    never written through (:mod:`cchc_xl.io.nofollow`)."""


class ImportFileError(CchcError):
    """An import file (CSV/XLSX from the one-stop system) cannot be read."""


class SendError(CchcError):
    """Sending the report upward failed (SMTP unreachable, authentication, recipient)."""


class CchcWarning(UserWarning):
    """Something the user should know that does not stop the run (a setting replaced by its default); the
    command line prints it as one ``Chú ý: …`` line on standard error."""


_WINDOWS_SHARING = {32, 33}      # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


def describe_os_error(exc: OSError, action: str = "ghi", path: str | os.PathLike | None = None) -> str:
    """One Vietnamese sentence for an error of the operating system: what could not be done to which file, the
    cause, and what to do. ``action`` is the verb (``"ghi"``, ``"đọc"``, ``"chuyển"`` …); ``path`` names the file
    when the error does not.

    >>> describe_os_error(OSError(errno.ENOSPC, "No space left on device", "D:/so/CCHC_2024.xlsm"))
    "Không ghi được 'D:/so/CCHC_2024.xlsm': ổ đĩa đã đầy. Hãy giải phóng dung lượng ổ đĩa rồi chạy lại."
    >>> describe_os_error(IsADirectoryError(errno.EISDIR, "Is a directory", "hop_thu"), "đọc")
    "Không đọc được 'hop_thu': đó là một thư mục, không phải tệp. Hãy ghi đúng đường dẫn tới tệp."
    """
    name = exc.filename if exc.filename is not None else (path if path is not None else "")
    target = f" '{os.fsdecode(name)}'" if name != "" else ""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        cause, todo = "ổ đĩa đã đầy", "Hãy giải phóng dung lượng ổ đĩa rồi chạy lại"
    elif code == errno.EROFS:
        cause, todo = "ổ đĩa hoặc thư mục chỉ cho phép đọc", "Hãy chọn thư mục ghi được rồi chạy lại"
    elif getattr(exc, "winerror", None) in _WINDOWS_SHARING or code in (errno.EBUSY, errno.ETXTBSY):
        cause, todo = "tệp đang được chương trình khác mở", "Hãy đóng chương trình đó rồi chạy lại"
    elif code in (errno.EACCES, errno.EPERM):
        cause, todo = ("không có quyền truy cập (thư mục chỉ đọc hoặc bị chặn)",
                       "Hãy chọn thư mục có quyền ghi, hoặc nhờ người quản trị máy cấp quyền, rồi chạy lại")
    elif code == errno.EISDIR:
        cause, todo = "đó là một thư mục, không phải tệp", "Hãy ghi đúng đường dẫn tới tệp"
    elif code == errno.ENOTDIR:
        cause, todo = "một phần của đường dẫn là tệp chứ không phải thư mục", "Hãy kiểm tra lại đường dẫn"
    elif code == errno.ENOENT:
        cause, todo = "không tìm thấy tệp hoặc thư mục", "Hãy kiểm tra lại đường dẫn"
    elif code == errno.ENAMETOOLONG:
        cause, todo = "tên hoặc đường dẫn quá dài", "Hãy dùng thư mục có đường dẫn ngắn hơn hoặc đổi tên tệp ngắn hơn"
    elif code == errno.EEXIST:
        cause, todo = "đã có tệp hoặc thư mục cùng tên", "Hãy đổi tên hoặc chọn chỗ khác"
    else:
        cause, todo = (f"lỗi của hệ điều hành ({exc.strerror or str(exc) or type(exc).__name__})",
                       "Hãy kiểm tra ổ đĩa rồi chạy lại")
    return f"Không {action} được{target}: {cause}. {todo}."
