"""grid.assignments pure core: suggestion order, grid boundaries, worker load vs capacity."""
from __future__ import annotations

from datetime import date

import pandas as pd

from grid.assignments import suggest_visits, worker_loads

TODAY = date(2026, 11, 29)


def _world():
    hh = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6, 7], "grid_code": ["A"] * 6 + ["B"]})
    scores = pd.DataFrame({
        "household_id": [1, 2, 3, 4, 5, 6, 7],
        "score": [20.0, 80.0, 75.0, 60.0, 90.0, 10.0, 99.0],
        "level": ["green", "red", "red", "orange", "red", "green", "red"],
        "reasons": [[]] * 7,
        "days_since_visit": pd.array([400, 3, None, 50, 10, 500, None], dtype="Int64"),
    })
    return hh, scores


def test_high_risk_and_long_unvisited_first_within_the_grid():
    hh, scores = _world()
    empty = pd.DataFrame(columns=["household_id"])
    out = suggest_visits(hh, scores, empty, grid_code="A", today=TODAY)
    # red: never visited (3), then 10 days (5), then 3 days (2); orange (4); then green by days.
    assert out["household_id"].tolist() == [3, 5, 2, 4, 6, 1]
    assert set(out["grid_code"]) == {"A"}  # household 7 (grid B) never suggested for A
    assert out["high_risk"].tolist() == [True, True, True, True, False, False]


def test_open_assignments_and_limit():
    hh, scores = _world()
    busy = pd.DataFrame({"household_id": [3, 5]})
    out = suggest_visits(hh, scores, busy, grid_code="A", today=TODAY, limit=2)
    assert out["household_id"].tolist() == [2, 4]


def test_household_without_score_is_still_listed():
    hh, scores = _world()
    hh = pd.concat([hh, pd.DataFrame({"id": [8], "grid_code": ["A"]})], ignore_index=True)
    out = suggest_visits(hh, scores, pd.DataFrame(columns=["household_id"]), grid_code="A",
                         today=TODAY)
    assert 8 in out["household_id"].tolist() and len(out) == 7


def test_worker_load_full_time_and_part_time_capacity_differ():
    workers = pd.DataFrame({"id": [1, 2], "name": ["甲一", "乙二"],
                            "employment": ["full_time", "part_time"], "grid_code": ["A", "A"]})
    open_a = pd.DataFrame({"worker_id": [1] * 30 + [2] * 30})
    loads = worker_loads(workers, open_a, pd.Series({1: 60, 2: 10})).set_index("id")
    assert loads.loc[1, "capacity"] == 120 and loads.loc[2, "capacity"] == 30
    assert loads.loc[1, "load_ratio"] == (30 + 60) / 120
    assert loads.loc[2, "load_ratio"] == (30 + 10) / 30 and bool(loads.loc[2, "overloaded"])
    assert not bool(loads.loc[1, "overloaded"])


def test_split_by_capacity_never_goes_beyond_a_workers_room():
    from grid.assignments import split_by_capacity

    loads = pd.DataFrame({"id": [1, 2, 3], "name": ["甲", "乙", "丙"],
                          "employment": ["full_time", "part_time", "part_time"],
                          "open": [115, 25, 30], "visits_30d": [2, 2, 0],
                          "capacity": [120.0, 30.0, 30.0]})
    out = split_by_capacity(list(range(100, 110)), loads).set_index("id")
    # room: 甲 3, 乙 3, 丙 0 (not listed); 6 of 10 households fit, the most urgent first,
    # alternating to whoever has the most room (full-time first on a tie)
    assert list(out.index) == [1, 2]
    assert out.loc[1, "households"] == [100, 102, 104]
    assert out.loc[2, "households"] == [101, 103, 105]
    assert sum(len(h) for h in out["households"]) == 6
