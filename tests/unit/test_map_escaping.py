"""Every value that reaches the map is text: a grid named like an HTML tag renders as text in the
tooltip and the legend, never as markup (issue 10 item 1, map half)."""
from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from dashboard.maps import build_map, map_html

EVIL = "<img src=x onerror=alert(1)>"


def _html() -> str:
    grids = gpd.GeoDataFrame({"code": ["321323100001"], "name": [EVIL]},
                             geometry=[box(118.6, 33.7, 118.7, 33.8)], crs="EPSG:4326")
    cases = pd.DataFrame({"id": [1], "case_no": [EVIL], "category": [EVIL], "lon": [118.65],
                          "lat": [33.75], "grid_code": ["321323100001"], "status": ["accepted"],
                          "due_on": [None], "working_days_left": [2], "deadline_status": [EVIL]})
    return map_html(build_map(grids, grid_values=pd.Series({"321323100001": 0.5}),
                              metric="coverage_30d", cases=cases))


def _strings(page: str) -> list[str]:
    """Every JSON string literal in the page, decoded (what the browser's JS will see)."""
    out = []
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"', page):
        try:
            out.append(json.loads(m.group(0)))
        except ValueError:
            continue
    return out


def test_grid_name_is_escaped_in_the_map_html():
    page = _html()
    assert EVIL not in page
    decoded = _strings(page)
    assert not [s for s in decoded if "<img" in s], "raw markup reaches the page's JS"
    assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in decoded)
