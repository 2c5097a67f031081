"""grid.metrics pure core: known answers on a tiny world."""
from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import grid.metrics as gm
from grid.metrics import MetricsData, flags_from_history, leader_metrics, period_metrics

TODAY = date(2026, 11, 29)
D = pd.Timestamp


def _data():
    households = pd.DataFrame({"id": [1, 2, 3, 4], "grid_code": ["A", "A", "B", "B"]})
    visits = pd.DataFrame({"household_id": [1, 1, 2, 3],
                           "visited_on": [D("2026-11-05"), D("2026-11-20"), D("2026-09-01"),
                                          D("2026-11-10")]})
    flags = pd.DataFrame({"household_id": [1, 2, 3],
                          "flagged_on": [D("2026-11-02"), D("2026-11-03"), D("2026-11-10")]})
    cases = pd.DataFrame({
        "household_id": [1, 3, 4, None],
        "grid_code": ["A", "B", "B", "B"],
        "received_on": [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 20)],
        "decided_on": [date(2026, 11, 4), date(2026, 11, 13), None, date(2026, 11, 21)],
        "approval_due_on": [date(2026, 11, 5), date(2026, 11, 12), date(2026, 11, 19), date(2026, 11, 25)],
        "amount_approved_fen": [30000, 50000, None, 80000],
        "status": ["paid", "paid", "accepted", "paid"],
        "aid_first": [False, True, False, False],
        "aid_on": [date(2026, 11, 6), date(2026, 11, 9), None, date(2026, 11, 22)],
        "paperwork_due_on": [None, date(2026, 11, 30), None, None],
        "files_completed_on": [None, date(2026, 11, 20), None, None],
    })
    assignments = pd.DataFrame({"grid_code": ["A", "A", "B"],
                                "due_on": [date(2026, 11, 10), date(2026, 11, 28), date(2026, 12, 5)],
                                "status": ["done", "open", "open"],
                                "visited_on": [D("2026-11-12"), pd.NaT, pd.NaT]})
    return MetricsData(households, visits, flags, cases, assignments)


def test_period_metrics_by_grid_known_answers():
    out = period_metrics(_data(), start=date(2026, 11, 1), end=TODAY, today=TODAY).set_index("grid_code")
    a, b = out.loc["A"], out.loc["B"]
    assert a["households"] == 2 and b["households"] == 2
    assert a["flagged"] == 2 and b["flagged"] == 1
    # household 1 flagged 11-02, visited 11-05 -> 3 days; household 2 never visited after its flag
    assert a["median_days_flag_to_visit"] == 3 and a["flags_without_visit"] == 1
    assert b["median_days_flag_to_visit"] == 0  # visited on the flag day
    assert a["median_days_intake_to_aid"] == 4
    assert b["median_days_intake_to_aid"] == 1  # (0 + 2) / 2
    # the clock stops at payment (cases.rules.case_deadline): approved 11-04 but paid 11-06,
    # after the due date 11-05, is late
    assert a["small_aid_3wd_share"] == 0.0 and a["small_aid_cases"] == 1
    # B: the aid-first case runs on the paperwork clock and the 800-yuan one is the county's;
    # the open case due 11-19 is past due on 11-29, so it is judged (late)
    assert b["small_aid_3wd_share"] == 0.0 and b["small_aid_cases"] == 1
    assert b["paperwork_15wd_share"] == 1.0 and b["paperwork_cases"] == 1
    assert np.isnan(a["paperwork_15wd_share"])
    assert a["coverage_30d"] == 0.5 and b["coverage_30d"] == 0.5
    assert a["overdue_visits"] == 2 and b["overdue_visits"] == 0


def test_period_all_grids_and_trend():
    data = _data()
    total = period_metrics(data, start=date(2026, 11, 1), end=TODAY, today=TODAY, by_grid=False)
    assert total["grid_code"].tolist() == ["ALL"] and total["flagged"].iloc[0] == 3
    res = leader_metrics(data, today=TODAY, months=3)
    # complete months only: November (today's month) is not over
    assert res["trend"]["month"].tolist() == ["2026-08", "2026-09", "2026-10"]
    assert res["month"] == "2026-10"
    sept = res["trend"].iloc[1]
    assert sept["flagged"] == 0 and sept["coverage_30d"] == 0.25  # household 2 on 09-01
    assert len(res["trend_by_grid"]) == 3 * 2
    with pytest.raises(ValueError):
        leader_metrics(data, today=TODAY, months=0)


def test_flags_from_history_counts_each_turn_to_high():
    hist = pd.DataFrame({"household_id": [1, 1, 1, 1, 2],
                         "scored_at": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-10-15",
                                                      "2026-11-01", "2026-11-01"], utc=True),
                         "level": ["green", "red", "orange", "red", "yellow"]})
    hist.loc[2, "level"] = "green"
    out = flags_from_history(hist)
    assert out["household_id"].tolist() == [1, 1]
    assert [d.date().isoformat() for d in out["flagged_on"]] == ["2026-10-01", "2026-11-01"]


def test_pure_part_imports_no_streamlit_or_folium():
    tree = ast.parse(Path(gm.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
             for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {"streamlit", "folium"} & {str(x).split(".")[0] for x in names}


def test_score_times_become_shanghai_days():
    """A score stored at 20:00 UTC belongs to the next day in Siyang."""
    from datetime import datetime, timezone

    from grid.metrics import flags_from_history

    base = datetime(2025, 12, 1, tzinfo=timezone.utc)  # first scores: the baseline
    history = pd.DataFrame({"household_id": [1, 1, 1, 2, 2],
                            "scored_at": [base, datetime(2026, 1, 1, 20, tzinfo=timezone.utc),
                                          datetime(2026, 1, 3, 1, tzinfo=timezone.utc), base,
                                          datetime(2026, 1, 1, 1, tzinfo=timezone.utc)],
                            "level": ["green", "red", "red", "green", "orange"]})
    flags = flags_from_history(history)
    assert flags.sort_values("household_id")["flagged_on"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-01-02", "2026-01-01"]


def test_small_aid_share_uses_the_case_deadline_and_marks_late_entries():
    """Known answers of small_aid_3wd_share: on time only when PAID by the due date; an open case
    still within its time is not judged yet; rejected, county and aid-first cases are not small
    aid; backdated entries are counted."""
    d = _data()
    cases = pd.DataFrame({
        "household_id": [1, 1, 2, 2, 2, 1],
        "grid_code": ["A"] * 6,
        "received_on": [date(2026, 11, 2)] * 5 + [date(2026, 11, 26)],
        "decided_on": [date(2026, 11, 3), date(2026, 11, 3), date(2026, 11, 3), date(2026, 11, 3),
                       None, None],
        "approval_due_on": [date(2026, 11, 5)] * 5 + [date(2026, 12, 1)],
        "amount_requested_fen": [20000, 20000, 20000, 90000, 20000, 20000],
        "amount_approved_fen": [20000, 20000, None, 90000, None, None],
        "status": ["paid", "paid", "rejected", "paid", "accepted", "accepted"],
        "aid_first": [False] * 6,
        "aid_on": [date(2026, 11, 5), date(2026, 11, 9), None, date(2026, 11, 4), None, None],
        "paperwork_due_on": [None] * 6, "files_completed_on": [None] * 6,
        "backdated": [True, False, False, False, False, False],
    })
    data = MetricsData(d.households, d.visits, d.flags, cases, d.assignments)
    a = period_metrics(data, start=date(2026, 11, 1), end=TODAY, today=TODAY).set_index("grid_code").loc["A"]
    # judged: paid on the due day (on time), paid after it (late), open past due (late);
    # not: the rejection, the 900-yuan county case, the open case due 12-01
    assert a["small_aid_cases"] == 3
    assert a["small_aid_3wd_share"] == pytest.approx(1 / 3)
    assert a["small_aid_backdated"] == 1
    assert a["small_aid_on_time"] == 1  # the count behind the share (gm.SHARE_COUNTS)
    assert gm.SHARE_COUNTS["small_aid_3wd_share"] == ("small_aid_on_time", "small_aid_cases")
    assert a["visited_30d"] == round(a["coverage_30d"] * a["households"])
