"""Issue 9 §1, done when: the scheduler's entry point (scripts/consolidate.py), run with a fixed clock on dates
across 2024–2025 and no --as-of (as docs/SCHEDULING.md schedules it), makes the right period every time, and
`send` then sends the report that is in the workbook.

The clock is fixed through CCHC_XL_TODAY, which exists for tests only (cchc_xl/clock.py)."""

from __future__ import annotations

import datetime as dt
import email
import os
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from cchc_xl.core.periods import get_period, report_title_phrase
from cchc_xl.distribute.send import send_file
from cchc_xl.engine import refresh_file
from cchc_xl.io.file_book import FileBook
from cchc_xl.report.record import read_record

from distfix import fill_copy, group_tasks, master_values

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "consolidate.py"
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}

AFTER = "đã qua ngày chốt số liệu năm 2024 (14/12/2024): kế hoạch là của năm 2024 nên lập báo cáo năm 2024."
BEFORE = "chưa đến kỳ báo cáo đầu tiên của kế hoạch năm 2024 (Quý I/2024 từ 15/12/2023)"
# (the scheduler's day, the period the report must be of, the note it must carry) — the as-of date is the day.
SCHEDULE = [
    ("2023-12-01", "q1", BEFORE),
    ("2024-03-10", "q1", ""),
    ("2024-03-14", "q1", ""),
    ("2024-06-14", "h1", ""),
    ("2024-06-20", "q3", ""),
    ("2024-10-20", "year", ""),
    ("2024-12-14", "year", ""),
    ("2024-12-16", "year", AFTER),
    ("2025-01-10", "year", AFTER),
    ("2025-06-30", "year", AFTER),
]


def run_script(master: Path, inbox: Path, today: str, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8", CCHC_XL_TODAY=today, **NO_KEYRING)
    for k in [k for k in env if k.startswith("CCHC_SMTP_")]:
        del env[k]
    return subprocess.run([sys.executable, str(SCRIPT), str(master), "--inbox", str(inbox), "-q", *extra],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=600)


def _fake_pdf(xlsx, pdf):
    """The PDF is rendered by LibreOffice in the --send run below and in tests/distribute/test_send.py."""
    Path(pdf).write_bytes(b"%PDF-1.4\n")
    return Path(pdf)


def _body(eml: Path) -> str:
    return email.message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()


def _vn(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def test_the_scheduled_run_makes_the_right_period_on_every_date(tmp_path, master, copies):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    made = []
    for today, key, note in SCHEDULE:
        day = dt.date.fromisoformat(today)
        if today == "2024-06-20":  # a group returns its copy that day: merged, and the report follows the rule
            group, copy = next(iter(copies.items()))
            tid = group_tasks(master, group)[0]
            fill_copy(copy, inbox / copy.name, {tid: {"Trạng thái": "Hoàn thành",
                                                      "Ngày hoàn thành": dt.date(2024, 6, 18)}})
        r = run_script(master, inbox, today)
        assert r.returncode == 0, r.stderr
        rec = read_record(FileBook.open(master))
        phrase = report_title_phrase(get_period(key, 2024))
        made.append((today, rec.period, rec.as_of.isoformat(), bool(note)))
        assert (rec.period, rec.year, rec.as_of) == (key, 2024, day), today
        assert f"Báo cáo trong sổ: báo cáo {phrase} (tính đến {_vn(day)}) (hôm nay) — đã lập lại." in r.stdout
        if note:
            assert f"Lưu ý: Ngày tính đến {_vn(day)} {note}" in r.stdout
        else:
            assert "Lưu ý: Ngày tính đến" not in r.stdout
        if today == "2024-06-20":
            assert master_values(master)[tid]["Trạng thái"].value == "Hoàn thành"
            assert not list(inbox.glob("*.xlsx")) and list((inbox / "processed").rglob("*.xlsx"))

        # the send path: the report that is in the workbook, whatever the day it runs
        out = send_file(master, dry_run=True, env=NO_KEYRING, outdir=tmp_path / "gui" / today, make_pdf=_fake_pdf)
        assert (out.period, out.period_label) == (key, get_period(key, 2024).label)
        body = _body(out.eml)
        assert f"(số liệu tính đến ngày {_vn(day)})" in body
        assert (f"Lưu ý: Ngày tính đến {_vn(day)} {note}" in body) if note else "Lưu ý: Ngày tính đến" not in body

    assert [m[:3] for m in made] == [(t, k, t) for t, k, _ in SCHEDULE]

    # the same day again: nothing new, the report stays (the master is not rewritten)
    before = master.read_bytes()
    r = run_script(master, inbox, SCHEDULE[-1][0])
    assert r.returncode == 0 and "— giữ nguyên, không có gì mới." in r.stdout
    assert master.read_bytes() == before


def test_a_year_report_is_never_silently_rewritten_as_another_period(tmp_path, master):
    """The issue's case: after `refresh --as-of 2024-12-14 --period year`, consolidate without --as-of (its help
    said "today", it used the 14/06/2024 setting) rewrote the year report as the 6-month one."""
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    refresh_file(master, as_of=dt.date(2024, 12, 14), period="year", backup=False)

    r = run_script(master, inbox, "2024-12-20")
    assert r.returncode == 0, r.stderr
    rec = read_record(FileBook.open(master))
    assert (rec.period, rec.as_of) == ("year", dt.date(2024, 12, 20))
    assert "Báo cáo trong sổ: báo cáo năm 2024 (tính đến 20/12/2024) (hôm nay) — đã lập lại." in r.stdout
    assert "Báo cáo trước đó" not in r.stdout and "Lưu ý: Ngày tính đến 20/12/2024 " + AFTER in r.stdout

    r = run_script(master, inbox, "2024-07-01")  # a clock set back: the rule gives Q3, and the summary says so
    assert r.returncode == 0, r.stderr
    rec = read_record(FileBook.open(master))
    assert (rec.period, rec.as_of) == ("q3", dt.date(2024, 7, 1))
    assert ("Báo cáo trước đó trong sổ là báo cáo năm 2024 (tính đến 20/12/2024); nay là báo cáo quý III năm 2024 "
            "(tính đến 01/07/2024) theo ngày tính đến.") in r.stdout

    r = run_script(master, inbox, "2024-07-01", "--as-of", "2024-12-14")  # a date given wins over the clock
    assert r.returncode == 0, r.stderr
    rec = read_record(FileBook.open(master))
    assert (rec.period, rec.as_of) == ("year", dt.date(2024, 12, 14))
    assert "(tính đến 14/12/2024) — đã lập lại." in r.stdout  # no "(hôm nay)": the date was given


def test_the_scheduled_run_with_send_sends_the_report_it_made(tmp_path, master):
    """`--send` through the scheduler's entry point, PDF by LibreOffice, no SMTP server → a draft beside the
    master: the report of the plan year, as of the scheduler's day, with the note."""
    from helpers_soffice import have_soffice

    if not have_soffice():
        pytest.skip("LibreOffice (soffice) is not installed: .ci/run installs it")
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    r = run_script(master, inbox, "2025-01-10", "--send")
    assert r.returncode == 0, r.stderr
    assert "Đã tạo thư nháp BC_CCHC_Nam2024_THPT_Kien_Thuy.eml" in r.stdout
    body = _body(master.parent / "BC_CCHC_Nam2024_THPT_Kien_Thuy.eml")
    assert "(số liệu tính đến ngày 10/01/2025)" in body and "Lưu ý: Ngày tính đến 10/01/2025 " + AFTER in body
    assert (master.parent / "BC_CCHC_Nam2024_THPT_Kien_Thuy.pdf").stat().st_size > 1000
