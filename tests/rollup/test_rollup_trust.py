"""The roll-up a Sở can run unattended (issue #16): every status counted, the units list's arithmetic, hostile and
odd files that cannot block or poison it, its own files never inputs, links never written through, exit codes.

Schools' files are made by the school side itself (:mod:`cchc_xl.rollup.sample`: the engine computes each school's
report, the exchange writer writes it)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.errors import CchcError
from cchc_xl.rollup.aggregate import CLASSES, STATUS_CLASS, class_label
from cchc_xl.rollup.run import EXIT_OK, EXIT_REJECTED, RollupOptions, rollup
from cchc_xl.rollup.sample import load_school, unit_identity, write_school

from rollfix import BUNDLED, ROOT

NOW = dt.datetime(2024, 6, 25, 8, 0)


@pytest.fixture(scope="module")
def school_data():
    return load_school(BUNDLED)


def _files(data, folder: Path, ids, period: str = "h1") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_school(data, i, folder, period) for i in ids]


def _table(path: Path, name: str) -> list[dict]:
    from python_calamine import CalamineWorkbook

    t = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(name)
    return [dict(zip(t.columns, row)) for row in t.to_python()]


def _units_csv(path: Path, rows) -> Path:
    path.write_text("Mã định danh;Tên đơn vị\n" + "".join(f"{c};{n}\n" for c, n in rows), encoding="utf-8")
    return path


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *args], capture_output=True, env=env, timeout=300,
                          cwd=cwd)


# ------------------------------------------------------------------------------------------------ §1 counts

def test_every_indicator_status_of_the_school_side_has_a_class():
    """A status the school side can write that the roll-up does not handle fails here (it once missed 'Chưa đạt')."""
    assert set(STATUS_CLASS) == set(schema.INDICATOR_STATUS)
    assert set(STATUS_CLASS.values()) <= set(CLASSES)
    for period in ("q1", "h1", "q3", "year"):
        assert [class_label(c, period) for c in CLASSES]   # every class has its words for every period
    assert class_label("not_met", "h1") == "Chưa đạt" and class_label("not_met", "year") == "Không đạt"


def test_a_year_rollup_words_the_unmet_class_as_the_school_does(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(4), period="year")
    s = rollup(inbox, tmp_path / "o.xlsx", settle_seconds=0, now=dt.datetime(2024, 12, 25, 8))
    assert s.period_label == "Năm 2024" and s.exit_code == EXIT_OK
    summary = _table(tmp_path / "o.xlsx", "tblChiTieuToanNganh")
    assert all("Số đơn vị: Không đạt" in r and "Số đơn vị: Chưa đạt" not in r for r in summary)
    for r in summary:
        assert sum(v for k, v in r.items() if k.startswith("Số đơn vị: ")) == r["Số đơn vị đã báo cáo"] == 4


def test_units_list_arithmetic_and_senders_outside_the_list(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(5))
    listed = [unit_identity(i) for i in (0, 1, 2)] + [("000.26.9999.H26", "Trường THPT Chưa Gửi")]
    units = _units_csv(tmp_path / "don_vi.csv", listed)
    s = rollup(inbox, tmp_path / "o.xlsx", units=units, settle_seconds=0, now=NOW)
    assert (s.units_expected, s.units_reporting, s.units_missing, s.units_unlisted) == (4, 3, 1, 2)
    assert s.units_reporting + s.units_missing == s.units_expected
    assert "không có trong danh sách" in s.text() and "CẢNH BÁO: 2 đơn vị" in s.text()
    status = {r["Nội dung"]: r["Số đơn vị"] for r in _table(tmp_path / "o.xlsx", "tblTinhHinhBaoCao")}
    assert status["Số đơn vị phải báo cáo (theo danh sách đơn vị)"] == 4
    assert status["Số đơn vị đã báo cáo"] == 3 and status["Số đơn vị chưa báo cáo"] == 1
    assert status["    trong đó: báo cáo đúng hạn"] + status["    trong đó: nộp muộn"] == 3
    assert status["Đơn vị gửi báo cáo nhưng không có trong danh sách (không tính vào tổng hợp)"] == 2
    # the totals are those of the listed units only
    tasks = _table(tmp_path / "o.xlsx", "tblNhiemVuDonVi")
    assert {r["Mã định danh"] for r in tasks} == {unit_identity(i)[0] for i in (0, 1, 2)}
    city = {r["Chỉ số"]: r for r in _table(tmp_path / "o.xlsx", "tblChiSoToanNganh")}
    assert city["Số nhiệm vụ phải thực hiện"]["Kỳ này (3 đơn vị)"] == sum(r["Số nhiệm vụ phải thực hiện"]
                                                                          for r in tasks)


def test_task_tables_add_up(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(6))
    rollup(inbox, tmp_path / "o.xlsx", settle_seconds=0, now=NOW)
    parts = [schema.TASK_FLAG[k] for k in ("done_on_time", "done_late", "overdue", "unfinished", "due_soon",
                                           "in_time", "no_deadline")]
    for r in _table(tmp_path / "o.xlsx", "tblNhiemVuDonVi"):
        assert sum(r[p] for p in parts) == r["Số nhiệm vụ phải thực hiện"]
        due, on_time = r["Mẫu số CT2 (đến hạn hoặc đã xong)"], r["Tử số CT2 (xong đúng hạn)"]
        assert r["Tỷ lệ đúng hạn (CT2)"] == (pytest.approx(on_time / due) if due else "")
        assert on_time <= due
    for r in _table(tmp_path / "o.xlsx", "tblHoSoDonVi"):
        assert r["Tổng số hồ sơ"] == r["Kỳ trước chuyển sang"] + r["Mới tiếp nhận"]
        assert r["Mới tiếp nhận"] == r["Trực tuyến"] + r["Trực tiếp"] + r["Bưu chính"]
        assert r["Đã giải quyết"] == r["Trước hạn"] + r["Đúng hạn"] + r["Trễ hạn"]
        assert r["Tổng số hồ sơ"] == (r["Đã giải quyết"] + r["Đang giải quyết trong hạn"] + r["Đang giải quyết quá hạn"]
                                      + r["Chờ bổ sung"] + r["Rút hồ sơ"] + r["Từ chối (không tính hạn)"])
    flags = {r["Tình trạng"]: r["Số nhiệm vụ"] for r in _table(tmp_path / "o.xlsx", "tblTinhTrangNhiemVu")}
    assert sum(flags[p] for p in parts) == flags["Cộng: số nhiệm vụ phải thực hiện"]


def test_same_code_other_school(school_data, tmp_path):
    """With a units list, the list is the authority: a file giving a listed code another unit's name is rejected
    with the reason; without a list the conflict is flagged, never silent."""
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(3))
    code, name = unit_identity(1)
    impostor = inbox / "khac_truong.xlsx"
    _retitled(inbox / "BC_CCHC_h12024_00002.xlsx", impostor, unit_identity(2)[0], code,
              unit_identity(2)[1], "Trường THPT Trùng Mã")
    s = rollup(inbox, tmp_path / "a.xlsx", settle_seconds=0, now=NOW)
    assert any("mã định danh '000.26.0001.H26' có nhiều tên đơn vị" in w for w in s.warnings), s.text()
    assert "CẢNH BÁO: mã định danh '000.26.0001.H26'" in s.text()
    assert any(r["Tình trạng"] == "Trùng mã, khác tên" for r in _table(tmp_path / "a.xlsx", "tblChuaBaoCaoNopMuon"))
    units = _units_csv(tmp_path / "don_vi.csv", [unit_identity(i) for i in range(3)])
    s = rollup(inbox, tmp_path / "b.xlsx", units=units, db=tmp_path / "b.sqlite", settle_seconds=0, now=NOW)
    assert s.exit_code == EXIT_REJECTED
    reasons = dict(s.rejections)
    assert f"thuộc đơn vị '{name}' trong danh sách đơn vị, nhưng tệp ghi tên 'Trường THPT Trùng Mã'" in \
        reasons["khac_truong.xlsx"]
    assert (inbox / "rejected" / "khac_truong.xlsx").exists() and not impostor.exists()
    tasks = {r["Mã định danh"]: r for r in _table(tmp_path / "b.xlsx", "tblNhiemVuDonVi")}
    assert tasks[code]["Đơn vị"] == name     # the listed unit keeps its own file


def _retitled(src: Path, dest: Path, old_code: str, new_code: str, old_name: str, new_name: str) -> Path:
    """A copy of an exchange file with another unit code and name (sheet and properties alike)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            data = data.replace(old_code.encode(), new_code.encode()).replace(old_name.encode(), new_name.encode())
            zout.writestr(info.filename, data)
    st = src.stat()
    os.utime(dest, (st.st_atime, st.st_mtime))
    return dest


# -------------------------------------------------------------------------- §2 rejected is not for ever

def test_a_file_of_another_period_is_kept_for_its_own_rollup(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(3))
    q1 = _files(school_data, inbox, [7], period="q1")[0]
    out = tmp_path / "o.xlsx"
    s = rollup(inbox, out, period="h1/2024", settle_seconds=0, now=NOW)
    assert s.exit_code == EXIT_OK and s.units_reporting == 3 and not s.rejections
    assert q1.exists() and dict(s.set_aside)[q1.name].startswith("báo cáo Quý I/2024: đã lưu")
    q = rollup(inbox, tmp_path / "q1.xlsx", db=out.with_suffix(".sqlite"), period="q1/2024", settle_seconds=0,
               now=NOW + dt.timedelta(hours=1))
    assert q.units_reporting == 1 and q.already_known == 4
    assert [r["Mã định danh"] for r in _table(tmp_path / "q1.xlsx", "tblNhiemVuDonVi")] == [unit_identity(7)[0]]
    files = _table(tmp_path / "q1.xlsx", "tblTepDaNhan")
    assert [f["Tệp"] for f in files] == [q1.name]     # 'Tệp đã nhận' lists this period's files only


def test_a_stray_file_of_a_later_period_does_not_decide(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(4))
    _files(school_data, inbox, [9], period="q3")
    s = rollup(inbox, tmp_path / "o.xlsx", settle_seconds=0, now=NOW)
    assert s.period_label == "6 tháng đầu năm 2024" and s.units_reporting == 4
    assert "kỳ có nhiều tệp nhất trong hộp thư: 4 tệp; 1 tệp thuộc kỳ khác" in s.text()


def test_a_file_rejected_by_another_version_is_examined_again(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    good = _files(school_data, inbox, range(2))
    out = tmp_path / "o.xlsx"
    rollup(inbox, out, settle_seconds=0, now=NOW)
    # what an older version did to a file it could not read: filed away, with its verdict
    filed = inbox / "rejected" / good[1].name
    filed.parent.mkdir(exist_ok=True)
    shutil.move(good[1], filed)
    (filed.parent / (filed.name + ".txt")).write_text("TỪ CHỐI (phiên bản cũ)", encoding="utf-8")
    con = sqlite3.connect(out.with_suffix(".sqlite"))
    with con:
        sha, = con.execute("SELECT sha256 FROM files WHERE file_name = ?", (good[1].name,)).fetchone()
        sid, = con.execute("SELECT submission_id FROM files WHERE sha256 = ?", (sha,)).fetchone()
        con.execute("DELETE FROM submission_values WHERE submission_id = ?", (sid,))
        con.execute("DELETE FROM submissions WHERE id = ?", (sid,))
        con.execute("UPDATE files SET outcome = 'rejected', cause = 'version', reason = 'phiên bản mới hơn', "
                    "program_version = '0.0.1', filed_as = ?, submission_id = NULL WHERE sha256 = ?",
                    (filed.name, sha))
    con.close()
    s = rollup(inbox, out, settle_seconds=0, now=NOW + dt.timedelta(hours=1))
    assert s.examined_again == 1 and s.accepted == 1 and s.units_reporting == 2
    assert (inbox / good[1].name).exists() and not filed.exists()
    assert not (filed.parent / (filed.name + ".txt")).exists()


# ------------------------------------------------------------------- §2 nothing can block or poison it

def _with_cell(src: Path, dest: Path, key: str, raw: bytes) -> Path:
    """``src`` with the data sheet's value of ``key`` replaced by the raw cell XML value ``raw``."""
    import re

    from python_calamine import CalamineWorkbook

    keys = [r[0] for r in CalamineWorkbook.from_path(str(src), load_tables=True)
            .get_table_by_name("tblTraoDoi").to_python()]
    row = keys.index(key) + 2
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet5.xml":
                data = re.sub(rf'(<c r="C{row}"[^>]*><v>)[^<]*(</v>)'.encode(), rb"\g<1>" + raw + rb"\g<2>", data)
            zout.writestr(info.filename, data)
    os.utime(dest, (src.stat().st_mtime, src.stat().st_mtime))
    return dest


def test_hostile_files_are_rejected_in_seconds_while_the_others_roll_up(school_data, tmp_path):
    """Huge declared ranges, values out of range, a text over a cell's length: each rejected with its reason and
    nothing of it stored; the roll-up process stays under 200 MB (measured by itself)."""
    import json
    import re

    inbox = tmp_path / "hop_thu"
    good = _files(school_data, inbox, range(3))
    base = good[0]
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    hostile = {}

    def rewrite(name: str, edit) -> Path:
        dest = inbox / name
        with zipfile.ZipFile(base) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))
        os.utime(dest, (base.stat().st_mtime, base.stat().st_mtime))
        hostile[name] = dest
        return dest

    rewrite("bang_khong_lo.xlsx", lambda n, d: re.sub(rb'ref="A1:D\d+"', b'ref="A1:XFD1048576"', d)
            if n.startswith("xl/tables/") and b"tblTraoDoi" in d else d)
    rewrite("o_cuoi_trang.xlsx", lambda n, d: d.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
        if n == "xl/worksheets/sheet5.xml" else d)
    for name, key, raw in (("so_1e19.xlsx", "dossiers.late", b"1e19"), ("so_inf.xlsx", "dossiers.late", b"INF"),
                           ("so_am_vo_cuc.xlsx", "tasks.total", b"-1e400")):
        hostile[name] = _with_cell(base, inbox / name, key, raw)
    name = str(load_school(BUNDLED).settings["ten_truong_ngan"])
    del name
    unit_name = unit_identity(0)[1].encode()
    rewrite("ten_qua_dai.xlsx", lambda n, d: d.replace(b">" + unit_name + b"<", b">" + b"A" * 40_000 + b"<", 1)
            if n == "xl/sharedStrings.xml" else d)
    for p in hostile.values():
        assert p.stat().st_size < 100_000
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    launcher = ("import json, os, sys, time\n"
                "t = time.perf_counter()\n"
                "pid = os.posix_spawn(sys.executable, [sys.executable] + sys.argv[1:], os.environ)\n"
                "_, status, ru = os.wait4(pid, 0)\n"
                "print(json.dumps({'s': time.perf_counter() - t, 'mb': ru.ru_maxrss / 1024,"
                " 'code': os.waitstatus_to_exitcode(status)}))\n")
    out = tmp_path / "o.xlsx"
    done = subprocess.run([sys.executable, "-c", launcher, "-m", "cchc_xl.cli", "rollup", str(inbox), "--out",
                           str(out), "--period", "h1/2024", "-q"], capture_output=True, env=env, timeout=300)
    m = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert m["code"] == EXIT_REJECTED and m["s"] < 30 and m["mb"] < 200, m
    reasons = {p.name[:-4]: p.read_text(encoding="utf-8") for p in (inbox / "rejected").glob("*.txt")}
    assert set(reasons) == set(hostile)
    assert "vùng lớn bất thường" in reasons["bang_khong_lo.xlsx"]
    assert "vùng lớn bất thường" in reasons["o_cuoi_trang.xlsx"]
    assert "'dossiers.late' phải là số nguyên từ 0 đến 10.000.000" in reasons["so_1e19.xlsx"]
    assert "'dossiers.late' không phải số hữu hạn" in reasons["so_inf.xlsx"]
    assert "'tasks.total' không phải số hữu hạn" in reasons["so_am_vo_cuc.xlsx"]
    assert "'unit.name' có nội dung dài 40.000 ký tự" in reasons["ten_qua_dai.xlsx"]
    assert len(_table(out, "tblNhiemVuDonVi")) == 3
    con = sqlite3.connect(out.with_suffix(".sqlite"))
    try:   # nothing of a rejected file is stored but its verdict
        assert con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 3
        assert con.execute("SELECT COUNT(*) FROM files WHERE outcome = 'rejected'").fetchone()[0] == len(hostile)
    finally:
        con.close()


def test_a_stored_value_the_writer_cannot_write_is_reported_and_skipped(school_data, tmp_path):
    """A value stored before validation existed (an older version) must not make every later run exit 3."""
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(2))
    out = tmp_path / "o.xlsx"
    rollup(inbox, out, settle_seconds=0, now=NOW)
    con = sqlite3.connect(out.with_suffix(".sqlite"))
    with con:
        kid, = con.execute("SELECT id FROM keys WHERE key = 'indicator.CT1.actual'").fetchone()
        con.execute("UPDATE submission_values SET num = NULL, text = ? WHERE key_id = ?", ("x" * 40_000, kid))
        kid, = con.execute("SELECT id FROM keys WHERE key = 'indicator.CT2.threshold'").fetchone()
        con.execute("UPDATE submission_values SET num = ?, text = NULL WHERE key_id = ?", (float("inf"), kid))
    con.close()
    _files(school_data, inbox, [5])
    s = rollup(inbox, out, settle_seconds=0, now=NOW + dt.timedelta(hours=1))
    assert s.exit_code == EXIT_OK and s.written, s.text()
    assert any("bỏ trống vì giá trị lưu trong cơ sở dữ liệu không ghi được" in w for w in s.warnings), s.text()


def test_texts_from_schools_and_options_never_become_formulas(school_data, tmp_path):
    import dataclasses

    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    hostile = '{=HYPERLINK("http://x.invalid","Xem chi tiết")}'
    settings = dataclasses.replace(school_data.settings, values=dict(school_data.settings.values))
    settings.values["ten_truong_ngan"] = hostile
    data = dataclasses.replace(school_data, settings=settings)
    from cchc_xl.engine import compute
    from cchc_xl.exchange.writer import write_exchange

    result = compute(data, as_of=dt.date(2024, 6, 14), period="h1")
    result.settings.values["ma_dinh_danh"] = "000.26.0777.H26"
    path = write_exchange(result, inbox / "truong_la.xlsx", made_at=dt.datetime(2024, 6, 15, 8))
    os.utime(path, (dt.datetime(2024, 6, 16).timestamp(),) * 2)
    _files(school_data, inbox, range(2))
    out = tmp_path / "o.xlsx"
    s = rollup(inbox, out, settle_seconds=0, now=NOW,
               options=RollupOptions(signer=hostile, issuer="=1+1", place='{="x"}', number="@SUM(A1)"))
    assert s.exit_code == EXIT_OK, s.text()
    with zipfile.ZipFile(out) as zf:
        for n in zf.namelist():
            if n.startswith("xl/worksheets/"):
                assert b"<f" not in zf.read(n), n
    names = {r["Đơn vị"] for r in _table(out, "tblNhiemVuDonVi")}
    assert hostile in names


# ------------------------------------------------------------------------------- §2 times and own files

def test_times_from_the_sender_are_not_trusted_blindly(school_data, tmp_path):
    """A file saying it was made in 2099 would be the unit's latest for ever: its time is clamped to its arrival, so
    the unit's real report made later wins; a file whose time on disk is in 2099 (a clock ahead) is not left 'still
    being written' for ever: it arrives now. Both corrections are reported."""
    import random

    from cchc_xl.engine import compute
    from cchc_xl.exchange.writer import write_exchange
    from cchc_xl.rollup.sample import vary

    inbox = tmp_path / "hop_thu"
    inbox.mkdir()

    def report(i: int, name: str, made: dt.datetime, arrived: dt.datetime) -> Path:
        result = compute(vary(school_data, i, random.Random(i), dt.date(2024, 6, 14)), as_of=dt.date(2024, 6, 14),
                         period="h1")
        path = write_exchange(result, inbox / name, made_at=made)
        os.utime(path, (arrived.timestamp(),) * 2)
        return path

    report(3, "a_2099.xlsx", dt.datetime(2099, 1, 1, 8), dt.datetime(2024, 6, 16, 9))
    later = report(3, "b_that.xlsx", dt.datetime(2024, 6, 17, 8), dt.datetime(2024, 6, 18, 9))
    ahead = report(4, "c_dong_ho_sai.xlsx", dt.datetime(2024, 6, 15, 8), dt.datetime(2099, 1, 1))
    s = rollup(inbox, tmp_path / "o.xlsx", settle_seconds=0, now=NOW)
    assert s.skipped == 0 and s.units_reporting == 2, s.text()
    text = s.text()
    assert "a_2099.xlsx: thời điểm lập tệp ghi trong tệp (01/01/2099 08:00) sau thời điểm nhận" in text
    assert f"{ahead.name}: thời điểm của tệp (01/01/2099 00:00) ở tương lai; lấy thời điểm nhận là lúc kiểm tra" in text
    files = {f["Tệp"]: f for f in _table(tmp_path / "o.xlsx", "tblTepDaNhan")}
    assert files[ahead.name]["Thời điểm nhận"] == NOW
    con = sqlite3.connect(tmp_path / "o.sqlite")
    try:
        chosen = con.execute("SELECT file_name FROM current_submissions WHERE unit_code = ?",
                             (unit_identity(3)[0],)).fetchone()[0]
    finally:
        con.close()
    assert chosen == later.name


def test_the_rollups_own_files_are_never_inputs(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(2))
    out, db = inbox / "TongHop.xlsx", inbox / "du_lieu.sqlite"
    first = rollup(inbox, out, db=db, settle_seconds=0, now=NOW)
    second = rollup(inbox, out, db=db, settle_seconds=0, now=NOW + dt.timedelta(hours=1))
    assert (first.exit_code, second.exit_code, second.rejected) == (EXIT_OK, EXIT_OK, 0), second.text()
    assert out.exists() and db.exists() and not (inbox / "rejected").exists()
    assert second.files_seen == 2


# ------------------------------------------------------------------------ databases, links, exit codes

def test_a_database_of_another_program_is_one_sentence_exit_2(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(1))
    other = tmp_path / "khac.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE hoc_sinh (id INTEGER, ten TEXT)")
    con.commit()
    con.close()
    before = other.read_bytes()
    r = _cli("rollup", str(inbox), "--out", str(tmp_path / "o.xlsx"), "--db", str(other), "-q")
    err = r.stderr.decode()
    assert r.returncode == 2 and "là cơ sở dữ liệu của chương trình khác" in err and len(err.strip().splitlines()) == 1
    assert other.read_bytes() == before
    text = tmp_path / "ghi_chu.sqlite"
    text.write_text("không phải cơ sở dữ liệu " * 100, encoding="utf-8")
    r = _cli("rollup", str(inbox), "--out", str(tmp_path / "o.xlsx"), "--db", str(text), "-q")
    err = r.stderr.decode()
    assert r.returncode == 2 and "không phải cơ sở dữ liệu SQLite" in err and "file is not a database" not in err


@pytest.mark.parametrize("which", ["lock", "log", "db", "wal"])
def test_a_planted_link_is_never_written_through(school_data, tmp_path, which):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(1))
    out = tmp_path / "TongHop.xlsx"
    victim = tmp_path / "victim.docx"
    victim.write_bytes(b"noi dung quan trong")
    link = {"lock": tmp_path / "TongHop.xlsx.cchc-lock", "log": tmp_path / "TongHop.log",
            "db": tmp_path / "TongHop.sqlite", "wal": tmp_path / "TongHop.sqlite-wal"}[which]
    link.symlink_to(victim)
    r = _cli("rollup", str(inbox), "--out", str(out), "-q")
    err = r.stderr.decode()
    assert r.returncode == 2 and "là một liên kết (symlink)" in err and len(err.strip().splitlines()) == 1, err
    assert victim.read_bytes() == b"noi dung quan trong" and link.is_symlink()


def test_the_roll_up_writes_its_own_files_without_following_a_link(school_data, tmp_path):
    """The workbook goes through a temporary file beside it (a link planted at its name is replaced, a killed run's
    temporary removed); a log or database planted as a hard link to a victim is never written through."""
    from cchc_xl.io.nofollow import temp_prefix
    from cchc_xl.rollup.run import rollup

    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(2))
    out = tmp_path / "TongHop.xlsx"
    victim = tmp_path / "victim.docx"
    victim.write_bytes(b"noi dung quan trong")
    out.symlink_to(victim)                                          # at the workbook's name: replaced
    left = tmp_path / (temp_prefix(out) + "abcd1234.part")          # what a killed run left beside it
    left.write_bytes(b"PK")
    log = tmp_path / "TongHop.log"
    os.link(victim, log)                                            # the log: a hard link to the victim
    summary = rollup(inbox, out, settle_seconds=0)
    assert summary.exit_code == 0 and summary.written
    assert not out.is_symlink() and zipfile.is_zipfile(out) and not left.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []
    assert victim.read_bytes() == b"noi dung quan trong"
    assert any("không ghi nhật ký" in w for w in summary.warnings), summary.warnings
    db = tmp_path / "Khac.sqlite"
    os.link(victim, db)                                             # the database: a hard link to the victim
    with pytest.raises(CchcError, match="liên kết cứng"):
        rollup(inbox, tmp_path / "Khac.xlsx", settle_seconds=0)
    assert victim.read_bytes() == b"noi dung quan trong"


def test_user_errors_exit_2_and_a_database_fault_is_not_nothing_new(school_data, tmp_path):
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(1))
    for args in (["rollup", str(tmp_path / "khong_co"), "--out", str(tmp_path / "o.xlsx")],
                 ["rollup", str(inbox), "--out", str(tmp_path / "o.xlsx"), "--period", "q2/2024"]):
        r = _cli(*args)
        assert r.returncode == 2 and r.stderr.decode().startswith("Lỗi: "), r.stderr.decode()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "rollup.py"), str(inbox), "--out",
                        str(tmp_path / "o.xlsx"), "--period", "q2/2024"], capture_output=True, env=env, timeout=120)
    assert r.returncode == 2
    out = tmp_path / "o.xlsx"
    assert _cli("rollup", str(inbox), "--out", str(out), "-q").returncode == 0
    db = out.with_suffix(".sqlite")
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xff" * 4096          # a damaged page
    db.write_bytes(bytes(data))
    r = _cli("rollup", str(inbox), "--out", str(out), "-q")
    text = r.stdout.decode() + r.stderr.decode()
    assert r.returncode == 3, text
    assert "Không có gì mới" not in text and "giữ nguyên" not in text.split("Lỗi:")[0]
    assert "malformed" not in text and "cơ sở dữ liệu bị hỏng" in text


def test_a_csv_error_is_said_in_vietnamese(tmp_path):
    from cchc_xl.rollup.run import read_units

    bad = tmp_path / "don_vi.csv"
    bad.write_text('Mã định danh,Tên đơn vị\nA1,"Trường A\nA2,Trường B\n', encoding="utf-8")
    with pytest.raises(CchcError) as info:
        read_units(bad)
    assert "sai định dạng CSV" in str(info.value) and "unexpected" not in str(info.value)


def test_a_version_1_database_is_upgraded(school_data, tmp_path):
    """A Sở's database made by the first roll-up keeps its files: upgraded in place, its submissions counted."""
    v1 = """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE submissions (id INTEGER PRIMARY KEY, unit_code TEXT NOT NULL, unit_name TEXT NOT NULL,
        period_key TEXT NOT NULL, period_year INTEGER NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,
        as_of TEXT NOT NULL, made_at TEXT NOT NULL, arrived_at TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
        file_name TEXT NOT NULL, format_version INTEGER NOT NULL, program_version TEXT NOT NULL);
    CREATE INDEX ix_submissions_unit_period ON submissions (period_year, period_key, unit_code, made_at);
    CREATE TABLE files (sha256 TEXT PRIMARY KEY, file_name TEXT NOT NULL, size INTEGER NOT NULL,
        arrived_at TEXT NOT NULL, seen_at TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT,
        submission_id INTEGER REFERENCES submissions (id));
    CREATE TABLE submission_values (submission_id INTEGER NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL,
        unit TEXT NOT NULL, num REAL, text TEXT, date TEXT, PRIMARY KEY (submission_id, key)) WITHOUT ROWID;
    INSERT INTO meta VALUES ('schema_version', '1');
    INSERT INTO submissions VALUES (1, '000.26.0500.H26', 'Trường Cũ', 'h1', 2024, '2023-12-15', '2024-06-14',
        '2024-06-14', '2024-06-15T08:00:00', '2024-06-15T09:00:00', 'abc', 'cu.xlsx', 1, '0.1.0');
    INSERT INTO files VALUES ('abc', 'cu.xlsx', 100, '2024-06-15T09:00:00', '2024-06-21T07:00:00', 'accepted',
        NULL, 1);
    INSERT INTO submission_values VALUES (1, 'tasks.active', '', '', 10, NULL, NULL),
        (1, 'tasks.done_on_time', '', '', 4, NULL, NULL), (1, 'indicator.CT2.status', '', '', NULL, 'Chưa đạt', NULL),
        (1, 'as_of', '', '', NULL, NULL, '2024-06-14');
    """
    db = tmp_path / "o.sqlite"
    con = sqlite3.connect(db)
    con.executescript(v1)
    con.close()
    inbox = tmp_path / "hop_thu"
    _files(school_data, inbox, range(2))
    s = rollup(inbox, tmp_path / "o.xlsx", settle_seconds=0, now=NOW)
    assert s.exit_code == EXIT_OK and s.units_reporting == 3, s.text()
    tasks = {r["Mã định danh"]: r for r in _table(tmp_path / "o.xlsx", "tblNhiemVuDonVi")}
    assert tasks["000.26.0500.H26"]["Hoàn thành đúng hạn"] == 4
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "2"
        assert con.execute("PRAGMA application_id").fetchone()[0] != 0
    finally:
        con.close()


def test_the_sample_inbox_command_makes_files_the_rollup_accepts(tmp_path):
    r = _cli("sample-inbox", str(BUNDLED), "--out-dir", str(tmp_path / "mau"), "--schools", "3", "-q")
    assert r.returncode == 0, r.stderr.decode()
    assert "Đã ghi 3 tệp trao đổi mẫu" in r.stdout.decode()
    files = sorted((tmp_path / "mau").glob("*.xlsx"))
    assert len(files) == 3
    r = _cli("rollup", str(tmp_path / "mau"), "--out", str(tmp_path / "TongHop.xlsx"), "-q")
    assert r.returncode == 0 and "Đơn vị đã báo cáo: 3" in r.stdout.decode(), r.stdout.decode() + r.stderr.decode()
