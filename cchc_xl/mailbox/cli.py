"""The Sở's three mailbox commands (registered, with their arguments, in :data:`cchc_xl.cli.COMMANDS`): thin run
functions — the parsed arguments → the library → a summary printed → an exit code.

* ``cchc-xl collect INBOX --host … --user …`` — :func:`.collect.collect_mailbox`;
* ``cchc-xl reply INBOX --out TongHop.xlsx`` — :func:`.replies.reply_to_schools`;
* ``cchc-xl mailbox INBOX --out TongHop.xlsx --host … --user …`` (and ``scripts/mailbox.py``, the scheduler's
  entry point): collect → roll-up (the ``rollup`` command itself, same options) → replies, under the inbox's
  lock held for the whole run. A mailbox that cannot be reached does not stop the roll-up and the replies of
  what is already in the inbox; the roll-up busy (another run writes its workbook) stops the run (4).

Exit codes (the project's): 0 ok; 1 data problems (messages skipped, files rejected by the roll-up, a school
without an address to answer); 2 a user error or a fault of the machine (a missing setting or password, a
refused login, TLS, an unreachable server, a full disk — one ``Lỗi: …`` sentence); 3 unexpected (crash log,
:func:`cchc_xl.cli.run_command`); 4 another run holds the inbox or the roll-up's workbook.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["run_collect", "run_reply", "run_mailbox", "ROLLUP_EXIT"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR, EXIT_BUSY = 0, 1, 2, 4

#: The ``rollup`` command's exit codes (``cchc_xl/rollup/cli.py`` before issue #16: 0 ok, 2 done with rejected
#: files, 3 failed, 4 busy) in the project's scheme. The one place to adapt when the roll-up's codes change.
ROLLUP_EXIT = {0: EXIT_OK, 2: EXIT_PROBLEMS, 3: EXIT_ERROR, 4: EXIT_BUSY}


# --- the commands -------------------------------------------------------------------------------------------------

def _plan(args):
    from ..errors import CchcError
    from .collect import CollectPlan
    from .settings import Limits, imap_settings

    if args.max_messages < 1 or args.max_size <= 0:
        raise CchcError("--max-messages phải là số nguyên dương và --max-size là số MB lớn hơn 0.")
    settings = imap_settings(host=args.host, port=args.port, security=args.security, user=args.user,
                             folder=args.folder, mark=args.mark, move_to=args.move_to)
    limits = Limits(max_message_bytes=int(args.max_size * 1024 * 1024), max_messages=args.max_messages)
    return CollectPlan(Path(args.inbox), settings, limits, lock_wait=args.wait)


def _reply_plan(args):
    from ..errors import CchcError
    from .replies import ReplyPlan

    if not args.db and not args.out:
        raise CchcError("Hãy ghi --out (sổ tổng hợp của lệnh rollup) hoặc --db để biết kết quả tổng hợp của từng tệp.")
    db = Path(args.db) if args.db else Path(args.out).with_suffix(".sqlite")
    return ReplyPlan(Path(args.inbox), db, dry_run=args.dry_run, drafts=Path(args.drafts) if args.drafts else None,
                     signature=args.signature, lock_wait=args.wait)


def _progress(args):
    from ..progress import text_progress

    return text_progress(quiet=args.quiet)


def _show(summary) -> int:
    code = summary.exit_code
    print(summary.text(), file=sys.stderr if code == EXIT_ERROR else sys.stdout)
    return code


def run_collect(args) -> int:
    from .collect import collect_mailbox
    from .settings import imap_password

    plan = _plan(args)
    return _show(collect_mailbox(plan, imap_password(plan.settings), progress=_progress(args)))


def run_reply(args) -> int:
    from .replies import reply_to_schools

    return _show(reply_to_schools(_reply_plan(args), progress=_progress(args)))


def run_mailbox(args) -> int:
    """collect → roll-up → replies (see the module docstring); the worst exit code of the three steps."""
    from ..errors import CchcError
    from ..rollup.cli import run_rollup
    from .collect import collect
    from .imap import Mailbox
    from .ledger import Ledger, inbox_lock
    from .replies import send_replies
    from .settings import imap_password

    plan = _plan(args)
    replies = None if args.no_reply else _reply_plan(args)
    password = imap_password(plan.settings)
    inbox = plan.inbox
    if not inbox.is_dir():
        raise CchcError(f"Không tìm thấy thư mục hộp thư đến '{inbox}'.")
    codes = []
    with inbox_lock(inbox, plan.lock_wait), Ledger(inbox) as ledger:
        try:
            with Mailbox.open(plan.settings, password) as mailbox:
                codes.append(_show(collect(plan, ledger, mailbox, progress=_progress(args))))
        except CchcError as exc:          # the mailbox is out of reach: still roll up and answer what is here
            print(f"Lỗi: {exc}", file=sys.stderr)
            codes.append(EXIT_ERROR)
        rolled = ROLLUP_EXIT.get(run_rollup(args), EXIT_ERROR)
        if rolled == EXIT_BUSY:
            return EXIT_BUSY
        codes.append(rolled)
        if replies is not None:
            try:
                codes.append(_show(send_replies(replies, ledger, progress=_progress(args))))
            except CchcError as exc:
                print(f"Lỗi: {exc}", file=sys.stderr)
                codes.append(EXIT_ERROR)
    return max(codes)
