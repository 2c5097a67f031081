"""Funds: the county reserve, village/community reserves, donations, town spending and the
year-end settlement (county 50% / town 50%)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import func
from sqlmodel import Session, select

from cases import rules
from cases.common import fen, require_write, yuan
from cases.models import FundMovement
from cases.rules import DomainError
from grid import audit
from grid.access import Actor
from grid.models import CommunityGrid


def allocate_year(*, session: Session, actor: Actor, year: int, on_day: date,
                  village_codes: Iterable[str] | None = None) -> list[FundMovement]:
    """County reserve (10 million yuan) and a 10,000-yuan petty reserve per village/community."""
    require_write(actor)
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
    require_write(actor)
    m = FundMovement(year=on_day.year, on_day=on_day, kind="donation", account="town",
                     amount_fen=fen(amount_yuan), note=note)
    session.add(m)
    session.flush()
    audit.record(session, actor=actor, action="funds.donation", entity="aid_fund_movement",
                 entity_id=m.id, after={"amount_fen": m.amount_fen}, reason=note)
    return m


def fund_summary(*, session: Session, actor: Actor, year: int) -> dict:
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
    county_share, town_share = rules.settlement(Decimal(spent) / 100)
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
        "settled": "settlement_county" in by_kind,
    }


def settle_year(*, session: Session, actor: Actor, year: int, on_day: date) -> dict:
    """Year-end settlement: county and town each bear 50% of the town's spending."""
    require_write(actor)
    summary = fund_summary(session=session, actor=actor, year=year)
    if summary["settled"]:
        raise DomainError(f"{year}年度已结算", f"year {year} already settled", code="already_settled")
    share = fen(summary["settlement_county_yuan"])
    session.add(FundMovement(year=year, on_day=on_day, kind="settlement_county", account="county_reserve",
                             amount_fen=-share, note="年终结算：县级承担50%，拨付镇街"))
    session.add(FundMovement(year=year, on_day=on_day, kind="settlement_town", account="town",
                             amount_fen=share, note="年终结算：收到县级承担的50%，其余50%由镇街承担"))
    session.flush()
    audit.record(session, actor=actor, action="funds.settle", entity="aid_fund_movement",
                 entity_id=str(year), after=summary)
    return fund_summary(session=session, actor=actor, year=year)
