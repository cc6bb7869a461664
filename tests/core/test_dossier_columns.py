"""The vectorised dossier rules (core/dossier_columns.py) equal the rule functions they stand for.

``core.dossiers.due_date``/``classify``/``receipt_day`` and ``core.rates.dossier_stats`` are the one
definition; every example of their own tests, and generated dossiers, calendars, periods and settings
(Hypothesis), must give the same due dates, classes and counts through the columns.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import test_dossiers  # the rule functions' own examples (tests/core is on sys.path)
import test_rates
from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.dossier_columns import (CLASSES, DossierColumns, WorkingDays, class_codes, column_stats,
                                          due_ordinals, receipt_ordinals)
from cchc_xl.core.dossiers import Dossier, Procedure, classify, due_date, receipt_day
from cchc_xl.core.periods import PERIOD_KEYS, Period, get_period
from cchc_xl.core.rates import dossier_stats

CAL = WorkCalendar()
FLAGS = [dict(refused_timed=r, restart=s, roll=o) for r in (True, False) for s in (True, False) for o in (True, False)]


def assert_same_rules(dossiers, procedures, cut, cal, restart=True, roll=True, refused_timed=True):
    """Per dossier: receipt day, due date and class through the columns == the rule functions."""
    cols = DossierColumns.from_dossiers(dossiers)
    due = due_ordinals(cols, procedures, cal, restart, roll)
    days = receipt_ordinals(cols, cal, roll)
    classes = class_codes(cols, due, cut, refused_timed)
    for k, d in enumerate(dossiers):
        expected_due = due_date(d, procedures.get(d.procedure_code), cal, restart, roll)
        assert (date.fromordinal(int(due[k])) if due[k] else None) == expected_due, d
        assert date.fromordinal(int(days[k])) == receipt_day(d.received, cal, roll), d
        assert CLASSES[classes[k]] == classify(d, expected_due, cut, refused_timed), d


def assert_same_stats(dossiers, procedures, period, cut, cal, **flags):
    expected = dossier_stats(dossiers, procedures, period, cut, cal, **flags)
    got = column_stats(dossiers, procedures, period, cut, cal, **flags)
    assert got.counts() == expected.counts()
    assert got.per_dossier == expected.per_dossier
    assert list(got.per_dossier) == list(expected.per_dossier)
    assert got == expected          # every field, the satisfaction measure included
    assert all(type(v) is int for v in got.counts().values())


# -- the rule functions' own examples -----------------------------------------------------------------

@pytest.mark.parametrize("key", PERIOD_KEYS)
@pytest.mark.parametrize("flags", FLAGS)
def test_rates_fixture_every_period_and_setting(key, flags):
    period = get_period(key, 2024)
    for cut in (period.end, period.start, date(2024, 1, 9), date(2024, 3, 10), period.end + timedelta(days=40)):
        for measure in ("QĐ 766", "Khảo sát"):
            assert_same_stats(test_rates.DATA, test_rates.PROCS, period, cut, CAL, satisfaction=measure, **flags)
        assert_same_rules(test_rates.DATA, test_rates.PROCS, cut, CAL, flags["restart"], flags["roll"],
                          flags["refused_timed"])


def test_rates_fixture_edges():
    p = get_period("q3", 2024)
    data = [
        test_rates.D("before", datetime(2024, 6, 14, 8), status="withdrawn", fin=date(2024, 7, 1)),
        test_rates.D("first", datetime(2024, 6, 15, 8), status="withdrawn"),
        test_rates.D("fin-before", datetime(2024, 6, 1, 8), appt=date(2024, 6, 10), fin=date(2024, 6, 14),
                     status="returned"),
        test_rates.D("fin-on-start", datetime(2024, 6, 1, 8), appt=date(2024, 6, 10), fin=date(2024, 6, 15),
                     status="returned"),
        test_rates.D("last", datetime(2024, 9, 14, 8), appt=date(2024, 9, 20)),
    ]
    for flags in FLAGS:
        assert_same_stats(data, test_rates.PROCS, p, p.end, CAL, **flags)
    assert_same_stats([], test_rates.PROCS, p, p.end, CAL)


def test_due_date_fixtures():
    procs = {"P5": test_dossiers.P5, "P0": test_dossiers.P0, "P0N": test_dossiers.P0_NO15}
    received = [datetime(2024, 3, 4, 10), datetime(2024, 2, 7, 10), datetime(2024, 3, 4, 16), datetime(2024, 3, 3, 9),
                datetime(2024, 3, 3, 16), datetime(2024, 3, 4, 14, 59), datetime(2024, 3, 4, 15, 0),
                datetime(2024, 3, 8, 15, 30), datetime(2024, 5, 3, 15, 0), date(2024, 3, 4), date(2024, 5, 4),
                datetime(2024, 2, 9, 9), datetime(2024, 3, 10, 9)]
    dossiers = [dataclasses.replace(test_dossiers.dossier(r, appointment=a, code=c), id=f"{k}-{c}-{a}")
                for k, r in enumerate(received) for c in ("P5", "P0", "P0N", "?")
                for a in (None, date(2024, 3, 9))]
    for flags in FLAGS:
        assert_same_rules(dossiers, procs, date(2024, 3, 14), CAL, flags["restart"], flags["roll"],
                          flags["refused_timed"])


def test_classify_fixtures():
    for finished, status, cut, refused_timed, _ in test_dossiers.test_classify.pytestmark[0].args[1]:
        d = test_dossiers.dossier(datetime(2024, 3, 4, 10), finished=finished, status=status)
        cols = DossierColumns.from_dossiers([d])
        got = class_codes(cols, np.array([test_dossiers.DUE.toordinal()]), cut, refused_timed)
        assert CLASSES[got[0]] == classify(d, test_dossiers.DUE, cut, refused_timed)
    none = DossierColumns.from_dossiers([test_dossiers.dossier(datetime(2024, 3, 4))])
    assert CLASSES[class_codes(none, np.array([0]), test_dossiers.CUT)[0]] == "pending_not_due"


def test_complete_dossier_fixture():
    proc = {"P3": Procedure("P3", "Ba ngày", 3, False, "Trường", True)}
    d = Dossier("X", "P3", datetime(2024, 6, 10, 14, 30), "direct", date(2024, 6, 13), None, "processing", None,
                None, False, complete=date(2024, 6, 17))
    reissued = dataclasses.replace(d, id="Y", appointment=date(2024, 6, 21))
    unknown = dataclasses.replace(d, id="Z", procedure_code="??")
    for cut in (date(2024, 6, 14), date(2024, 6, 20), date(2024, 6, 21)):
        for restart in (True, False):
            assert_same_rules([d, reissued, unknown], proc, cut, CAL, restart)
            assert_same_stats([d, reissued, unknown], proc, get_period("h1", 2024), cut, CAL, restart=restart)


def test_repeated_ids_keep_the_last_in_place():
    a = test_rates.DATA[0]
    data = [a, test_rates.DATA[1], dataclasses.replace(test_rates.DATA[2], id=a.id)]
    assert_same_stats(data, test_rates.PROCS, test_rates.Q1, test_rates.Q1.end, CAL)


def test_columns_are_a_sequence_of_the_records():
    cols = DossierColumns.from_dossiers(test_rates.DATA)
    assert list(cols) == test_rates.DATA and cols[3] == test_rates.DATA[3] and cols[-1] == test_rates.DATA[-1]
    assert cols[1:3] == test_rates.DATA[1:3] and len(cols) == len(test_rates.DATA)
    assert DossierColumns.of(cols) is cols
    # columns made from arrays give the records back from their values, ordered by row
    numbered = [dataclasses.replace(d, row=20 - k) for k, d in enumerate(test_rates.DATA)]
    parts = [DossierColumns.from_dossiers(numbered[::2]), DossierColumns.from_dossiers(numbered[1::2])]
    rebuilt = DossierColumns.concat_by_row(parts)
    assert list(rebuilt) == numbered[::-1] and rebuilt._records is None


def test_working_days_grow_past_the_loaded_years():
    wd = WorkingDays(CAL, 2024, 2024)
    far = wd.add(np.array([date(2024, 12, 30).toordinal()]), np.array([600]))
    assert date.fromordinal(int(far[0])) == CAL.add_working_days(date(2024, 12, 30), 600)
    late = wd.roll_forward(np.array([date(2031, 1, 1).toordinal()]))
    assert date.fromordinal(int(late[0])) == CAL.roll_forward(date(2031, 1, 1))


# -- generated data --------------------------------------------------------------------------------

DAY0 = date(2023, 10, 1)
days = st.integers(0, 520).map(lambda k: DAY0 + timedelta(days=k))
codes = st.sampled_from(["P0", "P1", "P5", "P15", "P30", "?"])


@st.composite
def dossiers_strategy(draw):
    n = draw(st.integers(0, 40))
    out = []
    for k in range(n):
        received_day = draw(days)
        # the strategies below are drawn in this iteration, so they read this iteration's received_day
        received = draw(st.one_of(st.just(received_day),
                                  st.builds(lambda h, m: datetime.combine(received_day, datetime.min.time())  # noqa: B023
                                            + timedelta(hours=h, minutes=m), st.integers(0, 23), st.integers(0, 59))))

        def after(limit=60):
            return st.one_of(st.none(), st.integers(-5, limit).map(lambda k: received_day + timedelta(days=k)))  # noqa: B023

        out.append(Dossier(
            id=draw(st.sampled_from([f"HS{k}", f"HS{k}", "dup"])), procedure_code=draw(codes), received=received,
            channel=draw(st.sampled_from(["direct", "online", "post"])), appointment=draw(after(30)),
            finished=draw(after()), status=draw(st.sampled_from(["processing", "waiting", "returned", "withdrawn",
                                                                  "refused"])),
            digitised=draw(st.sampled_from([None, True, False])),
            rating=draw(st.sampled_from([None, "very_satisfied", "satisfied", "dissatisfied"])),
            complaint=draw(st.booleans()), row=k + 2, complete=draw(after(40))))
    return out


@st.composite
def procedures_strategy(draw):
    out = {}
    for code, n in (("P0", 0), ("P1", 1), ("P5", 5), ("P15", 15), ("P30", 30)):
        if draw(st.booleans()) or code == "P5":
            out[code] = Procedure(code, code, draw(st.sampled_from([n, n, 0, 2])), draw(st.booleans()), "Trường",
                                  True)
    return out


calendars = st.dictionaries(days, st.booleans(), max_size=25).map(WorkCalendar)


@st.composite
def periods_strategy(draw):
    if draw(st.booleans()):
        return get_period(draw(st.sampled_from(PERIOD_KEYS)), draw(st.sampled_from([2023, 2024])))
    start = draw(days)
    return Period("x", "x", start, start + timedelta(days=draw(st.integers(0, 200))))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dossiers=dossiers_strategy(), procedures=procedures_strategy(), cal=calendars, period=periods_strategy(),
       cut_shift=st.integers(-120, 30), refused_timed=st.booleans(), restart=st.booleans(), roll=st.booleans(),
       measure=st.sampled_from(["QĐ 766", "Khảo sát"]))
def test_generated_dossiers_calendars_and_periods(dossiers, procedures, cal, period, cut_shift, refused_timed, restart,
                                                  roll, measure):
    cut = min(period.end, period.end + timedelta(days=cut_shift))
    assert_same_stats(dossiers, procedures, period, cut, cal, refused_timed=refused_timed, satisfaction=measure,
                      restart=restart, roll=roll)
    assert_same_rules(dossiers, procedures, cut, cal, restart, roll, refused_timed)
