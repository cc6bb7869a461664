#!/usr/bin/env python3
"""Scheduler entry point for the Sở: roll up every school's exchange file saved into the inbox.

    python scripts/rollup.py D:/SoGD/hop_thu --out D:/SoGD/TongHop_CCHC.xlsx [--period h1/2024] [--units don_vi.csv]

The same options as ``cchc-xl rollup`` (``--help``). Exit codes: 0 ok, 2 completed with rejected files,
3 failed (a wrong argument too), 4 another run in progress. See docs/SCHEDULING.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def main(argv: list[str] | None = None) -> int:
    from cchc_xl.cli import main as cli_main

    try:
        return cli_main(["rollup", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as exc:  # --help → 0; a wrong argument is a failed run for the scheduler (3), not 2
        return 0 if exc.code == 0 else 3


if __name__ == "__main__":
    sys.exit(main())
