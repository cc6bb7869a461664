#!/usr/bin/env python3
"""Scheduler entry point for the Sở's mailbox: collect the schools' reports from IMAP, roll them up, answer
each school — ``cchc-xl mailbox`` as a program of its own.

    python scripts/mailbox.py D:/SoGD/hop_thu --out D:/SoGD/TongHop_CCHC.xlsx --host mail.sogd.vn --user so@sogd.vn

The same options as ``cchc-xl mailbox`` (``--help``). Exit codes: 0 ok, 1 data problems (messages skipped, files
rejected), 2 a user error or a fault of the machine (settings, login, TLS, network, disk), 3 unexpected, 4 another
run in progress. See docs/SCHEDULING.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def main(argv: list[str] | None = None) -> int:
    from cchc_xl.cli import run_one

    return run_one("mailbox", argv, prog="scripts/mailbox.py")


if __name__ == "__main__":
    sys.exit(main())
