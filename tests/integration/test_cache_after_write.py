"""The dashboard after one write (issue 9, defect 13): a visit saved in another session reaches
the township leader's open pages on their next rerun, through the per-grid caches (only the
written grid is recomputed), and what the pages show equals the same numbers computed from the
database with every cache emptied. Through AppTest, on SQLite and (JIZHEN_TEST_PG_URL)
PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.texts import t
from grid.access import SYSTEM
from grid.db import make_engine, session_scope

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
TODAY = date(2026, 11, 29)
LAST_DAY_SHOWN = date(2026, 10, 31)  # the leaders' page headlines October by default


@pytest.fixture
def world(engine, db_url, monkeypatch):
    """The demo with its users; the leader (all grids) and the supervisor (城中社区)."""
    import functools

    from jizhen.cli import demo_steps
    from grid.demo import load_demo
    from grid.users import actor_for, get_user

    steps = [functools.partial(s, echo=lambda *_: None) if "users" in s.__module__ else s
             for s in demo_steps()]
    load_demo(engine, households=800, seed=7, today=TODAY, steps=steps)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JIZHEN_TODAY", TODAY.isoformat())
    with session_scope(engine) as s:
        leader, sup = get_user(s, "zhenmingzheng"), get_user(s, "wanggezhang")
        s.expunge(leader)
        s.expunge(sup)
    return {"url": db_url, "leader": leader, "sup": sup, "sup_actor": actor_for(sup),
            "code": sorted(actor_for(sup).grid_codes)[0]}


def _page(world, page: str) -> AppTest:
    from dashboard.auth import SESSION_KEY, session_for

    at = AppTest.from_file(str(APP), default_timeout=300)
    at.session_state[SESSION_KEY] = session_for(world["leader"])
    at.run()
    if page != "views/map.py":
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _last_visits(url: str, code: str) -> pd.Series:
    from grid.frames import visits_frame

    v = visits_frame(make_engine(url), SYSTEM, until=TODAY, grid_codes=[code])
    return v.groupby("household_id")["visited_on"].max()


def _supervisor(world, code: str):
    """The grid's supervisor: the demo's own for 城中社区, an account of that role elsewhere."""
    from grid.access import Actor, Role

    if code == world["code"]:
        return world["sup_actor"]
    return Actor(username=f"sup_{code}", role=Role.GRID_SUPERVISOR, grid_codes=frozenset({code}))


def _assign(world, code: str, household_id: int) -> int:
    """The supervisor (another session, own engine) assigns the household; the assignment id."""
    from grid.assignments import assign_visits
    from grid.frames import workers_frame

    eng = make_engine(world["url"])
    workers = workers_frame(eng, SYSTEM)
    worker = int(workers.loc[workers["grid_code"] == code, "id"].iloc[0])
    with session_scope(eng) as s:
        (aid,) = assign_visits(session=s, actor=_supervisor(world, code),
                               household_ids=[household_id], worker_id=worker,
                               due_on=TODAY + timedelta(days=3), today=TODAY)
    eng.dispose()
    return aid


def _visit(world, code: str, assignment_id: int, visited_on: date) -> None:
    """The supervisor records the visit in their own session (own engine)."""
    from grid.models import VisitAssignment
    from grid.visits import VisitObservations, record_visit

    eng = make_engine(world["url"])
    with session_scope(eng) as s:
        version = s.get(VisitAssignment, assignment_id).version
    with session_scope(eng) as s:
        record_visit(session=s, actor=_supervisor(world, code), assignment_id=assignment_id,
                     expected_version=int(version), today=TODAY, visited_on=visited_on,
                     observations=VisitObservations(notes="另一会话"))
    eng.dispose()


def _households(url: str, code: str) -> pd.Index:
    from grid.frames import households_frame

    return pd.Index(households_frame(make_engine(url), SYSTEM, grid_codes=[code])["id"])


def _open_assignment(world, code: str, household_id: int) -> int:
    """The household's open assignment; the supervisor (another session) makes one if none."""
    from grid.assignments import open_assignments_frame

    open_a = open_assignments_frame(make_engine(world["url"]), SYSTEM)
    mine = open_a.loc[open_a["household_id"] == household_id, "id"]
    return int(mine.iloc[0]) if len(mine) else _assign(world, code, household_id)


def _forget_every_cache() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    state._leader_facts_grid.cache_clear()


def _panel(at: AppTest) -> dict:
    keys = ("panel.households", "panel.coverage", "panel.high_risk_unvisited",
            "panel.pending_cases", "panel.mean_score")
    return {k: next(m.value for m in at.metric if m.label == t(k, "zh")) for k in keys}


def test_map_panel_shows_a_visit_saved_in_another_session(world):
    from grid.metrics import default_config, format_value
    from grid.risk_service import latest_scores
    from risk.coverage import overdue_high_risk

    url = world["url"]
    # a high-risk household overdue for a visit (the first grid that has one)
    levels = latest_scores(make_engine(url), SYSTEM).set_index("household_id")["level"]
    for code in state.scope_codes(url, SYSTEM):
        hh = _households(url, code)
        days = (pd.Timestamp(TODAY) - pd.Series(hh, index=hh).map(_last_visits(url, code))).dt.days
        late = overdue_high_risk(levels.reindex(hh).to_numpy(dtype=object), days, default_config())
        if late.any():
            break
    assert late.any(), "the demo has high-risk overdue households"
    assignment = _open_assignment(world, code, int(hh[late][0]))

    at = _page(world, "views/map.py")
    at.selectbox(key="map_panel_grid").set_value(code)
    before = _panel(_rerun(at))
    tokens = {c: state.generations(url).token(state.HOUSEHOLDS, c)
              for c in state.scope_codes(url, SYSTEM)}

    _visit(world, code, assignment, TODAY)
    after = _panel(_rerun(at))

    assert int(after["panel.high_risk_unvisited"]) == int(before["panel.high_risk_unvisited"]) - 1
    assert after["panel.households"] == before["panel.households"]
    gens = state.generations(url)
    assert gens.token(state.HOUSEHOLDS, code) > tokens[code]  # only the written grid moved
    assert all(gens.token(state.HOUSEHOLDS, c) == tok for c, tok in tokens.items() if c != code)
    # what the page shows is what an empty cache computes from the database
    _forget_every_cache()
    fresh = state.grid_summary(url, SYSTEM, TODAY).set_index("grid_code").loc[code]
    assert after["panel.coverage"] == format_value("coverage_30d", fresh["coverage_30d"])
    assert int(after["panel.high_risk_unvisited"]) == int(fresh["high_risk_overdue"])
    assert after["panel.mean_score"] == format_value("mean_score", fresh["mean_score"])


def test_leaders_page_shows_a_visit_saved_in_another_session(world):
    from grid.metrics import leader_metrics, load_metrics_data

    url, code = world["url"], world["code"]
    # a household of the grid with no visit on the 30 days ending 10-31 nor after: a visit
    # dated 10-31 adds one household to October's 30-day coverage of the grid
    last = _last_visits(url, code)
    unseen = [h for h in _households(url, code)
              if pd.isna(last.get(h)) or last[h] < pd.Timestamp(LAST_DAY_SHOWN - timedelta(days=29))]
    assert unseen, "the demo has households not visited since September"
    assignment = _open_assignment(world, code, int(unseen[0]))

    at = _page(world, "views/leaders.py")
    col = {k: t(f"lm.{k}", "zh") for k in ("grid_code", "households", "coverage_30d", "flagged",
                                            "overdue_visits", "median_days_flag_to_visit")}
    before = at.dataframe[0].value.set_index(col["grid_code"])
    assert any("2026-10" in h.value for h in at.subheader)  # the headline month

    _visit(world, code, assignment, LAST_DAY_SHOWN)
    after = _rerun(at).dataframe[0].value.set_index(col["grid_code"])

    n = after.loc[code, col["households"]]
    assert after.loc[code, col["coverage_30d"]] == pytest.approx(
        before.loc[code, col["coverage_30d"]] + 1 / n)
    others = [c for c in after.index if c != code]
    pd.testing.assert_frame_equal(after.loc[others], before.loc[others])
    # the whole table equals the indicators computed from the database without any cache
    _forget_every_cache()
    with make_engine(url).connect() as c:
        fresh = leader_metrics(load_metrics_data(c, SYSTEM), today=TODAY, months=6)
    expected = fresh["by_grid"].set_index("grid_code")
    for key in ("households", "coverage_30d", "flagged", "overdue_visits",
                "median_days_flag_to_visit"):
        pd.testing.assert_series_equal(after[col[key]].astype(float),
                                       expected[key].astype(float), check_names=False,
                                       check_index_type=False)
