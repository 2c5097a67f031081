"""Early-intervention metrics for the leaders' view (早发现、早介入、早救助).

Pure core: `period_metrics(data, start=, end=, today=)` and `leader_metrics(data, today=, months=)`
take a `MetricsData` of plain DataFrames. Session edge: `load_metrics_data(conn, actor)` reads them
within the actor's scope.

Definitions (a period is [start, end], end clipped to today):
- flagged: distinct households flagged in the period. A flag is a household's risk level turning
  red/orange in the stored score history (its first high run, or high after a run that was not),
  or a case received for the household from any channel.
- median_days_flag_to_visit: per flag, days to the first visit on or after the flag day (a visit
  on the day itself counts 0); flags with no visit yet are left out (and counted in
  flags_without_visit).
- median_days_intake_to_aid: cases received in the period that got aid: aid_on - received_on.
- small_aid_3wd_share: cases received in the period, approved for at most 500 yuan: share decided
  on or before approval_due_on (3 working days, computed by the cases calendar).
- paperwork_15wd_share: aid-first cases aided in the period whose paperwork is done or due: share
  with files completed on or before paperwork_due_on (15 working days).
- coverage_30d: share of households with a visit in the 30 days up to the period's end.
- overdue_visits: assignments due in the period and not done by their due date (still open past
  due, or done late).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

HIGH_LEVELS = ("red", "orange")
SMALL_AID_FEN = 500_00
ALL = "ALL"
METRIC_COLUMNS = ["households", "flagged", "flags_without_visit", "median_days_flag_to_visit",
                  "median_days_intake_to_aid", "small_aid_3wd_share", "small_aid_cases",
                  "paperwork_15wd_share", "paperwork_cases", "coverage_30d", "overdue_visits"]


@dataclass
class MetricsData:
    households: pd.DataFrame   # id, grid_code
    visits: pd.DataFrame       # household_id, visited_on
    flags: pd.DataFrame        # household_id, flagged_on
    cases: pd.DataFrame        # grid_code, received_on, decided_on, approval_due_on,
                               # amount_approved_fen, status, aid_first, aid_on,
                               # paperwork_due_on, files_completed_on
    assignments: pd.DataFrame  # grid_code, due_on, status, visited_on (NaT unless done)


def _days(s) -> pd.Series:
    """Naive datetime64 series; aware timestamps are first taken to Asia/Shanghai's calendar."""
    s = pd.Series(s)
    try:
        out = pd.to_datetime(s, errors="coerce")
    except (TypeError, ValueError):  # a mix of aware and naive values
        out = pd.to_datetime(s, errors="coerce", utc=True)
    if out.dt.tz is not None:
        out = out.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return out.astype("datetime64[ns]")


def flags_from_history(history: pd.DataFrame) -> pd.DataFrame:
    """household_id, flagged_on for every run where a household turned high-risk.
    `history` has household_id, scored_at, level."""
    if history.empty:
        return pd.DataFrame({"household_id": pd.Series(dtype="int64"),
                             "flagged_on": pd.Series(dtype="datetime64[ns]")})
    h = history.sort_values(["household_id", "scored_at"], kind="stable")
    high = h["level"].isin(HIGH_LEVELS).to_numpy()
    same = (h["household_id"].to_numpy()[1:] == h["household_id"].to_numpy()[:-1])
    prev_high = np.concatenate([[False], high[:-1] & same])
    turned = high & ~prev_high
    out = h.loc[turned, ["household_id", "scored_at"]].rename(columns={"scored_at": "flagged_on"})
    out["flagged_on"] = _days(out["flagged_on"]).dt.normalize().to_numpy()
    return out.reset_index(drop=True)


def _keyed(df: pd.DataFrame, grid: pd.Series, by_grid: bool) -> pd.Series:
    return grid if by_grid else pd.Series(ALL, index=df.index)


def _flag_delays(data: MetricsData, start, end) -> pd.DataFrame:
    f = data.flags.copy()
    f["flagged_on"] = _days(f["flagged_on"]).to_numpy()
    f = f[(f["flagged_on"] >= start) & (f["flagged_on"] <= end)]
    grid = data.households.set_index("id")["grid_code"]
    f["grid_code"] = f["household_id"].map(grid)
    f = f.dropna(subset=["grid_code"])
    v = data.visits[["household_id", "visited_on"]].copy()
    v["visited_on"] = _days(v["visited_on"]).to_numpy()
    v = v.dropna().sort_values("visited_on")
    f = f.sort_values("flagged_on")
    if len(f) and len(v):
        m = pd.merge_asof(f, v.rename(columns={"visited_on": "first_visit"}),
                          left_on="flagged_on", right_on="first_visit", by="household_id",
                          direction="forward")
    else:
        m = f.assign(first_visit=pd.NaT)
    m["delay_days"] = (m["first_visit"] - m["flagged_on"]).dt.days
    return m


def period_metrics(data: MetricsData, *, start: date, end: date, today: date,
                   by_grid: bool = True) -> pd.DataFrame:
    """One row per grid (or one row 'ALL') with METRIC_COLUMNS for the period [start, end]."""
    end = min(end, today)
    s, e, now = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(today)
    hh = data.households
    keys = sorted(hh["grid_code"].dropna().unique()) if by_grid else [ALL]
    out = pd.DataFrame(index=pd.Index(keys, name="grid_code"))
    out["households"] = (hh.groupby("grid_code").size() if by_grid
                         else pd.Series({ALL: len(hh)})).reindex(keys).fillna(0).astype(int)

    fl = _flag_delays(data, s, e)
    fk = _keyed(fl, fl["grid_code"], by_grid)
    out["flagged"] = fl.groupby(fk)["household_id"].nunique().reindex(keys).fillna(0).astype(int)
    out["flags_without_visit"] = fl["delay_days"].isna().groupby(fk).sum().reindex(keys) \
        .fillna(0).astype(int)
    out["median_days_flag_to_visit"] = fl.groupby(fk)["delay_days"].median().reindex(keys)

    c = data.cases
    received = _days(c["received_on"])
    in_period = ((received >= s) & (received <= e)).to_numpy()
    cp = c[in_period]
    ck = _keyed(cp, cp["grid_code"], by_grid)
    aid_days = (_days(cp["aid_on"]).to_numpy() - _days(cp["received_on"]).to_numpy())
    aid_days = pd.Series(aid_days, index=cp.index).dt.days
    out["median_days_intake_to_aid"] = aid_days.groupby(ck).median().reindex(keys)

    approved = pd.to_numeric(cp["amount_approved_fen"], errors="coerce")
    decided = _days(cp["decided_on"])
    small = cp[(approved <= SMALL_AID_FEN).to_numpy() & decided.notna().to_numpy()
               & (cp["status"] != "rejected").to_numpy()]
    on_time = (_days(small["decided_on"]) <= _days(small["approval_due_on"])).to_numpy()
    sk = _keyed(small, small["grid_code"], by_grid)
    grp = pd.Series(on_time, index=small.index).groupby(sk)
    out["small_aid_cases"] = grp.size().reindex(keys).fillna(0).astype(int)
    out["small_aid_3wd_share"] = grp.mean().reindex(keys)

    aid_on = _days(c["aid_on"])
    due = _days(c["paperwork_due_on"])
    done = _days(c["files_completed_on"])
    sel = (c["aid_first"].astype(bool).to_numpy() & (aid_on >= s).to_numpy()
           & (aid_on <= e).to_numpy() & due.notna().to_numpy()
           & (done.notna() | (due < now)).to_numpy())
    pw = c[sel]
    pw_ok = (_days(pw["files_completed_on"]) <= _days(pw["paperwork_due_on"])).to_numpy()
    pk = _keyed(pw, pw["grid_code"], by_grid)
    grp = pd.Series(pw_ok, index=pw.index).groupby(pk)
    out["paperwork_cases"] = grp.size().reindex(keys).fillna(0).astype(int)
    out["paperwork_15wd_share"] = grp.mean().reindex(keys)

    v = data.visits
    vd = _days(v["visited_on"])
    recent = v.loc[((vd > e - pd.Timedelta(days=30)) & (vd <= e)).to_numpy(), "household_id"].unique()
    seen = hh["id"].isin(recent)
    hk = _keyed(hh, hh["grid_code"], by_grid)
    out["coverage_30d"] = seen.groupby(hk).mean().reindex(keys)

    a = data.assignments
    adue = _days(a["due_on"])
    avis = _days(a["visited_on"])
    late = (((a["status"] == "open") & (adue < now)) | ((a["status"] == "done") & (avis > adue)))
    late &= (adue >= s) & (adue <= e)
    ak = _keyed(a, a["grid_code"], by_grid)
    out["overdue_visits"] = late.groupby(ak).sum().reindex(keys).fillna(0).astype(int)
    return out[METRIC_COLUMNS].reset_index()


def month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def leader_metrics(data: MetricsData, *, today: date, months: int = 6) -> dict[str, pd.DataFrame]:
    """{'by_grid': metrics per grid over the last `months` months (coverage as of today),
    'trend': one row per month for all grids in scope, 'trend_by_grid': month x grid}."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    starts = month_starts(today, months)
    by_grid = period_metrics(data, start=starts[0], end=today, today=today, by_grid=True)
    trend, trend_by_grid = [], []
    for i, start in enumerate(starts):
        end = (starts[i + 1] - timedelta(days=1)) if i + 1 < len(starts) else today
        label = start.strftime("%Y-%m")
        trend.append(period_metrics(data, start=start, end=end, today=today, by_grid=False)
                     .assign(month=label))
        trend_by_grid.append(period_metrics(data, start=start, end=end, today=today)
                             .assign(month=label))
    cols = ["month", *METRIC_COLUMNS]
    return {"by_grid": by_grid,
            "trend": pd.concat(trend, ignore_index=True)[cols],
            "trend_by_grid": pd.concat(trend_by_grid, ignore_index=True)[["month", "grid_code",
                                                                          *METRIC_COLUMNS]]}


# --------------------------------------------------------------------------- session edge
def load_metrics_data(conn, actor) -> MetricsData:
    """Everything leader_metrics needs, within the actor's scope."""
    from sqlalchemy import select

    from grid.access import grid_filter
    from grid.frames import G, H, V, _read, households_frame
    from grid.models import Visit, VisitAssignment
    from grid.risk_models import RiskScore

    hh = households_frame(conn, actor)[["id", "grid_code"]]
    scope = grid_filter(actor, G.c.code)
    visits = _read(conn, select(V.c.household_id, V.c.visited_on).join(H, V.c.household_id == H.c.id)
                   .join(G, H.c.grid_id == G.c.id).where(scope))
    if visits.empty:
        visits = pd.DataFrame({"household_id": pd.Series(dtype="int64"),
                               "visited_on": pd.Series(dtype="datetime64[ns]")})
    R = RiskScore.__table__
    hist = _read(conn, select(R.c.household_id, R.c.scored_at, R.c.level)
                 .join(H, R.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id).where(scope))
    flags = flags_from_history(hist if len(hist) else
                               pd.DataFrame(columns=["household_id", "scored_at", "level"]))
    cases = _cases(conn, actor)
    linked = cases.dropna(subset=["household_id"])
    case_flags = pd.DataFrame({"household_id": linked["household_id"].astype("int64").to_numpy(),
                               "flagged_on": _days(linked["received_on"]).to_numpy()})
    flags = pd.concat([flags, case_flags], ignore_index=True)
    A = VisitAssignment.__table__
    VV = Visit.__table__
    assignments = _read(conn, select(G.c.code.label("grid_code"), A.c.due_on, A.c.status,
                                     VV.c.visited_on)
                        .select_from(A).join(H, A.c.household_id == H.c.id)
                        .join(G, H.c.grid_id == G.c.id).outerjoin(VV, A.c.visit_id == VV.c.id)
                        .where(scope))
    if assignments.empty:
        assignments = pd.DataFrame(columns=["grid_code", "due_on", "status", "visited_on"])
    return MetricsData(households=hh, visits=visits, flags=flags, cases=cases,
                       assignments=assignments)


CASE_COLUMNS = ["household_id", "grid_code", "received_on", "decided_on", "approval_due_on",
                "amount_approved_fen", "status", "aid_first", "aid_on", "paperwork_due_on",
                "files_completed_on"]


def _cases(conn, actor) -> pd.DataFrame:
    from sqlalchemy import select

    from grid.access import grid_filter
    from grid.frames import _read

    try:
        from cases.models import Case
    except ImportError:  # the cases package is not installed
        return pd.DataFrame(columns=CASE_COLUMNS)
    C = Case.__table__
    df = _read(conn, select(*[C.c[c] for c in CASE_COLUMNS]).where(grid_filter(actor, C.c.grid_code)))
    if df.empty:
        return pd.DataFrame(columns=CASE_COLUMNS)
    return df


# --------------------------------------------------------------------------- grid panel
OVERDUE_DAYS = 14  # high-risk households not visited for this long count as overdue


def grid_summary(grids: pd.DataFrame, households: pd.DataFrame, workers: pd.DataFrame,
                 pending_cases: pd.DataFrame, *, overdue_days: int = OVERDUE_DAYS) -> pd.DataFrame:
    """Per grid (all grids given, even empty ones): households, coverage_30d, mean_score,
    high_risk, high_risk_overdue (red/orange, never visited or not for `overdue_days`),
    pending_cases, full_time, part_time. `households` has grid_code, score, level,
    days_since_visit (Int64, NA = never)."""
    codes = pd.Index(grids["code"].tolist(), name="grid_code")
    hh = households
    days = pd.array(hh["days_since_visit"], dtype="Int64") if len(hh) else pd.array([], "Int64")
    seen30 = pd.Series((days <= 30).fillna(False).to_numpy(dtype=bool), index=hh.index)
    high = hh["level"].isin(HIGH_LEVELS)
    late = pd.Series((days > overdue_days).fillna(True).to_numpy(dtype=bool), index=hh.index)
    g = hh["grid_code"]
    out = pd.DataFrame(index=codes)
    out["name"] = grids.set_index("code")["name"].reindex(codes).to_numpy()
    out["households"] = g.value_counts().reindex(codes).fillna(0).astype(int)
    out["coverage_30d"] = seen30.groupby(g).mean().reindex(codes)
    out["mean_score"] = pd.to_numeric(hh["score"], errors="coerce").groupby(g).mean().reindex(codes)
    out["high_risk"] = high.groupby(g).sum().reindex(codes).fillna(0).astype(int)
    out["high_risk_overdue"] = (high & late).groupby(g).sum().reindex(codes).fillna(0).astype(int)
    pc = pending_cases["grid_code"].value_counts() if len(pending_cases) else pd.Series(dtype=int)
    out["pending_cases"] = pc.reindex(codes).fillna(0).astype(int)
    for emp in ("full_time", "part_time"):
        w = workers[workers["employment"] == emp]["grid_code"].value_counts()
        out[emp] = w.reindex(codes).fillna(0).astype(int)
    return out.reset_index()
