"""Issue #17 §2: every wait for the writer lock is bounded.

``max(nan, 0)`` is ``nan``, and ``deadline = now + nan`` is never reached: ``CCHC_LOCK_WAIT_SECONDS=nan`` (also
``inf`` and ``1e400``, which is ``inf``) and ``consolidate --wait nan`` used to wait for ever while another run
held the lock. A value that is not a finite number ≥ 0 now gives the default (10 s) with one ``Chú ý: …`` line;
a value above an hour gives an hour. The runs below start while another process holds the lock, all at once
(four waits of 10 s in about 10 s), and must each end with exit code 4.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from cchc_xl.errors import CchcWarning
from cchc_xl.io.writelock import LOCK_WAIT_SECONDS, MAX_LOCK_WAIT_SECONDS, lock_path, lock_wait, writer_lock

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
_fork = multiprocessing.get_context("fork")


def _hold(path: str, seconds: float) -> None:
    with writer_lock(path, wait=0):
        time.sleep(seconds)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if k != "CCHC_LOCK_WAIT_SECONDS"}
    full.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.Popen([sys.executable, "-m", "cchc_xl.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=full)


@pytest.mark.parametrize("value,expected", [("nan", LOCK_WAIT_SECONDS), ("inf", LOCK_WAIT_SECONDS),
                                            ("-inf", LOCK_WAIT_SECONDS), ("1e400", LOCK_WAIT_SECONDS),
                                            ("-5", LOCK_WAIT_SECONDS), ("mười", LOCK_WAIT_SECONDS),
                                            ("7200", MAX_LOCK_WAIT_SECONDS), ("2.5", 2.5), ("0", 0.0)])
def test_the_setting_is_bounded(monkeypatch, value, expected):
    monkeypatch.setenv("CCHC_LOCK_WAIT_SECONDS", value)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert lock_wait() == expected
    told = [str(w.message) for w in seen if issubclass(w.category, CchcWarning)]
    if value in ("2.5", "0"):
        assert not told
    else:
        assert len(told) == 1 and "CCHC_LOCK_WAIT_SECONDS" in told[0] and value in told[0]


def test_an_explicit_wait_is_bounded_too():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert [lock_wait(v) for v in (float("nan"), float("inf"), -1.0, 1e9, 3.0)] == \
            [LOCK_WAIT_SECONDS, LOCK_WAIT_SECONDS, LOCK_WAIT_SECONDS, MAX_LOCK_WAIT_SECONDS, 3.0]
    assert len(seen) == 4 and all("--wait" in str(w.message) for w in seen)


def test_nan_and_inf_waits_end_with_exit_4_while_the_lock_is_held(tmp_path):
    book = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, book)
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    before = book.read_bytes()
    holder = _fork.Process(target=_hold, args=(str(book), 120))
    holder.start()
    try:
        deadline = time.time() + 10
        while not lock_path(book).exists() and time.time() < deadline:
            time.sleep(0.02)
        runs = {f"env {v}": _start(["refresh", str(book), "--as-of", "2024-06-14"], {"CCHC_LOCK_WAIT_SECONDS": v})
                for v in ("nan", "inf", "1e400")}
        runs["--wait nan"] = _start(["consolidate", str(book), "--inbox", str(inbox), "--wait", "nan", "-q"], {})
        runs["--wait inf"] = _start(["consolidate", str(book), "--inbox", str(inbox), "--wait", "inf", "-q"],
                                    {"CCHC_LOCK_WAIT_SECONDS": "0.2"})
        t = time.perf_counter()
        results = {}
        for name, p in runs.items():
            out, err = p.communicate(timeout=LOCK_WAIT_SECONDS + 50)     # for ever before: a timeout here
            results[name] = (p.returncode, out, err)
        elapsed = time.perf_counter() - t
    finally:
        holder.kill()
        holder.join()
    for name, (code, _out, err) in results.items():
        assert code == 4, (name, code, err)
        assert "Chú ý:" in err and "không phải một số giây hợp lệ" in err, (name, err)
        assert "Traceback" not in err and "đang chạy" in err, (name, err)
    assert LOCK_WAIT_SECONDS - 1 <= elapsed < LOCK_WAIT_SECONDS + 40      # the default wait, not for ever
    assert book.read_bytes() == before


def test_a_wait_above_an_hour_is_cut_to_an_hour_with_a_warning(tmp_path):
    book = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, book)
    r = subprocess.run([sys.executable, "-m", "cchc_xl.cli", "refresh", str(book), "--as-of", "2024-06-14"],
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                            "CCHC_LOCK_WAIT_SECONDS": "86400"}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("Chú ý:") == 1 and "3600 giây" in r.stderr and "Đã ghi kết quả" in r.stdout
