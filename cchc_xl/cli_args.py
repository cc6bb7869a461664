"""argparse in Vietnamese, and the argument types the commands share.

:class:`VietnameseArgumentParser` gives every parser Vietnamese headings (``tham số``, ``tùy chọn``), usage prefix
(``Cách dùng:``), ``-h/--help`` text and error messages (exit code 2, one ``Lỗi: …`` line after the usage);
:func:`vietnamese_metavars` puts Vietnamese placeholders (``SỔ_TÍNH``, ``NGÀY``…) in the usage lines;
:func:`date_arg` reads ``YYYY-MM-DD`` or ``dd/mm/yyyy`` (years 2000–2100); every help text that asks for a date says
both forms (:data:`DATE_FORMS`). No import of the project: a module that defines a
command's arguments imports this, never :mod:`cchc_xl.cli`.

>>> date_arg("14/06/2024"), date_arg("2024-06-14")
(datetime.date(2024, 6, 14), datetime.date(2024, 6, 14))
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys

from .core.vocabulary import PeriodKey

__all__ = ["VietnameseArgumentParser", "date_arg", "vietnamese_metavars", "PERIOD_CHOICES", "EXIT_USAGE",
           "AS_OF_HELP", "PERIOD_HELP", "DATE_FORMS"]

EXIT_USAGE = 2  # argparse's own code for a wrong command line; also the CLI's "user error"
PERIOD_CHOICES = tuple(str(key) for key in PeriodKey)
# The one rule of cchc_xl.core.report_date, as every command's --help states it.
DATE_FORMS = "YYYY-MM-DD hoặc dd/mm/yyyy"
AS_OF_HELP = ("ngày tính đến, YYYY-MM-DD hoặc dd/mm/yyyy; không ghi thì lấy ô ngay_tinh_den của trang Cấu hình "
              "nếu đã điền, nếu không thì hôm nay")
PERIOD_HELP = ("kỳ báo cáo: q1 (Quý I), h1 (6 tháng), q3 (Quý III), year (năm); không ghi thì lấy ô ky_bao_cao "
               "của trang Cấu hình nếu đã điền, nếu không thì kỳ có ngày tính đến (ngày sau kỳ năm của kế "
               "hoạch: báo cáo năm của kế hoạch)")


FIRST_YEAR, LAST_YEAR = 2000, 2100   # the years the program computes with (cchc_xl.core.calendar.date_window)


def date_arg(text: str) -> dt.date:
    """An argparse type for dates: ``YYYY-MM-DD`` or ``dd/mm/yyyy``, in the years 2000–2100.

    >>> date_arg("9999-12-31")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: ngày '9999-12-31' nằm ngoài các năm 2000–2100 mà chương trình tính được;
    hãy kiểm tra lại năm
    """
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        try:
            day = dt.datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"ngày '{text}' không hợp lệ; dùng dạng YYYY-MM-DD (ví dụ 2024-06-14) hoặc dd/mm/yyyy (ví dụ "
                f"14/06/2024)") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"ngày '{text}' nằm ngoài các năm {FIRST_YEAR}–{LAST_YEAR} mà chương trình "
                                         f"tính được; hãy kiểm tra lại năm")
    return day


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
        self.exit(EXIT_USAGE, f"Lỗi: {message}\n")


def vietnamese_metavars(parser: argparse.ArgumentParser) -> None:
    """Vietnamese placeholders (SỔ_TÍNH, NGÀY, …) in a parser's usage line and messages."""
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        if action.metavar is None and action.dest in _METAVARS and action.nargs != 0:
            action.metavar = _METAVARS[action.dest]
