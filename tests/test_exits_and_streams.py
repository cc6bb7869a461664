"""Issue #17 §4: one convention for exit codes and streams on the school's side.

A user error — a missing file, a folder for a file, a wrong option, a date no one meant — exits 2 with exactly one
``Lỗi: …`` line on standard error and nothing on standard output, whatever the command. Results go to standard
output, problems to standard error: ``consolidate`` as ``refresh`` and ``handout`` do. A ``CCHC_SOFFICE`` that
names no program stops ``send`` instead of being silently replaced; ``redraft`` says how many sections it redrafted
and which edited ones it kept, and refuses ``--section ""``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"
sys.path.insert(0, str(ROOT / "tests" / "distribute"))
from distfix import with_unit_code  # noqa: E402


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CCHC_SMTP_", "CCHC_SOFFICE"))}
    full.update(PYTHONPATH=str(ROOT), CCHC_LOCK_WAIT_SECONDS="0.5",
                PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", **(env or {}))
    return subprocess.run([sys.executable, "-m", "cchc_xl.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=full)


@pytest.fixture()
def book(tmp_path) -> Path:
    d = tmp_path / "so"
    d.mkdir()
    return Path(shutil.copyfile(BUNDLED, d / "CCHC_2024.xlsm"))


def _user_error(r: subprocess.CompletedProcess, *words: str) -> None:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith(("Cách dùng:", " "))]
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("Lỗi: ") and "Traceback" not in r.stderr, r.stderr
    assert r.stdout == "", r.stdout
    for w in words:
        assert w in lines[0], lines[0]


USER_ERRORS = [
    (lambda b, t: ["refresh", t / "khong_co.xlsm"], "Không tìm thấy"),
    (lambda b, t: ["refresh", b, "--as-of", "9999-12-31"], "2000–2100"),
    (lambda b, t: ["refresh", b, "--as-of", "31/02/2024"], "dd/mm/yyyy"),
    (lambda b, t: ["check", t], "thư mục"),
    (lambda b, t: ["redraft", b, "--section", ""], "--section không nêu mục nào"),
    (lambda b, t: ["redraft", b, "--section", "VI"], "Không có mục 'VI'"),
    (lambda b, t: ["import-dossiers", b, t / "khong_co.csv"], "Không tìm thấy tệp nhập"),
    (lambda b, t: ["handout", b, "--out-dir", b], "là một tệp"),
    (lambda b, t: ["consolidate", b, "--inbox", t / "khong_co"], "Không tìm thấy thư mục hộp thư"),
    (lambda b, t: ["consolidate", t / "khong_co.xlsm", "--inbox", t], "Không tìm thấy tệp sổ tính chính"),
    (lambda b, t: ["send", t / "khong_co.xlsm", "--dry-run"], "Không tìm thấy"),
    (lambda b, t: ["send", b], "ma_dinh_danh"),
    (lambda b, t: ["setup-excel", t / "khong_co.xlsm"], "Không tìm thấy"),
    (lambda b, t: ["build-workbook", "--out", t], "thư mục"),
    (lambda b, t: ["refresh", b, "--khong-co"], "không hiểu các tham số"),
]


@pytest.mark.parametrize("make,words", USER_ERRORS, ids=[" ".join(map(str, m(Path("S"), Path("T"))[:2]))
                                                          + f" #{i}" for i, (m, _) in enumerate(USER_ERRORS)])
def test_a_user_error_is_exit_2_and_one_line_on_stderr(book, tmp_path, make, words):
    before = book.read_bytes()
    _user_error(cli(*make(book, tmp_path)), words)
    assert book.read_bytes() == before


def test_help_texts_say_both_date_forms():
    for command in ("refresh", "redraft", "check", "consolidate", "send", "rollup"):
        text = " ".join(cli(command, "--help").stdout.split())
        assert "YYYY-MM-DD hoặc dd/mm/yyyy" in text, command
        assert "(YYYY-MM-DD)" not in text, command


# --- consolidate: results on stdout, problems on stderr -------------------------------------------------------------

def _aged(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    t = time.time() - 120
    os.utime(path, (t, t))
    return path


def test_consolidate_prints_its_summary_on_stdout_and_problems_on_stderr(book, tmp_path):
    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    r = cli("consolidate", book, "--inbox", inbox, "--as-of", "2024-06-14", "-q")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "Tệp đã đọc" in r.stdout and "Báo cáo trong sổ" in r.stdout

    _aged(inbox / "rac.xlsx", b"khong phai so tinh")
    r = cli("consolidate", book, "--inbox", inbox, "--as-of", "2024-06-14", "-q")
    assert r.returncode == 2, r.stderr
    assert "TỪ CHỐI: rac.xlsx" in r.stdout and "Từ chối" in r.stdout
    assert [ln for ln in r.stderr.splitlines() if ln] == [
        f"Có 1 tệp bị từ chối; lý do ở tệp .txt cùng tên trong '{inbox / 'rejected'}'."]


def test_consolidate_busy_or_failed_says_why_on_stderr_only(book, tmp_path):
    from cchc_xl.io.writelock import writer_lock

    inbox = tmp_path / "hop_thu"
    inbox.mkdir()
    with writer_lock(book, wait=0):
        r = cli("consolidate", book, "--inbox", inbox, "-q")
    assert r.returncode == 4 and r.stdout == "", r.stdout
    assert r.stderr.startswith("Lỗi: Một lệnh khác đang chạy") and len(r.stderr.strip().splitlines()) == 1
    bad = tmp_path / "hong.xlsm"
    bad.write_bytes(b"khong phai so tinh")
    r = cli("consolidate", bad, "--inbox", inbox, "-q")
    assert r.returncode == 3 and r.stdout == "" and r.stderr.startswith("Lỗi: Tổng hợp thất bại"), r.stderr


# --- send: CCHC_SOFFICE -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["khong_co/soffice", "."])
def test_a_soffice_setting_that_names_no_program_stops_send(book, tmp_path, where):
    with_unit_code(book)
    out = tmp_path / "gui"
    r = cli("send", book, "--dry-run", "-q", "--out-dir", out, env={"CCHC_SOFFICE": str(tmp_path / where)})
    _user_error(r, "CCHC_SOFFICE", str(tmp_path / where), "chưa có tệp nào được tạo")
    assert not out.exists()


# --- redraft counts ---------------------------------------------------------------------------------------------------

def test_redraft_counts_what_it_redrafted_and_what_it_kept(book):
    from cchc_xl import schema
    from cchc_xl.io.file_book import FileBook
    from cchc_xl.io.ooxml import Package

    r = cli("redraft", book, "--as-of", "2024-06-14")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("Đã soạn lại mục ") == 14 and "đã soạn lại 14 mục" in r.stdout     # every section
    td = FileBook.open(book).read_table(schema.NARRATIVE.sheet, schema.NARRATIVE.table)
    period, code = td.headers.index("Kỳ báo cáo"), td.headers.index("Mục")
    row = next(td.first_row + i for i, v in enumerate(td.row_values())
               if v[period] == "6 tháng đầu năm 2024" and v[code] == "V")
    pkg = Package.open(book)
    pkg.set_cells(schema.NARRATIVE.sheet, {(row, td.headers.index("Nội dung") + 1): "Văn bản cô Lan viết."})
    pkg.save(book, backup=False)
    r = cli("redraft", book, "--as-of", "2024-06-14", "--section", "II.1")
    assert r.returncode == 0, r.stderr
    assert "đã soạn lại 1 mục; giữ nguyên 1 mục do cán bộ viết không được chọn (V)" in r.stdout, r.stdout
    r = cli("redraft", book, "--as-of", "2024-06-14", "--section", "V")
    assert "đã soạn lại 1 mục (1 mục do cán bộ viết, văn bản cũ giữ ở cột 'Bản trước')" in r.stdout, r.stdout


def test_the_as_of_date_is_read_in_both_forms():
    from cchc_xl.cli_args import date_arg

    assert date_arg("14/06/2024") == date_arg("2024-06-14") == dt.date(2024, 6, 14)
