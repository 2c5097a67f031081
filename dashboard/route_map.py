"""The day's route as a folium map: numbered pins in walking order and the path between them.
Pure (no streamlit, no database); offline like every map of the product (dashboard.maps' vendored
Leaflet, basemap setting and text escaping).

    m = route_map(planned, start=(118.69, 33.72), tiles="none", lang="zh")

`planned` is a frame in route order with columns order, lon, lat, level, address (already masked
for the viewer: jizhen.privacy.mask_frame) -- the map shows what it is given.
"""
from __future__ import annotations

import folium
import pandas as pd

from dashboard.maps import CENTER, MAX_ZOOM, MIN_ZOOM, _html_text, add_basemap, use_local_assets
from dashboard.texts_visit import tv

# Pin colours by risk level (the level names are risk.config.LEVELS).
LEVEL_COLOURS = {"red": "#c62828", "orange": "#ef6c00", "yellow": "#f9a825", "green": "#2e7d32"}
START_COLOUR = "#37474f"
PIN_CLASS = "route-pin"


def _pin(number: int | str, colour: str) -> folium.DivIcon:
    html_ = (f'<div class="{PIN_CLASS}" style="background:{colour};color:#fff;border:2px solid #fff;'
             'border-radius:50%;width:26px;height:26px;line-height:22px;text-align:center;'
             f'font:bold 13px sans-serif;box-shadow:0 0 3px rgba(0,0,0,.6)">{number}</div>')
    return folium.DivIcon(html=html_, icon_size=(26, 26), icon_anchor=(13, 13))


def route_map(planned: pd.DataFrame, *, start: tuple[float, float] | None, tiles: str = "none",
              tianditu_key: str = "", lang: str = "zh", return_to_start: bool = True) -> folium.Map:
    """Numbered pins (1, 2, ... in route order, coloured by risk level, address as tooltip), the
    walking path, and the start marked; the view fitted to them."""
    points = [(float(r.lat), float(r.lon)) for r in planned.itertuples()]
    centre = points[0] if points else ((start[1], start[0]) if start else CENTER)
    m = folium.Map(location=centre, zoom_start=16, tiles=None, min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM,
                   control_scale=True)
    add_basemap(m, tiles, tianditu_key=tianditu_key)
    path = list(points)
    if start is not None:
        s = (float(start[1]), float(start[0]))
        folium.Marker(s, icon=_pin("起", START_COLOUR),
                      tooltip=_html_text(tv("today.start", lang))).add_to(m)
        path = [s, *points, *([s] if return_to_start and points else [])]
    if len(path) > 1:
        folium.PolyLine(path, color="#1565c0", weight=3, opacity=0.8, dash_array="6 6").add_to(m)
    for r in planned.itertuples():
        colour = LEVEL_COLOURS.get(str(r.level), LEVEL_COLOURS["green"])
        tip = _html_text(f"{int(r.order)}. {r.address}")
        folium.Marker((float(r.lat), float(r.lon)), icon=_pin(int(r.order), colour), tooltip=tip).add_to(m)
    if len(path) > 1:
        lats, lons = [p[0] for p in path], [p[1] for p in path]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))], padding=(20, 20))
    return use_local_assets(m)
