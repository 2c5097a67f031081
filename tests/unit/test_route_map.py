"""The day's route map (dashboard/route_map.py): numbered pins in order, offline, user text inert."""
import json
import re

import pandas as pd

from dashboard.maps import map_html
from dashboard.route_map import PIN_CLASS, route_map

START = (118.69, 33.72)


def _planned(addresses):
    return pd.DataFrame({"order": range(1, len(addresses) + 1),
                         "lon": [118.690 + 0.001 * i for i in range(len(addresses))],
                         "lat": [33.721 + 0.001 * i for i in range(len(addresses))],
                         "level": ["red", "green", "orange"][:len(addresses)],
                         "address": addresses})


def _pins(html: str) -> list[str]:
    """The label of every pin (the divIcons' html, JSON-decoded), in drawing order."""
    icons = [json.loads(f'"{m}"') for m in re.findall(r'"html": "((?:[^"\\]|\\.)*)"', html)]
    return [re.search(r">([^<]*)</div>", i).group(1) for i in icons if PIN_CLASS in i]


def test_one_numbered_pin_per_stop_and_the_start():
    html = map_html(route_map(_planned(["城中社区1号", "城中社区2号", "城中社区3号"]), start=START))
    assert _pins(html) == ["起", "1", "2", "3"]
    assert "#c62828" in html and "#2e7d32" in html  # pins coloured by level


def test_offline_and_user_text_is_inert():
    evil = '<script>alert(1)</script>{{ 7*7 }}'
    html = map_html(route_map(_planned([evil]), start=START, tiles="none"))
    assert "<script>alert(1)" not in html and "{{ 7*7 }}" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#123;&#123; 7*7 &#125;&#125;" in html  # shown as typed
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html and "cdnjs" not in html
    assert "/app/static/vendor/leaflet/leaflet.js" in html


def test_no_stops_still_draws_a_map_at_the_start():
    html = map_html(route_map(_planned([]), start=START))
    assert _pins(html) == ["起"]
