"""Money rules: medical-assistance reimbursement (≥ 70% of compliant costs), the county and village
reserves, and the year-end settlement (county 50% / town 50%). Pure: amounts are ``Decimal`` yuan."""
from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any

from cases.errors import DomainError

MEDICAL_MIN_REIMBURSEMENT_RATE = Decimal("0.70")
COUNTY_RESERVE_YUAN = Decimal("10000000")
VILLAGE_RESERVE_YUAN = Decimal("10000")
ASSISTANT_STIPEND_MONTHLY_YUAN = Decimal("200")
SETTLEMENT_COUNTY_SHARE = Decimal("0.5")


def to_decimal(x: Any) -> Decimal:
    """Yuan as Decimal (None → 0); floats go through str so 0.1 stays 0.1."""
    if isinstance(x, Decimal):
        return x
    return Decimal(str(x if x is not None else 0))


def medical_reimbursement(compliant_cost_yuan: Any, *, insurance_paid_yuan: Any = 0,
                          rate: Any = MEDICAL_MIN_REIMBURSEMENT_RATE) -> Decimal:
    """Medical-assistance amount so that total reimbursement ≥ rate (≥70%) of compliant costs.

    Rounded up to the fen so the 70% floor is never missed by rounding.
    """
    cost = to_decimal(compliant_cost_yuan)
    paid = to_decimal(insurance_paid_yuan)
    r = to_decimal(rate)
    if cost < 0 or paid < 0:
        raise DomainError("费用不能为负数", "costs cannot be negative", code="bad_amount")
    if r < MEDICAL_MIN_REIMBURSEMENT_RATE or r > 1:
        raise DomainError(
            f"报销比例须在70%至100%之间（给定{r}）",
            f"reimbursement rate must be between 70% and 100% (got {r})", code="bad_rate",
        )
    target = (cost * r).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    return max(Decimal("0.00"), target - paid).quantize(Decimal("0.01"))


def settlement(total_spent_yuan: Any) -> tuple[Decimal, Decimal]:
    """Year-end settlement of a town's emergency-aid spending: county 50%, town 50%.

    Returns (county share, town share) in yuan; an odd fen goes to the town.
    """
    total = to_decimal(total_spent_yuan).quantize(Decimal("0.01"))
    county = (total * SETTLEMENT_COUNTY_SHARE).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return county, total - county


def village_reserves_total(n_villages: int) -> Decimal:
    return VILLAGE_RESERVE_YUAN * int(n_villages)
