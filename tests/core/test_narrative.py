"""The narrative's drafts (from the figures only) and the rule that a text a person edited is never overwritten.

Issue #15: the drafts are sent as written — short names, never a cut title; no internal note; no zero clause; an
advantage is never a shortfall; a task is never late before its deadline; V asks only what the superior body can do.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from cchc_xl import schema
from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.figures import build_figures
from cchc_xl.core.indicators import IndicatorResult
from cchc_xl.core.narrative import (
    CAUSES, DIRECTION, NEXT, OPENING, PROPOSALS, SECTION_CODES, STRENGTHS, WEAKNESSES, DraftContext, NarrativeEntry,
    area_code, draft_sections, fingerprint, normalize, reason_of, resolve,
)
from cchc_xl.core.periods import get_period
from cchc_xl.core.shortname import short_name
from cchc_xl.core.tasks import Occurrence, Task, judge_tasks

CTX = DraftContext(school="Trường THPT Kiến Thụy", plan_number="30/KH-THPTKT", plan_date=date(2024, 1, 25),
                   plan_year=2024, superior="Sở Giáo dục và Đào tạo", next_end=date(2024, 9, 14),
                   superior_plan="Kế hoạch số 43/SGDĐT ngày 17/01/2024 của Sở Giáo dục và Đào tạo Hải Phòng")
YEAR_CTX = DraftContext(**{**CTX.__dict__, "next_end": None})


def task(tid, timeframe, status="in_progress", done=None, evidence="", note="", group="Tổ Toán - Tin", deadline=None,
         content=None, short=""):
    area = int(tid.split(".")[0]) if tid[0].isdigit() else 1
    return Task(tid, area, tid.split(".")[-1], content or f"Nội dung nhiệm vụ {tid}; phần sau.", group, "Tổ trưởng",
                timeframe, deadline, "", status, done, evidence, note, short_name=short)


TASKS = [
    task("1.a", "Trước ngày 25/1/2024", "done", date(2024, 1, 25), "Kế hoạch số 30/KH-THPTKT ngày 25/01/2024"),
    task("1.b", "Tháng 12/2024"),
    task("2.b", "Trước ngày 15/3/2024", note="Phân công mẫu (giả định); Chậm: chưa nhận đủ ý kiến của các tổ",
         group="Tổ Sử - Địa - GDCD", short="Nâng cao chất lượng xây dựng văn bản quy phạm pháp luật"),
    task("2.d", "Hằng quý"),
    task("4.đ", "Cả năm 2024", "cancelled", note="Không thuộc phạm vi của trường"),
    task("5.a", "Trước ngày 31/1/2024", "done", date(2024, 2, 5), "Tờ trình số 34/TTr-THPTKT ngày 05/02/2024"),
    task("5.đ", "Trước ngày 20/6/2024", "not_started"),
    task("7.c", "Trước ngày 31/5/2024", note="Chờ ngân hàng kết nối phần mềm thu", group="Bộ phận Kế toán"),
    task("7.d", "Trước ngày 30/8/2024", note="Phân công mẫu (giả định)"),
]
OCCURRENCES = [
    Occurrence("2.d-Q1", "2.d", "Quý I/2024", None, "done", date(2024, 3, 12), "Báo cáo số 47/BC-THPTKT", ""),
    Occurrence("2.d-Q2", "2.d", "Quý II/2024", None, "in_progress", None, "", "Chờ số liệu của các tổ"),
    Occurrence("2.d-Q3", "2.d", "Quý III/2024", None, "not_started", None, "", ""),
    Occurrence("2.d-Q4", "2.d", "Quý IV/2024", None, "not_started", None, "", ""),
]
INDICATORS = (IndicatorResult("CT2", 0.5, "≥", 1.0, "Chưa đạt"), IndicatorResult("CT3a", 0.97, ">", 0.95, "Đạt"),
              IndicatorResult("CT4a", 0.9, "=", 1.0, "Chưa đạt"))


def figures(as_of=date(2024, 6, 20), key="h1", tasks=TASKS, unavailable=None, indicators=()):
    period = get_period(key, 2024)
    cut = min(as_of, period.end)
    outcomes, _ = judge_tasks(tasks, OCCURRENCES, plan_year=2024, as_of=cut, cal=WorkCalendar(), due_soon_days=7)
    return build_figures(period, cut, outcomes, None, indicators, cut=cut, unavailable=unavailable)


def test_section_codes_are_the_sheet_contract():
    assert SECTION_CODES == tuple(schema.NARRATIVE_SECTIONS)


def test_every_counted_task_is_in_its_area_once_named_whole_with_its_state():
    f = figures(as_of=date(2024, 6, 14))
    d = draft_sections(f, CTX)
    for t in TASKS:
        text = d[area_code(t.area)]
        assert len(re.findall(rf"^- {re.escape(t.id)}\. ", text, re.M)) == 1, t.id
    line_2b = next(line for line in d["II.2"].splitlines() if line.startswith("- 2.b."))
    # its short name (Tên ngắn), overdue with its deadline and group, and the reason without the sample mark
    assert line_2b == ("- 2.b. Nâng cao chất lượng xây dựng văn bản quy phạm pháp luật: quá hạn (hạn 15/03/2024; "
                       "Tổ Sử - Địa - GDCD); nguyên nhân: chưa nhận đủ ý kiến của các tổ.")
    # a blank Tên ngắn: the first clause of the plan's text, drafted by the rule
    assert "- 1.b. Nội dung nhiệm vụ 1.b: đang thực hiện (hạn 31/12/2024)." in d["II.1"]
    assert "trễ hạn (hạn 31/01/2024); minh chứng: Tờ trình số 34/TTr-THPTKT" in d["II.5"]
    assert "không thực hiện; lý do: không thuộc phạm vi của trường" in d["II.4"]
    assert "- 5.đ. Nội dung nhiệm vụ 5.đ: chưa triển khai, sắp đến hạn (hạn 20/06/2024)." in d["II.5"]
    # 7.d is overdue and its note holds no reason: nothing is said of a reason (no internal note)
    assert "- 7.d. Nội dung nhiệm vụ 7.d: quá hạn (hạn 30/08/2024; Tổ Toán - Tin)." not in d["II.7"]  # not due yet
    line_2d = next(line for line in d["II.2"].splitlines() if line.startswith("- 2.d."))
    assert "Quý I/2024 hoàn thành ngày 12/03/2024, đúng hạn, minh chứng: Báo cáo số 47/BC-THPTKT" in line_2d
    assert "Quý II/2024 đang thực hiện, hạn đúng ngày báo cáo (14/06/2024)" in line_2d
    assert "lần tiếp theo: Quý III/2024 (hạn 14/09/2024)" in line_2d
    assert d["II.3"] == "Kế hoạch không có nhiệm vụ thuộc lĩnh vực này."
    # area 1: its documents are narrated in section I, not repeated in II.1
    assert "Kế hoạch số 30/KH-THPTKT" not in d["II.1"]
    for text in d.values():
        assert "chưa báo cáo" not in (text or "") and "…" not in (text or "")


def test_opening_cites_each_ground_once_and_the_school_once():
    d = draft_sections(figures(as_of=date(2024, 6, 14)), CTX)
    assert d[OPENING] == (
        "Thực hiện Kế hoạch số 43/SGDĐT ngày 17/01/2024 của Sở Giáo dục và Đào tạo Hải Phòng; căn cứ Kế hoạch số "
        "30/KH-THPTKT ngày 25/01/2024 của nhà trường về công tác cải cách hành chính năm 2024, Trường THPT Kiến Thụy "
        "báo cáo kết quả thực hiện công tác cải cách hành chính 6 tháng đầu năm 2024 (số liệu tính từ ngày "
        "15/12/2023 đến ngày 14/06/2024; tiến độ nhiệm vụ lũy kế từ đầu năm) như sau:")
    asked = DraftContext(**{**CTX.__dict__, "request": "Công văn số 120/SGDĐT ngày 01/06/2024 của Sở GD&ĐT"})
    assert "Hải Phòng; Công văn số 120/SGDĐT ngày 01/06/2024 của Sở GD&ĐT; căn cứ" in draft_sections(
        figures(as_of=date(2024, 6, 14)), asked)[OPENING]
    alone = DraftContext(**{**CTX.__dict__, "superior_plan": ""})
    assert draft_sections(figures(as_of=date(2024, 6, 14)), alone)[OPENING].startswith(
        "Căn cứ Kế hoạch số 30/KH-THPTKT ngày 25/01/2024 của nhà trường")
    early = draft_sections(figures(as_of=date(2024, 5, 2)), CTX)  # asked before the window closes
    assert "đến ngày 02/05/2024" in early[OPENING]
    # the plan's number is cited in the opening only
    whole = "\n".join(v for v in d.values() if v)
    assert whole.count("30/KH-THPTKT") == 1


def test_direction_narrates_the_documents_of_the_period_in_date_order():
    d = draft_sections(figures(as_of=date(2024, 6, 14)), CTX)
    lines = d[DIRECTION].splitlines()
    # the plan, referred to (cited in the opening), then the other documents of the window (15/12/2023–14/06/2024)
    assert lines[0].startswith("Ngày 25/01/2024, nhà trường ban hành Kế hoạch cải cách hành chính năm 2024 (nêu "
                               "tại phần mở đầu)")
    assert lines[2:] == [
        "- Tờ trình số 34/TTr-THPTKT ngày 05/02/2024: nội dung nhiệm vụ 5.a (nhiệm vụ 5.a);",
        "- Báo cáo số 47/BC-THPTKT (ngày 12/03/2024): nội dung nhiệm vụ 2.d (nhiệm vụ 2.d, Quý I/2024)."]
    assert "nhiệm vụ được giao cho" not in d[DIRECTION]  # not a count of tasks per group
    q3 = draft_sections(figures(as_of=date(2024, 9, 14), key="q3"), CTX)  # nothing issued in this window
    assert q3[DIRECTION] == ("Trong kỳ (từ ngày 15/06/2024 đến ngày 14/09/2024), nhà trường tiếp tục chỉ đạo thực "
                             "hiện các nhiệm vụ của Kế hoạch cải cách hành chính năm 2024; không ban hành văn bản chỉ "
                             "đạo, điều hành mới.")


def test_strengths_only_what_went_well_weaknesses_by_weight_causes_that_exist():
    d = draft_sections(figures(as_of=date(2024, 6, 14), indicators=INDICATORS), CTX)
    # units done on time: 1.a and 2.d's Quý I; CT3a met. CT2 (50%) and CT4a (90%) are below target: never here
    assert d[STRENGTHS] == (
        "- Đã hoàn thành đúng hạn 1 nhiệm vụ và 1 lần thực hiện nhiệm vụ định kỳ: 1.a, 2.d (Quý I/2024);\n"
        "- Đạt chỉ tiêu CT3a — tỷ lệ hồ sơ tiếp nhận trong kỳ được giải quyết trước hạn và đúng hạn 97,00% (chỉ "
        "tiêu trên 95%).")
    lines = d[WEAKNESSES].splitlines()
    # overdue first (2.b due 15/03, 7.c due 31/05), then the indicators not met yet, then the task done late
    assert lines[0] == ("- Còn 2 nhiệm vụ quá hạn, chưa hoàn thành đúng tiến độ (Tổ Sử - Địa - GDCD: 2.b; Bộ phận "
                        "Kế toán: 7.c);")
    assert lines[1].startswith("- Chưa đạt chỉ tiêu CT2 — tỷ lệ nhiệm vụ hoàn thành đúng hạn") and \
        lines[1].endswith("50,00% (chỉ tiêu 100%);")
    assert lines[2].endswith("90,00% (chỉ tiêu 100%);") and lines[3] == "- Hoàn thành trễ hạn 1 nhiệm vụ: 5.a."
    assert "= 100%" not in d[WEAKNESSES] and "≥" not in d[WEAKNESSES]  # targets as the plan words them
    assert d[CAUSES] == (
        "- Nhiệm vụ 2.b (Nâng cao chất lượng xây dựng văn bản quy phạm pháp luật): chưa nhận đủ ý kiến của các tổ;\n"
        "- Nhiệm vụ 7.c (Nội dung nhiệm vụ 7.c): chờ ngân hàng kết nối phần mềm thu.")  # 5.a gave none: not named
    quiet = figures(as_of=date(2024, 3, 14), key="q1", tasks=[t for t in TASKS if t.id in ("1.a", "5.a")])
    assert draft_sections(quiet, CTX)[CAUSES] == ""  # no cause given: nothing said


def test_next_period_lists_what_falls_due_and_the_overdue_to_finish():
    d = draft_sections(figures(as_of=date(2024, 6, 14)), CTX)
    assert d[NEXT].startswith("Kỳ tới (đến ngày 14/09/2024), nhà trường tập trung:")
    assert "- Hoàn thành các nhiệm vụ quá hạn: 2.b (Tổ Sử - Địa - GDCD); 7.c (Bộ phận Kế toán);" in d[NEXT]
    assert "- Hoàn thành các nhiệm vụ có hạn đúng ngày báo cáo (14/06/2024): 2.d (Quý II/2024);" in d[NEXT]
    due = d[NEXT].split("- Các nhiệm vụ đến hạn trong kỳ tới:")[1]
    assert [m for m in re.findall(r"^\+ (\S+) ", due, re.M)] == ["5.đ", "7.d", "2.d"]
    assert "— Quý III/2024, hạn 14/09/2024" in due


def test_proposals_come_from_the_settings_never_from_internal_reasons():
    d = draft_sections(figures(as_of=date(2024, 6, 14)), CTX)
    assert d[PROPOSALS] == ""  # nothing to ask: blank (the report prints "Không có đề xuất, kiến nghị.")
    asks = DraftContext(**{**CTX.__dict__, "proposals": ("Tổ chức tập huấn số hóa kết quả giải quyết TTHC.", "",
                                                         "- Hướng dẫn kết nối phần mềm thu với ngân hàng")})
    v = draft_sections(figures(as_of=date(2024, 6, 14)), asks)[PROPOSALS]
    assert v == ("Nhà trường đề nghị Sở Giáo dục và Đào tạo:\n- Tổ chức tập huấn số hóa kết quả giải quyết TTHC;\n"
                 "- Hướng dẫn kết nối phần mềm thu với ngân hàng.")
    assert "chưa nhận đủ ý kiến" not in v


def test_year_report_never_calls_a_task_late_before_its_deadline():
    year = figures(as_of=date(2024, 12, 14), key="year")
    d = draft_sections(year, YEAR_CTX)
    # 1.b is due 31/12: in progress at the annual cut-off, never "chưa hoàn thành", never a shortfall
    assert "- 1.b. Nội dung nhiệm vụ 1.b: đang thực hiện (hạn 31/12/2024)." in d["II.1"]
    assert "1.b" not in d[WEAKNESSES] and year.tasks.counts["unfinished"] == 0
    assert "- Hoàn thành đúng hạn các nhiệm vụ, lần thực hiện chưa đến hạn của năm 2024: 2.d (Quý IV/2024) (hạn " \
           "14/12/2024); 1.b (hạn 31/12/2024);" in d[NEXT]
    assert d[NEXT].startswith("Từ nay đến hết năm 2024 và trong năm 2025") and "năm 2025." in d[NEXT]
    # CT2 per unit: 1.a, 2.d-Q1 on time; 5.a late; 2.b, 5.đ, 7.c, 7.d, 2.d-Q2, 2.d-Q3 overdue → 2/9
    assert (year.tasks.ct2_numerator, year.tasks.ct2_denominator) == (2, 9)


def test_no_draft_where_the_figures_could_not_be_computed():
    d = draft_sections(figures(unavailable={"tasks": "bảng 'tblNhiemVu' thiếu cột 'Mã'"}), CTX)
    assert d[OPENING]  # the grounds need no table
    for code in (DIRECTION, *(area_code(a) for a in range(1, 8)), CAUSES, NEXT):
        assert d[code] is None, code


def test_a_long_title_is_named_by_a_whole_phrase_never_cut():
    long = task("3.a", "Thường xuyên", content="Tổ chức " + "hoàn thiện việc tiếp nhận " * 20 + "cuối cùng.")
    d = draft_sections(figures(tasks=TASKS + [long]), CTX)
    line = next(x for x in d["II.3"].splitlines() if x.startswith("- 3.a."))
    assert "…" not in line and line.split(": ")[0][len("- 3.a. "):] == short_name(long.content)


# -- whose text ---------------------------------------------------------------------------------------------

DRAFTS = {"I": "Bản nháp mới.", "V": "Không có đề xuất, kiến nghị."}


def entry(code, text, fp="", previous="", row=10):
    return NarrativeEntry("6 tháng đầu năm 2024", code, text, fp, previous, row)


def test_a_blank_section_gets_the_draft_and_its_fingerprint():
    r = resolve([entry("I", "")], DRAFTS)["I"]
    assert (r.text, r.source, r.write, r.fingerprint) == ("Bản nháp mới.", "draft", True, fingerprint("Bản nháp mới."))


def test_the_engines_own_draft_is_replaced_by_a_newer_one():
    old = "Bản nháp cũ, số liệu tháng trước."
    r = resolve([entry("I", old, fingerprint(old))], DRAFTS)["I"]
    assert (r.text, r.source, r.write, r.previous, r.moved) == ("Bản nháp mới.", "draft", True, "", False)


def test_an_edited_section_is_never_overwritten():
    old = "Bản nháp cũ."
    edited = old + "\nCô Lan bổ sung: nhà trường tổ chức hội nghị CCHC ngày 05/3/2024."
    for fp in (fingerprint(old), "", "rác không phải mã"):  # a stale, blank or garbled mark: still the person's
        r = resolve([entry("I", edited, fp)], DRAFTS)["I"]
        assert (r.text, r.source) == (edited, "person")  # only the mark beside it may be written (issue #15)


def test_an_edited_section_written_before_its_figures_changed_is_flagged_until_edited_again():
    # issue #15: the person edited the draft D1; the new draft differs → stale, the text untouched
    d1, edited = "Bản nháp cũ.", "Bản nháp cũ, cô Lan sửa."
    r = resolve([entry("I", edited, fingerprint(d1))], DRAFTS)["I"]
    assert (r.text, r.source, r.stale, r.write) == (edited, "person", True, True)
    assert r.fingerprint == f"{fingerprint(d1)}:{fingerprint(edited)}"
    again = resolve([entry("I", edited, r.fingerprint)], DRAFTS)["I"]  # next refresh: still to be read again
    assert again.stale and not again.write
    revised = "Cô Lan đã xem lại theo số liệu mới."  # the person edits after the warning: the new draft is seen
    r2 = resolve([entry("I", revised, r.fingerprint)], DRAFTS)["I"]
    assert (r2.text, r2.stale, r2.fingerprint, r2.write) == (revised, False, fingerprint(DRAFTS["I"]), True)
    same = resolve([entry("I", edited, fingerprint(DRAFTS["I"]))], DRAFTS)["I"]  # figures unchanged: not stale
    assert not same.stale and not same.write
    cleared = resolve([entry("I", edited, "")], DRAFTS)["I"]  # a cleared mark: the current draft is the one seen
    assert not cleared.stale and cleared.fingerprint == fingerprint(DRAFTS["I"])


def test_a_blank_draft_blanks_the_engines_own_earlier_draft_but_never_a_persons_text():
    old = "- Nhiệm vụ 2.b: nguyên nhân cũ."  # III.3 drafted when a cause was given; now none is: nothing to say
    r = resolve([entry("III.3", old, fingerprint(old))], {"III.3": ""})["III.3"]
    assert (r.text, r.source, r.write, r.fingerprint) == ("", "blank", True, "")
    mine = resolve([entry("III.3", "Cô Lan viết nguyên nhân.", fingerprint(old))], {"III.3": ""})["III.3"]
    assert (mine.text, mine.source) == ("Cô Lan viết nguyên nhân.", "person")


def test_a_redraft_on_request_replaces_an_edited_text_and_keeps_it():
    edited = "Văn bản cô Lan viết."
    r = resolve([entry("I", edited, fingerprint("x"))], DRAFTS, redraft={"I"})["I"]
    assert (r.text, r.source, r.write, r.previous, r.moved) == ("Bản nháp mới.", "draft", True, edited, True)
    untouched = resolve([entry("V", "Kiến nghị của trường.", "")], DRAFTS, redraft={"I"})["V"]
    # not asked for: the text stays (its blank mark becomes the current draft's, issue #15)
    assert (untouched.text, untouched.source, untouched.moved) == ("Kiến nghị của trường.", "person", False)


def test_line_endings_and_trailing_spaces_do_not_count_as_edits():
    draft = "Dòng một.\nDòng hai."
    r = resolve([entry("I", "Dòng một.  \r\nDòng hai.\r\n", fingerprint(draft))], {"I": draft})["I"]
    assert r.source == "draft" and not r.write  # the same draft: nothing to write


def test_no_draft_keeps_what_the_sheet_holds():
    r = resolve([entry("I", "Văn bản của trường.")], {"I": None})["I"]
    assert (r.text, r.source, r.write) == ("Văn bản của trường.", "person", False)
    blank = resolve([entry("I", "")], {"I": None})["I"]
    assert (blank.text, blank.source, blank.write) == ("", "blank", False)


def test_a_section_without_a_row_prints_the_draft():
    r = resolve([], DRAFTS)["V"]
    assert (r.text, r.source, r.write, r.row) == ("Không có đề xuất, kiến nghị.", "draft", False, None)


@pytest.mark.parametrize("note,reason", [
    ("Phân công mẫu (giả định); Chậm: chưa nhận đủ ý kiến", "chưa nhận đủ ý kiến"),
    ("Nguyên nhân: UBND thành phố chưa ban hành hướng dẫn", "UBND thành phố chưa ban hành hướng dẫn"),
    ("Sở chưa phân bổ kinh phí", "Sở chưa phân bổ kinh phí"),
    ("", ""),
])
def test_reason_of_a_note(note, reason):
    assert reason_of(note) == reason


def test_normalize_and_short_name():
    assert normalize(None) == "" and normalize("\n\n  a  \n\n") == "  a"  # blank lines at the ends go
    assert short_name("Ban hành Kế hoạch CCHC năm 2024.") == "Ban hành Kế hoạch CCHC năm 2024"
