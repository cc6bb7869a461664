"""Issue #17 §3: what the import accepts, the workbook can hold — and a date the calendar cannot handle is a
data problem, never a crash.

* A 1,000,000-row CSV (48 MB, under the 50 MB cap of an import file) used to import (36 s, 1.7 GB here), after
  which every ``refresh``, ``check`` and ``consolidate`` refused the master as too large once decompressed (456 MB
  against 200 MB). Now the import refuses it before writing, naming that limit; and every write checks the
  package it is about to put in place against the limits every read applies.
* ``Ngày tiếp nhận = 10/06/9999`` imported, and every later ``refresh``/``check`` exited 3 (``OverflowError`` in the
  calendar); ``10/06/0001`` was stored as serial -693434. Dates outside five years either side of the plan year
  are refused by the import and reported by ``check`` naming the row and column, wherever they are already in
  the workbook (dossiers, task deadlines, days off, settings), and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.engine import check_file, refresh_file
from cchc_xl.errors import WorkbookTooLargeError
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.import_dossiers import import_dossiers
from cchc_xl.io.ooxml import Package
from helpers_proc import cli, measure

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
HEADER = "Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Hình thức nộp,Trạng thái\n"


@pytest.fixture()
def book(tmp_path) -> Path:
    d = tmp_path / "so"
    d.mkdir()
    return Path(shutil.copyfile(BUNDLED, d / "CCHC_2024.xlsm"))


def _ids(path: Path) -> set[str]:
    td = FileBook.open(path).read_table(schema.DOSSIERS.sheet, schema.DOSSIERS.table)
    return {str(r[0]) for r in td.row_values() if r[0]}


# --- the size the workbook can hold ------------------------------------------------------------------------------

def test_a_million_row_csv_is_refused_before_anything_is_written(book, tmp_path):
    csv = tmp_path / "trieu_dong.csv"
    with open(csv, "w", encoding="utf-8") as fh:
        fh.write("Mã hồ sơ,Ngày tiếp nhận,Hình thức nộp,Trạng thái\n")
        fh.writelines(f"B{i:06d},2024-01-0{i % 5 + 1},Trực tiếp,Đang xử lý\n" for i in range(1_000_000))
    assert 40e6 < csv.stat().st_size < 50 * 1024 * 1024          # under the import file's own cap
    before = book.read_bytes()
    run = measure(cli("import-dossiers", str(book), str(csv)), tmp_path, timeout=300)
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert run.code == 2 and len(lines) == 1 and lines[0].startswith("Lỗi: "), run.stderr
    for words in ("1.000.000 hồ sơ", "quá giới hạn 200 MB", "MAX_UNZIPPED_BYTES", "sổ tính chưa bị thay đổi"):
        assert words in lines[0], lines[0]
    assert book.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == [book.name]     # no temporary, no backup, no lock
    print(f"million-row import refused in {run.seconds:.1f} s, peak {run.rss_mb:.0f} MB")


def test_every_write_refuses_a_package_no_read_would_open(book):
    """The exact check, on the package about to be written: the limit it was read under is the limit every later
    read applies (here a limit just above the bundled workbook, and a sheet that grows past it)."""
    inflated = sum(i.file_size for i in Package.open(book).zin.infos.values())
    pkg = Package.open(book, max_total=inflated + 50_000)
    pkg.set_cells("Nhật ký", {(r, 8): "ghi chú dài " * 10 for r in range(2, 2000)})
    before = book.read_bytes()
    with pytest.raises(WorkbookTooLargeError, match="khi giải nén, quá giới hạn") as info:
        pkg.save(book)
    assert info.value.total > info.value.limit == inflated + 50_000
    assert book.read_bytes() == before and sorted(p.name for p in book.parent.iterdir()) == [book.name]


def test_an_import_that_fits_is_written_and_reopens(book, tmp_path):
    csv = tmp_path / "vua.csv"
    csv.write_text(HEADER + "".join(f"V-{i},1.008950,04/03/2024 09:15,Trực tuyến,Đang xử lý\n" for i in range(500)),
                   encoding="utf-8")
    assert import_dossiers(book, csv).added == 500
    assert {f"V-{i}" for i in range(500)} <= _ids(book)


# --- dates ---------------------------------------------------------------------------------------------------------

def test_dates_outside_the_window_are_refused_at_import_naming_line_and_column(book, tmp_path):
    csv = tmp_path / "ngay.csv"
    csv.write_text(HEADER + "Y-9999,1.008950,10/06/9999,Trực tiếp,Đang xử lý\n"
                            "Y-0001,1.008950,10/06/0001,Trực tiếp,Đang xử lý\n"
                            "Y-2042,1.008950,2042-06-10,Trực tiếp,Đang xử lý\n"
                            "Y-OK,1.008950,10/06/2024,Trực tiếp,Đang xử lý\n", encoding="utf-8")
    report = import_dossiers(book, csv)
    assert report.added == 1 and len(report.skipped) == 3
    text = "\n".join(report.skipped)
    for line, day in ((2, "10/06/9999"), (3, "10/06/0001"), (4, "10/06/2042")):
        assert f"dòng {line}: cột 'Ngày tiếp nhận': ngày {day} nằm ngoài khoảng 01/01/2019–31/12/2029" in text, text
    assert "Y-OK" in _ids(book) and not {"Y-9999", "Y-0001", "Y-2042"} & _ids(book)


def _plant_dates(path: Path) -> dict[str, tuple[str, int, str]]:
    """Write impossible dates straight into the workbook (as a hand edit in Excel would); where each went."""
    book = FileBook.open(path)
    where = {}
    pkg = Package.open(path)
    for spec, header, value in ((schema.DOSSIERS, "Ngày tiếp nhận", dt.datetime(9999, 6, 10, 8, 0)),
                                (schema.TASKS, "Hạn hoàn thành", dt.datetime(9999, 12, 31)),
                                (schema.HOLIDAYS, "Ngày", dt.datetime(9000, 1, 1)),
                                (schema.PROCEDURES, "Số ngày làm việc", 9_999_999)):
        td = book.read_table(spec.sheet, spec.table)
        row = td.first_row + min(1, td.n_rows - 1)      # the second row (the days off hold one)
        pkg.set_cells(spec.sheet, {(row, td.headers.index(header) + 1): value})
        where[spec.table] = (spec.sheet, row, header)
    settings = book.read_table(schema.SETTINGS.sheet, schema.SETTINGS.table)
    keys = [r[0] for r in settings.row_values()]
    for key, value in (("ngay_tinh_den", dt.datetime(9999, 1, 1)), ("nam_ke_hoach", 9999)):
        row = settings.first_row + keys.index(key)
        pkg.set_cells(schema.SETTINGS.sheet, {(row, settings.headers.index("Giá trị") + 1): value})
        where[key] = (schema.SETTINGS.sheet, row, "Giá trị")
    pkg.save(path, backup=False)
    return where


def test_a_date_already_in_the_workbook_is_a_problem_check_names_never_a_crash(book, tmp_path):
    where = _plant_dates(book)
    problems = check_file(book)
    found = {(p.sheet, p.row, p.column): p.message for p in problems}
    for key, place in where.items():
        assert place in found, (key, place, sorted(found))
    assert "10/06/9999 nằm ngoài khoảng" in found[where["tblHoSo"]]
    assert "31/12/9999 nằm ngoài khoảng" in found[where["tblNhiemVu"]]
    assert "quá dài" in found[where["tblThuTuc"]] and "năm 9999" in found[where["nam_ke_hoach"]]
    r = measure(cli("check", str(book)), tmp_path)
    assert r.code == 1 and "Traceback" not in r.stderr and "10/06/9999" in r.stdout, r.stderr
    r = measure(cli("refresh", str(book), "--as-of", "2024-06-14"), tmp_path)
    assert r.code == 0 and "Có " in r.stdout and "vấn đề dữ liệu" in r.stdout, r.stderr
    result = refresh_file(book, as_of=dt.date(2024, 6, 14), backup=False)       # the run goes on without them
    assert result.figures.tasks is not None and result.figures.dossiers is not None


@pytest.mark.parametrize("value", ["9999-12-31", "01/01/0001", "1999-12-31"])
def test_an_as_of_date_outside_the_years_is_a_user_error(book, tmp_path, value):
    r = measure(cli("refresh", str(book), "--as-of", value), tmp_path)
    assert r.code == 2 and "nằm ngoài các năm 2000–2100" in r.stderr and "Traceback" not in r.stderr
