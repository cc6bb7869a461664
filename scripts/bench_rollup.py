#!/usr/bin/env python3
"""Benchmark of the Sở's roll-up: N schools' exchange files → ``cchc-xl rollup``.

Generates N exchange files with varied, plausible data (the bundled workbook's tasks, dossiers and
indicators, varied per school: unit code and name, task statuses and completion dates, the dossiers
received, their channel, outcome, rating; as-of date), each written by the school side's own writer
(:func:`cchc_xl.exchange.writer.write_exchange` from a computed result). Then runs the roll-up as the
scheduler would (``python -m cchc_xl.cli rollup``, a fresh process) and prints:

  * wall time of the first run (reads, screens, stores and aggregates N files, writes the workbook) —
    goal < 60 s for 3,000 files;
  * peak memory (max RSS) of that rollup process — goal < 1 GB;
  * wall time of a second run on the same inbox (nothing new) — goal < 5 s;
  * both relative to one ``python -m cchc_xl.cli --version`` start-up, measured in the same run.

Usage: python scripts/bench_rollup.py [--files 3000] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DISTRICTS = ("Kiến Thụy", "An Dương", "Thủy Nguyên", "Tiên Lãng", "Vĩnh Bảo", "Kiến An", "Đồ Sơn", "Ngô Quyền",
             "Lê Chân", "Hồng Bàng", "Hải An", "Dương Kinh", "An Lão", "Cát Hải", "Bạch Long Vĩ")
LEVELS = ("THPT", "THCS", "Tiểu học", "Mầm non", "THCS và THPT", "GDNN-GDTX")


def unit_identity(i: int) -> tuple[str, str]:
    """A plausible unit code and name for school number ``i``."""
    level = LEVELS[i % len(LEVELS)]
    district = DISTRICTS[(i // len(LEVELS)) % len(DISTRICTS)]
    return f"000.26.{i:04d}.H26", f"Trường {level} {district} số {i + 1}"


def vary(data, i: int, rng: random.Random, as_of: dt.date):
    """A copy of the bundled ``WorkbookData`` with school ``i``'s identity and varied tasks and dossiers."""
    code, name = unit_identity(i)
    settings = dataclasses.replace(data.settings, values=dict(data.settings.values))
    settings.values.update({"ma_dinh_danh": code, "ten_truong_ngan": name, "ten_truong": name.upper(),
                            "cach_tinh_hai_long": rng.choice(("QĐ 766", "QĐ 766", "Khảo sát"))})
    diligence = rng.random()
    tasks = []
    for t in data.tasks:
        r = rng.random()
        if r < 0.03:
            tasks.append(dataclasses.replace(t, status="cancelled", done_date=None))
        elif r < 0.15 + 0.6 * diligence:
            done = as_of - dt.timedelta(days=rng.randint(0, 150))
            tasks.append(dataclasses.replace(t, status="done", done_date=done, evidence=f"Số {rng.randint(1, 99)}/BC"))
        elif r < 0.9:
            tasks.append(dataclasses.replace(t, status="in_progress", done_date=None))
        else:
            tasks.append(dataclasses.replace(t, status="not_started", done_date=None))
    dossiers = []
    for k in range(rng.randint(0, 60)):
        base = rng.choice(data.dossiers)
        received = dt.datetime(2023, 12, 1, 8) + dt.timedelta(days=rng.randint(0, 190), hours=rng.randint(0, 8))
        if received.date() > as_of:
            continue
        status = rng.choices(("returned", "processing", "waiting", "withdrawn", "refused"), (80, 10, 4, 3, 3))[0]
        finished = None
        if status in ("returned", "refused", "withdrawn"):
            finished = min(as_of, received.date() + dt.timedelta(days=rng.randint(0, 12)))
        dossiers.append(dataclasses.replace(
            base, id=f"{code}-{k:04d}", received=received, status=status, finished=finished, appointment=None,
            channel=rng.choices(("direct", "online", "post"), (55, 40, 5))[0],
            digitised=rng.random() < 0.8 if status == "returned" else None,
            rating=rng.choice(("very_satisfied", "satisfied", "satisfied", "dissatisfied", None, None)),
            complaint=rng.random() < 0.03))
    return dataclasses.replace(data, settings=settings, tasks=tasks, dossiers=dossiers)


def _make_chunk(args) -> int:
    start, stop, outdir, seed = args
    from cchc_xl.engine import compute, load_data
    from cchc_xl.exchange.writer import write_exchange
    from cchc_xl.io.file_book import FileBook

    data = load_data(FileBook.open(ROOT / "workbook" / "CCHC_2024.xlsm"))
    for i in range(start, stop):
        rng = random.Random(seed * 100003 + i)
        as_of = dt.date(2024, 6, rng.randint(10, 14))
        result = compute(vary(data, i, rng, as_of), as_of=as_of, period="h1")
        made = dt.datetime(2024, 6, 14, 8) + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 10))
        path = write_exchange(result, Path(outdir) / f"BC_CCHC_6Thang2024_{i:05d}.xlsx", made_at=made)
        arrival = (made + dt.timedelta(hours=rng.randint(0, 72))).timestamp()  # when the mail was saved
        os.utime(path, (arrival, arrival))
    return stop - start


def make_inbox(outdir: Path, n: int, workers: int, seed: int = 2024) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    step = max(1, n // (workers * 4))
    chunks = [(a, min(n, a + step), str(outdir), seed) for a in range(0, n, step)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_make_chunk, chunks))


def timed(cmd: list[str]) -> tuple[float, int, int]:
    """Wall time (s), peak RSS (bytes) and exit code of one child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 2):
        sys.stderr.write(proc.stderr.read().decode("utf-8", "replace"))
    proc.stderr.close()
    return wall, usage.ru_maxrss * 1024, proc.returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2, help="processes generating the files (not timed)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the inbox and output in this folder")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cchc_bench_rollup_") as tmp:
        base = args.keep or Path(tmp)
        inbox, out = base / "inbox", base / "TongHop_CCHC.xlsx"
        t0 = time.perf_counter()
        make_inbox(inbox, args.files, args.workers)
        gen = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in inbox.iterdir()) / 1048576
        startup, _, _ = timed([sys.executable, "-m", "cchc_xl.cli", "--version"])
        cmd = [sys.executable, "-m", "cchc_xl.cli", "rollup", str(inbox), "--out", str(out), "--period", "h1/2024",
               "-q"]
        first, rss, code1 = timed(cmd)
        second, rss2, code2 = timed(cmd)
        print(f"inbox: {args.files} exchange files, {size:.1f} MB, generated in {gen:.0f} s; {os.cpu_count()} CPUs")
        print(f"interpreter start-up (cchc-xl --version): {startup:.2f} s")
        print(f"first rollup (read+screen+store+aggregate+write), exit {code1}: {first:.2f} s (goal < 60 s)")
        print(f"peak memory of the rollup process: {rss / 1048576:.0f} MB (goal < 1024 MB)")
        print(f"second rollup on the same inbox, nothing new, exit {code2}: {second:.2f} s (goal < 5 s); "
              f"peak {rss2 / 1048576:.0f} MB")
        print(f"ratios: first/start-up {first / startup:.1f}, second/start-up {second / startup:.1f}")
        print(f"output: {out.stat().st_size / 1048576:.1f} MB workbook, "
              f"{out.with_suffix('.sqlite').stat().st_size / 1048576:.1f} MB database")
    return 0


if __name__ == "__main__":
    sys.exit(main())
