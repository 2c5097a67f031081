"""grid.metrics: each indicator's definition against known answers on tiny hand-made frames, and the
"one definition" rules (no copied tunables, no ImportError fallbacks, README states each one)."""
from __future__ import annotations

import ast
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import grid.metrics as gm
from grid.assignments import worker_loads
from risk.config import load_config
from risk.coverage import overdue_high_risk, visited_within

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 29)
D = pd.Timestamp


# --------------------------------------------------------------------------- coverage window
def test_30_day_window_is_the_30_days_ending_today():
    days = pd.array([0, 29, 30, 31, None, -1], dtype="Int64")
    assert visited_within(days, 30).tolist() == [True, True, False, False, False, False]
    assert visited_within(np.array([89.0, 90.0, np.nan]), 90).tolist() == [True, False, False]


def test_period_coverage_counts_30_days_not_31():
    hh = pd.DataFrame({"id": [1, 2, 3], "grid_code": ["A", "A", "A"]})
    visits = pd.DataFrame({"household_id": [1, 2],  # 29 and 30 days before the 29th
                           "visited_on": [D("2026-10-31"), D("2026-10-30")]})
    empty = pd.DataFrame(columns=["household_id", "flagged_on"])
    data = gm.MetricsData(hh, visits, empty, pd.DataFrame(columns=gm.CASE_COLUMNS),
                          pd.DataFrame(columns=["grid_code", "due_on", "status", "visited_on"]))
    out = gm.period_metrics(data, start=date(2026, 11, 1), end=TODAY, today=TODAY)
    assert out["coverage_30d"].iloc[0] == pytest.approx(1 / 3)


# --------------------------------------------------------------------------- map / grid panel
def _grid_frames():
    grids = pd.DataFrame({"code": ["A", "B", "C"], "name": ["甲", "乙", "丙"]})
    households = pd.DataFrame({
        "grid_code": ["A", "A", "A", "A", "B"],
        "score": [70.0, 45.0, 10.0, 5.0, 20.0],
        "level": ["red", "orange", "green", "green", "yellow"],
        "days_since_visit": pd.array([3, 15, 29, None, 30], dtype="Int64")})
    workers = pd.DataFrame({"id": [1, 2], "employment": ["full_time", "part_time"],
                            "grid_code": ["A", "B"]})
    pending = pd.DataFrame({"grid_code": ["A", "A", "B"],
                            "deadline_status": ["overdue", "on_time", "due_soon"]})
    return grids, households, workers, pending


def test_grid_summary_known_answers():
    cfg = load_config()
    out = gm.grid_summary(*_grid_frames(), config=cfg).set_index("grid_code")
    a, b, c = out.loc["A"], out.loc["B"], out.loc["C"]
    assert a["households"] == 4 and a["visited_30d"] == 3 and a["coverage_30d"] == 0.75
    assert b["visited_30d"] == 0 and b["coverage_30d"] == 0 and b["coverage_90d"] == 1
    assert c["households"] == 0 and np.isnan(c["coverage_30d"])  # nothing to divide: no value
    assert a["mean_score"] == pytest.approx(32.5)
    # red visited 3 days ago: fine; orange 15 days ago > overdue_days (14): overdue
    assert a["high_risk"] == 2 and a["high_risk_overdue"] == 1
    assert a["pending_cases"] == 2 and a["overdue_cases"] == 1 and b["overdue_cases"] == 0
    assert a["full_time"] == 1 and b["part_time"] == 1


def test_overdue_days_and_high_levels_come_from_the_weights_file():
    cfg = load_config()
    cfg.coverage["overdue_days"] = 20
    cfg.coverage["high_risk_levels"] = ["red"]
    out = gm.grid_summary(*_grid_frames(), config=cfg).set_index("grid_code")
    assert out.loc["A", "high_risk"] == 1 and out.loc["A", "high_risk_overdue"] == 0
    assert overdue_high_risk(["red", "red", "orange"], pd.array([21, None, 99], dtype="Int64"),
                             cfg).tolist() == [True, True, False]


def test_town_summary_divides_summed_counts():
    out = gm.grid_summary(*_grid_frames(), config=load_config())
    town = gm.town_summary(out)
    # (3 + 0) / 5, not the mean of the grids' shares (0.75, 0, NaN)
    assert town["coverage_30d"] == pytest.approx(3 / 5)
    assert town["pending_cases"] == 3 and town["overdue_cases"] == 1


# --------------------------------------------------------------------------- flags and periods
def test_first_stored_score_is_a_baseline_not_a_flag():
    hist = pd.DataFrame({"household_id": [1, 2, 2, 3, 3],
                         "scored_at": pd.to_datetime(["2026-11-30", "2026-10-01", "2026-11-30",
                                                      "2026-10-01", "2026-11-30"], utc=True),
                         "level": ["red", "green", "red", "red", "red"]})
    out = gm.flags_from_history(hist)
    # 1: only a first (baseline) score; 3: already red at its baseline; 2: turned red
    assert out["household_id"].tolist() == [2]


def test_month_helpers():
    assert gm.last_complete_month(date(2026, 12, 2)) == date(2026, 11, 1)
    assert gm.last_complete_month(date(2027, 1, 31)) == date(2026, 12, 1)
    assert gm.complete_months(date(2026, 2, 10), 3) == [date(2025, 11, 1), date(2025, 12, 1),
                                                        date(2026, 1, 1)]
    assert gm.month_end(date(2028, 2, 1)) == date(2028, 2, 29)
    with pytest.raises(ValueError):
        gm.complete_months(TODAY, 0)


def _data():
    households = pd.DataFrame({"id": [1, 2, 3, 4], "grid_code": ["A", "A", "B", "B"]})
    visits = pd.DataFrame({"household_id": [1, 2, 3],
                           "visited_on": [D("2026-10-05"), D("2026-10-20"), D("2026-12-01")]})
    # household 1 flagged twice in October (counted once), 3 in October and in December
    flags = pd.DataFrame({"household_id": [1, 1, 2, 3, 3],
                          "flagged_on": [D("2026-10-02"), D("2026-10-09"), D("2026-10-03"),
                                         D("2026-10-10"), D("2026-12-01")]})
    cases = pd.DataFrame(columns=gm.CASE_COLUMNS)
    assignments = pd.DataFrame({"grid_code": ["A", "B", "B"],
                                "due_on": [date(2026, 10, 10), date(2026, 10, 20),
                                           date(2026, 12, 1)],
                                "status": ["open", "done", "open"],
                                "visited_on": [pd.NaT, D("2026-10-25"), pd.NaT]})
    return gm.MetricsData(households, visits, flags, cases, assignments)


def test_headline_is_the_last_complete_month_and_grids_add_up():
    today = date(2026, 12, 2)  # two days into December: December is not headlined
    res = gm.leader_metrics(_data(), today=today, months=2)
    assert res["month"] == "2026-11"
    assert res["trend"]["month"].tolist() == ["2026-10", "2026-11"]
    oct_ = res["trend"].set_index("month").loc["2026-10"]
    assert oct_["flagged"] == 3 and oct_["overdue_visits"] == 2
    # flags: 1 on 10-02 -> visit 10-05 (3 d); 1 on 10-09 -> no visit after it; 2 on 10-03 ->
    # 10-20 (17 d); 3 on 10-10 -> 12-01 (52 d): median of 3, 17, 52
    assert oct_["median_days_flag_to_visit"] == 17 and oct_["flags_without_visit"] == 1
    oct_grid = gm.leader_metrics(_data(), today=today, months=2, month=date(2026, 10, 1))
    assert oct_grid["month"] == "2026-10"
    assert oct_grid["by_grid"]["flagged"].sum() == oct_grid["total"]["flagged"].iloc[0] == 3
    assert oct_grid["by_grid"]["overdue_visits"].tolist() == [1, 1]


def test_format_value_never_prints_none():
    assert gm.format_value("coverage_30d", None) == "—"
    assert gm.format_value("coverage_30d", float("nan")) == "—"
    assert gm.format_value("flagged", pd.NA) == "—"
    assert gm.format_value("coverage_30d", 0.31) == "31.0%"
    assert gm.format_value("median_days_flag_to_visit", 3.25) == "3.2"
    assert gm.format_value("flagged", 1066) == "1,066"


# --------------------------------------------------------------------------- workers
def test_open_and_recent_visits_per_worker():
    open_a = pd.DataFrame({"worker_id": [1, 1, 2]})
    assert gm.open_visits_by_worker(open_a).to_dict() == {1: 2, 2: 1}
    assert gm.open_visits_by_worker(open_a.iloc[0:0]).empty
    visits = pd.DataFrame({"worker_id": [1, 1, 2, 2],
                           "visited_on": [D("2026-11-29"), D("2026-10-31"), D("2026-10-30"),
                                          D("2026-11-30")]})
    # 10-31 is day 30 of the 30 ending 11-29; 10-30 is outside; 11-30 is after today
    assert gm.visits_by_worker(visits, today=TODAY).to_dict() == {1: 2}


def test_worker_capacity_comes_from_the_weights_file():
    workers = pd.DataFrame({"id": [1, 2], "name": ["甲", "乙"], "employment": ["full_time", "part_time"],
                            "grid_code": ["A", "A"]})
    open_a = pd.DataFrame({"worker_id": [2, 2, 2]})
    cfg = load_config()
    loads = worker_loads(workers, open_a, config=cfg).set_index("id")
    assert loads.loc[1, "capacity"] == cfg.capacity("full_time")["visits_per_month"]
    assert loads.loc[2, "capacity"] == cfg.capacity("part_time")["visits_per_month"]
    cfg.coverage["capacity"] = dict(cfg.coverage["capacity"],
                                    part_time={"households": 10, "visits_per_month": 3})
    loads = worker_loads(workers, open_a, config=cfg).set_index("id")
    assert loads.loc[2, "open"] == 3 and loads.loc[2, "load_ratio"] == 1.0


def test_small_aid_limit_is_the_cases_rule():
    from cases.rules import TOWN_APPROVAL_LIMIT_YUAN

    assert gm.SMALL_AID_FEN == int(TOWN_APPROVAL_LIMIT_YUAN * 100)


# --------------------------------------------------------------------------- one definition
OWN = ["grid/metrics.py", "grid/visit_status.py", "grid/assignments.py", "grid/risk_service.py", "grid/frames.py",
       "grid/stats.py", "dashboard/state.py", "dashboard/maps.py", "dashboard/views/map.py",
       "dashboard/views/leaders.py", "dashboard/views/assign.py", "risk/coverage.py"]
COPIED = [r'"red":\s*1\.0', r'"orange":\s*0\.6', r'"full_time":\s*(120|250)', r'"part_time":\s*(30|60)',
          r"OVERDUE_DAYS\s*=", r"500_00", r'HIGH_(RISK_)?LEVELS\s*=\s*\(']


@pytest.mark.parametrize("path", OWN)
def test_no_tunable_is_copied_out_of_the_weights_file(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    found = [p for p in COPIED if re.search(p, text)]
    assert not found, f"{path}: {found}"


@pytest.mark.parametrize("path", OWN)
def test_no_silent_import_error_fallbacks(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            names = {getattr(n, "id", None) for n in ast.walk(node.type)}
            assert "ImportError" not in names and "ModuleNotFoundError" not in names, path


def test_readme_states_every_definition():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Definitions", 1)[1].split("\n## ", 1)[0]
    for key, line in gm.DEFINITIONS.items():
        assert line in section, key


def test_pure_core_needs_no_database():
    data = replace(_data())
    out = gm.period_metrics(data, start=date(2026, 10, 1), end=date(2026, 10, 31), today=TODAY,
                            by_grid=False)
    assert out["grid_code"].tolist() == ["ALL"]
