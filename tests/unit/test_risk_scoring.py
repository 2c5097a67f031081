"""Known-answer tests for every factor of the household risk score."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from risk.config import FACTORS, ConfigError, config_from_dict, load_config, load_standards
from risk.scoring import latest_two_visits, score_households

TODAY = dt.date(2026, 11, 29)
CFG = load_config()
STD = CFG.dibao_standard(TODAY)


def hh(**kw):
    row = dict(id=1, grid_code="G01", lon=118.68, lat=33.72, members=3, elderly_alone=False,
               minors=0, severe_disability=False, serious_illness=False, dibao=False, tekun=False,
               income_per_capita_yuan=10 * STD)
    row.update(kw)
    return row


def visit(household_id=1, days_ago=10, vid=None, **kw):
    row = dict(id=vid or 0, household_id=household_id, worker_id=7,
               visited_on=pd.Timestamp(TODAY - dt.timedelta(days=days_ago)),
               income_per_capita_yuan=np.nan, housing_loss=False, accidental_injury=False,
               sudden_illness_or_disaster=False, care_gap=False, lost_job=False, new_illness=False)
    row.update(kw)
    return row


def frames(households, visits):
    h = pd.DataFrame(households)
    v = pd.DataFrame(visits, columns=list(visit().keys()))
    if len(v):
        v["id"] = np.arange(1, len(v) + 1)
    v["visited_on"] = pd.to_datetime(v["visited_on"]).astype("datetime64[ns]")
    return h, v


def one(households, visits, config=CFG, today=TODAY):
    h, v = frames(households, visits)
    return score_households(h, v, today=today, config=config)


def pts(name):
    return CFG.points(name)


def reason(name):
    return CFG.factors[name].reason


def test_baseline_household_scores_zero_green():
    r = one([hh()], [visit()]).iloc[0]
    assert r.score == 0 and r.level == "green" and r.reasons == []
    assert r.config_version == f"v1+dibao{STD:g}"


@pytest.mark.parametrize("flag,factor", [
    ("housing_loss", "housing_loss"),
    ("accidental_injury", "accidental_injury"),
    ("sudden_illness_or_disaster", "sudden_illness_or_disaster"),
    ("care_gap", "care_gap"),
    ("new_illness", "new_illness"),
    ("lost_job", "lost_job"),
])
def test_latest_visit_flags(flag, factor):
    r = one([hh()], [visit(**{flag: True})]).iloc[0]
    assert r.score == pts(factor)
    assert r.reasons == [reason(factor)]


def test_flags_of_an_older_visit_do_not_count():
    r = one([hh()], [visit(days_ago=40, housing_loss=True), visit(days_ago=5)]).iloc[0]
    assert r.score == 0


def test_visits_after_today_are_ignored():
    r = one([hh()], [visit(days_ago=20), visit(days_ago=-3, care_gap=True)]).iloc[0]
    assert r.score == 0 and r.days_since_visit == 20


def test_illness_reason_text():
    r = one([hh()], [visit(sudden_illness_or_disaster=True)]).iloc[0]
    assert r.reasons == ["家庭成员突发重病或遭受自然灾害"]


def test_income_below_standard_and_below_two_times():
    rows = [hh(id=1, income_per_capita_yuan=0.9 * STD), hh(id=2, income_per_capita_yuan=1.5 * STD),
            hh(id=3, income_per_capita_yuan=2.0 * STD)]
    s = one(rows, [visit(1), visit(2), visit(3)]).set_index("household_id")
    assert s.loc[1, "score"] == pts("income_below_standard")
    assert s.loc[2, "score"] == pts("income_below_2x_standard")
    assert s.loc[2, "reasons"] == ["人均收入低于低保标准2倍"]
    assert s.loc[3, "score"] == 0


def test_latest_visit_income_overrides_the_register():
    s = one([hh(income_per_capita_yuan=10 * STD)],
            [visit(income_per_capita_yuan=0.5 * STD)]).iloc[0]
    assert s.score == pts("income_below_standard")


def test_dibao_household_income_points_are_scaled():
    s = one([hh(dibao=True, income_per_capita_yuan=0.5 * STD)], [visit()]).iloc[0]
    assert s.score == pts("income_below_standard") * CFG.covered_share


@pytest.mark.parametrize("field,value,factor", [
    ("elderly_alone", True, "elderly_alone"),
    ("minors", 2, "minors"),
    ("severe_disability", True, "severe_disability"),
    ("serious_illness", True, "serious_illness"),
])
def test_vulnerable_members(field, value, factor):
    s = one([hh(**{field: value})], [visit(days_ago=3)]).iloc[0]
    assert s.score == pts(factor) and s.reasons == [reason(factor)]


def test_income_drop_between_last_two_visits():
    drop = one([hh()], [visit(days_ago=60, income_per_capita_yuan=5 * STD),
                        visit(days_ago=5, income_per_capita_yuan=3 * STD)]).iloc[0]   # -40%
    small = one([hh()], [visit(days_ago=60, income_per_capita_yuan=5 * STD),
                         visit(days_ago=5, income_per_capita_yuan=4 * STD)]).iloc[0]  # -20%
    order = one([hh()], [visit(days_ago=5, income_per_capita_yuan=5 * STD),
                         visit(days_ago=60, income_per_capita_yuan=3 * STD)]).iloc[0]  # rise
    assert drop.score == pts("income_drop") and drop.reasons == ["人均收入较上次走访下降30%以上"]
    assert small.score == 0 and order.score == 0


def test_staleness_for_elderly_alone():
    fresh = one([hh(elderly_alone=True)], [visit(days_ago=90)]).iloc[0]
    stale = one([hh(elderly_alone=True)], [visit(days_ago=91)]).iloc[0]
    never = one([hh(elderly_alone=True)], []).iloc[0]
    assert fresh.score == pts("elderly_alone")
    assert stale.score == pts("elderly_alone") + pts("stale_elderly_alone")
    assert "独居老人且90天未走访" in stale.reasons
    assert never.score == stale.score and pd.isna(never.days_since_visit)
    assert pd.isna(never.last_visited_on)


def test_staleness_only_for_vulnerable_households():
    plain = one([hh()], [visit(days_ago=400)]).iloc[0]
    ill = one([hh(serious_illness=True)], [visit(days_ago=400)]).iloc[0]
    assert plain.score == 0
    assert ill.score == pts("serious_illness") + pts("stale_vulnerable")
    assert reason("stale_vulnerable") == "重点户且90天未走访"


def test_score_is_capped_and_levels_follow_thresholds():
    everything = visit(housing_loss=True, accidental_injury=True, sudden_illness_or_disaster=True,
                       care_gap=True, lost_job=True, new_illness=True)
    s = one([hh(elderly_alone=True, income_per_capita_yuan=0.2 * STD)], [everything]).iloc[0]
    assert s.score == 100 and s.level == "red"
    assert len(s.reasons) == CFG.max_reasons
    # reasons are ordered by points, ties by factor order
    assert s.reasons[0] == reason("housing_loss")


def test_levels_boundaries():
    raw = _raw_weights()
    for f in raw["factors"].values():
        f["points"] = 0
    raw["factors"]["care_gap"]["points"] = 40
    raw["factors"]["lost_job"]["points"] = 20
    raw["factors"]["new_illness"]["points"] = 19.5
    cfg = config_from_dict(raw, load_standards())
    s = one([hh(id=i) for i in (1, 2, 3, 4)],
            [visit(1, care_gap=True, lost_job=True), visit(2, care_gap=True),
             visit(3, lost_job=True), visit(4, new_illness=True)], config=cfg)
    assert s.level.tolist() == ["red", "orange", "yellow", "green"]
    assert s.score.tolist() == [60, 40, 20, 19.5]


def _raw_weights():
    import tomllib

    from risk.config import DEFAULT_WEIGHTS
    with open(DEFAULT_WEIGHTS, "rb") as fh:
        return tomllib.load(fh)


def test_config_rejects_missing_factor_and_bad_levels():
    raw = _raw_weights()
    del raw["factors"]["care_gap"]
    with pytest.raises(ConfigError):
        config_from_dict(raw, load_standards())
    raw = _raw_weights()
    raw["levels"]["orange"] = 90
    with pytest.raises(ConfigError):
        config_from_dict(raw, load_standards())


def test_standard_is_data_and_dated(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[[dibao]]\ncounty="321323"\nsince=2020-01-01\nyuan_per_month=600\n'
                 '[[dibao]]\ncounty="321323"\nsince=2026-07-01\nyuan_per_month=1000\n'
                 '[[dibao]]\ncounty="999999"\nsince=2020-01-01\nyuan_per_month=5\n')
    cfg = load_config(standards_path=p)
    assert cfg.dibao_standard(dt.date(2026, 6, 30)) == 600
    assert cfg.dibao_standard(dt.date(2026, 7, 1)) == 1000
    # income 1500 is under 2x1000 on 2026-11-29, but not under 2x600 a year earlier
    h, v = frames([hh(income_per_capita_yuan=1500)], [visit(days_ago=400)])
    now = score_households(h, v, today=TODAY, config=cfg).iloc[0]
    before = score_households(h, v, today=dt.date(2026, 1, 1), config=cfg).iloc[0]
    assert now.score == cfg.points("income_below_2x_standard") + cfg.points("stale_vulnerable")
    assert before.score == 0
    assert now.config_version == "v1+dibao1000" and before.config_version == "v1+dibao600"


def test_latest_two_visits_matches_groupby_idxmax():
    rng = np.random.default_rng(3)
    n, m = 200, 2000
    hid = rng.integers(0, n + 20, m)  # some visits of unknown households, some households unvisited
    day = rng.integers(0, 30, m)
    last, prev = latest_two_visits(np.arange(n), hid, day)
    df = pd.DataFrame({"h": hid, "d": day, "r": np.arange(m)})
    df = df[df.h < n]
    exp_last = df.sort_values(["d", "r"]).groupby("h")["r"].last()
    rest = df.drop(index=exp_last.to_numpy())
    exp_prev = rest.sort_values(["d", "r"]).groupby("h")["r"].last()
    got_last = pd.Series(last, index=np.arange(n))
    got_prev = pd.Series(prev, index=np.arange(n))
    assert (got_last[exp_last.index] == exp_last).all()
    assert (got_last.drop(exp_last.index) == -1).all()
    assert (got_prev[exp_prev.index] == exp_prev).all()
    assert (got_prev.drop(exp_prev.index) == -1).all()


def test_every_factor_has_points_and_reason():
    for f in FACTORS:
        assert CFG.factors[f].reason and "{" not in CFG.factors[f].reason
