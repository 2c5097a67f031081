"""Recording a spot-check result is the officers' step, within their scope (issue 10, item 8)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from cases import services as svc
from cases.models import SpotCheck
from grid.access import SYSTEM, AccessDenied, Actor, Role
from grid.db import session_scope
from tests.cases_fixtures import COUNTY, LEADER, SUP, WORKER, build_world

DAY = date(2025, 10, 9)


@pytest.fixture
def drawn(engine):
    with session_scope(engine) as s:
        w = build_world(s)
        for h in w["households"][:5]:
            c = svc.intake(session=s, actor=LEADER, channel="window", category="housing_loss",
                           received_on=DAY, amount_yuan=300, household_id=h.id, cause="房屋受损")
            svc.transition(session=s, actor=SYSTEM, case_id=c.id, name="pay_first", on_day=DAY,
                           today=DAY, reason="急")
    with session_scope(engine) as s:
        draws = svc.draw_spot_checks(session=s, actor=SYSTEM, month="2025-10", seed=7,
                                     drawn_on=date(2025, 11, 5))
        return engine, [(d.id, d.grid_code) for d in draws]


@pytest.mark.parametrize("actor", [WORKER, SUP], ids=["grid_worker", "grid_supervisor"])
def test_grid_roles_cannot_record_a_spot_check_result(drawn, actor):
    engine, draws = drawn
    sc_id = next(i for i, g in draws if g == "G01")
    with pytest.raises(AccessDenied), session_scope(engine) as s:
        svc.record_spot_check(session=s, actor=actor, spot_check_id=sc_id, result="ok",
                              note="自己登记", checked_on=date(2025, 11, 10))
    with session_scope(engine) as s:
        assert s.get(SpotCheck, sc_id).result == "pending"


def test_officer_outside_the_grid_is_refused_and_inside_it_records(drawn):
    engine, draws = drawn
    other = next(i for i, g in draws if g != "G01")
    g01 = next(i for i, g in draws if g == "G01")
    local_leader = Actor("镇领导G01", Role.TOWNSHIP_LEADER, frozenset({"G01"}))
    with pytest.raises(AccessDenied), session_scope(engine) as s:
        svc.record_spot_check(session=s, actor=local_leader, spot_check_id=other, result="problem",
                              note="越权", checked_on=date(2025, 11, 10))
    with session_scope(engine) as s:
        svc.record_spot_check(session=s, actor=COUNTY, spot_check_id=g01, result="ok",
                              note="入户核实无误", checked_on=date(2025, 11, 10))
    with session_scope(engine) as s:
        results = {sc.id: sc.result for sc in s.exec(select(SpotCheck)).all()}
    assert results[g01] == "ok" and results[other] == "pending"


# ------------------------------------------------------------------ referrals (issue 10, item 8)
@pytest.mark.parametrize("cost, paid", [(float("nan"), 0), (20000, float("inf")), ("0.001", 0),
                                        (-5, 0), (999_999_999, 0), ("abc", 0)])
def test_medical_referral_amounts_are_validated(engine, cost, paid):
    from cases.rules import DomainError

    with session_scope(engine) as s:
        w = build_world(s)
        c = svc.intake(session=s, actor=LEADER, channel="window", category="illness_or_disaster",
                       received_on=DAY, amount_yuan=300, household_id=w["households"][0].id,
                       cause="重病")
        svc.transition(session=s, actor=LEADER, case_id=c.id, name="accept", on_day=DAY)
        cid = c.id
    with pytest.raises(DomainError) as err, session_scope(engine) as s:
        svc.refer(session=s, actor=LEADER, case_id=cid, scheme="medical", on_day=DAY,
                  compliant_cost_yuan=cost, insurance_paid_yuan=paid)
    assert err.value.code == "bad_amount"
    with session_scope(engine) as s:
        from cases.models import Referral
        assert s.exec(select(Referral)).all() == []


def test_unknown_referral_is_refused_like_one_outside_the_grid(engine):
    with session_scope(engine) as s:
        build_world(s)
    with pytest.raises(AccessDenied) as err, session_scope(engine) as s:
        svc.update_referral(session=s, actor=SUP, referral_id=987654, status="accepted", on_day=DAY)
    assert "987654" not in str(err.value) and "不存在" in str(err.value)
