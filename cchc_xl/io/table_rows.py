"""A table's rows as the parsers read them: :class:`Rows` iterates the non-blank rows as :class:`Record`
(header → value) and reads each cell as text, date, number or one of a list of values, naming every problem by
sheet, row and column; :func:`clean_cell_text` is the one cleaning of a text cell.
"""

from __future__ import annotations

import datetime as dt
import operator
import re

from .. import schema
from ..core.calendar import outside_window
from ..core.text import clean_text
from .table_data import Cell, Problem, TableData

__all__ = ["Record", "Rows", "clean_cell_text"]


class Record(dict):
    """One row of a table: header → value. ``cells`` maps the headers whose cell holds a formula or an error,
    or lies in a merged range, to that :class:`Cell` (None when the row has none): read through
    :class:`Rows`' methods, which report those cells."""

    __slots__ = ("cells",)


class Rows:
    """Iterate a table's non-blank rows as :class:`Record` (header → value), collecting problems. ``window``: the
    dates a cell may hold (:func:`cchc_xl.core.calendar.date_window`); a date outside is a problem and not used."""

    def __init__(self, td: TableData, spec: schema.TableSpec, problems: list[Problem],
                 window: tuple[dt.date, dt.date] | None = None):
        self.td, self.spec, self.problems, self.window = td, spec, problems, window
        self.index = {clean_text(str(h), single_line=True): i for i, h in enumerate(td.headers) if h is not None}
        self.ok = True
        for header in spec.headers:
            if header not in self.index and header not in spec.optional:
                self.ok = False
                self.add(None, header, "thiếu cột tiêu đề (đã bị đổi tên hoặc xóa?); "
                                       f"bảng '{spec.table}' không được xử lý")

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.spec.sheet, row, column, message))

    def __iter__(self):
        return self.select()

    def select(self, indices=None):
        """The rows as iterating gives them, only those at ``indices`` (0-based, ascending) when given."""
        if not self.ok:
            return
        items = list(self.index.items())
        if not items:
            return
        headers = [h for h, _ in items]
        width = max(j for _, j in items) + 1
        pick = operator.itemgetter(*[j for _, j in items]) if len(items) > 1 else \
            (lambda vals, j=items[0][1]: (vals[j],))
        names = {j: h for h, j in items}
        special: dict[int, dict[str, Cell]] = {}
        for (i, j), cell in self.td.cell_marks().items():
            if j in names:
                special.setdefault(i, {})[names[j]] = cell
        first_row = self.td.first_row
        last_filled = self.td.last_filled()     # a blank row before it is in the middle of the table
        values = self.td.row_values()
        for i, vals in enumerate(values) if indices is None else ((i, values[i]) for i in indices):
            row = first_row + i
            if len(vals) < width:
                vals = list(vals) + [None] * (width - len(vals))
            record = Record(zip(headers, pick(vals)))
            if all(v is None or (v.__class__ is str and not v.strip()) for v in record.values()):
                if i < last_filled:
                    self.add(row, None, "dòng trống ở giữa bảng; đã bỏ qua")
                continue
            cells = record.cells = special.get(i)
            if cells:
                for header in headers:
                    cell = cells.get(header)
                    if cell is not None and cell.merged:
                        self.add(row, header, "ô bị gộp (merge); hãy bỏ gộp ô trong bảng dữ liệu")
            yield row, record

    def key(self, row: int, record: dict, what: str, seen: set[str]) -> str | None:
        """The row's key (the spec's ``key`` column), or None with a problem when blank or repeated."""
        header = self.spec.key
        key = self.text(row, record, header)
        if not key:
            self.add(row, header, f"chưa nhập mã {what}")
            return None
        if key in seen:
            self.add(row, header, f"mã {what} '{key}' bị lặp; dòng này bị bỏ qua")
            return None
        seen.add(key)
        return key

    def value(self, row: int, record: dict, header: str) -> object:
        """The cell's value, or None with a problem for error values; merged cells are reported."""
        cells = record.cells
        cell = cells.get(header) if cells else None
        if cell is None:
            value = record[header]
        else:
            if cell.error:
                self.add(row, header, f"ô có giá trị lỗi {cell.error}; đã coi là trống")
                return None
            if cell.formula and header not in self.spec.computed:
                self.add(row, header, "ô chứa công thức; hãy nhập giá trị trực tiếp (đã dùng giá trị đang hiển thị)")
            value = cell.value
        if isinstance(value, str):
            value = clean_text(value)       # NFC, no zero-width characters, no surrounding spaces
            if not value:
                return None
        return value

    def text(self, row, record, header) -> str:
        value = record[header]
        if value.__class__ is str and not (record.cells and header in record.cells):   # the common case
            return clean_cell_text(value)
        value = self.value(row, record, header)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, (dt.datetime, dt.date)):
            return value.strftime("%d/%m/%Y")
        return clean_cell_text(value if value.__class__ is str else str(value))

    def date(self, row, record, header, with_time: bool = False, bounded: bool = True):
        """The cell's date (a datetime with ``with_time``), or None with a problem for a value that is not a date
        or — unless ``bounded`` is False — a date outside the rows' ``window`` (``10/06/9999``)."""
        value = self.value(row, record, header)
        if value is None:
            return None
        if isinstance(value, (dt.datetime, dt.date)) and bounded and self.window is not None:
            problem = outside_window(value, self.window)
            if problem:
                self.add(row, header, problem + "; ngày này không được dùng")
                return None
        if isinstance(value, dt.datetime):
            return value if with_time else value.date()
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time()) if with_time else value
        kind = "số" if isinstance(value, (int, float)) and not isinstance(value, bool) else "văn bản"
        self.add(row, header, f"'{_short(value)}' là {kind}, không phải ngày; hãy nhập ngày dạng dd/mm/yyyy")
        return None

    def enum(self, row, record, header, mapping: dict, required: bool = False, default=None):
        value = self.text(row, record, header)
        if not value:
            if required:
                self.add(row, header, "chưa nhập giá trị (bắt buộc)")
            return default
        if value in mapping:
            return mapping[value]
        choices = ", ".join(mapping)
        self.add(row, header, f"giá trị '{_short(value)}' không hợp lệ; chỉ nhận: {choices}")
        return default

    def number(self, row, record, header):
        value = self.value(row, record, header)
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).replace("%", "").replace(",", ".").strip()
        try:
            number = float(text)
        except ValueError:
            return value  # text such as "Duy trì thứ hạng": the caller decides
        return number / 100 if "%" in str(value) else number


def _short(value: object, limit: int = 40) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


_WS = re.compile(r"\s+")


def clean_cell_text(value: str) -> str:
    """A text as the tables read it: :func:`cchc_xl.core.text.clean_text` (NFC, no zero-width characters, no
    surrounding whitespace incl. NBSP) with every run of whitespace one space. The one cleaning of text cells:
    :meth:`Rows.text` and the dossier columns (:mod:`.dossier_table`) both call it.

    >>> clean_cell_text("  Trực\\u00a0tuyến \\n")
    'Trực tuyến'
    >>> clean_cell_text("Hoa\u0300n tha\u0300nh\u200b") == "Hoàn thành"
    True
    """
    if not value.isascii():
        value = clean_text(value)
    value = value.strip()
    # every \s character but the ASCII space is non-printable: printable text without double
    # spaces is already normalised (skips a regex call per cell)
    if "  " in value or not value.isprintable():
        value = _WS.sub(" ", value).strip()
    return value
