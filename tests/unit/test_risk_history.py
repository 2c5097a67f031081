"""The register as it was known on a day: a replay never sees a fact before it was recorded."""
import datetime as dt

import numpy as np
import pandas as pd

from risk.config import load_config
from risk.evaluation import evaluate
from risk.history import households_as_of
from risk.scoring import score_households

D = dt.date


def _households(n=10):
    return pd.DataFrame({
        "id": np.arange(1, n + 1), "grid_code": "A", "lon": 118.68, "lat": 33.72, "members": 2,
        "elderly_alone": False, "minors": 0, "severe_disability": False, "serious_illness": False,
        "dibao": False, "tekun": False, "income_per_capita_yuan": 10_000.0})


def _facts(rows):
    return pd.DataFrame(rows, columns=["household_id", "field", "value", "valid_from", "recorded_on"])


def _baseline(n):
    rows = []
    for h in range(1, n + 1):
        for f, v in (("members", 2), ("elderly_alone", False), ("minors", 0),
                     ("severe_disability", False), ("serious_illness", False), ("dibao", False),
                     ("tekun", False), ("income_per_capita_yuan", 10_000.0)):
            rows.append((h, f, v, D(2020, 1, 1), D(2020, 1, 1)))
    return rows


def test_value_known_only_from_its_recording_day():
    h = _households(2)
    # hh1's illness began on Jan 10 but entered the register on Mar 5
    f = _facts(_baseline(2) + [(1, "serious_illness", True, D(2026, 1, 10), D(2026, 3, 5))])
    assert not households_as_of(h, f, D(2026, 1, 31)).loc[0, "serious_illness"]
    assert not households_as_of(h, f, D(2026, 3, 4)).loc[0, "serious_illness"]
    assert households_as_of(h, f, D(2026, 3, 5)).loc[0, "serious_illness"]
    # recorded ahead of the day it becomes true: not true before that day either
    f2 = _facts(_baseline(2) + [(2, "dibao", True, D(2026, 4, 1), D(2026, 3, 20))])
    assert not households_as_of(h, f2, D(2026, 3, 25)).loc[1, "dibao"]
    assert households_as_of(h, f2, D(2026, 4, 1)).loc[1, "dibao"]


def test_newest_known_value_wins_and_nothing_recorded_means_default():
    h = _households(2)
    f = _facts([(1, "minors", 2, D(2024, 1, 1), D(2024, 1, 1)),
                (1, "minors", 1, D(2026, 2, 1), D(2026, 2, 3)),
                (1, "income_per_capita_yuan", 500.0, D(2024, 1, 1), D(2024, 1, 1))])
    a = households_as_of(h, f, D(2026, 2, 2))
    b = households_as_of(h, f, D(2026, 2, 3))
    assert a.loc[0, "minors"] == 2 and b.loc[0, "minors"] == 1
    assert a.loc[0, "income_per_capita_yuan"] == 500.0
    # hh2 has no history at all: nothing known (no, 0, income unknown)
    assert a.loc[1, "minors"] == 0 and not a.loc[1, "elderly_alone"]
    assert np.isnan(a.loc[1, "income_per_capita_yuan"])


def test_replay_cannot_see_a_fact_recorded_after_the_snapshot():
    """Current values flag hh1 (disability + illness) before its event; the history does not."""
    cfg = load_config()
    h = _households(10)
    h.loc[0, ["severe_disability", "serious_illness"]] = True      # current register
    h.loc[1:, "minors"] = 1          # every other household has 4 points: no ties with hh1
    v = pd.DataFrame({"id": range(1, 11), "household_id": range(1, 11), "worker_id": 1,
                      "visited_on": pd.Timestamp("2026-01-05"), "income_per_capita_yuan": np.nan,
                      **{c: False for c in ("housing_loss", "accidental_injury",
                                            "sudden_illness_or_disaster", "care_gap", "lost_job",
                                            "new_illness")}})
    v["visited_on"] = v["visited_on"].astype("datetime64[ns]")
    events = pd.DataFrame({"household_id": [1], "occurred_on": pd.to_datetime(["2026-02-15"])})
    base = [(hid, f, (1 if f == "minors" and hid > 1 else val), a, b)
            for hid, f, val, a, b in _baseline(10)]
    facts = _facts(base + [
        (1, "severe_disability", True, D(2026, 2, 15), D(2026, 3, 10)),   # after the event
        (1, "serious_illness", True, D(2026, 2, 15), D(2026, 3, 10))])
    kw = dict(config=cfg, seed=0, top_frac=0.1, horizon_days=30, start=D(2026, 1, 31),
              end=D(2026, 1, 31))
    leaky = evaluate(h, v, events, **kw)
    honest = evaluate(h, v, events, facts=facts, **kw)
    assert leaky["model"]["recall_at_10pct"] == 1.0
    assert honest["model"]["recall_at_10pct"] == 0.0
    assert honest["setup"]["register"].startswith("history")
    s = score_households(households_as_of(h, facts, D(2026, 1, 31)), v, today=D(2026, 1, 31),
                         config=cfg)
    assert s.loc[0, "score"] == 0.0 and (s.loc[1:, "score"] == 4.0).all()
