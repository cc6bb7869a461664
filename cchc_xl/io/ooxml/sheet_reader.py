"""Every cell of a (small) worksheet with its value, formula, error, style and merge flag.

Tables are read through python-calamine (:mod:`.table_reader`); this reader serves the small sheets the
engine reads whole (``Nhật ký``, the hand-out identity sheet, ``xlwings.conf``) and what calamine does
not give (styles, formulas). Excel's own text is scanned with one regular expression per cell; anything
unusual (other attribute order, prefixes, comments) is parsed with lxml. Work is proportional to the
cells that exist.

Values: numbers are ``int`` when written without a fraction or exponent, else ``float``; a number in a date
format is a ``datetime``; ``t="s"`` strings come from the shared-string table; a formula cell has its cached
value and ``formula`` ("=…", a shared formula translated to the cell); an error cell has ``value`` None and
``error`` ("#N/A").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ...errors import WorkbookError
from .refs import cell_ref, col_index, split_ref
from .serials import from_serial
from .shared_strings import text_of
from .sheet_text import IrregularSheet, SheetText
from .xmltext import parse_xml, unescape_cell_text, xml_unescape

__all__ = ["Cell", "SheetData", "read_sheet_data"]

_CELL_SIMPLE = re.compile(r'<c r="([A-Z]{1,3})([0-9]+)"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?([^>]*?)'
                          r'(?:/>|><v>([^<]*)</v></c>|><is>(<t(?: xml:space="preserve")?>[^<]*)</t></is></c>'
                          r'|>(.*?)</c>)', re.S)
_ATTR = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_V_RE = re.compile(r"<v\b[^>]*?(?:/>|>(.*?)</v>)", re.S)
_F_RE = re.compile(r"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_SI_RE = re.compile(r"""\ssi\s*=\s*["']([^"']*)""")
_IS_RE = re.compile(r"<is>(.*?)</is>", re.S)
_T_RE = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_RPH_RE = re.compile(r"<rPh\b.*?</rPh>", re.S)


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


class _Decoder:
    """Cell text → (value, error), given the package's shared strings and date formats."""

    def __init__(self, sst: list[str], date_flags: list[bool], date1904: bool, filename: str, sheet: str):
        self.sst, self.dates, self.d1904 = sst, date_flags, date1904
        self.filename, self.sheet = filename, sheet

    def __call__(self, t, vtext, style, r, c):
        if t is None or t == "n":
            if not vtext:
                return None, None
            try:
                value = float(vtext) if ("." in vtext or "E" in vtext or "e" in vtext) else int(vtext)
            except ValueError:
                return vtext, None
            if style and style < len(self.dates) and self.dates[style]:
                return from_serial(value, self.d1904), None
            return value, None
        if t == "s":
            if not vtext:
                return None, None
            try:
                return self.sst[int(vtext)], None
            except (ValueError, IndexError):
                raise WorkbookError(f"Tệp '{self.filename}' bị hỏng: ô {cell_ref(r, c)} của trang '{self.sheet}' "
                                    f"trỏ tới chuỗi không tồn tại.") from None
        if t == "str":
            return (unescape_cell_text(vtext) if vtext else None), None
        if t == "b":
            return vtext in ("1", "true"), None
        if t == "e":
            return None, vtext or "#N/A"
        if t == "d" and vtext:
            try:
                return dt.datetime.fromisoformat(vtext.rstrip("Z")), None
            except ValueError:
                return vtext, None
        return None, None


def _shared_formula(masters: dict, si, r: int, c: int) -> str:
    """The formula of the dependent (r, c) of shared formula ``si`` (which is in ``masters``)."""
    text, mr, mc = masters[si]
    try:
        from openpyxl.formula.translate import Translator
        return Translator("=" + text, origin=cell_ref(mr, mc)).translate_formula(cell_ref(r, c))
    except Exception:  # noqa: BLE001 - an odd formula keeps the master's text: it still says "a formula"
        return "=" + text


def _resolve_shared(masters: dict, deps: list) -> None:
    for cell, si, r, c in deps:
        if si in masters:
            cell.formula = _shared_formula(masters, si, r, c)


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


def read_sheet_data(data: bytes, name: str, sst: list[str], date_flags: list[bool], date1904: bool,
                    filename: str, part: str = "") -> SheetData:
    """Every cell of the worksheet XML ``data`` (see module docstring)."""
    decode = _Decoder(sst, date_flags, date1904, filename, name)
    try:
        st = SheetText(data)
        st.check_cells(st.start, st.end)
        text = st.body.decode("utf-8") if not st.prefix and b"<!" not in st.body else None
    except (IrregularSheet, UnicodeDecodeError):
        text = None
    if text is not None:
        found = _CELL_SIMPLE.findall(text)
        if len(found) == st.cell_count():
            cells = _scan(found, decode)
            merged = st.merges()
            _mark_merged(cells, merged)
            return _sheet(name, cells, merged)
    return _read_tree(parse_xml(data, part, filename), name, decode)


def _sheet(name: str, cells: dict, merged: list) -> SheetData:
    max_row = max((r for r, _ in cells), default=0)
    max_col = max((c for _, c in cells), default=0)
    return SheetData(name, cells, merged, max_row, max_col)


def _body(body: str, r: int, c: int, masters: dict):
    """A cell's inner XML → (value text, formula, inline string, shared-formula id to resolve)."""
    vtext = formula = inline = dep_si = None
    vm = _V_RE.search(body)
    if vm:
        vtext = xml_unescape(vm.group(1) or "")
    fm = _F_RE.search(body)
    if fm:
        fattrs, ftext = fm.group(1), fm.group(2)
        if ftext:
            ftext = xml_unescape(ftext)
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
        inline = unescape_cell_text(xml_unescape("".join(x or "" for x in _T_RE.findall(inner))))
    return vtext, formula, inline, dep_si


def _scan(found: list, decode) -> dict[tuple[int, int], Cell]:
    cells: dict[tuple[int, int], Cell] = {}
    masters: dict = {}
    deps: list = []
    last_rnum = r = None
    for letters, rnum, s, t, rest, vtext, itext, body in found:
        if rnum != last_rnum:
            r, last_rnum = int(rnum), rnum
        c = col_index(letters)
        if rest and ("s=" in rest or "t=" in rest):
            d = {k: (v1 if v1 or not v2 else v2) for k, v1, v2 in _ATTR.findall(rest)}
            s, t = d.get("s", s), d.get("t", t)
        style = int(s) if s else 0
        formula = error = dep_si = None
        if itext:
            value = unescape_cell_text(xml_unescape(itext[itext.index(">") + 1:]))
        elif body:
            vtext, formula, inline, dep_si = _body(body, r, c, masters)
            if inline is not None:
                value = inline
            else:
                value, error = decode(t or None, vtext, style, r, c)
        else:
            value, error = decode(t or None, xml_unescape(vtext) if vtext else vtext, style, r, c)
        cell = cells[(r, c)] = Cell(value, formula, error, style)
        if dep_si is not None:
            deps.append((cell, dep_si, r, c))
    _resolve_shared(masters, deps)
    return cells


def _read_tree(root, name: str, decode) -> SheetData:
    """Any well-formed worksheet XML, with lxml."""
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    tag_row, tag_c, tag_v, tag_f, tag_is = ns + "row", ns + "c", ns + "v", ns + "f", ns + "is"
    t_tag, r_tag = ns + "t", ns + "r"
    cells: dict[tuple[int, int], Cell] = {}
    masters: dict = {}
    deps: list = []
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
            col = split_ref(ref)[1] if ref else col + 1
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
                            masters[ch.get("si")] = (ftext, r, col)
                        else:
                            dep_si = ch.get("si")
                elif tag == tag_is:
                    inline = text_of(ch, t_tag, r_tag)
            if inline is not None:
                value, error = inline, None
            else:
                value, error = decode(c.get("t"), vtext, style, r, col)
            cell = Cell(value, formula, error, style)
            if dep_si is not None:
                deps.append((cell, dep_si, r, col))
            cells[(r, col)] = cell
    _resolve_shared(masters, deps)
    merged = []
    mc = root.find(ns + "mergeCells")
    for m in (mc if mc is not None else ()):
        if m.get("ref"):
            try:
                merged.append(split_ref(m.get("ref").split(":")[0]) + split_ref(m.get("ref").split(":")[-1]))
            except ValueError:
                continue
    merged = [(min(a, c), min(b, d), max(a, c), max(b, d)) for a, b, c, d in merged]
    _mark_merged(cells, merged)
    return _sheet(name, cells, merged)
