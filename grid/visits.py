"""Recording a home visit (走访登记): observations in, assignment closed, household re-scored.

    visit_id = record_visit(session=s, actor=a, assignment_id=7, expected_version=1,
                            observations=VisitObservations(care_gap=True), visited_on=today)

One transaction: the Visit row, the assignment set to done (optimistic locking: a concurrent
reassign/cancel makes this fail with StaleEdit and nothing is written), the household's new score
appended to the risk history (so the map, the coverage and the score move at once), and the audit
entries.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from grid import audit
from grid.access import AccessDenied, Actor, Role, require
from grid.assignments import AssignmentError, _load_assignment
from grid.db import update_versioned
from grid.frames import G, H, V, VISIT_FLAGS, _read
from grid.models import ASSIGNMENT_DONE, ASSIGNMENT_OPEN, Visit, VisitAssignment

RECORDERS = (Role.GRID_WORKER, Role.GRID_SUPERVISOR)
MAX_INCOME_YUAN = 1_000_000.0


@dataclass(frozen=True)
class VisitObservations:
    """What the worker saw; these are the inputs of the risk score."""

    income_per_capita_yuan: float | None = None
    housing_loss: bool = False
    accidental_injury: bool = False
    sudden_illness_or_disaster: bool = False
    care_gap: bool = False
    lost_job: bool = False
    new_illness: bool = False
    notes: str = ""

    @classmethod
    def from_form(cls, *, income=None, notes: str | None = "", **flags) -> "VisitObservations":
        """What a visit form holds, as observations. Income "unknown" is the EMPTY field (None or
        blank text); anything typed is the income, stored and scored (0 is a real income)."""
        if isinstance(income, str):
            income = income.strip().replace(",", "") or None
        unknown_flags = set(flags) - set(VISIT_FLAGS)
        if unknown_flags:
            raise ValueError(f"未知的走访观察项：{sorted(unknown_flags)} (unknown observations)")
        return cls(income_per_capita_yuan=None if income is None else float(income),
                   notes=(notes or "").strip(), **{k: bool(v) for k, v in flags.items()})

    def validate(self) -> None:
        inc = self.income_per_capita_yuan
        if inc is not None and (not math.isfinite(inc) or inc < 0 or inc > MAX_INCOME_YUAN):
            raise ValueError(f"人均月收入应在 0 到 {MAX_INCOME_YUAN:.0f} 元之间 "
                             f"(income must be 0..{MAX_INCOME_YUAN:.0f} yuan), got {inc}")
        if len(self.notes) > 1000:
            raise ValueError("情况说明不能超过1000字 (notes: at most 1000 characters)")


def record_visit(*, session: Session, actor: Actor, assignment_id: int, expected_version: int,
                 observations: VisitObservations, visited_on: date, today: date | None = None,
                 rescore: bool = True) -> int:
    """Store the visit, close the assignment, re-score the household. Returns the visit id.

    Scope: the household must be in one of the actor's grids; a grid worker records only visits
    of assignments given to the worker their account is linked to (AccessDenied otherwise)."""
    require(actor, *RECORDERS)
    is_worker = Role(actor.role) == Role.GRID_WORKER
    if is_worker and actor.worker_id is None:
        raise AccessDenied("账号尚未关联网格员，不能登记走访，请联系管理员关联 "
                           "(account not linked to a grid worker)")
    observations.validate()
    today = today or visited_on
    if visited_on > today:
        raise ValueError(f"走访日期 {visited_on} 晚于今天 {today} (visit date in the future)")
    a, grid_code = _load_assignment(session, assignment_id)
    if not actor.sees_grid(grid_code):
        raise AccessDenied(f"住户所在网格 {grid_code} 不在您的网格范围内，无权登记走访 "
                           "(household outside your grids)")
    if is_worker and int(a.worker_id) != int(actor.worker_id):
        raise AccessDenied(f"派单 {assignment_id} 派给了其他网格员，只能登记本人的走访 "
                           "(assignment belongs to another worker)")
    if a.status != ASSIGNMENT_OPEN:
        raise AssignmentError(f"派单 {assignment_id} 已{a.status}，不能再登记 (assignment not open)")
    visit = Visit(household_id=a.household_id, worker_id=a.worker_id, visited_on=visited_on,
                  **asdict(observations))
    session.add(visit)
    session.flush()
    update_versioned(session, VisitAssignment, assignment_id, expected_version,
                     status=ASSIGNMENT_DONE, visit_id=visit.id)
    audit.record(session, actor=actor, action="visit.record", entity="visit", entity_id=visit.id,
                 after={"household_id": a.household_id, "worker_id": a.worker_id,
                        "visited_on": visited_on.isoformat(), **asdict(observations)})
    audit.record(session, actor=actor, action="assignment.done", entity="visit_assignment",
                 entity_id=assignment_id, before={"status": ASSIGNMENT_OPEN, "version": expected_version},
                 after={"status": ASSIGNMENT_DONE, "visit_id": visit.id,
                        "version": expected_version + 1})
    if rescore:
        rescore_households(session, [a.household_id], today=today)
    return visit.id


def rescore_households(session: Session, household_ids, *, today: date) -> pd.DataFrame:
    """Score only these households (their full visit history) and append to the risk history."""
    from grid.risk_service import store_scores
    from risk.scoring import score_households

    ids = sorted({int(h) for h in household_ids})
    conn = session.connection()
    hh = _households(conn, ids)
    visits = _visits(conn, ids)
    scores = score_households(hh, visits, today=today)
    store_scores(conn, scores)
    return scores


def _households(conn, ids) -> pd.DataFrame:
    from grid.frames import HOUSEHOLD_COLUMNS

    cols = [G.c.code.label("grid_code") if c == "grid_code" else H.c[c] for c in HOUSEHOLD_COLUMNS]
    df = _read(conn, select(*cols).join(G, H.c.grid_id == G.c.id).where(H.c.id.in_(ids))
               .order_by(H.c.id))
    return df.astype({"income_per_capita_yuan": float})


def _visits(conn, ids) -> pd.DataFrame:
    cols = [V.c.id, V.c.household_id, V.c.worker_id, V.c.visited_on, V.c.income_per_capita_yuan,
            *[V.c[f] for f in VISIT_FLAGS]]
    df = _read(conn, select(*cols).where(V.c.household_id.in_(ids)).order_by(V.c.id))
    if df.empty:
        return pd.DataFrame(columns=[c.name for c in cols]).astype({"visited_on": "datetime64[ns]"})
    df["visited_on"] = pd.to_datetime(df["visited_on"])
    df["income_per_capita_yuan"] = df["income_per_capita_yuan"].astype(float)
    return df


def my_open_assignments(conn, actor: Actor, *, worker_id: int | None = None) -> pd.DataFrame:
    """Open assignments the actor may record (optionally one worker's), with the address; a grid
    worker gets only their own (none when the account is not linked)."""
    from grid.access import grid_filter
    from grid.assignments import A, worker_filter
    from grid.frames import W

    stmt = (select(A.c.id, A.c.household_id, A.c.worker_id, W.c.name.label("worker_name"),
                   A.c.due_on, A.c.version, G.c.code.label("grid_code"), H.c.address)
            .join(H, A.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id)
            .join(W, A.c.worker_id == W.c.id)
            .where(A.c.status == ASSIGNMENT_OPEN, grid_filter(actor, G.c.code),
                   worker_filter(actor, A.c.worker_id)))
    if worker_id is not None:
        stmt = stmt.where(A.c.worker_id == worker_id)
    df = _read(conn, stmt.order_by(A.c.due_on, A.c.id))
    if df.empty:
        return pd.DataFrame(columns=["id", "household_id", "worker_id", "worker_name", "due_on",
                                     "version", "grid_code", "address"])
    return df
