"""The four period reports of the bundled workbook printed by LibreOffice (headless, private profile), read back
with poppler: one serif family with every Vietnamese glyph, words extracted whole, the pages the layout planned
(no extra break), each page's text in order, page numbers from page 2 at the top centre, no heading at the foot of
a page, every task accounted for, the same figures as ``refresh --json`` (issue #7 §3 and "Done when")."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cchc_xl import engine
from cchc_xl.core import vnformat
from cchc_xl.io.file_book import FileBook
from cchc_xl.report.layout import build_report_grid

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice"))
                                or not shutil.which("pdftotext"),
                                reason="LibreOffice (soffice) and poppler-utils are needed to print and read the PDF")
HEADINGS = {"h1", "h2", "h3", "annex_no", "annex_title", "annex_ref", "nd_title", "nd_subject"}


def _script():
    spec = importlib.util.spec_from_file_location("render_report_pages", ROOT / "scripts" / "render_report_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def printed(built_workbook, tmp_path_factory):
    """period → (RefreshResult, grid, PDF) for the four report dates."""
    render = _script()
    work = tmp_path_factory.mktemp("pdf")
    pdfs = render.render(built_workbook, work)
    out = {}
    for key, as_of in render.REPORTS:
        result = engine.compute(engine.load_data(FileBook.open(work / f"{key}.xlsm")), as_of=as_of, period=key)
        out[key] = (result, build_report_grid(result), pdfs[key])
    return out


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")[:-1]


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _grid_pages(grid) -> list[list[tuple[str, str, bool]]]:
    """The (text, style, leftmost in its row) of each printed cell, page by page as the layout planned them."""
    starts = [b + 1 for b in grid.row_breaks]
    pages: list[list[tuple[str, str, bool]]] = [[] for _ in range(len(starts) + 1)]
    seen_rows: set[int] = set()
    for (r, c), (value, style) in sorted(grid.cells.items()):
        if c > grid.columns or value in (None, ""):
            continue
        page = sum(1 for s in starts if r >= s)
        pages[page].append((_norm(str(value)), style, r not in seen_rows))
        seen_rows.add(r)
    return pages


KEYS = ["q1", "h1", "q3", "year"]


@pytest.mark.parametrize("key", KEYS)
def test_one_serif_family_with_vietnamese_glyphs(printed, key):
    fonts = subprocess.run(["pdffonts", str(printed[key][2])], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    families = {row[0].split("+")[-1].split("-")[0] for row in rows}
    assert families == {"LiberationSerif"}, fonts  # Times New Roman's metric twin: one serif for the body
    assert all(row[-5] == "yes" for row in rows)  # embedded
    words = subprocess.run(["pdftotext", "-bbox", str(printed[key][2]), "-"], capture_output=True,
                           check=True).stdout.decode("utf-8")
    assert re.search(r">Kế</word>\s*<word[^>]*>hoạch</word>", words)  # whole words, every diacritic in place
    text = "\n".join(_pages(printed[key][2]))
    assert "Kế hoạch" in text and "Độc lập - Tự do - Hạnh phúc" in text


@pytest.mark.parametrize("key", KEYS)
def test_pages_as_planned_with_text_in_order(printed, key):
    result, grid, pdf = printed[key]
    pages = _pages(pdf)
    planned = _grid_pages(grid)
    assert len(pages) == len(planned) == len(grid.row_breaks) + 1  # no break LibreOffice added or dropped
    for n, (page, cells) in enumerate(zip(pages, planned), start=1):
        text = _norm(page)
        at = 0
        for value, style, leftmost in cells:  # rows top to bottom; cells side by side in a row in any order
            # a paragraph: its first words in a row; a table cell (narrow, its lines interleaved with its
            # neighbours' in the extracted text): its first word
            head = " ".join(value.split()[:1 if style.startswith("t_") else 4])
            assert head in text, f"page {n}: '{head}' missing"
            if leftmost and not style.startswith("t_"):  # the flow of paragraphs and headings, in order
                found = text.find(head, at)
                assert found >= 0, f"page {n}: '{head}' out of order"
                at = found


@pytest.mark.parametrize("key", KEYS)
def test_page_numbers_from_page_two_at_the_top(printed, key):
    pdf = printed[key][2]
    pages = _pages(pdf)
    assert not re.match(r"\s*\d+\s*\n", pages[0])  # page 1: no number
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    for n, page in enumerate(bbox.split("<page ")[2:], start=2):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        x0, y0, x1, _y1, word = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                                          r'([^<]*)</word>', page).groups()
        assert word == str(n) and float(y0) < 60  # the first word of the page, in the top margin
        assert abs((float(x0) + float(x1)) / 2 - width / 2) < 60  # centred (over the text column)


@pytest.mark.parametrize("key", KEYS)
def test_no_heading_at_the_foot_of_a_page(printed, key):
    _, grid, pdf = printed[key]
    planned = _grid_pages(grid)
    for n, (page, cells) in enumerate(zip(_pages(pdf), planned), start=1):
        headings = [v for v, s, _ in cells if s in HEADINGS]
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        last = _norm(lines[-1])
        assert not any(_norm(h).endswith(last) for h in headings), f"page {n} ends with a heading: {last}"


@pytest.mark.parametrize("key", KEYS)
def test_every_task_and_figure_in_the_pdf(printed, key):
    result, _grid, pdf = printed[key]
    text = _norm("\n".join(_pages(pdf)))
    for t in result.data.tasks:
        assert re.search(rf"(?<![\w.]){re.escape(t.id)}(?![\w])", text), t.id
    j = result.to_json()
    ct2 = j["figures"]["tasks"]["ct2"]
    assert f"(chỉ tiêu CT2): {ct2['numerator']}/{ct2['denominator']} = {vnformat.percent(ct2['rate'])}" in text
    d = j["figures"]["dossiers"]
    assert f"Tổng số hồ sơ tiếp nhận {d['total']}" in text and f"tiếp nhận {d['total']} hồ sơ" in text
    assert f"Tổng cộng {j['tasks']['total']} " in text


def test_times_new_roman_is_liberation_serif_here():
    if not shutil.which("fc-match"):
        pytest.skip("fontconfig's fc-match is not installed")
    out = subprocess.run(["fc-match", "Times New Roman"], capture_output=True, text=True).stdout
    assert "Liberation Serif" in out
    vi = subprocess.run(["fc-list", ":lang=vi", "family"], capture_output=True, text=True).stdout
    assert "Liberation Serif" in vi  # fonts-liberation2: every Vietnamese glyph (1.x lacks them)


def test_the_exchange_files_report_prints_the_same_pages(printed, tmp_path):
    """The PDF the Sở receives is printed from the exchange file (XlsxWriter): same frame, same breaks, same pages."""
    from cchc_xl.exchange.writer import write_exchange
    from cchc_xl.schema import SHEET_REPORT

    render = _script()
    result, grid, pdf = printed["h1"]
    xlsx = write_exchange(result, tmp_path / "BC_CCHC.xlsx")
    only = tmp_path / "bao_cao_trao_doi.xlsx"
    render.report_only(xlsx, only, SHEET_REPORT)
    theirs = render.to_pdf([only], tmp_path)[0]
    assert render.page_count(theirs) == render.page_count(pdf) == len(grid.row_breaks) + 1
    assert [_norm(p) for p in _pages(theirs)] == [_norm(p) for p in _pages(pdf)]


@pytest.mark.parametrize("key", KEYS)
def test_the_text_a_reviewer_would_not_return(printed, key):
    """Issue #15, on the printed PDF: no cut title, no internal note, no zero clause, no advantage that is a
    shortfall, no task called late before its deadline, the plan cited once, Vietnamese typography, targets as the
    plan words them."""
    result, _grid, pdf = printed[key]
    text = _norm("\n".join(_pages(pdf))).replace("……/BC", "/BC")  # the number the school fills in by hand
    body = text.split("Nơi nhận:")[0]
    as_of = result.figures.as_of
    assert "…" not in text  # no cut title: short names in sentences, whole texts in the annexes
    assert "chưa báo cáo" not in text and "chưa ghi" not in text  # no internal note
    # no zero clause in a sentence (the tables show their zeros)
    assert not re.search(r"(?<![\d.,/])0 (hồ sơ|nhiệm vụ)|(quá hạn|bổ sung|trễ hạn|trực tuyến|trực tiếp|bưu chính|"
                         r"chuyển sang|rút hồ sơ|đúng hạn|trước hạn) 0(?![\d,])", body), key
    # never late before the deadline: every "quá hạn (hạn d" has d before the as-of date
    for d in re.findall(r"quá hạn \(hạn (\d\d/\d\d/\d{4})", text):
        assert dt.datetime.strptime(d, "%d/%m/%Y").date() < as_of, (key, d)
    assert "chưa hoàn thành khi kết thúc năm" not in text
    # an advantage is never a shortfall: III.1 names only indicators met
    strengths = body.split("1. Ưu điểm")[1].split("2. Tồn tại, hạn chế")[0]
    for r in result.figures.indicators:
        if r.status != "Đạt":
            assert f"chỉ tiêu {r.code} " not in strengths, (key, r.code)
    assert "chưa đạt" not in strengths.lower() and "quá hạn" not in strengths
    # the school's plan cited once (the opening), the school named once in the opening sentence
    assert len(re.findall(r"30/KH- ?THPTKT", body)) == 1
    opening = body.split("I. CÔNG TÁC CHỈ ĐẠO")[0].split("như sau:")[0]
    assert opening.count("Trường THPT Kiến Thụy") == 1 and "Kế hoạch số 43/SGDĐT ngày 17/01/2024" in opening
    # typography: no straight quote, targets as the plan words them
    assert "'" not in text and '"' not in text
    assert "≥" not in text and "≤" not in text and not re.search(r"= \d+%", text)  # "4/5 = 80,00%" is a result
    assert "trên 95%" in text and "từ 90% trở lên" in text
