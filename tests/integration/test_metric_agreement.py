"""Every indicator shown on two or more pages has ONE value: computed here through each page's own
code path (the loaders the map / grid panel, the leaders' page and the assign page call, the
cases list the case desk calls, and the `jizhen` CLI) on the demo data, and compared.
Runs on SQLite and, with JIZHEN_TEST_PG_URL, on PostgreSQL."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from grid.access import SYSTEM
from grid.db import session_scope

TODAY = date(2026, 11, 29)


@pytest.fixture
def world(engine, db_url, monkeypatch):
    """The full demo (open assignments included) and the actors of its demo users."""
    from jizhen.cli import demo_steps
    from grid.demo import load_demo
    from grid.users import actor_for, get_user

    steps = [s for s in demo_steps() if "users" not in s.__module__] + \
        [s for s in demo_steps() if "users" in s.__module__]
    load_demo(engine, households=800, seed=7, today=TODAY, steps=steps)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JIZHEN_TODAY", TODAY.isoformat())
    with session_scope(engine) as s:
        actors = {u: actor_for(get_user(s, u)) for u in ("zhenmingzheng", "wanggezhang", "wangge")}
    return db_url, actors


def _cli(*args) -> dict:
    from jizhen.cli import main

    r = CliRunner().invoke(main, list(args))
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_coverage_is_one_number_on_map_leaders_page_and_cli(world, engine):
    from dashboard import state
    from grid.metrics import town_summary

    url, actors = world
    leader = actors["zhenmingzheng"]
    # map and grid panel
    summary = state.grid_summary(url, leader, TODAY).set_index("grid_code")
    # leaders' page, this month to date (its coverage is as of the period's last day: today)
    lm = state.leader_metrics(url, leader, TODAY, 6, TODAY.replace(day=1))
    by_grid = lm["by_grid"].set_index("grid_code")
    # jizhen risk coverage --json
    cli = pd.DataFrame(_cli("risk", "coverage", "--json", "--today", TODAY.isoformat())["by_grid"]) \
        .set_index("grid_code")
    assert len(summary) == 12 and summary["households"].sum() == 800
    assert 0 < summary["coverage_30d"].min() and summary["coverage_30d"].max() < 1
    for code in summary.index:
        assert summary.loc[code, "coverage_30d"] == pytest.approx(by_grid.loc[code, "coverage_30d"])
        assert summary.loc[code, "coverage_30d"] == pytest.approx(cli.loc[code, "share_30d"])
        assert summary.loc[code, "coverage_90d"] == pytest.approx(cli.loc[code, "share_90d"])
    town = town_summary(summary.reset_index())
    assert town["coverage_30d"] == pytest.approx(lm["total"]["coverage_30d"].iloc[0])
    assert town["coverage_30d"] == pytest.approx(cli["visited_30d"].sum() / cli["households"].sum())


def test_flagged_and_overdue_visits_add_up_across_grid_table_headline_and_trend(world):
    from dashboard import state

    url, actors = world
    lm = state.leader_metrics(url, actors["zhenmingzheng"], TODAY, 6)
    assert lm["month"] == "2026-10"  # the last complete month, not November
    assert lm["trend"]["month"].tolist() == ["2026-05", "2026-06", "2026-07", "2026-08",
                                             "2026-09", "2026-10"]
    assert lm["trend"]["flagged"].sum() > 0
    headline = lm["total"].iloc[0]
    for key in ("flagged", "overdue_visits", "small_aid_cases", "paperwork_cases", "households"):
        assert lm["by_grid"][key].sum() == headline[key], key
    tbg = lm["trend_by_grid"]
    for row in lm["trend"].itertuples():
        month = tbg[tbg["month"] == row.month]
        assert month["flagged"].sum() == row.flagged, row.month
        assert month["overdue_visits"].sum() == row.overdue_visits, row.month


def test_high_risk_overdue_on_the_map_equals_the_cli(world):
    from dashboard import state

    url, actors = world
    summary = state.grid_summary(url, actors["zhenmingzheng"], TODAY)
    cli = _cli("risk", "coverage", "--json", "--today", TODAY.isoformat())
    assert summary["high_risk_overdue"].sum() == cli["overdue_high_risk"]


def test_pending_and_overdue_cases_on_the_map_equal_the_case_list(world, engine):
    from cases.queries import list_cases
    from cases.rules import OPEN_STATUSES
    from dashboard import state

    url, actors = world
    leader = actors["zhenmingzheng"]
    summary = state.grid_summary(url, leader, TODAY).set_index("grid_code")
    with session_scope(engine) as s:
        overdue = list_cases(session=s, actor=leader, today=TODAY, overdue_only=True)
        open_rows = list_cases(session=s, actor=leader, today=TODAY,
                               status=[x.value for x in OPEN_STATUSES])
    assert summary["overdue_cases"].sum() == len(overdue)
    pending = pd.Series([r["grid_code"] for r in open_rows
                         if r["working_days_left"] is not None]).value_counts()
    assert summary["pending_cases"].sum() > 0
    for code in summary.index:
        assert summary.loc[code, "pending_cases"] == pending.get(code, 0), code


def test_open_visits_of_a_worker_are_the_same_for_the_supervisor_and_the_worker(world):
    from dashboard import state
    from grid.assignments import worker_loads

    url, actors = world
    worker = actors["wangge"]
    assert worker.worker_id is not None
    sup = actors["wanggezhang"]
    workers = state.workers(url, sup)
    loads = worker_loads(workers, state.open_assignments(url, sup),
                         state.visits_30d_by_worker(url, sup, TODAY)).set_index("id")
    mine = state.open_assignments(url, worker)
    assert len(mine) > 0
    assert loads.loc[worker.worker_id, "open"] == len(mine)


def test_visits_in_30_days_per_worker_assign_page_equals_cli_report(world, engine):
    from dashboard import state
    from grid.risk_service import coverage

    url, actors = world
    page = state.visits_30d_by_worker(url, actors["zhenmingzheng"], TODAY)
    rep = coverage(engine, SYSTEM, today=TODAY)["by_worker"].set_index("worker_id")
    assert page.sum() > 0
    for wid, n in rep["visits_30d"].items():
        assert page.get(wid, 0) == n, wid


def test_a_visit_saved_elsewhere_moves_only_its_grid(world, engine):
    """Per-write invalidation: another session's visit changes that grid's numbers on the next
    run (no cache clearing), and the other grids' cached entries are reused as they are."""
    from dashboard import state
    from grid.assignments import open_assignments_frame
    from grid.visits import VisitObservations, record_visit

    url, actors = world
    leader, sup = actors["zhenmingzheng"], actors["wanggezhang"]
    before = state.grid_summary(url, leader, TODAY).set_index("grid_code")
    gens = state.generations(url)
    a = open_assignments_frame(engine, sup).iloc[0]
    code = a["grid_code"]
    others = [c for c in before.index if c != code]
    tokens = {c: gens.token(state.HOUSEHOLDS, c) for c in before.index}
    hs_before = state.household_state(url, leader, TODAY).set_index("id")
    days_before = hs_before.loc[int(a["household_id"]), "days_since_visit"]
    with session_scope(engine) as s:
        record_visit(session=s, actor=sup, assignment_id=int(a["id"]),
                     expected_version=int(a["version"]), today=TODAY, visited_on=TODAY,
                     observations=VisitObservations(lost_job=True))
    after = state.grid_summary(url, leader, TODAY).set_index("grid_code")
    gens = state.generations(url)
    assert gens.token(state.HOUSEHOLDS, code) > tokens[code]
    assert all(gens.token(state.HOUSEHOLDS, c) == tokens[c] for c in others)
    hs_after = state.household_state(url, leader, TODAY).set_index("id")
    assert hs_after.loc[int(a["household_id"]), "days_since_visit"] == 0
    if pd.isna(days_before) or days_before >= 30:
        assert after.loc[code, "visited_30d"] == before.loc[code, "visited_30d"] + 1
    pd.testing.assert_frame_equal(after.loc[others], before.loc[others])
    assert len(state.open_assignments(url, sup)) == len(open_assignments_frame(engine, sup))


def test_visit_status_counts_are_one_number_on_the_map_and_the_worklist(world):
    """The map's visit-status legend and the 走访派单 worklist count the same households per
    status (grid.visit_status), for the supervisor's grid, through each page's own loaders."""
    import re

    from dashboard import maps, state
    from grid.metrics import default_config
    from grid.visit_status import NEEDS_VISIT, status_counts, worklist

    url, actors = world
    sup = actors["wanggezhang"]
    (code,) = sorted(sup.grid_codes)
    options = (("metric", "coverage_30d"), ("layers", ("visit_status",)), ("grid_codes", None),
               ("worker_id", None), ("levels", ("green", "orange", "red", "yellow")),
               ("deadlines", ()), ("lang", "zh"))
    html = maps.map_html(state.cached_map(url, sup, TODAY, options))
    on_map = {k: int(v) for k, v in re.findall(
        r"(派单已超期|从未走访|90天以上未走访|30–90天未走访)：(\d+)", html)}
    hs = state.household_state(url, sup, TODAY)
    wl = worklist(hs[hs["grid_code"] == code], state.open_assignments(url, sup), today=TODAY,
                  config=default_config(), recent_days=0)
    counts = status_counts(wl)
    labels = {"overdue_assignment": "派单已超期", "never": "从未走访", "over_90d": "90天以上未走访",
              "over_30d": "30–90天未走访"}
    assert on_map == {labels[k]: counts[k] for k in NEEDS_VISIT}
    assert sum(on_map.values()) == len(wl) > 0
    # the demo's open assignments include overdue ones: they are counted once, as overdue
    assert counts["overdue_assignment"] == int(wl["assignment_overdue"].sum())
