"""The map a rerun rebuilds after a write: pending cases are one layer element (not a marker and a
popup element per case, each compiled as a template of its own on every render), still listed in
the layer control, one marker per case with its deadline class; and user text stays text through
branca's second template pass ("{{ 7*7 }}" in a grid name or case number is shown, never run).
Pure (no database)."""
from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import jinja2
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard import maps

CODE = "321323100001"


def _grids(name: str = "城中社区") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": [CODE], "name": [name]},
                            geometry=[box(118.6, 33.7, 118.7, 33.8)], crs="EPSG:4326")


def _cases(n: int, case_no: str = "LS-{i}") -> pd.DataFrame:
    statuses = list(maps.DEADLINE_STATUSES)
    return pd.DataFrame({
        "id": range(n), "case_no": [case_no.replace("{i}", str(i)) for i in range(n)],
        "category": ["care_gap"] * n, "lon": [118.61 + i * 1e-4 for i in range(n)],
        "lat": [33.71] * n, "grid_code": [CODE] * n, "status": ["accepted"] * n,
        "working_days_left": [i % 5 for i in range(n)],
        "deadline_status": [statuses[i % len(statuses)] for i in range(n)]})


def _case_rows(page: str) -> list:
    m = re.search(r"var case_markers_\w+ = L\.featureGroup\(\);\s*(\[.*?\])\.forEach", page,
                  flags=re.S)
    assert m, "no case layer in the page"
    return json.loads(m.group(1))


def test_pending_cases_are_one_layer_element_with_one_marker_each():
    m = maps.build_map(_grids(), grid_values=pd.Series({CODE: 0.5}), cases=_cases(300))
    layers = [e for e in maps._walk(m) if type(e).__name__ == "_CaseMarkers"]
    assert len(layers) == 1 and not layers[0]._children
    assert not [e for e in maps._walk(m) if isinstance(e, maps.folium.CircleMarker)]
    page = maps.map_html(m)
    rows = _case_rows(page)
    assert len(rows) == 300
    statuses = [r[3].removeprefix("jizhen-case jizhen-case-") for r in rows]
    assert statuses == [list(maps.DEADLINE_STATUSES)[i % 3] for i in range(300)]
    assert [r[2] for r in rows] == [maps.DEADLINE_COLOURS[s] for s in statuses]
    # listed in the layer control under the layer's name
    overlays = re.search(r"overlays :\s*\{(.*?)\}", page, flags=re.S).group(1)
    assert layers[0].get_name() in overlays
    assert json.dumps(maps.t("layer.cases", "zh")) in overlays


def test_rendering_does_not_grow_with_the_number_of_cases(monkeypatch):
    """Templates compiled while rendering: the same for 3 cases and for 300."""
    compiled = []
    real = jinja2.Environment.from_string

    def counting(self, source, *a, **k):
        compiled.append(1)
        return real(self, source, *a, **k)

    counts = []
    for n in (3, 300):
        m = maps.build_map(_grids(), grid_values=pd.Series({CODE: 0.5}), cases=_cases(n))
        compiled.clear()
        monkeypatch.setattr(jinja2.Environment, "from_string", counting)
        maps.map_html(m)
        monkeypatch.setattr(jinja2.Environment, "from_string", real)
        counts.append(len(compiled))
    assert counts[0] == counts[1] > 0


@pytest.mark.parametrize("text", ["A{{ 7*7 }}B", "{% if true %}X{% endif %}", "{# c #}"])
def test_braces_in_user_text_are_shown_not_evaluated(text):
    page = maps.map_html(maps.build_map(_grids(text), grid_values=pd.Series({CODE: 0.5}),
                                        cases=_cases(1, case_no=text)))
    assert "A49B" not in page
    decoded = []
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"', page):
        try:
            decoded.append(json.loads(m.group(0)))
        except ValueError:
            continue
    popup = _case_rows(page)[0][4]
    assert html.escape(text) in popup  # the case number, escaped for the popup's HTML
    assert any(html.unescape(s) == text for s in decoded)  # the grid name in its tooltip
