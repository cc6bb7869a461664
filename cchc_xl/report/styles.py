"""Cell styles by name, as engine-neutral specs: what a report cell looks like, not how an engine applies it.

Each key (``"title"``, ``"th"``, ``"td_num"`` …) maps to a spec with any of ``font`` ({name, size, bold,
italic, underline, color 'RRGGBB'}), ``fill`` ('RRGGBB'), ``border`` ('thin' | 'medium' on every side, or
``{side: 'thin'}`` for some sides only: the NĐ 30 rules are ``{"top": "thin"}``), ``align`` ({horizontal,
vertical, wrap, indent, rotation, shrink}) and ``num_fmt`` (a format code). The first group serves the Sở's
summary page (:mod:`cchc_xl.rollup.summary_page`, eight columns), the second the school's report (NĐ
30/2020). The report layout (:mod:`cchc_xl.report.layout`) names them; the file adapter turns a spec into a
cell format (:meth:`cchc_xl.io.ooxml.Package.ensure_style`), the exchange writer into an XlsxWriter format,
the xlwings adapter into fonts, fills, alignment and borders on unions of ranges. No module
here imports the report, and the report imports no engine.

>>> STYLES["th"]["border"], STYLES["nd_rule"]["border"], STYLES["title"]["font"]["bold"]
('thin', {'top': 'thin'}, True)
"""

from __future__ import annotations

__all__ = ["STYLES"]

_FONT = "Times New Roman"


def _f(size, bold=False, italic=False, **extra):
    return {"name": _FONT, "size": size, **({"bold": True} if bold else {}), **({"italic": True} if italic else {}),
            **extra}


_TOP = {"vertical": "top", "wrap": True}
_MID = {"vertical": "center", "wrap": True}
STYLES: dict[str, dict] = {
    # -- the Sở's summary page (cchc_xl.rollup.summary_page), eight columns --------------------------------
    "org": {"font": _f(12), "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "org_bold": {"font": _f(12, True), "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "motto": {"font": _f(13, True, underline=True), "align": {"horizontal": "center", "vertical": "center"}},
    "number": {"font": _f(13), "align": {"horizontal": "center"}},
    "place_date": {"font": _f(13, italic=True), "align": {"horizontal": "center"}},
    "title": {"font": _f(14, True), "align": {"horizontal": "center"}},
    "subtitle": {"font": _f(13, True), "align": {"horizontal": "center", "wrap": True, "vertical": "center"}},
    "note": {"font": _f(12, italic=True), "align": {"horizontal": "center", "wrap": True}},
    "section": {"font": _f(13, True), "align": {"horizontal": "left"}},
    "text": {"font": _f(13), "align": {"horizontal": "left", "wrap": True, "vertical": "top"}},
    "th": {"font": _f(11, True), "fill": "DDEBF7", "border": "thin",
           "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "td": {"font": _f(11), "border": "thin", "align": {"horizontal": "left", "vertical": "center", "wrap": True}},
    "td_center": {"font": _f(11), "border": "thin",
                  "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "td_num": {"font": _f(11), "border": "thin", "align": {"horizontal": "right", "vertical": "center"}},
    "td_total": {"font": _f(11, True), "border": "thin",
                 "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "td_ok": {"font": _f(11, True, color="006100"), "border": "thin", "fill": "C6EFCE",
              "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "td_bad": {"font": _f(11, True, color="9C0006"), "border": "thin", "fill": "FFC7CE",
               "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "recipients_head": {"font": _f(12, True, True), "align": {"horizontal": "left"}},
    "recipients": {"font": _f(11), "align": {"horizontal": "left"}},
    "sign_title": {"font": _f(13, True), "align": {"horizontal": "center"}},
    "sign_name": {"font": _f(13, True), "align": {"horizontal": "center"}},
    "chart_data": {"font": _f(10)},
    # -- the school's report (NĐ 30/2020) -------------------------------------------------------------------
    "nd_parent": {"font": _f(13), "align": {"horizontal": "center", **_TOP}},
    "nd_issuer": {"font": _f(13, True), "align": {"horizontal": "center", **_TOP}},
    "nd_nation": {"font": _f(12, True), "align": {"horizontal": "center", **_TOP}},
    "nd_motto": {"font": _f(13, True), "align": {"horizontal": "center", **_TOP}},
    "nd_rule": {"border": {"top": "thin"}},
    "nd_number": {"font": _f(13), "align": {"horizontal": "center", **_TOP}},
    "nd_place_date": {"font": _f(13, italic=True), "align": {"horizontal": "center", **_TOP}},
    "nd_title": {"font": _f(14, True), "align": {"horizontal": "center", **_TOP}},
    "nd_subject": {"font": _f(14, True), "align": {"horizontal": "center", **_TOP}},
    "nd_note": {"font": _f(12, italic=True), "align": {"horizontal": "justify", **_TOP}},
    "p": {"font": _f(13), "align": {"horizontal": "justify", **_TOP}},
    "h1": {"font": _f(13, True), "align": {"horizontal": "justify", **_TOP}},
    "h2": {"font": _f(13, True), "align": {"horizontal": "justify", **_TOP}},
    "h3": {"font": _f(13, True, True), "align": {"horizontal": "justify", **_TOP}},
    "recv_head": {"font": _f(12, True, True), "align": {"horizontal": "left", **_TOP}},
    "recv": {"font": _f(11), "align": {"horizontal": "left", **_TOP}},
    "sign": {"font": _f(13, True), "align": {"horizontal": "center", **_TOP}},
    "annex_no": {"font": _f(14, True), "align": {"horizontal": "center", **_TOP}},
    "annex_title": {"font": _f(14, True), "align": {"horizontal": "center", **_TOP}},
    "annex_ref": {"font": _f(13, italic=True), "align": {"horizontal": "center", **_TOP}},
    "t_head": {"font": _f(11, True), "fill": "F2F2F2", "border": "thin", "align": {"horizontal": "center", **_MID}},
    "t_cell": {"font": _f(12), "border": "thin", "align": {"horizontal": "left", **_MID}},
    "t_center": {"font": _f(12), "border": "thin", "align": {"horizontal": "center", **_MID}},
    "t_small": {"font": _f(11), "border": "thin", "align": {"horizontal": "left", **_MID}},
    "t_small_center": {"font": _f(11), "border": "thin", "align": {"horizontal": "center", **_MID}},
    "t_total": {"font": _f(12, True), "border": "thin", "align": {"horizontal": "center", **_MID}},
    "t_total_left": {"font": _f(12, True), "border": "thin", "align": {"horizontal": "left", **_MID}},
    "t_ok": {"font": _f(12, True, color="006100"), "fill": "E2EFDA", "border": "thin",
             "align": {"horizontal": "center", **_MID}},
    "t_bad": {"font": _f(12, True, color="9C0006"), "fill": "FCE4D6", "border": "thin",
              "align": {"horizontal": "center", **_MID}},
    "t_note": {"font": _f(12), "align": {"horizontal": "justify", **_TOP}},
}

