"""One message read without trust (no server): which attachment is the report, its safe name, whom to answer, or
why the message is skipped — each hostile construction of issue #19 by itself."""

from __future__ import annotations

import base64
import time

import pytest

from cchc_xl.mailbox.letter import read_letter, safe_name
from cchc_xl.mailbox.settings import Limits

from mailfix import XLSX, letter

REPORT = b"PK\x03\x04 not really a workbook, the roll-up judges the content"


def _raw(msg) -> bytes:
    return msg.as_bytes()


def test_the_one_spreadsheet_is_the_report_and_pdfs_are_kept():
    msg = letter("Báo cáo", [("BC_CCHC_6Thang2024_A.xlsx", REPORT, XLSX),
                            ("BC_CCHC_6Thang2024_A.pdf", b"%PDF-1.7", "application/pdf"),
                            ("ghi_chu.docx", b"doc", "application/octet-stream")],
                 sender="Văn thư <vanthu@thpt-a.edu.vn>")
    got = read_letter(_raw(msg))
    assert got.problem is None and got.report.name == "BC_CCHC_6Thang2024_A.xlsx" and got.report.data == REPORT
    assert [a.name for a in got.extras] == ["BC_CCHC_6Thang2024_A.pdf"]
    assert got.sender == "vanthu@thpt-a.edu.vn" and got.message_id.startswith("<") and got.subject == "Báo cáo"
    # the same bytes attached twice are one report
    twice = letter("x", [("a.xlsx", REPORT, XLSX), ("a (copy).xlsx", REPORT, XLSX)])
    assert read_letter(_raw(twice)).report.data == REPORT


def test_reply_to_wins_and_bad_addresses_leave_no_one_to_answer():
    msg = letter("x", [("a.xlsx", REPORT, XLSX)], sender="a@thpt-a.edu.vn", reply_to="Văn thư <vt@thpt-a.edu.vn>")
    assert read_letter(_raw(msg)).sender == "vt@thpt-a.edu.vn"
    for sender in ("khong-phai-dia-chi", "a@localhost", "Trường <truong@[127.0.0.1]>", "tên@trường.vn"):
        raw = _raw(letter("x", [("a.xlsx", REPORT, XLSX)])).replace(b"From: truong.la@example.vn",
                                                                    b"From: " + sender.encode())
        got = read_letter(raw)
        assert got.sender == "" and got.report is not None, sender
        assert any(note.startswith("không trả lời được") for note in got.notes), sender
    # a header injection is not possible after parsing: a folded From is one address or none
    raw = _raw(letter("x", [("a.xlsx", REPORT, XLSX)])).replace(
        b"From: truong.la@example.vn", b"From: a@b.vn,\r\n c@d.vn\r\nBcc: victim@example.vn")
    assert read_letter(raw).sender == "a@b.vn"


@pytest.mark.parametrize("attachments, why", [
    ([], "không có tệp báo cáo (.xlsx)"),
    ([("bao_cao.zip", b"PK\x03\x04zip", "application/zip")], "không có tệp báo cáo (.xlsx)"),
    ([("a.xlsx", REPORT, XLSX), ("b.xlsx", REPORT + b"!", XLSX)], "có 2 tệp bảng tính đính kèm ('a.xlsx', 'b.xlsx')"),
    ([("a.xlsx", REPORT, XLSX), ("cu.xls", b"\xd0\xcf\x11\xe0", "application/vnd.ms-excel")], "có 2 tệp bảng tính"),
])
def test_messages_without_exactly_one_report_are_skipped(attachments, why):
    got = read_letter(_raw(letter("x", attachments)))
    assert got.report is None and why in got.problem


def test_a_forwarded_message_is_not_opened():
    inner = letter("Báo cáo gốc", [("BC.xlsx", REPORT, XLSX)])
    got = read_letter(_raw(letter("Fwd: Báo cáo gốc", [inner])))
    assert got.report is None and "thư chuyển tiếp đính kèm" in got.problem
    # beside a direct report, the forwarded one is ignored (and said so)
    got = read_letter(_raw(letter("x", [("BC.xlsx", REPORT, XLSX), inner])))
    assert got.report.name == "BC.xlsx" and "bỏ qua thư chuyển tiếp đính kèm trong thư" in got.notes


def _nested(depth: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nx\r\n"
    for i in range(depth):
        b = f"b{i}".encode()
        body = b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b + b"\r\n" + body + b"\r\n--" + \
            b + b"--\r\n"
    return b"From: a@b.vn\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" + body


def test_malformed_huge_or_deep_mime_is_skipped_never_a_crash():
    cases = {
        "deep": (_nested(400), "lồng quá sâu"),
        "deeper than the parser": (_nested(3000), "không đọc được cấu trúc MIME"),
        "many parts": (b"From: a@b.vn\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
                       + b"".join(b"--XX\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(1000))
                       + b"--XX--\r\n", "quá nhiều phần (hơn 100)"),
        "garbage": (b"\x00\xff\xfe garbage\r\n\r\n\x00", "không có tệp báo cáo"),
        "empty": (b"", "không có tệp báo cáo"),
        "no closing boundary": (b"From: a@b.vn\r\nContent-Type: multipart/mixed; boundary=ZZ\r\n\r\n--ZZ\r\n"
                                b"Content-Type: " + XLSX.encode() + b"; name=a.xlsx\r\n"
                                b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(REPORT)[:-3]
                                + b"!!\r\n", "mã hóa base64 sai"),
    }
    for label, (raw, why) in cases.items():
        started = time.monotonic()
        got = read_letter(raw)
        assert got.report is None and why in got.problem, (label, got.problem)
        assert time.monotonic() - started < 10, label
    # an attachment larger than the roll-up reads is skipped before it is kept
    big = read_letter(_raw(letter("x", [("a.xlsx", b"\0" * 3_000_000, XLSX)])), Limits(max_attachment_bytes=1_000_000))
    assert big.report is None and "tệp quá lớn" in big.problem
    # an undecodable file name parameter does not stop the message
    raw = _raw(letter("x", [("a.xlsx", REPORT, XLSX)])).replace(b'filename="a.xlsx"',
                                                                 b"filename*=utf-8''%FF%FE%ZZ.xlsx")
    got = read_letter(raw)
    assert got.report is not None and got.report.name.endswith(".xlsx") and "/" not in got.report.name


@pytest.mark.parametrize("raw, expected", [
    ("../../../../tmp/cchc_evil.xlsx", "cchc_evil.xlsx"),
    ("/etc/cron.d/cchc.xlsx", "cchc.xlsx"),
    ("C:\\Windows\\System32\\drivers\\etc\\hosts.xlsx", "hosts.xlsx"),
    ("..", "bao_cao.xlsx"),
    ("", "bao_cao.xlsx"),
    (".xlsx", "_xlsx.xlsx"),
    ("~$BC.xlsx", "_$BC.xlsx"),
    ("BC\x00\r\n.xlsx", "BC___.xlsx"),
    ("a<b>c:d\"e|f?g*.xlsx", "a_b_c_d_e_f_g_.xlsx"),
    ("NUL.xlsx", "_NUL.xlsx"),
    ("bao_cao.log", "bao_cao.log.xlsx"),
    ("BC.xlsx.", "BC.xlsx"),
    ("Báo cáo.xlsm", "Báo cáo.xlsm"),
])
def test_attachment_names_are_never_paths(raw, expected):
    name, _ = safe_name(raw, report=True)
    assert name == expected
    assert "/" not in name and "\\" not in name and not name.startswith((".", "~"))


def test_an_over_long_name_is_shortened_by_bytes():
    raw = "Báo cáo kết quả thực hiện công tác cải cách hành chính " * 8 + ".xlsx"
    name, changed = safe_name(raw, report=True)
    assert changed and len(name.encode()) <= 255 and name.endswith(".xlsx") and "~" in name
    got = read_letter(_raw(letter("x", [(raw, REPORT, XLSX)])))
    assert got.report.name == name and any("không dùng được nguyên văn" in n for n in got.notes)
