"""Plan indicators (``tblChiTieu``): compute each CT row from the data and compare it with its threshold.

Thresholds and actual values are fractions (0.95 = 95%). Status is one of
:class:`cchc_xl.core.vocabulary.IndicatorStatus`: ``Đạt``, ``Không đạt``, ``Chưa đạt``, ``Chưa có dữ liệu``,
``Theo dõi``, ``Không tính được``.

Every indicator the engine knows is one entry of :data:`REGISTRY` — its code as the plan writes it, what it is
computed from (``inputs``), how (``rule``), the exchange file's key of the same rate (``rate``) and what its
result measures, as a report words it (``wording``). Adding an indicator (a CT6) is one entry there and its
tests; every list of codes, inputs and wordings is read from it.

The plan's targets are annual: before the annual cut-off a target not met yet reads ``Chưa đạt``;
``Không đạt`` is the year report's verdict (setting ``chua_dat_truoc_cuoi_nam``). A row whose
inputs could not be read (a table with a renamed header) is ``Không tính được``, never a number.

>>> [str(compare(*c)) for c in ((0.9553, "≥", 0.95), (1.0, "=", 1.0), (None, ">", 0.95))]
['Đạt', 'Đạt', 'Chưa có dữ liệu']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .dossiers import Procedure
from .rates import DossierStats
from .vocabulary import IndicatorStatus

__all__ = [
    "Indicator",
    "IndicatorInputs",
    "REGISTRY",
    "IndicatorRow",
    "IndicatorResult",
    "evaluate",
    "compare",
    "indicator",
    "target_words",
    "measure_label",
]

TOLERANCE = 1e-9
_OPS = {">": ">", "≥": "≥", ">=": "≥", "=>": "≥", "=": "=", "==": "=", "≤": "≤", "<=": "≤", "=<": "≤"}


@dataclass(frozen=True)
class IndicatorInputs:
    """What the rules are computed from: the dossier statistics (``None`` when they could not be computed), CT2,
    the procedures, and the setting that chooses the satisfaction measure."""

    stats: DossierStats | None
    ct2: float | None
    procedures: Mapping[str, Procedure] | Iterable[Procedure] | None
    satisfaction_measure: str = "QĐ 766"

    @property
    def satisfaction(self) -> float | None:
        """The satisfaction rate of the setting: the survey's for ``'Khảo sát'``, else QĐ 766's."""
        if self.stats is None:
            return None
        return self.stats.satisfaction_survey if self.satisfaction_measure == "Khảo sát" else \
            self.stats.satisfaction_qd766


@dataclass(frozen=True)
class Indicator:
    """One indicator of the plan: ``code`` as the plan writes it; ``inputs`` — the section it is computed from
    (``"tasks"``, ``"dossiers"``, ``"procedures"``; ``None`` for a result entered by hand); ``rule`` — the
    result from :class:`IndicatorInputs` (``None``: entered by hand); ``rate`` — the exchange file's key of the
    same rate (``None``: no rate); ``wording`` — what the result measures, as a report names it (``{span}``:
    ``trong kỳ``/``trong năm``, ``{measure}``: the satisfaction measure)."""

    code: str
    inputs: str | None
    rule: Callable[[IndicatorInputs], float | None] | None
    rate: str | None
    wording: str = ""


def _published_share(procedures: Mapping[str, Procedure] | Iterable[Procedure] | None) -> float | None:
    procs = list(procedures.values()) if isinstance(procedures, Mapping) else list(procedures or ())
    return sum(1 for p in procs if p.published) / len(procs) if procs else None


def _stat(name: str) -> Callable[[IndicatorInputs], float | None]:
    return lambda x: getattr(x.stats, name) if x.stats is not None else None


_SATISFACTION = "tỷ lệ hài lòng ({measure})"

#: The indicators of the plan, by code in capitals (codes match case-insensitively: ``ct3A`` = ``CT3a``).
REGISTRY: dict[str, Indicator] = {i.code.upper(): i for i in (
    Indicator("CT1", None, None, None),
    Indicator("CT2", "tasks", lambda x: x.ct2, "rates.ct2",
              "tỷ lệ nhiệm vụ hoàn thành đúng hạn (trên số nhiệm vụ, lần thực hiện đã đến hạn hoặc đã hoàn thành)"),
    Indicator("CT3a", "dossiers", _stat("cohort_early_or_on_time"), "rates.cohort_early_or_on_time",
              "tỷ lệ hồ sơ tiếp nhận {span} được giải quyết trước hạn và đúng hạn"),
    Indicator("CT3b", "dossiers", lambda x: x.satisfaction, "satisfaction", _SATISFACTION),
    Indicator("CT4a", "dossiers", _stat("rate_early_or_on_time"), "rates.early_or_on_time",
              "tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn (trên tổng số hồ sơ đã giải quyết trong kỳ)"),
    Indicator("CT4b", "dossiers", _stat("rate_early"), "rates.early", "tỷ lệ hồ sơ giải quyết trước hạn"),
    Indicator("CT4c", "dossiers", lambda x: x.satisfaction, "satisfaction", _SATISFACTION),
    Indicator("CT5a", "procedures", lambda x: _published_share(x.procedures), "rates.published",
              "tỷ lệ thủ tục hành chính công khai trên Cơ sở dữ liệu quốc gia"),
    Indicator("CT5b", "dossiers", _stat("rate_digitised"), "rates.digitised",
              "tỷ lệ kết quả giải quyết thủ tục hành chính được số hóa"),
)}


def indicator(code: object) -> Indicator | None:
    """The registry's entry of ``code`` (any case, surrounding spaces ignored), or None.

    >>> indicator(" ct3A ").code, indicator("CT9")
    ('CT3a', None)
    """
    return REGISTRY.get(str(code).strip().upper())


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
    status: IndicatorStatus

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", IndicatorStatus(self.status))   # a word given as text becomes the member


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


def compare(actual: float | None, op: object, threshold: float | None) -> IndicatorStatus:
    """Status of ``actual`` against ``threshold`` with ``op``, within ``TOLERANCE``.

    ``None`` (or non-numeric) actual → ``'Chưa có dữ liệu'``; unknown operator or no numeric
    threshold → ``'Theo dõi'``. Text like ``"95%"``/``"0,95"`` is read as a number.

    >>> compare(0.95, ">", 0.95), compare(0.95, "≤", 0.95 + 1e-12)
    (<IndicatorStatus.NOT_MET: 'Không đạt'>, <IndicatorStatus.MET: 'Đạt'>)
    """
    if actual is None:
        return IndicatorStatus.NO_DATA
    o, a, t = normalize_op(op), _number(actual), _number(threshold)
    if a is None:
        return IndicatorStatus.NO_DATA
    if o is None or t is None:
        return IndicatorStatus.FOLLOWED
    ok = {
        ">": a > t + TOLERANCE,
        "≥": a >= t - TOLERANCE,
        "=": abs(a - t) <= TOLERANCE,
        "≤": a <= t + TOLERANCE,
    }[o]
    return IndicatorStatus.MET if ok else IndicatorStatus.NOT_MET


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


def measure_label(code: str, *, year_report: bool, satisfaction_measure: str = "QĐ 766") -> str:
    """What the result of indicator ``code`` measures, in a sentence (``""`` for CT1 and unknown codes); CT3a
    counts the dossiers received in the window: "trong kỳ" in a quarterly or 6-month report, "trong năm" only in
    the year report (issue #15).

    >>> measure_label("CT3a", year_report=False)
    'tỷ lệ hồ sơ tiếp nhận trong kỳ được giải quyết trước hạn và đúng hạn'
    >>> measure_label("CT3a", year_report=True)
    'tỷ lệ hồ sơ tiếp nhận trong năm được giải quyết trước hạn và đúng hạn'
    >>> measure_label("ct3b", year_report=True, satisfaction_measure="Khảo sát")
    'tỷ lệ hài lòng (phiếu khảo sát)'
    """
    entry = indicator(code)
    text = entry.wording if entry is not None else ""
    measure = "phiếu khảo sát" if satisfaction_measure == "Khảo sát" else "QĐ 766/QĐ-TTg"
    return text.format(span="trong năm" if year_report else "trong kỳ", measure=measure)


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

    The rules (:data:`REGISTRY`):

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
    ``unavailable``: inputs (``"tasks"``, ``"dossiers"``, ``"procedures"``: :attr:`Indicator.inputs`) that
    could not be read; their rows get no value and the status ``Không tính được``.

    >>> row = IndicatorRow("CT2", "", "", "≥", 1.0, None, "", None)
    >>> [str(r.status) for r in evaluate([row], None, 0.5, None, final=False)]
    ['Chưa đạt']
    >>> [str(r.status) for r in evaluate([row], None, 0.5, None, unavailable={"tasks"})]
    ['Không tính được']
    """
    missing = set(unavailable)
    inputs = IndicatorInputs(stats, ct2, procedures, satisfaction_measure)
    out = []
    for r in rows:
        code = str(r.code).strip()
        op = normalize_op(r.op) or (str(r.op).strip() if r.op is not None else None)
        entry = indicator(code)
        if entry is not None and entry.rule is not None:
            if entry.inputs in missing:
                out.append(IndicatorResult(code, None, op, r.threshold, IndicatorStatus.NOT_COMPUTABLE))
                continue
            actual = entry.rule(inputs)
            out.append(IndicatorResult(code, actual, op, r.threshold, _verdict(actual, op, r.threshold, final)))
            continue
        value = _number(r.manual_value)
        if entry is None and value is not None:     # a code the engine does not know, with a number entered
            out.append(IndicatorResult(code, value, op, r.threshold, _verdict(value, op, r.threshold, final)))
        else:
            out.append(IndicatorResult(code, r.manual_value, op, r.threshold, IndicatorStatus.FOLLOWED))
    return out


def _verdict(actual: object, op: str | None, threshold: float | None, final: bool) -> IndicatorStatus:
    """:func:`compare`, with ``Không đạt`` read ``Chưa đạt`` before the annual cut-off (``final`` False)."""
    status = compare(actual, op, threshold)
    if status is IndicatorStatus.NOT_MET and not final:
        return IndicatorStatus.NOT_YET_MET
    return status
