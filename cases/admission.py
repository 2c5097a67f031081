"""Admission (住院) to 低保 or 特困, including the single-person rule: a severely disabled or ill
dependent member of a family whose per-capita income is within 2× the 低保 standard. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cases.errors import DomainError
from cases.money import to_decimal

SINGLE_PERSON_INCOME_MULTIPLE = 2


@dataclass(frozen=True)
class AdmissionFacts:
    members: int
    income_per_capita_yuan: Any  # monthly, verified (逢进必核)
    dibao_standard_yuan: Any  # monthly 低保 standard of the place
    verified: bool = True  # 12 departments / 20 items checked
    dependent_severe_member: bool = False  # severely disabled or seriously ill dependent member
    member_can_register_alone: bool = False
    no_labour_no_income_no_supporter: bool = False  # 特困: 三无


@dataclass(frozen=True)
class AdmissionDecision:
    eligible: bool
    scheme: str | None  # 'dibao' | 'tekun' | None
    single_person: bool
    reason: str


def assess_admission(f: AdmissionFacts) -> AdmissionDecision:
    if not f.verified:
        return AdmissionDecision(False, None, False,
                                 "逢进必核：家庭经济状况核对未完成，暂不能纳入")
    income = to_decimal(f.income_per_capita_yuan)
    std = to_decimal(f.dibao_standard_yuan)
    if std <= 0:
        raise DomainError("低保标准必须大于0", "the dibao standard must be positive", code="bad_standard")
    if f.no_labour_no_income_no_supporter:
        return AdmissionDecision(True, "tekun", False,
                                 "无劳动能力、无生活来源、无法定赡养抚养扶养义务人：纳入特困供养")
    if income < std:
        return AdmissionDecision(True, "dibao", False,
                                 f"家庭人均收入{income}元低于低保标准{std}元：全户纳入低保")
    if (f.dependent_severe_member and not f.member_can_register_alone and f.members > 1
            and income <= std * SINGLE_PERSON_INCOME_MULTIPLE):
        return AdmissionDecision(
            True, "dibao", True,
            f"家庭人均收入{income}元在低保标准{std}元的2倍以内，重残/重病成员单人户纳入低保",
        )
    return AdmissionDecision(
        False, None, False,
        f"家庭人均收入{income}元不低于低保标准{std}元，且不符合单人户纳入条件",
    )
