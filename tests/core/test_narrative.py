"""The narrative's drafts (from the figures only) and the rule that a text a person edited is never overwritten."""

from __future__ import annotations

import re
from datetime import date

import pytest

from cchc_xl import schema
from cchc_xl.core.calendar import WorkCalendar
from cchc_xl.core.figures import build_figures
from cchc_xl.core.narrative import (
    CAUSES, DIRECTION, NEXT, OPENING, PROPOSALS, SECTION_CODES, STRENGTHS, WEAKNESSES, DraftContext, NarrativeEntry,
    area_code, draft_sections, fingerprint, normalize, reason_of, resolve, short_content,
)
from cchc_xl.core.periods import get_period
from cchc_xl.core.tasks import Occurrence, Task, judge_tasks

CTX = DraftContext(school="Trường THPT Kiến Thụy", plan_number="30/KH-THPTKT", plan_date=date(2024, 1, 25),
                   plan_year=2024, superior="Sở Giáo dục và Đào tạo", next_end=date(2024, 9, 14),
                   next_label="Quý III/2024")


def task(tid, timeframe, status="in_progress", done=None, evidence="", note="", group="Tổ Toán - Tin", deadline=None,
         content=None):
    area = int(tid.split(".")[0]) if tid[0].isdigit() else 1
    return Task(tid, area, tid.split(".")[-1], content or f"Nội dung nhiệm vụ {tid}; phần sau.", group, "Tổ trưởng",
                timeframe, deadline, "", status, done, evidence, note)


TASKS = [
    task("1.a", "Trước ngày 25/1/2024", "done", date(2024, 1, 25), "Kế hoạch số 30/KH-THPTKT ngày 25/01/2024"),
    task("1.b", "Tháng 12/2024"),
    task("2.b", "Trước ngày 15/3/2024", note="Phân công mẫu (giả định); Chậm: chưa nhận đủ ý kiến của các tổ",
         group="Tổ Sử - Địa - GDCD"),
    task("2.d", "Hằng quý"),
    task("4.đ", "Cả năm 2024", "cancelled", note="Không thuộc phạm vi của trường"),
    task("5.a", "Trước ngày 31/1/2024", "done", date(2024, 2, 5), "Tờ trình số 34/TTr-THPTKT ngày 05/02/2024"),
    task("5.đ", "Trước ngày 20/6/2024"),
    task("7.c", "Trước ngày 31/5/2024", note="Chờ ngân hàng kết nối phần mềm thu", group="Bộ phận Kế toán"),
    task("7.d", "Trước ngày 30/8/2024"),
]
OCCURRENCES = [
    Occurrence("2.d-Q1", "2.d", "Quý I/2024", None, "done", date(2024, 3, 12), "Báo cáo số 47/BC-THPTKT", ""),
    Occurrence("2.d-Q2", "2.d", "Quý II/2024", None, "in_progress", None, "", "Chờ số liệu của các tổ"),
    Occurrence("2.d-Q3", "2.d", "Quý III/2024", None, "not_started", None, "", ""),
    Occurrence("2.d-Q4", "2.d", "Quý IV/2024", None, "not_started", None, "", ""),
]


def figures(as_of=date(2024, 6, 20), key="h1", tasks=TASKS, unavailable=None):
    period = get_period(key, 2024)
    cut = min(as_of, period.end)
    year_end = key == "year" and cut >= period.end
    outcomes, _ = judge_tasks(tasks, OCCURRENCES, plan_year=2024, as_of=cut, cal=WorkCalendar(), due_soon_days=7,
                              year_end=year_end)
    return build_figures(period, as_of, outcomes, None, [], cut=cut, unavailable=unavailable)


def test_section_codes_are_the_sheet_contract():
    assert SECTION_CODES == tuple(schema.NARRATIVE_SECTIONS)


def test_every_counted_task_is_in_its_area_once_with_evidence_group_and_reason():
    f = figures(as_of=date(2024, 6, 14))
    d = draft_sections(f, CTX)
    for t in TASKS:
        text = d[area_code(t.area)]
        assert len(re.findall(rf"^- {re.escape(t.id)}\. ", text, re.M)) == 1, t.id
    assert "Kế hoạch số 30/KH-THPTKT ngày 25/01/2024" in d["II.1"]  # done: its evidence
    line_2b = next(line for line in d["II.2"].splitlines() if line.startswith("- 2.b."))
    assert "quá hạn" in line_2b and "Tổ Sử - Địa - GDCD" in line_2b  # overdue: deadline, group,
    assert "nguyên nhân: chưa nhận đủ ý kiến của các tổ" in line_2b and "giả định" not in line_2b  # and reason
    assert "trễ hạn (hạn 31/01/2024)" in d["II.5"]  # done late: says so, with its deadline
    assert "không thực hiện; lý do: không thuộc phạm vi của trường" in d["II.4"]
    line_2d = next(line for line in d["II.2"].splitlines() if line.startswith("- 2.d."))
    assert "Quý I/2024 hoàn thành ngày 12/03/2024" in line_2d and "Báo cáo số 47/BC-THPTKT" in line_2d
    assert "lần tiếp theo: Quý III/2024" not in line_2d or "Quý II/2024" in line_2d
    assert d["II.3"] == "Kế hoạch không có nhiệm vụ thuộc lĩnh vực này."


def test_opening_gives_the_grounds_and_the_window():
    d = draft_sections(figures(as_of=date(2024, 6, 14)), CTX)
    assert d[OPENING].startswith("Căn cứ Kế hoạch số 30/KH-THPTKT ngày 25/01/2024 của Trường THPT Kiến Thụy")
    assert "6 tháng đầu năm 2024 (số liệu tính từ ngày 15/12/2023 đến ngày 14/06/2024)" in d[OPENING]
    early = draft_sections(figures(as_of=date(2024, 5, 2)), CTX)  # asked before the window closes
    assert "đến ngày 02/05/2024" in early[OPENING]


def test_direction_counts_the_plan_and_lists_area_one_documents_of_the_period():
    d = draft_sections(figures(as_of=date(2024, 6, 14)), CTX)
    assert f"với {len(TASKS)} nhiệm vụ" in d[DIRECTION]
    assert "Kế hoạch số 30/KH-THPTKT ngày 25/01/2024" in d[DIRECTION]
    q3 = draft_sections(figures(as_of=date(2024, 9, 14), key="q3"), CTX)  # 1.a was done before this window
    assert "không có văn bản chỉ đạo, điều hành mới" in q3[DIRECTION]


def test_assessment_next_period_and_proposals_come_from_the_figures():
    d = draft_sections(figures(as_of=date(2024, 6, 14)), CTX)
    assert "2.b" in d[WEAKNESSES] and "7.c" in d[WEAKNESSES] and "5.a" in d[WEAKNESSES]
    assert "- Nhiệm vụ 2.b: chưa nhận đủ ý kiến của các tổ." in d[CAUSES]
    assert "- Nhiệm vụ 7.c: chờ ngân hàng kết nối phần mềm thu." in d[CAUSES]
    assert d[PROPOSALS].startswith("Nhà trường đề nghị Sở Giáo dục và Đào tạo") and "7.c" in d[PROPOSALS]
    assert f"Đã hoàn thành 2/{len(TASKS)} nhiệm vụ" in d[STRENGTHS]
    # IV: what falls due after the cut-off up to the next report (14/09), in date order: 5.đ (20/06), 7.d (30/08),
    # 2.d's Quý III (14/09); apart, what is due on the report day itself and not done (2.d's Quý II); and the
    # overdue tasks to finish
    assert "đến ngày 14/09/2024" in d[NEXT]
    assert "- Hoàn thành các nhiệm vụ có hạn đúng ngày báo cáo (14/06/2024): 2.d (Quý II/2024)." in d[NEXT]
    due = d[NEXT].split("- Các nhiệm vụ đến hạn trong kỳ tới:")[1]
    assert [m for m in re.findall(r"^\+ (\S+) ", due, re.M)] == ["5.đ", "7.d", "2.d"]
    assert "Quý III/2024, hạn 14/09/2024" in due
    assert "Hoàn thành các nhiệm vụ quá hạn: 2.b" in d[NEXT]


def test_year_report_looks_to_next_year():
    year = figures(as_of=date(2024, 12, 14), key="year")
    d = draft_sections(year, DraftContext(**{**CTX.__dict__, "next_end": None, "next_label": ""}))
    assert d[NEXT].startswith("Năm 2025") and "Kế hoạch cải cách hành chính năm 2025" in d[NEXT]
    assert "chưa hoàn thành khi kết thúc năm" in d["II.1"]  # 1.b, December: unfinished in the year report
    assert "Các chỉ tiêu" not in d[WEAKNESSES] or "không đạt" in d[WEAKNESSES]


def test_no_draft_where_the_figures_could_not_be_computed():
    d = draft_sections(figures(unavailable={"tasks": "bảng 'tblNhiemVu' thiếu cột 'Mã'"}), CTX)
    assert d[OPENING]  # the grounds need no table
    for code in (DIRECTION, *(area_code(a) for a in range(1, 8)), CAUSES, NEXT, PROPOSALS):
        assert d[code] is None, code


def test_drafts_never_cut_a_word():
    long = task("3.a", "Thường xuyên", content="Tổ chức " + "hoàn thiện việc tiếp nhận " * 20 + "cuối cùng.")
    d = draft_sections(figures(tasks=TASKS + [long]), CTX)
    line = next(x for x in d["II.3"].splitlines() if x.startswith("- 3.a."))
    clause = line.split(": ")[0][len("- 3.a. "):]
    assert clause.endswith("…") and ("Tổ chức " + "hoàn thiện việc tiếp nhận " * 20).startswith(clause[:-1] + " ")


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
        assert (r.text, r.source, r.write) == (edited, "person", False)


def test_a_redraft_on_request_replaces_an_edited_text_and_keeps_it():
    edited = "Văn bản cô Lan viết."
    r = resolve([entry("I", edited, fingerprint("x"))], DRAFTS, redraft={"I"})["I"]
    assert (r.text, r.source, r.write, r.previous, r.moved) == ("Bản nháp mới.", "draft", True, edited, True)
    untouched = resolve([entry("V", "Kiến nghị của trường.", "")], DRAFTS, redraft={"I"})["V"]
    assert untouched.text == "Kiến nghị của trường." and not untouched.write


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


def test_normalize_and_short_content():
    assert normalize(None) == "" and normalize("\n\n  a  \n\n") == "  a"  # blank lines at the ends go
    assert short_content("Ban hành Kế hoạch CCHC năm 2024.") == "Ban hành Kế hoạch CCHC năm 2024"
