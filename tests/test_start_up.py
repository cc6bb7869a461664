"""What a refresh loads and does on its way in and out, checked in fresh processes (not timed: the bench
measures time): only Vietnam's holiday rules, no pandas; a failure on the thread that imports ahead stays
silent there; the program spares its exit the collector's passes, a caller of main() does not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, tmp_path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), CCHC_XL_TODAY="2024-06-20")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                       check=True)
    return json.loads(r.stderr.strip().splitlines()[-1])


def test_refresh_loads_vietnam_alone_and_no_pandas(tmp_path):
    code = ("import sys, json, gc, io, contextlib, cchc_xl.cli as c\n"
            f"sys.argv = ['cchc-xl', 'refresh', {str(ROOT / 'workbook' / 'CCHC_2024.xlsm')!r}, '--as-of', "
            f"'2024-06-14', '--out', {str(tmp_path / 'out.xlsm')!r}]\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    code = c.main()\n"
            "print(json.dumps({'code': code, 'countries': sorted(m for m in sys.modules if m.startswith("
            "'holidays.countries')), 'pandas': 'pandas' in sys.modules, 'numpy': 'numpy' in sys.modules, "
            "'frozen': gc.get_freeze_count()}), file=sys.stderr)")
    seen = _run(code, tmp_path)
    assert seen["code"] == 0
    assert seen["countries"] == [] and not seen["pandas"] and seen["numpy"]
    assert seen["frozen"] > 10_000                       # the program ends: its objects are frozen


def test_main_with_arguments_leaves_the_collector_alone(tmp_path):
    """Tests (and any caller) pass argv: the process goes on, so nothing is frozen."""
    code = ("import sys, json, gc, io, contextlib, cchc_xl.cli as c\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    code = c.main(['check', {str(ROOT / 'workbook' / 'CCHC_2024.xlsm')!r}, '--as-of', '2024-06-14'])\n"
            "print(json.dumps({'code': code, 'frozen': gc.get_freeze_count()}), file=sys.stderr)")
    seen = _run(code, tmp_path)
    assert seen["frozen"] == 0 and seen["code"] in (0, 1)


def test_import_ahead_failure_is_silent_and_reported_where_used(tmp_path):
    """Should numpy fail to import on the second thread, nothing is printed there; the computation imports it
    again and the error surfaces as usual (here: the refresh fails with ImportError)."""
    code = ("import sys, json, io, contextlib\n"
            "sys.modules['numpy'] = None          # 'import numpy' raises ImportError\n"
            "import datetime as dt\n"
            "from cchc_xl.engine import refresh_file\n"
            "err = io.StringIO()\n"
            "try:\n"
            "    with contextlib.redirect_stderr(err):\n"
            f"        refresh_file({str(ROOT / 'workbook' / 'CCHC_2024.xlsm')!r}, as_of=dt.date(2024, 6, 14), "
            f"out={str(tmp_path / 'out.xlsm')!r})\n"
            "    raised = None\n"
            "except ImportError as exc:\n"
            "    raised = type(exc).__name__\n"
            "print(json.dumps({'raised': raised, 'stderr': err.getvalue()}), file=sys.stderr)")
    seen = _run(code, tmp_path)
    assert seen["raised"] == "ModuleNotFoundError" and seen["stderr"] == ""
    assert not (tmp_path / "out.xlsm").exists()
