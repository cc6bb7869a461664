#!/usr/bin/env python3
"""Scheduler entry point: consolidate the returned group copies into the master workbook.

    python scripts/consolidate.py workbook/CCHC_2024.xlsm --inbox D:/CCHC/hop_thu [--as-of 2024-06-14] [--send]

Exit codes: 0 ok, 2 completed with rejected files, 3 failed, 4 another run in progress.
See docs/SCHEDULING.md for Windows Task Scheduler and cron.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def main(argv: list[str] | None = None) -> int:
    from cchc_xl.cli import VietnameseArgumentParser, vietnamese_metavars, write_crash_log
    from cchc_xl.distribute.cli import register_consolidate

    made = []

    class _OneCommand:  # register_consolidate adds its arguments to the parser this returns
        def add_parser(self, name, help=None, **kwargs):
            made.append(VietnameseArgumentParser(prog="consolidate.py", **kwargs))
            return made[0]

    register_consolidate(_OneCommand())
    parser = made[0]
    vietnamese_metavars(parser)
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # --help → 0; a wrong argument is a failed run for the scheduler (3), not 2
        return 0 if exc.code == 0 else 3
    if getattr(sys.stderr, "reconfigure", None):
        try:
            sys.stderr.reconfigure(encoding="utf-8")
            sys.stdout.reconfigure(encoding="utf-8")
        except (ValueError, OSError):
            pass
    try:
        return args.func(args)
    except Exception as exc:  # noqa: BLE001 - a scheduler needs an exit code; the traceback goes to a log file
        path = write_crash_log(exc)
        print(f"Lỗi không mong đợi ({type(exc).__name__}). Chi tiết đã ghi vào '{path}'.", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
