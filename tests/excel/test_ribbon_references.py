"""The ribbon checked against Microsoft's own references (issue 9 §3): the RibbonX schema and Excel's list of
control identifiers (tests/data/excel-ui, with their licences)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

from cchc_xl.excel.ribbon import CUSTOM_UI_PART, CUSTOM_UI_PATH, RIBBON_JOBS

REPO = Path(__file__).resolve().parents[2]
UI_REFS = REPO / "tests" / "data" / "excel-ui"
COMMITTED_WORKBOOK = REPO / "workbook" / "CCHC_2024.xlsm"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(UI_REFS / "customui14.xsd")))


@pytest.fixture(scope="module")
def excel_control_ids() -> set[str]:
    rows = CalamineWorkbook.from_path(str(UI_REFS / "excelcontrols.xlsx")).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "Control Name"
    return {str(r[0]).strip() for r in rows[1:] if r and r[0]}


def _ribbons() -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(COMMITTED_WORKBOOK) as z:
        packaged = z.read(CUSTOM_UI_PART)
    return [("workbook/ribbon/customUI14.xml", CUSTOM_UI_PATH.read_bytes()), ("CCHC_2024.xlsm", packaged)]


def test_licences_travel_with_the_references():
    for name in ("LICENSE-office-ribbonx-editor.txt", "LICENSE-office-fluent-ui-command-identifiers.txt"):
        assert "MIT License" in (UI_REFS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("where,data", _ribbons(), ids=lambda v: v if isinstance(v, str) else "")
def test_ribbon_validates_against_customui14_xsd(schema, where, data):
    doc = etree.fromstring(data)
    assert schema.validate(doc), f"{where}: {schema.error_log}"


def test_the_schema_rejects_a_broken_ribbon(schema):
    """The check can fail: a size the schema does not know is refused."""
    broken = CUSTOM_UI_PATH.read_bytes().replace(b'size="large"', b'size="huge"', 1)
    assert not schema.validate(etree.fromstring(broken))


@pytest.mark.parametrize("where,data", _ribbons(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_image_mso_is_an_excel_control(excel_control_ids, where, data):
    images = {e.get("imageMso") for e in etree.fromstring(data).iter() if e.get("imageMso")}
    assert images == {job.image_mso for job in RIBBON_JOBS}
    unknown = sorted(images - excel_control_ids)
    assert not unknown, f"{where}: imageMso not in Excel's control list: {unknown}"


def test_access_and_unknown_names_are_not_controls(excel_control_ids):
    """The names the ribbon used before (Access's ImportExcel/ImportTextFile, ShareWorkbook) are not Excel's."""
    assert {"ImportExcel", "ImportTextFile", "ShareWorkbook"}.isdisjoint(excel_control_ids)
    assert {"Consolidate", "GetExternalDataFromText", "ReviewShareWorkbook"} <= excel_control_ids
