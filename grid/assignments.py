"""Visit assignment (走访派单): who should be visited next, by whom, and the writes that say so.

Pure core (plain DataFrames in, DataFrames out):
    suggest_visits(households, scores, open_assignments, grid_code=..., today=...)
    worker_loads(workers, open_assignments, visits_30d, capacity=...)
Session edge (scope-checked, audited, optimistic locking):
    assign_visits(session=, actor=, household_ids=, worker_id=, due_on=, today=)
    reassign_visit(session=, actor=, assignment_id=, expected_version=, worker_id=, due_on=)
    cancel_visit(session=, actor=, assignment_id=, expected_version=, reason=)
    assign_shown(session=, actor=, household_ids=, worker_id=, due_on=, today=,
                 confirm_over_capacity=)  -> AssignOutcome (the 走访派单 worklist's write)
    open_assignments_frame(conn, actor) / worker_visit_list(conn, actor, worker_id)

Scope: every read is limited to the actor's grids; a grid worker (role grid_worker) further sees
only the assignments of the worker their account is linked to (Actor.worker_id), none if unlinked
(worker_filter). The page shows what these queries return, nothing more.

Rules: a household is only ever assigned to a worker of its own grid (suggestions never cross
grid boundaries); a household has at most one open assignment; the due date is not before today.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from grid import audit
from grid.access import AccessDenied, Actor, Role, grid_filter, require
from grid.db import StaleEdit, update_versioned
from grid.frames import G, H, W, _read
from grid.metrics import default_config, open_visits_by_worker
from grid.models import (ASSIGNMENT_CANCELLED, ASSIGNMENT_OPEN, FULL_TIME, CommunityGrid,
                         GridWorker, Household, VisitAssignment)

from risk.config import LEVELS, RiskConfig

A = VisitAssignment.__table__
LEVEL_RANK = {lv: i for i, lv in enumerate(LEVELS)}  # red first
# Who assigns visits: the roles whose 走访派单 page offers it (dashboard/navigation.py; README: supervisors
# in their grids, officers across the town).
ASSIGNERS = (Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF)

__all__ = ["AssignmentError", "StaleEdit", "suggest_visits", "worker_loads", "assign_visits",
           "reassign_visit", "cancel_visit", "open_assignments_frame", "worker_visit_list",
           "worker_filter", "assign_shown", "AssignOutcome", "OverCapacity", "load_after", "split_by_capacity"]


class AssignmentError(ValueError):
    """A request that breaks an assignment rule. ``str()`` is the Chinese message, then the
    English in brackets (as always); ``zh`` and ``en`` each language alone (an English page shows
    ``en``: dashboard.texts.error_text); ``code`` names the rule."""

    def __init__(self, zh: str, en: str = "", *, code: str = "assignment_error"):
        super().__init__(f"{zh} ({en})" if en else zh)
        self.zh, self.en, self.code = zh, en or zh, code


class OverCapacity(AssignmentError):
    """Assigning would put the worker over their monthly visit capacity and the supervisor has
    not confirmed it. Carries the numbers shown to them."""

    def __init__(self, *, name: str, load: int, adding: int, capacity: float):
        self.load, self.adding, self.capacity = load, adding, capacity
        super().__init__(f"{name} 当前负荷 {load} 户次，再派 {adding} 户将达 {load + adding} 户次，"
                         f"超过月走访能力 {capacity:g}；如确需派单，请勾选“确认超出能力派单”",
                         f"over capacity: {load}+{adding} > {capacity:g}; confirm to go ahead",
                         code="over_capacity")


@dataclass
class AssignOutcome:
    """What assign_shown did: the new assignment ids, and the households it left alone because
    someone assigned them after the list was shown (household id -> that worker's name)."""
    created: list[int] = field(default_factory=list)
    already_assigned: dict[int, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- pure core
def split_by_capacity(household_ids, loads: pd.DataFrame) -> pd.DataFrame:
    """A suggested split of households (most urgent first, e.g. the worklist's unassigned rows)
    among workers, never beyond a worker's monthly capacity: each household in turn goes to the
    worker with the most room left (capacity - open - visits in 30 days; ties: full-time first,
    then id). `loads` is worker_loads' frame. Returns one row per worker with room: id, name,
    employment, room, households (list of ids, in urgency order). Households beyond everyone's
    room are left out (the page says how many)."""
    w = loads.assign(room=(loads["capacity"] - loads["open"] - loads["visits_30d"]).clip(lower=0)
                     .astype(int))
    w = w.assign(ft_rank=(w["employment"] != FULL_TIME).astype(int))
    room = {int(r.id): int(r.room) for r in w.itertuples()}
    order = {int(r.id): (r.ft_rank, int(r.id)) for r in w.itertuples()}
    picked: dict[int, list[int]] = {i: [] for i in room}
    for h in household_ids:
        free = [i for i in room if room[i] > 0]
        if not free:
            break
        best = min(free, key=lambda i: (-room[i], order[i]))
        picked[best].append(int(h))
        room[best] -= 1
    out = w[["id", "name", "employment", "room"]].copy()
    out["households"] = out["id"].map(lambda i: picked[int(i)])
    return out[out["room"] > 0].reset_index(drop=True)


def load_after(load: int, adding: int, capacity: float) -> tuple[int, bool]:
    """A worker's load (open assignments + visits on the last 30 days) after `adding` more, and
    whether it goes over their monthly capacity (the one over-capacity rule of the page and of
    assign_shown)."""
    total = int(load) + int(adding)
    return total, total > float(capacity)


def suggest_visits(households: pd.DataFrame, scores: pd.DataFrame,
                   open_assignments: pd.DataFrame, *, grid_code: str, today: date,
                   limit: int | None = None, config: RiskConfig | None = None) -> pd.DataFrame:
    """Households of `grid_code` without an open assignment, most urgent first.

    Order: high-risk (config.high_risk_levels: red, orange) before the rest; then by level; then never visited first,
    then the longest since the last visit; then score, then id (stable, deterministic).
    `scores` has household_id, score, level, reasons and optionally days_since_visit.
    Columns out: household_id, grid_code, level, score, reasons, days_since_visit (Int64, NA if
    never), high_risk.
    """
    hh = households.loc[households["grid_code"] == grid_code, ["id", "grid_code"]]
    busy = set(open_assignments["household_id"].tolist()) if len(open_assignments) else set()
    hh = hh[~hh["id"].isin(busy)]
    s = scores.set_index("household_id")
    out = pd.DataFrame({"household_id": hh["id"].to_numpy(), "grid_code": hh["grid_code"].to_numpy()})
    idx = s.index.get_indexer(out["household_id"])
    found = idx >= 0

    def take(col, fill):
        if col not in s:
            return np.full(len(out), fill, dtype=object)
        vals = s[col].to_numpy(dtype=object)
        return np.where(found, vals[np.maximum(idx, 0)] if len(vals) else fill, fill)

    out["level"] = take("level", "green")
    out["score"] = pd.to_numeric(pd.Series(take("score", 0.0)), errors="coerce").fillna(0.0).to_numpy()
    out["reasons"] = take("reasons", None)
    days = pd.array(take("days_since_visit", pd.NA), dtype="Int64")
    out["days_since_visit"] = days
    out["high_risk"] = out["level"].isin(list((config or default_config()).high_risk_levels))
    never = out["days_since_visit"].isna()
    out = out.assign(_hr=~out["high_risk"], _rank=out["level"].map(LEVEL_RANK).fillna(9),
                     _never=~never, _days=-out["days_since_visit"].fillna(10**6).astype("int64"),
                     _score=-out["score"])
    out = out.sort_values(["_hr", "_rank", "_never", "_days", "_score", "household_id"],
                          kind="stable").drop(columns=["_hr", "_rank", "_never", "_days", "_score"])
    out = out.reset_index(drop=True)
    return out.head(limit) if limit is not None else out


def worker_loads(workers: pd.DataFrame, open_assignments: pd.DataFrame,
                 visits_30d: pd.Series | None = None, *,
                 capacity: dict[str, float] | None = None,
                 config: RiskConfig | None = None) -> pd.DataFrame:
    """Per worker: open assignments (grid.metrics.open_visits_by_worker), visits in the last 30
    days (grid.metrics.visits_by_worker), monthly visit capacity by employment
    ([coverage.capacity.*].visits_per_month of the weights file; `capacity` overrides it per
    employment), and load_ratio = (open + visits_30d) / capacity. `visits_30d` is indexed by
    worker id."""
    config = config or default_config()
    override = capacity or {}
    w = workers[["id", "name", "employment", "grid_code"]].copy()
    counts = open_visits_by_worker(open_assignments)
    w["open"] = w["id"].map(counts).fillna(0).astype("int64")
    v = visits_30d if visits_30d is not None else pd.Series(dtype="int64")
    w["visits_30d"] = w["id"].map(v).fillna(0).astype("int64")
    w["capacity"] = w["employment"].map(
        lambda e: override.get(e, config.capacity(e)["visits_per_month"])).astype(float)
    w["load_ratio"] = (w["open"] + w["visits_30d"]) / w["capacity"]
    w["overloaded"] = w["load_ratio"] > 1.0
    return w.sort_values(["grid_code", "employment", "load_ratio", "id"],
                         key=lambda c: c.map({FULL_TIME: 0}).fillna(1) if c.name == "employment" else c,
                         kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- reads
def worker_filter(actor: Actor, worker_column):
    """A SQL condition on an assignment's/visit's worker column: a grid worker sees only their
    linked worker's rows (nothing when the account is not linked); other roles are not limited
    here (grid_filter still applies)."""
    from sqlalchemy import false, true

    if Role(actor.role) != Role.GRID_WORKER:
        return true()
    if actor.worker_id is None:
        return false()
    return worker_column == int(actor.worker_id)


def open_assignments_frame(conn, actor: Actor) -> pd.DataFrame:
    """Open assignments in scope: id, household_id, worker_id, worker_name, grid_code, due_on,
    version, assigned_by, created_at. A grid worker gets only their own (worker_filter)."""
    stmt = (select(A.c.id, A.c.household_id, A.c.worker_id, W.c.name.label("worker_name"),
                   G.c.code.label("grid_code"), A.c.due_on, A.c.version, A.c.assigned_by,
                   A.c.created_at)
            .join(H, A.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id)
            .join(W, A.c.worker_id == W.c.id)
            .where(A.c.status == ASSIGNMENT_OPEN, grid_filter(actor, G.c.code),
                   worker_filter(actor, A.c.worker_id))
            .order_by(A.c.due_on, A.c.id))
    df = _read(conn, stmt)
    if df.empty:
        return pd.DataFrame(columns=["id", "household_id", "worker_id", "worker_name", "grid_code",
                                     "due_on", "version", "assigned_by", "created_at"])
    return df


def worker_visit_list(conn, actor: Actor, worker_id: int) -> pd.DataFrame:
    """A worker's open assignments with address and head of household, for the printed list.
    Names and phones are masked unless the actor may see personal data; a grid worker gets only
    their own list (another worker's is empty)."""
    from grid.privacy import mask_name, mask_phone

    stmt = (select(A.c.id.label("assignment_id"), A.c.household_id, A.c.due_on,
                   G.c.code.label("grid_code"), H.c.address, H.c.head_name, H.c.phone)
            .join(H, A.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id)
            .where(A.c.status == ASSIGNMENT_OPEN, A.c.worker_id == worker_id,
                   grid_filter(actor, G.c.code), worker_filter(actor, A.c.worker_id))
            .order_by(A.c.due_on, A.c.id))
    df = _read(conn, stmt)
    if df.empty:
        return pd.DataFrame(columns=["assignment_id", "household_id", "due_on", "grid_code",
                                     "address", "head_name", "phone"])
    if not actor.sees_personal_data:
        df["head_name"] = df["head_name"].map(mask_name)
        df["phone"] = df["phone"].map(mask_phone)
    return df


# --------------------------------------------------------------------------- writes
def _worker_grid(session: Session, worker_id: int) -> tuple[GridWorker, str]:
    row = session.exec(select(GridWorker, CommunityGrid.code)
                       .join(CommunityGrid, GridWorker.grid_id == CommunityGrid.id)
                       .where(GridWorker.id == worker_id)).first()
    if row is None or not row[0].active:
        raise AssignmentError(f"网格员 {worker_id} 不存在或已停用", f"no active worker {worker_id}",
                              code="no_worker")
    return row[0], row[1]


def _check_writer(actor: Actor, grid_code: str) -> None:
    require(actor, *ASSIGNERS)
    if not actor.sees_grid(grid_code):
        raise AccessDenied(f"无权操作网格 {grid_code} (grid {grid_code} is outside your scope)",
                           en=f"Grid {grid_code} is outside your grids.", code="out_of_scope")


def assign_visits(*, session: Session, actor: Actor, household_ids, worker_id: int,
                  due_on: date, today: date) -> list[int]:
    """Assign households to a worker of their own grid; all or nothing. Returns the new ids."""
    ids = sorted({int(h) for h in household_ids})
    if not ids:
        raise AssignmentError("请至少选择一户", "select at least one household", code="none_selected")
    if due_on < today:
        raise AssignmentError(f"完成期限 {due_on} 早于今天 {today}", "due date is in the past",
                              code="due_in_past")
    worker, grid_code = _worker_grid(session, worker_id)
    _check_writer(actor, grid_code)
    rows = session.exec(select(Household.id, CommunityGrid.code)
                        .join(CommunityGrid, Household.grid_id == CommunityGrid.id)
                        .where(Household.id.in_(ids))).all()
    grid_of = {hid: code for hid, code in rows}
    missing = [h for h in ids if h not in grid_of]
    if missing:
        raise AssignmentError(f"住户不存在: {missing[:5]}", "unknown households", code="unknown_households")
    crossing = [h for h in ids if grid_of[h] != grid_code]
    if crossing:
        raise AssignmentError(f"住户 {crossing[:5]} 不在网格员所在网格 {grid_code}，不能跨网格派单",
                              "households outside the worker's grid", code="other_grid")
    busy = session.exec(select(VisitAssignment.household_id).where(
        VisitAssignment.household_id.in_(ids), VisitAssignment.status == ASSIGNMENT_OPEN)).all()
    if busy:
        raise AssignmentError(f"住户 {sorted(busy)[:5]} 已有未完成的派单，请改派或撤销",
                              "already assigned; reassign or cancel", code="already_assigned")
    new = [VisitAssignment(household_id=h, worker_id=worker_id, due_on=due_on,
                           assigned_by=actor.username) for h in ids]
    session.add_all(new)
    session.flush()
    for a in new:
        audit.record(session, actor=actor, action="assignment.create", entity="visit_assignment",
                     entity_id=a.id, after={"household_id": a.household_id, "worker_id": worker_id,
                                            "due_on": due_on.isoformat()})
    return [a.id for a in new]


def assign_shown(*, session: Session, actor: Actor, household_ids, worker_id: int,
                 due_on: date, today: date, confirm_over_capacity: bool = False,
                 config: RiskConfig | None = None) -> AssignOutcome:
    """The worklist's write, bound to what was shown: households assigned by someone else since
    the list was drawn are reported (AssignOutcome.already_assigned), never assigned twice; the
    rest are assigned (assign_visits' rules). If the worker's load (open assignments + visits
    on the 30 days ending today, as on the page) plus the new ones exceeds their monthly
    capacity ([coverage.capacity]), nothing is written unless `confirm_over_capacity`
    (OverCapacity says by how much)."""
    config = config or default_config()
    ids = sorted({int(h) for h in household_ids})
    if not ids:
        raise AssignmentError("请至少选择一户", "select at least one household", code="none_selected")
    worker, grid_code = _worker_grid(session, worker_id)
    _check_writer(actor, grid_code)
    taken = session.exec(select(VisitAssignment.household_id, GridWorker.name)
                         .join(GridWorker, VisitAssignment.worker_id == GridWorker.id)
                         .where(VisitAssignment.household_id.in_(ids),
                                VisitAssignment.status == ASSIGNMENT_OPEN)).all()
    busy = {int(h): name for h, name in taken}
    free = [h for h in ids if h not in busy]
    if not free:
        return AssignOutcome(created=[], already_assigned=busy)
    from sqlalchemy import func

    from grid.metrics import COVERAGE_DAYS
    from grid.models import Visit

    open_n = session.execute(select(func.count()).select_from(VisitAssignment).where(
        VisitAssignment.worker_id == worker_id, VisitAssignment.status == ASSIGNMENT_OPEN)).one()
    visits_n = session.execute(select(func.count()).select_from(Visit).where(
        Visit.worker_id == worker_id, Visit.visited_on <= today,
        Visit.visited_on > today - timedelta(days=COVERAGE_DAYS))).one()
    load = int(open_n[0]) + int(visits_n[0])
    capacity = float(config.capacity(worker.employment)["visits_per_month"])
    _, over = load_after(load, len(free), capacity)
    if over and not confirm_over_capacity:
        raise OverCapacity(name=worker.name, load=load, adding=len(free), capacity=capacity)
    created = assign_visits(session=session, actor=actor, household_ids=free, worker_id=worker_id,
                            due_on=due_on, today=today)
    return AssignOutcome(created=created, already_assigned=busy)


def _load_assignment(session: Session, assignment_id: int) -> tuple[VisitAssignment, str]:
    row = session.exec(select(VisitAssignment, CommunityGrid.code)
                       .join(Household, VisitAssignment.household_id == Household.id)
                       .join(CommunityGrid, Household.grid_id == CommunityGrid.id)
                       .where(VisitAssignment.id == assignment_id)).first()
    if row is None:
        raise AssignmentError(f"派单 {assignment_id} 不存在", f"no assignment {assignment_id}",
                              code="no_assignment")
    return row[0], row[1]


def _snapshot(a: VisitAssignment) -> dict:
    return {"worker_id": a.worker_id, "due_on": a.due_on.isoformat(), "status": a.status,
            "version": a.version}


def reassign_visit(*, session: Session, actor: Actor, assignment_id: int, expected_version: int,
                   worker_id: int, due_on: date | None = None, today: date | None = None) -> None:
    a, grid_code = _load_assignment(session, assignment_id)
    _check_writer(actor, grid_code)
    if a.status != ASSIGNMENT_OPEN:
        raise AssignmentError(f"派单 {assignment_id} 已{a.status}，不能改派", "not open", code="not_open")
    _, worker_grid = _worker_grid(session, worker_id)
    if worker_grid != grid_code:
        raise AssignmentError(f"网格员 {worker_id} 属于网格 {worker_grid}，住户在 {grid_code}，不能跨网格改派",
                              "worker is in another grid", code="other_grid")
    if due_on is not None and today is not None and due_on < today:
        raise AssignmentError(f"完成期限 {due_on} 早于今天 {today}", "due date is in the past",
                              code="due_in_past")
    before = _snapshot(a)
    values = {"worker_id": worker_id}
    if due_on is not None:
        values["due_on"] = due_on
    update_versioned(session, VisitAssignment, assignment_id, expected_version, **values)
    after = dict(before, worker_id=worker_id, due_on=(due_on or a.due_on).isoformat(),
                 version=expected_version + 1)
    audit.record(session, actor=actor, action="assignment.reassign", entity="visit_assignment",
                 entity_id=assignment_id, before=before, after=after)


def cancel_visit(*, session: Session, actor: Actor, assignment_id: int, expected_version: int,
                 reason: str) -> None:
    if not reason or not reason.strip():
        raise AssignmentError("撤销派单须写明原因", "a reason is required", code="reason_missing")
    a, grid_code = _load_assignment(session, assignment_id)
    _check_writer(actor, grid_code)
    if a.status != ASSIGNMENT_OPEN:
        raise AssignmentError(f"派单 {assignment_id} 已{a.status}，不能撤销", "not open", code="not_open")
    before = _snapshot(a)
    update_versioned(session, VisitAssignment, assignment_id, expected_version,
                     status=ASSIGNMENT_CANCELLED)
    audit.record(session, actor=actor, action="assignment.cancel", entity="visit_assignment",
                 entity_id=assignment_id, before=before,
                 after=dict(before, status=ASSIGNMENT_CANCELLED, version=expected_version + 1),
                 reason=reason.strip())
