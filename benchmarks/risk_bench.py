"""Risk benchmark: assignment to the 12 grids, scoring, hotspots, coverage -- with references.

    .venv/bin/python benchmarks/risk_bench.py --households 100000
    .venv/bin/python benchmarks/risk_bench.py --households 1000000 --json

Builds N clustered households over the 12 Zhongxing grids (data/geo/zhongxing_grids.geojson;
twelve generated polygons if the file or grid.geometry is missing), 5 visits each over the last
year, 54 full-time and 308 part-time workers.  Times (median of --repeat runs):
  assignment  grid.geometry.assign_to_grids  vs raw shapely.contains_xy per polygon (all points,
              12 prepared polygons) vs geopandas.sjoin(predicate="within") on a fresh frame;
  scoring     risk.scoring.score_households (from the raw frames: latest two visits, factors,
              levels, reasons)  vs a plain numpy weighted sum over a ready factor matrix;
  hotspots    risk.hotspots.hotspots (H3 res 9, Gi*, 999 permutations, fixed seed);
  coverage    risk.coverage.coverage_report.
Peak memory is the process's max RSS.  With --json the last line is one JSON object.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402

from risk.config import FACTORS, load_config  # noqa: E402
from risk.coverage import coverage_report  # noqa: E402
from risk.hotspots import hotspots  # noqa: E402
from risk.scoring import factor_matrix, levels_for, score_households  # noqa: E402

TODAY = dt.date(2026, 11, 29)


def load_grids() -> tuple[gpd.GeoDataFrame, str]:
    try:
        from grid.geometry import load_demo_grids

        return load_demo_grids(), "data/geo/zhongxing_grids.geojson"
    except Exception:  # fallback: 12 Voronoi cells over ~25 km2 near 118.68E 33.72N
        rng = np.random.default_rng(0)
        pts = shapely.points(118.66 + rng.random(12) * 0.06, 33.69 + rng.random(12) * 0.05)
        frame = shapely.box(118.658, 33.692, 118.721, 33.743)
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts),
                                                           extend_to=frame))
        cells = [shapely.intersection(c, frame) for c in cells]
        return gpd.GeoDataFrame({"code": [f"G{i:02d}" for i in range(12)],
                                 "name": [f"网格{i}" for i in range(12)]},
                                geometry=cells, crs=4326), "generated (fallback)"


def assign_function():
    try:
        from grid.geometry import assign_to_grids

        return assign_to_grids, "grid.geometry.assign_to_grids"
    except Exception:
        return None, "unavailable"


def build(n: int, grids: gpd.GeoDataFrame, seed: int):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = grids.total_bounds
    # clustered settlement: 400 neighbourhood centres inside the grids, ~150 m spread
    centres = []
    union = shapely.union_all(grids.geometry.values)
    shapely.prepare(union)
    while len(centres) < 400:
        x, y = minx + rng.random(2000) * (maxx - minx), miny + rng.random(2000) * (maxy - miny)
        ok = shapely.contains_xy(union, x, y)
        centres.extend(zip(x[ok], y[ok]))
    centres = np.array(centres[:400])
    weight = rng.pareto(1.5, 400) + 1
    pick = rng.choice(400, n, p=weight / weight.sum())
    lon = centres[pick, 0] + rng.normal(0, 0.0016, n)
    lat = centres[pick, 1] + rng.normal(0, 0.0013, n)
    households = pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=np.int64), "grid_code": None, "lon": lon, "lat": lat,
        "members": rng.integers(1, 6, n), "elderly_alone": rng.random(n) < 0.08,
        "minors": rng.poisson(0.4, n), "severe_disability": rng.random(n) < 0.03,
        "serious_illness": rng.random(n) < 0.04, "dibao": rng.random(n) < 0.04,
        "tekun": rng.random(n) < 0.01, "income_per_capita_yuan": rng.lognormal(7.5, 0.6, n)})
    m = 5 * n
    hh = np.repeat(households["id"].to_numpy(), 5)
    visits = pd.DataFrame({
        "id": np.arange(1, m + 1, dtype=np.int64), "household_id": hh,
        "worker_id": rng.integers(1, 363, m),
        "visited_on": (np.datetime64(TODAY) - rng.integers(0, 365, m).astype("timedelta64[D]"))
        .astype("datetime64[ns]"),
        "income_per_capita_yuan": np.where(rng.random(m) < 0.4, np.nan,
                                           rng.lognormal(7.5, 0.6, m)),
        "housing_loss": rng.random(m) < 0.004, "accidental_injury": rng.random(m) < 0.004,
        "sudden_illness_or_disaster": rng.random(m) < 0.006, "care_gap": rng.random(m) < 0.004,
        "lost_job": rng.random(m) < 0.01, "new_illness": rng.random(m) < 0.01})
    codes = list(grids["code"])
    emp = ["full_time"] * 54 + ["part_time"] * 308
    workers = pd.DataFrame({"id": np.arange(1, 363), "name": [f"网格员{i}" for i in range(362)],
                            "phone": "", "employment": emp,
                            "grid_code": [codes[i % len(codes)] for i in range(362)]})
    return households, visits, workers


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def raw_contains_xy(polys, lon, lat):
    idx = np.full(len(lon), -1, dtype=np.int32)
    for i, p in enumerate(polys):
        idx[shapely.contains_xy(p, lon, lat)] = i
    return idx


def sjoin_assign(grids, lon, lat):
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=grids.crs)
    return gpd.sjoin(pts, grids[["code", "geometry"]], predicate="within", how="left")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    n = a.households
    say = (lambda *x: print(*x, file=sys.stderr)) if a.json else print

    grids, grid_source = load_grids()
    t = time.perf_counter()
    households, visits, workers = build(n, grids, a.seed)
    say(f"built {n:,} households, {len(visits):,} visits in {time.perf_counter() - t:.1f} s "
        f"(grids: {grid_source})")
    lon, lat = households["lon"].to_numpy(), households["lat"].to_numpy()
    polys = list(grids.geometry.values)
    for p in polys:
        shapely.prepare(p)

    assign, assign_name = assign_function()
    raw_s, raw_idx = timed(lambda: raw_contains_xy(polys, lon, lat), a.repeat)
    sj_s, _ = timed(lambda: sjoin_assign(grids, lon, lat), max(1, a.repeat - 1))
    if assign is not None:
        as_s, idx = timed(lambda: assign(lon, lat, grids), a.repeat)
        agree = float(np.mean(idx == raw_idx))
    else:
        as_s, idx, agree = raw_s, raw_idx, 1.0
    codes = np.asarray(grids["code"], dtype=object)
    households["grid_code"] = np.where(idx >= 0, codes[np.maximum(idx, 0)], None)
    say(f"assignment  {assign_name}: {as_s:.3f} s ({n / as_s / 1e6:.2f} M/s)  |  "
        f"contains_xy per polygon: {raw_s:.3f} s ({n / raw_s / 1e6:.2f} M/s)  |  "
        f"sjoin: {sj_s:.3f} s ({n / sj_s / 1e6:.2f} M/s)  |  ratio vs contains_xy "
        f"{raw_s / as_s:.2f}x, vs sjoin {sj_s / as_s:.2f}x; agreement {agree:.4%}; "
        f"outside {int((idx < 0).sum())}")

    cfg = load_config()
    score_s, scores = timed(lambda: score_households(households, visits, today=TODAY,
                                                     config=cfg), a.repeat)
    fm_s, (mat, covered, _, _) = timed(
        lambda: factor_matrix(households, visits, today=TODAY, config=cfg), 1)
    w = np.array([cfg.points(f) for f in FACTORS], dtype=np.float32)
    x = mat.astype(np.float32)

    def numpy_sum():
        s = np.minimum(x @ w, 100.0)
        return s, levels_for(s, cfg)

    np_s, _ = timed(numpy_sum, a.repeat)
    lv = scores["level"].value_counts().to_dict()
    say(f"scoring     score_households: {score_s:.3f} s  |  numpy weighted sum on a ready "
        f"factor matrix: {np_s:.3f} s (ratio {score_s / np_s:.1f}x; building the factor "
        f"matrix alone {fm_s:.3f} s)  levels {lv}")

    t = time.perf_counter()
    import esda.getisord  # noqa: F401  (one-off import, ~1.4 s; not part of a hotspot run)
    import libpysal.weights  # noqa: F401
    say(f"(esda/libpysal import {time.perf_counter() - t:.2f} s, excluded)")
    hot_s, cells = timed(lambda: hotspots(households, scores, config=cfg, seed=0),
                         max(1, a.repeat - 1))
    say(f"hotspots    {hot_s:.3f} s: {len(cells)} H3 res-9 cells, "
        f"{cells['label'].value_counts().to_dict()}")
    cov_s, rep = timed(lambda: coverage_report(households, visits, workers, scores, today=TODAY,
                                               config=cfg), a.repeat)
    say(f"coverage    {cov_s:.3f} s: {len(rep['by_grid'])} grids, {len(rep['by_worker'])} "
        f"workers, {len(rep['overdue'])} overdue high-risk households")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"peak RSS    {peak:.0f} MB")
    result = {
        "households": n,
        "assign_seconds": round(as_s, 4),
        "assign_points_per_s": round(n / as_s),
        "contains_xy_points_per_s": round(n / raw_s),
        "sjoin_points_per_s": round(n / sj_s),
        "assign_vs_contains_xy": round(raw_s / as_s, 3),
        "score_seconds": round(score_s, 4),
        "numpy_score_seconds": round(np_s, 4),
        "hotspots_seconds": round(hot_s, 4),
        "coverage_seconds": round(cov_s, 4),
        "peak_rss_mb": round(peak, 1),
        "assign_function": assign_name,
    }
    if a.json:
        print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
