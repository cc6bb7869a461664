"""Read one exchange file (already screened by :mod:`cchc_xl.distribute.intake`) into a :class:`Submission`.

Reads with python-calamine from the bytes in memory (the bytes that were hashed and screened, so
the file cannot change in between) and checks, each failure becoming one Vietnamese reason in an
:class:`ExchangeFormatError`:

* the sheet ``Dữ liệu trao đổi`` and its table with the four headers are there (else: not an
  exchange file — e.g. the old values-only copy or any other workbook);
* the format name is ours and its version is not newer than this program understands;
* every identity key is present with the right type (dates as dates, the time as a date-time),
  the unit code is non-empty and made of letters, digits, ``.``, ``-``, ``_``;
* no key is repeated; counts are non-negative whole numbers; rates are blank or in ``[0, 1]`` and
  equal the rate recomputed from the counts (a hand-edited figure is caught);
* the custom document properties agree with the sheet (a file whose sheet was edited is caught);
* no external link part and no formula cell in the data sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from ..core.periods import PERIOD_KEYS
from ..errors import CchcError
from . import spec

__all__ = ["Submission", "ExchangeFormatError", "read_exchange"]

_CODE = spec.UNIT_CODE
_NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_RATE_TOLERANCE = 1e-9


class ExchangeFormatError(CchcError):
    """The file is not a valid exchange file; ``str()`` is the Vietnamese reason."""


@dataclass
class Submission:
    """One school's report for one period, as read from its exchange file."""

    values: dict[str, object]  # key -> int | float | str | date | datetime | None
    labels: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

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


def _custom_properties(zf: zipfile.ZipFile) -> dict[str, str]:
    from lxml import etree

    try:
        data = zf.read("docProps/custom.xml")
    except KeyError:
        return {}
    from ..io.ooxml.xmltext import SAFE_PARSER

    root = etree.fromstring(data, SAFE_PARSER)
    return {p.get("name", ""): "".join(p.itertext()).strip() for p in root.iter(f"{{{_NS_CUSTOM}}}property")}


def _as_property(value) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _typed(meta: spec.MetaKey, value):
    """``value`` as ``meta.kind`` or raise ExchangeFormatError."""
    where = f"khóa '{meta.key}' ({meta.label})"
    if value is None:
        if meta.required:
            raise ExchangeFormatError(f"thiếu {where}")
        return None
    if meta.kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
            raise ExchangeFormatError(f"{where} phải là số nguyên")
        return int(value)
    if meta.kind == "date":
        if isinstance(value, dt.datetime) and value.time() == dt.time(0):
            return value.date()
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        raise ExchangeFormatError(f"{where} phải là một ngày")
    if meta.kind == "datetime":
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        raise ExchangeFormatError(f"{where} phải là ngày giờ")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if meta.required and not text:
        raise ExchangeFormatError(f"thiếu {where}")
    return text


def read_exchange(data: bytes) -> Submission:
    """Parse and validate the exchange file in ``data``; raises :class:`ExchangeFormatError`."""
    from python_calamine import CalamineWorkbook

    zf = zipfile.ZipFile(io.BytesIO(data))
    names = zf.namelist()
    if any(n.lower().startswith("xl/externallinks/") for n in names):
        raise ExchangeFormatError("tệp có liên kết ngoài (external link); tệp trao đổi không được có")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
    except Exception as exc:  # noqa: BLE001 - a hostile file must never stop the run
        raise ExchangeFormatError(f"tệp bị hỏng, không đọc được ({type(exc).__name__})") from None
    if spec.SHEET_DATA not in book.sheet_names:
        raise ExchangeFormatError(f"tệp không phải tệp trao đổi báo cáo CCHC (không có trang '{spec.SHEET_DATA}'); "
                                  "hãy gửi tệp do nút 'Gửi báo cáo lên Sở' hoặc lệnh cchc-xl send tạo ra")
    if spec.TABLE_DATA not in book.table_names:
        raise ExchangeFormatError(f"trang '{spec.SHEET_DATA}' thiếu bảng '{spec.TABLE_DATA}'")
    table = book.get_table_by_name(spec.TABLE_DATA)
    if tuple(str(c).strip() for c in table.columns) != spec.DATA_HEADERS:
        raise ExchangeFormatError(f"bảng '{spec.TABLE_DATA}' có tiêu đề cột khác định dạng: "
                                  + ", ".join(str(c) for c in table.columns))
    _no_formulas(zf, book)
    values: dict[str, object] = {}
    labels: dict[str, str] = {}
    units: dict[str, str] = {}
    for i, row in enumerate(table.to_python(), start=2):
        key, label, value, unit = (list(row) + [None] * 4)[:4]
        key = str(key or "").strip()
        if not key:
            continue
        if key in values:
            raise ExchangeFormatError(f"khóa '{key}' bị lặp (dòng {i} của trang '{spec.SHEET_DATA}')")
        values[key] = None if value == "" else value
        labels[key] = str(label or "")
        units[key] = str(unit or "")
    if values.get("format.name") != spec.FORMAT_NAME:
        raise ExchangeFormatError(f"tệp không đúng định dạng trao đổi (định dạng '{values.get('format.name')}')")
    for meta in spec.META:
        values[meta.key] = _typed(meta, values.get(meta.key))
    version = values["format.version"]
    if version > spec.FORMAT_VERSION or version < 1:
        raise ExchangeFormatError(f"tệp theo định dạng phiên bản {version}, chương trình này chỉ đọc được đến phiên "
                                  f"bản {spec.FORMAT_VERSION}; hãy cập nhật cchc-xl")
    if not _CODE.match(values["unit.code"]):
        raise ExchangeFormatError(f"mã định danh của đơn vị '{values['unit.code']}' không hợp lệ")
    if values["period.key"] not in PERIOD_KEYS:
        raise ExchangeFormatError(f"mã kỳ báo cáo '{values['period.key']}' không hợp lệ")
    if values["period.from"] > values["period.to"]:
        raise ExchangeFormatError("kỳ báo cáo có ngày bắt đầu sau ngày kết thúc")
    _check_numbers(values)
    _check_properties(zf, values)
    return Submission(values, labels, units)


def _no_formulas(zf: zipfile.ZipFile, book) -> None:
    sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    for n in sheets:
        body = zf.read(n)
        if b"<f>" in body or b"<f " in body:
            raise ExchangeFormatError("tệp có công thức; tệp trao đổi chỉ chứa giá trị")


def _check_numbers(values: dict[str, object]) -> None:
    counts: dict[str, int] = {}
    for key, value in values.items():
        group = key.partition(".")[0]
        if group in ("tasks", "dossiers", "procedures"):
            if value is None:
                value = 0
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                    or not float(value).is_integer():
                raise ExchangeFormatError(f"khóa '{key}' phải là số nguyên không âm (đang là '{value}')")
            counts[key] = values[key] = int(value)
    for key, value in values.items():
        if not key.startswith("rates."):
            continue
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 <= value <= 1):
            raise ExchangeFormatError(f"khóa '{key}' phải là tỷ lệ từ 0 đến 1 (đang là '{value}')")
        if key in spec.RATE_FORMULAS:
            expected = spec.rate(key, counts)
            if (expected is None) != (value is None) or (
                    value is not None and abs(expected - value) > _RATE_TOLERANCE):
                raise ExchangeFormatError(f"tỷ lệ '{key}' không khớp với các số đếm trong tệp (có thể đã bị sửa tay)")
    for key, value in values.items():
        if key.startswith("indicator.") and key.endswith((".threshold", ".actual")) and isinstance(value, float) \
                and value != value:  # NaN
            raise ExchangeFormatError(f"khóa '{key}' không phải số")


def _check_properties(zf: zipfile.ZipFile, values: dict[str, object]) -> None:
    props = _custom_properties(zf)
    if not props:
        raise ExchangeFormatError("tệp thiếu thuộc tính nhận dạng (custom properties) của tệp trao đổi")
    for key, name in spec.PROPERTIES.items():
        if props.get(name, "") != _as_property(values.get(key)):
            raise ExchangeFormatError(f"thông tin nhận dạng không nhất quán: thuộc tính '{name}' khác khóa '{key}' "
                                      "trong trang dữ liệu (tệp có thể đã bị sửa)")
