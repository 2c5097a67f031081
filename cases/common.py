"""Shared helpers of the case services: money in fen, scope and write checks, optimistic locking,
case lookup and the case event log. Used by every ``cases.*`` service module."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from cases import rules
from cases.models import MATCHED, Case, CaseEvent
from cases.rules import CaseFacts, DomainError
from grid.access import AccessDenied, Actor
from grid.db import StaleEdit
from grid.models import CommunityGrid, Household


def fen(yuan: Any) -> int:
    return int((Decimal(str(yuan or 0)) * 100).quantize(Decimal("1")))


def yuan(fen_value: int | None) -> float | None:
    return None if fen_value is None else round(fen_value / 100.0, 2)


def require_write(actor: Actor) -> None:
    if not actor.may_write:
        raise AccessDenied(f"{actor.username}（审计）只读，不能修改数据 / read-only role")


def check_scope(actor: Actor, grid_code: str | None) -> None:
    if actor.grid_codes is None:
        return
    if grid_code is None or grid_code not in actor.grid_codes:
        raise AccessDenied(
            f"案件不在{actor.username}负责的网格内 / case outside the actor's grids ({grid_code})"
        )


def scope_filter(actor: Actor):
    if actor.grid_codes is None:
        return True
    if not actor.grid_codes:
        return False
    return Case.grid_code.in_(sorted(actor.grid_codes))


def snapshot(case: Case) -> dict:
    return {
        "status": case.status, "amount_requested_fen": case.amount_requested_fen,
        "amount_approved_fen": case.amount_approved_fen, "household_id": case.household_id,
        "grid_code": case.grid_code, "match_status": case.match_status, "aid_first": case.aid_first,
        "version": case.version,
    }


def flush_versioned(session: Session, what: str) -> None:
    """Flush; a lost optimistic-locking race becomes StaleEdit with a clear message."""
    try:
        session.flush()
    except StaleDataError:
        raise StaleEdit(f"{what}已被他人修改，请刷新后重试 (changed by someone else; reload and retry)") from None


def case_facts(case: Case) -> CaseFacts:
    return CaseFacts(case.status, Decimal(case.amount_requested_fen) / 100,
                     matched=case.match_status == MATCHED, aid_first=case.aid_first)


def get_case(*, session: Session, actor: Actor, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise DomainError(f"案件{case_id}不存在", f"case {case_id} not found", code="not_found")
    check_scope(actor, case.grid_code)
    return case


def household_grid(session: Session, household: Household) -> str | None:
    if household.grid_id is None:
        return None
    g = session.get(CommunityGrid, household.grid_id)
    return g.code if g else None


def record_event(session: Session, case: Case, *, actor: Actor, transition: str, from_status: str,
                 on_day: date, reason: str = "") -> CaseEvent:
    ev = CaseEvent(case_id=case.id, transition=transition, from_status=from_status,
                   to_status=case.status, on_day=on_day, actor=actor.username,
                   role=rules.role_name(actor), reason=reason or "")
    session.add(ev)
    return ev


def month_bounds(month: str) -> tuple[date, date]:
    try:
        y, m = (int(x) for x in month.split("-"))
        start = date(y, m, 1)
    except (ValueError, TypeError):
        raise DomainError(f"月份格式应为YYYY-MM：{month}", f"month must be YYYY-MM: {month}",
                          code="bad_month") from None
    end = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
    return start, end
