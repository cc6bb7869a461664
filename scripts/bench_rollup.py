#!/usr/bin/env python3
"""Benchmark of the Sở's roll-up, side by side with the script a user would otherwise write, in one run.

Inputs: N schools' exchange files made by the school side itself — each school's data varied from the bundled
workbook, its report computed by the engine and written by the exchange writer (``cchc_xl.rollup.sample``, the
same code as ``cchc-xl sample-inbox``), in parallel worker processes (not timed). Files are kept in a cache folder
(``--cache``) and reused by later runs and larger sizes (school i is the same file at every size).

Measured, for each size, as whole processes started from a small launcher (``os.posix_spawn`` + ``os.wait4``: the
child's own peak memory, interpreter start and imports included), after one untimed pass that reads every file
so that both see the same warm disk cache:

* the **naive pandas script** (:func:`naive_rollup`): ``pd.read_excel(engine="calamine")`` of each file's data
  sheet, one long table, pivot, the latest file per unit, sums, and an XlsxWriter workbook (``to_excel``) — no
  screening, no validation, no database, everything in memory;
* ``cchc-xl rollup`` (``python -m cchc_xl.cli rollup INBOX --out … --period h1/2024 -q``) on a fresh output and
  database: every file screened, validated, stored in SQLite, aggregated, the ten-sheet workbook written;
* ``cchc-xl rollup`` again on the same inbox (nothing new).

Goals (issue #16): the roll-up ≤ 1.0× the naive script at 3,000 files; peak memory ≤ 300 MB at 3,000 and ≤ 400 MB
at 10,000 files; a second run < 2 s; 50,000 files < 4 minutes.

Usage: python scripts/bench_rollup.py [--files 3000 10000 50000] [--workers 2] [--cache DIR] [--runs 1]
       python scripts/bench_rollup.py --naive INBOX OUT.xlsx     (the naive script itself)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_RATIO_3000 = 1.0
GOAL_MB = {3000: 300, 10000: 400}
GOAL_SECOND_S = 2.0
GOAL_50000_S = 240.0

# The launcher: starts the measured process (posix_spawn) and reports its own peak memory and wall time.
_LAUNCHER = ("import os, sys, time, json\n"
             "t = time.perf_counter()\n"
             "pid = os.posix_spawn(sys.executable, [sys.executable] + sys.argv[1:], os.environ)\n"
             "_, status, ru = os.wait4(pid, 0)\n"
             "print(json.dumps({'seconds': time.perf_counter() - t, 'rss_mb': ru.ru_maxrss / 1024,"
             " 'code': os.waitstatus_to_exitcode(status)}))\n")


def naive_rollup(inbox: Path, out: Path) -> None:
    """What a user fluent in pandas would write: read each data sheet, pivot, keep each unit's latest file,
    sum the counts, write a workbook."""
    import pandas as pd

    frames = []
    for path in sorted(Path(inbox).glob("*.xlsx")):
        df = pd.read_excel(path, sheet_name="Dữ liệu trao đổi", engine="calamine")
        df["Tệp"] = path.name
        frames.append(df[["Tệp", "Khóa", "Giá trị"]])
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot(index="Tệp", columns="Khóa", values="Giá trị")
    latest = wide.sort_values("made_at").groupby("unit.code").tail(1).set_index("unit.code").sort_index()
    counts = latest[[k for k in latest.columns if k.split(".")[0] in ("tasks", "dossiers", "procedures")]]
    totals = counts.apply(pd.to_numeric).sum()
    with pd.ExcelWriter(out, engine="xlsxwriter") as xw:
        latest.to_excel(xw, sheet_name="Đơn vị")
        totals.to_frame("Toàn ngành").to_excel(xw, sheet_name="Toàn ngành")


def _make_chunk(args) -> int:
    start, stop, outdir = args
    from cchc_xl.rollup.sample import load_school, write_school

    data = load_school(ROOT / "workbook" / "CCHC_2024.xlsm")
    for i in range(start, stop):
        if not (Path(outdir) / f"BC_CCHC_h12024_{i:05d}.xlsx").exists():
            write_school(data, i, Path(outdir), "h1", 2024)
    return stop - start


def make_schools(folder: Path, n: int, workers: int) -> float:
    """Schools 0..n-1 in ``folder`` (those already there are kept); returns the seconds it took."""
    folder.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(n) if not (folder / f"BC_CCHC_h12024_{i:05d}.xlsx").exists()]
    if not missing:
        return 0.0
    t0 = time.perf_counter()
    step = max(1, len(missing) // (workers * 8))
    chunks = [(missing[a], missing[min(a + step, len(missing)) - 1] + 1, str(folder))
              for a in range(0, len(missing), step)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_make_chunk, chunks))
    return time.perf_counter() - t0


def inbox_of(schools: Path, inbox: Path, n: int) -> int:
    """An inbox of the first ``n`` schools' files (hard links where possible); returns its size in bytes."""
    inbox.mkdir(parents=True)
    total = 0
    for i in range(n):
        src = schools / f"BC_CCHC_h12024_{i:05d}.xlsx"
        dest = inbox / src.name
        try:
            os.link(src, dest)
        except OSError:
            shutil.copy2(src, dest)
        total += dest.stat().st_size
    return total


def measure(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _warm(inbox: Path) -> None:
    for p in inbox.iterdir():
        p.read_bytes()


def bench(n: int, schools: Path, work: Path, runs: int) -> dict:
    inbox = work / f"inbox_{n}"
    size = inbox_of(schools, inbox, n)
    _warm(inbox)
    naive, first, second = [], [], []
    for k in range(runs):
        out_dir = work / f"out_{n}_{k}"
        out_dir.mkdir()
        rollup = ["-m", "cchc_xl.cli", "rollup", str(inbox), "--out", str(out_dir / "TongHop.xlsx"),
                  "--period", "h1/2024", "-q"]
        first.append(measure(rollup))
        naive.append(measure([str(Path(__file__).resolve()), "--naive", str(inbox), str(out_dir / "naive.xlsx")]))
        second.append(measure(rollup))
        out = out_dir / "TongHop.xlsx"
        result = {"out_mb": out.stat().st_size / 1048576 if out.exists() else 0.0,
                  "db_mb": out.with_suffix(".sqlite").stat().st_size / 1048576
                  if out.with_suffix(".sqlite").exists() else 0.0}
    med = lambda xs, key: sorted(x[key] for x in xs)[len(xs) // 2]  # noqa: E731
    return {"n": n, "mb": size / 1048576, "naive_s": med(naive, "seconds"), "naive_mb": med(naive, "rss_mb"),
            "first_s": med(first, "seconds"), "first_mb": med(first, "rss_mb"), "second_s": med(second, "seconds"),
            "second_mb": med(second, "rss_mb"), "codes": (first[0]["code"], naive[0]["code"], second[0]["code"]),
            **result}


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(r: dict, runs: int) -> list[str]:
    n = r["n"]
    ratio = r["first_s"] / r["naive_s"] if r["naive_s"] else float("nan")
    lines = [f"{n:,} files ({r['mb']:.1f} MB), median of {runs}:",
             f"  naive pandas script (read_excel calamine + pivot + latest + sums + to_excel), exit {r['codes'][1]}: "
             f"{r['naive_s']:.2f} s, peak {r['naive_mb']:.0f} MB",
             f"  cchc-xl rollup, first run (screen + validate + store + aggregate + write), exit {r['codes'][0]}: "
             f"{r['first_s']:.2f} s, peak {r['first_mb']:.0f} MB; ratio to the naive script {ratio:.2f}"]
    goals = []
    if n == 3000:
        goals.append(f"ratio <= {GOAL_RATIO_3000}: {_met(ratio <= GOAL_RATIO_3000)}")
    if n in GOAL_MB:
        goals.append(f"peak <= {GOAL_MB[n]} MB: {_met(r['first_mb'] <= GOAL_MB[n])}")
    if n >= 50000:
        goals.append(f"< {GOAL_50000_S / 60:.0f} min: {_met(r['first_s'] < GOAL_50000_S)}")
    if goals:
        lines[-1] += " (goals: " + "; ".join(goals) + ")"
    lines.append(f"  cchc-xl rollup, second run (nothing new), exit {r['codes'][2]}: {r['second_s']:.2f} s, peak "
                 f"{r['second_mb']:.0f} MB (goal < {GOAL_SECOND_S:.0f} s: {_met(r['second_s'] < GOAL_SECOND_S)})")
    lines.append(f"  output: {r['out_mb']:.1f} MB workbook, {r['db_mb']:.1f} MB database")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive", nargs=2, metavar=("INBOX", "OUT"), help="run the naive script (measured process)")
    ap.add_argument("--files", type=int, nargs="+", default=[3000])
    ap.add_argument("--workers", type=int, default=2, help="processes making the files (not timed)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=None, help="folder keeping the generated schools' files")
    ap.add_argument("--keep", type=Path, default=None, help="keep the inboxes and outputs in this folder")
    args = ap.parse_args(argv)
    if args.naive:
        naive_rollup(Path(args.naive[0]), Path(args.naive[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="cchc_bench_rollup_") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        schools = args.cache or base / "schools"
        made = make_schools(schools, max(args.files), args.workers)
        print(f"exchange files made by the school side's writer (cchc_xl.rollup.sample): {max(args.files):,} in "
              f"'{schools}' ({made:.0f} s to make the missing ones); {os.cpu_count()} CPUs, Python "
              f"{sys.version.split()[0]}")
        for n in args.files:
            work = Path(tempfile.mkdtemp(prefix=f"run_{n}_", dir=base))
            for line in report(bench(n, schools, work, args.runs), args.runs):
                print(line, flush=True)
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
