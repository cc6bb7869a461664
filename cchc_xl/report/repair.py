"""Put back what another program's save dropped from the report sheet: its print area, page setup and chart.

A workbook saved by openpyxl loses the print area of ``Báo cáo`` (it cannot read a whole-column range) and, once
LibreOffice saves it again, the chart's series references (``<c:f>`` becomes ``label 0``, ``categories``, ``0``);
LibreOffice alone rewrites the page margins its own way. The PDF is then no longer the report: every hidden column
printed, pages added. A refresh owns the report sheet's page and chart, so after writing the report it compares
them with :mod:`.page` and rewrites only what differs — a workbook that lost nothing is not touched (the build
stays byte-reproducible). Works on a :class:`cchc_xl.io.ooxml.Package`; Excel itself never drops them.

What is restored:

* the defined name ``_xlnm.Print_Area`` of the report sheet (``'Báo cáo'!$A:$X``);
* ``pageMargins``, ``pageSetup`` (A4, portrait, 100%, no fit-to-page) and ``headerFooter`` (page number from
  page 2, ``differentFirst``);
* the formulas of the chart's two series (name, categories, values over ``AK1:AM8``).

:func:`restore_report_frame` returns what it restored (English words, for tests and logs).
"""

from __future__ import annotations

from lxml import etree

from ..io.ooxml import NS_MAIN, Package
from ..schema import SHEET_REPORT
from .page import FOOTER_IN, HEADER, HEADER_MM, MARGINS_MM, MM, PAPER_A4, PRINT_AREA, SERIES

__all__ = ["restore_report_frame"]

_M = "{%s}" % NS_MAIN
_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_PRINT_AREA = "_xlnm.Print_Area"
# CT_Worksheet's children, in the order the schema requires (a missing one is inserted at its place).
_SHEET_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
                "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
                "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
                "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
                "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
                "extLst")
_BOOK_ORDER = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
               "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews",
               "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects",
               "extLst")
_MARGINS = {**{k: v * MM for k, v in MARGINS_MM.items()}, "header": HEADER_MM * MM, "footer": FOOTER_IN}
_TRUE = ("1", "true")


def restore_report_frame(package: Package) -> list[str]:
    """Restore the report sheet's print area, page setup and chart references in ``package`` where they differ
    from :mod:`.page`; returns what was restored (``[]`` when nothing was missing, and nothing is written)."""
    if SHEET_REPORT not in package.sheet_names():
        return []
    done = []
    if _print_area(package):
        done.append("print area")
    part = package.sheet_part(SHEET_REPORT)
    package.read_part(part)  # pending cell edits applied before the tree is read
    if _page_setup(package, part):
        done.append("page setup")
    if _charts(package, part):
        done.append("chart references")
    return done


def _insert(parent, child, order: tuple[str, ...]) -> None:
    """Insert ``child`` into ``parent`` at the place the schema's ``order`` gives it."""
    rank = order.index(etree.QName(child).localname)
    for i, el in enumerate(parent):
        name = etree.QName(el).localname if isinstance(el.tag, str) else ""
        if name in order and order.index(name) > rank:
            parent.insert(i, child)
            return
    parent.append(child)


def _print_area(package: Package) -> bool:
    names = [d for d in package.defined_names() if d.name.casefold() == _PRINT_AREA.casefold()
             and d.sheet == SHEET_REPORT]
    if names and names[0].value.replace("&apos;", "'") == PRINT_AREA:
        return False
    index = package.sheet_names().index(SHEET_REPORT)
    root = package.tree(package.workbook_part)
    ns = "{%s}" % etree.QName(root).namespace
    holder = root.find(ns + "definedNames")
    if holder is None:
        holder = etree.Element(ns + "definedNames")
        _insert(root, holder, _BOOK_ORDER)
    for el in list(holder):
        if el.get("name", "").casefold() == _PRINT_AREA.casefold() and el.get("localSheetId") == str(index):
            holder.remove(el)
    el = etree.SubElement(holder, ns + "definedName", name=_PRINT_AREA, localSheetId=str(index))
    el.text = PRINT_AREA
    return True


def _page_setup_wrong(root) -> bool:
    pr = root.find(f"{_M}sheetPr/{_M}pageSetUpPr")
    if pr is not None and pr.get("fitToPage", "0").lower() in _TRUE:
        return True
    margins = root.find(_M + "pageMargins")
    if margins is None or any(abs(float(margins.get(k, "-1")) - v) > 1e-3 for k, v in _MARGINS.items()):
        return True
    setup = root.find(_M + "pageSetup")
    if setup is None or setup.get("paperSize") != str(PAPER_A4) or setup.get("orientation") != "portrait" \
            or setup.get("scale", "100") != "100":
        return True
    hf = root.find(_M + "headerFooter")
    odd = hf.find(_M + "oddHeader") if hf is not None else None
    return hf is None or hf.get("differentFirst", "0").lower() not in _TRUE or odd is None or odd.text != HEADER


def _page_setup(package: Package, part: str) -> bool:
    if not _page_setup_wrong(package.tree_ro(part)):
        return False
    root = package.tree(part)
    pr = root.find(f"{_M}sheetPr/{_M}pageSetUpPr")
    if pr is not None:
        pr.set("fitToPage", "0")
    margins = root.find(_M + "pageMargins")
    if margins is None:
        margins = etree.Element(_M + "pageMargins")
        _insert(root, margins, _SHEET_ORDER)
    for key in ("left", "right", "top", "bottom", "header", "footer"):
        margins.set(key, repr(round(_MARGINS[key], 12)))
    setup = root.find(_M + "pageSetup")
    if setup is None:
        setup = etree.Element(_M + "pageSetup")
        _insert(root, setup, _SHEET_ORDER)
    setup.set("paperSize", str(PAPER_A4))
    setup.set("orientation", "portrait")
    setup.set("scale", "100")
    hf = root.find(_M + "headerFooter")
    if hf is None:
        hf = etree.Element(_M + "headerFooter")
        _insert(root, hf, _SHEET_ORDER)
    hf.set("differentFirst", "1")
    odd = hf.find(_M + "oddHeader")
    if odd is None:
        odd = etree.Element(_M + "oddHeader")
        hf.insert(0, odd)
    odd.text = HEADER
    return True


def _chart_parts(package: Package, part: str) -> list[str]:
    drawings = [r.part for r in package.rels(part) if r.type.endswith("/drawing") and r.part]
    return [r.part for d in drawings for r in package.rels(d) if r.type.endswith("/chart") and r.part
            and package.has_part(r.part)]


def _formula_places(ser) -> list:
    """The ``<c:f>`` elements of a series' name, categories and values (None where there is none)."""
    out = []
    for path in (f"{_C}tx/{_C}strRef/{_C}f", f"{_C}cat/*/{_C}f", f"{_C}val/*/{_C}f"):
        out.append(ser.find(path))
    return out


def _charts(package: Package, part: str) -> bool:
    changed = False
    for chart in _chart_parts(package, part):
        series = package.tree_ro(chart).findall(f".//{_C}ser")
        if len(series) < len(SERIES) or all(
                [f.text if f is not None else None for f in _formula_places(ser)] == list(refs)
                for ser, refs in zip(series, SERIES)):
            continue
        for ser, refs in zip(package.tree(chart).findall(f".//{_C}ser"), SERIES):
            for f, ref, kind in zip(_formula_places(ser), refs, ("tx", "cat", "val")):
                if f is None:
                    f = _new_ref(ser, kind)
                if f is not None:
                    f.text = ref
        changed = True
    return changed


def _new_ref(ser, kind: str):
    """A ``<c:f>`` in a series' ``tx``/``cat``/``val`` that has none (a literal, or a reference without formula):
    its one child becomes a ``strRef`` (``numRef`` for the values) holding it; None when the series has no such
    element at all (nothing is invented)."""
    holder = ser.find(_C + kind)
    if holder is None:
        return None
    name = "numRef" if kind == "val" else "strRef"
    ref = holder.find(_C + name)
    if ref is None:
        for child in list(holder):
            holder.remove(child)
        ref = etree.SubElement(holder, _C + name)
    f = etree.Element(_C + "f")
    ref.insert(0, f)
    return f
