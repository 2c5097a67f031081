"""Oversight services behind the 监督管理 page (issue 12): spot-check draw by the county only,
blacklist proposal + second-officer review + lifting, assistant stipends, the published results."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from cases import funds, intake, oversight
from cases import services as svc
from cases.models import AssistantStipend, BlacklistEntry, SpotCheck
from cases.rules import DomainError
from grid.access import SYSTEM, AccessDenied, Actor, Role
from grid.db import StaleEdit, session_scope
from grid.models import AuditEntry
from tests.cases_fixtures import AUDITOR, COUNTY, LEADER, SUP, build_world, ident

DAY = date(2025, 10, 9)
LEADER2 = Actor("镇领导庚", Role.TOWNSHIP_LEADER, None)


def _audits(s, action):
    return s.exec(select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def paid(engine):
    with session_scope(engine) as s:
        w = build_world(s)
        for h in w["households"]:
            c = svc.intake(session=s, actor=LEADER, channel="window", category="housing_loss",
                           received_on=DAY, amount_yuan=300, household_id=h.id, cause="房屋受损")
            svc.transition(session=s, actor=SYSTEM, case_id=c.id, name="pay_first", on_day=DAY,
                           today=DAY, reason="急")
    return engine


@pytest.mark.parametrize("actor", [SUP, LEADER, AUDITOR], ids=["supervisor", "leader", "auditor"])
def test_only_county_staff_draw_spot_checks(paid, actor):
    with pytest.raises(AccessDenied), session_scope(paid) as s:
        oversight.draw_spot_checks(session=s, actor=actor, month="2025-10", seed=1, drawn_on=date(2025, 11, 3))
    with session_scope(paid) as s:
        assert s.exec(select(SpotCheck)).all() == []
        assert _audits(s, "spotcheck.draw") == []


def test_county_draw_covers_30_percent_per_grid_and_results_publish_masked(paid):
    with session_scope(paid) as s:
        draws = oversight.draw_spot_checks(session=s, actor=COUNTY, month="2025-10", seed=5,
                                           drawn_on=date(2025, 11, 3))
        by_grid = {}
        for d in draws:
            by_grid[d.grid_code] = by_grid.get(d.grid_code, 0) + 1
        # G01 has 3 recipients (ceil 30% = 1), G02 has 2 (1)
        assert by_grid["G01"] >= 1 and by_grid["G02"] >= 1
        sc = draws[0]
        shown_version = sc.version
    with session_scope(paid) as s:
        with pytest.raises(DomainError) as e:
            oversight.record_spot_check(session=s, actor=COUNTY, spot_check_id=sc.id, result="problem",
                                        note="  ", checked_on=date(2025, 11, 10))
        assert "写明" in e.value.zh
    with session_scope(paid) as s:
        oversight.record_spot_check(session=s, actor=COUNTY, spot_check_id=sc.id, result="ok", note="核实无误",
                                    checked_on=date(2025, 11, 10), expected_version=shown_version)
    with pytest.raises(StaleEdit), session_scope(paid) as s:  # the form showed the old version
        oversight.record_spot_check(session=s, actor=COUNTY, spot_check_id=sc.id, result="problem",
                                    note="重复", checked_on=date(2025, 11, 11), expected_version=shown_version)
    with session_scope(paid) as s:
        assert s.get(SpotCheck, sc.id).result == "ok"
        rows = oversight.publish_spot_checks(session=s, actor=COUNTY, month="2025-10",
                                             published_on=date(2025, 11, 20))
        frame = oversight.spot_check_public_frame(rows)
        assert set(frame["result"]) <= {"无误", "待抽查", "发现问题"} and "无误" in set(frame["result"])
        assert not any("#" in str(x) for x in frame["inspector"])
        assert len(_audits(s, "spotcheck.publish")) == 1
    with pytest.raises(AccessDenied), session_scope(paid) as s:
        oversight.publish_spot_checks(session=s, actor=LEADER, month="2025-10", published_on=date(2025, 11, 20))


def test_blacklist_needs_a_second_officer_and_pending_does_not_block(engine):
    with session_scope(engine) as s:
        hh = build_world(s)["households"]
        e = intake.add_to_blacklist(session=s, actor=COUNTY, person_id_number=ident(1), person_name="王甲一",
                                    reason="隐瞒收入骗取救助", evidence="县民政局〔2025〕3号决定",
                                    listed_on=DAY)
        eid, version = e.id, e.version
        assert (e.review_status, e.active) == ("pending", False)
        hh0 = hh[0].id
    # pending: intake goes through
    with session_scope(engine) as s:
        svc.intake(session=s, actor=LEADER, channel="window", category="housing_loss", received_on=DAY,
                   amount_yuan=200, household_id=hh0, cause="房屋受损")
    with pytest.raises(DomainError) as err, session_scope(engine) as s:  # proposer cannot review
        intake.review_blacklist(session=s, actor=COUNTY, entry_id=eid, approve=True, note="", on_day=DAY)
    assert "另一名" in err.value.zh
    with pytest.raises(AccessDenied), session_scope(engine) as s:
        intake.review_blacklist(session=s, actor=SUP, entry_id=eid, approve=True, note="", on_day=DAY)
    with session_scope(engine) as s:
        intake.review_blacklist(session=s, actor=LEADER, entry_id=eid, approve=True, note="证据确凿",
                                on_day=DAY, expected_version=version)
    with session_scope(engine) as s:
        assert intake.blacklist_entry(s, ident(1)) is not None
        with pytest.raises(DomainError):
            svc.intake(session=s, actor=SUP, channel="window", category="accidental_injury", received_on=DAY,
                       amount_yuan=200, household_id=hh0, cause="再次申请")
    with pytest.raises(DomainError), session_scope(engine) as s:  # a lift needs a reason
        intake.lift_blacklist(session=s, actor=LEADER2, entry_id=eid, reason=" ", on_day=DAY)
    with session_scope(engine) as s:
        intake.lift_blacklist(session=s, actor=LEADER2, entry_id=eid, reason="信用修复期满", on_day=DAY)
        assert intake.blacklist_entry(s, ident(1)) is None
        rows = intake.blacklist_rows(session=s, actor=AUDITOR)
        assert rows[0]["state"] == "lifted" and "*" in rows[0]["person_id_number"]
        assert [a.action for a in s.exec(select(AuditEntry).where(AuditEntry.entity == "aid_blacklist")
                                         .order_by(AuditEntry.id)).all()] == [
            "blacklist.add", "blacklist.review", "blacklist.lift"]
    with pytest.raises(AccessDenied), session_scope(engine) as s:
        intake.blacklist_rows(session=s, actor=SUP)


def test_blacklist_proposal_refuses_bad_input_and_duplicates(engine):
    with session_scope(engine) as s:
        build_world(s)
    for kw, word in [({"person_id_number": "123"}, "身份证号"), ({"evidence": ""}, "证据"),
                     ({"person_name": " "}, "姓名")]:
        args = dict(person_id_number=ident(2), person_name="李乙二", reason="骗取", evidence="决定书",
                    listed_on=DAY) | kw
        with pytest.raises(DomainError) as e, session_scope(engine) as s:
            intake.add_to_blacklist(session=s, actor=COUNTY, **args)
        assert word in e.value.zh
    with session_scope(engine) as s:
        intake.add_to_blacklist(session=s, actor=COUNTY, person_id_number=ident(2), person_name="李乙二",
                                reason="骗取", evidence="决定书", listed_on=DAY)
    with pytest.raises(DomainError) as e, session_scope(engine) as s:
        intake.add_to_blacklist(session=s, actor=LEADER, person_id_number=ident(2), person_name="李乙二",
                                reason="骗取", evidence="决定书", listed_on=DAY)
    assert e.value.code == "already_listed"
    with session_scope(engine) as s:
        assert len(s.exec(select(BlacklistEntry)).all()) == 1


def test_stipend_at_configured_amount_once_per_month_and_reported(engine):
    with session_scope(engine) as s:
        build_world(s)
        r = funds.record_stipend(session=s, actor=LEADER, month="2025-10", grid_code="G01",
                                 assistant_name="协理员甲", paid_on=date(2025, 10, 31))
        assert r.amount_fen == int(funds.stipend_yuan() * 100) == 20000
    with pytest.raises(DomainError) as e, session_scope(engine) as s:
        funds.record_stipend(session=s, actor=COUNTY, month="2025-10", grid_code="G01",
                             assistant_name="协理员甲", paid_on=date(2025, 11, 1))
    assert "不能重复" in e.value.zh
    with pytest.raises(AccessDenied), session_scope(engine) as s:
        funds.record_stipend(session=s, actor=SUP, month="2025-09", grid_code="G01",
                             assistant_name="协理员甲", paid_on=date(2025, 10, 1))
    with session_scope(engine) as s:
        assert len(s.exec(select(AssistantStipend)).all()) == 1
        assert len(_audits(s, "funds.stipend")) == 1
        rep = {r["grid_code"]: r for r in funds.stipend_report(session=s, actor=COUNTY, year=2025,
                                                                through_month="2025-10")}
        assert rep["G01"]["months_paid"] == 1 and rep["G01"]["total_yuan"] == 200.0
        assert rep["G02"]["months_paid"] == 0 and rep["G02"]["months_missing"].endswith("10")
        assert "10" not in rep["G01"]["months_missing"].split("、")
