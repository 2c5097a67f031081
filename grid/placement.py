"""Keep every household in the grid its coordinates fall in (after boundaries change)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from grid.geometry import OUTSIDE, assign_to_grids
from grid.models import CommunityGrid, Household

H = Household.__table__
G = CommunityGrid.__table__


def placed_grid(point_grid, current_grid, by_hand: bool, existing) -> tuple[object, bool]:
    """Where a household belongs after the boundaries change, and whether by hand: the grid its
    location falls in (a hand assignment ends: the map now covers it); else the grid assigned by
    hand, while that grid still exists; else outside every grid (None). Works on ids or codes."""
    if point_grid is not None:
        return point_grid, False
    if by_hand and current_grid is not None and current_grid in existing:
        return current_grid, True
    return None, False


def regrid_households(session: Session) -> dict:
    """Re-place all households by point-in-polygon (placed_grid: hand assignments outside every
    grid are kept); returns counts, the strays' ids and how many kept a hand-assigned grid."""
    grids = pd.DataFrame(session.execute(select(G.c.id, G.c.code, G.c.geometry).order_by(G.c.code)).all(),
                         columns=["id", "code", "geometry"])
    hh = pd.DataFrame(session.execute(select(H.c.id, H.c.lon, H.c.lat, H.c.grid_id, H.c.grid_by_hand)).all(),
                      columns=["id", "lon", "lat", "grid_id", "grid_by_hand"])
    if hh.empty:
        return {"moved": 0, "outside": 0, "outside_ids": [], "kept_by_hand": 0}
    polygons = shapely.from_wkt(grids["geometry"].to_numpy()) if len(grids) else []
    idx = assign_to_grids(hh["lon"].to_numpy(), hh["lat"].to_numpy(), polygons)
    grid_ids = np.asarray(grids["id"], dtype=object)
    point = np.full(len(hh), None, dtype=object)
    point[idx != OUTSIDE] = grid_ids[idx[idx != OUTSIDE]]
    old = hh["grid_id"].astype(object).where(hh["grid_id"].notna(), None).to_numpy()
    by_hand = hh["grid_by_hand"].fillna(False).astype(bool).to_numpy()
    existing = {int(g) for g in grids["id"]}
    placed = [placed_grid(None if p is None else int(p), None if o is None else int(o), bool(b), existing)
              for p, o, b in zip(point, old, by_hand)]
    changed = [i for i, (new, hand) in enumerate(placed) if new != old[i] or hand != by_hand[i]]
    if changed:
        stmt = (update(H).where(H.c.id == bindparam("hid"))
                .values(grid_id=bindparam("gid"), grid_by_hand=bindparam("hand")))
        session.execute(stmt, [{"hid": int(hh["id"].iat[i]), "gid": placed[i][0], "hand": placed[i][1]}
                               for i in changed], execution_options={"synchronize_session": False})
    outside_ids = [int(hh["id"].iat[i]) for i, (new, _h) in enumerate(placed) if new is None]
    moved = sum(1 for i in changed if placed[i][0] != old[i])
    return {"moved": moved, "outside": len(outside_ids), "outside_ids": outside_ids[:1000],
            "kept_by_hand": sum(1 for _g, hand in placed if hand)}
