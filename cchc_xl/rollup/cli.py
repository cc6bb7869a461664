"""The ``rollup`` subcommand: parse → :func:`cchc_xl.rollup.run.rollup` → one summary and an exit code."""

from __future__ import annotations

import sys

__all__ = ["register", "run_rollup"]


def run_rollup(args) -> int:
    from ..distribute.consolidate import text_progress
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


def register(sub) -> None:
    """Add ``rollup`` to the main parser's subparsers."""
    from ..cli import date_arg

    p = sub.add_parser(
        "rollup", help="Sở: tổng hợp tệp báo cáo của các đơn vị thành một sổ tính",
        description="Đọc mọi tệp trao đổi báo cáo CCHC trong thư mục (không mở bằng Excel, không chạy macro), "
                    "lưu vào cơ sở dữ liệu SQLite cạnh tệp kết quả, tổng hợp toàn ngành, xếp hạng, liệt kê đơn vị "
                    "chưa báo cáo và nộp muộn, ghi sổ tính tổng hợp. Tệp hỏng, có macro, sai định dạng hoặc sai "
                    "kỳ được chuyển vào INBOX/rejected kèm lý do. Mã thoát: 0 xong; 2 xong nhưng có tệp bị từ "
                    "chối; 3 thất bại; 4 đang có lần chạy khác.")
    p.add_argument("inbox", help="thư mục chứa các tệp đơn vị gửi về")
    p.add_argument("--out", required=True, help="sổ tính tổng hợp (.xlsx)")
    p.add_argument("--period", default=None, metavar="KỲ",
                   help="kỳ tổng hợp: q1, h1, q3, year, có thể kèm năm (ví dụ h1/2024); mặc định kỳ mới nhất")
    p.add_argument("--units", default=None, metavar="TỆP_CSV",
                   help="CSV danh sách đơn vị phải báo cáo (cột 'Mã định danh', 'Tên đơn vị')")
    p.add_argument("--db", default=None, metavar="TỆP", help="cơ sở dữ liệu SQLite (mặc định cạnh --out, đuôi .sqlite)")
    p.add_argument("--deadline", type=date_arg, default=None, metavar="NGÀY",
                   help="hạn gửi báo cáo (YYYY-MM-DD); mặc định ngày 20 của tháng cuối kỳ")
    p.add_argument("--issuer", default="SỞ GIÁO DỤC VÀ ĐÀO TẠO", metavar="TÊN", help="cơ quan ban hành báo cáo tổng hợp")
    p.add_argument("--issuer-parent", default="", metavar="TÊN", help="cơ quan cấp trên, ví dụ 'UBND THÀNH PHỐ HẢI PHÒNG'")
    p.add_argument("--place", default="Hải Phòng", metavar="ĐỊA_DANH", help="địa danh ở dòng ngày tháng")
    p.add_argument("--number", default="", metavar="SỐ", help="số của báo cáo (để trống: in dấu chấm để điền tay)")
    p.add_argument("--signer", default="", metavar="HỌ_TÊN", help="họ và tên người ký")
    p.add_argument("--signer-title", default="GIÁM ĐỐC", metavar="CHỨC_VỤ", help="chức vụ người ký")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")
    p.set_defaults(func=run_rollup)
