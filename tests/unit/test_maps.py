"""dashboard.maps: offline assets, counts that add up, payload size. Pure (no database)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import maps
from grid.geometry import load_demo_grids, simplified_for_display

STATIC = Path(maps.__file__).resolve().parent / "static"


@pytest.fixture(scope="module")
def grids():
    return simplified_for_display(load_demo_grids())


def _households(grids, n, seed=0, missing=0):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = grids.total_bounds
    df = pd.DataFrame({"id": np.arange(n), "lon": rng.uniform(minx, maxx, n),
                       "lat": rng.uniform(miny, maxy, n),
                       "grid_code": rng.choice(grids["code"].to_numpy(), n),
                       "level": rng.choice(["red", "orange", "yellow", "green"], n,
                                           p=[0.03, 0.07, 0.2, 0.7]),
                       "worker_id": rng.integers(1, 20, n)})
    df.loc[: missing - 1, ["lon", "lat"]] = np.nan
    return df


def _cases():
    return pd.DataFrame({"id": [1, 2, 3], "case_no": ["LS-1", "LS-2", "<b>LS-3</b>"],
                         "category": ["care_gap", "housing_loss", "accidental_injury"],
                         "lon": [118.68, 118.69, 118.70], "lat": [33.72, 33.73, 33.71],
                         "grid_code": ["a", "b", "c"], "status": ["reported"] * 3,
                         "working_days_left": [3, 1, -2],
                         "deadline_status": ["on_time", "due_soon", "overdue"]})


def _cluster_points(html: str) -> list:
    m = re.search(r"var data = (\[.*?\]\]);", html, flags=re.S)
    return json.loads(m.group(1)) if m else []


def test_no_cdn_and_every_asset_is_vendored(grids):
    hh = _households(grids, 2000)
    m = maps.build_map(grids, grid_values=pd.Series(0.5, index=grids["code"]),
                       hotspots=None, heat=hh.assign(weight=1.0), cases=_cases(), households=hh)
    html = maps.map_html(m)
    assert not re.search(r"(?:src|href)=\"https?://", html)
    assert "cdn" not in html.lower() and "jquery" not in html.lower()
    urls = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert {"/app/static/vendor/leaflet/leaflet.js", "/app/static/vendor/leaflet/leaflet.css"} <= set(urls)
    for url in urls:
        assert url.startswith("/app/static/"), url
        assert (STATIC / url.removeprefix("/app/static/")).is_file(), url


def test_assets_for_st_folium_are_local_too(grids):
    """st_folium collects default_js/default_css of every element itself (not from the HTML)."""
    m = maps.build_map(grids, grid_values=pd.Series(1.0, index=grids["code"]),
                       households=_households(grids, 100), heat=_households(grids, 10))
    links = [src for e in maps._walk(m) for _, src in getattr(e, "default_js", [])]
    links += [href for e in maps._walk(m) for _, href in getattr(e, "default_css", [])]
    assert links and all(u.startswith("/app/static/vendor/") for u in links)


def test_cluster_total_equals_filtered_total(grids):
    hh = _households(grids, 5000, seed=3, missing=7)
    code = grids["code"].iloc[2]
    filtered = maps.filter_households(hh, grid_codes=[code], levels=["red", "orange"])
    expected = int(((hh.grid_code == code) & hh.level.isin(["red", "orange"])).sum())
    assert len(filtered) == expected
    m = maps.folium.Map(tiles=None)
    counts = maps.household_cluster_layer(m, filtered)
    maps.use_local_assets(m)
    html = maps.map_html(m)
    points = _cluster_points(html)
    assert counts["total"] == expected
    assert counts["placed"] + counts["missing"] == expected
    assert len(points) == counts["placed"]
    assert f"所选风险等级住户 {expected} 户（无坐标 {counts['missing']} 户）" in html


def test_filters(grids):
    hh = _households(grids, 1000, seed=5)
    assert len(maps.filter_households(hh)) == 1000
    assert len(maps.filter_households(hh, levels=[])) == 0
    w = maps.filter_households(hh, worker_id=3)
    assert (w.worker_id == 3).all() and len(w) == int((hh.worker_id == 3).sum())
    c = maps.filter_cases(_cases(), deadline_statuses=["overdue"])
    assert c["case_no"].tolist() == ["<b>LS-3</b>"]


def test_case_markers_colours_and_escaped_popup(grids):
    m = maps.folium.Map(tiles=None)
    assert maps.case_layer(m, _cases()) == 3
    html = maps.map_html(maps.use_local_assets(m))
    for status, colour in maps.DEADLINE_COLOURS.items():
        assert colour in html
        assert f"jizhen-case-{status}" in html
    assert "<b>LS-3</b>" not in html and "&lt;b&gt;LS-3&lt;/b&gt;" in html
    assert "LS-1" in html


def test_map_payload_at_100k_households_is_under_2mb(grids):
    hh = _households(grids, 100_000, seed=9)
    high = maps.filter_households(hh, levels=["red", "orange"])
    m = maps.build_map(grids, grid_values=pd.Series(np.arange(len(grids)), index=grids["code"]),
                       metric="mean_score", cases=_cases(), households=high)
    size = len(maps.map_html(m).encode())
    assert size < 2_000_000, size
    assert len(_cluster_points(maps.map_html(m))) == len(high)


def test_basemap_settings(grids):
    values = pd.Series(1.0, index=grids["code"])
    html = maps.map_html(maps.build_map(grids, grid_values=values, tiles="none"))
    assert "tileLayer" not in html
    html = maps.map_html(maps.build_map(grids, grid_values=values, tiles="tianditu_img",
                                        tianditu_key="KEY123"))
    assert "img_w" in html and "cia_w" in html and "tk=KEY123" in html
    html = maps.map_html(maps.build_map(grids, grid_values=values,
                                        tiles="http://127.0.0.1:9000/{z}/{x}/{y}.png"))
    assert "127.0.0.1:9000" in html
    with pytest.raises(maps.UnknownTiles):
        maps.build_map(grids, grid_values=values, tiles="tianditu_vec")
    with pytest.raises(maps.UnknownTiles):
        maps.build_map(grids, grid_values=values, tiles="amap")


def test_choropleth_legend_and_classes(grids):
    values = pd.Series(np.linspace(0, 1, len(grids)), index=grids["code"])
    breaks = maps.class_breaks(values)
    assert breaks[0] == 0 and breaks[-1] == 1 and breaks == sorted(breaks)
    html = maps.map_html(maps.build_map(grids, grid_values=values))
    assert "jizhen-legend" in html and html.count('"code"') >= len(grids)


def test_coverage_classes_are_fixed_and_dark_means_high():
    # the same four classes whatever the values (not quantiles of today's grids)
    assert [maps.share_class(v) for v in (0.0, 0.299, 0.3, 0.5999, 0.6, 0.79, 0.8, 1.0)] \
        == [0, 0, 1, 1, 2, 2, 3, 3]
    assert maps.share_class(float("nan")) is None and maps.share_colour(float("nan")) == "#cccccc"
    assert maps.share_class_labels("zh") == ["低于30%（需关注）", "30%–60%", "60%–80%", "80%及以上"]

    def lightness(hex_colour):
        r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    # the highest class is the darkest: dark never means low coverage
    assert lightness(maps.share_colour(0.9)) < min(lightness(maps.share_colour(v)) for v in (0.1, 0.4, 0.7))
    # 30.2% and 33.4% are the same class (quantiles used to stretch them over the palette)
    assert maps.share_colour(0.302) == maps.share_colour(0.334)


def test_one_collapsible_legend_and_grid_names_on_the_map(grids):
    values = pd.Series(0.5, index=grids["code"])
    cases = _cases()
    hs = _households(grids, 300, seed=2).assign(visit_status="never")
    m = maps.build_map(grids, grid_values=values, cases=cases, visit_status=hs,
                       hotspots=pd.DataFrame(columns=["cell", "label", "households", "gi_z"]))
    html = maps.map_html(m)
    assert html.count('L.control({position: "bottomright"})') == 1  # one legend
    assert "<details open>" in html  # folds (closed at first on a phone-sized map)
    assert "图例" in html
    for name in grids["name"]:
        assert name in html  # written on the polygons
    assert "jizhen-grid-label" in html


def test_visit_status_layer_counts_and_symbols(grids):
    import folium

    hh = _households(grids, 400, seed=4, missing=5)
    statuses = np.array(["overdue_assignment", "never", "over_90d", "over_30d", "recent"])
    hh = hh.assign(visit_status=statuses[np.arange(len(hh)) % 5])
    m = folium.Map(tiles=None)
    legend: list = []
    counts = maps.visit_status_layer(m, hh, legend=legend)
    need = hh[hh["visit_status"] != "recent"]
    assert counts["placed"] + counts["missing"] == len(need)
    assert counts["never"] == int((need["visit_status"] == "never").sum())
    assert counts["recent"] == 0  # recently visited households are not drawn
    section = legend[0]
    assert "从未走访：%d" % counts["never"] in section and "■" in section and "◆" in section
    html = m.get_root().render()
    assert "household?hh=" in html and "_top" in html


def test_maps_is_pure():
    src = Path(maps.__file__).read_text()
    assert "import streamlit" not in src and "sqlalchemy" not in src


def test_no_jquery_dependent_code(grids):
    """jQuery is not loaded offline: folium.Popup (built with `$(...)`) must not be used."""
    m = maps.build_map(grids, grid_values=pd.Series(1.0, index=grids["code"]), cases=_cases(),
                       households=_households(grids, 50))
    html = maps.map_html(m)
    assert "$(" not in html and "jQuery" not in html
    assert ".bindPopup(" in html


def test_scale_bar_is_metric_only():
    from dashboard.maps import _MetricScale
    import folium

    m = folium.Map(tiles=None, control_scale=False)
    _MetricScale().add_to(m)
    html = m.get_root().render()
    assert "L.control.scale({imperial: false, metric: true})" in html


def test_hotspot_layer_has_a_legend_for_the_classes_it_draws():
    import folium
    import h3.api.basic_int as h3i
    import pandas as pd

    from dashboard.maps import hotspot_layer

    cell = h3i.latlng_to_cell(33.72, 118.69, 9)
    hexes = pd.DataFrame({"cell": [cell, h3i.grid_disk(cell, 1)[1]], "label": ["hot_99", "not_significant"],
                          "households": [40, 20], "gi_z": [3.1, 0.2]})
    m = folium.Map(tiles=None)
    assert hotspot_layer(m, hexes) == 1
    html = m.get_root().render()
    # plain words, not statistics: the cluster kind, never "Gi* z"
    assert "风险聚集区（很可能）" in html and "低风险聚集区" not in html and "Gi*" not in html


def test_gcj02_tile_sources_are_refused_not_mixed_in():
    import folium
    import pytest

    from dashboard.maps import UnknownTiles, add_basemap

    amap = "https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&style=8&x={x}&y={y}&z={z}"
    with pytest.raises(UnknownTiles, match="GCJ-02"):
        add_basemap(folium.Map(tiles=None), amap)
    local = "http://127.0.0.1:8080/{z}/{x}/{y}.png"
    m = folium.Map(tiles=None)
    add_basemap(m, local)
    assert local in m.get_root().render()


def test_route_layer_one_line_per_worker_with_escaped_names():
    import folium

    m = folium.Map(tiles=None)
    legend: list = []
    n = maps.route_layer(m, [("<b>张三</b>", [(33.72, 118.68), (33.73, 118.69), (33.74, 118.70)]),
                             ("李四", [(33.72, 118.68)])], legend=legend)
    html = maps.map_html(m)
    assert n == 1  # a route with no stop after the start is not drawn
    assert "jizhen-route" in html and "<b>张三</b>" not in html
    assert "&lt;b&gt;张三&lt;/b&gt;：2 户" in legend[0]
