"""Cross-engine parity: the headless file engine (FileBook) and the xlwings adapter (XwBook over xlwings'
remote engine, payload built from the same file) end with identical values in every computed cell and in
the report — on the bundled workbook and on a workbook with imported dossiers."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from cchc_xl import engine, schema
from cchc_xl.excel import entry
from cchc_xl.excel.xw_book import XwBook
from cchc_xl.io.ooxml import Package

from remote import build_payload, run_remote, sheet_values

COMPUTED = [(spec, header) for spec in schema.TABLES for header in spec.computed]

IMPORT_CSV = (
    "Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Hình thức nộp,Ngày hẹn trả,Ngày có kết quả,Trạng thái,Đánh giá\n"
    "NHAP-0001,1.008950,04/03/2024 09:15,Trực tuyến,,08/03/2024,Đã trả kết quả,Hài lòng\n"
    "NHAP-0002,1.008950,05/03/2024 16:05,Trực tiếp,,,Đang xử lý,\n"
    "NHAP-0003,1.008950,09/03/2024,Bưu chính,12/03/2024,13/03/2024,Đã trả kết quả,Rất hài lòng\n"
)


def norm(v):
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) else v
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return round(float(v), 9)
    if v == "":
        return None
    return v


def file_cells(path: Path, sheet: str) -> dict:
    data = Package.open(path).read_sheet(sheet)
    return {k: norm(c.value if c.error is None else c.error) for k, c in data.cells.items()
            if (c.value if c.error is None else c.error) not in (None, "")}


def payload_cells(payload: dict, sheet: str) -> dict:
    return {k: norm(v) for k, v in sheet_values(payload, sheet).items() if norm(v) is not None}


def computed_columns(cells: dict, path_or_payload, spec, header, ref) -> list:
    r1, c1, r2, _c2 = ref
    col = c1 + spec.headers.index(header)
    return [cells.get((r, col)) for r in range(r1 + 1, r2 + 1)]


def compare(file_out: Path, after: dict) -> None:
    pkg = Package.open(file_out)
    from cchc_xl.io.file_book import parse_ref

    from remote import table_ref

    checked = 0
    for spec, header in COMPUTED:
        info = pkg.table(spec.table)
        fref = parse_ref(info.ref)
        sheet, xref = table_ref(after, spec.table)
        assert fref == xref, spec.table
        fc, xc = file_cells(file_out, spec.sheet), payload_cells(after, sheet)
        fvals = computed_columns(fc, file_out, spec, header, fref)
        xvals = computed_columns(xc, after, spec, header, xref)
        assert fvals == xvals, f"{spec.table}.{header}"
        checked += sum(v is not None for v in fvals)
    assert checked > 0
    freport, xreport = file_cells(file_out, schema.SHEET_REPORT), payload_cells(after, schema.SHEET_REPORT)
    assert len(freport) > 20
    assert freport == xreport


@pytest.fixture
def bundled(excel_workbook, tmp_path) -> Path:
    target = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(excel_workbook, target)
    return target


def test_parity_on_the_bundled_workbook(bundled, tmp_path):
    payload = build_payload(bundled)  # from the file as it is before either refresh
    file_out = tmp_path / "file_out.xlsm"
    fres = engine.refresh_file(bundled, out=file_out, backup=False)
    xres, _actions, after = run_remote(
        payload, lambda b: engine.refresh_book(XwBook(b), progress=None))
    assert fres.to_json() == xres.to_json()
    compare(file_out, after)


@pytest.mark.parametrize("period", ["q1", "h1", "q3", "year"])
def test_parity_for_every_report_period(bundled, tmp_path, period):
    payload = build_payload(bundled)
    file_out = tmp_path / f"file_{period}.xlsm"
    engine.refresh_file(bundled, out=file_out, backup=False, period=period)
    _res, _a, after = run_remote(payload, lambda b: engine.refresh_book(XwBook(b), period=period))
    compare(file_out, after)


def test_parity_with_imported_dossiers(bundled, tmp_path):
    from cchc_xl.io.import_dossiers import import_dossiers

    csv = tmp_path / "mot_cua.csv"
    csv.write_text(IMPORT_CSV, encoding="utf-8")
    payload = build_payload(bundled)
    imported = tmp_path / "imported.xlsm"
    rep = import_dossiers(bundled, csv, out=imported)
    file_out = tmp_path / "file_out.xlsm"
    fres = engine.refresh_file(imported, out=file_out, backup=False)
    (xrep, xres), _actions, after = run_remote(payload, lambda b: entry.import_dossiers(str(csv), b))
    assert (rep.added, rep.updated, len(rep.skipped)) == (xrep.added, xrep.updated, len(xrep.skipped)) == (3, 0, 0)
    assert fres.to_json() == xres.to_json()
    compare(file_out, after)
