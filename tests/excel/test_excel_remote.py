"""XwBook and the ribbon entry points driven through xlwings' remote engine (xw.Book(json=payload))."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
from pathlib import Path

import pytest
import xlsxwriter

from cchc_xl import schema
from cchc_xl.excel import entry
from cchc_xl.excel.xw_book import XwBook
from cchc_xl.io.file_book import FileBook

from remote import build_payload, decode, run_remote, sheet_values, table_ref

REPO = Path(__file__).resolve().parents[2]


def _norm(v):
    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
        return v.date()
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if v == "":
        return None
    return v


def _table_file(path: Path, n: int) -> Path:
    """A real .xlsx with one table 'tblTest' of n rows (text, number, date, empty computed column)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Dữ liệu")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_row(0, 0, ["Mã", "Số", "Ngày", "Kết quả"])
    for i in range(n):
        ws.write_string(i + 1, 0, f"HS-{i:05d}")
        ws.write_number(i + 1, 1, i * 1.5)
        ws.write_datetime(i + 1, 2, dt.datetime(2024, 1, 1) + dt.timedelta(days=i % 300), date_fmt)
    ws.write_formula(n + 3, 0, "=1/0", None, "#DIV/0!")
    ws.add_table(0, 0, n, 3, {"name": "tblTest", "columns": [{"header": h} for h in
                                                            ("Mã", "Số", "Ngày", "Kết quả")]})
    wb.close()
    return path


def test_payload_has_the_client_shape(tmp_path):
    p = build_payload(_table_file(tmp_path / "t.xlsx", 3))
    assert p["client"] == "VBA" and p["version"] == __import__("xlwings").__version__
    assert set(p["book"]) == {"name", "active_sheet_index", "selection"}
    sheet = p["sheets"][0]
    assert sheet["name"] == "Dữ liệu" and sheet["pictures"] == []
    assert sheet["tables"][0]["range_address"] == "$A$1:$D$4"
    assert sheet["tables"][0]["data_body_range_address"] == "$A$2:$D$4"
    assert sheet["values"][1][:3] == ["HS-00000", 0, "2024-01-01T00:00:00.000Z"]
    assert sheet["values"][6][0] == "#DIV/0!"


def test_read_table_is_one_read_and_matches_the_file(tmp_path):
    path = _table_file(tmp_path / "t.xlsx", 5)

    def work(book):
        xb = XwBook(book)
        return xb.read_table("Dữ liệu", "tblTest"), xb

    (td, xb), actions, _ = run_remote(build_payload(path), work)
    assert xb.reads == 1 and actions == []
    assert td.headers == ["Mã", "Số", "Ngày", "Kết quả"] and td.first_row == 2 and len(td.rows) == 5
    assert [c.value for c in td.rows[2]] == ["HS-00002", 3, dt.datetime(2024, 1, 3), None]
    assert XwBook(None).read_table.__doc__  # documented seam


def test_read_table_matches_file_book_on_the_built_workbook(excel_workbook):
    fb = FileBook.open(excel_workbook)

    def work(book):
        xb = XwBook(book)
        return {spec.table: xb.read_table(spec.sheet, spec.table) for spec in schema.TABLES}

    tables, _, _ = run_remote(build_payload(excel_workbook), work)
    for spec in schema.TABLES:
        ft, xt = fb.read_table(spec.sheet, spec.table), tables[spec.table]
        assert xt.headers == ft.headers and xt.first_row == ft.first_row, spec.table
        assert [[_norm(c.value) for c in r] for r in xt.rows] == [[_norm(c.value) for c in r] for r in ft.rows], \
            spec.table


def test_missing_table_reads_as_none(tmp_path):
    path = _table_file(tmp_path / "t.xlsx", 2)
    result, _, _ = run_remote(build_payload(path), lambda b: (XwBook(b).read_table("Dữ liệu", "tblKhac"),
                                                              XwBook(b).read_table("Không có", "tblTest")))
    assert result == (None, None)


def test_write_column_is_one_write_and_lands_in_the_cells(tmp_path):
    path = _table_file(tmp_path / "t.xlsx", 4)

    def work(book):
        xb = XwBook(book)
        xb.write_column("Dữ liệu", "tblTest", "Kết quả", ["Đúng hạn", None, dt.date(2024, 3, 5), 7])
        return xb

    xb, actions, after = run_remote(build_payload(path), work)
    assert xb.writes == 1 and [a["func"] for a in actions] == ["setValues"]
    cells = sheet_values(after, "Dữ liệu")
    assert [cells.get((r, 4)) for r in range(2, 6)] == ["Đúng hạn", None, dt.datetime(2024, 3, 5), 7]
    assert cells[(2, 1)] == "HS-00000"  # neighbours untouched


def test_write_column_grows_the_table(tmp_path):
    path = _table_file(tmp_path / "t.xlsx", 2)

    def work(book):
        xb = XwBook(book)
        xb.write_column("Dữ liệu", "tblTest", "Mã", ["A", "B", "C", "D"])
        return xb.read_table("Dữ liệu", "tblTest")

    td, actions, after = run_remote(build_payload(path), work)
    assert [a["func"] for a in actions] == ["resizeTable", "setValues"]
    assert table_ref(after, "tblTest")[1] == (1, 1, 5, 4)
    assert [r[0].value for r in td.rows] == ["A", "B", "C", "D"]  # the adapter's cache sees its writes


def test_unknown_header_is_a_vietnamese_workbook_error(tmp_path):
    from cchc_xl.errors import WorkbookError

    path = _table_file(tmp_path / "t.xlsx", 2)
    with pytest.raises(WorkbookError, match="thiếu cột 'Không có'"):
        run_remote(build_payload(path), lambda b: XwBook(b).write_column("Dữ liệu", "tblTest", "Không có", [1]))


def test_call_count_does_not_grow_with_rows_table(tmp_path):
    counts = {}
    for n in (100, 1000):
        path = _table_file(tmp_path / f"t{n}.xlsx", n)

        def work(book):
            xb = XwBook(book)
            td = xb.read_table("Dữ liệu", "tblTest")
            xb.write_column("Dữ liệu", "tblTest", "Kết quả", [r[0].value for r in td.rows])
            return (xb.calls, xb.reads, xb.writes)

        counts[n], _, after = run_remote(build_payload(path), work)
        assert sheet_values(after, "Dữ liệu")[(n + 1, 4)] == f"HS-{n - 1:05d}"
    assert counts[100] == counts[1000]
    assert counts[100][1:] == (1, 1)  # one read, one write


def _bench_module():
    spec = importlib.util.spec_from_file_location("cchc_bench", REPO / "scripts" / "bench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_engine_call_count_equal_for_100_and_1000_dossiers(excel_workbook, tmp_path):
    bench = _bench_module()
    counts = {}
    for n in (100, 1000):
        path = bench.make_workbook(tmp_path / f"w{n}.xlsm", dossiers=n, tasks=50, source=excel_workbook)
        payload = build_payload(path)

        def work(book):
            from cchc_xl import engine

            xb = XwBook(book)
            engine.refresh_book(xb, progress=xb.progress)
            return (xb.calls, xb.reads, xb.writes)

        counts[n], actions, after = run_remote(payload, work)
        sheet, (r1, _c1, r2, _c2) = table_ref(after, schema.DOSSIERS.table)
        assert r2 - r1 == n
        col = schema.DOSSIERS.headers.index("Phân loại") + 1
        cells = sheet_values(after, sheet)
        assert all(cells.get((r, col)) in schema.DOSSIER_CLASS.values() for r in range(r1 + 1, r2 + 1))
    assert counts[100] == counts[1000]


# --- entry points --------------------------------------------------------------------------------------------

def test_refresh_all_entry_point_writes_and_alerts_nothing_on_clean_data(excel_workbook):
    result, actions, after = run_remote(build_payload(excel_workbook), lambda b: entry.refresh_all(b))
    assert result is not None
    funcs = {a["func"] for a in actions}
    assert "setValues" in funcs
    for alert in after["_alerts"]:  # only a data-problem summary may be shown
        assert alert["title"] == "CCHC" and "vấn đề dữ liệu" in alert["prompt"]


def test_user_error_shows_vietnamese_alert_naming_the_place(excel_workbook, log_dir):
    payload = build_payload(excel_workbook)
    for s in payload["sheets"]:
        if s["name"] == schema.INDICATORS.sheet:
            s["values"][0] = [("Kết quả X" if v == "Kết quả" else v) for v in s["values"][0]]
    result, actions, after = run_remote(payload, lambda b: entry.compute_indicators(b))
    # the table is not read, its results are not computed (never shown as zeros), and the user is told why
    assert "thiếu cột 'Kết quả'" in result.unavailable["indicators"]
    (alert,) = after["_alerts"]
    assert alert["mode"] == "critical" and "BÁO CÁO CHƯA ĐẦY ĐỦ" in alert["prompt"]
    assert f"Trang tính '{schema.INDICATORS.sheet}'" in alert["prompt"] and "thiếu cột 'Kết quả'" in alert["prompt"]
    indicators_pos = [sh["name"] for sh in payload["sheets"]].index(schema.INDICATORS.sheet)
    assert not any(a["func"] == "setValues" and a["sheet_position"] == indicators_pos
                   for a in actions)  # nothing written over the user's table
    assert not log_dir.exists()


def test_unexpected_error_alerts_and_logs_traceback(excel_workbook, log_dir, monkeypatch):
    from cchc_xl import engine

    def boom(*a, **k):
        raise ZeroDivisionError("kaboom")

    monkeypatch.setattr(engine, "refresh_book", boom)
    result, _, after = run_remote(build_payload(excel_workbook), lambda b: entry.refresh_all(b))
    assert result is None
    (alert,) = after["_alerts"]
    logs = list(log_dir.glob("cchc-xl-*.log"))
    assert len(logs) == 1 and str(logs[0]) in alert["prompt"]
    assert "lỗi không mong muốn" in alert["prompt"]
    text = logs[0].read_text(encoding="utf-8")
    assert "ZeroDivisionError: kaboom" in text and "Traceback" in text


def test_check_data_reports_problems_without_writing(excel_workbook):
    payload = build_payload(excel_workbook)
    sheet, (r1, c1, _r2, _c2) = table_ref(payload, schema.DOSSIERS.table)
    col = c1 + schema.DOSSIERS.headers.index("Ngày tiếp nhận")
    for s in payload["sheets"]:
        if s["name"] == sheet:
            s["values"][r1][col - 1] = "31/02/2024"
    problems, actions, after = run_remote(payload, lambda b: entry.check_data(b))
    assert [a["func"] for a in actions] == ["alert"]
    assert any(p.row == r1 + 1 and p.column == "Ngày tiếp nhận" for p in problems)
    assert f"dòng {r1 + 1}" in after["_alerts"][0]["prompt"]


@pytest.mark.parametrize("func,key", [("build_report_q1", "q1"), ("build_report_h1", "h1"),
                                      ("build_report_q3", "q3"), ("build_report_year", "year")])
def test_report_entry_points_write_only_the_report(excel_workbook, func, key):
    """A report button writes the report and its text (the period's rows of 'Nội dung báo cáo'), nothing else."""
    payload = build_payload(excel_workbook)
    result, actions, after = run_remote(payload, lambda b: getattr(entry, func)(b))
    assert result.period.key == key
    names = [s["name"] for s in after["sheets"]]
    report_pos, text_pos = names.index(schema.SHEET_REPORT), names.index(schema.NARRATIVE.sheet)
    touched = {a["sheet_position"] for a in actions if a["func"] in ("setValues", "sheetClearContents", "sheetClear")}
    assert touched <= {report_pos, text_pos} and report_pos in touched
    before_rows = payload["sheets"][text_pos]["values"]
    changed = {row[0] for row, old in zip(after["sheets"][text_pos]["values"], before_rows) if row != old}
    assert changed <= {result.period.label}  # only this period's rows of the narrative table
    cells = sheet_values(after, schema.SHEET_REPORT)
    assert any(isinstance(v, str) and result.period.label.split("/")[0].lower() in v.lower() for v in cells.values())


def test_import_dossiers_entry_point_adds_rows_and_refreshes(excel_workbook, tmp_path):
    payload = build_payload(excel_workbook)
    sheet, (r1, _c1, r2, _c2) = table_ref(payload, schema.DOSSIERS.table)
    csv = tmp_path / "xuat_mot_cua.csv"
    csv.write_text("Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Hình thức nộp,Trạng thái\n"
                   "MOI-0001,1.008950,04/03/2024 09:15,Trực tuyến,Đang xử lý\n"
                   "MOI-0002,1.008950,ngày sai,Trực tiếp,Đang xử lý\n", encoding="utf-8")
    result, actions, after = run_remote(payload, lambda b: entry.import_dossiers(str(csv), b))
    report, refresh = result
    assert report.added == 1 and len(report.skipped) == 1
    _, (_, _, new_r2, _) = table_ref(after, schema.DOSSIERS.table)
    cells = sheet_values(after, sheet)
    assert new_r2 == r2 + 1 and cells[(new_r2, 1)] == "MOI-0001"
    cls_col = schema.DOSSIERS.headers.index("Phân loại") + 1
    assert cells[(new_r2, cls_col)] in schema.DOSSIER_CLASS.values()
    assert "Đã thêm 1 hồ sơ" in after["_alerts"][-1]["prompt"]
    assert any(d.id == "MOI-0001" for d in refresh.data.dossiers)


def test_import_path_from_vba_literal_round_trips(tmp_path, excel_workbook):
    """The VBA side sends \\uXXXX escapes; non-BMP characters arrive as surrogate pairs."""
    weird = tmp_path / "Tải về 😀"
    weird.mkdir()
    csv = weird / "hồ sơ.csv"
    csv.write_text("Mã hồ sơ,Mã TTHC,Ngày tiếp nhận,Hình thức nộp,Trạng thái\n", encoding="utf-8")
    as_sent = str(csv).encode("utf-16-le", "surrogatepass")
    units = [int.from_bytes(as_sent[i:i + 2], "little") for i in range(0, len(as_sent), 2)]
    literal = "".join(chr(u) for u in units)  # what eval('\\ud83d\\ude00…') gives in Python
    result, _, after = run_remote(build_payload(excel_workbook), lambda b: entry.import_dossiers(literal, b))
    report, _refresh = result  # the file was found and read (header only: nothing to add)
    assert report.added == 0 and "Đã thêm 0 hồ sơ" in after["_alerts"][-1]["prompt"]


def test_status_bar_is_skipped_on_the_remote_engine(tmp_path):
    path = _table_file(tmp_path / "t.xlsx", 1)

    def work(book):
        xb = XwBook(book)
        xb.progress(0.5, "Đang tính")
        xb.progress(0.9, "Đang ghi")
        return xb

    xb, actions, _ = run_remote(build_payload(path), work)
    assert "status_bar" in xb.unsupported and actions == [] and xb.calls == 0


def test_decode_helper():
    assert decode("2024-03-05T00:00:00.000Z") == dt.datetime(2024, 3, 5)
    assert decode("") is None and decode("Quá hạn") == "Quá hạn"
    assert io  # keep import for readers


def test_a_text_over_a_cells_limit_is_refused_before_excel_is_asked(excel_workbook):
    """Issue #8 §4: the xlwings adapter refuses what the file adapter refuses, naming sheet, row and header."""
    from cchc_xl.errors import CellTextTooLongError

    def work(book):
        xb = XwBook(book)
        td = xb.read_table(schema.TASKS.sheet, schema.TASKS.table)
        values = [None] * len(td.rows)
        values[1] = "y" * 32_768
        with pytest.raises(CellTextTooLongError) as info:
            xb.write_column(schema.TASKS.sheet, schema.TASKS.table, "Minh chứng", values)
        return td.first_row, str(info.value)

    (first_row, message), actions, _ = run_remote(build_payload(excel_workbook), work)
    assert message.startswith(f"Trang tính '{schema.TASKS.sheet}', dòng {first_row + 1}, cột 'Minh chứng': "
                              "nội dung dài 32.768 ký tự")
    assert actions == []


def test_a_report_button_asks_to_read_again_a_section_whose_figures_changed(excel_workbook, tmp_path):
    """Issue #15: a person's section written before its figures changed is kept as written and flagged in
    'Nguồn'; the ribbon says so, as the command line does (one sentence, the section and the period)."""
    from cchc_xl.engine import load_data, refresh_file
    from cchc_xl.io.ooxml import Package, parse_ref

    h1 = "6 tháng đầu năm 2024"
    first = tmp_path / "a.xlsm"
    refresh_file(excel_workbook, as_of=dt.date(2024, 6, 14), period="h1", out=first, backup=False)
    td = FileBook.open(first).read_table(schema.NARRATIVE.sheet, schema.NARRATIVE.table)
    (i, text), = [(i, c[td.headers.index("Nội dung")].value) for i, c in enumerate(td.rows)
                  if c[td.headers.index("Kỳ báo cáo")].value == h1 and c[td.headers.index("Mục")].value == "II.7"]
    tasks = {t.id: t.row for t in load_data(FileBook.open(first)).tasks}
    pkg = Package.open(first)
    narrative, task_table = pkg.table(schema.NARRATIVE.table), pkg.table(schema.TASKS.table)
    pkg.set_cells(narrative.sheet, {(td.first_row + i, parse_ref(narrative.ref)[1] + schema.NARRATIVE.col("Nội dung")):
                                    text + "\n- Cô Lan bổ sung: tổ Toán - Tin đã họp ngày 05/6/2024."})
    c1 = parse_ref(task_table.ref)[1]  # 7.c done (late): the figures of II.7 change after the person wrote
    done = dt.datetime(2024, 6, 10)
    pkg.set_cells(task_table.sheet, {(tasks["7.c"], c1 + schema.TASKS.col("Trạng thái")): "Hoàn thành",
                                     (tasks["7.c"], c1 + schema.TASKS.col("Ngày hoàn thành")): done})
    pkg.save(first, backup=False)

    result, _, after = run_remote(build_payload(first), lambda b: entry.build_report_h1(b))
    assert result.narrative["II.7"].stale
    (alert,) = after["_alerts"]
    assert alert["mode"] == "info" and f"Mục II.7 do cán bộ sửa (trang 'Nội dung báo cáo', kỳ {h1})" in alert["prompt"]
    assert "hãy xem lại" in alert["prompt"]
