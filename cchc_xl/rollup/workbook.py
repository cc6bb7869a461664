"""The Sở's roll-up workbook, written with XlsxWriter from a :class:`~cchc_xl.rollup.aggregate.Rollup`.

Sheets: ``Tổng hợp`` (reporting status, city figures beside the same period of the previous year on the same
units, three charts), ``Báo cáo`` (the printable NĐ 30 page, :mod:`.summary_page`), then one Excel table per
topic — :data:`SHEETS` — each with a title, the period, a note saying how its columns add up and how each
rate is computed, filters, frozen headers and real number formats (``#,##0`` counts, ``0.00%`` rates,
``dd/mm/yyyy`` dates: Excel shows them with the viewer's Vietnamese separators). Printed, each table sheet is
A4 landscape fitted to the page width, its header row repeated on every page, the sheet's title at the top
and ``Trang n/m`` at the foot; header and text row heights are computed from the text
(:mod:`cchc_xl.report.textmetrics`), since neither Excel nor LibreOffice fits them.

No formulas: every figure is a value, every text is written as a string (``write_string``: a school's name
``{=HYPERLINK(…)}`` stays text). The tables whose size follows the number of units or files are written row
by row in XlsxWriter's ``constant_memory`` mode and streamed from the database, so memory does not grow with
them; a stored value that a cell cannot hold (a text over 32,767 characters, a number that is not finite) is
left blank and reported. Written to a temporary file beside the target and renamed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..core.vocabulary import TaskFlag
from .aggregate import CLASSES, class_label, rate_key_of
from .cells import SIZE, CellWriter, col_pt, print_setup, row_height, streamed_sheet_class, text_lines

__all__ = ["write_rollup_workbook", "SHEETS"]

SHEETS = ("Tổng hợp", "Báo cáo", "Nhiệm vụ", "Hồ sơ TTHC", "Tỷ lệ hồ sơ", "Chỉ tiêu", "Chỉ tiêu toàn ngành",
          "Xếp hạng", "Chưa báo cáo, nộp muộn", "Tệp đã nhận")
_STYLE = "Table Style Medium 2"


@dataclass(frozen=True)
class Col:
    """One column of a table sheet: header, the record key, kind (text | count | rate | date | datetime | bool),
    width in characters."""

    header: str
    key: str
    kind: str
    width: float


def _unit_cols() -> list[Col]:
    return [Col("Mã định danh", "unit_code", "text", 15), Col("Đơn vị", "unit_name", "text", 26)]


# The flags that add up to the tasks to carry out, one column each; not_done is counted apart.
_ACTIVE_FLAGS = tuple(f for f in TaskFlag if f is not TaskFlag.NOT_DONE)


def _task_cols(year: int) -> list[Col]:
    return _unit_cols() + [
        Col("Số nhiệm vụ phải thực hiện", "tasks.active", "count", 8),
        *(Col(f.label, f"tasks.{f}", "count", 7.5) for f in _ACTIVE_FLAGS),
        Col("Không thực hiện (tính riêng)", f"tasks.{TaskFlag.NOT_DONE}", "count", 8),
        Col("Tỷ lệ hoàn thành", "rates.task_completion", "rate", 8.5),
        Col(f"Tỷ lệ hoàn thành cùng kỳ năm {year - 1}", "previous:rates.task_completion", "rate", 8.5),
        Col("Mẫu số CT2 (đến hạn hoặc đã xong)", "tasks.ct2_due", "count", 8.5),
        Col("Tử số CT2 (xong đúng hạn)", "tasks.ct2_done", "count", 8.5),
        Col("Tỷ lệ đúng hạn (CT2)", "rates.ct2", "rate", 8.5),
        Col(f"CT2 cùng kỳ năm {year - 1}", "previous:rates.ct2", "rate", 8.5),
        Col("Hạng tiến độ", "rank_tasks", "rank", 6.5),
    ]


_TASK_NOTE = ("Số nhiệm vụ phải thực hiện = Hoàn thành đúng hạn + Hoàn thành trễ hạn + Quá hạn + Chưa hoàn thành + "
              "Sắp đến hạn + Trong hạn + Chưa xác định hạn; nhiệm vụ 'Không thực hiện' tính riêng. Tỷ lệ hoàn thành = "
              "(Hoàn thành đúng hạn + Hoàn thành trễ hạn) / Số nhiệm vụ phải thực hiện. CT2 = Tử số / Mẫu số CT2, đếm "
              "mỗi nhiệm vụ không định kỳ và mỗi lần thực hiện nhiệm vụ định kỳ một lần: mẫu số là số đã đến hạn hoặc "
              "đã hoàn thành (chưa đến hạn mà chưa xong không tính), tử số là số hoàn thành đúng hạn. Cùng kỳ năm "
              "trước: của chính đơn vị đó. Hạng tiến độ: theo tỷ lệ hoàn thành, cao hơn đứng trước.")


def _dossier_cols() -> list[Col]:
    w = 6.5
    return _unit_cols() + [
        Col("Tổng số hồ sơ", "dossiers.total", "count", 7), Col("Kỳ trước chuyển sang", "dossiers.carried_over",
                                                                "count", w),
        Col("Mới tiếp nhận", "dossiers.received_new", "count", w), Col("Trực tuyến", "dossiers.online_new", "count", w),
        Col("Trực tiếp", "dossiers.direct_new", "count", w), Col("Bưu chính", "dossiers.post_new", "count", w),
        Col("Đã giải quyết", "dossiers.resolved", "count", w), Col("Trước hạn", "dossiers.early", "count", w),
        Col("Đúng hạn", "dossiers.on_time", "count", w), Col("Trễ hạn", "dossiers.late", "count", w),
        Col("Đang giải quyết trong hạn", "dossiers.pending_not_due", "count", 7.5),
        Col("Đang giải quyết quá hạn", "dossiers.pending_overdue", "count", 7.5),
        Col("Chờ bổ sung", "dossiers.waiting", "count", w), Col("Rút hồ sơ", "dossiers.withdrawn", "count", w),
        Col("Từ chối (không tính hạn)", "dossiers.refused_untimed", "count", 7.5),
    ]


_DOSSIER_NOTE = ("Tổng số hồ sơ = Kỳ trước chuyển sang + Mới tiếp nhận = Đã giải quyết + Đang giải quyết trong hạn + "
                 "Đang giải quyết quá hạn + Chờ bổ sung + Rút hồ sơ + Từ chối; Mới tiếp nhận = Trực tuyến + Trực tiếp "
                 "+ Bưu chính; Đã giải quyết = Trước hạn + Đúng hạn + Trễ hạn. Các tỷ lệ: trang 'Tỷ lệ hồ sơ'.")


def _dossier_rate_cols(year: int) -> list[Col]:
    return _unit_cols() + [
        Col("Đã giải quyết", "dossiers.resolved", "count", 8),
        Col("Tỷ lệ trước hạn và đúng hạn", "rates.early_or_on_time", "rate", 9.5),
        Col(f"Cùng kỳ năm {year - 1}", "previous:rates.early_or_on_time", "rate", 9),
        Col("Tỷ lệ trước hạn", "rates.early", "rate", 9), Col("Tỷ lệ nộp trực tuyến", "rates.online", "rate", 9),
        Col("Tỷ lệ kết quả số hóa", "rates.digitised", "rate", 9),
        Col("Tỷ lệ hài lòng", "rates.satisfaction", "rate", 9),
        Col("Cách tính hài lòng", "satisfaction_measure", "text", 10),
        Col("Hạng giải quyết hồ sơ", "rank_dossiers", "rank", 8),
    ]


_DOSSIER_RATE_NOTE = ("Tỷ lệ trước hạn và đúng hạn = (Trước hạn + Đúng hạn) / Đã giải quyết; tỷ lệ trước hạn = Trước "
                      "hạn / Đã giải quyết; tỷ lệ nộp trực tuyến = Trực tuyến / Mới tiếp nhận; tỷ lệ số hóa = hồ sơ có "
                      "kết quả số hóa / Đã giải quyết; hài lòng theo cách tính của đơn vị (QĐ 766: (hồ sơ xem xét − "
                      "không hài lòng hoặc có phản ánh) / hồ sơ xem xét; Khảo sát: hài lòng / được đánh giá). Hạng: "
                      "theo tỷ lệ trước hạn và đúng hạn, cao hơn đứng trước.")


def _indicator_cols(data) -> list[Col]:
    """The unit's assessment of every indicator (one column per code), then the results entered by hand (no rate
    to recompute: CT1, codes the engine does not know)."""
    codes = list(data.indicator_summary["code"])
    return _unit_cols() + [Col(code, f"status:{code}", "text", 9.5) for code in codes] + [
        Col(f"{code}: kết quả đơn vị tự ghi", f"actual:{code}", "text", 22)
        for code in codes if rate_key_of(str(code)) is None]


def _summary_cols(period_key: str) -> list[Col]:
    w = 7.5
    return [Col("Mã", "code", "text", 6.5), Col("Chỉ tiêu", "name", "text", 34), Col("So sánh", "op", "text", 6),
            Col("Ngưỡng", "threshold", "rate", 8), Col("Toàn ngành", "city_value", "rate", 8.5),
            Col("Đánh giá toàn ngành", "city_status", "text", 9)] + [
        Col(f"Số đơn vị: {class_label(c, period_key)}", c, "count", w) for c in CLASSES] + [
        Col("Số đơn vị đã báo cáo", "units", "count", w), Col("Tỷ lệ đơn vị đạt", "share_met", "rate", 8)]


def _rank_cols(period_key: str) -> list[Col]:
    return [Col("Hạng", "rank", "rank", 7)] + _unit_cols() + [
        Col("Tỷ lệ chỉ tiêu đạt", "share_met", "rate", 9), Col("Số chỉ tiêu đạt", "met", "count", 8),
        Col(f"Số chỉ tiêu {class_label('not_met', period_key).lower()}", "not_met", "count", 8.5),
        Col("Tỷ lệ hồ sơ trước hạn và đúng hạn", "rates.early_or_on_time", "rate", 10),
        Col("Tỷ lệ nhiệm vụ hoàn thành", "rates.task_completion", "rate", 10), Col("Nộp muộn", "late", "bool", 7)]


_STATUS_COLS = [Col("Mã định danh", "unit_code", "text", 15), Col("Đơn vị", "unit_name", "text", 32),
                Col("Tình trạng", "status", "text", 20), Col("Thời điểm nhận", "arrived", "datetime", 15),
                Col("Số ngày muộn", "days_late", "count", 8), Col("Ghi chú", "note", "text", 40)]
_FILE_COLS = [Col("Tệp", "file_name", "text", 34), Col("Thời điểm nhận", "arrived_at", "datetime", 15),
              Col("Thời điểm kiểm tra", "seen_at", "datetime", 15), Col("Kết quả", "outcome", "text", 10),
              Col("Mã định danh", "unit_code", "text", 15), Col("Lý do từ chối, ghi chú", "reason", "text", 52),
              Col("Mã băm SHA-256 (16 ký tự đầu)", "sha256", "text", 18)]
_CITY_ROWS = [
    ("Số nhiệm vụ phải thực hiện", "tasks.active", "count"),
    (TaskFlag.DONE_ON_TIME.label, f"tasks.{TaskFlag.DONE_ON_TIME}", "count"),
    (TaskFlag.DONE_LATE.label, f"tasks.{TaskFlag.DONE_LATE}", "count"),
    ("Nhiệm vụ quá hạn", f"tasks.{TaskFlag.OVERDUE}", "count"),
    ("Chưa hoàn thành (đến hạn cuối năm)", f"tasks.{TaskFlag.UNFINISHED}", "count"),
    ("Chưa đến hạn (sắp đến hạn, trong hạn, chưa xác định hạn)", "tasks.not_yet_due", "count"),
    ("Tỷ lệ nhiệm vụ hoàn thành", "rates.task_completion", "rate"),
    ("Số nhiệm vụ, lần thực hiện đã đến hạn hoặc đã hoàn thành (mẫu số CT2)", "tasks.ct2_due", "count"),
    ("Số nhiệm vụ, lần thực hiện hoàn thành đúng hạn (tử số CT2)", "tasks.ct2_done", "count"),
    ("Tỷ lệ nhiệm vụ hoàn thành đúng hạn (CT2)", "rates.ct2", "rate"),
    ("Tổng số hồ sơ TTHC", "dossiers.total", "count"), ("Hồ sơ mới tiếp nhận", "dossiers.received_new", "count"),
    ("Hồ sơ nộp trực tuyến", "dossiers.online_new", "count"), ("Hồ sơ đã giải quyết", "dossiers.resolved", "count"),
    ("Giải quyết trước hạn", "dossiers.early", "count"), ("Giải quyết đúng hạn", "dossiers.on_time", "count"),
    ("Giải quyết trễ hạn", "dossiers.late", "count"), ("Đang giải quyết quá hạn", "dossiers.pending_overdue", "count"),
    ("Tỷ lệ giải quyết trước hạn và đúng hạn", "rates.early_or_on_time", "rate"),
    ("Tỷ lệ hồ sơ trực tuyến", "rates.online", "rate"), ("Tỷ lệ kết quả số hóa", "rates.digitised", "rate"),
    ("Tỷ lệ hài lòng (QĐ 766)", "rates.satisfaction_qd766", "rate"),
    ("Tỷ lệ hài lòng (khảo sát)", "rates.satisfaction_survey", "rate"),
]
_HISTORY_RATES = ("rates.task_completion", "rates.ct2", "rates.early_or_on_time", "rates.online", "rates.digitised")


def _table_sheet(wb, w: CellWriter, name: str, table: str, title: str, note: str, columns: list[Col],
                 rows: Iterable, n: int, data, measured: dict) -> None:
    """A titled table sheet written row by row (``constant_memory``): title, note, table, print setup. ``rows``
    gives each row as a sequence aligned with ``columns``; ``measured`` keeps the lines a text takes in a width."""
    ws = wb.add_worksheet(name, worksheet_class=streamed_sheet_class())
    last = len(columns) - 1
    for c, col in enumerate(columns):
        ws.set_column(c, c, col.width)
    total_pt = sum(col_pt(col.width) for col in columns)
    ws.set_row(0, 21)
    ws.write_string(0, 0, title, w.title)
    ws.set_row(1, row_height(text_lines(note, total_pt, 10), 10))
    ws.merge_range(1, 0, 1, last, None, w.note)
    ws.write_string(1, 0, note, w.note)
    head = 3
    ws.set_row(head, row_height(max(text_lines(col.header, col_pt(col.width), SIZE, True) for col in columns), SIZE, 4))
    ws.add_table(head, 0, head + max(n, 1), last, {
        "name": table, "style": _STYLE, "autofilter": True,
        "columns": [{"header": col.header, "header_format": w.head} for col in columns]})
    # per text column: the lines each distinct text takes in that column's width (unit names, statuses)
    texts = [(c, measured.setdefault(col_pt(col.width), {}), col_pt(col.width)) for c, col in enumerate(columns)
             if col.kind == "text"]
    writers = list(enumerate(w.column_writer(col.kind, ws) for col in columns))
    r = head
    for row in rows:
        r += 1
        need = 1
        for c, lines_of, width in texts:
            value = row[c]
            if value.__class__ is str and value:
                lines = lines_of.get(value)
                if lines is None:
                    lines = text_lines(value, width, SIZE)
                    if len(lines_of) < 200_000:
                        lines_of[value] = lines
                if lines > need:
                    need = lines
        if need > 1:
            ws.set_row(r, row_height(min(need, 40), SIZE))
        for c, write in writers:
            write(r, c, row[c])
    ws.freeze_panes(head + 1, 2 if columns[0].key == "unit_code" or columns[1].key == "unit_code" else 1)
    print_setup(ws, head, f"{title} — {data.label}")


def _aligned(records: Iterable[dict], columns: list[Col]) -> Iterable[list]:
    keys = [col.key for col in columns]
    for rec in records:
        yield [rec.get(k) for k in keys]


def _unit_rows(data, columns: list[Col], order=None) -> Iterable[tuple]:
    """The units' rows one at a time, as tuples aligned with ``columns`` (never all of them at once)."""
    frame = data.units.reset_index()
    for col in columns:
        if col.key not in frame:
            frame[col.key] = None
    frame = frame[[col.key for col in columns]]
    if order is not None:
        frame = frame.iloc[order]
    ints = [c for c, t in frame.dtypes.items() if t.kind in "iub"]
    frame = frame.astype({c: float for c in ints if not c == "late"})   # numpy integers are not ints
    yield from frame.itertuples(index=False, name=None)


def _status_records(data) -> list[dict]:
    return data.status.to_dict("records")


def _file_records(rows: Iterable[dict]) -> Iterable[dict]:
    outcome = {"accepted": "Chấp nhận", "rejected": "Từ chối"}
    for f in rows:
        reason = f.get("reason") or ""
        note = f.get("note") or ""
        yield {**f, "outcome": outcome.get(f["outcome"], f["outcome"]),
               "reason": "; ".join(x for x in (reason, note) if x), "sha256": (f.get("sha256") or "")[:16]}


def _summary_sheet(wb, w: CellWriter, data, made_at: dt.datetime) -> None:
    from .overview import write_overview

    write_overview(wb, w, data, made_at, _CITY_ROWS, _HISTORY_RATES)


def _report_sheet(wb, data, options) -> None:
    from .summary_page import write_summary_page

    write_summary_page(wb, SHEETS[1], data, options)


def write_rollup_workbook(data, out: str | os.PathLike, options, made_at: dt.datetime) -> Path:
    """Write the Sở's workbook of ``data`` to ``out``: into a new temporary file beside it, renamed over ``out``
    (:func:`cchc_xl.io.nofollow.temp_beside`: created exclusively, never through a link; a link planted at ``out``
    is replaced, not written through; what a killed run left there is removed first). What could not be written
    into a cell is added to ``data.warnings``."""
    import xlsxwriter

    from ..io.nofollow import remove_temps, temp_beside
    from ..report.frame import DEFAULT_FONT

    out = Path(out)
    remove_temps(out)
    with temp_beside(out, mode=0o644) as tmp:
        with tmp.file() as fh:
            wb = xlsxwriter.Workbook(fh, {"strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False, "tmpdir": str(out.parent),
                                          "default_format_properties": dict(DEFAULT_FONT)})
            _write_sheets(wb, data, options, made_at)
            wb.close()
        tmp.commit()
    return out


def _write_sheets(wb, data, options, made_at: dt.datetime) -> None:
    """Every sheet of :data:`SHEETS` into the open workbook ``wb``."""
    wb.set_properties({"title": f"Tổng hợp báo cáo CCHC {data.label}", "author": options.issuer or "cchc-xl",
                       "company": options.issuer, "comments": "Lập bởi cchc-xl rollup", "created": made_at})
    w = CellWriter(wb, data.warnings)
    _summary_sheet(wb, w, data, made_at)
    _report_sheet(wb, data, options)
    n_units, period_key, year = len(data.units), data.period.key, data.year
    order = data.units["rank_order"].to_numpy().argsort(kind="stable") if n_units else None
    task_cols, dossier_cols, rate_cols = _task_cols(year), _dossier_cols(), _dossier_rate_cols(year)
    indicator_cols, rank_cols = _indicator_cols(data), _rank_cols(period_key)
    sheets = (
        (SHEETS[2], "tblNhiemVuDonVi", "Tiến độ thực hiện nhiệm vụ CCHC của các đơn vị", _TASK_NOTE,
         task_cols, _unit_rows(data, task_cols), n_units),
        (SHEETS[3], "tblHoSoDonVi", "Tình hình tiếp nhận, giải quyết hồ sơ TTHC của các đơn vị", _DOSSIER_NOTE,
         dossier_cols, _unit_rows(data, dossier_cols), n_units),
        (SHEETS[4], "tblTyLeHoSoDonVi", "Các tỷ lệ giải quyết hồ sơ TTHC của các đơn vị", _DOSSIER_RATE_NOTE,
         rate_cols, _unit_rows(data, rate_cols), n_units),
        (SHEETS[5], "tblChiTieuDonVi", "Đánh giá các chỉ tiêu của từng đơn vị",
         "Mỗi cột một chỉ tiêu: đánh giá do đơn vị tự tính và gửi trong tệp báo cáo (tỷ lệ của đơn vị: trang "
         "'Nhiệm vụ', 'Tỷ lệ hồ sơ'). Tên chỉ tiêu, ngưỡng, cách tính và số đơn vị theo từng mức đánh giá: trang "
         "'Chỉ tiêu toàn ngành'.", indicator_cols, _aligned(data.indicator_rows(), indicator_cols), n_units),
        (SHEETS[6], "tblChiTieuToanNganh", "Kết quả các chỉ tiêu chủ yếu toàn ngành",
         _summary_note(data), _summary_cols(period_key),
         _aligned(data.indicator_summary.to_dict("records"), _summary_cols(period_key)),
         len(data.indicator_summary)),
        (SHEETS[7], "tblXepHang", "Xếp hạng các đơn vị", _rank_note(period_key), rank_cols,
         _unit_rows(data, rank_cols, order), n_units),
        (SHEETS[8], "tblChuaBaoCaoNopMuon", "Đơn vị chưa báo cáo, nộp muộn và các trường hợp cần xem lại",
         f"Hạn gửi báo cáo: {data.deadline:%d/%m/%Y}; đơn vị nộp muộn khi tệp đầu tiên được tính của đơn vị đến sau "
         "ngày đó. Đơn vị không có trong danh sách đơn vị không được tính vào tổng hợp.", _STATUS_COLS,
         _aligned(_status_records(data), _STATUS_COLS), len(data.status)),
        (SHEETS[9], "tblTepDaNhan", "Các tệp đã nhận của kỳ báo cáo",
         "Mọi tệp của kỳ này đã được kiểm tra: tệp được chấp nhận, và tệp bị từ chối trong các lần tổng hợp kỳ này "
         "(đã chuyển vào thư mục 'rejected' kèm tệp lý do).", _FILE_COLS,
         _aligned(_file_records(data.file_rows()), _FILE_COLS), data.file_count),
    )
    measured: dict = {}     # the lines of a text in a column width, shared by the sheets (unit names)
    for name, table, title, note, cols, rows, n in sheets:
        _table_sheet(wb, w, name, table, title, note, cols, rows, n, data, measured)
    w.finish()


def _summary_note(data) -> str:
    return (f"Mỗi đơn vị đã báo cáo thuộc đúng một mức đánh giá của từng chỉ tiêu; cộng các cột 'Số đơn vị' bằng số "
            f"đơn vị đã báo cáo. '{class_label('not_met', data.period.key)}' là chỉ tiêu chưa đạt ngưỡng"
            + (" tại thời điểm báo cáo (trước báo cáo năm)" if not data.final else "")
            + ". Toàn ngành: tính lại từ tổng các số đếm của các đơn vị (không lấy trung bình tỷ lệ), đánh giá theo "
              "ngưỡng. Tỷ lệ đơn vị đạt = Đạt / (Đạt + " + class_label("not_met", data.period.key) + ").")


def _rank_note(period_key: str) -> str:
    return ("Xếp hạng theo: tỷ lệ chỉ tiêu đạt (Đạt / (Đạt + " + class_label("not_met", period_key) + ")), rồi tỷ lệ "
            "hồ sơ giải quyết trước hạn và đúng hạn, rồi tỷ lệ nhiệm vụ hoàn thành; cao hơn đứng trước, bằng nhau cùng "
            "hạng, đơn vị chưa có số liệu xếp cuối.")
