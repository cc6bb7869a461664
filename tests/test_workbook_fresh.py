"""The committed workbook is exactly what the build makes from the text sources.

The build is byte-reproducible (fixed zip timestamps, fixed document dates, deterministic VBA
compilation and refresh), so the check is a byte comparison. When it fails, run
``cchc-xl build-workbook`` and commit ``workbook/CCHC_2024.xlsm``.
"""

from __future__ import annotations

from pathlib import Path

BUNDLED = Path(__file__).resolve().parents[1] / "workbook" / "CCHC_2024.xlsm"


def test_committed_workbook_is_fresh(built_workbook):
    assert BUNDLED.exists(), "workbook/CCHC_2024.xlsm is missing: run `cchc-xl build-workbook`"
    assert BUNDLED.read_bytes() == built_workbook.read_bytes(), (
        "workbook/CCHC_2024.xlsm is stale: run `cchc-xl build-workbook` and commit it")


def test_bundled_workbook_is_macro_enabled_with_ribbon():
    import zipfile

    with zipfile.ZipFile(BUNDLED) as z:
        names = set(z.namelist())
        types = z.read("[Content_Types].xml").decode("utf-8")
        root_rels = z.read("_rels/.rels").decode("utf-8")
    assert "xl/vbaProject.bin" in names
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "customUI/customUI14.xml" in names and "ui/extensibility" in root_rels
