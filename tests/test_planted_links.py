"""Issue #17 §1: never write through a link another user planted.

Someone who can write in a shared folder (the workbook's folder, the inbox) plants a symbolic link — or a hard
link, or a FIFO — under a name the program is about to create, pointing at a victim's document. Every case
below plants it as that other user would (owned by ``nobody`` when the tests run as root) and checks that the
victim keeps its bytes: the file is refused in one sentence (a lock, a log), or the link is replaced by the
program's own file (a reason file, a draft, a hand-out copy), never written through. The one helper every
writer uses is :mod:`cchc_xl.io.nofollow`.
"""

from __future__ import annotations

import datetime as dt
import doctest
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.errors import LinkRefusedError
from cchc_xl.io import nofollow
from cchc_xl.io.file_book import FileBook

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
VICTIM = "Hồ sơ mật của người khác — không được ghi vào đây.\n"
NOBODY = 65534


def cli(*args: str, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "CCHC_LOCK_WAIT_SECONDS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=full)


def plant(link: Path, target: Path, kind: str = "symlink") -> Path:
    """Plant ``link`` → ``target`` as another user would (the link owned by ``nobody`` when we are root)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if kind == "symlink":
        link.symlink_to(target)
    elif kind == "hardlink":
        os.link(target, link)
    else:
        os.mkfifo(link)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and kind == "symlink":
        os.lchown(link, NOBODY, NOBODY)
    return link


@pytest.fixture()
def victim(tmp_path) -> Path:
    d = tmp_path / "nguoi_khac"
    d.mkdir()
    path = d / "victim.docx"
    path.write_text(VICTIM, encoding="utf-8")
    return path


@pytest.fixture()
def master(tmp_path) -> Path:
    d = tmp_path / "so"
    d.mkdir()
    return Path(shutil.copyfile(BUNDLED, d / "CCHC_2024.xlsm"))


def intact(victim: Path) -> bool:
    return victim.read_text(encoding="utf-8") == VICTIM


def one_error(r: subprocess.CompletedProcess, code: int, *words: str) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and len(lines) == 1 and lines[0].startswith("Lỗi: "), r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_the_helpers_doctests():
    failures, tried = doctest.testmod(nofollow, optionflags=doctest.ELLIPSIS)
    assert tried and not failures


# --- the writer lock -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,words", [("symlink", "liên kết (symlink)"), ("hardlink", "liên kết cứng"),
                                        ("fifo", "không phải một tệp thường")])
def test_a_planted_lock_is_refused_and_the_victim_keeps_its_bytes(master, victim, kind, words):
    before = master.read_bytes()
    lock = plant(master.with_name(master.name + ".cchc-lock"), victim, kind)
    r = cli("refresh", str(master), "--as-of", "2024-06-14")
    one_error(r, 2, "CCHC_2024.xlsm.cchc-lock", words, "chưa có gì bị thay đổi")
    assert intact(victim) and master.read_bytes() == before
    assert sorted(p.name for p in master.parent.iterdir()) == ["CCHC_2024.xlsm", lock.name]   # no backup, no temp
    r = cli("import-dossiers", str(master), str(_csv(master.parent / "mot_cua.csv")))
    one_error(r, 2, words)
    assert intact(victim) and master.read_bytes() == before


def test_the_lock_api_refuses_a_link_in_one_sentence(master, victim):
    from cchc_xl.io.writelock import lock_path, writer_lock

    plant(lock_path(master), victim)
    with pytest.raises(LinkRefusedError) as info:
        with writer_lock(master, wait=0):
            pass
    assert "\n" not in str(info.value) and "cchc-lock" in str(info.value) and intact(victim)


# --- a workbook reached through a link ---------------------------------------------------------------------------

def _csv(path: Path, code: str = "LINK-1") -> Path:
    path.write_text("Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Hình thức nộp,Trạng thái\n"
                    f"{code},1.008950,04/03/2024 09:15,Trực tuyến,Đang xử lý\n", encoding="utf-8")
    return path


def _dossier_ids(path: Path) -> set[str]:
    td = FileBook.open(path).read_table(schema.DOSSIERS.sheet, schema.DOSSIERS.table)
    return {str(r[0]) for r in td.row_values() if r[0]}


def test_import_through_a_link_writes_the_real_workbook_and_keeps_the_link(master, tmp_path):
    desk = tmp_path / "ban_lam_viec"
    desk.mkdir()
    link = desk / "So CCHC.xlsm"
    link.symlink_to(master)
    r = cli("import-dossiers", str(link), str(_csv(tmp_path / "mot_cua.csv")))
    assert r.returncode == 0 and "Đã thêm 1 hồ sơ" in r.stdout, r.stderr
    assert link.is_symlink() and Path(os.readlink(link)) == master      # the link is still the link
    assert "LINK-1" in _dossier_ids(master)                              # the real workbook got the row
    assert list(master.parent.glob("CCHC_2024.bak-*.xlsm"))              # its backup beside the real file
    assert sorted(p.name for p in desk.iterdir()) == ["So CCHC.xlsm"]    # nothing left beside the link
    assert not list(master.parent.glob("*.cchc-lock")) and not list(master.parent.glob(".tmp-*"))


def test_a_run_through_a_link_and_one_on_the_file_share_one_lock(master, tmp_path):
    from cchc_xl.errors import WorkbookBusyError
    from cchc_xl.io.writelock import lock_path, writer_lock

    link = tmp_path / "lien_ket.xlsm"
    link.symlink_to(master)
    assert lock_path(link) == lock_path(master)
    with writer_lock(master, wait=0):
        with pytest.raises(WorkbookBusyError):
            with writer_lock(link, wait=0):
                pass


# --- backups and temporaries ---------------------------------------------------------------------------------------

def test_planted_backup_names_and_temporaries_are_never_written_through(master, victim):
    now = dt.datetime.now()
    planted = []
    for s in range(0, 40):          # every backup name the next 40 seconds could take
        stamp = (now + dt.timedelta(seconds=s)).strftime("%Y%m%d-%H%M%S")
        planted.append(plant(master.with_name(f"CCHC_2024.bak-{stamp}.xlsm"), victim))
    temp = plant(master.with_name(nofollow.temp_prefix(master) + "abcd1234" + nofollow.TEMP_SUFFIX), victim)
    r = cli("refresh", str(master), "--as-of", "2024-06-14")
    assert r.returncode == 0, r.stderr
    assert intact(victim)
    assert not os.path.lexists(temp)                  # a temporary name is the program's: the link is removed
    backups = [p for p in master.parent.glob("CCHC_2024.bak-*.xlsm") if not p.is_symlink()]
    assert len(backups) == 1 and backups[0].stat().st_size > 1000


def test_a_backup_keeps_the_workbooks_mode(master):
    os.chmod(master, 0o640)
    r = cli("refresh", str(master), "--as-of", "2024-06-14")
    assert r.returncode == 0, r.stderr
    (backup,) = master.parent.glob("CCHC_2024.bak-*.xlsm")
    assert (master.stat().st_mode & 0o777, backup.stat().st_mode & 0o777) == (0o640, 0o640)


def test_a_temporary_still_held_by_a_live_run_is_left_alone(master):
    """What a killed run left goes; what a run still writing holds (its lock on the file) stays."""
    with nofollow.temp_beside(master) as live:
        dead = master.with_name(nofollow.temp_prefix(master) + "deadbeef" + nofollow.TEMP_SUFFIX)
        dead.write_bytes(b"PK half")
        assert nofollow.remove_temps(master) == 1
        assert live.path.exists() and not dead.exists()
    assert not live.path.exists()


# --- consolidation: the log, reason files, the inbox's folders ---------------------------------------------------

def _garbage(inbox: Path, name: str = "rac.xlsx") -> Path:
    path = inbox / name
    path.write_bytes(b"day khong phai so tinh")
    t = time.time() - 120
    os.utime(path, (t, t))
    return path


@pytest.mark.parametrize("kind,words", [("symlink", "liên kết (symlink)"), ("hardlink", "liên kết cứng"),
                                        ("fifo", "không phải một tệp thường")])
def test_a_planted_consolidation_log_stops_the_run_before_anything_changes(master, victim, tmp_path, kind, words):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    _garbage(inbox)
    plant(inbox / "tong_hop.log", victim, kind)
    before = master.read_bytes()
    r = cli("consolidate", str(master), "--inbox", str(inbox), "--as-of", "2024-06-14", "-q", timeout=60)
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "tong_hop.log" in r.stderr and words in r.stderr and "Traceback" not in r.stderr
    assert intact(victim) and master.read_bytes() == before
    assert (inbox / "rac.xlsx").exists() and not (inbox / "rejected").exists()    # nothing moved


def test_a_planted_reason_file_is_replaced_not_written_through(master, victim, tmp_path):
    from cchc_xl.distribute.consolidate import consolidate

    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    _garbage(inbox)
    reason = plant(inbox / "rejected" / "rac.xlsx.txt", victim)
    s = consolidate(master, inbox, as_of=dt.date(2024, 6, 14), settle_seconds=0)
    assert s.rejected == 1 and not s.unfiled, s.table()
    assert intact(victim)
    assert not reason.is_symlink() and "tệp không phải là sổ tính Excel" in reason.read_text(encoding="utf-8")
    assert (inbox / "rejected" / "rac.xlsx").is_file()


def test_a_planted_rejected_folder_stops_the_run_before_the_master_is_written(master, tmp_path):
    from cchc_xl.distribute.consolidate import EXIT_FAILED, consolidate

    elsewhere = tmp_path / "thu_muc_nguoi_khac"
    elsewhere.mkdir()
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    _garbage(inbox)
    plant(inbox / "rejected", elsewhere)
    before = master.read_bytes()
    s = consolidate(master, inbox, as_of=dt.date(2024, 6, 14), settle_seconds=0)
    assert s.exit_code == EXIT_FAILED and "rejected" in s.message and "liên kết" in s.message
    assert master.read_bytes() == before and not list(elsewhere.iterdir()) and (inbox / "rac.xlsx").exists()


def test_a_planted_arrival_state_file_is_replaced(master, victim, tmp_path):
    from cchc_xl.io.inbox import STATE_NAME
    from cchc_xl.distribute.consolidate import consolidate

    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    (inbox / "dang_chep.xlsx").write_bytes(b"PK...")          # just written: left for the next run, so recorded
    state = plant(inbox / STATE_NAME, victim)
    s = consolidate(master, inbox, as_of=dt.date(2024, 6, 14), settle_seconds=60)
    assert s.skipped == 1
    assert intact(victim) and not state.is_symlink() and "dang_chep.xlsx" in state.read_text(encoding="utf-8")


# --- hand-out copies and what send writes -----------------------------------------------------------------------

def test_planted_handout_names_are_replaced_not_written_through(master, victim, tmp_path):
    from cchc_xl.distribute.handout import handout

    names = [p.name for p in handout(master, tmp_path / "thu")]
    out = tmp_path / "ban_phat"
    for name in names:
        plant(out / name, victim)
    dead = out / (nofollow.temp_prefix(out / names[0]) + "0badf00d" + nofollow.TEMP_SUFFIX)
    dead.write_bytes(b"PK half a copy")                        # what a killed hand-out left
    written = handout(master, out)
    assert intact(victim) and [p.name for p in written] == names
    assert all(p.is_file() and not p.is_symlink() for p in written)
    assert not list(out.glob(".tmp-*"))


def test_planted_exchange_pdf_and_draft_names_are_replaced(master, victim, tmp_path):
    from cchc_xl.distribute.send import send_file

    def fake_pdf(xlsx: Path, pdf: Path) -> Path:
        pdf.write_bytes(b"%PDF-1.4")
        return pdf

    scratch = send_file(master, dry_run=True, env={}, outdir=tmp_path / "nhap", make_pdf=fake_pdf)
    out = tmp_path / "gui"
    for p in (scratch.xlsx, scratch.pdf, scratch.eml):
        plant(out / p.name, victim)
    r = cli("send", str(master), "--dry-run", "-q", "--out-dir", str(out))
    assert r.returncode == 0, r.stderr
    assert intact(victim)
    for name in (scratch.xlsx.name, scratch.pdf.name, scratch.eml.name):
        assert (out / name).is_file() and not (out / name).is_symlink(), name
    assert (out / scratch.pdf.name).read_bytes()[:4] == b"%PDF" and not list(out.glob(".tmp-*"))
