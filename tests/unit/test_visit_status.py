"""Known answers of the one visit-status definition (grid.visit_status): statuses, their order,
counts that agree with the coverage windows, the worklist's order and its skip of recent visits,
per-worker coverage."""
from __future__ import annotations

from datetime import date

import pandas as pd

from grid import visit_status as vs
from grid.metrics import COVERAGE_DAYS, default_config, grid_summary
from risk.config import config_from_dict, load_standards, _read, DEFAULT_WEIGHTS

TODAY = date(2026, 11, 29)


def _hh():
    # id, days since the latest visit (None: never), level, score
    rows = [(1, None, "red", 80.0), (2, 0, "green", 5.0), (3, 29, "yellow", 30.0),
            (4, 30, "orange", 60.0), (5, 89, "green", 10.0), (6, 90, "red", 90.0),
            (7, 3, "red", 85.0), (8, None, "orange", 55.0)]
    return pd.DataFrame({"id": [r[0] for r in rows], "grid_code": "A",
                         "days_since_visit": pd.array([r[1] for r in rows], dtype="Int64"),
                         "level": [r[2] for r in rows], "score": [r[3] for r in rows],
                         "reasons": [("独居老人",)] * len(rows)})


def _open(rows):
    return pd.DataFrame(rows, columns=["id", "household_id", "worker_id", "worker_name", "due_on",
                                       "version"])


def test_statuses_follow_the_coverage_windows():
    got = vs.visit_status(pd.array([None, 0, 29, 30, 89, 90, -1], dtype="Int64"),
                          [False] * 7)
    assert list(got) == ["never", "recent", "recent", "over_30d", "over_30d", "over_90d", "never"]
    assert vs.SHORT_WINDOW == COVERAGE_DAYS


def test_an_overdue_open_assignment_wins_over_every_other_status():
    got = vs.visit_status(pd.array([None, 0, 95], dtype="Int64"), [True, True, False])
    assert list(got) == ["overdue_assignment", "overdue_assignment", "over_90d"]


def test_household_status_marks_overdue_assignments_only_past_their_due_date():
    a = _open([(11, 2, 5, "张三", date(2026, 11, 28), 1), (12, 3, 5, "张三", TODAY, 1)])
    s = vs.household_visit_status(_hh(), a, today=TODAY).set_index("id")
    assert s.loc[2, "visit_status"] == "overdue_assignment"   # due yesterday
    assert s.loc[3, "visit_status"] == "recent"               # due today: not late yet
    assert s.loc[3, "assigned_worker"] == "张三" and int(s.loc[3, "assignment_id"]) == 12
    assert pd.isna(s.loc[1, "assignment_id"])


def test_counts_agree_with_the_grid_summary_coverage():
    hh = _hh()
    s = vs.household_visit_status(hh, _open([]), today=TODAY)
    counts = vs.status_counts(s)
    assert counts == {"overdue_assignment": 0, "never": 2, "over_90d": 1, "over_30d": 2,
                      "recent": 3}
    grids = pd.DataFrame({"code": ["A"], "name": ["甲"]})
    empty = pd.DataFrame(columns=["grid_code", "deadline_status"])
    summary = grid_summary(grids, hh, pd.DataFrame(columns=["grid_code", "employment"]), empty)
    row = summary.iloc[0]
    assert row["visited_30d"] == counts["recent"]
    assert row["visited_90d"] == counts["recent"] + counts["over_30d"]


def test_worklist_order_and_what_it_leaves_out():
    a = _open([(11, 5, 9, "李四", date(2026, 11, 20), 1)])
    wl = vs.worklist(_hh(), a, today=TODAY, config=default_config())
    # recent households (2, 3, 7) are not on it; the overdue assignment first, then high risk
    # (red before orange; never visited first), then the rest by level
    assert wl["id"].tolist() == [5, 1, 6, 8, 4]
    assert wl["suggested"].tolist() == [False, True, True, True, True]
    assert wl.loc[0, "assigned_worker"] == "李四"


def test_worklist_skips_households_visited_in_the_configured_days():
    raw = _read(DEFAULT_WEIGHTS)
    raw["coverage"] = dict(raw["coverage"], skip_recent_days=40)
    config = config_from_dict(raw, load_standards())
    assert config.skip_recent_days == 40
    assert default_config().skip_recent_days == 7
    a = _open([(11, 4, 9, "李四", date(2026, 11, 20), 1)])  # household 4 visited 30 days ago
    with_default = vs.worklist(_hh(), a, today=TODAY, config=default_config())["id"].tolist()
    skipped = vs.worklist(_hh(), a, today=TODAY, config=config)["id"].tolist()
    assert 4 in with_default and 4 not in skipped
    assert vs.worklist(_hh(), a, today=TODAY, config=config, recent_days=0)["id"].tolist() \
        == with_default


def test_coverage_by_worker_counts_distinct_households_per_window():
    hh = _hh()
    visits = pd.DataFrame({"household_id": [2, 2, 3, 5, 6], "worker_id": [1, 1, 1, 2, 2],
                           "visited_on": [date(2026, 11, 29), date(2026, 11, 20),
                                          date(2026, 10, 31), date(2026, 9, 1),
                                          date(2026, 8, 31)]})
    workers = pd.DataFrame({"id": [1, 2, 3], "name": ["甲", "乙", "丙"], "grid_code": "A",
                            "employment": ["full_time", "part_time", "part_time"]})
    got = vs.coverage_by_worker(hh, visits, workers, today=TODAY).set_index("id")
    assert got.loc[1, "visited_30d"] == 2 and got.loc[1, "visited_90d"] == 2
    assert got.loc[2, "visited_30d"] == 0 and got.loc[2, "visited_90d"] == 1  # 89 days: in, 90: out
    assert got.loc[3, "visited_90d"] == 0
    assert got.loc[1, "coverage_30d"] == 2 / 8
