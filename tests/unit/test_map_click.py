"""A click on the map -> the grid whose panel opens (dashboard.maps.grid_code_from_click)."""
from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Polygon

from dashboard.maps import grid_code_from_click

# Two unit squares side by side and an L-shaped grid whose bounding-box centre is outside it.
GRIDS = gpd.GeoDataFrame(
    {"code": ["G01", "G02", "G03"], "name": ["一", "二", "三"]},
    geometry=[Polygon([(0, 0), (1, 0), (1, 1), (0, 1)]), Polygon([(1, 0), (2, 0), (2, 1), (1, 1)]),
              Polygon([(0, 2), (2, 2), (2, 2.2), (0.2, 2.2), (0.2, 4), (0, 4)])],
    crs="EPSG:4326")


def test_point_inside_a_grid():
    assert grid_code_from_click({"last_object_clicked": {"lat": 0.5, "lng": 0.5}}, GRIDS) == "G01"
    assert grid_code_from_click({"last_object_clicked": {"lat": 0.5, "lng": 1.5}}, GRIDS) == "G02"
    assert grid_code_from_click({"last_clicked": {"lat": 3.0, "lng": 0.1}}, GRIDS) == "G03"


def test_the_newest_click_wins_over_an_older_feature():
    returned = {"last_object_clicked": {"lat": 0.5, "lng": 1.5},
                "last_active_drawing": {"properties": {"code": "G01"}}}
    assert grid_code_from_click(returned, GRIDS) == "G02"


def test_concave_grid_bbox_centre_is_not_inside():
    assert grid_code_from_click({"last_object_clicked": {"lat": 3.0, "lng": 1.0}}, GRIDS) is None


def test_feature_properties_when_the_point_is_outside_or_missing():
    assert grid_code_from_click({"last_active_drawing": {"properties": {"code": "G02"}}}, GRIDS) == "G02"
    outside = {"last_object_clicked": {"lat": 9.0, "lng": 9.0},
               "last_active_drawing": {"properties": {"code": "G03"}}}
    assert grid_code_from_click(outside, GRIDS) == "G03"


def test_nothing_or_out_of_scope():
    assert grid_code_from_click(None, GRIDS) is None
    assert grid_code_from_click({}, GRIDS) is None
    assert grid_code_from_click({"last_object_clicked": None, "last_active_drawing": None}, GRIDS) is None
    assert grid_code_from_click({"last_active_drawing": {"properties": {"code": "G99"}}}, GRIDS) is None
    assert grid_code_from_click({"last_object_clicked": {"lat": "x", "lng": None}}, GRIDS) is None
    assert grid_code_from_click({"last_object_clicked": {"lat": 0.5, "lng": 0.5}},
                                GRIDS.iloc[0:0]) is None
