"""Helpers of the officer-desk tests: complete a verification checklist, admission facts."""
from __future__ import annotations

from datetime import date

from cases import verification
from tests.cases_fixtures import COUNTY

FACTS_DIBAO = dict(family_income_yuan=1200, members=3, dependent_severe_member=False,
                   member_can_register_alone=None, no_labour_no_income_no_supporter=False)


def complete_checklist(s, case_id: int, *, day: date, actor=COUNTY, required_only: bool = True,
                       skip: tuple[str, ...] = ()) -> int:
    """Record 无异常 for every (required) item except `skip`; returns how many were recorded."""
    n = 0
    for item in verification.load_items():
        if (required_only and not item.required) or item.code in skip:
            continue
        verification.record_result(session=s, actor=actor, case_id=case_id, item_code=item.code,
                                   result="无异常", evidence=f"回执-{item.code}", on_day=day)
        n += 1
    return n
