"""One metrics module: every indicator that a page, an export or a command shows is defined here
once (window, denominator, period, rounding) and read from here by the map, the grid panel, the
leaders' page, the assign page, the exports and the CLI. `DEFINITIONS` holds the one-line
statement of each (the README's "Definitions" section repeats it).

Tunables (high-risk levels, overdue days, capacities, level weights) come from the versioned
weights file through risk.config; the small-aid limit from cases.rules; the coverage window rule
from risk.coverage.visited_within. Nothing is copied here.

Pure core: `period_metrics(data, start=, end=, today=)`, `leader_metrics(data, today=, months=)`,
`grid_summary(...)`, `town_summary(...)`, `open_visits_by_worker(...)`, `visits_by_worker(...)`
take plain DataFrames. Session edge: `load_metrics_data(conn, actor, grid_codes=)`.

Periods: months. The leaders' headline and per-grid table show the last COMPLETE month by
default (the month before today's), never a partial one; the trend lists complete months.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from cases.rules import TOWN_APPROVAL_LIMIT_YUAN
from risk.config import RiskConfig, load_config
from risk.coverage import overdue_high_risk, visited_within

ALL = "ALL"
COVERAGE_DAYS = 30
SMALL_AID_FEN = int(TOWN_APPROVAL_LIMIT_YUAN * 100)  # the town's own approval limit (cases.rules)
METRIC_COLUMNS = ["households", "flagged", "flags_without_visit", "median_days_flag_to_visit",
                  "median_days_intake_to_aid", "small_aid_3wd_share", "small_aid_cases",
                  "small_aid_backdated", "small_aid_on_time",
                  "paperwork_15wd_share", "paperwork_cases", "paperwork_on_time", "coverage_30d",
                  "visited_30d", "overdue_visits"]
# The count behind each share (the leaders' headline shows both): share -> (numerator, denominator)
SHARE_COUNTS = {"coverage_30d": ("visited_30d", "households"),
                "small_aid_3wd_share": ("small_aid_on_time", "small_aid_cases"),
                "paperwork_15wd_share": ("paperwork_on_time", "paperwork_cases")}
SHARE_METRICS = ("coverage_30d", "coverage_90d", "small_aid_3wd_share", "paperwork_15wd_share")
MEDIAN_METRICS = ("median_days_flag_to_visit", "median_days_intake_to_aid", "mean_score")
# Fixed classes of every share on a map (coverage, on-time shares): the same four on every page
# and every day, so a colour means the same thing in every grid and every month.
SHARE_CLASS_BREAKS = (0.0, 0.3, 0.6, 0.8, 1.0)   # <30%, 30–60%, 60–80%, ≥80%

# One line per indicator (zh, en). Shown in the README; the UI labels live in dashboard.texts.
DEFINITIONS: dict[str, str] = {
    "coverage_30d": "30-day coverage: households with a visit on one of the 30 days ending on the "
                    "reference day (today on the map, the month's last day on the leaders' page) "
                    "÷ households in the grid; shown as a percentage with one decimal",
    "coverage_90d": "90-day coverage: the same with the 90 days ending on the reference day",
    "flagged": "flagged households: distinct households that turned high-risk (a stored score "
               "red/orange after a stored score that was not; a household's first stored score is "
               "its baseline, not a flag) or had a case received, in the month",
    "median_days_flag_to_visit": "days from flag to visit: median over the month's flags of the "
                                 "days to the first visit on or after the flag day (same day = 0); "
                                 "flags not visited yet are left out and counted separately",
    "median_days_intake_to_aid": "days from intake to aid: median over the cases received in the "
                                 "month that were aided, of aid day − received day",
    "small_aid_3wd_share": "small aid within 3 working days: town cases (at most the town limit, "
                           "cases.rules; not aid-first, not rejected) received in the month whose "
                           "clock (cases.rules.case_deadline: approve AND pay) stopped on time ÷ "
                           "such cases that were paid or are past their due date; cases entered "
                           "late (aid_case.backdated) are counted in small_aid_backdated",
    "paperwork_15wd_share": "aid-first paperwork within 15 working days: aid-first cases aided in "
                            "the month whose files are done or due, completed on time ÷ such cases",
    "overdue_visits": "overdue visits: visit assignments due in the month and not done by their "
                      "due date (still open past due, or done late)",
    "high_risk_overdue": "high-risk households overdue: level in [coverage].high_risk_levels and "
                         "never visited or not for more than [coverage].overdue_days days",
    "pending_cases": "pending cases: open cases with a running deadline (cases.rules.OPEN_STATUSES)",
    "overdue_cases": "overdue cases: pending cases whose deadline status is overdue (cases.rules)",
    "open_visits": "open visits of a worker: visit assignments in status open assigned to them",
    "visits_30d": "visits in 30 days of a worker: visits they made on the 30 days ending today",
    "mean_score": "mean risk score: mean of the households' current scores, one decimal",
}


@lru_cache(maxsize=1)
def default_config() -> RiskConfig:
    """The county's weights file (risk/weights), read once per process."""
    return load_config()


# --------------------------------------------------------------------------- periods
def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(start: date) -> date:
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def last_complete_month(today: date) -> date:
    """First day of the last complete month: the month before today's (today is never done)."""
    return (month_start(today) - timedelta(days=1)).replace(day=1)


def complete_months(today: date, months: int) -> list[date]:
    """First days of the `months` complete months ending with last_complete_month(today)."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    out = [last_complete_month(today)]
    while len(out) < months:
        out.append((out[-1] - timedelta(days=1)).replace(day=1))
    return list(reversed(out))


def month_starts(today: date, months: int) -> list[date]:
    """The `months` months ending with today's (partial) month; kept for callers of the old API."""
    first = month_start(today)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


# --------------------------------------------------------------------------- data
@dataclass
class MetricsData:
    households: pd.DataFrame   # id, grid_code
    visits: pd.DataFrame       # household_id, visited_on
    flags: pd.DataFrame        # household_id, flagged_on
    cases: pd.DataFrame        # grid_code, received_on, decided_on, approval_due_on,
                               # amount_approved_fen, status, aid_first, aid_on,
                               # paperwork_due_on, files_completed_on
    assignments: pd.DataFrame  # grid_code, due_on, status, visited_on (NaT unless done)
    ready: bool = False        # dates converted and flag delays computed (prepare())


def _days(s) -> pd.Series:
    """Naive datetime64 series; aware timestamps are first taken to Asia/Shanghai's calendar."""
    s = pd.Series(s)
    if pd.api.types.is_datetime64_dtype(s.dtype) and s.dt.tz is None:
        return s.astype("datetime64[ns]")
    try:
        out = pd.to_datetime(s, errors="coerce")
    except (TypeError, ValueError):  # a mix of aware and naive values
        out = pd.to_datetime(s, errors="coerce", utc=True)
    if out.dt.tz is not None:
        out = out.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return out.astype("datetime64[ns]")


CASE_DATES = ["received_on", "decided_on", "approval_due_on", "aid_on", "paperwork_due_on",
              "files_completed_on"]


def prepare(data: MetricsData) -> MetricsData:
    """Convert every date once and compute each flag's grid and delay to its first visit."""
    if data.ready:
        return data
    hh = data.households[["id", "grid_code"]].copy()
    v = data.visits[["household_id", "visited_on"]].copy()
    v["visited_on"] = _days(v["visited_on"]).dt.normalize().to_numpy()
    v = v.dropna().sort_values("visited_on", kind="stable").reset_index(drop=True)
    c = data.cases.copy()
    for col in CASE_DATES:
        c[col] = _days(c[col]).to_numpy() if col in c else pd.NaT
    a = data.assignments.copy()
    a["due_on"] = _days(a["due_on"]).to_numpy()
    a["visited_on"] = _days(a["visited_on"]).to_numpy()
    f = data.flags[["household_id", "flagged_on"]].copy()
    f["flagged_on"] = _days(f["flagged_on"]).dt.normalize().to_numpy()
    f["grid_code"] = f["household_id"].map(hh.set_index("id")["grid_code"])
    f = f.dropna(subset=["grid_code", "flagged_on"]).sort_values("flagged_on", kind="stable")
    f["household_id"] = f["household_id"].astype("int64")
    if len(f) and len(v):
        vv = v.rename(columns={"visited_on": "first_visit"})
        vv["household_id"] = vv["household_id"].astype("int64")
        f = pd.merge_asof(f, vv, left_on="flagged_on", right_on="first_visit", by="household_id",
                          direction="forward")
    else:
        f = f.assign(first_visit=pd.NaT)
    f["delay_days"] = (f["first_visit"] - f["flagged_on"]).dt.days
    return MetricsData(households=hh, visits=v, flags=f.reset_index(drop=True), cases=c,
                       assignments=a, ready=True)


def flags_from_history(history: pd.DataFrame, *,
                       config: RiskConfig | None = None) -> pd.DataFrame:
    """household_id, flagged_on for every stored run where a household turned high-risk: a level
    in config.high_risk_levels after a stored score that was not. A household's first stored
    score is its baseline (when it became high is unknown), not a flag: a first scoring run must
    not flag every high-risk household of the town on one day. `history` has household_id,
    scored_at, level."""
    high_levels = list((config or default_config()).high_risk_levels)
    if history.empty:
        return pd.DataFrame({"household_id": pd.Series(dtype="int64"),
                             "flagged_on": pd.Series(dtype="datetime64[ns]")})
    h = history.sort_values(["household_id", "scored_at"], kind="stable")
    high = h["level"].isin(high_levels).to_numpy()
    same = np.concatenate([[False], h["household_id"].to_numpy()[1:]
                           == h["household_id"].to_numpy()[:-1]])
    prev_high = np.concatenate([[False], high[:-1]])
    turned = high & same & ~prev_high
    out = h.loc[turned, ["household_id", "scored_at"]].rename(columns={"scored_at": "flagged_on"})
    out["flagged_on"] = _days(out["flagged_on"]).dt.normalize().to_numpy()
    return out.reset_index(drop=True)


def _key(df: pd.DataFrame, by_grid: bool) -> pd.Series:
    return df["grid_code"] if by_grid else pd.Series(ALL, index=df.index)


def _between(s: pd.Series, start, end) -> np.ndarray:
    return ((s >= start) & (s <= end)).to_numpy(dtype=bool)


def days_since_last_visit(households: pd.DataFrame, visits: pd.DataFrame, as_of) -> pd.Series:
    """Per household (index as `households`): days from its latest visit on or before `as_of` to
    `as_of` (float; NaN = never)."""
    as_of = pd.Timestamp(as_of)
    vd = _days(visits["visited_on"])
    keep = (vd <= as_of).to_numpy(dtype=bool)
    last = vd[keep].groupby(visits["household_id"].to_numpy()[keep]).max()
    days = (as_of - last).dt.days.astype(float)
    return pd.Series(households["id"].map(days).to_numpy(dtype=float), index=households.index)


@dataclass
class PeriodFacts:
    """What the indicators of one or more periods are computed from: one row per grid or per
    item, each row carrying its grid_code and its period ('month': the label given to
    periods_facts). Grids partition every table, so the facts of several grids concatenate
    (concat_facts) into the facts of all of them: the dashboard computes each grid's facts once
    per data generation and combines them, and gets the same numbers as from all the data at
    once."""
    grids: pd.DataFrame      # month, grid_code, households, visited_30d (as of the period's
                             # end), overdue_visits
    flags: pd.DataFrame      # month, grid_code, household_id, delay_days (NaN: not visited yet)
    aid_days: pd.DataFrame   # month, grid_code, days (cases received in the period and aided)
    small_aid: pd.DataFrame  # month, grid_code, on_time (1.0/0.0), backdated (entered late)
    paperwork: pd.DataFrame  # month, grid_code, on_time (aid-first files of the period)


def _period_of(dates: pd.Series, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Index of the period (sorted, disjoint, both ends included) each date falls in; -1: none."""
    x = np.asarray(dates, dtype="datetime64[ns]")
    k = np.searchsorted(starts, x, side="right") - 1
    ok = (k >= 0) & ~np.isnat(x)
    ok[ok] = x[ok] <= ends[k[ok]]
    return np.where(ok, k, -1)


def _labelled(frame: pd.DataFrame, k: np.ndarray, labels: np.ndarray, columns: dict) -> pd.DataFrame:
    """The rows of `frame` inside a period, with the period's label and the given columns."""
    keep = k >= 0
    out = {"month": labels[k[keep]],
           "grid_code": frame["grid_code"].to_numpy(dtype=object)[keep]}
    out.update({name: np.asarray(values)[keep] for name, values in columns.items()})
    return pd.DataFrame(out)


def periods_facts(data: MetricsData, *, periods: list[tuple[str, date, date]],
                  today: date) -> PeriodFacts:
    """The facts of each period (label, start, end), end clipped to today; periods sorted and
    disjoint (the leaders' months). See DEFINITIONS."""
    d = prepare(data)
    now = pd.Timestamp(today)
    labels = np.array([p[0] for p in periods], dtype=object)
    starts = np.array([pd.Timestamp(p[1]) for p in periods], dtype="datetime64[ns]")
    ends = np.array([pd.Timestamp(min(p[2], today)) for p in periods], dtype="datetime64[ns]")
    if len(periods) > 1 and not (starts[1:] > np.maximum(ends[:-1], starts[:-1])).all():
        raise ValueError("periods must be sorted and must not overlap")
    hh = d.households
    codes = hh["grid_code"].to_numpy(dtype=object)

    # coverage as of each period's end; overdue visits by the period of their due date
    grids = []
    for label, e in zip(labels, ends):
        seen = visited_within(days_since_last_visit(hh, d.visits, e), COVERAGE_DAYS)
        grids.append(pd.DataFrame({"month": label, "grid_code": codes, "households": 1,
                                   "visited_30d": seen.astype(int)}))
    grids = pd.concat(grids, ignore_index=True).groupby(["month", "grid_code"], sort=True).sum() \
        if grids else pd.DataFrame(columns=["households", "visited_30d"],
                                   index=pd.MultiIndex.from_arrays([[], []],
                                                                   names=["month", "grid_code"]))
    a = d.assignments
    late = (((a["status"] == "open") & (a["due_on"] < now))
            | ((a["status"] == "done") & (a["visited_on"] > a["due_on"]))).to_numpy(dtype=bool)
    due = _labelled(a, _period_of(a["due_on"], starts, ends), labels, {"late": late})
    overdue = due.groupby(["month", "grid_code"])["late"].sum() if len(due) \
        else pd.Series(dtype=int)
    grids["overdue_visits"] = overdue.reindex(grids.index).fillna(0).astype(int)
    # assignments of grids without households (none in a consistent database) still count
    extra = overdue.index.difference(grids.index)
    if len(extra):
        grids = pd.concat([grids, pd.DataFrame({"households": 0, "visited_30d": 0,
                                                "overdue_visits": overdue[extra].astype(int)},
                                               index=extra)])
    grids = grids.reset_index()[["month", "grid_code", "households", "visited_30d",
                                 "overdue_visits"]]

    fl = d.flags
    flags = _labelled(fl, _period_of(fl["flagged_on"], starts, ends), labels,
                      {"household_id": fl["household_id"].to_numpy(),
                       "delay_days": fl["delay_days"].to_numpy(dtype=float)})

    c = d.cases
    received = _period_of(c["received_on"], starts, ends)
    aid_days = _labelled(c, received, labels,
                         {"days": (c["aid_on"] - c["received_on"]).dt.days.to_numpy(dtype=float)}) \
        .dropna(subset=["days"])
    judged, on_time = small_aid_verdicts(c, received >= 0, today=today)
    small_aid = _labelled(c, np.where(judged, received, -1), labels,
                          {"on_time": on_time,
                           "backdated": (c["backdated"].fillna(False).astype(bool).to_numpy()
                                         if "backdated" in c else np.zeros(len(c), dtype=bool))})
    sel = (c["aid_first"].fillna(False).astype(bool).to_numpy()
           & c["paperwork_due_on"].notna().to_numpy()
           & (c["files_completed_on"].notna() | (c["paperwork_due_on"] < now)).to_numpy())
    paperwork = _labelled(c, np.where(sel, _period_of(c["aid_on"], starts, ends), -1), labels,
                          {"on_time": (c["files_completed_on"] <= c["paperwork_due_on"])
                           .astype(float)})
    return PeriodFacts(grids=grids, flags=flags, aid_days=aid_days, small_aid=small_aid,
                       paperwork=paperwork)


def small_aid_verdicts(cases: pd.DataFrame, candidates: np.ndarray, *,
                       today: date) -> tuple[np.ndarray, np.ndarray]:
    """Which cases the small-aid share judges, and whether each was on time, by the one deadline
    rule (cases.rules.case_deadline: the town's 3 working days run from receipt and stop at
    PAYMENT, or at a rejection). Judged: town cases (not a county decision, not aid-first), not
    rejected, whose clock has stopped (done_on_time / done_late) or that are still open past
    their due date (overdue); on_time is 1.0 for done_on_time, else 0.0. Cases whose clock still
    runs within its time, or that left without payment, are not judged."""
    from cases.rules import (DeadlineStatus, case_deadline, deadline_facts_from_columns,
                             is_county_decision)

    judged = np.zeros(len(cases), dtype=bool)
    on_time = np.full(len(cases), np.nan)
    idx = np.flatnonzero(np.asarray(candidates, dtype=bool))
    if not len(idx):
        return judged, on_time
    rows = cases.iloc[idx].to_dict("records")
    late = {DeadlineStatus.done_late.value, DeadlineStatus.overdue.value}
    for i, row in zip(idx, rows):
        if str(row.get("status")) == "rejected" or bool(row.get("aid_first") or False):
            continue
        try:
            facts = deadline_facts_from_columns(row)
            county = is_county_decision(facts)
        except ValueError:  # not a status of the case workflow: nothing to judge
            continue
        if county:
            continue
        status = case_deadline(facts, today).status
        if status == DeadlineStatus.done_on_time.value or status in late:
            judged[i] = True
            on_time[i] = 1.0 if status == DeadlineStatus.done_on_time.value else 0.0
    return judged, on_time


def period_facts(data: MetricsData, *, start: date, end: date, today: date) -> PeriodFacts:
    """The facts of the period [start, end] (end clipped to today). See DEFINITIONS."""
    return periods_facts(data, periods=[(start.strftime("%Y-%m"), start, end)], today=today)


def month_periods(starts: list[date]) -> list[tuple[str, date, date]]:
    """The leaders' months as periods_facts periods: ('YYYY-MM', first day, last day)."""
    return [(s.strftime("%Y-%m"), s, month_end(s)) for s in sorted(starts)]


def concat_facts(parts: list[PeriodFacts]) -> PeriodFacts:
    """The facts of several grids' parts (same periods) together."""
    if not parts:
        raise ValueError("no period facts")
    fields = ["grids", "flags", "aid_days", "small_aid", "paperwork"]
    return PeriodFacts(**{f: _concat_rows([getattr(p, f) for p in parts]) for f in fields})


def _concat_rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0].iloc[0:0]
    return non_empty[0] if len(non_empty) == 1 else pd.concat(non_empty, ignore_index=True)


def metrics_from_facts(facts: PeriodFacts, *, by_grid: bool = True) -> pd.DataFrame:
    """One row per grid with households (or one row 'ALL') with METRIC_COLUMNS."""
    return _metrics_table(facts, ["grid_code"] if by_grid else []).reset_index()


def _metrics_table(facts: PeriodFacts, by: list[str]) -> pd.DataFrame:
    """The one place where the indicators are computed from their facts (counts, medians,
    shares), grouped by the fact columns `by` (grid_code, and 'month' for several months'
    facts at once; none: one row 'ALL'). Rows: every group with households."""
    g = facts.grids
    if by:
        groups = g.loc[g["households"] > 0, by].dropna().drop_duplicates()
        index = (pd.MultiIndex.from_frame(groups.sort_values(by)) if len(by) > 1
                 else pd.Index(sorted(groups[by[0]].unique()), name=by[0]))
    else:
        index = pd.Index([ALL], name="grid_code")

    def keys(frame: pd.DataFrame):
        if not by:
            return pd.Series(ALL, index=frame.index)
        return [frame[k] for k in by] if len(by) > 1 else frame[by[0]]

    def per(series: pd.Series, frame: pd.DataFrame, how: str, fill=None) -> pd.Series:
        out = getattr(series.groupby(keys(frame)), how)()
        out = out.reindex(index) if len(out) else pd.Series(np.nan, index=index)
        return out if fill is None else out.fillna(fill).astype(int)

    out = pd.DataFrame(index=index)
    out["households"] = per(g["households"], g, "sum", 0)
    fl = facts.flags
    out["flagged"] = per(fl["household_id"], fl, "nunique", 0)
    out["flags_without_visit"] = per(fl["delay_days"].isna(), fl, "sum", 0)
    out["median_days_flag_to_visit"] = per(fl["delay_days"], fl, "median")
    ad = facts.aid_days
    out["median_days_intake_to_aid"] = per(ad["days"], ad, "median")
    sa = facts.small_aid
    out["small_aid_cases"] = per(sa["on_time"], sa, "size", 0)
    out["small_aid_3wd_share"] = per(sa["on_time"], sa, "mean")
    out["small_aid_on_time"] = per(sa["on_time"], sa, "sum", 0)
    out["small_aid_backdated"] = per(sa["backdated"].astype(bool) if "backdated" in sa
                                     else pd.Series(False, index=sa.index), sa, "sum", 0)
    pw = facts.paperwork
    out["paperwork_cases"] = per(pw["on_time"], pw, "size", 0)
    out["paperwork_15wd_share"] = per(pw["on_time"], pw, "mean")
    out["paperwork_on_time"] = per(pw["on_time"], pw, "sum", 0)
    visited = per(g["visited_30d"], g, "sum", 0)
    out["coverage_30d"] = visited / out["households"].where(out["households"] > 0)
    out["visited_30d"] = visited
    out["overdue_visits"] = per(g["overdue_visits"], g, "sum", 0)
    return out[METRIC_COLUMNS]


def period_metrics(data: MetricsData, *, start: date, end: date, today: date,
                   by_grid: bool = True) -> pd.DataFrame:
    """One row per grid (or one row 'ALL') with METRIC_COLUMNS for the period [start, end]
    (end clipped to today). See DEFINITIONS."""
    return metrics_from_facts(period_facts(data, start=start, end=end, today=today),
                              by_grid=by_grid)


def leader_months(today: date, months: int, month: date | None = None) -> tuple[list[date], date]:
    """The months the leaders' page computes (first days, oldest first) and the month it shows:
    the `months` complete months ending with the last complete one, plus `month` if older."""
    starts = complete_months(today, months)
    month = month_start(month) if month is not None else starts[-1]
    if month not in starts:
        starts = sorted({month, *starts})
    return starts, month


def leader_metrics(data: MetricsData, *, today: date, months: int = 6,
                   month: date | None = None) -> dict:
    """The leaders' page. {'month': the month shown (default: the last complete month),
    'by_grid': metrics per grid for that month, 'total': the same for all grids in scope (one
    row), 'trend': one row per complete month (the `months` ending with the last complete one,
    plus `month` if it is older), 'trend_by_grid': month x grid}. Per-grid flagged households
    and overdue visits add up to the total (grids partition the households)."""
    starts, month = leader_months(today, months, month)
    facts = periods_facts(data, periods=month_periods(starts), today=today)
    return leader_metrics_from_facts(facts, months=starts, month=month)


def leader_metrics_from_facts(facts: PeriodFacts, *, months: list[date], month: date) -> dict:
    """leader_metrics from the facts of the months `months` (first days; `month` among them),
    e.g. the grids' cached facts concatenated: how the dashboard combines them. All months in
    one grouped pass."""
    labels = [start.strftime("%Y-%m") for start in sorted(months)]
    trend = _metrics_table(facts, ["month"]).reindex(pd.Index(labels, name="month")).reset_index()
    for col in METRIC_COLUMNS:  # a month without households keeps zero counts
        if col not in SHARE_METRICS + MEDIAN_METRICS:
            trend[col] = trend[col].fillna(0).astype(int)
    tbg = _metrics_table(facts, ["month", "grid_code"]).reset_index()
    trend = trend[["month", *METRIC_COLUMNS]]
    tbg = tbg[["month", "grid_code", *METRIC_COLUMNS]]
    label = month_start(month).strftime("%Y-%m")
    return {"month": label,
            "by_grid": tbg[tbg["month"] == label].drop(columns="month").reset_index(drop=True),
            "total": trend[trend["month"] == label].reset_index(drop=True),
            "trend": trend, "trend_by_grid": tbg}


# --------------------------------------------------------------------------- session edge
CASE_COLUMNS = ["household_id", "grid_code", "received_on", "decided_on", "approval_due_on",
                "amount_requested_fen", "amount_approved_fen", "status", "aid_first", "aid_on",
                "paperwork_due_on", "files_completed_on", "approval_provisional",
                "paperwork_provisional", "backdated"]


def load_metrics_data(conn, actor, *, grid_codes=None) -> MetricsData:
    """Everything leader_metrics needs, within the actor's scope (and, if given, only the grids
    `grid_codes`: the dashboard caches one grid at a time)."""
    from sqlalchemy import select

    from cases.models import Case
    from grid.access import grid_filter
    from grid.frames import G, H, V, _read, households_frame
    from grid.models import Visit, VisitAssignment
    from grid.risk_models import RiskScore

    def scoped(column):
        cond = grid_filter(actor, column)
        return cond if grid_codes is None else cond & column.in_(list(grid_codes))

    hh = households_frame(conn, actor, grid_codes=grid_codes)[["id", "grid_code"]]
    scope = scoped(G.c.code)
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
    C = Case.__table__
    cases = _read(conn, select(*[C.c[c] for c in CASE_COLUMNS]).where(scoped(C.c.grid_code)))
    if cases.empty:
        cases = pd.DataFrame(columns=CASE_COLUMNS)
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


def concat_data(parts: list[MetricsData]) -> MetricsData:
    """One MetricsData from per-grid parts (prepared parts stay prepared)."""
    if not parts:
        raise ValueError("no metrics data")
    ready = all(p.ready for p in parts)
    fields = ["households", "visits", "flags", "cases", "assignments"]
    merged = {f: pd.concat([getattr(p, f) for p in parts], ignore_index=True) for f in fields}
    if ready:
        merged["visits"] = merged["visits"].sort_values("visited_on", kind="stable") \
            .reset_index(drop=True)
    return replace(parts[0], **merged, ready=ready)


# --------------------------------------------------------------------------- map and panel
def grid_summary(grids: pd.DataFrame, households: pd.DataFrame, workers: pd.DataFrame,
                 pending_cases: pd.DataFrame, *, config: RiskConfig | None = None) -> pd.DataFrame:
    """Per grid (all grids given, even empty ones): households, visited_30d, coverage_30d,
    visited_90d, coverage_90d, mean_score, high_risk, high_risk_overdue, pending_cases,
    overdue_cases, full_time, part_time. `households` has grid_code, score, level,
    days_since_visit (NA = never) as of today. See DEFINITIONS."""
    config = config or default_config()
    codes = pd.Index(grids["code"].tolist(), name="grid_code")
    hh = households
    g = hh["grid_code"]
    days = hh["days_since_visit"] if len(hh) else pd.Series([], dtype=float)
    out = pd.DataFrame(index=codes)
    out["name"] = grids.set_index("code")["name"].reindex(codes).to_numpy()
    out["households"] = g.value_counts().reindex(codes).fillna(0).astype(int)
    for window in (30, 90):
        seen = pd.Series(visited_within(days, window), index=hh.index)
        out[f"visited_{window}d"] = seen.groupby(g).sum().reindex(codes).fillna(0).astype(int)
        out[f"coverage_{window}d"] = out[f"visited_{window}d"] / out["households"].where(
            out["households"] > 0)
    out["mean_score"] = pd.to_numeric(hh["score"], errors="coerce").groupby(g).mean().reindex(codes)
    high = pd.Series(hh["level"].isin(list(config.high_risk_levels)).to_numpy(), index=hh.index)
    late = pd.Series(overdue_high_risk(hh["level"], days, config), index=hh.index)
    out["high_risk"] = high.groupby(g).sum().reindex(codes).fillna(0).astype(int)
    out["high_risk_overdue"] = late.groupby(g).sum().reindex(codes).fillna(0).astype(int)
    pc = pending_cases
    out["pending_cases"] = (pc["grid_code"].value_counts() if len(pc) else pd.Series(dtype=int)) \
        .reindex(codes).fillna(0).astype(int)
    od = pc[pc["deadline_status"] == "overdue"] if len(pc) else pc
    out["overdue_cases"] = (od["grid_code"].value_counts() if len(od) else pd.Series(dtype=int)) \
        .reindex(codes).fillna(0).astype(int)
    for emp in ("full_time", "part_time"):
        w = workers[workers["employment"] == emp]["grid_code"].value_counts()
        out[emp] = w.reindex(codes).fillna(0).astype(int)
    return out.reset_index()


def town_summary(summary: pd.DataFrame) -> dict:
    """All grids of a grid_summary together: shares from the summed counts (not a mean of the
    grids' shares). NaN where there is nothing to divide."""
    hh = int(summary["households"].sum())
    out = {k: int(summary[k].sum()) for k in ("households", "visited_30d", "visited_90d",
                                              "high_risk", "high_risk_overdue", "pending_cases",
                                              "overdue_cases", "full_time", "part_time")}
    out["coverage_30d"] = out["visited_30d"] / hh if hh else float("nan")
    out["coverage_90d"] = out["visited_90d"] / hh if hh else float("nan")
    return out


# --------------------------------------------------------------------------- workers
def open_visits_by_worker(open_assignments: pd.DataFrame) -> pd.Series:
    """Open visit assignments per worker id (the same count on the supervisor's load table and
    on the worker's own list)."""
    if not len(open_assignments):
        return pd.Series(dtype="int64")
    return open_assignments["worker_id"].astype("int64").value_counts()


def visits_by_worker(visits: pd.DataFrame, *, today: date, days: int = COVERAGE_DAYS) -> pd.Series:
    """Visits per worker id made on the `days` days ending today (today and the days-1 before)."""
    if not len(visits):
        return pd.Series(dtype="int64")
    vd = _days(visits["visited_on"])
    now = pd.Timestamp(today)
    keep = ((vd <= now) & (vd > now - pd.Timedelta(days=days))).to_numpy(dtype=bool)
    return visits.loc[keep, "worker_id"].astype("int64").value_counts()


# --------------------------------------------------------------------------- formatting
def format_value(metric: str, value) -> str:
    """How every page prints an indicator: shares as percentages with one decimal, medians and
    mean scores with one decimal, counts as integers; missing values as "—" (never None/nan)."""
    if value is None:
        return "—"
    try:
        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    if metric in SHARE_METRICS:
        return f"{float(value):.1%}"
    if metric in MEDIAN_METRICS:
        return f"{float(value):.1f}"
    return f"{int(round(float(value))):,}"
