"""The CCHC ribbon: registry ↔ committed XML ↔ VBA callbacks ↔ Python entry points; package injection."""

from __future__ import annotations

import importlib
import io
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from lxml import etree

from cchc_xl.excel import ribbon
from cchc_xl.excel.ribbon import (CUSTOM_UI_PART, CUSTOM_UI_PATH, CUSTOM_UI_REL_TYPE, RIBBON_BAS_PATH,
                                  RIBBON_JOBS, inject_ribbon, render_custom_ui, render_vba_module)

COMMITTED_WORKBOOK = Path(__file__).resolve().parents[2] / "workbook" / "CCHC_2024.xlsm"

NS = {"c": "http://schemas.microsoft.com/office/2009/07/customui"}
SUB_RE = re.compile(r"^Public Sub (\w+)\(control As IRibbonControl\)\r?$", re.MULTILINE)
RUNPYTHON_RE = re.compile(r'RunPython "import ([\w.]+) as e; e\.(\w+)\(')


def test_committed_sources_are_up_to_date():
    """Run `python -m cchc_xl.excel.ribbon` after changing RIBBON_JOBS."""
    assert CUSTOM_UI_PATH.read_bytes() == render_custom_ui().encode("utf-8")
    assert RIBBON_BAS_PATH.read_bytes() == render_vba_module().encode("ascii")


def test_write_sources_round_trip(tmp_path):
    ui, bas = ribbon.write_sources(tmp_path)
    assert ui.read_bytes() == CUSTOM_UI_PATH.read_bytes()
    assert bas.read_bytes() == RIBBON_BAS_PATH.read_bytes()


def _xml():
    return etree.fromstring(CUSTOM_UI_PATH.read_bytes())


def test_ribbon_xml_shape_and_vietnamese_labels():
    root = _xml()
    tab = root.find("c:ribbon/c:tabs/c:tab", NS)
    assert tab.get("id") == "CchcXl_Tab" and tab.get("label") == "CCHC 2024"
    groups = tab.findall("c:group", NS)
    assert [g.get("label") for g in groups] == ["Cập nhật", "Báo cáo theo kỳ", "Dữ liệu",
                                                "Tổ chuyên môn và gửi báo cáo"]
    labels = [b.get("label") for b in root.iter("{%s}button" % NS["c"])]
    assert labels == ["Cập nhật tất cả", "Tính chỉ tiêu", "Đánh dấu quá hạn", "Quý I", "6 tháng", "Quý III",
                      "Năm", "Soạn lại nội dung", "Nhập hồ sơ", "Kiểm tra dữ liệu", "Phát bản cho tổ",
                      "Tổng hợp bản nộp lại",
                      "Gửi báo cáo lên Sở"]
    for b in root.iter("{%s}button" % NS["c"]):
        assert b.get("imageMso") and b.get("supertip") and b.get("screentip")
        assert b.get("id").startswith("CchcXl_") and b.get("onAction").startswith("CchcXl_")
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_every_onaction_resolves_to_a_ribbon_callback():
    subs = SUB_RE.findall(RIBBON_BAS_PATH.read_text(encoding="ascii"))
    actions = [e.get("onAction") for e in _xml().iter() if e.get("onAction")]
    assert actions and set(actions) <= set(subs)
    assert len(subs) == len(set(subs))


def test_every_runpython_target_imports_and_exists():
    text = RIBBON_BAS_PATH.read_text(encoding="ascii")
    targets = RUNPYTHON_RE.findall(text)
    assert len(targets) == len(RIBBON_JOBS)
    for module, func in targets:
        assert callable(getattr(importlib.import_module(module), func)), f"{module}.{func}"
    for job in RIBBON_JOBS:
        assert (job.module, job.function) in targets


def test_no_button_without_entry_point():
    """A job that does not exist must not be shown: every registry job points to a real function."""
    for job in RIBBON_JOBS:
        assert callable(getattr(importlib.import_module(job.module), job.function, None)), job.id


def test_import_callback_uses_file_dialog_and_safe_literal():
    text = RIBBON_BAS_PATH.read_text(encoding="ascii")
    block = text[text.index("Public Sub CchcXl_ImportDossiers"):]
    block = block[:block.index("End Sub")]
    assert "Application.GetOpenFilename(" in block and "VarType(chosen) = vbBoolean" in block
    assert "CchcXl_PyLiteral(CStr(chosen))" in block


@pytest.mark.parametrize("callback,function", [("CchcXl_Handout", "handout_copies"),
                                               ("CchcXl_Consolidate", "consolidate_inbox")])
def test_folder_callbacks_use_folder_picker_and_safe_literal(callback, function):
    text = RIBBON_BAS_PATH.read_text(encoding="ascii")
    block = text[text.index(f"Public Sub {callback}("):]
    block = block[:block.index("End Sub")]
    assert "Application.FileDialog(4)" in block and "If picker.Show <> -1 Then Exit Sub" in block
    assert f'e.{function}(" & CchcXl_PyLiteral(CStr(picker.SelectedItems(1))) & ")"' in block
    assert "picker.Title = " in block and "ChrW(" in block  # Vietnamese title spelled in ASCII


def test_send_callback_takes_no_argument():
    text = RIBBON_BAS_PATH.read_text(encoding="ascii")
    assert 'RunPython "import cchc_xl.excel.entry as e; e.send_upward()"' in text


def test_registry_refuses_file_and_folder_dialog_together():
    job = ribbon.RibbonJob("CchcXl_BtnX", "CchcXl_GrpData", "X", "X", "X", "Refresh", "CchcXl_X", "m:f",
                           file_dialog=("t", "*.csv,*.csv"), folder_dialog="t")
    with pytest.raises(ValueError, match="not both"):
        render_custom_ui([job], ribbon.RIBBON_GROUPS)


def test_vba_string_spells_vietnamese_with_chrw():
    expr = ribbon.vba_string("Chọn tệp \"x\"")
    expr.encode("ascii")
    assert expr == '"Ch" & ChrW(7885) & "n t" & ChrW(7879) & "p ""x"""'


def test_py_literal_escaping_matches_python():
    """Mirror of the VBA CchcXl_PyLiteral: the literal it builds evaluates back to the path."""
    def py_literal(text: str) -> str:
        out = "'"
        for ch in text:
            code = ord(ch)
            if re.fullmatch(r"[A-Za-z0-9 ._:/-]", ch):
                out += ch
            else:
                out += "\\u" + f"{code:04X}"
        return out + "'"

    for path in [r"C:\Users\Cô Hà\Tải về\hồ sơ's 100% & co.csv", r"\\server\share\a.xlsx"]:
        assert eval(py_literal(path)) == path  # noqa: S307 - the test's own literal


def _tiny_xlsm() -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet("Sheet1").write("A1", "xin chào")
    wb.close()
    return buf.getvalue()


def _raw_records(data: bytes) -> dict[str, bytes]:
    out = {}
    for e in ribbon._read_entries(data):
        out[e.name] = e.local
    return out


def test_inject_ribbon_adds_part_relationship_and_keeps_other_entries():
    src = _tiny_xlsm()
    out = inject_ribbon(src)
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[-1] == CUSTOM_UI_PART
        assert z.read(CUSTOM_UI_PART) == CUSTOM_UI_PATH.read_bytes()
        rels = etree.fromstring(z.read("_rels/.rels"))
        ui = [r for r in rels if r.get("Type") == CUSTOM_UI_REL_TYPE]
        assert len(ui) == 1 and ui[0].get("Target") == CUSTOM_UI_PART
        types = z.read("[Content_Types].xml").decode()
        assert re.search(r'<Default Extension="xml" ContentType="application/xml"/>', types)
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        assert names[:-1] == z.namelist()
    before, after = _raw_records(src), _raw_records(out)
    for name, raw in before.items():
        if name != "_rels/.rels":
            assert after[name] == raw, name  # byte-identical local records (header + compressed data)


def test_inject_ribbon_is_deterministic_and_idempotent():
    src = _tiny_xlsm()
    once = inject_ribbon(src)
    assert inject_ribbon(src) == once
    assert inject_ribbon(once) == once


def test_inject_ribbon_adds_override_without_xml_default():
    src = _tiny_xlsm()
    entries = ribbon._read_entries(src)
    fixed = []
    for e in entries:
        if e.name == "[Content_Types].xml":
            text = ribbon._entry_content(e).decode()
            text = re.sub(r'<Default Extension="xml"[^>]*/>', "", text)
            e = ribbon._new_entry(e.name, text.encode())
        fixed.append(e)
    out = inject_ribbon(ribbon._write_entries(fixed))
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert f'PartName="/{CUSTOM_UI_PART}"' in z.read("[Content_Types].xml").decode()


def test_inject_ribbon_rejects_non_packages():
    with pytest.raises(ValueError):
        inject_ribbon(b"not a zip")


def _check_ribbon_in(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        assert z.read(CUSTOM_UI_PART) == CUSTOM_UI_PATH.read_bytes()
        assert CUSTOM_UI_REL_TYPE in z.read("_rels/.rels").decode()
        types = z.read("[Content_Types].xml").decode()
        assert 'Extension="xml"' in types or f'PartName="/{CUSTOM_UI_PART}"' in types


def test_built_workbook_has_the_ribbon(excel_workbook):
    _check_ribbon_in(excel_workbook)


@pytest.mark.skipif(not COMMITTED_WORKBOOK.exists(), reason="workbook/CCHC_2024.xlsm not built yet")
def test_committed_workbook_has_the_ribbon():
    _check_ribbon_in(COMMITTED_WORKBOOK)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_opens_the_workbook_and_lists_its_vba_modules(excel_workbook, tmp_path):
    """LibreOffice imports the VBA project into a Basic library 'VBAProject' (one element per module) when it
    converts to .ods — proof that it loaded the modules; the PDF proves the package opens."""
    profile = "file:///tmp/lo_excel_profile"
    for fmt in ("ods", "pdf"):
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
                        "--convert-to", fmt, "--outdir", str(tmp_path), str(excel_workbook)],
                       check=True, capture_output=True, timeout=300,
                       env={**__import__("os").environ, "SAL_USE_VCLPLUGIN": "svp"})
    pdf = tmp_path / "CCHC_2024.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
    with zipfile.ZipFile(tmp_path / "CCHC_2024.ods") as z:
        lib = etree.fromstring(z.read("Basic/VBAProject/script-lb.xml"))
        listed = {e.get("{http://openoffice.org/2000/library}name") for e in lib}
        assert {"xlwings", "Dictionary", "CchcRibbon", "ThisWorkbook"} <= listed
        module = z.read("Basic/VBAProject/CchcRibbon.xml").decode()
        assert "Sub CchcXl_RefreshAll(control As IRibbonControl)" in module


def test_zip_helpers_handle_data_descriptors():
    """Packages written by streaming zip writers use data descriptors (flag bit 3)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("[Content_Types].xml", "w") as f:
            f.write(b'<?xml version="1.0"?><Types xmlns="x"><Default Extension="xml" '
                    b'ContentType="application/xml"/></Types>')
        with z.open("_rels/.rels", "w") as f:
            f.write(b'<?xml version="1.0"?><Relationships xmlns="y"></Relationships>')
    data = buf.getvalue()
    flags = struct.unpack_from("<H", data, 6)[0]
    out = inject_ribbon(data, custom_ui=b"<customUI/>")
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert z.testzip() is None and z.read(CUSTOM_UI_PART) == b"<customUI/>"
    assert flags is not None
