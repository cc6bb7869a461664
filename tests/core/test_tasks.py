from datetime import date

import pytest

from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.tasks import (
    Task, ct2_rate, flag_task, parse_deadline, task_sort_key, task_summary, vn_letter_key,
)
from cchc_xl.schema import TASK_FLAG

CAL = WorkCalendar()
AS_OF = date(2024, 5, 2)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Trước ngày 25/1/2024", date(2024, 1, 25)),
        ("trước  ngày  25 / 1 / 2024", date(2024, 1, 25)),  # PDF double spaces
        ("TRƯỚC NGÀY 25/01/2024", date(2024, 1, 25)),
        ("Truoc ngay 25/1/2024", date(2024, 1, 25)),  # no diacritics
        ("Trước 30/11/2024", date(2024, 11, 30)),
        ("25/01/2024", date(2024, 1, 25)),
        ("Trước ngày 15/3", date(2024, 3, 15)),  # no year → plan year
        ("Trước ngày 25 tháng 1 năm 2024", date(2024, 1, 25)),
        ("Cả năm 2024", date(2024, 12, 31)),
        ("Cả năm", date(2024, 12, 31)),
        ("Năm 2024", date(2024, 12, 31)),
        ("Quý I/2024", date(2024, 3, 31)),
        ("Quý II/2024", date(2024, 6, 30)),
        ("Quý III/2024", date(2024, 9, 30)),
        ("Quý IV/2024", date(2024, 12, 31)),
        ("quý 2/2024", date(2024, 6, 30)),
        ("Quý II năm 2024", date(2024, 6, 30)),
        ("Quý IV", date(2024, 12, 31)),
        ("Tháng 6/2024", date(2024, 6, 30)),
        ("Tháng 2/2024", date(2024, 2, 29)),
        ("Tháng 12 năm 2024", date(2024, 12, 31)),
        ("6 tháng đầu năm 2024", date(2024, 6, 30)),
        ("6 tháng cuối năm 2024", date(2024, 12, 31)),
        ("Thường xuyên", date(2024, 12, 31)),
        ("Hằng quý", date(2024, 6, 30)),
        ("Hàng quý", date(2024, 6, 30)),
        ("Hằng tháng", date(2024, 5, 31)),
        ("Hằng năm", date(2024, 12, 31)),
        ("Khi có yêu cầu", None),
        ("", None),
        (None, None),
        ("31/02/2024", None),
        ("Tháng 13/2024", None),
    ],
)
def test_parse_deadline(text, expected):
    assert parse_deadline(text, 2024, AS_OF) == expected


def test_recurring_deadlines_capped_to_plan_year():
    assert parse_deadline("Hằng quý", 2024, date(2025, 1, 10)) == date(2024, 12, 31)
    assert parse_deadline("Hằng quý", 2024, date(2024, 12, 14)) == date(2024, 12, 31)
    assert parse_deadline("Hằng quý", 2024, date(2023, 12, 20)) == date(2024, 3, 31)
    assert parse_deadline("Hằng tháng", 2024, date(2025, 2, 1)) == date(2024, 12, 31)


def task(status="in_progress", done=None):
    return Task("1.a", 1, "a", "Nội dung", "Nhóm Văn phòng", "Hiệu trưởng", "", None, "", status, done, "", "")


DL = date(2024, 5, 10)  # Friday


@pytest.mark.parametrize(
    "t,deadline,as_of,expected",
    [
        (task("cancelled"), DL, date(2024, 6, 1), "not_done"),
        (task("cancelled"), None, AS_OF, "not_done"),
        (task("done", date(2024, 5, 10)), DL, date(2024, 6, 1), "done_on_time"),
        (task("done", date(2024, 5, 11)), DL, date(2024, 6, 1), "done_late"),
        (task("done", None), DL, date(2024, 5, 9), "done_on_time"),  # no done date → as_of
        (task("done", None), DL, date(2024, 5, 13), "done_late"),
        (task("done", date(2024, 5, 1)), None, AS_OF, "no_deadline"),
        (task("in_progress"), None, AS_OF, "no_deadline"),
        (task("not_started"), DL, date(2024, 5, 11), "overdue"),
        (task("in_progress"), DL, date(2024, 5, 10), "due_soon"),  # deadline day itself
        (task("in_progress"), DL, date(2024, 5, 2), "due_soon"),  # 7 working days (04/05 counts)
        (task("in_progress"), DL, date(2024, 5, 1), "in_time"),  # 8 working days
        (task("not_started"), DL, date(2024, 4, 26), "in_time"),  # 29/04–01/05 off: still 8
    ],
)
def test_flag_task(t, deadline, as_of, expected):
    assert expected in TASK_FLAG
    assert flag_task(t, deadline, as_of, CAL, 7) == expected


def test_task_summary():
    s = task_summary(["overdue", "done_on_time", "overdue", "not_done"])
    assert s == {"total": 4, "done_on_time": 1, "done_late": 0, "overdue": 2, "due_soon": 0, "in_time": 0,
                 "no_deadline": 0, "not_done": 1}
    assert task_summary([])["total"] == 0


def test_ct2_rate():
    ts = [
        Task("1.a", 1, "a", "", "", "", "", None, "", "done", date(2024, 1, 20), "", ""),  # on time
        Task("1.b", 1, "b", "", "", "", "", None, "", "done", date(2024, 4, 2), "", ""),  # late
        Task("1.d", 1, "d", "", "", "", "", None, "", "in_progress", None, "", ""),  # due, not done
        Task("1.đ", 1, "đ", "", "", "", "", None, "", "cancelled", None, "", ""),  # excluded
        Task("1.e", 1, "e", "", "", "", "", None, "", "done", date(2024, 3, 1), "", ""),  # not due yet
        Task("2.a", 2, "a", "", "", "", "", None, "", "done", date(2024, 3, 1), "", ""),  # no deadline
    ]
    deadlines = {"1.a": date(2024, 1, 25), "1.b": date(2024, 3, 31), "1.d": date(2024, 4, 30),
                 "1.đ": date(2024, 1, 31), "1.e": date(2024, 12, 31), "2.a": None}
    assert ct2_rate(ts, deadlines, AS_OF) == pytest.approx(1 / 3)
    assert ct2_rate(ts, [deadlines[t.id] for t in ts], AS_OF) == pytest.approx(1 / 3)
    assert ct2_rate(ts, deadlines, date(2024, 1, 1)) is None
    assert ct2_rate([], {}, AS_OF) is None


def test_vietnamese_letter_order():
    letters = ["y", "đ", "e", "d", "a", "ê", "g", "ă", "â", "h", "b", "c", "ơ", "ô", "o", "ư", "u", "x", "v"]
    assert sorted(letters, key=vn_letter_key) == [
        "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "g", "h", "o", "ô", "ơ", "u", "ư", "v", "x", "y"]
    assert sorted(["đ", "h"]) == ["h", "đ"]  # Python's own order is wrong
    assert vn_letter_key("Đ") == vn_letter_key("đ") == vn_letter_key(" đ) ")
    assert vn_letter_key("d") < vn_letter_key("đ") < vn_letter_key("e")


def test_task_sort_key():
    ids = ["PL.12", "4.g", "1.đ", "PL.1", "1.e", "1.a", "2.d", "PL.2", "10.a", "1.d", "4.đ", "ghi chú"]
    assert sorted(ids, key=task_sort_key) == [
        "1.a", "1.d", "1.đ", "1.e", "2.d", "4.đ", "4.g", "10.a", "PL.1", "PL.2", "PL.12", "ghi chú"]
    assert task_sort_key("pl.3") == task_sort_key("PL.3")
