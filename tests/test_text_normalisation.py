"""Issue #8 §6: Vietnamese text as people really type it. Every text read from a file is normalised by
``cchc_xl.core.text.clean_text`` (NFC, zero-width characters and surrounding spaces incl. NBSP removed) before
headers and enumerated values are matched, what is stored is NFC, and a CSV in the older Windows-1258 encoding
is read (or named in the message)."""

from __future__ import annotations

import doctest
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from cchc_xl import schema
from cchc_xl.core import text as text_module
from cchc_xl.core.text import ZERO_WIDTH, ZERO_WIDTH_PATTERN, clean_text
from cchc_xl.engine import check_file
from cchc_xl.errors import ImportFileError
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.import_dossiers import import_dossiers
from cchc_xl.io.ooxml import Package

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "workbook" / "CCHC_2024.xlsm"

NFD = "Hoa\u0300n tha\u0300nh"                         # as pasted from a PDF or typed on a Mac


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


TONES = "\u0300\u0301\u0303\u0309\u0323"       # the five tone marks code page 1258 has as combining bytes


def cp1258(s: str) -> bytes:
    """``s`` as Windows saves it in code page 1258: precomposed where the code page has the letter, else the
    base letter followed by a combining tone mark (0xCC, 0xEC, 0xDE, 0xD2, 0xF2)."""
    out = bytearray()
    for ch in s:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            tone = next(m for m in d if m in TONES)
            out += unicodedata.normalize("NFC", d.replace(tone, "")).encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


@pytest.fixture()
def master(tmp_path) -> Path:
    return Path(shutil.copyfile(BUNDLED, tmp_path / "CCHC_2024.xlsm"))


def test_doctests_of_the_text_helpers():
    from cchc_xl import errors

    for module in (text_module, errors):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("raw", [NFD, "Hoàn thành\u200b", "\ufeffHoàn thành", "\u00a0Hoàn thành\u00a0",
                                 "Hoàn\u200d thành", nfd("Hoàn thành") + "\u2060 "])
def test_clean_text_gives_the_one_form(raw):
    assert clean_text(raw) == "Hoàn thành"
    assert unicodedata.is_normalized("NFC", clean_text(raw))


def test_the_pandas_equivalent_agrees():
    values = [NFD, "  Đang\u00a0thực hiện\u200b", "\ufeffabc", "plain", "", "Hoa\u200b\u0300n"]
    s = pd.Series(values)
    vectorised = s.str.replace(ZERO_WIDTH_PATTERN, "", regex=True).str.normalize("NFC").str.strip()
    assert list(vectorised) == [clean_text(v) for v in values]
    assert all(ch not in "".join(vectorised) for ch in ZERO_WIDTH)


def _task_rows(path: Path) -> dict[str, int]:
    td = FileBook.open(path).read_table(schema.TASKS.sheet, schema.TASKS.table)
    return {str(v[0]): td.first_row + i for i, v in enumerate(td.row_values())}


def test_the_master_accepts_decomposed_and_zero_width_statuses(master):
    rows = _task_rows(master)
    t1, t2, t3 = list(rows)[:3]
    col, done = schema.TASKS.col("Trạng thái") + 1, schema.TASKS.col("Ngày hoàn thành") + 1
    pkg = Package.open(master)
    pkg.set_cells(schema.TASKS.sheet, {(rows[t1], col): nfd("Đang thực hiện"),
                                       (rows[t2], col): "Đang thực hiện\u200b",
                                       (rows[t3], col): "\u00a0Chưa thực hiện\u00a0",
                                       **{(rows[t], done): None for t in (t1, t2, t3)}})
    pkg.save(master, backup=False)
    problems = [p for p in check_file(master) if p.column == "Trạng thái" and p.row in (rows[t1], rows[t2], rows[t3])]
    assert problems == []


def test_a_decomposed_table_header_is_still_the_contract_header(master):
    """A header retyped on a Mac (NFD) with a trailing NBSP: the table is read, not 'missing a column'."""
    pkg = Package.open(master)
    info = pkg.table(schema.TASKS.table)
    xml = pkg.read_part(info.part).decode()
    assert 'name="Trạng thái"' in xml
    pkg.write_part(info.part, xml.replace('name="Trạng thái"', f'name="{nfd("Trạng thái")}\u00a0"').encode())
    rows = _task_rows(master)
    header_row = min(rows.values()) - 1
    pkg.set_cells(schema.TASKS.sheet, {(header_row, schema.TASKS.col("Trạng thái") + 1): nfd("Trạng thái") + "\u00a0"})
    pkg.save(master, backup=False)
    td = FileBook.open(master).read_table(schema.TASKS.sheet, schema.TASKS.table)
    assert "Trạng thái" in td.headers
    assert not [p for p in check_file(master) if "thiếu cột" in p.message]


HEADER = ["Mã hồ sơ", "Mã TTHC", "Tên TTHC", "Ngày tiếp nhận", "Hình thức nộp", "Trạng thái", "Đánh giá"]
ROW = ["MC-240801-0001", "1.005088", "Chuyển trường đối với học sinh trung học phổ thông", "01/08/2024 08:00",
       "Trực tiếp", "Đã trả kết quả", "Hài lòng"]


def _dossier(path: Path, code: str) -> dict:
    td = FileBook.open(path).read_table(schema.DOSSIERS.sheet, schema.DOSSIERS.table)
    return next(dict(zip(td.headers, v)) for v in td.row_values() if v[0] == code)


def test_import_with_a_decomposed_header_and_values_stores_nfc(master, tmp_path):
    header = [nfd(h) + "\u00a0" for h in HEADER]
    header[0] = "\ufeff\u200b" + header[0]
    row = [nfd(v) + "\u200b" for v in ROW]
    f = tmp_path / "nfd.csv"
    f.write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    report = import_dossiers(master, f)
    assert (report.added, report.skipped) == (1, []), report.summary()
    stored = _dossier(master, "MC-240801-0001")
    for h in ("Tên TTHC", "Hình thức nộp", "Trạng thái", "Đánh giá"):
        assert stored[h] == ROW[HEADER.index(h)] and unicodedata.is_normalized("NFC", stored[h])


def test_import_of_a_windows_1258_csv(master, tmp_path):
    f = tmp_path / "cp1258.csv"
    raw = cp1258(",".join(HEADER) + "\r\n" + ",".join(ROW) + "\r\n")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b"\xcc" in raw or b"\xec" in raw or b"\xde" in raw or b"\xd2" in raw or b"\xf2" in raw  # tone marks
    f.write_bytes(raw)
    report = import_dossiers(master, f)
    assert report.added == 1 and report.skipped == [], report.summary()
    assert "Windows-1258" in report.summary()
    stored = _dossier(master, "MC-240801-0001")
    assert stored["Tên TTHC"] == ROW[2] and stored["Trạng thái"] == "Đã trả kết quả"


def test_import_of_a_utf16_csv_with_tabs(master, tmp_path):
    f = tmp_path / "unicode.txt"
    f.write_bytes(("\t".join(HEADER) + "\r\n" + "\t".join(ROW) + "\r\n").encode("utf-16"))
    report = import_dossiers(master, f)
    assert report.added == 1, report.summary()
    assert _dossier(master, "MC-240801-0001")["Hình thức nộp"] == "Trực tiếp"


def test_an_encoding_that_cannot_be_read_names_the_one_to_choose(master, tmp_path):
    f = tmp_path / "tcvn3.csv"
    # TCVN3 (ABC) bytes: not UTF-8, and Windows-1258 reads them as other letters
    f.write_bytes(b"M\xb8 h\xe5 s\xa1,M\xb8 TTHC\r\nMC-1,1.005088\r\n")
    before = master.read_bytes()
    with pytest.raises(ImportFileError) as info:
        import_dossiers(master, f)
    message = str(info.value)
    assert "không phải văn bản UTF-8" in message and "Windows-1258" in message and "TCVN3" in message
    assert "CSV UTF-8 (Comma delimited)" in message
    assert master.read_bytes() == before
