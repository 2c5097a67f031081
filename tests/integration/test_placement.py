"""Households follow the grid boundaries when boundaries are re-imported."""
from datetime import date

import geopandas as gpd
from shapely.affinity import translate
from sqlalchemy import select

from grid.db import session_scope
from grid.demo import load_demo
from grid.geometry import grid_codes_for, load_demo_grids
from grid.imports.grids import import_grids
from grid.models import CommunityGrid, Household


def _placement(engine):
    with engine.connect() as c:
        rows = c.execute(select(Household.id, Household.lon, Household.lat, CommunityGrid.code)
                         .join(CommunityGrid, Household.grid_id == CommunityGrid.id, isouter=True)
                         .order_by(Household.id)).all()
    return rows


def test_reimported_boundaries_move_households(engine, tmp_path):
    load_demo(engine, households=400, seed=4, today=date(2026, 11, 29))
    grids = load_demo_grids()
    # Shift the whole grid set ~500 m east: households in the west fall outside, others move.
    moved = grids.copy()
    moved["geometry"] = [translate(g, xoff=0.005) for g in grids.geometry]
    path = tmp_path / "grids.geojson"
    gpd.GeoDataFrame(moved, crs="EPSG:4326").to_file(path, driver="GeoJSON")
    with session_scope(engine) as s:
        report = import_grids(path, session=s)
    rows = _placement(engine)
    expected = grid_codes_for([r.lon for r in rows], [r.lat for r in rows], moved)
    assert [r.code for r in rows] == list(expected)
    assert report.details["households_outside"] == sum(e is None for e in expected) > 0
    assert report.details["households_moved"] > 0
    assert "重新归属住户" in report.summary_zh()
