"""A worksheet's XML as text: head | sheetData body | tail, and what can be learnt from it cheaply.

Excel writes a worksheet the regular way: every ``<row>`` and ``<c>`` starts with its ``r`` attribute
(``<row r="12" …>``, ``<c r="L12" …>``), rows in order. On such text every fact the readers and the splicer
need is found with ``bytes.find``/``count`` and a few regular expressions, in C, without building a tree:
where a row or a cell is, how many cells exist, which cells hold a formula or an error, the merged ranges.
Each costs one pass over the text at most (a few milliseconds for 10,000 rows).

Whether the text is regular is checked where it matters, locally (the first and last rows, the row a cell
is looked for in, the cell a formula belongs to): a check that fails raises :class:`IrregularSheet`, and
the caller rewrites the text the regular way with :func:`regularize` (lxml) and starts again. Only other
writers' files take that path, never a sheet Excel saved.

>>> st = SheetText(b'<worksheet><dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1"><v>1</v></c>'
...                b'<c r="B2" t="e"><v>#N/A</v></c></row></sheetData><mergeCells count="1">'
...                b'<mergeCell ref="A1:B1"/></mergeCells></worksheet>')
>>> st.cell_count(), st.row_span(), st.merges(), st.error_cells(), st.dimension()
(2, (1, 1), [(1, 1, 1, 2)], {(2, 2): '#N/A'}, (1, 1, 2, 2))
"""

from __future__ import annotations

import re

from lxml import etree

from .refs import MAX_COL, col_index, col_letter, parse_ref, split_ref
from .xmltext import WORKSHEET_ORDER, XML_DECL, insert_ordered, parse_xml, xml_unescape

__all__ = ["SheetText", "IrregularSheet", "regularize", "ATTR_RE", "attr_value"]

_SHEETDATA = re.compile(rb"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>")
_MERGE = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\sref\s*=\s*["']([^"']+)""")
_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\sref\s*=\s*["']([^"']*)["']""")
_UTF8_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']utf-?8["']""", re.I)
ATTR_RE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ERROR_TYPE = re.compile(rb""" t=["']e["']""")


class IrregularSheet(Exception):  # noqa: N818 - not an error: the general reader takes over
    """The worksheet text is not written the regular way (see the module docstring)."""


def attr_value(attrs: bytes, name: bytes) -> str:
    """The value of attribute ``name`` in the attribute text of a start tag ('' when absent)."""
    for k, v1, v2 in ATTR_RE.findall(attrs):
        if k == name:
            return (v1 or v2).decode()
    return ""


class SheetText:
    """The text of a worksheet (see module docstring). The sheetData body is ``data[start:end]`` (never
    copied); ``head``/``tail`` are the bytes around it, ending with ``<sheetData>`` and starting with
    ``</sheetData>``. Raises :class:`IrregularSheet` for text in another encoding or without sheetData."""

    def __init__(self, data: bytes):
        first = data[:200]
        if (b"encoding" in first and not _UTF8_DECL.match(first)) or first[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise IrregularSheet("encoding")
        m = _SHEETDATA.search(data)
        if m is None:
            raise IrregularSheet("no sheetData")
        self.prefix = p = m.group(1)
        if m.group(2):                                        # <sheetData/>: give it an empty body
            data = data[:m.start()] + b"<" + p + b"sheetData></" + p + b"sheetData>" + data[m.end():]
            m = _SHEETDATA.search(data)
        self.data = data
        self.row_tag, self.cell_tag = b"<" + p + b"row", b"<" + p + b"c"
        self.start = m.end()
        self.end = data.rfind(b"</" + p + b"sheetData>", self.start)     # near the end: found at once
        if self.end < 0:
            raise IrregularSheet("no </sheetData>")
        self.head, self.tail = data[:self.start], data[self.end:]
        self._cells: int | None = None
        self._span: tuple[int, int] | None | bool = False
        self.regularized = False          # set by the package when this is the rewrite of irregular text

    @property
    def body(self) -> bytes:
        """A copy of the sheetData body (for small sheets and tests)."""
        return self.data[self.start:self.end]

    # -- local checks ----------------------------------------------------------------------------------------
    def check_cells(self, a: int, b: int) -> None:
        """Every ``<c>`` start tag in ``data[a:b]`` has ``r`` first, else :class:`IrregularSheet`."""
        d, tag = self.data, self.cell_tag
        with_r = d.count(tag + b' r="', a, b)
        if d.count(tag, a, b) != with_r and \
                len(re.compile(re.escape(tag) + rb"[\s/>]").findall(d, a, b)) != with_r:   # not <color …>
            raise IrregularSheet("cell without r")

    def check_rows(self, a: int, b: int) -> None:
        """Every ``<row>`` start tag in ``data[a:b]`` has ``r`` first, else :class:`IrregularSheet`."""
        d, tag = self.data, self.row_tag
        if d.count(tag, a, b) != d.count(tag + b' r="', a, b):
            raise IrregularSheet("row without r")

    # -- counts and extents ------------------------------------------------------------------------------------
    def cell_count(self) -> int:
        """The number of cells (one pass over the text, the first time)."""
        if self._cells is None:
            self._cells = self.data.count(self.cell_tag + b' r="', self.start, self.end)
        return self._cells

    def row_span(self) -> tuple[int, int] | None:
        """(first, last) row number of the rows present, or None without rows."""
        if self._span is False:
            d, tag = self.data, self.row_tag
            i = d.find(tag, self.start, self.end)
            if i < 0:
                self._span = None
            else:
                j = d.rfind(tag, self.start, self.end)
                rtag = tag + b' r="'
                if d[i:i + len(rtag)] != rtag or d[j:j + len(rtag)] != rtag:
                    raise IrregularSheet("row without r")
                first = int(d[i + len(rtag):d.index(b'"', i + len(rtag))])
                last = int(d[j + len(rtag):d.index(b'"', j + len(rtag))])
                self._span = (first, last)
        return self._span

    def col_bound(self) -> int:
        """The last column any cell may be in: exact when some cell is past column Z, else 26."""
        wide = re.compile(re.escape(self.cell_tag + b' r="') + rb"([A-Z]{2,3})\d").findall(
            self.data, self.start, self.end)
        return min(max(col_index(x.decode()) for x in wide), MAX_COL) if wide else 26

    def dense_area(self) -> int:
        """Positions in the block from the first to the last row present, column A to :meth:`col_bound`."""
        span = self.row_span()
        return 0 if span is None else (span[1] - span[0] + 1) * self.col_bound()

    def dimension(self) -> tuple[int, int, int, int] | None:
        m = _DIMENSION.search(self.head)
        try:
            return parse_ref(m.group(1).decode()) if m else None
        except ValueError:
            return None

    def merges(self) -> list[tuple[int, int, int, int]]:
        out = []
        for ref in _MERGE.findall(self.tail):
            try:
                out.append(parse_ref(ref.decode()))
            except ValueError:
                continue
        return out

    def row_styles(self, r: int) -> dict[int, int]:
        """``{col: style}`` of the cells of row ``r`` ({} when the row does not exist)."""
        d = self.data
        i = d.find(self.row_tag + b' r="%d"' % r, self.start, self.end)
        if i < 0:
            return {}
        tag_end = d.index(b">", i)
        if d[tag_end - 1] == 47:
            return {}
        end = d.index(b"</" + self.prefix + b"row>", tag_end)
        self.check_cells(tag_end, end)
        out = {}
        head = re.compile(re.escape(self.cell_tag + b' r="') + rb'([A-Z]+)\d+"([^>]*)>')
        for m in head.finditer(d, tag_end, end):
            style = attr_value(m.group(2), b"s")
            out[col_index(m.group(1).decode())] = int(style) if style.isdigit() else 0
        return out

    # -- cells by position -----------------------------------------------------------------------------------
    def cell_at(self, pos: int) -> tuple[int, int, int]:
        """(row, col, start) of the cell whose XML holds byte ``pos``."""
        tag = self.cell_tag + b' r="'
        d = self.data
        start = d.rfind(tag, self.start, pos)
        if start < 0:
            raise IrregularSheet("content outside a cell")
        self.check_cells(start + 1, pos)
        ref = d[start + len(tag):d.index(b'"', start + len(tag))].decode()
        r, c = split_ref(ref)
        return r, c, start

    def formula_cells(self) -> dict[tuple[int, int], tuple[bytes, str]]:
        """``{(row, col): (attributes of <f>, formula text)}`` for every cell holding a formula."""
        out = {}
        p = re.escape(self.prefix)
        ftag = re.compile(rb"<" + p + rb"f(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + p + rb"f>)", re.S)
        for m in ftag.finditer(self.data, self.start, self.end):
            r, c, _ = self.cell_at(m.start())
            out[(r, c)] = (m.group(1), xml_unescape((m.group(2) or b"").decode("utf-8")))
        return out

    def error_cells(self) -> dict[tuple[int, int], str]:
        """``{(row, col): '#N/A'}`` for every cell of type ``e``."""
        out = {}
        d = self.data
        v_open, v_close = b"<" + self.prefix + b"v>", b"</" + self.prefix + b"v>"
        c_close = b"</" + self.prefix + b"c>"
        for m in _ERROR_TYPE.finditer(d, self.start, self.end):     # one pass (a literal start: fast)
            i = m.start()
            r, c, start = self.cell_at(i)
            tag_end = d.index(b">", start)
            if not start < i < tag_end:                  # the attribute of a child, not of that <c>
                continue
            text = b""
            if d[tag_end - 1:tag_end] != b"/":
                close = d.find(c_close, tag_end)
                a = d.find(v_open, tag_end, close)
                if a >= 0:
                    text = d[a + len(v_open):d.find(v_close, a, close)]
            out[(r, c)] = xml_unescape(text.decode("utf-8")) or "#N/A"
        return out


def regularize(data: bytes, filename: str, part: str) -> bytes:
    """The worksheet rewritten the regular way: UTF-8, comments and processing instructions in sheetData
    dropped, every row and cell with ``r`` as its first attribute. Values and formulas are unchanged."""
    root = parse_xml(data, part, filename)
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    sd = root.find(ns + "sheetData")
    if sd is None:
        sd = etree.Element(ns + "sheetData")
        insert_ordered(root, sd, WORKSHEET_ORDER)
    for node in list(sd.iter(etree.Comment, etree.ProcessingInstruction)):
        node.getparent().remove(node)
    r = 0
    for row in sd:
        if row.tag != ns + "row":
            continue
        r = int(row.get("r")) if row.get("r") else r + 1
        _r_first(row, str(r))
        col = 0
        for c in row:
            if c.tag != ns + "c":
                continue
            ref = c.get("r")
            col = split_ref(ref)[1] if ref else col + 1
            _r_first(c, ref or f"{col_letter(col)}{r}")
    return XML_DECL + etree.tostring(root, encoding="UTF-8")


def _r_first(el, ref: str) -> None:
    attrs = [(k, v) for k, v in el.attrib.items() if k != "r"]
    el.attrib.clear()
    el.set("r", ref)
    for k, v in attrs:
        el.set(k, v)
