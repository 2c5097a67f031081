"""DataFrames -> folium map. Pure: no streamlit, no database.

    m = build_map(grids, grid_values=..., metric="coverage_30d", hotspots=hexes,
                  cases=pending, households=high_risk, tiles="none", lang="zh")

Offline by design: every folium element's JS/CSS is pointed at the vendored copies under
dashboard/static/vendor (served by Streamlit at /app/static/vendor); links folium would fetch from
a CDN and that this map does not need (jQuery, Bootstrap, Font Awesome) are dropped. The per-point
layers are aggregated (FastMarkerCluster, hexagons, heat), so the payload grows with cells and
clusters, not with households.
"""
from __future__ import annotations

import html
import json
import math
import re

import folium
import folium.plugins as plugins
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.map import Layer
from jinja2 import Template

from cases.vocabulary import OPEN_DEADLINE_STATUSES, deadline_status_label
from dashboard.texts import t
from grid.metrics import SHARE_CLASS_BREAKS, SHARE_METRICS, format_value
from grid.visit_status import NEEDS_VISIT, STATUS_SYMBOLS, VISIT_STATUSES, status_counts

VENDOR_URL = "/app/static/vendor"
LOCAL_JS = {
    "leaflet": f"{VENDOR_URL}/leaflet/leaflet.js",
    "markerclusterjs": f"{VENDOR_URL}/leaflet.markercluster/leaflet.markercluster.js",
    "leaflet-heat.js": f"{VENDOR_URL}/leaflet.heat/leaflet-heat.js",
}
LOCAL_CSS = {
    "leaflet_css": f"{VENDOR_URL}/leaflet/leaflet.css",
    "markerclustercss": f"{VENDOR_URL}/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": f"{VENDOR_URL}/leaflet.markercluster/MarkerCluster.Default.css",
}
TILE_SETTINGS = ("none", "osm", "tianditu_vec", "tianditu_img")
TIANDITU = "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0" \
           "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}" \
           "&TILECOL={x}&tk=%s"
# Open cases' deadline statuses (names and labels: cases.vocabulary, the one table).
DEADLINE_STATUSES = tuple(s.value for s in OPEN_DEADLINE_STATUSES)
DEADLINE_COLOURS = dict(zip(DEADLINE_STATUSES, ("#c62828", "#f9a825", "#2e7d32")))
# Tile hosts whose maps are in China's shifted GCJ-02 (Amap/Gaode, Tencent) or BD-09 (Baidu)
# coordinates: our CGCS2000 polygons would sit hundreds of metres off. Refused, not converted.
SHIFTED_TILE_HOSTS = ("autonavi.com", "amap.com", "gaode.com", "map.qq.com", "gtimg.com",
                      "map.baidu.com", "bdimg.com")
HOTSPOT_COLOURS = {"hot_99": "#b71c1c", "hot_95": "#ef5350", "cold_95": "#64b5f6",
                   "cold_99": "#1565c0"}
# Sequential palette (light -> dark) for counts and scores; five equal-count classes.
PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
PALETTE_REVERSED = list(reversed(PALETTE))
# Shares (coverage, on-time shares): the fixed classes of grid.metrics.SHARE_CLASS_BREAKS, light
# warm for low (needs attention) to dark green for high; dark never means low.
SHARE_PALETTE = ["#fcbba1", "#fee391", "#a1d99b", "#31a354"]
SHARE_CLASS_KEYS = ("low", "mid", "good", "high")
LOW_IS_BAD = set(SHARE_METRICS)
CENTER = (33.72, 118.68)
MAX_ZOOM = 19
MIN_ZOOM = 9


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _js_json(value) -> str:
    """JSON for a <script>: branca compiles every rendered script as a Jinja template again, so
    braces in user text ("{{ 7*7 }}") would be evaluated; inside JSON strings they are written
    as \\u escapes (the same text for JavaScript; objects keep their own braces), and "</"
    cannot close the script."""
    text = json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
    return _JSON_STRING.sub(lambda m: m.group(0).replace("{", "\\u007b").replace("}", "\\u007d"),
                            text)


def _html_text(value) -> str:
    """User text for an HTML property (a tooltip): escaped, and with no Jinja braces left."""
    return html.escape(str(value)).replace("{", "&#123;").replace("}", "&#125;")


class UnknownTiles(ValueError):
    pass


# --------------------------------------------------------------------------- offline assets
def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def use_local_assets(m: folium.Map) -> folium.Map:
    """Point every element's JS/CSS at the vendored files; drop the CDN-only extras."""
    for element in _walk(m):
        if hasattr(element, "default_js"):
            element.default_js = [(n, LOCAL_JS[n]) for n, _ in element.default_js if n in LOCAL_JS]
        if hasattr(element, "default_css"):
            element.default_css = [(n, LOCAL_CSS[n]) for n, _ in element.default_css
                                   if n in LOCAL_CSS]
    return m


# --------------------------------------------------------------------------- basemap
def add_basemap(m: folium.Map, tiles: str = "none", *, tianditu_key: str = "") -> None:
    """none (offline, no tiles) | osm | tianditu_vec | tianditu_img | an XYZ URL template."""
    if tiles == "none":
        return
    if tiles == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
        return
    if tiles in ("tianditu_vec", "tianditu_img"):
        if not tianditu_key:
            raise UnknownTiles("天地图需要密钥：设置 JIZHEN_TIANDITU_KEY (Tianditu needs a key)")
        base, label = ("vec", "cva") if tiles == "tianditu_vec" else ("img", "cia")
        attr = "天地图 Tianditu"
        for layer, overlay in ((base, False), (label, True)):
            folium.TileLayer(TIANDITU % (layer, layer, tianditu_key), attr=attr, name=layer,
                             subdomains="01234567", overlay=overlay, max_zoom=18).add_to(m)
        return
    if tiles.startswith(("http://", "https://")) and "{z}" in tiles:
        shifted = next((host for host in SHIFTED_TILE_HOSTS if host in tiles.lower()), None)
        if shifted:
            raise UnknownTiles(
                f"{shifted} 的瓦片使用 GCJ-02/BD-09 加密坐标，与本系统的 CGCS2000/WGS 84 网格叠加会偏移"
                "数百米；请改用天地图、OpenStreetMap 或本地瓦片服务 (GCJ-02/BD-09 tiles would be "
                "offset by hundreds of metres from CGCS2000 data)")
        folium.TileLayer(tiles, attr="tiles", name="basemap").add_to(m)
        return
    raise UnknownTiles(f"JIZHEN_TILES={tiles!r}: use one of {TILE_SETTINGS} or an XYZ URL "
                       "template with {z}/{x}/{y}")


def check_tiles(tiles: str, *, tianditu_key: str = "") -> None:
    """Raise UnknownTiles (in Chinese) if the basemap setting cannot be used."""
    add_basemap(folium.Map(tiles=None), tiles, tianditu_key=tianditu_key)


# --------------------------------------------------------------------------- legend
class _Legend(MacroElement):
    """A Leaflet control (bottom right) with plain HTML; no branca colormap (that needs d3).
    With a title it is one collapsible legend (<details>): open on a wide map, closed on a
    phone-sized one (narrower than 640 px), a tap on the title opens or closes it."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "jizhen-legend");
                div.style.cssText = "background:#fff;padding:6px 8px;border-radius:4px;" +
                    "box-shadow:0 0 4px rgba(0,0,0,.3);font:12px/1.5 sans-serif;max-width:240px;" +
                    "max-height:60vh;overflow:auto";
                div.innerHTML = {{ this.html_json }};
                var d = div.querySelector("details");
                if (d && window.innerWidth < 640) { d.removeAttribute("open"); }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html_text: str, title: str | None = None):
        super().__init__()
        self._name = "Legend"
        if title is not None:
            html_text = (f'<details open><summary style="cursor:pointer;font-weight:bold">'
                         f'{html.escape(title)}</summary>{html_text}</details>')
        self.html_json = _js_json(html_text)


def _add_legend(m, sections: list | None, section_html: str) -> None:
    """Collect a layer's legend section into `sections` (build_map draws them as one legend),
    or draw it on its own when the layer is used alone."""
    if sections is not None:
        sections.append(section_html)
    else:
        _Legend(section_html).add_to(m)


class _Popup(MacroElement):
    """A popup bound with Leaflet's own bindPopup: folium.Popup builds its content with jQuery,
    which this offline map does not load."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html_json }}, {maxWidth: {{ this.max_width }}});
        {% endmacro %}
    """)

    def __init__(self, html_text: str, max_width: int = 260):
        super().__init__()
        self._name = "Popup"
        self.html_json = _js_json(html_text)
        self.max_width = int(max_width)


class _MetricScale(MacroElement):
    """A metric-only scale bar (folium's control_scale also draws feet and miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "MetricScale"


def _swatch(colour: str, label: str) -> str:
    return (f'<div><span style="display:inline-block;width:12px;height:12px;background:{colour};'
            f'margin-right:4px;border:1px solid #999"></span>{html.escape(label)}</div>')


def _symbol(symbol: str, colour: str, label: str) -> str:
    return (f'<div><span style="display:inline-block;width:14px;color:{colour};font-size:14px;'
            f'text-align:center;margin-right:4px">{html.escape(symbol)}</span>'
            f'{html.escape(label)}</div>')


# --------------------------------------------------------------------------- classes
def class_breaks(values: pd.Series, k: int = 5) -> list[float]:
    """k+1 increasing breaks (equal-count quantiles, collapsed when values repeat)."""
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if v.size == 0:
        return [0.0, 1.0]
    qs = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)))
    if qs.size == 1:
        qs = np.array([qs[0], qs[0] + 1e-9])
    return qs.tolist()


def share_class(value: float) -> int | None:
    """Index of the fixed share class (grid.metrics.SHARE_CLASS_BREAKS: <30%, 30–60%, 60–80%,
    ≥80%) of a share in [0, 1]; None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(np.searchsorted(SHARE_CLASS_BREAKS[1:-1], float(value), side="right"))


def share_colour(value: float) -> str:
    k = share_class(value)
    return "#cccccc" if k is None else SHARE_PALETTE[k]


def share_class_labels(lang: str = "zh") -> list[str]:
    """'低于30%（需关注）', '30%–60%', ... : the legend's words for the fixed classes."""
    b = SHARE_CLASS_BREAKS
    return [t(f"map.share_{key}", lang, lo=f"{lo:.0%}", hi=f"{hi:.0%}")
            for key, lo, hi in zip(SHARE_CLASS_KEYS, b[:-1], b[1:])]


def colour_for(value: float, breaks: list[float], palette: list[str]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "#cccccc"
    i = int(np.searchsorted(breaks[1:-1], value, side="right"))
    # spread the classes we have over the whole palette
    n = len(breaks) - 1
    pos = 0 if n <= 1 else round(i * (len(palette) - 1) / (n - 1))
    return palette[pos]


def _fmt(metric: str, value) -> str:
    """Every number on the map is printed as grid.metrics prints it (one rule for all pages)."""
    return format_value(metric, value)


def deadline_label(status: str, lang: str = "zh") -> str:
    """The word for a deadline status: cases.vocabulary's label, the one the case pages show."""
    return deadline_status_label(status, lang)


# --------------------------------------------------------------------------- layers
def grid_layer(m: folium.Map, grids, values: pd.Series, metric: str, *, lang: str = "zh",
               legend: list | None = None) -> None:
    """Choropleth of `values` (indexed by grid code) over the grid polygons, each grid's name
    written on it, with a legend. Shares use the fixed classes (share_class); other metrics five
    equal-count classes (light = low).

    Each feature carries `code` and `name` properties: a click returns them (st_folium
    last_active_drawing) so the page can open the grid's panel.
    """
    share = metric in SHARE_METRICS
    breaks = None if share else class_breaks(values)

    def colour(v):
        return share_colour(v) if share else colour_for(v, breaks, PALETTE)

    label = t(f"metric.{metric}", lang) if _has_text(f"metric.{metric}") else t(f"lm.{metric}", lang)
    features, labels = [], []
    for row in grids.itertuples():
        value = values.get(row.code, float("nan"))
        value = float(value) if value is not None else float("nan")
        features.append({"type": "Feature", "geometry": row.geometry.__geo_interface__,
                         # the tooltip sets these as HTML: user text goes in escaped
                         "properties": {"code": row.code, "name": _html_text(row.name),
                                        "value": _html_text(_fmt(metric, value)),
                                        "fill": colour(value)}})
        if row.geometry is not None and not row.geometry.is_empty:
            p = row.geometry.representative_point()
            labels.append([round(p.y, 6), round(p.x, 6), _html_text(row.name)])
    collection = {"type": "FeatureCollection", "features": features}
    folium.GeoJson(
        collection, name=t("layer.grids", lang),
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#333333",
                                  "weight": 1.5, "fillOpacity": 0.55, "className": "jizhen-grid"},
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(["name", "value"], aliases=["", html.escape(label)]),
    ).add_to(m)
    if labels:
        _GridLabels(labels).add_to(m)
    if share:
        rows = [_swatch(c, lab) for c, lab in zip(SHARE_PALETTE, share_class_labels(lang))]
    else:
        rows = [_swatch(colour_for(lo, breaks, PALETTE), f"{_fmt(metric, lo)} – {_fmt(metric, hi)}")
                for lo, hi in zip(breaks[:-1], breaks[1:])]
    rows.append(_swatch("#cccccc", t("map.no_data", lang)))
    _add_legend(m, legend, f"<b>{html.escape(label)}</b>" + "".join(rows))


class _GridLabels(MacroElement):
    """Each grid's name written on its polygon (text, not markup: names are escaped before they
    reach the JSON), from one JSON array; labels do not take clicks (the grid underneath does)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.data_json }}.forEach(function (g) {
            L.marker([g[0], g[1]], {interactive: false, keyboard: false,
                icon: L.divIcon({className: "jizhen-grid-label", iconSize: null,
                    html: '<span style="font:bold 12px sans-serif;color:#222;white-space:nowrap;' +
                          'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;' +
                          'position:relative;left:-50%;top:-8px">' + g[2] + '</span>'})})
                .addTo({{ this._parent.get_name() }});
        });
        {% endmacro %}
    """)

    def __init__(self, rows: list):
        super().__init__()
        self._name = "GridLabels"
        self.data_json = _js_json(rows)


def hotspot_layer(m: folium.Map, hexes: pd.DataFrame, *, lang: str = "zh",
                  legend: list | None = None) -> int:
    """Hexagons where high (or low) risk clusters (Getis–Ord Gi*; columns cell, label,
    households, gi_z), told in plain words: 风险聚集区 / 低风险聚集区 and how sure. Returns the
    count."""
    import h3.api.basic_int as h3i

    shown = hexes[hexes["label"].isin(list(HOTSPOT_COLOURS))] if len(hexes) else hexes
    features = []
    for row in shown.itertuples():
        ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3i.cell_to_boundary(int(row.cell))]
        ring.append(ring[0])
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {"fill": HOTSPOT_COLOURS[row.label],
                                        "households": int(row.households),
                                        "kind": html.escape(t(f"hotspot.{row.label}", lang))}})
    if features:
        folium.GeoJson({"type": "FeatureCollection", "features": features},
                       name=t("layer.hotspots", lang),
                       style_function=lambda f: {"fillColor": f["properties"]["fill"],
                                                 "color": f["properties"]["fill"], "weight": 0.5,
                                                 "fillOpacity": 0.45, "className": "jizhen-hotspot"},
                       tooltip=folium.GeoJsonTooltip(["kind", "households"],
                                                     aliases=["", t("panel.households", lang)]),
                       ).add_to(m)
        rows = "".join(_swatch(HOTSPOT_COLOURS[k], t(f"hotspot.{k}", lang))
                       for k in HOTSPOT_COLOURS if k in set(shown["label"]))
        _add_legend(m, legend, f"<b>{html.escape(t('layer.hotspots', lang))}</b>{rows}"
                               f"<div style='color:#555'>{html.escape(t('map.hotspot_note', lang))}</div>")
    return len(features)


def heat_layer(m: folium.Map, points: pd.DataFrame, *, lang: str = "zh") -> int:
    """Heat of `points` (lon, lat, optional weight)."""
    pts = points.dropna(subset=["lon", "lat"])
    w = pts["weight"].to_numpy(dtype=float) if "weight" in pts else np.ones(len(pts))
    data = np.column_stack([pts["lat"].to_numpy().round(5), pts["lon"].to_numpy().round(5),
                            w.round(2)]).tolist()
    if data:
        plugins.HeatMap(data, name=t("layer.heat", lang), radius=12, blur=15,
                        min_opacity=0.3).add_to(m)
    return len(data)


class _CaseMarkers(Layer):
    """Every pending case as a Leaflet circle marker with its popup, from one JSON array: one
    layer element (listed in the layer control) for the whole set. Folium renders each marker
    and each popup element as a template of its own, which cost more than the rest of the map
    on every rerun."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        {{ this.data_json }}.forEach(function (c) {
            L.circleMarker([c[0], c[1]], {radius: 7, color: "#ffffff", weight: 1.5, fill: true,
                                          fillColor: c[2], fillOpacity: 0.95, className: c[3]})
                .bindPopup(c[4], {maxWidth: 260})
                .addTo({{ this.get_name() }});
        });
        {% endmacro %}
    """)

    def __init__(self, rows: list, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "CaseMarkers"
        self.data_json = _js_json(rows)


def case_layer(m: folium.Map, cases: pd.DataFrame, *, lang: str = "zh",
               legend: list | None = None) -> int:
    """One circle marker (cases are circles; households other shapes) per pending case, coloured by deadline status, with a popup (every text
    in it escaped). Returns the number drawn (cases without coordinates skip)."""
    pts = cases.dropna(subset=["lon", "lat"])
    rows = []
    for row in pts.itertuples():
        status = str(row.deadline_status)
        known = status in DEADLINE_COLOURS
        cat_key = f"cat.{row.category}"
        category = t(cat_key, lang) if _has_text(cat_key) else str(row.category)
        days = getattr(row, "working_days_left", None)
        days_txt = "—" if days is None or pd.isna(days) else str(int(days))
        popup = (f"<b>{html.escape(t('map.popup_case', lang))}</b> {html.escape(str(row.case_no))}<br>"
                 f"{html.escape(t('map.popup_category', lang))}：{html.escape(category)}<br>"
                 f"{html.escape(t('map.popup_days_left', lang))}：{days_txt}<br>"
                 f"{html.escape(t('map.popup_status', lang))}："
                 f"{html.escape(deadline_label(status, lang) if known else status)}")
        rows.append([round(float(row.lat), 6), round(float(row.lon), 6),
                     DEADLINE_COLOURS.get(status, "#555555"),
                     "jizhen-case jizhen-case-" + (status if known else "other"), popup])
    _CaseMarkers(rows, t("layer.cases", lang)).add_to(m)
    rows_html = "".join(_symbol("●", c, deadline_label(s, lang)) for s, c in DEADLINE_COLOURS.items())
    _add_legend(m, legend, f"<b>{html.escape(t('layer.cases', lang))}</b>{rows_html}")
    return len(pts)


def _has_text(key: str) -> bool:
    from dashboard.texts import TEXTS

    return key in TEXTS


# Households are small squares (cases are circles); the cluster icon counts every child marker,
# so the numbers on screen add up to the points passed in.
_CLUSTER_CALLBACK = """
function (row) {
    return L.marker(new L.LatLng(row[0], row[1]), {icon: L.divIcon({
        className: "jizhen-household", iconSize: [10, 10],
        html: '<div style="width:10px;height:10px;background:#e53935;border:1px solid #b71c1c"></div>'})});
}
"""


class _PointCluster(plugins.FastMarkerCluster):
    """A FastMarkerCluster whose points (built here from rows with coordinates, rounded floats)
    are read-only: a copy of the map (the page copies the cached map on every rerun) shares
    them instead of copying tens of thousands of small lists."""

    def __deepcopy__(self, memo):
        import copy

        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            new.__dict__[key] = value if key == "data" else copy.deepcopy(value, memo)
        return new


def _fast_cluster(data: list, **kwargs) -> plugins.FastMarkerCluster:
    """A cluster layer of `data` ([lat, lon, ...] rows built here): folium would check each of
    tens of thousands of points again, one Python call each, on every map the dashboard
    rebuilds after a write."""
    cluster = _PointCluster([], **kwargs)
    cluster.data = data
    return cluster


def household_cluster_layer(m: folium.Map, households: pd.DataFrame, *,
                            lang: str = "zh", legend: list | None = None) -> dict[str, int]:
    """High-risk households as one FastMarkerCluster. Returns {'placed', 'missing', 'total'}:
    households without coordinates cannot be drawn and are counted in the legend instead."""
    ok = households["lon"].notna() & households["lat"].notna()
    pts = households.loc[ok]
    data = np.column_stack([pts["lat"].to_numpy(dtype=float).round(5),
                            pts["lon"].to_numpy(dtype=float).round(5)]).tolist()
    counts = {"placed": len(data), "missing": int((~ok).sum()), "total": len(households)}
    if data:
        _fast_cluster(data, name=t("layer.households", lang),
                                  callback=_CLUSTER_CALLBACK,
                                  options={"chunkedLoading": True,
                                           "showCoverageOnHover": False}).add_to(m)
    _add_legend(m, legend, _symbol("■", "#e53935", t("map.households_total", lang, n=counts["total"],
                                                     missing=counts["missing"])))
    return counts


def _status_callback(lang: str) -> str:
    """One marker per household: its status's symbol (a shape, not only a colour) and a popup
    with the status and a link to the household file (/household?hh=ID, in the top window)."""
    # a list (no braces: _js_json escapes those, valid only inside strings), indexed by status
    symbols = [[STATUS_SYMBOLS[s][0], STATUS_SYMBOLS[s][1], html.escape(t(f"vstatus.{s}", lang))]
               for s in VISIT_STATUSES]
    link = html.escape(t("map.household_link", lang))
    return """
function (row) {
    var s = %s[row[2]];
    var base = "";
    try { var p = window.top.location.pathname; base = p.substring(0, p.lastIndexOf("/") + 1); }
    catch (e) { base = "/"; }
    var m = L.marker(new L.LatLng(row[0], row[1]), {icon: L.divIcon({
        className: "jizhen-visit-status jizhen-vs-" + row[2], iconSize: [16, 16],
        html: '<div style="font:16px/16px sans-serif;color:' + s[1] +
              ';text-shadow:0 0 2px #fff,0 0 2px #fff;text-align:center">' + s[0] + '</div>'})});
    var id = Number(row[3]);
    m.bindPopup(s[0] + " " + s[2] + "<br>" + %s + " " + id +
                ' · <a target="_top" href="' + base + 'household?hh=' + id + '">' + %s + '</a>');
    return m;
}
""" % (_js_json(symbols), _js_json(t("col.household_id", lang)), _js_json(link))


def visit_status_layer(m: folium.Map, households: pd.DataFrame, *, lang: str = "zh",
                       legend: list | None = None) -> dict[str, int]:
    """Households that need a visit (grid.visit_status; columns id, lon, lat, visit_status),
    one clustered layer, each by its status's symbol. The legend gives each status's count (the
    worklist's numbers) and how many have no coordinates. Returns the counts."""
    shown = households[households["visit_status"].isin(list(NEEDS_VISIT))]
    counts = status_counts(shown)
    ok = (shown["lon"].notna() & shown["lat"].notna()).to_numpy(dtype=bool)
    pts = shown.loc[ok]
    index = {s: i for i, s in enumerate(VISIT_STATUSES)}
    data = [list(row) for row in zip(pts["lat"].to_numpy(dtype=float).round(5).tolist(),
                                     pts["lon"].to_numpy(dtype=float).round(5).tolist(),
                                     pts["visit_status"].map(index).astype(int).tolist(),
                                     pts["id"].astype(int).tolist())]
    if data:
        _fast_cluster(data, name=t("layer.visit_status", lang),
                                  callback=_status_callback(lang),
                                  options={"chunkedLoading": True, "showCoverageOnHover": False,
                                           "disableClusteringAtZoom": 17}).add_to(m)
    rows = "".join(_symbol(STATUS_SYMBOLS[s][0], STATUS_SYMBOLS[s][1],
                           f"{t(f'vstatus.{s}', lang)}：{counts[s]}") for s in NEEDS_VISIT)
    missing = int((~ok).sum())
    note = t("map.status_missing", lang, n=missing) if missing else ""
    _add_legend(m, legend, f"<b>{html.escape(t('layer.visit_status', lang))}</b>{rows}"
                           + (f"<div>{html.escape(note)}</div>" if note else ""))
    return {**counts, "placed": len(data), "missing": missing}


ROUTE_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                 "#666666"]


def route_layer(m: folium.Map, routes: list[tuple[str, list[tuple[float, float]]]], *,
                lang: str = "zh", legend: list | None = None) -> int:
    """Each worker's route of the day (grid.day_plan.routes_for_grid) as a dashed line from the
    start through the planned stops in order, one colour per worker (names escaped). `routes`:
    [(worker name, [(lat, lon), ...])]. Returns the number of routes drawn."""
    group = folium.FeatureGroup(name=t("layer.routes", lang), show=True)
    rows = []
    for i, (name, points) in enumerate(routes):
        if len(points) < 2:
            continue
        colour = ROUTE_COLOURS[i % len(ROUTE_COLOURS)]
        folium.PolyLine([[round(a, 6), round(b, 6)] for a, b in points], color=colour, weight=3,
                        opacity=0.85, dash_array="6 4", class_name="jizhen-route",
                        tooltip=_html_text(name)).add_to(group)
        rows.append(_swatch(colour, t("map.route_of", lang, name=name, n=len(points) - 1)))
    group.add_to(m)
    if rows:
        _add_legend(m, legend, f"<b>{html.escape(t('layer.routes', lang))}</b>{''.join(rows)}")
    return len(rows)


# --------------------------------------------------------------------------- the map
def build_map(grids, *, grid_values: pd.Series, metric: str = "coverage_30d",
              hotspots: pd.DataFrame | None = None, heat: pd.DataFrame | None = None,
              cases: pd.DataFrame | None = None, households: pd.DataFrame | None = None,
              visit_status: pd.DataFrame | None = None, routes: list | None = None,
              tiles: str = "none", tianditu_key: str = "", lang: str = "zh",
              height: int = 600) -> folium.Map:
    """The 网格地图. Layers given as None are left out. Grids: GeoDataFrame code, name, geometry
    (already simplified for display by the caller, see grid.geometry.simplified_for_display);
    the map is fitted to them. One legend (collapsible) holds every layer's section."""
    if len(grids):
        minx, miny, maxx, maxy = grids.total_bounds
        center = ((miny + maxy) / 2, (minx + maxx) / 2)
    else:
        center = CENTER
    # maxZoom on the map itself: with no tile layer (offline) Leaflet has none, and
    # markercluster refuses to start without it.
    m = folium.Map(location=center, zoom_start=13, tiles=None, control_scale=False,
                   prefer_canvas=False, height=height, maxZoom=MAX_ZOOM, minZoom=MIN_ZOOM)
    _MetricScale().add_to(m)
    add_basemap(m, tiles, tianditu_key=tianditu_key)
    legend: list[str] = []
    grid_layer(m, grids, grid_values, metric, lang=lang, legend=legend)
    if hotspots is not None:
        hotspot_layer(m, hotspots, lang=lang, legend=legend)
    if heat is not None:
        heat_layer(m, heat, lang=lang)
    if households is not None:
        household_cluster_layer(m, households, lang=lang, legend=legend)
    if visit_status is not None:
        visit_status_layer(m, visit_status, lang=lang, legend=legend)
    if cases is not None:
        case_layer(m, cases, lang=lang, legend=legend)
    if routes is not None:
        route_layer(m, routes, lang=lang, legend=legend)
    _Legend('<hr style="margin:4px 0">'.join(legend), title=t("map.legend", lang)).add_to(m)
    if len(grids):
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.LayerControl(collapsed=True).add_to(m)
    return use_local_assets(m)


def filter_households(households: pd.DataFrame, *, grid_codes=None, worker_id: int | None = None,
                      levels=None) -> pd.DataFrame:
    """Rows of a household+score frame (grid_code, level, worker_id) matching the filters.
    `None` means no filter; an empty list matches nothing."""
    keep = np.ones(len(households), dtype=bool)
    if grid_codes is not None:
        keep &= households["grid_code"].isin(list(grid_codes)).to_numpy()
    if levels is not None:
        keep &= households["level"].isin(list(levels)).to_numpy()
    if worker_id is not None:
        keep &= (households["worker_id"] == worker_id).to_numpy()
    return households.loc[keep]


def filter_cases(cases: pd.DataFrame, *, grid_codes=None, deadline_statuses=None) -> pd.DataFrame:
    keep = np.ones(len(cases), dtype=bool)
    if grid_codes is not None:
        keep &= cases["grid_code"].isin(list(grid_codes)).to_numpy()
    if deadline_statuses is not None:
        keep &= cases["deadline_status"].isin(list(deadline_statuses)).to_numpy()
    return cases.loc[keep]


def grid_code_from_click(returned: dict | None, grids) -> str | None:
    """The grid a click on the map points at, from st_folium's returned dict, or None.

    The clicked position (`last_object_clicked`, else `last_clicked`: {"lat", "lng"}) decides when
    it falls inside one of `grids` (GeoDataFrame code, geometry, EPSG:4326): it is always the
    newest click, whatever layer (hotspot, case marker) lay on top of the grid. A click outside
    every grid falls back to the properties of the clicked grid feature (`last_active_drawing`).
    Codes not in `grids` (another user's scope, a stale map) are never returned.
    """
    from shapely.geometry import Point

    if not returned or grids is None or not len(grids):
        return None
    codes = set(grids["code"])
    for key in ("last_object_clicked", "last_clicked"):
        where = returned.get(key) or {}
        lat, lng = where.get("lat"), where.get("lng")
        if isinstance(lat, (int, float)) and isinstance(lng, (int, float)):
            hit = grids.loc[grids.geometry.covers(Point(float(lng), float(lat))), "code"]
            if len(hit):
                return str(hit.iloc[0])
            break
    props = (returned.get("last_active_drawing") or {}).get("properties") or {}
    code = props.get("code")
    return code if code in codes else None


def map_html(m: folium.Map) -> str:
    """The standalone HTML (what the unit tests and the benchmark weigh)."""
    return m.get_root().render()
