"""Eligibility and money guards through the public services (issue 9 defects 6–7, issue 10 items
3, 5, 8): each test replays the defect or the attack and expects it to fail, on SQLite and
PostgreSQL."""
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
from tests.cases_fixtures import COUNTY, LEADER, SUP, SUP2, WORKER, build_world, ident


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        w = build_world(s)
        ids = [h.id for h in w["households"]]
    return engine, ids


def _intake(s, actor=LEADER, **kw):
    base = dict(channel="window", category="expenditure", received_on=date(2025, 6, 2),
                amount_yuan=300, cause="大额医疗支出")
    base.update(kw)
    return svc.intake(session=s, actor=actor, **base)


def _go(s, cid, *steps, today=None):
    """(name, actor, day[, kwargs]) steps; ``today`` defaults to each step's own day."""
    for step in steps:
        name, actor, day = step[:3]
        kw = step[3] if len(step) > 3 else {}
        svc.transition(session=s, actor=actor, case_id=cid, name=name, on_day=day,
                       today=today or day, **kw)


def _paid_grant(s, hh_id, day, **kw):
    c = _intake(s, household_id=hh_id, received_on=day, **kw)
    _go(s, c.id, ("accept", LEADER, day), ("approve_town", LEADER, day), ("pay", LEADER, day))
    return c


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
def _list(s, id_number, name="王甲一"):
    e = svc.add_to_blacklist(session=s, actor=COUNTY, person_id_number=id_number, person_name=name,
                             reason="2024年隐瞒收入骗取临时救助", evidence="县民政局〔2024〕12号处理决定",
                             listed_on=date(2024, 8, 1))
    review_blacklist(session=s, actor=LEADER, entry_id=e.id, approve=True, note="", on_day=date(2024, 8, 2))


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


# ------------------------------------------------------------------ issue 10 item 3: dates
TODAY = date(2026, 11, 20)


def test_decisions_cannot_be_backdated_or_future_dated(world):
    engine, hh = world
    with session_scope(engine) as s:
        c = _intake(s, household_id=hh[0], received_on=date(2026, 11, 16), amount_yuan=300)
        cid = c.id
        _go(s, cid, ("accept", SUP, date(2026, 11, 17)), today=TODAY)
    attacks = [(date(2025, 1, 1), "date_before_received"), (date(2026, 11, 16), "date_before_previous"),
               (TODAY + timedelta(days=1), "future_date")]
    for day, code in attacks:
        with session_scope(engine) as s, pytest.raises(DomainError) as e:
            _go(s, cid, ("approve_town", LEADER, day), today=TODAY)
        assert e.value.code == code
    with session_scope(engine) as s:  # without today= the real date in Asia/Shanghai bounds it
        with pytest.raises(DomainError) as e:
            svc.transition(session=s, actor=LEADER, case_id=cid, name="approve_town",
                           on_day=business_today() + timedelta(days=1))
        assert e.value.code == "future_date"
        assert s.get(Case, cid).status == "accepted" and s.get(Case, cid).decided_on is None


def test_late_entry_needs_a_reason_is_marked_and_audited(world):
    engine, hh = world
    n = case_limits().late_entry_days
    later = TODAY + timedelta(days=n + 1)  # the decision of TODAY is recorded n+1 days later
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0], received_on=date(2026, 11, 16)).id
        _go(s, cid, ("accept", SUP, date(2026, 11, 17)), today=TODAY)
    with session_scope(engine) as s, pytest.raises(DomainError) as e:
        _go(s, cid, ("approve_town", LEADER, TODAY), today=later)
    assert e.value.code == "late_entry_reason_required"
    with session_scope(engine) as s:
        _go(s, cid, ("approve_town", LEADER, TODAY, {"backdate_reason": "系统停机，按纸质审批单补录"}),
            today=later)
        _go(s, cid, ("pay", LEADER, later), today=later)  # on time: not marked
    with session_scope(engine) as s:
        case = s.get(Case, cid)
        assert case.backdated and case.decided_on == TODAY
        evs = {e.transition: e for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == cid)).all()}
        assert evs["approve_town"].backdated and evs["approve_town"].backdate_reason.startswith("系统停机")
        assert not evs["pay"].backdated and not evs["accept"].backdated
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "case.approve_town")).one()
        assert "补录" in audit.reason and str(n + 1) in audit.reason


# ------------------------------------------------------------------ issue 10 item 5: scope
def _refusal(engine, fn) -> str:
    with session_scope(engine) as s, pytest.raises((AccessDenied, DomainError)) as e:
        fn(s)
    return str(e.value)


def test_intake_by_id_reveals_nothing_about_other_grids(world):
    engine, hh = world
    with session_scope(engine) as s:
        other = s.get(Household, hh[2])  # 张丙三 in G02
        other_id, other_name = other.head_id_number, other.head_name
    registered = _refusal(engine, lambda s: _intake(s, actor=SUP, person_id_number=other_id))
    unknown = _refusal(engine, lambda s: _intake(s, actor=SUP, person_id_number=ident(77)))
    assert registered == unknown
    by_household = _refusal(engine, lambda s: _intake(s, actor=SUP, household_id=hh[2]))
    missing = _refusal(engine, lambda s: _intake(s, actor=SUP, household_id=hh[-1] + 1000))
    assert by_household == missing
    # without a location nothing scopes the intake: the same "locate it" reason for both IDs
    assert "未能确定求助人所在网格" in registered
    assert OUT_OF_SCOPE in by_household
    for msg in (registered, by_household):
        for secret in ("G02", other_name, other.address, str(hh[2])):
            assert secret not in msg
    # inside one's own grid (a point in G01) the other grid's registry is not matched or copied
    with session_scope(engine) as s:
        c = _intake(s, actor=SUP, person_id_number=other_id, lon=118.6035, lat=33.7035)
        assert c.household_id is None and c.match_status == TO_MATCH
        assert c.person_name == "" and c.address == "" and c.grid_code == "G01"


def test_matching_is_scoped(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, actor=SUP, channel="hotline_12345", person_name="张某",
                      lon=118.6035, lat=33.7035, work_order_no="12345-scope-1").id
    into_g02 = _refusal(engine, lambda s: svc.match_case(session=s, actor=SUP, case_id=cid,
                                                         household_id=hh[2]))
    missing = _refusal(engine, lambda s: svc.match_case(session=s, actor=SUP, case_id=cid,
                                                        household_id=hh[-1] + 1000))
    assert into_g02 == missing and "G02" not in into_g02
    other_case = _refusal(engine, lambda s: svc.match_case(session=s, actor=SUP2, case_id=cid,
                                                           household_id=hh[2]))
    assert "G01" not in other_case
    with session_scope(engine) as s:
        assert s.get(Case, cid).household_id is None
        assert svc.match_case(session=s, actor=SUP, case_id=cid, household_id=hh[0]).household_id == hh[0]


# ------------------------------------------------------------------ issue 10 item 8: money and roles
def test_amounts_are_validated_by_every_entry_point(world):
    engine, hh = world
    with session_scope(engine) as s:
        for bad in (float("nan"), "inf", 0.001, -5, 999_999):
            with pytest.raises(DomainError) as e:
                _intake(s, household_id=hh[0], amount_yuan=bad)
            assert e.value.code == "bad_amount" and "金额" in e.value.zh
        cid = _intake(s, household_id=hh[0], received_on=date(2025, 9, 1)).id
        _go(s, cid, ("accept", SUP, date(2025, 9, 1)))
        for bad in (0.001, float("nan"), float("-inf"), 0):
            with pytest.raises(DomainError) as e:
                _go(s, cid, ("approve_town", LEADER, date(2025, 9, 2), {"amount_yuan": bad}))
            assert e.value.code == "bad_amount"
        with pytest.raises(DomainError) as e:  # the county's aid-first has the configured ceiling too
            _go(s, cid, ("pay_first", COUNTY, date(2025, 9, 2), {"amount_yuan": 999_999, "reason": "急"}))
        assert e.value.code == "bad_amount"
        _go(s, cid, ("approve_town", LEADER, date(2025, 9, 2), {"amount_yuan": "250.05"}))
        assert s.get(Case, cid).amount_approved_fen == 25005
        assert s.exec(select(func.count()).select_from(Payment)).one() == 0


def test_donations_and_allocation_check_their_own_permission_and_amount(world):
    engine, hh = world
    with session_scope(engine) as s:
        for actor in (WORKER, SUP):
            with pytest.raises(AccessDenied):
                svc.allocate_year(session=s, actor=actor, year=2025, on_day=date(2025, 1, 2))
            with pytest.raises(AccessDenied):
                svc.record_donation(session=s, actor=actor, on_day=date(2025, 3, 1), amount_yuan=100,
                                    note="捐赠")
        with pytest.raises(AccessDenied):
            svc.allocate_year(session=s, actor=LEADER, year=2025, on_day=date(2025, 1, 2))
        for bad in (-5_000_000, float("nan"), float("inf"), 0.001, 0, case_limits().max_donation_yuan + 1):
            with pytest.raises(DomainError) as e:
                svc.record_donation(session=s, actor=LEADER, on_day=date(2025, 3, 1), amount_yuan=bad,
                                    note="捐赠")
            assert e.value.code == "bad_amount"
        assert s.exec(select(func.count()).select_from(FundMovement)).one() == 0
        svc.allocate_year(session=s, actor=COUNTY, year=2025, on_day=date(2025, 1, 2))
        with pytest.raises(DomainError):
            svc.allocate_year(session=s, actor=COUNTY, year=2025, on_day=date(2025, 1, 3))
        m = svc.record_donation(session=s, actor=LEADER, on_day=date(2025, 3, 1), amount_yuan="1000.50",
                                note="爱心企业捐赠")
        assert m.amount_fen == 100050


def test_spot_check_results_only_by_officers_within_scope(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0], received_on=date(2025, 9, 1)).id
        _go(s, cid, ("pay_first", LEADER, date(2025, 9, 1), {"reason": "急"}))
        sc = SpotCheck(month="2025-09", seed="1", case_id=cid, household_id=hh[0], grid_code="G01",
                       inspector="专职2#3", drawn_on=date(2025, 10, 8))
        s.add(sc)
        s.flush()
        g02_leader = Actor("片区领导", Role.TOWNSHIP_LEADER, frozenset({"G02"}))
        for actor in (WORKER, SUP, Actor("审计", Role.AUDITOR, None), g02_leader):
            with pytest.raises(AccessDenied) as e:
                check_spot_check_result(actor, sc.grid_code)
            assert "G01" not in str(e.value)
        check_spot_check_result(LEADER, sc.grid_code)
        check_spot_check_result(COUNTY, sc.grid_code)


def test_case_lookup_cannot_be_probed_by_id(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[2], received_on=date(2025, 9, 1)).id  # a G02 case
    elsewhere = _refusal(engine, lambda s: svc.get_case(session=s, actor=SUP, case_id=cid))
    nowhere = _refusal(engine, lambda s: svc.get_case(session=s, actor=SUP, case_id=cid + 1000))
    assert elsewhere == nowhere and "G02" not in elsewhere
    with session_scope(engine) as s, pytest.raises(DomainError):  # the town sees "not found"
        svc.get_case(session=s, actor=LEADER, case_id=cid + 1000)


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
