"""Plan indicators (``tblChiTieu``): compute each CT row from the data and compare it with its threshold.

Thresholds and actual values are fractions (0.95 = 95%). Status is one of
:data:`cchc_xl.schema.INDICATOR_STATUS`: ``Đạt``, ``Không đạt``, ``Chưa đạt``, ``Chưa có dữ liệu``,
``Theo dõi``, ``Không tính được``.

The plan's targets are annual: before the annual cut-off a target not met yet reads ``Chưa đạt``;
``Không đạt`` is the year report's verdict (setting ``chua_dat_truoc_cuoi_nam``). A row whose
inputs could not be read (a table with a renamed header) is ``Không tính được``, never a number.

>>> compare(0.9553, "≥", 0.95), compare(1.0, "=", 1.0), compare(None, ">", 0.95)
('Đạt', 'Đạt', 'Chưa có dữ liệu')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .dossiers import Procedure
from .rates import DossierStats

__all__ = [
    "IndicatorRow",
    "IndicatorResult",
    "evaluate",
    "compare",
    "normalize_op",
    "KNOWN_CODES",
    "TOLERANCE",
    "INPUTS",
    "NOT_COMPUTABLE",
    "target_words",
    "measure_label",
]

TOLERANCE = 1e-9
NOT_COMPUTABLE = "Không tính được"
# What each computed row is made from: "tasks", "dossiers" or "procedures" (see :func:`evaluate`).
INPUTS = {"CT2": "tasks", "CT3A": "dossiers", "CT3B": "dossiers", "CT4A": "dossiers", "CT4B": "dossiers",
          "CT4C": "dossiers", "CT5A": "procedures", "CT5B": "dossiers"}
KNOWN_CODES = ("CT1", "CT2", "CT3a", "CT3b", "CT4a", "CT4b", "CT4c", "CT5a", "CT5b")
_OPS = {">": ">", "≥": "≥", ">=": "≥", "=>": "≥", "=": "=", "==": "=", "≤": "≤", "<=": "≤", "=<": "≤"}


@dataclass(frozen=True)
class IndicatorRow:
    """One row of ``tblChiTieu`` as read (``manual_value`` = the ``Kết quả`` cell, used for CT1
    and for codes the engine does not know)."""

    code: str
    name: str
    method: str
    op: str | None
    threshold: float | None
    manual_value: object
    note: str
    row: int | None


@dataclass(frozen=True)
class IndicatorResult:
    """Computed result: ``actual`` is a fraction, ``None``, or CT1's value as entered."""

    code: str
    actual: object
    op: str | None
    threshold: float | None
    status: str


def normalize_op(op: object) -> str | None:
    """``'>' '≥' '=' '≤'`` (also ``'>='``, ``'<='``, ``'=='``); ``None`` when not one of them.

    >>> normalize_op(" >= "), normalize_op("<"), normalize_op(None)
    ('≥', None, None)
    """
    return _OPS.get(str(op).strip()) if op is not None else None


def _number(value: object) -> float | None:
    """A finite number from a cell value: numbers, or text like ``"0,95"`` / ``"95%"``; else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str):
        t = value.strip().replace(" ", "")
        pct = t.endswith("%")
        t = t.rstrip("%").replace(",", ".")
        try:
            x = float(t)
        except ValueError:
            return None
        if pct:
            x /= 100
    else:
        return None
    return x if math.isfinite(x) else None


def compare(actual: float | None, op: object, threshold: float | None) -> str:
    """Status of ``actual`` against ``threshold`` with ``op``, within ``TOLERANCE``.

    ``None`` (or non-numeric) actual → ``'Chưa có dữ liệu'``; unknown operator or no numeric
    threshold → ``'Theo dõi'``. Text like ``"95%"``/``"0,95"`` is read as a number.

    >>> compare(0.95, ">", 0.95), compare(0.95, "≤", 0.95 + 1e-12)
    ('Không đạt', 'Đạt')
    """
    if actual is None:
        return "Chưa có dữ liệu"
    o, a, t = normalize_op(op), _number(actual), _number(threshold)
    if a is None:
        return "Chưa có dữ liệu"
    if o is None or t is None:
        return "Theo dõi"
    ok = {
        ">": a > t + TOLERANCE,
        "≥": a >= t - TOLERANCE,
        "=": abs(a - t) <= TOLERANCE,
        "≤": a <= t + TOLERANCE,
    }[o]
    return "Đạt" if ok else "Không đạt"


def target_words(op: object, threshold: object) -> str:
    """A target as the plan words it: ``100%``, ``trên 95%``, ``từ 90% trở lên`` — never ``= 100%`` or ``≥ 100%``
    (a rate cannot exceed 100%, so "at least 100%" is "100%"). A text threshold is printed as it is.

    >>> [target_words(op, t) for op, t in (("=", 1), ("≥", 1), (">", 0.95), (">=", 0.9), ("≤", 0.05), (None, 0.8))]
    ['100%', '100%', 'trên 95%', 'từ 90% trở lên', 'không quá 5%', '80%']
    >>> target_words("=", "Duy trì thứ hạng"), target_words("≥", None)
    ('Duy trì thứ hạng', '')
    """
    from .vnformat import percent

    if threshold is None:
        return ""
    if isinstance(threshold, str):
        return threshold.strip()
    value = _number(threshold)
    if value is None:
        return str(threshold)
    pct = percent(value, trim=True)
    o = normalize_op(op)
    if o in ("=", None) or (o == "≥" and value >= 1 - TOLERANCE):
        return pct
    return {">": f"trên {pct}", "≥": f"từ {pct} trở lên", "≤": f"không quá {pct}"}[o]


# What each computed indicator measures, as a report names its result; CT3a counts the dossiers received in the
# window: "trong kỳ" in a quarterly or 6-month report, "trong năm" only in the year report (issue #15).
_MEASURES = {
    "CT2": "tỷ lệ nhiệm vụ hoàn thành đúng hạn (trên số nhiệm vụ, lần thực hiện đã đến hạn hoặc đã hoàn thành)",
    "CT3A": "tỷ lệ hồ sơ tiếp nhận {span} được giải quyết trước hạn và đúng hạn",
    "CT3B": "tỷ lệ hài lòng ({measure})",
    "CT4A": "tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn (trên tổng số hồ sơ đã giải quyết trong kỳ)",
    "CT4B": "tỷ lệ hồ sơ giải quyết trước hạn",
    "CT4C": "tỷ lệ hài lòng ({measure})",
    "CT5A": "tỷ lệ thủ tục hành chính công khai trên Cơ sở dữ liệu quốc gia",
    "CT5B": "tỷ lệ kết quả giải quyết thủ tục hành chính được số hóa",
}


def measure_label(code: str, *, year_report: bool, satisfaction_measure: str = "QĐ 766") -> str:
    """What the result of indicator ``code`` measures, in a sentence (``""`` for CT1 and unknown codes).

    >>> measure_label("CT3a", year_report=False)
    'tỷ lệ hồ sơ tiếp nhận trong kỳ được giải quyết trước hạn và đúng hạn'
    >>> measure_label("CT3a", year_report=True)
    'tỷ lệ hồ sơ tiếp nhận trong năm được giải quyết trước hạn và đúng hạn'
    >>> measure_label("ct3b", year_report=True, satisfaction_measure="Khảo sát")
    'tỷ lệ hài lòng (phiếu khảo sát)'
    """
    text = _MEASURES.get(str(code).strip().upper(), "")
    measure = "phiếu khảo sát" if satisfaction_measure == "Khảo sát" else "QĐ 766/QĐ-TTg"
    return text.format(span="trong năm" if year_report else "trong kỳ", measure=measure)


def _published_share(procedures: Mapping[str, Procedure] | Iterable[Procedure] | None) -> float | None:
    procs = list(procedures.values()) if isinstance(procedures, Mapping) else list(procedures or ())
    return sum(1 for p in procs if p.published) / len(procs) if procs else None


def evaluate(
    rows: Iterable[IndicatorRow],
    stats: DossierStats | None,
    ct2: float | None,
    procedures: Mapping[str, Procedure] | Iterable[Procedure] | None,
    satisfaction_measure: str = "QĐ 766",
    *,
    final: bool = True,
    unavailable: Iterable[str] = (),
) -> list[IndicatorResult]:
    """Compute every indicator row, in the order given.

    ==== ============================================================================
    CT1  manual value as entered (text or number), status ``Theo dõi``
    CT2  ``ct2`` (tasks done on time among tasks due by the as-of date)
    CT3a ``stats.cohort_early_or_on_time`` (dossiers received in the window)
    CT3b satisfaction, per ``satisfaction_measure`` (``'Khảo sát'`` → survey, else QĐ 766)
    CT4a ``stats.early_or_on_time``
    CT4b early rate (E / R)
    CT4c satisfaction, as CT3b
    CT5a share of catalogue procedures published on the national database (``None`` if none)
    CT5b digitised rate (digitised / R)
    ==== ============================================================================

    Any other code: a numeric manual value is compared with the threshold; otherwise the value
    is reported as entered with status ``Theo dõi``. Codes match case-insensitively
    (``ct3A`` = ``CT3a``). With ``stats`` ``None`` the dossier-based rows have no data.

    ``final=False`` (a report before the annual cut-off): ``Không đạt`` reads ``Chưa đạt``.
    ``unavailable``: inputs (``"tasks"``, ``"dossiers"``, ``"procedures"``, see :data:`INPUTS`) that
    could not be read; their rows get no value and the status ``Không tính được``.

    >>> row = IndicatorRow("CT2", "", "", "≥", 1.0, None, "", None)
    >>> [r.status for r in evaluate([row], None, 0.5, None, final=False)]
    ['Chưa đạt']
    >>> [r.status for r in evaluate([row], None, 0.5, None, unavailable={"tasks"})]
    ['Không tính được']
    """
    missing = set(unavailable)
    sat = None
    if stats is not None:
        sat = stats.satisfaction_survey if satisfaction_measure == "Khảo sát" else stats.satisfaction_qd766
    computed = {
        "CT2": ct2,
        "CT3A": stats.cohort_early_or_on_time if stats else None,
        "CT3B": sat,
        "CT4A": stats.rate_early_or_on_time if stats else None,
        "CT4B": stats.rate_early if stats else None,
        "CT4C": sat,
        "CT5A": _published_share(procedures),
        "CT5B": stats.rate_digitised if stats else None,
    }
    out = []
    for r in rows:
        code = str(r.code).strip()
        op = normalize_op(r.op) or (str(r.op).strip() if r.op is not None else None)
        key = code.upper()
        if key in computed:
            if INPUTS[key] in missing:
                out.append(IndicatorResult(code, None, op, r.threshold, NOT_COMPUTABLE))
                continue
            actual = computed[key]
            status = compare(actual, op, r.threshold)
            if status == "Không đạt" and not final:
                status = "Chưa đạt"
            out.append(IndicatorResult(code, actual, op, r.threshold, status))
            continue
        value = _number(r.manual_value)
        if key != "CT1" and value is not None:
            status = compare(value, op, r.threshold)
            if status == "Không đạt" and not final:
                status = "Chưa đạt"
            out.append(IndicatorResult(code, value, op, r.threshold, status))
        else:
            out.append(IndicatorResult(code, r.manual_value, op, r.threshold, "Theo dõi"))
    return out
