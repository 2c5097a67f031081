"""Gi* on a tiny hand-made hex grid, hot/cold labels, the minimum-households rule, grid density."""

import math

import geopandas as gpd
import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from risk.config import load_config
from risk.hotspots import classify, getis_ord, grid_density, h3_cells, hotspots

CFG = load_config()
CENTRE = h3i.latlng_to_cell(33.72, 118.68, 9)


def test_gi_star_matches_hand_computation():
    # seven cells: a centre (value 10) and its ring; one ring cell A = 7, the other five = 1
    ring = [c for c in h3i.grid_disk(CENTRE, 1) if c != CENTRE]
    a = ring[0]
    cells = np.array([CENTRE] + ring, dtype=np.uint64)
    values = np.array([10.0, 7.0, 1, 1, 1, 1, 1])
    z, p = getis_ord(values, cells, permutations=0, seed=0)
    # by hand: n=7, sum=22, mean=22/7, S^2 = 154/7 - (22/7)^2, a ring cell has W = 4 (self,
    # centre, two ring neighbours): z = (sum_j x_j - 4*22/7) / (S*sqrt((7*4 - 16)/6))
    s = math.sqrt(154 / 7 - (22 / 7) ** 2)
    den = s * math.sqrt((7 * 4 - 4 ** 2) / 6)
    z_a = (7 + 10 + 1 + 1 - 4 * 22 / 7) / den         # A and the two ring cells next to A
    z_far = (1 + 10 + 1 + 1 - 4 * 22 / 7) / den       # ring cells not touching A
    assert z_a == pytest.approx(1.30558, abs=1e-5)
    assert z_far == pytest.approx(0.08704, abs=1e-5)
    # the centre's neighbourhood is every cell: zero variance, reported as z = 0
    assert z[0] == 0.0
    for c, zi in zip(cells[1:], z[1:]):
        near_a = int(c) == a or h3i.are_neighbor_cells(int(c), a)
        assert zi == pytest.approx(z_a if near_a else z_far, abs=1e-9)


def test_permutation_p_values_are_seeded():
    cells = np.array(h3i.grid_disk(CENTRE, 4), dtype=np.uint64)
    rng = np.random.default_rng(1)
    values = rng.poisson(3, len(cells)).astype(float)
    _, p1 = getis_ord(values, cells, permutations=199, seed=7)
    _, p2 = getis_ord(values, cells, permutations=199, seed=7)
    assert np.array_equal(p1, p2)
    assert ((p1 >= 1 / 200 - 1e-6) & (p1 <= 0.5 + 1e-6)).all()


def test_classify_levels_and_minimum():
    z = np.array([3.0, 2.0, 0.5, -2.0, -3.0, 4.0])
    p = np.array([0.005, 0.03, 0.4, 0.04, 0.001, 0.001])
    n = np.array([50, 50, 50, 50, 50, 3])
    assert classify(z, p, n, min_households=10).tolist() == [
        "hot_99", "hot_95", "not_significant", "cold_95", "cold_99", "too_few"]


def _town(seed=0):
    """Households on a 9x9-cell patch: background mostly green, a red block near one corner,
    and one almost-empty cell made only of red households."""
    rng = np.random.default_rng(seed)
    cells = h3i.grid_disk(CENTRE, 6)
    rows = []
    hot_centre = h3i.grid_disk(CENTRE, 4)[-1]
    hot = set(h3i.grid_disk(hot_centre, 1))
    for c in cells:
        lat, lon = h3i.cell_to_latlng(c)
        n = 40
        for _ in range(n):
            red = rng.random() < (0.6 if c in hot else 0.03)
            rows.append((c, lon + rng.normal(0, 1e-5), lat + rng.normal(0, 1e-5), red))
    far = h3i.grid_disk(CENTRE, 7)[-1]  # outside the patch, touching it
    lat, lon = h3i.cell_to_latlng(far)
    for _ in range(3):
        rows.append((far, lon, lat, True))
    df = pd.DataFrame(rows, columns=["cell", "lon", "lat", "red"])
    df["id"] = np.arange(len(df))
    df["grid_code"] = np.where(df["lon"] < h3i.cell_to_latlng(CENTRE)[1], "W", "E")
    scores = pd.DataFrame({"household_id": df["id"], "level": np.where(df.red, "red", "green"),
                           "score": np.where(df.red, 80.0, 5.0)})
    return df, scores, hot, far, hot_centre


def test_hotspots_find_the_red_block_and_ignore_sparse_cells():
    df, scores, hot, far, hot_centre = _town()
    assert (h3_cells(df.lon, df.lat, 9) == df.cell.to_numpy(np.uint64)).all()
    out = hotspots(df, scores, config=CFG, seed=0).set_index("cell")
    assert out.loc[list(hot), "red"].sum() > 0
    labels = out["label"]
    assert set(labels[list(hot)]) <= {"hot_99", "hot_95"}
    assert labels[far] == "too_few" and np.isnan(out.loc[far, "p_value"])
    # Gi* includes the neighbours, so the ring around the block may be hot too -- nothing further
    away = [c for c in out.index if h3i.grid_distance(int(c), hot_centre) > 2]
    assert not labels[away].str.startswith("hot").any()
    assert labels.str.startswith("cold").any()
    again = hotspots(df, scores, config=CFG, seed=0).set_index("cell")
    assert out["p_value"].equals(again["p_value"])


def test_grid_density_with_areas():
    df = pd.DataFrame({"id": [1, 2, 3, 4], "grid_code": ["A", "A", "B", "B"]})
    scores = pd.DataFrame({"household_id": [1, 2, 3, 4], "score": [90.0, 10, 50, 45],
                           "level": ["red", "green", "orange", "orange"]})
    # two 0.01 x 0.01 degree boxes near the town
    grids = gpd.GeoDataFrame({"code": ["A", "B", "C"], "name": ["甲", "乙", "丙"]},
                             geometry=[box(118.68, 33.72, 118.69, 33.73),
                                       box(118.69, 33.72, 118.70, 33.73),
                                       box(118.70, 33.72, 118.71, 33.73)], crs=4326)
    out = grid_density(df, scores, grids, config=CFG).set_index("grid_code")
    assert out.loc["A", "risk_weighted"] == pytest.approx(1.0)
    assert out.loc["B", "risk_weighted"] == pytest.approx(1.2)
    assert out.loc["C", "households"] == 0
    assert out.loc["A", "area_km2"] == pytest.approx(0.93 * 1.11, rel=0.02)
    assert out.loc["B", "risk_per_km2"] == pytest.approx(1.2 / out.loc["B", "area_km2"])
    assert out.loc["A", "name"] == "甲"
