"""The exchange file a school sends the Sở: typed read-back (calamine, pandas), exclusions, reader checks."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.distribute.send import build_outgoing
from cchc_xl.engine import refresh_file
from cchc_xl.exchange import spec
from cchc_xl.exchange.reader import ExchangeFormatError, read_exchange
from cchc_xl.exchange.writer import exchange_entries
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rollup"))
from rollfix import _rows, make_school

AS_OF = dt.date(2024, 6, 14)
HOSTILE = "=cmd|' /C calc'!A0"
SECRET = "taikhoan.bimat@truong.edu.vn"


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """A school workbook with a code, an SMTP account, a hostile evidence text and a log row; refreshed."""
    d = tmp_path_factory.mktemp("school")
    wb = make_school(d / "CCHC_2024.xlsm", 7, code="000.26.0007.H26", name="Trường THPT Thử Nghiệm")
    pkg = Package.open(wb)
    book = FileBook(pkg, wb)
    rows, cols = _rows(book, schema.SETTINGS)
    pkg.set_cells(schema.SETTINGS.sheet, {(rows["smtp_tai_khoan"], cols["Giá trị"]): SECRET,
                                          (rows["smtp_may_chu"], cols["Giá trị"]): "smtp.bimat.vn"})
    trows, tcols = _rows(book, schema.TASKS)
    pkg.set_cells(schema.TASKS.sheet, {(trows["1.a"], tcols["Minh chứng"]): HOSTILE})
    pkg.save(wb, backup=False)
    result = refresh_file(wb, as_of=AS_OF, period="h1", backup=False)
    xlsx, _ = build_outgoing(result, d / "out", pdf=False)
    return result, xlsx


def _table(path, name):
    from python_calamine import CalamineWorkbook

    t = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(name)
    return t.columns, t.to_python()


def test_every_value_reads_back_typed_with_calamine(school):
    result, xlsx = school
    summary = result.to_json()
    columns, rows = _table(xlsx, spec.TABLE_DATA)
    assert tuple(columns) == spec.DATA_HEADERS
    got = {r[0]: r for r in rows}
    assert len(got) == len(rows)  # no key twice
    assert [r[0] for r in rows] == [k for k, _, _, _ in exchange_entries(result)]
    for m in spec.META:
        value = got[m.key][2]
        expected_type = {"int": float, "date": dt.date, "datetime": dt.datetime, "text": str}[m.kind]
        assert isinstance(value, expected_type), (m.key, value)
        if m.kind == "date":
            assert not isinstance(value, dt.datetime), m.key
    assert got["unit.code"][2] == "000.26.0007.H26" and got["period.key"][2] == "h1"
    assert got["as_of"][2] == AS_OF and got["period.from"][2] == result.period.start
    for name, n in summary["tasks"].items():
        assert got[f"tasks.{name}"][2:] == [float(n), spec.UNIT_TASKS]
    for name, n in summary["dossiers"].items():
        assert got[f"dossiers.{name}"][2:] == [float(n), spec.UNIT_DOSSIERS]
    for name, rate in summary["rates"].items():  # the engine's rates = the spec's formulas on the counts
        value = got[f"rates.{name}"][2]
        assert (value == "") if rate is None else value == pytest.approx(rate), name
    for ind in summary["indicators"]:
        assert got[f"indicator.{ind['code']}.status"][2] == ind["status"]
        actual = got[f"indicator.{ind['code']}.actual"][2]
        if isinstance(ind["actual"], float):
            assert actual == pytest.approx(ind["actual"])
    assert isinstance(got["made_at"][2], dt.datetime)
    # the reader turns counts into int and keeps every type
    sub = read_exchange(xlsx.read_bytes())
    assert sub.values["tasks.total"] == summary["tasks"]["total"] and isinstance(sub.values["tasks.total"], int)
    assert sub.values["as_of"] == AS_OF and sub.unit_code == "000.26.0007.H26" and sub.period_year == 2024
    # the task table: dates as dates, the hostile evidence as the same text
    columns, task_rows = _table(xlsx, "tblNhiemVuBaoCao")
    tasks = {r[0]: dict(zip(columns, r)) for r in task_rows}
    assert tasks["1.a"]["Minh chứng"] == HOSTILE
    flags = {k: v["flag"] for k, v in summary["task_flags"].items()}
    assert {k: v["Tình trạng hạn"] for k, v in tasks.items()} == flags
    for tid, row in tasks.items():
        due = summary["task_flags"][tid]["due"]
        assert row["Hạn hoàn thành"] == (dt.date.fromisoformat(due) if due else "")


def test_every_value_reads_back_typed_with_pandas(school):
    import pandas as pd

    result, xlsx = school
    df = pd.read_excel(xlsx, sheet_name=spec.SHEET_DATA, engine="calamine")
    assert list(df.columns) == list(spec.DATA_HEADERS)
    values = dict(zip(df["Khóa"], df["Giá trị"]))
    units = dict(zip(df["Khóa"], df["Đơn vị"].fillna("")))
    for key, value in values.items():
        if units[key] in (spec.UNIT_TASKS, spec.UNIT_DOSSIERS, spec.UNIT_PROCEDURES):
            assert isinstance(value, (int, float)) and float(value).is_integer(), key
        elif units[key] == spec.UNIT_RATE and not pd.isna(value):
            assert isinstance(value, (int, float)) and 0 <= value <= 1, key
    for key in ("plan.date", "period.from", "period.to", "as_of", "made_at"):
        assert isinstance(values[key], (dt.date, pd.Timestamp)), key
    assert pd.Timestamp(values["as_of"]).date() == AS_OF
    assert values["tasks.overdue"] == result.to_json()["tasks"]["overdue"]
    stats = pd.read_excel(xlsx, sheet_name="Thống kê hồ sơ", engine="calamine")
    assert pd.api.types.is_numeric_dtype(stats["Giá trị"])
    ind = pd.read_excel(xlsx, sheet_name=schema.INDICATORS.sheet, engine="calamine")
    assert ind.set_index("Mã").loc["CT4b", "Kết quả"] == pytest.approx(result.stats.rate_early)
    tasks = pd.read_excel(xlsx, sheet_name=schema.TASKS.sheet, engine="calamine")
    assert pd.api.types.is_datetime64_any_dtype(tasks["Hạn hoàn thành"])


def test_custom_properties_carry_the_identity(school):
    result, xlsx = school
    with zipfile.ZipFile(xlsx) as zf:
        custom = zf.read("docProps/custom.xml").decode()
    props = dict(re.findall(r'name="([^"]+)"><vt:lpwstr>([^<]*)<', custom))
    assert props["CCHC_MaDinhDanh"] == "000.26.0007.H26"
    assert props["CCHC_Ky"] == "h1" and props["CCHC_DenNgay"] == "2024-06-14"
    assert props["CCHC_PhienBanDinhDang"] == str(spec.FORMAT_VERSION)
    assert props["CCHC_DinhDang"] == spec.FORMAT_NAME and props["CCHC_NgayTinhDen"] == AS_OF.isoformat()
    assert set(props) == set(spec.PROPERTIES.values())


def test_none_of_the_excluded_parts_is_inside(school):
    _, xlsx = school
    with zipfile.ZipFile(xlsx) as zf:
        names = zf.namelist()
        everything = b"".join(zf.read(n) for n in names)
        assert not [n for n in names if re.search(r"vbaProject|customUI|externalLink|calcChain|activeX", n, re.I)]
        ct = zf.read("[Content_Types].xml").decode()
        assert "macroEnabled" not in ct and "vbaProject" not in ct and "externalLink" not in ct
        workbook = zf.read("xl/workbook.xml").decode()
        for sheets in re.findall(r"<sheet [^>]*>", workbook):
            assert "state=" not in sheets, sheets  # no hidden or veryHidden sheet
        for name in re.findall(r"<definedName[^>]*>([^<]*)<", workbook):
            assert "[" not in name, name  # no reference to another workbook
        for n in names:
            if n.startswith("xl/worksheets/"):
                body = zf.read(n)
                assert b"<f>" not in body and b"<f " not in body, n
            if n.endswith(".rels"):
                assert b'TargetMode="External"' not in zf.read(n), n
    sheet_names = re.findall(r'<sheet name="([^"]+)"', workbook)
    assert sheet_names == [schema.SHEET_REPORT, schema.TASKS.sheet, schema.INDICATORS.sheet, "Thống kê hồ sơ",
                           spec.SHEET_DATA]
    for absent in (schema.SETTINGS.sheet, schema.SHEET_LOG, schema.SHEET_XLWINGS_CONF, "Danh mục"):
        assert absent not in sheet_names
    for secret in (SECRET, "smtp.bimat.vn", "smtp_may_chu", "Nhật ký", "xlwings"):
        assert secret.encode() not in everything, secret


# ------------------------------------------------------------------------------------- the reader's checks


def _rewrite(src: Path, dest: Path, edit) -> Path:
    """Copy the package ``src`` to ``dest`` with ``edit(name, data) -> data`` applied to every part."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))
    return dest


def _sheet_xml(xlsx: Path, sheet_name: str) -> str:
    with zipfile.ZipFile(xlsx) as zf:
        names = re.findall(r'<sheet name="([^"]+)"', zf.read("xl/workbook.xml").decode())
    return f"xl/worksheets/sheet{names.index(sheet_name) + 1}.xml"


def _data_row(result, key: str) -> int:
    return [k for k, _, _, _ in exchange_entries(result)].index(key) + 2


def test_reader_rejects_a_file_whose_properties_disagree(school, tmp_path):
    _, xlsx = school
    bad = _rewrite(xlsx, tmp_path / "a.xlsx", lambda n, d: d.replace(b"000.26.0007.H26", b"000.26.0008.H26")
                   if n == "docProps/custom.xml" else d)
    with pytest.raises(ExchangeFormatError, match="không nhất quán.*CCHC_MaDinhDanh"):
        read_exchange(bad.read_bytes())


def _with_value(result, xlsx: Path, key: str, value: bytes, dest: Path) -> Path:
    """``xlsx`` with the data sheet's value of ``key`` replaced by the raw cell value ``value``."""
    part, row = _sheet_xml(xlsx, spec.SHEET_DATA), _data_row(result, key)
    pattern = rf'(<c r="C{row}"[^>]*><v>)[^<]*(</v>)'.encode()
    return _rewrite(xlsx, dest, lambda n, d: re.sub(pattern, rb"\g<1>" + value + rb"\g<2>", d) if n == part else d)


def test_reader_rejects_a_hand_edited_rate(school, tmp_path):
    result, xlsx = school
    bad = _with_value(result, xlsx, "rates.early_or_on_time", b"0.99", tmp_path / "b.xlsx")
    with pytest.raises(ExchangeFormatError, match="không khớp"):
        read_exchange(bad.read_bytes())


def test_reader_rejects_a_negative_count(school, tmp_path):
    result, xlsx = school
    bad = _with_value(result, xlsx, "dossiers.late", b"-3", tmp_path / "c.xlsx")
    with pytest.raises(ExchangeFormatError, match="'dossiers.late' phải là số nguyên từ 0 đến 10.000.000"):
        read_exchange(bad.read_bytes())


def test_reader_rejects_a_newer_format_version(school, tmp_path):
    result, xlsx = school
    newer = _with_value(result, xlsx, "format.version", b"9", tmp_path / "d0.xlsx")
    prop = b'name="CCHC_PhienBanDinhDang"><vt:lpwstr>'
    bad = _rewrite(newer, tmp_path / "d.xlsx", lambda n, d: d.replace(prop + b"2<", prop + b"9<")
                   if n == "docProps/custom.xml" else d)
    with pytest.raises(ExchangeFormatError, match="phiên bản 9"):
        read_exchange(bad.read_bytes())


def test_reader_rejects_a_formula(school, tmp_path):
    result, xlsx = school
    part, row = _sheet_xml(xlsx, spec.SHEET_DATA), _data_row(result, "tasks.total")
    bad = _rewrite(xlsx, tmp_path / "e.xlsx", lambda n, d: re.sub(
        rf'(<c r="C{row}"[^>]*>)(<v>)'.encode(), rb"\g<1><f>1+1</f>\g<2>", d) if n == part else d)
    with pytest.raises(ExchangeFormatError, match="công thức"):
        read_exchange(bad.read_bytes())


def test_reader_rejects_a_file_without_unit_code(tmp_path):
    result = refresh_file(make_school(tmp_path / "w.xlsm", 1, code="", name="Trường Không Mã"), as_of=AS_OF,
                          backup=False)
    xlsx, _ = build_outgoing(result, tmp_path, pdf=False)
    with pytest.raises(ExchangeFormatError, match="thiếu khóa 'unit.code'"):
        read_exchange(xlsx.read_bytes())


@pytest.mark.parametrize("name", ["CCHC_2024.xlsm", "table01.xlsx"])
def test_reader_rejects_other_workbooks(root, name):
    path = root / ("workbook" if name.endswith("xlsm") else "tests/data/excel-corpus") / name
    with pytest.raises(ExchangeFormatError, match="không phải tệp trao đổi"):
        read_exchange(path.read_bytes())


def test_send_warns_when_the_unit_code_is_missing(tmp_path, root):
    import shutil

    from cchc_xl.distribute.send import send_file

    wb = tmp_path / "CCHC_2024.xlsm"
    shutil.copyfile(root / "workbook" / "CCHC_2024.xlsm", wb)  # the bundled workbook has no code yet
    out = send_file(wb, period="h1", dry_run=True, as_of=AS_OF, env={})
    assert "ma_dinh_danh" in out.message and out.xlsx.exists()
    assert io.BytesIO(out.xlsx.read_bytes()).getvalue()[:2] == b"PK"


# ------------------------------------------------------------------------ values a hostile file may carry


@pytest.mark.parametrize("key, raw, why", [
    ("dossiers.late", b"1e19", "số nguyên từ 0 đến 10.000.000"),
    ("dossiers.late", b"INF", "không phải số hữu hạn"),
    ("tasks.total", b"-1e400", "không phải số hữu hạn"),
    ("rates.online", b"NaN", "không phải số hữu hạn"),
    ("indicator.CT2.actual", b"1e300", "ngoài khoảng cho phép"),
    ("plan.year", b"1e400", "không phải số hữu hạn"),
])
def test_reader_refuses_numbers_out_of_range_naming_the_key(school, tmp_path, key, raw, why):
    result, xlsx = school
    bad = _with_value(result, xlsx, key, raw, tmp_path / "n.xlsx")
    with pytest.raises(ExchangeFormatError, match=f"'{re.escape(key)}'.*{why}") as info:
        read_exchange(bad.read_bytes())
    assert info.value.cause.value in ("value", "identity")


def test_reader_refuses_an_unknown_indicator_status(school, tmp_path):
    result, xlsx = school
    row = _data_row(result, "indicator.CT2.status")
    part = _sheet_xml(xlsx, spec.SHEET_DATA)
    # the status cell becomes an inline string 'Xuất sắc' (not a word of the school side's vocabulary)
    bad = _rewrite(xlsx, tmp_path / "s.xlsx", lambda n, d: re.sub(
        rf'<c r="C{row}"([^>]*?) t="s"><v>\d+</v></c>'.encode(),
        rf'<c r="C{row}"\1 t="inlineStr"><is><t>Xuất sắc</t></is></c>'.encode(), d) if n == part else d)
    with pytest.raises(ExchangeFormatError, match="'indicator.CT2.status' có đánh giá 'Xuất sắc' không thuộc"):
        read_exchange(bad.read_bytes())


def test_reader_refuses_a_text_longer_than_a_cell_naming_the_key(school, tmp_path):
    result, xlsx = school
    name = str(result.settings["ten_truong_ngan"]).encode()
    long = " Trường THPT Rất Dài".encode() * 2200   # 44.000 characters, more than a cell holds
    bad = _rewrite(xlsx, tmp_path / "t.xlsx", lambda n, d: d.replace(b">" + name + b"<", b">X" + long[1:] + b"<", 1)
                   if n == "xl/sharedStrings.xml" else d)
    with pytest.raises(ExchangeFormatError, match="'unit.name' có nội dung dài 44.000 ký tự, quá giới hạn 32.767"):
        read_exchange(bad.read_bytes())


def _hostile_extent(xlsx: Path, dest: Path, how: str) -> Path:
    part = _sheet_xml(xlsx, spec.SHEET_DATA)
    if how == "table":
        return _rewrite(xlsx, dest, lambda n, d: re.sub(rb'ref="A1:D\d+"', b'ref="A1:XFD1048576"', d)
                        if n.startswith("xl/tables/") and b"tblTraoDoi" in d else d)
    return _rewrite(xlsx, dest, lambda n, d: d.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
        if n == part else d)


@pytest.mark.parametrize("how", ["table", "cell"])
def test_a_huge_declared_range_is_refused_in_seconds_under_200_mb(school, tmp_path, how):
    """A 45 KB file whose table claims A1:XFD1048576, or with one cell at XFD1048576, made the reader allocate
    17 billion cells; it is refused before any reader lays a grid out — measured in a process of its own."""
    import json
    import subprocess

    _, xlsx = school
    bad = _hostile_extent(xlsx, tmp_path / f"{how}.xlsx", how)
    assert bad.stat().st_size < 100_000
    probe = ("import json, sys, time\n"
             "from cchc_xl.exchange.reader import ExchangeFormatError, read_exchange\n"
             "t = time.perf_counter()\n"
             "try:\n    read_exchange(open(sys.argv[1], 'rb').read()); why = None\n"
             "except ExchangeFormatError as e:\n    why = str(e)\n"
             "print(json.dumps({'why': why, 's': time.perf_counter() - t}))\n")
    # measured by itself: started from a small launcher (posix_spawn) and reaped with wait4 — a child forked from the
    # test process would carry the test process's own high-water mark
    launcher = ("import json, os, sys\n"
                "r, w = os.pipe()\n"
                "actions = [(os.POSIX_SPAWN_DUP2, w, 1)]\n"
                "pid = os.posix_spawn(sys.executable, [sys.executable] + sys.argv[1:], os.environ,\n"
                "                     file_actions=actions)\n"
                "os.close(w)\n"
                "out = b''\n"
                "while chunk := os.read(r, 65536):\n    out += chunk\n"
                "_, status, ru = os.wait4(pid, 0)\n"
                "print(json.dumps({**json.loads(out.decode().strip().splitlines()[-1]), 'mb': ru.ru_maxrss / 1024}))\n")
    done = subprocess.run([sys.executable, "-c", launcher, "-c", probe, str(bad)], capture_output=True, text=True,
                          timeout=120)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["why"] and "vùng lớn bất thường" in out["why"], out
    assert out["s"] < 5 and out["mb"] < 200, out


def test_a_school_name_that_looks_like_a_formula_stays_text(tmp_path):
    """XlsxWriter's write() and merge_range() read a text '{=…}' as an array formula whatever the options say:
    the school's own exchange file must hold the name as text (and the Sở accepts it)."""
    hostile = '{=HYPERLINK("http://x.invalid","Xem chi tiết")}'
    wb = make_school(tmp_path / "w.xlsm", 3, code="000.26.0003.H26", name=hostile)
    result = refresh_file(wb, as_of=AS_OF, period="h1", backup=False)
    xlsx, _ = build_outgoing(result, tmp_path / "out", pdf=False)
    with zipfile.ZipFile(xlsx) as zf:
        for n in zf.namelist():
            if n.startswith("xl/worksheets/"):
                body = zf.read(n)
                assert b"<f" not in body, n
    sub = read_exchange(xlsx.read_bytes())
    assert sub.unit_name == hostile


def test_reader_accepts_a_version_1_file_by_its_own_formulas(school, tmp_path):
    """A school still on a cchc-xl before format 2 is not rejected: its late-including-overdue rate was over all
    dossiers to handle — or, from the release that already had issue #15's formulas under version 1, by format 2's
    formula; any other value is a hand edit. A version-2 file is held to format 2's formula only."""
    result, xlsx = school
    counts = {k: v for k, v in read_exchange(xlsx.read_bytes()).values.items() if k.startswith("dossiers.")}
    key = "rates.late_incl_pending_overdue"
    old, new = spec.rate(key, counts, 1), spec.rate(key, counts)
    assert old is not None and new is not None and abs(old - new) > 1e-6, "the sample must tell the formulas apart"
    prop = b'name="CCHC_PhienBanDinhDang"><vt:lpwstr>'

    def version_1(rate: float, dest: Path) -> Path:
        one = _with_value(result, xlsx, "format.version", b"1", tmp_path / f"v1_{dest.name}")
        one = _with_value(result, one, key, repr(rate).encode(), tmp_path / f"v1r_{dest.name}")
        return _rewrite(one, dest, lambda n, d: d.replace(prop + b"2<", prop + b"1<")
                        if n == "docProps/custom.xml" else d)

    accepted = read_exchange(version_1(old, tmp_path / "old.xlsx").read_bytes())
    assert accepted.values["format.version"] == 1
    assert read_exchange(version_1(new, tmp_path / "new.xlsx").read_bytes()).values["format.version"] == 1
    with pytest.raises(ExchangeFormatError, match="không khớp"):
        read_exchange(version_1((old + new) / 2, tmp_path / "edited.xlsx").read_bytes())
    version_2_old = _with_value(result, xlsx, key, repr(old).encode(), tmp_path / "v2_old.xlsx")
    with pytest.raises(ExchangeFormatError, match="không khớp"):
        read_exchange(version_2_old.read_bytes())
