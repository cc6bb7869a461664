"""The record a report keeps of itself: its period, its as-of date and a fingerprint of the data it was made from.

Every refresh that writes the ``Báo cáo`` sheet adds two cells to the report grid (:func:`add_record`), so
both adapters — the file engine and xlwings — write it with the report itself: a label and one line of text
in the hidden chart-data columns (never printed)::

    cchc-xl/bao-cao/1 ky=year nam=2024 tinh_den=2024-12-14 du_lieu=3f0c…

``send`` (and the ribbon's send button) sends the report **that is in the workbook**: the period and as-of
date come from this record (:func:`stored_report`), a ``--period``/``--as-of`` that disagrees is refused,
and so is a workbook whose data changed since the report was made — the fingerprint
(:func:`data_fingerprint`) no longer matches — each with one Vietnamese sentence naming what refreshes it.

The fingerprint covers what a report is computed from: every cell a person fills in the contract tables
(all of them but the computed columns, which the refresh itself writes, and the settings that only say where
to send, :data:`DELIVERY_SETTINGS`), and the hand-entered result of indicator CT1. Values are normalised
(``1`` = ``1.0``, a date = the same date at midnight, blank = empty text) so that Excel through xlwings and the
file reader give the same fingerprint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import re
from dataclasses import dataclass

from .. import schema
from ..core.periods import PERIOD_KEYS, get_period, report_title_phrase
from ..core.vnformat import date_vn
from ..errors import SendError

__all__ = ["ReportRecord", "RECORD_CELL", "RECORD_LABEL_CELL", "RECORD_LABEL", "DELIVERY_SETTINGS", "data_fingerprint",
           "record_of", "add_record", "read_record", "stored_report", "cli_refresh_hint", "RIBBON_REFRESH_HINT"]

# Column AO (hidden, right of the chart data AK:AM and outside the print area A:X): the label in AO1, the record
# in AO2. The workbook build hides the column (cchc_xl.report.frame).
RECORD_LABEL_CELL = (1, 41)
RECORD_CELL = (2, 41)
RECORD_LABEL = "Bản ghi của báo cáo (chương trình dùng khi gửi báo cáo; không sửa):"
_PREFIX = "cchc-xl/bao-cao/1"
_PATTERN = re.compile(r"^cchc-xl/bao-cao/1 ky=(\w+) nam=(\d{4}) tinh_den=(\d{4}-\d{2}-\d{2})"
                      r" du_lieu=([0-9a-f]{16,64})$")
# Settings that only say where and how to send, or identify the unit to the Sở's roll-up: filling them in
# after the report was made does not change the report, so they are not part of its fingerprint.
DELIVERY_SETTINGS = frozenset({"email_nguoi_nhan", "email_nguoi_gui", "smtp_may_chu", "smtp_cong", "smtp_bao_mat",
                               "smtp_tai_khoan", "ma_dinh_danh"})
RIBBON_REFRESH_HINT = "bấm nút 'Cập nhật tất cả' (hoặc nút báo cáo của kỳ đó) trên thẻ CCHC rồi lưu sổ (Ctrl+S)"


@dataclass(frozen=True)
class ReportRecord:
    """What the ``Báo cáo`` sheet holds: the report of ``period`` (a key) of ``year`` as of ``as_of``, made
    from data whose :func:`data_fingerprint` is ``fingerprint``."""

    period: str
    year: int
    as_of: dt.date
    fingerprint: str

    def text(self) -> str:
        """The record as one line of text (what the cell holds).

        >>> ReportRecord("h1", 2024, dt.date(2024, 6, 14), "ab" * 16).text()[:57]
        'cchc-xl/bao-cao/1 ky=h1 nam=2024 tinh_den=2024-06-14 du_l'
        """
        return (f"{_PREFIX} ky={self.period} nam={self.year} tinh_den={self.as_of.isoformat()}"
                f" du_lieu={self.fingerprint}")

    @classmethod
    def parse(cls, text: object) -> ReportRecord | None:
        """The record in ``text``, or None when it is not one (blank, edited by hand, another version).

        >>> r = ReportRecord("year", 2024, dt.date(2024, 12, 14), "0123456789abcdef" * 2)
        >>> ReportRecord.parse(r.text()) == r, ReportRecord.parse("ky=year"), ReportRecord.parse(None)
        (True, None, None)
        """
        m = _PATTERN.match(str(text).strip()) if isinstance(text, str) else None
        if m is None or m.group(1) not in PERIOD_KEYS:
            return None
        try:
            as_of = dt.date.fromisoformat(m.group(3))
        except ValueError:
            return None
        return cls(m.group(1), int(m.group(2)), as_of, m.group(4))

    def describe(self) -> str:
        """``"năm 2024 (tính đến 14/12/2024)"``, as it follows the word *báo cáo*.

        >>> ReportRecord("q3", 2024, dt.date(2024, 9, 14), "0" * 32).describe()
        'quý III năm 2024 (tính đến 14/09/2024)'
        """
        return f"{report_title_phrase(get_period(self.period, self.year))} (tính đến {date_vn(self.as_of)})"


def _canon(value: object) -> str:
    """One cell value as text, the same whichever adapter read it.

    >>> [_canon(v) for v in (None, "", 3, 3.0, 0.5, True, dt.datetime(2024, 6, 14), dt.date(2024, 6, 14))]
    ['', '', '3', '3', '0.5', 'TRUE', '2024-06-14', '2024-06-14']
    """
    if value is None:
        return ""
    if value.__class__ is str:
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.hour or value.minute or value.second or value.microsecond:
            return value.isoformat(timespec="seconds")
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def data_fingerprint(data, period: str | None = None) -> str:
    """The fingerprint of what a report is computed from (``data``: :class:`cchc_xl.io.tables.WorkbookData`):
    every contract table's headers and the values of its input columns (rows wholly blank skipped), the
    hand-entered result of CT1 and, of the narrative sheet, the texts a person wrote for the report's
    ``period`` (its label, ``"6 tháng đầu năm 2024"``; every period when None) — the engine's drafts follow
    from the data, and the other periods' texts are not in the report. 32 hex digits of SHA-256.

    What is hashed, table by table: ``\x1e<table>\x1f<header>\x1f…``, then ``\x1d<value>\x1f<value>…`` for each
    row with a value (:func:`_canon` of each cell; an error cell counts as its text, e.g. ``#N/A``), then
    ``\x1e<code>\x1f<result>`` for CT1, then the narrative texts. Computed column by column
    (:func:`_canon_column`), the same bytes as row by row."""
    h = hashlib.sha256()
    for spec in schema.TABLES:
        if spec is schema.NARRATIVE:  # below: what a person wrote, not the drafts the refresh writes
            continue
        td = data.tables.get(spec.table)
        if td is None:
            h.update(f"\x1e{spec.table}\x1fNONE".encode())
            continue
        keep = [j for j, name in enumerate(td.headers) if name not in spec.computed]
        h.update(("\x1e" + spec.table + "\x1f" + "\x1f".join(td.headers[j] for j in keep)).encode())
        if keep:
            _hash_rows(h, spec, td, keep)
    for ind in data.indicators:
        if ind.manual_value is not None:
            h.update(f"\x1e{ind.code}\x1f{_canon(ind.manual_value)}".encode())
    for entry in data.narrative:
        if (period is None or entry.period == period) and entry.person_text:
            h.update(f"\x1e{entry.period}\x1f{entry.code}\x1f{entry.person_text}".encode())
    return h.hexdigest()[:32]


def _hash_rows(h, spec, td, keep: list[int]) -> None:
    """``\x1d<value>\x1f<value>…`` of each row of ``td`` with a value in the columns ``keep`` (the settings'
    delivery rows left out), a chunk of rows at a time, column by column (:func:`_canon_column`)."""
    rows = td.row_values()
    width = len(td.headers)
    errors = _error_cells(td, keep)
    key_at = keep.index(td.headers.index("Khóa")) if spec is schema.SETTINGS and "Khóa" in td.headers else None
    blank = "\x1f" * (len(keep) - 1)                   # every value empty (a value is never shorter)
    for start in range(0, len(rows), _CHUNK):          # a chunk at a time: memory stays small
        chunk = rows[start:start + _CHUNK]
        if min(map(len, chunk)) < width:
            chunk = [r if len(r) >= width else list(r) + [None] * (width - len(r)) for r in chunk]
        columns = [_canon_column(list(map(operator.itemgetter(j), chunk))) for j in keep]
        for i, cells in errors.items():
            if start <= i < start + len(chunk):
                for k, error in cells:
                    columns[k][i - start] = error
        lines = map("\x1f".join, zip(*columns))
        if key_at is None:
            lines = [line for line in lines if line != blank]
        else:
            lines = [line for line, key in zip(lines, columns[key_at])
                     if line != blank and key.strip() not in DELIVERY_SETTINGS]
        if lines:
            h.update(("\x1d" + "\x1d".join(lines)).encode())


def _error_cells(td, keep: list[int]) -> dict[int, list[tuple[int, str]]]:
    """``{row: [(position in keep, error text)]}``: an error cell counts as its text (e.g. ``#N/A``)."""
    at = {j: k for k, j in enumerate(keep)}
    errors: dict[int, list[tuple[int, str]]] = {}
    for (i, j), cell in td.cell_marks().items():
        if cell.error and j in at:
            errors.setdefault(i, []).append((at[j], cell.error))
    return errors


_CHUNK = 16384     # rows hashed at a time


def _canon_column(values: list) -> list[str]:
    """:func:`_canon` of every value of a column (a new list): texts as they are, other values once per distinct
    value — unless the column mixes booleans with numbers, which compare equal (``True == 1``)."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return values
    if kinds == {type(None)}:
        return [""] * len(values)
    if bool in kinds and (int in kinds or float in kinds):
        return [_canon(v) for v in values]
    canon = {v: v if v.__class__ is str else _canon(v) for v in set(values)}
    return [canon[v] for v in values]


def record_of(result) -> ReportRecord:
    """The record of the report a :class:`cchc_xl.engine.RefreshResult` makes (after its writes:
    ``result.data`` holds the narrative sheet as the refresh left it)."""
    return ReportRecord(result.period.key, result.period.year, result.as_of,
                        data_fingerprint(result.data, result.period.label))


def add_record(grid, result):
    """Add the record of ``result`` to the report ``grid`` (a :class:`cchc_xl.report.layout.ReportGrid`);
    returns the grid. The cells sit in hidden column AO, outside what is printed."""
    grid.cells[RECORD_LABEL_CELL] = (RECORD_LABEL, "chart_data")
    grid.cells[RECORD_CELL] = (record_of(result).text(), "chart_data")
    return grid


def read_record(book) -> ReportRecord | None:
    """The record of the report in ``book`` (a :class:`cchc_xl.io.file_book.FileBook`), or None."""
    row, col = RECORD_CELL
    values = book.read_values(schema.SHEET_REPORT, row, col, row, col)
    return ReportRecord.parse(values[0][0]) if values else None


def cli_refresh_hint(path, period: str | None = None, as_of: dt.date | None = None) -> str:
    """The command that (re)makes a report: ``cchc-xl refresh "SỔ" --period h1 --as-of 2024-06-14``."""
    command = f'cchc-xl refresh "{path}"'
    if period:
        command += f" --period {period}"
    if as_of:
        command += f" --as-of {as_of.isoformat()}"
    return command


def stored_report(book, data, *, period: str | None = None, as_of: dt.date | None = None,
                  hint=None) -> ReportRecord:
    """The report in ``book`` that may be sent, checked against the workbook's ``data`` (``load_data(book)``).

    ``period``/``as_of`` (what the user asked for, may be None) must match the record. ``hint(period, as_of)``
    says how to make the report of that period and date (default: :func:`cli_refresh_hint` on the book's
    file; the ribbon: :data:`RIBBON_REFRESH_HINT`).

    Raises:
        SendError: no record (the report was never made, or by an older version), the record disagrees with
            ``period``/``as_of``, or the data changed since the report was made — one Vietnamese sentence.
    """
    how = hint or (lambda p, d: cli_refresh_hint(book.path, p, d))
    record = read_record(book)
    sheet = schema.SHEET_REPORT
    if record is None:
        raise SendError(f"Trang '{sheet}' chưa có báo cáo do chương trình lập (không có bản ghi kỳ và ngày tính "
                        f"đến); hãy lập báo cáo trước: {how(period, as_of)}.")
    wanted_period = str(period).strip().lower() if period else None
    if (wanted_period and wanted_period != record.period) or (as_of and as_of != record.as_of):
        asked = []
        if wanted_period:
            asked.append(report_title_phrase(get_period(wanted_period, record.year)))
        if as_of:
            asked.append(f"tính đến {date_vn(as_of)}")
        raise SendError(f"Trang '{sheet}' đang là báo cáo {record.describe()}, không phải báo cáo "
                        f"{' '.join(asked)}; muốn gửi báo cáo đó thì lập nó trước: {how(wanted_period, as_of)}.")
    label = get_period(record.period, record.year).label  # the label does not depend on the windows
    if data_fingerprint(data, label) != record.fingerprint or record.year != data.settings["nam_ke_hoach"]:
        raise SendError(f"Dữ liệu trong sổ đã thay đổi sau khi lập báo cáo {record.describe()} đang có ở "
                        f"trang '{sheet}'; hãy lập lại báo cáo rồi gửi: {how(record.period, record.as_of)}.")
    return record
