"""The workbook part: sheets, defined names, tables, the calculation settings.

Sheet and table names are matched exactly first, then case- and normalisation-insensitively (Excel treats
``Nhật ký`` and ``NHẬT KÝ`` as the same sheet). A sheet added here is appended to ``<sheets>`` (or placed
after another), and the sheet-local names and the active tab follow their sheets when positions shift.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from lxml import etree

from ...errors import WorkbookError
from .refs import parse_ref, range_ref
from .relationships import CT_WORKSHEET, REL_WORKSHEET, rels_name, same_type
from .xmltext import (NS_MAIN, NS_R, RID, WORKBOOK_ORDER, XML_DECL, insert_ordered, local_name, ns_of,
                      unescape_cell_text)

__all__ = ["SheetInfo", "TableInfo", "DefinedName", "Workbook", "norm_name"]


@dataclass(frozen=True)
class SheetInfo:
    name: str
    sheet_id: int
    rid: str
    part: str | None
    kind: str          # worksheet | chartsheet | dialogsheet | macrosheet
    state: str         # visible | hidden | veryHidden


@dataclass(frozen=True)
class TableInfo:
    name: str
    display_name: str
    sheet: str
    part: str
    ref: str
    headers: list[str]
    header_row_count: int = 1
    totals_row_count: int = 0


@dataclass(frozen=True)
class DefinedName:
    name: str
    value: str
    sheet: str | None = None     # set for sheet-local names
    hidden: bool = False


def norm_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


class Workbook:
    """Navigation and the few edits of the workbook part of ``store`` (a :class:`.parts.PartStore`)."""

    def __init__(self, store):
        self._store = store
        self.part = self._find()

    def _find(self) -> str:
        s = self._store
        part = None
        if s.has_part("_rels/.rels"):
            for rel in s.rels(""):
                if same_type(rel.type, "officeDocument") and rel.part:
                    part = s.real(rel.part)
                    break
        if part is None or not s.has_part(part):
            part = s.real("xl/workbook.xml")
        if not s.has_part(part):
            if s.has_part("xl/workbook.bin"):
                raise WorkbookError(f"Tệp '{s.filename}' là sổ tính nhị phân .xlsb, chưa được hỗ trợ; "
                                    f"hãy lưu lại thành .xlsx/.xlsm.")
            raise WorkbookError(f"Tệp '{s.filename}' không có phần xl/workbook.xml nên không phải là sổ tính Excel.")
        return part

    def _root(self):
        return self._store.tree_ro(self.part)

    # -- sheets ----------------------------------------------------------------------------------------------
    def sheets(self) -> list[SheetInfo]:
        hit = self._store.recall("sheets")
        if hit is not None:
            return hit
        root = self._root()
        ns = ns_of(root)
        rels = {r.id: r for r in self._store.rels(self.part)}
        out = []
        sheets_el = root.find(ns + "sheets")
        for el in (sheets_el if sheets_el is not None else []):
            if local_name(el) != "sheet":
                continue
            rid = el.get(RID) or next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
            rel = rels.get(rid)
            kind = rel.type.rsplit("/", 1)[-1] if rel else "worksheet"
            out.append(SheetInfo(unescape_cell_text(el.get("name", "")), int(el.get("sheetId", "0") or 0), rid,
                                 rel.part if rel else None, kind, el.get("state", "visible")))
        return self._store.remember("sheets", (self.part, self._store.real(rels_name(self.part))), out)

    def sheet_info(self, name: str) -> SheetInfo:
        sheets = self.sheets()
        for s in sheets:
            if s.name == name:
                return s
        key = norm_name(name)
        for s in sheets:
            if norm_name(s.name) == key:
                return s
        raise WorkbookError(f"Không tìm thấy trang tính '{name}' trong tệp '{self._store.filename}'.")

    def sheet_part(self, name: str) -> str:
        info = self.sheet_info(name)
        if info.part is None or not self._store.has_part(info.part):
            raise WorkbookError(f"Tệp '{self._store.filename}' bị hỏng: thiếu nội dung của trang tính '{info.name}'.")
        return info.part

    def worksheet_part(self, name: str) -> str:
        info = self.sheet_info(name)
        if info.kind != "worksheet":
            raise WorkbookError(f"'{info.name}' là trang biểu đồ, không phải trang tính dữ liệu.")
        return self.sheet_part(name)

    @property
    def date1904(self) -> bool:
        root = self._root()
        pr = root.find(ns_of(root) + "workbookPr")
        return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")

    def defined_names(self) -> list[DefinedName]:
        root = self._root()
        names = [s.name for s in self.sheets()]
        dn = root.find(ns_of(root) + "definedNames")
        out = []
        for el in (dn if dn is not None else []):
            if local_name(el) != "definedName":
                continue
            local = el.get("localSheetId")
            sheet = names[int(local)] if local is not None and local.isdigit() and int(local) < len(names) else None
            out.append(DefinedName(el.get("name", ""), el.text or "", sheet,
                                   el.get("hidden", "0").lower() in ("1", "true")))
        return out

    # -- tables ----------------------------------------------------------------------------------------------
    def tables(self) -> list[TableInfo]:
        s = self._store
        hit = s.recall("tables")
        if hit is not None:
            return hit
        out, parts = [], {self.part, s.real(rels_name(self.part))}
        for sh in self.sheets():
            if sh.kind != "worksheet" or sh.part is None or not s.has_part(sh.part):
                continue
            parts.add(s.real(rels_name(sh.part)))
            for rel in s.rels(sh.part):
                if not same_type(rel.type, "table") or not rel.part or not s.has_part(rel.part):
                    continue
                parts.add(s.real(rel.part))
                t = s.tree_ro(rel.part)
                ns = ns_of(t)
                cols = t.find(ns + "tableColumns")
                headers = [unescape_cell_text(c.get("name", "")) for c in (cols if cols is not None else [])
                           if local_name(c) == "tableColumn"]
                try:
                    hrc, trc = int(t.get("headerRowCount", "1")), int(t.get("totalsRowCount", "0"))
                except ValueError:
                    hrc, trc = 1, 0
                out.append(TableInfo(t.get("name", ""), t.get("displayName", t.get("name", "")), sh.name,
                                     s.real(rel.part), t.get("ref", ""), headers, hrc, trc))
        return s.remember("tables", parts, out)

    def table(self, name: str) -> TableInfo:
        key = norm_name(name)
        for t in self.tables():
            if norm_name(t.name) == key or norm_name(t.display_name) == key:
                return t
        raise WorkbookError(f"Không tìm thấy bảng '{name}' trong tệp '{self._store.filename}'.")

    def set_table_ref(self, table_name: str, ref: str) -> None:
        """Resize a table: its ``ref`` and its autoFilter's ``ref`` (same columns)."""
        info = self.table(table_name)
        r1, c1, r2, c2 = parse_ref(ref)
        if c2 - c1 + 1 != len(info.headers):
            raise ValueError(f"{ref} has {c2 - c1 + 1} columns, table {info.name} has {len(info.headers)}")
        root = self._store.tree(info.part)
        root.set("ref", range_ref(r1, c1, r2, c2))
        af = root.find(ns_of(root) + "autoFilter")
        if af is not None:
            af.set("ref", range_ref(r1, c1, max(r1, r2 - info.totals_row_count), c2))

    # -- calculation -------------------------------------------------------------------------------------------
    def full_calc_on_load(self) -> None:
        """Ask Excel to recalculate everything when it opens the file (a formula was written)."""
        root = self._root()
        calc = root.find(ns_of(root) + "calcPr")
        if calc is not None and calc.get("fullCalcOnLoad") == "1":
            return
        root = self._store.tree(self.part)
        ns = ns_of(root)
        calc = root.find(ns + "calcPr")
        if calc is None:
            calc = etree.Element(ns + "calcPr")
            insert_ordered(root, calc, WORKBOOK_ORDER)
        calc.set("fullCalcOnLoad", "1")

    def drop_calc_chain(self) -> None:
        """Remove the calculation chain (it lists formula cells; a stale one makes Excel repair the file)."""
        for rel in self._store.rels(self.part):
            if same_type(rel.type, "calcChain") and rel.part and self._store.has_part(rel.part):
                self._store.drop(self._store.real(rel.part))

    # -- adding a sheet ----------------------------------------------------------------------------------------
    def add_sheet(self, name: str, after: str | None = None, state: str = "visible") -> str:
        """Add an empty worksheet (after sheet ``after``, else last); returns its part name."""
        s = self._store
        bad = set('[]:*?/\\')
        if not name or len(name) > 31 or any(ch in bad for ch in name) or name.startswith("'") \
                or name.endswith("'"):
            raise WorkbookError(f"Tên trang tính '{name}' không hợp lệ (tối đa 31 ký tự, không chứa [ ] : * ? / \\).")
        existing = self.sheets()
        if any(norm_name(x.name) == norm_name(name) for x in existing):
            raise WorkbookError(f"Tệp '{s.filename}' đã có trang tính '{name}'.")
        n = 1
        while s.has_part(f"xl/worksheets/sheet{n}.xml"):
            n += 1
        part = f"xl/worksheets/sheet{n}.xml"
        s.write(part, XML_DECL + (
            f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}"><dimension ref="A1"/><sheetViews>'
            f'<sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData/>'
            f'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            f'</worksheet>').encode())
        s.content_types.set_override(part, CT_WORKSHEET)
        rid = s.add_rel(self.part, REL_WORKSHEET, part)
        root = s.tree(self.part)
        ns = ns_of(root)
        sheets_el = root.find(ns + "sheets")
        new = etree.Element(ns + "sheet", name=name, sheetId=str(max([0] + [x.sheet_id for x in existing]) + 1))
        if state != "visible":
            new.set("state", state)
        new.set(RID, rid)
        sheet_els = [el for el in sheets_el if local_name(el) == "sheet"]
        pos = len(sheet_els)
        if after is not None:
            pos = [x.name for x in existing].index(self.sheet_info(after).name) + 1
        if pos < len(sheet_els):
            sheet_els[pos].addprevious(new)
            # sheet positions shift: sheet-local defined names and the active/first tab follow their sheet
            dn = root.find(ns + "definedNames")
            for el in (dn if dn is not None else []):
                lid = el.get("localSheetId")
                if lid is not None and lid.isdigit() and int(lid) >= pos:
                    el.set("localSheetId", str(int(lid) + 1))
            bv = root.find(ns + "bookViews")
            for view in (bv if bv is not None else []):
                for attr in ("activeTab", "firstSheet"):
                    v = view.get(attr)
                    if v is not None and v.isdigit() and int(v) >= pos:
                        view.set(attr, str(int(v) + 1))
        else:
            sheets_el.append(new)
        return part
