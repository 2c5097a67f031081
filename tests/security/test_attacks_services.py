"""Issue 10 items 3, 5 and 8 replayed as attacks through the public services, on SQLite and
PostgreSQL: backdated and future decisions, late entries without a reason, probing and writing
across grids, amounts that are not money, and services called by a role the page would not offer
the action to. Every attack must fail and write nothing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from cases import services as svc
from cases.common import OUT_OF_SCOPE, business_today, check_spot_check_result
from cases.limits import case_limits
from cases.models import TO_MATCH, Case, CaseEvent, FundMovement, Payment, SpotCheck
from cases.rules import DomainError
from grid.access import AccessDenied, Actor, Role
from grid.db import session_scope
from grid.models import AuditEntry, Household
from tests.case_guard_fixtures import _go, _intake, world  # noqa: F401 (fixture)
from tests.cases_fixtures import COUNTY, LEADER, SUP, SUP2, WORKER, ident


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


def test_a_request_cannot_be_received_in_the_future(world):
    """Intake dates are bounded like decisions: a received date after today is refused (it would
    start the deadline clock late and make a late case look on time)."""
    engine, hh = world
    with session_scope(engine) as s:
        for bad, code in ((TODAY + timedelta(days=1), "future_date"), ("2026-11-20", "bad_date")):
            with pytest.raises(DomainError) as e:
                _intake(s, household_id=hh[0], received_on=bad, today=TODAY)
            assert e.value.code == code
        with pytest.raises(DomainError) as e:  # without today= the business date bounds it
            _intake(s, household_id=hh[0], received_on=business_today() + timedelta(days=1))
        assert e.value.code == "future_date" and "未来" in e.value.zh
        assert s.exec(select(func.count()).select_from(Case)).one() == 0
        assert _intake(s, household_id=hh[0], received_on=TODAY, today=TODAY).received_on == TODAY


def test_admission_cannot_skip_the_checklist_by_a_bare_transition(world):
    """纳入 only through the admission assessment (svc.admit: checklist complete, facts entered,
    rule's verdict): the named transition "admit" called directly is refused for every role,
    county staff included, and writes nothing (found by tests/security/test_matrix_actions.py)."""
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0], received_on=TODAY, today=TODAY,
                      category="illness_or_disaster").id
        _go(s, cid, ("accept", SUP, TODAY), today=TODAY)
        version = s.get(Case, cid).version
    for actor in (COUNTY, LEADER):
        with session_scope(engine) as s, pytest.raises(DomainError) as e:
            svc.transition(session=s, actor=actor, case_id=cid, name="admit", on_day=TODAY, today=TODAY)
        assert e.value.code == "admit_via_assessment"
    with session_scope(engine) as s:
        case = s.get(Case, cid)
        assert (case.status, case.version) == ("accepted", version)
        assert not s.get(Household, hh[0]).dibao
        with pytest.raises(DomainError) as e:  # the assessment itself still refuses an empty checklist
            svc.admit(session=s, actor=COUNTY, case_id=cid, on_day=TODAY, members=3, family_income_yuan=600,
                      dependent_severe_member=False, no_labour_no_income_no_supporter=False)
        assert e.value.code != "admit_via_assessment"
