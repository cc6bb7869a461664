"""Run a command in a fresh process and measure it by itself: exit code, wall time, peak memory.

The measured process is started from a small launcher and reaped with ``os.wait4``, so its peak memory is
its own (a child forked from the test process would carry the test process's high-water mark on Linux).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_LAUNCHER = r"""
import json, os, subprocess, sys, time
out, err = open(sys.argv[1], "wb"), open(sys.argv[2], "wb")
t = time.perf_counter()
p = subprocess.Popen(sys.argv[3:], stdout=out, stderr=err)
_, status, ru = os.wait4(p.pid, 0)
print(json.dumps({"seconds": time.perf_counter() - t, "rss_mb": ru.ru_maxrss / 1024,
                  "code": os.waitstatus_to_exitcode(status)}))
"""


@dataclass
class Run:
    code: int
    seconds: float
    rss_mb: float
    stdout: str
    stderr: str


def measure(args: list[str], tmp: Path, timeout: float = 120) -> Run:
    """Run ``python args…`` (with this worktree first on the path) and measure it."""
    out, err = tmp / "stdout.txt", tmp / "stderr.txt"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, str(out), str(err), sys.executable, *args],
                          capture_output=True, text=True, timeout=timeout, env=env, check=True)
    r = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(r["code"], r["seconds"], r["rss_mb"], out.read_text(encoding="utf-8", errors="replace"),
               err.read_text(encoding="utf-8", errors="replace"))


def cli(*args: str) -> list[str]:
    return ["-m", "cchc_xl.cli", *args]
