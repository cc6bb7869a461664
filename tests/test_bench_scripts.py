"""The benchmark scripts still run and print every figure the README quotes (on tiny inputs: the figures
themselves are not checked here — speed goals live in the scripts, not in timed tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=cwd)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_refresh_bench_prints_its_figures(tmp_path):
    out = _run(str(ROOT / "scripts" / "bench.py"), "--dossiers", "300", "--tasks", "20", "--runs", "1",
               "--no-big", "--no-excel", "--no-openpyxl", cwd=tmp_path)
    for line in ("workbook: 300 dossiers, 20 tasks", "in-process, interleaved, median of 1: refresh",
                 "first refresh of a never-refreshed copy", "whole processes, interleaved, median of 1: the refresh "
                 "command", "peak memory of the refresh command by itself",
                 "first refresh after an import (300 dossiers imported into the bundled workbook, year report)"):
        assert line in out, out
    assert "ratio" in out and " MB" in out


def test_rollup_bench_prints_its_figures(tmp_path):
    out = _run(str(ROOT / "scripts" / "bench_rollup.py"), "--files", "4", "--keep", str(tmp_path / "kept"),
               cwd=tmp_path)
    for line in ("exchange files made by the school side's writer", "4 files (",
                 "naive pandas script (read_excel calamine + pivot + latest + sums + to_excel), exit 0",
                 "cchc-xl rollup, first run (screen + validate + store + aggregate + write), exit 0",
                 "ratio to the naive script", "cchc-xl rollup, second run (nothing new), exit 0"):
        assert line in out, out
    assert " MB" in out
