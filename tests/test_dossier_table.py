"""The dossier table read by columns (io/dossier_table.py) and the statistics computed over columns
(core/dossier_columns.py) equal the row-by-row reader and the rule functions, on real workbooks and on
every kind of bad input.

The reference is the row-by-row path: ``io.tables._parse_dossiers_by_row`` (every row through ``io.table_rows.Rows``)
and ``core.rates.dossier_stats`` (``core.dossiers.due_date``/``classify`` one dossier at a time). Compared:
the records, their rows and order, every problem (sheet, row, column, sentence, in order), the due dates,
classes and counts of every period at many dates, and what the engine writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import test_engine_rules as rules  # the hand-checked data set and its table helper
from cchc_xl import engine, schema
from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.dossier_columns import DossierColumns, column_stats
from cchc_xl.core.periods import PERIOD_KEYS, get_period
from cchc_xl.core.rates import dossier_stats
from cchc_xl.io import tables as tables_mod
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.tables import Cell, TableData, parse_tables

D, T = dt.date, dt.datetime


def parse_by_row(tables: dict) -> tables_mod.WorkbookData:
    """``parse_tables`` with the dossier table read one row at a time (the reference)."""
    saved = tables_mod._parse_dossiers
    tables_mod._parse_dossiers = tables_mod._parse_dossiers_by_row
    try:
        return parse_tables(tables)
    finally:
        tables_mod._parse_dossiers = saved


def assert_same_parse(tables: dict) -> tables_mod.WorkbookData:
    got, expected = parse_tables(tables), parse_by_row(tables)
    assert isinstance(got.dossiers, DossierColumns)
    assert list(got.dossiers) == expected.dossiers
    assert got.dossier_rows == expected.dossier_rows
    assert got.problems == expected.problems
    assert got.unreadable == expected.unreadable
    return got


def assert_same_stats(data, cal, *, cuts, keys=PERIOD_KEYS, year=2024):
    reference = list(data.dossiers)       # the records, one by one
    for key in keys:
        period = get_period(key, year)
        for cut in cuts:
            window = dataclasses.replace(period, end=min(cut, period.end))
            for refused_timed, restart, roll in ((True, True, True), (False, False, False), (True, False, True)):
                args = (data.procedures, window, min(cut, period.end), cal, refused_timed, "QĐ 766", restart, roll)
                assert column_stats(data.dossiers, *args) == dossier_stats(reference, *args), (key, cut)


def tables_of(path) -> dict:
    book = FileBook.open(path)
    return {spec.table: book.read_table(spec.sheet, spec.table) for spec in schema.TABLES}


# -- real workbooks -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled(root):
    return tables_of(root / "workbook" / "CCHC_2024.xlsm")


@pytest.fixture(scope="module")
def generated(root, tmp_path_factory):
    """The bench's workbook: the bundled one with 3,000 generated dossiers (refreshed the day before)."""
    sys.path.insert(0, str(root / "scripts"))
    import bench

    return tables_of(bench.make_workbook(tmp_path_factory.mktemp("bench") / "bench.xlsm", 3000, 60))


def test_bundled_workbook_parse(bundled):
    data = assert_same_parse(bundled)
    assert len(data.dossiers) > 20


def test_bundled_workbook_every_period_at_many_dates(bundled):
    data = parse_tables(bundled)
    cal = WorkCalendar(data.overrides)
    cuts = [D(2023, 12, 1) + dt.timedelta(days=k) for k in range(0, 420, 6)]
    assert_same_stats(data, cal, cuts=cuts)


def test_generated_workbook(generated):
    data = assert_same_parse(generated)
    assert len(data.dossiers) == 3000
    cal = WorkCalendar(data.overrides)
    assert_same_stats(data, cal, cuts=[D(2024, 3, 14), D(2024, 6, 14), D(2024, 9, 14), D(2024, 12, 14)])


@pytest.mark.parametrize("as_of,period", [(D(2024, 3, 14), None), (D(2024, 6, 14), None), (D(2024, 9, 14), None),
                                          (D(2024, 12, 14), None), (D(2024, 12, 14), "q1"), (D(2024, 8, 1), "h1")])
def test_engine_result_and_outputs_unchanged(generated, as_of, period, monkeypatch):
    """The engine's figures and per-dossier flags, and the two columns it writes, are those of the reference."""
    got = engine.compute(parse_tables(generated), as_of=as_of, period=period, today=D(2024, 12, 20))
    import cchc_xl.core.dossier_columns as columns

    monkeypatch.setattr(columns, "column_stats", dossier_stats)
    expected = engine.compute(parse_by_row(generated), as_of=as_of, period=period, today=D(2024, 12, 20))
    assert got.figures == expected.figures
    assert got.dossier_flags == expected.dossier_flags and list(got.dossier_flags) == list(expected.dossier_flags)
    assert got.to_json() == expected.to_json()

    written = {}

    class Recorder:
        def write_column(self, sheet, table, header, values):
            written.setdefault(id(self), {})[header] = values

        def write_report(self, grid):
            pass

    a, b = Recorder(), Recorder()
    engine.write_outputs(a, got, outputs={"dossiers"})
    engine.write_outputs(b, expected, outputs={"dossiers"})
    assert written[id(a)] == written[id(b)] and written[id(a)]["Phân loại"]


# -- every bad input of the hand-checked data set ---------------------------------------------------------

def dossier_table(rows, headers=None):
    return rules.table(schema.DOSSIERS, rows, headers)


def with_procedures(dossiers):
    return {"tblHoSo": dossiers, "tblThuTuc": rules.table(schema.PROCEDURES, rules.PROCEDURES),
            "tblCauHinh": rules.table(schema.SETTINGS, rules.SETTINGS)}


def bad_cases():
    base = rules.DOSSIERS
    first = base[0]
    yield "hand-checked", base
    yield "text and number in date columns", [dict(first, **{"Ngày có kết quả": "hôm qua"}),
                                              dict(base[1], **{"Ngày hẹn trả": 45000})] + base[2:]
    yield "finish before receipt", [dict(first, **{"Ngày có kết quả": T(2024, 1, 2)})] + base[1:]
    yield "unknown enumerated values", [dict(first, **{"Hình thức nộp": "Fax"}), dict(base[1], **{"Đánh giá": "Tốt"}),
                                        dict(base[2], **{"Số hóa kết quả": "Chưa"}),
                                        dict(base[3], **{"Có phản ánh": True})] + base[4:]
    yield "duplicate ids", base + [first, dict(base[3], **{"Mã hồ sơ": " D4 "})]
    yield "blank rows inside and at the end", base[:2] + [{}] + base[2:] + [{"Mã hồ sơ": "  "}, {}]
    yield "missing key, receipt, status, channel", [dict(first, **{"Mã hồ sơ": None}),
                                                     dict(base[1], **{"Ngày tiếp nhận": None}),
                                                     dict(base[2], **{"Trạng thái": None}),
                                                     dict(base[3], **{"Hình thức nộp": " "})] + base[4:]
    yield "unknown procedure with and without appointment", [
        dict(first, **{"Mã TTHC": "P99"}), dict(base[1], **{"Mã TTHC": "P99", "Ngày hẹn trả": D(2024, 5, 9)}),
        dict(base[2], **{"Mã TTHC": None}), dict(base[3], **{"Mã TTHC": 5.0})] + base[4:]
    yield "status and result disagree", [dict(first, **{"Trạng thái": "Đang xử lý"}),
                                         dict(base[1], **{"Ngày có kết quả": None}),
                                         dict(base[9], **{"Ngày có kết quả": D(2024, 6, 1)})] + base[2:9] + base[10:]
    yield "complete dates", [dict(d, **{"Ngày nhận đủ hồ sơ": D(2024, 6, 10)}) if d["Mã hồ sơ"] == "D10" else d
                             for d in base] + [dict(first, **{"Mã hồ sơ": "C1", "Ngày nhận đủ hồ sơ": D(2024, 1, 1)}),
                                               dict(base[9], **{"Mã hồ sơ": "C2", "Ngày nhận đủ hồ sơ": D(2024, 6, 3)}),
                                               dict(first, **{"Mã hồ sơ": "C3", "Ngày nhận đủ hồ sơ": "sai"})]
    yield "texts with stray spaces and line breaks", [
        dict(first, **{"Mã hồ sơ": "  D1\n", "Trạng thái": " Đã  trả\tkết quả ", "Hình thức nộp": "Trực\u00a0tiếp"}),
        dict(base[1], **{"Mã TTHC": " P5 ", "Đánh giá": "Hài lòng\r\n"})] + base[2:]
    yield "dates outside the plan year's window", [dict(first, **{"Ngày tiếp nhận": T(9999, 6, 10, 8)}),
                                                  dict(base[1], **{"Ngày hẹn trả": D(2042, 1, 1)}),
                                                  dict(base[2], **{"Ngày có kết quả": D(1900, 1, 1)}),
                                                  dict(base[3], **{"Ngày nhận đủ hồ sơ": D(2100, 1, 1)})] + base[4:]
    yield "dates as plain dates and numbers as ids", [dict(first, **{"Ngày tiếp nhận": D(2024, 2, 7)}),
                                                      dict(base[1], **{"Mã hồ sơ": 1234.0}),
                                                      dict(base[2], **{"Mã hồ sơ": T(2024, 1, 1)})] + base[3:]


@pytest.mark.parametrize("name,rows", list(bad_cases()), ids=[name for name, _ in bad_cases()])
def test_bad_input_same_records_and_problems(name, rows):
    assert_same_parse(with_procedures(dossier_table(rows)))


def test_formula_error_and_merged_cells():
    td = dossier_table(rules.DOSSIERS)
    col = schema.DOSSIERS.col
    td.rows[0][col("Ngày có kết quả")] = Cell(None, formula="NA()", error="#N/A")
    td.rows[1][col("Mã TTHC")] = Cell("P5", formula='"P"&5')
    td.rows[2][col("Tên TTHC")] = Cell("x", merged=True)
    td.rows[3][col("Tên TTHC")] = Cell("Năm ngày", formula="VLOOKUP(B5,tblThuTuc,2,0)")   # not read: no problem
    td.rows[4][col("Phân loại")] = Cell(None, error="#VALUE!")
    td.rows[5][col("Mã hồ sơ")] = Cell(None, error="#REF!")
    data = assert_same_parse(with_procedures(td))
    assert sorted({p.row for p in data.problems if p.sheet == schema.DOSSIERS.sheet}) == [2, 3, 4, 7]


def test_missing_optional_column_and_renamed_header():
    headers = [h for h in schema.DOSSIERS.headers if h != "Ngày nhận đủ hồ sơ"]
    assert_same_parse(with_procedures(dossier_table(rules.DOSSIERS, headers)))
    renamed = [("Trạng thái xử lý" if h == "Trạng thái" else h) for h in schema.DOSSIERS.headers]
    data = assert_same_parse(with_procedures(dossier_table(rules.DOSSIERS, renamed)))
    assert len(data.dossiers) == 0 and schema.DOSSIERS.table in data.unreadable


def test_short_rows_and_plain_values():
    """Rows shorter than the header (an adapter may give them) and a table built from plain values."""
    width = len(schema.DOSSIERS.headers)
    full = [[r.get(h) for h in schema.DOSSIERS.headers] for r in rules.DOSSIERS]
    values = [row[:width - 3] if k % 2 else row for k, row in enumerate(full)]
    td = TableData(schema.DOSSIERS.sheet, schema.DOSSIERS.table, list(schema.DOSSIERS.headers), 5, values=values,
                   marks={(2, 1): Cell("P5", formula="x")})
    data = assert_same_parse(with_procedures(td))
    assert data.dossier_rows[0] == 5


# -- generated tables ---------------------------------------------------------------------------------------

TEXTS = ["Đang xử lý", "Chờ bổ sung", "Đã trả kết quả", "Rút hồ sơ", "Từ chối", "Trực tiếp", "Trực tuyến",
         "Bưu chính", "Có", "Không", "Rất hài lòng", "Hài lòng", "Không hài lòng", "P5", "P0", "P10", "P99", "x"]


def messy(text: str):
    """A text as people type it: spaces around, doubled, non-breaking, a line break, a tab."""
    return st.sampled_from([text, f" {text} ", text.replace(" ", "  "), text.replace(" ", "\u00a0"), text + "\n",
                            "\t" + text])


def cell_values(kind: str):
    dates = st.builds(lambda k, h: T(2023, 12, 1) + dt.timedelta(days=k, hours=h), st.integers(0, 400),
                      st.sampled_from([0, 0, 8, 14, 15, 16]))
    plain = st.one_of(st.none(), st.sampled_from(["", "  "]), st.floats(0, 50000, allow_nan=False),
                      st.booleans(), st.integers(-3, 3))
    if kind == "date":
        return st.one_of(dates, dates, dates.map(lambda d: d.date()), plain, st.sampled_from(["01/02/2024", "?"]))
    if kind == "key":
        return st.one_of(st.sampled_from(["HS1", "HS2", "HS3", "HS4", "HS5", "HS6", " HS1", "HS1 "]).flatmap(messy),
                         plain)
    return st.one_of(st.sampled_from(TEXTS).flatmap(messy), st.sampled_from(TEXTS), plain)


KINDS = {"Mã hồ sơ": "key", "Ngày tiếp nhận": "date", "Ngày hẹn trả": "date", "Ngày có kết quả": "date",
         "Ngày nhận đủ hồ sơ": "date"}


@st.composite
def dossier_tables(draw):
    headers = list(schema.DOSSIERS.headers)
    if draw(st.booleans()):
        headers.remove("Ngày nhận đủ hồ sơ")
    n = draw(st.integers(0, 14))
    values = []
    for _ in range(n):
        if draw(st.integers(0, 9)) == 0:
            values.append([None] * len(headers))
            continue
        good = draw(st.booleans())       # half the rows well kept: the fast path has work
        row = []
        for h in headers:
            if good and h in ("Mã hồ sơ",):
                row.append(draw(st.sampled_from(["HS1", "HS2", "HS3", "HS4", "HS5", "HS6", "HS7"])))
            elif good and h == "Ngày tiếp nhận":
                row.append(T(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 300)), hours=draw(st.integers(7, 17))))
            elif good and h in ("Ngày hẹn trả", "Ngày có kết quả", "Ngày nhận đủ hồ sơ"):
                row.append(draw(st.one_of(st.none(), st.builds(lambda k: T(2024, 1, 1) + dt.timedelta(days=k),
                                                                 st.integers(0, 330)))))
            elif good and h in ("Trạng thái", "Hình thức nộp", "Số hóa kết quả", "Đánh giá", "Có phản ánh", "Mã TTHC"):
                choices = {"Trạng thái": list(schema.DOSSIER_STATUS), "Hình thức nộp": list(schema.DOSSIER_CHANNEL),
                           "Số hóa kết quả": ["Có", "Không", None], "Đánh giá": list(schema.RATING) + [None],
                           "Có phản ánh": ["Có", "Không", None], "Mã TTHC": ["P5", "P0", "P10", "P99"]}[h]
                row.append(draw(st.sampled_from(choices)))
            else:
                row.append(draw(cell_values(KINDS.get(h, "text"))))
        if draw(st.integers(0, 4)) == 0:
            row = row[:draw(st.integers(1, len(row)))]
        values.append(row)
    marks = {}
    for _ in range(draw(st.integers(0, 3))) if n else ():
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, len(headers) - 1))
        value = values[i][j] if j < len(values[i]) else None
        kind = draw(st.sampled_from(["formula", "error", "merged"]))
        marks[(i, j)] = Cell(None, error="#N/A") if kind == "error" else \
            Cell(value, formula="=A1") if kind == "formula" else Cell(value, merged=True)
        if kind == "error" and j < len(values[i]):
            values[i][j] = None
    return TableData(schema.DOSSIERS.sheet, schema.DOSSIERS.table, headers, 2, values=values, marks=marks)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(td=dossier_tables())
def test_generated_tables_same_records_and_problems(td):
    data = assert_same_parse(with_procedures(td))
    cal = WorkCalendar()
    assert_same_stats(data, cal, cuts=[D(2024, 6, 14), D(2024, 12, 14)], keys=("h1", "year"))
