"""grid.day_plan on SQLite and PostgreSQL: a worker's open visits with score, reasons and last
visit; the day's route over them; scope (a worker sees only their own day, a supervisor the
routes of their grid, nothing outside it)."""
from __future__ import annotations

from datetime import timedelta

from grid.access import SYSTEM, Actor, Role
from grid.assignments import assign_visits
from grid.db import session_scope
from grid.day_plan import open_visits, routes_for_grid, worker_day
from grid.frames import households_frame, visits_frame, workers_frame
from grid.risk_service import latest_scores
from tests.conftest import DEMO_TODAY


def _setup(engine):
    hh = households_frame(engine, SYSTEM)
    workers = workers_frame(engine, SYSTEM)
    a, b = sorted(hh["grid_code"].unique())[:2]
    w1, w2 = workers[workers.grid_code == a]["id"].astype(int).tolist()[:2]
    in_a = hh[hh.grid_code == a]["id"].astype(int).tolist()
    with session_scope(engine) as s:
        assign_visits(session=s, actor=SYSTEM, household_ids=in_a[:15], worker_id=w1,
                      due_on=DEMO_TODAY, today=DEMO_TODAY)
        assign_visits(session=s, actor=SYSTEM, household_ids=in_a[15:18], worker_id=w2,
                      due_on=DEMO_TODAY + timedelta(days=2), today=DEMO_TODAY)
    return a, b, w1, w2, in_a


def test_open_visits_carry_score_reasons_and_last_visit(demo_engine):
    a, _, w1, _, in_a = _setup(demo_engine)
    me = Actor("w1", Role.GRID_WORKER, frozenset({a}), worker_id=w1)
    df = open_visits(demo_engine, me)
    assert sorted(df["household_id"]) == sorted(in_a[:15]) and set(df["worker_id"]) == {w1}
    scores = latest_scores(demo_engine, SYSTEM).set_index("household_id")
    visits = visits_frame(demo_engine, SYSTEM)
    last = visits.groupby("household_id")["visited_on"].max()
    for r in df.itertuples():
        assert r.score == float(scores.at[r.household_id, "score"])
        assert list(r.reasons) == list(scores.at[r.household_id, "reasons"])
        expected = last.get(r.household_id)
        assert r.last_visited_on == (None if expected is None else expected.date())
        assert r.due_on == DEMO_TODAY


def test_worker_day_routes_only_own_visits_and_fits_the_day(demo_engine):
    a, _, w1, w2, in_a = _setup(demo_engine)
    me = Actor("w1", Role.GRID_WORKER, frozenset({a}), worker_id=w1)
    day = worker_day(demo_engine, me, worker_id=w1, today=DEMO_TODAY)
    assert sorted(day.route.keys + day.route.dropped_keys) == sorted(day.visits["assignment_id"])
    assert len(day.route.keys) + len(day.route.dropped_keys) == 15
    assert day.route.total_minutes <= day.route.day_minutes
    assert all(d.reason for d in day.route.dropped)
    # another worker's day is empty for this worker, whatever id is asked for
    other = worker_day(demo_engine, me, worker_id=w2, today=DEMO_TODAY)
    assert other.route.keys == [] and other.visits.empty


def test_supervisor_sees_every_workers_route_of_the_grid_and_nothing_outside(demo_engine):
    a, b, w1, w2, _ = _setup(demo_engine)
    sup = Actor("sup", Role.GRID_SUPERVISOR, frozenset({a}))
    days = routes_for_grid(demo_engine, sup, a, today=DEMO_TODAY)
    assert set(days) == {w1, w2}
    assert len(days[w2].route.keys) == 3 and not days[w2].route.dropped
    same = routes_for_grid(demo_engine, sup, a, today=DEMO_TODAY)
    assert same[w1].route.keys == days[w1].route.keys  # deterministic
    assert routes_for_grid(demo_engine, sup, b, today=DEMO_TODAY) == {}
    outsider = Actor("sup_b", Role.GRID_SUPERVISOR, frozenset({b}))
    assert routes_for_grid(demo_engine, outsider, a, today=DEMO_TODAY) == {}
