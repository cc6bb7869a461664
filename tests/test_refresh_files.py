"""End to end on real files: refresh the built workbook, keep everything, render the report."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cchc_xl import schema
from cchc_xl.cli import main
from cchc_xl.engine import refresh_file
from cchc_xl.errors import WorkbookLockedError

from helpers_soffice import convert, have_soffice

# Parts the engine owns: the sheets it writes, the shared style table, the tables it may grow.
OWNED = {"xl/styles.xml"}


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name → worksheet part, via openpyxl-independent parsing of workbook.xml and its rels."""
    from cchc_xl.io.ooxml import Package

    pkg = Package.open(path)
    return {name: pkg.sheet_part(name) for name in pkg.sheet_names()}


def run_json(*args) -> dict:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(list(args)) == 0
    return json.loads(buf.getvalue())


@pytest.mark.parametrize("as_of", ["2024-06-14", "2024-12-14"])
def test_refresh_json_contract(workbook_copy, tmp_path, as_of):
    out = tmp_path / "out.xlsm"
    j = run_json("refresh", str(workbook_copy), "--as-of", as_of, "--out", str(out), "--json")
    assert set(j) >= {"as_of", "period", "dossiers", "rates", "dossier_flags", "tasks", "task_flags",
                      "overdue_tasks", "indicators", "problems"}
    assert j["as_of"] == as_of
    assert j["period"]["key"] == ("h1" if as_of.endswith("06-14") else "year")
    assert set(j["dossiers"]) >= {"carried_over", "received_new", "online_new", "resolved", "early", "on_time",
                                  "late", "pending_not_due", "pending_overdue", "withdrawn"}
    assert set(j["rates"]) == {"early_or_on_time", "early", "late", "late_incl_pending_overdue", "online",
                               "digitised", "satisfaction_survey", "satisfaction_qd766"}
    assert set(j["tasks"]) >= {"total", "done_on_time", "done_late", "overdue", "unfinished", "due_soon",
                               "in_time", "no_deadline", "not_done"}
    assert j["tasks"]["total"] == 31  # the 31 sub-items of section III; PL.1/PL.2 are not counted again
    assert j["unavailable"] == {} and j["figures"]["tasks"]["ct2"]["denominator"] > 0
    assert [i["code"] for i in j["indicators"]] == ["CT1", "CT2", "CT3a", "CT3b", "CT4a", "CT4b", "CT4c",
                                                    "CT5a", "CT5b"]
    for item in j["overdue_tasks"]:
        assert set(item) == {"id", "group", "owner", "due"}
    assert j["problems"] == []  # the bundled data is clean


def test_refresh_writes_computed_columns_and_report(workbook_copy, tmp_path):
    out = tmp_path / "out.xlsm"
    result = refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14), out=out)
    wb = openpyxl.load_workbook(out)  # an independent reader
    ws = wb[schema.TASKS.sheet]
    header = [c.value for c in ws[1]]
    col = header.index("Tình trạng hạn") + 1
    flags = {ws.cell(r, 1).value: ws.cell(r, col).value for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value}
    for o in result.task_outcomes:
        assert flags[o.task.id] == schema.TASK_FLAG[o.flag]
    ws = wb[schema.DOSSIERS.sheet]
    header = [c.value for c in ws[1]]
    due_col, cls_col = header.index("Hạn trả") + 1, header.index("Phân loại") + 1
    for r in range(2, ws.max_row + 1):
        code = ws.cell(r, 1).value
        if code:
            due, cls = result.dossier_flags[code]
            value = ws.cell(r, due_col).value
            assert (value.date() if value else None) == due
            assert ws.cell(r, cls_col).value == schema.DOSSIER_CLASS[cls]
    report = wb[schema.SHEET_REPORT]
    texts = [str(c.value) for row in report.iter_rows() for c in row if c.value is not None]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts
    assert "Độc lập - Tự do - Hạnh phúc" in texts
    assert "Số: ……/BC-THPTKT" in texts
    assert "Hải Phòng, ngày 14 tháng 6 năm 2024" in texts
    assert "Kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2024" in texts
    assert "Nơi nhận:" in texts and "Đào Thế Anh" in texts
    assert any(t.endswith("%") and "," in t for t in texts)  # Vietnamese percentages, e.g. 90,48%


def test_refresh_keeps_every_part_it_does_not_own(workbook_copy, tmp_path):
    out = tmp_path / "out.xlsm"
    refresh_file(workbook_copy, as_of=dt.date(2024, 12, 14), out=out)
    before, after = _parts(workbook_copy), _parts(out)
    assert set(before) == set(after)
    sheets = _sheet_parts(workbook_copy)
    owned = OWNED | {sheets[s.sheet] for s in (schema.TASKS, schema.OCCURRENCES, schema.DOSSIERS,
                                                 schema.INDICATORS, schema.NARRATIVE)}
    owned.add(sheets[schema.SHEET_REPORT])
    for name in before:
        if name not in owned:
            assert before[name] == after[name], name
    # The VBA project and the ribbon are among the untouched parts.
    assert "xl/vbaProject.bin" in after and "customUI/customUI14.xml" in after


def test_refresh_in_place_keeps_a_backup(workbook_copy):
    original = workbook_copy.read_bytes()
    refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14))
    backups = list(workbook_copy.parent.glob("CCHC_2024.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == original


def test_refresh_refuses_when_excel_has_the_file_open(workbook_copy):
    original = workbook_copy.read_bytes()
    (workbook_copy.parent / ("~$" + workbook_copy.name)).write_bytes(b"owner")
    with pytest.raises(WorkbookLockedError) as info:
        refresh_file(workbook_copy, as_of=dt.date(2024, 6, 14))
    assert "Excel" in str(info.value)
    assert workbook_copy.read_bytes() == original


def test_refresh_of_a_file_that_is_not_a_workbook(tmp_path, capsys):
    bogus = tmp_path / "ghi_chu.xlsm"
    bogus.write_text("không phải sổ tính", encoding="utf-8")
    assert main(["refresh", str(bogus)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: ") and "Traceback" not in err
    assert bogus.read_text(encoding="utf-8") == "không phải sổ tính"


def test_refresh_of_a_password_protected_workbook(workbook_copy, tmp_path, capsys):
    pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    protected = tmp_path / "mat_khau.xlsm"
    with open(workbook_copy, "rb") as src, open(protected, "wb") as dst:
        OOXMLFile(src).encrypt("123456", dst)
    before = protected.read_bytes()
    assert main(["refresh", str(protected)]) == 2
    assert "mật khẩu" in capsys.readouterr().err
    assert protected.read_bytes() == before


def test_missing_sheet_is_reported_not_fatal(workbook_copy, tmp_path):
    from cchc_xl.io.ooxml import Package

    pkg = Package.open(workbook_copy)
    info = [t for t in pkg.tables() if t.name == schema.HOLIDAYS.table][0]
    pkg.delete_part(info.part)  # the table disappears, as when a user deletes the sheet's table
    broken = tmp_path / "broken.xlsm"
    pkg.save(broken, backup=False)
    result = refresh_file(broken, as_of=dt.date(2024, 6, 14), out=tmp_path / "o.xlsm")
    assert any(p.sheet == schema.HOLIDAYS.sheet and "không tìm thấy" in p.message for p in result.problems)
    assert result.task_counts["total"] == 31
    assert result.stats is None and schema.HOLIDAYS.table in result.unavailable["dossiers"]


def test_check_lists_problems_and_exits_non_zero(workbook_copy, tmp_path, capsys):
    from cchc_xl.io.ooxml import Package

    pkg = Package.open(workbook_copy)
    info = [t for t in pkg.tables() if t.name == schema.DOSSIERS.table][0]
    from cchc_xl.io.ooxml import parse_ref

    r1, c1, _, _ = parse_ref(info.ref)
    pkg.set_cells(info.sheet, {(r1 + 1, c1 + schema.DOSSIERS.col("Hình thức nộp")): "Fax",
                               (r1 + 2, c1 + schema.DOSSIERS.col("Ngày tiếp nhận")): "hôm qua"})
    bad = tmp_path / "bad.xlsm"
    pkg.save(bad, backup=False)
    assert main(["check", str(bad), "--as-of", "2024-06-14"]) == 1
    out = capsys.readouterr().out
    assert f"Trang tính 'Hồ sơ TTHC', dòng {r1 + 1}, cột 'Hình thức nộp'" in out
    assert f"dòng {r1 + 2}, cột 'Ngày tiếp nhận'" in out
    assert main(["check", str(workbook_copy), "--as-of", "2024-06-14"]) == 0


def test_every_command_has_help(capsys):
    from cchc_xl.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # argparse has no public API
    assert {"refresh", "check", "import-dossiers", "build-workbook", "setup-excel", "handout", "consolidate",
            "send"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith("Cách dùng: cchc-xl " + name)
        for english in ("usage:", "options:", "positional arguments", "show this help"):
            assert english not in text, (name, english)


def test_argument_errors_are_vietnamese(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["refresh", "sổ.xlsm", "--period", "q5"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Lỗi: tham số --period: giá trị 'q5' không hợp lệ" in err and "error:" not in err
    with pytest.raises(SystemExit):
        main(["refresh"])
    assert "Lỗi: thiếu tham số bắt buộc: SỔ_TÍNH" in capsys.readouterr().err


@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("as_of", ["2024-06-14", "2024-12-14"])
def test_report_renders_to_pdf_with_vietnamese(workbook_copy, tmp_path, as_of):
    import shutil
    import subprocess

    from cchc_xl.io.ooxml import Package

    out = tmp_path / "out.xlsm"
    refresh_file(workbook_copy, as_of=dt.date.fromisoformat(as_of), out=out)
    # Render only the report: hide every other sheet in a copy (LibreOffice prints visible sheets).
    pkg = Package.open(out)
    from lxml import etree

    root = etree.fromstring(pkg.read_part("xl/workbook.xml"))
    ns = {"m": root.nsmap[None]}
    sheets = root.findall("m:sheets/m:sheet", ns)
    for i, sheet in enumerate(sheets):
        if sheet.get("name") == schema.SHEET_REPORT:
            root.find("m:bookViews/m:workbookView", ns).set("activeTab", str(i))
        else:
            sheet.set("state", "hidden")
    pkg.write_part("xl/workbook.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    report_only = tmp_path / "report.xlsm"
    pkg.save(report_only, backup=False)
    pdf = convert([report_only], "pdf", tmp_path)[0]
    assert pdf.exists() and pdf.stat().st_size > 1000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "BÁO CÁO" in text
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
        assert "Nơi nhận" in text
        label = "6 tháng đầu năm 2024" if as_of.endswith("06-14") else "năm 2024"
        assert label in text


def test_refresh_out_into_a_new_folder(workbook_copy, tmp_path):
    out = tmp_path / "chua_co" / "thu_muc" / "CCHC.xlsm"
    assert main(["refresh", str(workbook_copy), "--as-of", "2024-06-14", "--out", str(out)]) == 0
    assert out.exists()


@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) is not installed")
def test_refresh_of_a_copy_resaved_by_libreoffice(workbook_copy, tmp_path):
    """The Sở or a teacher may open and save the workbook with LibreOffice: same tables, same numbers."""
    resaved = convert([workbook_copy], "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")[0]
    assert resaved.exists()
    as_of = dt.date(2024, 6, 14)
    ours = refresh_file(workbook_copy, as_of=as_of, out=tmp_path / "a.xlsm").to_json()
    theirs = refresh_file(resaved, as_of=as_of, out=tmp_path / "b.xlsx").to_json()
    assert theirs["problems"] == []
    for key in ("dossiers", "rates", "tasks", "task_flags", "dossier_flags", "indicators", "overdue_tasks"):
        assert theirs[key] == ours[key], key
