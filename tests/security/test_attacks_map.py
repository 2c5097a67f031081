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


def test_a_grid_file_with_markup_in_its_code_is_refused_and_its_name_is_kept_as_text(engine, tmp_path):
    """The attack's first step: a grid file whose name (and code) carry markup. The code is an
    identifier and is refused; the name is stored exactly as typed (it is shown as text)."""
    from grid.db import session_scope
    from grid.imports.grids import import_grids
    from grid.imports.report import InvalidImport
    from grid.models import CommunityGrid
    from sqlmodel import select

    def write(code: str, name: str):
        path = tmp_path / f"g{len(code)}.geojson"
        gpd.GeoDataFrame({"code": [code], "name": [name]}, geometry=[box(118.6, 33.7, 118.61, 33.71)],
                         crs="EPSG:4326").to_file(path, driver="GeoJSON")
        return path

    with session_scope(engine) as s:
        try:
            import_grids(write("<b>x</b>", "网格"), session=s)
        except InvalidImport as exc:
            refused = exc.report
        else:
            raise AssertionError("a grid code with markup was accepted")
        assert [p.reason_zh for p in refused.problems] == ["网格编码只能由字母、数字、“-”和“_”组成（如 321323100001）"]
        assert s.exec(select(CommunityGrid)).all() == []
    with session_scope(engine) as s:
        import_grids(write("321323100001", EVIL), session=s)
    with session_scope(engine) as s:
        assert s.exec(select(CommunityGrid.name)).one() == EVIL


PWNED = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">'


def test_hovering_and_clicking_a_grid_named_like_a_script_runs_nothing_in_chromium(tmp_path):
    """The attack replayed in the browser: the map of a grid (and a case) named with an onerror
    handler is opened in Chromium with the app's own Leaflet, the grid is hovered and clicked:
    no handler runs, and the tooltip shows the name as typed."""
    from urllib.parse import urlparse

    from playwright.sync_api import sync_playwright

    from grid.config import PROJECT_DIR
    from tests.conftest import chromium_path
    from tests.ui.test_browser import CHROMIUM_ARGS

    grids = gpd.GeoDataFrame({"code": ["321323100001"], "name": [PWNED]},
                             geometry=[box(118.6, 33.7, 118.7, 33.8)], crs="EPSG:4326")
    cases = pd.DataFrame({"id": [1], "case_no": [PWNED], "category": [PWNED], "lon": [118.65],
                          "lat": [33.75], "grid_code": ["321323100001"], "status": ["accepted"],
                          "due_on": [None], "working_days_left": [2], "deadline_status": [PWNED]})
    page_html = map_html(build_map(grids, grid_values=pd.Series({"321323100001": 0.5}),
                                   metric="coverage_30d", cases=cases))
    static = PROJECT_DIR / "dashboard" / "static"
    served: list[str] = []

    def serve(route):
        path = urlparse(route.request.url).path
        served.append(path)
        if path == "/map.html":
            return route.fulfill(body=page_html, content_type="text/html; charset=utf-8")
        if path.startswith("/app/static/"):
            file = (static / path.removeprefix("/app/static/")).resolve()
            if file.is_file() and static.resolve() in file.parents:
                kind = {".js": "application/javascript", ".css": "text/css",
                        ".png": "image/png"}.get(file.suffix, "application/octet-stream")
                return route.fulfill(body=file.read_bytes(), content_type=kind)
        return route.fulfill(status=404, body="")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.route("**/*", serve)
            page.goto("http://jizhen.test/map.html", wait_until="load")
            polygon = page.locator("path.leaflet-interactive").first
            polygon.wait_for(timeout=30_000)
            box_ = polygon.bounding_box()
            x, y = box_["x"] + box_["width"] * 0.25, box_["y"] + box_["height"] * 0.25
            page.mouse.move(x, y)
            tooltip = page.locator(".leaflet-tooltip").first
            tooltip.wait_for(timeout=30_000)
            assert PWNED in tooltip.inner_text()  # shown as typed, as text
            page.mouse.click(x, y)
            for marker in page.locator(".leaflet-marker-icon, .marker-cluster, path.leaflet-interactive").all():
                marker.click(force=True)
            assert page.locator(".leaflet-container img[src='x']").count() == 0
            assert page.evaluate("window.__pwned") is None
            assert dialogs == []
        finally:
            browser.close()
    assert "/app/static/vendor/leaflet/leaflet.js" in served or any("leaflet" in s for s in served)
