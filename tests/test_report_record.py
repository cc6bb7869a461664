"""Issue 9 §1: one as-of rule in every command; the report records its period, as-of date and data; `send`
sends the report that is in the workbook, or refuses in one sentence naming the command that refreshes it."""

from __future__ import annotations

import datetime as dt
import doctest
import email
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from email import policy
from pathlib import Path

import openpyxl
import pytest

import cchc_xl.report.record as report_record
from cchc_xl import schema
from cchc_xl.engine import load_data, refresh_file
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package
from cchc_xl.report.layout import CHART_DATA, PRINT_COLUMNS
from cchc_xl.report.record import RECORD_CELL, RECORD_LABEL_CELL, data_fingerprint, read_record

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, today: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    env.pop("CCHC_XL_TODAY", None)
    for k in [k for k in env if k.startswith("CCHC_SMTP_")]:
        del env[k]
    if today:
        env["CCHC_XL_TODAY"] = today  # the test-only clock (cchc_xl/clock.py)
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, env=env, timeout=300)


def record(path: Path):
    return read_record(FileBook.open(path))


def fingerprint(path: Path) -> str:
    return data_fingerprint(load_data(FileBook.open(path)))


def set_cell(path: Path, sheet: str, cells: dict) -> None:
    pkg = Package.open(path)
    pkg.set_cells(sheet, cells)
    pkg.save(path, backup=False)


def table_cell(path: Path, spec: schema.TableSpec, header: str, index: int = 0) -> tuple[int, int]:
    """(row, col) of column ``header`` in the ``index``-th data row of ``spec``'s table."""
    td = FileBook.open(path).read_table(spec.sheet, spec.table)
    first_col = FileBook.open(path).table_info(spec.table)
    from cchc_xl.io.file_book import parse_ref

    c1 = parse_ref(first_col.ref)[1]
    return td.first_row + index, c1 + td.headers.index(header)


def setting_cell(path: Path, key: str) -> tuple[int, int]:
    td = FileBook.open(path).read_table(schema.SETTINGS.sheet, schema.SETTINGS.table)
    i = next(i for i, r in enumerate(td.rows) if r[0].value == key)
    return table_cell(path, schema.SETTINGS, "Giá trị", i)


def test_doctests_of_the_record_module():
    failures, tried = doctest.testmod(report_record)
    assert failures == 0 and tried > 0


# --- the rule in every command ----------------------------------------------------------------------------------

def test_refresh_follows_the_rule_flag_then_setting_then_today(workbook_copy, tmp_path):
    out = tmp_path / "o.xlsm"
    j = json.loads(cli("refresh", workbook_copy, "--out", out, "--json", today="2024-06-20").stdout)
    assert (j["as_of"], j["as_of_source"], j["period"]["key"], j["period_source"], j["date_note"]) == \
        ("2024-06-20", "today", "q3", "date", "")
    assert record(out) == report_record.ReportRecord("q3", 2024, dt.date(2024, 6, 20), fingerprint(out))

    r = cli("refresh", workbook_copy, "--out", out, today="2025-01-10")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Kỳ báo cáo: Năm 2024 (từ 15/12/2023 đến 14/12/2024), tính đến ngày 10/01/2025 (hôm nay)"
    assert lines[1] == ("Lưu ý: Ngày tính đến 10/01/2025 đã qua ngày chốt số liệu năm 2024 (14/12/2024): kế hoạch "
                        "là của năm 2024 nên lập báo cáo năm 2024.")
    ws = openpyxl.load_workbook(out)[schema.SHEET_REPORT]
    assert ws["A9"].value.startswith("Lưu ý: Ngày tính đến 10/01/2025 đã qua ngày chốt số liệu năm 2024")

    set_cell(workbook_copy, schema.SETTINGS.sheet, {setting_cell(workbook_copy, "ngay_tinh_den"): "10/03/2024"})
    j = json.loads(cli("refresh", workbook_copy, "--out", out, "--json", today="2025-01-10").stdout)
    assert (j["as_of"], j["as_of_source"], j["period"]["key"], j["date_note"]) == ("2024-03-10", "setting", "q1", "")
    j = json.loads(cli("refresh", workbook_copy, "--out", out, "--json", "--as-of", "2024-06-20",
                       today="2025-01-10").stdout)
    assert (j["as_of"], j["as_of_source"], j["period"]["key"]) == ("2024-06-20", "flag", "q3")


def test_check_follows_the_rule(workbook_copy):
    """`check` judges "a completion date in the future" against the same as-of date: the clock, the setting, the
    flag."""
    def future(*args, today):
        r = cli("check", workbook_copy, "--json", *args, today=today)
        return [p for p in json.loads(r.stdout) if "ở tương lai" in p["message"]]

    assert future(today="2023-12-01") and not future(today="2024-12-14")
    assert not future("--as-of", "2024-12-14", today="2023-12-01")
    set_cell(workbook_copy, schema.SETTINGS.sheet, {setting_cell(workbook_copy, "ngay_tinh_den"): "14/12/2024"})
    assert not future(today="2023-12-01")
    assert future("--as-of", "2023-12-01", today="2023-12-01")


def test_help_texts_state_the_one_rule():
    for command in ("refresh", "redraft", "check", "consolidate"):
        text = " ".join(cli(command, "--help").stdout.split())
        assert "không ghi thì lấy ô ngay_tinh_den của trang Cấu hình nếu đã điền, nếu không thì hôm nay" in text
        assert "mặc định hôm nay" not in text and "cấu hình hoặc hôm nay" not in text
    text = " ".join(cli("send", "--help").stdout.split())
    assert "không ghi thì gửi đúng báo cáo đang có" in text


def test_the_bundled_workbook_ships_without_an_as_of_date_and_says_its_sample_date(root):
    data = load_data(FileBook.open(root / "workbook" / "CCHC_2024.xlsm"))
    assert data.settings["ngay_tinh_den"] is None
    assert record(root / "workbook" / "CCHC_2024.xlsm").as_of == dt.date(2024, 6, 14)
    ws = openpyxl.load_workbook(root / "workbook" / "CCHC_2024.xlsm")[schema.SHEET_REPORT]
    texts = [str(ws.cell(r, 1).value) for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value]
    # the note under the title says the sample date; the figures say the date they are counted to
    notes = [t for t in texts if t.startswith("Lưu ý: ")]
    assert len(notes) == 1 and "ngày mẫu 14/06/2024" in notes[0], notes
    title = next(t for t in texts if t.startswith("Kết quả thực hiện công tác cải cách hành chính"))
    # (issue #15: each figure names its span — tasks from the start of the year, dossiers for the period)
    assert texts.index(notes[0]) == texts.index(title) + 1 and any("tính từ đầu năm đến ngày 14/06/2024" in t
                                                                    for t in texts)


# --- the record ---------------------------------------------------------------------------------------------------

def test_the_record_sits_in_a_hidden_column_and_is_not_printed(workbook_copy, tmp_path):
    refresh_file(workbook_copy, as_of=dt.date(2024, 12, 14), period="year", backup=False)
    row, col = RECORD_CELL
    ws = openpyxl.load_workbook(workbook_copy)[schema.SHEET_REPORT]
    assert ws.cell(row, col).value.startswith("cchc-xl/bao-cao/1 ky=year nam=2024 tinh_den=2024-12-14 du_lieu=")
    assert ws.cell(*RECORD_LABEL_CELL).value == report_record.RECORD_LABEL
    for _, c in (RECORD_CELL, RECORD_LABEL_CELL):  # hidden, right of the chart data, outside the print area
        letter = openpyxl.utils.get_column_letter(c)
        dims = [d for d in ws.column_dimensions.values() if d.min <= c <= d.max]
        assert dims and dims[0].hidden, letter
        assert c > max(CHART_DATA.values()) and c > PRINT_COLUMNS, letter
    from helpers_soffice import have_soffice

    if not have_soffice():
        pytest.skip("LibreOffice (soffice) is not installed: .ci/run installs it")
    from cchc_xl.distribute.outgoing import report_pdf

    pdf = report_pdf(workbook_copy, tmp_path / "bc.pdf")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    text = text.decode()
    assert "BÁO CÁO" in text and "cchc-xl/bao-cao" not in text and "Bản ghi của báo cáo" not in text


@pytest.mark.parametrize("spec,header", [
    (schema.TASKS, "Trạng thái"), (schema.TASKS, "Ghi chú"), (schema.OCCURRENCES, "Ngày hoàn thành"),
    (schema.DOSSIERS, "Ngày có kết quả"), (schema.PROCEDURES, "Số ngày làm việc"), (schema.INDICATORS, "Ngưỡng"),
    (schema.HOLIDAYS, "Ghi chú"),
])
def test_a_change_in_any_input_changes_the_fingerprint(workbook_copy, spec, header):
    before = fingerprint(workbook_copy)
    value = {"Trạng thái": "Không thực hiện", "Ngày hoàn thành": dt.date(2024, 5, 2),
             "Ngày có kết quả": dt.date(2024, 5, 3), "Số ngày làm việc": 11, "Ngưỡng": 0.5}.get(header, "đã sửa")
    set_cell(workbook_copy, spec.sheet, {table_cell(workbook_copy, spec, header): value})
    assert fingerprint(workbook_copy) != before


def test_an_error_value_counts_as_its_text_not_as_a_blank(workbook_copy):
    """An input cell showing #N/A is part of the data the report was made from: the fingerprint differs from the
    same cell blank, and from another error value in it."""
    from cchc_xl.io.ooxml import cell_ref

    row, col = table_cell(workbook_copy, schema.DOSSIERS, "Ngày có kết quả", 1)
    set_cell(workbook_copy, schema.DOSSIERS.sheet, {(row, col): None})
    blank = fingerprint(workbook_copy)

    def with_error(error: str) -> str:
        pkg = Package.open(workbook_copy)
        part = pkg.sheet_part(schema.DOSSIERS.sheet)
        ref = cell_ref(row, col)
        xml, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(),
                         f'<c r="{ref}" t="e"><f>NA()</f><v>{error}</v></c>'.encode(), pkg.read_part(part), count=1)
        assert n == 1
        pkg.write_part(part, xml)
        pkg.save(workbook_copy, backup=False)
        return fingerprint(workbook_copy)

    assert len({blank, with_error("#N/A"), with_error("#VALUE!")}) == 3


@pytest.mark.parametrize("key,value,changes", [
    ("so_bao_cao", "15", True), ("ngay_tinh_den", "14/12/2024", True), ("du_lieu_mau", "", True),
    ("email_nguoi_nhan", "phongcchc@haiphong.edu.vn", False), ("smtp_may_chu", "smtp.haiphong.edu.vn", False),
    ("ma_dinh_danh", "000.00.21.H25", False),
])
def test_settings_that_print_on_the_report_count_and_sending_settings_do_not(workbook_copy, key, value, changes):
    before = fingerprint(workbook_copy)
    set_cell(workbook_copy, schema.SETTINGS.sheet, {setting_cell(workbook_copy, key): value})
    assert (fingerprint(workbook_copy) != before) is changes


def test_what_the_refresh_writes_itself_leaves_the_fingerprint_alone(workbook_copy, tmp_path):
    before = fingerprint(workbook_copy)
    for as_of, period in ((dt.date(2024, 3, 14), "q1"), (dt.date(2024, 12, 14), "year")):
        refresh_file(workbook_copy, as_of=as_of, period=period, backup=False)
        assert fingerprint(workbook_copy) == before == record(workbook_copy).fingerprint
    from cchc_xl.distribute._log import append_log

    append_log(workbook_copy, [{"Thời gian": dt.datetime(2024, 12, 16, 8), "Ghi chú": "một dòng nhật ký"}],
               backup=False)
    assert fingerprint(workbook_copy) == before
    set_cell(workbook_copy, schema.TASKS.sheet, {table_cell(workbook_copy, schema.TASKS, "Tình trạng hạn"): "x"})
    assert fingerprint(workbook_copy) == before


# --- send sends the report that is in the workbook ----------------------------------------------------------------

def _send(master: Path, *args, today: str = "2026-11-28") -> subprocess.CompletedProcess:
    return cli("send", master, "--dry-run", "-q", "--out-dir", master.parent / "gui", *args, today=today)


def _eml(master: Path):
    eml = next((master.parent / "gui").glob("*.eml"))
    return email.message_from_bytes(eml.read_bytes(), policy=policy.default)


@pytest.fixture
def office(workbook_copy, tmp_path) -> Path:
    d = tmp_path / "van phong"
    d.mkdir()
    return Path(workbook_copy.replace(d / "CCHC_2024.xlsm"))


def test_send_without_flags_sends_the_year_report_that_is_in_the_workbook(office):
    """The issue's case: after `refresh --as-of 2024-12-14 --period year`, `send` built the 6-month report."""
    assert cli("refresh", office, "--as-of", "2024-12-14", "--period", "year").returncode == 0
    r = _send(office, today="2025-03-03")
    assert r.returncode == 0, r.stderr
    msg = _eml(office)
    assert msg["Subject"].startswith("V/v báo cáo kết quả thực hiện công tác CCHC năm 2024")
    body = msg.get_body(("plain",)).get_content()
    assert "(số liệu tính đến ngày 14/12/2024)" in body
    assert (office.parent / "gui" / "BC_CCHC_Nam2024_THPT_Kien_Thuy.xlsx").exists()
    # the same with the flags that agree
    assert _send(office, "--period", "year", "--as-of", "2024-12-14").returncode == 0


def test_send_carries_the_reports_note(office):
    assert cli("refresh", office, today="2025-01-10").returncode == 0
    assert _send(office, today="2025-06-30").returncode == 0
    body = _eml(office).get_body(("plain",)).get_content()
    assert "(số liệu tính đến ngày 10/01/2025)" in body
    assert "Lưu ý: Ngày tính đến 10/01/2025 đã qua ngày chốt số liệu năm 2024 (14/12/2024)" in body


def _refused(r: subprocess.CompletedProcess, office: Path) -> str:
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: "), r.stderr
    assert not (office.parent / "gui").exists()  # nothing written
    return lines[0]


def _follow(line: str, office: Path) -> None:
    """Run the refresh command the refusal names, as a user would copy it."""
    command = shlex.split(re.search(r"(cchc-xl refresh .*?)\.$", line).group(1))
    assert command[:3] == ["cchc-xl", "refresh", str(office)]
    assert cli(*command[1:], today="2026-11-28").returncode == 0


@pytest.mark.parametrize("asked,expect", [
    (("--period", "year"), "không phải báo cáo năm 2024;"),
    (("--as-of", "2024-06-20"), "không phải báo cáo tính đến 20/06/2024;"),
    (("--period", "q3", "--as-of", "2024-09-14"), "không phải báo cáo quý III năm 2024 tính đến 14/09/2024;"),
])
def test_send_refuses_a_period_or_date_that_is_not_the_reports(office, asked, expect):
    line = _refused(_send(office, *asked), office)
    assert line.startswith("Lỗi: Trang 'Báo cáo' đang là báo cáo 6 tháng đầu năm 2024 (tính đến 14/06/2024), ")
    assert expect in line and f'cchc-xl refresh "{office}"' in line
    _follow(line, office)
    assert _send(office, *asked).returncode == 0


def test_send_refuses_when_the_data_changed_since_the_report(office):
    set_cell(office, schema.TASKS.sheet, {table_cell(office, schema.TASKS, "Trạng thái", 3): "Hoàn thành",
                                          table_cell(office, schema.TASKS, "Ngày hoàn thành", 3): dt.date(2024, 6, 1)})
    line = _refused(_send(office), office)
    assert line == (f"Lỗi: Dữ liệu trong sổ đã thay đổi sau khi lập báo cáo 6 tháng đầu năm 2024 (tính đến "
                    f"14/06/2024) đang có ở trang 'Báo cáo'; hãy lập lại báo cáo rồi gửi: cchc-xl refresh "
                    f"\"{office}\" --period h1 --as-of 2024-06-14.")
    _follow(line, office)
    assert _send(office).returncode == 0


def _narrative_cell(path: Path, period: str, code: str) -> tuple[int, int]:
    entry = next(e for e in load_data(FileBook.open(path)).narrative if (e.period, e.code) == (period, code))
    td = FileBook.open(path).read_table(schema.NARRATIVE.sheet, schema.NARRATIVE.table)
    return table_cell(path, schema.NARRATIVE, "Nội dung", entry.row - td.first_row)


def test_the_report_periods_text_written_by_a_person_is_part_of_the_data(office):
    """The narrative sheet: the engine's drafts follow from the data (the refresh writes them without changing the
    fingerprint); a text a person writes for the report's period changes what the report prints, so send refuses
    until the report is made again; a text for another period does not."""
    h1 = "6 tháng đầu năm 2024"
    assert record(office).fingerprint == data_fingerprint(load_data(FileBook.open(office)), h1)
    set_cell(office, schema.NARRATIVE.sheet, {_narrative_cell(office, "Quý III/2024", "V"): "Kiến nghị quý III."})
    assert _send(office).returncode == 0
    shutil.rmtree(office.parent / "gui")
    set_cell(office, schema.NARRATIVE.sheet, {_narrative_cell(office, h1, "V"): "Đề nghị Sở tập huấn thêm."})
    line = _refused(_send(office), office)
    assert "Dữ liệu trong sổ đã thay đổi sau khi lập báo cáo 6 tháng đầu năm 2024" in line
    _follow(line, office)
    assert _send(office).returncode == 0
    shutil.rmtree(office.parent / "gui")
    # a re-draft replaces the person's text (kept in 'Bản trước') and makes the report again: it may be sent
    assert cli("redraft", office, "--section", "V", "--period", "h1", "--as-of", "2024-06-14").returncode == 0
    assert _send(office).returncode == 0


def test_send_refuses_a_workbook_without_a_record(office):
    row, col = RECORD_CELL
    set_cell(office, schema.SHEET_REPORT, {(row, col): None})
    line = _refused(_send(office), office)
    assert "chưa có báo cáo do chương trình lập" in line and line.endswith(f'cchc-xl refresh "{office}".')
    set_cell(office, schema.SHEET_REPORT, {(row, col): "cchc-xl/bao-cao/1 ky=q2 nam=2024 tinh_den=2024-06-14 "
                                                       "du_lieu=" + "0" * 32})  # edited by hand: not a record
    assert "chưa có báo cáo do chương trình lập" in _refused(_send(office), office)


def test_send_refuses_a_report_of_another_plan_year(office):
    row, col = RECORD_CELL
    old = record(office)
    forged = report_record.ReportRecord(old.period, 2023, old.as_of, old.fingerprint)
    set_cell(office, schema.SHEET_REPORT, {(row, col): forged.text()})
    assert "đã thay đổi sau khi lập báo cáo" in _refused(_send(office), office)
