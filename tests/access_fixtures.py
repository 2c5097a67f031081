"""Helpers for the access/audit/durability tests (owned by the access engineer)."""
from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from grid.access import SYSTEM
from grid.db import session_scope
from grid.ids import make_id_number
from grid.models import CommunityGrid, GridWorker, Household, VisitAssignment

SQUARES = {"G1": (118.00, 33.00), "G2": (118.10, 33.00)}


def square(lon: float, lat: float, size: float = 0.05) -> str:
    return (f"POLYGON(({lon} {lat}, {lon + size} {lat}, {lon + size} {lat + size}, "
            f"{lon} {lat + size}, {lon} {lat}))")


def small_world(engine: Engine, households_per_grid: int = 3) -> dict:
    """Two grids, two workers and a few households per grid, one open assignment in G1."""
    out: dict = {"grids": {}, "workers": {}, "households": {}}
    with session_scope(engine) as s:
        n = 0
        for code, (lon, lat) in SQUARES.items():
            g = CommunityGrid(code=code, name=f"网格{code}", geometry_wkt=square(lon, lat))
            s.add(g)
            s.flush()
            out["grids"][code] = g.id
            ws = []
            for k in range(2):
                w = GridWorker(name=f"网格员{code}{k}", phone=f"1390000{n:04d}", employment="full_time",
                               grid_id=g.id)
                s.add(w)
                s.flush()
                ws.append(w.id)
                n += 1
            out["workers"][code] = ws
            hs = []
            for k in range(households_per_grid):
                n += 1
                h = Household(address=f"{code}路{k}号", lon=lon + 0.01 + 0.001 * k, lat=lat + 0.01,
                              grid_id=g.id, head_name=f"户主{code}{k}",
                              head_id_number=make_id_number("321323", date(1970, 1, 1 + n % 28), n),
                              phone=f"1381111{n:04d}", members=2)
                s.add(h)
                s.flush()
                hs.append(h.id)
            out["households"][code] = hs
        a = VisitAssignment(household_id=out["households"]["G1"][0], worker_id=out["workers"]["G1"][0],
                            due_on=date(2026, 12, 1), assigned_by="test")
        s.add(a)
        s.flush()
        out["assignment"] = a.id
    return out


def table_names(engine: Engine) -> list[str]:
    return sorted(t for t in inspect(engine).get_table_names() if t != "spatial_ref_sys")


def snapshot(engine: Engine, tables: list[str] | None = None) -> dict[str, tuple[int, str]]:
    """Row count and a SHA-256 over every row (ordered by primary key) of every table."""
    tables = tables or table_names(engine)
    out = {}
    insp = inspect(engine)
    with engine.connect() as c:
        for t in tables:
            pk = insp.get_pk_constraint(t)["constrained_columns"] or [
                col["name"] for col in insp.get_columns(t)]
            order = ", ".join(f'"{k}"' for k in pk)
            digest = hashlib.sha256()
            n = 0
            for row in c.execute(text(f'SELECT * FROM "{t}" ORDER BY {order}')):
                digest.update(repr(tuple(row)).encode("utf-8"))
                n += 1
            out[t] = (n, digest.hexdigest())
    return out


def race_worker(url: str, assignment_id: int, worker_id: int, barrier, results) -> None:
    """Process target for the SQLite/PostgreSQL process race (importable for 'spawn')."""
    from grid.audit import record
    from grid.db import StaleEdit, make_engine, update_versioned

    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            version = s.get(VisitAssignment, assignment_id).version
        barrier.wait(timeout=30)
        try:
            with session_scope(engine) as s:
                update_versioned(s, VisitAssignment, assignment_id, version, worker_id=worker_id)
                record(s, actor=SYSTEM, action="assignment.reassign", entity="visit_assignment",
                       entity_id=assignment_id, before={"version": version},
                       after={"worker_id": worker_id})
            results.put(("ok", worker_id, version))
        except StaleEdit as exc:
            results.put(("stale", worker_id, str(exc)))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(("error", worker_id, repr(exc)))
    finally:
        engine.dispose()
