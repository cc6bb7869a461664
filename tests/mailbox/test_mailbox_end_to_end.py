"""End to end, as a Sở would run it: schools' ``cchc-xl send`` drafts and hostile messages delivered to a real
Dovecot → ``collect`` → ``rollup`` → ``reply`` received by a real SMTP server (aiosmtpd, STARTTLS + AUTH); then
the scheduler's entry point (``scripts/mailbox.py``) for the next messages, its exit codes and its lock."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.core import vnformat
from cchc_xl.exchange.spec import LABELS
from cchc_xl.mailbox.ledger import inbox_lock
from cchc_xl.mailbox.settings import KEYWORD_COLLECTED, KEYWORD_SKIPPED

from mailfix import SO, VN, XLSX, address, attachment_of, cli, code, letter, name, repack, school_mail
from rollfix import ROOT
from smtp_server import Server

N = 5
LATE = 4                                          # school 4's message reached the server after the deadline
DEADLINE = dt.date(2024, 6, 20)
TZ = "ICT-7"                                      # the Sở's computer is in Vietnam


def _on_time(i: int) -> dt.datetime:
    return dt.datetime(2024, 6, 17, 8, 0, tzinfo=VN) + dt.timedelta(minutes=7 * i)


def _lines(body: str) -> dict[str, str]:
    """``- label: value`` lines of a receipt."""
    return dict(m.groups() for m in re.finditer(r"^- (.+?): (.+?)\s*$", body, re.MULTILINE))


def _expected_figures(own: dict) -> dict[str, str]:
    """What a receipt must say, worked out from the school's own ``refresh --json`` (not from the roll-up)."""
    n, pct = vnformat.integer, (lambda x: "chưa có dữ liệu" if x is None else vnformat.percent(x))
    tasks, fig = own["tasks"], own["figures"]
    out = {"Tổng số nhiệm vụ": n(tasks["total"])}
    out.update({f"Nhiệm vụ {label.lower()}": n(tasks[flag])
                for flag, label in schema.TASK_FLAG.items() if flag in tasks})
    ct2 = fig["tasks"]["ct2"]
    out[LABELS["tasks.ct2_done"]] = n(ct2["numerator"])
    out[LABELS["tasks.ct2_due"]] = n(ct2["denominator"])
    out[LABELS["rates.ct2"]] = pct(ct2["rate"])
    d = fig["dossiers"]
    out["Tổng số hồ sơ phải giải quyết (kỳ trước chuyển sang + mới tiếp nhận)"] = n(d["total"])
    for key, label in (("resolved", "Hồ sơ đã giải quyết"), ("early", "Hồ sơ giải quyết trước hạn"),
                       ("on_time", "Hồ sơ giải quyết đúng hạn"), ("late", "Hồ sơ giải quyết trễ hạn"),
                       ("pending", "Hồ sơ đang giải quyết"), ("pending_overdue", "Hồ sơ đang giải quyết quá hạn"),
                       ("waiting", "Hồ sơ chờ bổ sung")):
        out[label] = n(d[key])
    rates = own["rates"]
    out["Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn"] = pct(rates["early_or_on_time"])
    out["Tỷ lệ kết quả giải quyết được số hóa"] = pct(rates["digitised"])
    for ind in own["indicators"]:
        actual = ind["actual"]
        shown = actual if isinstance(actual, str) else pct(actual)
        out[f"Chỉ tiêu {ind['code']}"] = f"{shown} ({ind['status']})"
    return out


def _received(server) -> dict[str, list]:
    """Receipts by recipient."""
    out: dict[str, list] = {}
    for _, rcpts, msg in server.messages:
        for r in rcpts:
            out.setdefault(r, []).append(msg)
    return out


@pytest.fixture(scope="module")
def so(tmp_path_factory, dovecot, cert):
    """The Sở's mailbox after the first wave of messages: N schools (school 4 late), hostile messages."""
    base = tmp_path_factory.mktemp("so")
    work, inbox = base / "truong", base / "hop_thu"
    inbox.mkdir()
    account = dovecot.next_account()
    own, emls = {}, {}
    for i in range(1, N + 1):
        own[i], emls[i] = school_mail(work, i)
        when = dt.datetime(2024, 6, 22, 10, 0, tzinfo=VN) if i == LATE else _on_time(i)
        dovecot.deliver(account, emls[i].read_bytes(), when)
    dovecot.deliver(account, emls[2].read_bytes(), _on_time(2) + dt.timedelta(hours=3))    # sent twice
    sample = attachment_of(emls[1])[1]
    extra_own, extra_eml = school_mail(work, 9, sender="truong9@example.vn")
    hostile = {
        "no attachment": letter("Xin hỏi về hạn nộp báo cáo"),
        "two reports": letter("Hai tệp", [("a.xlsx", sample, XLSX), ("b.xlsx", attachment_of(emls[3])[1], XLSX)]),
        "forwarded": letter("Fwd: báo cáo", [message_from_bytes(emls[5].read_bytes(), policy=policy.default)]),
        "zip attached": letter("Nén", [("bao_cao.zip", repack(sample, {}), "application/zip")]),
        "huge": letter("Tệp lớn", [("lon.xlsx", os.urandom(3 * 1024 * 1024), XLSX)]),
        "path name": letter("Đường dẫn", [("../../../../tmp/cchc_evil.xlsx", attachment_of(extra_eml)[1], XLSX)],
                            sender="truong9@example.vn"),
        "zip bomb": letter("Bom", [("bom_nen.xlsx", repack(sample, {"xl/media/bomb.bin": b"\0" * (60 << 20)}), XLSX)],
                           sender="bom@example.vn"),
        "macro": letter("Macro", [("co_macro.xlsm", repack(sample, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" * 200}),
                                   "application/vnd.ms-excel.sheet.macroEnabled.12")], sender="macro@example.vn"),
    }
    for k, msg in enumerate(hostile.values()):
        dovecot.deliver(account, msg.as_bytes(), _on_time(0) + dt.timedelta(minutes=k))
    units = base / "don_vi.csv"
    units.write_text("Mã định danh;Tên đơn vị\n" + "".join(f"{code(i)};{name(i)}\n" for i in range(1, N + 1))
                     + f"{code(9)};{name(9)}\n000.26.0999.H26;Trường THPT Chưa Gửi\n", encoding="utf-8")
    smtp = Server("starttls", cert, auth=True)
    smtp.__enter__()
    env = {**dovecot.env(account), **smtp.env(CCHC_SMTP_FROM=SO), "TZ": TZ}
    yield {"base": base, "work": work, "inbox": inbox, "account": account, "own": own, "emls": emls, "env": env,
           "smtp": smtp, "units": units, "out": base / "TongHop_CCHC_6Thang2024.xlsx", "extra_own": extra_own}
    smtp.__exit__(None, None, None)


def _rollup(so) -> subprocess.CompletedProcess:
    return cli("rollup", str(so["inbox"]), "--out", str(so["out"]), "--period", "h1/2024", "--units",
               str(so["units"]), "-q", env=so["env"])


def test_collect_rollup_reply_by_hand(so, dovecot):
    inbox, env = so["inbox"], so["env"]
    r = cli("collect", str(inbox), "--max-size", "2", "-q", env=env)
    assert r.returncode == 1, r.stderr.decode()                      # messages skipped: data problems
    text = r.stdout.decode()
    assert "Đã nhận 8 tệp báo cáo; trùng tệp đã nhận: 1; bỏ qua: 5" in text, text
    for why in ("không có tệp báo cáo (.xlsx) đính kèm", "có 2 tệp bảng tính đính kèm", "thư chuyển tiếp đính kèm",
                "thư quá lớn"):
        assert why in text, why
    assert not Path("/tmp/cchc_evil.xlsx").exists() and not (so["base"] / "cchc_evil.xlsx").exists()
    assert (inbox / "cchc_evil.xlsx").is_file()                       # contained: saved in the inbox, by its name
    flags = dovecot.messages(so["account"])
    assert sum(KEYWORD_SKIPPED in f for f in flags.values()) == 5                 # the mailbox keeps them
    assert sum(KEYWORD_COLLECTED in f for f in flags.values()) == len(flags) - 5
    # a mail gateway or an unzip rewrites every file's time (here: after the deadline)
    rewritten = dt.datetime(2024, 6, 25, 12, 0).timestamp()
    for p in inbox.glob("*.xls*"):
        os.utime(p, (rewritten, rewritten))
    r = _rollup(so)
    assert r.returncode in (1, 2), r.stderr.decode()                  # done, with rejected files
    from python_calamine import CalamineWorkbook

    table = CalamineWorkbook.from_path(str(so["out"]), load_tables=True).get_table_by_name("tblChuaBaoCaoNopMuon")
    status = {row[table.columns.index("Mã định danh")]: row for row in table.to_python()}
    late = {c for c, row in status.items() if row[table.columns.index("Tình trạng")] == "Nộp muộn"}
    assert late == {code(LATE)}                                       # judged by the server's time, not the file's
    arrived = status[code(LATE)][table.columns.index("Thời điểm nhận")]
    assert arrived == dt.datetime(2024, 6, 22, 10, 0)                # the server's time, on the Sở's clock (TZ)
    rejected = {p.name for p in (inbox / "rejected").glob("*.txt")}
    assert rejected == {"bom_nen.xlsx.txt", "co_macro.xlsm.txt"}
    # the answers
    r = cli("reply", str(inbox), "--out", str(so["out"]), "-q", env=env)
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    got = _received(so["smtp"])
    assert sorted(got) == sorted([address(i) for i in range(1, N + 1)] + ["truong9@example.vn", "bom@example.vn",
                                                                         "macro@example.vn"])
    assert all(len(v) == 1 for v in got.values())                     # once, though school 2 sent twice
    for i in range(1, N + 1):
        msg = got[address(i)][0]
        assert msg["Subject"] == f"Sở đã tiếp nhận báo cáo CCHC 6 tháng đầu năm 2024 – {name(i)}"
        assert msg["From"] == SO and msg["Auto-Submitted"] == "auto-replied"
        assert msg["In-Reply-To"] == message_from_bytes(so["emls"][i].read_bytes(), policy=policy.default)["Message-ID"]
        body = msg.get_content()
        figures = _lines(body)
        assert {k: figures.get(k) for k in _expected_figures(so["own"][i])} == _expected_figures(so["own"][i]), i
        assert f"- Mã định danh: {code(i)}" in body
        when = dt.datetime(2024, 6, 22, 10, 0) if i == LATE else _on_time(i).replace(tzinfo=None)
        assert f"- Thời điểm nhận: {when:%d/%m/%Y %H:%M}" in body
    assert _lines(got["truong9@example.vn"][0].get_content())["Tổng số nhiệm vụ"] == \
        vnformat.integer(so["extra_own"]["tasks"]["total"])
    for sender, reason in (("bom@example.vn", "nén bất thường"), ("macro@example.vn", "tệp có macro")):
        msg = got[sender][0]
        body = msg.get_content()
        assert "bị từ chối" in msg["Subject"] and reason in body and "Việc cần làm:" in body, body
    # again: nothing is answered twice
    before = len(so["smtp"].messages)
    r = cli("reply", str(inbox), "--out", str(so["out"]), "-q", env=env)
    assert r.returncode == 0 and len(so["smtp"].messages) == before and "đã gửi 0" in r.stdout.decode()


def _scheduled(so, *extra, env=None) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            **(env or so["env"])}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "mailbox.py"), str(so["inbox"]), "--out",
                           str(so["out"]), "--period", "h1/2024", "--units", str(so["units"]), "-q", *extra],
                          capture_output=True, env=full, timeout=600)


def test_the_scheduled_entry_point(so, dovecot):
    # the next messages: school 1 corrects its report twice (the first correction is superseded by the second)
    first, second = (school_mail(so["work"], 1, seed=s)[1] for s in (1, 2))
    dovecot.deliver(so["account"], first.read_bytes(), dt.datetime(2024, 6, 19, 8, 0, tzinfo=VN))
    dovecot.deliver(so["account"], second.read_bytes(), dt.datetime(2024, 6, 19, 9, 0, tzinfo=VN))
    before = len(so["smtp"].messages)
    r = _scheduled(so)
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    out = r.stdout.decode()
    assert "Đã nhận 2 tệp báo cáo" in out and "Thư trả lời: đã gửi 2" in out, out
    new = [m for _, _, m in so["smtp"].messages[before:]]
    assert sorted(m["Subject"] for m in new) == sorted([
        f"Sở đã tiếp nhận báo cáo CCHC 6 tháng đầu năm 2024 – {name(1)}",
        f"Báo cáo CCHC 6 tháng đầu năm 2024 – {name(1)}: Sở dùng bản lập sau"])
    superseded = next(m for m in new if "bản lập sau" in m["Subject"]).get_content()
    stem = attachment_of(second)[0].removesuffix(".xlsx")        # saved beside the first one: NAME (2), NAME (3)
    assert f"đã nhận tệp {stem} (2).xlsx" in superseded and f"(tệp {stem} (3).xlsx, lập lúc" in superseded
    assert "không cần làm gì thêm" in superseded
    # nothing new: nothing written, nothing sent, exit 0
    sent = len(so["smtp"].messages)
    r = _scheduled(so)
    assert r.returncode == 0 and len(so["smtp"].messages) == sent, r.stderr.decode()
    assert "Không có gì mới" in r.stdout.decode()
    # the mailbox out of reach: the roll-up and the replies still run, the exit code says 2
    r = _scheduled(so, env={**so["env"], "CCHC_IMAP_PORT": str(dovecot.imap_port)})
    assert r.returncode == 2 and "Lỗi: " in r.stderr.decode() and "Không có gì mới" in r.stdout.decode()
    # another run holds the inbox: 4, nothing changed
    held, release = threading.Event(), threading.Event()

    def holder():
        with inbox_lock(so["inbox"]):
            held.set()
            release.wait(30)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    try:
        r = _scheduled(so, "--wait", "0.3")
        assert r.returncode == 4 and "đang chạy" in r.stderr.decode()
    finally:
        release.set()
        t.join()
    # a wrong option is a user error (2), in one Vietnamese sentence
    r = _scheduled(so, "--mark", "xoa")
    assert r.returncode == 2 and "Lỗi: tham số --mark" in r.stderr.decode()
