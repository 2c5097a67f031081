"""Funds: the county reserve, village/community reserves, donations, town spending and the
year-end settlement (county 50% / town 50%)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import func, text
from sqlmodel import Session, select

from cases import rules
from cases.common import fen, require_write, yuan
from cases.limits import case_limits
from cases.models import AssistantStipend, FundMovement
from cases.money import parse_amount
from cases.rules import DomainError
from grid import audit
from grid.access import AccessDenied, Actor
from grid.models import CommunityGrid

SETTLE_ROLES = frozenset({"county_staff", "system"})
ALLOCATE_ROLES = SETTLE_ROLES
DONATION_ROLES = frozenset({"township_leader", "county_staff", "system"})


def allocate_year(*, session: Session, actor: Actor, year: int, on_day: date,
                  village_codes: Iterable[str] | None = None) -> list[FundMovement]:
    """County reserve (10 million yuan) and a 10,000-yuan petty reserve per village/community.

    County staff (or the system) only; once per year."""
    require_write(actor)
    if rules.role_name(actor) not in ALLOCATE_ROLES:
        raise AccessDenied(f"只有县民政局可以下达年度资金（{actor.username}无权）"
                           " / only county staff may allocate the year's funds",
                           en=f"Only county staff allocate the year's funds ({actor.username} may not).", code="role_denied")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise DomainError(f"年度无效：{year!r}", f"invalid year: {year!r}", code="bad_year")
    done = session.exec(select(FundMovement.id).where(FundMovement.year == year,
                                                      FundMovement.kind == "county_allocation")).first()
    if done is not None:
        raise DomainError(f"{year}年度资金已下达，不能重复下达", f"{year} is already allocated",
                          code="already_allocated")
    if village_codes is None:
        village_codes = session.exec(select(CommunityGrid.code).order_by(CommunityGrid.code)).all()
    moves = [FundMovement(year=year, on_day=on_day, kind="county_allocation", account="county_reserve",
                          amount_fen=fen(rules.COUNTY_RESERVE_YUAN), note="县级急难救助专项储备金")]
    for code in village_codes:
        moves.append(FundMovement(year=year, on_day=on_day, kind="village_reserve",
                                  account=f"village:{code}", amount_fen=fen(rules.VILLAGE_RESERVE_YUAN),
                                  note="村（居）备用金，预拨至镇街"))
    session.add_all(moves)
    session.flush()
    audit.record(session, actor=actor, action="funds.allocate", entity="aid_fund_movement",
                 entity_id=str(year), after={"movements": len(moves)})
    return moves


def record_donation(*, session: Session, actor: Actor, on_day: date, amount_yuan: Any,
                    note: str) -> FundMovement:
    """A donation into the town's account: officers only; a positive, finite amount in whole fen,
    at most the configured maximum (data/case_guards.toml)."""
    require_write(actor)
    if rules.role_name(actor) not in DONATION_ROLES:
        raise AccessDenied(f"只有镇街领导或县民政局可以登记捐赠（{actor.username}无权）"
                           " / only officers may record donations",
                           en=f"Only township leaders or county staff record donations ({actor.username} may not).", code="role_denied")
    amount = parse_amount(amount_yuan, max_yuan=case_limits().max_donation_yuan, what="捐赠金额")
    m = FundMovement(year=on_day.year, on_day=on_day, kind="donation", account="town",
                     amount_fen=fen(amount), note=(note or "")[:200])
    session.add(m)
    session.flush()
    audit.record(session, actor=actor, action="funds.donation", entity="aid_fund_movement",
                 entity_id=m.id, after={"amount_fen": m.amount_fen}, reason=note)
    return m



def _settlement_rows(session: Session, year: int) -> list[FundMovement]:
    return list(session.exec(select(FundMovement).where(
        FundMovement.year == year,
        FundMovement.kind.in_(["settlement_county", "settlement_town"]))
        .order_by(FundMovement.id)).all())


def _spent_fen(session: Session, year: int, before_id: int | None = None) -> int:
    stmt = select(func.sum(FundMovement.amount_fen)).where(FundMovement.year == year,
                                                           FundMovement.kind == "town_spend")
    if before_id is not None:
        stmt = stmt.where(FundMovement.id < before_id)
    return -int(session.exec(stmt).one() or 0)


def fund_summary(*, session: Session, actor: Actor, year: int) -> dict:
    """Reserves, donations and town spending of ``year`` and its 50/50 settlement.

    Before settlement the split is computed from the spending so far; once settled it is the
    recorded split, and spending booked afterwards shows as ``spent_after_settlement_yuan``.
    """
    rows = session.exec(select(FundMovement.kind, FundMovement.account, func.sum(FundMovement.amount_fen))
                        .where(FundMovement.year == year)
                        .group_by(FundMovement.kind, FundMovement.account)).all()
    by_kind: dict[str, int] = {}
    village = 0
    for kind, account, total in rows:
        by_kind[kind] = by_kind.get(kind, 0) + int(total or 0)
        if account.startswith("village:"):
            village += int(total or 0)
    spent = -by_kind.get("town_spend", 0)
    settled = _settlement_rows(session, year)
    settled_spent = _spent_fen(session, year, before_id=settled[0].id) if settled else spent
    county_share, town_share = rules.settlement(Decimal(settled_spent) / 100)
    if settled:  # the recorded county share wins over a recomputation
        county_share = Decimal(-by_kind.get("settlement_county", 0)) / 100
        town_share = Decimal(settled_spent) / 100 - county_share
    return {
        "year": year,
        "county_reserve_yuan": yuan(by_kind.get("county_allocation", 0)),
        "village_reserves_yuan": yuan(village),
        "donations_yuan": yuan(by_kind.get("donation", 0)),
        "town_spent_yuan": yuan(spent),
        "county_remaining_yuan": yuan(by_kind.get("county_allocation", 0)
                                      + by_kind.get("settlement_county", 0)),
        "settlement_county_yuan": float(county_share),
        "settlement_town_yuan": float(town_share),
        "settled": bool(settled),
        "settled_on": settled[0].on_day.isoformat() if settled else None,
        "spent_after_settlement_yuan": yuan(spent - settled_spent),
    }


def _lock_settlement(session: Session, year: int) -> None:
    """Serialise settlements of one year before checking whether it is already settled.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: take the database write lock now (a
    no-op UPDATE starts the write transaction; the other writer waits on busy_timeout and then
    sees the first settlement).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k, :y)"), {"k": _SETTLE_LOCK_KEY, "y": year})
    elif dialect == "sqlite":
        session.execute(text("UPDATE aid_fund_movement SET id = id WHERE 0"))


_SETTLE_LOCK_KEY = 0x4A5A_5345  # "JZSE"


def settle_year(*, session: Session, actor: Actor, year: int, on_day: date) -> dict:
    """Year-end settlement, once per year: county and town each bear 50% of the town's spending.

    County staff (or the system) only; records two fund movements and an audit entry.
    """
    require_write(actor)
    if rules.role_name(actor) not in SETTLE_ROLES:
        raise AccessDenied(f"只有县民政局可以办理年终结算（{actor.username}无权）"
                           " / only county staff may settle the year",
                           en=f"Only county staff settle the year ({actor.username} may not).", code="role_denied")
    if on_day.year < year:
        raise DomainError(f"{year}年度尚未开始，不能结算（结算日期{on_day.isoformat()}）",
                          f"cannot settle {year} on {on_day.isoformat()}", code="bad_year")
    _lock_settlement(session, year)
    done = _settlement_rows(session, year)
    if done:
        raise DomainError(
            f"{year}年度已于{done[0].on_day.isoformat()}结算，不能重复结算",
            f"year {year} was already settled on {done[0].on_day.isoformat()}",
            code="already_settled")
    has_movements = session.exec(select(FundMovement.id).where(FundMovement.year == year)).first()
    if has_movements is None:
        raise DomainError(f"{year}年度没有任何资金记录，无需结算", f"no fund movements in {year}",
                          code="nothing_to_settle")
    summary = fund_summary(session=session, actor=actor, year=year)
    share = fen(summary["settlement_county_yuan"])
    town_own = fen(summary["settlement_town_yuan"])
    session.add(FundMovement(year=year, on_day=on_day, kind="settlement_county", account="county_reserve",
                             amount_fen=-share, note="年终结算：县级承担50%，拨付镇街"))
    session.add(FundMovement(year=year, on_day=on_day, kind="settlement_town", account="town",
                             amount_fen=share,
                             note=f"年终结算：收到县级承担的50%，其余{town_own / 100:.2f}元由镇街承担"))
    session.flush()
    audit.record(session, actor=actor, action="funds.settle", entity="aid_fund_movement",
                 entity_id=str(year), after={**summary, "settled_on": on_day.isoformat()})
    return fund_summary(session=session, actor=actor, year=year)


# ----------------------------------------------------------------------------- assistant stipends
STIPEND_ROLES = DONATION_ROLES  # officers record the stipends they pay


def stipend_yuan() -> Decimal:
    """The monthly stipend of an assistance assistant: data/standards.toml [assistant_stipend]
    yuan_per_month; the county text's 200 yuan (cases.money) when the file does not set it."""
    import tomllib

    from cases.referrals import STANDARDS_TOML

    try:
        raw = tomllib.loads(STANDARDS_TOML.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return rules.ASSISTANT_STIPEND_MONTHLY_YUAN
    value = raw.get("assistant_stipend", {}).get("yuan_per_month")
    if value is None:
        return rules.ASSISTANT_STIPEND_MONTHLY_YUAN
    amount = Decimal(str(value))
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"data/standards.toml [assistant_stipend] yuan_per_month 无效：{value!r}")
    return amount


def record_stipend(*, session: Session, actor: Actor, month: str, grid_code: str, assistant_name: str,
                   paid_on: date) -> AssistantStipend:
    """The month's stipend of one community's assistance assistant, at the configured amount;
    once per community and month. Officers only; audited."""
    from cases.common import month_bounds

    require_write(actor)
    if rules.role_name(actor) not in STIPEND_ROLES:
        raise AccessDenied(f"只有镇街领导或县民政局可以登记协理员补贴（{actor.username}无权）"
                           " / only officers record stipends",
                           en=f"Only township leaders or county staff record the assistants' stipends ({actor.username} may not).", code="role_denied")
    start, _end = month_bounds(month)
    name = " ".join((assistant_name or "").split())
    if not name:
        raise DomainError("请填写协理员姓名", "the assistant's name is required", code="name_required")
    if len(name) > 32:
        raise DomainError("协理员姓名不能超过32个字", "name too long", code="name_too_long")
    if session.exec(select(CommunityGrid.id).where(CommunityGrid.code == grid_code)).first() is None:
        raise DomainError(f"村（居）/网格{grid_code}不存在", f"unknown community {grid_code}",
                          code="not_found")
    if paid_on < start:
        raise DomainError(f"发放日期不能早于{month}月", "paid before the month", code="bad_date")
    done = session.exec(select(AssistantStipend).where(AssistantStipend.month == month,
                                                       AssistantStipend.grid_code == grid_code)).first()
    if done is not None:
        raise DomainError(f"{grid_code}的{month}协理员补贴已于{done.paid_on.isoformat()}登记，不能重复登记",
                          f"{month} stipend of {grid_code} already recorded", code="already_recorded")
    row = AssistantStipend(month=month, grid_code=grid_code, assistant_name=name,
                           amount_fen=fen(stipend_yuan()), paid_on=paid_on, recorded_by=actor.username)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="funds.stipend", entity="aid_assistant_stipend",
                 entity_id=row.id, after={"month": month, "grid_code": grid_code,
                                          "amount_fen": row.amount_fen})
    return row


def stipend_report(*, session: Session, actor: Actor, year: int, through_month: str) -> list[dict]:
    """Per community: the months of ``year`` up to ``through_month`` paid and missing, and the total."""
    from grid.access import grid_filter

    grids = session.exec(select(CommunityGrid.code, CommunityGrid.name)
                         .where(grid_filter(actor, CommunityGrid.code)).order_by(CommunityGrid.code)).all()
    rows = session.exec(select(AssistantStipend).where(AssistantStipend.month.like(f"{year}-%"))).all()
    last = int(through_month[5:7]) if through_month.startswith(f"{year}-") else 12
    months = [f"{year}-{m:02d}" for m in range(1, last + 1)]
    by_grid: dict[str, list[AssistantStipend]] = {}
    for r in rows:
        by_grid.setdefault(r.grid_code, []).append(r)
    out = []
    for code, name in grids:
        paid = sorted(r.month for r in by_grid.get(code, []))
        out.append({"grid_code": code, "grid_name": name,
                    "assistant_name": (max(by_grid[code], key=lambda r: r.month).assistant_name
                                       if code in by_grid else ""),
                    "months_paid": len(paid),
                    "months_missing": "、".join(m[5:] for m in months if m not in paid),
                    "total_yuan": yuan(sum(r.amount_fen for r in by_grid.get(code, [])))})
    return out
