"""Admission (住院) to 低保 or 特困, including the single-person rule: a severely disabled or ill
dependent member of a family whose per-capita income is within 2× the 低保 standard. Pure.

The facts are entered by the officer (``admission_facts`` checks them: nothing is defaulted); the
verification (逢进必核) is a fact too: ``verified`` says whether every required checklist item
has a result (cases.verification), with no default."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cases.errors import DomainError
from cases.money import to_decimal

SINGLE_PERSON_INCOME_MULTIPLE = 2


@dataclass(frozen=True)
class AdmissionFacts:
    members: int
    income_per_capita_yuan: Any  # monthly, verified (逢进必核)
    dibao_standard_yuan: Any  # monthly 低保 standard of the place
    verified: bool  # 12 departments / 20 items checked (cases.verification: every required item)
    dependent_severe_member: bool = False  # severely disabled or seriously ill dependent member
    member_can_register_alone: bool = False
    no_labour_no_income_no_supporter: bool = False  # 特困: 三无


@dataclass(frozen=True)
class AdmissionDecision:
    eligible: bool
    scheme: str | None  # 'dibao' | 'tekun' | None
    single_person: bool
    reason: str
    reason_en: str = ""  # the same verdict in English (the pages' English mode)


# The facts the officer enters, in form order: (field, Chinese name).
ENTERED_FACTS = (
    ("family_income_yuan", "家庭月收入（元）"),
    ("members", "家庭人口数"),
    ("dependent_severe_member", "是否有重残/重病且依靠家庭生活的成员"),
    ("member_can_register_alone", "该成员能否单独立户"),
    ("no_labour_no_income_no_supporter", "是否“三无”（无劳动能力、无生活来源、无法定义务人）"),
)


def admission_facts(*, family_income_yuan: Any, members: Any, dependent_severe_member: bool | None,
                    member_can_register_alone: bool | None,
                    no_labour_no_income_no_supporter: bool | None, dibao_standard_yuan: Any,
                    verified: bool) -> AdmissionFacts:
    """AdmissionFacts from what the officer entered. Every fact must be given (None: refused with
    the list of what is missing, in Chinese); whether the member can register alone is asked only
    when there is such a member. Income is the family's monthly total; the rule reads it per
    capita (rounded to the fen)."""
    given = {"family_income_yuan": family_income_yuan, "members": members,
             "dependent_severe_member": dependent_severe_member,
             "member_can_register_alone": member_can_register_alone
             if dependent_severe_member else False,
             "no_labour_no_income_no_supporter": no_labour_no_income_no_supporter}
    missing = [zh for field, zh in ENTERED_FACTS
               if given[field] is None or (isinstance(given[field], str) and not given[field].strip())]
    if missing:
        raise DomainError("纳入评估须填写：" + "、".join(missing), "admission facts missing: "
                          + ", ".join(f for f, _ in ENTERED_FACTS if given[f] is None),
                          code="facts_required", missing=missing)
    try:
        n = int(members)
    except (TypeError, ValueError):
        raise DomainError(f"家庭人口数应为整数：{members}", "members must be an integer",
                          code="bad_members") from None
    if n < 1 or n != float(members):
        raise DomainError(f"家庭人口数应为不小于1的整数：{members}", "members must be ≥ 1",
                          code="bad_members")
    try:
        income = to_decimal(family_income_yuan)
    except Exception:
        raise DomainError(f"家庭月收入应为数字：{family_income_yuan}", "income must be a number",
                          code="bad_amount") from None
    if not income.is_finite() or income < 0:
        raise DomainError("家庭月收入不能为负数", "income cannot be negative", code="bad_amount")
    per_capita = (income / n).quantize(Decimal("0.01"))
    return AdmissionFacts(members=n, income_per_capita_yuan=per_capita,
                          dibao_standard_yuan=dibao_standard_yuan, verified=bool(verified),
                          dependent_severe_member=bool(dependent_severe_member),
                          member_can_register_alone=bool(given["member_can_register_alone"]),
                          no_labour_no_income_no_supporter=bool(no_labour_no_income_no_supporter))


def assess_admission(f: AdmissionFacts) -> AdmissionDecision:
    if not f.verified:
        return AdmissionDecision(False, None, False,
                                 "逢进必核：家庭经济状况核对未完成，暂不能纳入",
                                 "the family's finances are not verified yet: no admission before "
                                 "every check is done")
    income = to_decimal(f.income_per_capita_yuan)
    std = to_decimal(f.dibao_standard_yuan)
    if std <= 0:
        raise DomainError("低保标准必须大于0", "the dibao standard must be positive", code="bad_standard")
    if f.no_labour_no_income_no_supporter:
        return AdmissionDecision(True, "tekun", False,
                                 "无劳动能力、无生活来源、无法定赡养抚养扶养义务人：纳入特困供养",
                                 "unable to work, no income and no one legally bound to support "
                                 "them: admitted to tekun support")
    if income < std:
        return AdmissionDecision(True, "dibao", False,
                                 f"家庭人均收入{income}元低于低保标准{std}元：全户纳入低保",
                                 f"income per head {income} yuan is below the dibao standard of "
                                 f"{std} yuan: the whole household is admitted to dibao")
    if (f.dependent_severe_member and not f.member_can_register_alone and f.members > 1
            and income <= std * SINGLE_PERSON_INCOME_MULTIPLE):
        return AdmissionDecision(
            True, "dibao", True,
            f"家庭人均收入{income}元在低保标准{std}元的2倍以内，重残/重病成员单人户纳入低保",
            f"income per head {income} yuan is within twice the dibao standard of {std} yuan: "
            "the severely disabled or ill member is admitted to dibao as a single-person household",
        )
    return AdmissionDecision(
        False, None, False,
        f"家庭人均收入{income}元不低于低保标准{std}元，且不符合单人户纳入条件",
        f"income per head {income} yuan is not below the dibao standard of {std} yuan, and the "
        "single-person admission does not apply",
    )
