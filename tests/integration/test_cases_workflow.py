"""Scenario tests walking each path of the case workflow against a real database."""
from __future__ import annotations

import re

from datetime import date

import pytest
from sqlmodel import select

from cases import services as svc
from cases.intake import review_blacklist
from cases.calendar import add_working_days
from cases.models import TO_MATCH, Case, CaseEvent, FundMovement, Payment
from cases.rules import Blacklisted, DomainError, FollowUpLimitExceeded, IllegalTransition, PermissionDenied
from grid.access import SYSTEM, AccessDenied
from grid.audit import verify
from grid.db import StaleEdit, session_scope
from grid.models import AuditEntry
from tests.officer_desk_fixtures import complete_checklist
from tests.cases_fixtures import AUDITOR, COUNTY, LEADER, SUP, SUP2, WORKER, build_world, ident


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        w = build_world(s)
        ids = [h.id for h in w["households"]]
    return engine, ids


def _intake(s, actor=WORKER, **kw):
    base = dict(channel="grid_visit", category="housing_loss", received_on=date(2025, 9, 30),
                amount_yuan=300, cause="房屋漏雨倒塌")
    base.update(kw)
    return svc.intake(session=s, actor=actor, **base)


def test_small_aid_on_time_with_deadline_across_national_day(world):
    engine, hh = world
    with session_scope(engine) as s:
        c = _intake(s, household_id=hh[0], lon=118.6031, lat=33.7031)
        assert c.grid_code == "G01" and c.case_no.startswith("JZ202509-")
        assert c.approval_due_on == date(2025, 10, 11) == add_working_days(date(2025, 9, 30), 3)
        cid = c.id
    with session_scope(engine) as s:
        svc.transition(session=s, actor=SUP, case_id=cid, name="accept", on_day=date(2025, 9, 30))
        svc.transition(session=s, actor=LEADER, case_id=cid, name="approve_town", on_day=date(2025, 10, 10))
        svc.transition(session=s, actor=LEADER, case_id=cid, name="pay", on_day=date(2025, 10, 11))
        svc.transition(session=s, actor=SUP, case_id=cid, name="complete_files", on_day=date(2025, 10, 13))
        svc.transition(session=s, actor=LEADER, case_id=cid, name="close", on_day=date(2025, 10, 14))
    with session_scope(engine) as s:
        row = svc.case_detail(session=s, actor=LEADER, case_id=cid, today=date(2025, 11, 1))
        assert row["status"] == "closed" and not row["overdue"]
        assert [e["transition"] for e in row["events"]] == [
            "report", "accept", "approve_town", "pay", "complete_files", "close"]
        assert all(e["actor"] for e in row["events"])
        assert row["payments"][0]["amount_yuan"] == 300.0
        actions = [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
        assert actions == ["case.intake", "case.accept", "case.approve_town", "case.pay",
                           "case.complete_files", "case.close"]
        assert verify(s).ok


def test_small_aid_approved_late_is_overdue(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0]).id
        svc.transition(session=s, actor=SUP, case_id=cid, name="accept", on_day=date(2025, 9, 30))
    with session_scope(engine) as s:
        row = svc.list_cases(session=s, actor=LEADER, today=date(2025, 10, 10))[0]
        assert row["deadline_status"] == "due_soon" and row["working_days_left"] == 1
        row = svc.list_cases(session=s, actor=LEADER, today=date(2025, 10, 13))[0]
        assert row["deadline_status"] == "overdue" and row["overdue"]
        svc.transition(session=s, actor=LEADER, case_id=cid, name="approve_town", on_day=date(2025, 10, 13))
    with session_scope(engine) as s:
        row = svc.list_cases(session=s, actor=LEADER, today=date(2025, 10, 20))[0]
        assert row["overdue"] and row["decided_on"] == "2025-10-13"


def test_escalation_over_500(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[1], amount_yuan=1500, category="illness_or_disaster").id
        svc.transition(session=s, actor=SUP, case_id=cid, name="accept", on_day=date(2026, 3, 2))
        with pytest.raises(IllegalTransition):
            svc.transition(session=s, actor=LEADER, case_id=cid, name="approve_town", on_day=date(2026, 3, 3))
    with session_scope(engine) as s:
        svc.transition(session=s, actor=LEADER, case_id=cid, name="escalate", on_day=date(2026, 3, 3))
        with pytest.raises(PermissionDenied):
            svc.transition(session=s, actor=LEADER, case_id=cid, name="approve_county", on_day=date(2026, 3, 4))
    with session_scope(engine) as s:
        svc.transition(session=s, actor=COUNTY, case_id=cid, name="approve_county", on_day=date(2026, 3, 5),
                       amount_yuan=1200)
        svc.transition(session=s, actor=LEADER, case_id=cid, name="pay", on_day=date(2026, 3, 6))
        pay = s.exec(select(Payment).where(Payment.case_id == cid)).one()
        assert pay.amount_fen == 120000
        fm = s.exec(select(FundMovement).where(FundMovement.case_id == cid)).one()
        assert fm.amount_fen == -120000


def test_aid_first_with_late_paperwork_across_spring_festival(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0], received_on=date(2026, 1, 30)).id
        svc.transition(session=s, actor=LEADER, case_id=cid, name="pay_first", on_day=date(2026, 1, 30),
                       reason="夜间火灾，当场发放")
        c = s.get(Case, cid)
        assert c.aid_first and c.paperwork_due_on == date(2026, 2, 27)
        assert not c.paperwork_provisional
    with session_scope(engine) as s:
        row = svc.list_cases(session=s, actor=LEADER, today=date(2026, 3, 2))[0]
        assert row["deadline_step"] == "paperwork" and row["deadline_status"] == "overdue"
        svc.transition(session=s, actor=SUP, case_id=cid, name="complete_files", on_day=date(2026, 3, 3))
    with session_scope(engine) as s:
        row = svc.list_cases(session=s, actor=LEADER, today=date(2026, 3, 10))[0]
        assert row["overdue"] and row["status"] == "files_complete"


def test_aid_first_into_2027_is_provisional(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0], received_on=date(2026, 12, 24), today=date(2026, 12, 24)).id
        svc.transition(session=s, actor=LEADER, case_id=cid, name="pay_first", on_day=date(2026, 12, 24), today=date(2026, 12, 24),
                       reason="寒潮")
        row = svc.list_cases(session=s, actor=LEADER, today=date(2026, 12, 28))[0]
        assert row["paperwork_due_on"] == add_working_days(date(2026, 12, 24), 15).isoformat()
        assert row["paperwork_due_on"].startswith("2027-") and row["provisional"]


def test_referral_rejected_and_medical_reimbursement(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[1], category="illness_or_disaster", amount_yuan=400).id
        svc.transition(session=s, actor=SUP, case_id=cid, name="accept", on_day=date(2026, 3, 2))
        ref = svc.refer(session=s, actor=SUP, case_id=cid, scheme="medical", on_day=date(2026, 3, 3),
                        compliant_cost_yuan=20000, insurance_paid_yuan=9000)
        assert ref.reimbursed_fen == 500000 and ref.fast_track and ref.department == "县医疗保障局"
        ref2 = svc.refer(session=s, actor=SUP, case_id=cid, scheme="housing", on_day=date(2026, 3, 3))
        with pytest.raises(DomainError):
            svc.update_referral(session=s, actor=SUP, referral_id=ref2.id, status="rejected",
                                on_day=date(2026, 3, 9))
        svc.update_referral(session=s, actor=SUP, referral_id=ref2.id, status="rejected",
                            on_day=date(2026, 3, 9), reason="自有住房，不符合住房救助条件")
        svc.update_referral(session=s, actor=SUP, referral_id=ref.id, status="accepted", on_day=date(2026, 3, 4))
        d = svc.case_detail(session=s, actor=SUP, case_id=cid, today=date(2026, 3, 10))
        assert d["status"] == "referred"
        assert {r["status"] for r in d["referrals"]} == {"accepted", "rejected"}


def test_third_follow_up_refused_with_dates(world):
    engine, hh = world
    with session_scope(engine) as s:
        for day in (date(2025, 6, 3), date(2025, 11, 20)):
            _intake(s, household_id=hh[4], follow_up=True, category="expenditure", received_on=day)
        with pytest.raises(FollowUpLimitExceeded) as e:
            _intake(s, household_id=hh[4], follow_up=True, category="expenditure",
                    received_on=date(2026, 3, 1))
        assert "2025-06-03" in str(e.value) and "2025-11-20" in str(e.value)
        # another cause is fine, and a year later too
        _intake(s, household_id=hh[4], follow_up=True, category="care_gap", received_on=date(2026, 3, 1))
        _intake(s, household_id=hh[4], follow_up=True, category="expenditure", received_on=date(2026, 6, 4))


def test_blacklisted_intake_refused_unless_officer_overrides(world):
    engine, hh = world
    with session_scope(engine) as s:
        e = svc.add_to_blacklist(session=s, actor=COUNTY, person_id_number=ident(1), person_name="王甲一",
                                 reason="2024年隐瞒收入骗取临时救助", evidence="县民政局〔2024〕12号处理决定",
                                 listed_on=date(2024, 8, 1))
        review_blacklist(session=s, actor=LEADER, entry_id=e.id, approve=True, note="", on_day=date(2024, 8, 2))
    with session_scope(engine) as s:
        with pytest.raises(Blacklisted) as e:
            _intake(s, household_id=hh[0])
        assert "隐瞒收入" in str(e.value)
        with pytest.raises(PermissionDenied):
            _intake(s, actor=SUP, household_id=hh[0], blacklist_override_reason="紧急")
        c = _intake(s, actor=LEADER, household_id=hh[0], blacklist_override_reason="火灾致无家可归，先行受理")
        assert c.blacklist_override_reason.startswith("火灾")
        audit_row = s.exec(select(AuditEntry).where(AuditEntry.action == "case.intake")).one()
        assert "火灾" in audit_row.reason


def test_hotline_matching_unambiguous_or_queue(world):
    engine, hh = world
    with session_scope(engine) as s:
        c = _intake(s, actor=LEADER, channel="hotline_12345", person_name="李乙二", phone="13800000002",
                    work_order_no="WO-1")
        assert c.household_id == hh[1] and c.grid_code == "G01"
        # namesake with only a name: never guessed
        c2 = _intake(s, actor=LEADER, channel="hotline_110", person_name="张丙三", work_order_no="WO-2")
        assert c2.match_status == TO_MATCH and c2.household_id is None and c2.grid_code is None
        with pytest.raises(IllegalTransition):
            svc.transition(session=s, actor=LEADER, case_id=c2.id, name="accept", on_day=date(2025, 10, 9))
        svc.match_case(session=s, actor=LEADER, case_id=c2.id, household_id=hh[3], reason="电话回访确认")
        svc.transition(session=s, actor=LEADER, case_id=c2.id, name="accept", on_day=date(2025, 10, 9))
        assert s.get(Case, c2.id).grid_code == "G02"
        with pytest.raises(DomainError):
            _intake(s, actor=LEADER, channel="hotline_110", person_name="x", work_order_no="WO-1")


def test_scope_and_read_only(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0]).id
        with pytest.raises(AccessDenied):
            _intake(s, actor=SUP2, household_id=hh[0])
        with pytest.raises(AccessDenied):
            svc.transition(session=s, actor=SUP2, case_id=cid, name="accept", on_day=date(2025, 10, 9))
        with pytest.raises(AccessDenied):
            svc.transition(session=s, actor=AUDITOR, case_id=cid, name="accept", on_day=date(2025, 10, 9))
        assert svc.list_cases(session=s, actor=SUP2, today=date(2025, 10, 9)) == []
        assert len(svc.list_cases(session=s, actor=AUDITOR, today=date(2025, 10, 9))) == 1


def test_optimistic_locking(world):
    engine, hh = world
    with session_scope(engine) as s:
        c = _intake(s, household_id=hh[0])
        cid, v = c.id, c.version
    with session_scope(engine) as s:
        svc.transition(session=s, actor=SUP, case_id=cid, name="accept", on_day=date(2025, 10, 9),
                       expected_version=v)
    with session_scope(engine) as s:
        with pytest.raises(StaleEdit):
            svc.transition(session=s, actor=LEADER, case_id=cid, name="approve_town",
                           on_day=date(2025, 10, 9), expected_version=v)


def test_admission_single_person_rule(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[1], category="illness_or_disaster").id  # 1100/month, severe
        svc.transition(session=s, actor=SUP, case_id=cid, name="accept", on_day=date(2026, 3, 2))
        complete_checklist(s, cid, day=date(2026, 3, 6))  # 逢进必核 before admission
        d = svc.admit(session=s, actor=COUNTY, case_id=cid, on_day=date(2026, 3, 9),
                      dibao_standard_yuan=640, family_income_yuan=4400, members=4,
                      dependent_severe_member=True, member_can_register_alone=False,
                      no_labour_no_income_no_supporter=False)
        assert d.single_person and d.scheme == "dibao"
        _intake(s, actor=LEADER, household_id=hh[2], category="expenditure")  # 900/month, no severe member
    with session_scope(engine) as s:
        c2 = s.exec(select(Case).where(Case.household_id == hh[2])).one()
        svc.transition(session=s, actor=LEADER, case_id=c2.id, name="accept", on_day=date(2026, 3, 2))
        with pytest.raises(DomainError) as e:
            complete_checklist(s, c2.id, day=date(2026, 3, 6))
            svc.admit(session=s, actor=COUNTY, case_id=c2.id, on_day=date(2026, 3, 9), dibao_standard_yuan=640,
                      family_income_yuan=1800, members=2, dependent_severe_member=False,
                      member_can_register_alone=None, no_labour_no_income_no_supporter=False)
        assert e.value.code == "not_eligible"
        # the refusal gives the rule's verdict in each language
        verdict = e.value.details["decision"]
        assert e.value.zh == f"不符合纳入条件：{verdict['reason']}"
        assert e.value.en == f"not eligible for admission: {verdict['reason_en']}" and verdict["reason_en"]


def test_household_timeline(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0]).id
        svc.transition(session=s, actor=SYSTEM, case_id=cid, name="pay_first", on_day=date(2025, 10, 1),
                       reason="急")
        svc.refer(session=s, actor=SYSTEM, case_id=cid, scheme="dibao", on_day=date(2025, 10, 2))
        tl = svc.household_timeline(session=s, actor=LEADER, household_id=hh[0])
        kinds = [i["kind"] for i in tl]
        assert {"case", "decision", "payment", "referral"} <= set(kinds)
        assert [i["on"] for i in tl] == sorted(i["on"] for i in tl)
        # each row carries its codes: its Chinese is exactly the text built, its English has no
        # Chinese but people's own words (the cause reported, the reason typed: 急)
        cause = s.get(Case, cid).cause
        from dashboard.texts_household import timeline_word
        from grid.household_file import timeline_text
        for i in tl:
            assert timeline_text(i["title_src"]) == i["title"], i
            assert timeline_text(i["detail_src"]) == (i["detail"] or ""), i
            en = timeline_text(i["title_src"], "en", timeline_word) + timeline_text(i["detail_src"], "en", timeline_word)
            assert not re.search(r"[\u4e00-\u9fff]", en.replace(cause, "").replace("急", "")), en
        paid = [i for i in tl if i["kind"] == "payment"]
        assert paid and timeline_text(paid[0]["detail_src"], "en", timeline_word) == "aid first, paperwork after"
        with pytest.raises(AccessDenied):
            svc.household_timeline(session=s, actor=SUP2, household_id=hh[0])


def test_events_record_who_when_why(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _intake(s, household_id=hh[0]).id
        svc.transition(session=s, actor=LEADER, case_id=cid, name="reject", on_day=date(2025, 10, 9),
                       reason="经核实家庭收入超标")
        ev = s.exec(select(CaseEvent).where(CaseEvent.case_id == cid, CaseEvent.transition == "reject")).one()
        assert (ev.actor, ev.role, ev.reason, ev.on_day) == (
            "镇领导丁", "township_leader", "经核实家庭收入超标", date(2025, 10, 9))
