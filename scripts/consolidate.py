#!/usr/bin/env python3
"""Scheduler entry point: consolidate the returned group copies into the master workbook.

    python scripts/consolidate.py workbook/CCHC_2024.xlsm --inbox D:/CCHC/hop_thu [--as-of 2024-06-14] [--send]

Exit codes: 0 ok, 2 completed with rejected files, 3 failed, 4 another run in progress.
See docs/SCHEDULING.md for Windows Task Scheduler and cron.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def main(argv: list[str] | None = None) -> int:
    from cchc_xl.distribute.cli import register_consolidate

    parser = argparse.ArgumentParser(prog="consolidate.py", description="Tổng hợp các bản tổ/nhóm gửi về.")
    sub = parser.add_subparsers()
    register_consolidate(sub)
    args = parser.parse_args(["consolidate", *(sys.argv[1:] if argv is None else argv)])
    if getattr(sys.stderr, "reconfigure", None):
        try:
            sys.stderr.reconfigure(encoding="utf-8")
            sys.stdout.reconfigure(encoding="utf-8")
        except (ValueError, OSError):
            pass
    try:
        return args.func(args)
    except Exception as exc:  # noqa: BLE001 - a scheduler needs an exit code, not a traceback only
        import traceback

        traceback.print_exc()
        print(f"Lỗi không mong đợi: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
