"""One writer at a time (issue #8 §1): every command that writes the workbook holds its writer lock from
reading to the final rename, so runs started together never lose an update. Each race runs many trials,
in forked processes (no interpreter start per trial, so the suite stays quick)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.errors import WorkbookBusyError, WorkbookChangedError
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.writelock import lock_path, writer_lock

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "distribute"))
from distfix import copies, master, master_template  # noqa: F401 - fixtures
from helpers_proc import cli, measure

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
TRIALS = 30
_fork = multiprocessing.get_context("fork")


def _dossier_ids(path: Path) -> set[str]:
    td = FileBook.open(path).read_table(schema.DOSSIERS.sheet, schema.DOSSIERS.table)
    return {str(r[0]) for r in td.row_values() if r[0]}


def _csv(path: Path, code: str) -> Path:
    path.write_text("Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Hình thức nộp,Trạng thái\n"
                    f"{code},1.008950,04/03/2024 09:15,Trực tuyến,Đang xử lý\n", encoding="utf-8")
    return path


def _import(workbook: str, csv: str) -> None:
    from cchc_xl.io.import_dossiers import import_dossiers

    import_dossiers(workbook, csv)


def _run_together(*targets) -> list[int]:
    """Start each (function, args) in its own forked process at once; their exit codes."""
    procs = [_fork.Process(target=fn, args=args) for fn, args in targets]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    return [p.exitcode for p in procs]


def test_two_imports_at_once_lose_nothing(tmp_path):
    for trial in range(TRIALS):
        book = tmp_path / f"t{trial}.xlsm"
        shutil.copyfile(BUNDLED, book)
        a, b = _csv(tmp_path / f"a{trial}.csv", f"A-{trial}"), _csv(tmp_path / f"b{trial}.csv", f"B-{trial}")
        codes = _run_together((_import, (str(book), str(a))), (_import, (str(book), str(b))))
        assert codes == [0, 0], trial
        assert {f"A-{trial}", f"B-{trial}"} <= _dossier_ids(book), trial
        assert not lock_path(book).exists()


def _consolidate(master_path: str, inbox: str) -> None:
    import cchc_xl.distribute.consolidate as c
    import cchc_xl.io.inbox as shared_inbox

    shared_inbox.time.sleep = lambda s: None       # the 1 s "is the file still being written" wait, not raced here
    summary = c.consolidate(master_path, inbox, as_of=dt.date(2024, 6, 14), settle_seconds=0)
    os._exit(summary.exit_code)


def test_consolidate_racing_import_loses_nothing(tmp_path, copies):  # noqa: F811 - the fixture
    from distfix import fill_copy, master_values, task_rows

    src = next(iter(copies.values()))
    tid = next(iter(task_rows(src)))
    filled = fill_copy(src, tmp_path / "filled.xlsx", {tid: {"Ghi chú": "đã nộp"}})
    for trial in range(TRIALS):
        d = tmp_path / f"t{trial}"
        (d / "inbox").mkdir(parents=True)
        book = d / "CCHC_2024.xlsm"
        shutil.copyfile(BUNDLED, book)
        shutil.copy2(filled, d / "inbox" / "to.xlsx")
        csv = _csv(d / "mot_cua.csv", f"N-{trial}")
        jobs = [(_consolidate, (str(book), str(d / "inbox"))), (_import, (str(book), str(csv)))]
        random.shuffle(jobs)
        codes = _run_together(*jobs)
        assert set(codes) == {0}, (trial, codes)
        assert master_values(book)[tid]["Ghi chú"].value == "đã nộp", trial
        assert f"N-{trial}" in _dossier_ids(book), trial
        assert list((d / "inbox" / "processed").glob("*/to.xlsx")), trial


_REFRESH = """
import datetime as dt, sys
sys.path.insert(0, sys.argv[2])
from cchc_xl.engine import refresh_file
from cchc_xl.errors import WorkbookChangedError
print("start", flush=True)
try:
    refresh_file(sys.argv[1], as_of=dt.date(2024, 6, 14))
except WorkbookChangedError:
    sys.exit(5)
"""


def _excel_save(book: Path, marker: str) -> None:
    """What Excel's save does: a new file written beside it, then put in its place (with a user's edit)."""
    from cchc_xl.io.ooxml import Package

    pkg = Package.open(book)
    info = pkg.table(schema.TASKS.table)
    note = schema.TASKS.col("Ghi chú") + 1
    pkg.set_cells(info.sheet, {(2, note): marker})
    tmp = book.with_name("~excel-save.tmp")
    pkg.save(tmp, backup=False)
    os.replace(tmp, book)


def test_workbook_replaced_while_refresh_runs_never_loses_the_newer_file(tmp_path):
    for trial in range(TRIALS):
        book = tmp_path / f"t{trial}.xlsm"
        shutil.copyfile(BUNDLED, book)
        marker = f"sửa trong Excel {trial}"
        p = subprocess.Popen([sys.executable, "-c", _REFRESH, str(book), str(ROOT)], stdout=subprocess.PIPE)
        p.stdout.readline()
        time.sleep(random.uniform(0.0, 0.35))
        _excel_save(book, marker)
        code = p.wait(60)
        assert code in (0, 5), trial
        td = FileBook.open(book).read_table(schema.TASKS.sheet, schema.TASKS.table)
        assert td.row_values()[0][td.headers.index("Ghi chú")] == marker, (trial, code)


def _hold(path: str, seconds: float) -> None:
    with writer_lock(path):
        time.sleep(seconds)


def test_every_writing_command_waits_then_exits_4(tmp_path):
    book = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, book)
    before = book.read_bytes()
    csv = _csv(tmp_path / "mot_cua.csv", "X-1")
    holder = _fork.Process(target=_hold, args=(str(book), 120))
    holder.start()
    os.environ["CCHC_LOCK_WAIT_SECONDS"] = "0.5"
    try:
        deadline = time.time() + 10
        while not lock_path(book).exists() and time.time() < deadline:
            time.sleep(0.02)
        for args in (("refresh", str(book)), ("redraft", str(book)), ("import-dossiers", str(book), str(csv)),
                     ("setup-excel", str(book))):
            run = measure(cli(*args), tmp_path)
            assert run.code == 4, (args, run.stderr)
            assert "đang chạy" in run.stderr and "không thay đổi gì" in run.stderr
            assert "Traceback" not in run.stderr
            assert run.seconds >= 0.5
        assert book.read_bytes() == before
    finally:
        del os.environ["CCHC_LOCK_WAIT_SECONDS"]
        holder.kill()
        holder.join()
    # the killed holder's lock is gone with it: the next run does not wait
    t = time.perf_counter()
    run = measure(cli("import-dossiers", str(book), str(csv)), tmp_path)
    assert run.code == 0 and time.perf_counter() - t < 5, run.stderr


def test_lock_is_exclusive_between_processes_and_released_by_a_kill(tmp_path):
    target = tmp_path / "so.xlsm"
    holder = _fork.Process(target=_hold, args=(str(target), 120))
    holder.start()
    try:
        deadline = time.time() + 10
        while not lock_path(target).exists() and time.time() < deadline:
            time.sleep(0.02)
        t = time.perf_counter()
        with pytest.raises(WorkbookBusyError, match="đang chạy"):
            with writer_lock(target, wait=0.3):
                pass
        assert time.perf_counter() - t >= 0.3
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
        with writer_lock(target, wait=2):      # the kernel released it with the process
            assert lock_path(target).exists()
        assert not lock_path(target).exists()
    finally:
        if holder.is_alive():
            holder.kill()
    lock_path(target).write_text("12345 old run")   # a lock file left by an older version blocks nothing
    with writer_lock(target, wait=0):
        pass


def test_changed_file_is_reported_not_overwritten(tmp_path):
    book = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, book)
    with FileBook.for_update(book) as fb:
        fb.read_table(schema.TASKS.sheet, schema.TASKS.table)
        _excel_save(book, "sửa giữa chừng")
        fb.write_column(schema.TASKS.sheet, schema.TASKS.table, "Ghi chú", ["x"])
        with pytest.raises(WorkbookChangedError):
            fb.save()
    td = FileBook.open(book).read_table(schema.TASKS.sheet, schema.TASKS.table)
    assert td.row_values()[0][td.headers.index("Ghi chú")] == "sửa giữa chừng"
