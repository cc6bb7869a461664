"""Fixtures for the distribution tests: a master workbook, hand-out copies, an SMTP server."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import socket
import zipfile
from pathlib import Path

import pytest

from cchc_xl import schema

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
LOG_HEADERS = ("Thời gian", "Tệp", "Tổ/nhóm", "Mã", "Cột", "Giá trị cũ", "Giá trị mới", "Ghi chú")

_CUSTOM_UI = (b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui">'
              b'<ribbon><tabs><tab id="cchc" label="CCHC"/></tabs></ribbon></customUI>')


def _inject_ribbon(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "_rels/.rels":
                body = body.replace(b"</Relationships>",
                                    b'<Relationship Id="rIdUI" Type="http://schemas.microsoft.com/office/2007/'
                                    b'relationships/ui/extensibility" Target="customUI/customUI14.xml"/>'
                                    b"</Relationships>")
            out.writestr(info, body)
        out.writestr("customUI/customUI14.xml", _CUSTOM_UI)
    return buf.getvalue()


def build_fake_master(dest: Path) -> Path:
    """A macro-enabled master with the contract tables (data from workbook/src), a log sheet,
    a report sheet with a chart and formulas, a (fake) VBA project and a ribbon part."""
    import xlsxwriter

    from cchc_xl.build.sources import load_all

    tables = load_all()
    tmp = dest.with_suffix(".tmp.xlsm")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
    vba = dest.parent / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    wb.add_vba_project(str(vba))
    datef = wb.add_format({"num_format": "dd/mm/yyyy"})
    guide = wb.add_worksheet(schema.SHEET_GUIDE)
    guide.write_string(0, 0, "Hướng dẫn sử dụng sổ tính CCHC")
    for spec in schema.TABLES:
        ws = wb.add_worksheet(spec.sheet)
        rows = tables[spec.table].rows
        ws.add_table(0, 0, max(len(rows), 1), len(spec.headers) - 1,
                     {"name": spec.table, "columns": [{"header": h} for h in spec.headers]})
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                if isinstance(v, (dt.date, dt.datetime)):
                    d = v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
                    ws.write_datetime(r, c, d, datef)
                elif v is None:
                    continue
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, str(v))
        if spec is schema.TASKS:
            ws.data_validation(1, spec.col("Trạng thái"), 500, spec.col("Trạng thái"),
                               {"validate": "list", "source": list(schema.TASK_STATUS)})
    rep = wb.add_worksheet(schema.SHEET_REPORT)
    rep.write_string(0, 0, "BÁO CÁO KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH")
    rep.write_string(1, 0, "Trường THPT Kiến Thụy – Hải Phòng")
    rep.write_number(3, 1, 3)
    rep.write_number(4, 1, 4)
    rep.write_formula(5, 1, "=SUM(B4:B5)", None, 7)
    rep.write_formula(6, 1, '="Tổng: "&B6', None, "Tổng: 7")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": f"='{schema.SHEET_REPORT}'!$B$4:$B$5", "name": "Số liệu"})
    rep.insert_chart("D2", chart)
    log = wb.add_worksheet(schema.SHEET_LOG)
    for c, h in enumerate(LOG_HEADERS):
        log.write_string(0, c, h)
    wb.close()
    dest.write_bytes(_inject_ribbon(tmp.read_bytes()))
    tmp.unlink()
    vba.unlink()
    return dest


@pytest.fixture(scope="session")
def master_template(tmp_path_factory) -> Path:
    """A refreshed master workbook (the bundled one when it exists)."""
    d = tmp_path_factory.mktemp("master")
    dest = d / "CCHC_2024.xlsm"
    if BUNDLED.exists():
        shutil.copyfile(BUNDLED, dest)
        return dest
    try:  # the project's own build (tables, validation, report sheet, log sheet) + a fake VBA + a ribbon
        from cchc_xl.build.workbook import build_workbook

        build_workbook(dest, vba_project=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
        dest.write_bytes(_inject_ribbon(dest.read_bytes()))
    except ImportError:
        build_fake_master(dest)
    from cchc_xl.engine import refresh_file

    refresh_file(dest, as_of=dt.date(2024, 6, 14), backup=False)
    return dest


@pytest.fixture()
def master(tmp_path, master_template) -> Path:
    d = tmp_path / "office"
    d.mkdir()
    dest = d / "CCHC_2024.xlsm"
    shutil.copyfile(master_template, dest)
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ copies


def age(path: Path, seconds: float = 120) -> Path:
    """Make ``path`` look written ``seconds`` ago (the inbox skips files written just now)."""
    import os
    import time

    t = time.time() - seconds
    os.utime(path, (t, t))
    return path


def task_rows(path: Path) -> dict[str, int]:
    """Mã -> Excel row of the task table in a workbook."""
    from cchc_xl.io.file_book import FileBook

    book = FileBook.open(path)
    td = book.read_table(schema.TASKS.sheet, schema.TASKS.table)
    return {str(r[0].value): td.first_row + i for i, r in enumerate(td.rows) if r[0].value}


def fill_copy(src: Path, dest: Path, edits: dict[str, dict[str, object]], seconds_ago: float = 120) -> Path:
    """Write ``src`` with ``edits`` ({Mã: {header: value}}) to ``dest`` through ooxml (as a user would
    change cells); header positions follow the contract order."""
    from cchc_xl.io.ooxml import Package

    rows = task_rows(src)
    pkg = Package.open(src)
    cells = {}
    for tid, cols in edits.items():
        for h, v in cols.items():
            cells[(rows[tid], schema.TASKS.col(h) + 1)] = v
    pkg.set_cells(schema.TASKS.sheet, cells)
    dest.parent.mkdir(parents=True, exist_ok=True)
    pkg.save(dest, backup=False)
    return age(dest, seconds_ago)


def master_values(path: Path) -> dict[str, dict[str, object]]:
    from cchc_xl.io.file_book import FileBook

    td = FileBook.open(path).read_table(schema.TASKS.sheet, schema.TASKS.table)
    return {str(r[0].value): {h: c for h, c in zip(td.headers, r)} for r in td.rows if r[0].value}


@pytest.fixture()
def copies(tmp_path, master) -> dict[str, Path]:
    """Hand-out copies of ``master`` keyed by group."""
    from cchc_xl.distribute.handout import handout
    from cchc_xl.io.ooxml import Package

    out = {}
    for p in handout(master, tmp_path / "handout"):
        props = Package.open(p).read_part("docProps/custom.xml").decode()
        import re

        group = re.search(r'name="CCHC_ToNhom"><vt:lpwstr>([^<]*)<', props).group(1)
        out[group] = p
    return out


def group_tasks(master: Path, group: str) -> list[str]:
    return [tid for tid, row in master_values(master).items()
            if str(row["Tổ/nhóm chuyên môn"].value).strip() == group]
