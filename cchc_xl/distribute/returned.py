"""One returned copy, checked against the master before anything merges (used by :mod:`.consolidate`).

A copy is accepted or rejected AS A WHOLE; a rejection lists every reason, each naming the row (``dòng``)
and the column. What is checked, in order: the container (size, password, zip, decompression caps), macros,
the identity (custom properties AND the veryHidden ``_cchc`` sheet: plan, year, group, the hash of the ids
handed out), the tables and their headers, rows added/deleted/duplicated, tasks of another group, locked
columns changed versus the master, formulas or error values in editable cells, then the values:

* ``Trạng thái`` from the list, ``Ngày hoàn thành`` a date, not in the future;
* a text longer than one Excel cell holds (32,767 characters) — refused here, so that one group's copy
  never stops the others being merged;
* for every row the group changed (versus the hand-out baseline in ``_cchc``): the rule ``check`` applies
  to the master (:func:`cchc_xl.core.tasks.completion_problems`): a completion date needs the status
  ``Hoàn thành`` and lies in the plan year's window, ``Hoàn thành`` needs a date.

Every text is read through :func:`cchc_xl.core.text.clean_text` (NFC, zero-width characters and surrounding
spaces removed), so ``Hoàn thành`` pasted from a PDF (NFD) matches, and what is merged is NFC.

An accepted copy's proposals are whole rows: :attr:`FileReport.rows` maps ``(table, Mã)`` to the four
editable values of every row the group changed, and :attr:`FileReport.changes` lists the cells of those rows
that differ from the master.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..core import vnformat
from ..core.tasks import completion_problems
from ..core.text import cell_limit_problem, clean_text
from ..errors import CchcError
from ..io.inbox import MACRO_REASON, container_problem
from .handout import BASELINE_HEADER, EDITABLE, IDENTITY_KIND, IDENTITY_SHEET, group_of, prop_value, task_hash
from .master import baseline_text

__all__ = ["Change", "FileReport", "examine", "canon", "display", "short"]

_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


@dataclass
class Change:
    """One cell merged (or proposed) into the master; ``task`` is the row's ``Mã`` in ``table``
    (``tblNhiemVu``, or ``tblLanThucHien`` for an occurrence of a periodic task); ``when`` is the copy's
    arrival in the inbox."""

    file: str
    group: str
    task: str
    column: str
    old: object
    new: object
    when: dt.datetime | None = None
    table: str = schema.TASKS.table


@dataclass
class FileReport:
    name: str
    status: str  # accepted | rejected | skipped
    group: str = ""
    reasons: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    moved_to: Path | None = None
    when: dt.datetime | None = None  # the copy's own last save (core.xml modified): shown, never used to order
    path: Path | None = None
    arrived: dt.datetime | None = None   # when it reached the inbox (io.inbox.Arrivals): the order of copies
    rows: dict[tuple[str, str], dict[str, object]] = field(default_factory=dict)   # (table, Mã) -> the row
    filing: str = ""                # why the file could not be moved/annotated after the run, if so


def canon(v) -> str:
    """The canonical text of a value, to compare (dates as ISO, texts through ``clean_text``)."""
    return baseline_text(v)


def display(v) -> str:
    """A value as a person reads it (dates dd/mm/yyyy)."""
    if isinstance(v, (dt.date, dt.datetime)):
        return vnformat.date_vn(v)
    return "" if v is None else canon(v)


def short(text: str, limit: int = 60) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def identity_sheet(book) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """(identity keys → values, (Mã, column) → hand-out value) from the copy's ``_cchc`` sheet."""
    if IDENTITY_SHEET not in book.sheet_names():
        return {}, {}
    cells = book.sheet_values(IDENTITY_SHEET)
    max_row = max((r for r, _ in cells), default=0)
    ident: dict[str, str] = {}
    base: dict[tuple[str, str], str] = {}
    r = 1
    while cells.get((r, 1)) not in (None, ""):
        key = str(cells[(r, 1)])
        ident[key] = canon(cells.get((r, 2), ""))
        if key == "CCHC_DanhSachMa":
            v = cells.get((r, 2))
            ident["CCHC_DanhSachMa"] = str(v) if v is not None else ""
        r += 1
    while r <= max_row and canon(cells.get((r, 1))) != BASELINE_HEADER[0]:
        r += 1
    r += 1
    while r <= max_row:
        tid = canon(cells.get((r, 1)))
        col = canon(cells.get((r, 2)))
        if tid and col:
            base[(tid, col)] = canon(cells.get((r, 3)))
        r += 1
    return ident, base


def parse_date(v) -> tuple[dt.date | None, bool]:
    """(date, ok) for a ``Ngày hoàn thành`` value: a date cell, blank, or text dd/mm/yyyy / ISO."""
    if isinstance(v, str):
        v = clean_text(v)
    if v is None or v == "":
        return None, True
    if isinstance(v, dt.datetime):
        return v.date(), True
    if isinstance(v, dt.date):
        return v, True
    if isinstance(v, str):
        m = _DMY.match(v)
        try:
            if m:
                return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))), True
            return dt.date.fromisoformat(v), True
        except ValueError:
            return None, False
    return None, False


def examine(path: Path, data: bytes, mt, groups: set[str], today: dt.date, max_bytes: int) -> FileReport:
    """Check one copy (its bytes ``data``) against the master tasks ``mt`` (:func:`.master.master_tasks`);
    returns a report that is ``accepted`` with its proposed rows, or ``rejected`` with its reasons. Never
    raises for a bad file."""
    from ..io.file_book import FileBook
    from ..io.ooxml import MAX_COPY_UNZIPPED_BYTES

    rep = FileReport(path.name, "rejected")
    reasons = rep.reasons
    problem = container_problem(data, max_bytes)
    if problem:
        reasons.append(problem)
        return rep
    try:
        book = FileBook.from_bytes(data, path.name, max_total=MAX_COPY_UNZIPPED_BYTES)
    except CchcError as exc:
        reasons.append(str(exc).rstrip("."))
        return rep
    except Exception as exc:  # noqa: BLE001 - a hostile file must never stop the run
        reasons.append(f"tệp bị hỏng, không đọc được ({type(exc).__name__})")
        return rep
    try:
        _examine_book(book, path, rep, mt, groups, today)
    except CchcError as exc:
        reasons.append(str(exc).rstrip("."))
    except Exception as exc:  # noqa: BLE001
        reasons.append(f"tệp bị hỏng, không đọc được nội dung ({type(exc).__name__}: {short(str(exc), 200)})")
    if reasons:
        rep.status = "rejected"
        rep.changes.clear()
        rep.rows.clear()
    return rep


def _examine_book(book, path: Path, rep: FileReport, mt, groups: set[str], today: dt.date) -> None:
    reasons = rep.reasons
    if book.has_macros():
        reasons.append(MACRO_REASON)
        return
    props = {k: clean_text(v) for k, v in book.custom_properties().items()}
    ident, baseline = identity_sheet(book)
    if not ident or props.get("CCHC_Loai") != IDENTITY_KIND or ident.get("CCHC_Loai") != IDENTITY_KIND:
        reasons.append("tệp không phải bản phát cho tổ/nhóm (thiếu thông tin nhận dạng); hãy dùng đúng tệp "
                       "văn phòng đã gửi")
        return
    for k in ("CCHC_KeHoach", "CCHC_Nam", "CCHC_ToNhom", "CCHC_MaBam"):
        if canon(props.get(k)) != canon(prop_value(ident.get(k, ""))):
            reasons.append("thông tin nhận dạng của tệp không nhất quán (có thể đã bị sửa)")
            return
    group = group_of(ident.get("CCHC_ToNhom", ""))
    rep.group = group
    rep.when = book.modified()
    if ident.get("CCHC_KeHoach") != mt.plan_no or ident.get("CCHC_Nam") != str(mt.plan_year):
        reasons.append(f"tệp thuộc kế hoạch khác ({ident.get('CCHC_KeHoach')} năm {ident.get('CCHC_Nam')}; "
                       f"sổ chính là {mt.plan_no} năm {mt.plan_year})")
        return
    if group not in groups:
        reasons.append(f"tổ/nhóm '{group}' không có trong kế hoạch")
        return
    ids_handed = [i for i in ident.get("CCHC_DanhSachMa", "").split("\n") if i]
    occ_handed = [i for i in ident.get("CCHC_DanhSachLan", "").split("\n") if i]
    if task_hash(ids_handed + occ_handed) != ident.get("CCHC_MaBam"):
        reasons.append("danh sách nhiệm vụ trong thông tin nhận dạng đã bị sửa")
        return
    _compare_table(book, schema.TASKS, mt, ids_handed, rep, baseline, today, "nhiệm vụ",
                   lambda vals: group_of(vals.get("Tổ/nhóm chuyên môn")) == group)
    if occ_handed and not reasons:
        if mt.occurrences is None:
            reasons.append(f"sổ chính không có bảng '{schema.OCCURRENCES.table}' các lần thực hiện nhiệm vụ định kỳ")
        else:
            handed = set(ids_handed)
            _compare_table(book, schema.OCCURRENCES, mt.occurrences, occ_handed, rep, baseline, today,
                           "lần thực hiện", lambda vals: canon(vals.get("Mã nhiệm vụ")) in handed)
    if not reasons:
        rep.status = "accepted"


def _compare_table(book, spec, mt, ids_handed: list[str], rep: FileReport, baseline: dict[tuple[str, str], str],
                   today: dt.date, label: str, belongs) -> None:
    """Check the copy's table ``spec`` against the master rows ``mt`` (rows handed out: ``ids_handed``;
    ``belongs(master values)`` says a row is the group's); add the rows the group changed to ``rep.rows`` and
    their differences from the master to ``rep.changes``, or the reasons to ``rep.reasons``."""
    reasons = rep.reasons
    td = book.read_table(spec.sheet, spec.table)
    if td is None:
        reasons.append(f"không tìm thấy bảng '{spec.table}' trên trang '{spec.sheet}' (đã đổi tên hoặc xóa)")
        return
    if list(td.headers) != list(mt.headers):
        diff = [f"'{a}' → '{b}'" for a, b in zip(mt.headers, td.headers) if a != b]
        more = "" if len(td.headers) == len(mt.headers) else f" (số cột {len(td.headers)}, cần {len(mt.headers)})"
        reasons.append("tiêu đề cột đã bị thay đổi: " + (", ".join(diff) or "thứ tự/số cột") + more)
        return
    hi = {h: i for i, h in enumerate(td.headers)}
    seen: dict[str, int] = {}
    rows = []
    for i, r in enumerate(td.rows):
        excel_row = td.first_row + i
        vals = {h: r[hi[h]] for h in td.headers}
        tid = canon(vals["Mã"].value)
        if not tid:
            if any(c.value not in (None, "") for c in r):
                reasons.append(f"dòng {excel_row}: có dòng thêm không có 'Mã'")
            continue
        if tid in seen:
            reasons.append(f"dòng {excel_row}: {label} '{tid}' bị lặp (dòng {seen[tid]})")
            continue
        seen[tid] = excel_row
        rows.append((excel_row, tid, vals))
    handed = set(ids_handed)
    extra = [t for t in seen if t not in handed]
    missing = [t for t in ids_handed if t not in seen]
    if extra:
        reasons.append("có dòng thêm không thuộc bản phát: " + ", ".join(extra))
    if missing:
        reasons.append("thiếu dòng (đã bị xóa): " + ", ".join(missing))
    if reasons:
        return
    for excel_row, tid, vals in rows:
        _check_row(spec, mt, rep, baseline, today, label, belongs, excel_row, tid, vals)


def _check_row(spec, mt, rep: FileReport, baseline, today: dt.date, label: str, belongs, excel_row: int,
               tid: str, vals: dict) -> None:
    reasons = rep.reasons
    where = f"{label} {tid} (dòng {excel_row})"
    m = mt.rows.get(tid)
    if m is None:
        reasons.append(f"{where}: không có trong sổ chính")
        return
    if not belongs(m[1]):
        reasons.append(f"{where}: không thuộc tổ/nhóm '{rep.group}'")
        return
    n_before = len(reasons)
    for h in vals:
        if h in EDITABLE or h in spec.computed:
            continue
        if canon(vals[h].value) != canon(m[1].get(h)):
            reasons.append(f"{where}: cột '{h}' bị khóa nhưng đã bị sửa")
    for h in EDITABLE:
        cell = vals[h]
        if cell.formula:
            reasons.append(f"{where}: cột '{h}' chứa công thức; hãy nhập giá trị")
        elif cell.error:
            reasons.append(f"{where}: cột '{h}' có giá trị lỗi {cell.error}")
        else:
            problem = cell_limit_problem(cell.value)
            if problem:
                reasons.append(f"{where}, cột '{h}': {problem}")
    status_t = clean_text(canon(vals["Trạng thái"].value), single_line=True)
    if status_t and status_t not in schema.TASK_STATUS:
        reasons.append(f"{where}: 'Trạng thái' = '{short(status_t)}' không có trong danh sách "
                       f"({', '.join(schema.TASK_STATUS)})")
    done, ok = parse_date(vals["Ngày hoàn thành"].value)
    if not ok:
        reasons.append(f"{where}: 'Ngày hoàn thành' = '{short(canon(vals['Ngày hoàn thành'].value))}' không phải "
                       "là ngày (dd/mm/yyyy)")
    elif done is not None and done > today:
        reasons.append(f"{where}: 'Ngày hoàn thành' {vnformat.date_vn(done)} ở tương lai")
    elif status_t == "Hoàn thành" and done is None:
        reasons.append(f"{where}: trạng thái 'Hoàn thành' cần có 'Ngày hoàn thành'")
    if len(reasons) > n_before:
        return
    new_vals = {"Trạng thái": status_t or None, "Ngày hoàn thành": done,
                "Minh chứng": _text_or_none(vals["Minh chứng"].value),
                "Ghi chú": _text_or_none(vals["Ghi chú"].value)}
    changed = [h for h, new in new_vals.items()
               if baseline.get((tid, h)) is None or canon(new) != baseline[(tid, h)]]
    if not changed:
        return          # the group did not touch this row since hand-out
    # a row the group changed is validated as `check` validates the master, then proposed whole
    for column, message in completion_problems(schema.TASK_STATUS.get(status_t), done, mt.plan_year):
        reasons.append(f"{where}, cột '{column}': {message}")
    if len(reasons) > n_before:
        return
    rep.rows[(spec.table, tid)] = new_vals
    for h, new in new_vals.items():
        old = m[1].get(h)
        if canon(new) != canon(old):
            rep.changes.append(Change(rep.name, rep.group, tid, h, old, new, table=spec.table))


def _text_or_none(v):
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return display(v)
    s = clean_text(str(v))
    return s or None
