"""Coverage known answers: 30/90-day shares per grid and worker, overdue list, load vs capacity."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from risk.config import load_config
from risk.coverage import coverage_report

TODAY = dt.date(2026, 11, 29)
CFG = load_config()


def _world():
    households = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6],
                               "grid_code": ["A", "A", "A", "A", "B", "B"]})
    workers = pd.DataFrame({"id": [10, 11, 20], "name": ["甲", "乙", "丙"],
                            "employment": ["full_time", "part_time", "part_time"],
                            "grid_code": ["A", "A", "B"]})
    rows = [  # household, worker, days ago
        (1, 10, 5), (1, 11, 200),   # hh1: latest by 10, 5 days ago
        (2, 11, 45),                # hh2: by 11, 45 days ago
        (3, 10, 120),               # hh3: by 10, 120 days ago
        # hh4 never visited
        (5, 20, 30),                # hh5: exactly 30 days ago -> outside the 30 days ending today
        (5, 20, 29),                # ... and 29 days ago -> inside
        (6, 20, 10), (6, 20, -2),   # hh6: a visit "in the future" is ignored
    ]
    visits = pd.DataFrame(rows, columns=["household_id", "worker_id", "days"])
    visits["visited_on"] = [pd.Timestamp(TODAY - dt.timedelta(days=int(d))) for d in visits.days]
    visits["id"] = np.arange(1, len(visits) + 1)
    scores = pd.DataFrame({"household_id": [1, 2, 3, 4, 5, 6],
                           "score": [70.0, 45, 10, 65, 50, 80],
                           "level": ["red", "orange", "green", "red", "orange", "red"],
                           "reasons": [["x"]] * 6})
    return households, visits.drop(columns="days"), workers, scores


def test_grid_shares():
    h, v, w, s = _world()
    g = coverage_report(h, v, w, s, today=TODAY, config=CFG)["by_grid"].set_index("grid_code")
    assert g.loc["A", "households"] == 4
    assert g.loc["A", "visited_30d"] == 1 and g.loc["A", "visited_90d"] == 2
    assert g.loc["A", "share_30d"] == pytest.approx(0.25)
    assert g.loc["A", "never_visited"] == 1
    assert g.loc["B", "share_30d"] == 1.0
    assert g.loc["A", "workers_full_time"] == 1 and g.loc["A", "workers_part_time"] == 1
    assert g.loc["A", "capacity_households"] == 250 + 60


def test_worker_shares_and_load():
    h, v, w, s = _world()
    r = coverage_report(h, v, w, s, today=TODAY, config=CFG)["by_worker"].set_index("worker_id")
    assert r.loc[10, "households"] == 2 and r.loc[10, "visited_30d"] == 1
    assert r.loc[10, "share_90d"] == pytest.approx(0.5)
    assert r.loc[11, "households"] == 1 and r.loc[11, "visited_90d"] == 1
    assert r.loc[11, "visited_30d"] == 0
    # visits in the last 30 days (hh1 by 10; hh5 and hh6 by 20, the future one ignored)
    assert r.loc[10, "visits_30d"] == 1 and r.loc[20, "visits_30d"] == 2
    # the never-visited hh4 of grid A is shared by capacity: 250/310 to 10, 60/310 to 11
    assert r.loc[10, "load_households"] == pytest.approx(2 + 250 / 310)
    assert r.loc[11, "load_ratio"] == pytest.approx((1 + 60 / 310) / 60)
    assert r.loc[20, "capacity_households"] == 60 and r.loc[10, "capacity_households"] == 250
    assert r.loc[20, "visit_ratio"] == pytest.approx(2 / 30)
    assert not r["overloaded"].any()


def test_capacity_is_configurable():
    h, v, w, s = _world()
    cfg = load_config()
    cfg.coverage["capacity"] = dict(cfg.coverage["capacity"],
                                    part_time={"households": 1, "visits_per_month": 1})
    r = coverage_report(h, v, w, s, today=TODAY, config=cfg)["by_worker"].set_index("worker_id")
    assert r.loc[20, "overloaded"] and r.loc[20, "load_ratio"] == 2
    assert not r.loc[10, "overloaded"]


def test_overdue_high_risk_households():
    h, v, w, s = _world()
    o = coverage_report(h, v, w, s, today=TODAY, config=CFG)["overdue"]
    # red/orange and not visited within 14 days: hh2 (45 d), hh4 (never), hh5 (30 d);
    # hh1 (5 d) and hh6 (10 d) are recent, hh3 is green
    assert o["household_id"].tolist() == [4, 5, 2]   # by score, highest first
    assert pd.isna(o.set_index("household_id").loc[4, "days_since_visit"])
    assert o.set_index("household_id").loc[2, "last_worker_id"] == 11
