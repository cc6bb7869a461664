#!/usr/bin/env python3
"""Benchmark: refresh of a 10,000-dossier / 300-task workbook vs. reading it with python-calamine.

Prints, measured in one run on this machine:
  * median wall time of ``refresh`` (read + compute + write + atomic save) over N runs;
  * median wall time of python-calamine reading every sheet of the same file (the floor:
    a fast Rust reader that computes and writes nothing);
  * their ratio (goal ≤ 3) and the peak memory of a refresh in a fresh process (goal < 500 MB).

Usage: python scripts/bench.py [--dossiers 10000] [--tasks 300] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
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


def make_workbook(path: Path, dossiers: int, tasks: int, seed: int = 2024,
                  source: Path = ROOT / "workbook" / "CCHC_2024.xlsm") -> Path:
    """The bundled workbook with its task and dossier tables filled with generated rows."""
    from cchc_xl import schema
    from cchc_xl.io.ooxml import Package, col_letter, parse_ref

    rng = random.Random(seed)
    pkg = Package.open(source)
    procedures = [t for t in pkg.tables() if t.name == schema.PROCEDURES.table][0]
    codes = [row[0].value for row in pkg.read_range(procedures.sheet, *_data_box(procedures.ref))]

    def fill(spec, count, make_row):
        info = [t for t in pkg.tables() if t.name == spec.table][0]
        r1, c1, r2, c2 = parse_ref(info.ref)
        cells = pkg.read_sheet(info.sheet).cells
        styles = {c: getattr(cells.get((r1 + 1, c)), "style", None) for c in range(c1, c2 + 1)}
        values, style_map = {}, {}
        for i in range(count):
            row = r1 + 1 + i
            for j, value in enumerate(make_row(i)):
                values[(row, c1 + j)] = value
                if styles.get(c1 + j) is not None:
                    style_map[(row, c1 + j)] = styles[c1 + j]
        pkg.set_cells(info.sheet, values, styles=style_map)
        pkg.set_table_ref(info.name, f"{col_letter(c1)}{r1}:{col_letter(c2)}{r1 + count}")

    statuses = list(schema.DOSSIER_STATUS)
    channels = list(schema.DOSSIER_CHANNEL)
    ratings = list(schema.RATING) + [None, None]

    def dossier(i):
        received = dt.datetime(2023, 12, 1, 7) + dt.timedelta(days=rng.randint(0, 375), hours=rng.randint(0, 10))
        status = rng.choices(statuses, weights=[10, 2, 80, 3, 5])[0]
        finished = (received + dt.timedelta(days=rng.randint(0, 12))).date() if status in (
            "Đã trả kết quả", "Từ chối") else None
        return [f"THPTKT-{received:%y%m%d}-{i:05d}", rng.choice(codes), "", received, rng.choice(channels), None,
                finished, status, rng.choice(["Có", "Không"]), rng.choice(ratings), rng.choice(["Có"] + ["Không"] * 9),
                None, None]

    task_status = list(schema.TASK_STATUS)
    frames = ["Trước ngày 25/1/2024", "Cả năm 2024", "Quý II/2024", "Tháng 6/2024", "6 tháng đầu năm 2024",
              "Thường xuyên", "Hằng quý", "Quý III/2024", "Tháng 12/2024"]

    def task(i):
        status = rng.choice(task_status)
        done = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 300)) if status == "Hoàn thành" else None
        area = i % 7 + 1
        return [f"{area}.{i // 7 + 1}", f"{area}. {schema.AREAS[area]}", f"Nhiệm vụ số {i + 1}",
                f"Tổ {i % 6 + 1}", "Tổ trưởng", rng.choice(frames), None, "Báo cáo", status, done, "", "", None]

    fill(schema.DOSSIERS, dossiers, dossier)
    fill(schema.TASKS, tasks, task)
    pkg.save(path, backup=False)
    return path


def _data_box(ref: str):
    from cchc_xl.io.ooxml import parse_ref

    r1, c1, r2, c2 = parse_ref(ref)
    return r1 + 1, c1, r2, c2


def time_refresh(path: Path, out: Path, runs: int) -> list[float]:
    from cchc_xl.engine import refresh_file

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        refresh_file(path, out=out, as_of=dt.date(2024, 12, 14), backup=False)
        times.append(time.perf_counter() - start)
    return times


def time_calamine(path: Path, runs: int) -> list[float]:
    from python_calamine import CalamineWorkbook

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
        times.append(time.perf_counter() - start)
    return times


def peak_memory_mb(path: Path, out: Path) -> float:
    code = (
        "import resource, datetime as dt, sys; sys.path.insert(0, %r)\n"
        "from cchc_xl.engine import refresh_file\n"
        "refresh_file(%r, out=%r, as_of=dt.date(2024, 12, 14), backup=False)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n" % (str(ROOT), str(path), str(out))
    )
    kb = int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()[-1])
    return kb / 1024


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
    import json

    sys.path.insert(0, str(ROOT / "tests" / "excel"))
    from remote import build_payload, clean

    payload_file = folder / (path.stem + ".payload.json")
    payload_file.write_text(json.dumps(clean(build_payload(path)), ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, XLWINGS_LICENSE_KEY=os.environ.get("XLWINGS_LICENSE_KEY", "noncommercial"),
               PYTHONPATH=str(ROOT))
    start = time.time()
    done = subprocess.run([sys.executable, "-c", _RIBBON_ACTION, str(payload_file), repr(start)], check=True,
                          capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="folder to keep the generated workbook in")
    parser.add_argument("--no-excel", action="store_true", help="skip the xlwings remote-engine part")
    parser.add_argument("--source", default=str(ROOT / "workbook" / "CCHC_2024.xlsm"),
                        help="workbook to fill (default: the bundled one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = make_workbook(folder / "bench.xlsm", args.dossiers, args.tasks, source=Path(args.source))
        out = folder / "bench_out.xlsm"
        size = path.stat().st_size / 1024 / 1024
        refresh = time_refresh(path, out, args.runs)
        calamine = time_calamine(path, args.runs)
        memory = peak_memory_mb(path, out)
        r, c = statistics.median(refresh), statistics.median(calamine)
        print(f"workbook: {args.dossiers} dossiers, {args.tasks} tasks, {size:.2f} MB, {os.cpu_count()} CPUs")
        print(f"refresh (read+compute+write+save), median of {args.runs}: {r:.3f} s")
        print(f"python-calamine read of all sheets, median of {args.runs}: {c:.3f} s")
        print(f"ratio refresh/calamine: {r / c:.2f} (goal <= 3)")
        print(f"peak memory of one refresh in a fresh process: {memory:.0f} MB (goal < 500 MB)")
        if not args.no_excel:
            small = make_workbook(folder / "bench_1000.xlsm", 1_000, args.tasks, source=Path(args.source))
            for label, book in (("1,000", small), (f"{args.dossiers:,}", path)):
                runs = [ribbon_action(book, folder) for _ in range(3)]
                best = statistics.median(r["seconds"] for r in runs)
                r0 = runs[0]
                print(f"ribbon action via xlwings remote engine, {label} dossiers: {best:.2f} s median of 3 incl. "
                      f"interpreter start-up and imports (goal < 2 s); xlwings calls {r0['calls']} "
                      f"(reads {r0['reads']}, writes {r0['writes']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
