"""The "Done when" scenario of issue #4, as a new user would run it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from cchc_xl import schema
from cchc_xl.distribute._log import read_log
from cchc_xl.distribute.handout import handout
from cchc_xl.distribute.send import send_file
from cchc_xl.engine import check_file, refresh_file

from distfix import age, master_values
from smtp_server import Server, make_cert

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-06-14"


def _script(master: Path, inbox: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "consolidate.py"), str(master), "--inbox",
                           str(inbox), "--as-of", AS_OF], capture_output=True, text=True, encoding="utf-8",
                          timeout=300, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def _fill_with_openpyxl(src: Path, dest: Path, edits: dict[str, dict[str, object]]) -> Path:
    """Another program (openpyxl) opens the hand-out copy, edits cells and saves it."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    ws = wb[schema.TASKS.sheet]
    rows = {str(ws.cell(r, 1).value): r for r in range(2, ws.max_row + 1)}
    for tid, cols in edits.items():
        for h, v in cols.items():
            cell = ws.cell(rows[tid], schema.TASKS.col(h) + 1)
            cell.value = v
            if isinstance(v, str) and v.startswith("="):
                cell.data_type = "s"  # typed as text (Excel: a leading apostrophe)
    wb.save(dest)
    return age(dest)


def test_done_when(tmp_path, master):
    # 1. hand out the workbook to its groups
    before = refresh_file(master, as_of=dt.date.fromisoformat(AS_OF), out=tmp_path / "probe.xlsm",
                          backup=False).to_json()
    copies = handout(master, tmp_path / "phat")
    assert len(copies) >= 2
    by_group = {}
    for p in copies:
        vals = master_values(p)
        by_group[str(next(iter(vals.values()))["Tổ/nhóm chuyên môn"].value)] = (p, sorted(vals))
    overdue = before["overdue_tasks"]
    good_group = overdue[0]["group"] if overdue else sorted(by_group)[0]
    good_copy, good_tasks = by_group[good_group]
    bad_group = next(g for g in sorted(by_group) if g != good_group)
    bad_copy, bad_tasks = by_group[bad_group]
    done_task = overdue[0]["id"] if overdue else good_tasks[0]
    other_task = next(t for t in good_tasks if t != done_task) if len(good_tasks) > 1 else done_task
    hostile = '=HYPERLINK("http://evil.example","Bấm vào đây")'

    # 2. fill two copies: one valid with a hostile cell, one with a mistake; plus a broken file
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    _fill_with_openpyxl(good_copy, inbox / good_copy.name, {
        done_task: {"Trạng thái": "Hoàn thành", "Ngày hoàn thành": dt.datetime(2024, 6, 10),
                    "Minh chứng": "Báo cáo số 45/BC-THPTKT"},
        other_task: {"Ghi chú": hostile},
    })
    _fill_with_openpyxl(bad_copy, inbox / bad_copy.name, {
        bad_tasks[0]: {"Trạng thái": "Đã xong", "Ghi chú": "Cập nhật của tổ"}})
    broken = inbox / "Bao_cao_to_Anh.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    age(broken)
    original = master_values(master)

    # 3. the scheduled script, twice
    r1 = _script(master, inbox)
    assert r1.returncode == 2, r1.stderr
    assert "Chấp nhận" in r1.stdout and "TỪ CHỐI" in r1.stdout        # the summary: a result, on stdout
    assert "Có 2 tệp bị từ chối" in r1.stderr                           # the problem, on stderr
    after_first = master.read_bytes()
    r2 = _script(master, inbox)
    assert r2.returncode == 0, r2.stderr
    assert master.read_bytes() == after_first

    # master shows exactly the valid updates, once
    now = master_values(master)
    changed = {(t, h) for t in now for h in ("Trạng thái", "Ngày hoàn thành", "Minh chứng", "Ghi chú")
               if now[t][h].value != original[t][h].value}
    four = {(done_task, "Trạng thái"), (done_task, "Ngày hoàn thành"), (done_task, "Minh chứng"),
            (other_task, "Ghi chú")}
    assert (other_task, "Ghi chú") in changed and changed <= four
    assert now[other_task]["Ghi chú"].value == hostile and now[other_task]["Ghi chú"].formula is None
    assert now[done_task]["Trạng thái"].value == "Hoàn thành"
    assert now[done_task]["Tình trạng hạn"].value in ("Hoàn thành đúng hạn", "Hoàn thành trễ hạn")
    assert now[bad_tasks[0]]["Ghi chú"].value == original[bad_tasks[0]]["Ghi chú"].value

    # the log explains every change and rejection
    log = read_log(master)
    logged = {(r["Mã"], r["Cột"]) for r in log if r["Mã"]}
    assert changed <= logged and len([r for r in log if r["Mã"]]) == len(changed)
    rejections = [r for r in log if str(r["Ghi chú"] or "").startswith("Từ chối")]
    assert {r["Tệp"] for r in rejections} == {bad_copy.name, broken.name}
    assert "Đã xong" in (inbox / "rejected" / (bad_copy.name + ".txt")).read_text(encoding="utf-8")
    assert (inbox / "rejected" / (broken.name + ".txt")).exists()
    assert (inbox / "processed" / dt.date.today().isoformat() / good_copy.name).exists()
    text_log = (inbox / "tong_hop.log").read_text(encoding="utf-8")
    assert text_log.count("THAY ĐỔI") == len(changed)

    # the report reflects them
    after = refresh_file(master, as_of=dt.date.fromisoformat(AS_OF), out=tmp_path / "probe2.xlsm",
                         backup=False).to_json()
    assert after["tasks"]["done_on_time"] + after["tasks"]["done_late"] == \
        before["tasks"]["done_on_time"] + before["tasks"]["done_late"] + \
        (0 if original[done_task]["Trạng thái"].value == "Hoàn thành" else 1)
    if overdue:
        assert len(after["overdue_tasks"]) == len(overdue) - 1
    assert not [p for p in check_file(master) if p.sheet == schema.TASKS.sheet]

    # 4. send to a local SMTP server and receive the two attachments
    cert = make_cert(tmp_path)
    with Server("starttls", cert=cert, auth=True) as srv:
        out = send_file(master, period="h1", env=srv.env(), as_of=dt.date.fromisoformat(AS_OF))
        assert out.sent
        (_, _, msg), = srv.messages
    assert "6 tháng đầu năm 2024 – Trường THPT Kiến Thụy" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert f"Số nhiệm vụ quá hạn: {len(after['overdue_tasks'])}" in body
    atts = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    assert set(atts) == {"BC_CCHC_6Thang2024_THPT_Kien_Thuy.xlsx", "BC_CCHC_6Thang2024_THPT_Kien_Thuy.pdf"}
    rx = tmp_path / "rx.xlsx"
    rx.write_bytes(atts["BC_CCHC_6Thang2024_THPT_Kien_Thuy.xlsx"])
    assert not any("vbaProject" in n for n in zipfile.ZipFile(rx).namelist())
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(rx), load_tables=True)  # the exchange file: its task table
    table = book.get_table_by_name("tblNhiemVuBaoCao")
    got = {row[0]: dict(zip(table.columns, row)) for row in table.to_python()}
    assert got[done_task]["Trạng thái"] == "Hoàn thành" and got[other_task]["Ghi chú"] == hostile
    assert book.sheet_names[0] == schema.SHEET_REPORT
    pdf = tmp_path / "rx.pdf"
    pdf.write_bytes(atts["BC_CCHC_6Thang2024_THPT_Kien_Thuy.pdf"])
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True).stdout.decode()
    assert "BÁO CÁO" in text and "6 tháng đầu năm 2024" in text.replace("\n", " ")
    assert [r for r in read_log(master) if r["Cột"] == "Gửi báo cáo"]
