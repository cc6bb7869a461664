"""XML text as SpreadsheetML stores it: namespaces, escapes, a safe parser and small tree helpers.

Two layers of escaping meet in a cell's text: XML's own (``&amp;``, numeric references) and OOXML's
``_xHHHH_`` for characters XML 1.0 forbids (control characters). :func:`escape_cell_text` and
:func:`unescape_cell_text` are inverse; a literal ``_x0041_`` typed by a user survives the round trip.

>>> unescape_cell_text(escape_cell_text("a\\x00b _x0041_"))
'a\\x00b _x0041_'
>>> xml_text("a < b & c\\r"), xml_unescape("&lt;&#233;&#x1EA1;&#13;")
('a &lt; b &amp; c&#13;', '<éạ\\r')

The parser never resolves entities, loads a DTD or touches the network (an ``<!ENTITY … SYSTEM>``
in a hostile part stays an unexpanded reference).
"""

from __future__ import annotations

import re

from lxml import etree

from ...errors import WorkbookError

__all__ = [
    "NS_MAIN", "NS_R", "NS_PKG_REL", "NS_CT", "XML_DECL", "XML_SPACE", "RID",
    "WORKSHEET_ORDER", "STYLESHEET_ORDER", "WORKBOOK_ORDER",
    "escape_cell_text", "unescape_cell_text", "xml_text", "xml_attr", "xml_unescape",
    "SAFE_PARSER", "SAFE_HUGE_PARSER", "parse_xml", "ns_of", "local_name", "insert_ordered", "signature", "serialize",
]

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
RID = "{%s}id" % NS_R
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

_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}

# The parsers every XML of a received file goes through (no entities, no DTD, no network).
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                              remove_blank_text=False)
SAFE_HUGE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                                   remove_blank_text=False)


def escape_cell_text(text: str) -> str:
    """``text`` safe for a cell: ``_xHHHH_`` for characters XML forbids, U+FFFD for lone surrogates."""
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: "_x005F" + m.group(0), text)
    text = _ILLEGAL.sub(lambda m: "_x%04X_" % ord(m.group(0)), text)
    return _SURROGATE.sub("\ufffd", text)


def unescape_cell_text(text: str) -> str:
    if "_x" in text:
        return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def xml_text(text: str) -> str:
    """Escape character data for XML text (``&``, ``<``, ``>``, and a carriage return, which a parser would
    otherwise read as a line feed)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def xml_attr(text: str) -> str:
    """Escape an attribute value written between double quotes."""
    return xml_text(text).replace('"', "&quot;")


def xml_unescape(text: str) -> str:
    """Replace the five named entities and numeric character references."""
    if "&" not in text:
        return text

    def sub(m):
        e = m.group(1)
        if e[0] == "#":
            return chr(int(e[2:], 16) if e[1] in "xX" else int(e[1:]))
        return _ENTITIES[e]
    return _ENTITY.sub(sub, text)


def parse_xml(data: bytes, part: str, filename: str):
    """Parse a part with the safe parser; a broken part is a Vietnamese :class:`WorkbookError`."""
    try:
        return etree.fromstring(data, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        if "huge" in str(exc).lower():
            try:
                return etree.fromstring(data, SAFE_HUGE_PARSER)
            except etree.XMLSyntaxError as exc2:
                exc = exc2
        raise WorkbookError(f"Tệp '{filename}' bị hỏng: phần '{part}' không phải XML hợp lệ ({exc}).") from None


def serialize(root) -> bytes:
    return XML_DECL + etree.tostring(root, encoding="UTF-8")


def ns_of(el) -> str:
    """``'{namespace}'`` of an element ('' when it has none)."""
    return "{%s}" % etree.QName(el).namespace if el.tag.startswith("{") else ""


def local_name(el) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def insert_ordered(parent, new, order: list[str]) -> None:
    """Insert ``new`` among ``parent``'s children respecting the schema ``order``."""
    idx = order.index(local_name(new))
    for child in parent:
        name = local_name(child)
        if name in order and order.index(name) > idx:
            child.addprevious(new)
            return
    parent.append(new)


def signature(el) -> tuple:
    """Comparable signature of an element (tag, attributes, text, children)."""
    return (local_name(el), tuple(sorted((k, v) for k, v in el.attrib.items())),
            (el.text or "").strip(), tuple(signature(c) for c in el if isinstance(c.tag, str)))
