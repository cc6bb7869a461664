"""Hand-out copies: one ``.xlsx`` per subject group (``cchc-xl handout``).

Each copy (written new with XlsxWriter, no macros) holds:

* ``Hướng dẫn`` — a cover with instructions in Vietnamese (first, active sheet);
* ``Nhiệm vụ`` — table ``tblNhiemVu`` with exactly the master's headers and only the tasks whose
  ``Tổ/nhóm chuyên môn`` cell names this group ("Các tổ, nhóm chuyên môn" is a group of its own);
  the sheet is protected WITHOUT a password (``PROTECTION_PASSWORD`` is empty) and only
  ``Trạng thái``, ``Ngày hoàn thành``, ``Minh chứng``, ``Ghi chú`` are unlocked; drop-downs are
  inline list validations; every text is written as text (a master cell beginning with ``=``
  never becomes a formula);
* ``Nhiệm vụ định kỳ`` — table ``tblLanThucHien`` with the occurrences (one per quarter/month) of the
  group's periodic tasks, when it has any: the same four columns are editable, each occurrence is
  reported on its own row;
* ``_cchc`` — a *veryHidden* sheet (not visible or unhideable from Excel's menus) with the
  identity (kind, plan number, plan year, group, hand-out time, hash of the task and occurrence ids, task
  ids, occurrence ids)
  and the hand-out values of the editable cells (the baseline the consolidation compares
  against, so that only what the group changed is merged).

The same identity is stored in custom document properties (``CCHC_*``). Tasks with a blank
group are not handed out. File names: ``CCHC<năm>_<tổ không dấu>.xlsx``, at most 80 bytes (a long
group name is cut and ends with a short hash, :func:`cchc_xl.io.inbox.fit_name`); a name clash gets a numeric
suffix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from .. import schema
from ..core.tasks import completion_window
from ..core.text import clean_text
from ..errors import WorkbookError, describe_os_error
from ..io.inbox import fit_name
from . import _common
from .master import baseline_text

__all__ = ["handout", "EDITABLE", "IDENTITY_SHEET", "IDENTITY_KIND", "BASELINE_HEADER", "task_hash", "group_of",
           "prop_value"]

EDITABLE = ("Trạng thái", "Ngày hoàn thành", "Minh chứng", "Ghi chú")
DATE_COLUMNS = ("Hạn hoàn thành", "Ngày hoàn thành")
IDENTITY_SHEET = "_cchc"
IDENTITY_KIND = "cchc-xl handout"
PROTECTION_PASSWORD = ""  # documented: sheets are protected against accidents, not against people
BASELINE_HEADER = ("Mã", "Cột", "Giá trị khi phát")
MAX_NAME_BYTES = 80   # hand-out file names stay short (a 330-character group name): fit_name adds a hash

_WIDTHS = {"Mã": 8, "Mã nhiệm vụ": 10, "Lần thực hiện": 14, "Lĩnh vực": 22, "Nội dung công việc": 60,
           "Tổ/nhóm chuyên môn": 20, "Cán bộ phụ trách": 20, "Thời gian thực hiện/hoàn thành": 22, "Hạn hoàn thành": 13,
           "Sản phẩm": 28, "Trạng thái": 17,
           "Ngày hoàn thành": 14, "Minh chứng": 30, "Ghi chú": 28, "Tình trạng hạn": 20}


def prop_value(text: str) -> str:
    """``text`` as a custom document property holds it: Excel keeps at most 255 characters, so a longer text (a
    330-character group name) is cut and ends with ``~`` and a short hash of the whole (the hidden ``_cchc``
    sheet keeps the whole text; the consolidation compares the two through this function)."""
    text = str(text)
    if len(text) <= 255:
        return text
    return text[:246] + "~" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def task_hash(ids) -> str:
    """A short hash of the task ids (order independent)."""
    return hashlib.sha256("\n".join(sorted(str(i) for i in ids)).encode("utf-8")).hexdigest()[:16]


@dataclass
class _Master:
    headers: list[str]
    rows: list[list[object]]  # values only
    plan_no: str
    plan_year: int
    occ_headers: list[str] | None = None  # the occurrence table (tblLanThucHien), when the master has it
    occ_rows: list[list[object]] | None = None


def _read_master(path: Path) -> _Master:
    """The master's task table (values) and plan identity: the file opened once, read once
    (:func:`.master.read_master`)."""
    from ..io.file_book import FileBook
    from .master import read_master

    read = read_master(FileBook.open(path), path.name)
    td, occ = read.tasks_table, read.occurrences_table
    master = _Master(list(td.headers), _values(td), str(read.data.settings["so_ke_hoach"]), read.plan_year)
    if occ is not None:
        master.occ_headers, master.occ_rows = list(occ.headers), _values(occ)
    return master


def _values(td) -> list[list[object]]:
    """The table's non-blank rows as values (an error cell reads as None)."""
    return [list(r) for r in td.row_values() if any(v not in (None, "") for v in r)]


def group_of(value) -> str:
    """The group named by a ``Tổ/nhóm chuyên môn`` cell (:func:`~cchc_xl.core.text.clean_text`, one line)."""
    return clean_text(str(value or ""), single_line=True)


def _date(v):
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    return None


def _write_copy(tmp, master: _Master, group: str, rows: list[list[object]], when: dt.datetime) -> None:
    """Write the copy of ``group`` into ``tmp`` (a :class:`cchc_xl.io.nofollow.TempFile`)."""
    import xlsxwriter

    headers = master.headers
    ids = [str(r[headers.index("Mã")]) for r in rows]
    occ_rows: list[list[object]] = []
    if master.occ_rows:
        parent = master.occ_headers.index("Mã nhiệm vụ")
        occ_rows = [r for r in master.occ_rows if str(r[parent]) in set(ids)]
    occ_ids = [str(r[master.occ_headers.index("Mã")]) for r in occ_rows]
    ident = {
        "CCHC_Loai": IDENTITY_KIND,
        "CCHC_KeHoach": master.plan_no,
        "CCHC_Nam": str(master.plan_year),
        "CCHC_ToNhom": group,
        "CCHC_ThoiGianPhat": when.isoformat(timespec="seconds"),
        "CCHC_MaBam": task_hash(ids + occ_ids),
        "CCHC_SoNhiemVu": str(len(ids)),
    }
    buffer = io.BytesIO()       # made in memory, then written: a failed write is our own OSError, nothing half-open
    wb = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False})
    try:
        wb.set_properties({"title": f"Nhiệm vụ CCHC {master.plan_year} – {group}", "author": "cchc-xl",
                           "comments": "Bản phát cho tổ/nhóm; chỉ sửa các cột được mở khóa.",
                           "created": when})
        for k, v in ident.items():
            wb.set_custom_property(k, prop_value(v))
        f_title = wb.add_format({"bold": True, "font_size": 14, "font_name": "Times New Roman"})
        f_text = wb.add_format({"text_wrap": True, "valign": "top", "font_name": "Times New Roman", "font_size": 12})
        f_bold = wb.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 12})
        locked = wb.add_format({"text_wrap": True, "valign": "top", "locked": True, "bg_color": "#F2F2F2"})
        locked_date = wb.add_format({"num_format": "dd/mm/yyyy", "valign": "top", "locked": True,
                                     "bg_color": "#F2F2F2"})
        open_ = wb.add_format({"text_wrap": True, "valign": "top", "locked": False})
        open_date = wb.add_format({"num_format": "dd/mm/yyyy", "valign": "top", "locked": False})

        # -- cover ------------------------------------------------------------------------------
        guide = wb.add_worksheet(schema.SHEET_GUIDE)
        guide.set_column(0, 0, 110)
        lines = [
            (f"KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM {master.plan_year} – BẢN CỦA {group.upper()}", f_title),
            (f"Kế hoạch số {master.plan_no}. Tổ/nhóm: {group}. Số nhiệm vụ: {len(ids)}. "
             f"Ngày phát: {when:%d/%m/%Y %H:%M}.", f_bold),
            ("", None),
            ("Cách cập nhật:", f_bold),
            ("1. Mở trang tính 'Nhiệm vụ'. Mỗi dòng là một nhiệm vụ của tổ/nhóm trong kế hoạch.", f_text),
            ("2. Chỉ điền bốn cột có nền trắng: 'Trạng thái' (chọn trong danh sách), 'Ngày hoàn thành' "
             "(ngày/tháng/năm, không sau ngày hôm nay), 'Minh chứng' (số, ký hiệu văn bản hoặc đường dẫn) và "
             "'Ghi chú'. Các cột nền xám đã được khóa.", f_text),
            ("3. Khi 'Trạng thái' là 'Hoàn thành', hãy điền 'Ngày hoàn thành'.", f_text),
            *([(f"   Nhiệm vụ định kỳ (hằng quý, hằng tháng): mỗi lần thực hiện là một dòng ở trang "
                f"'{schema.OCCURRENCES.sheet}'; điền bốn cột đó cho từng lần.", f_text)] if occ_rows else []),
            ("4. Không thêm, xóa, sắp xếp lại dòng; không đổi tên cột, tên trang tính hay tên bảng.", f_text),
            ("5. Lưu tệp dạng .xlsx (không lưu thành .xlsm) và gửi lại cho văn phòng; có thể giữ nguyên tên tệp.",
             f_text),
            ("", None),
            ("Văn phòng tổng hợp tự động các bản gửi về. Bản nào sai sẽ bị trả lại kèm lý do; khi đó hãy sửa "
             "theo lý do và gửi lại.", f_text),
            ("Các trang tính được khóa chống sửa nhầm (không đặt mật khẩu). Xin đừng gỡ khóa.", f_text),
        ]
        for i, (text, fmt) in enumerate(lines):
            if text:
                guide.write_string(i, 0, text, fmt)
        guide.activate()
        guide.protect(PROTECTION_PASSWORD)

        # -- tasks, and the occurrences of the group's periodic tasks --------------------------
        formats = {(True, True): open_date, (True, False): open_, (False, True): locked_date, (False, False): locked}
        _table_sheet(wb, schema.TASKS, headers, rows, formats, master.plan_year)
        if occ_rows:
            _table_sheet(wb, schema.OCCURRENCES, master.occ_headers, occ_rows, formats, master.plan_year)

        # -- identity (veryHidden) -------------------------------------------------------------
        hid = wb.add_worksheet(IDENTITY_SHEET)
        r = 0
        for k, v in ident.items():
            hid.write_string(r, 0, k)
            hid.write_string(r, 1, v)
            r += 1
        hid.write_string(r, 0, "CCHC_DanhSachMa")
        hid.write_string(r, 1, "\n".join(ids))
        r += 1
        if occ_ids:
            hid.write_string(r, 0, "CCHC_DanhSachLan")
            hid.write_string(r, 1, "\n".join(occ_ids))
            r += 1
        r += 1
        for c, h in enumerate(BASELINE_HEADER):
            hid.write_string(r, c, h)
        r += 1
        for table_headers, table_rows in ((headers, rows), (master.occ_headers, occ_rows)):
            ci = {h: i for i, h in enumerate(table_headers or ())}
            for row in table_rows:
                for h in EDITABLE:
                    hid.write_string(r, 0, str(row[ci["Mã"]]))
                    hid.write_string(r, 1, h)
                    hid.write_string(r, 2, baseline_text(row[ci[h]]))
                    r += 1
        hid.very_hidden()
        hid.protect(PROTECTION_PASSWORD)
    finally:
        wb.close()
    tmp.write(buffer.getvalue())


def _table_sheet(wb, spec, headers: list[str], rows: list[list[object]], formats, plan_year: int) -> None:
    """A protected sheet with table ``spec``: only the :data:`EDITABLE` columns unlocked, drop-down and date
    validation on them; ``formats[(editable, is_date)]``."""
    ws = wb.add_worksheet(spec.sheet)
    n = len(rows)
    ws.add_table(0, 0, max(n, 1), len(headers) - 1, {
        "name": spec.table, "style": "Table Style Light 9", "autofilter": True,
        "columns": [{"header": h} for h in headers]})
    for c, h in enumerate(headers):
        is_date = h in DATE_COLUMNS
        fmt = formats[(h in EDITABLE, is_date)]
        ws.set_column(c, c, _WIDTHS.get(h, 16), None)
        for r, row in enumerate(rows, start=1):
            v = row[c] if c < len(row) else None
            d = _date(v) if is_date else None
            if d is not None:
                ws.write_datetime(r, c, d, fmt)
            elif v is None or v == "":
                ws.write_blank(r, c, None, fmt)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v, fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v, fmt)
            else:
                ws.write_string(r, c, str(v), fmt)
    last = max(n, 1)
    ci = {h: i for i, h in enumerate(headers)}
    ws.data_validation(1, ci["Trạng thái"], last, ci["Trạng thái"], {
        "validate": "list", "source": list(schema.TASK_STATUS), "ignore_blank": True,
        "input_title": "Trạng thái", "input_message": "Chọn một trạng thái trong danh sách.",
        "error_title": "Giá trị không hợp lệ", "error_message": "Chỉ chọn trạng thái có trong danh sách."})
    ws.data_validation(1, ci["Ngày hoàn thành"], last, ci["Ngày hoàn thành"], {
        "validate": "date", "criteria": "between", "minimum": completion_window(plan_year)[0],
        "maximum": completion_window(plan_year)[1], "ignore_blank": True,
        "input_title": "Ngày hoàn thành", "input_message": "Nhập ngày dạng ngày/tháng/năm, ví dụ 05/02/2024.",
        "error_title": "Ngày không hợp lệ",
        "error_message": f"Nhập một ngày trong năm {plan_year - 1}–{plan_year + 1}."})
    ws.freeze_panes(1, 1)
    ws.protect(PROTECTION_PASSWORD, {"autofilter": True, "sort": False, "format_columns": True,
                                     "format_rows": True, "select_locked_cells": True,
                                     "select_unlocked_cells": True})
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def handout(path: str | os.PathLike, out_dir: str | os.PathLike, now: dt.datetime | None = None,
            progress=None) -> list[Path]:
    """Write one hand-out copy per group of the master at ``path`` into ``out_dir``.

    Returns the paths written, in the order groups first appear in the table. Existing files
    with the same names are replaced. File names are at most :data:`MAX_NAME_BYTES` bytes (a long group
    name is cut, with a hash that keeps two names apart). Either every copy is written or none: a full disk
    or a folder that cannot be written is a :class:`WorkbookError` in one sentence and leaves the folder as
    it was. Raises :class:`WorkbookError` too when the master has no task table or lacks a contract header.
    """

    master_path = Path(path)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise WorkbookError(f"'{out}' là một tệp, không phải thư mục; hãy chọn một thư mục để ghi các bản phát.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkbookError(describe_os_error(exc, "tạo thư mục")) from None
    master = _read_master(master_path)
    when = (now or dt.datetime.now()).replace(microsecond=0)
    gi = master.headers.index("Tổ/nhóm chuyên môn")
    groups: dict[str, list[list[object]]] = {}
    for row in master.rows:
        g = group_of(row[gi])
        if g:
            groups.setdefault(g, []).append(row)
    plans: list[tuple[str, list[list[object]], Path]] = []
    used: set[str] = set()
    for group, rows in groups.items():
        base = f"CCHC{master.plan_year}_{_common.ascii_slug(group)}"
        name, k = fit_name(base + ".xlsx", out, max_bytes=MAX_NAME_BYTES), 2
        while name.lower() in used:
            name, k = fit_name(f"{base}_{k}.xlsx", out, max_bytes=MAX_NAME_BYTES), k + 1
        used.add(name.lower())
        plans.append((group, rows, out / name))
    # every copy is written to a temporary file first (created exclusively beside it, never through a link);
    # only when all are written are they renamed, so a full disk or a refused folder leaves the folder as it was
    from ..io import nofollow

    try:
        with contextlib.ExitStack() as stack:
            temps = []
            for i, (group, rows, dest) in enumerate(plans):
                nofollow.remove_temps(dest)                 # what a killed hand-out left
                tmp = stack.enter_context(nofollow.temp_beside(dest))
                temps.append(tmp)
                _write_copy(tmp, master, group, rows, when)
                if progress:
                    progress((i + 1) / (len(plans) + 1), f"Đã tạo {dest.name}")
            for tmp in temps:
                tmp.commit()            # os.replace: a link planted under the copy's name is replaced, not followed
    except OSError as exc:
        raise WorkbookError(describe_os_error(exc) + " Chưa tạo bản phát nào.") from None
    if progress:
        progress(1.0, f"Đã tạo {len(plans)} bản phát")
    return [dest for _g, _r, dest in plans]
