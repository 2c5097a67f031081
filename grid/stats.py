"""`jizhen stats`: counts per grid, as a plain dict."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from grid.access import Actor, grid_filter
from grid.frames import G, H, V, W, grids_frame
from grid.models import FULL_TIME, PART_TIME


def collect_stats(engine: Engine, actor: Actor) -> dict:
    grids = grids_frame(engine, actor)
    scope = grid_filter(actor, G.c.code)
    with engine.connect() as conn:
        hh = dict(conn.execute(select(G.c.code, func.count(H.c.id)).join(H, H.c.grid_id == G.c.id)
                               .where(scope).group_by(G.c.code)).all())
        workers = conn.execute(select(G.c.code, W.c.employment, func.count(W.c.id))
                               .join(W, W.c.grid_id == G.c.id).where(scope, W.c.active)
                               .group_by(G.c.code, W.c.employment)).all()
        outside = 0
        if actor.grid_codes is None:
            outside = conn.execute(select(func.count(H.c.id)).where(H.c.grid_id.is_(None))).scalar()
        visits = conn.execute(select(func.count(V.c.id)).join(H, V.c.household_id == H.c.id)
                              .join(G, H.c.grid_id == G.c.id).where(scope)).scalar()
    by_worker = {(code, emp): n for code, emp, n in workers}
    by_grid = []
    for row in grids.itertuples():
        c = row.geometry.centroid
        by_grid.append({"code": row.code, "name": row.name, "households": hh.get(row.code, 0),
                        "full_time": by_worker.get((row.code, FULL_TIME), 0),
                        "part_time": by_worker.get((row.code, PART_TIME), 0),
                        "centroid": [round(c.x, 6), round(c.y, 6)]})
    return {
        "grids": len(grids),
        "workers": {"full_time": sum(g["full_time"] for g in by_grid),
                    "part_time": sum(g["part_time"] for g in by_grid)},
        "households": sum(hh.values()) + outside,
        "households_outside_grids": outside,
        "visits": visits,
        "by_grid": by_grid,
    }
