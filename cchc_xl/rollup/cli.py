"""The ``rollup`` and ``sample-inbox`` subcommands (their arguments are in :data:`cchc_xl.cli.COMMANDS`): parse →
the library → one summary and an exit code (0 ok, 2 rejected files or a user error, 3 failed, 4 busy)."""

from __future__ import annotations

import gc
import sys

__all__ = ["run_rollup", "run_sample_inbox"]


def run_rollup(args) -> int:
    from ..errors import CchcError
    from ..progress import text_progress
    from .run import EXIT_FAILED, EXIT_USER_ERROR, RollupOptions, rollup

    options = RollupOptions(issuer=args.issuer or "", issuer_parent=args.issuer_parent or "", place=args.place or "",
                            number=args.number or "", signer=args.signer or "",
                            signer_title=args.signer_title or "GIÁM ĐỐC", date=args.date)
    # Everything imported so far lives as long as the process: keep it out of the cyclic collector's passes, which
    # otherwise walk it again and again while thousands of files are read (a fifth of the run's time).
    gc.freeze()
    try:
        summary = rollup(args.inbox, args.out, period=args.period, units=args.units, db=args.db, log=args.log,
                         deadline=args.deadline, options=options,
                         progress=None if args.quiet else text_progress())
    except CchcError as exc:  # a wrong inbox, units list, period or database: a user error, nothing was done
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    print(summary.text(), file=sys.stderr if summary.exit_code == EXIT_FAILED else sys.stdout)
    return summary.exit_code


def run_sample_inbox(args) -> int:
    from ..progress import text_progress
    from .sample import write_sample_inbox

    written = write_sample_inbox(args.workbook, args.out_dir, args.schools, period=args.period, seed=args.seed,
                                 progress=None if args.quiet else text_progress())
    print(f"Đã ghi {len(written)} tệp trao đổi mẫu vào '{args.out_dir}'. Thử tổng hợp: cchc-xl rollup "
          f"\"{args.out_dir}\" --out TongHop_mau.xlsx")
    return 0
