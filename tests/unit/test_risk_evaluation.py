"""Known answers for the month-by-month replay: hits, lead days, no look-ahead, baselines."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from risk.config import load_config
from risk.evaluation import evaluate, month_ends

CFG = load_config()
D = dt.date


def _households(n=10):
    return pd.DataFrame({
        "id": np.arange(1, n + 1), "grid_code": "A", "lon": 118.68, "lat": 33.72, "members": 2,
        "elderly_alone": False, "minors": 0, "severe_disability": False, "serious_illness": False,
        "dibao": False, "tekun": False, "income_per_capita_yuan": 10_000.0})


def _visits(rows):
    flags = ["housing_loss", "accidental_injury", "sudden_illness_or_disaster", "care_gap",
             "lost_job", "new_illness"]
    out = []
    for i, (hid, day, flag) in enumerate(rows, start=1):
        r = {"id": i, "household_id": hid, "worker_id": 1, "visited_on": pd.Timestamp(day),
             "income_per_capita_yuan": np.nan, **{f: False for f in flags}}
        if flag:
            r[flag] = True
        out.append(r)
    v = pd.DataFrame(out)
    v["visited_on"] = v["visited_on"].astype("datetime64[ns]")
    return v


def test_month_ends():
    assert month_ends(D(2026, 1, 15), D(2026, 4, 30)) == [D(2026, 1, 31), D(2026, 2, 28),
                                                          D(2026, 3, 31), D(2026, 4, 30)]


def test_hit_lead_days_and_no_look_ahead():
    h = _households(10)
    rows = [(i, D(2026, 1, 5), None) for i in range(2, 10)]          # hh 10 never visited
    rows += [(1, D(2026, 1, 10), "care_gap"),                          # known before Jan 31
             (2, D(2026, 2, 3), "housing_loss")]                       # only after Jan 31
    v = _visits(rows)
    events = pd.DataFrame({"household_id": [1, 2],
                           "occurred_on": pd.to_datetime(["2026-02-20", "2026-02-25"])})
    r = evaluate(h, v, events, config=CFG, seed=0, top_frac=0.1, horizon_days=30,
                 start=D(2026, 1, 31), end=D(2026, 1, 31))
    assert r["setup"]["snapshots"] == 1 and r["setup"]["flagged_per_snapshot"] == 1
    m = r["model"]
    # one flag (hh1), one hit out of two positives; hh2's warning came after the snapshot
    assert m["recall_at_10pct"] == 0.5 and m["precision_at_10pct"] == 1.0
    assert m["median_lead_days"] == 20.0          # Jan 31 -> Feb 20
    # the recency baseline flags the never-visited hh10: no hit
    assert r["baseline_recency"]["recall_at_10pct"] == 0.0
    assert r["baseline_recency"]["median_lead_days"] is None


def test_first_flag_is_used_for_the_lead():
    h = _households(10)
    rows = [(i, D(2025, 12, 1), None) for i in range(2, 11)] + [(1, D(2025, 12, 20), "care_gap")]
    events = pd.DataFrame({"household_id": [1], "occurred_on": pd.to_datetime(["2026-03-10"])})
    r = evaluate(h, _visits(rows), events, config=CFG, seed=0, horizon_days=90,
                 start=D(2025, 12, 31), end=D(2026, 2, 28))
    # flagged at Dec 31, Jan 31 and Feb 28; lead from the first flag: Dec 31 -> Mar 10 = 69
    assert r["model"]["median_lead_days"] == 69.0
    assert r["model"]["recall_at_10pct"] == 1.0    # positive at all three snapshots, hit each time
    assert r["setup"]["outcomes_in_windows"] == 1


def test_random_baseline_is_seeded_and_near_the_base_rate():
    rng = np.random.default_rng(0)
    n = 2000
    h = _households(n)
    rows = [(i, D(2026, 1, 1) + dt.timedelta(days=int(rng.integers(0, 30))), None)
            for i in range(1, n + 1)]
    hit = rng.choice(np.arange(1, n + 1), 300, replace=False)
    events = pd.DataFrame({"household_id": hit, "occurred_on": pd.Timestamp("2026-02-15")})
    a = evaluate(h, _visits(rows), events, config=CFG, seed=5, start=D(2026, 1, 31),
                 end=D(2026, 1, 31))
    b = evaluate(h, _visits(rows), events, config=CFG, seed=5, start=D(2026, 1, 31),
                 end=D(2026, 1, 31))
    assert a["random"] == b["random"]
    assert a["random"]["recall_at_10pct"] == pytest.approx(0.10, abs=0.05)
    assert set(a) >= {"model", "baseline_recency", "random"}
    for m in ("model", "baseline_recency", "random"):
        assert set(a[m]) >= {"recall_at_10pct", "precision_at_10pct", "median_lead_days"}
