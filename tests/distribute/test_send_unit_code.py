"""Issue #17 §5 and §3: the exchange file needs the unit code; settings that go into a header are one line.

The bundled workbook ships ``ma_dinh_danh`` empty, and every Sở's roll-up rejects an exchange file without it
("thiếu khóa 'unit.code'"). ``send`` (not ``--dry-run``) refuses, in one sentence naming the setting, before
anything is written or sent; ``--dry-run`` still makes the draft and warns. A line break typed in
``ten_truong_ngan`` (Alt+Enter in the cell) used to make ``send --dry-run`` exit 3 (``ValueError`` on the
Subject); the setting is now one line wherever it goes.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.distribute.send import send_file
from cchc_xl.errors import SendError
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package

from distfix import BUNDLED, make_report, with_unit_code
from smtp_server import Server

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 6, 14)
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_SMTP_")}
    full.update(PYTHONPATH=str(ROOT), **NO_KEYRING, **(env or {}))
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *args], capture_output=True, text=True,
                          timeout=300, env=full)


@pytest.fixture()
def bundled(tmp_path) -> Path:
    d = tmp_path / "so"
    d.mkdir()
    return Path(shutil.copyfile(BUNDLED, d / "CCHC_2024.xlsm"))


def _set(path: Path, key: str, value: object) -> None:
    td = FileBook.open(path).read_table(schema.SETTINGS.sheet, schema.SETTINGS.table)
    row = td.first_row + [r[0] for r in td.row_values()].index(key)
    pkg = Package.open(path)
    pkg.set_cells(schema.SETTINGS.sheet, {(row, td.headers.index("Giá trị") + 1): value})
    pkg.save(path, backup=False)


def test_send_without_a_unit_code_is_refused_in_one_sentence_and_writes_nothing(bundled, tmp_path):
    out = tmp_path / "gui"
    r = cli("send", str(bundled), "-q", "--out-dir", str(out))
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("Lỗi: "), r.stderr
    assert "'ma_dinh_danh'" in lines[0] and "đang để trống" in lines[0] and "--dry-run" in lines[0]
    assert not out.exists() and r.stdout == ""


def test_a_dry_run_without_a_unit_code_still_drafts_and_warns(bundled, tmp_path):
    out = tmp_path / "nhap"
    r = cli("send", str(bundled), "--dry-run", "-q", "--out-dir", str(out))
    assert r.returncode == 0, r.stderr
    assert "ma_dinh_danh" in r.stdout and "Sở sẽ không tổng hợp được" in r.stdout
    assert sorted(p.suffix for p in out.iterdir()) == [".eml", ".pdf", ".xlsx"]


def test_an_invalid_unit_code_is_refused_naming_it(bundled):
    _set(bundled, "ma_dinh_danh", "mã số 1")
    with pytest.raises(SendError, match="ma_dinh_danh.*'mã số 1' không hợp lệ"):
        send_file(bundled, env=NO_KEYRING, make_pdf=lambda x, p: p)


def test_nothing_reaches_the_mail_server_without_a_unit_code(master):
    with_unit_code(master, "")
    make_report(master, "year", AS_OF)
    with Server("plain") as srv:
        with pytest.raises(SendError, match="ma_dinh_danh"):
            send_file(master, period="year", env=srv.env(), as_of=AS_OF)
        assert srv.messages == []
        with_unit_code(master)
        assert send_file(master, period="year", env=srv.env(), as_of=AS_OF).sent
        assert len(srv.messages) == 1


def test_a_line_break_in_the_schools_short_name_is_one_line_in_the_subject_and_file_names(bundled, tmp_path):
    _set(bundled, "ten_truong_ngan", "Trường THPT\nKiến Thụy\r\n")
    _set(bundled, "ma_dinh_danh", "000.00.21.H25\n")
    r = cli("refresh", str(bundled), "--as-of", "2024-06-14")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "gui"
    r = cli("send", str(bundled), "--dry-run", "-q", "--out-dir", str(out))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    (eml,) = out.glob("*.eml")
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "V/v báo cáo kết quả thực hiện công tác CCHC 6 tháng đầu năm 2024 – Trường THPT Kiến Thụy"
    assert eml.name == "BC_CCHC_6Thang2024_THPT_Kien_Thuy.eml"
    from cchc_xl.exchange.reader import read_exchange

    (xlsx,) = out.glob("*.xlsx")
    sub = read_exchange(xlsx.read_bytes())
    assert (sub.unit_code, sub.unit_name) == ("000.00.21.H25", "Trường THPT Kiến Thụy")
