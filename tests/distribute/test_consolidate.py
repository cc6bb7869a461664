"""Consolidation: hostile/broken copies, idempotence, conflicts, locking, kill safety."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.io.writelock import writer_lock
from cchc_xl.distribute.consolidate import EXIT_BUSY, EXIT_OK, EXIT_REJECTED, consolidate
from cchc_xl.io.ooxml.doc_props import custom_properties as _custom_props
from cchc_xl.io.ooxml import Package

from distfix import age, fill_copy, group_tasks, master_values

AS_OF = dt.date(2024, 6, 14)
GROUP = "Tổ Toán - Tin"


def _group(copies) -> str:
    return GROUP if GROUP in copies else sorted(copies)[0]


def _run(master, inbox, **kw):
    kw.setdefault("as_of", AS_OF)
    return consolidate(master, inbox, **kw)


def _rejected_reason(inbox: Path, name: str) -> str:
    return (inbox / "rejected" / (name + ".txt")).read_text(encoding="utf-8")


def _repack(src: Path, dest: Path, extra: dict[str, bytes] | None = None, drop=(), replace=None,
            compress=zipfile.ZIP_DEFLATED) -> Path:
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", compress) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return age(dest)


@pytest.fixture()
def inbox(tmp_path) -> Path:
    d = tmp_path / "inbox"
    d.mkdir()
    return d


def _one_rejected(master, inbox, name, *must_contain):
    before = master.read_bytes()
    s = _run(master, inbox)
    assert s.exit_code == EXIT_REJECTED, s.table()
    assert s.rejected == 1 and s.accepted == 0
    reason = _rejected_reason(inbox, name)
    for text in must_contain:
        assert text in reason, reason
    assert (inbox / "rejected" / name).exists() and not (inbox / name).exists()
    # only the rejection is logged; no task value changed
    after = master_values(master)
    assert before != master.read_bytes()
    return after


# ------------------------------------------------------------------------ hostile or broken files

def test_not_a_workbook(master, inbox):
    p = inbox / "ghi_chu.xlsx"
    p.write_text("đây không phải tệp Excel", encoding="utf-8")
    age(p)
    _one_rejected(master, inbox, p.name, "không phải là sổ tính Excel")


def test_corrupt_zip(master, inbox, copies):
    src = copies[_group(copies)]
    p = inbox / src.name
    p.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    age(p)
    _one_rejected(master, inbox, p.name, "hỏng")


def test_password_protected(master, inbox, copies):
    from msoffcrypto.format.ooxml import OOXMLFile

    src = copies[_group(copies)]
    p = inbox / src.name
    with open(src, "rb") as fin, open(p, "wb") as fout:
        OOXMLFile(fin).encrypt("matkhau", fout)
    age(p)
    _one_rejected(master, inbox, p.name, "mật khẩu")


def test_different_plan(tmp_path, master, inbox):
    from cchc_xl.distribute.handout import handout
    from cchc_xl.io.file_book import FileBook

    other = tmp_path / "other.xlsm"
    shutil.copyfile(master, other)
    book = FileBook.open(other)
    td = book.read_table(schema.SETTINGS.sheet, schema.SETTINGS.table)
    row = next(td.first_row + i for i, r in enumerate(td.rows) if r[0].value == "so_ke_hoach")
    book.package.set_cells(schema.SETTINGS.sheet, {(row, 2): "99/KH-KHAC"})
    book.package.save(other, backup=False)
    src = handout(other, tmp_path / "h2")[0]
    shutil.copyfile(src, inbox / src.name)
    age(inbox / src.name)
    _one_rejected(master, inbox, src.name, "kế hoạch khác", "99/KH-KHAC")


def _retag_group(src: Path, dest: Path, group: str) -> Path:
    """Copy ``src`` claiming to belong to ``group`` (properties and hidden sheet changed consistently)."""
    pkg = Package.open(src)
    old = _custom_props(pkg)["CCHC_ToNhom"]
    custom = pkg.read_part("docProps/custom.xml").decode().replace(f">{old}<", f">{group}<")
    pkg.write_part("docProps/custom.xml", custom.encode())
    sd = pkg.read_sheet("_cchc")
    row = next(r for (r, c), cell in sd.cells.items() if c == 1 and cell.value == "CCHC_ToNhom")
    pkg.set_cells("_cchc", {(row, 2): group})
    pkg.save(dest, backup=False)
    return age(dest)


def test_different_group_unknown(master, inbox, copies):
    src = copies[_group(copies)]
    _retag_group(src, inbox / src.name, "Tổ Thể dục - Quốc phòng")
    _one_rejected(master, inbox, src.name, "không có trong kế hoạch")


def test_different_group_tasks_not_theirs(master, inbox, copies):
    g = _group(copies)
    other = next(x for x in sorted(copies) if x != g)
    src = copies[g]
    _retag_group(src, inbox / src.name, other)
    _one_rejected(master, inbox, src.name, f"không thuộc tổ/nhóm '{other}'")


def test_extra_row(master, inbox, copies):
    src = copies[_group(copies)]
    pkg = Package.open(src)
    t = pkg.table(schema.TASKS.table)
    from cchc_xl.io.ooxml import parse_ref

    r1, c1, r2, c2 = parse_ref(t.ref)
    pkg.set_cells(schema.TASKS.sheet, {(r2 + 1, 1): "9.z", (r2 + 1, 3): "Nhiệm vụ tự thêm",
                                       (r2 + 1, 4): _group(copies)})
    pkg.set_table_ref(t.name, f"A{r1}:{chr(64 + c2)}{r2 + 1}")
    pkg.save(inbox / src.name, backup=False)
    age(inbox / src.name)
    _one_rejected(master, inbox, src.name, "dòng thêm", "9.z")


def test_deleted_row(master, inbox, copies):
    g = _group(copies)
    src = copies[g]
    pkg = Package.open(src)
    t = pkg.table(schema.TASKS.table)
    from cchc_xl.io.ooxml import parse_ref

    r1, c1, r2, c2 = parse_ref(t.ref)
    last_id = pkg.read_sheet(schema.TASKS.sheet).cells[(r2, 1)].value
    pkg.set_cells(schema.TASKS.sheet, {(r2, c): None for c in range(c1, c2 + 1)})
    pkg.set_table_ref(t.name, f"A{r1}:{chr(64 + c2)}{r2 - 1}")
    pkg.save(inbox / src.name, backup=False)
    age(inbox / src.name)
    _one_rejected(master, inbox, src.name, "thiếu dòng", str(last_id))


def test_renamed_header(master, inbox, copies):
    src = copies[_group(copies)]
    pkg = Package.open(src)
    t = pkg.table(schema.TASKS.table)
    xml = pkg.read_part(t.part).decode().replace('name="Minh chứng"', 'name="Bằng chứng"')
    pkg.write_part(t.part, xml.encode())
    pkg.set_cells(schema.TASKS.sheet, {(1, schema.TASKS.col("Minh chứng") + 1): "Bằng chứng"})
    pkg.save(inbox / src.name, backup=False)
    age(inbox / src.name)
    _one_rejected(master, inbox, src.name, "tiêu đề cột", "Bằng chứng")


def test_xlsm_with_macros(master, inbox, copies):
    src = copies[_group(copies)]
    p = inbox / (src.stem + ".xlsm")
    _repack(src, p, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 600})
    _one_rejected(master, inbox, p.name, "tệp có macro")


def test_oversized_file(master, inbox, copies):
    src = copies[_group(copies)]
    p = inbox / src.name
    _repack(src, p, extra={"xl/media/big.bin": os.urandom(21 * 1024 * 1024)}, compress=zipfile.ZIP_STORED)
    _one_rejected(master, inbox, p.name, "quá lớn", "20 MB")


def test_zip_bomb(master, inbox, copies):
    src = copies[_group(copies)]
    p = inbox / src.name
    _repack(src, p, extra={"xl/media/bomb.bin": b"\0" * (60 * 1024 * 1024)})
    assert p.stat().st_size < 1024 * 1024
    _one_rejected(master, inbox, p.name, "bất thường")


def test_locked_by_excel_and_being_written_are_skipped(master, inbox, copies):
    g = _group(copies)
    tid = group_tasks(master, g)[0]
    a = fill_copy(copies[g], inbox / "a.xlsx", {tid: {"Ghi chú": "đang sửa"}})
    (inbox / "~$a.xlsx").write_bytes(b"owner")
    b = fill_copy(copies[g], inbox / "b.xlsx", {tid: {"Ghi chú": "vừa ghi"}}, seconds_ago=0)
    before = master.read_bytes()
    s = _run(master, inbox)
    assert s.exit_code == EXIT_OK and s.skipped == 2 and s.files_read == 0, s.table()
    assert a.exists() and b.exists()
    assert master.read_bytes() == before
    assert "Excel" in s.table() and "vừa được ghi" in s.table()


# ------------------------------------------------------------------------ values

def test_invalid_values_reject_whole_file(master, inbox, copies):
    g = _group(copies)
    t1, t2 = group_tasks(master, g)[:2]
    future = dt.date.today() + dt.timedelta(days=30)
    p = fill_copy(copies[g], inbox / "sai.xlsx", {t1: {"Trạng thái": "Xong rồi"},
                                                  t2: {"Ngày hoàn thành": future, "Ghi chú": "ok"}})
    before = master_values(master)
    s = _run(master, inbox)
    assert s.exit_code == EXIT_REJECTED
    reason = _rejected_reason(inbox, p.name)
    assert "Xong rồi" in reason and "tương lai" in reason
    after = master_values(master)
    assert {k: {h: c.value for h, c in v.items() if h != "Tình trạng hạn"} for k, v in after.items()} == \
        {k: {h: c.value for h, c in v.items() if h != "Tình trạng hạn"} for k, v in before.items()}


def test_locked_column_changed(master, inbox, copies):
    g = _group(copies)
    tid = group_tasks(master, g)[0]
    p = fill_copy(copies[g], inbox / "khoa.xlsx", {tid: {"Hạn hoàn thành": dt.date(2030, 1, 1)}})
    _run(master, inbox)
    assert "'Hạn hoàn thành' bị khóa" in _rejected_reason(inbox, p.name)


def test_text_with_equals_stays_text(master, inbox, copies):
    g = _group(copies)
    tid = group_tasks(master, g)[0]
    hostile = '=HYPERLINK("http://evil.example/x","bấm")'
    fill_copy(copies[g], inbox / "c.xlsx", {tid: {"Minh chứng": hostile, "Ghi chú": "=1+1"}})
    s = _run(master, inbox)
    assert s.exit_code == EXIT_OK and s.accepted == 1, s.table()
    cell = master_values(master)[tid]["Minh chứng"]
    assert cell.value == hostile and cell.formula is None
    assert master_values(master)[tid]["Ghi chú"].value == "=1+1"
    pkg = Package.open(master)
    xml = pkg.read_part(pkg.sheet_part(schema.TASKS.sheet)).decode()
    assert "HYPERLINK" in xml and "<f>HYPERLINK" not in xml


# ------------------------------------------------------------------------ behaviour

def test_merge_log_and_idempotence(master, inbox, copies):
    g = _group(copies)
    t1, t2 = group_tasks(master, g)[:2]
    src = fill_copy(copies[g], inbox / copies[g].name,
                    {t1: {"Trạng thái": "Hoàn thành", "Ngày hoàn thành": dt.date(2024, 6, 1),
                          "Minh chứng": "Biên bản số 12"},
                     t2: {"Ghi chú": "Đã triển khai một phần"}})
    keep = src.read_bytes()
    s = _run(master, inbox)
    assert s.exit_code == EXIT_OK and s.accepted == 1 and s.tasks_changed == 2, s.table()
    v = master_values(master)
    assert v[t1]["Trạng thái"].value == "Hoàn thành" and v[t1]["Ngày hoàn thành"].value.date() == dt.date(2024, 6, 1)
    assert v[t2]["Ghi chú"].value == "Đã triển khai một phần"
    assert (inbox / "processed" / dt.date.today().isoformat() / src.name).exists()
    from cchc_xl.distribute._log import read_log

    log = read_log(master)
    changes = [r for r in log if r["Mã"] in (t1, t2)]
    assert {(r["Mã"], r["Cột"]) for r in changes} >= {(t1, "Trạng thái"), (t1, "Minh chứng"), (t2, "Ghi chú")}
    assert all(r["Tệp"] == src.name and r["Tổ/nhóm"] == g for r in changes)
    assert "THAY ĐỔI" in s.log_path.read_text(encoding="utf-8")
    # second run, empty inbox: nothing changes
    snapshot = master.read_bytes()
    s2 = _run(master, inbox)
    assert s2.exit_code == EXIT_OK and s2.files_read == 0 and master.read_bytes() == snapshot
    # the same copy dropped again: accepted, nothing to change, master bytes identical
    (inbox / src.name).write_bytes(keep)
    age(inbox / src.name)
    s3 = _run(master, inbox)
    assert s3.accepted == 1 and s3.cells_changed == 0 and master.read_bytes() == snapshot
    assert len([r for r in read_log(master) if r["Mã"] in (t1, t2)]) == len(changes)


def _set_modified(path: Path, when: dt.datetime) -> None:
    pkg = Package.open(path)
    core = pkg.read_part("docProps/core.xml").decode()
    import re

    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(<)", rf"\g<1>{when:%Y-%m-%dT%H:%M:%SZ}\g<2>", core)
    pkg.write_part("docProps/core.xml", core.encode())
    pkg.save(path, backup=False)
    age(path)


def test_conflict_the_copy_that_arrived_last_wins(master, inbox, copies):
    """Arrival in the inbox decides, not the save time a copy claims (issue #8 §5)."""
    g = _group(copies)
    tid = group_tasks(master, g)[0]
    old = fill_copy(copies[g], inbox / "z_cu.xlsx", {tid: {"Ghi chú": "bản cũ"}})
    new = fill_copy(copies[g], inbox / "a_moi.xlsx", {tid: {"Ghi chú": "bản mới"}})
    _set_modified(old, dt.datetime(2024, 6, 2, 8, 0))      # claims to be newer, but arrived first
    _set_modified(new, dt.datetime(2024, 6, 1, 8, 0))
    s = _run(master, inbox)
    assert s.exit_code == EXIT_OK and s.accepted == 2
    assert master_values(master)[tid]["Ghi chú"].value == "bản mới"
    assert len(s.conflicts) == 1 and "a_moi.xlsx" in s.conflicts[0] and "z_cu.xlsx" in s.conflicts[0]
    assert "XUNG ĐỘT" in s.table()


def test_concurrent_run_exits_4(master, inbox, copies):
    g = _group(copies)
    fill_copy(copies[g], inbox / "x.xlsx", {group_tasks(master, g)[0]: {"Ghi chú": "x"}})
    before = master.read_bytes()
    with writer_lock(master):
        s = _run(master, inbox, lock_wait=0.5)
    assert s.exit_code == EXIT_BUSY and "đang chạy" in s.message
    assert master.read_bytes() == before and (inbox / "x.xlsx").exists()


def test_stale_lock_is_taken_over(master, inbox):
    lock = master.with_name(master.name + ".cchc-lock")
    lock.write_text("12345")
    age(lock, 3600)
    s = _run(master, inbox, lock_wait=0.2)
    assert s.exit_code == EXIT_OK and not lock.exists()


def test_crash_during_save_leaves_master_intact(master, inbox, copies, monkeypatch):
    import os

    g = _group(copies)
    p = fill_copy(copies[g], inbox / "y.xlsx", {group_tasks(master, g)[0]: {"Ghi chú": "y"}})
    before = master.read_bytes()

    def boom(src, dst):
        raise KeyboardInterrupt("killed")  # the process dies between temp write and replace

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        _run(master, inbox)
    monkeypatch.undo()
    assert master.read_bytes() == before
    assert p.exists()  # nothing moved: the next run processes it again
    assert not list(master.parent.glob(".tmp-*"))
    s = _run(master, inbox)
    assert s.accepted == 1 and s.cells_changed == 1


def test_master_locked_by_excel_fails_cleanly(master, inbox, copies):
    from cchc_xl.distribute.consolidate import EXIT_FAILED

    g = _group(copies)
    p = fill_copy(copies[g], inbox / "y.xlsx", {group_tasks(master, g)[0]: {"Ghi chú": "y"}})
    (master.parent / ("~$" + master.name)).write_bytes(b"x")
    before = master.read_bytes()
    s = _run(master, inbox)
    assert s.exit_code == EXIT_FAILED and "Excel" in s.message
    assert master.read_bytes() == before and p.exists()
