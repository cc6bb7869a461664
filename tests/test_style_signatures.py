"""The style sheet remembers its items' signatures (io/ooxml/styles.py): a format is found, not appended again,
across many lookups; and a change made to styles.xml through the part store is seen."""

from __future__ import annotations

from cchc_xl.io.ooxml import Package
from cchc_xl.io.ooxml.xmltext import ns_of


def _count(pkg, name):
    root = pkg.styles._root()
    return len([c for c in root.find(ns_of(root) + name) if isinstance(c.tag, str)])


def test_found_across_lookups_and_appended_once(root):
    pkg = Package.open(root / "workbook" / "CCHC_2024.xlsm")
    before = _count(pkg, "cellXfs")
    specs = [dict(font={"bold": True, "size": s}, border="thin", num_fmt="#,##0") for s in (9, 10, 11, 12)]
    first = [pkg.ensure_style(**s) for s in specs]
    pkg.styles._spec_cache.clear()                       # look them up again through the signatures
    assert [pkg.ensure_style(**s) for s in specs] == first
    assert _count(pkg, "cellXfs") <= before + len(specs) and len(set(first)) == len(specs)


def test_a_change_through_the_store_is_seen(root):
    pkg = Package.open(root / "workbook" / "CCHC_2024.xlsm")
    spec = dict(font={"bold": True, "size": 17, "name": "Arial"})
    a = pkg.ensure_style(**spec)
    part = pkg.styles.part()
    tree = pkg.tree(part)                                # taken to be modified: the caches are stale
    ns = ns_of(tree)
    xfs = tree.find(ns + "cellXfs")
    items = [c for c in xfs if isinstance(c.tag, str)]
    items[a].set("fontId", "0")                          # the format found before is not that format any more
    assert pkg.ensure_style(**spec) != a
