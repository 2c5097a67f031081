"""Named transitions of a case (cases.rules.TRANSITIONS) and the payments they make.

Guards every caller gets (the pages, the CLI, a county's script), see cases.eligibility:
- decisions and payments are dated between the case's received date (and its previous step) and
  today (Asia/Shanghai); a late entry (more than data/case_guards.toml late_entry_days before the
  ``today`` the caller passes) needs ``backdate_reason`` and is marked (aid_case.backdated,
  aid_case_event.backdated) and audited;
- amounts go through cases.money.parse_amount (finite, whole fen, positive, ≤ the configured max);
- approving or paying a grant beyond the follow-up limit is refused on the paid history;
- every payment checks the credit blacklist; an officer's override (reason kept on the case,
  audited) is the only way through.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from cases import eligibility, rules
from cases.common import (business_today, case_facts, case_id_numbers, fen, flush_versioned,
                          get_case, listed_entry, person_history, record_event, require_write,
                          snapshot)
from cases.limits import case_limits
from cases.models import Case, CaseEvent, FundMovement, Payment
from cases.money import parse_amount
from cases.rules import CATEGORY_LABELS, CaseFacts, Category, DomainError
from grid import audit
from grid.access import Actor
from grid.db import StaleEdit


# Set by cases.referrals.admit around its own transition: the only way to take "admit".
_ADMITTING: ContextVar[bool] = ContextVar("jizhen_admitting", default=False)


@contextmanager
def admitting():
    """The admission assessment (cases.referrals.admit) is taking the "admit" transition."""
    token = _ADMITTING.set(True)
    try:
        yield
    finally:
        _ADMITTING.reset(token)


def transition(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    name: str,
    on_day: date,
    reason: str = "",
    expected_version: int | None = None,
    amount_yuan: Any = None,
    review_opinion: str | None = None,
    today: date | None = None,
    backdate_reason: str | None = None,
    blacklist_override_reason: str | None = None,
) -> Case:
    """Take the named transition (see cases.rules.TRANSITIONS) on ``on_day``.

    ``today``: the business date of the caller (pages pass theirs); without it the real date in
    Asia/Shanghai bounds the future and the late-entry rule is not applied.
    """
    require_write(actor)
    if name == "admit" and not _ADMITTING.get():
        # 纳入 is the end of an assessment (cases.referrals.admit): the verification checklist and
        # the admission facts are checked there; a bare transition would skip them.
        raise DomainError("纳入低保/特困须通过纳入评估（核对清单与纳入条件），不能直接办理",
                          "admission goes through the admission assessment (cases.services.admit)",
                          code="admit_via_assessment")
    case = get_case(session=session, actor=actor, case_id=case_id)
    if expected_version is not None and case.version != expected_version:
        raise StaleEdit(f"案件{case.case_no}已被他人修改，请刷新后重试 (case changed by someone else)")
    facts = case_facts(case)
    amount = None
    if amount_yuan is not None and name in AMOUNT_STEPS:
        amount = parse_amount(amount_yuan, max_yuan=case_limits().max_case_yuan, what="批准金额")
        facts = CaseFacts(case.status, amount, matched=facts.matched, aid_first=facts.aid_first)
    target = rules.check_transition(facts, name, actor, reason=reason)
    dated = _check_date(session, case, name=name, on_day=on_day, today=today,
                        backdate_reason=backdate_reason)
    if name in GRANT_STEPS:
        _check_grant_limit(session, case, on_day)
    override = (_check_blacklist_before_pay(session, case, actor, blacklist_override_reason)
                if name in PAY_STEPS else "")
    before = snapshot(case)
    src = case.status
    amount_fen = fen(amount) if amount is not None else case.amount_requested_fen
    if name in PAY_STEPS:
        _check_paid_amount(amount_fen if name == "pay_first" else case.amount_approved_fen)
    if name in ("pay", "pay_first"):
        _pay(session, case, actor=actor, name=name, on_day=on_day, reason=reason,
             review_opinion=review_opinion, amount_fen=amount_fen)
    else:
        _record_outcome(case, name=name, on_day=on_day, reason=reason,
                        review_opinion=review_opinion, amount_fen=amount_fen)
    case.status = target.value
    if override:
        case.blacklist_override_reason = override
    if dated is not None and dated.late:
        case.backdated = True
    session.add(case)
    flush_versioned(session, f"案件{case.case_no}")
    ev = record_event(session, case, actor=actor, transition=name, from_status=src, on_day=on_day,
                      reason=reason)
    notes = [reason] if reason else []
    if dated is not None and dated.late:
        ev.backdated, ev.backdate_reason = True, backdate_reason.strip()[:500]
        notes.append(f"补录（日期{on_day.isoformat()}早于今天{dated.days_before_today}天）："
                     f"{backdate_reason.strip()}")
    if override:
        notes.append(f"失信名单放行：{override}")
    audit.record(session, actor=actor, action=f"case.{name}", entity="aid_case", entity_id=case.id,
                 before=before, after={**snapshot(case), "on_day": on_day.isoformat(),
                                       "backdated": bool(dated and dated.late)},
                 reason="；".join(notes))
    return case


AMOUNT_STEPS = frozenset({"approve_town", "approve_county", "pay_first"})
GRANT_STEPS = frozenset({"approve_town", "approve_county", "pay", "pay_first"})
PAY_STEPS = frozenset({"pay", "pay_first"})
DATED_STEPS = frozenset({"approve_town", "approve_county", "reject", "pay", "pay_first"})


def _check_date(session: Session, case: Case, *, name: str, on_day: date, today: date | None,
                backdate_reason: str | None) -> eligibility.StepDate | None:
    """Bounds of a decision or payment date (cases.eligibility.check_step_date)."""
    if name not in DATED_STEPS:
        return None
    previous = session.exec(select(func.max(CaseEvent.on_day))
                            .where(CaseEvent.case_id == case.id)).one()
    return eligibility.check_step_date(
        on_day, received_on=case.received_on, previous_on=previous,
        today=today if today is not None else business_today(),
        late_entry_days=case_limits().late_entry_days if today is not None else None,
        late_reason=backdate_reason, step_label=rules.TRANSITIONS[name].label)


def _check_grant_limit(session: Session, case: Case, on_day: date) -> None:
    """No grant beyond the follow-up limit, counted on what was actually paid (whatever the tick)."""
    key = eligibility.PersonKey(case.person_id_number, case.household_id)
    paid = eligibility.paid_grant_dates(person_history(session, key, case.category,
                                                       exclude_case_id=case.id))
    eligibility.check_follow_up(paid, on_day, derived=True)


def _check_blacklist_before_pay(session: Session, case: Case, actor: Actor,
                                override_reason: str | None) -> str:
    """Before every payment: a listed person (or household head) needs an officer's override.

    An override already on the case stands; returns a new override reason to record, else "".
    """
    entry = listed_entry(session, case_id_numbers(session, case))
    if entry is None or case.blacklist_override_reason:
        return ""
    if rules.check_blacklist(entry.reason, role=actor, override_reason=override_reason):
        return override_reason.strip()[:500]
    return ""


def _check_paid_amount(amount_fen: int | None) -> None:
    parse_amount(Decimal(amount_fen or 0) / 100, max_yuan=case_limits().max_case_yuan,
                 what="发放金额")


def _record_outcome(case: Case, *, name: str, on_day: date, reason: str,
                    review_opinion: str | None, amount_fen: int) -> None:
    """Decisions and dates that a (non-paying) transition writes on the case."""
    if name in ("approve_town", "approve_county"):
        case.decided_on = on_day
        case.amount_approved_fen = amount_fen
        case.review_opinion = review_opinion or reason or "经核实，情况属实，符合临时救助条件"
        case.decision = f"同意救助{amount_fen / 100:.2f}元"
    elif name == "reject":
        case.decided_on = on_day
        case.review_opinion = review_opinion or reason
        case.decision = f"不予救助：{reason}"
    elif name == "complete_files":
        case.files_completed_on = on_day
        if case.aid_first and not case.decided_on:
            case.decided_on = on_day
    elif name == "close":
        case.closed_on = on_day


def _pay(session: Session, case: Case, *, actor: Actor, name: str, on_day: date, reason: str,
         review_opinion: str | None, amount_fen: int) -> None:
    """Pay into the person's own account from the town's funds; aid-first also opens paperwork."""
    if name == "pay_first":
        case.aid_first = True
        case.amount_approved_fen = amount_fen
        case.review_opinion = review_opinion or f"紧急情况先行救助：{reason}"
        case.decision = f"先行救助{amount_fen / 100:.2f}元"
        dl = rules.paperwork_deadline(on_day)
        case.paperwork_due_on, case.paperwork_provisional = dl.due_on, dl.provisional
    case.aid_on = on_day
    paid = case.amount_approved_fen or 0
    session.add(Payment(case_id=case.id, paid_on=on_day, amount_fen=paid,
                        payee_name=case.person_name, account_masked="本人账户",
                        aid_first=name == "pay_first", fund_account="town",
                        paid_by=actor.username))
    session.add(FundMovement(year=on_day.year, on_day=on_day, kind="town_spend", account="town",
                             amount_fen=-paid, case_id=case.id,
                             note=f"{case.case_no} {CATEGORY_LABELS[Category(case.category)]}"))
