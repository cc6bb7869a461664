#!/usr/bin/env python3
"""Scheduler entry point: consolidate the returned group copies into the master workbook.

    python scripts/consolidate.py workbook/CCHC_2024.xlsm --inbox D:/CCHC/hop_thu [--as-of 2024-06-14] [--send]

The ``consolidate`` command of ``cchc-xl`` (its arguments, help and error policy live in ``cchc_xl/cli.py``).
Exit codes: 0 ok, 2 completed with rejected files or a wrong argument (missing workbook or inbox), 3 failed,
4 another run in progress. See docs/SCHEDULING.md for Windows Task Scheduler and cron.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def main(argv: list[str] | None = None) -> int:
    from cchc_xl.cli import run_one

    return run_one("consolidate", argv, prog="consolidate.py")


if __name__ == "__main__":
    sys.exit(main())
