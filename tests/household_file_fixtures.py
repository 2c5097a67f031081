"""A small world for the household-file tests (SQLite and PostgreSQL): two grids (G01, G02) from
tests.cases_fixtures, a visit with observations, an assignment, a case, and a scoring run."""
from __future__ import annotations

from datetime import date

from cases import services as svc
from sqlmodel import select

from grid.access import SYSTEM
from grid.assignments import assign_visits
from grid.db import session_scope
from grid.models import GridWorker, Visit
from grid.risk_service import run_scoring
from tests.cases_fixtures import COUNTY, build_world

TODAY = date(2026, 11, 29)


def household_world(engine) -> dict:
    """ids of the world: households a1, a2, a5 (G01), b3, b4 (G02, b3/b4 share the name 张丙三),
    the G01 workers, the case on a1."""
    with session_scope(engine) as s:
        w = build_world(s)
        hh = w["households"]
        ids = {"a1": hh[0].id, "a2": hh[1].id, "b3": hh[2].id, "b4": hh[3].id, "a5": hh[4].id}
        workers = list(s.exec(select(GridWorker.id).order_by(GridWorker.id)))
        ids["workers_g01"] = workers[:2]
        s.add(Visit(household_id=ids["a1"], worker_id=workers[0], visited_on=date(2026, 10, 12),
                    income_per_capita_yuan=420.0, lost_job=True, care_gap=True,
                    notes="户主失业，老人无人照料，电话13912345678"))
        s.add(Visit(household_id=ids["a1"], worker_id=workers[1], visited_on=date(2026, 6, 3),
                    notes="未见异常"))
    with session_scope(engine) as s:
        assign_visits(session=s, actor=SYSTEM, household_ids=[ids["a1"]], worker_id=workers[0],
                      due_on=date(2026, 12, 1), today=TODAY)
        case = svc.intake(session=s, actor=COUNTY, channel="window", category="care_gap",
                          received_on=date(2026, 11, 2), amount_yuan=300, cause="老人住院无人照料",
                          household_id=ids["a1"])
        ids["case_no"], ids["case_id"] = case.case_no, case.id
    run_scoring(engine, today=TODAY)
    return ids
