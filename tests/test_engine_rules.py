"""An independent data set, checked by hand against the rules of issue #2 §3.

Every expected number below was worked out on paper from the rules (working days from
the Vietnamese 2024 calendar, receipt-day roll-forward, the 15:00 rule, window membership),
not by running the code.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cchc_xl import schema
from cchc_xl.engine import compute
from cchc_xl.io.tables import Cell, TableData, parse_tables

D = dt.date
T = dt.datetime


def table(spec: schema.TableSpec, rows: list[dict], headers=None) -> TableData:
    headers = list(headers or spec.headers)
    return TableData(spec.sheet, spec.table, headers, 2,
                     [[Cell(r.get(h)) for h in headers] for r in rows])


PROCEDURES = [
    {"Mã TTHC": "P5", "Tên TTHC": "Năm ngày", "Số ngày làm việc": 5, "Áp dụng mốc 15 giờ": "Không",
     "Cơ quan quyết định": "Trường", "Công khai trên CSDLQG": "Có"},
    {"Mã TTHC": "P0", "Tên TTHC": "Trong ngày", "Số ngày làm việc": 0, "Áp dụng mốc 15 giờ": "Có",
     "Cơ quan quyết định": "Sở GD&ĐT", "Công khai trên CSDLQG": "Có"},
    {"Mã TTHC": "P10", "Tên TTHC": "Mười ngày", "Số ngày làm việc": 10, "Áp dụng mốc 15 giờ": "Không",
     "Cơ quan quyết định": "Trường", "Công khai trên CSDLQG": "Không"},
]


def dossier(code, proc, received, status, finished=None, channel="Trực tiếp", appointment=None,
            digitised=None, rating=None, complaint=None):
    return {"Mã hồ sơ": code, "Mã TTHC": proc, "Tên TTHC": "", "Ngày tiếp nhận": received,
            "Hình thức nộp": channel, "Ngày hẹn trả": appointment, "Ngày có kết quả": finished,
            "Trạng thái": status, "Số hóa kết quả": digitised, "Đánh giá": rating, "Có phản ánh": complaint}


DOSSIERS = [
    # Received the day before Tết: 5 working days jump the holiday → due 21/02; done 19/02 → early.
    dossier("D1", "P5", T(2024, 2, 7, 9), "Đã trả kết quả", D(2024, 2, 19), digitised="Có", rating="Rất hài lòng"),
    # 26/04 + 5 working days: 02/05, 03/05, Sat 04/05 (make-up day), 06/05, 07/05 → due 07/05 → on time.
    dossier("D2", "P5", T(2024, 4, 26, 10), "Đã trả kết quả", D(2024, 5, 7), channel="Trực tuyến",
            digitised="Có", rating="Hài lòng"),
    # Same-day procedure received at 15:30 → due next working day 06/03; done 07/03 → late.
    dossier("D3", "P0", T(2024, 3, 5, 15, 30), "Đã trả kết quả", D(2024, 3, 7), channel="Bưu chính",
            digitised="Không", rating="Không hài lòng"),
    # Received 14:59 → due the same day; done that day → on time (with a complaint).
    dossier("D4", "P0", T(2024, 3, 5, 14, 59), "Đã trả kết quả", D(2024, 3, 5), digitised="Có", complaint="Có"),
    # Finished before the window start → out of the window.
    dossier("D5", "P10", T(2023, 12, 1, 8), "Đã trả kết quả", D(2023, 12, 10)),
    # Received on Sunday 10/12/2023 → receipt day Mon 11/12; +10 working days → 25/12; done 05/01 → late;
    # carried over (receipt day before 15/12).
    dossier("D6", "P10", T(2023, 12, 10, 9), "Đã trả kết quả", D(2024, 1, 5), digitised="Có", rating="Hài lòng"),
    # Withdrawn before the window start → out; withdrawn inside → counted as withdrawn.
    dossier("D7", "P5", T(2023, 12, 5, 9), "Rút hồ sơ"),
    dossier("D8", "P5", T(2024, 5, 20, 9), "Rút hồ sơ"),
    # Pending: due 17/06 ≥ cut 14/06 → not yet due.
    dossier("D9", "P10", T(2024, 6, 3, 9), "Đang xử lý", channel="Trực tuyến"),
    # Waiting for additions: due 03/06 < 14/06, but never overdue while it waits → counted apart.
    dossier("D10", "P5", T(2024, 5, 27, 9), "Chờ bổ sung"),
    # Printed appointment 05/06 is authoritative (computed would be 10/06); done 06/06 → late.
    dossier("D11", "P5", T(2024, 6, 1, 9), "Đã trả kết quả", D(2024, 6, 6), appointment=D(2024, 6, 5),
            digitised="Không"),
    # Received after the window end → out.
    dossier("D12", "P5", T(2024, 6, 20, 9), "Đang xử lý"),
    # Refused, timed by default: due 08/04, refused 03/04 → early.
    dossier("D13", "P5", T(2024, 4, 1, 9), "Từ chối", D(2024, 4, 3), digitised="Không", rating="Hài lòng"),
]


def task(code, timeframe, status="Đang thực hiện", done=None, deadline=None):
    return {"Mã": code, "Lĩnh vực": code.split(".")[0], "Nội dung công việc": f"Nhiệm vụ {code}",
            "Tổ/nhóm chuyên môn": "Nhóm Văn phòng", "Cán bộ phụ trách": "Văn thư",
            "Thời gian thực hiện/hoàn thành": timeframe, "Hạn hoàn thành": deadline, "Sản phẩm": "",
            "Trạng thái": status, "Ngày hoàn thành": done, "Minh chứng": "", "Ghi chú": ""}


TASKS = [
    task("1.a", "Trước ngày 25/1/2024", "Hoàn thành", T(2024, 1, 25)),       # done on time
    task("1.b", "Quý II/2024"),                                                # 10 working days left → in time
    task("1.d", "Thường xuyên", deadline=T(2024, 6, 20)),                      # 4 working days left → due soon
    task("2.a", "Trước ngày 31/3/2024"),                                       # overdue
    task("2.b", "6 tháng đầu năm 2024", "Hoàn thành", T(2024, 5, 10)),        # done on time
    task("3.a", "Trước ngày 15/2/2024", "Hoàn thành", T(2024, 3, 1)),         # done late
    task("3.b", "Thường xuyên", "Không thực hiện"),                            # not done
    task("4.a", "Khi có yêu cầu"),                                             # no deadline (+ a problem)
    task("4.b", "Cả năm 2024"),                                                # in time
]

INDICATORS = [
    {"Mã": "CT1", "Chỉ tiêu": "Duy trì thứ hạng", "So sánh": None, "Ngưỡng": "Duy trì thứ hạng",
     "Kết quả": "PAR Index 2023: hạng 3"},
    {"Mã": "CT2", "Chỉ tiêu": "Nhiệm vụ đúng hạn", "So sánh": "≥", "Ngưỡng": 1},
    {"Mã": "CT3a", "Chỉ tiêu": "Trước và đúng hạn (nhận trong kỳ)", "So sánh": ">", "Ngưỡng": 0.95},
    {"Mã": "CT3b", "Chỉ tiêu": "Hài lòng", "So sánh": "≥", "Ngưỡng": 0.9},
    {"Mã": "CT4a", "Chỉ tiêu": "Đúng hạn", "So sánh": "=", "Ngưỡng": 1},
    {"Mã": "CT4b", "Chỉ tiêu": "Trước hạn", "So sánh": "≥", "Ngưỡng": 0.8},
    {"Mã": "CT4c", "Chỉ tiêu": "Hài lòng", "So sánh": "≥", "Ngưỡng": 0.95},
    {"Mã": "CT5a", "Chỉ tiêu": "TTHC công khai", "So sánh": "≥", "Ngưỡng": 0.6},
    {"Mã": "CT5b", "Chỉ tiêu": "Số hóa", "So sánh": "≥", "Ngưỡng": 0.8},
]

SETTINGS = [{"Khóa": "nam_ke_hoach", "Giá trị": 2024}, {"Khóa": "so_ngay_sap_den_han", "Giá trị": 7}]


def data(**changes):
    tables = {
        "tblNhiemVu": table(schema.TASKS, TASKS),
        "tblHoSo": table(schema.DOSSIERS, DOSSIERS),
        "tblThuTuc": table(schema.PROCEDURES, PROCEDURES),
        "tblChiTieu": table(schema.INDICATORS, INDICATORS),
        "tblNgayNghi": table(schema.HOLIDAYS, []),
        "tblCauHinh": table(schema.SETTINGS, SETTINGS),
    }
    tables.update(changes)
    return parse_tables(tables)


@pytest.fixture(scope="module")
def result():
    return compute(data(), as_of=D(2024, 6, 14), period="h1")


def test_period_and_cut(result):
    j = result.to_json()
    assert j["as_of"] == "2024-06-14"
    assert j["period"] == {"key": "h1", "label": "6 tháng đầu năm 2024", "from": "2023-12-15", "to": "2024-06-14"}


def test_dossier_due_dates_and_classes(result):
    flags = result.to_json()["dossier_flags"]
    expected = {
        "D1": ("2024-02-21", "early"), "D2": ("2024-05-07", "on_time"), "D3": ("2024-03-06", "late"),
        "D4": ("2024-03-05", "on_time"), "D6": ("2023-12-25", "late"), "D9": ("2024-06-17", "pending_not_due"),
        "D10": ("2024-06-03", "waiting"), "D11": ("2024-06-05", "late"), "D13": ("2024-04-08", "early"),
    }
    for code, (due, cls) in expected.items():
        assert flags[code] == {"due": due, "class": cls}, code
    assert flags["D8"]["class"] == "withdrawn"


def test_dossier_counts(result):
    d = result.to_json()["dossiers"]
    assert {k: d[k] for k in ("carried_over", "received_new", "online_new", "resolved", "early", "on_time",
                              "late", "pending_not_due", "pending_overdue", "withdrawn", "waiting")} == {
        "carried_over": 1, "received_new": 9, "online_new": 2, "resolved": 7, "early": 2, "on_time": 2,
        "late": 3, "pending_not_due": 1, "pending_overdue": 0, "withdrawn": 1, "waiting": 1}


def test_rates(result):
    r = result.to_json()["rates"]
    assert r["early_or_on_time"] == pytest.approx(4 / 7)
    assert r["early"] == pytest.approx(2 / 7)
    assert r["late"] == pytest.approx(3 / 7)
    # (late 3 + pending overdue 0) / (resolved 7 + pending overdue 0): never below the late rate (issue #15)
    assert r["late_incl_pending_overdue"] == pytest.approx(3 / 7)
    assert r["online"] == pytest.approx(2 / 9)
    assert r["digitised"] == pytest.approx(4 / 7)
    assert r["satisfaction_survey"] == pytest.approx(4 / 5)
    assert r["satisfaction_qd766"] == pytest.approx(7 / 9)


def test_task_flags(result):
    j = result.to_json()
    flags = {k: v["flag"] for k, v in j["task_flags"].items()}
    assert flags == {
        "1.a": "Hoàn thành đúng hạn", "1.b": "Trong hạn", "1.d": "Sắp đến hạn", "2.a": "Quá hạn",
        "2.b": "Hoàn thành đúng hạn", "3.a": "Hoàn thành trễ hạn", "3.b": "Không thực hiện",
        "4.a": "Chưa xác định hạn", "4.b": "Trong hạn"}
    assert j["task_flags"]["1.b"]["due"] == "2024-06-30"
    assert j["tasks"] == {"total": 9, "done_on_time": 2, "done_late": 1, "overdue": 1, "unfinished": 0,
                          "due_soon": 1, "in_time": 2, "no_deadline": 1, "not_done": 1}
    # CT2 = done on time / (done + due and not done): 1.a, 2.b / 1.a, 2.b, 3.a, 2.a (no periodic task: one unit each)
    ct2 = j["figures"]["tasks"]["ct2"]
    assert {k: ct2[k] for k in ("numerator", "denominator", "rate")} == {"numerator": 2, "denominator": 4, "rate": 0.5}
    assert ct2["units"] == dict(zip(flags, ("done_on_time", "in_time", "due_soon", "overdue", "done_on_time",
                                            "done_late", "not_done", "no_deadline", "in_time")))
    # the completion rate: done 3 (1.a, 2.b, 3.a) of the 8 tasks carried out (3.b is not)
    assert j["figures"]["tasks"]["completion"] == {"done": 3, "carried_out": 8, "rate": 3 / 8}
    assert j["occurrence_flags"] == {}
    assert j["figures"]["tasks"]["not_done"] == [{"id": "3.b", "reason": ""}]
    assert j["overdue_tasks"] == [{"id": "2.a", "group": "Nhóm Văn phòng", "owner": "Văn thư",
                                   "due": "2024-03-31"}]
    problem = [p for p in j["problems"] if p["row"] == 2 + TASKS.index(TASKS[7])]
    assert problem and problem[0]["column"] == "Thời gian thực hiện/hoàn thành"


def test_indicators(result):
    ind = {i["code"]: i for i in result.to_json()["indicators"]}
    assert ind["CT1"]["actual"] == "PAR Index 2023: hạng 3" and ind["CT1"]["status"] == "Theo dõi"
    assert ind["CT2"]["actual"] == pytest.approx(2 / 4) and ind["CT2"]["status"] == "Chưa đạt"  # mid-year
    assert ind["CT3a"]["actual"] == pytest.approx(4 / 6)
    assert ind["CT3b"]["actual"] == pytest.approx(7 / 9)
    assert ind["CT4a"]["actual"] == pytest.approx(4 / 7) and ind["CT4a"]["status"] == "Chưa đạt"
    assert ind["CT4b"]["actual"] == pytest.approx(2 / 7)
    assert ind["CT5a"]["actual"] == pytest.approx(2 / 3) and ind["CT5a"]["status"] == "Đạt"
    assert ind["CT5b"]["actual"] == pytest.approx(4 / 7)


def test_survey_setting_switches_satisfaction():
    settings = SETTINGS + [{"Khóa": "cach_tinh_hai_long", "Giá trị": "Khảo sát"}]
    res = compute(data(tblCauHinh=table(schema.SETTINGS, settings)), as_of=D(2024, 6, 14), period="h1")
    ind = {i.code: i for i in res.indicators}
    assert ind["CT3b"].actual == pytest.approx(4 / 5)


def test_holiday_override_moves_due_date():
    # Declaring Fri 03/05/2024 a school day off pushes D2's due date one working day later.
    holidays = table(schema.HOLIDAYS, [{"Ngày": T(2024, 5, 3), "Loại": "Nghỉ", "Ghi chú": "Nghỉ bù"}])
    res = compute(data(tblNgayNghi=holidays), as_of=D(2024, 6, 14), period="h1")
    assert res.dossier_flags["D2"] == (D(2024, 5, 8), "early")


def test_empty_denominators_are_null():
    res = compute(data(tblHoSo=table(schema.DOSSIERS, [])), as_of=D(2024, 6, 14), period="q1")
    assert all(v is None for v in res.to_json()["rates"].values())
    ind = {i.code: i.status for i in res.indicators}
    assert ind["CT4a"] == "Chưa có dữ liệu"


def test_default_period_contains_as_of():
    assert compute(data(), as_of=D(2024, 3, 1)).period.key == "q1"
    assert compute(data(), as_of=D(2024, 4, 1)).period.key == "h1"
    assert compute(data(), as_of=D(2024, 8, 1)).period.key == "q3"
    assert compute(data(), as_of=D(2024, 12, 14)).period.key == "year"


# -- bad input: every case gives a message naming sheet, row and column; the rest still computes --

def _problems(**changes):
    res = compute(data(**changes), as_of=D(2024, 6, 14), period="h1")
    return res, [p for p in res.problems]


def test_text_and_number_in_date_column():
    rows = [dict(DOSSIERS[0], **{"Ngày có kết quả": "hôm qua"}), dict(DOSSIERS[1], **{"Ngày hẹn trả": 45000})]
    res, problems = _problems(tblHoSo=table(schema.DOSSIERS, rows + DOSSIERS[2:]))
    texts = [(p.sheet, p.row, p.column) for p in problems]
    assert ("Hồ sơ TTHC", 2, "Ngày có kết quả") in texts
    assert ("Hồ sơ TTHC", 3, "Ngày hẹn trả") in texts
    assert "D13" in res.dossier_flags  # the rest is still processed


def test_finish_before_receipt():
    rows = [dict(DOSSIERS[0], **{"Ngày có kết quả": T(2024, 1, 2)})] + DOSSIERS[1:]
    _, problems = _problems(tblHoSo=table(schema.DOSSIERS, rows))
    p = [p for p in problems if p.column == "Ngày có kết quả" and p.row == 2]
    assert p and "trước ngày tiếp nhận" in p[0].message


def test_unknown_enumerated_value():
    rows = [dict(DOSSIERS[0], **{"Hình thức nộp": "Fax"})] + DOSSIERS[1:]
    _, problems = _problems(tblHoSo=table(schema.DOSSIERS, rows))
    p = [p for p in problems if p.column == "Hình thức nộp"]
    assert p and "Fax" in p[0].message and "Trực tuyến" in p[0].message


def test_duplicate_ids():
    _, problems = _problems(tblHoSo=table(schema.DOSSIERS, DOSSIERS + [DOSSIERS[0]]),
                            tblNhiemVu=table(schema.TASKS, TASKS + [TASKS[0]]))
    assert any(p.column == "Mã hồ sơ" and "bị lặp" in p.message and p.row == 2 + len(DOSSIERS) for p in problems)
    assert any(p.column == "Mã" and p.sheet == "Nhiệm vụ" and "bị lặp" in p.message for p in problems)


def test_blank_row_inside_table():
    rows = DOSSIERS[:2] + [{}] + DOSSIERS[2:]
    res, problems = _problems(tblHoSo=table(schema.DOSSIERS, rows))
    assert any(p.row == 4 and "dòng trống" in p.message for p in problems)
    assert res.stats.resolved == 7


def test_formula_error_and_merged_cells():
    td = table(schema.DOSSIERS, DOSSIERS)
    td.rows[0][schema.DOSSIERS.col("Ngày có kết quả")] = Cell(None, formula="NA()", error="#N/A")
    td.rows[1][schema.DOSSIERS.col("Mã TTHC")] = Cell("P5", formula='"P"&5')
    td.rows[2][schema.DOSSIERS.col("Tên TTHC")] = Cell("x", merged=True)
    _, problems = _problems(tblHoSo=td)
    assert any(p.row == 2 and "#N/A" in p.message for p in problems)
    assert any(p.row == 3 and "công thức" in p.message for p in problems)
    assert any(p.row == 4 and "gộp" in p.message for p in problems)


def test_missing_table_and_renamed_header():
    headers = list(schema.DOSSIERS.headers)
    headers[headers.index("Ngày tiếp nhận")] = "Ngày nhận"
    tables = {"tblHoSo": table(schema.DOSSIERS, DOSSIERS, headers=headers), "tblThuTuc": None}
    res, problems = _problems(**tables)
    assert any(p.sheet == "Hồ sơ TTHC" and p.column == "Ngày tiếp nhận" and "tiêu đề" in p.message for p in problems)
    assert any(p.sheet == "Thủ tục" and "không tìm thấy" in p.message for p in problems)
    assert res.to_json()["tasks"]["total"] == 9  # other tables still processed


def test_problem_messages_are_vietnamese_sentences():
    _, problems = _problems(tblHoSo=table(schema.DOSSIERS, DOSSIERS + [DOSSIERS[0]]))
    for p in problems:
        text = p.describe()
        assert text.startswith("Trang tính '") and "Traceback" not in text


def test_report_layout_matches_the_workbook_build():
    from cchc_xl.build.workbook import REPORT_LAYOUT
    from cchc_xl.io.ooxml import col_index
    from cchc_xl.report.flow import COLUMNS
    from cchc_xl.report.layout import CHART_DATA, PRINT_COLUMNS

    assert PRINT_COLUMNS == COLUMNS == REPORT_LAYOUT["column_count"]
    assert col_index(REPORT_LAYOUT["chart_category_col"]) == CHART_DATA["cat_col"] > COLUMNS
    assert tuple(col_index(c) for c in REPORT_LAYOUT["chart_series_cols"]) == (
        CHART_DATA["done_col"], CHART_DATA["open_col"])
    assert REPORT_LAYOUT["chart_data_first_row"] == CHART_DATA["first_row"] + 1
    assert REPORT_LAYOUT["chart_data_last_row"] == CHART_DATA["first_row"] + 7
    assert col_index(REPORT_LAYOUT["chart_anchor"].rstrip("0123456789")) > COLUMNS  # beside the report, not on it


# -- issue #7: settings and tables added for one set of numbers -------------------------------------------

def test_mid_period_wording_is_a_setting():
    ind = {i.code: i.status for i in compute(data(), as_of=D(2024, 6, 14), period="h1").indicators}
    assert ind["CT4a"] == "Chưa đạt"
    settings = SETTINGS + [{"Khóa": "chua_dat_truoc_cuoi_nam", "Giá trị": "Không"}]
    res = compute(data(tblCauHinh=table(schema.SETTINGS, settings)), as_of=D(2024, 6, 14), period="h1")
    assert {i.code: i.status for i in res.indicators}["CT4a"] == "Không đạt"
    year = compute(data(), as_of=D(2024, 12, 14), period="year")
    assert year.figures.year_end and {i.code: i.status for i in year.indicators}["CT4a"] == "Không đạt"
    early_year = compute(data(), as_of=D(2024, 6, 14), period="year")  # the year report asked for in June
    assert not early_year.figures.year_end


def test_complete_dossier_restart_is_a_setting():
    # D10 waited; the complete dossier arrived Mon 03/06 → 5 working days from then: Mon 10/06; not done by 14/06.
    rows = [dict(d, **{"Trạng thái": "Đang xử lý", "Ngày nhận đủ hồ sơ": D(2024, 6, 3)}) if d["Mã hồ sơ"] == "D10"
            else d for d in DOSSIERS]
    res = compute(data(tblHoSo=table(schema.DOSSIERS, rows)), as_of=D(2024, 6, 14), period="h1")
    assert res.dossier_flags["D10"] == (D(2024, 6, 10), "pending_overdue")
    before = compute(data(tblHoSo=table(schema.DOSSIERS, rows)), as_of=D(2024, 5, 31), period="h1")
    assert before.dossier_flags["D10"][1] == "waiting"  # still waiting for its additions then
    settings = SETTINGS + [{"Khóa": "tinh_lai_han_khi_du_ho_so", "Giá trị": "Không"}]
    off = compute(data(tblHoSo=table(schema.DOSSIERS, rows), tblCauHinh=table(schema.SETTINGS, settings)),
                  as_of=D(2024, 6, 14), period="h1")
    assert off.dossier_flags["D10"] == (D(2024, 6, 3), "pending_overdue")
    bad = [dict(d, **{"Ngày nhận đủ hồ sơ": D(2024, 5, 1)}) if d["Mã hồ sơ"] == "D10" else d for d in DOSSIERS]
    res, problems = _problems(tblHoSo=table(schema.DOSSIERS, bad))
    assert any(p.column == "Ngày nhận đủ hồ sơ" and "trước ngày tiếp nhận" in p.message for p in problems)


OCCURRENCE_ROWS = [
    {"Mã": "5.a-Q1", "Mã nhiệm vụ": "5.a", "Lần thực hiện": "Quý I/2024", "Trạng thái": "Hoàn thành",
     "Ngày hoàn thành": T(2024, 3, 12)},
    {"Mã": "5.a-Q2", "Mã nhiệm vụ": "5.a", "Lần thực hiện": "Quý II/2024", "Trạng thái": "Đang thực hiện"},
    {"Mã": "5.a-Q3", "Mã nhiệm vụ": "5.a", "Lần thực hiện": "Quý III/2024"},
    {"Mã": "5.a-Q4", "Mã nhiệm vụ": "5.a", "Lần thực hiện": "Quý IV/2024"},
    {"Mã": "9.z-Q1", "Mã nhiệm vụ": "9.z", "Lần thực hiện": "Quý I/2024"},
]


def test_periodic_tasks_are_judged_per_occurrence():
    tasks = table(schema.TASKS, TASKS + [task("5.a", "Hằng quý")])
    res = compute(data(tblNhiemVu=tasks, tblLanThucHien=table(schema.OCCURRENCES, OCCURRENCE_ROWS)),
                  as_of=D(2024, 9, 14), period="q3")
    j = res.to_json()
    assert j["task_flags"]["5.a"] == {"due": "2024-06-14", "flag": "Quá hạn"}  # Q2 not done by its cut-off
    occ = j["figures"]["tasks"]["occurrences"]
    assert [occ[k]["flag"] for k in ("5.a-Q1", "5.a-Q2", "5.a-Q3", "5.a-Q4")] == [
        "done_on_time", "overdue", "due_soon", "in_time"]
    assert any(p.sheet == schema.OCCURRENCES.sheet and p.column == "Mã nhiệm vụ" and "9.z" in p.message
               for p in res.problems)
    assert res.unavailable == {}


def test_missing_occurrence_table_blanks_the_task_figures_only_when_needed():
    res = compute(data(), as_of=D(2024, 6, 14), period="h1")  # no periodic task: the table is not needed
    assert res.unavailable == {} and not [p for p in res.problems if p.sheet == schema.OCCURRENCES.sheet]
    tasks = table(schema.TASKS, TASKS + [task("5.a", "Hằng quý")])
    res = compute(data(tblNhiemVu=tasks), as_of=D(2024, 6, 14), period="h1")
    assert "tblLanThucHien" in res.unavailable["tasks"] and res.figures.tasks is None and res.ct2 is None
    assert {i.code: i.status for i in res.indicators}["CT2"] == "Không tính được"
    assert res.task_counts["total"] is None
    assert any(p.sheet == schema.OCCURRENCES.sheet for p in res.problems)
