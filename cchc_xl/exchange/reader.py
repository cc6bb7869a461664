"""Read one school's exchange file — bytes nobody vouches for — into a :class:`Submission`, within bounds.

The file is read the way every workbook is (:mod:`cchc_xl.io.ooxml`'s limits): the zip's part count,
declared sizes and compression ratios are checked before anything is inflated (``ZipIn``), then only the
members the reader needs are inflated, each counted against the cap with its CRC verified. The data
sheet's table must be the four columns of :data:`~cchc_xl.exchange.spec.DATA_HEADERS` and at most
:data:`MAX_ROWS` rows, and every cell and row the sheet declares (and its ``<dimension>``) must lie
inside that table: a table claiming ``A1:XFD1048576`` or a lone cell at ``XFD1048576`` is refused here,
in microseconds, before any reader lays a grid out. python-calamine then reads a package made of those
checked members only (:func:`_checked_package`), so it never meets a byte that was not counted.

Each failure is one Vietnamese reason in an :class:`ExchangeFormatError`, with a :class:`Cause` (stored
beside the verdict, so a later version of the program knows what it decided):

* not a package, corrupt, a bomb (:attr:`Cause.ARCHIVE`); macros (:attr:`Cause.MACRO`), an external link;
* no sheet ``Dữ liệu trao đổi`` with its table (not an exchange file — the old values-only copy, any
  other workbook); a table or sheet larger than the format allows (:attr:`Cause.LAYOUT`);
* a formula in the data sheet; a format name not ours or a newer version;
* identity keys missing or of the wrong type, a unit code not made of letters, digits, ``.-_``;
* values (:attr:`Cause.VALUE`): a key repeated; counts not whole numbers in ``[0, MAX_COUNT]``; rates not
  finite, outside ``[0, 1]`` or different from the rate recomputed from the counts (a hand-edited figure);
  an indicator number not finite or beyond ``±MAX_COUNT``; an indicator status not in the vocabulary;
  a text longer than a cell holds (32,767 characters) — each naming the key;
* custom document properties that disagree with the sheet (a file whose sheet was edited).

Cost: about a millisecond for a school's 45 KB file, most of it python-calamine's.

>>> read_exchange(b"PK\\x03\\x04 not a zip")
Traceback (most recent call last):
...
cchc_xl.exchange.reader.ExchangeFormatError: tệp bị hỏng (không giải nén được)
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import math
import posixpath
import re
from dataclasses import dataclass

from python_calamine import CalamineWorkbook

from .. import schema
from ..core.periods import PERIOD_KEYS
from ..core.text import MAX_CELL_CHARS, cell_length, clean_text
from ..errors import CchcError, WorkbookError
from ..io.ooxml.archive import ZipIn, ZipOut
from ..io.ooxml.limits import MAX_COPY_UNZIPPED_BYTES, MAX_RATIO
from ..io.ooxml.refs import parse_ref
from ..io.ooxml.xmltext import xml_unescape
from . import spec

__all__ = ["Submission", "ExchangeFormatError", "Cause", "read_exchange", "MAX_ROWS", "MAX_COUNT", "MAX_KEY_CHARS"]

MAX_ROWS = 5_000           # rows of the data table (a school's file has about 130)
MAX_COUNT = 10_000_000     # the largest count a school can report (tasks, dossiers, procedures)
MAX_KEY_CHARS = 200
_CODE = spec.UNIT_CODE
_KEY = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_\-]+)*$")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_COMMENT = re.compile(rb"<!--.*?-->", re.S)
_PROPERTY = re.compile(rb"<(?:[\w.-]+:)?property\s([^>]*)>(.*?)</(?:[\w.-]+:)?property>", re.S)
_TAGS = re.compile(rb"<[^>]*>")
_RATE_TOLERANCE = 1e-9
_COUNT_GROUPS = ("tasks", "dossiers", "procedures")
# In a worksheet only rows and cells have an attribute r. The data sheet's must all be written r="…" (no
# other spacing or quote) and be a row number or a reference in columns A:D with at most four digits, so
# that no reader can be made to lay out more than 9,999 × 4 cells; a formula cell: <f>, <x:f …/>.
# (A pattern that begins with a literal: Python's re then skips from one occurrence to the next.)
_ODD_OR_BAD_R = re.compile(rb""" r(?:\s+=|=\s|='|="(?![A-D]?[1-9][0-9]{0,3}"))""")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s/>]")
_ODD_R_ANY = re.compile(rb"""[\t\n\r]r\s*=""")       # an attribute r after another white space
_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\sref\s*=\s*["']([^"']*)["']""")
_STATUSES = frozenset(schema.INDICATOR_STATUS)


class Cause(enum.StrEnum):
    """Why a file was refused, stored with the verdict (the values are what the database holds)."""

    ARCHIVE = "archive"
    MACRO = "macro"
    EXTERNAL_LINK = "external_link"
    NOT_EXCHANGE = "not_exchange"
    LAYOUT = "layout"
    FORMULA = "formula"
    VERSION = "version"
    IDENTITY = "identity"
    VALUE = "value"
    PROPERTIES = "properties"


class ExchangeFormatError(CchcError):
    """The file is not a valid exchange file; ``str()`` is the Vietnamese reason, ``cause`` a :class:`Cause`."""

    def __init__(self, message: str, cause: Cause = Cause.VALUE):
        super().__init__(message)
        self.cause = cause


@dataclass
class Submission:
    """One school's report for one period, as read from its exchange file."""

    values: dict[str, object]  # key -> int | float | str | date | datetime | None

    @property
    def unit_code(self) -> str:
        return self.values["unit.code"]

    @property
    def unit_name(self) -> str:
        return self.values["unit.name"]

    @property
    def period_key(self) -> str:
        return self.values["period.key"]

    @property
    def period_year(self) -> int:
        return self.values["period.to"].year

    @property
    def made_at(self) -> dt.datetime:
        return self.values["made_at"]


# ------------------------------------------------------------------------------------------ the package


_ENGLISH_DETAIL = re.compile(r"\(không giải nén được: [^)]*\)")


def _archive_error(exc: WorkbookError) -> ExchangeFormatError:
    """The archive's sentence as a reason under the file's name, without the zip library's English detail."""
    text = _ENGLISH_DETAIL.sub("(không giải nén được)", str(exc).replace("Tệp 'tệp' ", "tệp ", 1))
    return ExchangeFormatError(text.split(". Hãy", 1)[0].rstrip("."), Cause.ARCHIVE)


class _Members:
    """The zip's members, each inflated at most once, when first read (``ZipIn``: counted, CRC checked)."""

    def __init__(self, data: bytes, max_unzipped: int):
        try:
            self.zin = ZipIn(data, "tệp", max_total=max_unzipped, max_ratio=MAX_RATIO, max_parts=2000,
                             inflate_small=False)
        except WorkbookError as exc:
            raise _archive_error(exc) from None
        self.infos = self.zin.infos
        self.names = self.zin.names
        self._read: dict[str, bytes] = {}

    def read(self, name: str) -> bytes:
        data = self._read.get(name)
        if data is None:
            try:
                data = self._read[name] = self.zin.read(name)
            except WorkbookError as exc:
                raise _archive_error(exc) from None
        return data


def _read(zin: _Members, name: str) -> bytes:
    return zin.read(name)


def _elements(zin, name: str, tag: str) -> list[dict[str, str]]:
    """The attributes of every ``<tag …>`` of the small part ``name`` (any namespace prefix; comments ignored).

    The few small parts the reader needs (workbook, relationships, table, properties: a few hundred bytes each) are
    read with regular expressions rather than parsed into a tree (an XML parse costs more than the rest of a part's
    reading). What matters stays checked: python-calamine, which parses them for itself, is only given the members
    chosen and checked here, and everything it reads from them is validated again."""
    data = _COMMENT.sub(b"", _read(zin, name))
    out = []
    for m in re.finditer(rb"<(?:[\w.-]+:)?" + tag.encode() + rb"\s([^>]*)>", data):
        out.append({k.decode("utf-8", "replace"): xml_unescape((v1 or v2).decode("utf-8", "replace"))
                    for k, v1, v2 in _ATTR.findall(m.group(1))})
    return out


def _member(zin, base: str, target: str) -> str | None:
    """The member a relationship target points at (relative to ``base``'s folder), or None when absent."""
    name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
    return name if name in zin.infos else None


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _targets(zin, part: str) -> dict[str, str]:
    """``{relationship id: member}`` of ``part`` (members that exist only)."""
    rels = _rels_of(part)
    if rels not in zin.infos:
        return {}
    out = {}
    for rel in _elements(zin, rels, "Relationship"):
        if rel.get("TargetMode") == "External":
            raise ExchangeFormatError("tệp có liên kết ngoài (external link); tệp trao đổi không được có",
                                      Cause.EXTERNAL_LINK)
        member = _member(zin, posixpath.dirname(part), rel.get("Target", ""))
        if member:
            out[rel.get("Id", "")] = member
    return out


def _rid(attrs: dict[str, str]) -> str:
    return next((v for k, v in attrs.items() if k.endswith(":id")), "")


def _locate(zin) -> tuple[str, str, str]:
    """``(data sheet member, its table member, the table's ref)``; raises when the file is not ours."""
    not_ours = ExchangeFormatError(
        f"tệp không phải tệp trao đổi báo cáo CCHC (không có trang '{spec.SHEET_DATA}'); hãy gửi tệp do nút "
        "'Gửi báo cáo lên Sở' hoặc lệnh cchc-xl send tạo ra", Cause.NOT_EXCHANGE)
    if "xl/workbook.xml" not in zin.infos:
        raise ExchangeFormatError("tệp không phải là sổ tính Excel (.xlsx)", Cause.NOT_EXCHANGE)
    targets = _targets(zin, "xl/workbook.xml")
    sheet = next((s for s in _elements(zin, "xl/workbook.xml", "sheet") if s.get("name") == spec.SHEET_DATA), None)
    if sheet is None or targets.get(_rid(sheet)) is None:
        raise not_ours
    part = targets[_rid(sheet)]
    for member in _targets(zin, part).values():
        if member.startswith("xl/tables/"):
            found = _elements(zin, member, "table")
            table = found[0] if found else {}
            if table.get("name") == spec.TABLE_DATA or table.get("displayName") == spec.TABLE_DATA:
                headers = tuple(clean_text(c.get("name", ""), single_line=True)
                                for c in _elements(zin, member, "tableColumn"))
                if headers != spec.DATA_HEADERS:
                    raise ExchangeFormatError(f"bảng '{spec.TABLE_DATA}' có tiêu đề cột khác định dạng: "
                                              + ", ".join(headers), Cause.LAYOUT)
                return part, member, table.get("ref", "")
    raise ExchangeFormatError(f"trang '{spec.SHEET_DATA}' thiếu bảng '{spec.TABLE_DATA}'", Cause.NOT_EXCHANGE)


def _bounds(ref: str) -> tuple[int, int, int, int]:
    try:
        return parse_ref(ref)
    except ValueError:
        raise ExchangeFormatError(f"bảng '{spec.TABLE_DATA}' có vùng '{ref}' không hợp lệ", Cause.LAYOUT) from None


def _check_extent(sheet: bytes, ref: str) -> int:
    """The number of data rows of the table (its ref checked: the four columns from column A, at most
    :data:`MAX_ROWS` rows), with every cell, row and the dimension of the sheet inside it; a formula anywhere
    in the sheet is refused. Regular expressions over the sheet's text: no cell is visited in Python."""
    r1, c1, r2, c2 = _bounds(ref)
    too_big = ExchangeFormatError(
        f"trang '{spec.SHEET_DATA}' khai báo vùng lớn bất thường (bảng {ref}); tệp có thể bị sửa bằng công cụ "
        "khác nên không được đọc", Cause.LAYOUT)
    if c1 != 1 or c2 != len(spec.DATA_HEADERS) or r2 <= r1 or r2 - r1 > MAX_ROWS:
        raise too_big
    if _ODD_OR_BAD_R.search(sheet) or ((b"\t" in sheet or b"\r" in sheet or sheet.find(b"\n", 100) >= 0)
                                       and _ODD_R_ANY.search(sheet)):
        raise too_big
    dim = _DIMENSION.search(sheet[:4096])
    if dim is not None:
        d1, _, d2, d4 = _bounds(dim.group(1).decode("ascii", "replace"))
        if d1 < r1 or d2 > r2 or d4 > c2:
            raise too_big
    if (b"<f" in sheet or b":f" in sheet) and _FORMULA.search(sheet):
        raise ExchangeFormatError("tệp có công thức; tệp trao đổi chỉ chứa giá trị", Cause.FORMULA)
    return r2 - r1


def _checked_package(zin, members: list[str]) -> bytes:
    """A package holding only ``members`` (each inflated and checked once already), their compressed bytes
    copied as they were: what python-calamine is given."""
    out = io.BytesIO()
    z = ZipOut(out)
    for name in members:
        z.copy_raw(zin.infos[name], zin.zin.raw(name))
    z.close()
    return out.getvalue()


def _rows(zin, sheet_part: str, table_part: str, ref: str) -> list[list]:
    n = _check_extent(_read(zin, sheet_part), ref)
    members = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
               "xl/styles.xml", "xl/sharedStrings.xml", sheet_part, _rels_of(sheet_part), table_part]
    members = [m for m in dict.fromkeys(members) if m in zin.infos]
    for name in members:
        _read(zin, name)                 # inflated within the caps, CRC checked
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(_checked_package(zin, members)), load_tables=True)
        table = book.get_table_by_name(spec.TABLE_DATA)
        rows = table.to_python()
    except BaseException as exc:  # calamine's errors and pyo3's PanicException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise ExchangeFormatError(f"tệp bị hỏng, không đọc được bảng dữ liệu ({type(exc).__name__})",
                                  Cause.ARCHIVE) from None
    return rows[:n]


# ------------------------------------------------------------------------------------------ the values


def _typed(meta: spec.MetaKey, value):
    """``value`` as ``meta.kind`` or raise ExchangeFormatError."""
    where = f"khóa '{meta.key}' ({meta.label})"
    if value is None:
        if meta.required:
            raise ExchangeFormatError(f"thiếu {where}", Cause.IDENTITY)
        return None
    if meta.kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not float(value).is_integer() or abs(value) > MAX_COUNT:
            raise ExchangeFormatError(f"{where} phải là số nguyên", Cause.IDENTITY)
        return int(value)
    if meta.kind == "date":
        if isinstance(value, dt.datetime) and value.time() == dt.time(0):
            return value.date()
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        raise ExchangeFormatError(f"{where} phải là một ngày", Cause.IDENTITY)
    if meta.kind == "datetime":
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        raise ExchangeFormatError(f"{where} phải là ngày giờ", Cause.IDENTITY)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ExchangeFormatError(f"{where} không hợp lệ", Cause.IDENTITY)
        return str(int(value)) if float(value).is_integer() else str(value)
    text = clean_text(str(value), single_line=True)
    if meta.required and not text:
        raise ExchangeFormatError(f"thiếu {where}", Cause.IDENTITY)
    return text


def _cell_value(key: str, value):
    """A value as stored: '' → None, texts cleaned and within a cell's length, numbers finite."""
    if value.__class__ is float:
        if value - value != 0:           # inf, -inf, nan
            raise ExchangeFormatError(f"khóa '{key}' không phải số hữu hạn (đang là '{value}')", Cause.VALUE)
        return value
    if value == "" or value is None:
        return None
    if isinstance(value, str):
        if cell_length(value) > MAX_CELL_CHARS:
            raise ExchangeFormatError(f"khóa '{key}' có nội dung dài {_int(cell_length(value))} ký tự, quá giới hạn "
                                      f"{_int(MAX_CELL_CHARS)} ký tự của một ô", Cause.VALUE)
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ExchangeFormatError(f"khóa '{key}' không phải số hữu hạn (đang là '{value}')", Cause.VALUE)
    return value


def read_exchange(data: bytes, *, max_unzipped: int | None = None) -> Submission:
    """Parse and validate the exchange file in ``data``; raises :class:`ExchangeFormatError`."""
    zin = _Members(data, max_unzipped or MAX_COPY_UNZIPPED_BYTES)
    names = zin.names
    if any(n.lower().startswith("xl/externallinks/") for n in names):
        raise ExchangeFormatError("tệp có liên kết ngoài (external link); tệp trao đổi không được có",
                                  Cause.EXTERNAL_LINK)
    sheet_part, table_part, ref = _locate(zin)
    types = _read(zin, "[Content_Types].xml") if "[Content_Types].xml" in zin.infos else b""
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
        raise ExchangeFormatError("tệp có macro (VBA); tệp trao đổi không được có macro", Cause.MACRO)
    values: dict[str, object] = {}
    for i, row in enumerate(_rows(zin, sheet_part, table_part, ref), start=2):
        key, value = (row[0] if row else ""), (row[2] if len(row) > 2 else None)
        key = key.strip() if isinstance(key, str) else str(key)
        if not key:
            continue
        if len(key) > MAX_KEY_CHARS or not _KEY.match(key):
            raise ExchangeFormatError(f"khóa '{key[:60]}' (dòng {i} của trang '{spec.SHEET_DATA}') không hợp lệ",
                                      Cause.VALUE)
        if key in values:
            raise ExchangeFormatError(f"khóa '{key}' bị lặp (dòng {i} của trang '{spec.SHEET_DATA}')", Cause.VALUE)
        values[key] = _cell_value(key, value)
    if values.get("format.name") != spec.FORMAT_NAME:
        shown = str(values.get("format.name"))[:80]
        raise ExchangeFormatError(f"tệp không đúng định dạng trao đổi (định dạng '{shown}')", Cause.NOT_EXCHANGE)
    for meta in spec.META:
        values[meta.key] = _typed(meta, values.get(meta.key))
    version = values["format.version"]
    if version > spec.FORMAT_VERSION or version < 1:
        raise ExchangeFormatError(f"tệp theo định dạng phiên bản {version}, chương trình này chỉ đọc được đến phiên "
                                  f"bản {spec.FORMAT_VERSION}; hãy cập nhật cchc-xl", Cause.VERSION)
    if not _CODE.match(values["unit.code"]):
        raise ExchangeFormatError(f"mã định danh của đơn vị '{values['unit.code'][:80]}' không hợp lệ", Cause.IDENTITY)
    if values["period.key"] not in PERIOD_KEYS:
        raise ExchangeFormatError(f"mã kỳ báo cáo '{values['period.key'][:20]}' không hợp lệ", Cause.IDENTITY)
    if values["period.from"] > values["period.to"]:
        raise ExchangeFormatError("kỳ báo cáo có ngày bắt đầu sau ngày kết thúc", Cause.IDENTITY)
    _check_numbers(values, version)
    _check_properties(zin, values)
    return Submission(values)


def _check_numbers(values: dict[str, object], version: int) -> None:
    """Counts whole numbers in ``[0, MAX_COUNT]`` (a blank count is 0), rates in ``[0, 1]`` and equal to their
    counts by the formulas of the file's format ``version``, indicator numbers within ``±MAX_COUNT``, indicator
    statuses from the vocabulary."""
    counts: dict[str, int] = {}
    rates: list[str] = []
    for key, value in values.items():
        group = key[:key.find(".")]
        if group in _COUNT_GROUPS:
            if value is None:
                value = 0
            if value.__class__ not in (int, float) or not 0 <= value <= MAX_COUNT or value != int(value):
                raise ExchangeFormatError(f"khóa '{key}' phải là số nguyên từ 0 đến {_int(MAX_COUNT)} (đang là "
                                          f"'{_shown(value)}')", Cause.VALUE)
            counts[key] = values[key] = int(value)
        elif group == "rates":
            if value is not None and (value.__class__ not in (int, float) or not 0 <= value <= 1):
                raise ExchangeFormatError(f"khóa '{key}' phải là tỷ lệ từ 0 đến 1 (đang là '{_shown(value)}')",
                                          Cause.VALUE)
            rates.append(key)
        elif group == "indicator":
            fld = key[key.rfind(".") + 1:]
            if fld == "status":
                if value not in _STATUSES:
                    raise ExchangeFormatError(f"khóa '{key}' có đánh giá '{_shown(value)}' không thuộc các mức "
                                              + ", ".join(schema.INDICATOR_STATUS), Cause.VALUE)
            elif fld in ("threshold", "actual"):
                if value.__class__ in (int, float) and not abs(value) <= MAX_COUNT:
                    raise ExchangeFormatError(f"khóa '{key}' có giá trị ngoài khoảng cho phép (đang là "
                                              f"'{_shown(value)}')", Cause.VALUE)
            elif value is not None and value.__class__ is not str:
                values[key] = str(value)
    for key in rates:
        if key in spec.RATE_FORMULAS:
            value = values[key]
            if not any((expected is None) == (value is None)
                       and (value is None or abs(expected - value) <= _RATE_TOLERANCE)
                       for expected in spec.rates_allowed(key, counts, version)):
                raise ExchangeFormatError(f"tỷ lệ '{key}' không khớp với các số đếm trong tệp (có thể đã bị sửa tay)",
                                          Cause.VALUE)


def _int(n: int) -> str:
    """``10000000`` → ``"10.000.000"``."""
    return f"{n:,}".replace(",", ".")


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _custom_properties(zin) -> dict[str, str]:
    if "docProps/custom.xml" not in zin.infos:
        return {}
    data = _COMMENT.sub(b"", _read(zin, "docProps/custom.xml"))
    out = {}
    for m in _PROPERTY.finditer(data):
        attrs = {k: (v1 or v2) for k, v1, v2 in _ATTR.findall(m.group(1))}
        name = xml_unescape(attrs.get(b"name", b"").decode("utf-8", "replace"))
        out[name] = xml_unescape(_TAGS.sub(b"", m.group(2)).decode("utf-8", "replace")).strip()
    return out


def _as_property(value) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _check_properties(zin, values: dict[str, object]) -> None:
    props = _custom_properties(zin)
    if not props:
        raise ExchangeFormatError("tệp thiếu thuộc tính nhận dạng (custom properties) của tệp trao đổi",
                                  Cause.PROPERTIES)
    for key, name in spec.PROPERTIES.items():
        if clean_text(props.get(name, ""), single_line=True) != _as_property(values.get(key)):
            raise ExchangeFormatError(f"thông tin nhận dạng không nhất quán: thuộc tính '{name}' khác khóa '{key}' "
                                      "trong trang dữ liệu (tệp có thể đã bị sửa)", Cause.PROPERTIES)
