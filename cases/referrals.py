"""Referral (转诊) to other schemes and admission (住院) to 低保/特困."""
from __future__ import annotations

import tomllib
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cases import rules
from cases.common import OUT_OF_SCOPE, fen, flush_versioned, get_case, require_write
from cases.limits import case_limits
from cases.money import parse_amount
from cases.models import Referral
from cases.rules import (REFERRAL_SCHEMES, STATUS_LABELS, CaseFacts, Category, DomainError,
                         ReferralScheme, ReferralStatus, Status)
from cases.workflow import transition
from grid import audit
from grid.access import AccessDenied, Actor
from grid.models import Household

DEFAULT_DIBAO_YUAN = 640.0
STANDARDS_TOML = Path(__file__).resolve().parents[1] / "data" / "standards.toml"


def dibao_standard(on: date | None = None, county: str = "321323") -> float:
    """The 低保 standard (yuan/person/month) in force on ``on``, from data/standards.toml."""
    try:
        raw = tomllib.loads(STANDARDS_TOML.read_text(encoding="utf-8"))
        rows = [r for r in raw.get("dibao", []) if str(r.get("county")) == county]
        rows.sort(key=lambda r: str(r["since"]))
        best = None
        for r in rows:
            since = r["since"] if isinstance(r["since"], date) else date.fromisoformat(str(r["since"]))
            if on is None or since <= on:
                best = float(r["yuan_per_month"])
        if best is not None:
            return best
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError):
        pass
    return DEFAULT_DIBAO_YUAN


def refer(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    scheme: str,
    on_day: date,
    reason: str = "",
    compliant_cost_yuan: Any = None,
    insurance_paid_yuan: Any = 0,
) -> Referral:
    """转诊 to another scheme; medical referrals compute the ≥70% reimbursement."""
    require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    try:
        sch = ReferralScheme(scheme)
    except ValueError:
        raise DomainError(f"未知转诊事项：{scheme}", f"unknown scheme: {scheme}", code="bad_scheme") from None
    name, department = REFERRAL_SCHEMES[sch]
    if case.status in rules.TRANSITIONS["refer"].sources:
        transition(session=session, actor=actor, case_id=case.id, name="refer", on_day=on_day,
                   reason=reason or f"转诊：{name}")
    elif case.status not in (Status.paid.value, Status.referred.value, Status.admitted.value):
        raise rules.IllegalTransition(
            f"案件状态“{STATUS_LABELS[Status(case.status)]}”下不能转诊",
            f"cannot refer a case in state '{case.status}'")
    else:
        rules.check_transition(CaseFacts(Status.accepted), "refer", actor)  # role check only
    ref = Referral(case_id=case.id, scheme=sch.value, department=department,
                   status=ReferralStatus.sent.value, sent_on=on_day, reason=reason or "",
                   fast_track=sch == ReferralScheme.medical
                   and case.category == Category.illness_or_disaster.value)
    if compliant_cost_yuan is not None:
        limit = case_limits().max_medical_cost_yuan
        compliant_cost_yuan = parse_amount(compliant_cost_yuan, max_yuan=limit, what="合规医疗费用")
        insurance_paid_yuan = parse_amount(insurance_paid_yuan, max_yuan=limit, what="医保已报销金额",
                                           allow_zero=True, allow_blank=True)
        amount = rules.medical_reimbursement(compliant_cost_yuan, insurance_paid_yuan=insurance_paid_yuan)
        ref.compliant_cost_fen = fen(compliant_cost_yuan)
        ref.insurance_paid_fen = fen(insurance_paid_yuan)
        ref.reimbursed_fen = fen(amount)
    session.add(ref)
    session.flush()
    audit.record(session, actor=actor, action="referral.send", entity="aid_referral", entity_id=ref.id,
                 after={"case_id": case.id, "scheme": sch.value, "department": department,
                        "reimbursed_fen": ref.reimbursed_fen}, reason=reason)
    return ref


def update_referral(*, session: Session, actor: Actor, referral_id: int, status: str, on_day: date,
                    reason: str = "") -> Referral:
    require_write(actor)
    ref = session.get(Referral, referral_id)
    if ref is None:  # the same refusal as a referral outside the actor's grids
        raise AccessDenied(f"转诊{OUT_OF_SCOPE}")
    get_case(session=session, actor=actor, case_id=ref.case_id)  # scope
    new = rules.check_referral_transition(ref.status, status, reason=reason)
    before = {"status": ref.status}
    ref.status = new.value
    if new in (ReferralStatus.accepted, ReferralStatus.rejected):
        ref.responded_on = on_day
    if new == ReferralStatus.done:
        ref.done_on = on_day
    if reason:
        ref.reason = reason
    session.add(ref)
    flush_versioned(session, f"转诊{ref.id}")
    audit.record(session, actor=actor, action=f"referral.{new.value}", entity="aid_referral",
                 entity_id=ref.id, before=before, after={"status": ref.status}, reason=reason)
    return ref


# ----------------------------------------------------------------------------- admission
def admit(*, session: Session, actor: Actor, case_id: int, on_day: date, verified: bool = True,
          dependent_severe_member: bool | None = None, member_can_register_alone: bool = False,
          no_labour_no_income_no_supporter: bool = False,
          dibao_standard_yuan: float | None = None, reason: str = "") -> rules.AdmissionDecision:
    """住院: assess 低保/特困 admission (incl. the single-person rule) and record it."""
    require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    hh = session.get(Household, case.household_id) if case.household_id else None
    if hh is None:
        raise DomainError("案件未匹配到家庭，无法评估纳入", "case has no household", code="not_matched")
    std = dibao_standard_yuan if dibao_standard_yuan is not None else dibao_standard(on_day)
    facts = rules.AdmissionFacts(
        members=hh.members, income_per_capita_yuan=hh.income_per_capita_yuan,
        dibao_standard_yuan=std, verified=verified,
        dependent_severe_member=(hh.severe_disability or hh.serious_illness)
        if dependent_severe_member is None else dependent_severe_member,
        member_can_register_alone=member_can_register_alone,
        no_labour_no_income_no_supporter=no_labour_no_income_no_supporter,
    )
    decision = rules.assess_admission(facts)
    if not decision.eligible:
        raise DomainError(f"不符合纳入条件：{decision.reason}", "not eligible for admission",
                          code="not_eligible", decision=asdict(decision))
    transition(session=session, actor=actor, case_id=case.id, name="admit", on_day=on_day,
               reason=reason or decision.reason)
    before = {"dibao": hh.dibao, "tekun": hh.tekun}
    if decision.scheme == "dibao":
        hh.dibao = True
    elif decision.scheme == "tekun":
        hh.tekun = True
    session.add(hh)
    session.flush()
    audit.record(session, actor=actor, action="household.admit", entity="household", entity_id=hh.id,
                 before=before, after={"dibao": hh.dibao, "tekun": hh.tekun,
                                       "single_person": decision.single_person},
                 reason=decision.reason)
    return decision
