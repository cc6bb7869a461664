from datetime import date, datetime

import pytest

from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.dossiers import Dossier, Procedure, classify, due_date, receipt_day

CAL = WorkCalendar()
P5 = Procedure("2.001914", "Cấp bản sao văn bằng", 5, False, "Trường", True)
P0 = Procedure("1.000000", "Cấp bản sao từ sổ gốc", 0, True, "Trường", True)
P0_NO15 = Procedure("1.000001", "Trong ngày, không áp dụng 15 giờ", 0, False, "Trường", False)


def dossier(received, appointment=None, finished=None, status="processing", code="P"):
    return Dossier("HS", code, received, "direct", appointment, finished, status, None, None, False)


def test_receipt_day():
    assert receipt_day(datetime(2024, 3, 4, 16, 0), CAL) == date(2024, 3, 4)
    assert receipt_day(datetime(2024, 3, 3, 9, 0), CAL) == date(2024, 3, 4)  # Sunday
    assert receipt_day(datetime(2024, 2, 9, 9, 0), CAL) == date(2024, 2, 15)  # Tết
    assert receipt_day(date(2024, 5, 4), CAL) == date(2024, 5, 4)  # make-up Saturday


def test_due_n_working_days_from_day_after_receipt():
    assert due_date(dossier(datetime(2024, 3, 4, 10)), P5, CAL) == date(2024, 3, 11)
    assert due_date(dossier(datetime(2024, 2, 7, 10)), P5, CAL) == date(2024, 2, 21)  # Tết inside
    # 15:00 does not matter when n > 0
    assert due_date(dossier(datetime(2024, 3, 4, 16)), P5, CAL) == date(2024, 3, 11)


def test_due_receipt_on_sunday():
    assert due_date(dossier(datetime(2024, 3, 3, 9)), P5, CAL) == date(2024, 3, 11)
    # n = 0, late hour on a day off: the receipt day is Monday, due Monday
    assert due_date(dossier(datetime(2024, 3, 3, 16)), P0, CAL) == date(2024, 3, 4)


@pytest.mark.parametrize(
    "received,proc,due",
    [
        (datetime(2024, 3, 4, 14, 59), P0, date(2024, 3, 4)),
        (datetime(2024, 3, 4, 15, 0), P0, date(2024, 3, 5)),
        (datetime(2024, 3, 8, 15, 30), P0, date(2024, 3, 11)),  # Friday → Monday
        (datetime(2024, 5, 3, 15, 0), P0, date(2024, 5, 4)),  # → make-up Saturday
        (datetime(2024, 3, 4, 16, 0), P0_NO15, date(2024, 3, 4)),
        (date(2024, 3, 4), P0, date(2024, 3, 4)),  # date only = 00:00
    ],
)
def test_15h_rule(received, proc, due):
    assert due_date(dossier(received), proc, CAL) == due


def test_appointment_is_authoritative():
    d = dossier(datetime(2024, 3, 4, 10), appointment=date(2024, 3, 9))  # a Saturday, disagrees
    assert due_date(d, P5, CAL) == date(2024, 3, 9)
    assert due_date(d, None, CAL) == date(2024, 3, 9)


def test_unknown_procedure_without_appointment():
    assert due_date(dossier(datetime(2024, 3, 4, 10)), None, CAL) is None


DUE = date(2024, 3, 11)
CUT = date(2024, 3, 14)


@pytest.mark.parametrize(
    "finished,status,cut,refused_timed,expected",
    [
        (date(2024, 3, 8), "returned", CUT, True, "early"),
        (date(2024, 3, 11), "returned", CUT, True, "on_time"),
        (date(2024, 3, 12), "returned", CUT, True, "late"),
        (None, "processing", date(2024, 3, 11), True, "pending_not_due"),  # cut == due
        (None, "processing", date(2024, 3, 12), True, "pending_overdue"),
        (None, "waiting", date(2024, 3, 8), True, "waiting"),
        (None, "waiting", date(2024, 3, 20), True, "waiting"),  # past its due date: still not overdue
        (date(2024, 3, 8), "waiting", CUT, True, "early"),  # a result dated by the cut wins
        (date(2024, 3, 20), "returned", CUT, True, "pending_overdue"),  # result after the cut
        (date(2024, 3, 20), "returned", date(2024, 3, 10), True, "pending_not_due"),
        (date(2024, 3, 5), "withdrawn", CUT, True, "withdrawn"),
        (None, "withdrawn", CUT, False, "withdrawn"),
        (date(2024, 3, 12), "refused", CUT, True, "late"),
        (date(2024, 3, 12), "refused", CUT, False, "refused"),
        (None, "refused", CUT, False, "refused"),
    ],
)
def test_classify(finished, status, cut, refused_timed, expected):
    d = dossier(datetime(2024, 3, 4, 10), finished=finished, status=status)
    assert classify(d, DUE, cut, refused_timed) == expected


def test_classify_without_due():
    assert classify(dossier(datetime(2024, 3, 4)), None, CUT, True) == "pending_not_due"
    fin = dossier(datetime(2024, 3, 4), finished=date(2024, 3, 30), status="returned")
    assert classify(fin, None, date(2024, 3, 31), True) == "on_time"


def test_complete_dossier_restarts_the_term():
    # P3-like: received Mon 10/06/2024, complete on Mon 17/06 → 3 working days from then: Thu 20/06.
    proc = Procedure("P3", "Ba ngày", 3, False, "Trường", True)
    d = Dossier("X", "P3", datetime(2024, 6, 10, 14, 30), "direct", date(2024, 6, 13), None, "processing", None,
                None, False, complete=date(2024, 6, 17))
    assert due_date(d, proc, CAL) == date(2024, 6, 20)            # the old appointment is void
    assert due_date(d, proc, CAL, restart=False) == date(2024, 6, 13)
    reissued = Dossier("X", "P3", d.received, "direct", date(2024, 6, 21), None, "processing", None, None,
                       False, complete=date(2024, 6, 17))
    assert due_date(reissued, proc, CAL) == date(2024, 6, 21)     # a re-issued appointment stays authoritative
    assert due_date(reissued, None, CAL) == date(2024, 6, 21)
    assert classify(d, date(2024, 6, 20), date(2024, 6, 14)) == "waiting"   # before the dossier was complete
    assert classify(d, date(2024, 6, 20), date(2024, 6, 20)) == "pending_not_due"
    assert classify(d, date(2024, 6, 20), date(2024, 6, 21)) == "pending_overdue"


def test_receipt_on_a_day_off_setting():
    proc = Procedure("P5", "", 5, False, "Trường", True)
    d = dossier(datetime(2024, 3, 10, 9))  # Sunday
    assert due_date(d, proc, CAL) == date(2024, 3, 18)              # from Monday 11/03
    assert due_date(d, proc, CAL, roll=False) == date(2024, 3, 15)  # from Sunday itself
