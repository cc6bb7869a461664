"""Document properties: custom properties (``docProps/custom.xml``) and the last save time
(``dcterms:modified`` of ``docProps/core.xml``).

A hand-out copy carries its identity (``CCHC_*``) in custom properties; the consolidation orders copies by
their save time. A missing or broken properties part reads as "no properties"; it never stops a run.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from .xmltext import SAFE_PARSER

__all__ = ["custom_properties", "modified"]

_NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_NS_DCTERMS = "http://purl.org/dc/terms/"


def custom_properties(pkg) -> dict[str, str]:
    """``{name: text}`` of the package's custom properties."""
    data = pkg.read_part("docProps/custom.xml")
    if not data:
        return {}
    try:
        root = etree.fromstring(data, SAFE_PARSER)
    except etree.XMLSyntaxError:
        return {}
    return {p.get("name", ""): "".join(p.itertext()).strip() for p in root.iter(f"{{{_NS_CUSTOM}}}property")}


def modified(pkg) -> dt.datetime | None:
    """The last save time recorded in the package (local time, naive), or None."""
    data = pkg.read_part("docProps/core.xml")
    if not data:
        return None
    try:
        el = etree.fromstring(data, SAFE_PARSER).find(f"{{{_NS_DCTERMS}}}modified")
        if el is not None and el.text:
            d = dt.datetime.fromisoformat(el.text.strip().replace("Z", "+00:00"))
            return d.astimezone().replace(tzinfo=None) if d.tzinfo else d
    except (ValueError, etree.XMLSyntaxError):
        pass
    return None
