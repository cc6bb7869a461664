"""Drive cchc-xl's Excel adapter on Linux through xlwings' own remote engine.

* :func:`build_payload` turns a REAL .xlsx/.xlsm file into the JSON an xlwings client sends
  (format of ``xlwings/addin/Remote.bas`` ``RunServerPython`` and ``xlwings/pro/_xlremote.py``):
  ``client``, ``version``, ``book{name, active_sheet_index, selection}``, ``names[{name, sheet_index,
  address, book_scope, scope_sheet_name, scope_sheet_index}]`` and per worksheet ``sheets[{name, values,
  pictures, tables[{name, range_address, header_row_range_address, data_body_range_address,
  total_row_range_address, show_headers, show_totals, table_style, show_autofilter}]}]``. ``values`` is
  A1..last used cell, as the VBA client's JSON converter writes them: empty → ``""``, dates →
  ``"YYYY-MM-DDTHH:MM:SS.000Z"``, integral numbers → JSON integers, errors → ``"#N/A"``…
* :func:`run_remote` runs a callable on ``xw.Book(json=payload)`` and returns its result, the actions
  (``book.json()``) and the payload with the actions applied (:func:`apply_actions` mirrors what the VBA
  client's handlers in Remote.bas do: ``setValues`` parses ISO dates like ``WebHelpers.ParseIso``…).

The sheets are read with the project's own OOXML reader (:mod:`cchc_xl.io.ooxml`), which resolves shared
strings, date styles and tables.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?Z?$")

__all__ = ["build_payload", "apply_actions", "run_remote", "sheet_values", "decode", "alerts",
           "FORMAT_ACTIONS"]

#: Actions that only change formatting; applied as no-ops (recorded in ``payload['_formats']``).
FORMAT_ACTIONS = frozenset({
    "setFontProperty", "setNumberFormat", "setRangeColor", "setAutofit", "rangeClearFormats", "rangeSelect",
    "freezePaneAtRange", "freezePaneUnfreeze", "setTableStyle", "showAutofilterTable", "addHyperlink",
    "rangeAdjustIndent",
})


def _a1(row: int, col: int, absolute: bool = True) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"${letters}${row}" if absolute else f"{letters}{row}"


def _addr(r1: int, c1: int, r2: int, c2: int, absolute: bool = True) -> str:
    a, b = _a1(r1, c1, absolute), _a1(r2, c2, absolute)
    return a if a == b else f"{a}:{b}"


def _parse_addr(ref: str) -> tuple[int, int, int, int]:
    from cchc_xl.io.file_book import parse_ref

    return parse_ref(ref.replace("$", "").split("!")[-1])


def encode(value: Any) -> Any:
    """A cell value as the VBA client's JSON converter sends it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def decode(value: Any) -> Any:
    """A payload value as Python sees it after xlwings' cleaning: ISO strings → datetime, "" → None."""
    if value == "" or value is None:
        return None
    if isinstance(value, str):
        m = _ISO.match(value)
        if m:
            y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
            return dt.datetime(y, mo, d, h, mi, s)
    return value


def build_payload(path: str | Path, *, active_sheet: str | None = None) -> dict:
    """The remote-engine payload of the workbook file at ``path`` (every worksheet, all tables and names)."""
    import xlwings as xw

    from cchc_xl.io.ooxml import Package

    pkg = Package.open(Path(path))
    infos = [s for s in pkg.sheets() if s.kind == "worksheet"]
    names = [s.name for s in infos]
    tables_by_sheet: dict[str, list[dict]] = {n: [] for n in names}
    for t in pkg.tables():
        r1, c1, r2, c2 = _parse_addr(t.ref)
        hdr = t.header_row_count > 0
        tot = t.totals_row_count > 0
        body_r1 = r1 + (1 if hdr else 0)
        body_r2 = r2 - (1 if tot else 0)
        tables_by_sheet.setdefault(t.sheet, []).append({
            "name": t.name,
            "range_address": _addr(r1, c1, r2, c2),
            "header_row_range_address": _addr(r1, c1, r1, c2) if hdr else None,
            "data_body_range_address": _addr(body_r1, c1, body_r2, c2) if body_r2 >= body_r1 else None,
            "total_row_range_address": _addr(r2, c1, r2, c2) if tot else None,
            "show_headers": hdr,
            "show_totals": tot,
            "table_style": "",
            "show_autofilter": True,
        })
    sheets = []
    for name in names:
        data = pkg.read_sheet(name)
        used = [(r, c) for (r, c), cell in data.cells.items() if cell.value is not None or cell.error]
        if not used:
            values: list[list[Any]] = [[]]
        else:
            max_r = max(r for r, _ in used)
            max_c = max(c for _, c in used)
            values = [["" for _ in range(max_c)] for _ in range(max_r)]
            for (r, c), cell in data.cells.items():
                if r <= max_r and c <= max_c:
                    values[r - 1][c - 1] = cell.error if cell.error else encode(cell.value)
        sheets.append({"name": name, "values": values, "pictures": [], "tables": tables_by_sheet.get(name, [])})
    defined = []
    for dn in pkg.defined_names():
        m = re.fullmatch(r"'?(.+?)'?!(\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)", dn.value.strip())
        if not m or m.group(1).replace("''", "'") not in names:
            continue  # only names that refer to a range are sent (RefersToRange)
        target = names.index(m.group(1).replace("''", "'"))
        book_scope = dn.sheet is None
        defined.append({
            "name": dn.name if book_scope else f"{dn.sheet}!{dn.name}",
            "sheet_index": target,
            "address": m.group(2).replace("$", ""),
            "book_scope": book_scope,
            "scope_sheet_name": None if book_scope else dn.sheet,
            "scope_sheet_index": None if book_scope else names.index(dn.sheet),
        })
    active = names.index(active_sheet) if active_sheet else 0
    return {
        "client": "VBA",
        "version": xw.__version__,
        "book": {"name": Path(path).name, "active_sheet_index": active, "selection": "A1"},
        "names": defined,
        "sheets": sheets,
    }


def _ensure(values: list[list[Any]], rows: int, cols: int) -> None:
    if values == [[]]:
        values.clear()
    width = max([cols] + [len(r) for r in values])
    for r in values:
        r.extend([""] * (width - len(r)))
    while len(values) < rows:
        values.append([""] * width)


def _client_value(v: Any) -> Any:
    """What Excel stores for a value the backend sends (Remote.bas setValues: ParseIso, else as is; a leading
    apostrophe is Excel's text prefix and is not part of the value)."""
    if v is None:
        return ""
    if isinstance(v, str) and v.startswith("'"):
        return v[1:]  # Excel's text prefix: the cell holds the rest as text (never a formula/number/date)
    if isinstance(v, str):
        m = _ISO.match(v)
        if m:
            return decode(v).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def apply_actions(payload: dict, actions: list[dict]) -> dict:
    """A copy of ``payload`` with ``actions`` (from ``book.json()['actions']``) applied to the sheet values."""
    out = copy.deepcopy(payload)
    out.setdefault("_formats", [])
    out.setdefault("_alerts", [])
    sheets = out["sheets"]
    for a in actions:
        func = a["func"]
        pos = a.get("sheet_position")
        sheet = sheets[pos] if pos is not None and pos < len(sheets) else None
        if func == "setValues":
            r0, c0 = a["start_row"], a["start_column"]
            block = a["values"]
            _ensure(sheet["values"], r0 + len(block), c0 + max((len(r) for r in block), default=0))
            for i, row in enumerate(block):
                for j, v in enumerate(row):
                    sheet["values"][r0 + i][c0 + j] = _client_value(v)
        elif func in ("rangeClearContents", "rangeClear"):
            vals = sheet["values"]
            for i in range(a["start_row"], min(len(vals), a["start_row"] + a["row_count"])):
                for j in range(a["start_column"], min(len(vals[i]), a["start_column"] + a["column_count"])):
                    vals[i][j] = ""
        elif func in ("sheetClearContents", "sheetClear"):
            sheet["values"] = [[]]
        elif func == "addSheet":
            ix, name = a["args"][0], a["args"][1]
            sheets.insert(ix, {"name": name or f"Sheet{len(sheets) + 1}", "values": [[]], "pictures": [],
                               "tables": []})
        elif func == "setSheetName":
            sheet["name"] = a["args"][0]
        elif func == "sheetDelete":
            del sheets[pos]
        elif func == "activateSheet":
            out["book"]["active_sheet_index"] = a["args"][0]
        elif func == "resizeTable":
            t = sheet["tables"][a["args"][0]]
            r1, c1, r2, c2 = _parse_addr(a["args"][1])
            body_r1 = r1 + (1 if t["show_headers"] else 0)
            body_r2 = r2 - (1 if t["show_totals"] else 0)
            t["range_address"] = _addr(r1, c1, r2, c2)
            t["header_row_range_address"] = _addr(r1, c1, r1, c2) if t["show_headers"] else None
            t["data_body_range_address"] = _addr(body_r1, c1, body_r2, c2) if body_r2 >= body_r1 else None
            t["total_row_range_address"] = _addr(r2, c1, r2, c2) if t["show_totals"] else None
        elif func == "alert":
            out["_alerts"].append({"prompt": a["args"][0], "title": a["args"][1], "mode": a["args"][3]})
        elif func in FORMAT_ACTIONS:
            out["_formats"].append(a)
        else:
            raise NotImplementedError(f"apply_actions: action {func!r} is not mirrored by the harness")
    return out


def alerts(payload: dict) -> list[dict]:
    return payload.get("_alerts", [])


def clean(payload: dict) -> dict:
    """The payload without the harness' private keys (to feed it back to ``xw.Book(json=...)``)."""
    return {k: v for k, v in payload.items() if not k.startswith("_")}


def run_remote(payload: dict, fn: Callable[[Any], Any]) -> tuple[Any, list[dict], dict]:
    """``fn(xw.Book(json=payload))`` → (result, actions, payload with the actions applied)."""
    import xlwings as xw

    book = xw.Book(json=clean(payload))
    try:
        result = fn(book)
        actions = list(book.json()["actions"])
    finally:
        book.close()
    return result, actions, apply_actions(payload, actions)


def sheet_values(payload: dict, name: str) -> dict[tuple[int, int], Any]:
    """``{(row, col): value}`` (1-based) of the non-empty cells of a payload sheet, decoded."""
    for s in payload["sheets"]:
        if s["name"] == name:
            out = {}
            for i, row in enumerate(s["values"]):
                for j, v in enumerate(row):
                    d = decode(v)
                    if d is not None:
                        out[(i + 1, j + 1)] = d
            return out
    raise KeyError(name)


def table_ref(payload: dict, table: str) -> tuple[str, tuple[int, int, int, int]]:
    for s in payload["sheets"]:
        for t in s["tables"]:
            if t["name"] == table:
                return s["name"], _parse_addr(t["range_address"])
    raise KeyError(table)
