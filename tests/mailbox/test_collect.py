"""``cchc-xl collect`` against a real Dovecot: the schools' own messages collected once, with the server's arrival
time, marked only after the file is on disk; connection, TLS, login and lock failures as one sentence."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from cchc_xl.errors import CchcError, WorkbookBusyError
from cchc_xl.mailbox.collect import CollectPlan, collect_mailbox
from cchc_xl.io.inbox import server_arrival
from cchc_xl.mailbox.ledger import LEDGER_NAME, Ledger, inbox_lock
from cchc_xl.mailbox.settings import KEYWORD_COLLECTED, KEYWORD_SKIPPED, Limits, imap_password, imap_settings

from mailfix import VN, XLSX, attachment_of, cli, letter, school_mail_fast

ON_TIME = dt.datetime(2024, 6, 17, 9, 30, tzinfo=VN)


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    """Three schools' ``send --dry-run`` drafts (own refresh JSON, .eml)."""
    work = tmp_path_factory.mktemp("truong")
    return {i: school_mail_fast(work, i) for i in (1, 2, 3)}


def _plan(dovecot, account, inbox, security="SSL", limits=None, **kw):
    env = dovecot.env(account, security)
    settings = imap_settings(env=env, **kw)
    return CollectPlan(inbox, settings, limits or Limits(), lock_wait=0.5), imap_password(settings, env)


def _collect(dovecot, account, inbox, **kw):
    plan, password = _plan(dovecot, account, inbox, **kw)
    return collect_mailbox(plan, password)


def test_each_report_is_collected_once_with_the_servers_arrival_time(dovecot, account, tmp_path, schools):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    for k, (_, (_, eml)) in enumerate(sorted(schools.items())):
        dovecot.deliver(account, eml.read_bytes(), ON_TIME + dt.timedelta(hours=k))
    s = _collect(dovecot, account, inbox)
    assert (s.pending, len(s.collected), s.skipped, s.exit_code) == (3, 3, [], 0), s.text()
    saved = sorted(p.name for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))
    assert saved == sorted(attachment_of(eml)[0] for _, eml in schools.values())
    for k, (_, (_, eml)) in enumerate(sorted(schools.items())):
        name, data = attachment_of(eml)
        path = inbox / name
        assert path.read_bytes() == data                                  # the exact bytes the school sent
        arrived = ON_TIME + dt.timedelta(hours=k)
        local = arrived.astimezone().replace(tzinfo=None)
        assert server_arrival(path, hashlib.sha256(data).hexdigest()) == local
        assert path.stat().st_mtime == arrived.timestamp()                 # the file's time says it too
        pdf = inbox / "kem_theo" / (path.stem + ".pdf")
        assert pdf.read_bytes() == attachment_of(eml, ".pdf")[1]           # the PDF beside it, for people
    # marked on the server, still there (flag mode), read/unread as it was
    flags = dovecot.messages(account)
    assert len(flags) == 3 and all(KEYWORD_COLLECTED in f and "\\Seen" not in f for f in flags.values())
    # a second run finds nothing new and writes nothing
    before = {p.name: p.stat().st_mtime_ns for p in inbox.iterdir() if not p.name.startswith(".")}
    again = _collect(dovecot, account, inbox)
    assert (again.pending, again.collected, again.exit_code) == (0, [], 0)
    assert {p.name: p.stat().st_mtime_ns for p in inbox.iterdir() if p.name in before} == before


def test_the_same_file_twice_and_a_message_collected_twice_give_one_file(dovecot, account, tmp_path, schools):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    _, eml = schools[1]
    dovecot.deliver(account, eml.read_bytes(), ON_TIME)
    dovecot.deliver(account, eml.read_bytes(), ON_TIME + dt.timedelta(hours=2))    # sent twice
    s = _collect(dovecot, account, inbox)
    assert (len(s.collected), s.duplicates) == (1, 1)
    # a run stopped after writing the ledger, before marking the message: the mark is lost on the server
    c = dovecot.client(account)
    c.select_folder("INBOX")
    c.remove_flags(c.search(["ALL"]), [KEYWORD_COLLECTED])
    c.logout()
    again = _collect(dovecot, account, inbox)
    assert (again.pending, again.collected, again.duplicates) == (2, [], 0)        # only marked again
    assert all(KEYWORD_COLLECTED in f for f in dovecot.messages(account).values())
    # a run stopped after writing the file, before the ledger: the file is recognised by its bytes
    (inbox / LEDGER_NAME).unlink()
    c = dovecot.client(account)
    c.select_folder("INBOX")
    c.remove_flags(c.search(["ALL"]), [KEYWORD_COLLECTED])
    c.logout()
    third = _collect(dovecot, account, inbox)
    assert (len(third.collected), third.duplicates) == (1, 1)
    reports = [p for p in inbox.iterdir() if p.suffix == ".xlsx"]
    assert len(reports) == 1 and reports[0].read_bytes() == attachment_of(eml)[1]
    assert not list(inbox.glob(".tmp-*"))


def test_move_mode_moves_collected_messages_to_a_folder(dovecot, account, tmp_path, schools):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    dovecot.deliver(account, schools[2][1].read_bytes(), ON_TIME)
    dovecot.deliver(account, letter("Chỉ hỏi thăm").as_bytes(), ON_TIME)
    s = _collect(dovecot, account, inbox, mark="move")
    assert (len(s.collected), len(s.skipped), s.exit_code) == (1, 1, 1)
    moved = dovecot.messages(account, "Đã nhận báo cáo")
    left = dovecot.messages(account)
    assert len(moved) == 1 and KEYWORD_COLLECTED in next(iter(moved.values()))
    assert len(left) == 1 and KEYWORD_SKIPPED in next(iter(left.values()))       # the mailbox keeps it


def test_limits_per_run(dovecot, account, tmp_path, schools):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    for k in (1, 2, 3):
        dovecot.deliver(account, schools[k][1].read_bytes(), ON_TIME + dt.timedelta(minutes=k))
    s = _collect(dovecot, account, inbox, limits=Limits(max_messages=2))
    assert (len(s.collected), s.left) == (2, 1) and "để lại lần sau: 1" in s.text()
    # a message larger than the limit is skipped without being downloaded
    s = _collect(dovecot, account, inbox, limits=Limits(max_message_bytes=20_000))
    assert (len(s.collected), len(s.skipped)) == (0, 1) and "thư quá lớn" in s.skipped[0][1]
    assert len([p for p in inbox.iterdir() if p.suffix == ".xlsx"]) == 2


def test_starttls_and_both_kinds_of_password_and_the_keyring(dovecot, tmp_path, schools, monkeypatch):
    account, ascii_account = dovecot.next_account(), dovecot.next_account()
    assert not account.password.isascii() and ascii_account.password.isascii()
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    dovecot.deliver(account, schools[3][1].read_bytes(), ON_TIME)
    s = _collect(dovecot, account, inbox, security="STARTTLS")
    assert len(s.collected) == 1
    assert _collect(dovecot, ascii_account, inbox, security="STARTTLS").exit_code == 0
    dovecot.deliver(account, schools[2][1].read_bytes(), ON_TIME)
    plain = _collect(dovecot, account, inbox, security="Không")          # no encryption: only when asked by name
    assert len(plain.collected) == 1 and "143" not in plain.where
    # the password from the OS keyring when the environment has none (service cchc-xl, the account)
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            return {("cchc-xl", account.user): account.password}.get((service, username))

        def set_password(self, service, username, password):
            raise NotImplementedError

        def delete_password(self, service, username):
            raise NotImplementedError

    monkeypatch.setattr(keyring, "get_keyring", lambda: Memory())
    monkeypatch.setattr(keyring, "get_password", lambda service, user: Memory().get_password(service, user))
    env = {k: v for k, v in dovecot.env(account).items() if k != "CCHC_IMAP_PASSWORD"}
    assert imap_password(imap_settings(env=env), env) == account.password
    monkeypatch.setattr(keyring, "get_password", lambda service, user: None)
    with pytest.raises(CchcError, match="CCHC_IMAP_PASSWORD hoặc lưu mật khẩu vào kho khóa"):
        imap_password(imap_settings(env=env), env)


def test_failures_are_one_sentence_and_change_nothing(dovecot, account, tmp_path):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    plan, _ = _plan(dovecot, account, inbox)
    with pytest.raises(CchcError, match="từ chối đăng nhập của tài khoản"):
        collect_mailbox(plan, "sai-mật-khẩu")
    untrusted = plan.settings.__class__(**{**plan.settings.__dict__, "cafile": None})
    with pytest.raises(CchcError, match="Chứng chỉ TLS .* không được tin cậy .*CCHC_IMAP_CAFILE"):
        collect_mailbox(CollectPlan(inbox, untrusted), account.password)
    closed = plan.settings.__class__(**{**plan.settings.__dict__, "port": dovecot.imaps_port + 0})
    wrong_tls = plan.settings.__class__(**{**plan.settings.__dict__, "port": dovecot.imap_port})
    with pytest.raises(CchcError, match="kết nối mã hóa \\(TLS\\)|không trả lời|Không kết nối được"):
        collect_mailbox(CollectPlan(inbox, wrong_tls), account.password)
    missing = plan.settings.__class__(**{**closed.__dict__, "folder": "Không có"})
    with pytest.raises(CchcError, match="không có thư mục 'Không có'"):
        collect_mailbox(CollectPlan(inbox, missing), account.password)
    with pytest.raises(CchcError, match="Không tìm thấy thư mục hộp thư đến"):
        collect_mailbox(CollectPlan(tmp_path / "khong_co", plan.settings), account.password)
    with pytest.raises(CchcError, match="Chưa có máy chủ thư IMAP"):
        imap_settings(env={})
    with pytest.raises(CchcError, match="Chế độ bảo mật IMAP 'tls1' không hợp lệ"):
        imap_settings(host="h", user="u", security="tls1", env={})
    assert [p.name for p in inbox.iterdir() if not p.name.startswith(".")] == []


def test_hostile_names_and_contents_stay_in_the_inbox(dovecot, account, tmp_path, schools):
    base = tmp_path / "so"
    inbox = base / "hop_thu"
    inbox.mkdir(parents=True)
    data = attachment_of(schools[1][1])[1]
    names = ["../../../so/ngoai.xlsx", "/etc/cron.d/cchc.xlsx", "C:\\Windows\\System32\\x.xlsx", ".an.xlsx",
             "~$mo.xlsx", "CON.xlsx", "BC\x01\x7f.xlsx", "Báo cáo kết quả công tác cải cách hành chính " * 10 + ".xlsx"]
    for k, raw in enumerate(names):                       # different bytes each: the roll-up will judge them
        dovecot.deliver(account, letter(f"Tên {k}", [(raw, data + bytes([k]) * 8, XLSX)]).as_bytes(), ON_TIME)
    s = _collect(dovecot, account, inbox)
    assert (len(s.collected), s.skipped) == (len(names), []), s.text()
    outside = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if not p.is_relative_to(inbox))
    assert outside == ["so"]                              # nothing was written beside or above the inbox
    assert not (inbox / names[0]).resolve().exists()
    saved = sorted(p.name for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))
    assert len(saved) == len(names) and all(n.endswith(".xlsx") and len(n.encode()) <= 255 for n in saved)
    assert {"ngoai.xlsx", "cchc.xlsx", "x.xlsx", "_an.xlsx", "_$mo.xlsx", "_CON.xlsx", "BC__.xlsx"} <= set(saved)
    assert not Path("/etc/cron.d/cchc.xlsx").exists()
    assert sum("không dùng được nguyên văn" in note for note in s.notes) == len(names)


def test_a_full_disk_stops_the_run_before_the_message_is_marked(dovecot, account, tmp_path, schools, monkeypatch):
    import errno

    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    dovecot.deliver(account, schools[1][1].read_bytes(), ON_TIME)
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    s = _collect(dovecot, account, inbox)
    assert s.exit_code == 2 and "ổ đĩa đã đầy" in s.failure and s.collected == []
    assert [p.name for p in inbox.iterdir() if not p.name.startswith(".cchc")] == []      # no half file
    assert all(KEYWORD_COLLECTED not in f for f in dovecot.messages(account).values())     # not marked
    monkeypatch.setattr(os, "fsync", real_fsync)
    again = _collect(dovecot, account, inbox)
    assert (len(again.collected), again.exit_code) == (1, 0)


def test_a_second_run_waits_then_stops_with_4(dovecot, account, tmp_path):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    plan, password = _plan(dovecot, account, inbox)
    held, release = threading.Event(), threading.Event()

    def holder():
        with inbox_lock(inbox):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    try:
        with pytest.raises(WorkbookBusyError, match="đang chạy với hộp thư đến"):
            collect_mailbox(plan, password)
        r = cli("collect", str(inbox), "--wait", "0.3", env=dovecot.env(account))
        assert r.returncode == 4, r.stderr.decode()
        assert "Lỗi: Một lần nhận thư hoặc trả lời khác đang chạy" in r.stderr.decode()
    finally:
        release.set()
        t.join()


def test_the_command_line(dovecot, account, tmp_path, schools):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    dovecot.deliver(account, schools[1][1].read_bytes(), ON_TIME)
    r = cli("collect", str(inbox), "-q", env={**dovecot.env(account), "TZ": "ICT-7"})   # a computer in Vietnam
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode()
    assert "Đã nhận 1 tệp báo cáo" in out and "NHẬN: BC_CCHC_6Thang2024_THPT_Thu_Nghiem_so_1.xlsx" in out
    assert "17/06/2024 09:30" in out
    r = cli("collect", str(inbox), "-q", env={**dovecot.env(account), "CCHC_IMAP_PASSWORD": "sai"})
    assert r.returncode == 2 and r.stderr.decode().startswith("Lỗi: Máy chủ thư IMAP") and b"Traceback" not in r.stderr
    r = cli("collect", str(inbox), env={k: v for k, v in dovecot.env(account).items() if k != "CCHC_IMAP_PASSWORD"})
    assert r.returncode == 2 and "Chưa có mật khẩu hộp thư IMAP" in r.stderr.decode()
    # the password is never an option
    r = cli("collect", str(inbox), "--password", "x", env=dovecot.env(account))
    assert r.returncode == 2 and "không hiểu các tham số: --password" in r.stderr.decode()
    with sqlite3.connect(inbox / LEDGER_NAME) as con:
        assert con.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 1
    assert os.environ.get("CCHC_IMAP_PASSWORD") is None
    with Ledger(inbox) as ledger:
        assert [f.sender for f in ledger.unanswered()] == ["vanthu.truong1@haiphong.edu.vn"]


def test_a_ledger_or_draft_planted_as_a_link_is_never_written_through(tmp_path):
    """Another user plants links where the mailbox writes: its ledger in the inbox (SQLite would follow it) and a
    file it saves (replaced, never written through)."""
    import datetime as dt

    from cchc_xl.errors import LinkRefusedError
    from cchc_xl.mailbox.collect import save_durably
    from cchc_xl.mailbox.ledger import LEDGER_NAME, Ledger

    victim = tmp_path / "victim.docx"
    victim.write_bytes(b"do not touch")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / LEDGER_NAME).symlink_to(victim)
    with pytest.raises(LinkRefusedError):
        Ledger(inbox)
    assert victim.read_bytes() == b"do not touch"

    (inbox / "bao_cao.xlsx").symlink_to(victim)
    saved = save_durably(inbox, "bao_cao.xlsx", b"the report", dt.datetime(2024, 6, 20, 9, 30))
    assert victim.read_bytes() == b"do not touch"
    assert not saved.is_symlink() and saved.read_bytes() == b"the report"
    assert dt.datetime.fromtimestamp(saved.stat().st_mtime) == dt.datetime(2024, 6, 20, 9, 30)
