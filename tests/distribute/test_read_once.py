"""One run reads the master once (issue #18 §2): one open of the file, one load of its tables (each table read
once), one decision of the as-of date and period, one computation — counted for ``consolidate --send`` (a
draft and a real send over SMTP, recorded in the same open book), ``send`` and ``handout``. The ribbon's send
is counted in tests/excel/test_excel_distribute.py."""

from __future__ import annotations

import datetime as dt

import pytest

from cchc_xl import schema
from cchc_xl.distribute import send as send_module
from cchc_xl.distribute._log import read_log
from cchc_xl.distribute.consolidate import EXIT_OK, consolidate
from cchc_xl.distribute.handout import handout
from cchc_xl.distribute.send import LOG_COLUMN_SEND, send_file

from distfix import ONCE, Reads, fill_copy, group_tasks, make_report
from smtp_server import Server

AS_OF = dt.date(2024, 6, 14)
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


@pytest.fixture()
def no_pdf(monkeypatch):
    """A PDF printer that prints nothing (LibreOffice is tested elsewhere; here only the reads count)."""
    def make(xlsx, pdf):
        pdf.write_bytes(b"%PDF-1.4\n")
        return pdf

    monkeypatch.setattr(send_module, "pdf_maker", lambda *a, **k: make)


def _inbox_with_one_change(tmp_path, master, copies):
    group, copy = next(iter(copies.items()))
    tid = group_tasks(master, group)[0]
    inbox = tmp_path / "hop_thu"
    fill_copy(copy, inbox / copy.name, {tid: {"Trạng thái": "Hoàn thành",
                                              "Ngày hoàn thành": dt.datetime(2024, 6, 3)}})
    return inbox


def test_consolidate_send_reads_the_master_once(tmp_path, master, copies, monkeypatch, no_pdf):
    inbox = _inbox_with_one_change(tmp_path, master, copies)
    reads = Reads(monkeypatch)
    s = consolidate(master, inbox, as_of=AS_OF, send=True, env=NO_KEYRING)
    assert s.exit_code == EXIT_OK and s.accepted == 1 and s.report_written, s.message
    assert s.sent is not None and not s.sent.sent and s.sent.eml.exists()      # no server: a draft
    assert reads.of(master.name) == ONCE


def test_consolidate_send_over_smtp_records_the_send_in_the_same_open_book(tmp_path, master, copies, monkeypatch,
                                                                          no_pdf):
    inbox = _inbox_with_one_change(tmp_path, master, copies)
    reads = Reads(monkeypatch)
    with Server("plain") as srv:
        s = consolidate(master, inbox, as_of=AS_OF, send=True, env={**srv.env(), **NO_KEYRING})
        assert s.exit_code == EXIT_OK and s.sent.sent and len(srv.messages) == 1, s.message
    assert reads.of(master.name) == ONCE
    rows = read_log(master)
    assert [r["Ghi chú"] for r in rows if r["Mã"]] == ["Cập nhật"] * len(s.changes)   # the consolidation …
    assert [r["Giá trị mới"] for r in rows if r["Cột"] == LOG_COLUMN_SEND] == [s.sent.period_label]  # … the send
    assert "Đã gửi báo cáo" in s.message


def test_a_second_consolidate_send_of_a_period_is_refused_from_the_same_read(tmp_path, master, copies, monkeypatch,
                                                                            no_pdf):
    with Server("plain") as srv:
        env = {**srv.env(), **NO_KEYRING}
        (tmp_path / "trong").mkdir()
        first = consolidate(master, tmp_path / "trong", as_of=AS_OF, send=True, env=env)
        assert first.sent.sent, first.message
        reads = Reads(monkeypatch)
        again = consolidate(master, tmp_path / "trong", as_of=AS_OF, send=True, env=env)
        assert again.exit_code == 3 and "đã được gửi lúc" in again.message and len(srv.messages) == 1
    assert reads.of(master.name) == ONCE


def test_send_reads_the_master_once(tmp_path, master, monkeypatch, no_pdf):
    make_report(master, "h1", AS_OF)
    reads = Reads(monkeypatch)
    out = send_file(master, dry_run=True, env=NO_KEYRING, outdir=tmp_path / "gui")
    assert out.period == "h1" and out.eml.exists()
    assert reads.of(master.name) == ONCE


def test_handout_reads_the_master_once(tmp_path, master, monkeypatch):
    reads = Reads(monkeypatch)
    assert handout(master, tmp_path / "phat")
    assert reads.of(master.name) == {**ONCE, "computes": 0, "decisions": 0}
    assert reads.tables[(master.name, schema.TASKS.table)] == 1
