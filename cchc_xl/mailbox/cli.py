"""The Sở's three mailbox commands (registered in :data:`cchc_xl.cli.COMMANDS`): their arguments and thin run
functions — parse → call the library → print a summary → an exit code.

* ``cchc-xl collect INBOX --host … --user …`` — :func:`.collect.collect_mailbox`;
* ``cchc-xl reply INBOX --out TongHop.xlsx`` — :func:`.replies.reply_to_schools`;
* ``cchc-xl mailbox INBOX --out TongHop.xlsx --host … --user …`` (and ``scripts/mailbox.py``, the scheduler's
  entry point): collect → roll-up (the ``rollup`` command itself, same options) → replies, under the inbox's
  lock held for the whole run. A mailbox that cannot be reached does not stop the roll-up and the replies of
  what is already in the inbox; the roll-up busy (another run writes its workbook) stops the run (4).

Exit codes (the project's): 0 ok; 1 data problems (messages skipped, files rejected by the roll-up, a school
without an address to answer); 2 a user error or a fault of the machine (a missing setting or password, a
refused login, TLS, an unreachable server, a full disk — one ``Lỗi: …`` sentence); 3 unexpected (crash log,
:func:`cchc_xl.cli.run_command`); 4 another run holds the inbox or the roll-up's workbook. Argument modules
import only :mod:`cchc_xl.cli_args`, so ``cchc-xl --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["collect_arguments", "reply_arguments", "mailbox_arguments", "run_collect", "run_reply", "run_mailbox",
           "ROLLUP_EXIT"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR, EXIT_BUSY = 0, 1, 2, 4

#: The ``rollup`` command's exit codes (``cchc_xl/rollup/cli.py`` before issue #16: 0 ok, 2 done with rejected
#: files, 3 failed, 4 busy) in the project's scheme. The one place to adapt when the roll-up's codes change.
ROLLUP_EXIT = {0: EXIT_OK, 2: EXIT_PROBLEMS, 3: EXIT_ERROR, 4: EXIT_BUSY}


# --- arguments ----------------------------------------------------------------------------------------------------

def _imap_arguments(p) -> None:
    g = p.add_argument_group("hộp thư IMAP của Sở (mật khẩu: biến môi trường CCHC_IMAP_PASSWORD hoặc kho khóa, "
                             "dịch vụ cchc-xl)")
    g.add_argument("--host", metavar="MÁY_CHỦ", help="máy chủ thư IMAP (mặc định CCHC_IMAP_HOST)")
    g.add_argument("--port", type=int, metavar="CỔNG", help="cổng (mặc định 993 với SSL, 143 với STARTTLS/Không)")
    g.add_argument("--security", metavar="BẢO_MẬT",
                   help="SSL (mặc định), STARTTLS hoặc Không (không mã hóa — chỉ khi thật cần)")
    g.add_argument("--user", metavar="TÀI_KHOẢN", help="tài khoản hộp thư (mặc định CCHC_IMAP_USER)")
    g.add_argument("--folder", metavar="THƯ_MỤC_THƯ", help="thư mục thư cần đọc (mặc định INBOX)")
    g.add_argument("--mark", choices=("flag", "move"), default="flag",
                   help="đánh dấu thư đã nhận: flag (gắn nhãn CchcDaNhan, để nguyên chỗ; mặc định) hoặc move "
                        "(chuyển sang --move-to)")
    g.add_argument("--move-to", metavar="THƯ_MỤC_THƯ", default=None,
                   help="thư mục chuyển thư đã nhận tới khi --mark move (mặc định 'Đã nhận báo cáo')")
    g.add_argument("--max-messages", type=int, default=500, metavar="SỐ_THƯ",
                   help="số thư tối đa mỗi lần chạy (còn lại để lần sau; mặc định 500)")
    g.add_argument("--max-size", type=float, default=30, metavar="MB",
                   help="thư lớn hơn bị bỏ qua, không tải về (mặc định 30 MB)")


def _reply_options(p, *, standalone: bool) -> None:
    g = p.add_argument_group("thư trả lời đơn vị (máy chủ gửi thư: CCHC_SMTP_HOST, CCHC_SMTP_FROM… như lệnh send)")
    if not standalone:
        g.add_argument("--no-reply", action="store_true", help="không gửi thư trả lời trong lần chạy này")
    g.add_argument("--dry-run", action="store_true", help="chỉ tạo thư trả lời nháp .eml, không gửi")
    g.add_argument("--drafts", metavar="THƯ_MỤC", default=None,
                   help="thư mục ghi thư nháp (mặc định INBOX/thu_tra_loi)")
    g.add_argument("--signature", metavar="TÊN", default="Sở Giáo dục và Đào tạo",
                   help="tên cơ quan ký thư trả lời (mặc định 'Sở Giáo dục và Đào tạo')")


def _wait(p) -> None:
    p.add_argument("--wait", type=float, default=None,
                   help="số giây chờ khi có lần chạy khác (mặc định CCHC_LOCK_WAIT_SECONDS, không có thì 10)")


def collect_arguments(p) -> None:
    p.add_argument("inbox", help="thư mục hộp thư đến mà lệnh rollup đọc")
    _imap_arguments(p)
    _wait(p)
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


def reply_arguments(p) -> None:
    p.add_argument("inbox", help="thư mục hộp thư đến (nơi lệnh collect đã lưu tệp)")
    p.add_argument("--out", default=None, help="sổ tính tổng hợp của lệnh rollup (cơ sở dữ liệu cạnh nó)")
    p.add_argument("--db", default=None, metavar="TỆP", help="cơ sở dữ liệu SQLite của lệnh rollup (thay cho --out)")
    _reply_options(p, standalone=True)
    _wait(p)
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


def mailbox_arguments(p) -> None:
    """What ``mailbox`` adds to the ``rollup`` command's own arguments (:func:`cchc_xl.cli._args_mailbox`)."""
    _imap_arguments(p)
    _reply_options(p, standalone=False)
    _wait(p)


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
