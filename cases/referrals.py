"""Referral (转诊) to other schemes and admission (住院) to 低保/特困."""
from __future__ import annotations

import tomllib
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cases import rules
from cases.common import OUT_OF_SCOPE, OUT_OF_SCOPE_EN, case_facts, fen, flush_versioned, get_case, require_write, yuan
from cases.limits import case_limits
from cases.money import parse_amount
from cases.models import Referral
from cases.rules import (REFERRAL_SCHEMES, REFERRAL_STATUS_LABELS as STATUS_LABELS_REFERRAL,
                         ROLE_LABELS, STATUS_LABELS, CaseFacts, Category, DomainError,
                         ReferralScheme, ReferralStatus, Role, Status)
from cases.workflow import admitting, transition
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


def medical_amounts(compliant_cost_yuan: Any, insurance_paid_yuan: Any = 0):
    """(compliant cost, insurance paid, medical-assistance amount) in yuan, checked like every
    amount (cases.money.parse_amount, the configured ceiling): the amount the referral form shows
    before saving and the one refer() stores are this one computation."""
    limit = case_limits().max_medical_cost_yuan
    cost = parse_amount(compliant_cost_yuan, max_yuan=limit, what="合规医疗费用")
    paid = parse_amount(insurance_paid_yuan, max_yuan=limit, what="医保已报销金额",
                        allow_zero=True, allow_blank=True)
    if paid > cost:
        raise DomainError(f"医保已报销金额{paid}元超过合规医疗费用{cost}元",
                          "insurance paid exceeds the compliant cost", code="bad_amount")
    return cost, paid, rules.medical_reimbursement(cost, insurance_paid_yuan=paid)


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
        cost, paid, amount = medical_amounts(compliant_cost_yuan, insurance_paid_yuan)
        ref.compliant_cost_fen = fen(cost)
        ref.insurance_paid_fen = fen(paid)
        ref.reimbursed_fen = fen(amount)
    session.add(ref)
    session.flush()
    audit.record(session, actor=actor, action="referral.send", entity="aid_referral", entity_id=ref.id,
                 after={"case_id": case.id, "scheme": sch.value, "department": department,
                        "reimbursed_fen": ref.reimbursed_fen}, reason=reason)
    return ref


# Who answers a referral (accept / reject / done): the receiving department for its own scheme;
# the officers and the grid supervisor may record an answer the department gave on paper.
REFERRAL_ANSWER_ROLES = frozenset({Role.DEPARTMENT, Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER,
                                   Role.COUNTY_STAFF, Role.SYSTEM})


def may_answer_referral(actor: Actor) -> bool:
    """Whether ``actor`` may record a referral's answer (the pages show the form only then)."""
    return bool(actor.may_write) and Role(rules.role_name(actor)) in REFERRAL_ANSWER_ROLES


def check_referral_role(actor: Actor) -> None:
    if Role(rules.role_name(actor)) not in REFERRAL_ANSWER_ROLES:
        raise AccessDenied(f"{ROLE_LABELS[Role(rules.role_name(actor))]}无权办理转诊的接收或退回 "
                           "/ this role may not answer a referral",
                           en=f"The role {rules.role_name(actor)} may not accept or return a referral.",
                           code="role_denied")


def _department_scope(actor: Actor, ref: Referral) -> None:
    """A department sees and answers only the referrals sent to its own scheme; anything else
    gets the one refusal that names nothing."""
    if not actor.scheme or ref.scheme != actor.scheme:
        raise AccessDenied(f"转诊{OUT_OF_SCOPE}", en=f"The referral {OUT_OF_SCOPE_EN}.", code="out_of_scope")


def department_referrals(*, session: Session, actor: Actor, status: str | None = None) -> list[dict]:
    """The referrals sent to a department's scheme (newest first), with the person it must
    identify, the case number and its amounts; the status label in Chinese. Department (and
    system) only: every other role reads referrals on the case they belong to."""
    role = rules.role_name(actor)
    if role not in (Role.DEPARTMENT.value, Role.SYSTEM.value):
        raise AccessDenied("只有转诊承接部门使用转诊接收列表 / departments only",
                           en="Only receiving departments use the referral inbox.", code="role_denied")
    if role == Role.DEPARTMENT.value and not actor.scheme:
        return []
    from sqlmodel import select

    from cases.models import Case

    stmt = select(Referral, Case).join(Case, Referral.case_id == Case.id)
    if role == Role.DEPARTMENT.value:
        stmt = stmt.where(Referral.scheme == actor.scheme)
    if status:
        stmt = stmt.where(Referral.status == status)
    out = []
    for ref, case in session.exec(stmt.order_by(Referral.sent_on.desc(), Referral.id.desc())).all():
        out.append({
            "id": ref.id, "version": int(ref.version), "case_no": case.case_no, "scheme": ref.scheme,
            "scheme_label": REFERRAL_SCHEMES[ReferralScheme(ref.scheme)][0],
            "department": ref.department, "status": ref.status,
            "status_label": STATUS_LABELS_REFERRAL[ReferralStatus(ref.status)],
            "sent_on": ref.sent_on, "responded_on": ref.responded_on, "reason": ref.reason,
            "person_name": case.person_name, "person_id_number": case.person_id_number,
            "category": case.category, "fast_track": ref.fast_track,
            "compliant_cost_yuan": yuan(ref.compliant_cost_fen),
            "insurance_paid_yuan": yuan(ref.insurance_paid_fen),
            "reimbursed_yuan": yuan(ref.reimbursed_fen)})
    return out


def update_referral(*, session: Session, actor: Actor, referral_id: int, status: str, on_day: date,
                    reason: str = "") -> Referral:
    """The receiving side's answer: accepted / rejected (with a reason) / done. A department
    answers only referrals to its scheme (cases outside every grid of its own); other roles per
    REFERRAL_ANSWER_ROLES, scoped by the case's grid."""
    require_write(actor)
    ref = session.get(Referral, referral_id)
    if ref is None:  # the same refusal as a referral outside the actor's grids
        raise AccessDenied(f"转诊{OUT_OF_SCOPE}", en=f"The referral {OUT_OF_SCOPE_EN}.", code="out_of_scope")
    if rules.role_name(actor) == Role.DEPARTMENT.value:
        _department_scope(actor, ref)
    else:
        check_referral_role(actor)
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
def _admission_facts(session: Session, case, *, on_day: date, verified: bool | None,
                     members, family_income_yuan, dependent_severe_member,
                     member_can_register_alone, no_labour_no_income_no_supporter,
                     dibao_standard_yuan) -> tuple[rules.AdmissionFacts, object]:
    from cases import verification
    from cases.admission import admission_facts

    state = verification.case_state(session, case.id)
    std = dibao_standard_yuan if dibao_standard_yuan is not None else dibao_standard(on_day)
    facts = admission_facts(
        family_income_yuan=family_income_yuan, members=members,
        dependent_severe_member=dependent_severe_member,
        member_can_register_alone=member_can_register_alone,
        no_labour_no_income_no_supporter=no_labour_no_income_no_supporter,
        dibao_standard_yuan=std, verified=state.complete and verified is not False)
    return facts, state


def admission_preview(*, session: Session, actor: Actor, case_id: int, on_day: date,
                      members=None, family_income_yuan=None, dependent_severe_member=None,
                      member_can_register_alone=None, no_labour_no_income_no_supporter=None,
                      dibao_standard_yuan=None) -> dict:
    """The rule's verdict on the entered facts and the checklist, before anything is saved
    (the admission form shows it). Writes nothing."""
    case = get_case(session=session, actor=actor, case_id=case_id)
    facts, state = _admission_facts(
        session, case, on_day=on_day, verified=None, members=members,
        family_income_yuan=family_income_yuan, dependent_severe_member=dependent_severe_member,
        member_can_register_alone=member_can_register_alone,
        no_labour_no_income_no_supporter=no_labour_no_income_no_supporter,
        dibao_standard_yuan=dibao_standard_yuan)
    decision = rules.assess_admission(facts)
    from cases import verification

    return {"facts": asdict(facts), "decision": asdict(decision),
            "checklist_done": state.done, "checklist_total": state.total,
            "checklist_missing": [i.name for i in state.missing],
            # the missing items by code and department (a page names them in its language)
            "checklist_missing_items": [{"code": i.code, "name": i.name, "department": i.department}
                                        for i in state.missing],
            "checklist_issues": [i.name for i in state.issues],
            "message": decision.reason if state.complete else verification.missing_message(state)}


def admit(*, session: Session, actor: Actor, case_id: int, on_day: date, verified: bool | None = None,
          dependent_severe_member: bool | None = None, member_can_register_alone: bool | None = None,
          no_labour_no_income_no_supporter: bool | None = None,
          dibao_standard_yuan: float | None = None, reason: str = "", members: int | None = None,
          family_income_yuan=None) -> rules.AdmissionDecision:
    """住院: assess 低保/特困 admission (incl. the single-person rule) on the facts the officer
    entered, and record it. Refused (nothing written) while a required item of the verification
    checklist (逢进必核, cases.verification) has no result, or when a fact is missing: nothing is
    taken silently from the registry or a default. ``verified=False`` refuses as well; it can no
    longer stand in for the checklist."""
    require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    rules.check_transition(case_facts(case), "admit", actor)  # role and state before the facts
    hh = session.get(Household, case.household_id) if case.household_id else None
    if hh is None:
        raise DomainError("案件未匹配到家庭，无法评估纳入", "case has no household", code="not_matched")
    facts, state = _admission_facts(
        session, case, on_day=on_day, verified=verified, members=members,
        family_income_yuan=family_income_yuan, dependent_severe_member=dependent_severe_member,
        member_can_register_alone=member_can_register_alone,
        no_labour_no_income_no_supporter=no_labour_no_income_no_supporter,
        dibao_standard_yuan=dibao_standard_yuan)
    if not state.complete:
        from cases import verification

        verification.require_complete(session, case.id)  # raises, naming the missing items
    decision = rules.assess_admission(facts)
    if not decision.eligible:
        raise DomainError(f"不符合纳入条件：{decision.reason}",
                          f"not eligible for admission: {decision.reason_en}" if decision.reason_en
                          else "not eligible for admission",
                          code="not_eligible", decision=asdict(decision))
    with admitting():
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
                                       "single_person": decision.single_person,
                                       "case_id": case.id,
                                       "family_income_yuan": str(family_income_yuan),
                                       "facts": {k: str(v) for k, v in asdict(facts).items()},
                                       "verification_issues": [i.code for i in state.issues]},
                 reason=decision.reason)
    return decision
