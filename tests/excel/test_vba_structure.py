"""The committed workbook's VBA project has the structure Excel writes (issue 9 §2), compared record by record
with xlwings' shipped ``quickstart_standalone.xlsm`` and with the macro workbooks saved by real Excel in
``tests/data/excel-corpus`` — the PROJECT and dir streams, the stream layout and ``_VBA_PROJECT``, not the
module texts (those are compared in test_excel_vba.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlwings

from cchc_xl.excel.vba import VBA_PROJECT_STREAM
from vba_structure import MODULE_DOC_CLASS, MODULE_PROCEDURAL, project_structure, read_vba_modules, workbook_code_names

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "workbook" / "CCHC_2024.xlsm"
QUICKSTART = Path(xlwings.__file__).resolve().parent / "quickstart_standalone.xlsm"
EXCEL_MADE = sorted((REPO / "tests" / "data" / "excel-corpus").glob("*.xlsm"))
ALL = [COMMITTED, QUICKSTART, *EXCEL_MADE]
PROJECT_COMPAT_VERSION = 0x004A  # optional dir record that VBA 7.1 (Office 2016 on) writes
OFFICE_LIBRARY = "{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}"  # declares IRibbonControl


@pytest.fixture(scope="module")
def ours():
    return project_structure(COMMITTED)


@pytest.fixture(scope="module")
def shipped():
    return project_structure(QUICKSTART)


def test_reference_workbooks_are_there():
    assert QUICKSTART.is_file() and len(EXCEL_MADE) >= 3, (QUICKSTART, EXCEL_MADE)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_one_document_module_per_sheet_and_for_the_workbook(path):
    """Excel's rule, true in every Excel-made file: ``Document=`` declares exactly the workbook's and every
    sheet's code name; every other module is ``Module=`` (standard) or ``Class=``."""
    s = project_structure(path)
    documents = [name for kind, name in s.declarations if kind == "Document"]
    assert sorted(documents) == sorted(workbook_code_names(path))
    assert {kind for kind, _ in s.declarations} <= {"Document", "Module", "Class"}


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_project_and_dir_streams_agree(path):
    """The PROJECT declarations, the dir stream's modules (MODULETYPE), PROJECTwm and [Workspace] name the
    same modules; a standard module is PROCEDURAL (0x0021), a document or class module 0x0022."""
    s = project_structure(path)
    names = [m.name for m in s.modules]
    assert sorted(names) == sorted(s.kinds()) == sorted(s.projectwm) == sorted(s.workspace)
    for m in s.modules:
        assert m.procedural == (s.kinds()[m.name] == "Module"), m.name
        assert m.stream == m.name and f"VBA/{m.stream}" in s.streams
        assert m.record_ids[-2] in (MODULE_PROCEDURAL, MODULE_DOC_CLASS)


def test_declarations_match_the_shipped_quickstart(ours, shipped):
    assert ours.kinds()["ThisWorkbook"] == shipped.kinds()["ThisWorkbook"] == "Document"
    for name in ("xlwings", "Dictionary"):  # xlwings' own modules: the same kind as in its workbook
        assert ours.kinds()[name] == shipped.kinds()[name]
        assert ours.module(name).procedural == shipped.module(name).procedural
    assert ours.kinds()["CchcRibbon"] == "Module"
    sheets = [n for n in workbook_code_names(COMMITTED)[1:]]
    assert len(sheets) >= 10 and all(ours.kinds()[n] == "Document" for n in sheets)
    assert ours.property_keys == shipped.property_keys  # ID, Name, HelpContextID, VersionCompatible32, CMG, DPB, GC
    assert ours.host_extenders == shipped.host_extenders


def test_every_module_record_list_is_the_one_excel_writes(ours, shipped):
    """Per module the dir stream's record ids (name, stream name, doc string, offset, help, cookie, type,
    terminator) are those of the same kind of module in the quickstart and in Excel-made files."""
    reference = {}
    for path in (QUICKSTART, *EXCEL_MADE):
        for m in project_structure(path).modules:
            reference.setdefault(m.procedural, m.record_ids)
    for m in ours.modules:
        assert m.record_ids == reference[m.procedural], m.name


def test_project_information_records_match(ours, shipped):
    assert [r for r in ours.information_ids if r != PROJECT_COMPAT_VERSION] == shipped.information_ids
    for path in EXCEL_MADE:
        assert [r for r in ours.information_ids if r != PROJECT_COMPAT_VERSION] == \
            project_structure(path).information_ids


def test_references_are_excels_defaults(ours, shipped):
    """stdole + Office, the references Excel gives a new project (the Excel-made files); the Office library
    (IRibbonControl of the ribbon callbacks) is one the quickstart references too."""
    libraries = [guid for _, guid in ours.references]
    for path in EXCEL_MADE:
        assert libraries == [guid for _, guid in project_structure(path).references], path.name
    assert OFFICE_LIBRARY in libraries and OFFICE_LIBRARY in [guid for _, guid in shipped.references]


def test_stream_layout_as_the_specification_writes_it(ours, shipped):
    """PROJECT, PROJECTwm, VBA/dir, VBA/_VBA_PROJECT and one stream per module — nothing else (no __SRP_
    caches); ``_VBA_PROJECT`` is the 7-byte interoperable stream of [MS-OVBA] 2.3.4.1 (Version 0xFFFF), the
    same bytes as the quickstart's; no module carries a compiled cache; cookies are 0xFFFF."""
    for s in (ours, shipped):
        assert set(s.streams) == expected_streams(s)
    assert ours.vba_project_stream == shipped.vba_project_stream == VBA_PROJECT_STREAM
    assert VBA_PROJECT_STREAM == bytes.fromhex("cc61ffff000100")
    assert all(m.text_offset == 0 for m in ours.modules)
    assert ours.project_cookie == 0xFFFF and all(m.cookie == 0xFFFF for m in ours.modules)
    for path in EXCEL_MADE:  # what Excel itself writes differs only by its version and caches
        excel = project_structure(path)
        assert excel.vba_project_stream[:2] == b"\xcc\x61" and excel.vba_project_stream[4] == 0
        assert set(excel.streams) - expected_streams(excel) <= {f"VBA/__SRP_{i}" for i in range(10)}


def expected_streams(s) -> set[str]:
    return {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} | {f"VBA/{m.stream}" for m in s.modules}


def test_class_module_header_as_the_vbe_stores_it():
    """Dictionary keeps the attribute block the VBE writes on import (as in the quickstart)."""
    def header(src):
        return [ln.split("=")[0].strip() for ln in src.splitlines() if ln.startswith("Attribute VB_")][:8]

    assert header(read_vba_modules(COMMITTED)["Dictionary"]) == header(read_vba_modules(QUICKSTART)["Dictionary"])
