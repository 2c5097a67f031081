"""A grid worker's own work, enforced in the domain (SQLite and PostgreSQL): the assignment queries
return only the assignments of the worker the account is linked to (none when unlinked), and
record_visit refuses another worker's assignment or a household outside the worker's grid — with a
Chinese message, and nothing written."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from grid.access import SYSTEM, AccessDenied, Actor, Role
from grid.assignments import assign_visits, open_assignments_frame, worker_visit_list
from grid.db import session_scope
from grid.models import AuditEntry, Household, Visit, VisitAssignment
from grid.users import actor_for, add_user, get_user
from grid.visits import VisitObservations, my_open_assignments, record_visit
from tests.access_fixtures import small_world
from tests.conftest import DEMO_TODAY

PW = "Gridpass2026"
TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")


def _actor(engine, username: str) -> Actor:
    """The Actor the login of `username` gives (grid.users.actor_for, as the dashboard does)."""
    with session_scope(engine) as s:
        return actor_for(get_user(s, username))


@pytest.fixture
def world(engine):
    """G1: workers w1, w2 with one open assignment each (h0 -> w1, h1 -> w2); G2: one for its own
    worker. Accounts: li (linked to w1), wang (linked to w2), zhao (not linked), sup (G1)."""
    w = small_world(engine)
    (w1, w2), (g2w, _) = w["workers"]["G1"], w["workers"]["G2"]
    with session_scope(engine) as s:
        [a2] = assign_visits(session=s, actor=SYSTEM, household_ids=[w["households"]["G1"][1]],
                             worker_id=w2, due_on=TODAY + timedelta(days=5), today=TODAY)
        [a3] = assign_visits(session=s, actor=SYSTEM, household_ids=[w["households"]["G2"][0]],
                             worker_id=g2w, due_on=TODAY + timedelta(days=5), today=TODAY)
        add_user(s, username="li", password=PW, role="grid_worker", grid_codes="G1", worker_id=w1)
        add_user(s, username="wang", password=PW, role="grid_worker", grid_codes="G1", worker_id=w2)
        add_user(s, username="zhao", password=PW, role="grid_worker", grid_codes="G1")
        add_user(s, username="sup", password=PW, role="grid_supervisor", grid_codes="G1")
    w.update(w1=w1, w2=w2, a1=w["assignment"], a2=a2, a3=a3)
    return w


def _record(engine, actor, assignment_id, version=1):
    with session_scope(engine) as s:
        return record_visit(session=s, actor=actor, assignment_id=assignment_id,
                            expected_version=version, observations=VisitObservations(care_gap=True),
                            visited_on=TODAY, today=TODAY)


def _nothing_written(engine, assignment_id):
    with session_scope(engine) as s:
        a = s.get(VisitAssignment, assignment_id)
        assert a.status == "open" and a.version == 1 and a.visit_id is None
        assert not s.exec(select(Visit).where(Visit.household_id == a.household_id)).all()
        assert not s.exec(select(AuditEntry).where(AuditEntry.action == "visit.record")).all()


def test_actor_for_carries_the_linked_worker(engine, world):
    assert _actor(engine, "li").worker_id == world["w1"]
    assert _actor(engine, "zhao").worker_id is None
    assert _actor(engine, "sup").worker_id is None
    assert Actor("x", Role.GRID_WORKER, frozenset({"G1"})).worker_id is None  # old call sites


def test_queries_return_only_the_linked_workers_assignments(engine, world):
    li, wang, zhao, sup = (_actor(engine, u) for u in ("li", "wang", "zhao", "sup"))
    with engine.connect() as c:
        for query in (open_assignments_frame, my_open_assignments):
            assert set(query(c, li)["id"]) == {world["a1"]}, query.__name__
            assert set(query(c, wang)["id"]) == {world["a2"]}, query.__name__
            assert query(c, zhao).empty, query.__name__  # unlinked: nothing, not the whole grid
            assert set(query(c, sup)["id"]) == {world["a1"], world["a2"]}, query.__name__
            assert set(query(c, SYSTEM)["id"]) == {world["a1"], world["a2"], world["a3"]}
        assert list(my_open_assignments(c, li, worker_id=world["w2"])["id"]) == []
        assert list(worker_visit_list(c, li, world["w1"])["assignment_id"]) == [world["a1"]]
        assert worker_visit_list(c, li, world["w2"]).empty  # another worker's printed list
        assert worker_visit_list(c, zhao, world["w1"]).empty
        assert list(worker_visit_list(c, sup, world["w2"])["assignment_id"]) == [world["a2"]]


def test_a_changed_link_applies_at_the_next_login(engine, world):
    from grid.users import set_worker

    with session_scope(engine) as s:
        set_worker(s, "li", None)
    assert open_assignments_frame(engine, _actor(engine, "li")).empty


def test_record_visit_refuses_another_workers_assignment(engine, world):
    li = _actor(engine, "li")
    with pytest.raises(AccessDenied, match="其他网格员"):
        _record(engine, li, world["a2"])
    _nothing_written(engine, world["a2"])
    assert _record(engine, _actor(engine, "wang"), world["a2"]) > 0  # its own worker may
    assert _record(engine, li, world["a1"]) > 0


def test_record_visit_refuses_an_unlinked_grid_worker(engine, world):
    with pytest.raises(AccessDenied, match="尚未关联网格员"):
        _record(engine, _actor(engine, "zhao"), world["a1"])
    _nothing_written(engine, world["a1"])
    # a hand-made grid worker Actor without a link is refused the same way
    with pytest.raises(AccessDenied, match="尚未关联网格员"):
        _record(engine, Actor("x", Role.GRID_WORKER, frozenset({"G1"})), world["a1"])


def test_record_visit_refuses_a_household_outside_the_workers_grid(engine, world):
    li = _actor(engine, "li")
    with pytest.raises(AccessDenied, match="不在您的网格范围内"):
        _record(engine, li, world["a3"])  # a G2 household
    _nothing_written(engine, world["a3"])
    # li's own assignment, but the household has since been placed in G2: still refused
    with session_scope(engine) as s:
        a = s.get(VisitAssignment, world["a1"])
        h = s.get(Household, a.household_id)
        h.grid_id = world["grids"]["G2"]
        s.add(h)
    with pytest.raises(AccessDenied, match="网格 G2"):
        _record(engine, li, world["a1"])
    _nothing_written(engine, world["a1"])


def test_supervisor_still_records_for_any_worker_of_the_grid(engine, world):
    sup = _actor(engine, "sup")
    assert _record(engine, sup, world["a2"]) > 0
    with pytest.raises(AccessDenied):
        _record(engine, sup, world["a3"])


def test_demo_grid_worker_sees_only_own_work(demo_engine):
    """The demo's grid worker login (linked to the first worker of the first grid)."""
    actor = _actor(demo_engine, "wangge")
    assert actor.role == Role.GRID_WORKER and actor.worker_id is not None
    everyone = open_assignments_frame(demo_engine, SYSTEM)
    (grid,) = actor.grid_codes
    with demo_engine.connect() as c:
        from grid.frames import households_frame, workers_frame

        workers = workers_frame(c, SYSTEM)
        other = int(workers[(workers.grid_code == grid) & (workers.id != actor.worker_id)]["id"].iloc[0])
        busy = set(everyone["household_id"])
        hh = households_frame(c, SYSTEM)
        free = hh[(hh.grid_code == grid) & ~hh["id"].isin(busy)]["id"].astype(int).tolist()[:2]
    with session_scope(demo_engine) as s:
        [mine] = assign_visits(session=s, actor=SYSTEM, household_ids=free[:1], worker_id=actor.worker_id,
                               due_on=DEMO_TODAY + timedelta(days=3), today=DEMO_TODAY)
        [theirs] = assign_visits(session=s, actor=SYSTEM, household_ids=free[1:2], worker_id=other,
                                 due_on=DEMO_TODAY + timedelta(days=3), today=DEMO_TODAY)
    shown = open_assignments_frame(demo_engine, actor)
    assert mine in set(shown["id"]) and theirs not in set(shown["id"])
    assert set(shown["worker_id"]) == {actor.worker_id}
    everyone = open_assignments_frame(demo_engine, SYSTEM)
    assert set(shown["id"]) == set(everyone[everyone.worker_id == actor.worker_id]["id"])
    with pytest.raises(AccessDenied, match="其他网格员"):
        with session_scope(demo_engine) as s:
            record_visit(session=s, actor=actor, assignment_id=theirs, expected_version=1,
                         observations=VisitObservations(), visited_on=DEMO_TODAY, today=DEMO_TODAY)
