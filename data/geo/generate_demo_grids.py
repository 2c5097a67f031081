"""Regenerate data/geo/zhongxing_grids.geojson: 12 DEMO community grids around Zhongxing.

These are not the official boundaries (those come from the county GIS office through
`jizhen import grids`). They are a Voronoi partition of a ~25 km² town outline centred on the
county seat (33.72°N, 118.69°E), so that they are valid, contiguous and non-overlapping.
Run: python data/geo/generate_demo_grids.py
"""
import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon, mapping

CENTER_LON, CENTER_LAT = 118.690, 33.720
# Central first, then anticlockwise from the west, so 城东/城南/城西/城北 lie where they say.
NAMES = ["城中社区", "城西社区", "运河社区", "城南社区", "桃源社区", "洋河社区", "城东社区",
         "清水湾社区", "文城社区", "城北社区", "北京路社区", "众兴社区"]


def outline() -> Polygon:
    rng = np.random.default_rng(20200624)
    angles = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    radius = 1 + 0.08 * np.sin(3 * angles) + rng.normal(0, 0.015, angles.size)
    rx, ry = 0.030, 0.025  # ~2.8 km by ~2.8 km half-axes -> about 25 km²
    pts = [(CENTER_LON + rx * r * math.cos(a), CENTER_LAT + ry * r * math.sin(a))
           for a, r in zip(angles, radius)]
    return Polygon(pts)


def main() -> None:
    rng = np.random.default_rng(321323)
    town = outline()
    xs = np.linspace(-0.021, 0.021, 4)
    ys = np.linspace(-0.016, 0.016, 3)
    seeds = [(CENTER_LON + x + rng.normal(0, 0.003), CENTER_LAT + y + rng.normal(0, 0.003))
             for y in ys[::-1] for x in xs]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=town.buffer(0.05))
    cells = list(cells.geoms)
    features = []
    order = []
    for seed in seeds:
        cell = next(c for c in cells if c.contains(shapely.Point(seed)))
        order.append(cell)
    # Rank cells so the most central is 城中社区 and the rest follow anticlockwise from the west.
    dist = [math.hypot(s[0] - CENTER_LON, s[1] - CENTER_LAT) for s in seeds]
    first = int(np.argmin(dist))
    rest = sorted((i for i in range(12) if i != first),
                  key=lambda i: math.atan2(seeds[i][1] - CENTER_LAT, seeds[i][0] - CENTER_LON))
    for n, i in enumerate([first] + rest):
        geom = order[i].intersection(town)
        geom = shapely.segmentize(geom, 0.0004)
        geom = shapely.set_precision(geom, 1e-6)
        features.append({
            "type": "Feature",
            "properties": {"code": f"321323100{n + 1:03d}", "name": NAMES[n], "town": "众兴镇",
                           "note": "演示边界（非官方）/ demo boundary, not official"},
            "geometry": mapping(geom),
        })
    fc = {"type": "FeatureCollection", "name": "zhongxing_demo_grids", "features": features}
    out = Path(__file__).with_name("zhongxing_grids.geojson")
    out.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
