"""Assign -> reassign/cancel -> record a visit, on SQLite and PostgreSQL: scope, grid boundaries,
optimistic locking, audit chain, score and coverage updated."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from grid import audit
from grid.access import SYSTEM, AccessDenied, Actor, Role
from grid.assignments import (AssignmentError, assign_visits, cancel_visit, open_assignments_frame,
                              reassign_visit, worker_visit_list)
from grid.db import StaleEdit, session_scope
from grid.frames import households_frame, visits_frame, workers_frame
from grid.models import VisitAssignment
from grid.risk_service import latest_scores
from grid.visits import VisitObservations, record_visit
from tests.conftest import DEMO_TODAY


def _world(engine):
    hh = households_frame(engine, SYSTEM)
    workers = workers_frame(engine, SYSTEM)
    a, b = sorted(hh["grid_code"].unique())[:2]
    return hh, workers, a, b


def _supervisor(code):
    return Actor("sup", Role.GRID_SUPERVISOR, frozenset({code}))


def test_assign_record_updates_score_and_coverage(demo_engine):
    hh, workers, a, _ = _world(demo_engine)
    sup = _supervisor(a)
    worker = int(workers[workers.grid_code == a]["id"].iloc[0])
    visited = set(visits_frame(demo_engine, SYSTEM, since=DEMO_TODAY - timedelta(days=29))["household_id"])
    target = int(hh[(hh.grid_code == a) & ~hh["id"].isin(visited)]["id"].iloc[0])
    with session_scope(demo_engine) as s:
        [aid] = assign_visits(session=s, actor=sup, household_ids=[target], worker_id=worker,
                              due_on=DEMO_TODAY + timedelta(days=7), today=DEMO_TODAY)
    before = latest_scores(demo_engine, SYSTEM).set_index("household_id").loc[target]
    open_a = open_assignments_frame(demo_engine, sup)
    row = open_a.set_index("id").loc[aid]
    obs = VisitObservations(income_per_capita_yuan=200.0, housing_loss=True, care_gap=True)
    with session_scope(demo_engine) as s:
        vid = record_visit(session=s, actor=Actor("w", Role.GRID_WORKER, frozenset({a}), worker_id=worker),
                           assignment_id=aid, expected_version=int(row.version), observations=obs,
                           visited_on=DEMO_TODAY, today=DEMO_TODAY)
    assert vid > 0
    with session_scope(demo_engine) as s:
        done = s.get(VisitAssignment, aid)
        assert done.status == "done" and done.visit_id == vid and done.version == 2
        assert audit.verify(s).ok
    after = latest_scores(demo_engine, SYSTEM).set_index("household_id").loc[target]
    assert after["score"] > before["score"]
    assert after["level"] in ("red", "orange")
    now_visited = set(visits_frame(demo_engine, SYSTEM, since=DEMO_TODAY - timedelta(days=29))["household_id"])
    assert target in now_visited and len(now_visited) == len(visited) + 1
    assert aid not in open_assignments_frame(demo_engine, sup)["id"].tolist()


def test_never_across_grid_boundaries_and_scope(demo_engine):
    hh, workers, a, b = _world(demo_engine)
    worker_a = int(workers[workers.grid_code == a]["id"].iloc[0])
    worker_b = int(workers[workers.grid_code == b]["id"].iloc[0])
    in_b = int(hh[hh.grid_code == b]["id"].iloc[0])
    in_a = hh[hh.grid_code == a]["id"].head(3).astype(int).tolist()
    with pytest.raises(AssignmentError, match="跨网格"):
        with session_scope(demo_engine) as s:
            assign_visits(session=s, actor=SYSTEM, household_ids=[in_a[0], in_b], worker_id=worker_a,
                          due_on=DEMO_TODAY, today=DEMO_TODAY)
    with pytest.raises(AccessDenied):
        with session_scope(demo_engine) as s:
            assign_visits(session=s, actor=_supervisor(a), household_ids=[in_b], worker_id=worker_b,
                          due_on=DEMO_TODAY, today=DEMO_TODAY)
    with pytest.raises(AccessDenied):
        with session_scope(demo_engine) as s:
            assign_visits(session=s, actor=Actor("x", Role.AUDITOR, None), household_ids=in_a,
                          worker_id=worker_a, due_on=DEMO_TODAY, today=DEMO_TODAY)
    with pytest.raises(AssignmentError):
        with session_scope(demo_engine) as s:
            assign_visits(session=s, actor=SYSTEM, household_ids=in_a, worker_id=worker_a,
                          due_on=DEMO_TODAY - timedelta(days=1), today=DEMO_TODAY)
    with session_scope(demo_engine) as s:  # nothing was written by the refused calls
        assert s.exec(select(VisitAssignment)).all() == []
    # bulk assign, then a second assignment of the same household is refused
    with session_scope(demo_engine) as s:
        ids = assign_visits(session=s, actor=_supervisor(a), household_ids=in_a, worker_id=worker_a,
                            due_on=DEMO_TODAY, today=DEMO_TODAY)
    assert len(ids) == 3
    with pytest.raises(AssignmentError, match="已有未完成"):
        with session_scope(demo_engine) as s:
            assign_visits(session=s, actor=SYSTEM, household_ids=in_a[:1], worker_id=worker_a,
                          due_on=DEMO_TODAY, today=DEMO_TODAY)
    # a supervisor of grid b does not see grid a's assignments or lists
    assert open_assignments_frame(demo_engine, _supervisor(b)).empty
    assert worker_visit_list(demo_engine, _supervisor(b), worker_a).empty
    assert len(worker_visit_list(demo_engine, _supervisor(a), worker_a)) == 3


def test_reassign_cancel_and_stale_edits(demo_engine):
    hh, workers, a, b = _world(demo_engine)
    wa = workers[workers.grid_code == a]["id"].astype(int).tolist()
    wb = int(workers[workers.grid_code == b]["id"].iloc[0])
    target = int(hh[hh.grid_code == a]["id"].iloc[0])
    sup = _supervisor(a)
    with session_scope(demo_engine) as s:
        [aid] = assign_visits(session=s, actor=sup, household_ids=[target], worker_id=wa[0],
                              due_on=DEMO_TODAY, today=DEMO_TODAY)
    with pytest.raises(AssignmentError):
        with session_scope(demo_engine) as s:
            reassign_visit(session=s, actor=sup, assignment_id=aid, expected_version=1, worker_id=wb)
    with session_scope(demo_engine) as s:
        reassign_visit(session=s, actor=sup, assignment_id=aid, expected_version=1, worker_id=wa[1],
                       due_on=DEMO_TODAY + timedelta(days=3), today=DEMO_TODAY)
    # a second supervisor still holding version 1 loses, and nothing changes
    with pytest.raises(StaleEdit):
        with session_scope(demo_engine) as s:
            cancel_visit(session=s, actor=sup, assignment_id=aid, expected_version=1, reason="重复")
    with pytest.raises(StaleEdit):
        with session_scope(demo_engine) as s:
            record_visit(session=s, actor=SYSTEM, assignment_id=aid, expected_version=1,
                         observations=VisitObservations(), visited_on=DEMO_TODAY)
    with pytest.raises(AssignmentError):
        with session_scope(demo_engine) as s:
            cancel_visit(session=s, actor=sup, assignment_id=aid, expected_version=2, reason=" ")
    with session_scope(demo_engine) as s:
        a_row = s.get(VisitAssignment, aid)
        assert (a_row.worker_id, a_row.version, a_row.status) == (wa[1], 2, "open")
        cancel_visit(session=s, actor=sup, assignment_id=aid, expected_version=2, reason="户主已搬离")
    with session_scope(demo_engine) as s:
        assert s.get(VisitAssignment, aid).status == "cancelled"
        assert audit.verify(s).ok
    with pytest.raises(AssignmentError):
        with session_scope(demo_engine) as s:
            record_visit(session=s, actor=SYSTEM, assignment_id=aid, expected_version=3,
                         observations=VisitObservations(), visited_on=DEMO_TODAY)


def test_bad_observations_are_refused(demo_engine):
    with pytest.raises(ValueError):
        VisitObservations(income_per_capita_yuan=-1).validate()
    with pytest.raises(ValueError):
        VisitObservations(income_per_capita_yuan=float("nan")).validate()
    VisitObservations(income_per_capita_yuan=0.0, notes="=HYPERLINK(\"x\")").validate()


def test_assign_shown_reports_households_assigned_meanwhile_and_guards_capacity(demo_engine):
    from grid.assignments import OverCapacity, assign_shown, load_after
    from grid.metrics import default_config

    hh, workers, a, _ = _world(demo_engine)
    sup = _supervisor(a)
    mine = workers[workers.grid_code == a]
    part = mine[mine.employment == "part_time"]
    w1 = int((part if len(part) else mine)["id"].iloc[0])
    w2 = int(mine["id"].iloc[-1]) if len(mine) > 1 else w1
    ids = hh[hh.grid_code == a]["id"].astype(int).tolist()
    due = DEMO_TODAY + timedelta(days=1)
    # someone else assigns the first shown household after the list was drawn
    with session_scope(demo_engine) as s:
        assign_visits(session=s, actor=sup, household_ids=ids[:1], worker_id=w2, due_on=due,
                      today=DEMO_TODAY)
    with session_scope(demo_engine) as s:
        out = assign_shown(session=s, actor=sup, household_ids=ids[:3], worker_id=w1, due_on=due,
                           today=DEMO_TODAY, confirm_over_capacity=True)
    assert sorted(out.already_assigned) == [ids[0]] and len(out.created) == 2
    open_a = open_assignments_frame(demo_engine, sup)
    assert open_a["household_id"].value_counts().max() == 1  # never twice
    # over capacity: refused without the confirmation, nothing written; then confirmed
    cap = default_config().capacity(str(mine.set_index("id").loc[w1, "employment"]))["visits_per_month"]
    many = [h for h in ids if h not in set(open_a["household_id"])][: int(cap) + 1]
    before = len(open_a)
    with pytest.raises(OverCapacity) as err:
        with session_scope(demo_engine) as s:
            assign_shown(session=s, actor=sup, household_ids=many, worker_id=w1, due_on=due,
                         today=DEMO_TODAY)
    assert "超过月走访能力" in str(err.value) and err.value.adding == len(many)
    assert load_after(err.value.load, err.value.adding, err.value.capacity)[1]
    assert len(open_assignments_frame(demo_engine, sup)) == before
    with session_scope(demo_engine) as s:
        out = assign_shown(session=s, actor=sup, household_ids=many, worker_id=w1, due_on=due,
                           today=DEMO_TODAY, confirm_over_capacity=True)
    assert len(out.created) == len(many) and not out.already_assigned
