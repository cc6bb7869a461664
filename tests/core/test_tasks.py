from datetime import date

import pytest

from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.tasks import (
    Occurrence, Task, ct2_counts, ct2_units, flag_task, judge_tasks, occurrence_deadline, periodic_flag,
    parse_deadline, task_sort_key, task_summary, vn_letter_key,
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
        (task("done", date(2024, 5, 9)), DL, date(2024, 5, 8), "due_soon"),  # done after the as-of date
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
    assert s == {"total": 4, "done_on_time": 1, "done_late": 0, "overdue": 2, "unfinished": 0, "due_soon": 0,
                 "in_time": 0, "no_deadline": 0, "not_done": 1}
    assert task_summary([])["total"] == 0


def T(code, status="in_progress", done=None, timeframe="", deadline=None, link="", area=1):  # noqa: N802 - a task row
    return Task(code, area, code.split(".")[-1], "", "Nhóm Văn phòng", "", timeframe, deadline, "", status, done,
                "", "lý do" if status == "cancelled" else "", link=link)


def judge(tasks, occurrences=(), as_of=AS_OF):
    return judge_tasks(tasks, list(occurrences), plan_year=2024, as_of=as_of, cal=CAL, due_soon_days=7)


def test_ct2_counts_from_the_judged_tasks():
    tasks = [
        T("1.a", "done", date(2024, 1, 20), deadline=date(2024, 1, 25)),   # on time
        T("1.b", "done", date(2024, 4, 2), deadline=date(2024, 3, 31)),    # late
        T("1.d", deadline=date(2024, 4, 30)),                                # due, not done → overdue
        T("1.đ", "cancelled", deadline=date(2024, 1, 31)),                  # not carried out: outside
        T("1.e", "done", date(2024, 3, 1), deadline=date(2024, 12, 31)),   # done early: judged, on time
        T("2.a", deadline=date(2024, 12, 31)),                              # not due yet: outside
    ]
    outcomes, notes = judge(tasks)
    assert [o.flag for o in outcomes] == ["done_on_time", "done_late", "overdue", "not_done", "done_on_time",
                                          "in_time"]
    assert ct2_counts(o.flag for o in outcomes) == (2, 4)
    assert ct2_counts([]) == (0, 0) and notes == []


def test_never_late_before_the_deadline_even_in_the_year_report():
    # issue #15 replaces the year-end rule (every unfinished task late at the annual cut-off): as of 14/12 a task due
    # 31/12 is in time; one due 30/11 is overdue; a task without a deadline has none; from 01/01 the 31/12 one is late
    tasks = [T("1.a", deadline=date(2024, 12, 31)), T("1.b", deadline=date(2024, 11, 30)),
             T("1.d", timeframe="khi có yêu cầu"), T("1.e", "done", date(2024, 7, 1), timeframe="khi có yêu cầu")]
    outcomes, notes = judge(tasks, as_of=date(2024, 12, 14))
    assert [o.flag for o in outcomes] == ["in_time", "overdue", "no_deadline", "no_deadline"]
    assert ct2_counts(o.flag for o in outcomes) == (0, 1)  # only 1.b is due (and not done)
    assert [(n[1].id, n[2]) for n in notes] == [("1.d", "Thời gian thực hiện/hoàn thành"),
                                                ("1.e", "Thời gian thực hiện/hoàn thành")]
    on_the_day, _ = judge(tasks[:1], as_of=date(2024, 12, 31))
    after, _ = judge(tasks[:1], as_of=date(2025, 1, 2))
    assert on_the_day[0].flag == "due_soon" and after[0].flag == "overdue"


def test_ct2_counts_units_of_work():
    # 1.a on time; 2.d periodic: Q1 on time, Q2 late, Q3 overdue (as of 20/09), Q4 not due; 1.b not due yet.
    # Units: 1.a, 2.d-Q1, 2.d-Q2, 2.d-Q3, 2.d-Q4, 1.b → on time 2 (1.a, Q1) / due or done 4 (1.a, Q1, Q2, Q3)
    tasks = [T("1.a", "done", date(2024, 1, 20), deadline=date(2024, 1, 25)), T("2.d", timeframe="Hằng quý"),
             T("1.b", deadline=date(2024, 12, 31))]
    occs = [occ("2.d", 1, "done", date(2024, 3, 1)), occ("2.d", 2, "done", date(2024, 6, 20)), occ("2.d", 3),
            occ("2.d", 4)]
    outcomes, _ = judge(tasks, occs, as_of=date(2024, 9, 20))
    units = ct2_units(outcomes)
    assert [u.id for u in units] == ["1.a", "2.d-Q1", "2.d-Q2", "2.d-Q3", "2.d-Q4", "1.b"]
    assert ct2_counts(u.flag for u in units) == (2, 4)
    assert ct2_counts(o.flag for o in outcomes) == (1, 2)  # per whole task it would be 1/2: not the rule


def occ(task_id, q, status="not_started", done=None):
    return Occurrence(f"{task_id}-Q{q}", task_id, f"Quý {'I II III IV'.split()[q - 1]}/2024", None, status, done,
                      "", "")


def test_periodic_task_judged_per_occurrence():
    task = T("2.d", timeframe="Hằng quý")
    occs = [occ("2.d", 1, "done", date(2024, 3, 12)), occ("2.d", 2), occ("2.d", 3), occ("2.d", 4)]
    flags = {}
    for as_of in (date(2024, 3, 14), date(2024, 6, 14), date(2024, 9, 14)):
        (o,), _ = judge([task], occs, as_of=as_of)
        flags[as_of] = (o.flag, o.deadline, [x.flag for x in o.occurrences])
    assert flags[date(2024, 3, 14)] == ("in_time", date(2024, 6, 14),
                                        ["done_on_time", "in_time", "in_time", "in_time"])
    assert flags[date(2024, 6, 14)][0] == "due_soon"  # Q2's deadline is the cut-off 14/06
    assert flags[date(2024, 9, 14)][:2] == ("overdue", date(2024, 6, 14))
    (o,), _ = judge([task], occs[:1] + [occ("2.d", q, "done", date(2024, 3 * q, 10)) for q in (2, 3, 4)],
                    as_of=date(2024, 12, 14))
    assert o.flag == "done_on_time" and o.deadline == date(2024, 12, 14)
    (o,), _ = judge([task], occs[:1] + [occ("2.d", q) for q in (2, 3, 4)], as_of=date(2024, 12, 14))
    # Q4 is due on the report day itself: due soon, not late (issue #15)
    assert [x.flag for x in o.occurrences] == ["done_on_time", "overdue", "overdue", "due_soon"]
    (o,), notes = judge([task], [])
    assert o.flag == "no_deadline" and "chưa có dòng nào" in notes[0][3]
    (o,), _ = judge([T("2.d", "cancelled", timeframe="Hằng quý")], occs)
    assert o.flag == "not_done" and {x.flag for x in o.occurrences} == {"not_done"}


def test_periodic_flag_and_occurrence_deadline():
    assert periodic_flag([]) == ("no_deadline", None)
    assert periodic_flag([("not_done", None)]) == ("not_done", None)
    assert periodic_flag([("done_late", date(2024, 3, 14)), ("in_time", date(2024, 6, 14))])[0] == "done_late"
    assert occurrence_deadline("Quý IV/2024", 2024) == date(2024, 12, 14)
    assert occurrence_deadline("Quý IV/2024", 2024, rule="Cuối kỳ") == date(2024, 12, 31)
    assert occurrence_deadline("Quý I", 2024, {"q1": ((15, 12), (20, 3))}) == date(2024, 3, 20)
    assert occurrence_deadline("Tháng 2/2024", 2024, rule="Cuối kỳ") == date(2024, 2, 29)
    assert occurrence_deadline("Tháng 13/2024", 2024) is None
    assert occurrence_deadline("lần 1", 2024) is None


def test_appendix_links_are_not_counted_twice():
    tasks = [T("1.a", "done", date(2024, 1, 25), deadline=date(2024, 1, 25)),
             T("PL.1", "done", date(2024, 1, 25), deadline=date(2024, 1, 25), link="1.a"),
             T("PL.2", timeframe="Cả năm 2024", link="Tổng hợp"),
             T("PL.3", link="9.z", deadline=date(2024, 1, 25)),
             T("PL.4", link="1.a", deadline=date(2024, 1, 25))]
    outcomes, notes = judge(tasks)
    assert [(o.task.id, o.counted, o.link_target) for o in outcomes] == [
        ("1.a", True, ""), ("PL.1", False, "1.a"), ("PL.2", False, "Tổng hợp"), ("PL.3", True, ""),
        ("PL.4", False, "1.a")]
    assert [(n[1].id, n[2]) for n in notes] == [("PL.3", "Liên kết"), ("PL.4", "Trạng thái")]


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
