"""`cchc-xl import-dossiers`: CSV/XLSX from the one-stop system into tblHoSo."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from cchc_xl import schema
from cchc_xl.cli import main
from cchc_xl.engine import refresh_file
from cchc_xl.errors import ImportFileError
from cchc_xl.io.import_dossiers import import_dossiers

HEADER = ["Mã hồ sơ", "Mã TTHC", "Tên TTHC", "Ngày tiếp nhận", "Hình thức nộp", "Ngày hẹn trả",
          "Ngày có kết quả", "Trạng thái", "Số hóa kết quả", "Đánh giá", "Có phản ánh"]
ROWS = [
    ["MC-240701-0001", "2.001914", "Chỉnh sửa nội dung văn bằng", "01/07/2024 09:30", "Trực tuyến", "",
     "05/07/2024", "Đã trả kết quả", "Có", "Hài lòng", "Không"],
    ["MC-240702-0002", "2.001914", "Chỉnh sửa nội dung văn bằng", "2024-07-02 16:10", "Trực tiếp", "09/07/2024",
     "", "Đang xử lý", "", "", ""],
]


def _table(path):
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.DOSSIERS.sheet]
    table = ws.tables[schema.DOSSIERS.table]
    rows = list(ws[table.ref])
    header = [c.value for c in rows[0]]
    return table.ref, [dict(zip(header, (c.value for c in r))) for r in rows[1:]]


def test_csv_with_bom_and_semicolons(workbook_copy, tmp_path):
    csv_file = tmp_path / "xuat_mot_cua.csv"
    csv_file.write_text(";".join(HEADER) + "\n" + "\n".join(";".join(r) for r in ROWS) + "\n", encoding="utf-8-sig")
    _, before = _table(workbook_copy)
    report = import_dossiers(workbook_copy, csv_file)
    assert (report.added, report.updated, report.skipped) == (2, 0, [])
    ref, after = _table(workbook_copy)
    assert len(after) == len(before) + 2
    new = {r["Mã hồ sơ"]: r for r in after}["MC-240701-0001"]
    assert new["Ngày tiếp nhận"] == dt.datetime(2024, 7, 1, 9, 30)
    assert new["Ngày có kết quả"] == dt.datetime(2024, 7, 5)
    assert new["Hình thức nộp"] == "Trực tuyến"
    # The imported dossiers are classified by the next refresh.
    result = refresh_file(workbook_copy, as_of=dt.date(2024, 9, 14), period="q3", out=tmp_path / "o.xlsm")
    assert result.dossier_flags["MC-240701-0001"][1] in ("early", "on_time", "late")
    assert not [p for p in result.problems if p.sheet == schema.DOSSIERS.sheet]


def test_csv_comma_update_by_code(workbook_copy, tmp_path):
    csv_file = tmp_path / "a.csv"
    csv_file.write_text(",".join(HEADER) + "\n" + ",".join(ROWS[1]) + "\n", encoding="utf-8")
    import_dossiers(workbook_copy, csv_file)
    updated = list(ROWS[1])
    updated[6], updated[7] = "08/07/2024", "Đã trả kết quả"
    csv_file.write_text(",".join(HEADER) + "\n" + ",".join(updated) + "\n", encoding="utf-8")
    report = import_dossiers(workbook_copy, csv_file)
    assert (report.added, report.updated) == (0, 1)
    _, rows = _table(workbook_copy)
    row = {r["Mã hồ sơ"]: r for r in rows}["MC-240702-0002"]
    assert row["Trạng thái"] == "Đã trả kết quả" and row["Ngày có kết quả"] == dt.datetime(2024, 7, 8)
    again = import_dossiers(workbook_copy, csv_file)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)


def test_xlsx_import(workbook_copy, tmp_path):
    import xlsxwriter

    source = tmp_path / "xuat.xlsx"
    book = xlsxwriter.Workbook(str(source))
    ws = book.add_worksheet()
    fmt = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, ROWS[0])
    ws.write_datetime(1, 3, dt.datetime(2024, 7, 1, 9, 30), fmt)
    book.close()
    report = import_dossiers(workbook_copy, source)
    assert report.added == 1
    _, rows = _table(workbook_copy)
    assert {r["Mã hồ sơ"]: r for r in rows}["MC-240701-0001"]["Ngày tiếp nhận"] == dt.datetime(2024, 7, 1, 9, 30)


def test_bad_rows_are_skipped_with_line_and_column(workbook_copy, tmp_path):
    bad = list(ROWS[0])
    bad[3], bad[4] = "hôm qua", "Fax"
    dup = list(ROWS[1])
    csv_file = tmp_path / "b.csv"
    csv_file.write_text("\n".join(",".join(r) for r in (HEADER, bad, ROWS[1], dup)) + "\n", encoding="utf-8")
    report = import_dossiers(workbook_copy, csv_file)
    assert report.added == 1
    text = "\n".join(report.skipped)
    assert "dòng 2" in text and "cột 'Ngày tiếp nhận'" in text and "cột 'Hình thức nộp'" in text
    assert "dòng 4" in text and "lặp lại" in text


def test_wrong_encoding_is_refused_and_workbook_untouched(workbook_copy, tmp_path, capsys):
    csv_file = tmp_path / "ansi.csv"
    import unicodedata

    text = unicodedata.normalize("NFD", ",".join(HEADER) + "\n" + ",".join(ROWS[0]) + "\n")
    csv_file.write_bytes(text.encode("cp1258", errors="replace"))  # as Excel's "CSV (ANSI)" would on vi-VN
    before = workbook_copy.read_bytes()
    with pytest.raises(ImportFileError) as info:
        import_dossiers(workbook_copy, csv_file)
    assert "UTF-8" in str(info.value)
    assert main(["import-dossiers", str(workbook_copy), str(csv_file)]) == 2
    assert "UTF-8" in capsys.readouterr().err
    assert workbook_copy.read_bytes() == before


def test_missing_key_column_and_missing_file(workbook_copy, tmp_path):
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("Mã TTHC,Tên TTHC\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="Mã hồ sơ"):
        import_dossiers(workbook_copy, csv_file)
    with pytest.raises(ImportFileError, match="Không tìm thấy"):
        import_dossiers(workbook_copy, tmp_path / "khong_co.csv")


def test_formula_text_stays_text(workbook_copy, tmp_path):
    row = list(ROWS[0])
    row[2] = "=HYPERLINK(\"http://x\")"
    csv_file = tmp_path / "d.csv"
    csv_file.write_text(",".join(HEADER) + "\n" + ",".join(f'"{v}"' if "," in v or '"' in v else v
                                                            for v in [c.replace('"', '""') for c in row]) + "\n",
                        encoding="utf-8")
    import_dossiers(workbook_copy, csv_file)
    wb = openpyxl.load_workbook(workbook_copy)
    ws = wb[schema.DOSSIERS.sheet]
    values = [c.value for c in ws["C"] if c.value and str(c.value).startswith("=")]
    assert values == ['=HYPERLINK("http://x")']
    assert all(c.data_type != "f" for c in ws["C"])


def test_complete_date_is_imported_as_a_date(workbook_copy, tmp_path):
    csv_file = tmp_path / "bo_sung.csv"
    row = list(ROWS[1])
    row[7] = "Đang xử lý"
    csv_file.write_text(",".join(HEADER + ["Ngày nhận đủ hồ sơ"]) + "\n" + ",".join(row + ["05/07/2024"]) + "\n",
                        encoding="utf-8")
    report = import_dossiers(workbook_copy, csv_file)
    assert report.added == 1 and report.ignored_columns == []
    _, rows = _table(workbook_copy)
    assert {r["Mã hồ sơ"]: r for r in rows}["MC-240702-0002"]["Ngày nhận đủ hồ sơ"] == dt.datetime(2024, 7, 5)
