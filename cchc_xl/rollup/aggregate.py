"""The Sở's roll-up of one period, computed in SQL and in chunks from the database (memory grows with the
number of units, never with the number of values or files).

**Which files count.** Among the period's stored submissions: with a units list (``--units``), a file whose
unit code is on the list under another unit's name is rejected (the list is the authority; compared by
:func:`~cchc_xl.rollup.store.name_key`), and units not on the list are counted apart (a warning, a line of
their own, never in the totals); without a list, two names for one code are flagged. Per unit the file made
last counts (ties: arrived later). A unit is late when its first counted file arrived after the deadline.
So for the units of the list: **reported + not reported = to report**, reported = on time + late.

**Figures.** Counts are summed per unit and for the city; every rate — per unit and for the city — is
recomputed from the counts with :data:`cchc_xl.exchange.spec.RATE_FORMULAS` (:func:`rates_from_counts`),
never an average of rates. The same period of the previous year is compared **on the units that reported
both times** (their number is given), never all units now against the few then.

**Indicators.** Every unit that reported falls in exactly one class per indicator
(:data:`STATUS_CLASS`, keyed by :class:`~cchc_xl.core.vocabulary.IndicatorStatus`): met, not met (the
school's ``Chưa đạt`` before the year report and ``Không đạt`` in it — worded as the period says:
:func:`not_met_word`), no data, followed, not computable, or — when its file has no row for that indicator —
not reported; the classes add up to the units. The city's assessment is
:func:`cchc_xl.core.indicators.compare` on the recomputed city value, worded the same way.

**Ranking** (documented in the workbook): share of assessed indicators met (met among met and not met),
then the rate of dossiers resolved early or on time, then the task completion rate — higher is better,
equal triples share a rank, units without data rank last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.indicators import compare, indicator
from ..core.periods import Period, get_period
from ..core.vocabulary import IndicatorStatus, PeriodKey
from ..exchange import spec
from .store import name_key

__all__ = ["Rollup", "aggregate", "rates_from_counts", "COUNT_GROUPS", "STATUS_CLASS", "CLASSES", "class_label",
           "not_met_word", "rate_key_of"]

COUNT_GROUPS = ("tasks", "dossiers", "procedures")
# Every indicator status of the school side -> the roll-up's class; tests/test_vocabulary.py fails when a status
# exists that is not here, and the reader refuses a file with any other status. (Looked up with the stored word:
# a StrEnum member is equal to its word and hashes as it does.)
STATUS_CLASS: dict[IndicatorStatus, str] = {
    IndicatorStatus.MET: "met", IndicatorStatus.NOT_MET: "not_met", IndicatorStatus.NOT_YET_MET: "not_met",
    IndicatorStatus.NO_DATA: "no_data", IndicatorStatus.FOLLOWED: "followed",
    IndicatorStatus.NOT_COMPUTABLE: "not_computable"}
CLASSES = ("met", "not_met", "no_data", "followed", "not_computable", "absent")
# the word of each class but "not_met" (worded by the period: not_met_word); plain texts, as the cells hold them
_CLASS_LABELS = {"met": str(IndicatorStatus.MET), "no_data": str(IndicatorStatus.NO_DATA),
                 "followed": str(IndicatorStatus.FOLLOWED), "not_computable": str(IndicatorStatus.NOT_COMPUTABLE),
                 "absent": "Không có chỉ tiêu này"}
_CHUNK = 50_000


def not_met_word(period_key: str) -> str:
    """How a target not met reads for the period, as on the school side: ``Chưa đạt`` before the year report.

    >>> not_met_word("h1"), not_met_word(PeriodKey.YEAR)
    ('Chưa đạt', 'Không đạt')
    """
    return str(IndicatorStatus.NOT_MET if period_key == PeriodKey.YEAR else IndicatorStatus.NOT_YET_MET)


def city_word(status: IndicatorStatus, period_key: str) -> str:
    """The word of the city's assessment: :func:`~cchc_xl.core.indicators.compare`'s, a target not met worded as
    the period says (:func:`not_met_word`).

    >>> city_word(IndicatorStatus.NOT_MET, "q3"), city_word(IndicatorStatus.MET, "q3")
    ('Chưa đạt', 'Đạt')
    """
    return not_met_word(period_key) if status is IndicatorStatus.NOT_MET else str(status)


def rate_key_of(code: str) -> str | None:
    """The exchange file's rate that indicator ``code`` measures, from the indicator registry (None: entered by
    hand, or a code the registry does not know; ``"satisfaction"``: the unit's satisfaction measure decides).

    >>> rate_key_of("ct4A"), rate_key_of("CT1"), rate_key_of("CT9")
    ('rates.early_or_on_time', None, None)
    """
    entry = indicator(code)
    return entry.rate if entry is not None else None


def class_label(cls: str, period_key: str) -> str:
    return not_met_word(period_key) if cls == "not_met" else _CLASS_LABELS[cls]


@dataclass
class Rollup:
    """Everything the Sở's workbook shows for one period."""

    period: Period
    deadline: dt.date
    units: pd.DataFrame               # the listed units that reported (index: unit code), counts, rates, classes
    city: pd.Series                   # summed counts and recomputed rates of ``units``
    common: int                       # units that reported the same period of the previous year too
    city_common: pd.Series | None     # this period, those units
    previous_common: pd.Series | None  # the previous year, those units
    indicator_summary: pd.DataFrame   # one row per indicator code: classes, city value and assessment
    status: pd.DataFrame              # late, not reported, outside the list, rejected by the list, name conflicts
    expected: int | None              # units to report (None without --units)
    reported: int
    late: int
    missing: int
    unlisted: int
    satisfaction_key: str             # rate used for CT3b/CT4c at city level
    mismatches: list[tuple[str, str, str]] = field(default_factory=list)   # (sha256, file name, reason)
    warnings: list[str] = field(default_factory=list)
    indicator_rows: Callable[[], Iterator[dict]] | None = None    # one per unit, streamed from the database
    file_rows: Callable[[], Iterator[dict]] | None = None
    file_count: int = 0

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def year(self) -> int:
        return self.period.end.year

    @property
    def final(self) -> bool:
        return self.period.key == PeriodKey.YEAR


def rates_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Every rate of :data:`~cchc_xl.exchange.spec.RATE_FORMULAS` from count columns (missing = 0);
    NaN where the denominator is 0.

    >>> df = pd.DataFrame({"dossiers.early": [3, 0], "dossiers.on_time": [1, 0], "dossiers.resolved": [5, 0]})
    >>> rates_from_counts(df)["rates.early_or_on_time"].tolist()
    [0.8, nan]
    """
    out = {}
    zero = pd.Series(0.0, index=counts.index)
    for key, (num_terms, den_terms) in spec.RATE_FORMULAS.items():
        num = sum((sign * counts[k].fillna(0) if k in counts else zero for k, sign in num_terms), zero)
        den = sum((sign * counts[k].fillna(0) if k in counts else zero for k, sign in den_terms), zero)
        out[key] = (num / den.where(den != 0)).astype(float)
    return pd.DataFrame(out, index=counts.index)


def _with_rates(counts: pd.DataFrame) -> pd.Series:
    total = counts.sum().to_frame().T if len(counts) else pd.DataFrame([{c: 0 for c in counts.columns}])
    return pd.concat([total.iloc[0], rates_from_counts(total).iloc[0]])


class _Selection:
    """The period's counted submissions in temporary tables of the store's connection (see module docstring)."""

    def __init__(self, db, period_key: str, year: int, has_list: bool, suffix: str):
        self.db, self.t = db, suffix
        db.execute(f"DROP TABLE IF EXISTS temp.cand{suffix}")
        db.execute(f"DROP TABLE IF EXISTS temp.chosen{suffix}")
        db.execute(f"DROP TABLE IF EXISTS temp.counted{suffix}")
        listed = "e.unit_code IS NOT NULL" if has_list else "1"
        db.execute(
            f"CREATE TEMP TABLE cand{suffix} AS SELECT s.id, s.unit_code, s.unit_name, s.name_key, s.as_of, s.made_at, "
            f"s.arrived_at, s.file_name, s.sha256, {listed} AS listed, "
            "(e.unit_code IS NOT NULL AND e.name_key <> s.name_key) AS mismatch, e.unit_name AS list_name "
            "FROM submissions s LEFT JOIN expected_units e ON e.unit_code = s.unit_code "
            "WHERE s.period_key = ? AND s.period_year = ?", (period_key, year))
        db.execute(
            f"CREATE TEMP TABLE chosen{suffix} AS SELECT * FROM ("
            "SELECT c.*, ROW_NUMBER() OVER (PARTITION BY unit_code ORDER BY made_at DESC, arrived_at DESC, id DESC) AS "
            "rn, MIN(arrived_at) OVER (PARTITION BY unit_code) AS first_arrival, "
            "COUNT(*) OVER (PARTITION BY unit_code) AS files "
            f"FROM cand{suffix} c WHERE NOT mismatch) WHERE rn = 1")
        db.execute(f"CREATE TEMP TABLE counted{suffix} AS SELECT ROW_NUMBER() OVER (ORDER BY unit_code) - 1 AS idx, * "
                   f"FROM chosen{suffix} WHERE listed")
        db.execute(f"CREATE INDEX temp.ix_counted{suffix} ON counted{suffix} (unit_code)")


def _key_ids(db, prefix: tuple[str, ...]) -> dict[int, str]:
    where = " OR ".join("key LIKE ?" for _ in prefix)
    return dict(db.execute(f"SELECT id, key FROM keys WHERE {where}", [p + "%" for p in prefix]))


def _matrix(db, table: str, n: int, keys: dict[int, str]) -> pd.DataFrame:
    """The numbers of ``keys`` for the ``n`` units of ``table`` (by ``idx``), filled in chunks."""
    names = sorted(keys.values())
    col = {kid: names.index(k) for kid, k in keys.items()}
    mat = np.zeros((n, len(names)))
    if n and keys:
        lookup = np.full(max(keys) + 1, -1, dtype=np.int64)
        for kid, c in col.items():
            lookup[kid] = c
        db.execute("DROP TABLE IF EXISTS temp.wanted")
        db.execute("CREATE TEMP TABLE wanted (key_id INTEGER PRIMARY KEY)")
        db.executemany("INSERT INTO wanted VALUES (?)", ((k,) for k in keys))
        cur = db.execute(f"SELECT c.idx, v.key_id, v.num FROM {table} c JOIN submission_values v "
                         "ON v.submission_id = c.id JOIN wanted w ON w.key_id = v.key_id WHERE v.num IS NOT NULL")
        while True:
            rows = cur.fetchmany(_CHUNK)
            if not rows:
                break
            a = np.array(rows, dtype=float)
            mat[a[:, 0].astype(np.int64), lookup[a[:, 1].astype(np.int64)]] = a[:, 2]
    return pd.DataFrame(mat, columns=names)


def _load_list(db, expected: pd.DataFrame | None) -> None:
    db.execute("DROP TABLE IF EXISTS temp.expected_units")
    db.execute("CREATE TEMP TABLE expected_units (unit_code TEXT PRIMARY KEY, name_key TEXT, unit_name TEXT)")
    if expected is not None:
        db.executemany("INSERT INTO expected_units VALUES (?, ?, ?)",
                       ((c, name_key(n), n) for c, n in zip(expected["unit_code"], expected["unit_name"])))


def aggregate(store, period: Period, deadline: dt.date, expected: pd.DataFrame | None) -> Rollup:
    """Build the :class:`Rollup` of ``period`` from ``store`` (a :class:`~cchc_xl.rollup.store.Store`)."""
    db = store.db
    _load_list(db, expected)
    has_list = expected is not None
    year = period.end.year
    _Selection(db, period.key, year, has_list, "")
    cols = ["idx", "unit_code", "unit_name", "as_of", "made_at", "arrived_at", "first_arrival", "file_name", "files"]
    units = pd.DataFrame(db.execute(f"SELECT {', '.join(cols)} FROM counted ORDER BY idx").fetchall(),
                         columns=cols).set_index("unit_code")
    n = len(units)
    counts = _matrix(db, "counted", n, _key_ids(db, tuple(g + "." for g in COUNT_GROUPS)))
    counts.index = units.index
    counts = counts.astype("int64")
    units["late"] = pd.to_datetime(units["first_arrival"]).dt.date > deadline if n else pd.Series(dtype=bool)
    units = units.join(counts).join(rates_from_counts(counts))
    sat = dict(db.execute("SELECT c.unit_code, v.text FROM counted c JOIN submission_values v ON v.submission_id = "
                          "c.id JOIN keys k ON k.id = v.key_id WHERE k.key = 'settings.satisfaction_measure'"))
    units["satisfaction_measure"] = pd.Series(sat, dtype=object).reindex(units.index)
    survey = units["satisfaction_measure"] == "Khảo sát"
    units["rates.satisfaction"] = units["rates.satisfaction_survey"].where(survey, units["rates.satisfaction_qd766"])
    city = _with_rates(counts)
    measures = units["satisfaction_measure"].dropna()
    city_measure = measures.mode().iloc[0] if not measures.empty else "QĐ 766"
    satisfaction_key = "rates.satisfaction_survey" if city_measure == "Khảo sát" else "rates.satisfaction_qd766"

    warnings: list[str] = []
    summary = _indicators(db, units, city, satisfaction_key, period.key, warnings)
    result: dict = {}
    _previous(db, units, counts, period, has_list, result)
    status, mismatches, status_warnings = _status(db, units, expected, deadline)
    warnings += status_warnings
    late = int(units["late"].sum()) if n else 0
    unlisted = int(db.execute("SELECT COUNT(*) FROM chosen WHERE NOT listed").fetchone()[0])
    if unlisted:
        warnings.insert(0, f"{unlisted} đơn vị gửi báo cáo nhưng không có trong danh sách đơn vị (--units); không tính "
                           "vào tổng hợp, xem trang 'Chưa báo cáo, nộp muộn'.")
    rollup = Rollup(period=period, deadline=deadline, units=_rank(units), city=city, common=result["common"],
                    city_common=result["city_common"], previous_common=result["previous_common"],
                    indicator_summary=summary, status=status, expected=len(expected) if has_list else None,
                    reported=n, late=late, missing=len(expected) - n if has_list else 0, unlisted=unlisted,
                    satisfaction_key=satisfaction_key, mismatches=mismatches, warnings=warnings)
    rollup.indicator_rows = lambda: _indicator_rows(db)
    rollup.file_rows = lambda: _file_rows(db, period)
    rollup.file_count = db.execute(f"SELECT COUNT(*) {_FILES_OF_PERIOD}", _files_params(period)).fetchone()[0]
    return rollup


def _indicators(db, units: pd.DataFrame, city: pd.Series, satisfaction_key: str, period_key: str,
                warnings: list[str]) -> pd.DataFrame:
    """Per unit: the count of indicators in each class (columns ``met``, ``not_met`` …, ``share_met``); per code:
    the classes, the city value and assessment."""
    n = len(units)
    fields = {}
    for kid, key in db.execute("SELECT id, key FROM keys WHERE key LIKE 'indicator.%'"):
        code, _, fld = key[len("indicator."):].rpartition(".")
        if fld in ("status", "name", "op", "threshold"):
            fields[kid] = (code, fld)
    db.execute("DROP TABLE IF EXISTS temp.indicator_fields")
    db.execute("CREATE TEMP TABLE indicator_fields (key_id INTEGER PRIMARY KEY, status INTEGER)")
    db.executemany("INSERT INTO indicator_fields VALUES (?, ?)", ((k, f == "status") for k, (_, f) in fields.items()))
    per_unit = {c: np.zeros(n, dtype=np.int64) for c in CLASSES}
    per_code: dict[str, dict[str, int]] = {}
    meta: dict[str, dict[str, dict]] = {}

    def cls_of(text, unit) -> str:
        cls = STATUS_CLASS.get(text)
        if cls is None:   # stored by an older version that did not check it: reported, not a crash
            if len(warnings) < 5:
                warnings.append(f"{unit}: đánh giá '{str(text)[:40]}' không thuộc các mức đánh giá; tính là "
                                "'Không tính được'")
            cls = "not_computable"
        return cls

    # counted in SQL: per unit and status word, per indicator and status word, per indicator and name/op/threshold
    cur = db.execute("SELECT c.idx, v.text, COUNT(*) FROM counted c JOIN submission_values v ON v.submission_id = c.id "
                     "JOIN indicator_fields f ON f.key_id = v.key_id AND f.status GROUP BY c.idx, v.text")
    while True:
        rows = cur.fetchmany(_CHUNK)
        if not rows:
            break
        for idx, text, count in rows:
            per_unit[cls_of(text, f"đơn vị thứ {idx + 1}")][idx] += count
    for kid, num, text, count in db.execute(
            "SELECT v.key_id, v.num, v.text, COUNT(*) FROM counted c JOIN submission_values v "
            "ON v.submission_id = c.id JOIN indicator_fields f ON f.key_id = v.key_id "
            "GROUP BY v.key_id, v.num, v.text"):
        code, fld = fields[kid]
        if fld == "status":
            cls = cls_of(text, f"chỉ tiêu {code}")
            per_code.setdefault(code, dict.fromkeys(CLASSES, 0))[cls] += count
            continue
        if num is not None and not np.isfinite(num):   # stored by an older version: not a threshold
            continue
        value = num if num is not None else text
        bucket = meta.setdefault(code, {}).setdefault(fld, {})
        bucket[value] = bucket.get(value, 0) + count
    for cls in CLASSES[:-1]:
        units[cls] = per_unit[cls]
    assessed = units["met"] + units["not_met"]
    units["share_met"] = (units["met"] / assessed.where(assessed > 0)).astype(float)
    rows = []
    order = sorted(per_code, key=lambda c: (indicator(c) is None, c.upper()))   # the registry's codes first
    for code in order:
        classes = per_code[code]
        classes["absent"] = n - sum(classes.values())
        m = meta.get(code, {})
        name, op, threshold = (_mode(m.get(f)) for f in ("name", "op", "threshold"))
        rate_key = rate_key_of(code)
        if rate_key == "satisfaction":
            rate_key = satisfaction_key
        value = city.get(rate_key) if rate_key else None
        value = None if value is None or pd.isna(value) else float(value)
        numeric = isinstance(threshold, (int, float)) and not isinstance(threshold, bool)
        status = compare(value, op, threshold) if rate_key and numeric else IndicatorStatus.FOLLOWED
        city_status = city_word(status, period_key)
        met, not_met = classes["met"], classes["not_met"]
        rows.append({"code": code, "name": name or code, "op": op, "threshold": threshold, "city_value": value,
                     "city_status": city_status, **classes, "units": n,
                     "share_met": met / (met + not_met) if met + not_met else None})
    return pd.DataFrame(rows, columns=["code", "name", "op", "threshold", "city_value", "city_status", *CLASSES,
                                       "units", "share_met"])




def _mode(bucket: dict | None):
    if not bucket:
        return None
    return max(bucket.items(), key=lambda kv: (kv[1], str(kv[0])))[0]


def _previous(db, units: pd.DataFrame, counts: pd.DataFrame, period: Period, has_list: bool, out: dict) -> None:
    """The same period of the previous year, on the units that reported both times."""
    try:
        before = get_period(period.key, period.end.year - 1)
    except Exception:  # noqa: BLE001 - a year the calendar does not know: no comparison
        before = None
    out.update(common=0, city_common=None, previous_common=None)
    for key in ("rates.task_completion", "rates.early_or_on_time", "rates.ct2"):
        units[f"previous:{key}"] = np.nan
    if before is None or not len(units):
        return
    _Selection(db, before.key, before.end.year, has_list, "_prev")
    prev_units = [r[0] for r in db.execute("SELECT unit_code FROM counted_prev ORDER BY idx")]
    if not prev_units:
        return
    pcounts = _matrix(db, "counted_prev", len(prev_units), _key_ids(db, tuple(g + "." for g in COUNT_GROUPS)))
    pcounts.index = pd.Index(prev_units, name="unit_code")
    common = units.index.intersection(pcounts.index)
    out["common"] = len(common)
    if not len(common):
        return
    now_c = counts.reindex(columns=counts.columns.union(pcounts.columns), fill_value=0).loc[common]
    prev_c = pcounts.reindex(columns=now_c.columns, fill_value=0).loc[common]
    out["city_common"], out["previous_common"] = _with_rates(now_c), _with_rates(prev_c)
    prev_rates = rates_from_counts(prev_c)
    for key in ("rates.task_completion", "rates.early_or_on_time", "rates.ct2"):
        units[f"previous:{key}"] = prev_rates[key].reindex(units.index)


def _rank(units: pd.DataFrame) -> pd.DataFrame:
    units["rank_tasks"] = units["rates.task_completion"].rank(method="min", ascending=False)
    units["rank_dossiers"] = units["rates.early_or_on_time"].rank(method="min", ascending=False)
    keys = ["share_met", "rates.early_or_on_time", "rates.task_completion"]
    data = units[keys].astype(float).fillna(-1.0)
    order = data.sort_values(keys, ascending=False, kind="mergesort")
    new_group = (order != order.shift()).any(axis=1)
    position = pd.Series(np.arange(1, len(order) + 1), index=order.index)
    units["rank"] = position.where(new_group).ffill().reindex(units.index)
    units["rank_order"] = pd.Series(np.arange(len(order)), index=order.index).reindex(units.index)
    return units


def _status(db, units: pd.DataFrame, expected: pd.DataFrame | None, deadline: dt.date):
    """Rows for the status sheet, the files the list rejects and the warnings."""
    rows, mismatches, warnings = [], [], []
    if expected is not None:
        reported = set(units.index)
        for code, name in zip(expected["unit_code"], expected["unit_name"]):
            if code not in reported:
                rows.append({"unit_code": code, "unit_name": name, "status": "Chưa báo cáo", "arrived": None,
                             "days_late": None, "note": ""})
    for code, row in units[units["late"]].iterrows():
        arrived = dt.datetime.fromisoformat(row["first_arrival"])
        rows.append({"unit_code": code, "unit_name": row["unit_name"], "status": "Nộp muộn", "arrived": arrived,
                     "days_late": (arrived.date() - deadline).days, "note": ""})
    for code, name, first in db.execute("SELECT unit_code, unit_name, first_arrival FROM chosen WHERE NOT listed "
                                        "ORDER BY unit_code"):
        rows.append({"unit_code": code, "unit_name": name, "status": "Không có trong danh sách",
                     "arrived": dt.datetime.fromisoformat(first), "days_late": None,
                     "note": "không tính vào tổng hợp"})
    for sha, code, name, file_name, list_name, arrived in db.execute(
            "SELECT sha256, unit_code, unit_name, file_name, list_name, arrived_at FROM cand WHERE mismatch "
            "ORDER BY unit_code, arrived_at"):
        reason = (f"mã định danh '{code}' thuộc đơn vị '{list_name}' trong danh sách đơn vị, nhưng tệp ghi tên "
                  f"'{name}'; hãy kiểm tra lại mã định danh (hoặc danh sách đơn vị) rồi gửi lại")
        mismatches.append((sha, file_name, reason))
        rows.append({"unit_code": code, "unit_name": name, "status": "Bị từ chối: mã thuộc đơn vị khác",
                     "arrived": dt.datetime.fromisoformat(arrived), "days_late": None,
                     "note": f"tệp {file_name}; danh sách ghi '{list_name}'"})
    if expected is None:
        conflicts = db.execute("SELECT unit_code FROM cand GROUP BY unit_code HAVING COUNT(DISTINCT name_key) > 1 "
                               "ORDER BY unit_code").fetchall()
        for (code,) in conflicts:
            names = db.execute("SELECT unit_name, file_name FROM cand WHERE unit_code = ? ORDER BY made_at, arrived_at",
                               (code,)).fetchall()
            used = db.execute("SELECT unit_name, file_name FROM chosen WHERE unit_code = ?", (code,)).fetchone()
            listing = "; ".join(f"'{nm}' (tệp {fn})" for nm, fn in names)
            warnings.append(f"mã định danh '{code}' có nhiều tên đơn vị trong kỳ này: {listing}; đang lấy tệp lập sau "
                            f"cùng ({used[1]}). Hãy kiểm tra, hoặc dùng --units để danh sách đơn vị quyết định.")
            rows.append({"unit_code": code, "unit_name": used[0], "status": "Trùng mã, khác tên", "arrived": None,
                         "days_late": None, "note": listing})
    return (pd.DataFrame(rows, columns=["unit_code", "unit_name", "status", "arrived", "days_late", "note"]),
            mismatches, warnings)


def _indicator_rows(db) -> Iterator[dict]:
    """One row per counted unit, in unit order, streamed from the database: ``unit_code``, ``unit_name``,
    ``status:<code>`` for every indicator and ``actual:<code>`` for those entered by hand (no rate to recompute)."""
    wanted = {}
    for kid, key in db.execute("SELECT id, key FROM keys WHERE key LIKE 'indicator.%'"):
        code, _, fld = key[len("indicator."):].rpartition(".")
        if fld == "status" or (fld == "actual" and rate_key_of(code) is None):
            wanted[kid] = f"{fld}:{code}"
    db.execute("DROP TABLE IF EXISTS temp.indicator_keys")
    db.execute("CREATE TEMP TABLE indicator_keys (key_id INTEGER PRIMARY KEY)")
    db.executemany("INSERT INTO indicator_keys VALUES (?)", ((k,) for k in wanted))
    cur = db.cursor().execute(
        "SELECT c.unit_code, c.unit_name, v.key_id, v.num, v.text FROM counted c LEFT JOIN submission_values v "
        "ON v.submission_id = c.id AND v.key_id IN (SELECT key_id FROM indicator_keys) ORDER BY c.idx")
    row: dict | None = None
    while True:
        chunk = cur.fetchmany(_CHUNK)
        if not chunk:
            break
        for unit, name, kid, num, text in chunk:
            if row is None or row["unit_code"] != unit:
                if row is not None:
                    yield row
                row = {"unit_code": unit, "unit_name": name}
            if kid is not None:
                row[wanted[kid]] = num if num is not None else text
    if row is not None:
        yield row


_FILES_OF_PERIOD = ("FROM files f LEFT JOIN submissions s ON s.id = f.submission_id "
                    "WHERE (s.period_key = ? AND s.period_year = ?) OR (f.submission_id IS NULL AND f.period = ?)")


def _files_params(period: Period) -> tuple:
    return period.key, period.end.year, f"{period.key}/{period.end.year}"


def _file_rows(db, period: Period) -> Iterator[dict]:
    """The files of this period — accepted for it, or rejected by a roll-up of it — streamed in the order seen."""
    cur = db.cursor().execute(
        "SELECT f.file_name, f.arrived_at, f.seen_at, f.outcome, f.cause, s.unit_code, f.reason, f.note, f.sha256 "
        f"{_FILES_OF_PERIOD} ORDER BY f.seen_at, f.file_name", _files_params(period))
    names = [d[0] for d in cur.description]
    while True:
        chunk = cur.fetchmany(_CHUNK)
        if not chunk:
            break
        for r in chunk:
            yield dict(zip(names, r))

