"""The Sở's roll-up, as a Sở officer would use it: 60 schools' exchange files, hostile and wrong-period files."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.distribute.send import build_outgoing
from cchc_xl.engine import refresh_file
from cchc_xl.errors import CchcError
from cchc_xl.io.writelock import lock_path, writer_lock
from cchc_xl.rollup.run import EXIT_BUSY, EXIT_REJECTED, RollupOptions, read_units, rollup

from rollfix import ROOT, make_school, set_time

N_SCHOOLS = 60
AS_OF = dt.date(2024, 6, 14)
DEADLINE = dt.date(2024, 6, 20)
ON_TIME = dt.datetime(2024, 6, 17, 9, 0)
LATE_UNITS = {3, 17, 42}
CORPUS = ROOT / "tests" / "data" / "excel-corpus"


def _code(i: int) -> str:
    return f"000.26.{i:04d}.H26"


def _name(i: int) -> str:
    return f"Trường THPT Thử Nghiệm số {i}"


def _school_file(work: Path, inbox: Path, i: int, *, year: int = 2024, as_of: dt.date = AS_OF, seed: int = 0,
                 period: str = "h1", arrived: dt.datetime = ON_TIME) -> tuple[dict, Path]:
    """One school: its own workbook varied through the file engine, refreshed, its exchange file sent to
    the inbox. Returns the school's own ``refresh --json`` object and the inbox file."""
    wb = make_school(work / f"{year}-{seed}-{i}" / "CCHC.xlsm", i, code=_code(i), name=_name(i), seed=seed,
                     year=year, as_of=as_of)
    result = refresh_file(wb, as_of=as_of, period=period, backup=False)
    xlsx, _ = build_outgoing(result, wb.parent, pdf=False)
    dest = inbox / f"{i:03d}_{seed}_{xlsx.name}"
    shutil.copyfile(xlsx, dest)
    return json.loads(json.dumps(result.to_json())), set_time(dest, arrived)


def _repack(src: Path, dest: Path, extra: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", compress) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        for name, data in extra.items():
            zout.writestr(name, data)
    return dest


@pytest.fixture(scope="module")
def sở(tmp_path_factory):
    """The Sở's folders after the first roll-up of 6 tháng đầu năm 2024 (with 2023 history in the database)."""
    base = tmp_path_factory.mktemp("so")
    work, inbox = base / "truong", base / "hop_thu"
    inbox.mkdir()
    out = base / "tong_hop" / "TongHop_CCHC_6Thang2024.xlsx"

    # last year: the same period, from five of the schools, rolled up last year
    inbox2023 = base / "hop_thu_2023"
    inbox2023.mkdir()
    previous = {i: _school_file(work, inbox2023, i, year=2023, as_of=dt.date(2023, 6, 14),
                                arrived=dt.datetime(2023, 6, 16, 8))[0] for i in range(5)}
    first = rollup(inbox2023, out, period="h1/2023", settle_seconds=0, now=dt.datetime(2023, 6, 21, 7))
    assert (first.accepted, first.exit_code) == (5, 0)

    own = {}
    for i in range(N_SCHOOLS):
        arrived = dt.datetime(2024, 6, 21 + i % 3, 10) if i in LATE_UNITS else ON_TIME + dt.timedelta(minutes=i)
        own[i], _ = _school_file(work, inbox, i, arrived=arrived)
    # school 5 sends a corrected report later: it supersedes its first one (both kept)
    first_of_5 = own[5]
    own[5], _ = _school_file(work, inbox, 5, seed=1, arrived=ON_TIME + dt.timedelta(days=1))
    # wrong period: two schools send their Quý I report
    wrong = [_school_file(work, inbox, 70 + k, as_of=dt.date(2024, 3, 14), period="q1")[1] for k in range(2)]
    # hostile and foreign files
    sample = next(inbox.glob("000_0_*.xlsx"))
    hostile = {
        "bom_nen.xlsx": _repack(sample, inbox / "bom_nen.xlsx", {"xl/media/bomb.bin": b"\0" * (60 * 1024 * 1024)}),
        "co_macro.xlsm": _repack(sample, inbox / "co_macro.xlsm", {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" * 200}),
        "khong_phai_excel.xlsx": inbox / "khong_phai_excel.xlsx",
        "bang_khac.xlsx": inbox / "bang_khac.xlsx",
        "hong.xlsx": inbox / "hong.xlsx",
        "mat_khau.xlsx": inbox / "mat_khau.xlsx",
    }
    hostile["khong_phai_excel.xlsx"].write_text("Kính gửi Sở, đây là thư chứ không phải bảng tính.", encoding="utf-8")
    shutil.copyfile(CORPUS / "table01.xlsx", hostile["bang_khac.xlsx"])
    hostile["hong.xlsx"].write_bytes(sample.read_bytes()[:4000])
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(sample, "rb") as fin, open(hostile["mat_khau.xlsx"], "wb") as fout:
        OOXMLFile(fin).encrypt("matkhau", fout)
    for p in hostile.values():
        set_time(p, ON_TIME)

    units = base / "don_vi.csv"
    lines = ["Mã định danh;Tên đơn vị"] + [f"{_code(i)};{_name(i)}" for i in range(N_SCHOOLS)] + \
            ["000.26.0901.H26;Trường THPT Chưa Gửi A", "000.26.0902.H26;Trường THPT Chưa Gửi B"]
    units.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    options = RollupOptions(issuer="SỞ GIÁO DỤC VÀ ĐÀO TẠO", place="Hải Phòng", signer="Nguyễn Văn Giám Đốc")
    now = dt.datetime(2024, 6, 25, 7, 30)
    summary = rollup(inbox, out, period="h1/2024", units=units, settle_seconds=0, options=options, now=now)
    return {"summary": summary, "out": out, "inbox": inbox, "own": own, "previous": previous, "hostile": hostile,
            "wrong": wrong, "units": units, "options": options, "now": now, "first_of_5": first_of_5}


def _table(path: Path, name: str) -> list[dict]:
    from python_calamine import CalamineWorkbook

    t = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(name)
    return [dict(zip(t.columns, row)) for row in t.to_python()]


def _col(row: dict, prefix: str):
    """The value of the one column whose header starts with ``prefix`` (headers carry unit counts, years)."""
    keys = [k for k in row if k.startswith(prefix)]
    assert len(keys) == 1, (prefix, list(row))
    return row[keys[0]]


def _sum(own: dict, group: str, key: str) -> int:
    return sum(int(s[group][key]) for s in own.values())


def test_summary_and_rejections(sở):
    s = sở["summary"]
    assert s.exit_code == EXIT_REJECTED
    # 61 files of the period and 2 of Quý I accepted (the latter set aside for that period), 6 hostile files rejected
    assert (s.accepted, s.rejected, s.units_reporting, s.units_missing, s.units_late) == (63, 6, 60, 2, 3)
    assert s.units_expected == 62 and s.units_reporting + s.units_missing == s.units_expected
    rejected = sở["inbox"] / "rejected"
    reasons = {p.name[:-4]: p.read_text(encoding="utf-8") for p in rejected.glob("*.txt")}
    expect = {"bom_nen.xlsx": "nén bất thường", "co_macro.xlsm": "tệp có macro", "khong_phai_excel.xlsx":
              "không phải là sổ tính Excel", "bang_khac.xlsx": "không phải tệp trao đổi", "hong.xlsx": "bị hỏng",
              "mat_khau.xlsx": "mật khẩu"}
    for name, why in expect.items():
        assert why in reasons[name], (name, reasons[name])
        assert not (sở["inbox"] / name).exists() and (rejected / name).exists()
    set_aside = dict(s.set_aside)
    for p in sở["wrong"]:   # another period's file is not rejected: stored for that period's roll-up
        assert p.name not in reasons and p.exists()
        assert "Quý I/2024: đã lưu để tổng hợp kỳ đó, không tính vào kỳ 6 tháng đầu năm 2024" in set_aside[p.name]
        assert f"ĐỂ RIÊNG: {p.name}" in s.text()
    assert all("TỪ CHỐI" in text for text in reasons.values())
    assert len(list(sở["inbox"].glob("*.xlsx"))) == 63  # accepted files stay where the mail put them


def test_totals_equal_the_schools_own_refresh_json(sở):
    own = sở["own"]
    city = {r["Chỉ số"]: r for r in _table(sở["out"], "tblChiSoToanNganh")}
    now = "Kỳ này (60 đơn vị)"
    total = sum(int(s["dossiers"]["carried_over"]) + int(s["dossiers"]["received_new"]) for s in own.values())
    assert city["Tổng số hồ sơ TTHC"][now] == total
    for label, key in (("Hồ sơ đã giải quyết", "resolved"), ("Giải quyết trước hạn", "early"),
                       ("Giải quyết đúng hạn", "on_time"), ("Giải quyết trễ hạn", "late"),
                       ("Hồ sơ nộp trực tuyến", "online_new"), ("Đang giải quyết quá hạn", "pending_overdue")):
        assert city[label][now] == _sum(own, "dossiers", key), label
    for label, key in (("Hoàn thành đúng hạn", "done_on_time"), ("Hoàn thành trễ hạn", "done_late"),
                       ("Nhiệm vụ quá hạn", "overdue")):
        assert city[label][now] == _sum(own, "tasks", key), label
    active = sum(s["tasks"]["total"] - s["tasks"]["not_done"] for s in own.values())
    assert city["Số nhiệm vụ phải thực hiện"][now] == active
    # rates from the summed counts — not the average of the schools' rates
    resolved = _sum(own, "dossiers", "resolved")
    rate = (_sum(own, "dossiers", "early") + _sum(own, "dossiers", "on_time")) / resolved
    assert city["Tỷ lệ giải quyết trước hạn và đúng hạn"][now] == pytest.approx(rate)
    mean = sum(s["rates"]["early_or_on_time"] for s in own.values() if s["rates"]["early_or_on_time"] is not None)
    assert rate != pytest.approx(mean / N_SCHOOLS)
    assert city["Tỷ lệ kết quả số hóa"][now] == pytest.approx(_sum(own, "dossiers", "digitised") / resolved)
    # per unit: the same numbers as the school's own refresh, school 5's corrected report
    per_unit = {r["Mã định danh"]: r for r in _table(sở["out"], "tblHoSoDonVi")}
    rates = {r["Mã định danh"]: r for r in _table(sở["out"], "tblTyLeHoSoDonVi")}
    assert len(per_unit) == len(rates) == N_SCHOOLS
    for i, s in own.items():
        row = per_unit[_code(i)]
        assert row["Đã giải quyết"] == s["dossiers"]["resolved"] and row["Trễ hạn"] == s["dossiers"]["late"]
        expected = s["rates"]["early_or_on_time"]
        got = rates[_code(i)]["Tỷ lệ trước hạn và đúng hạn"]
        assert got == (pytest.approx(expected) if expected is not None else "")
    tasks = {r["Mã định danh"]: r for r in _table(sở["out"], "tblNhiemVuDonVi")}
    assert tasks[_code(5)]["Quá hạn"] == own[5]["tasks"]["overdue"]
    assert sum(r["Quá hạn"] for r in tasks.values()) == _sum(own, "tasks", "overdue")


def test_indicators_rankings_missing_late_and_history(sở):
    own, previous = sở["own"], sở["previous"]
    rows = {r["Mã định danh"]: r for r in _table(sở["out"], "tblChiTieuDonVi")}
    assert len(rows) == N_SCHOOLS
    for i, s in own.items():
        for ind in s["indicators"]:
            assert rows[_code(i)][ind["code"]] == ind["status"]
    summary = {r["Mã"]: r for r in _table(sở["out"], "tblChiTieuToanNganh")}
    met = sum(1 for s in own.values() for ind in s["indicators"] if ind["code"] == "CT4b" and ind["status"] == "Đạt")
    not_met = sum(1 for s in own.values() for ind in s["indicators"] if ind["code"] == "CT4b"
                  and ind["status"] == "Chưa đạt")   # a 6-month report: a target not met yet reads 'Chưa đạt'
    assert not_met > 0
    row = summary["CT4b"]
    assert row["Số đơn vị: Đạt"] == met and row["Số đơn vị: Chưa đạt"] == not_met
    assert row["Số đơn vị đã báo cáo"] == N_SCHOOLS
    classes = [k for k in row if k.startswith("Số đơn vị: ")]
    for code, r in summary.items():   # every unit in exactly one class of every indicator
        assert sum(r[k] for k in classes) == r["Số đơn vị đã báo cáo"] == N_SCHOOLS, code
    assert row["Tỷ lệ đơn vị đạt"] == pytest.approx(met / (met + not_met))
    early = _sum(own, "dossiers", "early") / _sum(own, "dossiers", "resolved")
    assert summary["CT4b"]["Toàn ngành"] == pytest.approx(early)
    assert summary["CT4b"]["Đánh giá toàn ngành"] == ("Đạt" if early >= 0.8 else "Chưa đạt")
    ranking = _table(sở["out"], "tblXepHang")
    assert [r["Hạng"] for r in ranking] == sorted(r["Hạng"] for r in ranking) and ranking[0]["Hạng"] == 1
    shares = [r["Tỷ lệ chỉ tiêu đạt"] for r in ranking if r["Tỷ lệ chỉ tiêu đạt"] != ""]
    assert shares == sorted(shares, reverse=True)
    status = {r["Mã định danh"]: r for r in _table(sở["out"], "tblChuaBaoCaoNopMuon")}
    assert {c for c, r in status.items() if r["Tình trạng"] == "Chưa báo cáo"} == {"000.26.0901.H26",
                                                                                   "000.26.0902.H26"}
    late = {c: r for c, r in status.items() if r["Tình trạng"] == "Nộp muộn"}
    assert set(late) == {_code(i) for i in LATE_UNITS}
    assert late[_code(3)]["Số ngày muộn"] == 1 and isinstance(late[_code(3)]["Thời điểm nhận"], dt.datetime)
    # the same period of the previous year, on the same units: the 5 schools that reported both times
    city = {r["Chỉ số"]: r for r in _table(sở["out"], "tblChiSoToanNganh")}
    both = {i: own[i] for i in previous}
    row = city["Hoàn thành đúng hạn"]
    assert row["Cùng kỳ năm 2023 (5 đơn vị)"] == _sum(previous, "tasks", "done_on_time")
    assert row["Kỳ này (5 đơn vị có cả năm 2023)"] == _sum(both, "tasks", "done_on_time")
    assert city["Nhiệm vụ quá hạn"]["Chênh lệch"] == _sum(both, "tasks", "overdue") - _sum(previous, "tasks", "overdue")
    per_unit = {r["Mã định danh"]: r for r in _table(sở["out"], "tblNhiemVuDonVi")}
    t = previous[2]["tasks"]  # unit 2 reported in 2023 too
    assert t["no_deadline"] == 0
    expected = (t["done_on_time"] + t["done_late"]) / (t["total"] - t["not_done"])
    assert per_unit[_code(2)]["Tỷ lệ hoàn thành cùng kỳ năm 2023"] == pytest.approx(expected)
    assert per_unit[_code(40)]["Tỷ lệ hoàn thành cùng kỳ năm 2023"] == ""


def test_database_keeps_both_submissions_and_a_rerun_changes_nothing(sở):
    db = sở["out"].with_suffix(".sqlite")
    con = sqlite3.connect(db)
    try:
        subs = con.execute("SELECT COUNT(*) FROM submissions WHERE period_year = 2024").fetchone()[0]
        current = con.execute("SELECT COUNT(*) FROM current_submissions WHERE period_year = 2024").fetchone()[0]
        five = con.execute("SELECT COUNT(*) FROM submissions WHERE unit_code = ? AND period_year = 2024",
                           (_code(5),)).fetchone()[0]
        resolved_5 = con.execute(
            "SELECT v.num FROM current_submissions c JOIN submission_values v ON v.submission_id = c.id "
            "JOIN keys k ON k.id = v.key_id WHERE c.unit_code = ? AND c.period_year = 2024 AND c.period_key = 'h1' "
            "AND k.key = 'dossiers.resolved'", (_code(5),)).fetchone()[0]
        hashes = con.execute("SELECT COUNT(DISTINCT sha256) FROM submissions").fetchone()[0]
        before = con.execute("SELECT * FROM files ORDER BY sha256").fetchall()
    finally:
        con.close()
    assert (subs, current, five, hashes) == (63, 62, 2, 68)   # 61 + 2 of Quý I; 60 + 2 units; 5 of 2023
    assert resolved_5 == sở["own"][5]["dossiers"]["resolved"]
    out_bytes, out_mtime = sở["out"].read_bytes(), sở["out"].stat().st_mtime_ns
    again = rollup(sở["inbox"], sở["out"], period="h1/2024", units=sở["units"], settle_seconds=0,
                   options=sở["options"], now=sở["now"] + dt.timedelta(hours=1))
    assert (again.accepted, again.rejected, again.already_known, again.written, again.exit_code) == \
        (0, 0, 63, False, 0)
    assert (again.units_reporting, again.units_missing, again.units_late) == (60, 2, 3)
    assert sở["out"].read_bytes() == out_bytes and sở["out"].stat().st_mtime_ns == out_mtime
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT * FROM files ORDER BY sha256").fetchall() == before
    finally:
        con.close()


def test_libreoffice_renders_the_summary_page(sở, tmp_path):
    if not shutil.which("soffice") or not shutil.which("pdftoppm"):
        pytest.skip("LibreOffice and poppler-utils are needed to render the summary page")
    from cchc_xl.distribute.outgoing import report_pdf

    pdf = report_pdf(sở["out"], tmp_path / "bao_cao.pdf", sheet="Báo cáo")
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          check=True).stdout.decode()
    flat = " ".join(text.split())
    for expected in ("UBND THÀNH PHỐ HẢI PHÒNG", "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Hải Phòng, ngày 25 tháng 6 năm 2024", "BÁO CÁO", "của các đơn vị trực thuộc",
                     "Trường THPT Chưa Gửi A", "Nộp muộn", "Nơi nhận:", "GIÁM ĐỐC", "Nguyễn Văn Giám Đốc"):
        assert expected in flat, expected
    total = sum(int(s["dossiers"]["resolved"]) for s in sở["own"].values())
    from cchc_xl.core import vnformat

    assert vnformat.integer(total) in flat
    # row heights computed from the text (CT1's long name was clipped in a fixed 48 pt row): every word printed
    ct1 = next(r["Chỉ tiêu"] for r in _table(sở["out"], "tblChiTieuToanNganh") if r["Mã"] == "CT1")
    assert len(ct1) > 200
    for word in ct1.split():
        assert word in flat, word
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True).stdout.decode()
    assert int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))) <= 4
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "trang")],
                   check=True)
    assert (tmp_path / "trang-1.png").stat().st_size > 10_000


def test_cli_and_scheduler_script(tmp_path):
    inbox, work = tmp_path / "hop_thu", tmp_path / "truong"
    inbox.mkdir()
    for i in range(2):
        _school_file(work, inbox, i)
    (inbox / "ghi_chu.xlsx").write_bytes(b"not a workbook")
    set_time(inbox / "ghi_chu.xlsx", ON_TIME)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "TongHop.xlsx"
    r = subprocess.run([sys.executable, "-m", "cchc_xl.cli", "rollup", str(inbox), "--out", str(out), "-q"],
                       capture_output=True, env=env, timeout=300)
    assert r.returncode == EXIT_REJECTED, r.stderr.decode()
    text = r.stdout.decode()
    assert "6 tháng đầu năm 2024" in text and "ghi_chu.xlsx" in text and out.exists()
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "rollup.py"), str(inbox), "--out", str(out), "-q"],
                       capture_output=True, env=env, timeout=300)
    assert r.returncode == 0 and "Không có gì mới" in r.stdout.decode(), r.stderr.decode()
    # the command line stays fast: building the parser imports none of pandas, XlsxWriter, sqlite3
    probe = "import sys; from cchc_xl.cli import build_parser; build_parser(); " \
            "print(sorted(m for m in ('pandas', 'xlsxwriter', 'sqlite3') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, env=env, timeout=60)
    assert r.stdout.decode().strip() == "[]", r.stderr.decode()


def test_bad_units_list_and_period_are_one_sentence(tmp_path):
    bad = tmp_path / "don_vi.csv"
    bad.write_text("Mã định danh,Tên đơn vị\nA1,Trường A\n,Trường B\n", encoding="utf-8")
    with pytest.raises(CchcError, match="dòng 3: thiếu 'Mã định danh'"):
        read_units(bad)
    bad.write_text("Mã định danh,Tên đơn vị\nA1,Trường A\nA2,Trường B\nA1,Trường C\n", encoding="utf-8")
    with pytest.raises(CchcError, match="dòng 4: mã định danh 'A1' bị lặp \\(đã có ở dòng 2\\)"):
        read_units(bad)
    bad.write_text("Mã,Tên\nA1,Trường A\n", encoding="utf-8")
    with pytest.raises(CchcError, match="thiếu cột 'Mã định danh', 'Tên đơn vị'"):
        read_units(bad)
    bad.write_bytes(b"M\xe3 \xf0i\xd2nh danh,T\xean \xf0\xf5n vi\xf2\nA1,Tr\xfd\xf5\xf2ng A\n")  # Windows-1258
    with pytest.raises(CchcError, match="không phải văn bản UTF-8"):
        read_units(bad)
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    with pytest.raises(CchcError, match="Kỳ tổng hợp 'q4' không hợp lệ"):
        rollup(inbox, tmp_path / "o.xlsx", period="q4")
    with pytest.raises(CchcError, match="Không tìm thấy thư mục"):
        rollup(tmp_path / "khong_co", tmp_path / "o.xlsx")
    with pytest.raises(CchcError, match="phải có đuôi .xlsx"):
        rollup(inbox, tmp_path / "o.xlsm")


def test_a_second_run_while_one_is_busy_stops(tmp_path):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    out = tmp_path / "TongHop.xlsx"
    with writer_lock(out):  # another run holds the output's writer lock (an OS lock, see cchc_xl.io.writelock)
        s = rollup(inbox, out, lock_wait=0.2)
    assert s.exit_code == EXIT_BUSY and "đang chạy" in s.message and not out.exists()
    lock_path(out).write_text("1234 2024-06-25T07:00:00\n")  # what a killed run leaves: no longer held
    assert rollup(inbox, out, lock_wait=0.2).exit_code != EXIT_BUSY


# ------------------------------------------------------------------ every figure against an independent pandas


def _independent(inbox: Path) -> dict:
    """The roll-up of the inbox's 6-month files recomputed with pandas alone, from the schools' files as sent:
    each data sheet read with read_excel, the file made last per unit, counts summed, rates from the sums."""
    import pandas as pd

    from cchc_xl.exchange import spec

    files = []
    for path in sorted(inbox.glob("*.xlsx")):
        df = pd.read_excel(path, sheet_name=spec.SHEET_DATA, engine="calamine")
        values = dict(zip(df["Khóa"], df["Giá trị"]))
        if values["period.key"] != "h1":
            continue
        files.append((pd.Timestamp(values["made_at"]), path.stat().st_mtime, values))
    latest = {}
    for _made, _arrived, values in sorted(files, key=lambda f: (f[0], f[1])):
        latest[values["unit.code"]] = values
    units = {}
    for code, v in latest.items():
        counts = {k: int(x) for k, x in v.items() if k.split(".")[0] in ("tasks", "dossiers", "procedures")}
        units[code] = {"values": v, "counts": counts,
                       "rates": {k: spec.rate(k, counts) for k in spec.RATE_FORMULAS}}
    keys = sorted({k for u in units.values() for k in u["counts"]})
    city = {k: sum(u["counts"].get(k, 0) for u in units.values()) for k in keys}
    city_rates = {k: spec.rate(k, city) for k in spec.RATE_FORMULAS}
    return {"units": units, "city": city, "city_rates": city_rates}


def _same(got, expected) -> bool:
    if expected is None:
        return got in ("", None)
    return got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_every_figure_equals_an_independent_pandas_aggregation(sở):
    from cchc_xl.core import tasks as core_tasks
    from cchc_xl.exchange import spec
    from cchc_xl.rollup.aggregate import STATUS_CLASS

    ref = _independent(sở["inbox"])
    out = sở["out"]
    compared = 0

    def check(got, expected, what):
        nonlocal compared
        assert _same(got, expected), (what, got, expected)
        compared += 1

    task_cols = {"Số nhiệm vụ phải thực hiện": "tasks.active", "Không thực hiện (tính riêng)": "tasks.not_done",
                 "Mẫu số CT2 (đến hạn hoặc đã xong)": "tasks.ct2_due", "Tử số CT2 (xong đúng hạn)": "tasks.ct2_done",
                 **{schema.TASK_FLAG[f]: f"tasks.{f}" for f in core_tasks.TASK_FLAGS if f != "not_done"}}
    for row in _table(out, "tblNhiemVuDonVi"):
        u = ref["units"][row["Mã định danh"]]
        for header, key in task_cols.items():
            check(row[header], u["counts"].get(key, 0), (row["Mã định danh"], header))
        check(row["Tỷ lệ hoàn thành"], u["rates"]["rates.task_completion"], "task completion")
        check(row["Tỷ lệ đúng hạn (CT2)"], u["rates"]["rates.ct2"], "CT2")
    dossier_cols = {"Tổng số hồ sơ": "total", "Kỳ trước chuyển sang": "carried_over", "Mới tiếp nhận": "received_new",
                    "Trực tuyến": "online_new", "Trực tiếp": "direct_new", "Bưu chính": "post_new",
                    "Đã giải quyết": "resolved", "Trước hạn": "early", "Đúng hạn": "on_time", "Trễ hạn": "late",
                    "Đang giải quyết trong hạn": "pending_not_due", "Đang giải quyết quá hạn": "pending_overdue",
                    "Chờ bổ sung": "waiting", "Rút hồ sơ": "withdrawn", "Từ chối (không tính hạn)": "refused_untimed"}
    for row in _table(out, "tblHoSoDonVi"):
        u = ref["units"][row["Mã định danh"]]
        for header, key in dossier_cols.items():
            check(row[header], u["counts"][f"dossiers.{key}"], (row["Mã định danh"], header))
    for row in _table(out, "tblTyLeHoSoDonVi"):
        u = ref["units"][row["Mã định danh"]]
        for header, key in (("Tỷ lệ trước hạn và đúng hạn", "early_or_on_time"), ("Tỷ lệ trước hạn", "early"),
                            ("Tỷ lệ nộp trực tuyến", "online"), ("Tỷ lệ kết quả số hóa", "digitised")):
            check(row[header], u["rates"][f"rates.{key}"], (row["Mã định danh"], header))
        survey = u["values"]["settings.satisfaction_measure"] == "Khảo sát"
        check(row["Tỷ lệ hài lòng"], u["rates"]["rates.satisfaction_survey" if survey else "rates.satisfaction_qd766"],
              "satisfaction")
    city_rows = {r["Chỉ số"]: r["Kỳ này (60 đơn vị)"] for r in _table(out, "tblChiSoToanNganh")}
    labels = {"Số nhiệm vụ phải thực hiện": "tasks.active", "Hoàn thành đúng hạn": "tasks.done_on_time",
              "Hoàn thành trễ hạn": "tasks.done_late", "Nhiệm vụ quá hạn": "tasks.overdue",
              "Chưa hoàn thành (đến hạn cuối năm)": "tasks.unfinished", "Tổng số hồ sơ TTHC": "dossiers.total",
              "Hồ sơ mới tiếp nhận": "dossiers.received_new", "Hồ sơ nộp trực tuyến": "dossiers.online_new",
              "Hồ sơ đã giải quyết": "dossiers.resolved", "Giải quyết trước hạn": "dossiers.early",
              "Giải quyết đúng hạn": "dossiers.on_time", "Giải quyết trễ hạn": "dossiers.late",
              "Đang giải quyết quá hạn": "dossiers.pending_overdue",
              "Số nhiệm vụ, lần thực hiện đã đến hạn hoặc đã hoàn thành (mẫu số CT2)": "tasks.ct2_due",
              "Số nhiệm vụ, lần thực hiện hoàn thành đúng hạn (tử số CT2)": "tasks.ct2_done"}
    for label, key in labels.items():
        check(city_rows[label], ref["city"][key], label)
    check(city_rows["Chưa đến hạn (sắp đến hạn, trong hạn, chưa xác định hạn)"],
          sum(ref["city"][f"tasks.{k}"] for k in ("due_soon", "in_time", "no_deadline")), "not yet due")
    for label, key in (("Tỷ lệ nhiệm vụ hoàn thành", "task_completion"), ("Tỷ lệ giải quyết trước hạn và đúng hạn",
                       "early_or_on_time"), ("Tỷ lệ hồ sơ trực tuyến", "online"), ("Tỷ lệ kết quả số hóa", "digitised"),
                       ("Tỷ lệ hài lòng (QĐ 766)", "satisfaction_qd766"),
                       ("Tỷ lệ hài lòng (khảo sát)", "satisfaction_survey"),
                       ("Tỷ lệ nhiệm vụ hoàn thành đúng hạn (CT2)", "ct2")):
        check(city_rows[label], ref["city_rates"][f"rates.{key}"], label)
    flags = {r["Tình trạng"]: r["Số nhiệm vụ"] for r in _table(out, "tblTinhTrangNhiemVu")}
    for f in core_tasks.TASK_FLAGS:
        if f != "not_done":
            check(flags[schema.TASK_FLAG[f]], ref["city"][f"tasks.{f}"], f)
    # indicators: one class per unit and code, the city value and its assessment
    classes: dict[str, dict[str, int]] = {}
    for u in ref["units"].values():
        for k, v in u["values"].items():
            if k.startswith("indicator.") and k.endswith(".status"):
                code = k[len("indicator."):-len(".status")]
                cls = STATUS_CLASS[v]
                classes.setdefault(code, {}).setdefault(cls, 0)
                classes[code][cls] += 1
    measures = [u["values"]["settings.satisfaction_measure"] for u in ref["units"].values()]
    survey = max(set(measures), key=lambda m: (measures.count(m), m)) == "Khảo sát"
    from cchc_xl.core.indicators import compare

    for row in _table(out, "tblChiTieuToanNganh"):
        c = classes[row["Mã"]]
        for cls, label in (("met", "Đạt"), ("not_met", "Chưa đạt"), ("no_data", "Chưa có dữ liệu"),
                           ("followed", "Theo dõi"), ("not_computable", "Không tính được")):
            check(row[f"Số đơn vị: {label}"], c.get(cls, 0), (row["Mã"], label))
        met, not_met = c.get("met", 0), c.get("not_met", 0)
        check(row["Tỷ lệ đơn vị đạt"], met / (met + not_met) if met + not_met else None, row["Mã"])
        rate = spec.INDICATOR_RATES.get(row["Mã"].upper())
        if rate:
            key = ("rates.satisfaction_survey" if survey else "rates.satisfaction_qd766") if rate == "satisfaction" \
                else rate
            value = ref["city_rates"][key]
            check(row["Toàn ngành"], value, row["Mã"])
            verdict = compare(value, row["So sánh"], row["Ngưỡng"])
            assert row["Đánh giá toàn ngành"] == ("Chưa đạt" if verdict == "Không đạt" else verdict), row
            compared += 1
    for r in _table(out, "tblChiTieuDonVi"):
        v = ref["units"][r["Mã định danh"]]["values"]
        for code in classes:
            assert r[code] == v[f"indicator.{code}.status"], (r["Mã định danh"], code)
            compared += 1
        assert r["CT1: kết quả đơn vị tự ghi"] == v["indicator.CT1.actual"]
        compared += 1
    ranking = _table(out, "tblXepHang")
    for r in ranking:
        c = {cls: 0 for cls in ("met", "not_met")}
        for k, v in ref["units"][r["Mã định danh"]]["values"].items():
            if k.startswith("indicator.") and k.endswith(".status") and STATUS_CLASS[v] in c:
                c[STATUS_CLASS[v]] += 1
        check(r["Số chỉ tiêu đạt"], c["met"], "met")
        check(r["Số chỉ tiêu chưa đạt"], c["not_met"], "not met")
        share = c["met"] / (c["met"] + c["not_met"]) if c["met"] + c["not_met"] else None
        check(r["Tỷ lệ chỉ tiêu đạt"], share, "share")
        rates = ref["units"][r["Mã định danh"]]["rates"]
        check(r["Tỷ lệ hồ sơ trước hạn và đúng hạn"], rates["rates.early_or_on_time"], "rank: dossiers")
        check(r["Tỷ lệ nhiệm vụ hoàn thành"], rates["rates.task_completion"], "rank: tasks")
    # the ranking rule, applied independently: share met, then dossiers early or on time, then task completion
    rank_cols = ("Tỷ lệ chỉ tiêu đạt", "Tỷ lệ hồ sơ trước hạn và đúng hạn", "Tỷ lệ nhiệm vụ hoàn thành")
    key = [tuple(-1.0 if r[c] in ("", None) else r[c] for c in rank_cols) for r in ranking]
    assert key == sorted(key, reverse=True)
    for i, r in enumerate(ranking):
        first = next(j for j in range(len(key)) if key[j] == key[i])
        check(r["Hạng"], first + 1, "rank")
    overview = {r["Mã chỉ tiêu"]: r for r in _table(out, "tblDatChiTieu")}
    for code, c in classes.items():
        for cls, label in (("met", "Đạt"), ("not_met", "Chưa đạt"), ("no_data", "Chưa có dữ liệu"),
                           ("followed", "Theo dõi"), ("not_computable", "Không tính được")):
            check(overview[code][label], c.get(cls, 0), (code, label))
    assert compared > 3000, compared


def test_a_table_sheet_prints_titled_with_repeated_headers_and_page_numbers(sở, tmp_path):
    if not shutil.which("soffice") or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice and poppler-utils are needed to print a table sheet")
    from cchc_xl.distribute.outgoing import report_pdf

    pdf = report_pdf(sở["out"], tmp_path / "nhiem_vu.pdf", sheet="Nhiệm vụ")
    pages = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                           check=True).stdout.decode().split("\f")
    # (LibreOffice also prints the NĐ 30 page, whose print area is set: the table's pages carry its page header)
    heading = "Tiến độ thực hiện nhiệm vụ CCHC của các đơn vị — 6 tháng đầu năm 2024"
    pages = [p for p in pages if heading in " ".join(p.split())]
    assert len(pages) >= 2
    assert "Số nhiệm vụ phải thực hiện = Hoàn thành đúng hạn" in " ".join(pages[0].split())   # the note, page 1
    for n, page in enumerate(pages, start=1):
        flat = " ".join(page.split())
        assert f"Trang {n}" in flat, n
        words = set(flat.split())      # the table's header on every page (wrapped over lines in the PDF text)
        assert {"Mã", "định", "danh", "nhiệm", "hoàn", "thành", "Hạng", "tiến", "độ"} <= words, n
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", "20", str(pdf)], capture_output=True,
                           check=True).stdout.decode()
    landscape = [line for line in sizes.splitlines() if "size:" in line and "841.89 x 595.3" in line]
    assert len(landscape) >= len(pages)      # the table's pages are A4 landscape (841.89 x 595.3 pt)
