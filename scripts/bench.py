#!/usr/bin/env python3
"""Benchmark: what a refresh costs next to reading the same file with python-calamine, measured in one run.

Prints, for a generated workbook (the bundled one with its task and dossier tables filled):

* refresh (read + compute + write + atomic save) and python-calamine reading every sheet, **interleaved**
  in one process (refresh, calamine, refresh, …) so that load drift lands on both sides; medians and ratio;
* the same as **whole processes** (interpreter start and imports included), interleaved too: the
  ``cchc-xl refresh`` command as a user runs it (``python -m cchc_xl.cli refresh …``), and a script that
  only calls ``refresh_file`` (how earlier versions of this bench measured it);
* the **peak memory of the refresh process by itself**: each measured process is started from a small
  launcher (``os.posix_spawn`` + ``os.wait4``), so the bench's own memory is not counted (a forked child
  carries its parent's high-water mark on Linux);
* the case a school meets after every import: the **first refresh of a freshly imported workbook** (the bundled
  workbook with 10,000 dossiers brought in by ``import-dossiers`` from a one-stop export, never refreshed since),
  year report, as whole processes — the ``cchc-xl refresh`` command next to python-calamine reading the same file;
* the peer a user would otherwise write: openpyxl load (keep_vba) + two columns + save, on the same file;
* 100,000 dossiers: refresh time, ratio to calamine, peak memory; ``import-dossiers`` of 100,000 rows
  (CSV) into the bundled workbook: time and peak memory;
* a ribbon action ("Cập nhật tất cả") through the xlwings adapter over xlwings' remote engine, at 1,000 and
  10,000 dossiers: time from interpreter start, and the number of xlwings calls (goal: constant).

Goals (docs: README, "Benchmark"): 10,000 dossiers ≤ 2.5× calamine in-process and ≤ 3× as whole processes (the
first refresh after an import too);
100,000 dossiers ≤ 3× calamine and < 400 MB; import of 100,000 rows < 10 s and < 500 MB; ribbon < 2 s.

Usage: python scripts/bench.py [--dossiers 10000] [--big 100000] [--runs 5] [--keep DIR] [--no-excel]
       [--no-big] [--no-openpyxl]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
AS_OF = dt.date(2024, 12, 14)


# ------------------------------------------------------------------------------------------- workbooks

def _dossier_rows(n: int, codes: list[str], rng: random.Random):
    from cchc_xl import schema

    statuses, channels = list(schema.DOSSIER_STATUS), list(schema.DOSSIER_CHANNEL)
    ratings = list(schema.RATING) + [None, None]
    for i in range(n):
        received = dt.datetime(2023, 12, 1, 7) + dt.timedelta(days=rng.randint(0, 375), hours=rng.randint(0, 10))
        status = rng.choices(statuses, weights=[10, 2, 80, 3, 5])[0]
        finished = (received + dt.timedelta(days=rng.randint(0, 12))).date() if status in (
            "Đã trả kết quả", "Từ chối") else None
        yield [f"THPTKT-{received:%y%m%d}-{i:06d}", rng.choice(codes), None, received, rng.choice(channels), None,
               finished, status, rng.choice(["Có", "Không"]), rng.choice(ratings),
               rng.choice(["Có"] + ["Không"] * 9), None, None]


def make_workbook(path: Path, dossiers: int, tasks: int, seed: int = 2024,
                  source: Path = ROOT / "workbook" / "CCHC_2024.xlsm", refreshed: bool = True) -> Path:
    """The bundled workbook with its task and dossier tables filled with generated rows (and refreshed as of
    the day before :data:`AS_OF`, unless ``refreshed`` is False: then every computed cell is empty)."""
    from cchc_xl import schema
    from cchc_xl.io.ooxml import Package, col_letter, parse_ref

    rng = random.Random(seed)
    pkg = Package.open(source)
    codes = [row[0] for row in pkg.read_table(schema.PROCEDURES.table).row_values() if row and row[0]]

    def fill(spec, rows):
        info = pkg.table(spec.table)
        r1, c1, _, c2 = parse_ref(info.ref)
        styles = pkg.sheet_text(info.sheet).row_styles(r1 + 1)
        pkg.set_rows(info.sheet, r1 + 1, c1, rows, [styles.get(c) for c in range(c1, c2 + 1)])
        pkg.set_table_ref(info.name, f"{col_letter(c1)}{r1}:{col_letter(c2)}{r1 + len(rows)}")

    task_status = list(schema.TASK_STATUS)
    frames = ["Trước ngày 25/1/2024", "Cả năm 2024", "Quý II/2024", "Tháng 6/2024", "6 tháng đầu năm 2024",
              "Thường xuyên", "Hằng quý", "Quý III/2024", "Tháng 12/2024"]

    def task(i):
        status = rng.choice(task_status)
        done = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 300)) if status == "Hoàn thành" else None
        area = i % 7 + 1
        return [f"{area}.{i // 7 + 1}", f"{area}. {schema.AREAS[area]}", f"Nhiệm vụ số {i + 1}",
                f"Tổ {i % 6 + 1}", "Tổ trưởng", rng.choice(frames), None, "Báo cáo", status, done, None, None, None]

    fill(schema.DOSSIERS, list(_dossier_rows(dossiers, codes, rng)))
    fill(schema.TASKS, [task(i) for i in range(tasks)])
    pkg.save(path, backup=False)
    if refreshed:      # as a school's workbook is: refreshed the day before the measured refresh
        from cchc_xl.engine import refresh_file

        refresh_file(path, as_of=AS_OF - dt.timedelta(days=1), backup=False)
    return path


def make_import_csv(path: Path, rows: int, source: Path, seed: int = 7) -> Path:
    """A one-stop export (CSV UTF-8) of ``rows`` dossiers with the procedure codes of ``source``."""
    from cchc_xl import schema
    from cchc_xl.io.ooxml import Package

    codes = [v[0] for v in Package.open(source).read_table(schema.PROCEDURES.table).row_values() if v[0]]
    headers = ["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Hình thức nộp", "Ngày hẹn trả", "Ngày có kết quả",
               "Trạng thái", "Số hóa kết quả", "Đánh giá", "Có phản ánh"]
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for row in _dossier_rows(rows, codes, rng):
            code, proc, _, received, channel, _, finished, status, digit, rating, complaint = row[:11]
            w.writerow([f"NHAP-{code}", proc, f"{received:%d/%m/%Y %H:%M}", channel, "",
                        f"{finished:%d/%m/%Y}" if finished else "", status, digit, rating or "", complaint])
    return path


# ------------------------------------------------------------------------------------------- measuring

# The command as a user runs it (its summary discarded): ``cchc-xl refresh SRC --as-of … --out OUT``.
_COMMAND = ("import sys, io, contextlib, runpy; sys.path.insert(0, {root!r})\n"
            "sys.argv = ['cchc-xl', 'refresh', {src!r}, '--as-of', '2024-12-14', '--out', {out!r}]\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    runpy.run_module('cchc_xl.cli', run_name='__main__')\n")
_REFRESH = ("import sys, datetime as dt; sys.path.insert(0, {root!r})\n"
            "from cchc_xl.engine import refresh_file\n"
            "refresh_file({src!r}, out={out!r}, as_of=dt.date(2024, 12, 14), backup=False)\n")
_CALAMINE = ("from python_calamine import CalamineWorkbook\n"
             "book = CalamineWorkbook.from_path({src!r})\n"
             "for name in book.sheet_names:\n"
             "    book.get_sheet_by_name(name).to_python()\n")
_IMPORT = ("import sys; sys.path.insert(0, {root!r})\n"
           "from cchc_xl.io.import_dossiers import import_dossiers\n"
           "import_dossiers({src!r}, {csv!r}, out={out!r})\n")
# A small launcher: it starts the measured process (posix_spawn) and reports the child's own peak memory
# (os.wait4) and wall time, interpreter start included.
_LAUNCHER = ("import os, sys, time, json\n"
             "t = time.perf_counter()\n"
             "pid = os.posix_spawn(sys.executable, [sys.executable, '-c', sys.argv[1]], os.environ)\n"
             "_, status, ru = os.wait4(pid, 0)\n"
             "print(json.dumps({'seconds': time.perf_counter() - t, 'rss_mb': ru.ru_maxrss / 1024,"
             " 'status': status}))\n")


# The measured processes find their compiled bytecode, as an installed copy does (pip compiles it when it
# installs; an editable install writes __pycache__ on first use) — unless PYTHONDONTWRITEBYTECODE is set, as on
# some development machines, where every process would compile cchc_xl's sources again (~40 ms). The cache goes
# to a folder of the bench's own (PYTHONPYCACHEPREFIX), not into the source tree.
_PROCESS_ENV = dict(os.environ)


def use_bytecode_cache(folder: Path) -> bool:
    """Give the measured processes a bytecode cache in ``folder``; True when the environment had none."""
    had_none = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    _PROCESS_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    _PROCESS_ENV["PYTHONPYCACHEPREFIX"] = str(folder)
    return had_none


def run_process(code: str) -> dict:
    """Wall time and peak memory (MB) of ``python -c code`` started from the small launcher."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, code], check=True, capture_output=True, text=True,
                          env=_PROCESS_ENV)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["status"] != 0:
        raise RuntimeError(f"measured process failed ({result['status']}): {code[:200]}")
    return result


def refresh_once(path: Path, out: Path) -> float:
    from cchc_xl.engine import refresh_file

    start = time.perf_counter()
    refresh_file(path, out=out, as_of=AS_OF, backup=False)
    return time.perf_counter() - start


def calamine_once(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - start


def interleaved(runs: int, *measures) -> list[list[float]]:
    """Run each measure ``runs`` times, alternating (a, b, a, b, …); returns the times of each."""
    out: list[list[float]] = [[] for _ in measures]
    for _ in range(runs):
        for times, measure in zip(out, measures):
            times.append(measure())
    return out


def first_refresh_after_import(folder: Path, dossiers: int, runs: int) -> dict:
    """The bundled workbook with ``dossiers`` rows imported from a one-stop export (``import-dossiers``), then its
    first refresh — the year report — as the ``cchc-xl refresh`` command, each run from the freshly imported file
    (the output goes elsewhere), interleaved with python-calamine reading that file; whole processes, medians."""
    from cchc_xl.io.import_dossiers import import_dossiers

    bundled = ROOT / "workbook" / "CCHC_2024.xlsm"
    csv_file = make_import_csv(folder / f"mot_cua_{dossiers}.csv", dossiers, bundled)
    imported = folder / f"imported_{dossiers}.xlsm"
    import_dossiers(bundled, csv_file, out=imported)
    code_r = _COMMAND.format(root=str(ROOT), src=str(imported), out=str(folder / f"imported_{dossiers}_out.xlsm"))
    code_c = _CALAMINE.format(src=str(imported))
    for code in (code_r, code_c):                                   # compiles and caches the bytecode
        run_process(code)
    pr, pc = interleaved(runs, lambda: run_process(code_r), lambda: run_process(code_c))
    r, c = (statistics.median(x["seconds"] for x in xs) for xs in (pr, pc))
    return {"refresh": r, "calamine": c, "ratio": r / c}


def openpyxl_round_trip(path: Path, out: Path) -> float:
    """The naive peer: openpyxl loads the workbook (keep_vba), writes the two computed dossier columns, saves."""
    import openpyxl

    start = time.perf_counter()
    wb = openpyxl.load_workbook(path, keep_vba=True)
    ws = wb["Hồ sơ TTHC"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 12).value = dt.datetime(2024, 12, 14)
        ws.cell(r, 13).value = "Đúng hạn"
    wb.save(out)
    return time.perf_counter() - start


_RIBBON_ACTION = """
import json, sys, time
start = float(sys.argv[2])
import xlwings as xw
from cchc_xl.engine import refresh_book
from cchc_xl.excel.xw_book import XwBook
payload = json.load(open(sys.argv[1], encoding="utf-8"))
book = xw.Book(json=payload)
xb = XwBook(book)
refresh_book(xb, progress=xb.progress)
actions = book.json()["actions"]
print(json.dumps({"seconds": time.time() - start, "calls": xb.calls, "reads": xb.reads, "writes": xb.writes,
                  "actions": len(actions)}))
"""


def ribbon_action(path: Path, folder: Path) -> dict:
    """One "Cập nhật tất cả" through the xlwings adapter over xlwings' remote engine, in a fresh interpreter.

    The time runs from just before the interpreter starts (as RunPython starts one) to the end of the
    action; building the payload, which Excel itself would not need, is excluded.
    """
    sys.path.insert(0, str(ROOT / "tests" / "excel"))
    from remote import build_payload, clean

    payload_file = folder / (path.stem + ".payload.json")
    payload_file.write_text(json.dumps(clean(build_payload(path)), ensure_ascii=False), encoding="utf-8")
    env = dict(_PROCESS_ENV, XLWINGS_LICENSE_KEY=os.environ.get("XLWINGS_LICENSE_KEY", "noncommercial"),
               PYTHONPATH=str(ROOT))
    start = time.time()
    done = subprocess.run([sys.executable, "-c", _RIBBON_ACTION, str(payload_file), repr(start)], check=True,
                          capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _goal(ok: bool) -> str:
    return "met" if ok else "NOT met"


# ------------------------------------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000, help="dossiers of the big workbook and import")
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="folder to keep the generated files in")
    parser.add_argument("--no-excel", action="store_true", help="skip the xlwings remote-engine part")
    parser.add_argument("--no-big", action="store_true", help="skip the 100,000-dossier part")
    parser.add_argument("--no-openpyxl", action="store_true", help="skip the openpyxl round trip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = make_workbook(folder / "bench.xlsm", args.dossiers, args.tasks)
        out = folder / "bench_out.xlsm"
        size = path.stat().st_size / 1024 / 1024
        print(f"workbook: {args.dossiers:,} dossiers, {args.tasks} tasks, {size:.2f} MB, {os.cpu_count()} CPUs, "
              f"Python {sys.version.split()[0]}")

        refresh_once(path, out)                                    # warm up imports and caches
        calamine_once(path)
        r_times, c_times = interleaved(args.runs, lambda: refresh_once(path, out), lambda: calamine_once(path))
        r, c = statistics.median(r_times), statistics.median(c_times)
        print(f"in-process, interleaved, median of {args.runs}: refresh (a day after the last one) {r:.3f} s, "
              f"python-calamine read of all sheets {c:.3f} s, ratio {r / c:.2f} (goal <= 2.5: {_goal(r / c <= 2.5)})")

        first = make_workbook(folder / "bench_first.xlsm", args.dossiers, args.tasks, refreshed=False)
        f_times, c2_times = interleaved(args.runs, lambda: refresh_once(first, out), lambda: calamine_once(first))
        f, c2 = statistics.median(f_times), statistics.median(c2_times)
        print(f"first refresh of a never-refreshed copy (every computed cell written), median of {args.runs}: "
              f"{f:.3f} s, calamine {c2:.3f} s, ratio {f / c2:.2f}")

        code_r = _COMMAND.format(root=str(ROOT), src=str(path), out=str(out))
        code_s = _REFRESH.format(root=str(ROOT), src=str(path), out=str(out))
        code_c = _CALAMINE.format(src=str(path))
        if use_bytecode_cache(folder / "pycache"):
            print("(PYTHONDONTWRITEBYTECODE is set here: the measured processes get a bytecode cache of the bench's "
                  "own, as an installed copy has)")
        for code in (code_r, code_s, code_c):                      # compiles and caches the bytecode
            run_process(code)
        pr, ps, pc = interleaved(args.runs, lambda: run_process(code_r), lambda: run_process(code_s),
                                 lambda: run_process(code_c))
        wr, ws, wc = (statistics.median(x["seconds"] for x in runs) for runs in (pr, ps, pc))
        mem_r, mem_c = max(x["rss_mb"] for x in pr), max(x["rss_mb"] for x in pc)
        print(f"whole processes, interleaved, median of {args.runs}: the refresh command {wr:.3f} s, calamine "
              f"{wc:.3f} s, ratio {wr / wc:.2f} (goal <= 3: {_goal(wr / wc <= 3)}); a script calling refresh_file "
              f"{ws:.3f} s, ratio {ws / wc:.2f}")
        print(f"peak memory of the refresh command by itself: {mem_r:.0f} MB (calamine process: {mem_c:.0f} MB)")

        imported = first_refresh_after_import(folder, args.dossiers, args.runs)
        print(f"first refresh after an import ({args.dossiers:,} dossiers imported into the bundled workbook, year "
              f"report), whole processes, interleaved, median of {args.runs}: the refresh command "
              f"{imported['refresh']:.3f} s, calamine {imported['calamine']:.3f} s, ratio {imported['ratio']:.2f} "
              f"(goal <= 3: {_goal(imported['ratio'] <= 3)})")

        if not args.no_openpyxl:
            o = openpyxl_round_trip(path, folder / "openpyxl_out.xlsm")
            print(f"peer: openpyxl load(keep_vba) + two columns + save: {o:.3f} s, ratio to calamine {o / c:.1f} "
                  f"(it also drops the ribbon and text boxes, so it is not an option for the master)")

        if not args.no_big:
            big = make_workbook(folder / "bench_big.xlsm", args.big, args.tasks)
            big_out = folder / "bench_big_out.xlsm"
            runs = max(2, min(args.runs, 3))
            r_big, c_big = interleaved(runs, lambda: refresh_once(big, big_out), lambda: calamine_once(big))
            rb, cb = statistics.median(r_big), statistics.median(c_big)
            mem_big = run_process(_REFRESH.format(root=str(ROOT), src=str(big), out=str(big_out)))
            print(f"{args.big:,} dossiers ({big.stat().st_size / 1048576:.1f} MB): refresh {rb:.2f} s, calamine "
                  f"{cb:.2f} s, ratio {rb / cb:.2f} (goal <= 3: {_goal(rb / cb <= 3)}); peak memory "
                  f"{mem_big['rss_mb']:.0f} MB (goal < 400 MB: {_goal(mem_big['rss_mb'] < 400)})")
            csv_file = make_import_csv(folder / "mot_cua.csv", args.big, ROOT / "workbook" / "CCHC_2024.xlsm")
            imp = run_process(_IMPORT.format(root=str(ROOT), src=str(ROOT / "workbook" / "CCHC_2024.xlsm"),
                                             csv=str(csv_file), out=str(folder / "imported.xlsm")))
            print(f"import-dossiers of {args.big:,} rows (CSV {csv_file.stat().st_size / 1048576:.1f} MB): "
                  f"{imp['seconds']:.2f} s incl. interpreter start (goal < 10 s: {_goal(imp['seconds'] < 10)}); "
                  f"peak memory {imp['rss_mb']:.0f} MB (goal < 500 MB: {_goal(imp['rss_mb'] < 500)})")
            after = run_process(_REFRESH.format(root=str(ROOT), src=str(folder / "imported.xlsm"),
                                                out=str(folder / "imported_out.xlsm")))
            print(f"refresh after that import: {after['seconds']:.2f} s, peak memory {after['rss_mb']:.0f} MB "
                  f"(goal < 500 MB: {_goal(after['rss_mb'] < 500)})")

        if not args.no_excel:
            small = make_workbook(folder / "bench_1000.xlsm", 1_000, args.tasks)
            calls = set()
            for label, book in (("1,000", small), (f"{args.dossiers:,}", path)):
                runs = [ribbon_action(book, folder) for _ in range(3)]
                best = statistics.median(x["seconds"] for x in runs)
                r0 = runs[0]
                calls.add(r0["calls"])
                print(f"ribbon action via xlwings remote engine, {label} dossiers: {best:.2f} s median of 3 incl. "
                      f"interpreter start-up and imports (goal < 2 s: {_goal(best < 2)}); xlwings calls "
                      f"{r0['calls']} (reads {r0['reads']}, writes {r0['writes']})")
            print(f"xlwings calls constant with the number of dossiers: {_goal(len(calls) == 1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
