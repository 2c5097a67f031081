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


def regrid_households(session: Session) -> dict:
    """Re-place all households by point-in-polygon; returns counts and the strays' ids."""
    grids = pd.DataFrame(session.execute(select(G.c.id, G.c.code, G.c.geometry).order_by(G.c.code)).all(),
                         columns=["id", "code", "geometry"])
    hh = pd.DataFrame(session.execute(select(H.c.id, H.c.lon, H.c.lat, H.c.grid_id)).all(),
                      columns=["id", "lon", "lat", "grid_id"])
    if hh.empty:
        return {"moved": 0, "outside": 0, "outside_ids": []}
    polygons = shapely.from_wkt(grids["geometry"].to_numpy()) if len(grids) else []
    idx = assign_to_grids(hh["lon"].to_numpy(), hh["lat"].to_numpy(), polygons)
    grid_ids = np.asarray(grids["id"], dtype=object)
    new = np.full(len(hh), None, dtype=object)
    new[idx != OUTSIDE] = grid_ids[idx[idx != OUTSIDE]]
    old = hh["grid_id"].astype(object).where(hh["grid_id"].notna(), None).to_numpy()
    changed = np.flatnonzero([a != b for a, b in zip(old, new)])
    if changed.size:
        stmt = update(H).where(H.c.id == bindparam("hid")).values(grid_id=bindparam("gid"))
        session.execute(stmt, [{"hid": int(hh["id"].iat[i]),
                                "gid": None if new[i] is None else int(new[i])} for i in changed],
                        execution_options={"synchronize_session": False})
    outside_ids = hh["id"].to_numpy()[idx == OUTSIDE].tolist()
    return {"moved": int(changed.size), "outside": len(outside_ids), "outside_ids": outside_ids[:1000]}
