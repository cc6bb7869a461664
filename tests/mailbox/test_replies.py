"""The receipts (no IMAP here: the ledger is written through its own API, the roll-up is the real one, the SMTP
server a real aiosmtpd): each verdict read from the roll-up's database, each file answered once, failures retried
on the next run, drafts, files without an address, and the roll-up's arrival time taken from the ledger."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil

import pytest

from cchc_xl.distribute.send import build_outgoing
from cchc_xl.engine import refresh_file
from cchc_xl.errors import CchcError
from cchc_xl.mailbox.ledger import Ledger
from cchc_xl.mailbox.replies import ReplyPlan, reply_to_schools
from cchc_xl.mailbox.verdicts import VerdictKind, read_verdicts
from cchc_xl.rollup.run import rollup

from mailfix import AS_OF, SO, VN, address, code, name
from rollfix import make_school
from smtp_server import Server

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


def _exchange(work, i: int, seed: int = 0):
    wb = make_school(work / f"t{i}-{seed}" / "CCHC.xlsm", i, code=code(i), name=name(i), seed=seed)
    xlsx, _ = build_outgoing(refresh_file(wb, as_of=AS_OF, period="h1", backup=False), wb.parent, pdf=False)
    return xlsx.read_bytes()


def _arrive(inbox, ledger: Ledger, uid: int, file_name: str, data: bytes, when: dt.datetime, sender: str):
    """What collect does for one message, without a server: the file into the inbox, then the ledger."""
    path = inbox / file_name
    path.write_bytes(data)
    os.utime(path, (when.timestamp(), when.timestamp()))
    ledger.record_message(folder="INBOX", uidvalidity=1, uid=uid, outcome="collected", reason=None,
                          size=len(data), internal_date=when, message_id=f"<m{uid}@truong.vn>",
                          now=dt.datetime(2024, 6, 25, 7, 0, tzinfo=VN),
                          saved={"sha256": hashlib.sha256(data).hexdigest(), "file_name": file_name,
                                 "size": len(data), "sender": sender, "sender_text": sender, "subject": "Báo cáo"})


@pytest.fixture()
def judged(tmp_path):
    """An inbox with four collected files and the roll-up run over it: school 1 accepted, school 2's first file
    superseded by its second, a corrupt file rejected, school 3 without an address to answer."""
    work, inbox = tmp_path / "truong", tmp_path / "hop_thu"
    inbox.mkdir()
    t0 = dt.datetime(2024, 6, 17, 8, 0, tzinfo=VN)
    with Ledger(inbox) as ledger:
        _arrive(inbox, ledger, 1, "a1.xlsx", _exchange(work, 1), t0, address(1))
        _arrive(inbox, ledger, 2, "b1.xlsx", _exchange(work, 2), t0, address(2))
        _arrive(inbox, ledger, 3, "b2.xlsx", _exchange(work, 2, seed=1), t0 + dt.timedelta(hours=1), address(2))
        _arrive(inbox, ledger, 4, "hong.xlsx", b"PK\x03\x04 hong", t0, "loi@truong.vn")
        _arrive(inbox, ledger, 5, "c1.xlsx", _exchange(work, 3), t0, "")
    out = tmp_path / "TongHop.xlsx"
    summary = rollup(inbox, out, period="h1/2024", settle_seconds=0, now=dt.datetime(2024, 6, 25, 7, 30))
    assert (summary.accepted, summary.rejected) == (4, 1)
    return inbox, out


def test_verdicts_read_from_the_rollup_database(judged):
    inbox, out = judged
    shas = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.glob("*.xlsx")}
    shas["hong.xlsx"] = hashlib.sha256(b"PK\x03\x04 hong").hexdigest()
    got = read_verdicts(out.with_suffix(".sqlite"), [*shas.values(), "f" * 64])
    assert "f" * 64 not in got                                              # not examined: no verdict yet
    a1, b1, b2, bad = (got[shas[n]] for n in ("a1.xlsx", "b1.xlsx", "b2.xlsx", "hong.xlsx"))
    assert (a1.kind, a1.unit_code, a1.unit_name, a1.as_of) == (VerdictKind.ACCEPTED, code(1), name(1), AS_OF)
    assert a1.values["period.label"] == "6 tháng đầu năm 2024" and a1.values["tasks.total"] == 31
    assert (b1.kind, b1.newer_file, b2.kind) == (VerdictKind.SUPERSEDED, "b2.xlsx", VerdictKind.ACCEPTED)
    assert bad.kind is VerdictKind.REJECTED and "bị hỏng" in bad.reason, bad.reason
    with pytest.raises(CchcError, match="hãy chạy lệnh rollup trước"):
        read_verdicts(inbox / "khong_co.sqlite", [])


def test_the_rollup_takes_the_servers_arrival_time_from_the_ledger(judged):
    import sqlite3

    inbox, out = judged
    con = sqlite3.connect(out.with_suffix(".sqlite"))
    arrived = dict(con.execute("SELECT file_name, arrived_at FROM files").fetchall())
    con.close()
    local = dt.datetime(2024, 6, 17, 8, 0, tzinfo=VN).astimezone().replace(tzinfo=None)
    assert arrived["a1.xlsx"] == local.isoformat()
    assert arrived["b2.xlsx"] == (local + dt.timedelta(hours=1)).isoformat()
    # a file dropped into the inbox by hand, or a collected file replaced by other bytes: the file's own time
    by_hand = inbox / "tay.xlsx"
    shutil.copyfile(inbox / "a1.xlsx", by_hand)
    with open(by_hand, "ab") as fh:
        fh.write(b"\0")
    os.utime(by_hand, (dt.datetime(2024, 6, 18, 15, 0).timestamp(),) * 2)
    rollup(inbox, out, period="h1/2024", settle_seconds=0)
    con = sqlite3.connect(out.with_suffix(".sqlite"))
    assert con.execute("SELECT arrived_at FROM files WHERE file_name = 'tay.xlsx'").fetchone()[0] == \
        "2024-06-18T15:00:00"
    con.close()


def test_each_file_is_answered_once_and_a_failure_waits_for_the_next_run(judged):
    inbox, out = judged
    plan = ReplyPlan(inbox, out.with_suffix(".sqlite"), lock_wait=0.5)
    with Server("plain", reject=(address(2),)) as smtp:
        env = {**smtp.env(CCHC_SMTP_FROM=SO), **NO_KEYRING}
        s = reply_to_schools(plan, env=env)
        assert s.exit_code == 2 and [n for n, _ in s.failed] == ["b1.xlsx", "b2.xlsx"]
        assert "từ chối" in s.failed[0][1]
        assert sorted((n, a, k) for n, a, k in s.sent) == [("a1.xlsx", address(1), VerdictKind.ACCEPTED),
                                                           ("hong.xlsx", "loi@truong.vn", VerdictKind.REJECTED)]
        assert s.unanswerable == [("c1.xlsx", "thư của đơn vị không có địa chỉ trả lời hợp lệ")]
        assert "GỬI LỖI: b1.xlsx" in s.text() and "KHÔNG TRẢ LỜI ĐƯỢC: c1.xlsx" in s.text()
    with Server("plain") as smtp:
        env = {**smtp.env(CCHC_SMTP_FROM=SO), **NO_KEYRING}
        s = reply_to_schools(plan, env=env)
        assert s.exit_code == 0 and sorted(n for n, _, _ in s.sent) == ["b1.xlsx", "b2.xlsx"]
        kinds = {m["Subject"].split(" – ")[0] for _, _, m in smtp.messages}
        assert kinds == {"Báo cáo CCHC 6 tháng đầu năm 2024", "Sở đã tiếp nhận báo cáo CCHC 6 tháng đầu năm 2024"}
        again = reply_to_schools(plan, env=env)
        assert (again.sent, again.failed, again.unanswerable, again.exit_code) == ([], [], [], 0)
        assert len(smtp.messages) == 2


def test_an_unreachable_server_stops_after_three_failures(judged, tmp_path):
    inbox, out = judged
    from distfix import free_port

    env = {"CCHC_SMTP_HOST": "127.0.0.1", "CCHC_SMTP_PORT": str(free_port()), "CCHC_SMTP_SECURITY": "Không",
           "CCHC_SMTP_FROM": SO, "CCHC_SMTP_TIMEOUT": "5", **NO_KEYRING}
    s = reply_to_schools(ReplyPlan(inbox, out.with_suffix(".sqlite")), env=env)
    assert (len(s.failed), s.left, s.sent, s.exit_code) == (3, 1, [], 2)
    assert "Không kết nối được máy chủ thư" in s.failed[0][1]
    with Ledger(inbox) as ledger:            # only the file nobody can be told about is settled
        assert ledger.replies() == {hashlib.sha256((inbox / "c1.xlsx").read_bytes()).hexdigest(): ("accepted", "")}


def test_drafts_record_nothing(judged):
    inbox, out = judged
    s = reply_to_schools(ReplyPlan(inbox, out.with_suffix(".sqlite"), dry_run=True),
                         env={"CCHC_SMTP_FROM": SO, **NO_KEYRING})
    assert len(s.drafts) == 4 and s.exit_code == 1
    draft = (inbox / "thu_tra_loi" / "TraLoi_a1.eml").read_bytes()
    assert b"X-Unsent: 1" in draft and b"To: " + address(1).encode() in draft
    # no server configured: drafts too, with a warning
    s = reply_to_schools(ReplyPlan(inbox, out.with_suffix(".sqlite")), env={"CCHC_SMTP_FROM": SO, **NO_KEYRING})
    assert len(s.drafts) == 4 and "CCHC_SMTP_HOST" in s.warnings[0]
    with Ledger(inbox) as ledger:
        assert ledger.replies() == {} and len(ledger.unanswered()) == 5
    with pytest.raises(CchcError, match="CCHC_SMTP_FROM"):
        reply_to_schools(ReplyPlan(inbox, out.with_suffix(".sqlite")), env={"CCHC_SMTP_HOST": "127.0.0.1"})
