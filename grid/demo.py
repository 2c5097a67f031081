"""`jizhen demo`: write the generated Zhongxing world into the database in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from grid import audit
from grid.access import SYSTEM
from grid.demo_gen import DemoWorld, generate
from grid.geometry import load_demo_grids
from grid.geotypes import utcnow
from grid.models import CommunityGrid, GridWorker, HardshipEvent, Household, Visit
from grid.db import session_scope

# Later stages of the demo (cases, scores, users) register here; each gets (session, today, seed).
DemoStep = Callable[..., None]


@dataclass
class DemoResult:
    grids: int
    workers: int
    households: int
    visits: int
    events: int
    skipped: bool = False


def _chunks(rows: list[dict], size: int = 5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def has_households(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(Household)).scalar())


def load_demo(engine: Engine, *, households: int, seed: int, today: date,
              steps: list[DemoStep] | None = None, progress=None) -> DemoResult:
    """Generate and store the demo. Refuses a database that already holds households."""
    if has_households(engine):
        raise ValueError("数据库中已有住户数据，演示数据只能写入空库 (database is not empty)")
    grids = load_demo_grids()
    world: DemoWorld = generate(grids, households=households, seed=seed, today=today)
    now = utcnow()
    with session_scope(engine) as session:
        grid_ids = {}
        for row in grids.itertuples():
            g = CommunityGrid(code=row.code, name=row.name, geometry_wkt=row.geometry.wkt)
            session.add(g)
            session.flush()
            grid_ids[row.code] = g.id
        worker_rows = world.workers.assign(grid_id=world.workers["grid_code"].map(grid_ids))
        worker_ids = _insert_returning_ids(session, GridWorker, _records(
            worker_rows.drop(columns="grid_code").assign(active=True, created_at=now)))
        hh = world.households.assign(grid_id=world.households["grid_code"].map(grid_ids))
        hh_ids = _insert_returning_ids(session, Household, _records(
            hh.drop(columns="grid_code").assign(version=1, created_at=now)), progress=progress)
        visits = world.visits.assign(
            household_id=[hh_ids[i] for i in world.visits["household_idx"]],
            worker_id=[worker_ids[i] for i in world.visits["worker_idx"]],
            notes="", created_at=now,
        ).drop(columns=["household_idx", "worker_idx"])
        for chunk in _chunks(_records(visits)):
            session.execute(insert(Visit), chunk)
            if progress:
                progress(len(chunk))
        events = world.events.assign(
            household_id=[hh_ids[i] for i in world.events["household_idx"]], created_at=now,
        ).drop(columns="household_idx")
        if len(events):
            session.execute(insert(HardshipEvent), _records(events))
        if world.facts is not None and len(world.facts):
            from grid.facts import dump_value, write_history

            f = world.facts
            rows = [{"household_id": hh_ids[i], "field": field, "value_json": dump_value(v),
                     "valid_from": vf, "recorded_on": rec, "recorded_at": now, "source": "demo",
                     "recorded_by": "", "reason": "演示数据", "corrects_id": None}
                    for i, field, v, vf, rec in zip(f["household_idx"].tolist(), f["field"].tolist(),
                                                    f["value"].tolist(), f["valid_from"].tolist(),
                                                    f["recorded_on"].tolist())]
            write_history(session, rows)
        audit.record(session, actor=SYSTEM, action="demo.generate", entity="database",
                     after={"households": households, "seed": seed, "today": today.isoformat()},
                     reason="jizhen demo")
        for step in steps or []:
            step(session, today=today, seed=seed)
    return DemoResult(len(grids), len(world.workers), len(world.households), len(world.visits),
                      len(world.events))


def _insert_returning_ids(session, model, rows: list[dict], progress=None) -> list[int]:
    """Insert rows in order and return their ids in the same order (portable: SQLite and PG)."""
    ids: list[int] = []
    for chunk in _chunks(rows):
        result = session.execute(insert(model).returning(model.id, sort_by_parameter_order=True),
                                 chunk)
        ids.extend(result.scalars().all())
        if progress:
            progress(len(chunk))
    return ids
