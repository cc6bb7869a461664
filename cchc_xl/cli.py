"""``cchc-xl``: a thin command line over the engine.

Every command translates :class:`cchc_xl.errors.CchcError` into one Vietnamese line on
stderr (exit code 2; 4 when another run holds the workbook's writer lock). Anything unexpected is written with its traceback to a log file
whose path the message gives (exit code 3) — users never see a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import traceback
from pathlib import Path

from . import __version__
from .errors import CchcError, WorkbookBusyError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR, EXIT_BUG, EXIT_BUSY = 0, 1, 2, 3, 4


def log_dir() -> Path:
    import os

    base = os.environ.get("LOCALAPPDATA")
    return (Path(base) / "cchc-xl" / "logs") if base else Path.home() / ".cchc-xl" / "logs"


def write_crash_log(exc: BaseException) -> Path:
    """Write the traceback of an unexpected error to a timestamped log file and return its path."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"loi-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path


def date_arg(text: str) -> dt.date:
    """An argparse type for dates: ``YYYY-MM-DD`` or ``dd/mm/yyyy``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"ngày '{text}' không hợp lệ; dùng dạng YYYY-MM-DD (ví dụ 2024-06-14) hoặc dd/mm/yyyy") from None


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return lambda fraction, message: None

    def show(fraction: float, message: str) -> None:
        bar = "█" * int(fraction * 20)
        end = "\n" if fraction >= 1 else ""
        print(f"\r[{bar:<20}] {fraction:4.0%} {message:<30}", end=end, file=sys.stderr, flush=True)

    return show


def _summary(result) -> str:
    from .core import vnformat
    from .schema import TASK_FLAG

    st = result.stats
    rates = st.rates()
    counts = result.task_counts
    lines = [
        f"Kỳ báo cáo: {result.period.label} (từ {vnformat.date_vn(result.period.start)} đến "
        f"{vnformat.date_vn(result.period.end)}), tính đến ngày {vnformat.date_vn(result.as_of)}",
        f"Nhiệm vụ: {counts['total']} — {TASK_FLAG['done_on_time']}: {counts['done_on_time']}, "
        f"{TASK_FLAG['done_late']}: {counts['done_late']}, {TASK_FLAG['overdue']}: {counts['overdue']}, "
        f"{TASK_FLAG['due_soon']}: {counts['due_soon']}, {TASK_FLAG['in_time']}: {counts['in_time']}",
        f"Hồ sơ TTHC: {vnformat.integer(st.total)} (kỳ trước chuyển sang {vnformat.integer(st.carried_over)}, "
        f"mới tiếp nhận {vnformat.integer(st.received_new)}); đã giải quyết {vnformat.integer(st.resolved)}; "
        f"trước và đúng hạn {vnformat.percent(rates['early_or_on_time'])}",
        "Chỉ tiêu: " + "; ".join(
            f"{r.code} {r.actual if isinstance(r.actual, str) else vnformat.percent(r.actual)} ({r.status})"
            for r in result.indicators),
    ]
    if result.overdue_tasks:
        lines.append("Nhiệm vụ quá hạn: " + ", ".join(
            f"{o.task.id} ({o.task.group})" for o in result.overdue_tasks))
    if result.problems:
        lines.append(f"Có {len(result.problems)} vấn đề dữ liệu (chạy 'cchc-xl check' để xem chi tiết).")
    return "\n".join(lines)


def cmd_refresh(args) -> int:
    from .engine import refresh_file

    result = refresh_file(args.workbook, as_of=args.as_of, period=args.period, out=args.out,
                          progress=_progress(args.json))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        target = args.out or args.workbook
        print(_summary(result))
        print(f"Đã ghi kết quả vào '{target}'.")
    return EXIT_OK


def cmd_check(args) -> int:
    from .engine import check_file

    problems = check_file(args.workbook, as_of=args.as_of)
    if args.json:
        print(json.dumps([p.to_dict() for p in problems], ensure_ascii=False))
    elif not problems:
        print("Không phát hiện vấn đề dữ liệu nào.")
    else:
        for p in problems:
            print(p.describe())
        print(f"Tổng cộng {len(problems)} vấn đề.", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_import(args) -> int:
    from .io.import_dossiers import import_dossiers

    report = import_dossiers(args.workbook, args.file, out=args.out)
    print(report.summary())
    return EXIT_OK


def cmd_build(args) -> int:
    from .build.pipeline import build

    path = build(args.out)
    print(f"Đã tạo sổ tính '{path}'.")
    return EXIT_OK


def cmd_setup_excel(args) -> int:
    from .excel.conf import setup_excel

    print(setup_excel(args.workbook))
    return EXIT_OK


class _VietnameseHelp(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "Cách dùng: " if prefix is None else prefix)


_ARGPARSE_MESSAGES = (
    (re.compile(r"^the following arguments are required: (.*)$"), "thiếu tham số bắt buộc: {0}"),
    (re.compile(r"^argument (\S+): invalid choice: (.*?) \(choose from (.*)\)$"),
     "tham số {0}: giá trị {1} không hợp lệ (chọn một trong: {2})"),
    (re.compile(r"^argument (\S+): expected one argument$"), "tham số {0} cần một giá trị"),
    (re.compile(r"^unrecognized arguments: (.*)$"), "không hiểu các tham số: {0}"),
    (re.compile(r"^argument (\S+): (.*)$"), "tham số {0}: {1}"),
)


_METAVARS = {"workbook": "SỔ_TÍNH", "file": "TỆP", "as_of": "NGÀY", "out": "TỆP_RA", "out_dir": "THƯ_MỤC",
             "inbox": "THƯ_MỤC", "to": "ĐỊA_CHỈ", "log": "TỆP", "wait": "GIÂY"}


class VietnameseArgumentParser(argparse.ArgumentParser):
    """argparse with Vietnamese headings, usage prefix, help option and error messages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _VietnameseHelp)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "tham số"
        self._optionals.title = "tùy chọn"
        self.add_argument("-h", "--help", action="help", help="hiện hướng dẫn này rồi thoát")

    def error(self, message: str):
        for pattern, template in _ARGPARSE_MESSAGES:
            m = pattern.match(message)
            if m:
                message = template.format(*m.groups())
                break
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"Lỗi: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = VietnameseArgumentParser(
        prog="cchc-xl",
        description="Theo dõi Kế hoạch cải cách hành chính (CCHC) năm 2024 trong sổ tính Excel: tính chỉ tiêu, "
                    "cảnh báo nhiệm vụ quá hạn, lập báo cáo.",
    )
    parser.add_argument("--version", action="version", version=f"cchc-xl {__version__}",
                        help="hiện phiên bản rồi thoát")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")
    sub.required = True

    p = sub.add_parser("refresh", help="tính lại mọi thứ và ghi vào sổ tính (có bản sao lưu)",
                       description="Tính tình trạng hạn nhiệm vụ, phân loại hồ sơ, chỉ tiêu và lập trang 'Báo cáo'. "
                                   "Ghi đè sổ tính (giữ bản sao lưu cạnh tệp) hoặc ghi ra --out.")
    p.add_argument("workbook", help="đường dẫn sổ tính .xlsm/.xlsx")
    p.add_argument("--as-of", type=date_arg, help="ngày tính đến, dạng YYYY-MM-DD (mặc định: cấu hình hoặc hôm nay)")
    p.add_argument("--period", choices=["q1", "h1", "q3", "year"],
                   help="kỳ báo cáo: q1 (Quý I), h1 (6 tháng), q3 (Quý III), year (năm)")
    p.add_argument("--out", help="ghi ra tệp khác thay vì ghi đè")
    p.add_argument("--json", action="store_true", help="in đúng một đối tượng JSON ra stdout")
    p.set_defaults(func=cmd_refresh)

    p = sub.add_parser("import-dossiers", help="nhập hồ sơ từ tệp xuất của hệ thống một cửa (CSV/XLSX)",
                       description="Thêm mới hoặc cập nhật (theo 'Mã hồ sơ') các hồ sơ trong bảng tblHoSo. "
                                   "CSV UTF-8 (có/không BOM, dấu phẩy hoặc chấm phẩy) hoặc XLSX; ngày dd/mm/yyyy, "
                                   "dd/mm/yyyy hh:mm hoặc ISO.")
    p.add_argument("workbook", help="sổ tính cần nhập vào")
    p.add_argument("file", help="tệp CSV hoặc XLSX")
    p.add_argument("--out", help="ghi ra tệp khác thay vì ghi đè")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("check", help="liệt kê mọi vấn đề dữ liệu; mã thoát khác 0 nếu có",
                       description="Kiểm tra dữ liệu trong sổ tính, không ghi gì.")
    p.add_argument("workbook", help="sổ tính cần kiểm tra")
    p.add_argument("--as-of", type=date_arg, help="ngày tính đến, dạng YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="in danh sách vấn đề dạng JSON")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("build-workbook", help="tạo lại workbook/CCHC_2024.xlsm từ nguồn văn bản",
                       description="Tạo sổ tính từ các tệp nguồn trong workbook/src, workbook/vba và workbook/ribbon.")
    p.add_argument("--out", default="workbook/CCHC_2024.xlsm", help="tệp kết quả (mặc định workbook/CCHC_2024.xlsm)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("setup-excel", help="ghi đường dẫn Python vào trang xlwings.conf và in danh sách kiểm tra",
                       description="Chuẩn bị sổ tính để chạy các nút trên thanh ribbon 'CCHC' trong Excel.")
    p.add_argument("workbook", help="sổ tính .xlsm")
    p.set_defaults(func=cmd_setup_excel)

    from .distribute.cli import register

    register(sub)
    for command in sub.choices.values():
        vietnamese_metavars(command)
    return parser


def vietnamese_metavars(parser: argparse.ArgumentParser) -> None:
    """Vietnamese placeholders (SỔ_TÍNH, NGÀY, …) in a parser's usage line and messages."""
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        if action.metavar is None and action.dest in _METAVARS and action.nargs != 0:
            action.metavar = _METAVARS[action.dest]


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except WorkbookBusyError as exc:   # another run holds the workbook's writer lock
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except CchcError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - last line of defence for users
        path = write_crash_log(exc)
        print(f"Lỗi không mong đợi ({type(exc).__name__}). Chi tiết đã ghi vào '{path}'.", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
