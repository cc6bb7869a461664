"""The shared-string table (``xl/sharedStrings.xml``): cells of type ``s`` hold an index into it.

An entry is a plain ``<t>`` or rich text runs ``<r><t>…</t></r>``; phonetic runs (``<rPh>``) are not part
of the text. ``_xHHHH_`` escapes are decoded.
"""

from __future__ import annotations

from .relationships import same_type
from .xmltext import ns_of, unescape_cell_text

__all__ = ["read_shared_strings", "text_of"]


def text_of(el, t_tag: str, r_tag: str) -> str:
    """Text of an ``<si>``/``<is>``: a direct ``<t>``, or the ``<t>`` of every rich text run."""
    parts = []
    for ch in el:
        tag = ch.tag
        if tag == t_tag:
            parts.append(ch.text or "")
        elif tag == r_tag:
            for t in ch:
                if t.tag == t_tag:
                    parts.append(t.text or "")
    return unescape_cell_text("".join(parts))


def read_shared_strings(store, workbook_part: str) -> list[str]:
    """Every entry of the workbook's shared-string table ([] when it has none)."""
    for rel in store.rels(workbook_part):
        if same_type(rel.type, "sharedStrings") and rel.part and store.has_part(rel.part):
            root = store.tree_ro(rel.part)
            ns = ns_of(root)
            t_tag, r_tag, si_tag = ns + "t", ns + "r", ns + "si"
            return [text_of(si, t_tag, r_tag) for si in root if si.tag == si_tag]
    return []
