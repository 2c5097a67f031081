"""Known-answer tests for cases.rules (pure)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cases import rules as r
from cases.rules import (
    AdmissionFacts,
    CaseFacts,
    DomainError,
    FollowUpLimitExceeded,
    IllegalTransition,
    PermissionDenied,
    Status,
)

TL, CS, GS, GW, AU = "township_leader", "county_staff", "grid_supervisor", "grid_worker", "auditor"


def walk(steps, amount=300, matched=True):
    status = Status.reported
    for name, role, *reason in steps:
        status = r.check_transition(CaseFacts(status, amount, matched), name, role,
                                    reason=reason[0] if reason else None)
    return status


# ------------------------------------------------------------------ state machine paths
def test_small_aid_path():
    assert walk([("accept", GS), ("approve_town", TL), ("pay", TL), ("complete_files", GS),
                 ("close", TL)]) == Status.closed


def test_escalation_path():
    assert walk([("accept", GS), ("escalate", TL), ("approve_county", CS), ("pay", TL),
                 ("complete_files", TL), ("close", CS)], amount=1200) == Status.closed


def test_aid_first_path():
    assert walk([("pay_first", TL, "火灾，当晚安置"), ("complete_files", GS), ("close", TL)]) \
        == Status.closed


def test_referral_and_admission_outcomes():
    assert walk([("accept", GS), ("refer", GS), ("admit", CS), ("close", CS)]) == Status.closed
    assert walk([("accept", GS), ("reject", TL, "收入超标"), ("refer", GS)]) == Status.referred


def test_town_cannot_approve_over_500():
    with pytest.raises(IllegalTransition) as e:
        r.check_transition(CaseFacts(Status.accepted, 500.01), "approve_town", TL)
    assert "500" in str(e.value) and "县" in e.value.zh and "escalate" in e.value.en
    # exactly 500 is the town's
    assert r.check_transition(CaseFacts(Status.accepted, 500), "approve_town", TL) \
        == Status.town_approved


def test_cannot_escalate_small_amount():
    with pytest.raises(IllegalTransition):
        r.check_transition(CaseFacts(Status.accepted, 500), "escalate", TL)


def test_illegal_transition_message_bilingual():
    with pytest.raises(IllegalTransition) as e:
        r.check_transition(CaseFacts(Status.reported, 100), "pay", TL)
    msg = str(e.value)
    assert "已上报" in msg and "cannot 'pay'" in msg
    assert e.value.code == "illegal_transition"
    with pytest.raises(IllegalTransition):
        r.check_transition(CaseFacts(Status.closed, 100), "accept", GS)
    with pytest.raises(IllegalTransition):
        r.check_transition(CaseFacts(Status.accepted, 100), "no_such", GS)


def test_roles():
    with pytest.raises(PermissionDenied):
        r.check_transition(CaseFacts(Status.accepted, 100), "approve_town", GS)
    with pytest.raises(PermissionDenied):
        r.check_transition(CaseFacts(Status.escalated, 900), "approve_county", TL)
    with pytest.raises(PermissionDenied):  # the town cannot reject what the county decides
        r.check_transition(CaseFacts(Status.escalated, 900), "reject", TL, reason="x")
    with pytest.raises(PermissionDenied):
        r.check_transition(CaseFacts(Status.reported, 100), "accept", GW)
    for t in r.TRANSITIONS:
        with pytest.raises(DomainError):
            r.check_transition(CaseFacts(Status.accepted, 100), t, AU, reason="x")
    with pytest.raises(PermissionDenied):
        r.check_intake_role(AU)
    r.check_intake_role(GW)


def test_role_accepts_enum_or_actor_like():
    class FakeRole:
        value = "township_leader"

    class FakeActor:
        role = FakeRole()

    assert r.check_transition(CaseFacts(Status.accepted, 10), "approve_town", FakeActor()) \
        == Status.town_approved


def test_reason_required_for_reject_and_aid_first():
    with pytest.raises(DomainError) as e:
        r.check_transition(CaseFacts(Status.accepted, 100), "reject", TL)
    assert e.value.code == "reason_required"
    with pytest.raises(DomainError):
        r.check_transition(CaseFacts(Status.accepted, 100), "pay_first", TL, reason="  ")


def test_town_aid_first_capped_county_not():
    with pytest.raises(IllegalTransition):
        r.check_transition(CaseFacts(Status.accepted, 2000), "pay_first", TL, reason="急")
    assert r.check_transition(CaseFacts(Status.accepted, 2000), "pay_first", CS, reason="急") \
        == Status.paid


def test_unmatched_hotline_case_cannot_be_accepted():
    with pytest.raises(IllegalTransition) as e:
        r.check_transition(CaseFacts(Status.reported, 100, matched=False), "accept", GS)
    assert "待匹配" in e.value.zh


def test_available_transitions():
    assert set(r.available_transitions(CaseFacts(Status.accepted, 300), TL)) == {
        "approve_town", "reject", "pay_first", "refer", "admit"}
    assert set(r.available_transitions(CaseFacts(Status.accepted, 800), TL)) == {
        "escalate", "reject", "refer", "admit"}
    assert r.available_transitions(CaseFacts(Status.accepted, 300), AU) == []
    assert r.available_transitions(CaseFacts(Status.closed, 300), CS) == []


def test_referral_status_machine():
    assert r.check_referral_transition("sent", "accepted") == r.ReferralStatus.accepted
    assert r.check_referral_transition("accepted", "done") == r.ReferralStatus.done
    with pytest.raises(DomainError):
        r.check_referral_transition("sent", "rejected")  # no reason
    assert r.check_referral_transition("sent", "rejected", reason="不符合条件") \
        == r.ReferralStatus.rejected
    with pytest.raises(IllegalTransition):
        r.check_referral_transition("done", "sent")
    assert len(r.REFERRAL_SCHEMES) == 9


# ------------------------------------------------------------------ deadlines
def test_deadlines_known_answers():
    assert r.approval_due_on(date(2025, 9, 30)) == date(2025, 10, 11)
    assert r.paperwork_due_on(date(2026, 1, 30)) == date(2026, 2, 27)
    assert r.paperwork_deadline(date(2026, 12, 20)).provisional
    assert not r.approval_deadline(date(2026, 3, 2)).provisional


def test_deadline_status():
    due = date(2026, 3, 10)  # Tuesday
    assert r.deadline_status(due, date(2026, 3, 2)) == "on_time"
    assert r.deadline_status(due, date(2026, 3, 9)) == "due_soon"
    assert r.deadline_status(due, date(2026, 3, 10)) == "due_soon"
    assert r.deadline_status(due, date(2026, 3, 11)) == "overdue"
    assert r.deadline_status(due, date(2026, 3, 20), done_on=date(2026, 3, 10)) == "on_time"
    assert r.deadline_status(due, date(2026, 3, 20), done_on=date(2026, 3, 11)) == "overdue"


# ------------------------------------------------------------------ follow-up
def test_follow_up_third_within_12_months_refused_with_dates():
    earlier = [date(2025, 6, 1), date(2025, 11, 20)]
    r.check_follow_up(earlier[:1], date(2026, 3, 1))
    with pytest.raises(FollowUpLimitExceeded) as e:
        r.check_follow_up(earlier, date(2026, 3, 1))
    assert "2025-06-01" in e.value.zh and "2025-11-20" in e.value.zh
    assert e.value.details["earlier"] == ["2025-06-01", "2025-11-20"]


def test_follow_up_window_is_twelve_months():
    earlier = [date(2025, 3, 1), date(2025, 11, 20)]
    r.check_follow_up(earlier, date(2026, 3, 1))  # 2025-03-01 is exactly a year before: outside
    with pytest.raises(FollowUpLimitExceeded):
        r.check_follow_up(earlier, date(2026, 2, 28))
    assert r.one_year_before(date(2024, 2, 29)) == date(2023, 2, 28)


# ------------------------------------------------------------------ blacklist
def test_blacklist():
    assert r.check_blacklist(None, role=GW) is False
    with pytest.raises(r.Blacklisted) as e:
        r.check_blacklist("2024年虚报收入骗取低保", role=TL)
    assert "虚报收入" in e.value.zh
    with pytest.raises(PermissionDenied):
        r.check_blacklist("骗保", role=GS, override_reason="情况紧急")
    assert r.check_blacklist("骗保", role=TL, override_reason="火灾紧急，先行救助") is True


# ------------------------------------------------------------------ medical
def test_medical_reimbursement_at_least_70_percent():
    assert r.medical_reimbursement(10000) == Decimal("7000.00")
    assert r.medical_reimbursement(10000, insurance_paid_yuan=5000) == Decimal("2000.00")
    assert r.medical_reimbursement(10000, insurance_paid_yuan=8000) == Decimal("0.00")
    assert r.medical_reimbursement("0.03") == Decimal("0.03")  # 0.021 rounds up, never below 70%
    assert r.medical_reimbursement(100, rate="0.8") == Decimal("80.00")
    with pytest.raises(DomainError):
        r.medical_reimbursement(100, rate="0.5")
    for cost in ("1.01", "333.33", "9999.99"):
        assert r.medical_reimbursement(cost) >= Decimal(cost) * Decimal("0.7")


# ------------------------------------------------------------------ admission
def test_admission_dibao_household():
    d = r.assess_admission(AdmissionFacts(3, 600, 800, True))
    assert d.eligible and d.scheme == "dibao" and not d.single_person


def test_single_person_rule():
    base = dict(members=4, dibao_standard_yuan=800, verified=True, dependent_severe_member=True)
    d = r.assess_admission(AdmissionFacts(income_per_capita_yuan=1600, **base))
    assert d.eligible and d.single_person and d.scheme == "dibao"
    assert not r.assess_admission(AdmissionFacts(income_per_capita_yuan=1600.01, **base)).eligible
    assert not r.assess_admission(
        AdmissionFacts(income_per_capita_yuan=1200, member_can_register_alone=True, **base)).eligible
    assert not r.assess_admission(AdmissionFacts(4, 1200, 800, True)).eligible


def test_admission_requires_verification_and_tekun():
    assert not r.assess_admission(AdmissionFacts(1, 0, 800, verified=False)).eligible
    d = r.assess_admission(AdmissionFacts(1, 0, 800, True, no_labour_no_income_no_supporter=True))
    assert d.scheme == "tekun"


# ------------------------------------------------------------------ masking
def test_masking():
    assert r.mask_name("张小三") == "张*三"
    assert r.mask_name("张三") == "张*"
    assert r.mask_name("欧阳小明") == "欧**明"
    assert r.mask_name("") == ""
    assert r.mask_id("32132319800101123X") == "321323********123X"
    assert r.mask_phone("13812345678") == "138****5678"


# ------------------------------------------------------------------ spot checks
def _recipients():
    out = []
    for g, n in (("G01", 10), ("G02", 3), ("G03", 1), ("G04", 7)):
        out += [(f"{g}-{i}", g) for i in range(n)]
    return out


def test_spot_check_at_least_30_percent_per_grid_and_reproducible():
    rec = _recipients()
    inspectors = ["李审", "王查", "赵核", "钱督"]
    a = r.draw_spot_checks(rec, inspectors, seed=42)
    b = r.draw_spot_checks(list(reversed(rec)), list(reversed(inspectors)), seed=42)
    assert a == b
    per = {}
    for d in a:
        per[d.grid_code] = per.get(d.grid_code, 0) + 1
        assert d.inspector in inspectors
    assert per == {"G01": 3, "G02": 1, "G03": 1, "G04": 3}
    c = r.draw_spot_checks(rec, inspectors, seed=43)
    assert [d.recipient_id for d in c] != [d.recipient_id for d in a] or \
        [d.inspector for d in c] != [d.inspector for d in a]


def test_spot_check_conflicts():
    rec = [(i, "G01") for i in range(20)]
    out = r.draw_spot_checks(rec, ["甲", "乙"], seed=1, conflicts={"G01": ["甲"]})
    assert {d.inspector for d in out} == {"乙"}
    assert len(out) == 6
    with pytest.raises(DomainError):
        r.draw_spot_checks(rec, [], seed=1)


# ------------------------------------------------------------------ funds
def test_funds():
    assert r.COUNTY_RESERVE_YUAN == Decimal("10000000")
    assert r.village_reserves_total(12) == Decimal("120000")
    assert r.settlement(1000) == (Decimal("500.00"), Decimal("500.00"))
    county, town = r.settlement("100.01")
    assert county + town == Decimal("100.01") and county == Decimal("50.00")


def test_pure_modules_do_not_import_db_or_ui():
    import ast
    import pathlib

    for mod in ("cases/calendar.py", "cases/rules.py", "cases/vocabulary.py", "cases/errors.py",
                "cases/money.py", "cases/admission.py", "cases/masking.py", "cases/sampling.py"):
        tree = ast.parse((pathlib.Path(__file__).parents[2] / mod).read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module.split(".")[0])
        assert not names & {"sqlmodel", "sqlalchemy", "streamlit", "grid", "folium"}, mod


def test_system_actor_may_take_any_transition_but_not_break_state_rules():
    assert r.check_transition(CaseFacts(Status.escalated, 900), "approve_county", "system") \
        == Status.county_approved
    with pytest.raises(IllegalTransition):
        r.check_transition(CaseFacts(Status.reported, 900), "approve_county", "system")
