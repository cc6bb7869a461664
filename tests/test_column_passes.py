"""Work done a column at a time gives what the cell-by-cell code gave: the report's data fingerprint
(report_record.data_fingerprint) and the cells a computed column rewrites (file_book._changed).

The references below are the row-by-row code these replaced, kept here verbatim in substance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cchc_xl import schema
from cchc_xl.report import record as report_record
from cchc_xl.engine import load_data
from cchc_xl.io.file_book import FileBook, _changed, _shows
from cchc_xl.io.tables import Cell, TableData, WorkbookData
from cchc_xl.report.record import DELIVERY_SETTINGS, _canon, data_fingerprint


def fingerprint_by_row(data) -> str:
    """The fingerprint as it was computed before: every row canonicalised and hashed in turn."""
    h = hashlib.sha256()
    for spec in schema.TABLES:
        if spec is schema.NARRATIVE:  # a person's texts are hashed below, not the engine's drafts
            continue
        td = data.tables.get(spec.table)
        if td is None:
            h.update(f"\x1e{spec.table}\x1fNONE".encode())
            continue
        keep = [j for j, name in enumerate(td.headers) if name not in spec.computed]
        skip_at = keep.index(td.headers.index("Khóa")) if spec is schema.SETTINGS and "Khóa" in td.headers else None
        h.update(("\x1e" + spec.table + "\x1f" + "\x1f".join(td.headers[j] for j in keep)).encode())
        if not keep:
            continue
        errors: dict[int, dict[int, str]] = {}
        for (i, j), cell in td.cell_marks().items():
            if cell.error and j in keep:
                errors.setdefault(i, {})[keep.index(j)] = cell.error
        width = len(td.headers)
        for i, row in enumerate(td.row_values()):
            if len(row) < width:
                row = list(row) + [None] * (width - len(row))
            values = [_canon(row[j]) for j in keep]
            for k, error in errors.get(i, {}).items():
                values[k] = error
            if any(values) and (skip_at is None or values[skip_at].strip() not in DELIVERY_SETTINGS):
                h.update(("\x1d" + "\x1f".join(values)).encode())
    for ind in data.indicators:
        if ind.manual_value is not None:
            h.update(f"\x1e{ind.code}\x1f{_canon(ind.manual_value)}".encode())
    for entry in data.narrative:
        if entry.person_text:
            h.update(f"\x1e{entry.period}\x1f{entry.code}\x1f{entry.person_text}".encode())
    return h.hexdigest()[:32]


def test_canon_of_datetimes():
    assert _canon(dt.datetime(2024, 6, 14)) == "2024-06-14"
    assert _canon(dt.datetime(2024, 6, 14, 0, 0, 0, 500)) == "2024-06-14T00:00:00"
    assert _canon(dt.datetime(2024, 6, 14, 15, 30)) == "2024-06-14T15:30:00"


@pytest.fixture(scope="module")
def generated(root, tmp_path_factory):
    sys.path.insert(0, str(root / "scripts"))
    import bench

    return bench.make_workbook(tmp_path_factory.mktemp("bench") / "bench.xlsm", 2000, 60)


def test_fingerprint_of_real_workbooks(root, generated):
    for path in (root / "workbook" / "CCHC_2024.xlsm", generated):
        data = load_data(FileBook.open(path))
        assert data_fingerprint(data) == fingerprint_by_row(data)


VALUES = st.one_of(
    st.none(), st.sampled_from(["", " ", "a", "Có", "#N/A", "\x1f", "smtp_may_chu", " email_nguoi_gui "]),
    st.text(max_size=4), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e20, math.nan]),
    st.builds(dt.datetime, st.just(2024), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23),
              st.sampled_from([0, 30]), st.just(0), st.sampled_from([0, 0, 7])),
    st.builds(dt.date, st.just(2024), st.integers(1, 12), st.integers(1, 28)))


@st.composite
def workbook_data(draw):
    tables = {}
    for spec in schema.TABLES:
        if draw(st.integers(0, 5)) == 0:
            continue
        headers = list(spec.headers)
        n = draw(st.integers(0, 6))
        values = [[draw(VALUES) for _ in headers[:draw(st.integers(0, len(headers)))]] for _ in range(n)]
        marks = {}
        if n and draw(st.booleans()):
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, len(headers) - 1))
            marks[(i, j)] = Cell(None, error=draw(st.sampled_from(["#N/A", "#REF!"])))
        tables[spec.table] = TableData(spec.sheet, spec.table, headers, 2, values=values, marks=marks)
    return WorkbookData(tables=tables)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=workbook_data())
def test_fingerprint_of_generated_tables(data):
    """Mixed types in a column (True beside 1 and 1.0, NaN, datetimes with a time), error cells, short rows,
    blank rows, the settings that are not part of it: the same fingerprint as row by row, whatever the number of
    rows hashed at a time."""
    expected = fingerprint_by_row(data)
    saved = report_record._CHUNK
    try:
        for chunk in (1, 2, 5, saved):
            report_record._CHUNK = chunk
            assert data_fingerprint(data) == expected
    finally:
        report_record._CHUNK = saved


CELLS = st.one_of(st.none(), st.sampled_from(["", "Đúng hạn", "Trễ hạn"]), st.booleans(),
                  st.sampled_from([0, 1, 1.0, 2.5, 45000.0]),
                  st.builds(dt.date, st.just(2024), st.integers(1, 2), st.integers(1, 3)),
                  st.builds(dt.datetime, st.just(2024), st.integers(1, 2), st.integers(1, 3), st.sampled_from([0, 9])))


@settings(max_examples=400, deadline=None)
@given(pairs=st.lists(st.tuples(CELLS, CELLS), max_size=30))
def test_changed_cells_are_those_not_shown(pairs):
    shown, values = [p[0] for p in pairs], [p[1] for p in pairs]
    assert _changed(shown, values) == [i for i, (o, v) in enumerate(pairs) if not _shows(o, v)]
