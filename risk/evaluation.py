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
are only used here to count hits.  Caveat: household register fields (serious illness, ...) are
the current values, not a history -- if a register field is updated because of an event, the
replay would see it early.  The demo does not do that; for real data, keep register history or
drop those factors in the replay.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from risk.config import RiskConfig, load_config
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


def evaluate(households: pd.DataFrame, visits: pd.DataFrame, outcomes: pd.DataFrame, *,
             config: RiskConfig | None = None, seed: int = 0, top_frac: float = 0.10,
             horizon_days: int = 90, start=None, end=None, warmup_days: int = 60,
             date_column: str = "occurred_on") -> dict:
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

    epoch = dt.date(1970, 1, 1)
    if start is None:
        first = int(vdays.min()) if len(vdays) else int(out_day.min())
        start = epoch + dt.timedelta(days=first + warmup_days)
    if end is None:
        last = int(out_day.max()) if len(out_day) else int(vdays.max())
        end = epoch + dt.timedelta(days=last - horizon_days)
    snapshots = month_ends(_as_date(start), _as_date(end))
    k = max(1, int(round(top_frac * n)))

    rng = np.random.default_rng(seed)
    totals = {m: {"tp": 0, "positives": 0, "flagged": 0} for m in METHODS}
    # first flag day per (method, outcome): outcome index -> earliest snapshot day
    first_flag = {m: np.full(len(out_day), np.iinfo(np.int64).max, dtype=np.int64)
                  for m in METHODS}
    in_window = np.zeros(len(out_day), dtype=bool)
    for d in snapshots:
        d_n = (d - epoch).days
        scores = score_households(households, visits, today=d, config=config)
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
    }
    if base_rate:
        for m in METHODS:
            p = result[m]["precision_at_10pct"]
            result[m]["lift"] = (p / base_rate) if p is not None else None
    return result
