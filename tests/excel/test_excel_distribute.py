"""Issue #4 from Excel: the hand-out, consolidate and send buttons driven through xlwings' remote engine.

The open workbook is the remote payload built from a real master file; ``book.fullname`` (the payload's book
name) is that file's full path, as in Excel, so the entry points find the SAVED file beside the live book.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.schema import LOG_HEADERS
from cchc_xl.distribute.consolidate import consolidate
from cchc_xl.distribute.handout import EDITABLE, handout
from cchc_xl.distribute.send import LOG_COLUMN_DRAFT, LOG_COLUMN_SEND
from cchc_xl.engine import refresh_file
from cchc_xl.excel import entry

from remote import build_payload, clean, run_remote, sheet_values, table_ref

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "distribute"))
from distfix import ONCE, Reads, age, fill_copy, group_tasks, master_values, with_unit_code

AS_OF = dt.date(2024, 6, 14)
TODAY = dt.datetime.now().strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def master_file(excel_workbook, tmp_path_factory) -> Path:
    """The built workbook, refreshed once, its unit code filled in (as a school would have it)."""
    dest = tmp_path_factory.mktemp("excel_master") / "CCHC_2024.xlsm"
    shutil.copyfile(excel_workbook, dest)
    refresh_file(dest, as_of=AS_OF, backup=False)
    return with_unit_code(dest)


@pytest.fixture()
def master(tmp_path, master_file) -> Path:
    d = tmp_path / "van phong"
    d.mkdir()
    dest = d / "CCHC_2024.xlsm"
    shutil.copyfile(master_file, dest)
    return dest


@pytest.fixture(autouse=True)
def _no_smtp_env(monkeypatch, log_dir):
    for k in list(os.environ):
        if k.startswith("CCHC_SMTP_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def live_payload(path: Path) -> dict:
    """The payload of ``path`` as Excel would send it for the open book (fullname = the file's path)."""
    payload = build_payload(path)
    payload["book"]["name"] = str(path)
    return payload


def answering(answer, fn):
    """Run ``fn(book)`` with the OK/Cancel box answered ``answer`` (the remote engine cannot wait for a
    click; its alert returns None). The alert action is still recorded."""
    def run(book):
        impl = book.app.impl
        original = impl.alert

        def alert(prompt, title, buttons, mode, callback):
            original(prompt, title, buttons, mode, callback)
            return answer if buttons == "ok_cancel" else None

        impl.alert = alert
        return fn(book)

    return run


def task_table(payload: dict) -> dict[str, dict[str, object]]:
    """{Mã: {header: value}} of tblNhiemVu in a payload."""
    sheet, (r1, c1, r2, _c2) = table_ref(payload, schema.TASKS.table)
    cells = sheet_values(payload, sheet)
    headers = [cells.get((r1, c1 + j)) for j in range(len(schema.TASKS.headers))]
    out = {}
    for r in range(r1 + 1, r2 + 1):
        row = {h: cells.get((r, c1 + j)) for j, h in enumerate(headers)}
        if row.get("Mã"):
            out[str(row["Mã"])] = row
    return out


def log_rows(payload: dict) -> list[dict]:
    cells = sheet_values(payload, schema.SHEET_LOG)
    assert [cells.get((1, c)) for c in range(1, len(LOG_HEADERS) + 1)] == list(LOG_HEADERS)
    last = max(r for r, _ in cells)
    return [{h: cells.get((r, c)) for c, h in enumerate(LOG_HEADERS, start=1)} for r in range(2, last + 1)]


def _plain(v):
    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
        return v.date()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


# --- hand-out -------------------------------------------------------------------------------------------------

def test_handout_from_excel_creates_the_copies_from_the_saved_file(master, tmp_path):
    out = tmp_path / "Bản phát 😀"  # Vietnamese, a space and a character outside the BMP, as VBA escapes it
    as_sent = str(out).encode("utf-16-le", "surrogatepass")
    literal = "".join(chr(int.from_bytes(as_sent[i:i + 2], "little")) for i in range(0, len(as_sent), 2))
    written, actions, after = run_remote(live_payload(master), lambda b: entry.handout_copies(literal, b))
    expected = handout(master, tmp_path / "cli")  # the CLI's function on the same file
    assert [p.name for p in written] == [p.name for p in expected] and len(written) >= 2
    assert all(p.parent == out and p.stat().st_size > 0 for p in written)
    assert [a["func"] for a in actions] == ["alert"]  # the open book is not touched
    (alert,) = after["_alerts"]
    assert alert["mode"] == "info" and f"Đã tạo {len(written)} bản phát" in alert["prompt"]
    assert all(p.name in alert["prompt"] for p in written) and "ĐÃ LƯU" in alert["prompt"]


def test_handout_refuses_a_book_that_was_never_saved(master, tmp_path):
    payload = build_payload(master)
    payload["book"]["name"] = "Book1"
    result, _, after = run_remote(payload, lambda b: entry.handout_copies(str(tmp_path / "x"), b))
    assert result is None and not (tmp_path / "x").exists()
    (alert,) = after["_alerts"]
    assert alert["mode"] == "critical" and "Ctrl+S" in alert["prompt"]


# --- consolidation --------------------------------------------------------------------------------------------

@pytest.fixture()
def inbox_pair(master, tmp_path):
    """An inbox with one good copy (with a hostile '=' cell) and one bad copy (locked column changed), plus
    an identical inbox and master for the file-based run. Returns (inbox, good name, bad name, edits, twin)."""
    copies = {}
    for p in handout(master, tmp_path / "phat"):
        copies[p.name] = p
    names = sorted(copies)
    good_src, bad_src = copies[names[0]], copies[names[1]]
    vals = master_values(master)
    from cchc_xl.io.file_book import FileBook

    def ids(copy):
        td = FileBook.open(copy).read_table(schema.TASKS.sheet, schema.TASKS.table)
        return [str(r[0].value) for r in td.rows if r[0].value]

    good_ids, bad_ids = ids(good_src), ids(bad_src)
    good_group = str(vals[good_ids[0]]["Tổ/nhóm chuyên môn"].value).strip()
    assert group_tasks(master, good_group) == good_ids
    open_ids = [t for t in good_ids if vals[t]["Trạng thái"].value != "Hoàn thành"]
    t1 = open_ids[0]  # every edited cell differs from the master
    edits = {t1: {"Trạng thái": "Hoàn thành", "Ngày hoàn thành": dt.datetime(2024, 5, 20),
                  "Minh chứng": "Biên bản số 12/BB-THPTKT", "Ghi chú": "=HYPERLINK(\"http://x\",\"bấm\")"}}
    others = [t for t in good_ids if t != t1]
    if others:
        edits[others[0]] = {"Ghi chú": "05/02/2024"}  # a text Excel would turn into a date
    inbox = tmp_path / "hop thu"
    fill_copy(good_src, inbox / "tra_lai_tot.xlsx", edits)
    fill_copy(bad_src, inbox / "tra_lai_sai.xlsx", {bad_ids[0]: {"Nội dung công việc": "Sửa trộm"}})
    twin_dir = tmp_path / "twin"
    twin_dir.mkdir()
    twin = twin_dir / master.name
    shutil.copyfile(master, twin)
    twin_inbox = twin_dir / "hop thu"
    shutil.copytree(inbox, twin_inbox)
    for p in twin_inbox.iterdir():
        age(p)
    return inbox, "tra_lai_tot.xlsx", "tra_lai_sai.xlsx", edits, (twin, twin_inbox)


def test_consolidate_from_excel_updates_the_live_book_logs_and_moves_files(master, inbox_pair):
    inbox, good, bad, edits, (twin, twin_inbox) = inbox_pair
    master_bytes = master.read_bytes()
    payload = live_payload(master)
    before = task_table(payload)
    log_before = log_rows(payload)
    summary, actions, after = run_remote(payload, lambda b: entry.consolidate_inbox(str(inbox), b))

    assert summary is not None and master.read_bytes() == master_bytes  # the file (locked by Excel) is untouched
    assert (summary.files_read, summary.accepted, summary.rejected) == (2, 1, 1), [f.reasons for f in summary.files]
    n_cells = sum(len(cols) for cols in edits.values())
    assert summary.cells_changed == n_cells and summary.tasks_changed == len(edits)

    # the live task table changed exactly in the edited cells (plus the computed status column)
    now = task_table(after)
    assert now.keys() == before.keys()
    for tid, row in now.items():
        for h, v in row.items():
            if h == "Tình trạng hạn":
                continue
            want = edits.get(tid, {}).get(h, before[tid][h])
            assert _plain(v) == _plain(want), (tid, h, v, want)
    # the hostile cell is a text, never a formula: sent with Excel's text prefix
    sheet, _ = table_ref(after, schema.TASKS.table)
    pos = [s["name"] for s in after["sheets"]].index(sheet)
    task_writes = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == pos]
    sent = [v for a in task_writes for row in a["values"] for v in row]
    assert "'=HYPERLINK(\"http://x\",\"bấm\")" in sent and not any(isinstance(v, str) and v.startswith("=")
                                                                  for v in sent)
    editable_cols = {schema.TASKS.col(h) for h in EDITABLE}
    edit_writes = [a for a in task_writes if a["start_column"] in editable_cols]
    assert len(edit_writes) == len({h for cols in edits.values() for h in cols})  # one write per changed column
    assert all(a["column_count"] == 1 for a in edit_writes)

    # Nhật ký: one row per change + one per rejection, appended in ONE write
    log_pos = [s["name"] for s in after["sheets"]].index(schema.SHEET_LOG)
    assert len([a for a in actions if a["func"] == "setValues" and a["sheet_position"] == log_pos]) == 1
    rows = log_rows(after)
    assert rows[:len(log_before)] == log_before
    new = rows[len(log_before):]
    assert len(new) == n_cells + 1
    assert sum(r["Ghi chú"] == "Cập nhật" for r in new) == n_cells
    (rej,) = [r for r in new if str(r["Ghi chú"]).startswith("Từ chối: ")]
    assert rej["Tệp"] == bad and "bị khóa nhưng đã bị sửa" in rej["Ghi chú"]
    assert all(isinstance(r["Thời gian"], dt.datetime) for r in new)
    if len(edits) > 1:  # a date-like text stays a text in the log too
        assert any(r["Giá trị mới"] == "05/02/2024" for r in new)

    # files moved exactly like the file-based run; reasons written
    assert not (inbox / good).exists() and not (inbox / bad).exists()
    assert (inbox / "processed" / TODAY / good).exists()
    assert (inbox / "rejected" / bad).exists()
    assert "bị khóa nhưng đã bị sửa" in (inbox / "rejected" / (bad + ".txt")).read_text(encoding="utf-8")
    assert "KẾT QUẢ đọc 2, chấp nhận 1, từ chối 1" in (inbox / "tong_hop.log").read_text(encoding="utf-8")

    # the summary message
    prompt = after["_alerts"][-1]["prompt"]
    for text in ("Tệp đã đọc: 2", "Chấp nhận: 1", "Từ chối: 1", f"Nhiệm vụ được cập nhật: {len(edits)}",
                 "Nhiệm vụ đang quá hạn:", bad, "Ctrl+S"):
        assert text in prompt, text

    # same outcome as the CLI's file-based consolidation of an identical master and inbox
    fs = consolidate(twin, twin_inbox)
    assert (fs.accepted, fs.rejected, fs.cells_changed) == (1, 1, n_cells)
    file_vals = master_values(twin)
    for tid, cols in edits.items():
        for h in cols:
            assert _plain(file_vals[tid][h].value) == _plain(now[tid][h]), (tid, h)
    assert sorted(p.name for p in (twin_inbox / "processed" / TODAY).iterdir()) == [good]

    # a second click finds nothing to do and changes nothing
    again, actions2, after2 = run_remote(clean(after), lambda b: entry.consolidate_inbox(str(inbox), b))
    assert (again.files_read, again.cells_changed) == (0, 0)
    assert task_table(after2) == now and log_rows(after2) == rows


def test_consolidate_from_excel_missing_folder_is_a_vietnamese_message(master, tmp_path, log_dir):
    result, actions, after = run_remote(live_payload(master),
                                        lambda b: entry.consolidate_inbox(str(tmp_path / "không có"), b))
    assert result is None and [a["func"] for a in actions] == ["alert"]
    assert "Không tìm thấy thư mục" in after["_alerts"][0]["prompt"] and not log_dir.exists()


# --- sending upward -------------------------------------------------------------------------------------------

def test_send_from_excel_asks_first_then_drafts_and_records_in_the_live_book(master):
    payload = live_payload(master)
    log_before = log_rows(payload)
    outcome, actions, after = run_remote(payload, answering("ok", lambda b: entry.send_upward(b)))
    confirm, done = after["_alerts"]
    base = outcome.xlsx.stem
    for text in ("Người nhận:", "Tiêu đề: V/v báo cáo kết quả thực hiện công tác CCHC", f"{base}.xlsx",
                 f"{base}.pdf", "thư nháp", "ĐÃ LƯU"):
        assert text in confirm["prompt"], text
    assert [a for a in actions if a["func"] == "alert"][0]["args"][2] == "ok_cancel"
    assert not outcome.sent and outcome.eml.exists() and outcome.eml.parent == master.parent
    assert outcome.xlsx.exists() and outcome.pdf.exists()
    from python_calamine import CalamineWorkbook

    assert "Dữ liệu trao đổi" in CalamineWorkbook.from_path(str(outcome.xlsx)).sheet_names  # the exchange file
    assert outcome.subject in confirm["prompt"] and outcome.eml.name in done["prompt"]
    rows = log_rows(after)
    assert rows[:len(log_before)] == log_before and len(rows) == len(log_before) + 1
    row = rows[-1]
    assert (row["Cột"], row["Giá trị mới"], row["Tệp"]) == (LOG_COLUMN_DRAFT, outcome.period_label, outcome.eml.name)
    assert isinstance(row["Thời gian"], dt.datetime)
    from cchc_xl.distribute._log import read_log

    assert not any(r["Cột"] in (LOG_COLUMN_DRAFT, LOG_COLUMN_SEND) for r in read_log(master))  # file untouched


def test_send_from_excel_reads_the_saved_file_once(master, monkeypatch):
    """Issue #18 §2: the ribbon's send opens the saved file once, loads it once, decides its date and period
    once and computes once — the result it checked is the one it sends."""
    payload = live_payload(master)
    reads = Reads(monkeypatch)
    outcome, _actions, _after = run_remote(payload, answering("ok", lambda b: entry.send_upward(b)))
    assert outcome is not None and outcome.eml.exists()
    assert reads.of(master.name) == ONCE


def test_send_from_excel_without_a_unit_code_is_refused_before_asking(master):
    """The bundled workbook ships no ``ma_dinh_danh``: every Sở would reject its exchange file, so the button says
    so in one sentence naming the setting — before the confirmation, and nothing is written."""
    with_unit_code(master, "")
    before = sorted(p.name for p in master.parent.iterdir())
    result, actions, after = run_remote(live_payload(master), answering("ok", lambda b: entry.send_upward(b)))
    assert result is None and [a["func"] for a in actions] == ["alert"]
    (alert,) = after["_alerts"]
    assert "ma_dinh_danh" in alert["prompt"] and "từ chối" in alert["prompt"] and "--dry-run" not in alert["prompt"]
    assert sorted(p.name for p in master.parent.iterdir()) == before


@pytest.mark.parametrize("answer", ["cancel", None])
def test_send_from_excel_cancel_does_nothing(master, answer):
    before = sorted(p.name for p in master.parent.iterdir())
    outcome, actions, after = run_remote(live_payload(master), answering(answer, lambda b: entry.send_upward(b)))
    assert outcome is None and [a["func"] for a in actions] == ["alert"]
    assert sorted(p.name for p in master.parent.iterdir()) == before


def test_send_from_excel_over_smtp_records_the_send_and_warns_on_resend(master, monkeypatch):
    from smtp_server import Server

    with Server("plain") as srv:
        for k, v in srv.env().items():
            monkeypatch.setenv(k, v)
        outcome, _actions, after = run_remote(live_payload(master), answering("ok", lambda b: entry.send_upward(b)))
        assert outcome.sent and len(srv.messages) == 1
        confirm = after["_alerts"][0]["prompt"]
        assert "phongcchc@haiphong.edu.vn" in confirm and "đã được gửi" not in confirm
        row = log_rows(after)[-1]
        assert (row["Cột"], row["Giá trị mới"]) == (LOG_COLUMN_SEND, outcome.period_label)
        assert row["Ghi chú"] == "Đã gửi tới phongcchc@haiphong.edu.vn"
        # the next click (same open book) warns that this period was already sent; Cancel sends nothing
        again, _a, after2 = run_remote(clean(after), answering("cancel", lambda b: entry.send_upward(b)))
        assert again is None and len(srv.messages) == 1
        assert f"đã được gửi lúc {row['Thời gian']:%d/%m/%Y %H:%M}" in after2["_alerts"][-1]["prompt"]


def test_send_from_excel_without_a_pdf_printer_says_so_before_anything(master, monkeypatch, tmp_path):
    """xlwings' remote engine cannot print (a real Excel prints with Sheet.to_pdf), so here the PDF would come
    from LibreOffice; without it the button says so in one message — before asking, before writing."""
    from cchc_xl.distribute.outgoing import NO_PDF_CONVERTER

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("CCHC_SOFFICE", raising=False)
    before = sorted(p.name for p in master.parent.iterdir())
    outcome, actions, after = run_remote(live_payload(master), answering("ok", lambda b: entry.send_upward(b)))
    assert outcome is None
    alerts = after["_alerts"]
    assert len(alerts) == 1 and NO_PDF_CONVERTER in alerts[0]["prompt"]
    assert [a for a in actions if a["func"] == "alert"][0]["args"][2] != "ok_cancel"  # no confirmation asked
    assert sorted(p.name for p in master.parent.iterdir()) == before


def test_send_from_excel_draft_names_the_settings_to_fill(master):
    outcome, _actions, after = run_remote(live_payload(master), answering("ok", lambda b: entry.send_upward(b)))
    done = after["_alerts"][-1]["prompt"]
    assert outcome.warnings and all(w in done for w in outcome.warnings)
    assert "'email_nguoi_nhan'" in done and "'email_nguoi_gui'" in done


def test_consolidate_from_excel_merges_occurrences_of_periodic_tasks(master, tmp_path):
    """A group's quarter reported in its copy reaches the open book's occurrence table (issue #7)."""
    from cchc_xl.io.file_book import FileBook
    from cchc_xl.io.ooxml import Package

    copy = [p for p in handout(master, tmp_path / "phat") if "Su_Dia" in p.name][0]
    td = FileBook.open(copy).read_table(schema.OCCURRENCES.sheet, schema.OCCURRENCES.table)
    row = {str(r[0].value): td.first_row + i for i, r in enumerate(td.rows)}["2.d-Q3"]
    pkg = Package.open(copy)
    pkg.set_cells(schema.OCCURRENCES.sheet, {(row, schema.OCCURRENCES.col("Trạng thái") + 1): "Hoàn thành",
                                             (row, schema.OCCURRENCES.col("Ngày hoàn thành") + 1):
                                                 dt.datetime(2024, 6, 10)})
    inbox = tmp_path / "hop thu"
    inbox.mkdir()
    pkg.save(inbox / "su_dia.xlsx", backup=False)
    age(inbox / "su_dia.xlsx")
    summary, actions, after = run_remote(live_payload(master), lambda b: entry.consolidate_inbox(str(inbox), b))
    assert (summary.accepted, summary.cells_changed) == (1, 2)
    sheet, (r1, c1, _r2, _c2) = table_ref(after, schema.OCCURRENCES.table)
    cells = sheet_values(after, sheet)
    headers = list(schema.OCCURRENCES.headers)
    row = next(r for r in range(r1 + 1, _r2 + 1) if cells.get((r, c1)) == "2.d-Q3")  # the live book's row
    assert cells[(row, c1 + headers.index("Trạng thái"))] == "Hoàn thành"
    assert cells[(row, c1 + headers.index("Ngày hoàn thành"))] == dt.datetime(2024, 6, 10)
    assert cells[(row, c1 + headers.index("Tình trạng hạn"))] == "Hoàn thành đúng hạn"  # refreshed


def test_consolidate_from_excel_shows_a_conflict_with_both_versions(master, tmp_path):
    """Issue #8 §5: the ribbon's message shows each conflict with both versions; the later arrival wins, whole."""
    import time

    from remote import alerts

    copy = [p for p in handout(master, tmp_path / "phat") if "Toan_Tin" in p.name][0]
    task = group_tasks(master, "Tổ Toán - Tin")[0]
    inbox = tmp_path / "hop thu"
    fill_copy(copy, inbox / "lan_1.xlsx", {task: {"Trạng thái": "Hoàn thành",
                                                  "Ngày hoàn thành": dt.datetime(2024, 6, 12)}})
    time.sleep(0.02)
    fill_copy(copy, inbox / "lan_2.xlsx", {task: {"Trạng thái": "Không thực hiện", "Ngày hoàn thành": None}})
    summary, _actions, after = run_remote(live_payload(master), lambda b: entry.consolidate_inbox(str(inbox), b))
    assert summary.accepted == 2 and len(summary.conflicts) == 1
    text = alerts(after)[-1]["prompt"]
    assert "Xung đột (cả hai bản" in text and "lan_1.xlsx" in text and "lan_2.xlsx" in text, text
    assert "Trạng thái 'Hoàn thành'" in text, text
    row = task_table(after)[task]
    assert _plain(row["Trạng thái"]) == "Không thực hiện" and _plain(row["Ngày hoàn thành"]) in (None, "")


def test_consolidate_from_excel_reads_nothing_until_it_holds_the_lock(master, tmp_path, monkeypatch):
    """Issue #8: the ribbon's consolidation reads the open book's tables under the writer lock, not before it."""
    from cchc_xl.excel.xw_book import XwBook
    from cchc_xl.io.writelock import writer_lock

    reads = []
    real = XwBook.read_table
    monkeypatch.setattr(XwBook, "read_table", lambda self, *a, **k: reads.append(a) or real(self, *a, **k))
    monkeypatch.setenv("CCHC_LOCK_WAIT_SECONDS", "0.2")
    inbox = tmp_path / "hop thu"
    inbox.mkdir()
    payload = live_payload(master)
    with writer_lock(master):
        _summary, actions, after = run_remote(payload, lambda b: entry.consolidate_inbox(str(inbox), b))
    assert reads == []
    from remote import alerts

    assert "Một lệnh khác đang chạy" in alerts(after)[-1]["prompt"]
