"""``cchc-xl``: the one place that builds the command line and registers every subcommand.

Each command is a thin function ``cmd_*(args) -> exit code`` (the school's in :mod:`cchc_xl.commands`, the
Sở's in ``rollup/cli.py`` and ``mailbox/cli.py``): it imports what it needs when it runs (so ``cchc-xl --help``
and every command start without loading the others), calls the library and prints the result.
:data:`COMMANDS` lists every subcommand, its help and its arguments: registering a new command is one entry there
(``arguments``/``run`` may be ``"module:function"`` strings, imported only when needed).
``scripts/consolidate.py`` (the scheduler's entry point) runs the ``consolidate`` entry through
:func:`run_one`.

Error policy (:func:`run_command`): a :class:`cchc_xl.errors.CchcError` is one Vietnamese line on stderr, exit
code 2 — 4 when it is a :class:`~cchc_xl.errors.WorkbookBusyError` (another run holds the workbook's writer
lock); an ``OSError`` that reached it (a full disk, a read-only folder, a folder given for a file) is one
sentence naming the file, the cause and what to do (:func:`cchc_xl.errors.describe_os_error`), exit code 2;
a closed output pipe (``cchc-xl refresh … | head``) ends quietly; anything else is written with its
traceback to a log file whose path the message gives (exit code 3; when the log folder cannot be written,
the system's temporary folder; when neither can, the message says so) — users never see a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .cli_args import (AS_OF_HELP, DATE_FORMS, PERIOD_CHOICES, PERIOD_HELP, VietnameseArgumentParser, date_arg,
                       vietnamese_metavars)
from .errors import CchcError, CchcWarning, WorkbookBusyError, describe_os_error

__all__ = ["main", "build_parser", "command_parser", "run_command", "run_one", "command_table", "Command",
           "COMMANDS", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_ERROR", "EXIT_BUG", "EXIT_BUSY"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR, EXIT_BUG, EXIT_BUSY = 0, 1, 2, 3, 4


def log_dir() -> Path:
    base = os.environ.get("LOCALAPPDATA")
    return (Path(base) / "cchc-xl" / "logs") if base else Path.home() / ".cchc-xl" / "logs"


def write_crash_log(exc: BaseException) -> Path:
    """Write the traceback of an unexpected error to a timestamped log file and return its path: in
    :func:`log_dir`, else (that folder cannot be written) in the system's temporary folder. Raises
    ``OSError`` when neither can be written."""
    import tempfile

    from .io.nofollow import write_new

    text = "".join(traceback.format_exception(exc))
    name = f"loi-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    error: OSError | None = None
    for folder in (log_dir(), Path(tempfile.gettempdir()) / "cchc-xl-logs"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return write_new(folder / name, text.encode("utf-8"))   # a new file, never through a planted link
        except OSError as e:
            error = e
    assert error is not None
    raise error


def _crash(exc: BaseException) -> None:
    """Tell the user an unexpected error happened, in one sentence, and where its details are."""
    try:
        path = write_crash_log(exc)
    except OSError as log_error:
        print(f"Lỗi không mong đợi ({type(exc).__name__}: {str(exc)[:200]}). Không ghi được tệp chi tiết lỗi "
              f"({describe_os_error(log_error).rstrip('.')}); hãy chụp lại thông báo này và báo cho người hỗ trợ.",
              file=sys.stderr)
        return
    print(f"Lỗi không mong đợi ({type(exc).__name__}). Chi tiết đã ghi vào '{path}'.", file=sys.stderr)


def _args_refresh(p) -> None:
    p.add_argument("workbook", help="đường dẫn sổ tính .xlsm/.xlsx")
    p.add_argument("--as-of", type=date_arg, help=AS_OF_HELP)
    p.add_argument("--period", choices=PERIOD_CHOICES, help=PERIOD_HELP)
    p.add_argument("--out", help="ghi ra tệp khác thay vì ghi đè")
    p.add_argument("--json", action="store_true", help="in đúng một đối tượng JSON ra stdout")


def _args_redraft(p) -> None:
    p.add_argument("workbook", help="đường dẫn sổ tính .xlsm/.xlsx")
    p.add_argument("--section", action="append", metavar="MỤC",
                   help="mục cần soạn lại: Mở đầu, I, II.1 … II.7, III.1, III.2, III.3, IV, V (lặp lại hoặc cách nhau "
                        "bằng dấu phẩy; mặc định: mọi mục của kỳ)")
    p.add_argument("--as-of", type=date_arg, help=AS_OF_HELP)
    p.add_argument("--period", choices=PERIOD_CHOICES, help=PERIOD_HELP)
    p.add_argument("--out", help="ghi ra tệp khác thay vì ghi đè")


def _args_check(p) -> None:
    p.add_argument("workbook", help="sổ tính cần kiểm tra")
    p.add_argument("--as-of", type=date_arg, help=AS_OF_HELP)
    p.add_argument("--json", action="store_true", help="in danh sách vấn đề dạng JSON")


def _args_import(p) -> None:
    p.add_argument("workbook", help="sổ tính cần nhập vào")
    p.add_argument("file", help="tệp CSV hoặc XLSX")
    p.add_argument("--out", help="ghi ra tệp khác thay vì ghi đè")


def _args_build(p) -> None:
    p.add_argument("--out", default="workbook/CCHC_2024.xlsm", help="tệp kết quả (mặc định workbook/CCHC_2024.xlsm)")


def _args_setup_excel(p) -> None:
    p.add_argument("workbook", help="sổ tính .xlsm")


def _args_handout(p) -> None:
    p.add_argument("workbook", help="sổ tính chính (.xlsm)")
    p.add_argument("--out-dir", required=True, help="thư mục ghi các bản phát")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


def _args_consolidate(p) -> None:
    p.add_argument("workbook", help="sổ tính chính (.xlsm)")
    p.add_argument("--inbox", required=True, help="thư mục chứa các bản gửi về")
    p.add_argument("--as-of", type=date_arg, default=None,
                   help=AS_OF_HELP + "; báo cáo được lập lại cho kỳ có ngày đó (như lệnh refresh)")
    p.add_argument("--send", action="store_true", help="gửi báo cáo lên Sở sau khi tổng hợp")
    p.add_argument("--log", default=None, help="tệp nhật ký (mặc định INBOX/tong_hop.log)")
    p.add_argument("--wait", type=float, default=None,
                   help="số giây chờ khi có lần chạy khác (mặc định CCHC_LOCK_WAIT_SECONDS, không có thì 10)")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


def _args_send(p) -> None:
    p.add_argument("workbook", help="sổ tính chính (.xlsm)")
    p.add_argument("--period", choices=PERIOD_CHOICES, default=None,
                   help="kỳ của báo cáo đang có trong trang Báo cáo, để kiểm tra; không ghi thì gửi đúng báo cáo "
                        "đang có (khác kỳ đó thì từ chối và chỉ lệnh lập lại)")
    p.add_argument("--to", default=None, help="địa chỉ nhận, nhiều địa chỉ cách nhau bằng dấu phẩy "
                                              "(mặc định email_nguoi_nhan trong Cấu hình)")
    p.add_argument("--dry-run", action="store_true", help="chỉ tạo thư nháp .eml, không gửi")
    p.add_argument("--force", action="store_true", help="gửi lại dù kỳ này đã gửi")
    p.add_argument("--as-of", type=date_arg, default=None,
                   help=f"ngày tính đến của báo cáo đang có trong trang Báo cáo, để kiểm tra ({DATE_FORMS})")
    p.add_argument("--out-dir", default=None, help="thư mục ghi tệp đính kèm (mặc định cạnh sổ tính)")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


def _args_rollup(p) -> None:
    p.add_argument("inbox", help="thư mục chứa các tệp đơn vị gửi về")
    p.add_argument("--out", required=True, help="sổ tính tổng hợp (.xlsx)")
    p.add_argument("--period", default=None, metavar="KỲ",
                   help="kỳ tổng hợp: q1, h1, q3, year, có thể kèm năm (ví dụ h1/2024); mặc định kỳ có nhiều tệp "
                        "nhất trong hộp thư")
    p.add_argument("--units", default=None, metavar="TỆP_CSV",
                   help="CSV danh sách đơn vị phải báo cáo (cột 'Mã định danh', 'Tên đơn vị')")
    p.add_argument("--db", default=None, metavar="TỆP", help="cơ sở dữ liệu SQLite (mặc định cạnh --out, đuôi .sqlite)")
    p.add_argument("--log", default=None, metavar="TỆP", help="tệp nhật ký (mặc định cạnh --out, đuôi .log)")
    p.add_argument("--deadline", type=date_arg, default=None, metavar="NGÀY",
                   help=f"hạn gửi báo cáo ({DATE_FORMS}); mặc định ngày 20 của tháng cuối kỳ")
    p.add_argument("--date", type=date_arg, default=None, metavar="NGÀY",
                   help=f"ngày ghi ở dòng địa danh, ngày tháng của báo cáo ({DATE_FORMS}); mặc định hôm nay")
    p.add_argument("--issuer", default="SỞ GIÁO DỤC VÀ ĐÀO TẠO", metavar="TÊN",
                   help="cơ quan ban hành báo cáo tổng hợp")
    p.add_argument("--issuer-parent", default="", metavar="TÊN",
                   help="cơ quan cấp trên, ví dụ 'UBND THÀNH PHỐ HẢI PHÒNG'")
    p.add_argument("--place", default="Hải Phòng", metavar="ĐỊA_DANH", help="địa danh ở dòng ngày tháng")
    p.add_argument("--number", default="", metavar="SỐ", help="số của báo cáo (để trống: in dấu chấm để điền tay)")
    p.add_argument("--signer", default="", metavar="HỌ_TÊN", help="họ và tên người ký")
    p.add_argument("--signer-title", default="GIÁM ĐỐC", metavar="CHỨC_VỤ", help="chức vụ người ký")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


def _args_imap(p) -> None:
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


def _args_replies(p, *, standalone: bool) -> None:
    g = p.add_argument_group("thư trả lời đơn vị (máy chủ gửi thư: CCHC_SMTP_HOST, CCHC_SMTP_FROM… như lệnh send)")
    if not standalone:
        g.add_argument("--no-reply", action="store_true", help="không gửi thư trả lời trong lần chạy này")
    g.add_argument("--dry-run", action="store_true", help="chỉ tạo thư trả lời nháp .eml, không gửi")
    g.add_argument("--drafts", metavar="THƯ_MỤC", default=None,
                   help="thư mục ghi thư nháp (mặc định INBOX/thu_tra_loi)")
    g.add_argument("--signature", metavar="TÊN", default="Sở Giáo dục và Đào tạo",
                   help="tên cơ quan ký thư trả lời (mặc định 'Sở Giáo dục và Đào tạo')")


def _args_wait(p) -> None:
    p.add_argument("--wait", type=float, default=None,
                   help="số giây chờ khi có lần chạy khác (mặc định CCHC_LOCK_WAIT_SECONDS, không có thì 10)")


def _args_collect(p) -> None:
    p.add_argument("inbox", help="thư mục hộp thư đến mà lệnh rollup đọc")
    _args_imap(p)
    _args_wait(p)
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


def _args_reply(p) -> None:
    p.add_argument("inbox", help="thư mục hộp thư đến (nơi lệnh collect đã lưu tệp)")
    p.add_argument("--out", default=None, help="sổ tính tổng hợp của lệnh rollup (cơ sở dữ liệu cạnh nó)")
    p.add_argument("--db", default=None, metavar="TỆP", help="cơ sở dữ liệu SQLite của lệnh rollup (thay cho --out)")
    _args_replies(p, standalone=True)
    _args_wait(p)
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


def _args_mailbox(p) -> None:
    """The ``rollup`` command's own arguments, then the mailbox's and the replies'."""
    _args_rollup(p)
    _args_imap(p)
    _args_replies(p, standalone=False)
    _args_wait(p)


def _args_sample_inbox(p) -> None:
    p.add_argument("workbook", metavar="SỔ_TÍNH", help="sổ tính của trường làm mẫu (ví dụ workbook/CCHC_2024.xlsm)")
    p.add_argument("--out-dir", required=True, metavar="THƯ_MỤC", help="thư mục ghi các tệp trao đổi mẫu")
    p.add_argument("--schools", type=int, default=40, metavar="SỐ", help="số trường mẫu (mặc định 40)")
    p.add_argument("--period", default="h1", choices=PERIOD_CHOICES, help="kỳ báo cáo của các tệp (mặc định h1)")
    p.add_argument("--seed", type=int, default=2024, metavar="SỐ",
                   help="hạt giống ngẫu nhiên (cùng hạt giống, cùng tệp)")
    p.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")


# --- the registry -----------------------------------------------------------------------------------------------

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Command:
    """One subcommand. ``help`` is its line in ``cchc-xl --help`` and in the README's table; ``description``
    heads its own ``--help``. ``arguments(parser)`` adds its arguments, ``run(args)`` returns the exit code;
    either may be a ``"module:function"`` string, imported when the parser is built / the command runs."""

    name: str
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None] | str
    run: Handler | str


def _resolve(target):
    if not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


#: Every subcommand, in the order of ``cchc-xl --help``. A new command is one entry here.
COMMANDS: list[Command] = [
    Command("refresh", "tính lại mọi thứ và ghi vào sổ tính (có bản sao lưu)",
            "Tính tình trạng hạn nhiệm vụ, phân loại hồ sơ, chỉ tiêu và lập trang 'Báo cáo'. "
            "Ghi đè sổ tính (giữ bản sao lưu cạnh tệp) hoặc ghi ra --out.", _args_refresh,
            "cchc_xl.commands:cmd_refresh"),
    Command("redraft", "soạn lại nội dung báo cáo từ số liệu, kể cả mục đã sửa",
            "Viết lại bản nháp tự động vào các mục của trang 'Nội dung báo cáo' cho kỳ báo cáo (mọi mục, hoặc các "
            "mục --section), kể cả mục cán bộ đã sửa — văn bản đã sửa được giữ ở cột 'Bản trước' — rồi lập lại "
            "trang 'Báo cáo'. Lệnh refresh không bao giờ ghi đè mục đã sửa; mục để trống được soạn nháp tự động.",
            _args_redraft, "cchc_xl.commands:cmd_redraft"),
    Command("import-dossiers", "nhập hồ sơ từ tệp xuất của hệ thống một cửa (CSV/XLSX)",
            "Thêm mới hoặc cập nhật (theo 'Mã hồ sơ') các hồ sơ trong bảng tblHoSo. CSV UTF-8 (có/không BOM), "
            "UTF-16 hoặc Windows-1258, dấu phẩy, chấm phẩy hoặc tab; hoặc XLSX; ngày dd/mm/yyyy, dd/mm/yyyy hh:mm "
            "hoặc ISO. Dòng sai (giá trị không hợp lệ, nội dung dài quá một ô Excel) được bỏ qua, có ghi dòng và cột.",
            _args_import, "cchc_xl.commands:cmd_import"),
    Command("check", "liệt kê mọi vấn đề dữ liệu; mã thoát 1 nếu có",
            "Kiểm tra dữ liệu trong sổ tính, không ghi gì.", _args_check, "cchc_xl.commands:cmd_check"),
    Command("build-workbook", "tạo lại workbook/CCHC_2024.xlsm từ nguồn văn bản",
            "Tạo sổ tính từ các tệp nguồn trong workbook/src, workbook/vba và workbook/ribbon.",
            _args_build, "cchc_xl.commands:cmd_build"),
    Command("setup-excel", "ghi đường dẫn Python vào trang xlwings.conf và kiểm tra Python đó",
            "Chuẩn bị sổ tính để chạy các nút trên thanh ribbon 'CCHC' trong Excel: ghi Python đang chạy lệnh "
            "này vào trang xlwings.conf, rồi chạy chính Python đó để kiểm tra nó nạp được cchc_xl và đúng "
            "phiên bản xlwings của sổ. Mã thoát 1 khi còn dòng chưa đạt ([ ]).", _args_setup_excel,
            "cchc_xl.commands:cmd_setup_excel"),
    Command("handout", "tạo bản Excel riêng cho từng tổ/nhóm chuyên môn",
            "Tạo một tệp .xlsx (không macro) cho mỗi tổ/nhóm trong bảng tblNhiemVu; chỉ mở khóa các cột "
            "Trạng thái, Ngày hoàn thành, Minh chứng, Ghi chú.", _args_handout, "cchc_xl.commands:cmd_handout"),
    Command("consolidate", "tổng hợp các bản tổ/nhóm gửi về vào sổ tính chính",
            "Kiểm tra từng tệp trong hộp thư đến (không mở bằng Excel, không chạy macro), đưa các cập nhật hợp "
            "lệ vào sổ chính theo Mã nhiệm vụ, tính lại báo cáo (kỳ và ngày tính đến theo cùng quy tắc như refresh; "
            "báo cáo trong sổ khác kỳ/ngày đó thì được lập lại, và tóm tắt ghi rõ).\n"
            "Tệp vừa được ghi trong 3 giây gần nhất (có thể còn đang chép vào) hoặc đang mở trong Excel (có tệp "
            "~$TÊN) được để nguyên cho lần chạy sau.\n"
            "Mã thoát: 0 xong; 2 xong nhưng có tệp bị từ chối, hoặc sai tham số (thiếu sổ tính, thiếu thư mục "
            "hộp thư); 3 thất bại; 4 đang có lần chạy khác.", _args_consolidate, "cchc_xl.commands:cmd_consolidate"),
    Command("send", "gửi báo cáo (Excel + PDF) lên Sở qua thư điện tử",
            "Gửi đúng báo cáo đang có trong trang 'Báo cáo' (kỳ và ngày tính đến ghi kèm báo cáo); dữ liệu đã sửa "
            "sau khi lập báo cáo thì từ chối và ghi lệnh 'cchc-xl refresh …' cần chạy.\n"
            "Tạo tệp trao đổi .xlsx cho Sở (trang Báo cáo, nhiệm vụ, chỉ tiêu, thống kê hồ sơ, dữ liệu để máy "
            "đọc; không có cấu hình, nhật ký, macro) và PDF trang Báo cáo (PDF cần LibreOffice; trong Excel, nút "
            "'Gửi báo cáo lên Sở' dùng chính Excel), soạn thư và gửi qua SMTP. Mật khẩu chỉ lấy từ biến môi trường "
            "CCHC_SMTP_PASSWORD hoặc kho khóa của hệ điều hành (dịch vụ cchc-xl). Không có máy chủ thư hoặc "
            "--dry-run: tạo thư nháp .eml.", _args_send, "cchc_xl.commands:cmd_send"),
    Command("rollup", "Sở: tổng hợp tệp báo cáo của các đơn vị thành một sổ tính",
            "Đọc mọi tệp trao đổi báo cáo CCHC trong thư mục (không mở bằng Excel, không chạy macro), lưu vào cơ "
            "sở dữ liệu SQLite cạnh tệp kết quả, tổng hợp toàn ngành, xếp hạng, liệt kê đơn vị chưa báo cáo và "
            "nộp muộn, ghi sổ tính tổng hợp. Tệp hỏng, có macro, sai định dạng được chuyển vào "
            "INBOX/rejected kèm lý do; tệp của kỳ khác được lưu để tổng hợp kỳ đó. Mã thoát: 0 xong; 2 xong nhưng có "
            "tệp bị từ chối, hoặc sai tham số (thư mục không có, --period sai…); 3 thất bại (không thay đổi gì); 4 "
            "đang có lần chạy khác.", _args_rollup, "cchc_xl.rollup.cli:run_rollup"),
    Command("collect", "Sở: nhận tệp báo cáo các đơn vị gửi về hộp thư (IMAP) vào thư mục tổng hợp",
            "Đọc các thư chưa nhận trong hộp thư của Sở (IMAP, mã hóa TLS mặc định), lưu tệp báo cáo của mỗi thư vào "
            "THƯ_MỤC (PDF kèm theo vào THƯ_MỤC/kem_theo), ghi thời điểm thư đến máy chủ để tính nộp muộn, rồi mới "
            "đánh dấu thư đã nhận. Thư không có đúng một tệp báo cáo, quá lớn hoặc hỏng được để lại trong hộp thư "
            "(nhãn CchcBoQua). Mật khẩu chỉ lấy từ CCHC_IMAP_PASSWORD hoặc kho khóa (dịch vụ cchc-xl).\n"
            "Mã thoát: 0 xong; 1 có thư bị bỏ qua; 2 sai cấu hình, không đăng nhập/kết nối được, lỗi ổ đĩa; "
            "3 lỗi không mong đợi; 4 đang có lần chạy khác.", _args_collect,
            "cchc_xl.mailbox.cli:run_collect"),
    Command("reply", "Sở: gửi thư trả lời kết quả tiếp nhận cho từng đơn vị sau khi tổng hợp",
            "Mỗi tệp lệnh collect đã nhận và lệnh rollup đã xét được trả lời một lần, tới địa chỉ gửi thư của đơn "
            "vị: đã tiếp nhận (kèm số liệu Sở ghi nhận), bị từ chối (kèm lý do và việc cần làm) hoặc đã có bản "
            "lập sau. Máy chủ gửi thư như lệnh send (CCHC_SMTP_HOST, CCHC_SMTP_FROM…); --dry-run hoặc chưa có máy "
            "chủ: tạo thư nháp .eml.\nMã thoát: 0 xong; 1 có tệp không có địa chỉ trả lời; 2 gửi lỗi hoặc sai "
            "cấu hình; 3 lỗi không mong đợi; 4 đang có lần chạy khác.", _args_reply,
            "cchc_xl.mailbox.cli:run_reply"),
    Command("mailbox", "Sở, chạy theo lịch: nhận thư, tổng hợp, trả lời đơn vị",
            "Lệnh cho Task Scheduler/cron: collect → rollup (cùng tham số) → reply, giữ khóa hộp thư đến suốt lần "
            "chạy. Hộp thư không kết nối được thì vẫn tổng hợp và trả lời các tệp đã có.\nMã thoát: 0 xong; 1 có "
            "thư bị bỏ qua, tệp bị từ chối hoặc đơn vị không có địa chỉ trả lời; 2 sai cấu hình hoặc lỗi kết nối, "
            "ổ đĩa; 3 lỗi không mong đợi; 4 đang có lần chạy khác.", _args_mailbox,
            "cchc_xl.mailbox.cli:run_mailbox"),
    Command("sample-inbox", "Sở: tạo tệp trao đổi mẫu của nhiều trường để thử lệnh rollup",
            "Từ sổ tính của một trường, tạo N trường mẫu (mã định danh, tên, tiến độ nhiệm vụ và hồ sơ khác nhau), "
            "tính báo cáo của từng trường và ghi tệp trao đổi của trường đó bằng đúng chức năng 'Gửi báo cáo lên Sở' "
            "dùng, vào một thư mục để thử cchc-xl rollup.", _args_sample_inbox, "cchc_xl.rollup.cli:run_sample_inbox"),
]


def _add(sub, command: Command, **kwargs) -> argparse.ArgumentParser:
    p = sub.add_parser(command.name, help=command.help, description=command.description, **kwargs)
    _resolve(command.arguments)(p)
    p.set_defaults(func=command.run)
    vietnamese_metavars(p)
    return p


def build_parser(commands: Sequence[Command] = COMMANDS) -> argparse.ArgumentParser:
    parser = VietnameseArgumentParser(
        prog="cchc-xl",
        description="Theo dõi Kế hoạch cải cách hành chính (CCHC) năm 2024 trong sổ tính Excel: tính chỉ tiêu, "
                    "cảnh báo nhiệm vụ quá hạn, lập báo cáo.",
    )
    parser.add_argument("--version", action="version", version=f"cchc-xl {__version__}",
                        help="hiện phiên bản rồi thoát")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=VietnameseArgumentParser)
    sub.required = True
    for command in commands:
        _add(sub, command)
    return parser


def _command(name: str) -> Command:
    return next(c for c in COMMANDS if c.name == name)


def command_parser(name: str, prog: str) -> argparse.ArgumentParser:
    """The parser of command ``name`` alone, as a program of its own (``scripts/consolidate.py``)."""
    command = _command(name)
    p = VietnameseArgumentParser(prog=prog, description=command.description)
    _resolve(command.arguments)(p)
    p.set_defaults(func=command.run)
    vietnamese_metavars(p)
    return p


def command_table(commands: Sequence[Command] = COMMANDS) -> str:
    """The README's command table (Markdown), generated from the parser: each command's usage and help."""
    parser = build_parser(commands)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    lines = ["| Lệnh | Việc làm |", "|---|---|"]
    for command in commands:
        usage = subparsers.choices[command.name].format_usage().removeprefix("Cách dùng: ")
        usage = " ".join(usage.split()).replace(" [-h]", "").replace("|", "\\|")
        lines.append(f"| `{usage}` | {command.help} |")
    return "\n".join(lines)


def _utf8_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError, OSError):
            pass


def _output_closed() -> None:
    """The reader of stdout went away (``… | head``): point stdout at the null device so that the interpreter's
    final flush does not fail again, as the Python documentation advises for SIGPIPE."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A :class:`~cchc_xl.errors.CchcWarning` is one ``Chú ý: …`` line on standard error; any other warning is
    Python's business (shown as usual)."""
    if issubclass(category, CchcWarning):
        print(f"Chú ý: {message}", file=sys.stderr)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed command with the error policy of the module docstring; return its exit code."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", CchcWarning)
        warnings.showwarning = _show_warning
        return _run_command(args)


def _run_command(args: argparse.Namespace) -> int:
    try:
        code = _resolve(args.func)(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _output_closed()
        return EXIT_OK
    except WorkbookBusyError as exc:   # another run holds the workbook's writer lock
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except CchcError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:   # the machine, not the program: a full disk, a read-only folder, a folder for a file
        print(f"Lỗi: {describe_os_error(exc, 'đọc hoặc ghi')}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - last line of defence for users
        _crash(exc)
        return EXIT_BUG


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace | int:
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:  # --help/--version → 0; a wrong command line → 2 (a user error)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR


def run_one(name: str, argv: list[str] | None = None, prog: str | None = None) -> int:
    """Parse ``argv`` for command ``name`` alone and run it (the scheduler's entry point)."""
    _utf8_streams()
    args = _parse(command_parser(name, prog or name), sys.argv[1:] if argv is None else argv)
    return args if isinstance(args, int) else run_command(args)


def main(argv: list[str] | None = None) -> int:
    _utf8_streams()
    args = build_parser().parse_args(argv)
    code = run_command(args)
    if argv is None:            # the program itself (a test passes argv): the process ends now
        _ending()
    return code


def _ending() -> None:
    """The process is about to exit: spare it the cyclic collector's passes over every object still alive
    at interpreter shutdown (~30 ms after a refresh of 10,000 dossiers, mostly imported modules); the
    operating system frees the memory. Exit handlers still run."""
    import gc

    gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
