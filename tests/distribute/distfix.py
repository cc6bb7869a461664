"""Fixtures for the distribution tests: a master workbook, hand-out copies, an SMTP server."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from cchc_xl import schema

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"


UNIT_CODE = "000.00.21.H25"      # a school's electronic identifier (the bundled workbook ships none)


def with_unit_code(path: Path, code: str = UNIT_CODE) -> Path:
    """Fill the setting ``ma_dinh_danh`` of the workbook at ``path`` (``send`` refuses to send without it; it is
    not part of the report's data, so the report in the workbook stays the one to send)."""
    from cchc_xl.io.file_book import FileBook
    from cchc_xl.io.ooxml import Package

    td = FileBook.open(path).read_table(schema.SETTINGS.sheet, schema.SETTINGS.table)
    row = td.first_row + [r[0] for r in td.row_values()].index("ma_dinh_danh")
    pkg = Package.open(path)
    pkg.set_cells(schema.SETTINGS.sheet, {(row, td.headers.index("Giá trị") + 1): code})
    pkg.save(path, backup=False)
    return path


@pytest.fixture(scope="session")
def master_template(tmp_path_factory) -> Path:
    """The bundled master workbook (tests/test_workbook_fresh.py keeps it equal to a fresh build), with a unit
    code filled in as a school does before sending."""
    dest = tmp_path_factory.mktemp("master") / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, dest)
    return with_unit_code(dest)


@pytest.fixture()
def master(tmp_path, master_template) -> Path:
    d = tmp_path / "office"
    d.mkdir()
    dest = d / "CCHC_2024.xlsm"
    shutil.copyfile(master_template, dest)
    return dest


def make_report(path: Path, period: str | None, as_of) -> Path:
    """Refresh ``path`` in place for ``period`` as of ``as_of``: the report ``send`` then sends."""
    from cchc_xl.engine import refresh_file

    refresh_file(path, as_of=as_of, period=period, backup=False)
    return path


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


def edit_occurrences(src: Path, dest: Path, edits: dict[str, dict[str, object]]) -> Path:
    """Write ``src`` with ``edits`` ({occurrence Mã: {header: value}}) in its occurrence table to ``dest``."""
    from cchc_xl.io.file_book import FileBook
    from cchc_xl.io.ooxml import Package

    td = FileBook.open(src).read_table(schema.OCCURRENCES.sheet, schema.OCCURRENCES.table)
    rows = {str(r[0].value): td.first_row + i for i, r in enumerate(td.rows)}
    pkg = Package.open(src)
    pkg.set_cells(schema.OCCURRENCES.sheet, {(rows[oid], schema.OCCURRENCES.col(h) + 1): v
                                            for oid, cols in edits.items() for h, v in cols.items()})
    dest.parent.mkdir(parents=True, exist_ok=True)
    pkg.save(dest, backup=False)
    return age(dest)


class Reads:
    """Counts, during a run, what issue #18 says a run does once: opens of a workbook file (``Package.open``, by
    file name), loads (``engine.load_data``), reads of each table through the file adapter, computations
    (``engine.compute``) and decisions of the as-of date and period (``resolve_report_date``)."""

    def __init__(self, monkeypatch):
        import collections

        from cchc_xl import engine
        from cchc_xl.io.file_book import FileBook
        from cchc_xl.io.ooxml import Package

        self.opens: collections.Counter = collections.Counter()
        self.tables: collections.Counter = collections.Counter()
        self.loads = self.computes = self.decisions = 0
        open_package, read_table = Package.open.__func__, FileBook.read_table
        load, compute, resolve = engine.load_data, engine.compute, engine.resolve_report_date

        def counting_open(cls, path, **limits):
            self.opens[Path(path).name] += 1
            return open_package(cls, path, **limits)

        def counting_read(book, sheet, table):
            self.tables[(book.path.name, table)] += 1
            return read_table(book, sheet, table)

        def counting_load(book):
            self.loads += 1
            return load(book)

        def counting_compute(data, **kw):
            self.computes += 1
            return compute(data, **kw)

        def counting_resolve(*a, **kw):
            self.decisions += 1
            return resolve(*a, **kw)

        monkeypatch.setattr(Package, "open", classmethod(counting_open))
        monkeypatch.setattr(FileBook, "read_table", counting_read)
        monkeypatch.setattr(engine, "load_data", counting_load)
        monkeypatch.setattr(engine, "compute", counting_compute)
        monkeypatch.setattr(engine, "resolve_report_date", counting_resolve)

    def of(self, name: str) -> dict:
        """What the run did to the workbook file ``name``."""
        return {"opens": self.opens[name], "loads": self.loads, "computes": self.computes,
                "decisions": self.decisions,
                "table reads": max((n for (book, _t), n in self.tables.items() if book == name), default=0)}


ONCE = {"opens": 1, "loads": 1, "computes": 1, "decisions": 1, "table reads": 1}
