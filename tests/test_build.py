"""The workbook build: reproducible bytes, the contract, seed content, validations, LibreOffice."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cchc_xl.build import REPORT_LAYOUT, build_workbook
from cchc_xl.build.sources import load_table
from cchc_xl.build.workbook import ENUM_COLUMNS, LOG_HEADERS, SHEET_LISTS
from cchc_xl.core.settings import SETTING_SPECS
from cchc_xl.schema import (
    AREAS,
    ENUM_NAMES,
    INDICATORS,
    SETTINGS,
    SHEET_GUIDE,
    SHEET_LOG,
    SHEET_REPORT,
    TABLES,
    TASKS,
)

SEED = Path(__file__).resolve().parent / "data" / "seed" / "plan_30-KH-THPTKT_2024.txt"
VN_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()
EXPECTED_LETTERS = {1: "a b d đ e", 2: "a b d", 3: "a b c d", 4: "a b c d đ e g", 5: "a b c d đ e", 6: "a b",
                    7: "a b c d"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("build") / "CCHC_2024.xlsm")


@pytest.fixture(scope="module")
def wb(built):
    return openpyxl.load_workbook(built)


def test_two_builds_are_byte_identical(tmp_path, built):
    other = build_workbook(tmp_path / "again.xlsm")
    assert other.read_bytes() == built.read_bytes()


def test_macro_enabled_content_type(built, tmp_path):
    types = zipfile.ZipFile(built).read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    plain = build_workbook(tmp_path / "plain.xlsx")
    assert "macroEnabled" not in zipfile.ZipFile(plain).read("[Content_Types].xml").decode()


def test_vba_hook_and_after_write(tmp_path):
    seen = []
    fake_vba = b"\xd0\xcf\x11\xe0" + b"\0" * 508  # bytes are copied as-is; content is the caller's business
    out = build_workbook(tmp_path / "m.xlsm", vba_project=fake_vba, after_write=seen.append)
    assert seen == [out]
    z = zipfile.ZipFile(out)
    assert z.read("xl/vbaProject.bin") == fake_vba
    assert 'codeName="ThisWorkbook"' in z.read("xl/workbook.xml").decode()
    with pytest.raises(ValueError):
        build_workbook(tmp_path / "m.xlsx", vba_project=fake_vba)


def test_sheet_order_and_contract(wb):
    assert wb.sheetnames[:10] == [SHEET_GUIDE, "Nhiệm vụ", "Nhiệm vụ định kỳ", "Hồ sơ TTHC", "Thủ tục", "Chỉ tiêu",
                                  "Ngày nghỉ", "Cấu hình", "Nội dung báo cáo", SHEET_REPORT]
    assert wb.sheetnames[-1] == SHEET_LOG
    assert wb[SHEET_LISTS].sheet_state == "hidden"
    for spec in TABLES:
        ws = wb[spec.sheet]
        assert spec.table in ws.tables, spec.table
        ref = ws.tables[spec.table].ref
        first, last = ref.split(":")
        header = [c.value for c in ws[f"{first}:{re.sub(r'[0-9]+', '1', last)}"][0]]
        assert tuple(header) == spec.headers
        assert ws.freeze_panes == ("D2" if spec.table == "tblNoiDung" else "B2")  # the text: period, code, title
        assert ws.page_setup.paperSize in (9, "9")
    assert tuple(c.value for c in wb[SHEET_LOG][1]) == LOG_HEADERS


def _table_rows(ws, spec):
    ref = ws.tables[spec.table].ref
    rows = list(ws[ref].__iter__())[1:]
    return [{h: c.value for h, c in zip(spec.headers, row)} for row in rows]


def test_section_three_tasks(wb):
    rows = _table_rows(wb[TASKS.sheet], TASKS)
    lettered = [r for r in rows if not str(r["Mã"]).startswith("PL.")]
    assert len(lettered) == 31
    by_area: dict[int, list[str]] = {}
    for r in lettered:
        area, letter = r["Mã"].split(".")
        by_area.setdefault(int(area), []).append(letter)
        assert r["Lĩnh vực"] == f"{area}. {AREAS[int(area)]}"
        text = r["Nội dung công việc"]
        assert "  " not in text and "t r ư ờ n g" not in text and "\n" not in text
        assert r["Tình trạng hạn"] is None
    assert {a: " ".join(v) for a, v in by_area.items()} == EXPECTED_LETTERS
    for letters in by_area.values():  # Vietnamese letter order, not Python's
        assert letters == sorted(letters, key=VN_LETTERS.index)
    assert "c" not in by_area[1] and "đ" in by_area[1]
    one_b = next(r for r in lettered if r["Mã"] == "1.b")["Nội dung công việc"]
    assert "kết quả CCHC hàng năm của trường theo hướng công khai" in one_b
    assert len({r["Tổ/nhóm chuyên môn"] for r in lettered}) >= 5
    assert {"Hoàn thành", "Đang thực hiện", "Chưa thực hiện", "Không thực hiện"} <= {r["Trạng thái"] for r in rows}
    done = [r for r in rows if r["Trạng thái"] == "Hoàn thành"]
    assert all(isinstance(r["Ngày hoàn thành"], dt.datetime) and r["Minh chứng"] for r in done)


def test_section_three_text_matches_seed():
    assert SEED.exists(), f"the seed plan is kept in the repository at {SEED}"
    squash = lambda s: re.sub(r"\s+", "", s)  # noqa: E731 - compare ignoring PDF spacing artefacts
    lines = SEED.read_text(encoding="utf-8").splitlines()
    seed = squash("".join(ln for ln in lines if not re.fullmatch(r"\s*(\d{1,3}|[IVXL]+)\s*", ln)))  # page numbers
    for row in load_table(TASKS).dicts():
        if not row["Mã"].startswith("PL."):
            assert squash(row["Nội dung công việc"]) in seed, row["Mã"]


def test_appendix_rows_from_seed(wb):
    rows = {r["Mã"]: r for r in _table_rows(wb[TASKS.sheet], TASKS)}
    pl1, pl2 = rows["PL.1"], rows["PL.2"]
    assert (pl1["Nội dung công việc"], pl1["Tổ/nhóm chuyên môn"], pl1["Cán bộ phụ trách"],
            pl1["Thời gian thực hiện/hoàn thành"], pl1["Sản phẩm"]) == (
        "Ban hành Kế hoạch CCHC năm 2024.", "Nhóm Văn phòng", "Hiệu trưởng: Đào Thế Anh", "Trước ngày 25/1/2024",
        "Kế hoạch của trường THPT Kiến Thụy")
    assert (pl2["Nội dung công việc"], pl2["Tổ/nhóm chuyên môn"], pl2["Cán bộ phụ trách"],
            pl2["Thời gian thực hiện/hoàn thành"]) == (
        "Thực hiện theo Kế hoạch đã ban hành", "Các tổ, nhóm chuyên môn", "Hiệu trưởng: Đào Thế Anh", "Cả năm 2024")


def test_indicators(wb):
    rows = {r["Mã"]: r for r in _table_rows(wb[INDICATORS.sheet], INDICATORS)}
    assert list(rows) == ["CT1", "CT2", "CT3a", "CT3b", "CT4a", "CT4b", "CT4c", "CT5a", "CT5b"]
    thresholds = {k: r["Ngưỡng"] for k, r in rows.items() if k != "CT1"}
    assert thresholds == {"CT2": 1, "CT3a": 0.95, "CT3b": 0.9, "CT4a": 1, "CT4b": 0.8, "CT4c": 0.95,
                          "CT5a": 1, "CT5b": 0.8}
    assert rows["CT3a"]["So sánh"] == ">" and rows["CT3b"]["So sánh"] == "≥"
    assert isinstance(rows["CT1"]["Kết quả"], str)
    assert wb[INDICATORS.sheet].cell(3, INDICATORS.col("Ngưỡng") + 1).number_format == "0.00%"


def test_settings_source_follows_setting_specs():
    rows = load_table(SETTINGS).dicts()
    assert [r["Khóa"] for r in rows] == [s.key for s in SETTING_SPECS]
    for spec, row in zip(SETTING_SPECS, rows):
        if spec.key == "du_lieu_mau":  # the bundled workbook holds sample data and says so
            assert "mẫu" in row["Giá trị"] and spec.default == ""
            continue
        if spec.key == "de_xuat_kien_nghi":  # sample proposals (issue #15), named by the sample-data note
            assert row["Giá trị"] and spec.default == "" and "mục V" in next(
                r["Giá trị"] for r in rows if r["Khóa"] == "du_lieu_mau")
            continue
        expected = spec.default  # ngay_tinh_den ships empty: a run is as of today unless a person fills it
        assert row["Giá trị"] == (None if expected in ("", None) else expected), spec.key
        assert row["Mô tả"] == spec.description


def test_validations_cover_enumerated_columns(wb):
    specs = {s.table: s for s in TABLES}
    for (table, header), name in ENUM_COLUMNS.items():
        spec = specs[table]
        ws = wb[spec.sheet]
        col = openpyxl.utils.get_column_letter(spec.col(header) + 1)
        found = [dv for dv in ws.data_validations.dataValidation
                 if dv.type == "list" and dv.formula1 == name and f"{col}2:{col}10001" in str(dv.sqref)]
        assert found, (table, header)
    dates = [dv for dv in wb[TASKS.sheet].data_validations.dataValidation if dv.type == "date"]
    assert len(dates) == 2 and all(dv.error and "dd/mm/yyyy" in dv.error for dv in dates)


def test_defined_names_and_lists(wb):
    for name, values in ENUM_NAMES.items():
        dn = wb.defined_names[name]
        sheet, ref = next(iter(dn.destinations))
        assert sheet == SHEET_LISTS
        cells = [c.value for row in wb[sheet][ref.replace("$", "")] for c in row]
        assert tuple(cells) == values


def test_conditional_formats(wb):
    tasks_rules = [r.formula[0] for rng in wb[TASKS.sheet].conditional_formatting for r in rng.rules]
    assert any("Quá hạn" in f for f in tasks_rules)
    assert any("Sắp đến hạn" in f for f in tasks_rules)
    assert any("Hoàn thành đúng hạn" in f for f in tasks_rules)
    ranges = [str(rng.sqref) for rng in wb[TASKS.sheet].conditional_formatting]
    assert all(r.endswith("10001") for r in ranges)
    dossier_rules = [r.formula[0] for rng in wb["Hồ sơ TTHC"].conditional_formatting for r in rng.rules]
    assert any("Trễ hạn" in f and "Đang xử lý quá hạn" in f for f in dossier_rules)


def test_report_sheet_prepared(wb, built):
    """The NĐ 30/2020 page of the report: A4 portrait at 100% (no shrinking), margins 20/20/30/15 mm, the layout
    grid A:X printed, page numbers at the top centre from page 2, the chart beside the report (not printed)."""
    from cchc_xl.report.flow import COLUMNS

    ws = wb[SHEET_REPORT]
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize in (9, "9")
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)
    assert int(ws.page_setup.scale or 100) == 100
    m = ws.page_margins
    mm = [round(x * 25.4) for x in (m.top, m.bottom, m.left, m.right)]
    assert mm == [20, 20, 30, 15]
    assert ws.sheet_view.showGridLines is False and not ws.print_options.gridLines
    cat = REPORT_LAYOUT["chart_category_col"]
    assert tuple(ws[f"{cat}1"].offset(0, i).value for i in range(3)) == REPORT_LAYOUT["chart_headers"]
    assert ws["A1"].value is None
    z = zipfile.ZipFile(built)
    assert "'Báo cáo'!$A:$X" in z.read("xl/workbook.xml").decode()  # print area: the grid's columns
    sheet_xml = next(z.read(n).decode() for n in z.namelist()
                     if n.startswith("xl/worksheets/sheet") and "3.140625" in z.read(n).decode())
    assert f'<col min="1" max="{COLUMNS}" width="3.140625"' in sheet_xml  # one layout grid of equal columns
    assert 'differentFirst="1"' in sheet_xml and "<oddHeader>&amp;C" in sheet_xml and "<firstHeader" not in sheet_xml
    chart = z.read("xl/charts/chart1.xml").decode()
    assert REPORT_LAYOUT["chart_title"] in chart
    for col in (cat, *REPORT_LAYOUT["chart_series_cols"]):
        assert f"'Báo cáo'!${col}$2:${col}$8" in chart
    drawing = z.read("xl/drawings/drawing1.xml").decode()
    anchor_col = int(re.search(r"<xdr:col>(\d+)</xdr:col>", drawing).group(1))
    assert anchor_col >= COLUMNS  # outside the print area A:X: on screen, never over the text


def test_document_properties(wb):
    assert wb.properties.title == "Kế hoạch CCHC năm 2024 – Trường THPT Kiến Thụy"
    assert wb.properties.creator == "cchc-xl"
    assert wb.properties.created == dt.datetime(2024, 1, 25)


def test_libreoffice_converts_to_pdf(built, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice not installed")
    result = subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo_profile", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(built)],
        capture_output=True, text=True, timeout=240,
    )
    pdf = tmp_path / (built.stem + ".pdf")
    assert result.returncode == 0 and pdf.exists() and pdf.stat().st_size > 10_000, result.stderr
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "Hướng dẫn – Trang 1/" in text
        assert "Ban hành Kế hoạch CCHC năm 2024." in text
