"""The exchange format: what a school's report file says to the Sở, key by key (shared by writer and reader).

An exchange file is an ``.xlsx`` whose sheet :data:`SHEET_DATA` holds one Excel table
(:data:`TABLE_DATA`) in long format — ``Khóa | Nội dung | Giá trị | Đơn vị`` — one row per key.
Values are typed cells: numbers as numbers, dates as dates, text as text; an undefined rate is a
blank cell. The same identity is repeated in custom document properties (:data:`PROPERTIES`);
the reader rejects a file where the two disagree.

Keys are ASCII, dotted, stable: ``meta`` keys (:data:`META`) identify the unit, plan and period;
``tasks.*``, ``dossiers.*``, ``procedures.*`` are counts; ``rates.*`` are fractions; each indicator
is five keys ``indicator.<code>.{name,op,threshold,actual,status}``. A count key added to the
engine's ``to_json()`` appears in the file with its key as label until :data:`LABELS` names it:
adding a key is one line here. Rates are defined once, in :data:`RATE_FORMULAS`, as sums of
counts, so that a roll-up recomputes every rate from summed counts (never an average of rates).

Version history (a reader accepts every version up to :data:`FORMAT_VERSION` and checks a file's rates by the
formulas of its own version, :func:`formulas`, :func:`rates_allowed`; the roll-up recomputes every rate with the current
ones):

* 1 — first version.
* 2 (issue #15) — CT2 counted per unit of work: ``tasks.ct2_due``/``tasks.ct2_done`` count a non-periodic task,
  or one occurrence of a periodic task, once; ``rates.late_incl_pending_overdue`` is over the resolved plus the
  pending overdue dossiers (version 1: over all dossiers to handle).

>>> rate("rates.early_or_on_time", {"dossiers.early": 3, "dossiers.on_time": 1, "dossiers.resolved": 5})
0.8
>>> rate("rates.satisfaction_qd766", {"dossiers.considered": 4, "dossiers.dissatisfied_or_complaint": 1})
0.75
>>> rate("rates.online", {"dossiers.online_new": 0, "dossiers.received_new": 0}) is None
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .. import schema
from ..core.indicators import REGISTRY

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "SHEET_DATA", "TABLE_DATA", "DATA_HEADERS", "META", "MetaKey",
           "PROPERTIES", "LABELS", "UNIT_TASKS", "UNIT_DOSSIERS", "UNIT_PROCEDURES", "UNIT_RATE", "UNIT_DATE",
           "RATE_FORMULAS", "INDICATOR_RATES", "label_for", "unit_for", "rate", "formulas", "rates_allowed",
           "indicator_key", "INDICATOR_FIELDS", "UNIT_CODE", "unit_code_problem"]

#: What the reader accepts as ``unit.code`` (the unit's electronic identifier, setting ``ma_dinh_danh``).
UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


def unit_code_problem(code: object) -> str | None:
    """Why a Sở's roll-up would reject an exchange file carrying ``code`` as its unit code, or None.

    >>> unit_code_problem("000.00.21.H25") is None, unit_code_problem(""), unit_code_problem("mã số 1")[:22]
    (True, 'chưa có mã định danh', "mã định danh 'mã số 1'")
    """
    text = "" if code is None else str(code).strip()
    if not text:
        return "chưa có mã định danh"
    if not UNIT_CODE.match(text):
        return (f"mã định danh '{text}' không hợp lệ (chỉ gồm chữ cái không dấu, chữ số, dấu chấm, gạch ngang, gạch "
                f"dưới; tối đa 64 ký tự)")
    return None


FORMAT_NAME = "cchc-xl/trao-doi-bao-cao-cchc"
FORMAT_VERSION = 2         # the history is in the module's docstring
SHEET_DATA = "Dữ liệu trao đổi"
TABLE_DATA = "tblTraoDoi"
DATA_HEADERS = ("Khóa", "Nội dung", "Giá trị", "Đơn vị")

UNIT_TASKS = "nhiệm vụ"
UNIT_DOSSIERS = "hồ sơ"
UNIT_PROCEDURES = "thủ tục"
UNIT_RATE = "tỷ lệ"
UNIT_DATE = "ngày"


@dataclass(frozen=True)
class MetaKey:
    """One identity key: ``kind`` is text | int | date | datetime; ``required`` keys must be non-empty."""

    key: str
    label: str
    kind: str = "text"
    required: bool = True


META: tuple[MetaKey, ...] = (
    MetaKey("format.name", "Định dạng tệp"),
    MetaKey("format.version", "Phiên bản định dạng", "int"),
    MetaKey("unit.code", "Mã định danh điện tử của đơn vị"),
    MetaKey("unit.name", "Tên đơn vị"),
    MetaKey("unit.governing_body", "Cơ quan chủ quản", required=False),
    MetaKey("unit.place", "Địa danh", required=False),
    MetaKey("plan.number", "Số, ký hiệu kế hoạch", required=False),
    MetaKey("plan.date", "Ngày ban hành kế hoạch", "date", required=False),
    MetaKey("plan.year", "Năm kế hoạch", "int"),
    MetaKey("report.number", "Số, ký hiệu báo cáo", required=False),
    MetaKey("period.key", "Mã kỳ báo cáo (q1, h1, q3, year)"),
    MetaKey("period.label", "Kỳ báo cáo"),
    MetaKey("period.from", "Kỳ báo cáo: từ ngày", "date"),
    MetaKey("period.to", "Kỳ báo cáo: đến ngày", "date"),
    MetaKey("as_of", "Số liệu tính đến ngày", "date"),
    MetaKey("made_at", "Thời điểm lập tệp", "datetime"),
    MetaKey("program.version", "Phiên bản chương trình cchc-xl"),
    MetaKey("settings.satisfaction_measure", "Cách tính tỷ lệ hài lòng của đơn vị", required=False),
)
META_KEYS = tuple(m.key for m in META)

# Custom document property name for each identity key (checked against the data sheet by the reader).
PROPERTIES: dict[str, str] = {
    "format.name": "CCHC_DinhDang",
    "format.version": "CCHC_PhienBanDinhDang",
    "unit.code": "CCHC_MaDinhDanh",
    "unit.name": "CCHC_DonVi",
    "plan.number": "CCHC_KeHoach",
    "plan.date": "CCHC_NgayKeHoach",
    "plan.year": "CCHC_Nam",
    "period.key": "CCHC_Ky",
    "period.label": "CCHC_TenKy",
    "period.from": "CCHC_TuNgay",
    "period.to": "CCHC_DenNgay",
    "as_of": "CCHC_NgayTinhDen",
    "made_at": "CCHC_ThoiGianLap",
    "program.version": "CCHC_PhienBanChuongTrinh",
}

LABELS: dict[str, str] = {
    # tasks (flags come from schema.TASK_FLAG, see label_for)
    "tasks.total": "Tổng số nhiệm vụ",
    "tasks.active": "Số nhiệm vụ phải thực hiện (trừ 'Không thực hiện')",
    "tasks.done": "Số nhiệm vụ đã hoàn thành",
    "tasks.ct2_due": "Số nhiệm vụ, lần thực hiện nhiệm vụ định kỳ đã đến hạn hoặc đã hoàn thành (mẫu số CT2)",
    "tasks.ct2_done": "Số nhiệm vụ, lần thực hiện nhiệm vụ định kỳ hoàn thành đúng hạn (tử số CT2)",
    # dossiers
    "dossiers.total": "Tổng số hồ sơ phải giải quyết (kỳ trước chuyển sang + mới tiếp nhận)",
    "dossiers.carried_over": "Hồ sơ kỳ trước chuyển sang",
    "dossiers.received_new": "Hồ sơ mới tiếp nhận",
    "dossiers.online_new": "Hồ sơ mới tiếp nhận trực tuyến",
    "dossiers.direct_new": "Hồ sơ mới tiếp nhận trực tiếp",
    "dossiers.post_new": "Hồ sơ mới tiếp nhận qua bưu chính",
    "dossiers.resolved": "Hồ sơ đã giải quyết",
    "dossiers.early": "Hồ sơ giải quyết trước hạn",
    "dossiers.on_time": "Hồ sơ giải quyết đúng hạn",
    "dossiers.late": "Hồ sơ giải quyết trễ hạn",
    "dossiers.pending": "Hồ sơ đang giải quyết",
    "dossiers.pending_not_due": "Hồ sơ đang giải quyết trong hạn",
    "dossiers.pending_overdue": "Hồ sơ đang giải quyết quá hạn",
    "dossiers.withdrawn": "Hồ sơ rút",
    "dossiers.refused_untimed": "Hồ sơ từ chối không tính hạn",
    "dossiers.waiting": "Hồ sơ chờ bổ sung",
    "dossiers.digitised": "Hồ sơ đã giải quyết có kết quả số hóa",
    "dossiers.rated": "Hồ sơ được đánh giá mức độ hài lòng",
    "dossiers.satisfied": "Hồ sơ được đánh giá 'Rất hài lòng' hoặc 'Hài lòng'",
    "dossiers.dissatisfied_or_complaint": "Hồ sơ 'Không hài lòng' hoặc có phản ánh",
    "dossiers.considered": "Hồ sơ trong kỳ không rút (mẫu số hài lòng QĐ 766)",
    "dossiers.cohort_early": "Hồ sơ tiếp nhận trong kỳ, giải quyết trước hạn",
    "dossiers.cohort_on_time": "Hồ sơ tiếp nhận trong kỳ, giải quyết đúng hạn",
    "dossiers.cohort_late": "Hồ sơ tiếp nhận trong kỳ, giải quyết trễ hạn",
    "dossiers.cohort_pending": "Hồ sơ tiếp nhận trong kỳ, đang giải quyết",
    "procedures.total": "Số thủ tục hành chính của đơn vị",
    "procedures.published": "Số thủ tục công khai trên CSDL quốc gia",
    # rates
    "rates.early_or_on_time": "Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn",
    "rates.early": "Tỷ lệ hồ sơ giải quyết trước hạn",
    "rates.late": "Tỷ lệ hồ sơ giải quyết trễ hạn",
    "rates.late_incl_pending_overdue": "Tỷ lệ trễ hạn, kể cả hồ sơ đang giải quyết quá hạn",
    "rates.online": "Tỷ lệ hồ sơ nộp trực tuyến",
    "rates.digitised": "Tỷ lệ kết quả giải quyết được số hóa",
    "rates.satisfaction_survey": "Tỷ lệ hài lòng (phiếu khảo sát)",
    "rates.satisfaction_qd766": "Tỷ lệ hài lòng (QĐ 766/QĐ-TTg)",
    "rates.cohort_early_or_on_time": "Tỷ lệ hồ sơ tiếp nhận trong kỳ giải quyết trước và đúng hạn",
    "rates.task_completion": "Tỷ lệ nhiệm vụ đã hoàn thành",
    "rates.ct2": "Tỷ lệ nhiệm vụ hoàn thành đúng hạn (CT2, trên số đã đến hạn hoặc đã hoàn thành)",
    "rates.published": "Tỷ lệ thủ tục công khai trên CSDL quốc gia",
}

# rate key -> (numerator terms, denominator terms); a term is (count key, sign).
RATE_FORMULAS: dict[str, tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]] = {
    "rates.early_or_on_time": ((("dossiers.early", 1), ("dossiers.on_time", 1)), (("dossiers.resolved", 1),)),
    "rates.early": ((("dossiers.early", 1),), (("dossiers.resolved", 1),)),
    "rates.late": ((("dossiers.late", 1),), (("dossiers.resolved", 1),)),
    "rates.late_incl_pending_overdue": ((("dossiers.late", 1), ("dossiers.pending_overdue", 1)),
                                        (("dossiers.resolved", 1), ("dossiers.pending_overdue", 1))),
    "rates.online": ((("dossiers.online_new", 1),), (("dossiers.received_new", 1),)),
    "rates.digitised": ((("dossiers.digitised", 1),), (("dossiers.resolved", 1),)),
    "rates.satisfaction_survey": ((("dossiers.satisfied", 1),), (("dossiers.rated", 1),)),
    "rates.satisfaction_qd766": ((("dossiers.considered", 1), ("dossiers.dissatisfied_or_complaint", -1)),
                                 (("dossiers.considered", 1),)),
    "rates.cohort_early_or_on_time": ((("dossiers.cohort_early", 1), ("dossiers.cohort_on_time", 1)),
                                      (("dossiers.cohort_early", 1), ("dossiers.cohort_on_time", 1),
                                       ("dossiers.cohort_late", 1))),
    "rates.task_completion": ((("tasks.done", 1),), (("tasks.active", 1),)),
    "rates.ct2": ((("tasks.ct2_done", 1),), (("tasks.ct2_due", 1),)),
    "rates.published": ((("procedures.published", 1),), (("procedures.total", 1),)),
}

# The formulas a version before the current one defined otherwise: version -> {rate key: formula}.
_FORMULAS_BEFORE: dict[int, dict[str, tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]]] = {
    1: {"rates.late_incl_pending_overdue": ((("dossiers.late", 1), ("dossiers.pending_overdue", 1)),
                                            (("dossiers.received_new", 1), ("dossiers.carried_over", 1)))},
}


@functools.cache   # asked for every rate of every file the roll-up reads
def formulas(version: int = FORMAT_VERSION) -> Mapping[str, tuple]:
    """The rate formulas of exchange format ``version`` (:data:`RATE_FORMULAS` for the current one).

    >>> formulas(1)["rates.late_incl_pending_overdue"][1]
    (('dossiers.received_new', 1), ('dossiers.carried_over', 1))
    >>> formulas(2) is RATE_FORMULAS
    True
    """
    changed = {key: formula for v in sorted(_FORMULAS_BEFORE, reverse=True) if v >= version
               for key, formula in _FORMULAS_BEFORE[v].items()}
    return {**RATE_FORMULAS, **changed} if changed else RATE_FORMULAS


# Indicator code (upper case) -> the rate it measures (None: entered by hand, not summable), read from the
# indicator registry (cchc_xl.core.indicators.REGISTRY, the one list of indicators). CT3b/CT4c follow the unit's
# satisfaction measure: "satisfaction" is resolved by the caller.
INDICATOR_RATES: dict[str, str | None] = {key: entry.rate for key, entry in REGISTRY.items()}
INDICATOR_FIELDS = {"name": "tên chỉ tiêu", "op": "phép so sánh", "threshold": "ngưỡng", "actual": "kết quả",
                    "status": "đánh giá"}


def indicator_key(code: str, field: str) -> str:
    """``indicator_key("CT2", "actual") == "indicator.CT2.actual"``."""
    return f"indicator.{code}.{field}"


def label_for(key: str) -> str:
    """The Vietnamese label of ``key``; a key nobody named yet is its own label.

    >>> label_for("tasks.overdue"), label_for("indicator.CT2.status"), label_for("dossiers.new_thing")
    ('Nhiệm vụ: Quá hạn', 'Chỉ tiêu CT2: đánh giá', 'dossiers.new_thing')
    """
    if key in LABELS:
        return LABELS[key]
    meta = next((m for m in META if m.key == key), None)
    if meta is not None:
        return meta.label
    group, _, name = key.partition(".")
    if group == "tasks" and name in schema.TASK_FLAG:
        return f"Nhiệm vụ: {schema.TASK_FLAG[name]}"
    if group == "indicator":
        code, _, field = name.rpartition(".")
        return f"Chỉ tiêu {code}: {INDICATOR_FIELDS.get(field, field)}"
    return key


def unit_for(key: str) -> str:
    """The unit written beside ``key`` (counts, rates, dates); identity keys have none."""
    if key.startswith("rates."):
        return UNIT_RATE
    group = key.partition(".")[0]
    return {"tasks": UNIT_TASKS, "dossiers": UNIT_DOSSIERS, "procedures": UNIT_PROCEDURES}.get(group, "")


def rates_allowed(key: str, counts: Mapping[str, float | int | None], version: int) -> list[float | None]:
    """The values a file of format ``version`` may carry for rate ``key`` given its ``counts``: by its version's
    formulas — and for version 1 also by the current ones, which cchc-xl wrote under version 1 until the version
    was raised (the release before issue #15's version 2 already had issue #15's formulas).

    >>> counts = {"dossiers.late": 1, "dossiers.pending_overdue": 1, "dossiers.resolved": 3,
    ...           "dossiers.received_new": 8, "dossiers.carried_over": 2}
    >>> key = "rates.late_incl_pending_overdue"
    >>> rates_allowed(key, counts, 1), rates_allowed(key, counts, 2)
    ([0.2, 0.5], [0.5])
    """
    versions = (version, FORMAT_VERSION) if version == 1 and FORMAT_VERSION != 1 else (version,)
    return [rate(key, counts, v) for v in versions]


def rate(key: str, counts: Mapping[str, float | int | None], version: int = FORMAT_VERSION) -> float | None:
    """Rate ``key`` from ``counts`` by the formulas of format ``version`` (missing counts are 0); None when the
    denominator is 0."""
    num_terms, den_terms = formulas(version)[key]
    num = sum(sign * (counts.get(k) or 0) for k, sign in num_terms)
    den = sum(sign * (counts.get(k) or 0) for k, sign in den_terms)
    return num / den if den else None
