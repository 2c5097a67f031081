"""Shared helpers of the case services: money in fen, scope and write checks, optimistic locking,
case lookup and the case event log. Used by every ``cases.*`` service module."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from cases import rules
from cases.eligibility import EarlierRequest, PersonKey, same_person
from cases.models import MATCHED, BlacklistEntry, Case, CaseEvent, Payment
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
        raise AccessDenied(f"{actor.username}（审计）只读，不能修改数据 / read-only role",
                           en=f"{actor.username} has a read-only role (audit) and cannot change data.",
                           code="read_only")


# One refusal for everything outside a user's grids: it names no grid, person or household and
# reads the same whether the record exists elsewhere or not at all (nothing can be probed).
OUT_OF_SCOPE = "不在您负责的网格内，或不存在 / outside your grids or not found"
OUT_OF_SCOPE_EN = "is outside your grids or does not exist"  # the same refusal on an English page


def check_scope(actor: Actor, grid_code: str | None) -> None:
    if actor.grid_codes is None:
        return
    if grid_code is None or grid_code not in actor.grid_codes:
        raise AccessDenied(f"案件{OUT_OF_SCOPE}", en=f"The case {OUT_OF_SCOPE_EN}.", code="out_of_scope")


def in_scope(actor: Actor, grid_code: str | None) -> bool:
    return actor.grid_codes is None or (grid_code is not None and grid_code in actor.grid_codes)


def business_today() -> date:
    """The business date when a caller does not pass ``today=``: the settings' fixed date
    (JIZHEN_TODAY, demos) or else today in Asia/Shanghai. The latest date a decision or payment may
    carry."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from jizhen.settings import TIMEZONE, get_settings

    fixed = get_settings().today
    return fixed if fixed is not None else datetime.now(ZoneInfo(TIMEZONE)).date()


SPOT_CHECK_RESULT_ROLES = frozenset({"township_leader", "county_staff", "system"})


def check_spot_check_result(actor: Actor, grid_code: str | None) -> None:
    """Who may record a spot-check result: the officers who run the checks (township leader, county
    staff), and only for a household in their grids. Call it in cases.oversight.record_spot_check."""
    require_write(actor)
    if rules.role_name(actor) not in SPOT_CHECK_RESULT_ROLES:
        raise AccessDenied("只有镇街领导或县民政局可以登记抽查结果 / only officers record spot-check results",
                           en="Only township leaders or county staff record spot-check results.",
                           code="role_denied")
    if not in_scope(actor, grid_code):
        raise AccessDenied(f"抽查对象{OUT_OF_SCOPE}", en=f"The spot-check subject {OUT_OF_SCOPE_EN}.",
                           code="out_of_scope")


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
        if actor.grid_codes is not None:  # a grid user cannot tell "elsewhere" from "nowhere"
            raise AccessDenied(f"案件{OUT_OF_SCOPE}", en=f"The case {OUT_OF_SCOPE_EN}.", code="out_of_scope")
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
                   role=rules.role_name(actor), reason=(reason or "")[:500])
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


# ----------------------------------------------------------------------------- person history
def person_history(session: Session, key: PersonKey, category: str, *,
                   exclude_case_id: int | None = None) -> list[EarlierRequest]:
    """Earlier requests of the same person (cases.eligibility.same_person) for the same cause."""
    conds = []
    if key.id_norm:
        conds.append(Case.person_id_number == key.id_norm)
    if key.household_id is not None:
        conds.append(Case.household_id == key.household_id)
    if not conds:
        return []
    rows = session.exec(select(Case).where(Case.category == category, or_(*conds))).all()
    cases = [c for c in rows if c.id != exclude_case_id
             and same_person(key, PersonKey(c.person_id_number, c.household_id))]
    if not cases:
        return []
    paid: dict[int, date] = {}
    for cid, day in session.exec(select(Payment.case_id, func.min(Payment.paid_on))
                                 .where(Payment.case_id.in_([c.id for c in cases]))
                                 .group_by(Payment.case_id)).all():
        paid[cid] = day
    return [EarlierRequest(c.id, c.received_on, paid.get(c.id),
                           open=c.status in _OPEN) for c in cases]


_OPEN = frozenset(s.value for s in rules.OPEN_STATUSES)  # a request that may still become a grant


def listed_entry(session: Session, id_numbers) -> BlacklistEntry | None:
    """The active blacklist entry of any of ``id_numbers`` (the person's, the household head's)."""
    ids = sorted({(i or "").strip().upper() for i in id_numbers} - {""})
    if not ids:
        return None
    return session.exec(select(BlacklistEntry).where(
        BlacklistEntry.person_id_number.in_(ids),
        BlacklistEntry.active == True,  # noqa: E712
    ).order_by(BlacklistEntry.id.desc())).first()


def case_id_numbers(session: Session, case: Case, household: Household | None = None) -> list[str]:
    """The ID numbers a case stands for: its person's and its household head's."""
    hh = household or (session.get(Household, case.household_id) if case.household_id else None)
    return [x for x in (case.person_id_number, hh.head_id_number if hh else None) if x]
