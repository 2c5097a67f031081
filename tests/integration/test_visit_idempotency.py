"""Saving a visit on a weak connection, on SQLite and PostgreSQL: a resend of the same form (same
idempotency key) returns the visit already recorded and writes nothing; the key is UNIQUE in the
database, so even a save that raced past the check finds the first visit. Ad-hoc visits (a
household met without an assignment) stay within the worker's own grid."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import grid.visits as visits_mod
from grid.access import SYSTEM, AccessDenied, Actor, Role
from grid.assignments import AssignmentError, assign_visits
from grid.db import session_scope
from grid.frames import households_frame, workers_frame
from grid.models import AuditEntry, Visit, VisitAssignment
from grid.risk_models import RiskScore
from grid.visits import (VisitObservations, new_idempotency_key, record_visit, save_adhoc_visit,
                         save_visit)
from tests.conftest import DEMO_TODAY

OBS = VisitObservations(income_per_capita_yuan=300.0, care_gap=True, notes="门口遇到户主")


def _world(engine):
    hh = households_frame(engine, SYSTEM)
    workers = workers_frame(engine, SYSTEM)
    a, b = sorted(hh["grid_code"].unique())[:2]
    worker = int(workers[workers.grid_code == a]["id"].iloc[0])
    mine = hh[hh.grid_code == a]["id"].astype(int).tolist()
    other = hh[hh.grid_code == b]["id"].astype(int).tolist()
    actor = Actor("w1", Role.GRID_WORKER, frozenset({a}), worker_id=worker)
    return actor, worker, mine, other


def _assign(engine, household_id, worker):
    with session_scope(engine) as s:
        [aid] = assign_visits(session=s, actor=SYSTEM, household_ids=[household_id], worker_id=worker,
                              due_on=DEMO_TODAY + timedelta(days=3), today=DEMO_TODAY)
    return aid


def _counts(engine, household_id):
    with session_scope(engine) as s:
        visits = s.exec(select(func.count()).select_from(Visit)
                        .where(Visit.household_id == household_id)).one()[0]
        scores = s.exec(select(func.count()).select_from(RiskScore)
                        .where(RiskScore.household_id == household_id)).one()[0]
        audits = s.exec(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "visit.record")).one()[0]
    return visits, scores, audits


def test_a_resend_of_the_same_form_returns_the_visit_already_recorded(demo_engine):
    actor, worker, mine, _ = _world(demo_engine)
    hid = mine[0]
    aid = _assign(demo_engine, hid, worker)
    key = new_idempotency_key()
    before = _counts(demo_engine, hid)
    kwargs = dict(actor=actor, assignment_id=aid, expected_version=1, observations=OBS,
                  visited_on=DEMO_TODAY, today=DEMO_TODAY, idempotency_key=key)
    with session_scope(demo_engine) as s:
        first = save_visit(session=s, **kwargs)
    assert not first.already_recorded
    after_first = _counts(demo_engine, hid)
    assert after_first == (before[0] + 1, before[1] + 1, before[2] + 1)
    # the resend carries the version the form was drawn with (1), the assignment is now done (2)
    with session_scope(demo_engine) as s:
        again = save_visit(session=s, **kwargs)
    with session_scope(demo_engine) as s:
        vid = record_visit(session=s, **kwargs)
    assert again.already_recorded and again.visit_id == first.visit_id == vid
    assert _counts(demo_engine, hid) == after_first  # no visit, score or audit row more
    with session_scope(demo_engine) as s:
        a = s.get(VisitAssignment, aid)
        assert a.status == "done" and a.visit_id == first.visit_id and a.version == 2
        assert s.get(Visit, first.visit_id).idempotency_key == key


def test_without_a_key_a_second_save_is_refused_not_recorded(demo_engine):
    actor, worker, mine, _ = _world(demo_engine)
    aid = _assign(demo_engine, mine[1], worker)
    kwargs = dict(actor=actor, assignment_id=aid, expected_version=1, observations=OBS,
                  visited_on=DEMO_TODAY, today=DEMO_TODAY)
    with session_scope(demo_engine) as s:
        record_visit(session=s, **kwargs)
    with pytest.raises(AssignmentError):
        with session_scope(demo_engine) as s:
            record_visit(session=s, **kwargs)
    assert _counts(demo_engine, mine[1])[0] >= 1


def test_a_key_belongs_to_one_form(demo_engine):
    actor, worker, mine, _ = _world(demo_engine)
    a1, a2 = _assign(demo_engine, mine[2], worker), _assign(demo_engine, mine[3], worker)
    key = new_idempotency_key()
    with session_scope(demo_engine) as s:
        save_visit(session=s, actor=actor, assignment_id=a1, expected_version=1, observations=OBS,
                   visited_on=DEMO_TODAY, today=DEMO_TODAY, idempotency_key=key)
    with pytest.raises(ValueError, match="另一条走访记录"):
        with session_scope(demo_engine) as s:
            save_visit(session=s, actor=actor, assignment_id=a2, expected_version=1,
                       observations=OBS, visited_on=DEMO_TODAY, today=DEMO_TODAY,
                       idempotency_key=key)
    with pytest.raises(ValueError, match="提交编号"):
        with session_scope(demo_engine) as s:
            save_visit(session=s, actor=actor, assignment_id=a2, expected_version=1,
                       observations=OBS, visited_on=DEMO_TODAY, today=DEMO_TODAY,
                       idempotency_key="x' OR 1=1")
    with session_scope(demo_engine) as s:
        assert s.get(VisitAssignment, a2).status == "open"


def test_the_key_is_unique_in_the_database(demo_engine):
    _, worker, mine, _ = _world(demo_engine)
    key = new_idempotency_key()
    with session_scope(demo_engine) as s:
        s.add(Visit(household_id=mine[4], worker_id=worker, visited_on=DEMO_TODAY, idempotency_key=key))
    with pytest.raises(IntegrityError):
        with session_scope(demo_engine) as s:
            s.add(Visit(household_id=mine[4], worker_id=worker, visited_on=DEMO_TODAY,
                        idempotency_key=key))
    with session_scope(demo_engine) as s:  # visits without a key (imports, older rows) are many
        s.add(Visit(household_id=mine[4], worker_id=worker, visited_on=DEMO_TODAY))
        s.add(Visit(household_id=mine[4], worker_id=worker, visited_on=DEMO_TODAY))


def test_a_save_that_raced_past_the_check_finds_the_first_visit(demo_engine, monkeypatch):
    """Two sends of one form: the second read "not recorded yet" before the first committed.
    Its insert hits the unique key; it answers with the first visit and writes nothing."""
    actor, worker, mine, _ = _world(demo_engine)
    hid = mine[5]
    key = new_idempotency_key()
    kwargs = dict(actor=actor, household_id=hid, observations=OBS, visited_on=DEMO_TODAY,
                  today=DEMO_TODAY, idempotency_key=key)
    with session_scope(demo_engine) as s:
        first = save_adhoc_visit(session=s, **kwargs)
    counts = _counts(demo_engine, hid)
    real, calls = visits_mod._already_recorded, []

    def stale_check(*args, **kw):  # the check ran before the first save committed
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kw)

    monkeypatch.setattr(visits_mod, "_already_recorded", stale_check)
    with session_scope(demo_engine) as s:
        again = save_adhoc_visit(session=s, **kwargs)
    assert len(calls) == 2  # the stale check, then the lookup after the unique key refused
    assert again.already_recorded and again.visit_id == first.visit_id
    assert _counts(demo_engine, hid) == counts


def test_adhoc_visit_in_own_grid_is_recorded_and_scored(demo_engine):
    actor, worker, mine, _ = _world(demo_engine)
    hid = mine[6]
    before = _counts(demo_engine, hid)
    with session_scope(demo_engine) as s:
        saved = save_adhoc_visit(session=s, actor=actor, household_id=hid, observations=OBS,
                                 visited_on=DEMO_TODAY, today=DEMO_TODAY,
                                 idempotency_key=new_idempotency_key())
    assert not saved.already_recorded
    assert _counts(demo_engine, hid) == (before[0] + 1, before[1] + 1, before[2] + 1)
    with session_scope(demo_engine) as s:
        v = s.get(Visit, saved.visit_id)
        assert (v.worker_id, v.household_id, v.care_gap, v.notes) == (worker, hid, True, "门口遇到户主")
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "visit",
                                                AuditEntry.entity_id == str(saved.visit_id))).one()[0]
        assert '"adhoc": true' in entry.after_json


def test_adhoc_visit_closes_the_workers_own_open_assignment(demo_engine):
    actor, worker, mine, _ = _world(demo_engine)
    aid = _assign(demo_engine, mine[7], worker)
    with session_scope(demo_engine) as s:
        saved = save_adhoc_visit(session=s, actor=actor, household_id=mine[7], observations=OBS,
                                 visited_on=DEMO_TODAY, today=DEMO_TODAY)
    with session_scope(demo_engine) as s:
        a = s.get(VisitAssignment, aid)
        assert a.status == "done" and a.visit_id == saved.visit_id


def test_adhoc_visit_outside_own_grid_or_by_others_is_refused(demo_engine):
    actor, worker, mine, other = _world(demo_engine)
    kwargs = dict(observations=OBS, visited_on=DEMO_TODAY, today=DEMO_TODAY)
    before = _counts(demo_engine, other[0])[0]
    with pytest.raises(AccessDenied, match="不在您负责的网格"):
        with session_scope(demo_engine) as s:
            save_adhoc_visit(session=s, actor=actor, household_id=other[0], **kwargs)
    # a worker account scoped to every grid is still held to the worker's own grid
    wide = Actor("w1", Role.GRID_WORKER, None, worker_id=worker)
    with pytest.raises(AccessDenied):
        with session_scope(demo_engine) as s:
            save_adhoc_visit(session=s, actor=wide, household_id=other[0], **kwargs)
    assert _counts(demo_engine, other[0])[0] == before
    unlinked = Actor("w2", Role.GRID_WORKER, actor.grid_codes, worker_id=None)
    sup = Actor("sup", Role.GRID_SUPERVISOR, actor.grid_codes)
    auditor = Actor("aud", Role.AUDITOR, None)
    for who in (unlinked, sup, auditor):
        with pytest.raises(AccessDenied):
            with session_scope(demo_engine) as s:
                save_adhoc_visit(session=s, actor=who, household_id=mine[8], **kwargs)
    with pytest.raises(LookupError):
        with session_scope(demo_engine) as s:
            save_adhoc_visit(session=s, actor=actor, household_id=10**9, **kwargs)
