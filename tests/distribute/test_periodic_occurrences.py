"""Periodic tasks in the groups' copies: each occurrence (quarter) is a row the group fills in, merged back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from cchc_xl import schema
from cchc_xl.distribute.consolidate import EXIT_OK, EXIT_REJECTED, consolidate
from cchc_xl.io.file_book import FileBook

from distfix import edit_occurrences as _edit_occurrences

GROUP = "Tổ Sử - Địa - GDCD"  # holds 2.d "Hằng quý"


def _occurrences(path: Path) -> dict[str, dict]:
    td = FileBook.open(path).read_table(schema.OCCURRENCES.sheet, schema.OCCURRENCES.table)
    return {str(r[0].value): {h: c.value for h, c in zip(td.headers, r)} for r in td.rows if r[0].value}


def test_copy_holds_the_groups_occurrences_editable(copies):
    wb = openpyxl.load_workbook(copies[GROUP])
    ws = wb[schema.OCCURRENCES.sheet]
    assert ws.protection.sheet
    headers = [c.value for c in ws[1]]
    assert headers == list(schema.OCCURRENCES.headers)
    ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    assert ids == ["2.d-Q1", "2.d-Q2", "2.d-Q3", "2.d-Q4"]
    for h in headers:
        locked = ws.cell(2, headers.index(h) + 1).protection.locked
        assert locked == (h not in ("Trạng thái", "Ngày hoàn thành", "Minh chứng", "Ghi chú")), h
    # a group without periodic tasks gets no such sheet
    other = openpyxl.load_workbook(copies["Tổ Ngữ văn"])
    assert schema.OCCURRENCES.sheet not in other.sheetnames


def test_occurrence_reported_in_the_copy_is_merged_into_the_master(master, copies, tmp_path):
    inbox = tmp_path / "inbox"
    evidence = "Báo cáo số 120/BC-THPTKT ngày 10/09/2024"
    _edit_occurrences(copies[GROUP], inbox / "su_dia.xlsx",
                      {"2.d-Q3": {"Trạng thái": "Hoàn thành", "Ngày hoàn thành": dt.datetime(2024, 9, 10),
                                  "Minh chứng": evidence}})
    summary = consolidate(master, inbox, as_of=dt.date(2024, 9, 14))
    assert summary.exit_code == EXIT_OK, summary.table()
    assert summary.cells_changed == 3 and summary.tasks_changed == 1
    occ = _occurrences(master)
    assert occ["2.d-Q3"]["Trạng thái"] == "Hoàn thành" and occ["2.d-Q3"]["Minh chứng"] == evidence
    assert occ["2.d-Q3"]["Ngày hoàn thành"] == dt.datetime(2024, 9, 10)
    assert occ["2.d-Q3"]["Tình trạng hạn"] == "Hoàn thành đúng hạn"  # refreshed after the merge
    assert occ["2.d-Q4"]["Trạng thái"] is None
    from cchc_xl.distribute._log import read_log

    logged = [r for r in read_log(master) if r["Mã"] == "2.d-Q3"]
    assert {r["Cột"] for r in logged} == {"Trạng thái", "Ngày hoàn thành", "Minh chứng"}
    # a rerun changes nothing
    again = tmp_path / "inbox2"
    _edit_occurrences(copies[GROUP], again / "su_dia.xlsx",
                      {"2.d-Q3": {"Trạng thái": "Hoàn thành", "Ngày hoàn thành": dt.datetime(2024, 9, 10),
                                  "Minh chứng": evidence}})
    assert consolidate(master, again, as_of=dt.date(2024, 9, 14)).cells_changed == 0


def test_a_locked_occurrence_column_changed_rejects_the_copy(master, copies, tmp_path):
    inbox = tmp_path / "inbox"
    _edit_occurrences(copies[GROUP], inbox / "su_dia.xlsx", {"2.d-Q4": {"Lần thực hiện": "Quý V/2024"}})
    before = master.read_bytes()
    summary = consolidate(master, inbox, as_of=dt.date(2024, 9, 14))
    assert summary.exit_code == EXIT_REJECTED
    reason = (inbox / "rejected" / "su_dia.xlsx.txt").read_text(encoding="utf-8")
    assert "lần thực hiện 2.d-Q4" in reason and "'Lần thực hiện' bị khóa" in reason
    assert _occurrences(master)["2.d-Q4"]["Lần thực hiện"] == "Quý IV/2024"
    assert master.read_bytes() != before  # only the log row of the rejection was added
