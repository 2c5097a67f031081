"""Shared steps for the case-guard tests (tests/integration/test_case_guards.py) and the service
attacks (tests/security/test_attacks_services.py): a small world, intake, transitions, a paid grant,
a blacklisting reviewed by a second officer."""
from __future__ import annotations

from datetime import date

import pytest

from cases import services as svc
from cases.intake import review_blacklist
from grid.db import session_scope
from tests.cases_fixtures import COUNTY, LEADER, build_world


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        w = build_world(s)
        ids = [h.id for h in w["households"]]
    return engine, ids


def _intake(s, actor=LEADER, **kw):
    base = dict(channel="window", category="expenditure", received_on=date(2025, 6, 2),
                amount_yuan=300, cause="大额医疗支出")
    base.update(kw)
    return svc.intake(session=s, actor=actor, **base)


def _go(s, cid, *steps, today=None):
    """(name, actor, day[, kwargs]) steps; ``today`` defaults to each step's own day."""
    for step in steps:
        name, actor, day = step[:3]
        kw = step[3] if len(step) > 3 else {}
        svc.transition(session=s, actor=actor, case_id=cid, name=name, on_day=day,
                       today=today or day, **kw)


def _paid_grant(s, hh_id, day, **kw):
    c = _intake(s, household_id=hh_id, received_on=day, **kw)
    _go(s, c.id, ("accept", LEADER, day), ("approve_town", LEADER, day), ("pay", LEADER, day))
    return c


def _list(s, id_number, name="王甲一"):
    e = svc.add_to_blacklist(session=s, actor=COUNTY, person_id_number=id_number, person_name=name,
                             reason="2024年隐瞒收入骗取临时救助", evidence="县民政局〔2024〕12号处理决定",
                             listed_on=date(2024, 8, 1))
    review_blacklist(session=s, actor=LEADER, entry_id=e.id, approve=True, note="", on_day=date(2024, 8, 2))
