"""Write cells into a worksheet by splicing its XML text: the cells the engine owns are rewritten, every
other byte is copied.

:func:`splice_cells` walks the rows to change in order, in one pass over the (regular, see
:mod:`.sheet_text`) text: a ``<c>`` that exists is replaced (its style and other attributes kept), a
missing one is inserted in column order, a missing row in row order; the ``<dimension>`` grows to cover
what was written. Overwriting a formula drops the calculation chain (the caller does); overwriting the
master of a shared formula gives each dependent its own formula text first (:func:`unshare`).

:func:`replace_sheet_data` replaces the whole sheetData (the report sheet) and lets lxml edit the sheet's
other elements (merges, column widths, dimension) on the small skeleton left without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Mapping

from lxml import etree

from .refs import MAX_COL, MAX_ROW, cell_ref, col_index, col_letter, parse_ref, range_ref
from .sheet_text import ATTR_RE, SheetText
from .xmltext import WORKSHEET_ORDER, XML_DECL, escape_cell_text, insert_ordered, parse_xml, xml_text, xml_unescape

__all__ = ["Splice", "RowBlock", "splice_cells", "replace_sheet_data", "unshare", "col_styles"]

_KEEP = object()
_DROP_ATTRS = {b"t", b"cm", b"vm"}
_SPANS = re.compile(rb'\sspans="(\d+):(\d+)"')
_DIM_REF = re.compile(rb"""(<(?:[\w.-]+:)?dimension\b[^>]*?\sref\s*=\s*["'])([^"']*)(["'])""")
_COL = re.compile(rb"<(?:[\w.-]+:)?col\b([^>]*)/?>")


@dataclass
class Splice:
    """The new text of a sheet, as chunks, and what the caller must do about formulas."""

    chunks: list[bytes]
    removed_formula: bool = False
    masters: dict[str, tuple[str, str]] = field(default_factory=dict)   # shared si -> (formula, master ref)


def col_styles(head: bytes) -> Callable[[int], int]:
    """The default style of each column, from the ``<cols>`` in the sheet's head."""
    spans = []
    for m in _COL.finditer(head):
        a = {k: (v1 or v2) for k, v1, v2 in ATTR_RE.findall(m.group(1))}
        style = a.get(b"style", b"0")
        if style not in (b"", b"0"):
            try:
                spans.append((int(a.get(b"min", b"0")), int(a.get(b"max", b"0")), int(style)))
            except ValueError:
                continue

    def lookup(c: int) -> int:
        for lo, hi, s in spans:
            if lo <= c <= hi:
                return s
        return 0
    return lookup


def _with_dimension(head: bytes, keys, replace: bool = False) -> bytes:
    """The head with ``<dimension ref>`` covering ``keys`` (and the old box unless ``replace``)."""
    m = _DIM_REF.search(head)
    if m is None:
        return head
    rows = [k[0] for k in keys] or [1]
    cols = [k[1] for k in keys] or [1]
    r1, c1, r2, c2 = min(rows), min(cols), max(rows), max(cols)
    if not replace:
        try:
            a1, b1, a2, b2 = parse_ref(m.group(2).decode())
        except ValueError:
            pass
        else:
            r1, c1, r2, c2 = min(r1, a1), min(c1, b1), max(r2, a2), max(c2, b2)
    new = range_ref(r1, c1, r2, c2).encode()
    return head if new == m.group(2) else head[:m.start(2)] + new + head[m.end(2):]


def _old_cell(tag: bytes) -> tuple[int, bytes, bytes]:
    """(style, attributes kept when the value changes, attributes kept when only the style changes) of the
    attribute text that follows ``r="…"`` in a ``<c>`` start tag."""
    style, keep_value, keep_style = 0, [], []
    for k, v1, v2 in ATTR_RE.findall(tag):
        v = v1 or v2
        if k == b"s":
            try:
                style = int(v)
            except ValueError:
                style = 0
            continue
        text = b' %s="%s"' % (k, v)
        keep_style.append(text)
        if k not in _DROP_ATTRS:
            keep_value.append(text)
    return style, b"".join(keep_value), b"".join(keep_style)


@dataclass
class RowBlock:
    """Whole rows to write: ``rows[i]`` goes to row ``first_row + i``, its values from column ``first_col`` on
    (None = no value); ``styles[j]`` (or None) is the style of column ``first_col + j`` in those rows."""

    first_row: int
    first_col: int
    rows: list[list]
    styles: list[int | None]

    def min_size(self, after_row: int = 0) -> int:
        """A lower bound of the bytes of XML these rows add past row ``after_row`` (rows a sheet does not hold yet):
        ``<row r="N"></row>`` and, for every cell written, ``<c r="XN"/>`` (`` s="k"`` when styled) at least.

        >>> RowBlock(9, 1, [["a", None], [None, None]], [3, None]).min_size()   # <row r="9"></row> <c r="A9" s="3"/>…
        70
        """
        start = max(self.first_row, after_row + 1)
        rows = self.rows[start - self.first_row:]
        if not rows:
            return 0
        n, digits = len(rows), _digit_count(start, start + len(rows) - 1)
        total = n * len(b'<row r=""></row>') + digits
        for j in range(max(len(self.styles), max(map(len, rows)))):
            style = self.styles[j] if j < len(self.styles) else None
            cell = len(b'<c r=""/>') + len(col_letter(self.first_col + j)) + (len(b' s=""%d' % style) if style else 0)
            if style is not None:            # written on every row, value or not
                total += n * cell + digits
            else:
                total += sum(j < len(row) and row[j] is not None for row in rows) * (cell + len(str(start)))
        return total

    def edits(self, r: int) -> tuple[dict[int, object], dict[int, int]]:
        row = self.rows[r - self.first_row]
        c0 = self.first_col
        values = {c0 + j: v for j, v in enumerate(row) if v is not None}
        styles = {c0 + j: s for j, s in enumerate(self.styles) if s is not None}
        return values, styles


def _digit_count(a: int, b: int) -> int:
    """The digits of every number from ``a`` to ``b``: ``_digit_count(9, 10) == 3``."""
    total, lo = 0, a
    while lo <= b:
        width = len(str(lo))
        hi = min(b, 10 ** width - 1)
        total += (hi - lo + 1) * width
        lo = hi + 1
    return total


def _by_row(cells: Mapping[tuple[int, int], object]) -> dict[int, dict[int, object]]:
    out: dict[int, dict[int, object]] = {}
    for (r, c), v in cells.items():
        if not (1 <= r <= MAX_ROW and 1 <= c <= MAX_COL):
            raise ValueError(f"cell ({r}, {c}) is outside the sheet")
        row = out.get(r)
        if row is None:
            row = out[r] = {}
        row[c] = v
    return out


def splice_cells(st: SheetText, values: Mapping[tuple[int, int], object], styles: Mapping[tuple[int, int], int],
                 writer, blocks: list[RowBlock] = ()) -> Splice:
    """The sheet with ``values`` written (``None`` clears a value, keeping the cell and its style),
    ``styles`` set (cellXfs index; 0 removes the attribute) and the rows of ``blocks`` written (a block is
    written after ``values``/``styles`` in the cells both name). ``writer`` is a :class:`.cell_xml.CellWriter`.
    Raises :class:`.sheet_text.IrregularSheet` when the text around a place to write is not regular."""
    return _Splicer(st, writer).run(_by_row(values), _by_row(styles), blocks)


class _Splicer:
    """One pass of :func:`splice_cells` over a sheet's text: the rows to change in order, each a new row
    (:meth:`new_row`) or an existing one (:meth:`existing_row`: each cell replaced, :meth:`existing_cell`, or
    inserted, :meth:`new_cell`); ``out`` collects the chunks of the new text, ``out[0]`` is the head."""

    def __init__(self, st: SheetText, writer):
        self.st, self.d, self.p = st, st.data, st.prefix
        p = st.prefix
        self.row_open, self.row_close = st.row_tag + b' r="', b"</" + p + b"row>"
        self.c_open, self.c_close, self.f_open = st.cell_tag + b' r="', b"</" + p + b"c>", b"<" + p + b"f"
        self.next_row = re.compile(re.escape(self.row_open) + rb'(\d+)"')
        self.any_cell = re.compile(re.escape(self.c_open) + rb"([A-Z]+)\d")
        self.default_col = col_styles(st.head)
        self.letters: dict[int, bytes] = {}
        self.needles: dict[int, bytes] = {}
        self.attrs_seen: dict[bytes, tuple[int, bytes, bytes]] = {}
        self.out = [b""]
        self.parts = writer.parts
        self.result = Splice(self.out)

    def run(self, row_values: dict[int, dict[int, object]], row_styles: dict[int, dict[int, int]],
            blocks: Iterable[RowBlock]) -> Splice:
        in_block: dict[int, RowBlock] = {}
        for block in blocks:
            for r in range(block.first_row, block.first_row + len(block.rows)):
                in_block[r] = block
        st, d, out = self.st, self.d, self.out
        pos, end = st.start, st.end
        rows_written = sorted(set(row_values) | set(row_styles) | set(in_block))
        lo_col, hi_col = MAX_COL, 0
        no_edit: dict[int, object] = {}
        row_open, find = self.row_open, d.find
        name_columns, new_row, existing_row = self._name_columns, self.new_row, self.existing_row
        named: list[int] = []
        for r in rows_written:
            rv, rs = row_values.get(r, no_edit), row_styles.get(r, no_edit)
            block = in_block.get(r)
            if block is not None:
                bv, bs = block.edits(r)
                rv, rs = {**rv, **bv} if rv else bv, {**rs, **bs} if rs else bs
            cols = sorted(set(rv) | set(rs)) if rs else sorted(rv)
            if not cols:
                continue
            if cols != named:                               # the columns of the rows before: named already
                name_columns(r, cols)
                named = cols
                lo_col, hi_col = min(lo_col, cols[0]), max(hi_col, cols[-1])
            rnum = b"%d" % r
            i = find(row_open + rnum + b'"', pos, end)
            if i < 0:
                pos = new_row(r, rnum, cols, rv, rs, pos, end)
            else:
                pos = existing_row(i, rnum, cols, rv, rs, pos)
        out.append(d[pos:end])
        out.append(st.tail)
        if hi_col:
            out[0] = _with_dimension(st.head, [(rows_written[0], lo_col), (rows_written[-1], hi_col)])
        else:
            out[0] = st.head
        return self.result

    def _name_columns(self, r: int, cols: list[int]) -> None:
        """The letters and the ``<c r="X`` needle of each column (refused outside the sheet)."""
        letters = self.letters
        for c in (cols[0], cols[-1]):
            if c not in letters and not 1 <= c <= MAX_COL:
                raise ValueError(f"cell ({r}, {c}) is outside the sheet")
        for c in cols:
            if c not in letters:
                letters[c] = col_letter(c).encode()
                self.needles[c] = self.c_open + letters[c]

    def new_row(self, r: int, rnum: bytes, cols: list[int], rv, rs, pos: int, end: int) -> int:
        """A row the sheet lacks, before the first row past it (nothing when only blanks are written)."""
        cols = [c for c in cols if rv.get(c) is not None or c in rs]
        if not cols:
            return pos
        d, next_row = self.d, self.next_row
        m = next_row.search(d, pos, end)
        while m is not None and int(m.group(1)) < r:
            m = next_row.search(d, m.end(), end)
        ins = m.start() if m is not None else end
        self.st.check_rows(pos, ins)
        self.out.append(d[pos:ins])
        row = [b'<%srow r="%d">' % (self.p, r)]                 # one chunk per new row (an import adds many)
        parts, default_col, c_open, letters = self.parts, self.default_col, self.c_open, self.letters
        for c in cols:
            head, rest = parts(rs[c] if c in rs else default_col(c), rv.get(c))
            row += (c_open, letters[c], rnum, head, rest)
        row.append(self.row_close)
        self.out.append(b"".join(row))
        return ins

    def existing_row(self, i: int, rnum: bytes, cols: list[int], rv, rs, pos: int) -> int:
        """The row starting at ``i``: each of ``cols`` replaced or inserted; returns where the row's content ends."""
        d, out = self.d, self.out
        tag_end = d.index(b">", i)
        row_tag = d[i:tag_end + 1]
        closed = row_tag.endswith(b"/>")
        row_style = 0
        if b"customFormat" in row_tag:
            a = {k: (v1 or v2) for k, v1, v2 in ATTR_RE.findall(row_tag)}
            if a.get(b"customFormat") in (b"1", b"true"):
                row_style = int(a.get(b"s", b"0") or 0)
        content_start = tag_end + 1
        content_end = content_start if closed else d.index(self.row_close, content_start)
        out.append(d[pos:i])
        tag_slot = len(out)
        out.append(row_tag[:-2] + b">" if closed else row_tag)
        cpos, lo, hi = content_start, 0, 0
        quote = rnum + b'"'
        needles, find, existing_cell = self.needles, d.find, self.existing_cell
        for c in cols:
            needle = needles[c] + quote
            j = find(needle, cpos, content_end)
            if j >= 0:
                cpos = existing_cell(j, needle, c, rnum, rv, rs, cpos)
            elif rv.get(c) is not None or c in rs:           # a new cell, before the first cell past it
                cpos = self.new_cell(c, rnum, rv, rs, row_style, cpos, content_start, content_end)
                lo, hi = lo or c, c
        out.append(d[cpos:content_end])
        if closed:
            out.append(self.row_close)
        if lo:
            out[tag_slot] = _widen_spans(out[tag_slot], lo, hi)
        return content_end

    def new_cell(self, c: int, rnum: bytes, rv, rs, row_style: int, cpos: int, content_start: int,
                 content_end: int) -> int:
        """A cell the row lacks, before the first cell past its column; returns where the copy goes on."""
        d = self.d
        self.st.check_cells(content_start, content_end)
        ins = content_end
        for m in self.any_cell.finditer(d, cpos, content_end):
            if col_index(m.group(1).decode()) > c:
                ins = m.start()
                break
        out = self.out
        out.append(d[cpos:ins])
        head, rest = self.parts(rs[c] if c in rs else (row_style or self.default_col(c)), rv.get(c))
        out.append(self.c_open)
        out.append(self.letters[c] + rnum)
        out.append(head)
        out.append(rest)
        return ins

    def existing_cell(self, j: int, needle: bytes, c: int, rnum: bytes, rv, rs, cpos: int) -> int:
        """The cell at ``j``: its value (and style) replaced, its other attributes kept; returns its end."""
        d, out = self.d, self.out
        te = d.index(b">", j)
        if d[te - 1] == 47:                            # <c …/>
            attr_text, inner, cell_end = d[j + len(needle):te - 1], b"", te + 1
        else:
            ce = d.index(self.c_close, te)
            attr_text, inner, cell_end = d[j + len(needle):te], d[te + 1:ce], ce + len(self.c_close)
        old = self.attrs_seen.get(attr_text)
        if old is None:
            old = self.attrs_seen[attr_text] = _old_cell(attr_text)
        style, keep_value, keep_style = old
        if c in rs:
            style = rs[c] or 0
        out.append(d[cpos:j + len(needle) - 1])            # up to and with <c r="REF
        if c in rv:
            if self.f_open in inner:
                self.result.removed_formula = True
                _note_master(inner, self.f_open, (self.letters[c] + rnum).decode(), self.result.masters)
            head, rest = self.parts(style, rv[c])
            out.append(head)
            if keep_value:
                out.append(keep_value)
            out.append(rest)
        else:                                          # only the style changes
            s = b' s="%d"' % style if style else b""
            out.append(b'"' + s + keep_style + (b">" + inner + self.c_close if inner else b"/>"))
        return cell_end


def _widen_spans(row_tag: bytes, lo: int, hi: int) -> bytes:
    m = _SPANS.search(row_tag)
    if m is None:
        return row_tag
    a, b = int(m.group(1)), int(m.group(2))
    if a <= lo and hi <= b:
        return row_tag
    return row_tag[:m.start()] + b' spans="%d:%d"' % (min(a, lo), max(b, hi)) + row_tag[m.end():]


def _note_master(inner: bytes, f_open: bytes, ref: str, masters: dict) -> None:
    """Record the formula of a shared-formula master that is being overwritten."""
    m = re.search(re.escape(f_open) + rb"\b([^>]*?)>(.+?)</", inner, re.S)
    if m is None:
        return
    a = {k: (v1 or v2) for k, v1, v2 in ATTR_RE.findall(m.group(1))}
    if a.get(b"t") == b"shared" and b"ref" in a and b"si" in a:
        masters[a[b"si"].decode()] = (xml_unescape(m.group(2).decode("utf-8")), ref)


def unshare(data: bytes, prefix: bytes, masters: Mapping[str, tuple[str, str]]) -> bytes:
    """Give each dependent of the shared formulas ``masters`` (whose master cell was overwritten) its own
    formula text, translated from the master's position (openpyxl's translator)."""
    from openpyxl.formula.translate import Translator

    p = re.escape(prefix)
    dep = re.compile(rb"<" + p + rb"f\b([^>]*?)(?:/>|></" + p + rb"f>)")
    c_open = b"<" + prefix + b'c r="'
    out, pos = [], 0
    for m in dep.finditer(data):
        a = {k: (v1 or v2) for k, v1, v2 in ATTR_RE.findall(m.group(1))}
        si = a.get(b"si", b"").decode()
        if a.get(b"t") != b"shared" or si not in masters:
            continue
        start = data.rfind(c_open, 0, m.start()) + len(c_open)
        target = data[start:data.index(b'"', start)].decode()
        text, origin = masters[si]
        try:
            formula = Translator("=" + text, origin=origin).translate_formula(target)[1:]
        except Exception:  # noqa: BLE001 - an odd formula keeps the master's text: still a formula
            formula = text
        out += [data[pos:m.start()], b"<%sf>%s</%sf>" % (prefix, xml_text(escape_cell_text(formula)).encode(),
                                                       prefix)]
        pos = m.end()
    out.append(data[pos:])
    return b"".join(out)


def replace_sheet_data(st: SheetText, cells: Mapping[tuple[int, int], tuple[object, int | None]], writer,
                       merges=(), row_heights: Mapping[int, float] | None = None,
                       col_widths: Mapping[int, float] | None = None, row_breaks: Iterable[int] | None = None,
                       *, filename: str = "", part: str = "") -> list[bytes]:
    """The sheet with all its cells replaced by ``cells`` ({(row, col): (value, style)}), its merges by
    ``merges`` and, when given, its column widths and manual page breaks (``row_breaks``: the rows after which
    a new page starts; ``[]`` removes them, None keeps the sheet's); every other element is kept."""
    p = st.prefix.decode()
    heights = {r: h for r, h in (row_heights or {}).items() if h}
    by_row: dict[int, list[int]] = {}
    for r, c in cells:
        by_row.setdefault(r, []).append(c)
    body = []
    for r in sorted(set(by_row) | set(heights)):
        ht = f' ht="{float(heights[r]):g}" customHeight="1"' if r in heights else ""
        row = [f'<{p}row r="{r}"{ht}>'.encode()]
        for c in sorted(by_row.get(r, ())):
            value, style = cells[(r, c)]
            row.append(writer.cell(cell_ref(r, c), int(style or 0), b"", value))
        row.append(f"</{p}row>".encode())
        body.append(b"".join(row))
    merges = list(merges)
    root = parse_xml(st.head + st.tail, part, filename)
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    for mc in root.findall(ns + "mergeCells"):
        root.remove(mc)
    if merges:
        mc = etree.Element(ns + "mergeCells", count=str(len(merges)))
        for m in merges:
            etree.SubElement(mc, ns + "mergeCell", ref=range_ref(*m))
        insert_ordered(root, mc, WORKSHEET_ORDER)
    if col_widths is not None:
        for old in root.findall(ns + "cols"):
            root.remove(old)
        if col_widths:
            cols = etree.Element(ns + "cols")
            for c in sorted(col_widths):
                etree.SubElement(cols, ns + "col", min=str(c), max=str(c), width=f"{float(col_widths[c]):g}",
                                 customWidth="1")
            insert_ordered(root, cols, WORKSHEET_ORDER)
    if row_breaks is not None:
        for old in root.findall(ns + "rowBreaks"):
            root.remove(old)
        breaks = sorted({int(r) for r in row_breaks})
        if breaks:
            rb = etree.Element(ns + "rowBreaks", count=str(len(breaks)), manualBreakCount=str(len(breaks)))
            for r in breaks:
                etree.SubElement(rb, ns + "brk", id=str(r), max="16383", man="1")
            insert_ordered(root, rb, WORKSHEET_ORDER)
    keys = list(cells) + [(m[0], m[1]) for m in merges] + [(m[2], m[3]) for m in merges]
    dim = root.find(ns + "dimension")
    if dim is None:
        dim = etree.Element(ns + "dimension")
        insert_ordered(root, dim, WORKSHEET_ORDER)
    rows = [k[0] for k in keys] or [1]
    colsn = [k[1] for k in keys] or [1]
    dim.set("ref", range_ref(min(rows), min(colsn), max(rows), max(colsn)))
    skeleton = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    m = re.search(rb"<(?:[\w.-]+:)?sheetData\b[^>]*?/>", skeleton)
    open_tag = m.group(0)[:-2] + b">"
    close_tag = b"</" + open_tag[1:].split(b" ")[0].rstrip(b">") + b">"
    return [XML_DECL + skeleton[:m.start()] + open_tag] + body + [close_tag + skeleton[m.end():]]
