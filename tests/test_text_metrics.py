"""The font metrics the report's row heights are computed from, and the doctests of the layout modules."""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import pytest

from cchc_xl.report import textmetrics

FONTS = Path("/usr/share/fonts/truetype/liberation2")


@pytest.mark.parametrize("name", ["cchc_xl.report.textmetrics", "cchc_xl.report.flow", "cchc_xl.excel.xw_book"])
def test_doctests(name):
    failures, tried = doctest.testmod(importlib.import_module(name))
    assert failures == 0 and tried > 0


def test_the_shipped_widths_are_the_installed_fonts():
    """cchc_xl/data/fonts/liberation_serif.json was made from fonts-liberation2 (scripts/font_metrics.py)."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    if not (FONTS / "LiberationSerif-Regular.ttf").exists():
        pytest.skip("fonts-liberation2 is not installed")
    shipped = Path(textmetrics.__file__).parent.parent / "data" / "fonts" / "liberation_serif.json"
    data = json.loads(shipped.read_text("utf-8"))
    for key, name in (("regular", "Regular"), ("bold", "Bold"), ("italic", "Italic"), ("bold_italic", "BoldItalic")):
        font = ttlib.TTFont(str(FONTS / f"LiberationSerif-{name}.ttf"))
        cmap, hmtx = font.getBestCmap(), font["hmtx"].metrics
        upm = font["head"].unitsPerEm
        for text in ("Kế hoạch cải cách hành chính", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc",
                     "ăâđêôơư ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ 0123456789 ≥ ≤ – … “”"):
            want = sum(hmtx[cmap[ord(ch)]][0] for ch in text) / upm * 13
            got = textmetrics.text_width(text, 13, bold="bold" in key, italic="italic" in key)
            assert got == pytest.approx(want, abs=1e-6), (key, text)
        assert data["units_per_em"] == upm


def test_wrapping_never_exceeds_the_width_and_keeps_every_word():
    text = ("Tổ chức hoàn thiện việc tiếp nhận, giải quyết hồ sơ TTHC thuộc phạm vi quản lý của trường; tiếp tục tăng "
            "cường việc tiếp nhận và giải quyết TTHC trên môi trường điện tử.\nDòng mới sau một dấu xuống dòng.")
    for width in (60, 150, 300, 446):
        lines = textmetrics.wrap(text, width, 13)
        assert all(textmetrics.text_width(line, 13) <= width for line in lines)
        assert " ".join(lines).split() == text.split()
    assert textmetrics.wrap("", 100, 13) == [""]
