"""Issue #8 §4 and §7 on the command line: faults of the machine get one Vietnamese sentence, the documented exit
code, and leave everything as it was; names the tool makes are shortened by bytes; a row too long for a cell is
one skipped row, not a failed import.

Disk full is simulated twice: on a real small tmpfs (mounted by the test; skipped where mounting is not allowed)
and, always, by injecting ENOSPC at the fsync of the file being written. A read-only folder is a read-only bind
mount (root ignores permission bits, not a read-only mount)."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.io.ooxml import Package

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
TIMEOUT = 120


def cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "CCHC_LOCK_WAIT_SECONDS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, env=full, cwd=cwd)


def one_sentence(r: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """The run ended with ``code`` and exactly one stderr line starting ``Lỗi:`` holding ``words``."""
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(lines) == 1 and lines[0].startswith("Lỗi: "), r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture()
def master(tmp_path) -> Path:
    d = tmp_path / "so"
    d.mkdir()
    return Path(shutil.copyfile(BUNDLED, d / "CCHC_2024.xlsm"))


# ----------------------------------------------------------------------------------------------- mounts


class Mounts:
    def __init__(self):
        self.points: list[Path] = []

    def _run(self, *cmd: str) -> None:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"cannot mount here: {' '.join(cmd)}: {r.stderr.strip()}")

    def tmpfs(self, folder: Path, size_kb: int) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self._run("mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder))
        self.points.append(folder)
        return folder

    def read_only(self, folder: Path) -> Path:
        self._run("mount", "--bind", str(folder), str(folder))
        self.points.append(folder)
        self._run("mount", "-o", "remount,bind,ro", str(folder), str(folder))
        return folder

    def close(self) -> None:
        for p in reversed(self.points):
            subprocess.run(["umount", str(p)], capture_output=True)


@pytest.fixture()
def mounts():
    m = Mounts()
    yield m
    m.close()


def fill_disk(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` so that about ``leave`` bytes stay free."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    with open(folder / "day_o.bin", "wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))


# ----------------------------------------------------------------------------------------------- disk full


@pytest.mark.parametrize("leave_kb,stage", [(12, "the new file"), (None, "the backup")])
def test_disk_full_refresh_leaves_the_folder_as_it_was(tmp_path, mounts, leave_kb, stage):
    disk = mounts.tmpfs(tmp_path / "o_dia", 1024)
    master = Path(shutil.copyfile(BUNDLED, disk / "CCHC_2024.xlsm"))
    # room for the new file but not for its backup too (the backup is written after the new file)
    fill_disk(disk, leave_kb * 1024 if leave_kb else master.stat().st_size + 40 * 1024)
    before = listing(disk)
    r = cli("refresh", str(master), "--as-of", "2024-06-14")
    one_sentence(r, 2, "ổ đĩa đã đầy", "Hãy giải phóng dung lượng", "tệp cũ vẫn còn nguyên")
    assert listing(disk) == before, stage            # no half file, no full-size backup, no lock file


def test_disk_full_import_and_handout_and_consolidate(tmp_path, mounts):
    disk = mounts.tmpfs(tmp_path / "o_dia", 1024)
    master = Path(shutil.copyfile(BUNDLED, disk / "CCHC_2024.xlsm"))
    csv_file = tmp_path / "hs.csv"
    csv_file.write_text("Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Hình thức nộp,Trạng thái\n"
                        "MC-1,1.005088,01/07/2024,Trực tiếp,Đang xử lý\n", encoding="utf-8")
    handout_dir = tmp_path / "phat"
    handout = cli("handout", str(BUNDLED), "--out-dir", str(handout_dir), "-q")
    assert handout.returncode == 0, handout.stderr
    fill_disk(disk, 12 * 1024)
    before = listing(disk)
    one_sentence(cli("import-dossiers", str(master), str(csv_file)), 2, "ổ đĩa đã đầy")
    assert listing(disk) == before
    out = disk / "ban_phat"
    out.mkdir()
    one_sentence(cli("handout", str(master), "--out-dir", str(out), "-q"), 2, "ổ đĩa đã đầy",
                 "Chưa tạo bản phát nào")
    assert list(out.iterdir()) == []                  # all copies or none
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    copy = next(handout_dir.glob("*Ngu_van*"))
    shutil.copyfile(copy, inbox / copy.name)
    os.utime(inbox / copy.name, (1e9, 1e9))
    r = cli("consolidate", str(master), "--inbox", str(inbox), "--as-of", "2024-06-14", "-q")
    assert r.returncode == 0 or r.returncode == 3, r.stderr   # nothing to change → no write; else 3
    if r.returncode == 3:
        assert "ổ đĩa đã đầy" in r.stderr and (inbox / copy.name).exists()
    assert listing(disk) == before


def test_disk_full_injected_at_the_write_call(tmp_path, monkeypatch, capsys, master):
    """ENOSPC where the new workbook is flushed to disk (deterministic, on any machine)."""
    from cchc_xl import cli as cli_module
    from cchc_xl.io.ooxml import saving

    real_fsync = os.fsync

    def full(fd):
        if os.fstat(fd).st_size > 10_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(saving.os, "fsync", full)
    before = listing(master.parent)
    code = cli_module.main(["refresh", str(master), "--as-of", "2024-06-14"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("Lỗi: ") and "ổ đĩa đã đầy" in err[-1]
    assert listing(master.parent) == before


# ----------------------------------------------------------------------------------------------- read-only


def test_a_read_only_folder_is_one_sentence_and_changes_nothing(master, tmp_path, mounts):
    before = listing(master.parent)
    mounts.read_only(master.parent)
    one_sentence(cli("refresh", str(master), "--as-of", "2024-06-14"), 2, "chỉ cho phép đọc", "Hãy chọn thư mục")
    one_sentence(cli("setup-excel", str(master)), 2, "chỉ cho phép đọc")
    csv_file = tmp_path / "hs.csv"
    csv_file.write_text("Mã hồ sơ\nMC-1\n", encoding="utf-8")
    one_sentence(cli("import-dossiers", str(master), str(csv_file)), 2, "chỉ cho phép đọc")
    one_sentence(cli("handout", str(BUNDLED), "--out-dir", str(master.parent / "ban_phat"), "-q"), 2,
                 "chỉ cho phép đọc")
    assert listing(master.parent) == before


# ----------------------------------------------------------------------------------------------- folder for a file


@pytest.mark.parametrize("make_args,words", [
    (lambda m, d, f: ["refresh", str(d)], "là một thư mục"),
    (lambda m, d, f: ["check", str(d)], "là một thư mục"),
    (lambda m, d, f: ["refresh", str(m), "--out", str(d)], "là một thư mục"),
    (lambda m, d, f: ["import-dossiers", str(m), str(d)], "là một thư mục"),
    (lambda m, d, f: ["import-dossiers", str(d), str(f)], "là một thư mục"),
    (lambda m, d, f: ["consolidate", str(d), "--inbox", str(d)], "là một thư mục"),
    (lambda m, d, f: ["consolidate", str(m), "--inbox", str(f)], "là một tệp, không phải thư mục"),
    (lambda m, d, f: ["consolidate", str(m), "--inbox", str(d), "--log", str(d)], "là một thư mục"),
    (lambda m, d, f: ["handout", str(m), "--out-dir", str(f)], "là một tệp, không phải thư mục"),
    (lambda m, d, f: ["send", str(m), "--dry-run", "--out-dir", str(f), "-q"], "đã có tệp hoặc thư mục cùng tên"),
    (lambda m, d, f: ["rollup", str(d), "--out", str(d / "th.xlsx"), "--units", str(d), "-q"], "là một thư mục"),
])
def test_a_folder_where_a_file_is_expected(master, tmp_path, make_args, words):
    folder = tmp_path / "mot_thu_muc"
    folder.mkdir()
    a_file = tmp_path / "mot_tep.csv"
    a_file.write_text("Mã hồ sơ\nMC-1\n", encoding="utf-8")
    before = listing(master.parent)
    r = cli(*make_args(master, folder, a_file))
    assert r.returncode in (2, 3) and "Traceback" not in r.stderr, r.stderr
    assert words in r.stderr, r.stderr
    assert listing(master.parent) == before


# ----------------------------------------------------------------------------------------------- crash log


CRASH = """
import dataclasses, sys
import cchc_xl.cli as c
def boom(args):
    raise RuntimeError("lỗi lập trình giả định")
c.COMMANDS[:] = [dataclasses.replace(x, run=boom) if x.name == "check" else x for x in c.COMMANDS]
sys.exit(c.main(["check", "x.xlsm"]))
"""


def test_an_unwritable_crash_log_folder_still_gives_a_sentence(tmp_path):
    blocker = tmp_path / "khong_phai_thu_muc"
    blocker.write_text("x")
    env = dict(os.environ, PYTHONPATH=str(ROOT), LOCALAPPDATA=str(blocker / "sub"), HOME=str(blocker / "sub"),
               TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", CRASH], capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("Lỗi không mong đợi (RuntimeError). Chi tiết đã ghi vào '"), r.stderr
    log = Path(r.stderr.split("'")[1])
    assert log.parent == tmp_path / "cchc-xl-logs" and "lỗi lập trình giả định" in log.read_text(encoding="utf-8")


def test_no_folder_for_the_crash_log_at_all(tmp_path, monkeypatch, capsys):
    import dataclasses
    import tempfile

    from cchc_xl import cli as cli_module

    blocker = tmp_path / "khong_phai_thu_muc"
    blocker.write_text("x")
    monkeypatch.setenv("LOCALAPPDATA", str(blocker / "a"))
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(blocker / "b"))

    def boom(args):
        raise RuntimeError("lỗi lập trình giả định")

    i = next(k for k, c in enumerate(cli_module.COMMANDS) if c.name == "check")
    original = cli_module.COMMANDS[i]
    cli_module.COMMANDS[i] = dataclasses.replace(original, run=boom)
    try:
        assert cli_module.main(["check", "x.xlsm"]) == 3
    finally:
        cli_module.COMMANDS[i] = original
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Lỗi không mong đợi (RuntimeError: lỗi lập trình giả định)" in err[0]
    assert "Không ghi được tệp chi tiết lỗi" in err[0] and "báo cho người hỗ trợ" in err[0]


# ----------------------------------------------------------------------------------------------- §4 names, rows


def _set_groups(src: Path, dest: Path, groups: dict[str, str]) -> Path:
    from cchc_xl.io.file_book import FileBook

    td = FileBook.open(src).read_table(schema.TASKS.sheet, schema.TASKS.table)
    rows = {str(v[0]): td.first_row + i for i, v in enumerate(td.row_values())}
    pkg = Package.open(src)
    pkg.set_cells(schema.TASKS.sheet, {(rows[t], schema.TASKS.col("Tổ/nhóm chuyên môn") + 1): g
                                       for t, g in groups.items()})
    pkg.save(dest, backup=False)
    return dest


def test_a_330_character_group_name_gets_a_short_unique_copy_that_consolidates(master, tmp_path):
    from cchc_xl.distribute.handout import handout
    from cchc_xl.io.file_book import FileBook

    td = FileBook.open(master).read_table(schema.TASKS.sheet, schema.TASKS.table)
    t1, t2 = str(td.row_values()[0][0]), str(td.row_values()[1][0])
    long = ("Nhóm giáo viên chủ nhiệm và cố vấn học tập khối mười hai phụ trách công tác cải cách hành chính "
            "và chuyển đổi số của nhà trường ") * 3
    long_a, long_b = long[:323] + " nhóm A", long[:323] + " nhóm B"
    assert len(long_a) == len(long_b) == 330
    _set_groups(master, master, {t1: long_a, t2: long_b})
    r = cli("handout", str(master), "--out-dir", str(tmp_path / "phat"), "-q")
    assert r.returncode == 0, r.stderr
    names = [p.name for p in (tmp_path / "phat").iterdir()]
    assert all(len(n.encode()) <= 80 for n in names) and len(set(names)) == len(names)
    ours = [n for n in names if n.startswith("CCHC2024_Nhom_giao_vien")]
    assert len(ours) == 2
    # the long group's copy comes back and is merged
    written = handout(master, tmp_path / "phat2")
    copy = next(p for p in written if p.name == ours[0])
    import datetime as dt

    sys.path.insert(0, str(ROOT / "tests" / "distribute"))
    from distfix import fill_copy, task_rows

    from cchc_xl.distribute.consolidate import consolidate

    group_task = next(iter(task_rows(copy)))
    assert group_task in (t1, t2)
    inbox = tmp_path / "hop_thu"
    fill_copy(copy, inbox / copy.name, {group_task: {"Ghi chú": "đã nhận"}})
    s = consolidate(master, inbox, as_of=dt.date(2024, 6, 14))
    assert s.accepted == 1 and s.rejected == 0, s.table()
    assert all(len(v) <= 255 for v in re.findall(r"<vt:lpwstr>([^<]*)<", Package.open(copy).read_part(
        "docProps/custom.xml").decode()))                 # Excel keeps at most 255 characters in a property


def test_import_skips_rows_too_long_for_a_cell_and_imports_the_rest(master, tmp_path):
    header = "Mã hồ sơ,Mã TTHC,Tên TTHC,Ngày tiếp nhận,Hình thức nộp,Trạng thái"
    good = "MC-240701-0001,1.005088,Chuyển trường,01/07/2024 09:00,Trực tiếp,Đang xử lý"
    long_cell = "MC-240701-0002,1.005088,\"" + "Chuyển trường " * 2900 + "\",01/07/2024,Trực tiếp,Đang xử lý"
    huge_field = "MC-240701-0003,1.005088,\"" + "x" * 140_000 + "\",01/07/2024,Trực tiếp,Đang xử lý"
    csv_file = tmp_path / "mot_cua.csv"
    csv_file.write_text("\n".join([header, good, "", long_cell, huge_field]) + "\n", encoding="utf-8")
    r = cli("import-dossiers", str(master), str(csv_file))
    assert r.returncode == 0, r.stderr
    assert "Đã thêm 1 hồ sơ" in r.stdout and "bỏ qua 2 dòng" in r.stdout, r.stdout
    assert "dòng 4: cột 'Tên TTHC': nội dung dài 40.599 ký tự, quá giới hạn 32.767" in r.stdout, r.stdout
    assert "dòng 5: cột 'Tên TTHC': nội dung dài 140.000 ký tự" in r.stdout, r.stdout


def test_import_xlsx_with_a_cell_over_the_limit_skips_that_row(master, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã hồ sơ", "Mã TTHC", "Tên TTHC", "Ngày tiếp nhận", "Hình thức nộp", "Trạng thái"])
    ws.append(["MC-1", "1.005088", "Chuyển trường", "01/07/2024", "Trực tiếp", "Đang xử lý"])
    ws.append(["MC-2", "1.005088", "@@DAI@@", "01/07/2024", "Trực tiếp", "Đang xử lý"])
    src = tmp_path / "mot_cua.xlsx"
    wb.save(src)
    import zipfile

    out = tmp_path / "mot_cua_dai.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info).replace(b"@@DAI@@", b"y" * 40_000))
    r = cli("import-dossiers", str(master), str(out))
    assert r.returncode == 0, r.stderr
    assert "Đã thêm 1 hồ sơ" in r.stdout and "dòng 3: cột 'Tên TTHC': nội dung dài 40.000 ký tự" in r.stdout


def test_a_text_from_the_engine_over_a_cells_limit_is_refused_naming_row_and_column(master, monkeypatch, capsys):
    """A report line (as a narrative draft would be) longer than a cell holds: one sentence, nothing written."""
    from cchc_xl import cli as cli_module
    from cchc_xl.report import layout as report_layout

    real = report_layout.build_report_grid

    def long_draft(result):
        grid = real(result)
        (row, col), (value, style) = max(grid.cells.items())
        grid.cells[(row + 2, 2)] = ("Nhận xét: " + "tình hình thực hiện tốt. " * 1500, style)
        return grid

    monkeypatch.setattr(report_layout, "build_report_grid", long_draft)
    before = listing(master.parent)
    code = cli_module.main(["refresh", str(master), "--as-of", "2024-06-14"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("Lỗi")]
    assert code == 2 and len(err) == 1, err
    assert re.search(r"Trang tính 'Báo cáo', dòng \d+, cột 'B': nội dung dài 37\.510 ký tự, quá giới hạn 32\.767",
                     err[0]), err
    assert listing(master.parent) == before


def test_a_column_written_through_the_seam_names_its_header(master):
    from cchc_xl.errors import CellTextTooLongError
    from cchc_xl.io.file_book import FileBook

    book = FileBook.open(master)
    td = book.read_table(schema.TASKS.sheet, schema.TASKS.table)
    values = [None] * td.n_rows
    values[3] = "x" * 32_768
    with pytest.raises(CellTextTooLongError) as info:
        book.write_column(schema.TASKS.sheet, schema.TASKS.table, "Ghi chú", values)
    assert str(info.value).startswith(f"Trang tính 'Nhiệm vụ', dòng {td.first_row + 3}, cột 'Ghi chú': nội dung dài "
                                      "32.768 ký tự")
    values[3] = "x" * 32_767
    book.write_column(schema.TASKS.sheet, schema.TASKS.table, "Ghi chú", values)     # the limit itself is fine


def test_consolidate_and_rollup_wait_as_long_as_the_setting_says(master, tmp_path):
    """CCHC_LOCK_WAIT_SECONDS governs every writer's wait, the rollup's and consolidate's (no --wait) too."""
    import time

    from cchc_xl.io.writelock import writer_lock

    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    out = tmp_path / "tong_hop.xlsx"
    for args, target, code in ((["consolidate", str(master), "--inbox", str(inbox), "-q"], master, 4),
                               (["rollup", str(inbox), "--out", str(out), "-q"], out, 4)):
        with writer_lock(target):
            start = time.monotonic()
            r = cli(*args, env={"CCHC_LOCK_WAIT_SECONDS": "0.3"})
            took = time.monotonic() - start
        assert r.returncode == code, r.stderr
        assert took < 8, took               # not the 10 s default (interpreter start included)
