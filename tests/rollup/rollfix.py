"""Schools for the roll-up tests: the bundled workbook with different data, written through the file engine."""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

from cchc_xl import schema
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"


def _rows(book: FileBook, spec) -> tuple[dict[str, int], dict[str, int]]:
    """(key value -> Excel row, header -> Excel column) of a contract table."""
    td = book.read_table(spec.sheet, spec.table)
    info = book.table_info(spec.table)
    from cchc_xl.io.file_book import parse_ref

    _, c1, _, _ = parse_ref(info.ref)
    key = td.headers.index(spec.key)
    rows = {str(r[key].value): td.first_row + i for i, r in enumerate(td.rows) if r[key].value is not None}
    return rows, {h: c1 + j for j, h in enumerate(td.headers)}


def make_school(dest: Path, i: int, *, code: str, name: str, seed: int = 0, year: int = 2024,
                as_of: dt.date = dt.date(2024, 6, 14), source: Path = BUNDLED) -> Path:
    """A copy of ``source`` for school ``i``: its identity, and varied task statuses/dates and dossier
    outcomes, ratings and channels (cells written as a user would, through the ooxml writer)."""
    rng = random.Random(seed * 1000 + i)
    pkg = Package.open(source)
    book = FileBook(pkg, source)
    settings_rows, settings_cols = _rows(book, schema.SETTINGS)
    value_col = settings_cols["Giá trị"]
    settings = {"ma_dinh_danh": code, "ten_truong_ngan": name, "ten_truong": name.upper(),
                "nam_ke_hoach": year, "ngay_tinh_den": as_of,
                "cach_tinh_hai_long": rng.choice(("QĐ 766", "Khảo sát"))}
    pkg.set_cells(schema.SETTINGS.sheet, {(settings_rows[k], value_col): v for k, v in settings.items()})

    task_rows, task_cols = _rows(book, schema.TASKS)
    cells = {}
    for row in task_rows.values():
        r = rng.random()
        if r < 0.05:
            status, done = "Không thực hiện", None
        elif r < 0.55:
            status, done = "Hoàn thành", as_of - dt.timedelta(days=rng.randint(0, 160))
        elif r < 0.85:
            status, done = "Đang thực hiện", None
        else:
            status, done = "Chưa thực hiện", None
        cells[(row, task_cols["Trạng thái"])] = status
        cells[(row, task_cols["Ngày hoàn thành"])] = done
    pkg.set_cells(schema.TASKS.sheet, cells)

    dossier_rows, dossier_cols = _rows(book, schema.DOSSIERS)
    td = book.read_table(schema.DOSSIERS.sheet, schema.DOSSIERS.table)
    result_at = {td.first_row + k: r[td.headers.index("Ngày có kết quả")].value for k, r in enumerate(td.rows)}
    cells = {}
    for _, row in dossier_rows.items():
        done = result_at.get(row)
        if isinstance(done, (dt.date, dt.datetime)) and rng.random() < 0.2:  # still being processed
            cells[(row, dossier_cols["Trạng thái"])] = "Đang xử lý"
            cells[(row, dossier_cols["Ngày có kết quả"])] = None
        elif isinstance(done, (dt.date, dt.datetime)):  # resolved a few days earlier or later
            day = done.date() if isinstance(done, dt.datetime) else done
            cells[(row, dossier_cols["Ngày có kết quả"])] = min(as_of, day + dt.timedelta(days=rng.randint(-1, 6)))
        cells[(row, dossier_cols["Đánh giá"])] = rng.choice(list(schema.RATING) + [None])
        cells[(row, dossier_cols["Hình thức nộp"])] = rng.choice(list(schema.DOSSIER_CHANNEL))
        cells[(row, dossier_cols["Có phản ánh"])] = rng.choice(("Có", "Không", "Không", "Không"))
        cells[(row, dossier_cols["Số hóa kết quả"])] = rng.choice(("Có", "Không"))
    pkg.set_cells(schema.DOSSIERS.sheet, cells)
    dest.parent.mkdir(parents=True, exist_ok=True)
    pkg.save(dest, backup=False)
    return dest


def set_time(path: Path, when: dt.datetime) -> Path:
    """Make ``path`` look saved into the inbox at ``when``."""
    t = when.timestamp()
    os.utime(path, (t, t))
    return path
