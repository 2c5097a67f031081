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


# ----------------------------------------------------------------------------- amount validation
FEN = Decimal("0.01")


def parse_amount(value: Any, *, max_yuan: Any, what: str = "金额", allow_zero: bool = False,
                 allow_blank: bool = False) -> Decimal:
    """The one validator of an amount of money typed or passed into any service (yuan).

    Accepts int, float, Decimal or a numeric string; returns ``Decimal`` yuan with two places.
    Refuses, with a Chinese ``DomainError(code="bad_amount")``: booleans and non-numbers, NaN and
    infinities, negative amounts, zero unless ``allow_zero``, fractions of a fen (0.001 yuan is
    refused, never rounded to 0) and anything above ``max_yuan``. ``None``/"" is 0 when
    ``allow_blank`` (e.g. an unknown requested amount), else refused.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_blank:
            return Decimal("0.00")
        raise DomainError(f"{what}不能为空", "an amount is required", code="bad_amount")
    if isinstance(value, bool):
        raise DomainError(f"{what}不是数字：{value!r}", f"not a number: {value!r}", code="bad_amount")
    try:
        d = Decimal(value.strip()) if isinstance(value, str) else to_decimal(value)
    except (ArithmeticError, ValueError, TypeError):
        raise DomainError(f"{what}不是数字：{value!r}", f"not a number: {value!r}",
                          code="bad_amount") from None
    if not d.is_finite():
        raise DomainError(f"{what}不是有效数字（{value!r}）", f"not a finite number: {value!r}",
                          code="bad_amount")
    if d < 0:
        raise DomainError(f"{what}不能为负数（{d}元）", f"amount cannot be negative ({d})",
                          code="bad_amount")
    if d == 0 and not allow_zero:
        raise DomainError(f"{what}必须大于0元", "amount must be positive", code="bad_amount")
    cap = to_decimal(max_yuan)
    if d > cap:
        raise DomainError(f"{what}{d}元超过上限{cap}元（见 data/case_guards.toml），请核对",
                          f"amount {d} exceeds the configured maximum of {cap} yuan",
                          code="bad_amount")
    if d != d.quantize(FEN, rounding=ROUND_DOWN):
        raise DomainError(f"{what}只能精确到分（0.01元），{d}元不是整分",
                          f"amounts are whole fen (0.01 yuan); {d} is not", code="bad_amount")
    return d.quantize(FEN)
