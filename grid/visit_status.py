"""A household's visit status: the one definition the map layer, the worklist (走访派单) and the
counts on both read.

Statuses, checked in this order (the first that holds wins):
    overdue_assignment  an open visit assignment whose due date is before today
    never               never visited (and no overdue assignment)
    over_90d            the latest visit is outside the 90 days ending today
    over_30d            the latest visit is outside the 30 days ending today, inside the 90
    recent              visited on one of the 30 days ending today
The windows are the coverage windows (risk.coverage.visited_within, grid.metrics.COVERAGE_DAYS),
so "recent" households of a grid are exactly its 30-day coverage count and recent + over_30d its
90-day count. Every status but "recent" needs a visit.

Pure (plain DataFrames in, DataFrames out):
    visit_status(days_since_visit, overdue_assignment) -> array of status keys
    household_visit_status(households, open_assignments, today=) -> households + status columns
    status_counts(frame) -> {status: n}
    worklist(households, open_assignments, today=, recent_days=, config=) -> the 走访派单 table
    coverage_by_worker(households, visits, workers, today=) -> per worker, 30/90 days
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from risk.config import LEVELS, RiskConfig
from risk.coverage import visited_within

OVERDUE_ASSIGNMENT, NEVER, OVER_90D, OVER_30D, RECENT = (
    "overdue_assignment", "never", "over_90d", "over_30d", "recent")
VISIT_STATUSES = (OVERDUE_ASSIGNMENT, NEVER, OVER_90D, OVER_30D, RECENT)
NEEDS_VISIT = (OVERDUE_ASSIGNMENT, NEVER, OVER_90D, OVER_30D)
SHORT_WINDOW = 30  # = grid.metrics.COVERAGE_DAYS (asserted in tests/unit/test_visit_status.py)
LONG_WINDOW = 90
# One map symbol per status (households are squares/triangles/diamonds; cases are circles):
# a status is told by its shape, not only by its colour.
STATUS_SYMBOLS = {OVERDUE_ASSIGNMENT: ("◆", "#6a1b9a"), NEVER: ("■", "#b71c1c"),
                  OVER_90D: ("▲", "#e65100"), OVER_30D: ("▼", "#f9a825"), RECENT: ("●", "#2e7d32")}
LEVEL_RANK = {lv: i for i, lv in enumerate(LEVELS)}  # red first


def _days(values) -> pd.Series:
    return pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")


def visit_status(days_since_visit, overdue_assignment) -> np.ndarray:
    """The status key of each household from its days since the latest visit (NA/negative:
    never) and whether it has an open assignment past its due date."""
    d = _days(days_since_visit)
    in_30 = visited_within(d, SHORT_WINDOW)
    in_90 = visited_within(d, LONG_WINDOW)
    never = (d.isna() | (d < 0)).to_numpy(dtype=bool)
    late = np.asarray(overdue_assignment, dtype=bool)
    return np.select([late, never, ~in_90, ~in_30], [OVERDUE_ASSIGNMENT, NEVER, OVER_90D, OVER_30D],
                     default=RECENT).astype(object)


def household_visit_status(households: pd.DataFrame, open_assignments: pd.DataFrame, *,
                           today: date) -> pd.DataFrame:
    """`households` (id, days_since_visit, ...) with the columns of its open assignment
    (assignment_id, assignment_version, assigned_worker_id, assigned_worker, due_on; NA when
    none), assignment_overdue and visit_status."""
    out = households.copy()
    a = open_assignments
    if len(a):
        a = a.drop_duplicates("household_id").set_index("household_id")
        idx = a.index.get_indexer(out["id"])
        has = idx >= 0

        def col(name, dtype=object):
            vals = a[name].to_numpy(dtype=object)
            picked = np.where(has, vals[np.maximum(idx, 0)], None)
            return picked if dtype is object else pd.array(picked, dtype=dtype)

        out["assignment_id"] = col("id", "Int64")
        out["assignment_version"] = col("version", "Int64")
        out["assigned_worker_id"] = col("worker_id", "Int64")
        out["assigned_worker"] = col("worker_name")
        due = pd.to_datetime(pd.Series(col("due_on")), errors="coerce").dt.date
        out["due_on"] = due.where(pd.Series(has)).to_numpy(dtype=object)
        late = has & (pd.to_datetime(pd.Series(col("due_on")), errors="coerce")
                      < pd.Timestamp(today)).to_numpy(dtype=bool)
    else:
        for c in ("assignment_id", "assignment_version", "assigned_worker_id"):
            out[c] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["assigned_worker"] = None
        out["due_on"] = None
        late = np.zeros(len(out), dtype=bool)
    out["assignment_overdue"] = late
    out["visit_status"] = visit_status(out["days_since_visit"], late) if len(out) else []
    return out


def reasons_text(reasons, limit: int = 3) -> str:
    """A household's stored risk reasons (Chinese sentences of the weights file) as one line."""
    if isinstance(reasons, (list, tuple, np.ndarray)):
        return "；".join(str(r) for r in list(reasons)[:limit])
    return ""


def status_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Households per visit status (every status present, zeros included)."""
    counts = frame["visit_status"].value_counts() if len(frame) else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in VISIT_STATUSES}


def worklist(households: pd.DataFrame, open_assignments: pd.DataFrame, *, today: date,
             config: RiskConfig, grid_code: str | None = None,
             recent_days: int | None = None) -> pd.DataFrame:
    """The households that need a visit (status other than recent), most urgent first:
    overdue assignments, then high-risk levels, by level, never visited first, the longest
    since the last visit, the highest score, the id. Households visited on one of the last
    `recent_days` days (default [coverage].skip_recent_days) are left out even when their
    status says otherwise (only possible with an overdue assignment).

    Columns: those of household_visit_status plus high_risk and suggested (no open assignment:
    these are what a supervisor may assign)."""
    hh = households if grid_code is None else households[households["grid_code"] == grid_code]
    s = household_visit_status(hh, open_assignments, today=today)
    s = s[s["visit_status"].isin(NEEDS_VISIT)]
    recent = recent_days if recent_days is not None else config.skip_recent_days
    s = s[~visited_within(s["days_since_visit"], recent)] if len(s) else s
    s = s.assign(high_risk=s["level"].isin(list(config.high_risk_levels)),
                 suggested=s["assignment_id"].isna().to_numpy(dtype=bool))
    order = s.assign(_late=~s["assignment_overdue"], _hr=~s["high_risk"],
                     _rank=s["level"].map(LEVEL_RANK).fillna(9),
                     _never=_days(s["days_since_visit"]).notna().to_numpy(),
                     _days=-_days(s["days_since_visit"]).fillna(10**6).to_numpy(),
                     _score=-pd.to_numeric(s["score"], errors="coerce").fillna(0).to_numpy())
    keys = ["_late", "_hr", "_rank", "_never", "_days", "_score", "id"]
    return order.sort_values(keys, kind="stable").drop(columns=keys[:-1]).reset_index(drop=True)


def coverage_by_worker(households: pd.DataFrame, visits: pd.DataFrame, workers: pd.DataFrame,
                       *, today: date) -> pd.DataFrame:
    """Per worker (id, name, grid_code, employment): households of their grid, distinct
    households they visited on the 30 and on the 90 days ending today (visited_30d, visited_90d)
    and those counts ÷ the grid's households (coverage_30d, coverage_90d). A household visited by
    two workers counts for both; the grid's coverage (grid.metrics.grid_summary) counts it once."""
    w = workers[["id", "name", "grid_code", "employment"]].copy()
    per_grid = households["grid_code"].value_counts()
    w["households"] = w["grid_code"].map(per_grid).fillna(0).astype(int)
    now = pd.Timestamp(today)
    vd = pd.to_datetime(visits["visited_on"]) if len(visits) else pd.Series([], dtype="datetime64[ns]")
    age = (now - vd).dt.days if len(visits) else pd.Series([], dtype=float)
    for window in (SHORT_WINDOW, LONG_WINDOW):
        if len(visits):
            keep = visited_within(age, window)
            seen = visits.loc[keep].drop_duplicates(["worker_id", "household_id"])
            n = seen["worker_id"].astype("int64").value_counts()
        else:
            n = pd.Series(dtype="int64")
        w[f"visited_{window}d"] = w["id"].map(n).fillna(0).astype(int)
        w[f"coverage_{window}d"] = w[f"visited_{window}d"] / w["households"].where(w["households"] > 0)
    return w.reset_index(drop=True)
