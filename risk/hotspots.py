"""Hotspots: H3 hexagons of risk-weighted household counts, Getis-Ord Gi*, per-grid density.

Resolution.  The default is H3 res 9 (~0.105 km2 per cell, ~350 m across): a 25 km2 town gives
~240-360 occupied cells -- enough cells for Gi* to have a distribution to compare against, and a
cell is a few blocks, i.e. something one grid worker can walk in an afternoon.  Res 8 (~0.74 km2)
gives only ~35 cells for the whole town (too few for a local statistic, and a cell spans several
grids); res 10 (~0.015 km2) leaves most cells with a handful of households.

Variable.  Each household counts with the weight of its level ([hotspots].level_weights, e.g.
red 1, orange 0.6, yellow 0.25, green 0); a cell's value is the sum -- the amount of risk a
worker would meet there.  Gi* (esda.G_Local, star=True, binary weights, the cell plus its six H3
neighbours) gives z-scores, and conditional permutations under a fixed seed give pseudo p-values.
Hot/cold at 95% (p <= 0.05) and 99% (p <= 0.01), by the sign of z.

Sparse cells: minimum-households rule.  A cell with fewer than [hotspots].min_households
households keeps its value in its neighbours' sums (those households exist) but is never itself
labelled hot or cold (label "too_few", p-value NaN).  We chose a hard minimum over smoothing
because (a) the variable is a count, so a rate-smoothing (empirical Bayes) would change what is
being measured; (b) Gi* of a small cell is mostly its neighbours' values, so it can cross the
threshold by sitting next to a dense block, a labelling that is "significant" but useless to a
supervisor who would be sent to a nearly empty cell; (c) a rule is easy to explain and tune.
"""

from __future__ import annotations

import warnings
from itertools import repeat

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from risk.config import RiskConfig, load_config

LABELS = ("hot_99", "hot_95", "not_significant", "cold_95", "cold_99", "too_few")
LABELS_ZH = {"hot_99": "高风险聚集(99%)", "hot_95": "高风险聚集(95%)",
             "not_significant": "不显著", "cold_95": "低风险聚集(95%)",
             "cold_99": "低风险聚集(99%)", "too_few": "户数过少"}


def h3_cells(lon, lat, resolution: int) -> np.ndarray:
    """H3 cell (uint64, integer API) of each point."""
    lat = np.asarray(lat, dtype=float).tolist()
    lon = np.asarray(lon, dtype=float).tolist()
    return np.fromiter(map(h3i.latlng_to_cell, lat, lon, repeat(resolution)),
                       dtype=np.uint64, count=len(lat))


def _level_weights(levels, config: RiskConfig) -> np.ndarray:
    lw = config.level_weights
    return pd.Series(np.asarray(levels, dtype=object)).map(lw).fillna(0).to_numpy(float)


def cell_counts(households: pd.DataFrame, scores: pd.DataFrame, *, resolution: int,
                config: RiskConfig) -> pd.DataFrame:
    """One row per occupied cell: cell, households, risk_weighted, red, orange, mean_score."""
    s = scores.set_index("household_id")
    idx = s.index.get_indexer(households["id"])
    if (idx < 0).any():
        raise ValueError("every household needs a score")
    level = s["level"].to_numpy(dtype=object)[idx]
    score = s["score"].to_numpy(dtype=float)[idx]
    cells = h3_cells(households["lon"].to_numpy(), households["lat"].to_numpy(), resolution)
    uniq, inv = np.unique(cells, return_inverse=True)
    k = len(uniq)
    out = pd.DataFrame({
        "cell": uniq,
        "households": np.bincount(inv, minlength=k),
        "risk_weighted": np.bincount(inv, weights=_level_weights(level, config), minlength=k),
        "red": np.bincount(inv, weights=level == "red", minlength=k).astype(np.int64),
        "orange": np.bincount(inv, weights=level == "orange", minlength=k).astype(np.int64),
        "mean_score": np.bincount(inv, weights=score, minlength=k)
        / np.maximum(np.bincount(inv, minlength=k), 1),
    })
    return out


def neighbour_weights(cells: np.ndarray):
    """libpysal W: binary, each cell's occupied H3 neighbours (ring 1); no self-weight
    (G_Local(star=True) adds the focal cell with weight 1)."""
    from libpysal.weights import W

    present = {int(c): i for i, c in enumerate(cells)}
    neighbours = {}
    for c, i in present.items():
        neighbours[i] = [present[n] for n in h3i.grid_disk(c, 1) if n != c and n in present]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return W(neighbours, silence_warnings=True)


def getis_ord(values: np.ndarray, cells: np.ndarray, *, permutations: int, seed: int):
    """Gi* z-scores and permutation p-values (one-sided pseudo p of esda) for each cell."""
    from esda.getisord import G_Local

    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 3 or np.allclose(values, values[0]):
        return np.zeros(n), np.ones(n)
    w = neighbour_weights(cells)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = G_Local(values, w, transform="B", star=True, permutations=permutations,
                    keep_simulations=False, n_jobs=1, seed=seed)
    p = np.asarray(g.p_sim if permutations else g.p_norm, dtype=float)
    z = np.asarray(g.Zs, dtype=float)
    # a cell whose neighbourhood is the whole study area has zero variance: no evidence either way
    undefined = ~np.isfinite(z)
    z[undefined] = 0.0
    p[undefined] = 1.0
    return z, p


def classify(z: np.ndarray, p: np.ndarray, households: np.ndarray, *, min_households: int):
    z, p = np.asarray(z), np.asarray(p)
    label = np.select(
        [(z > 0) & (p <= 0.01), (z > 0) & (p <= 0.05), (z < 0) & (p <= 0.01),
         (z < 0) & (p <= 0.05)],
        ["hot_99", "hot_95", "cold_99", "cold_95"], default="not_significant").astype(object)
    label[np.asarray(households) < min_households] = "too_few"
    return label


def hotspots(households: pd.DataFrame, scores: pd.DataFrame, *, config: RiskConfig | None = None,
             resolution: int | None = None, seed: int = 0, permutations: int | None = None,
             min_households: int | None = None) -> pd.DataFrame:
    """H3 cells with counts, Gi* z, p and label (hot_99/hot_95/not_significant/cold_95/cold_99/
    too_few), plus the cell centre (lon, lat) and grid_code of most of its households."""
    config = config or load_config()
    hs = config.hotspots
    resolution = int(hs.get("resolution", 9) if resolution is None else resolution)
    permutations = int(hs.get("permutations", 999) if permutations is None else permutations)
    min_households = int(hs.get("min_households", 15) if min_households is None
                         else min_households)
    cells = cell_counts(households, scores, resolution=resolution, config=config)
    z, p = getis_ord(cells["risk_weighted"].to_numpy(), cells["cell"].to_numpy(),
                     permutations=permutations, seed=seed)
    few = cells["households"].to_numpy() < min_households
    cells["gi_z"] = z
    cells["p_value"] = np.where(few, np.nan, p)
    cells["label"] = classify(z, p, cells["households"].to_numpy(), min_households=min_households)
    centres = [h3i.cell_to_latlng(int(c)) for c in cells["cell"]]
    cells["lat"] = [c[0] for c in centres]
    cells["lon"] = [c[1] for c in centres]
    cells["resolution"] = resolution
    return cells


def grid_density(households: pd.DataFrame, scores: pd.DataFrame, grids=None, *,
                 config: RiskConfig | None = None) -> pd.DataFrame:
    """Per grid: households, red/orange counts, risk-weighted count, mean score, and -- when the
    grids GeoDataFrame is given -- area_km2 and risk_per_km2 (risk-weighted count per km2)."""
    config = config or load_config()
    s = scores.set_index("household_id")
    idx = s.index.get_indexer(households["id"])
    level = s["level"].to_numpy(dtype=object)[idx]
    df = pd.DataFrame({
        "grid_code": households["grid_code"].to_numpy(),
        "risk_weighted": _level_weights(level, config),
        "red": level == "red", "orange": level == "orange",
        "score": s["score"].to_numpy(dtype=float)[idx],
    })
    out = df.groupby("grid_code", sort=True).agg(
        households=("score", "size"), red=("red", "sum"), orange=("orange", "sum"),
        risk_weighted=("risk_weighted", "sum"), mean_score=("score", "mean")).reset_index()
    out["risk_per_100_households"] = 100 * out["risk_weighted"] / out["households"]
    if grids is not None and len(grids):
        g = grids.to_crs(grids.estimate_utm_crs()) if grids.crs is not None else grids
        area = pd.Series(g.geometry.area.to_numpy() / 1e6, index=grids["code"].to_numpy())
        names = pd.Series(grids["name"].to_numpy(), index=grids["code"].to_numpy()) \
            if "name" in grids else None
        out = pd.DataFrame({"grid_code": grids["code"].to_numpy()}).merge(
            out, on="grid_code", how="left").fillna({"households": 0, "red": 0, "orange": 0,
                                                     "risk_weighted": 0.0})
        out["area_km2"] = out["grid_code"].map(area).to_numpy()
        out["risk_per_km2"] = out["risk_weighted"] / out["area_km2"]
        if names is not None:
            out.insert(1, "name", out["grid_code"].map(names).to_numpy())
    return out
