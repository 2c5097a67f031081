"""Pure geometry: placing points in grids (vectorised), reading grid files, display simplification."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from grid.config import GRIDS_GEOJSON

OUTSIDE = -1


def load_demo_grids(path: Path = GRIDS_GEOJSON) -> gpd.GeoDataFrame:
    grids = gpd.read_file(path)[["code", "name", "geometry"]]
    return grids.sort_values("code", ignore_index=True)


def assign_to_grids(lon: np.ndarray, lat: np.ndarray, polygons) -> np.ndarray:
    """Index into `polygons` of the grid holding each point, OUTSIDE (-1) for strays.

    Vectorised with `shapely.intersects_xy` on prepared polygons, testing only points not yet
    placed. A point on a shared boundary intersects both grids; it goes to the first polygon in
    the given order (callers pass grids sorted by code), so the answer is deterministic.
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    if lon.shape != lat.shape:
        raise ValueError("lon and lat must have the same shape")
    geoms = list(polygons.geometry if hasattr(polygons, "geometry") else polygons)
    result = np.full(lon.shape, OUTSIDE, dtype=np.int32)
    todo = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    for index, geom in enumerate(geoms):
        if todo.size == 0:
            break
        shapely.prepare(geom)
        x, y = lon[todo], lat[todo]
        # Cheap bounding-box cut before the exact test.
        minx, miny, maxx, maxy = geom.bounds
        near = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
        cand = todo[near]
        hit = shapely.intersects_xy(geom, lon[cand], lat[cand])
        result[cand[hit]] = index
        todo = np.setdiff1d(todo, cand[hit], assume_unique=True)
    return result


def grid_codes_for(lon, lat, grids: gpd.GeoDataFrame) -> np.ndarray:
    """Grid code per point (None outside every grid). `grids` has columns code, geometry."""
    grids = grids.sort_values("code", ignore_index=True)
    idx = assign_to_grids(lon, lat, grids)
    codes = np.asarray(grids["code"], dtype=object)
    out = np.full(idx.shape, None, dtype=object)
    inside = idx != OUTSIDE
    out[inside] = codes[idx[inside]]
    return out


def simplified_for_display(grids: gpd.GeoDataFrame, tolerance_deg: float = 0.00005) -> gpd.GeoDataFrame:
    """Topology-preserving simplification (~5 m) so the map payload stays small."""
    out = grids.copy()
    out["geometry"] = shapely.coverage_simplify(out.geometry.values, tolerance_deg)
    return out
