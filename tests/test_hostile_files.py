"""Small hostile files cost little (issue #8 §3): every case gets a reasoned Vietnamese answer within a few
seconds and under 200 MB, measured on the command's own process; work is proportional to the cells that
exist, never to a range the file declares, and decompression is counted as it streams.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import sys
import zipfile
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.io.ooxml import Package, col_letter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers_proc import cli, measure

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
MAX_SECONDS = 3.0       # a second or two of work, plus interpreter start on a shared machine
MAX_MB = 200


def _table_ref(src: Path, dest: Path, table: str, ref: str) -> Path:
    pkg = Package.open(src)
    info = pkg.table(table)
    xml = re.sub(rb'ref="[^"]*"', f'ref="{ref}"'.encode(), pkg.read_part(info.part))
    pkg.write_part(info.part, xml)
    pkg.save(dest, backup=False)
    return dest


def _far_cell(src: Path, dest: Path, sheet: str) -> Path:
    """A lone number at XFD1048576: the sheet's block of cells becomes 17 billion positions."""
    pkg = Package.open(src)
    part = pkg.sheet_part(sheet)
    pkg.write_part(part, pkg.read_part(part).replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'))
    pkg.save(dest, backup=False)
    return dest


def _zeros_member(src: Path, dest: Path, member: str, mb: int, understate: bool) -> Path:
    """``src`` with ``member`` replaced by ``mb`` MB of zeros (about 0.1% of that once deflated); with
    ``understate`` its headers claim 100 kB, as in a zip built to slip past size checks."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != member:
                zout.writestr(info, zin.read(info))
        with zout.open(member, "w") as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(mb):
                fh.write(chunk)
    if understate:
        data = bytearray(dest.read_bytes())
        name = member.encode()
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
            local = z.getinfo(member).header_offset
        struct.pack_into("<L", data, local + 22, 100_000)              # local header: uncompressed size
        pos = data.find(b"PK\x01\x02")
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + 28)[0]
            if data[pos + 46:pos + 46 + n] == name:
                struct.pack_into("<L", data, pos + 24, 100_000)        # central directory: uncompressed size
                break
            pos = data.find(b"PK\x01\x02", pos + 4)
        dest.write_bytes(bytes(data))
    return dest


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile")
    pkg = Package.open(BUNDLED)
    sheet_part = pkg.sheet_part(schema.DOSSIERS.sheet)
    last_col = col_letter(len(pkg.table(schema.DOSSIERS.table).headers))   # the table's real width
    return {
        "rows": _table_ref(BUNDLED, d / "rows.xlsm", schema.DOSSIERS.table, f"A1:{last_col}1048576"),
        "wide": _table_ref(BUNDLED, d / "wide.xlsm", schema.DOSSIERS.table, "A1:XFD1048576"),
        "far": _far_cell(BUNDLED, d / "far.xlsm", schema.DOSSIERS.sheet),
        "declared": _zeros_member(BUNDLED, d / "declared.xlsm", sheet_part, 300, understate=False),
        "understated": _zeros_member(BUNDLED, d / "understated.xlsm", sheet_part, 300, understate=True),
    }


def _bounded(run) -> None:
    assert run.seconds < MAX_SECONDS, f"{run.seconds:.2f} s"
    assert run.rss_mb < MAX_MB, f"{run.rss_mb:.0f} MB"
    assert "Traceback" not in run.stderr


def _dossier_ids(run) -> set[str]:
    return set(json.loads(run.stdout)["dossier_flags"])


@pytest.mark.parametrize("case", ["rows", "far"])
def test_declared_range_or_far_cell_cost_only_the_cells_that_exist(files, tmp_path, case):
    """A table range declared past the rows (A1:N1048576) is read as the rows that exist; a lone cell at
    XFD1048576 does not make the reader lay the sheet out as a grid. Same dossiers as the clean file."""
    runs = [measure(cli("refresh", str(src), "--out", str(tmp_path / f"{i}.xlsm"), "--as-of", "2024-06-14",
                        "--json"), tmp_path) for i, src in enumerate((BUNDLED, files[case]))]
    _bounded(runs[1])
    assert runs[1].code == 0, runs[1].stderr
    assert _dossier_ids(runs[1]) == _dossier_ids(runs[0]) and len(_dossier_ids(runs[0])) > 20


def test_range_wider_than_the_table_is_refused_with_a_reason(files, tmp_path):
    out = tmp_path / "o.xlsm"
    run = measure(cli("refresh", str(files["wide"]), "--out", str(out)), tmp_path)
    _bounded(run)
    width = len(Package.open(BUNDLED).table(schema.DOSSIERS.table).headers)
    assert run.code == 2 and "tblHoSo" in run.stderr and "16384 cột" in run.stderr and f"{width} cột" in run.stderr
    assert not out.exists()


@pytest.mark.parametrize("case,reason", [("declared", "quá lớn khi giải nén"), ("understated", "bị hỏng")])
def test_zip_bombs_are_refused_before_inflating(files, tmp_path, case, reason):
    src = tmp_path / f"{case}.xlsm"
    shutil.copyfile(files[case], src)
    before = src.read_bytes()
    assert len(before) < 2_000_000
    run = measure(cli("refresh", str(src)), tmp_path)
    _bounded(run)
    assert run.code == 2 and reason in run.stderr, run.stderr
    assert src.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".xlsm") == \
        [src.name]


def _xlsx_export(dest: Path, extra: bytes = b"") -> Path:
    """A small .xlsx export of two dossiers (XlsxWriter), with ``extra`` XML appended to its sheet data."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(dest))
    ws = wb.add_worksheet("Export")
    ws.write_row(0, 0, ["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Hình thức nộp", "Trạng thái"])
    ws.write_row(1, 0, ["X-1", "1.008950", "04/03/2024 09:15", "Trực tuyến", "Đang xử lý"])
    wb.close()
    if extra:
        pkg = Package.open(dest)
        part = pkg.sheet_part("Export")
        pkg.write_part(part, pkg.read_part(part).replace(b"</sheetData>", extra + b"</sheetData>"))
        pkg.save(dest, backup=False)
    return dest


@pytest.mark.parametrize("case,reason", [("far", "lớn bất thường"), ("understated", "bị hỏng"),
                                         ("declared", "quá lớn khi giải nén")])
def test_xlsx_import_file_is_read_under_the_same_limits(tmp_path, case, reason):
    work = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, work)
    before = work.read_bytes()
    if case == "far":
        export = _xlsx_export(tmp_path / "xa.xlsx", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    else:
        plain = _xlsx_export(tmp_path / "plain.xlsx")
        export = _zeros_member(plain, tmp_path / f"{case}.xlsx", "xl/worksheets/sheet1.xml", 300,
                               understate=case == "understated")
    run = measure(cli("import-dossiers", str(work), str(export)), tmp_path)
    _bounded(run)
    assert run.code == 2 and reason in run.stderr, run.stderr
    assert work.read_bytes() == before


def test_good_xlsx_import_still_works(tmp_path):
    work = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, work)
    run = measure(cli("import-dossiers", str(work), str(_xlsx_export(tmp_path / "ok.xlsx"))), tmp_path)
    assert run.code == 0 and "Đã thêm 1 hồ sơ" in run.stdout, run.stderr


def test_hostile_copies_are_rejected_and_the_run_goes_on(tmp_path):
    """A group's copy whose table claims 16,384 columns, a copy that is a zip bomb, and a good copy: the first
    two are rejected with their reason, the good one is merged, all within the bounds."""
    from cchc_xl.distribute.handout import handout

    sys.path.insert(0, str(Path(__file__).resolve().parent / "distribute"))
    from distfix import age, fill_copy, master_values, task_rows

    office = tmp_path / "office"
    office.mkdir()
    master = office / "CCHC_2024.xlsm"
    shutil.copyfile(BUNDLED, master)
    src = handout(master, tmp_path / "handout")[0]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    tid = next(iter(task_rows(src)))
    fill_copy(src, inbox / "tot.xlsx", {tid: {"Ghi chú": "đã làm xong phần việc"}})
    age(_table_ref(src, inbox / "rong.xlsx", schema.TASKS.table, "A1:XFD1048576"))
    age(_zeros_member(src, inbox / "bom.xlsx", Package.open(src).sheet_part(schema.TASKS.sheet), 300,
                      understate=True))
    run = measure([str(ROOT / "scripts" / "consolidate.py"), str(master), "--inbox", str(inbox), "--as-of",
                   "2024-06-14", "-q"], tmp_path)
    assert run.seconds < MAX_SECONDS + 1.5, f"{run.seconds:.2f} s"     # the run waits 1 s to see files settle
    assert run.rss_mb < MAX_MB, f"{run.rss_mb:.0f} MB"
    assert run.code == 2, run.stderr
    wide = (inbox / "rejected" / "rong.xlsx.txt").read_text(encoding="utf-8")
    bomb = (inbox / "rejected" / "bom.xlsx.txt").read_text(encoding="utf-8")
    assert "16384 cột" in wide and "bị hỏng" in bomb
    assert list((inbox / "processed").glob("*/tot.xlsx"))
    assert master_values(master)[tid]["Ghi chú"].value == "đã làm xong phần việc"
