"""The Sở's roll-up as pandas tables: per unit, per indicator, city totals, rankings, missing and late units.

Every rate — per unit and for the city — is recomputed from counts with the formulas of
:data:`cchc_xl.exchange.spec.RATE_FORMULAS` (:func:`rates_from_counts`, tested against
:func:`cchc_xl.exchange.spec.rate`); city rates come from the summed counts, never from an average
of the units' rates. Indicator assessment for the city uses the core rule
:func:`cchc_xl.core.indicators.compare` on the recomputed city value.

Ranking rule (documented in the workbook): share of assessed indicators met (``Đạt`` among ``Đạt``
and ``Không đạt``), then the rate of dossiers resolved early or on time, then the task completion
rate — higher is better, equal triples share a rank, units without data rank last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..core.indicators import compare
from ..exchange import spec

__all__ = ["Rollup", "aggregate", "rates_from_counts", "wide_values", "COUNT_GROUPS"]

COUNT_GROUPS = ("tasks", "dossiers", "procedures")
_STATUS_MET, _STATUS_NOT_MET = "Đạt", "Không đạt"


@dataclass
class Rollup:
    """Everything the Sở's workbook shows for one period."""

    period_key: str
    year: int
    label: str
    start: dt.date | None
    end: dt.date | None
    deadline: dt.date
    units: pd.DataFrame               # one row per reporting unit (index: unit code)
    indicators: pd.DataFrame          # one row per unit and indicator
    indicator_summary: pd.DataFrame   # one row per indicator code
    city: pd.Series                   # summed counts and recomputed rates
    city_previous: pd.Series | None   # the same, same period of the previous year (None: not in the database)
    ranking: pd.DataFrame
    status: pd.DataFrame              # missing / late / outside the list
    expected: int | None              # units expected (None without --units)
    satisfaction_key: str             # rate used for CT3b/CT4c at city level


def _is_count(key: str) -> bool:
    return key.partition(".")[0] in COUNT_GROUPS


def wide_values(values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long ``(unit_code, key, num, text, date)`` → ``(numbers, texts)``, one row per unit."""
    if values.empty:
        return pd.DataFrame(), pd.DataFrame()
    nums = values.dropna(subset=["num"]).pivot(index="unit_code", columns="key", values="num")
    texts = values.assign(val=values["text"].fillna(values["date"])).dropna(subset=["val"]) \
        .pivot(index="unit_code", columns="key", values="val")
    return nums, texts


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


def _counts(nums: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in nums.columns if _is_count(c)]
    return nums[cols].fillna(0).astype("int64")


def _mode(series: pd.Series, default=""):
    s = series.dropna()
    return s.mode().iloc[0] if not s.empty else default


def _indicator_frame(values: pd.DataFrame) -> pd.DataFrame:
    ind = values[values["key"].str.startswith("indicator.")].copy()
    if ind.empty:
        return pd.DataFrame(columns=["unit_code", "code", "name", "op", "threshold", "actual", "status"])
    parts = ind["key"].str.split(".")
    ind["code"] = parts.str[1:-1].str.join(".")
    ind["field"] = parts.str[-1]
    ind["val"] = ind["num"].astype(object).where(ind["num"].notna(), ind["text"].fillna(ind["date"]))
    wide = ind.pivot(index=["unit_code", "code"], columns="field", values="val").reset_index()
    for col in ("name", "op", "threshold", "actual", "status"):
        if col not in wide:
            wide[col] = None
    return wide[["unit_code", "code", "name", "op", "threshold", "actual", "status"]]


def _rank(units: pd.DataFrame) -> pd.DataFrame:
    keys = ["share_met", "rates.early_or_on_time", "rates.task_completion"]
    data = units[keys].astype(float).fillna(-1.0)
    order = data.sort_values(keys, ascending=False, kind="mergesort")
    new_group = (order != order.shift()).any(axis=1)
    position = pd.Series(range(1, len(order) + 1), index=order.index)
    rank = position.where(new_group).ffill().astype(int)
    ranking = units.loc[order.index].assign(rank=rank)
    return ranking


def aggregate(*, period_key: str, year: int, label: str, start, end, deadline: dt.date,
              submissions: list[dict], values: pd.DataFrame, first_arrivals: dict[str, str],
              expected: pd.DataFrame | None, previous_values: pd.DataFrame | None) -> Rollup:
    """Build the :class:`Rollup` of one period from the database's current submissions.

    ``expected``: the ``--units`` list (columns ``unit_code``, ``unit_name``) or None;
    ``previous_values``: the long values of the same period one year earlier (None or empty: no history).
    """
    subs = pd.DataFrame(submissions)
    if subs.empty:
        subs = pd.DataFrame(columns=["unit_code", "unit_name", "as_of", "made_at", "arrived_at", "file_name", "id"])
    subs = subs.set_index("unit_code")
    nums, texts = wide_values(values)
    counts = _counts(nums) if not nums.empty else pd.DataFrame(index=subs.index)
    units = pd.DataFrame(index=subs.index)
    units["unit_name"] = subs["unit_name"]
    for col in ("as_of", "made_at", "arrived_at", "file_name"):
        units[col] = subs[col]
    units["first_arrival"] = pd.Series(first_arrivals).reindex(units.index)
    units["late"] = pd.to_datetime(units["first_arrival"]).dt.date > deadline
    units = units.join(counts).join(rates_from_counts(counts))
    measure = texts["settings.satisfaction_measure"] if "settings.satisfaction_measure" in texts \
        else pd.Series(index=units.index, dtype=object)
    units["satisfaction_measure"] = measure.reindex(units.index)
    survey = units["satisfaction_measure"] == "Khảo sát"
    units["rates.satisfaction"] = units["rates.satisfaction_survey"].where(survey, units["rates.satisfaction_qd766"])

    indicators = _indicator_frame(values)
    indicators["unit_name"] = indicators["unit_code"].map(units["unit_name"])
    status_counts = indicators.pivot_table(index="unit_code", columns="status", values="code", aggfunc="count",
                                           fill_value=0) if not indicators.empty else pd.DataFrame()
    units["met"] = status_counts.get(_STATUS_MET, pd.Series(dtype=int)).reindex(units.index).fillna(0).astype(int)
    units["not_met"] = status_counts.get(_STATUS_NOT_MET, pd.Series(dtype=int)).reindex(units.index) \
        .fillna(0).astype(int)
    assessed = units["met"] + units["not_met"]
    units["share_met"] = (units["met"] / assessed.where(assessed > 0)).astype(float)
    units["rank_tasks"] = units["rates.task_completion"].rank(method="min", ascending=False)
    units["rank_dossiers"] = units["rates.early_or_on_time"].rank(method="min", ascending=False)

    city_counts = counts.sum().to_frame().T if not counts.empty else pd.DataFrame([{}])
    city = pd.concat([city_counts.iloc[0], rates_from_counts(city_counts).iloc[0]])
    city_measure = _mode(units["satisfaction_measure"], "QĐ 766")
    satisfaction_key = "rates.satisfaction_survey" if city_measure == "Khảo sát" else "rates.satisfaction_qd766"

    summary = _indicator_summary(indicators, city, satisfaction_key)

    city_previous = None
    previous = None
    if previous_values is not None and not previous_values.empty:
        pnums, _ = wide_values(previous_values)
        pcounts = _counts(pnums)
        previous = pcounts.join(rates_from_counts(pcounts))
        pc = pcounts.sum().to_frame().T
        city_previous = pd.concat([pc.iloc[0], rates_from_counts(pc).iloc[0]])
    for key in ("rates.task_completion", "rates.early_or_on_time", "rates.ct2"):
        units[f"previous:{key}"] = previous[key].reindex(units.index) if previous is not None else float("nan")

    status = _status(units, expected, deadline)
    return Rollup(period_key, year, label, start, end, deadline, units, indicators, summary, city, city_previous,
                  _rank(units), status, None if expected is None else len(expected), satisfaction_key)


def _indicator_summary(indicators: pd.DataFrame, city: pd.Series, satisfaction_key: str) -> pd.DataFrame:
    rows = []
    if indicators.empty:
        return pd.DataFrame(columns=["code", "name", "op", "threshold", "city_value", "city_status", "met",
                                     "not_met", "no_data", "followed", "units", "share_met"])
    for code, grp in indicators.groupby("code", sort=False):
        rate_key = spec.INDICATOR_RATES.get(str(code).upper())
        if rate_key == "satisfaction":
            rate_key = satisfaction_key
        value = city.get(rate_key) if rate_key else None
        value = None if value is None or pd.isna(value) else float(value)
        threshold = _mode(grp["threshold"], None)
        op = _mode(grp["op"], None)
        numeric_threshold = isinstance(threshold, (int, float)) and not isinstance(threshold, bool)
        city_status = compare(value, op, threshold) if rate_key and numeric_threshold else "Theo dõi"
        st = grp["status"].value_counts()
        met, not_met = int(st.get(_STATUS_MET, 0)), int(st.get(_STATUS_NOT_MET, 0))
        rows.append({"code": code, "name": _mode(grp["name"], code), "op": op, "threshold": threshold,
                     "city_value": value, "city_status": city_status, "met": met, "not_met": not_met,
                     "no_data": int(st.get("Chưa có dữ liệu", 0)), "followed": int(st.get("Theo dõi", 0)),
                     "units": len(grp), "share_met": met / (met + not_met) if met + not_met else None})
    return pd.DataFrame(rows)


def _status(units: pd.DataFrame, expected: pd.DataFrame | None, deadline: dt.date) -> pd.DataFrame:
    rows = []
    if expected is not None:
        for code, name in zip(expected["unit_code"], expected["unit_name"]):
            if code not in units.index:
                rows.append({"unit_code": code, "unit_name": name, "status": "Chưa báo cáo", "arrived": None,
                             "days_late": None})
    late = units[units["late"]]
    for code, row in late.iterrows():
        arrived = dt.datetime.fromisoformat(row["first_arrival"])
        rows.append({"unit_code": code, "unit_name": row["unit_name"], "status": "Nộp muộn", "arrived": arrived,
                     "days_late": (arrived.date() - deadline).days})
    if expected is not None:
        known = set(expected["unit_code"])
        for code, row in units[~units.index.isin(known)].iterrows():
            rows.append({"unit_code": code, "unit_name": row["unit_name"], "status": "Không có trong danh sách",
                         "arrived": dt.datetime.fromisoformat(row["first_arrival"]), "days_late": None})
    return pd.DataFrame(rows, columns=["unit_code", "unit_name", "status", "arrived", "days_late"])
