"""Surgical OOXML package reader/writer for .xlsx/.xlsm workbooks.

The whole zip is held in memory as ``part name -> bytes``. Parts that are never
touched are written back with exactly the same bytes and compression type; the
few parts we change (a worksheet, ``xl/styles.xml``, a table, the workbook, rels,
content types) are parsed with lxml, edited in place and re-serialized. openpyxl
is never used to save: it drops the ribbon, Excel 2010 extensions and text boxes.

Row and column numbers are 1-based everywhere. Part names have no leading slash
(``xl/worksheets/sheet1.xml``).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import io
import math
import numbers
import os
import posixpath
import re
import shutil
import tempfile
import unicodedata
import zipfile
from bisect import bisect_left, insort
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from lxml import etree

from ..errors import WorkbookChangedError, WorkbookError, WorkbookLockedError

__all__ = [
    "Package",
    "Cell",
    "SheetData",
    "SheetInfo",
    "TableInfo",
    "DefinedName",
    "Rel",
    "ContentTypes",
    "Formula",
    "col_letter",
    "col_index",
    "cell_ref",
    "parse_ref",
    "lock_file_for",
    "is_date_format",
    "make_backup",
]

# --------------------------------------------------------------------------- constants

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
RID = "{%s}id" % NS_R

REL_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"

CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 250            # uncompressed / compressed, checked for parts bigger than RATIO_MIN_SIZE
RATIO_MIN_SIZE = 1024 * 1024
MAX_PARTS = 20000
KEEP_BACKUPS = 5
# zlib level of the parts we re-serialize or write: ~4x faster than the default (6) on a big worksheet for
# ~25% more bytes (Excel recompresses on its next save); untouched parts keep the default level.
WRITE_LEVEL = 2
NEW_PART_DATE = (1980, 1, 1, 0, 0, 0)
XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

# CT_Worksheet child order (ECMA-376 Part 1, 18.3.1.99).
WORKSHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
    "extLst",
]
STYLESHEET_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
                    "dxfs", "tableStyles", "colors", "extLst"]
WORKBOOK_ORDER = ["fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                  "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
                  "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                  "fileRecoveryPr", "webPublishObjects", "extLst"]
FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz",
              "color", "name", "family", "charset", "scheme"]

BUILTIN_DATE_FORMATS = frozenset(range(14, 23)) | {45, 46, 47}
# Builtin formats whose meaning does not depend on the locale (safe to reuse by id).
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
                   "0.00E+00": 11, "@": 49}
DATE_FMT = "dd/mm/yyyy"
DATETIME_FMT = "dd/mm/yyyy hh:mm"
TIME_FMT = "hh:mm"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_blank_text=False)
_HUGE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                               remove_blank_text=False)

_DIGITS = "0123456789"
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE_TOKEN = re.compile(r"[dmyhs]", re.I)
_FMT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKET = re.compile(r"\[([^\]]*)\]")
_BACKUP_TS = re.compile(r"^\d{8}-\d{6}(-\d+)?$")
# fast worksheet scanner (see Package._parse_sheet_fast)
_CELL_SIMPLE = re.compile(r'<c r="([A-Z]{1,3})([0-9]+)"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?([^>]*?)'
                          r'(?:/>|><v>([^<]*)</v></c>|><is>(<t(?: xml:space="preserve")?>[^<]*)</t></is></c>'
                          r'|>(.*?)</c>)', re.S)
_CELL_RE = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_FAST_ATTR = re.compile(r'\s+r="([A-Z]{1,3})(\d+)"(?:\s+s="(\d+)")?(?:\s+t="(\w+)")?\s*')
_ATTR = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_V_RE = re.compile(r"<v\b[^>]*?(?:/>|>(.*?)</v>)", re.S)
_F_RE = re.compile(r"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_SI_RE = re.compile(r"""\ssi\s*=\s*["']([^"']*)""")
_IS_RE = re.compile(r"<is>(.*?)</is>", re.S)
_T_RE = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_RPH_RE = re.compile(r"<rPh\b.*?</rPh>", re.S)
_MERGE_RE = re.compile(r"""<mergeCell\b[^>]*?\sref\s*=\s*["']([^"']+)""")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


# --------------------------------------------------------------------------- small public types

@dataclass(slots=True)
class Cell:
    """One cell: ``value`` is None | str | float | int | bool | datetime (cached value for formulas)."""

    value: object = None
    formula: str | None = None      # "=SUM(A1:A3)" or None
    error: str | None = None        # "#N/A", "#DIV/0!", … (value is then None)
    style: int = 0                  # cellXfs index
    merged: bool = False            # inside a merged range


@dataclass
class SheetData:
    name: str
    cells: dict[tuple[int, int], Cell]
    merged: list[tuple[int, int, int, int]]
    max_row: int
    max_col: int


@dataclass(frozen=True)
class SheetInfo:
    name: str
    sheet_id: int
    rid: str
    part: str | None
    kind: str          # worksheet | chartsheet | dialogsheet | macrosheet
    state: str         # visible | hidden | veryHidden


@dataclass(frozen=True)
class TableInfo:
    name: str
    display_name: str
    sheet: str
    part: str
    ref: str
    headers: list[str]
    header_row_count: int = 1
    totals_row_count: int = 0


@dataclass(frozen=True)
class DefinedName:
    name: str
    value: str
    sheet: str | None = None     # set for sheet-local names
    hidden: bool = False


@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str                  # as written
    part: str | None             # resolved part name (None for external targets)
    external: bool = False


@dataclass(frozen=True)
class Formula:
    """Write a real formula with :meth:`Package.set_cells` (plain strings always stay text)."""

    text: str


# --------------------------------------------------------------------------- reference helpers

_COL_CACHE: dict[str, int] = {}


def col_index(letters: str) -> int:
    """'A' -> 1, 'AB' -> 28."""
    n = _COL_CACHE.get(letters)
    if n is None:
        n = 0
        for ch in letters.upper():
            n = n * 26 + (ord(ch) - 64)
        _COL_CACHE[letters] = n
    return n


def col_letter(col: int) -> str:
    s = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def cell_ref(row: int, col: int) -> str:
    return f"{col_letter(col)}{row}"


def _split_ref(ref: str) -> tuple[int, int]:
    ref = ref.replace("$", "")
    letters = ref.rstrip(_DIGITS)
    return int(ref[len(letters):]), col_index(letters)


def parse_ref(ref: str) -> tuple[int, int, int, int]:
    """'A1:M32' -> (1, 1, 32, 13); 'B2' -> (2, 2, 2, 2)."""
    a, _, b = ref.partition(":")
    r1, c1 = _split_ref(a)
    r2, c2 = _split_ref(b) if b else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _range_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    a, b = cell_ref(r1, c1), cell_ref(r2, c2)
    return a if a == b else f"{a}:{b}"


def _norm_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _xml_unescape(text: str) -> str:
    def sub(m):
        e = m.group(1)
        if e[0] == "#":
            return chr(int(e[2:], 16) if e[1] in "xX" else int(e[1:]))
        return _ENTITIES[e]
    return _ENTITY.sub(sub, text)


_ABSENT = object()


def _triple(value, formula, error):
    return value, formula, error


def _none():
    return None


def _mark_merged(cells: dict, merged: list) -> None:
    for r1, c1, r2, c2 in merged:
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= len(cells):
            for rr in range(r1, r2 + 1):
                for cc in range(c1, c2 + 1):
                    cell = cells.get((rr, cc))
                    if cell is not None:
                        cell.merged = True
        else:
            for (rr, cc), cell in cells.items():
                if r1 <= rr <= r2 and c1 <= cc <= c2:
                    cell.merged = True


def _unescape(text: str) -> str:
    if "_x" in text:
        return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def _escape(text: str) -> str:
    """Make ``text`` safe for a cell: OOXML ``_xHHHH_`` escapes for characters XML forbids."""
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: "_x005F" + m.group(0), text)
    text = _ILLEGAL.sub(lambda m: "_x%04X_" % ord(m.group(0)), text)
    return _SURROGATE.sub("\ufffd", text)


def is_date_format(code: str) -> bool:
    """True when a number format code displays a date or a time."""
    section = code.split(";")[0]
    for m in _BRACKET.finditer(section):
        if re.fullmatch(r"[hms]+", m.group(1), re.I):
            return True
    section = _BRACKET.sub("", _FMT_NOISE.sub("", section))
    return bool(_DATE_TOKEN.search(section))


def lock_file_for(path: str | os.PathLike) -> Path | None:
    """Excel's owner file (``~$NAME``) beside ``path`` when it exists."""
    p = Path(path)
    candidates = [p.with_name("~$" + p.name)]
    if len(p.name) > 2 and not p.with_name(p.name[2:]).exists():
        candidates.append(p.with_name("~$" + p.name[2:]))
    for c in candidates:
        if c.exists():
            return c
    return None


# --------------------------------------------------------------------------- dates

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def _from_serial(serial: float, date1904: bool) -> dt.datetime | float:
    if serial < 0 or serial > 2958465.99999:
        return serial
    if date1904:
        base = _EPOCH_1904
    elif serial < 60:
        base = dt.datetime(1899, 12, 31)      # Excel's fictitious 1900-02-29 sits at 60
        if serial < 1:
            base = _EPOCH_1900
    else:
        base = _EPOCH_1900
    return base + dt.timedelta(milliseconds=round(serial * 86_400_000))


def _to_serial(value: dt.date | dt.datetime | dt.time, date1904: bool) -> float | int:
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if isinstance(value, dt.datetime):
        d = value.replace(tzinfo=None)
    else:
        d = dt.datetime(value.year, value.month, value.day)
    base = _EPOCH_1904 if date1904 else _EPOCH_1900
    delta = d - base
    if not date1904 and d < dt.datetime(1900, 3, 1):
        delta -= dt.timedelta(days=1)
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return int(serial) if serial == int(serial) else serial


# --------------------------------------------------------------------------- XML helpers

def _parse(data: bytes, part: str, filename: str):
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        if "huge" in str(exc).lower():
            try:
                return etree.fromstring(data, _HUGE_PARSER)
            except etree.XMLSyntaxError as exc2:
                exc = exc2
        raise WorkbookError(f"Tệp '{filename}' bị hỏng: phần '{part}' không phải XML hợp lệ ({exc}).") from None


def _ns(el) -> str:
    return "{%s}" % etree.QName(el).namespace if el.tag.startswith("{") else ""


def _local(el) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _insert_ordered(parent, new, order: list[str]) -> None:
    """Insert ``new`` among ``parent``'s children respecting the schema ``order``."""
    idx = order.index(_local(new))
    for child in parent:
        name = _local(child)
        if name in order and order.index(name) > idx:
            child.addprevious(new)
            return
    parent.append(new)


def _sig(el) -> tuple:
    """Comparable signature of an element (tag, attributes, children)."""
    return (_local(el), tuple(sorted((k, v) for k, v in el.attrib.items())),
            (el.text or "").strip(), tuple(_sig(c) for c in el if isinstance(c.tag, str)))


def _text_of(el, t_tag: str, r_tag: str) -> str:
    """Text of an <si>/<is>: a direct <t>, or the <t> of every rich text run (phonetic runs ignored)."""
    parts = []
    for ch in el:
        tag = ch.tag
        if tag == t_tag:
            parts.append(ch.text or "")
        elif tag == r_tag:
            for t in ch:
                if t.tag == t_tag:
                    parts.append(t.text or "")
    return _unescape("".join(parts))


def _new_first_child(parent, tag: str):
    """A new empty first child; SubElement (when there are no children yet) is ~2x cheaper than
    Element + insert, which builds a temporary document per element."""
    if len(parent):
        el = etree.Element(tag)
        parent.insert(0, el)
        return el
    return etree.SubElement(parent, tag)


def _rels_name(part: str) -> str:
    d, b = posixpath.split(part)
    return posixpath.join(d, "_rels", b + ".rels") if part else "_rels/.rels"


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    base = posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def _relative(source: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source) or ".")


def _same_type(rel_type: str, kind: str) -> bool:
    return rel_type.rsplit("/", 1)[-1] == kind


# --------------------------------------------------------------------------- content types

def _decode_body(body: str, r: int, c: int, masters: dict) -> tuple[str | None, str | None, str | None, str | None]:
    """A cell's inner XML → ``(value text, formula, inline string, shared-formula id to resolve)``.

    A shared formula's master (it has text) is recorded in ``masters``; a dependent cell returns its id.
    """
    vtext = formula = inline = dep_si = None
    vm = _V_RE.search(body)
    if vm:
        vtext = vm.group(1) or ""
        if "&" in vtext:
            vtext = _xml_unescape(vtext)
    fmm = _F_RE.search(body)
    if fmm:
        fattrs, ftext = fmm.group(1), fmm.group(2)
        if ftext and "&" in ftext:
            ftext = _xml_unescape(ftext)
        formula = "=" + ftext if ftext else "="
        if 't="shared"' in fattrs:
            sim = _SI_RE.search(fattrs)
            si = sim.group(1) if sim else None
            if ftext:
                masters[si] = (ftext, r, c)
            else:
                dep_si = si
    im = _IS_RE.search(body)
    if im:
        inner = _RPH_RE.sub("", im.group(1))
        inline = _unescape(_xml_unescape("".join(x or "" for x in _T_RE.findall(inner))))
    return vtext, formula, inline, dep_si


class ContentTypes:
    """Read/modify ``[Content_Types].xml``."""

    PART = "[Content_Types].xml"

    def __init__(self, pkg: "Package"):
        self._pkg = pkg

    @property
    def _root(self):
        return self._pkg._xml(self.PART)

    def get(self, part: str) -> str | None:
        root = self._pkg._xml_ro(self.PART)
        want = "/" + part.lstrip("/").lower()
        for el in root:
            if _local(el) == "Override" and el.get("PartName", "").lower() == want:
                return el.get("ContentType")
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        for el in root:
            if _local(el) == "Default" and el.get("Extension", "").lower() == ext:
                return el.get("ContentType")
        return None

    def overrides(self) -> dict[str, str]:
        root = self._pkg._xml_ro(self.PART)
        return {el.get("PartName").lstrip("/"): el.get("ContentType") for el in root if _local(el) == "Override"}

    def defaults(self) -> dict[str, str]:
        root = self._pkg._xml_ro(self.PART)
        return {el.get("Extension"): el.get("ContentType") for el in root if _local(el) == "Default"}

    def set_override(self, part: str, content_type: str) -> None:
        root = self._root
        want = "/" + part.lstrip("/")
        for el in root:
            if _local(el) == "Override" and el.get("PartName", "").lower() == want.lower():
                if el.get("ContentType") != content_type:
                    el.set("ContentType", content_type)
                return
        etree.SubElement(root, _ns(root) + "Override", PartName=want, ContentType=content_type)

    def remove_override(self, part: str) -> None:
        want = "/" + part.lstrip("/").lower()
        root = self._pkg._xml_ro(self.PART)
        if not any(_local(el) == "Override" and el.get("PartName", "").lower() == want for el in root):
            return
        root = self._root
        for el in list(root):
            if _local(el) == "Override" and el.get("PartName", "").lower() == want:
                root.remove(el)

    def ensure_default(self, ext: str, content_type: str) -> None:
        root = self._pkg._xml_ro(self.PART)
        if any(_local(el) == "Default" and el.get("Extension", "").lower() == ext.lower() for el in root):
            return
        root = self._root
        el = etree.Element(_ns(root) + "Default", Extension=ext, ContentType=content_type)
        defaults = [c for c in root if _local(c) == "Default"]
        if defaults:
            defaults[-1].addnext(el)
        else:
            root.insert(0, el)


# --------------------------------------------------------------------------- the package

class Package:
    """An .xlsx/.xlsm package held in memory. Use :meth:`open` or :meth:`from_bytes`."""

    def __init__(self, data: bytes, filename: str = "workbook.xlsx", *, path: Path | None = None,
                 max_total: int = MAX_TOTAL_BYTES, max_ratio: float = MAX_RATIO):
        self.path = path
        self.filename = filename
        self._fingerprint: tuple[int, int, str] | None = None
        self._parts: dict[str, bytes] = {}
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self._order: list[str] = []
        self._trees: dict[str, object] = {}      # parsed parts that are (to be) modified
        self._ro: dict[str, object] = {}         # parsed parts only read so far (never mutated)
        self._num_fmt_xf: dict[tuple[int, str], int] = {}
        self._styles_name: str | None = None
        self._lower: dict[str, str] = {}
        self._sst: list[str] | None = None
        self._date_xfs: list[bool] | None = None
        self._style_cache: dict[tuple, int] = {}
        self._sheet_cache: dict[str, SheetData] = {}
        self._refs_ok: dict[str, object] = {}     # part -> the <sheetData> known to have every r (set_cells)
        self._written: set[str] = set()           # parts given new bytes by write_part
        self._load(data, max_total, max_ratio)
        self.content_types = ContentTypes(self)
        self.workbook_part = self._find_workbook()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | os.PathLike, **limits) -> "Package":
        p = Path(path)
        try:
            with open(p, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read()
        except FileNotFoundError:
            raise WorkbookError(f"Không tìm thấy tệp '{p}'.") from None
        except IsADirectoryError:
            raise WorkbookError(f"'{p}' là một thư mục, không phải tệp Excel.") from None
        except PermissionError:
            raise WorkbookError(f"Không đọc được tệp '{p.name}': không có quyền hoặc tệp đang bị khóa.") from None
        pkg = cls(data, p.name, path=p, **limits)
        pkg._fingerprint = (st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())
        return pkg

    @classmethod
    def from_bytes(cls, data: bytes, filename: str = "workbook.xlsx", **limits) -> "Package":
        return cls(data, filename, **limits)

    def _load(self, data: bytes, max_total: int, max_ratio: float) -> None:
        name = self.filename
        if data[:8] == CFB_SIGNATURE:
            raise WorkbookError(
                f"Tệp '{name}' được đặt mật khẩu hoặc là tệp .xls cũ: hãy gỡ mật khẩu hoặc mở bằng Excel và "
                f"lưu thành .xlsx/.xlsm rồi chạy lại.")
        if data[:2] != b"PK":
            raise WorkbookError(f"Tệp '{name}' không phải là sổ tính Excel (.xlsx/.xlsm).")
        corrupt = f"Tệp '{name}' bị hỏng (không giải nén được"
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise WorkbookError(f"{corrupt}: {exc}). Hãy mở lại bằng Excel để sửa hoặc dùng bản sao lưu.") from None
        infos = zf.infolist()
        if len(infos) > MAX_PARTS:
            raise WorkbookError(f"Tệp '{name}' có quá nhiều thành phần ({len(infos)}); từ chối mở để an toàn.")
        total = sum(i.file_size for i in infos)
        if total > max_total:
            raise WorkbookError(
                f"Tệp '{name}' quá lớn khi giải nén ({total / 1048576:.0f} MB, giới hạn "
                f"{max_total / 1048576:.0f} MB); có thể là tệp độc hại hoặc bị hỏng nên không mở.")
        for i in infos:
            if i.file_size > RATIO_MIN_SIZE and i.file_size > max_ratio * max(i.compress_size, 1):
                raise WorkbookError(
                    f"Tệp '{name}' có thành phần '{i.filename}' nén bất thường (tỉ lệ "
                    f"{i.file_size // max(i.compress_size, 1)}:1); có thể là tệp độc hại nên không mở.")
        for i in infos:
            if i.filename in self._parts:
                raise WorkbookError(f"{corrupt}: thành phần '{i.filename}' bị trùng). Hãy mở lại bằng Excel để sửa.")
            try:
                self._parts[i.filename] = zf.read(i)
            except Exception as exc:  # bad CRC, truncated data (zlib.error, EOFError), unsupported method
                raise WorkbookError(f"{corrupt}: {exc}). Hãy mở lại bằng Excel để sửa hoặc dùng bản sao lưu.") from None
            self._infos[i.filename] = i
            self._order.append(i.filename)
            self._lower[i.filename.lower()] = i.filename
        if ContentTypes.PART not in self._parts:
            raise WorkbookError(f"Tệp '{name}' không phải là sổ tính Excel (thiếu [Content_Types].xml).")

    def _find_workbook(self) -> str:
        part = None
        if self.has_part("_rels/.rels"):
            for rel in self.rels(""):
                if _same_type(rel.type, "officeDocument") and rel.part:
                    part = self._real(rel.part)
                    break
        if part is None or part not in self._parts:
            part = self._real("xl/workbook.xml")
        if part not in self._parts:
            if self.has_part("xl/workbook.bin"):
                raise WorkbookError(f"Tệp '{self.filename}' là sổ tính nhị phân .xlsb, chưa được hỗ trợ; "
                                    f"hãy lưu lại thành .xlsx/.xlsm.")
            raise WorkbookError(f"Tệp '{self.filename}' không có phần xl/workbook.xml nên không phải là sổ tính Excel.")
        return part

    # ------------------------------------------------------------------ raw parts

    def _real(self, name: str) -> str:
        name = name.lstrip("/")
        return name if name in self._parts else self._lower.get(name.lower(), name)

    def part_names(self) -> list[str]:
        return list(self._order)

    def has_part(self, name: str) -> bool:
        return self._real(name) in self._parts

    def read_part(self, name: str) -> bytes | None:
        name = self._real(name)
        if name in self._trees:
            self._flush(name)
        return self._parts.get(name)

    def write_part(self, name: str, data: bytes, content_type: str | None = None) -> None:
        name = self._real(name)
        self._trees.pop(name, None)
        self._ro.pop(name, None)
        if name not in self._parts:
            self._order.append(name)
            self._lower[name.lower()] = name
        self._parts[name] = bytes(data)
        self._written.add(name)
        self._invalidate(name)
        if content_type:
            self.content_types.set_override(name, content_type)

    def delete_part(self, name: str) -> None:
        """Remove a part, every relationship pointing to it, its own rels and its content-type override.

        Parts that only it referenced (e.g. a VBA signature) are removed too. Not for sheets.
        """
        name = self._real(name)
        if name not in self._parts:
            return
        if any(s.part == name for s in self.sheets()):
            raise ValueError("delete_part() cannot remove a sheet")
        self._drop(name)
        self._sheet_cache.clear()

    def _drop(self, name: str) -> None:
        own_rels = _rels_name(name)
        targets = [r.part for r in self.rels(name) if r.part and not r.external] if own_rels in self._parts else []
        for n in (name, own_rels):
            if n in self._parts:
                del self._parts[n]
                self._trees.pop(n, None)
                self._ro.pop(n, None)
                self._order.remove(n)
                self._lower.pop(n.lower(), None)
                self.content_types.remove_override(n)
        for rp in [p for p in self._order if p.endswith(".rels")]:
            src = self._rels_source(rp)
            root = self._xml_ro(rp)
            hits = [el for el in root if not el.get("TargetMode") == "External"
                    and self._real(_resolve(src, el.get("Target", ""))) == name]
            if hits:
                root = self._xml(rp)
                for el in list(root):
                    if el.get("TargetMode") != "External" and self._real(_resolve(src, el.get("Target", ""))) == name:
                        root.remove(el)
        for t in targets:
            t = self._real(t)
            if t in self._parts and not self._referenced(t):
                self._drop(t)
        self._invalidate(name)

    def _referenced(self, part: str) -> bool:
        for rp in [p for p in self._order if p.endswith(".rels")]:
            src = self._rels_source(rp)
            for el in self._xml_ro(rp):
                if el.get("TargetMode") != "External" and self._real(_resolve(src, el.get("Target", ""))) == part:
                    return True
        return False

    @staticmethod
    def _rels_source(rels_part: str) -> str:
        d, b = posixpath.split(rels_part)
        return posixpath.join(posixpath.dirname(d), b[:-5]) if b != ".rels" else ""

    def _invalidate(self, name: str) -> None:
        low = name.lower()
        if low.endswith("sharedstrings.xml"):
            self._sst = None
        if low.endswith("styles.xml"):
            self._date_xfs = None
            self._style_cache.clear()
            self._num_fmt_xf.clear()
        if low.endswith(".rels") or low == ContentTypes.PART.lower():
            self._styles_name = None
        self._sheet_cache.pop(name, None)

    # parsed XML: _xml_ro gives a tree that must not be modified; _xml gives one that will be re-serialized
    def _xml_ro(self, name: str):
        name = self._real(name)
        tree = self._trees.get(name)
        if tree is None:
            tree = self._ro.get(name)
        if tree is None:
            tree = self._ro[name] = self._parse_part(name)
        return tree

    def _parse_part(self, name: str):
        data = self._parts.get(name)
        if data is None:
            raise WorkbookError(f"Tệp '{self.filename}' thiếu phần '{name}'.")
        return _parse(data, name, self.filename)

    def _xml(self, name: str, invalidate: bool = True):
        """The tree of a part that is going to be modified (re-serialized on save)."""
        name = self._real(name)
        tree = self._trees.get(name)
        if tree is None:
            tree = self._ro.pop(name, None)
            if tree is None:
                tree = self._parse_part(name)
            self._trees[name] = tree
        if invalidate:
            self._invalidate(name)
        return tree

    def _flush(self, name: str) -> None:
        tree = self._trees.get(name)
        if tree is not None:
            self._parts[name] = XML_DECL + etree.tostring(tree, encoding="UTF-8")

    # ------------------------------------------------------------------ relationships

    def rels(self, part: str) -> list[Rel]:
        """Relationships of ``part`` ('' for the package root)."""
        rp = self._real(_rels_name(part))
        if rp not in self._parts:
            return []
        out = []
        for el in self._xml_ro(rp):
            if _local(el) != "Relationship":
                continue
            ext = el.get("TargetMode") == "External"
            target = el.get("Target", "")
            out.append(Rel(el.get("Id"), el.get("Type", ""), target,
                           None if ext else self._real(_resolve(part, target)), ext))
        return out

    def add_rel(self, source: str, rel_type: str, target_part: str, rid: str | None = None) -> str:
        rp = self._real(_rels_name(source))
        if rp not in self._parts:
            self.write_part(rp, XML_DECL + b'<Relationships xmlns="%s"/>' % NS_PKG_REL.encode())
        self.content_types.ensure_default("rels", CT_RELS)
        root = self._xml(rp)
        ids = {el.get("Id") for el in root}
        if rid is None:
            n = 1
            while f"rId{n}" in ids:
                n += 1
            rid = f"rId{n}"
        target = "/" + target_part if not source else _relative(source, target_part)
        etree.SubElement(root, _ns(root) + "Relationship", Id=rid, Type=rel_type, Target=target)
        return rid

    # ------------------------------------------------------------------ workbook navigation

    def _wb(self):
        return self._xml_ro(self.workbook_part)

    def sheets(self) -> list[SheetInfo]:
        root = self._wb()
        ns = _ns(root)
        rels = {r.id: r for r in self.rels(self.workbook_part)}
        out = []
        sheets_el = root.find(ns + "sheets")
        for el in (sheets_el if sheets_el is not None else []):
            if _local(el) != "sheet":
                continue
            rid = el.get(RID) or next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
            rel = rels.get(rid)
            kind = rel.type.rsplit("/", 1)[-1] if rel else "worksheet"
            out.append(SheetInfo(_unescape(el.get("name", "")), int(el.get("sheetId", "0") or 0), rid,
                                 rel.part if rel else None, kind, el.get("state", "visible")))
        return out

    def sheet_names(self) -> list[str]:
        """All sheet names in workbook order (worksheets and chart sheets)."""
        return [s.name for s in self.sheets()]

    def sheet_info(self, name: str) -> SheetInfo:
        sheets = self.sheets()
        for s in sheets:
            if s.name == name:
                return s
        key = _norm_name(name)
        for s in sheets:
            if _norm_name(s.name) == key:
                return s
        raise WorkbookError(f"Không tìm thấy trang tính '{name}' trong tệp '{self.filename}'.")

    def sheet_part(self, name: str) -> str:
        info = self.sheet_info(name)
        if info.part is None or info.part not in self._parts:
            raise WorkbookError(f"Tệp '{self.filename}' bị hỏng: thiếu nội dung của trang tính '{info.name}'.")
        return info.part

    def _worksheet_part(self, name: str) -> str:
        info = self.sheet_info(name)
        if info.kind != "worksheet":
            raise WorkbookError(f"'{info.name}' là trang biểu đồ, không phải trang tính dữ liệu.")
        return self.sheet_part(name)

    def sheet_state(self, name: str) -> str:
        return self.sheet_info(name).state

    @property
    def date1904(self) -> bool:
        root = self._wb()  # cached parse
        pr = root.find(_ns(root) + "workbookPr")
        return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")

    def defined_names(self) -> list[DefinedName]:
        root = self._wb()
        ns = _ns(root)
        names = self.sheet_names()
        dn = root.find(ns + "definedNames")
        out = []
        for el in (dn if dn is not None else []):
            if _local(el) != "definedName":
                continue
            local = el.get("localSheetId")
            sheet = names[int(local)] if local is not None and int(local) < len(names) else None
            out.append(DefinedName(el.get("name", ""), el.text or "", sheet,
                                   el.get("hidden", "0").lower() in ("1", "true")))
        return out

    def tables(self) -> list[TableInfo]:
        out = []
        for s in self.sheets():
            if s.kind != "worksheet" or s.part is None or s.part not in self._parts:
                continue
            for rel in self.rels(s.part):
                if not _same_type(rel.type, "table") or rel.part not in self._parts:
                    continue
                t = self._xml_ro(rel.part)
                ns = _ns(t)
                cols = t.find(ns + "tableColumns")
                headers = [_unescape(c.get("name", "")) for c in (cols if cols is not None else [])
                           if _local(c) == "tableColumn"]
                out.append(TableInfo(t.get("name", ""), t.get("displayName", t.get("name", "")), s.name,
                                     rel.part, t.get("ref", ""), headers,
                                     int(t.get("headerRowCount", "1")), int(t.get("totalsRowCount", "0"))))
        return out

    def table(self, name: str) -> TableInfo:
        key = _norm_name(name)
        for t in self.tables():
            if _norm_name(t.name) == key or _norm_name(t.display_name) == key:
                return t
        raise WorkbookError(f"Không tìm thấy bảng '{name}' trong tệp '{self.filename}'.")

    def set_table_ref(self, table_name: str, ref: str) -> None:
        """Resize a table: its ``ref`` and its autoFilter's ``ref`` (same columns)."""
        info = self.table(table_name)
        r1, c1, r2, c2 = parse_ref(ref)
        if c2 - c1 + 1 != len(info.headers):
            raise ValueError(f"{ref} has {c2 - c1 + 1} columns, table {info.name} has {len(info.headers)}")
        root = self._xml(info.part)
        root.set("ref", _range_ref(r1, c1, r2, c2))
        af = root.find(_ns(root) + "autoFilter")
        if af is not None:
            af.set("ref", _range_ref(r1, c1, max(r1, r2 - info.totals_row_count), c2))

    # ------------------------------------------------------------------ styles (read)

    def _styles_part(self) -> str | None:
        if self._styles_name is None or self._styles_name not in self._parts:
            self._styles_name = None
            for rel in self.rels(self.workbook_part):
                if _same_type(rel.type, "styles") and rel.part in self._parts:
                    self._styles_name = rel.part
                    break
        return self._styles_name

    def _shared_strings(self) -> list[str]:
        if self._sst is None:
            sst: list[str] = []
            for rel in self.rels(self.workbook_part):
                if _same_type(rel.type, "sharedStrings") and rel.part in self._parts:
                    root = self._xml_ro(rel.part)
                    ns = _ns(root)
                    t_tag, r_tag, si_tag = ns + "t", ns + "r", ns + "si"
                    sst = [_text_of(si, t_tag, r_tag) for si in root if si.tag == si_tag]
                    break
            self._sst = sst
        return self._sst

    def _date_styles(self) -> list[bool]:
        if self._date_xfs is None:
            flags: list[bool] = []
            sp = self._styles_part()
            if sp:
                root = self._xml_ro(sp)
                ns = _ns(root)
                custom = {}
                nf = root.find(ns + "numFmts")
                for el in (nf if nf is not None else []):
                    if el.get("numFmtId") is not None:
                        custom[int(el.get("numFmtId"))] = el.get("formatCode", "")
                xfs = root.find(ns + "cellXfs")
                for xf in (xfs if xfs is not None else []):
                    if _local(xf) != "xf":
                        continue
                    fid = int(xf.get("numFmtId", "0") or 0)
                    flags.append(is_date_format(custom[fid]) if fid in custom else fid in BUILTIN_DATE_FORMATS)
            self._date_xfs = flags
        return self._date_xfs

    def is_date_style(self, xf_index: int) -> bool:
        flags = self._date_styles()
        return 0 <= xf_index < len(flags) and flags[xf_index]

    # ------------------------------------------------------------------ reading cells

    def read_sheet(self, name: str) -> SheetData:
        """All cells of a worksheet (cached until the sheet is written). Treat the result as read-only."""
        part = self._worksheet_part(name)
        cached = self._sheet_cache.get(part)
        if cached is not None:
            return cached
        sheet_name = self.sheet_info(name).name
        data = self._parse_sheet_fast(self.read_part(part), sheet_name)
        if data is None:       # unusual XML (prefixes, CDATA, comments, cells without r): the lxml path
            data = self._parse_sheet(self._parse_part(part), sheet_name)
        self._sheet_cache[part] = data
        return data

    def read_range(self, name: str, r1: int, c1: int, r2: int, c2: int) -> list[list[Cell]]:
        sd = self.read_sheet(name)
        merged = [m for m in sd.merged if m[0] <= r2 and m[2] >= r1 and m[1] <= c2 and m[3] >= c1]
        out = []
        get = sd.cells.get
        for r in range(r1, r2 + 1):
            row = []
            for c in range(c1, c2 + 1):
                cell = get((r, c))
                if cell is None:
                    inside = any(m[0] <= r <= m[2] and m[1] <= c <= m[3] for m in merged) if merged else False
                    cell = Cell(merged=inside)
                row.append(cell)
            out.append(row)
        return out

    def read_box(self, name: str, r1: int, c1: int, r2: int, c2: int, make=None, blank=None) -> tuple[list, list]:
        """The cells of rows ``r1..r2`` x columns ``c1..c2`` of a worksheet, without building the whole sheet.

        Returns ``(rows, merged)``: ``rows[i][j]`` is ``make(value, formula, error)`` for the cell at
        ``(r1 + i, c1 + j)`` (exactly what :meth:`read_sheet` reads there; default: the tuple) or ``blank()``
        where the sheet has no such cell (default: None); ``merged`` are the sheet's merged ranges that
        overlap the box. Every cell of the sheet is still checked, so a broken file fails as in read_sheet.
        """
        if make is None:
            make = _triple
        if blank is None:
            blank = _none
        part = self._worksheet_part(name)
        sd = self._sheet_cache.get(part)
        if sd is None:
            # a big table makes ~2 tracked objects per cell (the match tuple, then the cell), nearly all
            # kept: the cyclic GC would only walk them again and again (~20% of the time)
            gc_on = gc.isenabled()
            gc.disable()
            try:
                found = self._box_fast(name, part, r1, c1, r2, c2, make, blank)
            finally:
                if gc_on:
                    gc.enable()
            if found is not None:
                return found
            sd = self.read_sheet(name)
        get = sd.cells.get
        rows = []
        for r in range(r1, r2 + 1):
            row = []
            for c in range(c1, c2 + 1):
                cell = get((r, c))
                row.append(blank() if cell is None else make(cell.value, cell.formula, cell.error))
            rows.append(row)
        return rows, [m for m in sd.merged if m[0] <= r2 and m[2] >= r1 and m[1] <= c2 and m[3] >= c1]

    def _box_fast(self, name: str, part: str, r1: int, c1: int, r2: int, c2: int, make, blank):
        """read_box with the regex scanner; None when the sheet is not written the regular way."""
        fast = self._fast_text(self.read_part(part))
        if fast is None:
            return None
        text, start, end = fast
        merged = [parse_ref(ref) for ref in _MERGE_RE.findall(text, end)]
        sd_text = text[start:end]
        found = _CELL_SIMPLE.findall(sd_text)
        if len(found) != sd_text.count("<c ") + sd_text.count("<c>"):
            return None
        rows = self._scan_box(found, self.sheet_info(name).name, r1, c1, r2, c2, make, blank)
        return rows, [m for m in merged if m[0] <= r2 and m[2] >= r1 and m[1] <= c2 and m[3] >= c1]

    def _converter(self, sheet_name: str):
        """f(t, vtext, style, r, c) -> (value, error) for a cell's type attribute and <v> text."""
        sst = self._shared_strings()
        dates = self._date_styles()
        n_dates = len(dates)
        d1904 = self.date1904
        filename = self.filename

        def convert(t, vtext, style, r, c):
            if t is None or t == "n":
                if not vtext:
                    return None, None
                try:
                    value = float(vtext) if ("." in vtext or "E" in vtext or "e" in vtext) else int(vtext)
                except ValueError:
                    return vtext, None
                if style and style < n_dates and dates[style]:
                    return _from_serial(value, d1904), None
                return value, None
            if t == "s":
                if vtext is None:
                    return None, None
                try:
                    return sst[int(vtext)], None
                except (ValueError, IndexError):
                    raise WorkbookError(f"Tệp '{filename}' bị hỏng: ô {cell_ref(r, c)} của trang '{sheet_name}' "
                                        f"trỏ tới chuỗi không tồn tại.") from None
            if t == "str":
                return (_unescape(vtext) if vtext else None), None
            if t == "b":
                return vtext in ("1", "true"), None
            if t == "e":
                return None, vtext
            if t == "d" and vtext:
                try:
                    return dt.datetime.fromisoformat(vtext.rstrip("Z")), None
                except ValueError:
                    return vtext, None
            return None, None
        return convert

    @staticmethod
    def _fast_text(data: bytes) -> tuple[str, int, int] | None:
        """(text, start, end) of a worksheet's XML and of its sheetData when the regex scanners apply."""
        head = data[:200]
        if b"encoding" in head and not re.search(rb'encoding=["\']utf-?8["\']', head, re.I):
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if "<![CDATA[" in text or "<!--" in text or not text.rstrip().endswith("</worksheet>"):
            return None        # the lxml path parses it properly (or reports the file as broken)
        start = text.find("<sheetData")
        if start < 0:
            return None
        end = text.find("</sheetData>", start)
        if end < 0:
            if not re.match(r"<sheetData\s*/>", text[start:start + 20]):
                return None
            end = start
        return text, start, end

    def _parse_sheet_fast(self, data: bytes, sheet_name: str) -> SheetData | None:
        """Scan the sheet XML with regular expressions (Excel's own, regular output); None = use lxml."""
        found = self._fast_text(data)
        if found is None:
            return None
        text, start, end = found
        convert = self._converter(sheet_name)
        merged = [parse_ref(ref) for ref in _MERGE_RE.findall(text, end)]
        found = self._scan_simple(text[start:end], sheet_name, convert)
        if found is not None:
            cells, max_row, max_col = found
            _mark_merged(cells, merged)
            return SheetData(sheet_name, cells, merged, max_row, max_col)
        cells: dict[tuple[int, int], Cell] = {}
        masters: dict[str, tuple[str, int, int]] = {}
        deps: list[tuple[Cell, str | None, int, int]] = []
        max_row = max_col = 0
        fast_attr = _FAST_ATTR.fullmatch
        for m in _CELL_RE.finditer(text, start, end):
            attrs, body = m.group(1), m.group(2)
            fm = fast_attr(attrs)
            if fm:
                letters, rnum, s, t = fm.groups()
            else:
                d = {k: (v1 if v1 or not v2 else v2) for k, v1, v2 in _ATTR.findall(attrs)}
                ref = d.get("r")
                if not ref:
                    return None
                letters = ref.rstrip(_DIGITS)
                rnum, s, t = ref[len(letters):], d.get("s"), d.get("t")
            r = int(rnum)
            c = col_index(letters)
            style = int(s) if s else 0
            formula = None
            dep_si = None
            inline = None
            if not body:
                vtext = None
            elif body[:3] == "<v>" and body.find("<", 3) == len(body) - 4:
                vtext = body[3:-4]
                if "&" in vtext:
                    vtext = _xml_unescape(vtext)
            else:
                vtext, formula, inline, dep_si = _decode_body(body, r, c, masters)
            if inline is not None:
                value, error = inline, None
            else:
                value, error = convert(t, vtext, style, r, c)
            cell = Cell(value, formula, error, style)
            if dep_si is not None:
                deps.append((cell, dep_si, r, c))
            cells[(r, c)] = cell
            if r > max_row:
                max_row = r
            if c > max_col:
                max_col = c
        if deps:
            self._resolve_shared(masters, deps)
        _mark_merged(cells, merged)
        return SheetData(sheet_name, cells, merged, max_row, max_col)

    def _scan_simple(self, sd_text: str, sheet_name: str, convert):
        """The hot path: cells written as Excel writes them (r, s, t in that order). None = not applicable."""
        found = _CELL_SIMPLE.findall(sd_text)
        if len(found) != sd_text.count("<c ") + sd_text.count("<c>"):
            return None        # some cell has its attributes in another order
        sst = self._shared_strings()
        dates = self._date_styles()
        n_dates = len(dates)
        d1904 = self.date1904
        colmap = _COL_CACHE
        dcache: dict = {}
        cells: dict[tuple[int, int], Cell] = {}
        masters: dict[str, tuple[str, int, int]] = {}
        deps: list[tuple[Cell, str | None, int, int]] = []
        max_row = max_col = 0
        last_rnum = r = None
        for letters, rnum, s, t, rest, vtext, itext, body in found:
            if rnum != last_rnum:      # the cells of a row come together: parse its number once
                r = int(rnum)
                last_rnum = rnum
            c = colmap.get(letters) or col_index(letters)
            if rest and ("s=" in rest or "t=" in rest):
                d = {k: (v1 if v1 or not v2 else v2) for k, v1, v2 in _ATTR.findall(rest)}
                s, t = d.get("s", s), d.get("t", t)
            style = int(s) if s else 0
            if itext:                  # <is><t>plain text</t></is>: what the writer produces
                text = itext[itext.index(">") + 1:]
                if "&" in text:
                    text = _xml_unescape(text)
                cell = Cell(_unescape(text) if "_x" in text else text, None, None, style)
            elif body:             # formulas, rich inline text: the shared (slower) decoder
                value, formula, error, dep_si, _ = self._simple_cell(
                    sheet_name, convert, sst, masters, r, letters, s, t, vtext, itext, body)
                cell = Cell(value, formula, error, style)
                if dep_si is not None:
                    deps.append((cell, dep_si, r, c))
            elif not t:
                if vtext:
                    try:
                        value = float(vtext) if ("." in vtext or "E" in vtext or "e" in vtext) else int(vtext)
                    except ValueError:
                        value = vtext
                    else:
                        if style and style < n_dates and dates[style]:
                            key = value
                            value = dcache.get(key)
                            if value is None:
                                value = dcache[key] = _from_serial(key, d1904)
                    cell = Cell(value, None, None, style)
                else:
                    cell = Cell(None, None, None, style)
            elif t == "s":
                try:
                    cell = Cell(sst[int(vtext)], None, None, style)
                except (ValueError, IndexError):
                    if vtext == "":
                        cell = Cell(None, None, None, style)
                    else:
                        raise WorkbookError(f"Tệp '{self.filename}' bị hỏng: ô {cell_ref(r, c)} của trang "
                                            f"'{sheet_name}' trỏ tới chuỗi không tồn tại.") from None
            else:
                if vtext and "&" in vtext:
                    vtext = _xml_unescape(vtext)
                value, error = convert(t, vtext or None, style, r, c)
                cell = Cell(value, None, error, style)
            cells[(r, c)] = cell
            if r > max_row:
                max_row = r
            if c > max_col:
                max_col = c
        if deps:
            self._resolve_shared(masters, deps)
        return cells, max_row, max_col

    def _simple_cell(self, sheet_name, convert, sst, masters, r, letters, s, t, vtext, itext, body):
        """One cell matched by _CELL_SIMPLE, read as _scan_simple reads it -> (value, formula, error, dep_si, c)."""
        c = _COL_CACHE.get(letters) or col_index(letters)
        style = int(s) if s else 0
        formula = dep_si = error = None
        if itext:
            text = itext[itext.index(">") + 1:]
            if "&" in text:
                text = _xml_unescape(text)
            value = _unescape(text) if "_x" in text else text
        elif body:
            vtext, formula, inline, dep_si = _decode_body(body, r, c, masters)
            if inline is not None:
                value = inline
            else:
                value, error = convert(t or None, vtext, style, r, c)
        elif not t:
            value, error = convert(None, vtext, style, r, c)
        elif t == "s":
            try:
                value = sst[int(vtext)]
            except (ValueError, IndexError):
                if vtext != "":
                    raise WorkbookError(f"Tệp '{self.filename}' bị hỏng: ô {cell_ref(r, c)} của trang "
                                        f"'{sheet_name}' trỏ tới chuỗi không tồn tại.") from None
                value = None
        else:
            if vtext and "&" in vtext:
                vtext = _xml_unescape(vtext)
            value, error = convert(t, vtext or None, style, r, c)
        return value, formula, error, dep_si, c

    def _scan_box(self, found, sheet_name: str, r1: int, c1: int, r2: int, c2: int, make, blank) -> list:
        """read_box over the matches of _CELL_SIMPLE: the same values as _scan_simple, built only in the box."""
        sst = self._shared_strings()
        dates = self._date_styles()
        n_dates = len(dates)
        d1904 = self.date1904
        convert = self._converter(sheet_name)
        nrows = r2 - r1 + 1
        width = c2 - c1 + 1
        absent = _ABSENT
        grid = [[absent] * width for _ in range(max(nrows, 0))]
        cidx = {col_letter(c): c - c1 for c in range(c1, c2 + 1)}
        simple_cell = self._simple_cell
        dcache: dict = {}
        masters: dict[str, tuple[str, int, int]] = {}
        deps = []
        last_rnum = cur = None
        r = 0
        for letters, rnum, s, t, rest, vtext, itext, body in found:
            if rnum != last_rnum:      # the cells of a row come together: parse its number once
                r = int(rnum)
                last_rnum = rnum
                i = r - r1
                cur = grid[i] if 0 <= i < nrows else None
            if rest and ("s=" in rest or "t=" in rest):
                d = {k: (v1 if v1 or not v2 else v2) for k, v1, v2 in _ATTR.findall(rest)}
                s, t = d.get("s", s), d.get("t", t)
            j = cidx.get(letters) if cur is not None else None
            if j is None:              # outside the box: only what can fail or defines a shared formula
                if body or t:
                    simple_cell(sheet_name, convert, sst, masters, r, letters, s, t, vtext, itext, body)
                continue
            if itext:                  # <is><t>plain text</t></is>: what the writer produces
                text = itext[itext.index(">") + 1:]
                if "&" in text:
                    text = _xml_unescape(text)
                cur[j] = make(_unescape(text) if "_x" in text else text, None, None)
            elif body or (t and t != "s"):
                value, formula, error, dep_si, c = simple_cell(sheet_name, convert, sst, masters, r, letters,
                                                               s, t, vtext, itext, body)
                cur[j] = make(value, formula, error)
                if dep_si is not None:
                    deps.append((cur, j, value, error, dep_si, r, c))
            elif t:                    # t="s": a shared string
                try:
                    value = sst[int(vtext)]
                except (ValueError, IndexError):     # "" reads as blank, anything else is an error
                    value = simple_cell(sheet_name, convert, sst, masters, r, letters, s, t, vtext, itext, body)[0]
                cur[j] = make(value, None, None)
            elif vtext:
                try:
                    value = float(vtext) if ("." in vtext or "E" in vtext or "e" in vtext) else int(vtext)
                except ValueError:
                    value = vtext
                else:
                    if s:
                        style = int(s)
                        if style and style < n_dates and dates[style]:
                            key = value
                            value = dcache.get(key)
                            if value is None:
                                value = dcache[key] = _from_serial(key, d1904)
                cur[j] = make(value, None, None)
            else:
                cur[j] = make(None, None, None)
        for cur, j, value, error, si, r, c in deps:
            if si in masters:
                cur[j] = make(value, self._shared_formula(masters, si, r, c), error)
        for row in grid:               # (no `absent in row`: that would call make's __eq__ per cell)
            for j, x in enumerate(row):
                if x is absent:
                    row[j] = blank()
        return grid

    def _parse_sheet(self, root, sheet_name: str) -> SheetData:
        """The lxml path: any well-formed worksheet XML."""
        ns = _ns(root)
        tag_row, tag_c, tag_v, tag_f, tag_is = ns + "row", ns + "c", ns + "v", ns + "f", ns + "is"
        t_tag, r_tag = ns + "t", ns + "r"
        convert = self._converter(sheet_name)
        cells: dict[tuple[int, int], Cell] = {}
        shared_masters: dict[str, tuple[str, int, int]] = {}
        shared_deps: list[tuple[Cell, str | None, int, int]] = []
        max_row = max_col = 0
        sheet_data = root.find(ns + "sheetData")
        r = 0
        for row in (sheet_data if sheet_data is not None else ()):
            if row.tag != tag_row:
                continue
            ra = row.get("r")
            r = int(ra) if ra else r + 1
            col = 0
            for c in row:
                if c.tag != tag_c:
                    continue
                ref = c.get("r")
                col = col_index(ref.rstrip(_DIGITS)) if ref else col + 1
                s = c.get("s")
                style = int(s) if s else 0
                vtext = formula = inline = dep_si = None
                for ch in c:
                    tag = ch.tag
                    if tag == tag_v:
                        vtext = ch.text or ""
                    elif tag == tag_f:
                        ftext = ch.text
                        formula = "=" + ftext if ftext else "="
                        if ch.get("t") == "shared":
                            if ftext:
                                shared_masters[ch.get("si")] = (ftext, r, col)
                            else:
                                dep_si = ch.get("si")
                    elif tag == tag_is:
                        inline = _text_of(ch, t_tag, r_tag)
                if inline is not None:
                    value, error = inline, None
                else:
                    value, error = convert(c.get("t"), vtext, style, r, col)
                cell = Cell(value, formula, error, style)
                if dep_si is not None:
                    shared_deps.append((cell, dep_si, r, col))
                cells[(r, col)] = cell
                if col > max_col:
                    max_col = col
                if r > max_row:
                    max_row = r
        if shared_deps:
            self._resolve_shared(shared_masters, shared_deps)
        merged = []
        mc = root.find(ns + "mergeCells")
        for m in (mc if mc is not None else ()):
            if m.get("ref"):
                merged.append(parse_ref(m.get("ref")))
        _mark_merged(cells, merged)
        return SheetData(sheet_name, cells, merged, max_row, max_col)

    @staticmethod
    def _shared_formula(masters, si, r: int, c: int) -> str:
        """The formula of the dependent (r, c) of shared formula ``si`` (which is in ``masters``)."""
        text, mr, mc = masters[si]
        try:
            from openpyxl.formula.translate import Translator
            return Translator("=" + text, origin=cell_ref(mr, mc)).translate_formula(cell_ref(r, c))
        except Exception:   # an odd formula: keep the master's text, it still says "this is a formula"
            return "=" + text

    @classmethod
    def _resolve_shared(cls, masters, deps) -> None:
        for cell, si, r, c in deps:
            if si in masters:
                cell.formula = cls._shared_formula(masters, si, r, c)

    # ------------------------------------------------------------------ styles (write)

    def _styles_root(self):
        sp = self._styles_part()
        if sp is None:
            sp = "xl/styles.xml"
            self.write_part(sp, XML_DECL + (
                '<styleSheet xmlns="%s"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
                '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/>'
                '<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" '
                'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
                'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
                'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>' % NS_MAIN).encode(), CT_STYLES)
            self.add_rel(self.workbook_part, REL_STYLES, sp)
        return self._xml(sp, invalidate=False)

    def _collection(self, root, name: str):
        ns = _ns(root)
        el = root.find(ns + name)
        if el is None:
            el = etree.Element(ns + name, count="0")
            _insert_ordered(root, el, STYLESHEET_ORDER)
        return el

    @staticmethod
    def _find_or_append(coll, new) -> int:
        sig = _sig(new)
        items = [c for c in coll if isinstance(c.tag, str)]
        for i, c in enumerate(items):
            if _sig(c) == sig:
                return i
        coll.append(new)
        coll.set("count", str(len(items) + 1))
        return len(items)

    def _num_fmt_id(self, root, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        ns = _ns(root)
        nf = root.find(ns + "numFmts")
        ids = []
        for el in (nf if nf is not None else []):
            if el.get("formatCode") == code:
                return int(el.get("numFmtId"))
            ids.append(int(el.get("numFmtId", "0")))
        nf = self._collection(root, "numFmts")
        new_id = max([163] + ids) + 1
        etree.SubElement(nf, ns + "numFmt", numFmtId=str(new_id), formatCode=code)
        nf.set("count", str(len(nf)))
        return new_id

    def ensure_style(self, font: Mapping | None = None, fill: str | None = None, border: str | Mapping | None = None,
                     align: Mapping | None = None, num_fmt: str | None = None) -> int:
        """Find or add a cell format; returns its cellXfs index (same spec -> same index).

        font: {name, size, bold, italic, underline, strike, color ('RRGGBB')}; fill: 'RRGGBB';
        border: 'thin' | 'medium' | None, or {side: style} for some sides only;
        align: {horizontal, vertical, wrap, indent, rotation};
        num_fmt: a format code ('dd/mm/yyyy', '#,##0', '0.00%', …).
        """
        if isinstance(border, Mapping):  # some sides only: {"top": "thin"}
            border = tuple(sorted(border.items()))
        key = (tuple(sorted((font or {}).items())), fill, border, tuple(sorted((align or {}).items())), num_fmt)
        if key in self._style_cache:
            return self._style_cache[key]
        root = self._styles_root()
        ns = _ns(root)
        attrs = {"numFmtId": "0", "fontId": "0", "fillId": "0", "borderId": "0", "xfId": "0"}
        if num_fmt:
            attrs["numFmtId"] = str(self._num_fmt_id(root, num_fmt))
            attrs["applyNumberFormat"] = "1"
        if font:
            attrs["fontId"] = str(self._find_or_append(self._collection(root, "fonts"), self._font(root, font)))
            attrs["applyFont"] = "1"
        if fill:
            f = etree.Element(ns + "fill")
            pf = etree.SubElement(f, ns + "patternFill", patternType="solid")
            etree.SubElement(pf, ns + "fgColor", rgb=_argb(fill))
            etree.SubElement(pf, ns + "bgColor", indexed="64")
            attrs["fillId"] = str(self._find_or_append(self._collection(root, "fills"), f))
            attrs["applyFill"] = "1"
        if border:
            sides = dict(border) if isinstance(border, tuple) else dict.fromkeys(("left", "right", "top", "bottom"),
                                                                                   border)
            b = etree.Element(ns + "border")
            for side in ("left", "right", "top", "bottom"):
                if side not in sides:
                    etree.SubElement(b, ns + side)
                    continue
                s = etree.SubElement(b, ns + side, style=sides[side])
                etree.SubElement(s, ns + "color", indexed="64")
            etree.SubElement(b, ns + "diagonal")
            attrs["borderId"] = str(self._find_or_append(self._collection(root, "borders"), b))
            attrs["applyBorder"] = "1"
        xf = etree.Element(ns + "xf", **attrs)
        if align:
            a = {}
            if align.get("horizontal"):
                a["horizontal"] = align["horizontal"]
            if align.get("vertical"):
                a["vertical"] = align["vertical"]
            if align.get("rotation"):
                a["textRotation"] = str(int(align["rotation"]))
            if align.get("wrap"):
                a["wrapText"] = "1"
            if align.get("indent"):
                a["indent"] = str(int(align["indent"]))
            if align.get("shrink"):
                a["shrinkToFit"] = "1"
            etree.SubElement(xf, ns + "alignment", **a)
            xf.set("applyAlignment", "1")
        idx = self._find_or_append(self._collection(root, "cellXfs"), xf)
        self._date_xfs = None
        self._style_cache[key] = idx
        return idx

    def _font(self, root, spec: Mapping):
        ns = _ns(root)
        fonts = root.find(ns + "fonts")
        base = {}
        if fonts is not None and len(fonts):
            for ch in fonts[0]:
                base[_local(ch)] = dict(ch.attrib)
        props: dict[str, dict] = {}
        for k in ("sz", "color", "name", "family", "charset", "scheme"):
            if k in base:
                props[k] = base[k]
        if spec.get("name") and spec["name"] != base.get("name", {}).get("val"):
            props["name"] = {"val": spec["name"]}
            props.pop("scheme", None)
            props.pop("charset", None)
        if spec.get("size"):
            props["sz"] = {"val": f"{float(spec['size']):g}"}
        if spec.get("color"):
            props["color"] = {"rgb": _argb(spec["color"])}
        if spec.get("bold"):
            props["b"] = {}
        if spec.get("italic"):
            props["i"] = {}
        if spec.get("strike"):
            props["strike"] = {}
        if spec.get("underline"):
            u = spec["underline"]
            props["u"] = {} if u is True or u == "single" else {"val": str(u)}
        f = etree.Element(ns + "font")
        for k in FONT_ORDER:
            if k in props:
                etree.SubElement(f, ns + k, **props[k])
        return f

    def _xf_with_num_fmt(self, xf_index: int, code: str) -> int:
        """A copy of cellXfs[xf_index] with another number format (find or append)."""
        key = (xf_index, code)
        if key in self._num_fmt_xf:
            return self._num_fmt_xf[key]
        root = self._styles_root()
        ns = _ns(root)
        xfs = self._collection(root, "cellXfs")
        items = [c for c in xfs if isinstance(c.tag, str)]
        base = items[xf_index] if 0 <= xf_index < len(items) else etree.Element(
            ns + "xf", numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")
        new = etree.fromstring(etree.tostring(base))
        new.set("numFmtId", str(self._num_fmt_id(root, code)))
        new.set("applyNumberFormat", "1")
        idx = self._find_or_append(xfs, new)
        self._date_xfs = None
        self._num_fmt_xf[key] = idx
        return idx

    # ------------------------------------------------------------------ writing cells

    def set_cells(self, sheet: str, values: Mapping[tuple[int, int], object],
                  styles: Mapping[tuple[int, int], int] | None = None) -> None:
        """Write values (None clears, keeping the style) and/or style indexes into existing or new cells.

        ``str`` is always written as text (an inline string), even when it starts with '='; use
        :class:`Formula` for a real formula. Dates get a date format unless the cell already has one.
        """
        styles = styles or {}
        keys = set(values) | set(styles)
        if not keys:
            return
        part = self._worksheet_part(sheet)
        root = self._xml(part)
        ns = _ns(root)
        sd = self._sheet_data(root)
        if self._refs_ok.get(part) is not sd:      # the check costs ~60 ms on a 130k-cell sheet: once per tree
            self._normalize_refs(sd, ns)
            self._refs_ok[part] = sd
        tag_row = ns + "row"
        rows = {int(r.get("r")): r for r in sd if r.tag == tag_row}
        row_keys = sorted(rows)
        col_styles = self._col_styles(root)
        d1904 = self.date1904
        by_row: dict[int, list[int]] = {}
        for r, c in keys:
            if r < 1 or c < 1 or r > 1048576 or c > 16384:
                raise ValueError(f"cell ({r}, {c}) is outside the sheet")
            by_row.setdefault(r, []).append(c)
        tag_c = ns + "c"
        removed_formula = False
        write_value = self._write_value
        col_cache = _COL_CACHE
        letters_of: dict[int, str] = {}
        shift = -1                      # child index - column of the last cell found (cells from column A)
        for r in sorted(by_row):
            cols = sorted(by_row[r])
            row = rows.get(r)
            if row is None:
                if not any(values.get((r, c)) is not None for c in cols) and not any(
                        (r, c) in styles for c in cols):
                    continue        # only clears in a row that does not exist
                row = etree.Element(tag_row, r=str(r))
                i = bisect_left(row_keys, r)
                if i < len(row_keys):
                    rows[row_keys[i]].addprevious(row)
                else:
                    sd.append(row)
                insort(row_keys, r)
                rows[r] = row
            row_style = row.get("s") if row.get("customFormat") in ("1", "true") else None
            rtext = str(r)
            lo = hi = 0                 # range of the columns written in this row (for spans)
            for c in cols:
                key = (r, c)
                value = values.get(key)
                # find the cell, or its neighbours, walking from the right end of the row (cheap for
                # columns appended at the right, the common case)
                c_el = before = after = None
                # first a guess: the child at the position where the last cell was found (rows are usually
                # dense, so the same shift holds); it is taken only when its r is exactly this cell's
                k = c + shift
                if k >= 0:
                    try:
                        ch = row[k]
                    except IndexError:
                        pass
                    else:
                        letters = letters_of.get(c)
                        if letters is None:
                            letters = letters_of[c] = col_letter(c)
                        if ch.tag == tag_c and ch.get("r") == letters + rtext:
                            c_el = ch
                if c_el is None:
                    for ch in row.iterchildren(tag_c, reversed=True):
                        letters = ch.get("r").rstrip(_DIGITS)
                        cc = col_cache.get(letters) or col_index(letters)
                        if cc == c:
                            c_el = ch
                            shift = row.index(ch) - c
                            break
                        if cc < c:
                            before = ch
                            break
                        after = ch
                if c_el is None:
                    if value is None and key not in styles:
                        continue
                    c_el = etree.SubElement(row, tag_c, r=cell_ref(r, c))   # made in place, then moved
                    default_style = row_style or col_styles(c)
                    if default_style and default_style != "0":
                        c_el.set("s", default_style)
                    if before is not None:
                        before.addnext(c_el)
                    elif after is not None:
                        after.addprevious(c_el)
                    else:
                        row.insert(0, c_el)
                if key in styles:
                    s = styles[key]
                    if s:
                        c_el.set("s", str(int(s)))
                    elif "s" in c_el.attrib:
                        del c_el.attrib["s"]
                if key in values:
                    removed_formula |= write_value(sd, c_el, value, ns, d1904)
                if not lo:
                    lo = c
                hi = c
            if lo:
                spans = row.get("spans")
                if spans and ":" in spans:
                    a, _, b = spans.partition(":")
                    if a.isdigit() and b.isdigit() and not (int(a) <= lo and hi <= int(b)):
                        row.set("spans", f"{min(int(a), lo)}:{max(int(b), hi)}")
        self._extend_dimension(root, ns, keys)
        if removed_formula:
            self._drop_calc_chain()

    def _sheet_data(self, root):
        ns = _ns(root)
        sd = root.find(ns + "sheetData")
        if sd is None:
            sd = etree.Element(ns + "sheetData")
            _insert_ordered(root, sd, WORKSHEET_ORDER)
        return sd

    @staticmethod
    def _normalize_refs(sd, ns: str) -> None:
        """Give every row and cell an explicit ``r`` (they are optional in the file format)."""
        if not sd.xpath("boolean(*[not(@r)] | */*[not(@r)])"):
            return
        tag_row, tag_c = ns + "row", ns + "c"
        r = 0
        for row in sd:
            if row.tag != tag_row:
                continue
            ra = row.get("r")
            if ra:
                r = int(ra)
            else:
                r += 1
                row.set("r", str(r))
            col = 0
            for c in row:
                if c.tag != tag_c:
                    continue
                ref = c.get("r")
                if ref:
                    col = col_index(ref.rstrip(_DIGITS))
                else:
                    col += 1
                    c.set("r", cell_ref(r, col))

    @staticmethod
    def _col_styles(root):
        ns = _ns(root)
        spans = []
        for cols in root.findall(ns + "cols"):
            for col in cols:
                if col.get("style") and col.get("style") != "0":
                    spans.append((int(col.get("min", "0")), int(col.get("max", "0")), col.get("style")))

        def lookup(c: int) -> str | None:
            for a, b, s in spans:
                if a <= c <= b:
                    return s
            return None
        return lookup

    def _write_value(self, sd, c_el, value, ns: str, d1904: bool) -> bool:
        """Replace the content of one <c>; returns True when a formula was removed."""
        removed = False
        if len(c_el):
            tag_f, tag_v, tag_is = ns + "f", ns + "v", ns + "is"
            for ch in list(c_el):
                tag = ch.tag
                if tag == tag_f:
                    removed = True
                    if ch.get("t") == "shared" and ch.get("ref") and ch.text:
                        self._unshare(sd, ns, ch.get("si"), ch.text, c_el.get("r"))
                    c_el.remove(ch)
                elif tag == tag_v or tag == tag_is:
                    c_el.remove(ch)
        attrib = c_el.attrib
        for a in ("t", "cm", "vm"):
            if a in attrib:
                del attrib[a]
        if value is None:
            return removed
        if value.__class__ is str or isinstance(value, str):
            if len(value) > 32767:
                raise ValueError("Excel cells hold at most 32767 characters")
            attrib["t"] = "inlineStr"
            t = etree.SubElement(_new_first_child(c_el, ns + "is"), ns + "t")
            t.text = _escape(value) if not value.isalnum() else value   # isalnum: nothing to escape
            if value != value.strip() or "\n" in value or "  " in value or "\t" in value:
                t.set(XML_SPACE, "preserve")
            return removed
        if isinstance(value, bool):
            attrib["t"] = "b"
            vtext = "1" if value else "0"
        elif isinstance(value, Formula):
            f = etree.Element(ns + "f")
            f.text = _escape(value.text.lstrip("="))
            c_el.insert(0, f)
            self._full_calc_on_load()
            return removed
        elif isinstance(value, (dt.date, dt.time)):
            serial = _to_serial(value, d1904)
            style = int(attrib.get("s", "0") or 0)
            if not self.is_date_style(style):
                if isinstance(value, dt.time):
                    code = TIME_FMT
                elif isinstance(value, dt.datetime) and value.time() != dt.time(0):
                    code = DATETIME_FMT
                else:
                    code = DATE_FMT
                attrib["s"] = str(self._xf_with_num_fmt(style, code))
            vtext = repr(serial) if isinstance(serial, float) else str(serial)
        elif isinstance(value, numbers.Integral):
            vtext = str(int(value))
        elif isinstance(value, numbers.Real):
            x = float(value)
            if not math.isfinite(x):
                raise ValueError(f"cannot write {value!r} to a cell")
            vtext = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
        else:
            raise TypeError(f"unsupported cell value type {type(value).__name__}")
        _new_first_child(c_el, ns + "v").text = vtext
        return removed

    def _unshare(self, sd, ns: str, si: str | None, text: str, origin: str) -> None:
        """The master of a shared formula is overwritten: give each dependent its own formula."""
        from openpyxl.formula.translate import Translator
        for f in sd.iter(ns + "f"):
            if f.get("t") == "shared" and f.get("si") == si and not f.text:
                target = f.getparent().get("r")
                try:
                    f.text = Translator("=" + text, origin=origin).translate_formula(target)[1:]
                except Exception:
                    f.text = text
                for a in ("t", "si", "ref"):
                    f.attrib.pop(a, None)

    def _full_calc_on_load(self) -> None:
        root = self._wb()
        ns = _ns(root)
        calc = root.find(ns + "calcPr")
        if calc is not None and calc.get("fullCalcOnLoad") == "1":
            return
        root = self._xml(self.workbook_part)
        calc = root.find(ns + "calcPr")
        if calc is None:
            calc = etree.Element(ns + "calcPr")
            _insert_ordered(root, calc, WORKBOOK_ORDER)
        calc.set("fullCalcOnLoad", "1")

    def _drop_calc_chain(self) -> None:
        for rel in self.rels(self.workbook_part):
            if _same_type(rel.type, "calcChain") and rel.part in self._parts:
                self._drop(rel.part)

    @staticmethod
    def _extend_dimension(root, ns: str, keys: Iterable[tuple[int, int]], replace: bool = False) -> None:
        keys = list(keys)
        dim = root.find(ns + "dimension")
        if keys:
            r1 = min(k[0] for k in keys)
            r2 = max(k[0] for k in keys)
            c1 = min(k[1] for k in keys)
            c2 = max(k[1] for k in keys)
        else:
            r1 = c1 = r2 = c2 = 1
        if dim is not None and dim.get("ref") and not replace:
            try:
                a1, b1, a2, b2 = parse_ref(dim.get("ref"))
            except ValueError:
                pass
            else:
                r1, c1, r2, c2 = min(r1, a1), min(c1, b1), max(r2, a2), max(c2, b2)
        new_ref = _range_ref(r1, c1, r2, c2)
        if dim is None:
            dim = etree.Element(ns + "dimension")
            _insert_ordered(root, dim, WORKSHEET_ORDER)
        if dim.get("ref") != new_ref:
            dim.set("ref", new_ref)

    def replace_sheet_content(self, sheet: str, cells: Mapping[tuple[int, int], tuple[object, int | None]],
                              merges: Iterable[tuple[int, int, int, int]] = (),
                              row_heights: Mapping[int, float] | None = None,
                              col_widths: Mapping[int, float] | None = None,
                              row_breaks: Iterable[int] | None = None) -> None:
        """Replace a sheet's cells and merges (and column widths, manual page breaks when given), keeping every
        other element. ``row_breaks``: the rows after which a new page starts (``<brk id>``); ``[]`` removes
        them, ``None`` leaves the sheet's as they are."""
        part = self._worksheet_part(sheet)
        root = self._xml(part)
        ns = _ns(root)
        old = root.find(ns + "sheetData")
        had_formula = old is not None and next(old.iter(ns + "f"), None) is not None
        sd = etree.Element(ns + "sheetData")
        if old is not None:
            old.addprevious(sd)
            root.remove(old)
        else:
            _insert_ordered(root, sd, WORKSHEET_ORDER)
        row_heights = dict(row_heights or {})
        d1904 = self.date1904
        by_row: dict[int, list[int]] = {}
        for r, c in cells:
            by_row.setdefault(r, []).append(c)
        for r in sorted(set(by_row) | set(row_heights)):
            row = etree.SubElement(sd, ns + "row", r=str(r))
            if r in row_heights and row_heights[r]:
                row.set("ht", f"{float(row_heights[r]):g}")
                row.set("customHeight", "1")
            for c in sorted(by_row.get(r, ())):
                value, style = cells[(r, c)]
                c_el = etree.SubElement(row, ns + "c", r=cell_ref(r, c))
                if style:
                    c_el.set("s", str(int(style)))
                self._write_value(sd, c_el, value, ns, d1904)
        for mc in root.findall(ns + "mergeCells"):
            root.remove(mc)
        merges = list(merges)
        if merges:
            mc = etree.Element(ns + "mergeCells", count=str(len(merges)))
            for m in merges:
                etree.SubElement(mc, ns + "mergeCell", ref=_range_ref(*m))
            _insert_ordered(root, mc, WORKSHEET_ORDER)
        if col_widths is not None:
            for old_cols in root.findall(ns + "cols"):
                root.remove(old_cols)
            if col_widths:
                cols = etree.Element(ns + "cols")
                for c in sorted(col_widths):
                    etree.SubElement(cols, ns + "col", min=str(c), max=str(c),
                                     width=f"{float(col_widths[c]):g}", customWidth="1")
                _insert_ordered(root, cols, WORKSHEET_ORDER)
        if row_breaks is not None:
            for old_breaks in root.findall(ns + "rowBreaks"):
                root.remove(old_breaks)
            breaks = sorted(set(int(r) for r in row_breaks))
            if breaks:
                rb = etree.Element(ns + "rowBreaks", count=str(len(breaks)), manualBreakCount=str(len(breaks)))
                for r in breaks:
                    etree.SubElement(rb, ns + "brk", id=str(r), max="16383", man="1")
                _insert_ordered(root, rb, WORKSHEET_ORDER)
        keys = list(cells) + [(m[0], m[1]) for m in merges] + [(m[2], m[3]) for m in merges]
        self._extend_dimension(root, ns, keys, replace=True)
        if had_formula:
            self._drop_calc_chain()

    # ------------------------------------------------------------------ sheets

    def add_sheet(self, name: str, after: str | None = None, state: str = "visible") -> str:
        """Add an empty worksheet (after sheet ``after``, else last); returns its part name."""
        bad = set('[]:*?/\\')
        if not name or len(name) > 31 or any(ch in bad for ch in name) or name.startswith("'") \
                or name.endswith("'"):
            raise WorkbookError(f"Tên trang tính '{name}' không hợp lệ (tối đa 31 ký tự, không chứa [ ] : * ? / \\).")
        existing = self.sheets()
        if any(_norm_name(s.name) == _norm_name(name) for s in existing):
            raise WorkbookError(f"Tệp '{self.filename}' đã có trang tính '{name}'.")
        n = 1
        while self.has_part(f"xl/worksheets/sheet{n}.xml"):
            n += 1
        part = f"xl/worksheets/sheet{n}.xml"
        self.write_part(part, XML_DECL + (
            f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}"><dimension ref="A1"/><sheetViews>'
            f'<sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData/>'
            f'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            f'</worksheet>').encode(), CT_WORKSHEET)
        rid = self.add_rel(self.workbook_part, REL_WORKSHEET, part)
        root = self._xml(self.workbook_part)
        ns = _ns(root)
        sheets_el = root.find(ns + "sheets")
        new = etree.Element(ns + "sheet", name=name, sheetId=str(max([0] + [s.sheet_id for s in existing]) + 1))
        if state != "visible":
            new.set("state", state)
        new.set(RID, rid)
        sheet_els = [el for el in sheets_el if _local(el) == "sheet"]
        pos = len(sheet_els)
        if after is not None:
            pos = [s.name for s in existing].index(self.sheet_info(after).name) + 1
        if pos < len(sheet_els):
            sheet_els[pos].addprevious(new)
            # sheet positions shift: sheet-local defined names and the active/first tab follow their sheet
            dn = root.find(ns + "definedNames")
            for el in (dn if dn is not None else []):
                lid = el.get("localSheetId")
                if lid is not None and int(lid) >= pos:
                    el.set("localSheetId", str(int(lid) + 1))
            bv = root.find(ns + "bookViews")
            for view in (bv if bv is not None else []):
                for attr in ("activeTab", "firstSheet"):
                    v = view.get(attr)
                    if v is not None and int(v) >= pos:
                        view.set(attr, str(int(v) + 1))
        else:
            sheets_el.append(new)
        return part

    # ------------------------------------------------------------------ saving

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name in self._order:
                level = None
                if name in self._trees:
                    self._flush(name)
                    level = WRITE_LEVEL
                elif name in self._written:
                    level = WRITE_LEVEL
                data = self._parts[name]
                orig = self._infos.get(name)
                zi = zipfile.ZipInfo(name, date_time=orig.date_time if orig else NEW_PART_DATE)
                if orig is not None:
                    zi.compress_type = orig.compress_type
                    zi.external_attr = orig.external_attr
                    zi.create_system = orig.create_system
                    zi.extra = _strip_zip64(orig.extra)
                    zi.comment = orig.comment
                else:
                    zi.compress_type = zipfile.ZIP_DEFLATED
                    zi.external_attr = 0o600 << 16
                zf.writestr(zi, data, compresslevel=level)
        return buf.getvalue()

    def save(self, path: str | os.PathLike | None = None, backup: bool = True,
             keep_backups: int = KEEP_BACKUPS) -> Path:
        """Write atomically to ``path`` (default: the file it was opened from); returns the path written."""
        if path is None:
            if self.path is None:
                raise ValueError("no path to save to")
            path = self.path
        target = Path(path)
        lock = lock_file_for(target)
        if lock is not None:
            raise WorkbookLockedError(
                f"Tệp '{target.name}' đang được mở trong Excel (có tệp khóa {lock.name}). "
                f"Hãy đóng Excel rồi chạy lại.")
        is_source = self.path is not None and _same_path(self.path, target)
        if is_source and self._fingerprint is not None:
            self._check_unchanged(target)
        data = self.to_bytes()
        if backup and target.exists():
            make_backup(target, keep_backups)
        _atomic_write(target, data)
        if is_source:
            st = target.stat()
            self._fingerprint = (st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())
        return target

    def _check_unchanged(self, target: Path) -> None:
        changed = (f"Tệp '{target.name}' đã bị thay đổi trên đĩa sau khi được đọc (có thể vừa được lưu trong "
                   f"Excel). Tệp chưa bị ghi đè; hãy chạy lại để đọc bản mới nhất.")
        try:
            st = target.stat()
        except FileNotFoundError:
            raise WorkbookChangedError(changed) from None
        size, mtime, digest = self._fingerprint
        if st.st_size == size and st.st_mtime_ns == mtime:
            return
        if st.st_size != size or hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            raise WorkbookChangedError(changed)


# --------------------------------------------------------------------------- file helpers

def _argb(rgb: str) -> str:
    rgb = rgb.lstrip("#").upper()
    return rgb if len(rgb) == 8 else "FF" + rgb


def _strip_zip64(extra: bytes) -> bytes:
    out, i = b"", 0
    while i + 4 <= len(extra):
        hid = int.from_bytes(extra[i:i + 2], "little")
        ln = int.from_bytes(extra[i + 2:i + 4], "little")
        if hid != 0x0001:
            out += extra[i:i + 4 + ln]
        i += 4 + ln
    return out


def _same_path(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def make_backup(target: Path, keep: int = KEEP_BACKUPS) -> Path:
    """Copy ``target`` to ``NAME.bak-YYYYmmdd-HHMMSS.ext`` beside it; keep the ``keep`` newest backups."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem, ext = target.stem, target.suffix
    dest = target.with_name(f"{stem}.bak-{stamp}{ext}")
    n = 2
    while dest.exists():
        dest = target.with_name(f"{stem}.bak-{stamp}-{n}{ext}")
        n += 1
    shutil.copy2(target, dest)
    backups = []
    prefix = f"{stem}.bak-"
    for p in target.parent.iterdir():
        if p.name.startswith(prefix) and p.name.endswith(ext):
            ts = p.name[len(prefix):len(p.name) - len(ext)]
            if _BACKUP_TS.match(ts):
                parts = ts.split("-")
                backups.append(((parts[0], parts[1], int(parts[2]) if len(parts) > 2 else 1), p))
    backups.sort()
    for _, p in backups[:-keep] if keep > 0 else []:
        try:
            p.unlink()
        except OSError:
            pass
    return dest


def _atomic_write(target: Path, data: bytes) -> None:
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-" + target.stem[:20] + "-", suffix=target.suffix + ".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        try:
            os.replace(tmp, target)
        except PermissionError:
            raise WorkbookLockedError(
                f"Không ghi được tệp '{target.name}': tệp đang được mở trong Excel hoặc chương trình khác. "
                f"Hãy đóng nó rồi chạy lại.") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):
        try:
            dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
