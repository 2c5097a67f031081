"""今日任务 from the database: a worker's open visits with what the route and the page need, and
the day's route (grid.routes, pure) over them.

    day = worker_day(conn, actor, worker_id=7, today=date(2026, 12, 2))
    day.route.keys          # assignment ids in walking order
    day.visits              # one row per open visit: address (raw: mask with jizhen.privacy
                            # mask_frame before showing), score, level, reasons, due_on, last visit
    routes_for_grid(conn, actor, "321323100001", today=...)   # {worker_id: WorkerDay}, supervisors

Scope: the actor's grids (grid_filter); a grid worker gets only their own visits (worker_filter,
nothing when the account is not linked). The start of the day is the grid's representative point
(the community's service station stands in for it until stations are recorded).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, select

from grid.access import Actor, grid_filter
from grid.assignments import A, worker_filter
from grid.frames import G, H, V, W, _read, grids_frame
from grid.models import ASSIGNMENT_OPEN
from grid.routes import DayRoute, RouteConfig, Stop, plan_day
from risk.config import LEVELS

VISIT_COLUMNS = ["assignment_id", "version", "household_id", "worker_id", "worker_name",
                 "grid_code", "address", "head_name", "lon", "lat", "due_on", "score", "level",
                 "reasons", "last_visited_on"]


@dataclass(frozen=True)
class WorkerDay:
    worker_id: int
    route: DayRoute
    visits: pd.DataFrame  # VISIT_COLUMNS, indexed by nothing; route order is route.keys


def open_visits(conn, actor: Actor, *, worker_ids=None, grid_code: str | None = None) -> pd.DataFrame:
    """Open assignments in scope with household, latest stored score and last visit."""
    from grid.risk_service import latest_scores

    last = (select(V.c.household_id, func.max(V.c.visited_on).label("last_visited_on"))
            .group_by(V.c.household_id).subquery())
    stmt = (select(A.c.id.label("assignment_id"), A.c.version, A.c.household_id, A.c.worker_id,
                   W.c.name.label("worker_name"), G.c.code.label("grid_code"), H.c.address,
                   H.c.head_name, H.c.lon, H.c.lat, A.c.due_on, last.c.last_visited_on)
            .join(H, A.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id)
            .join(W, A.c.worker_id == W.c.id)
            .join(last, last.c.household_id == A.c.household_id, isouter=True)
            .where(A.c.status == ASSIGNMENT_OPEN, grid_filter(actor, G.c.code),
                   worker_filter(actor, A.c.worker_id)))
    if worker_ids is not None:
        stmt = stmt.where(A.c.worker_id.in_([int(w) for w in worker_ids]))
    if grid_code is not None:
        stmt = stmt.where(G.c.code == grid_code)
    df = _read(conn, stmt.order_by(A.c.id))
    if df.empty:
        return pd.DataFrame(columns=VISIT_COLUMNS)
    scores = latest_scores(conn, actor, grid_codes=sorted(df["grid_code"].unique()))
    scores = scores.set_index("household_id")[["score", "level", "reasons"]]
    df = df.join(scores, on="household_id")
    df["score"] = df["score"].astype(float).fillna(0.0)
    df["level"] = df["level"].where(df["level"].notna(), LEVELS[-1])
    df["reasons"] = [r if isinstance(r, list) else [] for r in df["reasons"]]
    for col in ("due_on", "last_visited_on"):
        df[col] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in df[col]]
    return df[VISIT_COLUMNS]


def grid_start(conn, actor: Actor, grid_code: str) -> tuple[float, float] | None:
    """Where a worker of this grid sets out: the grid's representative point (lon, lat)."""
    grids = grids_frame(conn, actor)
    row = grids[grids["code"] == grid_code]
    if row.empty:
        return None
    p = row.geometry.iloc[0].representative_point()
    return float(p.x), float(p.y)


def _stops(visits: pd.DataFrame) -> list[Stop]:
    return [Stop(key=int(r.assignment_id), household_id=int(r.household_id), lon=float(r.lon),
                 lat=float(r.lat), score=float(r.score), level=str(r.level), due_on=r.due_on,
                 last_visited_on=r.last_visited_on) for r in visits.itertuples()]


def _day(conn, actor, worker_id, visits, today, seed, config) -> WorkerDay:
    start = grid_start(conn, actor, str(visits["grid_code"].iloc[0])) if len(visits) else None
    route = plan_day(_stops(visits), today=today, start=start, config=config, seed=seed)
    return WorkerDay(worker_id=int(worker_id), route=route, visits=visits.reset_index(drop=True))


def worker_day(conn, actor: Actor, *, worker_id: int, today: date, seed: int = 0,
               config: RouteConfig | None = None) -> WorkerDay:
    """One worker's day: their open visits in scope and the route over them."""
    visits = open_visits(conn, actor, worker_ids=[worker_id])
    return _day(conn, actor, worker_id, visits, today, seed, config)


def routes_for_grid(conn, actor: Actor, grid_code: str, *, today: date, seed: int = 0,
                    config: RouteConfig | None = None) -> dict[int, WorkerDay]:
    """Every worker's day in one grid (for the supervisor's map): {worker_id: WorkerDay}. Empty
    when the grid is outside the actor's scope; a grid worker sees only their own day."""
    visits = open_visits(conn, actor, grid_code=grid_code)
    return {int(w): _day(conn, actor, w, part, today, seed, config)
            for w, part in visits.groupby("worker_id", sort=True)}
