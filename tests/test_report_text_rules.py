"""The report a Sở accepts as written (issue #15), on the bundled workbook at its four report dates: definitions that
hold (CT2 per unit of work, the late rate including pending overdue dossiers, one completion rate, not started apart
from in progress, spans named), short names instead of cut titles, and a person's section flagged — never touched —
when its figures changed after it was written. The rendered PDF is checked in tests/test_report_pdf.py."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from cchc_xl import schema
from cchc_xl.cli import main
from cchc_xl.core.narrative import state_words
from cchc_xl.core.shortname import short_name
from cchc_xl.engine import compute, load_data, refresh_file
from cchc_xl.exchange.writer import exchange_entries
from cchc_xl.io.file_book import FileBook
from cchc_xl.io.ooxml import Package, parse_ref
from cchc_xl.report.layout import build_report_grid

ROOT = Path(__file__).resolve().parents[1]
REPORTS = {"q1": dt.date(2024, 3, 14), "h1": dt.date(2024, 6, 14), "q3": dt.date(2024, 9, 14),
           "year": dt.date(2024, 12, 14)}
TYPOS = ("đổi với", "đối mới", "công trực tuyến công trực tuyến")


@pytest.fixture(scope="module")
def data(built_workbook):
    return load_data(FileBook.open(built_workbook))


@pytest.fixture(scope="module")
def results(data):
    return {key: compute(data, as_of=as_of, period=key) for key, as_of in REPORTS.items()}


def printed(result) -> str:
    """The report's printed texts in reading order, whitespace made single spaces; the number left blank for the
    school to fill (``Số: ……/BC-THPTKT``) is not a cut text and is left out."""
    grid = build_report_grid(result)
    text = " ".join(str(v) for (_, c), (v, _s) in sorted(grid.cells.items())
                    if isinstance(v, str) and c <= grid.columns)
    return " ".join(text.replace("……/", "/").split())


def body(result) -> str:
    """The report before its annexes."""
    return printed(result).split("Nơi nhận:")[0]


# -- §2 definitions ------------------------------------------------------------------------------------------

def test_ct2_counts_each_task_and_each_occurrence_once(results):
    # Q1 (14/03): units done on time 1.a, 6.a, 2.d Quý I (12/03), 6.b Quý I (13/03); done late 5.a (05/02 > 31/01);
    # nothing overdue → 4/5 = 80% (per whole task it would be 2/3: 2.d and 6.b not judged yet)
    j = results["q1"].to_json()
    assert j["figures"]["tasks"]["ct2"]["numerator"] == 4 and j["figures"]["tasks"]["ct2"]["denominator"] == 5
    assert set(j["occurrence_flags"]) == {"2.d", "6.b"}
    assert j["occurrence_flags"]["2.d"][0] == {"label": "Quý I/2024", "due": "2024-03-14",
                                               "flag": "Hoàn thành đúng hạn"}
    assert [o["flag"] for o in j["occurrence_flags"]["6.b"]] == ["Hoàn thành đúng hạn", "Trong hạn", "Trong hạn",
                                                                  "Trong hạn"]
    indicator = {i["code"]: i for i in j["indicators"]}["CT2"]
    assert indicator["actual"] == pytest.approx(0.8)


def test_the_indicator_sheet_says_what_the_engine_computes():
    rows = {r["Mã"]: r for r in csv.DictReader((ROOT / "workbook" / "src" / "indicators.csv").open(encoding="utf-8"))}
    method = rows["CT2"]["Cách tính"]
    assert "đã đến hạn hoặc đã hoàn thành" in method and "lần thực hiện" in method
    assert "mọi nhiệm vụ trong năm đều đến hạn" not in method  # the year-end rule is gone (issue #15)


def test_late_rate_including_pending_overdue_is_never_below_the_late_rate(results):
    for key, r in results.items():
        st = r.figures.dossiers
        rates = st.rates()
        assert rates["late_incl_pending_overdue"] == pytest.approx(
            (st.late + st.pending_overdue) / (st.resolved + st.pending_overdue)), key
        assert rates["late_incl_pending_overdue"] >= rates["late"], key
    # Q1: 1 late of 13 resolved, none pending overdue → 1/13 = 7,69% (7,14% with the old denominator, 14 received)
    assert results["q1"].figures.dossiers.rates()["late_incl_pending_overdue"] == pytest.approx(1 / 13)


def test_one_completion_rate_in_every_output(results):
    r = results["year"]
    t = r.figures.tasks
    assert (t.done, t.carried_out) == (6, 30)  # 4.đ (Không thực hiện) is not carried out
    assert "đã hoàn thành 6/30 nhiệm vụ nhà trường thực hiện (20,00%)" in body(r)
    entries = {k: v for k, _label, v, _unit in exchange_entries(r)}
    assert (entries["tasks.done"], entries["tasks.active"]) == (6, 30)
    assert entries["rates.task_completion"] == pytest.approx(6 / 30)
    assert r.to_json()["figures"]["tasks"]["completion"] == {"done": 6, "carried_out": 30, "rate": 0.2}


def test_not_started_is_counted_and_named_apart_from_in_progress(results):
    text = body(results["q1"])
    # Q1: 1.đ, 4.c, 4.g, 5.c, 5.e are 'Chưa thực hiện' and not due yet; 21 others are in progress and not due yet
    assert "đang thực hiện, chưa đến hạn 21; chưa triển khai, chưa đến hạn 5 (1.đ, 4.c, 4.g, 5.c, 5.e)" in text
    assert "1.đ. Đề xuất khen thưởng những mô hình mới, cách làm sáng tạo: chưa triển khai (hạn 30/11/2024)" in text
    assert results["q1"].to_json()["figures"]["tasks"]["not_started"] == ["1.đ", "4.c", "4.g", "5.c", "5.e"]


@pytest.mark.parametrize("key", ["h1", "q3"])
def test_each_figure_names_its_span(results, key):
    r = results[key]
    f = r.figures
    text = printed(r)
    start, end = f.period.start.strftime("%d/%m/%Y"), f.cut.strftime("%d/%m/%Y")
    assert f"Tiến độ nhiệm vụ (tính từ đầu năm đến ngày {end})" in text
    assert f"Hồ sơ thủ tục hành chính trong kỳ (từ ngày {start} đến ngày {end})" in text
    assert f"Số liệu tính từ đầu năm đến ngày {end}." in text  # Phụ lục I and IV
    assert f"Số liệu trong kỳ, từ ngày {start} đến ngày {end}." in text  # Phụ lục III
    # the two "trước hạn và đúng hạn" rates, each with its label; CT3a's says "trong kỳ" outside the year report
    assert "tỷ lệ hồ sơ tiếp nhận trong kỳ được giải quyết trước hạn và đúng hạn" in text
    assert "trên tổng số hồ sơ đã giải quyết trong kỳ" in text
    assert "tiếp nhận trong năm được giải quyết trước hạn và đúng hạn" not in text.replace(
        "Tỷ lệ hồ sơ TTHC tiếp nhận trong năm được giải quyết trước và đúng hạn", "")  # only the plan's own words


def test_the_year_report_says_which_tasks_are_not_due_yet_and_when_ct2_is_final(results):
    text = body(results["year"])
    assert "1.b. Đánh giá công tác CCHC của trường theo Bộ Chỉ số CCHC của thành phố: đang thực hiện (hạn " \
           "31/12/2024)." in text
    assert "chưa tính vào tỷ lệ CT2" in text and "Tỷ lệ CT2 cả năm là tỷ lệ tính lại khi cập nhật số liệu vào ngày " \
                                                "31/12/2024 hoặc sau đó." in text
    weaknesses = text.split("2. Tồn tại, hạn chế")[1].split("IV. PHƯƠNG HƯỚNG")[0]
    for tid in ("1.b", "1.d", "1.e", "2.a", "3.a", "4.b", "4.g", "5.b", "5.d", "5.e", "7.a"):  # due 31/12
        assert not re.search(rf"(?<![\w.]){re.escape(tid)}(?![\w])", weaknesses), tid
    assert "chưa hoàn thành khi kết thúc năm" not in printed(results["year"])
    later = compute(results["year"].data, as_of=dt.date(2025, 1, 5), period="year")  # after 31/12: now judged
    assert later.figures.tasks.counts["in_time"] == 0 and later.figures.ct2 is not None
    assert "1.b" in {o.task.id for o in later.figures.tasks.overdue}


def test_every_occurrence_reads_the_same_in_section_two_and_the_annexes(results):
    r = results["year"]
    text = printed(r)
    for o in r.figures.tasks.counted:
        for occ in o.occurrences:
            words = state_words(occ.occurrence, occ.flag, occ.deadline, r.figures.as_of)
            assert f"{occ.occurrence.label} {words}" in text, occ.occurrence.id      # section II
            assert f"{occ.occurrence.label}: {words}" in text, occ.occurrence.id     # Phụ lục I
    # Phụ lục IV names exactly the overdue occurrences (Quý IV, due on the report day, is not late)
    assert "Quá hạn (Quý III/2024)." in text and "Quá hạn (Quý II/2024, Quý III/2024)." in text
    assert "Quý IV/2024 chưa triển khai, hạn đúng ngày báo cáo (14/12/2024)" in text


# -- §1 text --------------------------------------------------------------------------------------------------

def test_short_names_are_whole_correct_and_used_in_sentences(data, results):
    names = {t.id: t for t in data.tasks}
    source = {r["Mã"]: r for r in csv.DictReader((ROOT / "workbook" / "src" / "tasks.csv").open(encoding="utf-8"))}
    for tid, row in source.items():
        name = row["Tên ngắn"]
        assert name and "…" not in name and len(name) <= 110, tid
        assert not any(typo in name for typo in TYPOS), tid
    # the plan's typos stay verbatim in 'Nội dung công việc' (it is the plan)
    contents = " ".join(r["Nội dung công việc"] for r in source.values())
    assert all(typo in contents for typo in TYPOS)
    text = body(results["h1"])
    assert "4.g. Triển khai Nghị quyết của Hội đồng nhân dân thành phố về đẩy mạnh phân cấp đối với UBND cấp " \
           "huyện, cấp xã:" in text
    assert not any(typo in text for typo in TYPOS) and "…" not in text
    assert " ".join(names["1.đ"].content.split()) in printed(results["year"])  # Phụ lục IV: the whole text, typos


def test_a_blank_short_name_is_drafted_and_an_edited_one_kept(workbook_copy, tmp_path):
    pkg = Package.open(workbook_copy)
    info = pkg.table(schema.TASKS.table)
    r1, c1, _, _ = parse_ref(info.ref)
    col = c1 + info.headers.index("Tên ngắn")
    rows = {t.id: t.row for t in load_data(FileBook.open(workbook_copy)).tasks}
    pkg.set_cells(info.sheet, {(rows["1.b"], col): None, (rows["2.a"], col): "Xây dựng cơ chế, chính sách ngành"})
    pkg.save(workbook_copy, backup=False)
    result = compute(load_data(FileBook.open(workbook_copy)), as_of=REPORTS["h1"], period="h1")
    text = body(result)
    drafted = short_name(next(t.content for t in result.data.tasks if t.id == "1.b"))
    assert f"1.b. {drafted}: đang thực hiện" in text and "…" not in drafted
    assert "2.a. Xây dựng cơ chế, chính sách ngành: đang thực hiện" in text


def test_proposals_come_from_the_settings(workbook_copy, results):
    text = body(results["h1"])
    assert "Nhà trường đề nghị Sở Giáo dục và Đào tạo: - Hướng dẫn việc kết nối phần mềm quản lý thu" in text
    assert "chưa nhận đủ ý kiến của các tổ" not in text.split("V. ĐỀ XUẤT, KIẾN NGHỊ")[1]  # internal: not in V
    pkg = Package.open(workbook_copy)
    info = pkg.table(schema.SETTINGS.table)
    td = FileBook.open(workbook_copy).read_table(schema.SETTINGS.sheet, schema.SETTINGS.table)
    row = next(td.first_row + i for i, r in enumerate(td.rows) if r[0].value == "de_xuat_kien_nghi")
    pkg.set_cells(info.sheet, {(row, parse_ref(info.ref)[1] + 1): None})
    pkg.save(workbook_copy, backup=False)
    empty = compute(load_data(FileBook.open(workbook_copy)), as_of=REPORTS["h1"], period="h1")
    assert "V. ĐỀ XUẤT, KIẾN NGHỊ Không có đề xuất, kiến nghị. Trên đây là báo cáo" in body(empty)


# -- §3 a person's section written before its figures changed --------------------------------------------------

def _narrative(path, period, code):
    td = FileBook.open(path).read_table(schema.NARRATIVE.sheet, schema.NARRATIVE.table)
    for i, cells in enumerate(td.rows):
        rec = {h: c.value for h, c in zip(td.headers, cells)}
        if rec["Kỳ báo cáo"] == period and rec["Mục"] == code:
            return {**rec, "_row": td.first_row + i}
    raise KeyError(code)


def _set(path, row, header, value, spec=schema.NARRATIVE):
    pkg = Package.open(path)
    info = pkg.table(spec.table)
    pkg.set_cells(info.sheet, {(row, parse_ref(info.ref)[1] + spec.col(header)): value})
    pkg.save(path, backup=False)


def _summary(*args) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([str(a) for a in args]) == 0
    return out.getvalue()


def test_an_edited_section_is_flagged_when_its_figures_change_and_never_touched(workbook_copy, tmp_path):
    h1 = "6 tháng đầu năm 2024"
    first = tmp_path / "a.xlsm"
    refresh_file(workbook_copy, as_of=REPORTS["h1"], period="h1", out=first, backup=False)
    edited = _narrative(first, h1, "II.7")["Nội dung"] + "\n- Cô Lan bổ sung: tổ Toán - Tin đã họp ngày 05/6/2024."
    _set(first, _narrative(first, h1, "II.7")["_row"], "Nội dung", edited)
    same = tmp_path / "same.xlsm"
    assert "hãy xem lại" not in _summary("refresh", first, "--as-of", "2024-06-14", "--period", "h1", "--out", same)
    assert _narrative(same, h1, "II.7")["Nguồn"] == schema.NARRATIVE_SOURCE["person"]  # figures unchanged
    # the data change: 7.c is done (late) → the draft of II.7 changes; the person's text does not
    tasks = {t.id: t.row for t in load_data(FileBook.open(same)).tasks}
    pkg = Package.open(same)
    info = pkg.table(schema.TASKS.table)
    c1 = parse_ref(info.ref)[1]
    pkg.set_cells(info.sheet, {(tasks["7.c"], c1 + schema.TASKS.col("Trạng thái")): "Hoàn thành",
                               (tasks["7.c"], c1 + schema.TASKS.col("Ngày hoàn thành")): dt.datetime(2024, 6, 10)})
    pkg.save(same, backup=False)
    second = tmp_path / "b.xlsm"
    text = _summary("refresh", same, "--as-of", "2024-06-14", "--period", "h1", "--out", second)
    assert "Mục II.7 do cán bộ sửa" in text and "số liệu đã thay đổi sau khi sửa — hãy xem lại" in text
    row = _narrative(second, h1, "II.7")
    assert row["Nội dung"] == edited and row["Nguồn"] == schema.NARRATIVE_SOURCE["stale"]
    assert "Cô Lan bổ sung" in " ".join(str(v) for v in _report_values(second))
    third = tmp_path / "c.xlsm"  # still flagged until the person looks at it again
    assert "hãy xem lại" in _summary("refresh", second, "--as-of", "2024-06-14", "--period", "h1", "--out", third)
    _set(third, row["_row"], "Nội dung", edited + " Đã xem lại.")
    fourth = tmp_path / "d.xlsm"
    assert "hãy xem lại" not in _summary("refresh", third, "--as-of", "2024-06-14", "--period", "h1", "--out", fourth)
    assert _narrative(fourth, h1, "II.7")["Nguồn"] == schema.NARRATIVE_SOURCE["person"]
    assert _narrative(fourth, h1, "II.7")["Nội dung"] == edited + " Đã xem lại."


def _report_values(path):
    return [v for v in Package.open(path).read_sheet(schema.SHEET_REPORT).cells.values() if v.value]
