"""One exception tree for cchc-xl.

Every error a user can cause is a :class:`CchcError` whose ``str()`` is one clear
Vietnamese sentence. Entry points (CLI, ribbon, scheduler) catch ``CchcError`` and
show the message; anything else is a bug and is logged with its traceback.
"""

from __future__ import annotations

__all__ = [
    "CchcError",
    "DataError",
    "CellTextTooLongError",
    "WorkbookError",
    "WorkbookLockedError",
    "WorkbookChangedError",
    "WorkbookBusyError",
    "ImportFileError",
    "SendError",
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


class ImportFileError(CchcError):
    """An import file (CSV/XLSX from the one-stop system) cannot be read."""


class SendError(CchcError):
    """Sending the report upward failed (SMTP unreachable, authentication, recipient)."""
