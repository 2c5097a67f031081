"""Recording a home visit (走访登记): observations in, assignment closed, household re-scored.

    visit_id = record_visit(session=s, actor=a, assignment_id=7, expected_version=1,
                            observations=VisitObservations(care_gap=True), visited_on=today)

One transaction: the Visit row, the assignment set to done (optimistic locking: a concurrent
reassign/cancel makes this fail with StaleEdit and nothing is written), the household's new score
appended to the risk history (so the map, the coverage and the score move at once), and the audit
entries.

Saved once on a weak connection: the form makes an idempotency key when it is drawn
(new_idempotency_key) and every send of it carries that key. save_visit / save_adhoc_visit return
VisitSaved(visit_id, already_recorded): a resend finds the visit recorded the first time and
writes nothing; the key is UNIQUE on visit, so a resend that raced past the check hits the index
and is answered the same way (a savepoint keeps the transaction usable).

Ad-hoc visits (随访, save_adhoc_visit): a grid worker records a household of their own grid met
without an assignment; if the household has an open assignment of theirs, it is closed by it.
"""
from __future__ import annotations

import math
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from sqlmodel import select as sqlmodel_select

from grid import audit
from grid.access import AccessDenied, Actor, Role, require
from grid.assignments import AssignmentError, _load_assignment
from grid.db import update_versioned
from grid.frames import G, H, V, VISIT_FLAGS, _read
from grid.models import (ASSIGNMENT_DONE, ASSIGNMENT_OPEN, CommunityGrid, GridWorker, Household, Visit,
                         VisitAssignment)

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


@dataclass(frozen=True)
class VisitSaved:
    """What a save did: the visit's id, and whether it had been recorded already (a resend of
    the same form: nothing was written this time)."""

    visit_id: int
    already_recorded: bool = False


IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_idempotency_key() -> str:
    """A fresh key for one drawn visit form (its resends carry the same key)."""
    return uuid.uuid4().hex


def _check_key(key: str | None) -> None:
    if key is not None and not IDEMPOTENCY_KEY.match(str(key)):
        raise ValueError("提交编号格式不正确，请刷新页面后重新填写 (malformed idempotency key)")


def _already_recorded(session: Session, key: str | None, *, household_id: int,
                      worker_id: int) -> VisitSaved | None:
    """The visit this form already recorded (same key), or None. A key of another household or
    worker is refused: a key belongs to one form."""
    if key is None:
        return None
    v = session.exec(sqlmodel_select(Visit).where(Visit.idempotency_key == key)).first()
    if v is None:
        return None
    if int(v.household_id) != int(household_id) or int(v.worker_id) != int(worker_id):
        raise ValueError("该提交编号已用于另一条走访记录，请刷新页面后重新填写 "
                         "(idempotency key belongs to another visit)")
    return VisitSaved(visit_id=int(v.id), already_recorded=True)


def _insert_visit(session: Session, visit: Visit) -> VisitSaved:
    """Insert; when a concurrent save of the same form won the race (the unique key), return
    that visit instead (the savepoint keeps the rest of the transaction usable)."""
    if visit.idempotency_key is None:
        session.add(visit)
        session.flush()
        return VisitSaved(visit_id=int(visit.id))
    try:
        with session.begin_nested():
            session.add(visit)
            session.flush()
    except IntegrityError:
        found = _already_recorded(session, visit.idempotency_key, household_id=visit.household_id,
                                  worker_id=visit.worker_id)
        if found is None:
            raise
        return found
    return VisitSaved(visit_id=int(visit.id))


def _require_linked_worker(actor: Actor) -> bool:
    require(actor, *RECORDERS)
    is_worker = Role(actor.role) == Role.GRID_WORKER
    if is_worker and actor.worker_id is None:
        raise AccessDenied("账号尚未关联网格员，不能登记走访，请联系管理员关联 "
                           "(account not linked to a grid worker)",
                           en="This account is not linked to a grid worker and cannot record visits; "
                              "ask the administrator to link it.", code="not_linked")
    return is_worker


def _check_day(observations: VisitObservations, visited_on: date, today: date) -> None:
    observations.validate()
    if visited_on > today:
        raise ValueError(f"走访日期 {visited_on} 晚于今天 {today} (visit date in the future)")


def save_visit(*, session: Session, actor: Actor, assignment_id: int, expected_version: int,
               observations: VisitObservations, visited_on: date, today: date | None = None,
               rescore: bool = True, idempotency_key: str | None = None) -> VisitSaved:
    """Store the visit of an assignment, close the assignment, re-score the household.

    Scope: the household must be in one of the actor's grids; a grid worker records only visits
    of assignments given to the worker their account is linked to (AccessDenied otherwise).
    `idempotency_key` (made when the form was drawn, new_idempotency_key()): a resend of the same
    form returns the visit already recorded (already_recorded=True) and writes nothing."""
    is_worker = _require_linked_worker(actor)
    _check_key(idempotency_key)
    today = today or visited_on
    _check_day(observations, visited_on, today)
    a, grid_code = _load_assignment(session, assignment_id)
    if not actor.sees_grid(grid_code):
        raise AccessDenied(f"住户所在网格 {grid_code} 不在您的网格范围内，无权登记走访 "
                           "(household outside your grids)",
                           en=f"The household's grid {grid_code} is outside your grids: you may not record "
                              "this visit.", code="out_of_scope")
    if is_worker and int(a.worker_id) != int(actor.worker_id):
        raise AccessDenied(f"派单 {assignment_id} 派给了其他网格员，只能登记本人的走访 "
                           "(assignment belongs to another worker)",
                           en=f"Assignment {assignment_id} belongs to another grid worker: you may only "
                              "record your own visits.", code="other_worker")
    done = _already_recorded(session, idempotency_key, household_id=a.household_id,
                             worker_id=a.worker_id)
    if done is not None:
        return done
    if a.status != ASSIGNMENT_OPEN:
        raise AssignmentError(f"派单 {assignment_id} 已{a.status}，不能再登记", "assignment not open",
                              code="not_open")
    saved = _insert_visit(session, Visit(household_id=a.household_id, worker_id=a.worker_id,
                                         visited_on=visited_on, idempotency_key=idempotency_key,
                                         **asdict(observations)))
    if saved.already_recorded:
        return saved
    update_versioned(session, VisitAssignment, assignment_id, expected_version,
                     status=ASSIGNMENT_DONE, visit_id=saved.visit_id)
    audit.record(session, actor=actor, action="visit.record", entity="visit",
                 entity_id=saved.visit_id,
                 after={"household_id": a.household_id, "worker_id": a.worker_id,
                        "visited_on": visited_on.isoformat(), "assignment_id": assignment_id,
                        **asdict(observations)})
    audit.record(session, actor=actor, action="assignment.done", entity="visit_assignment",
                 entity_id=assignment_id, before={"status": ASSIGNMENT_OPEN, "version": expected_version},
                 after={"status": ASSIGNMENT_DONE, "visit_id": saved.visit_id,
                        "version": expected_version + 1})
    if rescore:
        rescore_households(session, [a.household_id], today=today)
    return saved


def record_visit(*, session: Session, actor: Actor, assignment_id: int, expected_version: int,
                 observations: VisitObservations, visited_on: date, today: date | None = None,
                 rescore: bool = True, idempotency_key: str | None = None) -> int:
    """save_visit, returning only the visit id (the id already recorded for a resend)."""
    return save_visit(session=session, actor=actor, assignment_id=assignment_id,
                      expected_version=expected_version, observations=observations,
                      visited_on=visited_on, today=today, rescore=rescore,
                      idempotency_key=idempotency_key).visit_id


def save_adhoc_visit(*, session: Session, actor: Actor, household_id: int,
                     observations: VisitObservations, visited_on: date, today: date | None = None,
                     rescore: bool = True, idempotency_key: str | None = None) -> VisitSaved:
    """An ad-hoc visit (随访): a household the worker met without an assignment.

    Only a grid worker linked to a worker record, and only a household of that worker's own
    grid (AccessDenied otherwise). When the household has an open assignment given to this
    worker, the visit is recorded against it (the assignment is closed, as from 今日任务)."""
    require(actor, Role.GRID_WORKER)
    _require_linked_worker(actor)
    _check_key(idempotency_key)
    today = today or visited_on
    _check_day(observations, visited_on, today)
    worker = session.get(GridWorker, int(actor.worker_id))
    if worker is None or not worker.active:
        raise AccessDenied("关联的网格员不存在或已停用，不能登记走访 (linked worker missing or inactive)",
                           en="The linked grid worker does not exist or is inactive: visits cannot be "
                              "recorded.", code="not_linked")
    row = session.exec(sqlmodel_select(Household.grid_id, CommunityGrid.code)
                       .join(CommunityGrid, Household.grid_id == CommunityGrid.id, isouter=True)
                       .where(Household.id == int(household_id))).first()
    if row is None:
        raise LookupError(f"住户 {household_id} 不存在 (no household {household_id})")
    grid_id, grid_code = row
    if grid_id != worker.grid_id or not actor.sees_grid(grid_code):
        raise AccessDenied(f"住户 {household_id} 不在您负责的网格内，只能登记本网格住户的随访 "
                           "(household outside your own grid)",
                           en=f"Household {household_id} is outside your grid: follow-up visits are "
                              "recorded for households of your own grid only.", code="out_of_scope")
    own = session.exec(sqlmodel_select(VisitAssignment).where(
        VisitAssignment.household_id == int(household_id), VisitAssignment.status == ASSIGNMENT_OPEN,
        VisitAssignment.worker_id == worker.id)).first()
    if own is not None:
        return save_visit(session=session, actor=actor, assignment_id=int(own.id),
                          expected_version=int(own.version), observations=observations,
                          visited_on=visited_on, today=today, rescore=rescore,
                          idempotency_key=idempotency_key)
    done = _already_recorded(session, idempotency_key, household_id=household_id,
                             worker_id=worker.id)
    if done is not None:
        return done
    saved = _insert_visit(session, Visit(household_id=int(household_id), worker_id=int(worker.id),
                                         visited_on=visited_on, idempotency_key=idempotency_key,
                                         **asdict(observations)))
    if saved.already_recorded:
        return saved
    audit.record(session, actor=actor, action="visit.record", entity="visit",
                 entity_id=saved.visit_id,
                 after={"household_id": int(household_id), "worker_id": int(worker.id),
                        "visited_on": visited_on.isoformat(), "adhoc": True, **asdict(observations)})
    if rescore:
        rescore_households(session, [int(household_id)], today=today)
    return saved


def record_adhoc_visit(**kwargs) -> int:
    """save_adhoc_visit, returning only the visit id."""
    return save_adhoc_visit(**kwargs).visit_id


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
