"""Where the list misses people: known answers of the grouped metrics on a tiny hand-made
history (two month-ends, ten households, three events), and the replay's detail tables."""
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from risk.config import load_config
from risk.evaluation import evaluate
from risk.groups import KINDS, household_kinds, plain_summary, group_metrics, to_excel_frames, \
    wilson_interval

S1, S2 = pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-28")


def _households():
    return pd.DataFrame({
        "id": np.arange(1, 11), "grid_code": ["A"] * 5 + ["B"] * 5,
        "elderly_alone": [True] + [False] * 9,
        "severe_disability": [False, True] + [False] * 8,
        "minors": [0, 0, 1] + [0] * 7,
        "dibao": [False, False, False, True] + [False] * 6,
        "serious_illness": False, "tekun": False, "income_per_capita_yuan": 3000.0, "members": 2})


def _detail():
    rows = []
    for snap, flagged, positive, levels in (
            (S1, {1}, {1, 7}, {1: "red"}),
            (S2, {6}, {7}, {6: "orange"})):
        for h in range(1, 11):
            rows.append({"household_id": h, "snapshot": snap, "score": 0.0,
                         "level": levels.get(h, "green"), "flagged": h in flagged,
                         "positive": h in positive})
    outcomes = pd.DataFrame({
        "household_id": [1, 7, 3],
        "occurred_on": pd.to_datetime(["2026-02-20", "2026-03-15", "2025-12-01"]),
        "in_window": [True, True, False],          # hh3's event is before the replay
        "flagged_in_time": [True, False, False],
        "lead_days": [20, -1, -1]})
    return {"snapshots": pd.DataFrame(rows), "outcomes": outcomes}


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return centre - half, centre + half


@pytest.fixture(scope="module")
def g():
    return group_metrics(_detail(), _households(), grid_names={"A": "甲社区", "B": "乙社区"})


def test_overall_known_answers(g):
    o = g["overall"].iloc[0]
    assert (o["households"], o["flagged_households"], o["events"], o["missed"]) == (10, 2, 2, 1)
    assert o["missed_need"] == 0.5
    assert (o["ci_low"], o["ci_high"]) == pytest.approx(_wilson(1, 2))
    assert o["precision"] == 0.5          # hh1@Jan hit, hh6@Feb not
    assert o["median_lead_days"] == 20.0


def test_by_grid_known_answers(g):
    t = g["by_grid"].set_index("group")
    assert t.loc["A", "label"] == "甲社区" and t.loc["B", "label"] == "乙社区"
    assert t.loc["A", ["households", "flagged_households", "events", "missed"]].tolist() == [5, 1, 1, 0]
    assert t.loc["A", "missed_need"] == 0.0 and t.loc["A", "precision"] == 1.0
    assert t.loc["B", ["households", "flagged_households", "events", "missed"]].tolist() == [5, 1, 1, 1]
    assert t.loc["B", "missed_need"] == 1.0 and t.loc["B", "precision"] == 0.0
    assert math.isnan(t.loc["B", "median_lead_days"])   # nothing of B was flagged in time
    assert (t.loc["B", "ci_low"], t.loc["B", "ci_high"]) == pytest.approx(_wilson(1, 1))


def test_by_kind_known_answers(g):
    t = g["by_kind"].set_index("group")
    assert list(t.index) == list(KINDS)
    assert t.loc["elderly_alone", ["households", "flagged_households", "events", "missed"]].tolist() == [1, 1, 1, 0]
    assert t.loc["disabled", "events"] == 0 and math.isnan(t.loc["disabled", "missed_need"])
    assert t.loc["minors", "households"] == 1 and t.loc["dibao", "households"] == 1
    # others: households 5..10; hh6 flagged, hh7's event missed
    assert t.loc["others", ["households", "flagged_households", "events", "missed"]].tolist() == [6, 1, 1, 1]
    assert t.loc["others", "label"] == "其他住户"


def test_calibration_observed_rate_per_level(g):
    c = g["calibration"]
    allc = c[c["dimension"] == "all"].set_index("level")
    assert allc.loc["red", ["household_snapshots", "positives"]].tolist() == [1, 1]
    assert allc.loc["orange", ["household_snapshots", "positives"]].tolist() == [1, 0]
    assert allc.loc["green", "household_snapshots"] == 18
    assert allc.loc["green", "observed_rate"] == pytest.approx(2 / 18)
    grid_b = c[(c["dimension"] == "grid") & (c["group"] == "B")].set_index("level")
    assert grid_b.loc["green", ["household_snapshots", "positives"]].tolist() == [9, 2]


def test_a_household_of_several_kinds_counts_in_each():
    hh = _households()
    hh.loc[0, "dibao"] = True
    kinds = household_kinds(hh)
    assert set(kinds.loc[kinds["household_id"] == 1, "group"]) == {"elderly_alone", "dibao"}
    assert "others" not in set(kinds.loc[kinds["household_id"] == 1, "group"])


def test_wilson_interval_matches_the_formula_and_edges():
    for k, n in ((0, 10), (3, 10), (10, 10), (45, 100)):
        assert wilson_interval(k, n) == pytest.approx(_wilson(k, n), abs=1e-9)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_plain_words_name_the_worst_groups():
    det = _detail()
    # twelve more events in grid B, none flagged: B is named, with the interval
    extra = pd.DataFrame({"household_id": [8] * 12, "occurred_on": pd.Timestamp("2026-03-01"),
                          "in_window": True, "flagged_in_time": False, "lead_days": -1})
    det["outcomes"] = pd.concat([det["outcomes"], extra], ignore_index=True)
    g = group_metrics(det, _households(), grid_names={"A": "甲社区", "B": "乙社区"})
    lines = plain_summary(g)
    assert lines[0].startswith("全部住户：14 起困难事件中，有 13 起")
    grid_line = next(x for x in lines if x.startswith("名单漏掉最多的网格"))
    assert "乙社区（漏报 13/13 起" in grid_line and "甲社区" not in grid_line
    assert any(x.startswith("事件太少") and "甲社区" in x for x in lines)
    sheets = to_excel_frames(g)
    assert set(sheets) == {"按网格", "按住户类型", "全部", "校准"}
    assert "漏报率" in sheets["按网格"].columns


def test_replay_detail_tables_feed_the_groups():
    h = _households()
    flags = ["housing_loss", "accidental_injury", "sudden_illness_or_disaster", "care_gap",
             "lost_job", "new_illness"]
    rows = [{"id": i, "household_id": i, "worker_id": 1, "visited_on": pd.Timestamp("2026-01-05"),
             "income_per_capita_yuan": np.nan, **{f: False for f in flags}} for i in range(2, 11)]
    rows.append({"id": 11, "household_id": 1, "worker_id": 1, "visited_on": pd.Timestamp("2026-01-10"),
                 "income_per_capita_yuan": np.nan, **{f: f == "care_gap" for f in flags}})
    v = pd.DataFrame(rows)
    events = pd.DataFrame({"household_id": [1, 7],
                           "occurred_on": pd.to_datetime(["2026-02-20", "2026-02-25"])})
    r = evaluate(h, v, events, config=load_config(), seed=0, top_frac=0.1, horizon_days=30,
                 start=dt.date(2026, 1, 31), end=dt.date(2026, 1, 31), detail=True)
    snap, out = r["detail"]["snapshots"], r["detail"]["outcomes"]
    assert len(snap) == 10 and snap["flagged"].sum() == 1
    assert snap.loc[snap["flagged"], "household_id"].tolist() == [1]
    assert out["flagged_in_time"].tolist() == [True, False]
    assert out["lead_days"].tolist() == [20, -1]
    g = group_metrics(r["detail"], h)
    assert g["overall"].iloc[0][["events", "missed"]].tolist() == [2, 1]
    assert g["by_kind"].set_index("group").loc["elderly_alone", "missed"] == 0


def test_a_scope_with_no_event_and_no_flag_gives_zeros_not_an_error():
    """A supervisor's single grid may have had no hardship event and no flagged snapshot in the
    replay window: every group then shows 0 events and no miss rate (it crashed in fairlearn)."""
    detail = _detail()
    detail["outcomes"] = detail["outcomes"].iloc[0:0]
    detail["snapshots"]["flagged"] = False
    out = group_metrics(detail, _households(), grid_names={"A": "甲社区", "B": "乙社区"})
    assert list(out["overall"]["households"]) == [10]
    assert sorted(out["by_grid"]["households"]) == [5, 5]
    for name in ("overall", "by_grid", "by_kind"):
        table = out[name]
        assert (table["events"] == 0).all() and (table["flagged_households"] == 0).all(), name
        assert table["missed_need"].isna().all() and table["precision"].isna().all(), name
