"""A grid worker's day (今日任务): the order of the day's visits and, when more are open than fit
the day, which to leave for later -- risk first, every dropped visit explained in plain Chinese.

    route = plan_day(stops, today=date(2026, 12, 2), start=(118.69, 33.72), seed=0)
    [p.stop.key for p in route.planned]        # assignment ids in walking order
    [(d.stop.key, d.reason) for d in route.dropped]

Pure: no database, no UI. The parameters (detour factor, walking speed, minutes per visit, the
day's length, drop penalties) come from data/routes.toml, read once (route_config()); a worker's
capacity stays in risk/weights [coverage].

How it decides:
1. Travel: no road network is available offline, so a walk is the straight-line (haversine)
   distance × the detour factor, at the configured walking speed.
2. PyVRP solves a prize-collecting route: each household is optional and leaving it out costs
   its drop penalty (its "prize", in metres: the detour worth walking to visit it) -- large by
   risk level, raised by the risk score, the days the assignment is overdue and a due date of
   today; the route must end within the day's minutes. Fixed iterations and a seed: the same
   input gives the same route.
3. The rule is then enforced, not hoped for: a household with a higher risk score than one on
   the route is never left out if it can take the place of lower-risk ones (they are dropped
   instead, lowest first). A household still left out while a lower-risk one is on the route is
   one that does not fit even without every lower-risk visit, and its reason says so with the
   minutes.
4. Every dropped visit gets a reason (DroppedStop.code / .reason).
"""
from __future__ import annotations

import functools
import math
import tomllib
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from risk.config import LEVELS

CONFIG_PATH = Path(__file__).resolve().parents[1] / "data" / "routes.toml"
EARTH_RADIUS_M = 6_371_008.8

# Why a visit was left out of the day (DroppedStop.code).
TOO_FAR = "too_far"                # alone it does not fit the day
NO_ROOM = "no_room"                # the day is full of visits of equal or higher risk
NO_ROOM_EVEN_WITHOUT_LOWER = "no_room_even_without_lower"  # lower-risk visits kept: it still does not fit
DROP_CODES = (TOO_FAR, NO_ROOM, NO_ROOM_EVEN_WITHOUT_LOWER)


class RouteConfigError(ValueError):
    """data/routes.toml is missing something or holds an impossible value."""


@dataclass(frozen=True)
class RouteConfig:
    detour_factor: float
    walking_speed_kmh: float
    day_minutes: int
    minutes_per_visit: int
    return_to_start: bool
    level_prize: dict[str, int]
    per_score_point: int
    per_overdue_day: int
    max_overdue_days: int
    due_today: int
    iterations: int

    @property
    def metres_per_second(self) -> float:
        return self.walking_speed_kmh * 1000.0 / 3600.0


def config_from_dict(raw: dict) -> RouteConfig:
    """A RouteConfig from the parsed TOML, checked (RouteConfigError in Chinese)."""
    try:
        travel, day, prio = raw["travel"], raw["day"], raw["priority"]
        cfg = RouteConfig(
            detour_factor=float(travel["detour_factor"]),
            walking_speed_kmh=float(travel["walking_speed_kmh"]),
            day_minutes=int(day["minutes"]),
            minutes_per_visit=int(day["minutes_per_visit"]),
            return_to_start=bool(day.get("return_to_start", True)),
            level_prize={lv: int(prio["level"][lv]) for lv in LEVELS},
            per_score_point=int(prio.get("per_score_point", 0)),
            per_overdue_day=int(prio.get("per_overdue_day", 0)),
            max_overdue_days=int(prio.get("max_overdue_days", 0)),
            due_today=int(prio.get("due_today", 0)),
            iterations=int(raw.get("solver", {}).get("iterations", 2000)),
        )
    except KeyError as exc:
        raise RouteConfigError(f"路线参数缺少 {exc.args[0]}（data/routes.toml）") from exc
    if cfg.detour_factor < 1:
        raise RouteConfigError("绕行系数不能小于 1（data/routes.toml [travel].detour_factor）")
    if cfg.walking_speed_kmh <= 0 or cfg.day_minutes <= 0 or cfg.minutes_per_visit < 0:
        raise RouteConfigError("步行速度、每天分钟数须大于 0，每户用时不能为负（data/routes.toml）")
    if cfg.iterations <= 0 or min(cfg.level_prize.values()) <= 0:
        raise RouteConfigError("迭代次数和各等级的放弃代价须大于 0（data/routes.toml）")
    return cfg


def load_route_config(path: str | Path | None = None) -> RouteConfig:
    p = Path(path) if path else CONFIG_PATH
    try:
        with open(p, "rb") as fh:
            return config_from_dict(tomllib.load(fh))
    except FileNotFoundError as exc:
        raise RouteConfigError(f"找不到路线参数文件 {p}") from exc


@functools.lru_cache(maxsize=1)
def route_config() -> RouteConfig:
    """data/routes.toml, read once per process."""
    return load_route_config()


# --------------------------------------------------------------------------- inputs / outputs
@dataclass(frozen=True)
class Stop:
    """One visit to place in the day: `key` is the assignment id (unique within a plan)."""

    key: int
    household_id: int
    lon: float
    lat: float
    score: float
    level: str
    due_on: date | None = None
    last_visited_on: date | None = None


@dataclass(frozen=True)
class PlannedStop:
    order: int                 # 1, 2, 3 ... the number on the pin
    stop: Stop
    walk_minutes: float        # from the previous stop (the start for the first)
    arrive_minute: float       # minutes after setting out
    leave_minute: float


@dataclass(frozen=True)
class DroppedStop:
    stop: Stop
    code: str                  # one of DROP_CODES
    reason: str                # plain Chinese


@dataclass(frozen=True)
class DayRoute:
    planned: tuple[PlannedStop, ...]
    dropped: tuple[DroppedStop, ...]
    day_minutes: int
    total_minutes: float       # walking + visits (+ the way back when configured)
    walk_km: float
    start: tuple[float, float]  # lon, lat

    @property
    def keys(self) -> list[int]:
        return [p.stop.key for p in self.planned]

    @property
    def dropped_keys(self) -> list[int]:
        return [d.stop.key for d in self.dropped]


# --------------------------------------------------------------------------- pure helpers
def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (numpy-broadcast)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def walk_matrices(points: list[tuple[float, float]], config: RouteConfig) -> tuple[np.ndarray, np.ndarray]:
    """(metres, seconds) between every pair of points, as integers: straight line × detour."""
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    d = haversine_m(arr[:, None, 0], arr[:, None, 1], arr[None, :, 0], arr[None, :, 1])
    metres = np.rint(d * config.detour_factor).astype(np.int64)
    seconds = np.rint(metres / config.metres_per_second).astype(np.int64)
    return metres, seconds


def overdue_days(stop: Stop, today: date) -> int:
    """Days past the assignment's due date (0 when not overdue or without one)."""
    return max(0, (today - stop.due_on).days) if stop.due_on else 0


def drop_penalty(stop: Stop, today: date, config: RouteConfig) -> int:
    """What leaving this visit out costs, in metres of walking (PyVRP's prize)."""
    level = stop.level if stop.level in config.level_prize else LEVELS[-1]
    late = min(overdue_days(stop, today), config.max_overdue_days)
    due = stop.due_on is not None and stop.due_on <= today
    return int(config.level_prize[level] + config.per_score_point * max(float(stop.score), 0.0)
               + config.per_overdue_day * late + (config.due_today if due else 0))


class _Day:
    """Integer travel times and the route arithmetic the solver and the checks share."""

    def __init__(self, stops, start, today, config):
        self.stops, self.today, self.config = stops, today, config
        self.start_lon, self.start_lat = float(start[0]), float(start[1])
        self.metres, self.seconds = walk_matrices([start, *[(s.lon, s.lat) for s in stops]], config)
        if not config.return_to_start:  # the day ends at the last household
            self.metres[:, 0] = 0
            self.seconds[:, 0] = 0
        self.service = config.minutes_per_visit * 60
        self.limit = config.day_minutes * 60
        self.prize = [drop_penalty(s, today, config) for s in stops]

    # nodes: 0 = start, i + 1 = stops[i]
    def duration(self, route: list[int]) -> int:
        if not route:
            return 0
        nodes = [0, *[i + 1 for i in route], 0]
        walk = sum(int(self.seconds[a, b]) for a, b in zip(nodes, nodes[1:]))
        return walk + self.service * len(route)

    def cheapest_insertion(self, route: list[int], i: int) -> tuple[list[int], int]:
        """`route` with stop i put where it adds the least time, and that route's duration."""
        nodes = [0, *[k + 1 for k in route], 0]
        base = self.duration(route)
        s, n = self.seconds, i + 1
        best_pos, best_add = 0, None
        for pos in range(len(nodes) - 1):
            a, b = nodes[pos], nodes[pos + 1]
            add = int(s[a, n] + s[n, b] - s[a, b])
            if best_add is None or add < best_add:
                best_pos, best_add = pos, add
        return route[:best_pos] + [i] + route[best_pos:], base + best_add + self.service

    def risk_key(self, i: int):
        return (float(self.stops[i].score), self.prize[i])


def _solve(day: _Day, candidates: list[int], *, required: bool, seed: int) -> list[int] | None:
    """PyVRP: the best route over `candidates` (all optional unless `required`); None if the
    solver finds nothing feasible."""
    from pyvrp import Model
    from pyvrp.stop import MaxIterations

    if not candidates:
        return []
    m = Model()
    nodes = [0, *[i + 1 for i in candidates]]
    locations = []
    for node in nodes:
        lon, lat = ((day.start_lon, day.start_lat) if node == 0
                    else (day.stops[node - 1].lon, day.stops[node - 1].lat))
        locations.append(m.add_location(x=lon, y=lat))
    day_start = m.add_depot(locations[0])
    m.add_vehicle_type(1, start_depot=day_start, end_depot=day_start, shift_duration=day.limit)
    for loc, i in zip(locations[1:], candidates):
        m.add_client(loc, service_duration=day.service, prize=day.prize[i], required=required)
    for a, la in zip(nodes, locations):
        for b, lb in zip(nodes, locations):
            m.add_edge(la, lb, distance=int(day.metres[a, b]), duration=int(day.seconds[a, b]))
    with warnings.catch_warnings():  # an infeasible re-order is answered by None, not a warning
        warnings.simplefilter("ignore")
        # re-ordering a chosen set (required) is a small problem: a quarter of the iterations
        iterations = max(100, day.config.iterations // 4) if required else day.config.iterations
        res = m.solve(stop=MaxIterations(iterations), seed=seed, display=False, collect_stats=False)
    if not res.is_feasible():
        return None
    routes = res.best.routes()
    if not routes:
        return []
    return [candidates[act.idx] for act in routes[0].schedule() if act.is_client()]


def _trim(day: _Day, route: list[int]) -> list[int]:
    """Safety net: drop the lowest-risk visits until the route fits the day."""
    route = list(route)
    while route and day.duration(route) > day.limit:
        worst = min(route, key=day.risk_key)
        route.remove(worst)
    return route


def _enforce_risk_order(day: _Day, route: list[int], dropped: set[int]) -> tuple[list[int], bool]:
    """Put every left-out visit on the route if it fits, or if it fits in place of lower-risk
    visits (those leave, lowest first). Returns the new route and whether it changed."""
    changed = False
    progress = True
    while progress:
        progress = False
        for d in sorted(dropped, key=day.risk_key, reverse=True):
            new, dur = day.cheapest_insertion(route, d)
            if dur <= day.limit:
                route, progress = new, True
                dropped.discard(d)
                break
            lower = sorted((k for k in route if day.stops[k].score < day.stops[d].score),
                           key=day.risk_key)
            if not lower:
                continue
            without = [k for k in route if k not in set(lower)]
            if day.cheapest_insertion(without, d)[1] > day.limit:
                continue  # does not fit even without every lower-risk visit
            for cut in range(1, len(lower) + 1):
                gone = set(lower[:cut])
                new, dur = day.cheapest_insertion([k for k in route if k not in gone], d)
                if dur <= day.limit:
                    route, progress = new, True
                    dropped.discard(d)
                    dropped.update(gone)
                    break
            if progress:
                break
        changed = changed or progress
    return route, changed


def _minutes(seconds: float) -> int:
    return int(math.ceil(seconds / 60.0))


def _explain(day: _Day, route: list[int], d: int) -> DroppedStop:
    stop, cfg = day.stops[d], day.config
    alone = day.duration([d])
    if alone > day.limit:
        walk = _minutes(alone - day.service)
        code = TOO_FAR
        reason = (f"路太远：单独走访这一户，步行约 {walk} 分钟、入户 {cfg.minutes_per_visit} 分钟，"
                  f"已超过每天可用的 {cfg.day_minutes} 分钟")
    else:
        lower = [k for k in route if day.stops[k].score < stop.score]
        higher = len(route) - len(lower)
        if lower:
            without = [k for k in route if k not in set(lower)]
            need = _minutes(day.cheapest_insertion(without, d)[1])
            code = NO_ROOM_EVEN_WITHOUT_LOWER
            reason = (f"今日已安排风险相同或更高的 {higher} 户；即使不去风险较低的 {len(lower)} 户，"
                      f"加上这一户也需约 {need} 分钟，超过每天可用的 {cfg.day_minutes} 分钟")
        else:
            lowest = min((day.stops[k].score for k in route), default=stop.score)
            code = NO_ROOM
            reason = (f"今日 {cfg.day_minutes} 分钟已排满 {len(route)} 户风险相同或更高的住户"
                      f"（最低 {lowest:.0f} 分，本户 {stop.score:.0f} 分），顺延到下次")
    late = overdue_days(stop, day.today)
    if late:
        reason += f"；派单已逾期 {late} 天，请告知网格长"
    elif stop.due_on is not None and stop.due_on == day.today:
        reason += "；今天到期，请告知网格长"
    return DroppedStop(stop=stop, code=code, reason=reason)


def plan_day(stops, *, today: date, start: tuple[float, float] | None = None,
             config: RouteConfig | None = None, seed: int = 0) -> DayRoute:
    """The day's route over `stops` (a worker's open visits) starting at `start` (lon, lat; the
    mean of the stops when not given). Deterministic for a given seed."""
    config = config or route_config()
    stops = list(stops)
    keys = [s.key for s in stops]
    if len(set(keys)) != len(keys):
        raise ValueError("每个走访的 key 必须唯一 (duplicate stop keys)")
    if start is None:
        start = ((float(np.mean([s.lon for s in stops])), float(np.mean([s.lat for s in stops])))
                 if stops else (0.0, 0.0))
    day = _Day(stops, start, today, config)
    everyone = list(range(len(stops)))

    route = _solve(day, everyone, required=False, seed=seed)
    route = _trim(day, route or [])
    dropped = set(everyone) - set(route)
    for _ in range(5):  # enforce the rule, then let the solver re-order the chosen visits
        route, changed = _enforce_risk_order(day, route, dropped)
        if not changed:
            break
        better = _solve(day, route, required=True, seed=seed)
        if better is not None and len(better) == len(route) \
                and day.duration(better) <= min(day.duration(route), day.limit):
            route = better
    route, _ = _enforce_risk_order(day, route, dropped)  # the last word is the rule

    planned, clock, prev = [], 0.0, 0
    for order, i in enumerate(route, start=1):
        walk = float(day.seconds[prev, i + 1]) / 60.0
        arrive = clock + walk
        clock = arrive + config.minutes_per_visit
        planned.append(PlannedStop(order=order, stop=stops[i], walk_minutes=round(walk, 1),
                                   arrive_minute=round(arrive, 1), leave_minute=round(clock, 1)))
        prev = i + 1
    nodes = [0, *[i + 1 for i in route], 0] if route else []
    walk_m = sum(int(day.metres[a, b]) for a, b in zip(nodes, nodes[1:]))
    dropped_out = [_explain(day, route, d) for d in sorted(dropped, key=day.risk_key, reverse=True)]
    return DayRoute(planned=tuple(planned), dropped=tuple(dropped_out),
                    day_minutes=config.day_minutes,
                    total_minutes=round(day.duration(route) / 60.0, 1),
                    walk_km=round(walk_m / 1000.0, 2), start=(day.start_lon, day.start_lat))
