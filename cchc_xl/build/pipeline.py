"""The whole workbook build: text sources → ``workbook/CCHC_2024.xlsm``.

1. XlsxWriter lays out the sheets, tables, validation, formatting and the report chart
   from ``workbook/src`` and embeds the VBA project compiled from ``workbook/vba``;
2. the custom ribbon (``workbook/ribbon/customUI14.xml``) is added to the package;
3. the engine refreshes it once, as of the sample date :data:`SAMPLE_AS_OF` (the report says so:
   :data:`SAMPLE_DATE_NOTE`), so that the committed file already shows every computed value on a
   computer without Python. The ``ngay_tinh_den`` setting ships empty: the school's own runs are as of
   today (the rule of :mod:`cchc_xl.core.report_date`).

Every step is deterministic, so building twice gives the same bytes; a test rebuilds and
compares with the committed file.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

__all__ = ["build", "build_bytes", "SAMPLE_AS_OF", "SAMPLE_DATE_NOTE"]

#: The date the bundled workbook's stored values are computed as of (the sample data's 6-month report).
SAMPLE_AS_OF = dt.date(2024, 6, 14)
SAMPLE_DATE_NOTE = ("Số liệu lưu sẵn trong sổ tính phát hành được tính đến ngày mẫu 14/06/2024; bấm 'Cập nhật tất "
                    "cả' (hoặc chạy cchc-xl refresh) để tính đến hôm nay.")


def build_bytes() -> bytes:
    """The built workbook as bytes."""
    from ..excel.conf import add_conf_sheet
    from ..excel.ribbon import inject_ribbon
    from ..excel.vba import build_vba_project
    from .workbook import SHEET_ORDER, build_workbook

    # One VBA document module per worksheet: the contract sheets plus xlwings.conf.
    code_names = [f"Sheet{i}" for i in range(1, len(SHEET_ORDER) + 2)]
    with tempfile.TemporaryDirectory(prefix="cchc-build-") as tmp:
        base = Path(tmp) / "base.xlsm"
        build_workbook(base, vba_project=build_vba_project(code_names), extra_sheets=add_conf_sheet)
        with_ribbon = Path(tmp) / "ribbon.xlsm"
        with_ribbon.write_bytes(inject_ribbon(base.read_bytes()))
        final = Path(tmp) / "CCHC_2024.xlsm"
        _refresh_as_of_sample(with_ribbon, final)
        return final.read_bytes()


def _refresh_as_of_sample(src: Path, out: Path) -> None:
    """Refresh ``src`` into ``out`` as of :data:`SAMPLE_AS_OF`, the report noting it (:data:`SAMPLE_DATE_NOTE`)."""
    from ..engine import compute, load_data, write_outputs
    from ..io.file_book import FileBook

    book = FileBook.open(src, out=out, backup=False)
    write_outputs(book, compute(load_data(book), as_of=SAMPLE_AS_OF, date_note=SAMPLE_DATE_NOTE))
    book.save()


def build(out: str | Path = "workbook/CCHC_2024.xlsm") -> Path:
    """Build the workbook into ``out`` (atomically: a reader never sees half a file)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = build_bytes()
    from ..io.nofollow import replace_file

    return replace_file(out, data, durable=True)      # a temporary beside it, never through a link
