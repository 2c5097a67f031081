"""Coverage: are the grid workers reaching the households, and the risky ones first?

    rep = coverage_report(households, visits, workers, scores, today=..., config=cfg)
    rep["by_grid"], rep["by_worker"], rep["overdue"]

Definitions (all as of `today`; visits after today are ignored):
- "visited in the last 30 days" = a visit on one of the 30 days ending today (today and the 29
  days before: days since the latest visit < 30; 90 likewise). `visited_within` is the one
  definition; grid.metrics (map, grid panel, leaders' page, exports) reads it from here.
- A worker's households are those whose latest visit the worker made.  Households never visited
  belong to nobody yet; for the load they are shared among the grid's workers in proportion to
  their capacity (someone must take them).
- Capacity differs by employment ([coverage.capacity.full_time|part_time] in the weights file):
  households in charge and visits per month.  load_ratio = households / capacity;
  visit_ratio = visits in the last 30 days / visits per month.  overloaded = load_ratio > 1.
- Overdue: a household whose level is in [coverage].high_risk_levels (red, orange) and whose
  latest visit is more than [coverage].overdue_days (14) days ago, or who was never visited.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.config import RiskConfig, load_config
from risk.scoring import _as_date, _day_numbers, latest_two_visits

COVERAGE_WINDOWS = (30, 90)  # days: the 30-day and 90-day coverage


def visited_within(days_since_visit, window: int) -> np.ndarray:
    """True where the latest visit (as of the reference day) falls on one of the `window` days
    ending that day: 0 <= days_since_visit < window. Never visited (NA or negative) is False."""
    d = pd.to_numeric(pd.Series(np.asarray(days_since_visit, dtype=object)), errors="coerce")
    return ((d >= 0) & (d < window)).to_numpy(dtype=bool)


def _latest(households, visits, today):
    today = _as_date(today)
    today_n = (np.datetime64(today, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    vdays = _day_numbers(visits["visited_on"]) if len(visits) else np.zeros(0, np.int64)
    keep = vdays <= today_n
    vis = visits.loc[keep] if not keep.all() else visits
    vdays = vdays[keep]
    last, _ = latest_two_visits(households["id"].to_numpy(), vis["household_id"].to_numpy(), vdays)
    ok = last >= 0
    days_since = np.full(len(households), -1, dtype=np.int64)
    days_since[ok] = today_n - vdays[last[ok]]
    worker = np.full(len(households), -1, dtype=np.int64)
    worker[ok] = vis["worker_id"].to_numpy(dtype=np.int64)[last[ok]]
    return vis, today_n - vdays, days_since, worker


def overdue_high_risk(levels, days_since_visit, config: RiskConfig) -> np.ndarray:
    """True for a household whose level is high risk ([coverage].high_risk_levels) and that was
    never visited or not for more than [coverage].overdue_days days."""
    d = pd.to_numeric(pd.Series(np.asarray(days_since_visit, dtype=object)), errors="coerce")
    never = (d.isna() | (d < 0)).to_numpy(dtype=bool)
    late = never | (d > config.overdue_days).to_numpy(dtype=bool)
    return np.isin(np.asarray(levels, dtype=object), list(config.high_risk_levels)) & late


def coverage_report(households: pd.DataFrame, visits: pd.DataFrame, workers: pd.DataFrame,
                    scores: pd.DataFrame | None = None, *, today,
                    config: RiskConfig | None = None) -> dict[str, pd.DataFrame]:
    config = config or load_config()
    vis, visit_age, days_since, last_worker = _latest(households, visits, today)
    grid = households["grid_code"].to_numpy(dtype=object)
    seen = days_since >= 0
    v30 = visited_within(days_since, 30)
    v90 = visited_within(days_since, 90)

    hh = pd.DataFrame({"grid_code": grid, "v30": v30, "v90": v90, "never": ~seen,
                       "worker_id": last_worker})
    by_grid = hh.groupby("grid_code", sort=True).agg(
        households=("v30", "size"), visited_30d=("v30", "sum"), visited_90d=("v90", "sum"),
        never_visited=("never", "sum"))

    w = workers[["id", "name", "employment", "grid_code"]].copy()
    w["cap_households"] = w["employment"].map(
        lambda e: config.capacity(e)["households"]).astype(float)
    w["cap_visits"] = w["employment"].map(
        lambda e: config.capacity(e)["visits_per_month"]).astype(float)
    grid_cap = w.groupby("grid_code")["cap_households"].sum()
    ft = w[w.employment == "full_time"].groupby("grid_code").size()
    pt = w[w.employment == "part_time"].groupby("grid_code").size()
    by_grid["workers_full_time"] = ft.reindex(by_grid.index, fill_value=0)
    by_grid["workers_part_time"] = pt.reindex(by_grid.index, fill_value=0)
    by_grid["capacity_households"] = grid_cap.reindex(by_grid.index, fill_value=0.0)
    by_grid["share_30d"] = by_grid["visited_30d"] / by_grid["households"]
    by_grid["share_90d"] = by_grid["visited_90d"] / by_grid["households"]
    with np.errstate(divide="ignore", invalid="ignore"):
        by_grid["load_ratio"] = by_grid["households"] / by_grid["capacity_households"]
    by_grid = by_grid.reset_index()

    # per worker: households whose latest visit they made
    mine = hh[hh.worker_id >= 0].groupby("worker_id").agg(
        households=("v30", "size"), visited_30d=("v30", "sum"), visited_90d=("v90", "sum"))
    recent = visit_age < 30  # visits on the 30 days ending today, like visited_within
    visits_30d = pd.Series(vis["worker_id"].to_numpy()[recent]).value_counts()
    w = w.set_index("id")
    w["households"] = mine["households"].reindex(w.index, fill_value=0)
    w["visited_30d"] = mine["visited_30d"].reindex(w.index, fill_value=0)
    w["visited_90d"] = mine["visited_90d"].reindex(w.index, fill_value=0)
    w["visits_30d"] = visits_30d.reindex(w.index, fill_value=0).to_numpy()
    unowned = hh[hh.worker_id < 0].groupby("grid_code").size()
    share = w["cap_households"] / w["grid_code"].map(grid_cap)
    w["unvisited_share"] = (w["grid_code"].map(unowned).fillna(0) * share).to_numpy()
    w["load_households"] = w["households"] + w["unvisited_share"]
    with np.errstate(divide="ignore", invalid="ignore"):
        w["share_30d"] = w["visited_30d"] / w["households"].where(w["households"] > 0)
        w["share_90d"] = w["visited_90d"] / w["households"].where(w["households"] > 0)
    w["load_ratio"] = w["load_households"] / w["cap_households"]
    w["visit_ratio"] = w["visits_30d"] / w["cap_visits"]
    w["overloaded"] = w["load_ratio"] > 1.0
    by_worker = w.rename(columns={"cap_households": "capacity_households",
                                  "cap_visits": "capacity_visits_per_month"}) \
        .reset_index().rename(columns={"index": "worker_id", "id": "worker_id"})

    out = {"by_grid": by_grid, "by_worker": by_worker}
    if scores is not None:
        out["overdue"] = overdue_households(households, scores, days_since, last_worker,
                                            config=config)
    return out


def overdue_households(households, scores, days_since, last_worker, *, config: RiskConfig):
    s = scores.set_index("household_id")
    idx = s.index.get_indexer(households["id"])
    level = s["level"].to_numpy(dtype=object)[idx]
    sel = np.flatnonzero(overdue_high_risk(level, days_since, config))
    out = pd.DataFrame({
        "household_id": households["id"].to_numpy()[sel],
        "grid_code": households["grid_code"].to_numpy()[sel],
        "score": s["score"].to_numpy()[idx][sel],
        "level": level[sel],
        "reasons": s["reasons"].to_numpy()[idx][sel] if "reasons" in s else None,
        "days_since_visit": pd.arrays.IntegerArray(np.maximum(days_since[sel], 0),
                                                   days_since[sel] < 0),
        "last_worker_id": pd.arrays.IntegerArray(np.maximum(last_worker[sel], 0),
                                                 last_worker[sel] < 0),
    })
    never = out["days_since_visit"].isna()
    out = out.assign(_never=never, _days=out["days_since_visit"].fillna(10**6))
    out = out.sort_values(["score", "_never", "_days"], ascending=[False, False, False],
                          kind="stable").drop(columns=["_never", "_days"])
    return out.reset_index(drop=True)
