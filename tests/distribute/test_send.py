"""Sending upward: outgoing files, message, real SMTP on loopback (plain, STARTTLS+AUTH, SSL), failures."""

from __future__ import annotations

import datetime as dt
import subprocess
import zipfile
from email import message_from_bytes, policy

import pytest

from cchc_xl import schema
from cchc_xl.core.periods import get_period
from cchc_xl.distribute._log import read_log
from cchc_xl.distribute.send import build_outgoing, outgoing_name, send_file
from cchc_xl.errors import SendError
from cchc_xl.io.file_book import FileBook

from distfix import free_port, make_report
from smtp_server import PASSWORD, Server, make_cert

AS_OF = dt.date(2024, 6, 14)
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_cert(tmp_path_factory.mktemp("tls"))


def _sends(master):
    return [r for r in read_log(master) if r["Cột"] == "Gửi báo cáo"]


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True).stdout.decode()


def test_outgoing_is_the_exchange_file_and_pdf(tmp_path, master):
    from cchc_xl.engine import compute, load_data
    from cchc_xl.exchange.spec import SHEET_DATA

    result = compute(load_data(FileBook.open(master)), as_of=AS_OF, period="year")
    xlsx, pdf = build_outgoing(result, tmp_path / "out")
    assert xlsx.name == "BC_CCHC_Nam2024_THPT_Kien_Thuy.xlsx"
    with zipfile.ZipFile(xlsx) as zf:
        names = zf.namelist()
        assert not any("vbaProject" in n or n.startswith("customUI") for n in names)
        ct = zf.read("[Content_Types].xml").decode()
        assert "macroEnabled" not in ct and "spreadsheetml.sheet.main+xml" in ct
        assert any(n.startswith("xl/charts/") for n in names)  # the report's chart, as printed
    from python_calamine import CalamineWorkbook

    assert CalamineWorkbook.from_path(str(xlsx)).sheet_names == [
        schema.SHEET_REPORT, schema.TASKS.sheet, schema.INDICATORS.sheet, "Thống kê hồ sơ", SHEET_DATA]
    # LibreOffice opens it
    conv = tmp_path / "lo"
    r = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo_profile", "--headless",
                        "--convert-to", "csv", "--outdir", str(conv), str(xlsx)], capture_output=True, timeout=180)
    assert r.returncode == 0 and list(conv.glob("*.csv"))
    text = _pdf_text(pdf)
    assert "BÁO CÁO" in text and "KIẾN THỤY" in text.upper()
    assert "Mã hồ sơ" not in text  # other sheets not printed
    for q, token in (("q1", "Quy1"), ("h1", "6Thang"), ("q3", "Quy3")):
        assert outgoing_name(get_period(q, 2024), {"ten_truong_ngan": "Trường THPT Kiến Thụy"}) == \
            f"BC_CCHC_{token}2024_THPT_Kien_Thuy"


def test_dry_run_and_no_smtp_write_eml_draft(tmp_path, master):
    out = send_file(master, period="h1", dry_run=True, env=NO_KEYRING, as_of=AS_OF)
    assert not out.sent and out.eml.exists() and out.eml.parent == master.parent
    msg = message_from_bytes(out.eml.read_bytes(), policy=policy.default)
    assert msg["X-Unsent"] == "1"
    assert msg["Subject"] == ("V/v báo cáo kết quả thực hiện công tác CCHC 6 tháng đầu năm 2024 – "
                              "Trường THPT Kiến Thụy")
    assert _sends(master) == []
    make_report(master, "year", AS_OF)
    out2 = send_file(master, period="year", env=NO_KEYRING, as_of=AS_OF)  # no smtp_may_chu → draft
    assert not out2.sent and out2.eml.name == "BC_CCHC_Nam2024_THPT_Kien_Thuy.eml"


def _check_received(msg, period_phrase="năm 2024"):
    assert msg["Subject"] == f"V/v báo cáo kết quả thực hiện công tác CCHC {period_phrase} – Trường THPT Kiến Thụy"
    body = msg.get_body(("plain",)).get_content()
    assert "Tỷ lệ hồ sơ TTHC giải quyết trước hạn và đúng hạn" in body and "%" in body and "," in body
    assert "Số nhiệm vụ quá hạn" in body
    atts = list(msg.iter_attachments())
    assert len(atts) == 2
    by_type = {a.get_content_type(): a for a in atts}
    x = by_type["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    p = by_type["application/pdf"]
    assert x.get_filename().endswith(".xlsx") and p.get_filename().endswith(".pdf")
    return x.get_content(), p.get_content()


def test_send_starttls_auth_records_once(tmp_path, master, cert):
    make_report(master, "year", AS_OF)
    with Server("starttls", cert=cert, auth=True) as srv:
        out = send_file(master, period="year", env=srv.env(), as_of=AS_OF)
        assert out.sent and out.eml is None
        assert len(srv.messages) == 1
        mail_from, rcpts, msg = srv.messages[0]
        assert rcpts == ["phongcchc@haiphong.edu.vn"]
        xdata, pdata = _check_received(msg)
        folder = tmp_path / "rx"
        folder.mkdir()
        (folder / "a.xlsx").write_bytes(xdata)
        (folder / "a.pdf").write_bytes(pdata)
        assert "vbaProject" not in " ".join(zipfile.ZipFile(folder / "a.xlsx").namelist())
        assert "BÁO CÁO" in _pdf_text(folder / "a.pdf")
        sends = _sends(master)
        assert len(sends) == 1 and sends[0]["Giá trị mới"] == "Năm 2024"
        # same period again needs force
        with pytest.raises(SendError, match="đã được gửi"):
            send_file(master, period="year", env=srv.env(), as_of=AS_OF)
        send_file(master, period="year", env=srv.env(), as_of=AS_OF, force=True)
        assert len(srv.messages) == 2 and len(_sends(master)) == 2


def test_send_ssl_and_plain(master, cert):
    make_report(master, "q1", AS_OF)
    with Server("ssl", cert=cert, auth=True) as srv:
        assert send_file(master, period="q1", env=srv.env(), as_of=AS_OF).sent
        _check_received(srv.messages[0][2], "quý I năm 2024")
    make_report(master, "q3", AS_OF)
    with Server("plain") as srv:
        assert send_file(master, period="q3", env=srv.env(), as_of=AS_OF).sent
        _check_received(srv.messages[0][2], "quý III năm 2024")


@pytest.mark.parametrize("case", ["refused", "password", "recipient", "tls", "nopassword"])
def test_send_failures_record_nothing(master, cert, case):
    before = master.read_bytes()
    if case == "refused":
        env = {"CCHC_SMTP_HOST": "127.0.0.1", "CCHC_SMTP_PORT": str(free_port()), "CCHC_SMTP_SECURITY": "Không",
               "CCHC_SMTP_FROM": "a@b.vn", "CCHC_SMTP_TO": "c@d.vn", "CCHC_SMTP_TIMEOUT": "5"}
        with pytest.raises(SendError, match="Không kết nối được máy chủ thư"):
            send_file(master, env=env, as_of=AS_OF)
    else:
        mode = "starttls"
        with Server(mode, cert=cert, auth=True, reject=("sai@haiphong.edu.vn",)) as srv:
            env = srv.env(**NO_KEYRING)
            if case == "password":
                env["CCHC_SMTP_PASSWORD"] = PASSWORD + "x"
                match = "từ chối đăng nhập"
            elif case == "recipient":
                env["CCHC_SMTP_TO"] = "sai@haiphong.edu.vn"
                match = "từ chối địa chỉ người nhận"
            elif case == "tls":
                env.pop("CCHC_SMTP_CAFILE")  # self-signed certificate not trusted
                match = "mã hóa"
            else:
                env.pop("CCHC_SMTP_PASSWORD")
                match = "CCHC_SMTP_PASSWORD"
            with pytest.raises(SendError, match=match):
                send_file(master, env=env, as_of=AS_OF)
            assert srv.messages == []
    assert master.read_bytes() == before


