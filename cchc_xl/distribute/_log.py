"""The ``Nhật ký`` sheet of a workbook file: read its rows, append rows — through the Book seam
(:meth:`cchc_xl.io.file_book.FileBook.read_log`/``append_log``; the ribbon uses the same methods of
:class:`cchc_xl.excel.xw_book.XwBook`).

Appending takes the workbook's writer lock, writes atomically and keeps a backup. Every value is written
as a plain value: a text beginning with ``=`` stays text.
"""

from __future__ import annotations

import os

from ..schema import LOG_HEADERS, SHEET_LOG

__all__ = ["read_log", "append_log", "LOG_HEADERS", "SHEET_LOG"]


def read_log(path: str | os.PathLike) -> list[dict]:
    """Every data row of ``Nhật ký`` of the workbook at ``path`` as ``{header: value}``."""
    from ..io.file_book import FileBook

    return FileBook.open(path).read_log()


def append_log(path: str | os.PathLike, rows: list[dict], backup: bool = True) -> None:
    """Append ``rows`` (dicts keyed by ``LOG_HEADERS``) to the workbook at ``path`` and save it."""
    from ..io.file_book import FileBook

    with FileBook.for_update(path, backup=backup) as book:
        book.append_log(rows)
        book.save()
