"""Household risk score (0-100), level and plain-Chinese reasons.  Pure and vectorised.

    scores = score_households(households, visits, today=date(2026, 11, 29), config=load_config())

Inputs follow docs/DESIGN.md (households / visits frames).  Only visits with visited_on <= today
are used, so the same function replays history (risk.evaluation).  Every factor is a yes/no
condition worth a number of points (risk/weights/*.toml); the score is the capped sum.  Because
the points of a household depend only on which factors are on (and whether it already receives
低保/特困), the score and the reasons are computed once per distinct factor combination and
spread back with one take -- that keeps 1M households well under a second.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from risk.config import FACTORS, RiskConfig, load_config

VISIT_FLAGS = ("housing_loss", "accidental_injury", "sudden_illness_or_disaster", "care_gap")
INCOME_FACTORS = ("income_below_standard", "income_below_2x_standard")
BIT = {name: i for i, name in enumerate(FACTORS)}
COVERED_BIT = len(FACTORS)  # household already receives 低保/特困: income factors scaled down

OUTPUT_COLUMNS = [
    "household_id", "score", "level", "reasons", "config_version",
    "grid_code", "last_visited_on", "days_since_visit",
]


def _as_date(today) -> dt.date:
    if isinstance(today, pd.Timestamp):
        return today.date()
    if isinstance(today, dt.datetime):
        return today.date()
    if isinstance(today, dt.date):
        return today
    return pd.Timestamp(today).date()


def _day_numbers(values) -> np.ndarray:
    """datetime64-like column -> int64 days since 1970-01-01."""
    arr = np.asarray(values)
    if not np.issubdtype(arr.dtype, np.datetime64):
        arr = pd.to_datetime(pd.Series(values)).to_numpy()
    return arr.astype("datetime64[D]").astype(np.int64)


def latest_two_visits(
    household_ids, visit_household_ids, visit_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (into the visits arrays) of the latest and the previous visit of each
    household, -1 where there is none.  Ties on a day go to the later row.

    One pass of a per-group max over the key day*n_rows+row, then a second pass with the latest
    rows masked out -- the same result as groupby.idxmax, without sorting 5M rows.
    """
    n_hh = len(household_ids)
    n_rows = len(visit_days)
    last = np.full(n_hh, -1, dtype=np.int64)
    prev = np.full(n_hh, -1, dtype=np.int64)
    if n_rows == 0 or n_hh == 0:
        return last, prev
    codes = pd.Index(household_ids).get_indexer(visit_household_ids)
    known = codes >= 0
    rows = np.arange(n_rows, dtype=np.int64)
    key = (visit_days - visit_days.min()) * n_rows + rows
    codes, key = codes[known], key[known]
    maxkey = np.full(n_hh, -1, dtype=np.int64)
    np.maximum.at(maxkey, codes, key)
    has = maxkey >= 0
    last[has] = maxkey[has] % n_rows
    rest = key != maxkey[codes]
    maxkey2 = np.full(n_hh, -1, dtype=np.int64)
    np.maximum.at(maxkey2, codes[rest], key[rest])
    has2 = maxkey2 >= 0
    prev[has2] = maxkey2[has2] % n_rows
    return last, prev


def _take(col: np.ndarray, pos: np.ndarray, fill):
    out = np.full(len(pos), fill, dtype=np.result_type(col.dtype, np.asarray(fill).dtype))
    ok = pos >= 0
    out[ok] = col[pos[ok]]
    return out


def factor_matrix(households: pd.DataFrame, visits: pd.DataFrame, *, today, config: RiskConfig):
    """Boolean factor matrix (n_households x len(FACTORS)) plus per-household extras.

    Returns (matrix, covered, last_day, days_since) where last_day is int days (-1 = never).
    """
    today = _as_date(today)
    n = len(households)
    today_n = (np.datetime64(today, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    vdays = _day_numbers(visits["visited_on"]) if len(visits) else np.zeros(0, np.int64)
    keep = vdays <= today_n
    if not keep.all():
        visits = visits.loc[keep]
        vdays = vdays[keep]
    last, prev = latest_two_visits(households["id"].to_numpy(),
                                   visits["household_id"].to_numpy(), vdays)
    m = np.zeros((n, len(FACTORS)), dtype=bool)

    def vcol(name):
        return visits[name].to_numpy()

    for name in VISIT_FLAGS:
        m[:, BIT[name]] = _take(vcol(name).astype(bool), last, False)
    m[:, BIT["new_illness"]] = _take(vcol("new_illness").astype(bool), last, False)
    m[:, BIT["lost_job"]] = _take(vcol("lost_job").astype(bool), last, False)

    # income: the latest visit's observation, else the household register
    v_income = vcol("income_per_capita_yuan").astype(float)
    last_inc = _take(v_income, last, np.nan)
    prev_inc = _take(v_income, prev, np.nan)
    reg_inc = households["income_per_capita_yuan"].to_numpy(dtype=float, na_value=np.nan)
    income = np.where(np.isnan(last_inc), reg_inc, last_inc)
    std = config.dibao_standard(today)
    with np.errstate(invalid="ignore"):
        below1 = income < std
        below2 = (income >= std) & (income < config.near_line_multiple * std)
        drop = (prev_inc > 0) & ((prev_inc - last_inc) >= config.income_drop_share * prev_inc)
    m[:, BIT["income_below_standard"]] = below1
    m[:, BIT["income_below_2x_standard"]] = below2
    m[:, BIT["income_drop"]] = drop

    def hcol(name):
        return households[name].to_numpy(dtype=bool, na_value=False)

    elderly = hcol("elderly_alone")
    minors = households["minors"].to_numpy(dtype=float, na_value=0) > 0
    m[:, BIT["elderly_alone"]] = elderly
    m[:, BIT["minors"]] = minors
    m[:, BIT["severe_disability"]] = hcol("severe_disability")
    m[:, BIT["serious_illness"]] = hcol("serious_illness")

    last_day = _take(vdays, last, -1)
    days_since = np.where(last_day >= 0, today_n - last_day, -1)
    stale = (last_day < 0) | (days_since > config.stale_days)
    vulnerable = (m[:, BIT["severe_disability"]] | m[:, BIT["serious_illness"]] | minors
                  | below1 | below2)
    m[:, BIT["stale_elderly_alone"]] = stale & elderly
    m[:, BIT["stale_vulnerable"]] = stale & vulnerable & ~elderly
    covered = hcol("dibao") | hcol("tekun")
    return m, covered, last_day, days_since


def _combo_table(combos: np.ndarray, config: RiskConfig):
    """Score and reasons for each distinct factor combination (bit mask)."""
    pts = np.array([config.points(f) for f in FACTORS], dtype=float)
    income_bits = [BIT[f] for f in INCOME_FACTORS]
    scores = np.empty(len(combos), dtype=float)
    reasons = np.empty(len(combos), dtype=object)
    for k, c in enumerate(combos.tolist()):
        on = [i for i in range(len(FACTORS)) if c >> i & 1]
        p = pts.copy()
        if c >> COVERED_BIT & 1:
            p[income_bits] *= config.covered_share
        contrib = sorted(((p[i], -i) for i in on if p[i] > 0), reverse=True)
        scores[k] = min(100.0, sum(v for v, _ in contrib))
        reasons[k] = [config.factors[FACTORS[-j]].reason for _, j in contrib[:config.max_reasons]]
    return scores, reasons


def levels_for(scores: np.ndarray, config: RiskConfig) -> np.ndarray:
    lv = config.levels
    return np.select(
        [scores >= lv["red"], scores >= lv["orange"], scores >= lv["yellow"]],
        ["red", "orange", "yellow"], default="green",
    ).astype(object)


def score_households(
    households: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    today,
    config: RiskConfig | None = None,
) -> pd.DataFrame:
    """Score every household as of `today` (visits after `today` are ignored).

    Returns one row per household: household_id, score (0-100 float), level (red/orange/yellow/
    green), reasons (list of plain-Chinese strings, most important first; lists are shared between
    households with the same factors -- do not mutate), config_version, grid_code,
    last_visited_on (datetime64, NaT if never) and days_since_visit (Int64, <NA> if never).
    """
    config = config or load_config()
    m, covered, last_day, days_since = factor_matrix(households, visits, today=today,
                                                     config=config)
    weights = (np.int64(1) << np.arange(len(FACTORS), dtype=np.int64))
    mask = m.astype(np.int64) @ weights
    mask |= covered.astype(np.int64) << COVERED_BIT
    inverse, combos = pd.factorize(mask, sort=False)
    combo_scores, combo_reasons = _combo_table(np.asarray(combos), config)
    scores = combo_scores[inverse]
    last_dt = np.where(last_day >= 0, last_day, np.iinfo(np.int64).min).astype("datetime64[D]")
    out = pd.DataFrame({
        "household_id": households["id"].to_numpy(),
        "score": scores,
        "level": levels_for(scores, config),
        "reasons": combo_reasons[inverse],
        "config_version": config.version_tag(_as_date(today)),
        "grid_code": households["grid_code"].to_numpy() if "grid_code" in households else None,
        "last_visited_on": last_dt.astype("datetime64[ns]"),
        "days_since_visit": pd.arrays.IntegerArray(np.where(days_since >= 0, days_since, 0),
                                                   days_since < 0),
    })
    return out
