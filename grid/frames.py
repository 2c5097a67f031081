"""Read the database into the DataFrames of docs/DESIGN.md, always within the actor's scope."""
from __future__ import annotations

import gc
from contextlib import contextmanager

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from grid.access import Actor, grid_filter
from grid.models import CommunityGrid, GridWorker, HardshipEvent, Household, Visit

G = CommunityGrid.__table__
W = GridWorker.__table__
H = Household.__table__
V = Visit.__table__
E = HardshipEvent.__table__

HOUSEHOLD_COLUMNS = ["id", "grid_code", "lon", "lat", "members", "elderly_alone", "minors",
                     "severe_disability", "serious_illness", "dibao", "tekun",
                     "income_per_capita_yuan"]
VISIT_FLAGS = ["housing_loss", "accidental_injury", "sudden_illness_or_disaster", "care_gap",
               "lost_job", "new_illness"]


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector for a bulk read. Reading a grid's rows allocates two
    objects per row that reference counting frees as soon as the frame is built; on a dashboard
    process holding hundreds of thousands of objects, the full collections they trigger cost
    more than the read itself (0.3 s at 100k households). Collection resumes afterwards."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _frame(result) -> pd.DataFrame:
    """Rows as plain tuples: pandas probes a SQLAlchemy Row for array attributes one lookup at a
    time (a failed key lookup each), which costs more than the query on a grid's visits."""
    with _collector_paused():
        rows = result.fetchall()
        if not rows:
            return pd.DataFrame()
        return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(result.keys()))


def _read(conn: Engine | Connection, stmt) -> pd.DataFrame:
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return _frame(c.execute(stmt))
    return _frame(conn.execute(stmt))


def _in_grids(actor: Actor, grid_codes=None):
    """The actor's scope, narrowed to `grid_codes` when given (per-grid caches)."""
    cond = grid_filter(actor, G.c.code)
    return cond if grid_codes is None else cond & G.c.code.in_(list(grid_codes))


def grids_frame(conn, actor: Actor) -> gpd.GeoDataFrame:
    stmt = select(G.c.id, G.c.code, G.c.name, G.c.geometry).where(grid_filter(actor, G.c.code))
    df = _read(conn, stmt.order_by(G.c.code))
    if df.empty:
        return gpd.GeoDataFrame({"id": [], "code": [], "name": []}, geometry=[], crs="EPSG:4326")
    return gpd.GeoDataFrame(df.drop(columns="geometry"),
                            geometry=shapely.from_wkt(df["geometry"].to_numpy()), crs="EPSG:4326")


def workers_frame(conn, actor: Actor) -> pd.DataFrame:
    stmt = (select(W.c.id, W.c.name, W.c.phone, W.c.employment, G.c.code.label("grid_code"))
            .join(G, W.c.grid_id == G.c.id).where(W.c.active, grid_filter(actor, G.c.code))
            .order_by(W.c.id))
    df = _read(conn, stmt)
    return df if not df.empty else pd.DataFrame(columns=["id", "name", "phone", "employment", "grid_code"])


def households_frame(conn, actor: Actor, *, personal: bool = False,
                     grid_codes=None) -> pd.DataFrame:
    """Households in scope. `personal=True` adds name, ID number, phone and address (unmasked:
    callers mask for display with grid.privacy unless the actor may see them)."""
    cols = [H.c.id, G.c.code.label("grid_code"), H.c.lon, H.c.lat, H.c.members, H.c.elderly_alone,
            H.c.minors, H.c.severe_disability, H.c.serious_illness, H.c.dibao, H.c.tekun,
            H.c.income_per_capita_yuan]
    if personal:
        cols += [H.c.address, H.c.head_name, H.c.head_id_number, H.c.phone]
    stmt = (select(*cols).join(G, H.c.grid_id == G.c.id).where(_in_grids(actor, grid_codes))
            .order_by(H.c.id))
    df = _read(conn, stmt)
    return df if not df.empty else pd.DataFrame(columns=[c.name for c in cols])


def visits_frame(conn, actor: Actor, *, since=None, until=None, grid_codes=None) -> pd.DataFrame:
    cols = [V.c.id, V.c.household_id, V.c.worker_id, V.c.visited_on, V.c.income_per_capita_yuan,
            *[V.c[f] for f in VISIT_FLAGS]]
    stmt = (select(*cols).join(H, V.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id)
            .where(_in_grids(actor, grid_codes)))
    if since is not None:
        stmt = stmt.where(V.c.visited_on >= since)
    if until is not None:
        stmt = stmt.where(V.c.visited_on <= until)
    df = _read(conn, stmt.order_by(V.c.id))
    if df.empty:
        return pd.DataFrame(columns=[c.name for c in cols]).astype({"visited_on": "datetime64[ns]"})
    df["visited_on"] = pd.to_datetime(df["visited_on"])
    df["income_per_capita_yuan"] = df["income_per_capita_yuan"].astype(float)
    return df


def events_frame(conn, actor: Actor) -> pd.DataFrame:
    stmt = (select(E.c.id, E.c.household_id, E.c.occurred_on, E.c.category)
            .join(H, E.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id)
            .where(grid_filter(actor, G.c.code)).order_by(E.c.id))
    df = _read(conn, stmt)
    if df.empty:
        return pd.DataFrame(columns=["id", "household_id", "occurred_on", "category"])
    df["occurred_on"] = pd.to_datetime(df["occurred_on"])
    return df
