"""The style sheet (``xl/styles.xml``): which cell formats show dates, and formats added on demand.

A cell's ``s`` attribute indexes ``cellXfs``; a format shows a date when its number format is a builtin
date format or a custom code with date/time tokens (:func:`.serials.is_date_format`). New formats are
found-or-appended by content (:meth:`StyleSheet.ensure_style` with the same spec returns the same index,
also across saves), so repeated refreshes never grow the style sheet.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from .relationships import CT_STYLES, REL_STYLES, same_type
from .serials import BUILTIN_DATE_FORMATS, BUILTIN_FORMATS, is_date_format
from .xmltext import NS_MAIN, STYLESHEET_ORDER, XML_DECL, insert_ordered, local_name, ns_of, signature

__all__ = ["StyleSheet"]

FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz",
              "color", "name", "family", "charset", "scheme"]
_EMPTY_STYLESHEET = (
    '<styleSheet xmlns="%s"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/>'
    '<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" '
    'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
    'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
    'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>' % NS_MAIN)


def _argb(rgb: str) -> str:
    rgb = rgb.lstrip("#").upper()
    return rgb if len(rgb) == 8 else "FF" + rgb


class StyleSheet:
    """The style sheet of a package (``store``: a :class:`.parts.PartStore`; ``workbook_part``: its workbook)."""

    def __init__(self, store, workbook_part: str):
        self._store = store
        self._workbook_part = workbook_part
        self._part: str | None = None
        self._date_xfs: list[bool] | None = None
        self._spec_cache: dict[tuple, int] = {}
        self._num_fmt_xf: dict[tuple[int, str], int] = {}
        # signature -> first index, per collection element (fonts, borders, cellXfs…), with its item count
        self._signatures: dict[int, tuple[object, int, dict[tuple, int]]] = {}

    def invalidate(self, part: str) -> None:
        low = part.lower()
        if low.endswith("styles.xml"):
            self._date_xfs = None
            self._spec_cache.clear()
            self._num_fmt_xf.clear()
            self._signatures.clear()
        if low.endswith(".rels"):
            self._part = None

    # -- reading -------------------------------------------------------------------------------------------
    def part(self) -> str | None:
        if self._part is None or not self._store.has_part(self._part):
            self._part = None
            for rel in self._store.rels(self._workbook_part):
                if same_type(rel.type, "styles") and rel.part and self._store.has_part(rel.part):
                    self._part = rel.part
                    break
        return self._part

    def date_flags(self) -> list[bool]:
        """``flags[i]`` is True when cellXfs[i] shows a date or a time."""
        if self._date_xfs is None:
            flags: list[bool] = []
            sp = self.part()
            if sp:
                root = self._store.tree_ro(sp)
                ns = ns_of(root)
                custom = {}
                nf = root.find(ns + "numFmts")
                for el in (nf if nf is not None else []):
                    if el.get("numFmtId") is not None:
                        custom[int(el.get("numFmtId"))] = el.get("formatCode", "")
                xfs = root.find(ns + "cellXfs")
                for xf in (xfs if xfs is not None else []):
                    if local_name(xf) != "xf":
                        continue
                    fid = int(xf.get("numFmtId", "0") or 0)
                    flags.append(is_date_format(custom[fid]) if fid in custom else fid in BUILTIN_DATE_FORMATS)
            self._date_xfs = flags
        return self._date_xfs

    def is_date_style(self, xf_index: int) -> bool:
        flags = self.date_flags()
        return 0 <= xf_index < len(flags) and flags[xf_index]

    # -- writing -------------------------------------------------------------------------------------------
    def _root(self):
        sp = self.part()
        if sp is None:
            sp = "xl/styles.xml"
            self._store.write(sp, XML_DECL + _EMPTY_STYLESHEET.encode())
            self._store.content_types.set_override(sp, CT_STYLES)
            self._store.add_rel(self._workbook_part, REL_STYLES, sp)
            self._part = sp
        return self._store.tree(sp, invalidate=False)

    @staticmethod
    def _collection(root, name: str):
        ns = ns_of(root)
        el = root.find(ns + name)
        if el is None:
            el = etree.Element(ns + name, count="0")
            insert_ordered(root, el, STYLESHEET_ORDER)
        return el

    def _find_or_append(self, coll, new) -> int:
        """The index of the item of ``coll`` equal to ``new`` (the first), appending ``new`` when there is none.

        The items' signatures are computed once per collection and kept while its number of items is the one
        this method left (a change to the part through the store clears them: :meth:`invalidate`)."""
        sig = signature(new)
        n = sum(1 for c in coll if isinstance(c.tag, str))
        known = self._signatures.get(id(coll))
        if known is None or known[0] is not coll or known[1] != n:
            index: dict[tuple, int] = {}
            for i, c in enumerate(c for c in coll if isinstance(c.tag, str)):
                index.setdefault(signature(c), i)
            known = self._signatures[id(coll)] = (coll, n, index)
        hit = known[2].get(sig)
        if hit is not None:
            return hit
        coll.append(new)
        coll.set("count", str(n + 1))
        known[2][sig] = n
        self._signatures[id(coll)] = (coll, n + 1, known[2])
        return n

    def _num_fmt_id(self, root, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        ns = ns_of(root)
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

    def ensure_style(self, font: Mapping | None = None, fill: str | None = None,
                     border: str | Mapping | None = None, align: Mapping | None = None,
                     num_fmt: str | None = None) -> int:
        """Find or add a cell format; returns its cellXfs index (same spec -> same index).

        font: {name, size, bold, italic, underline, strike, color ('RRGGBB')}; fill: 'RRGGBB';
        border: 'thin' | 'medium' | None, or {side: style} for some sides only ({"top": "thin"});
        align: {horizontal, vertical, wrap, indent, rotation, shrink};
        num_fmt: a format code ('dd/mm/yyyy', '#,##0', '0.00%', …).
        """
        if isinstance(border, Mapping):  # some sides only
            border = tuple(sorted(border.items()))
        key = (tuple(sorted((font or {}).items())), fill, border, tuple(sorted((align or {}).items())), num_fmt)
        if key in self._spec_cache:
            return self._spec_cache[key]
        root = self._root()
        ns = ns_of(root)
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
        self._spec_cache[key] = idx
        return idx

    @staticmethod
    def _font(root, spec: Mapping):
        ns = ns_of(root)
        fonts = root.find(ns + "fonts")
        base = {}
        if fonts is not None and len(fonts):
            for ch in fonts[0]:
                base[local_name(ch)] = dict(ch.attrib)
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
        for key, tag in (("bold", "b"), ("italic", "i"), ("strike", "strike")):
            if spec.get(key):
                props[tag] = {}
        if spec.get("underline"):
            u = spec["underline"]
            props["u"] = {} if u is True or u == "single" else {"val": str(u)}
        f = etree.Element(ns + "font")
        for k in FONT_ORDER:
            if k in props:
                etree.SubElement(f, ns + k, **props[k])
        return f

    def with_num_fmt(self, xf_index: int, code: str) -> int:
        """A copy of cellXfs[xf_index] with another number format (find or append)."""
        key = (xf_index, code)
        if key in self._num_fmt_xf:
            return self._num_fmt_xf[key]
        root = self._root()
        ns = ns_of(root)
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
