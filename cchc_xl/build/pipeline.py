"""The whole workbook build: text sources → ``workbook/CCHC_2024.xlsm``.

1. XlsxWriter lays out the sheets, tables, validation, formatting and the report chart
   from ``workbook/src`` and embeds the VBA project compiled from ``workbook/vba``;
2. the custom ribbon (``workbook/ribbon/customUI14.xml``) is added to the package;
3. the engine refreshes it once (as of the ``ngay_tinh_den`` setting), so that the committed
   file already shows every computed value on a computer without Python.

Every step is deterministic, so building twice gives the same bytes; a test rebuilds and
compares with the committed file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

__all__ = ["build", "build_bytes"]


def build_bytes() -> bytes:
    """The built workbook as bytes."""
    from ..engine import refresh_file
    from ..excel.conf import add_conf_sheet
    from ..excel.ribbon import inject_ribbon
    from ..excel.vba import build_vba_project
    from .workbook import SHEET_ORDER, build_workbook

    # One VBA document module per worksheet: the contract sheets plus xlwings.conf.
    code_names = [f"Sheet{i}" for i in range(1, len(SHEET_ORDER) + 2)]
    with tempfile.TemporaryDirectory(prefix="cchc-build-") as tmp:
        base = Path(tmp) / "base.xlsm"
        build_workbook(base, vba_project=build_vba_project(code_names), extra_sheets=add_conf_sheet)
        with_ribbon = Path(tmp) / "ribbon.xlsm"
        with_ribbon.write_bytes(inject_ribbon(base.read_bytes()))
        final = Path(tmp) / "CCHC_2024.xlsm"
        refresh_file(with_ribbon, out=final, backup=False)
        return final.read_bytes()


def build(out: str | Path = "workbook/CCHC_2024.xlsm") -> Path:
    """Build the workbook into ``out`` (atomically: a reader never sees half a file)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = build_bytes()
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out
