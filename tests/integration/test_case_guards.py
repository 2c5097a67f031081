"""Eligibility guards through the public services (issue 9 defects 6–7): each test replays the
defect and expects it to fail, on SQLite and PostgreSQL. The attacks of issue 10 (dates, scope,
money and roles) are in tests/security/test_attacks_services.py."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from cases import services as svc
from cases.intake import review_blacklist
from cases.common import OUT_OF_SCOPE, business_today, check_spot_check_result
from cases.limits import case_limits
from cases.models import TO_MATCH, Case, CaseEvent, FundMovement, Payment, SpotCheck
from cases.rules import Blacklisted, DomainError, FollowUpLimitExceeded, PermissionDenied
from grid.access import AccessDenied, Actor, Role
from grid.db import session_scope
from grid.models import AuditEntry, Household
from tests.case_guard_fixtures import _go, _intake, _list, _paid_grant, world  # noqa: F401 (fixture)
from tests.cases_fixtures import COUNTY, LEADER, SUP, SUP2, WORKER, ident


# ------------------------------------------------------------------ issue 9 defect 6: follow-up
def test_rejected_then_closed_follow_up_does_not_count(world):
    engine, hh = world
    with session_scope(engine) as s:
        _paid_grant(s, hh[4], date(2025, 6, 2), follow_up=True)
        refused = _intake(s, household_id=hh[4], received_on=date(2025, 8, 1), follow_up=True)
        _go(s, refused.id, ("reject", LEADER, date(2025, 8, 1), {"reason": "收入超标"}),
            ("close", LEADER, date(2025, 8, 2)))
        # only one grant was paid: a second follow-up is allowed and can be paid
        second = _paid_grant(s, hh[4], date(2025, 11, 20), follow_up=True)
        assert s.get(Case, second.id).status == "paid"


def test_third_paid_grant_refused_without_the_follow_up_tick(world):
    engine, hh = world
    with session_scope(engine) as s:
        _paid_grant(s, hh[4], date(2025, 6, 2))  # neither was ticked as a follow-up
        _paid_grant(s, hh[4], date(2025, 11, 20))
        third = _intake(s, household_id=hh[4], received_on=date(2026, 3, 2))  # not ticked
        assert third.follow_up is True  # derived from the paid history, not the checkbox
        report = s.exec(select(CaseEvent).where(CaseEvent.case_id == third.id)).one()
        assert "复诊" in report.reason and "2025-06-02" in report.reason
        _go(s, third.id, ("accept", LEADER, date(2026, 3, 2)))
        for name in ("approve_town", "pay_first"):
            with pytest.raises(FollowUpLimitExceeded) as e:
                _go(s, third.id, (name, LEADER, date(2026, 3, 3), {"reason": "急"}))
            assert "2025-06-02、2025-11-20" in e.value.zh and "已发放记录" in e.value.zh
        assert s.get(Case, third.id).status == "accepted"
        assert not s.exec(select(Payment).where(Payment.case_id == third.id)).all()
        # another cause is not the same cause; a year after the first grant the window has moved
        _paid_grant(s, hh[4], date(2026, 3, 2), category="care_gap")
        _paid_grant(s, hh[4], date(2026, 6, 3))


def test_two_grants_in_progress_cannot_both_become_a_third_payment(world):
    engine, hh = world
    with session_scope(engine) as s:
        _paid_grant(s, hh[0], date(2025, 6, 2))
        a = _intake(s, household_id=hh[0], received_on=date(2025, 7, 1))
        b = _intake(s, household_id=hh[0], received_on=date(2025, 7, 1))
        for c in (a, b):
            _go(s, c.id, ("accept", LEADER, date(2025, 7, 1)), ("approve_town", LEADER, date(2025, 7, 1)))
        _go(s, a.id, ("pay", LEADER, date(2025, 7, 2)))
        with pytest.raises(FollowUpLimitExceeded):  # approved earlier, but the limit holds at payment
            _go(s, b.id, ("pay", LEADER, date(2025, 7, 2)))


def test_the_same_person_is_the_id_number_or_the_matched_household(world):
    engine, hh = world
    with session_scope(engine) as s:
        head = s.get(Household, hh[1])
        member = ident(40)  # another person of the same household, with their own ID number
        _paid_grant(s, hh[1], date(2025, 6, 2))
        _paid_grant(s, hh[1], date(2025, 7, 2))
        # the member is another person: not limited by the head's grants
        c = _intake(s, household_id=hh[1], person_id_number=member, received_on=date(2025, 8, 1))
        assert c.person_id_number == member and c.follow_up is False
        _go(s, c.id, ("accept", LEADER, date(2025, 8, 1)), ("approve_town", LEADER, date(2025, 8, 1)))
        # by ID number without the household: the head again → refused at intake when ticked
        with pytest.raises(FollowUpLimitExceeded):
            _intake(s, person_id_number=head.head_id_number, follow_up=True,
                    received_on=date(2025, 8, 1), lon=118.6041, lat=33.7041)
        # a name-only hotline call matched later to the household is the same person
        call = _intake(s, channel="hotline_12345", person_name="李某", received_on=date(2025, 8, 1),
                       work_order_no="12345-guard-1")
        assert call.match_status == TO_MATCH and call.follow_up is False
        call = svc.match_case(session=s, actor=LEADER, case_id=call.id, household_id=hh[1])
        assert call.follow_up is True and call.person_id_number == head.head_id_number
        _go(s, call.id, ("accept", LEADER, date(2025, 8, 1)))
        with pytest.raises(FollowUpLimitExceeded):
            _go(s, call.id, ("approve_town", LEADER, date(2025, 8, 2)))


# ------------------------------------------------------------------ issue 9 defect 7: blacklist
def test_name_only_call_matched_to_a_listed_person_is_stopped_at_match(world):
    engine, hh = world
    with session_scope(engine) as s:
        _list(s, ident(1))
        call = _intake(s, channel="hotline_12345", person_name="王某", received_on=date(2025, 9, 1),
                       lon=118.6031, lat=33.7031, work_order_no="12345-bl-1")
        cid = call.id
        assert call.match_status == TO_MATCH and call.grid_code == "G01"
    for actor in (SUP, LEADER):
        with session_scope(engine) as s, pytest.raises(Blacklisted) as e:
            svc.match_case(session=s, actor=actor, case_id=cid, household_id=hh[0])
        assert "隐瞒收入" in e.value.zh
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        svc.match_case(session=s, actor=SUP, case_id=cid, household_id=hh[0],
                       blacklist_override_reason="情况紧急")
    with session_scope(engine) as s:
        assert s.get(Case, cid).household_id is None  # nothing written
        c = svc.match_case(session=s, actor=LEADER, case_id=cid, household_id=hh[0],
                           blacklist_override_reason="火灾致无家可归，镇街领导批准受理")
        assert c.blacklist_override_reason.startswith("火灾")
        _go(s, cid, ("accept", SUP, date(2025, 9, 1)), ("approve_town", LEADER, date(2025, 9, 2)),
            ("pay", LEADER, date(2025, 9, 2)))  # the override on file carries the case
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "case.match")).one()
        assert "失信名单放行" in audit.reason and "火灾" in audit.reason


def test_listed_after_intake_is_stopped_before_payment(world):
    engine, hh = world
    with session_scope(engine) as s:
        c = _intake(s, household_id=hh[0], received_on=date(2025, 9, 1))
        _go(s, c.id, ("accept", SUP, date(2025, 9, 1)), ("approve_town", LEADER, date(2025, 9, 2)))
        _list(s, ident(1))
        cid = c.id
    with session_scope(engine) as s, pytest.raises(Blacklisted):
        _go(s, cid, ("pay", LEADER, date(2025, 9, 3)))
    with session_scope(engine) as s:
        assert s.get(Case, cid).status == "town_approved"
        assert not s.exec(select(Payment).where(Payment.case_id == cid)).all()
        _go(s, cid, ("pay", LEADER, date(2025, 9, 3),
                     {"blacklist_override_reason": "经复核，原失信行为已整改，困难属实"}))
        case = s.get(Case, cid)
        assert case.status == "paid" and case.blacklist_override_reason.startswith("经复核")
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "case.pay")).one()
        assert "失信名单放行" in audit.reason


def test_aid_first_payment_and_household_head_listing_are_checked(world):
    engine, hh = world
    with session_scope(engine) as s:
        c = _intake(s, household_id=hh[1], received_on=date(2025, 9, 1), amount_yuan=800)
        _list(s, ident(2), name="李乙二")
        cid = c.id
    with session_scope(engine) as s, pytest.raises(Blacklisted):
        _go(s, cid, ("pay_first", COUNTY, date(2025, 9, 1), {"reason": "急"}))
    with session_scope(engine) as s, pytest.raises(Blacklisted):  # a member of a listed head's household
        _intake(s, household_id=hh[1], person_id_number=ident(41), received_on=date(2025, 9, 2))


def test_correcting_the_person_id_checks_the_blacklist_again(world):
    from cases.intake import correct_person_id

    engine, hh = world
    listed = ident(60)
    with session_scope(engine) as s:
        _list(s, listed, name="钱某")
        c = _intake(s, actor=SUP, person_name="钱某", person_id_number=ident(61),
                    lon=118.6035, lat=33.7035, received_on=date(2025, 9, 1))
        cid, version = c.id, c.version
    for actor, kw, exc in ((SUP, {}, Blacklisted), (LEADER, {}, Blacklisted),
                           (SUP, {"blacklist_override_reason": "紧急"}, PermissionDenied)):
        with session_scope(engine) as s, pytest.raises(exc):
            correct_person_id(session=s, actor=actor, case_id=cid, person_id_number=listed,
                              reason="登记时录错", expected_version=version, **kw)
    with session_scope(engine) as s:
        assert s.get(Case, cid).person_id_number == ident(61)
        c = correct_person_id(session=s, actor=LEADER, case_id=cid, person_id_number=listed,
                              reason="登记时录错", expected_version=version,
                              blacklist_override_reason="重病住院，镇街领导批准")
        assert c.person_id_number == listed and c.blacklist_override_reason.startswith("重病")
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "case.correct_person_id")).one()
        assert listed not in audit.after_json and listed not in audit.before_json  # masked in the log
        assert "失信名单放行" in audit.reason
