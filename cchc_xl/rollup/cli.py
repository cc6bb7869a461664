"""The ``rollup`` subcommand (its arguments are in :data:`cchc_xl.cli.COMMANDS`): parse → :func:`cchc_xl.rollup.run.rollup` → one summary and an exit code."""

from __future__ import annotations

import sys

__all__ = ["run_rollup"]


def run_rollup(args) -> int:
    from ..progress import text_progress
    from ..errors import CchcError
    from .run import EXIT_FAILED, RollupOptions, rollup

    options = RollupOptions(issuer=args.issuer or "", issuer_parent=args.issuer_parent or "", place=args.place or "",
                            number=args.number or "", signer=args.signer or "",
                            signer_title=args.signer_title or "GIÁM ĐỐC")
    try:
        summary = rollup(args.inbox, args.out, period=args.period, units=args.units, db=args.db,
                         deadline=args.deadline, options=options, progress=None if args.quiet else text_progress())
    except CchcError as exc:  # a wrong inbox, units list or period: a failed run for the scheduler
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(summary.text(), file=sys.stderr if summary.exit_code == EXIT_FAILED else sys.stdout)
    return summary.exit_code
