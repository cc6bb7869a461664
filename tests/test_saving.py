"""Saving a workbook (issue #8 §2 and §7): backups that can be trusted, what a killed run leaves is cleaned,
rotation never removes the last good backup, a failed write leaves the folder as it was."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from cchc_xl.errors import WorkbookChangedError, WorkbookError
from cchc_xl.io import nofollow
from cchc_xl.io.ooxml import Package, saving
from cchc_xl.io.ooxml.archive import ZipOut

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"


@pytest.fixture()
def book(tmp_path) -> Path:
    target = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, target)
    return target


def _edit_and_save(path: Path, text: str = "đổi", **kw) -> Path:
    pkg = Package.open(path)
    pkg.set_cells("Nhật ký", {(2, 1): text})
    return pkg.save(**kw)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _backups(book: Path) -> list[Path]:
    return sorted(book.parent.glob(book.stem + ".bak-*" + book.suffix))


def test_backup_is_a_verified_copy_of_what_was_read(book):
    original = book.read_bytes()
    _edit_and_save(book)
    (bak,) = _backups(book)
    assert bak.read_bytes() == original and zipfile.ZipFile(bak).testzip() is None
    assert not list(book.parent.glob(".tmp-*"))


def test_leftovers_of_a_killed_run_are_cleaned_next_time(book):
    folder = book.parent
    (folder / f".tmp-{book.name}-abc123.part").write_bytes(b"PK\x03\x04 half a workbook")
    (folder / f".tmp-{book.name}-bak-def456.part").write_bytes(b"PK\x03\x04 half a backup")
    half = folder / f"{book.stem}.bak-20240101-000000{book.suffix}"
    half.write_bytes(book.read_bytes()[:5000])                    # a truncated backup (older versions made them)
    other = folder / ".tmp-Khac.xlsm-zzz.part"                   # another workbook's temporary file: not ours
    other.write_bytes(b"x")
    _edit_and_save(book)
    names = _names(folder)
    assert not any(n.startswith(f".tmp-{book.name}-") for n in names)
    assert half.name not in names and other.name in names
    (bak,) = _backups(book)
    assert zipfile.ZipFile(bak).testzip() is None


def test_rotation_keeps_the_newest_good_backups_and_never_the_last_good_one(book):
    folder = book.parent
    good = book.read_bytes()
    for i in range(1, 7):                                          # six good backups, oldest first
        (folder / f"{book.stem}.bak-20240101-00000{i}{book.suffix}").write_bytes(good)
    for i in range(1, 4):                                          # three newer ones that are not zips
        (folder / f"{book.stem}.bak-20240102-00000{i}{book.suffix}").write_bytes(b"cut")
    _edit_and_save(book, keep_backups=3)
    kept = [p.name for p in _backups(book)]
    assert len(kept) == 3 and not any("20240102" in n for n in kept)
    assert kept[:2] == [f"{book.stem}.bak-20240101-00000{i}{book.suffix}" for i in (5, 6)]
    assert all(zipfile.ZipFile(folder / n).testzip() is None for n in kept)
    # only bad backups around: the new, good one stays even with keep=0
    for p in _backups(book):
        p.write_bytes(b"cut")
    _edit_and_save(book, keep_backups=0)
    (last,) = _backups(book)
    assert zipfile.ZipFile(last).testzip() is None


@pytest.mark.parametrize("stage", ["write", "backup"])
def test_disk_full_leaves_the_folder_as_it_was(book, monkeypatch, stage):
    before, names = book.read_bytes(), _names(book.parent)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    if stage == "write":
        monkeypatch.setattr(ZipOut, "close", full)
    else:
        real = os.fsync
        calls = []

        def fsync(fd):            # the first fsync is the new file's; the second the backup's
            calls.append(fd)
            if len(calls) == 2:
                full()
            return real(fd)
        monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(WorkbookError, match="ổ đĩa đã đầy") as e:
        _edit_and_save(book)
    assert "tệp cũ vẫn còn nguyên" in str(e.value)
    assert book.read_bytes() == before and _names(book.parent) == names


def test_folder_without_write_permission(book, monkeypatch):
    before, names = book.read_bytes(), _names(book.parent)

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(nofollow.tempfile, "mkstemp", denied)
    with pytest.raises(WorkbookError, match="không có quyền ghi"):
        _edit_and_save(book)
    assert book.read_bytes() == before and _names(book.parent) == names


def test_failed_final_replace_removes_the_backup_it_made(book, monkeypatch):
    before, names = book.read_bytes(), _names(book.parent)
    real = os.replace

    def replace(src, dst):
        if Path(dst) == book:
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WorkbookError):
        _edit_and_save(book)
    assert book.read_bytes() == before and _names(book.parent) == names


def test_file_replaced_while_saving_is_not_overwritten(book, monkeypatch):
    """The comparison with what was read runs again right before the rename."""
    real = saving.make_backup
    newer = BUNDLED.read_bytes()

    def backup_then_excel_saves(target, data=None, keep=5):
        made = real(target, data, keep)
        tmp = target.with_name("excel-save.tmp")
        tmp.write_bytes(newer)                                    # a new file in its place (Excel's own save)
        os.utime(tmp, ns=(1, 1))
        os.replace(tmp, target)
        with open(target, "ab") as fh:                            # and it differs from what was read
            fh.write(b"\0")
        return made
    monkeypatch.setattr(saving, "make_backup", backup_then_excel_saves)
    with pytest.raises(WorkbookChangedError, match="đã bị thay đổi"):
        _edit_and_save(book)
    assert book.read_bytes().endswith(b"\0")
    assert not _backups(book) and not list(book.parent.glob(".tmp-*"))


_KILLABLE = """
import datetime as dt, sys
sys.path.insert(0, sys.argv[2])
from cchc_xl.engine import refresh_file
print("start", flush=True)
refresh_file(sys.argv[1], as_of=dt.date(2024, 6, 14))
"""


def test_kill_9_during_refresh_in_place(book):
    """SIGKILL at several moments: the workbook is the old or the new file, every backup opens, and the
    next run leaves no temporary file."""
    original = book.read_bytes()
    for delay in (0.05, 0.15, 0.25, 0.35, 0.5, 0.7):
        p = subprocess.Popen([sys.executable, "-c", _KILLABLE, str(book), str(ROOT)], stdout=subprocess.PIPE)
        p.stdout.readline()
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        assert zipfile.ZipFile(book).testzip() is None
        Package.open(book)
        for bak in _backups(book):
            assert zipfile.ZipFile(bak).testzip() is None
    _edit_and_save(book)
    assert not list(book.parent.glob(".tmp-*")) and not list(book.parent.glob("*.cchc-lock"))
    assert original != book.read_bytes()
