"""The leaders' page after one write: each grid's period facts are cached per data generation and
combined (grid.metrics.period_facts / concat_facts / leader_metrics_from_facts). Combining the
grids' facts must give exactly the numbers computed from all the data at once, for every
indicator, month choice and grid (also grids without cases, flags or assignments). Pure."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import grid.metrics as gm

TODAY = date(2026, 11, 29)
GRIDS = ["A", "B", "C", "D"]  # D: households only (no visits, flags, cases or assignments)


def _random_data(seed: int, households: int = 400) -> gm.MetricsData:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-09-01")
    span = (pd.Timestamp(TODAY) - start).days + 1

    def days(n):
        return start + pd.to_timedelta(rng.integers(0, span, n), unit="D")

    hh = pd.DataFrame({"id": np.arange(1, households + 1),
                       "grid_code": rng.choice(GRIDS, households, p=[0.4, 0.3, 0.2, 0.1])})
    active = hh.loc[hh["grid_code"] != "D", "id"].to_numpy()
    n_visits = households * 3
    visits = pd.DataFrame({"household_id": rng.choice(active, n_visits),
                           "visited_on": days(n_visits)})
    flags = pd.DataFrame({"household_id": rng.choice(active, 150), "flagged_on": days(150)})
    n_cases = 120
    received = days(n_cases)
    decided = received + pd.to_timedelta(rng.integers(0, 8, n_cases), unit="D")
    aided = decided.where(rng.random(n_cases) < 0.7)
    aid_first = rng.random(n_cases) < 0.3
    paperwork_due = (aided + pd.Timedelta(days=21)).where(aid_first)
    files = (aided + pd.to_timedelta(rng.integers(0, 30, n_cases), unit="D")) \
        .where(aid_first & (rng.random(n_cases) < 0.6))
    case_hh = rng.choice(active, n_cases)
    codes = hh.set_index("id")["grid_code"]
    cases = pd.DataFrame({
        "household_id": case_hh, "grid_code": codes.reindex(case_hh).to_numpy(),
        "received_on": received, "decided_on": decided.where(rng.random(n_cases) < 0.8),
        "approval_due_on": received + pd.Timedelta(days=4),
        "amount_approved_fen": rng.choice([20_000, 50_000, 80_000, np.nan], n_cases),
        "status": rng.choice(["paid", "rejected", "approved", "closed"], n_cases),
        "aid_first": aid_first, "aid_on": aided, "paperwork_due_on": paperwork_due,
        "files_completed_on": files})
    n_a = 200
    due = days(n_a)
    status = rng.choice(["open", "done", "cancelled"], n_a)
    assignments = pd.DataFrame({
        "grid_code": rng.choice(GRIDS[:3], n_a), "due_on": due, "status": status,
        "visited_on": (due + pd.to_timedelta(rng.integers(-5, 6, n_a), unit="D"))
        .where(status == "done")})
    return gm.MetricsData(hh, visits, flags, cases, assignments)


def _split(data: gm.MetricsData) -> list[gm.MetricsData]:
    """One prepared MetricsData per grid, as the dashboard caches them."""
    d = gm.prepare(data)
    parts = []
    for code in GRIDS:
        ids = set(d.households.loc[d.households["grid_code"] == code, "id"])
        parts.append(gm.prepare(gm.MetricsData(
            households=d.households[d.households["grid_code"] == code],
            visits=data.visits[data.visits["household_id"].isin(ids)],
            flags=data.flags[data.flags["household_id"].isin(ids)],
            cases=data.cases[data.cases["grid_code"] == code],
            assignments=data.assignments[data.assignments["grid_code"] == code])))
    return parts


def _combined(parts, *, today, months, month=None) -> dict:
    starts, shown = gm.leader_months(today, months, month)
    facts = gm.concat_facts([gm.periods_facts(p, periods=gm.month_periods(starts), today=today)
                             for p in parts])
    return gm.leader_metrics_from_facts(facts, months=starts, month=shown)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("months,month", [(6, None), (3, date(2026, 11, 1)),
                                          (2, date(2025, 10, 1)), (1, None)])
def test_grids_facts_combined_equal_the_whole_computation(seed, months, month):
    data = _random_data(seed)
    whole = gm.leader_metrics(data, today=TODAY, months=months, month=month)
    combined = _combined(_split(data), today=TODAY, months=months, month=month)
    assert combined["month"] == whole["month"]
    for key in ("by_grid", "total", "trend", "trend_by_grid"):
        pd.testing.assert_frame_equal(combined[key], whole[key], check_exact=False, rtol=1e-12)
    # the data is not degenerate: every indicator has a value somewhere in the trend
    assert whole["trend"]["flagged"].sum() > 0 and whole["trend"]["overdue_visits"].sum() > 0
    for col in ("median_days_flag_to_visit", "median_days_intake_to_aid", "small_aid_3wd_share",
                "coverage_30d"):
        assert whole["trend_by_grid"][col].notna().any(), col


def test_a_grid_without_activity_still_has_its_row_and_counts():
    data = _random_data(4)
    res = _combined(_split(data), today=TODAY, months=3)
    d = res["by_grid"].set_index("grid_code").loc["D"]
    assert d["households"] == int((data.households["grid_code"] == "D").sum()) > 0
    assert d["flagged"] == 0 and d["overdue_visits"] == 0 and d["coverage_30d"] == 0
    assert np.isnan(d["median_days_flag_to_visit"]) and np.isnan(d["small_aid_3wd_share"])


def test_period_metrics_known_answers_through_the_facts():
    """The facts carry exactly what the definitions count (hand-checked numbers)."""
    hh = pd.DataFrame({"id": [1, 2, 3, 4], "grid_code": ["A", "A", "B", "B"]})
    visits = pd.DataFrame({"household_id": [1, 3, 3],
                           "visited_on": pd.to_datetime(["2026-10-05", "2026-09-20",
                                                         "2026-10-31"])})
    flags = pd.DataFrame({"household_id": [1, 3, 4],
                          "flagged_on": pd.to_datetime(["2026-10-02", "2026-10-30",
                                                        "2026-10-15"])})
    assignments = pd.DataFrame({"grid_code": ["A", "B"],
                                "due_on": pd.to_datetime(["2026-10-10", "2026-10-20"]),
                                "status": ["open", "done"],
                                "visited_on": [pd.NaT, pd.Timestamp("2026-10-25")]})
    data = gm.MetricsData(hh, visits, flags, pd.DataFrame(columns=gm.CASE_COLUMNS), assignments)
    facts = gm.period_facts(data, start=date(2026, 10, 1), end=date(2026, 10, 31), today=TODAY)
    grids = facts.grids.set_index("grid_code")
    assert grids["households"].to_dict() == {"A": 2, "B": 2}
    assert grids["visited_30d"].to_dict() == {"A": 1, "B": 1}  # 10-05 and 10-31 (not 09-20)
    assert grids["overdue_visits"].to_dict() == {"A": 1, "B": 1}  # open past due; done late
    delays = facts.flags.set_index("household_id")["delay_days"]
    assert delays[1] == 3 and delays[3] == 1 and np.isnan(delays[4])
    out = gm.metrics_from_facts(facts, by_grid=False).iloc[0]
    assert out["flagged"] == 3 and out["flags_without_visit"] == 1
    assert out["median_days_flag_to_visit"] == 2 and out["coverage_30d"] == 0.5
    assert out["overdue_visits"] == 2 and out["small_aid_cases"] == 0


def test_concat_facts_needs_parts():
    with pytest.raises(ValueError):
        gm.concat_facts([])
