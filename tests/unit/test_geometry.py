"""Placing households in grids: vectorised, deterministic on shared boundaries, strays listed."""
import numpy as np
import shapely
from shapely.geometry import box

from grid.geometry import OUTSIDE, assign_to_grids, grid_codes_for, load_demo_grids, simplified_for_display


def test_boundary_point_goes_to_first_grid_in_order():
    left, right = box(0, 0, 1, 1), box(1, 0, 2, 1)
    lon = np.array([0.5, 1.0, 1.5, 3.0, 1.0])
    lat = np.array([0.5, 0.5, 0.5, 0.5, 1.0])
    assert assign_to_grids(lon, lat, [left, right]).tolist() == [0, 0, 1, OUTSIDE, 0]
    assert assign_to_grids(lon, lat, [right, left]).tolist() == [1, 0, 0, OUTSIDE, 0]


def test_nan_coordinates_are_strays():
    assert assign_to_grids(np.array([np.nan]), np.array([0.5]), [box(0, 0, 1, 1)]).tolist() == [OUTSIDE]


def test_demo_grids_are_valid_contiguous_and_do_not_overlap():
    grids = load_demo_grids()
    assert len(grids) == 12 and grids["code"].is_unique and grids["name"].str.endswith("社区").all()
    assert grids.is_valid.all()
    union = shapely.union_all(grids.geometry.values)
    assert union.geom_type == "Polygon"  # contiguous: one piece, no holes between grids
    assert len(union.interiors) == 0
    total = sum(g.area for g in grids.geometry)
    assert abs(union.area - total) / total < 1e-9  # no overlaps
    lon, lat = union.centroid.x, union.centroid.y
    assert abs(lat - 33.72) < 0.02 and abs(lon - 118.69) < 0.02
    km2 = grids.to_crs(4549).area.sum() / 1e6
    assert 15 < km2 < 40


def test_every_point_in_the_town_gets_exactly_one_grid():
    grids = load_demo_grids()
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = grids.total_bounds
    lon, lat = rng.uniform(minx, maxx, 20000), rng.uniform(miny, maxy, 20000)
    idx = assign_to_grids(lon, lat, grids)
    inside_union = shapely.intersects_xy(shapely.union_all(grids.geometry.values), lon, lat)
    assert ((idx != OUTSIDE) == inside_union).all()
    for i, geom in enumerate(grids.geometry):
        placed = idx == i
        assert shapely.intersects_xy(geom, lon[placed], lat[placed]).all()


def test_grid_codes_for_and_display_simplification():
    grids = load_demo_grids()
    c = grids.geometry.iloc[4].representative_point()
    codes = grid_codes_for(np.array([c.x, 0.0]), np.array([c.y, 0.0]), grids)
    assert codes.tolist() == [grids["code"].iloc[4], None]
    simple = simplified_for_display(grids)
    assert simple.is_valid.all()
    assert shapely.get_num_coordinates(simple.geometry.values).sum() < shapely.get_num_coordinates(grids.geometry.values).sum()
