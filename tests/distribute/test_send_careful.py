"""Sending carefully (issue 9 §5–§6): who prints the PDF and the refusal before anything is written, addresses
checked with email.headerregistry, warnings naming the setting to fill, attachment names mail programs read —
against the real loopback SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import inspect
import os
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.core.periods import get_period
from cchc_xl.distribute import outgoing
from cchc_xl.distribute.send import compose_message, send_file
from cchc_xl.errors import CchcError, SendError
from cchc_xl.io.ooxml import Package

from smtp_server import Server

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 6, 14)
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


def set_setting(path: Path, key: str, value: str) -> None:
    """Write ``value`` into the 'Giá trị' cell of setting ``key`` in 'Cấu hình' (surgical writer)."""
    pkg = Package.open(path)
    cells = pkg.read_sheet(schema.SETTINGS.sheet).cells
    header = next((r, c) for (r, c), cell in cells.items() if cell.value == "Khóa")
    value_col = next(c for (r, c), cell in cells.items() if r == header[0] and cell.value == "Giá trị")
    row = next(r for (r, c), cell in cells.items() if c == header[1] and cell.value == key)
    pkg.set_cells(schema.SETTINGS.sheet, {(row, value_col): value})
    pkg.save(path, backup=False)


def cli(*args, env_extra=None, path_env=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8", **NO_KEYRING)
    for k in [k for k in env if k.startswith("CCHC_SMTP_")]:
        del env[k]
    env.update(env_extra or {})
    if path_env is not None:
        env["PATH"] = path_env
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=ROOT, timeout=300)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


# --- §5 who prints the PDF -----------------------------------------------------------------------------------

def test_pdf_maker_choice():
    """Excel when the caller runs inside Excel; else LibreOffice (installed here)."""
    assert outgoing.pdf_maker() is outgoing.libreoffice_pdf
    assert outgoing.pdf_maker(object()) is not outgoing.libreoffice_pdf  # an Excel app given → Excel prints


def test_no_converter_is_refused_before_anything_is_written(master, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("CCHC_SOFFICE", raising=False)
    assert outgoing.find_soffice() is None
    with pytest.raises(CchcError) as info:
        outgoing.pdf_maker()
    assert str(info.value) == outgoing.NO_PDF_CONVERTER
    before = files_in(master.parent)
    with pytest.raises(CchcError, match="không có LibreOffice"):
        send_file(master, dry_run=True, env=NO_KEYRING, as_of=AS_OF, outdir=tmp_path / "out")
    assert files_in(master.parent) == before and not (tmp_path / "out").exists()


def test_cli_send_without_libreoffice_one_sentence_exit_2_no_stray_file(master, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    before = files_in(master.parent)
    r = cli("send", str(master), "--dry-run", "-q", "--as-of", "2024-06-14", path_env=str(empty))
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [f"Lỗi: {outgoing.NO_PDF_CONVERTER}"]
    assert files_in(master.parent) == before  # no .xlsx, no .eml


def test_excel_pdf_uses_xlwings_api_as_declared():
    """The Excel path cannot run here (no Excel); check that its calls fit xlwings' own signatures."""
    import xlwings as xw

    inspect.signature(xw.main.Books.open).bind(None, "BC.xlsx", update_links=False, read_only=True)
    inspect.signature(xw.Sheet.to_pdf).bind(None, "BC.pdf", show=False)
    assert "Báo cáo" == schema.SHEET_REPORT


# --- §6 addresses -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("to,expected", [
    ("not an address", "'not an address' ở --to không phải một địa chỉ thư điện tử hợp lệ"),
    ("phongcchc@haiphong.edu.vn\nBcc: ke.gian@example.com", "có ký tự xuống dòng"),
    ("a@", "'a@' ở --to không phải"),
    ("phongcchc@haiphong.edu.vn, nguyễn@hp.edu.vn", "'nguyễn@hp.edu.vn' ở --to không phải"),
])
def test_cli_bad_to_is_one_sentence_exit_2_before_writing(master, to, expected):
    before = files_in(master.parent)
    r = cli("send", str(master), "--to", to, "--dry-run", "-q", "--as-of", "2024-06-14")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: ") and expected in lines[0], r.stderr
    assert files_in(master.parent) == before


def test_bad_recipient_setting_names_the_setting(master):
    set_setting(master, "email_nguoi_nhan", "Sở GD&ĐT Hải Phòng")
    with pytest.raises(SendError, match="ô 'email_nguoi_nhan' của trang Cấu hình"):
        send_file(master, dry_run=True, env=NO_KEYRING, as_of=AS_OF)
    set_setting(master, "email_nguoi_nhan", "phongcchc@haiphong.edu.vn")
    set_setting(master, "email_nguoi_gui", "a@hp.edu.vn, b@hp.edu.vn")
    with pytest.raises(SendError, match="Chỉ được một địa chỉ người gửi"):
        send_file(master, dry_run=True, env=NO_KEYRING, as_of=AS_OF)


def test_bad_address_in_environment_names_the_variable_and_sends_nothing(master):
    with Server("plain") as srv:
        env = srv.env(CCHC_SMTP_TO="phongcchc@haiphong.edu.vn\r\nBcc: ke.gian@example.com", **NO_KEYRING)
        with pytest.raises(SendError, match="CCHC_SMTP_TO có ký tự xuống dòng"):
            send_file(master, env=env, as_of=AS_OF)
        assert srv.messages == []


def test_draft_without_addresses_warns_naming_the_settings(master, tmp_path):
    r = cli("send", str(master), "--dry-run", "-q", "--as-of", "2024-06-14", "--out-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("Chú ý: ")]
    assert len(warnings) == 2
    assert "'email_nguoi_nhan'" in warnings[0] and "'email_nguoi_gui'" in warnings[1]
    eml = next(tmp_path.glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["To"] is None and msg["From"] is None and msg["X-Unsent"] == "1"


def test_draft_with_addresses_has_no_warning(master, tmp_path):
    set_setting(master, "email_nguoi_nhan", "Phòng CCHC <phongcchc@haiphong.edu.vn>; vanthu@haiphong.edu.vn")
    set_setting(master, "email_nguoi_gui", "thptkienthuy@haiphong.edu.vn")
    out = send_file(master, dry_run=True, env=NO_KEYRING, as_of=AS_OF, outdir=tmp_path)
    assert out.warnings == []
    msg = email.message_from_bytes(out.eml.read_bytes(), policy=policy.default)
    assert [a.addr_spec for a in msg["To"].addresses] == ["phongcchc@haiphong.edu.vn", "vanthu@haiphong.edu.vn"]
    assert msg["From"].addresses[0].addr_spec == "thptkienthuy@haiphong.edu.vn"


def test_to_override_with_two_addresses_over_smtp(master):
    with Server("plain") as srv:
        out = send_file(master, env=srv.env(**NO_KEYRING), as_of=AS_OF,
                          to="phongcchc@haiphong.edu.vn; vanthu@haiphong.edu.vn")
        assert out.sent and out.warnings == []
        _from, rcpts, msg = srv.messages[0]
        assert rcpts == ["phongcchc@haiphong.edu.vn", "vanthu@haiphong.edu.vn"]


# --- §6 attachment names -------------------------------------------------------------------------------------

VIETNAMESE_NAME = "Báo cáo CCHC năm 2024 – Trường THPT Kiến Thụy (bản gửi Sở).pdf"


def _attachment(tmp_path: Path) -> Path:
    p = tmp_path / VIETNAMESE_NAME
    p.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    return p


def test_vietnamese_attachment_name_is_one_rfc2231_parameter(tmp_path):
    settings = {"ten_truong_ngan": "Trường THPT Kiến Thụy"}
    msg = compose_message({}, settings, get_period("year", 2024), [_attachment(tmp_path)],
                          sender="a@hp.edu.vn", to=["b@hp.edu.vn"])
    raw = bytes(msg)
    raw.decode("ascii")  # 7-bit clean: any gateway carries it
    headers = raw.decode("ascii")
    assert "filename*=utf-8''B%C3%A1o%20c%C3%A1o" in headers and "filename*0" not in headers
    assert "name*=utf-8''B%C3%A1o" in headers  # also on Content-Type
    for parse_policy in (policy.default, policy.compat32):  # a modern and a legacy reader
        parsed = email.message_from_bytes(raw, policy=parse_policy)
        names = [part.get_filename() for part in parsed.walk() if part.get_filename()]
        assert names == [VIETNAMESE_NAME]


def test_vietnamese_attachment_name_survives_smtp(tmp_path):
    from cchc_xl.distribute.send import SmtpConfig, _smtp_send

    settings = {"ten_truong_ngan": "Trường THPT Kiến Thụy"}
    with Server("plain") as srv:
        msg = compose_message({}, settings, get_period("year", 2024), [_attachment(tmp_path)],
                              sender="a@hp.edu.vn", to=["b@hp.edu.vn"])
        _smtp_send(msg, SmtpConfig(host="127.0.0.1", port=srv.port, security="Không", sender="a@hp.edu.vn",
                                   to=["b@hp.edu.vn"], timeout=10), {})
        received = srv.messages[0][2]
        assert [a.get_filename() for a in received.iter_attachments()] == [VIETNAMESE_NAME]
        assert received.get_body(("plain",)).get_content().startswith("Kính gửi")


def test_outgoing_names_are_ascii():
    """The files the Sở receives carry names every file system and mail gateway keeps as they are."""
    from cchc_xl.distribute.send import outgoing_name

    for key in ("q1", "h1", "q3", "year"):
        assert outgoing_name(get_period(key, 2024), {"ten_truong_ngan": "Trường THPT Kiến Thụy"}).isascii()
