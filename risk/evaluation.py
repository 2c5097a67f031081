"""Early-detection evaluation: would the score have found hardship before it surfaced?

    result = evaluate(households, visits, outcomes, config=cfg, seed=0)

Replay.  For each month-end d in the replay window, every household is scored with only the
visits made on or before d (score_households(today=d) ignores later visits).  The top `top_frac`
(10%) of households are "flagged" (ties broken at random under `seed`).  A household is a
positive at d if an outcome (a hardship event or an opened case) happens to it in (d, d + horizon].

Metrics, for the model, a recency-only baseline and random flags, in the same run:
- recall_at_10pct    = flagged positives / positives, summed over all snapshots;
- precision_at_10pct = flagged positives / flagged households, summed over all snapshots;
- median_lead_days   = for each outcome that was flagged at some snapshot in the `horizon` days
  before it, days from the FIRST such flag to the outcome; the median over those outcomes;
- outcomes_flagged_share = share of outcomes (in replayed windows) flagged before they happened.

Baselines.  `baseline_recency` ranks by days since the last visit (never visited first) -- the
routine "whoever we have not seen longest" rotation; `random` draws a fresh seeded ranking each
snapshot.  All three flag the same number of households, so the numbers compare directly.

Not circular: the score uses only visit observations and register fields known at d, through
the weights file; outcomes come from elsewhere (the demo's own event process, or real cases) and
are only used here to count hits.

Honest replay: with `facts` (the register history, grid.facts / risk.history) every snapshot
uses the register as it was known on d (households_as_of).  Without it the register fields are
the current values -- a field updated because of an event (an illness recorded after the illness)
would be seen early; `setup["register"]` says which was used.

`detail=True` adds result["detail"]: "snapshots" (one row per household and snapshot: score,
level, flagged, positive) and "outcomes" (one row per outcome: in_window, flagged_in_time,
lead_days) -- the tables risk.groups breaks down by grid and kind of household.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from risk.config import RiskConfig, load_config
from risk.history import households_as_of, prepare_facts
from risk.scoring import _as_date, _day_numbers, score_households

METHODS = ("model", "baseline_recency", "random")


def _top_mask(rank_score: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of the k highest scores, ties broken at random."""
    order = np.lexsort((rng.random(len(rank_score)), -rank_score))
    flagged = np.zeros(len(rank_score), dtype=bool)
    flagged[order[:k]] = True
    return flagged


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Month-end dates d with start <= d <= end."""
    rng = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="ME")
    return [d.date() for d in rng]


EPOCH = dt.date(1970, 1, 1)


def replay_snapshots(vdays: np.ndarray, out_day: np.ndarray, *, start=None, end=None,
                     warmup_days: int = 60, horizon_days: int = 90) -> list[dt.date]:
    """Month-ends of the replay: default from `warmup_days` after the first visit to the last
    outcome minus `horizon_days` (every window complete).  Days are int days since 1970-01-01."""
    if start is None:
        first = int(vdays.min()) if len(vdays) else int(out_day.min())
        start = EPOCH + dt.timedelta(days=first + warmup_days)
    if end is None:
        last = int(out_day.max()) if len(out_day) else int(vdays.max())
        end = EPOCH + dt.timedelta(days=last - horizon_days)
    return month_ends(_as_date(start), _as_date(end))


def evaluate(households: pd.DataFrame, visits: pd.DataFrame, outcomes: pd.DataFrame, *,
             config: RiskConfig | None = None, seed: int = 0, top_frac: float = 0.10,
             horizon_days: int = 90, start=None, end=None, warmup_days: int = 60,
             date_column: str = "occurred_on", facts: pd.DataFrame | None = None,
             detail: bool = False) -> dict:
    """Replay month by month and score the model against the recency baseline and random.

    start/end bound the snapshot dates (default: `warmup_days` after the first visit, up to the
    last outcome date minus `horizon_days`, so every window is complete).
    """
    config = config or load_config()
    n = len(households)
    hh_ids = households["id"].to_numpy()
    vdays = _day_numbers(visits["visited_on"]) if len(visits) else np.zeros(0, np.int64)
    out_hh = pd.Index(hh_ids).get_indexer(outcomes["household_id"].to_numpy())
    out_day = _day_numbers(outcomes[date_column]) if len(outcomes) else np.zeros(0, np.int64)
    known = out_hh >= 0
    out_hh, out_day = out_hh[known], out_day[known]

    epoch = EPOCH
    snapshots = replay_snapshots(vdays, out_day, start=start, end=end, warmup_days=warmup_days,
                                 horizon_days=horizon_days)
    k = max(1, int(round(top_frac * n)))

    rng = np.random.default_rng(seed)
    totals = {m: {"tp": 0, "positives": 0, "flagged": 0} for m in METHODS}
    # first flag day per (method, outcome): outcome index -> earliest snapshot day
    first_flag = {m: np.full(len(out_day), np.iinfo(np.int64).max, dtype=np.int64)
                  for m in METHODS}
    in_window = np.zeros(len(out_day), dtype=bool)
    prepared = prepare_facts(facts) if facts is not None else None
    parts = []
    for d in snapshots:
        d_n = (d - epoch).days
        hh_d = households_as_of(households, prepared, d) if prepared is not None else households
        scores = score_households(hh_d, visits, today=d, config=config)
        days_since = scores["days_since_visit"].to_numpy(dtype=float, na_value=np.inf)
        ranks = {"model": scores["score"].to_numpy(dtype=float),
                 "baseline_recency": days_since,
                 "random": rng.random(n)}
        win = (out_day > d_n) & (out_day <= d_n + horizon_days)
        in_window |= win
        positive = np.zeros(n, dtype=bool)
        positive[out_hh[win]] = True
        for m in METHODS:
            flagged = _top_mask(ranks[m], k, rng)
            t = totals[m]
            t["tp"] += int((flagged & positive).sum())
            t["positives"] += int(positive.sum())
            t["flagged"] += int(flagged.sum())
            hit = win & flagged[out_hh]
            first_flag[m][hit] = np.minimum(first_flag[m][hit], d_n)
            if detail and m == "model":
                parts.append(pd.DataFrame({
                    "household_id": hh_ids, "snapshot": pd.Timestamp(d),
                    "score": ranks["model"], "level": scores["level"].to_numpy(),
                    "flagged": flagged, "positive": positive}))

    result: dict = {}
    for m in METHODS:
        t = totals[m]
        flagged_events = first_flag[m] < np.iinfo(np.int64).max
        leads = out_day[flagged_events] - first_flag[m][flagged_events]
        result[m] = {
            "recall_at_10pct": t["tp"] / t["positives"] if t["positives"] else None,
            "precision_at_10pct": t["tp"] / t["flagged"] if t["flagged"] else None,
            "median_lead_days": float(np.median(leads)) if len(leads) else None,
            "outcomes_flagged_share": (float(flagged_events.sum() / in_window.sum())
                                       if in_window.any() else None),
        }
    base_rate = (totals["model"]["positives"] / (n * len(snapshots))) if snapshots else None
    result["setup"] = {
        "households": n, "snapshots": len(snapshots),
        "first_snapshot": snapshots[0].isoformat() if snapshots else None,
        "last_snapshot": snapshots[-1].isoformat() if snapshots else None,
        "top_frac": top_frac, "flagged_per_snapshot": k, "horizon_days": horizon_days,
        "outcomes_in_windows": int(in_window.sum()), "base_rate": base_rate,
        "seed": seed, "config_version": config.version,
        "register": "history (known on each snapshot day)" if facts is not None
        else "current values (not a history)",
    }
    if detail:
        ff = first_flag["model"]
        flagged_in_time = ff < np.iinfo(np.int64).max
        result["detail"] = {
            "snapshots": (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
                columns=["household_id", "snapshot", "score", "level", "flagged", "positive"])),
            "outcomes": pd.DataFrame({
                "household_id": hh_ids[out_hh] if len(out_hh) else np.zeros(0, np.int64),
                "occurred_on": (out_day.astype("datetime64[D]")).astype("datetime64[ns]"),
                "in_window": in_window, "flagged_in_time": flagged_in_time & in_window,
                "lead_days": np.where(flagged_in_time, out_day - np.where(flagged_in_time, ff, 0),
                                      -1)}),
        }
    if base_rate:
        for m in METHODS:
            p = result[m]["precision_at_10pct"]
            result[m]["lift"] = (p / base_rate) if p is not None else None
    return result
