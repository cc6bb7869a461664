"""Cell styles by name, as engine-neutral specs: what a report cell looks like, not how an engine applies it.

Each key (``"title"``, ``"th"``, ``"td_num"`` …) maps to a spec with any of ``font`` ({name, size, bold,
italic, underline, color 'RRGGBB'}), ``fill`` ('RRGGBB'), ``border`` ('thin' | 'medium'), ``align``
({horizontal, vertical, wrap, indent, rotation, shrink}) and ``num_fmt`` (a format code). The report layout
(:mod:`cchc_xl.report_layout`) names them; the file adapter turns a spec into a cell format
(:meth:`cchc_xl.io.ooxml.Package.ensure_style`), the xlwings adapter applies a few of them (bold). No module
here imports the report, and the report imports no engine.

>>> STYLES["th"]["border"], STYLES["title"]["font"]["bold"], sorted(bold_styles())[:3]
('thin', True, ['motto', 'org_bold', 'recipients_head'])
"""

from __future__ import annotations

__all__ = ["STYLES", "bold_styles"]

_FONT = "Times New Roman"
STYLES: dict[str, dict] = {
    "org": {"font": {"name": _FONT, "size": 12}, "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "org_bold": {"font": {"name": _FONT, "size": 12, "bold": True},
                 "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "motto": {"font": {"name": _FONT, "size": 13, "bold": True, "underline": True},
              "align": {"horizontal": "center", "vertical": "center"}},
    "number": {"font": {"name": _FONT, "size": 13}, "align": {"horizontal": "center"}},
    "place_date": {"font": {"name": _FONT, "size": 13, "italic": True}, "align": {"horizontal": "center"}},
    "title": {"font": {"name": _FONT, "size": 14, "bold": True}, "align": {"horizontal": "center"}},
    "subtitle": {"font": {"name": _FONT, "size": 13, "bold": True},
                 "align": {"horizontal": "center", "wrap": True, "vertical": "center"}},
    "note": {"font": {"name": _FONT, "size": 12, "italic": True}, "align": {"horizontal": "center", "wrap": True}},
    "section": {"font": {"name": _FONT, "size": 13, "bold": True}, "align": {"horizontal": "left"}},
    "text": {"font": {"name": _FONT, "size": 13}, "align": {"horizontal": "left", "wrap": True, "vertical": "top"}},
    "th": {"font": {"name": _FONT, "size": 11, "bold": True}, "fill": "DDEBF7", "border": "thin",
           "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "td": {"font": {"name": _FONT, "size": 11}, "border": "thin",
           "align": {"horizontal": "left", "vertical": "center", "wrap": True}},
    "td_center": {"font": {"name": _FONT, "size": 11}, "border": "thin",
                  "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "td_num": {"font": {"name": _FONT, "size": 11}, "border": "thin",
               "align": {"horizontal": "right", "vertical": "center"}},
    "td_total": {"font": {"name": _FONT, "size": 11, "bold": True}, "border": "thin",
                 "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "td_ok": {"font": {"name": _FONT, "size": 11, "bold": True, "color": "006100"}, "border": "thin",
              "fill": "C6EFCE", "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "td_bad": {"font": {"name": _FONT, "size": 11, "bold": True, "color": "9C0006"}, "border": "thin",
               "fill": "FFC7CE", "align": {"horizontal": "center", "vertical": "center", "wrap": True}},
    "recipients_head": {"font": {"name": _FONT, "size": 12, "bold": True, "italic": True},
                        "align": {"horizontal": "left"}},
    "recipients": {"font": {"name": _FONT, "size": 11}, "align": {"horizontal": "left"}},
    "sign_title": {"font": {"name": _FONT, "size": 13, "bold": True}, "align": {"horizontal": "center"}},
    "sign_name": {"font": {"name": _FONT, "size": 13, "bold": True}, "align": {"horizontal": "center"}},
    "chart_data": {"font": {"name": _FONT, "size": 10}},
}


def bold_styles() -> frozenset[str]:
    """The keys whose font is bold."""
    return frozenset(k for k, spec in STYLES.items() if (spec.get("font") or {}).get("bold"))
