"""Named transitions of a case (cases.rules.TRANSITIONS) and the payments they make."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cases import rules
from cases.common import (case_facts, fen, flush_versioned, get_case, record_event, require_write,
                          snapshot)
from cases.models import Case, FundMovement, Payment
from cases.rules import CATEGORY_LABELS, CaseFacts, Category
from grid import audit
from grid.access import Actor
from grid.db import StaleEdit


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
) -> Case:
    """Take the named transition (see cases.rules.TRANSITIONS) on ``on_day``."""
    require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    if expected_version is not None and case.version != expected_version:
        raise StaleEdit(f"案件{case.case_no}已被他人修改，请刷新后重试 (case changed by someone else)")
    facts = case_facts(case)
    if amount_yuan is not None and name in ("approve_town", "approve_county", "pay_first"):
        facts = CaseFacts(case.status, Decimal(str(amount_yuan)),
                          matched=facts.matched, aid_first=facts.aid_first)
    target = rules.check_transition(facts, name, actor, reason=reason)
    before = snapshot(case)
    src = case.status
    amount_fen = fen(amount_yuan) if amount_yuan is not None else case.amount_requested_fen
    if name in ("pay", "pay_first"):
        _pay(session, case, actor=actor, name=name, on_day=on_day, reason=reason,
             review_opinion=review_opinion, amount_fen=amount_fen)
    else:
        _record_outcome(case, name=name, on_day=on_day, reason=reason,
                        review_opinion=review_opinion, amount_fen=amount_fen)
    case.status = target.value
    session.add(case)
    flush_versioned(session, f"案件{case.case_no}")
    record_event(session, case, actor=actor, transition=name, from_status=src, on_day=on_day,
                 reason=reason)
    audit.record(session, actor=actor, action=f"case.{name}", entity="aid_case", entity_id=case.id,
                 before=before, after=snapshot(case), reason=reason)
    return case


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
