"""Entry points: the distribution subcommands of cchc_xl.cli, the scheduler script's exit codes, a real kill."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from cchc_xl.cli import build_parser, run_command
from cchc_xl.io.writelock import writer_lock
from cchc_xl.io.ooxml import Package

from distfix import age, fill_copy, group_tasks

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "consolidate.py"


def test_distribution_commands(tmp_path, master, capsys):
    p = build_parser()
    args = p.parse_args(["handout", str(master), "--out-dir", str(tmp_path / "h"), "-q"])
    assert run_command(args) == 0 and len(list((tmp_path / "h").glob("CCHC2024_*.xlsx"))) >= 2
    capsys.readouterr()
    args = p.parse_args(["send", str(tmp_path / "khong_co.xlsm"), "--dry-run", "-q"])
    assert run_command(args) == 2  # a user error: one Vietnamese sentence
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: ") and len(err.strip().splitlines()) == 1 and "Không tìm thấy" in err
    assert p.parse_args(["consolidate", str(master), "--inbox", "x", "--as-of", "14/06/2024"]).as_of.day == 14


def _run(master, inbox, **kw):
    return subprocess.Popen([sys.executable, str(SCRIPT), str(master), "--inbox", str(inbox), "--as-of",
                             "2024-06-14", "-q", *kw.get("extra", [])], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8")


def test_script_second_run_exits_4(tmp_path, master):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with writer_lock(master):
        p = _run(master, inbox, extra=["--wait", "1"])
        out, err = p.communicate(timeout=120)
    assert p.returncode == 4, err
    assert "đang chạy" in err


def test_script_missing_workbook_or_inbox_is_a_user_error_exit_2(tmp_path, master):
    p = _run(tmp_path / "khong_co.xlsm", tmp_path)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 2 and err.startswith("Lỗi: Không tìm thấy tệp sổ tính chính") and "Traceback" not in err
    p = _run(master, tmp_path / "khong_co_hop_thu")
    _, err = p.communicate(timeout=120)
    missing = tmp_path / "khong_co_hop_thu"
    assert p.returncode == 2 and err.strip() == f"Lỗi: Không tìm thấy thư mục hộp thư đến '{missing}'."
    assert not (tmp_path / "khong_co_hop_thu").exists()  # nothing created (no log file in a new folder)


def test_script_wrong_argument_exit_2_and_help_exit_0(tmp_path):
    p = subprocess.run([sys.executable, str(SCRIPT), "--khong-co"], capture_output=True, text=True, encoding="utf-8")
    assert p.returncode == 2 and "Lỗi: " in p.stderr and "consolidate.py" in p.stderr
    p = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, encoding="utf-8")
    assert p.returncode == 0 and p.stdout.startswith("Cách dùng: consolidate.py")


def test_script_failed_run_exit_3(tmp_path):
    """A master that is not a workbook: the run fails (3), no traceback on screen."""
    bad = tmp_path / "hong.xlsm"
    bad.write_bytes(b"khong phai so tinh")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    p = _run(bad, inbox)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 3 and "Tổng hợp thất bại" in err and "Traceback" not in err


def test_kill_at_any_time_leaves_master_before_or_after(tmp_path, master, copies):
    """SIGKILL the scheduled script at several moments; the master always opens and is either the
    original bytes or a complete result, and a rerun completes the work."""
    g = sorted(copies)[0]
    tid = group_tasks(master, g)[0]
    original = master.read_bytes()
    for delay in (0.3, 1.2, 2.0, 2.6, 3.2):
        inbox = tmp_path / f"inbox{delay}"
        fill_copy(copies[g], inbox / "c.xlsx", {tid: {"Ghi chú": "sau khi bị dừng"}})
        p = _run(master, inbox)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        data = master.read_bytes()
        Package.open(master)  # never half written
        assert zipfile.ZipFile(master).testzip() is None
        if data == original:
            assert (inbox / "c.xlsx").exists()
        lock = master.with_name(master.name + ".cchc-lock")
        if lock.exists():  # the killed run's lock; make it stale as after 30 minutes
            age(lock, 3600)
        r = _run(master, inbox)
        _, err = r.communicate(timeout=300)
        assert r.returncode == 0, err
        assert not (inbox / "c.xlsx").exists()
    assert not list(master.parent.glob(".tmp-*.part"))


def test_task_scheduler_xml_and_docs():
    from lxml import etree

    root = etree.parse(str(ROOT / "scripts" / "cchc-consolidate.xml")).getroot()
    ns = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"
    assert "consolidate.py" in root.find(f"{ns}Actions/{ns}Exec/{ns}Arguments").text
    assert root.find(f"{ns}Settings/{ns}MultipleInstancesPolicy").text == "IgnoreNew"
    doc = (ROOT / "docs" / "SCHEDULING.md").read_text(encoding="utf-8")
    assert "schtasks /Create" in doc and "crontab" in doc and "scripts/cchc-consolidate.xml" in doc.replace("\\", "/")
