#!/usr/bin/env python3
"""Scheduler entry point for the Sở: roll up every school's exchange file saved into the inbox.

    python scripts/rollup.py D:/SoGD/hop_thu --out D:/SoGD/TongHop_CCHC.xlsx [--period h1/2024] [--units don_vi.csv]

The same options as ``cchc-xl rollup`` (``--help``). Exit codes: 0 ok, 2 completed with rejected files or a user
error (a missing folder, a wrong ``--period``…), 3 failed (nothing changed), 4 another run in progress. See
docs/SCHEDULING.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def main(argv: list[str] | None = None) -> int:
    from cchc_xl.cli import run_one

    return run_one("rollup", argv, prog="rollup.py")


if __name__ == "__main__":
    sys.exit(main())
