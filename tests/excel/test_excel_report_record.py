"""Issue 9 §1 in the ribbon (xlwings' remote engine): the buttons follow the same as-of rule as the commands, the
xlwings adapter writes the report's record like the file engine, and *Gửi báo cáo lên Sở* sends the report that
is in the saved workbook — or says to press *Cập nhật tất cả*."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.engine import load_data, refresh_file
from cchc_xl.excel import entry
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package
from cchc_xl.report.record import RECORD_CELL, ReportRecord, data_fingerprint, read_record

from remote import build_payload, run_remote, sheet_values

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "distribute"))
from distfix import with_unit_code


@pytest.fixture()
def master(excel_workbook, tmp_path, monkeypatch, log_dir) -> Path:
    for k in [k for k in __import__("os").environ if k.startswith("CCHC_SMTP_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    d = tmp_path / "van phong"
    d.mkdir()
    dest = d / "CCHC_2024.xlsm"
    shutil.copyfile(excel_workbook, dest)
    return with_unit_code(dest)         # a school fills its code before sending (send refuses without it)


def live_payload(path: Path) -> dict:
    payload = build_payload(path)
    payload["book"]["name"] = str(path)
    return payload


def remote_record(after: dict) -> ReportRecord | None:
    return ReportRecord.parse(sheet_values(after, schema.SHEET_REPORT).get(RECORD_CELL))


@pytest.mark.parametrize("today,button,expected", [
    ("2024-06-20", entry.refresh_all, ("q3", dt.date(2024, 6, 20))),
    ("2025-01-10", entry.refresh_all, ("year", dt.date(2025, 1, 10))),
    ("2024-03-10", entry.build_report_year, ("year", dt.date(2024, 3, 10))),
])
def test_ribbon_buttons_follow_the_rule_and_write_the_record(master, monkeypatch, today, button, expected):
    monkeypatch.setenv("CCHC_XL_TODAY", today)
    result, _actions, after = run_remote(live_payload(master), lambda b: button(b))
    rec = remote_record(after)
    assert (rec.period, rec.as_of) == expected == (result.period.key, result.as_of)
    # the xlwings adapter read the same data as the file engine: the same fingerprint
    assert rec.fingerprint == data_fingerprint(load_data(FileBook.open(master)))
    assert result.chosen.as_of_source == "today"


def test_ribbon_report_of_a_date_after_the_plan_year_carries_the_note(master, monkeypatch):
    monkeypatch.setenv("CCHC_XL_TODAY", "2025-06-30")
    _result, _actions, after = run_remote(live_payload(master), lambda b: entry.refresh_all(b))
    note = sheet_values(after, schema.SHEET_REPORT).get((9, 1))
    assert note.startswith("Lưu ý: Ngày tính đến 30/06/2025 đã qua ngày chốt số liệu năm 2024 (14/12/2024)")


def _answer_ok(fn):
    def run(book):
        impl = book.app.impl
        original = impl.alert

        def alert(prompt, title, buttons, mode, callback):
            original(prompt, title, buttons, mode, callback)
            return "ok" if buttons == "ok_cancel" else None

        impl.alert = alert
        return fn(book)

    return run


def test_ribbon_send_sends_the_report_of_the_saved_workbook(master):
    refresh_file(master, as_of=dt.date(2024, 12, 14), period="year", backup=False)
    outcome, _actions, after = run_remote(live_payload(master), _answer_ok(lambda b: entry.send_upward(b)))
    confirm = after["_alerts"][0]["prompt"]
    assert confirm.startswith("Gửi báo cáo CCHC Năm 2024 (tính đến ngày 14/12/2024) đang có trong sổ?")
    assert (outcome.period, outcome.xlsx.name) == ("year", "BC_CCHC_Nam2024_THPT_Kien_Thuy.xlsx")


def test_ribbon_send_refuses_a_stale_report_and_names_the_button(master):
    pkg = Package.open(master)
    td = FileBook(pkg, master).read_table(schema.TASKS.sheet, schema.TASKS.table)
    note_col = 1 + td.headers.index("Ghi chú")
    pkg.set_cells(schema.TASKS.sheet, {(td.first_row, note_col): "sửa sau khi lập báo cáo"})
    pkg.save(master, backup=False)
    before = sorted(p.name for p in master.parent.iterdir())
    outcome, actions, after = run_remote(live_payload(master), _answer_ok(lambda b: entry.send_upward(b)))
    assert outcome is None
    alerts = after["_alerts"]
    assert len(alerts) == 1 and "ok_cancel" not in [a["args"][2] for a in actions if a["func"] == "alert"]
    assert "Dữ liệu trong sổ đã thay đổi sau khi lập báo cáo 6 tháng đầu năm 2024" in alerts[0]["prompt"]
    assert "bấm nút 'Cập nhật tất cả'" in alerts[0]["prompt"] and "cchc-xl refresh" not in alerts[0]["prompt"]
    assert sorted(p.name for p in master.parent.iterdir()) == before
    assert read_record(FileBook.open(master)).period == "h1"
