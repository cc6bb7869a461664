"""Issue #8 §4, §5, §7 for consolidation: one bad copy never blocks the others, rows merge whole, the order of
copies is their arrival in the inbox, conflicts name both versions, faults after the master is written never
crash the run, and the master in its own inbox is never taken for a returned copy."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.distribute._log import read_log
from cchc_xl.io.inbox import STATE_NAME
from cchc_xl.distribute.consolidate import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, consolidate
from cchc_xl.engine import check_file
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package

from distfix import age, fill_copy, group_tasks, master_values
from distfix import edit_occurrences as _edit_occurrences

AS_OF = dt.date(2024, 6, 14)
MATH, LIT, HIST = "Tổ Toán - Tin", "Tổ Ngữ văn", "Tổ Sử - Địa - GDCD"   # HIST holds the quarterly task 2.d


def _run(master, inbox, **kw):
    kw.setdefault("as_of", AS_OF)
    return consolidate(master, inbox, **kw)


@pytest.fixture()
def inbox(tmp_path) -> Path:
    d = tmp_path / "inbox"
    d.mkdir()
    return d


def _huge_text(path: Path, placeholder: str, text: str) -> Path:
    """Replace ``placeholder`` in the sheets of ``path`` by ``text`` (a cell no Excel writer would make, as a
    hostile or broken tool does)."""
    tmp = path.with_name(path.name + ".new")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/") and placeholder.encode() in data:
                data = data.replace(placeholder.encode(), text.encode())
            zout.writestr(info, data)
    os.replace(tmp, path)
    return age(path)


def _reasons(inbox: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((inbox / "rejected").glob("*.txt")))


# ------------------------------------------------------------------------------------------- §4 one bad copy


def test_a_40000_character_evidence_rejects_its_copy_and_the_other_group_is_merged(master, inbox, copies):
    bad_task, good_task = group_tasks(master, MATH)[0], group_tasks(master, LIT)[0]
    bad = fill_copy(copies[MATH], inbox / "toan.xlsx", {bad_task: {"Minh chứng": "@@DAI@@"}})
    _huge_text(bad, "@@DAI@@", "minh chứng " * 3637 + "xong")            # 40,011 characters
    fill_copy(copies[LIT], inbox / "van.xlsx", {good_task: {"Trạng thái": "Đang thực hiện", "Ghi chú": "đang làm"}})
    start = time.monotonic()
    s = _run(master, inbox)
    assert time.monotonic() - start < 60
    assert s.exit_code == EXIT_REJECTED and (s.accepted, s.rejected) == (1, 1), s.table()
    reason = _reasons(inbox)
    row = re.search(r"nhiệm vụ (\S+) \(dòng (\d+)\), cột 'Minh chứng': nội dung dài ([\d.]+) ký tự", reason)
    assert row and row.group(1) == bad_task and row.group(3) == "40.011", reason
    assert "32.767" in reason
    values = master_values(master)
    assert values[good_task]["Ghi chú"].value == "đang làm"
    assert values[bad_task]["Minh chứng"].value in (None, "")


@pytest.mark.parametrize("size", [252, 253, 254, 255])
def test_a_rejected_file_with_a_255_byte_vietnamese_name_gets_its_reasons(master, inbox, copies, size):
    stem = "Bản cập nhật nhiệm vụ cải cách hành chính của tổ "
    name = stem
    while len((name + "ữ.xlsx").encode()) <= size:
        name += "ữ"
    name += "a" * (size - len((name + ".xlsx").encode())) + ".xlsx"
    assert len(name.encode()) == size
    (inbox / name).write_text("không phải tệp Excel", encoding="utf-8")
    age(inbox / name)
    (inbox / "rejected").mkdir()
    (inbox / "rejected" / name).write_text("một tệp cùng tên đã bị từ chối lần trước", encoding="utf-8")
    fill_copy(copies[LIT], inbox / "van.xlsx", {group_tasks(master, LIT)[0]: {"Ghi chú": "cập nhật"}})
    before = master.read_bytes()
    s = _run(master, inbox)
    assert s.exit_code == EXIT_REJECTED and (s.accepted, s.rejected) == (1, 1) and not s.unfiled, s.table()
    assert master.read_bytes() != before                       # the valid copy was merged and the run went on
    moved = [p for p in (inbox / "rejected").iterdir() if p.suffix == ".xlsx" and p.name != name]
    assert len(moved) == 1 and len(moved[0].name.encode()) <= 255
    texts = [p for p in (inbox / "rejected").iterdir() if p.suffix == ".txt"]
    assert len(texts) == 1 and len(texts[0].name.encode()) <= 255
    assert f"Tệp: {name}" in texts[0].read_text(encoding="utf-8")


def test_two_long_names_differing_at_the_end_get_two_reason_files(master, inbox):
    base = "Tổ Ngữ văn gửi lại bản cập nhật kế hoạch cải cách hành chính năm hai nghìn không trăm hai tư " * 2
    head = base.encode()[:241].decode(errors="ignore")
    names = [head + tail + ".xlsx" for tail in ("lần 1", "lần 2")]
    assert all(248 <= len(n.encode()) <= 255 for n in names)
    for n in names:
        (inbox / n).write_text("x", encoding="utf-8")
        age(inbox / n)
    s = _run(master, inbox)
    assert s.rejected == 2
    texts = sorted(p.read_text(encoding="utf-8") for p in (inbox / "rejected").glob("*.txt"))
    assert len(texts) == 2 and all(any(f"Tệp: {n}" in t for t in texts) for n in names)


def test_a_copy_that_cannot_be_filed_after_the_master_was_written_stays_and_the_run_ends(master, inbox, copies):
    (inbox / "rejected").write_text("một tệp tên 'rejected' chắn chỗ thư mục", encoding="utf-8")
    (inbox / "hong.xlsx").write_text("không phải Excel", encoding="utf-8")
    age(inbox / "hong.xlsx")
    task = group_tasks(master, LIT)[0]
    fill_copy(copies[LIT], inbox / "van.xlsx", {task: {"Ghi chú": "đã cập nhật"}})
    s = _run(master, inbox)
    assert s.exit_code == EXIT_REJECTED, s.table()
    assert master_values(master)[task]["Ghi chú"].value == "đã cập nhật"
    assert (inbox / "hong.xlsx").exists() and not (inbox / "van.xlsx").exists()
    assert len(s.unfiled) == 1 and s.unfiled[0].startswith("hong.xlsx: không chuyển tệp được")
    assert "CHƯA CHUYỂN: hong.xlsx" in s.table()
    assert "CHƯA CHUYỂN hong.xlsx" in (inbox / "tong_hop.log").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------- §5 merge semantics


def _set_saved(path: Path, when: dt.datetime) -> None:
    """Set the save time the copy itself records (what a PC with a wrong clock controls)."""
    pkg = Package.open(path)
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(<)", rf"\g<1>{when:%Y-%m-%dT%H:%M:%SZ}\g<2>",
                  pkg.read_part("docProps/core.xml").decode())
    pkg.write_part("docProps/core.xml", core.encode())
    pkg.save(path, backup=False)


def _two_copies(master, inbox, copies, first_edit, second_edit):
    """Copy A arrives first, copy B second (B's own save time claims it is older: a wrong clock)."""
    task = group_tasks(master, MATH)[0]
    a = fill_copy(copies[MATH], inbox / "b_den_truoc.xlsx", {task: first_edit})
    b = fill_copy(copies[MATH], inbox / "a_den_sau.xlsx", {task: second_edit})
    _set_saved(a, dt.datetime(2030, 1, 1, 8, 0))
    _set_saved(b, dt.datetime(2001, 1, 1, 8, 0))
    age(a)
    time.sleep(0.02)
    age(b)                                  # B's arrival (the inbox's own record) is after A's
    return task


def test_a_row_is_taken_whole_from_the_copy_that_arrived_last(master, inbox, copies):
    task = _two_copies(master, inbox, copies,
                       {"Trạng thái": "Hoàn thành", "Ngày hoàn thành": dt.datetime(2024, 6, 12)},
                       {"Trạng thái": "Không thực hiện"})
    s = _run(master, inbox)
    assert s.exit_code == EXIT_OK and s.accepted == 2, s.table()
    row = master_values(master)[task]
    assert row["Trạng thái"].value == "Không thực hiện" and row["Ngày hoàn thành"].value is None
    td = FileBook.open(master).read_table(schema.TASKS.sheet, schema.TASKS.table)
    excel_row = td.first_row + [str(v[0]) for v in td.row_values()].index(task)
    assert not [p for p in check_file(master) if p.row == excel_row and p.sheet == schema.TASKS.sheet]
    # the conflict, with both versions, reaches the summary, the log file and Nhật ký
    assert len(s.conflicts) == 1
    c = s.conflicts[0]
    for text in ("b_den_truoc.xlsx", "a_den_sau.xlsx", "Trạng thái 'Hoàn thành'", "Ngày hoàn thành '12/06/2024'",
                 "Trạng thái 'Không thực hiện'", "Ngày hoàn thành ''", f"nhiệm vụ {task}"):
        assert text in c, c
    assert c.rstrip().count("đến hộp thư lúc") == 2 and "bản đến sau cùng 'a_den_sau.xlsx'" in c
    assert "XUNG ĐỘT: " + c in s.table()
    assert "XUNG ĐỘT " + c in (inbox / "tong_hop.log").read_text(encoding="utf-8")
    logged = [r for r in read_log(master) if str(r["Ghi chú"] or "").startswith("Xung đột")]
    assert len(logged) == 1 and logged[0]["Mã"] == task and "a_den_sau.xlsx" in logged[0]["Ghi chú"]


def test_the_order_is_the_recorded_arrival_not_a_later_touch(master, inbox, copies):
    task = _two_copies(master, inbox, copies, {"Ghi chú": "bản đến trước"}, {"Ghi chú": "bản đến sau"})
    first = _run(master, inbox, settle_seconds=10 ** 6)        # both still "being written": left, but seen
    assert first.skipped == 2 and (inbox / STATE_NAME).exists()
    os.chmod(inbox / "b_den_truoc.xlsx", 0o600)                # its inode time is now the newest
    s = _run(master, inbox)
    assert s.accepted == 2 and len(s.conflicts) == 1
    assert master_values(master)[task]["Ghi chú"].value == "bản đến sau"
    assert not (inbox / STATE_NAME).exists()                   # nothing left in the inbox: no state


@pytest.mark.parametrize("edit,column,words", [
    ({"Trạng thái": "Đang thực hiện", "Ngày hoàn thành": dt.datetime(2024, 6, 3)}, "Trạng thái",
     "đã có ngày hoàn thành nhưng trạng thái chưa phải 'Hoàn thành'"),
    ({"Trạng thái": "Hoàn thành", "Ngày hoàn thành": dt.datetime(1900, 1, 1)}, "Ngày hoàn thành",
     "ngày hoàn thành 01/01/1900 nằm ngoài khoảng 01/01/2023–31/12/2025"),
])
def test_a_copy_is_validated_as_check_validates_the_master(master, inbox, copies, edit, column, words):
    bad_task = group_tasks(master, MATH)[1]
    fill_copy(copies[MATH], inbox / "toan.xlsx", {group_tasks(master, MATH)[0]: {"Ghi chú": "ổn"},
                                                  bad_task: edit})
    good = group_tasks(master, LIT)[0]
    fill_copy(copies[LIT], inbox / "van.xlsx", {good: {"Ghi chú": "ổn"}})
    before = master_values(master)
    s = _run(master, inbox)
    assert (s.accepted, s.rejected) == (1, 1), s.table()
    assert re.search(rf"nhiệm vụ {re.escape(bad_task)} \(dòng \d+\), cột '{column}': {re.escape(words)}",
                     _reasons(inbox)), _reasons(inbox)
    after = master_values(master)
    assert all(after[t][h].value == before[t][h].value for t in group_tasks(master, MATH)
               for h in ("Trạng thái", "Ngày hoàn thành", "Ghi chú"))      # nothing of that copy merged
    assert after[good]["Ghi chú"].value == "ổn"


def test_check_reports_the_same_rule_on_the_master(master):
    rows = {str(r[0].value): FileBook.open(master).read_table(schema.TASKS.sheet, schema.TASKS.table).first_row + i
            for i, r in enumerate(FileBook.open(master).read_table(schema.TASKS.sheet, schema.TASKS.table).rows)}
    t1, t2 = group_tasks(master, MATH)[:2]
    pkg = Package.open(master)
    col = {h: schema.TASKS.col(h) + 1 for h in ("Trạng thái", "Ngày hoàn thành")}
    pkg.set_cells(schema.TASKS.sheet, {(rows[t1], col["Trạng thái"]): "Đang thực hiện",
                                       (rows[t1], col["Ngày hoàn thành"]): dt.date(2024, 6, 3),
                                       (rows[t2], col["Trạng thái"]): "Hoàn thành",
                                       (rows[t2], col["Ngày hoàn thành"]): dt.date(1900, 1, 1)})
    pkg.save(master, backup=False)
    found = {(p.row, p.column): p.message for p in check_file(master)}
    assert "trạng thái chưa phải 'Hoàn thành'" in found[(rows[t1], "Trạng thái")]
    assert "01/01/1900 nằm ngoài khoảng" in found[(rows[t2], "Ngày hoàn thành")]


def test_occurrence_rows_merge_whole_by_arrival_too(master, inbox, copies):
    # the master's sample row 2.d-Q1: Hoàn thành on 12/03/2024 with its evidence
    _edit_occurrences(copies[HIST], inbox / "su_1.xlsx",
                      {"2.d-Q1": {"Ngày hoàn thành": dt.datetime(2024, 3, 10), "Minh chứng": "BC 12/BC-THPTKT"}})
    time.sleep(0.02)
    _edit_occurrences(copies[HIST], inbox / "su_2.xlsx", {"2.d-Q1": {"Trạng thái": "Không thực hiện",
                                                                     "Ngày hoàn thành": None}})
    s = _run(master, inbox)
    assert s.accepted == 2 and len(s.conflicts) == 1, s.table()
    assert "lần thực hiện 2.d-Q1" in s.conflicts[0] and "su_1.xlsx" in s.conflicts[0]
    td = FileBook.open(master).read_table(schema.OCCURRENCES.sheet, schema.OCCURRENCES.table)
    row = next(dict(zip(td.headers, v)) for v in td.row_values() if v[0] == "2.d-Q1")
    # B's row whole: its status, no date, and the evidence it had (the hand-out's), never A's date
    assert (row["Trạng thái"], row["Ngày hoàn thành"]) == ("Không thực hiện", None)
    assert row["Minh chứng"].startswith("Báo cáo số 47/BC-THPTKT")


def test_nfd_and_zero_width_in_a_copy_are_accepted_and_stored_nfc(master, inbox, copies):
    task = group_tasks(master, LIT)[0]
    fill_copy(copies[LIT], inbox / "van.xlsx", {task: {
        "Trạng thái": "Hoa\u0300n tha\u0300nh\u200b", "Ngày hoàn thành": "\u00a012/06/2024 ",
        "Minh chứng": "\ufeffQuye\u0302\u0301t đi\u0323nh so\u0302\u0301 5\u00a0"}})
    s = _run(master, inbox)
    assert s.exit_code == EXIT_OK and s.accepted == 1, s.table()
    row = master_values(master)[task]
    assert row["Trạng thái"].value == "Hoàn thành" and row["Minh chứng"].value == "Quyết định số 5"
    assert row["Ngày hoàn thành"].value == dt.datetime(2024, 6, 12)


# ------------------------------------------------------------------------------------------- §7 the master's folder


def test_the_master_in_its_own_inbox_is_never_a_returned_copy(master, copies):
    inbox = master.parent
    backup = inbox / "CCHC_2024.bak-20240601-080000.xlsm"
    shutil.copyfile(master, backup)
    age(master)
    age(backup)
    task = group_tasks(master, LIT)[0]
    fill_copy(copies[LIT], inbox / "van.xlsx", {task: {"Ghi chú": "từ hộp thư chung"}})
    for _ in range(2):
        s = _run(master, inbox)
        assert s.exit_code == EXIT_OK and s.rejected == 0 and s.files_read in (1, 0), s.table()
    assert master.exists() and backup.exists() and not (inbox / "rejected").exists()
    assert master_values(master)[task]["Ghi chú"].value == "từ hộp thư chung"


@pytest.fixture()
def read_only(tmp_path):
    """Make a folder read-only for everyone, root too (a read-only bind mount); skipped where mounts are not
    allowed."""
    mounted: list[Path] = []

    def make(folder: Path) -> Path:
        cmds = [["mount", "--bind", str(folder), str(folder)],
                ["mount", "-o", "remount,bind,ro", str(folder), str(folder)]]
        for cmd in cmds:
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                if cmd is cmds[1]:
                    subprocess.run(["umount", str(folder)], capture_output=True)
                pytest.skip(f"cannot mount here ({r.stderr.strip()})")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_an_inbox_that_cannot_be_written_is_refused_before_the_master_changes(master, inbox, copies, read_only):
    fill_copy(copies[LIT], inbox / "van.xlsx", {group_tasks(master, LIT)[0]: {"Ghi chú": "x"}})
    before = master.read_bytes()
    read_only(inbox)
    s = _run(master, inbox)
    assert s.exit_code == EXIT_FAILED, s.table()
    assert "Không ghi được vào thư mục hộp thư" in s.message and "chỉ cho phép đọc" in s.message
    assert "Sổ chính chưa bị thay đổi" in s.message
    assert master.read_bytes() == before and (inbox / "van.xlsx").exists()
    assert sorted(p.name for p in master.parent.iterdir()) == ["CCHC_2024.xlsm"]
