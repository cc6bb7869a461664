"""UDFs: plain Python, through xlwings' server-side custom-function path, and never used by the workbook."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.excel import udfs

COMMITTED_WORKBOOK = Path(__file__).resolve().parents[2] / "workbook" / "CCHC_2024.xlsm"

REPO = Path(__file__).resolve().parents[2]


def test_hantra_matches_the_calendar():
    cal = WorkCalendar()
    assert udfs.CCHC_HANTRA(dt.datetime(2024, 2, 7, 9), 3) == cal.add_working_days(dt.date(2024, 2, 7), 3)
    assert udfs.CCHC_HANTRA(dt.datetime(2024, 2, 7, 9), 3) == dt.date(2024, 2, 19)  # across Tết
    # 0 days + 15:00 rule: after 15:00 → next working day
    assert udfs.CCHC_HANTRA(dt.datetime(2024, 3, 1, 15, 30), 0, True) == dt.date(2024, 3, 4)
    assert udfs.CCHC_HANTRA(dt.datetime(2024, 3, 1, 15, 30), 0, "Không") == dt.date(2024, 3, 1)
    assert udfs.CCHC_HANTRA(45352.0, 1) == dt.date(2024, 3, 4)  # an Excel serial (01/03/2024)
    assert udfs.CCHC_HANTRA("01/03/2024", 1) == dt.date(2024, 3, 4)


def test_songaylv_and_overrides():
    assert udfs.CCHC_SONGAYLV(dt.date(2023, 12, 14), dt.date(2024, 3, 14)) == 59
    assert udfs.CCHC_SONGAYLV(dt.date(2024, 3, 14), dt.date(2024, 3, 1)) == 0
    table = [[dt.datetime(2024, 3, 4), "Nghỉ"], [dt.datetime(2024, 3, 9), "Làm bù"], [None, None]]
    assert udfs.CCHC_SONGAYLV(dt.date(2024, 3, 1), dt.date(2024, 3, 10), table) == \
        WorkCalendar({dt.date(2024, 3, 4): False, dt.date(2024, 3, 9): True}).working_days_between(
            dt.date(2024, 3, 1), dt.date(2024, 3, 10))


def test_phanloai_labels():
    recv = dt.datetime(2024, 3, 1, 8)
    assert udfs.CCHC_PHANLOAI(recv, 3, None, dt.date(2024, 3, 5), "Đã trả kết quả", dt.date(2024, 3, 14)) == "Trước hạn"
    assert udfs.CCHC_PHANLOAI(recv, 3, None, dt.date(2024, 3, 6), "Đã trả kết quả", dt.date(2024, 3, 14)) == "Đúng hạn"
    assert udfs.CCHC_PHANLOAI(recv, 3, None, None, "Đang xử lý", dt.date(2024, 3, 14)) == "Đang xử lý quá hạn"
    assert udfs.CCHC_PHANLOAI(recv, 3, dt.date(2024, 3, 20), None, "Đang xử lý", dt.date(2024, 3, 14)) == \
        "Đang xử lý trong hạn"
    assert udfs.CCHC_PHANLOAI(recv, 3, None, None, "Rút hồ sơ", dt.date(2024, 3, 14)) == "Rút hồ sơ"
    assert udfs.CCHC_PHANLOAI(recv, 3, None, None, "Đang xử lý", dt.date(2024, 2, 1)) == "Ngoài kỳ báo cáo"


def test_bad_input_gives_a_vietnamese_message_not_a_traceback():
    assert udfs.CCHC_HANTRA("hôm qua", 3).startswith("Lỗi: ngày tiếp nhận")
    assert udfs.CCHC_HANTRA(dt.date(2024, 3, 1), -1) == "Lỗi: số ngày làm việc phải là số nguyên không âm"
    assert udfs.CCHC_PHANLOAI(dt.date(2024, 3, 1), 1, None, None, "Xong", dt.date(2024, 3, 2)).startswith("Lỗi:")


def test_docstrings_are_vietnamese_and_fit_excel():
    for f in (udfs.CCHC_HANTRA, udfs.CCHC_SONGAYLV, udfs.CCHC_PHANLOAI):
        assert f.__doc__ and len(f.__doc__) <= 255 and any(ord(ch) > 127 for ch in f.__doc__)


_SERVER_SCRIPT = r"""
import asyncio, json, sys
import xlwings as xw
from xlwings.pro import udfs_officejs as o
import cchc_xl.excel.udfs as m
meta = o.custom_functions_meta(m)
def call(name, *args):
    data = {"func_name": name, "args": [[[a]] for a in args], "version": xw.__version__, "client": "Office.js",
            "caller_address": "Sheet1!A1", "formula_name": name.upper(), "culture_info_name": "vi-VN",
            "date_format": "dd/mm/yyyy", "runtime": "1.4"}
    return asyncio.run(o.custom_functions_call(data, m))
out = {
    "meta": meta,
    "hantra": call("CCHC_HANTRA", 45329, 3),
    "songaylv": call("CCHC_SONGAYLV", 45274, 45365),
    "phanloai": call("CCHC_PHANLOAI", 45352.3333, 3, None, 45356, "Đã trả kết quả", 45365),
}
json.dump(out, sys.stdout, default=str, ensure_ascii=False)
"""


def test_udfs_through_xlwings_server_custom_functions():
    """With XLWINGS_ON_SERVER=true, @xw.func is xlwings' Office.js custom-function decorator: the metadata
    carries the Vietnamese descriptions and a call with Excel serial dates returns the core's answer."""
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.run([sys.executable, "-c", _SERVER_SCRIPT], capture_output=True, env=env, cwd=REPO,
                          timeout=120)
    if proc.returncode != 0 and b"ModuleNotFoundError" in proc.stderr:
        pytest.skip("xlwings server extras not installed: " + proc.stderr.decode()[-200:])
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    out = json.loads(proc.stdout.decode("utf-8"))
    funcs = {f["name"]: f for f in out["meta"]["functions"]}
    assert set(funcs) == {"CCHC_HANTRA", "CCHC_SONGAYLV", "CCHC_PHANLOAI"}
    assert funcs["CCHC_HANTRA"]["description"].startswith("Hạn trả kết quả")
    assert [p["name"] for p in funcs["CCHC_HANTRA"]["parameters"]][:2] == ["ngay_tiep_nhan", "so_ngay"]
    serial = (dt.date(2024, 2, 19) - dt.date(1899, 12, 30)).days  # 07/02/2024 + 3 working days across Tết
    assert out["hantra"][0][0]["basicValue"] == serial and out["hantra"][0][0]["type"] == "FormattedNumber"
    assert "59" in json.dumps(out["songaylv"])
    assert "Trước hạn" in json.dumps(out["phanloai"], ensure_ascii=False)


def _formulas(path: Path) -> list[str]:
    out = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                text = z.read(name).decode("utf-8")
                out += [f for f in __import__("re").findall(r"<f[^>]*>([^<]*)</f>", text)]
    return out


def test_built_workbook_does_not_use_the_udfs(excel_workbook):
    assert not [f for f in _formulas(excel_workbook) if "CCHC_" in f.upper()]


@pytest.mark.skipif(not COMMITTED_WORKBOOK.exists(), reason="workbook/CCHC_2024.xlsm not built yet")
def test_committed_workbook_does_not_use_the_udfs():
    assert not [f for f in _formulas(COMMITTED_WORKBOOK) if "CCHC_" in f.upper()]
