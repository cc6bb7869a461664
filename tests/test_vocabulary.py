"""One vocabulary (issue #18 §3): task flags, indicator statuses and period keys are the StrEnums of
``cchc_xl.core.vocabulary``; every consumer that treats members differently keeps a table keyed by them, and
these tests fail when a member exists that a consumer does not handle — how a status stops being forgotten by
one consumer (the roll-up came to miss ``Chưa đạt`` that way). The indicator registry is the one list of
indicators."""

from __future__ import annotations

import datetime as dt

from cchc_xl import schema
from cchc_xl.core.vocabulary import DONE, JUDGED, LATE, NOT_YET_DUE, IndicatorStatus, PeriodKey, TaskFlag


def test_the_values_are_the_words_and_keys_the_files_carry():
    assert [str(f) for f in TaskFlag] == ["done_on_time", "done_late", "overdue", "unfinished", "due_soon",
                                          "in_time", "no_deadline", "not_done"]
    assert schema.TASK_FLAG == {str(f): f.label for f in TaskFlag}
    assert all(type(k) is str and type(v) is str for k, v in schema.TASK_FLAG.items())    # plain texts for writers
    assert schema.INDICATOR_STATUS == ("Đạt", "Không đạt", "Chưa đạt", "Chưa có dữ liệu", "Theo dõi",
                                       "Không tính được")
    assert [str(k) for k in PeriodKey] == ["q1", "h1", "q3", "year"]


def test_the_groups_of_flags_do_not_overlap_and_cover_every_flag():
    groups = [set(DONE), {TaskFlag.OVERDUE}, set(LATE) - {TaskFlag.OVERDUE}, set(NOT_YET_DUE), {TaskFlag.NOT_DONE}]
    assert sum(len(g) for g in groups) == len(TaskFlag) and set().union(*groups) == set(TaskFlag)
    assert set(JUDGED) == set(DONE) | {TaskFlag.OVERDUE}


# ------------------------------------------------------------------------------------------- the report

def test_the_report_counts_every_flag_in_one_column_of_phu_luc_i():
    from cchc_xl.report.annexes import TASK_COLUMN, task_columns

    assert set(TASK_COLUMN) == set(TaskFlag)
    counts = {"total": len(TaskFlag), **{f: 1 for f in TaskFlag}}
    assert sum(task_columns(counts)[1:]) == counts["total"]        # the columns add up to the total


def test_the_report_styles_and_orders_every_indicator_status():
    from cchc_xl.report.annexes import STATUS_STYLE
    from cchc_xl.report.layout import STATUS_ORDER

    assert set(STATUS_STYLE) == set(IndicatorStatus)
    assert sorted(STATUS_ORDER) == sorted(IndicatorStatus) and len(STATUS_ORDER) == len(IndicatorStatus)


# ------------------------------------------------------------------------------------------- the narrative

def test_the_narrative_words_every_flag():
    from cchc_xl.core.narrative.words import CATEGORIES, state_words
    from cchc_xl.core.tasks import Task

    assert set(TaskFlag) <= {key for key, _words in CATEGORIES}
    task = Task("1.a", 1, "a", "", "", "", "", None, "", "in_progress", dt.date(2024, 5, 2), "", "")
    texts = {f: state_words(task, f, dt.date(2024, 12, 31), dt.date(2024, 6, 14)) for f in TaskFlag}
    assert all(texts.values())


# ------------------------------------------------------------------------------------------- periods

def test_every_period_has_its_window_label_phrase_file_token_and_successor():
    from cchc_xl import engine
    from cchc_xl.core import periods
    from cchc_xl.distribute import send

    from cchc_xl.cli_args import PERIOD_CHOICES
    from cchc_xl.core.settings import _WINDOW_SETTINGS, Settings

    for table in (periods.DEFAULT_WINDOWS, periods._LABEL, periods._PHRASE, send._PERIOD_TOKEN,
                  engine._NEXT_PERIOD, _WINDOW_SETTINGS, Settings().windows()):
        assert set(table) == set(PeriodKey), table
    assert PERIOD_CHOICES == tuple(PeriodKey)
    for key in PeriodKey:
        p = periods.get_period(key, 2024)
        assert p.key is key and periods.report_title_phrase(p)


# ------------------------------------------------------------------------------------ the e-mail, the exchange file

def test_the_e_mail_names_every_flag_with_tasks():
    from cchc_xl.core.periods import get_period
    from cchc_xl.distribute.send import compose_message

    summary = {"as_of": "2024-06-14", "tasks": {"total": len(TaskFlag), **{str(f): 1 for f in TaskFlag}}}
    body = compose_message(summary, {}, get_period("h1", 2024), []).get_content()
    for flag in TaskFlag:
        assert f"{flag.label.lower()} 1" in body, flag


def test_the_exchange_file_labels_every_flag_and_status():
    from cchc_xl.exchange import spec

    for flag in TaskFlag:
        assert spec.label_for(f"tasks.{flag}") != f"tasks.{flag}", flag
    assert spec.label_for("indicator.CT2.status")


# ------------------------------------------------------------------------------------------- the registry

def test_the_indicator_registry_is_the_one_list():
    from cchc_xl.core.indicators import REGISTRY, IndicatorInputs, measure_label
    from cchc_xl.core.figures import SECTIONS
    from cchc_xl.exchange import spec

    assert [i.code for i in REGISTRY.values()] == ["CT1", "CT2", "CT3a", "CT3b", "CT4a", "CT4b", "CT4c", "CT5a",
                                                    "CT5b"]
    for key, ind in REGISTRY.items():
        assert key == ind.code.upper()
        if ind.rule is None:
            assert ind.inputs is None and ind.rate is None and not measure_label(ind.code, year_report=True)
            continue
        assert ind.inputs in SECTIONS and measure_label(ind.code, year_report=True), ind.code
        assert ind.rule(IndicatorInputs(None, None, None)) is None        # nothing known: no result, never 0
        assert ind.rate == "satisfaction" or ind.rate in spec.LABELS, ind.code
    # the exchange file's table of rates is read from the registry
    assert spec.INDICATOR_RATES == {key: ind.rate for key, ind in REGISTRY.items()}


def test_an_indicator_added_to_the_registry_is_computed_and_worded(monkeypatch):
    """CT6 is one entry of the registry: evaluate computes it, the report words it."""
    from cchc_xl.core import indicators
    from cchc_xl.core.indicators import REGISTRY, Indicator, IndicatorRow, evaluate, measure_label

    monkeypatch.setitem(REGISTRY, "CT6", Indicator("CT6", "tasks", lambda x: x.ct2 / 2, "rates.ct2",
                                                   "một nửa tỷ lệ nhiệm vụ đúng hạn"))
    [r] = evaluate([IndicatorRow("ct6", "", "", "≥", 0.4, None, "", None)], None, 0.9, None)
    assert (r.actual, r.status) == (0.45, IndicatorStatus.MET)       # 0.9 / 2 = 0.45 ≥ 0.4
    [r] = evaluate([IndicatorRow("CT6", "", "", "≥", 0.4, None, "", None)], None, 0.9, None, unavailable={"tasks"})
    assert r.status is IndicatorStatus.NOT_COMPUTABLE
    assert measure_label("CT6", year_report=False) == "một nửa tỷ lệ nhiệm vụ đúng hạn"
    assert indicators.indicator("ct6").code == "CT6"


# ------------------------------------------------------------------------------------------- the roll-up

def test_the_roll_up_classes_styles_and_counts_every_indicator_status(tmp_path):
    """One unit per status, one indicator (CT2): each unit falls in exactly one class, the classes add up to the
    units, nothing is reported as an unknown word."""
    from cchc_xl.core.periods import get_period
    from cchc_xl.exchange.reader import Submission
    from cchc_xl.rollup.aggregate import CLASSES, STATUS_CLASS, aggregate
    from cchc_xl.rollup.store import Store
    from cchc_xl.rollup.summary_page import STATUS_STYLE

    assert set(STATUS_CLASS) == set(IndicatorStatus) and set(STATUS_CLASS.values()) <= set(CLASSES)
    assert set(STATUS_STYLE) == set(IndicatorStatus)
    period = get_period(PeriodKey.H1, 2024)
    at = dt.datetime(2024, 6, 15, 9)
    with Store(tmp_path / "tong_hop.sqlite") as store:
        store.begin()
        for i, status in enumerate(IndicatorStatus):
            values = {"unit.code": f"U{i}", "unit.name": f"Trường {i}", "period.key": str(PeriodKey.H1),
                      "period.from": period.start, "period.to": period.end, "as_of": period.end, "made_at": at,
                      "format.version": 1, "program.version": "test", "indicator.CT2.op": "≥",
                      "indicator.CT2.threshold": 0.9, "indicator.CT2.status": str(status)}
            store.add_submission(f"{i:064x}", f"BC_{i}.xlsx", 1, at, at, Submission(values), at, "h1/2024", "test",
                                 None)
        store.commit()
        data = aggregate(store, period, dt.date(2024, 6, 20), None)
    [row] = data.indicator_summary.to_dict("records")
    # Đạt → met; Không đạt and Chưa đạt → not met (worded 'Chưa đạt' before the year report); one unit in each
    # other class; every unit has the indicator, so none is absent: 1 + 2 + 1 + 1 + 1 + 0 = 6 units
    assert {c: row[c] for c in CLASSES} == {"met": 1, "not_met": 2, "no_data": 1, "followed": 1, "not_computable": 1,
                                            "absent": 0}
    assert sum(row[c] for c in CLASSES) == row["units"] == len(IndicatorStatus)
    assert data.warnings == []
    assert type(row["city_status"]) is str        # a plain word, as every text the cells hold
