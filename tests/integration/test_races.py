"""Two users acting on the same row at the same moment: exactly one wins, the other gets StaleEdit
with a clear message, nothing is lost, and the audit chain stays intact (SQLite WAL and PostgreSQL).
"""
from __future__ import annotations

import multiprocessing as mp
import threading
from datetime import date

from sqlalchemy import func
from sqlmodel import select
from sqlmodel import Session

from grid.access import Actor, Role, SYSTEM
from grid.audit import record, verify
from grid.db import StaleEdit, session_scope, update_versioned
from grid.models import AuditEntry, VisitAssignment
from tests.access_fixtures import race_worker, small_world


def _audit(engine, action):
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)).one()


def _race(fns):
    """Run callables in threads that all start their write at the same moment; collect outcomes."""
    barrier = threading.Barrier(len(fns))
    out: list = [None] * len(fns)

    def run(i, fn):
        try:
            out[i] = ("ok", fn(barrier))
        except StaleEdit as exc:
            out[i] = ("stale", str(exc))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            out[i] = ("error", repr(exc))

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_assignment_update_race_threads(engine):
    world = small_world(engine)
    aid = world["assignment"]
    w_a, w_b = world["workers"]["G1"]

    def edit(worker_id):
        def fn(barrier):
            with session_scope(engine) as s:
                version = s.get(VisitAssignment, aid).version  # both read version 1 …
            barrier.wait(timeout=30)  # … then write at once
            with session_scope(engine) as s:
                update_versioned(s, VisitAssignment, aid, version, worker_id=worker_id)
                record(s, actor=SYSTEM, action="assignment.reassign", entity="visit_assignment",
                       entity_id=aid, before={"version": version}, after={"worker_id": worker_id})
            return worker_id
        return fn

    outcomes = _race([edit(w_b), edit(w_a)])
    kinds = sorted(o[0] for o in outcomes)
    assert kinds == ["ok", "stale"], outcomes
    winner = next(o[1] for o in outcomes if o[0] == "ok")
    stale_msg = next(o[1] for o in outcomes if o[0] == "stale")
    assert "changed by someone else" in stale_msg or "已被他人修改" in stale_msg
    with Session(engine) as s:
        a = s.get(VisitAssignment, aid)
        assert (a.version, a.worker_id) == (2, winner)  # the winner's write is kept
    assert _audit(engine, "assignment.reassign") == 1  # the loser left no trace
    # Nothing lost: the loser reloads and re-applies its change on the new version.
    loser = w_a if winner == w_b else w_b
    with session_scope(engine) as s:
        update_versioned(s, VisitAssignment, aid, 2, worker_id=loser)
    with Session(engine) as s:
        assert s.get(VisitAssignment, aid).version == 3
        assert verify(s).ok


def test_assignment_update_race_processes(db_url, engine):
    world = small_world(engine)
    aid = world["assignment"]
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [ctx.Process(target=race_worker, args=(db_url, aid, w, barrier, results))
             for w in world["workers"]["G1"]]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert sorted(o[0] for o in outcomes) == ["ok", "stale"], outcomes
    winner = next(o[1] for o in outcomes if o[0] == "ok")
    with Session(engine) as s:
        a = s.get(VisitAssignment, aid)
        assert (a.version, a.worker_id) == (2, winner)
        assert verify(s).ok
    assert _audit(engine, "assignment.reassign") == 1


def test_concurrent_audit_appends_keep_one_chain(engine):
    """Many writers appending audit rows on different entities at once never fork the chain."""
    n = 8

    def writer(i):
        def fn(barrier):
            barrier.wait(timeout=30)
            for k in range(5):
                with session_scope(engine) as s:
                    record(s, actor=SYSTEM, action="test.append", entity="t", entity_id=f"{i}-{k}")
            return i
        return fn

    outcomes = _race([writer(i) for i in range(n)])
    assert all(o[0] == "ok" for o in outcomes), outcomes
    with Session(engine) as s:
        result = verify(s)
    assert result.ok, result
    assert result.checked >= n * 5


def _case_world(engine):
    """An accepted 300-yuan case in G1, ready for the town's approval."""
    from cases import services

    world = small_world(engine)
    sup = Actor("sup", Role.GRID_SUPERVISOR, frozenset({"G1"}))
    with session_scope(engine) as s:
        case = services.intake(session=s, actor=sup, channel="grid_visit", category="accidental_injury",
                               received_on=date(2026, 11, 2), amount_yuan=300,
                               household_id=world["households"]["G1"][0], cause="车祸受伤")
        services.transition(session=s, actor=sup, case_id=case.id, name="accept", on_day=date(2026, 11, 2))
        return world, case.id, case.version


def test_two_simultaneous_approvals(engine):
    """Two town officers press “approve” on the same case at once: one approval, one StaleEdit."""
    from cases import services
    from cases.models import Case, Payment

    _world, case_id, version = _case_world(engine)
    leaders = [Actor(f"leader{i}", Role.TOWNSHIP_LEADER, None) for i in range(2)]

    def approve(actor, amount):
        def fn(barrier):
            with session_scope(engine) as s:
                seen = services.get_case(session=s, actor=actor, case_id=case_id).version
            barrier.wait(timeout=30)
            with session_scope(engine) as s:
                services.transition(session=s, actor=actor, case_id=case_id, name="approve_town",
                                    on_day=date(2026, 11, 3), expected_version=seen,
                                    amount_yuan=amount, reason=f"{actor.username} 同意")
            return actor.username
        return fn

    outcomes = _race([approve(leaders[0], 300), approve(leaders[1], 200)])
    assert [o[0] for o in outcomes].count("ok") == 1, outcomes
    winner = next(o[1] for o in outcomes if o[0] == "ok")
    with Session(engine) as s:
        case = s.get(Case, case_id)
        assert case.status == "town_approved"
        assert case.version == version + 1
        assert case.amount_approved_fen == (30000 if winner == "leader0" else 20000)
        n_events = s.exec(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "case.approve_town")).one()
        assert n_events == 1
        assert s.exec(select(func.count()).select_from(Payment)).one() == 0
        assert verify(s).ok
    _assert_clear_stale(outcomes)


def _assert_clear_stale(outcomes):
    """The loser must get StaleEdit (a clear “changed by someone else, refresh” message), not a raw
    SQLAlchemy StaleDataError from the version_id_col flush."""
    loser = next(o for o in outcomes if o[0] != "ok")
    assert loser[0] == "stale", f"loser got {loser[1]} instead of StaleEdit"
    assert "已被他人修改" in loser[1] or "changed by someone else" in loser[1]


def test_two_simultaneous_payments_pay_once(engine):
    """The dangerous race: two officers pay the same approved case; money must go out once."""
    from cases import services
    from cases.models import Payment

    _world, case_id, _ = _case_world(engine)
    leader = Actor("leader", Role.TOWNSHIP_LEADER, None)
    with session_scope(engine) as s:
        services.transition(session=s, actor=leader, case_id=case_id, name="approve_town",
                            on_day=date(2026, 11, 3), amount_yuan=300)

    def pay(name):
        actor = Actor(name, Role.TOWNSHIP_LEADER, None)

        def fn(barrier):
            with session_scope(engine) as s:
                seen = services.get_case(session=s, actor=actor, case_id=case_id).version
            barrier.wait(timeout=30)
            with session_scope(engine) as s:
                services.transition(session=s, actor=actor, case_id=case_id, name="pay",
                                    on_day=date(2026, 11, 4), expected_version=seen)
            return name
        return fn

    outcomes = _race([pay("p1"), pay("p2")])
    assert [o[0] for o in outcomes].count("ok") == 1, outcomes
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Payment)).one() == 1
        assert verify(s).ok
    _assert_clear_stale(outcomes)
