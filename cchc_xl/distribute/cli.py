"""Subcommands ``handout``, ``consolidate`` and ``send`` for the ``cchc-xl`` command line.

The main CLI calls :func:`register` with its ``add_subparsers()`` object; each subcommand sets
``func`` (``args.func(args) -> int`` exit code). A :class:`~cchc_xl.errors.CchcError` is printed as
one Vietnamese line on stderr (exit code 3 for consolidate/send "failed", 1 for handout).
"""

from __future__ import annotations

import sys

from ..cli import date_arg
from ..errors import CchcError

__all__ = ["register", "register_handout", "register_consolidate", "register_send", "run_handout",
           "run_consolidate", "run_send"]


def _err(exc: BaseException) -> None:
    print(f"Lỗi: {exc}", file=sys.stderr)


def run_handout(args) -> int:
    from .consolidate import text_progress
    from .handout import handout

    try:
        paths = handout(args.workbook, args.out_dir, progress=None if args.quiet else text_progress())
    except CchcError as exc:
        _err(exc)
        return 1
    for p in paths:
        print(p)
    print(f"Đã tạo {len(paths)} tệp cho các tổ/nhóm trong {args.out_dir}.", file=sys.stderr)
    return 0


def run_consolidate(args) -> int:
    from .consolidate import EXIT_FAILED, consolidate, text_progress

    try:
        s = consolidate(args.workbook, args.inbox, as_of=args.as_of, send=args.send, log_path=args.log,
                        progress=None if args.quiet else text_progress(), lock_wait=args.wait)
    except CchcError as exc:
        _err(exc)
        return EXIT_FAILED
    print(s.table(), file=sys.stderr)
    return s.exit_code


def run_send(args) -> int:
    from .consolidate import EXIT_FAILED, text_progress
    from .send import send_report

    try:
        out = send_report(args.workbook, period=args.period, to=args.to, dry_run=args.dry_run, force=args.force,
                          outdir=args.out_dir, as_of=args.as_of,
                          progress=None if args.quiet else text_progress())
    except CchcError as exc:
        _err(exc)
        return EXIT_FAILED
    print(out.message)
    for p in (out.xlsx, out.pdf, out.eml):
        if p:
            print(p)
    return 0


def register_handout(sub) -> None:
    p = sub.add_parser("handout", help="Tạo bản Excel riêng cho từng tổ/nhóm chuyên môn",
                       description="Tạo một tệp .xlsx (không macro) cho mỗi tổ/nhóm trong bảng tblNhiemVu; "
                                   "chỉ mở khóa các cột Trạng thái, Ngày hoàn thành, Minh chứng, Ghi chú.")
    p.add_argument("workbook", help="sổ tính chính (.xlsm)")
    p.add_argument("--out-dir", required=True, help="thư mục ghi các bản phát")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")
    p.set_defaults(func=run_handout)


def register_consolidate(sub) -> None:
    p = sub.add_parser("consolidate", help="Tổng hợp các bản tổ/nhóm gửi về vào sổ tính chính",
                       description="Kiểm tra từng tệp trong hộp thư đến (không mở bằng Excel, không chạy macro), "
                                   "đưa các cập nhật hợp lệ vào sổ chính theo Mã nhiệm vụ, tính lại báo cáo. "
                                   "Mã thoát: 0 xong; 2 xong nhưng có tệp bị từ chối; 3 thất bại; "
                                   "4 đang có lần chạy khác.")
    p.add_argument("workbook", help="sổ tính chính (.xlsm)")
    p.add_argument("--inbox", required=True, help="thư mục chứa các bản gửi về")
    p.add_argument("--as-of", type=date_arg, default=None, help="ngày tính đến (YYYY-MM-DD), mặc định hôm nay")
    p.add_argument("--send", action="store_true", help="gửi báo cáo lên Sở sau khi tổng hợp")
    p.add_argument("--log", default=None, help="tệp nhật ký (mặc định INBOX/tong_hop.log)")
    p.add_argument("--wait", type=float, default=10.0, help="số giây chờ khi có lần chạy khác (mặc định 10)")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")
    p.set_defaults(func=run_consolidate)


def register_send(sub) -> None:
    p = sub.add_parser("send", help="Gửi báo cáo (Excel + PDF) lên Sở qua thư điện tử",
                       description="Tạo bản .xlsx chỉ có giá trị và PDF trang Báo cáo, soạn thư và gửi qua SMTP. "
                                   "Mật khẩu chỉ lấy từ biến môi trường CCHC_SMTP_PASSWORD hoặc kho khóa của hệ "
                                   "điều hành (dịch vụ cchc-xl). Không có máy chủ thư hoặc --dry-run: tạo thư "
                                   "nháp .eml.")
    p.add_argument("workbook", help="sổ tính chính (.xlsm)")
    p.add_argument("--period", choices=["q1", "h1", "q3", "year"], default=None,
                   help="kỳ báo cáo (mặc định: theo cấu hình hoặc ngày tính đến)")
    p.add_argument("--to", default=None, help="địa chỉ nhận (mặc định email_nguoi_nhan trong Cấu hình)")
    p.add_argument("--dry-run", action="store_true", help="chỉ tạo thư nháp .eml, không gửi")
    p.add_argument("--force", action="store_true", help="gửi lại dù kỳ này đã gửi")
    p.add_argument("--as-of", type=date_arg, default=None, help="ngày tính đến (YYYY-MM-DD)")
    p.add_argument("--out-dir", default=None, help="thư mục ghi tệp đính kèm (mặc định cạnh sổ tính)")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")
    p.set_defaults(func=run_send)


def register(subparsers) -> None:
    """Add ``handout``, ``consolidate`` and ``send`` to the main parser's subparsers."""
    register_handout(subparsers)
    register_consolidate(subparsers)
    register_send(subparsers)
