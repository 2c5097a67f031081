"""The grid worker's daily route (grid/routes.py) on small cases with known answers.

Distances are checked independently of the module: points lie on a meridian (1 m = 1/111194.9...
degrees of latitude) or are measured here with the textbook haversine formula."""
import math
import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from grid import routes
from grid.routes import (NO_ROOM, NO_ROOM_EVEN_WITHOUT_LOWER, TOO_FAR, RouteConfigError, Stop,
                         config_from_dict, drop_penalty, load_route_config, plan_day, route_config)

TODAY = date(2026, 12, 2)
START = (118.69, 33.72)
M_PER_DEG_LAT = math.pi * 6_371_008.8 / 180  # metres per degree along a meridian

# 100 m a minute, no detour, 10 minutes a visit, a 60-minute day: minutes are easy to count.
BASE = {
    "travel": {"detour_factor": 1.0, "walking_speed_kmh": 6.0},
    "day": {"minutes": 60, "minutes_per_visit": 10, "return_to_start": True},
    "priority": {"level": {"red": 60000, "orange": 30000, "yellow": 12000, "green": 5000},
                 "per_score_point": 100, "per_overdue_day": 500, "max_overdue_days": 14,
                 "due_today": 1500},
    "solver": {"iterations": 300},
}


def cfg(**day):
    raw = {**BASE, "day": {**BASE["day"], **day}}
    return config_from_dict(raw)


def north(metres: float) -> tuple[float, float]:
    return START[0], START[1] + metres / M_PER_DEG_LAT


def stop(key, metres_north, score, level="green", **kw) -> Stop:
    lon, lat = north(metres_north)
    return Stop(key=key, household_id=key, lon=lon, lat=lat, score=score, level=level, **kw)


def haversine(a, b) -> float:
    (lon1, lat1), (lon2, lat2) = [(math.radians(x), math.radians(y)) for x, y in (a, b)]
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def route_minutes(points, config) -> float:
    """Walking + visits of start -> points -> start, computed here, not by the module."""
    path = [START, *points, START]
    walk_m = sum(haversine(a, b) for a, b in zip(path, path[1:])) * config.detour_factor
    return walk_m / (config.walking_speed_kmh * 1000 / 60) + config.minutes_per_visit * len(points)


def test_all_fit_in_a_line_are_walked_in_order_out_and_back():
    config = cfg()
    stops = [stop(3, 300, 10), stop(1, 100, 10), stop(2, 200, 10)]
    r = plan_day(stops, today=TODAY, start=START, config=config)
    assert r.dropped == ()
    assert r.keys in ([1, 2, 3], [3, 2, 1])
    # 600 m of walking (6 minutes) + 3 visits of 10 minutes
    assert r.total_minutes == pytest.approx(36.0, abs=0.1)
    assert r.walk_km == pytest.approx(0.6, abs=0.01)
    assert [p.order for p in r.planned] == [1, 2, 3]
    first = r.planned[0]
    assert first.arrive_minute == pytest.approx(first.walk_minutes)
    assert first.leave_minute == pytest.approx(first.arrive_minute + 10)


def test_a_high_risk_visit_is_never_dropped_for_low_risk_ones_even_when_penalties_are_flat():
    # Flat penalties: the solver alone would rather make three cheap low-risk visits than the far
    # red one; the rule must still put the red household on the route.
    flat = {**BASE, "priority": {**BASE["priority"], "per_score_point": 0,
                                 "level": {"red": 5000, "orange": 5000, "yellow": 5000, "green": 5000}}}
    config = config_from_dict(flat)
    lows = [stop(k, 100 + 50 * k, 10) for k in (1, 2, 3)]
    high = stop(9, -1500, 80, level="red")  # 15 min each way + 10 = 40 minutes alone
    r = plan_day([*lows, high], today=TODAY, start=START, config=config)
    assert 9 in r.keys
    assert r.total_minutes <= 60
    kept = {p.stop.key for p in r.planned}
    assert len(kept) == 2  # red (40 min) + the nearest low-risk one (2×1.5 + 10 = 13 min) fit
    for d in r.dropped:
        assert d.stop.score == 10 and d.code == NO_ROOM
        assert "风险相同或更高" in d.reason and "60 分钟" in d.reason


def test_a_household_too_far_for_one_day_is_dropped_with_the_minutes():
    config = cfg()
    r = plan_day([stop(1, 100, 10), stop(2, 4000, 90, level="red")], today=TODAY, start=START,
                 config=config)
    assert r.keys == [1]
    (d,) = r.dropped
    assert d.stop.key == 2 and d.code == TOO_FAR
    # 4 km out and back at 100 m/min: 80 minutes of walking
    assert "步行约 80 分钟" in d.reason and "60 分钟" in d.reason


def test_overdue_and_due_today_are_said_in_the_reason():
    config = cfg()
    far = stop(2, 4000, 90, level="red", due_on=TODAY - timedelta(days=3))
    due = stop(3, 5000, 90, level="red", due_on=TODAY)
    r = plan_day([far, due], today=TODAY, start=START, config=config)
    reasons = {d.stop.key: d.reason for d in r.dropped}
    assert "逾期 3 天" in reasons[2]
    assert "今天到期" in reasons[3]


def test_the_route_honours_the_days_limit_measured_independently():
    config = cfg(minutes=120)
    rng = random.Random(5)
    stops = [stop(k, rng.uniform(-1200, 1200), rng.randint(0, 100)) for k in range(12)]
    r = plan_day(stops, today=TODAY, start=START, config=config)
    assert len(r.planned) + len(r.dropped) == 12 and r.dropped
    points = [(p.stop.lon, p.stop.lat) for p in r.planned]
    assert route_minutes(points, config) <= 120 + 0.5  # rounding of whole seconds per leg
    assert r.total_minutes == pytest.approx(route_minutes(points, config), abs=0.5)


@pytest.mark.parametrize("seed", range(6))
def test_on_random_days_every_dropped_visit_is_explained_and_the_risk_rule_holds(seed):
    rng = random.Random(seed)
    config = config_from_dict({**BASE, "day": {**BASE["day"], "minutes": 150}})
    stops = []
    for k in range(14):
        lon = START[0] + rng.uniform(-0.02, 0.02)
        lat = START[1] + rng.uniform(-0.02, 0.02)
        score = rng.randint(0, 100)
        level = "red" if score >= 60 else "orange" if score >= 40 else "yellow" if score >= 20 else "green"
        stops.append(Stop(key=k, household_id=k, lon=lon, lat=lat, score=score, level=level))
    r = plan_day(stops, today=TODAY, start=START, config=config)
    kept = [p.stop for p in r.planned]
    assert route_minutes([(s.lon, s.lat) for s in kept], config) <= 150 + 0.5
    for d in r.dropped:
        assert d.code in (TOO_FAR, NO_ROOM, NO_ROOM_EVEN_WITHOUT_LOWER) and d.reason
        lower = [s for s in kept if s.score < d.stop.score]
        if not lower:
            continue
        # A lower-risk visit stayed: then the dropped one cannot fit even without all of them
        # (checked here by trying it at every position of the remaining route).
        assert d.code in (TOO_FAR, NO_ROOM_EVEN_WITHOUT_LOWER)
        rest = [(s.lon, s.lat) for s in kept if s.score >= d.stop.score]
        point = (d.stop.lon, d.stop.lat)
        best = min(route_minutes(rest[:i] + [point] + rest[i:], config) for i in range(len(rest) + 1))
        assert best > 150 - 0.5


def test_same_seed_same_route():
    rng = random.Random(11)
    stops = [Stop(key=k, household_id=k, lon=START[0] + rng.uniform(-.01, .01),
                  lat=START[1] + rng.uniform(-.01, .01), score=rng.randint(0, 99), level="yellow")
             for k in range(25)]
    config = cfg(minutes=240)
    a = plan_day(stops, today=TODAY, start=START, config=config, seed=3)
    b = plan_day(list(stops), today=TODAY, start=START, config=config, seed=3)
    assert a.keys == b.keys and a.dropped_keys == b.dropped_keys
    assert [d.reason for d in a.dropped] == [d.reason for d in b.dropped]


def test_no_stops_no_route_and_duplicate_keys_refused():
    r = plan_day([], today=TODAY, start=START, config=cfg())
    assert r.planned == () and r.dropped == () and r.total_minutes == 0
    with pytest.raises(ValueError):
        plan_day([stop(1, 100, 1), stop(1, 200, 1)], today=TODAY, start=START, config=cfg())


def test_without_return_the_way_back_is_not_counted():
    config = cfg(return_to_start=False)
    r = plan_day([stop(1, 1000, 10)], today=TODAY, start=START, config=config)
    assert r.total_minutes == pytest.approx(20.0, abs=0.1)  # 10 walking + 10 visiting


def test_drop_penalty_orders_levels_and_counts_lateness():
    config = cfg()
    s = stop(1, 0, 50, level="yellow")
    assert drop_penalty(replace(s, level="red"), TODAY, config) > drop_penalty(s, TODAY, config)
    assert drop_penalty(replace(s, level="green"), TODAY, config) < drop_penalty(s, TODAY, config)
    late = replace(s, due_on=TODAY - timedelta(days=3))
    assert drop_penalty(late, TODAY, config) - drop_penalty(s, TODAY, config) == 3 * 500 + 1500
    very_late = replace(s, due_on=TODAY - timedelta(days=100))
    assert drop_penalty(very_late, TODAY, config) - drop_penalty(s, TODAY, config) == 14 * 500 + 1500


def test_the_county_file_is_read_once_and_checked(tmp_path):
    assert route_config() is route_config()
    shipped = load_route_config(routes.CONFIG_PATH)
    assert shipped.detour_factor >= 1 and shipped.day_minutes > 0
    bad = tmp_path / "routes.toml"
    bad.write_text('[travel]\ndetour_factor = 0.5\nwalking_speed_kmh = 4\n'
                   '[day]\nminutes = 360\nminutes_per_visit = 20\n'
                   '[priority]\nlevel = { red = 1, orange = 1, yellow = 1, green = 1 }\n',
                   encoding="utf-8")
    with pytest.raises(RouteConfigError, match="绕行系数"):
        load_route_config(bad)
    with pytest.raises(RouteConfigError, match="缺少"):
        config_from_dict({"travel": {}})
