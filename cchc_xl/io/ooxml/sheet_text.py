"""A worksheet's XML as text: head | sheetData body | tail, and what can be learnt from it cheaply.

Excel writes a worksheet the regular way: every ``<row>`` and ``<c>`` starts with its ``r`` attribute
(``<row r="12" …>``, ``<c r="L12" …>``), rows in order, no comments. On such text every fact the readers
and the splicer need is found with ``bytes.find``/``count`` and a few regular expressions, in C, without
building a tree: where a row or a cell is, how many cells exist, which cells hold a formula or an error,
the merged ranges. Text written another way (other attribute order, rows without ``r``, comments, another
encoding) is first rewritten the regular way by :func:`regularize` with lxml — only what other writers
produce, never a sheet Excel saved.

>>> st = SheetText(b'<worksheet><dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1"><v>1</v></c>'
...                b'<c r="B2" t="e"><v>#N/A</v></c></row></sheetData><mergeCells count="1">'
...                b'<mergeCell ref="A1:B1"/></mergeCells></worksheet>')
>>> st.cell_count(), st.row_span(), st.merges(), st.error_cells(), st.dimension()
(2, (1, 1), [(1, 1, 1, 2)], {(2, 2): '#N/A'}, (1, 1, 2, 2))
"""

from __future__ import annotations

import re

from lxml import etree

from .refs import MAX_COL, col_index, parse_ref, split_ref
from .xmltext import XML_DECL, xml_unescape

__all__ = ["SheetText", "regularize", "ATTR_RE", "attr_value"]

_SHEETDATA = re.compile(rb"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>")
_MERGE = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\sref\s*=\s*["']([^"']+)""")
_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\sref\s*=\s*["']([^"']*)["']""")
_UTF8_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']utf-?8["']""", re.I)
ATTR_RE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def attr_value(attrs: bytes, name: bytes) -> str:
    """The value of attribute ``name`` in the attribute text of a start tag ('' when absent)."""
    for k, v1, v2 in ATTR_RE.findall(attrs):
        if k == name:
            return (v1 or v2).decode()
    return ""


def _only_tags_with_r(data: bytes, start: int, end: int, tag: bytes, with_r: int) -> bool:
    """Every start tag named exactly ``tag`` has ``r`` first (``<c`` also begins ``<color`` in rich text)."""
    if data.count(tag, start, end) == with_r:
        return True
    return len(re.compile(re.escape(tag) + rb"[\s/>]").findall(data, start, end)) == with_r


class SheetText:
    """The text of a worksheet (see module docstring); ``regular`` is False when it is not written the regular
    way. The sheetData body is ``data[start:end]`` (never copied); ``head``/``tail`` are the bytes around it,
    ending with ``<sheetData>`` and starting with ``</sheetData>``."""

    def __init__(self, data: bytes):
        m = _SHEETDATA.search(data)
        self.regular = False
        self.prefix = p = m.group(1) if m else b""
        if m is not None and m.group(2):                     # <sheetData/>: give it an empty body
            data = data[:m.start()] + b"<" + p + b"sheetData></" + p + b"sheetData>" + data[m.end():]
            m = _SHEETDATA.search(data)
        self.data = data
        self.row_tag, self.cell_tag = b"<" + p + b"row", b"<" + p + b"c"
        self.start = m.end() if m else len(data)
        self.end = data.find(b"</" + p + b"sheetData>", self.start) if m else -1
        if self.end < 0:
            self.start = self.end = len(data)
            self.head = self.tail = b""
            self._cells = 0
            return
        self.head, self.tail = data[:self.start], data[self.end:]
        self._cells = data.count(self.cell_tag + b' r="', self.start, self.end)
        first = data[:200]
        if (b"encoding" in first and not _UTF8_DECL.match(first)) or first[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return
        s, e = self.start, self.end
        self.regular = (data.find(b"<!", s, e) < 0 and data.find(b"<?", s, e) < 0
                        and _only_tags_with_r(data, s, e, self.row_tag, data.count(self.row_tag + b' r="', s, e))
                        and _only_tags_with_r(data, s, e, self.cell_tag, self._cells))

    @property
    def body(self) -> bytes:
        """A copy of the sheetData body (for small sheets and tests)."""
        return self.data[self.start:self.end]

    # -- counts and extents (regular text) ---------------------------------------------------------------
    def cell_count(self) -> int:
        return self._cells

    def row_span(self) -> tuple[int, int] | None:
        """(first, last) row number of the rows present, or None without rows."""
        tag = self.row_tag + b' r="'
        d = self.data
        i = d.find(tag, self.start, self.end)
        if i < 0:
            return None
        j = d.rfind(tag, self.start, self.end)
        first = int(d[i + len(tag):d.index(b'"', i + len(tag))])
        last = int(d[j + len(tag):d.index(b'"', j + len(tag))])
        return first, last

    def col_bound(self) -> int:
        """The last column any cell may be in: exact when some cell is past column Z, else 26."""
        tag = re.escape(self.cell_tag + b' r="')
        for width in (3, 2):
            found = re.compile(tag + rb"([A-Z]{%d})\d" % width).findall(self.data, self.start, self.end)
            if found:
                return min(max(col_index(x.decode()) for x in found), MAX_COL)
        return 26

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

    # -- cells by position (regular text) ----------------------------------------------------------------
    def _cell_at(self, pos: int) -> tuple[int, int, int]:
        """(row, col, start) of the cell whose XML holds byte ``pos``."""
        tag = self.cell_tag + b' r="'
        d = self.data
        start = d.rfind(tag, self.start, pos)
        ref = d[start + len(tag):d.index(b'"', start + len(tag))].decode()
        r, c = split_ref(ref)
        return r, c, start

    def formula_cells(self) -> dict[tuple[int, int], tuple[bytes, str]]:
        """``{(row, col): (attributes of <f>, formula text)}`` for every cell holding a formula."""
        out = {}
        p = re.escape(self.prefix)
        ftag = re.compile(rb"<" + p + rb"f\b([^>]*?)(?:/>|>(.*?)</" + p + rb"f>)", re.S)
        for m in ftag.finditer(self.data, self.start, self.end):
            r, c, _ = self._cell_at(m.start())
            out[(r, c)] = (m.group(1), xml_unescape((m.group(2) or b"").decode("utf-8")))
        return out

    def error_cells(self) -> dict[tuple[int, int], str]:
        """``{(row, col): '#N/A'}`` for every cell of type ``e``."""
        out = {}
        d = self.data
        v_open, v_close = b"<" + self.prefix + b"v>", b"</" + self.prefix + b"v>"
        c_close = b"</" + self.prefix + b"c>"
        for quote in (b'"', b"'"):
            needle = b" t=" + quote + b"e" + quote
            i = d.find(needle, self.start, self.end)
            while i >= 0:
                r, c, start = self._cell_at(i)
                tag_end = d.index(b">", start)
                if start < i < tag_end:                    # the attribute of that <c>, not of a child
                    text = b""
                    if d[tag_end - 1:tag_end] != b"/":
                        close = d.find(c_close, tag_end)
                        a = d.find(v_open, tag_end, close)
                        if a >= 0:
                            text = d[a + len(v_open):d.find(v_close, a, close)]
                    out[(r, c)] = xml_unescape(text.decode("utf-8")) or "#N/A"
                i = d.find(needle, i + 1, self.end)
        return out


def regularize(data: bytes, filename: str, part: str) -> bytes:
    """The worksheet rewritten the regular way: UTF-8, comments and processing instructions in sheetData
    dropped, every row and cell with ``r`` as its first attribute. Values and formulas are unchanged."""
    from .xmltext import parse_xml, serialize

    root = parse_xml(data, part, filename)
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    sd = root.find(ns + "sheetData")
    if sd is None:
        return serialize(root)
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
            _r_first(c, ref or f"{_letters(col)}{r}")
    return XML_DECL + etree.tostring(root, encoding="UTF-8")


def _letters(col: int) -> str:
    from .refs import col_letter

    return col_letter(col)


def _r_first(el, ref: str) -> None:
    attrs = [(k, v) for k, v in el.attrib.items() if k != "r"]
    el.attrib.clear()
    el.set("r", ref)
    for k, v in attrs:
        el.set(k, v)
