"""Pure generation of the Zhongxing demo world (DataFrames, no database), deterministic per seed.

Hardship is produced by a latent process of its own (fragility, shocks and their warning signs),
never from the risk score's weights, so that evaluating the score against it is not circular.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd

from grid.geometry import OUTSIDE, assign_to_grids
from grid.ids import SIYANG_PREFIX, check_digit
from grid.models import CATEGORIES, FULL_TIME, PART_TIME

FULL_TIME_TOTAL = 54
PART_TIME_TOTAL = 308
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
# Given names from the Heavenly Stems and numerals: obviously fictional.
GIVEN = [a + b for a in "甲乙丙丁戊己庚辛壬癸" for b in "一二三四五六七八九十"]
ROADS = ["演示路", "样例街", "示范大道", "测试巷", "模拟路", "虚拟街"]


@dataclass
class DemoWorld:
    workers: pd.DataFrame      # name, phone, employment, grid_code
    households: pd.DataFrame   # address, lon, lat, grid_code, members, head_name, ... (DESIGN.md)
    visits: pd.DataFrame       # household_idx, worker_idx, visited_on, observations
    events: pd.DataFrame       # household_idx, occurred_on, category, cause
    # register history: household_idx, field, value, valid_from, recorded_on (grid.facts)
    facts: pd.DataFrame | None = None


def split_workers(households_per_grid: np.ndarray, total: int) -> np.ndarray:
    """`total` workers over grids: at least one each, the rest by largest remainder on households."""
    n = len(households_per_grid)
    if total < n:
        raise ValueError("fewer workers than grids")
    weights = np.asarray(households_per_grid, dtype=float)
    weights = weights / weights.sum() if weights.sum() else np.full(n, 1 / n)
    share = weights * (total - n)
    out = np.floor(share).astype(int) + 1
    rest = total - out.sum()
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    out[order[:rest]] += 1
    return out


def _place_households(rng, grids: gpd.GeoDataFrame, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clustered points (residential compounds) inside the grids; strays are redrawn."""
    minx, miny, maxx, maxy = grids.total_bounds
    n_clusters = max(72, n // 150)
    cx = rng.uniform(minx, maxx, n_clusters * 3)
    cy = rng.uniform(miny, maxy, n_clusters * 3)
    keep = assign_to_grids(cx, cy, grids) != OUTSIDE
    cx, cy = cx[keep][:n_clusters], cy[keep][:n_clusters]
    weight = rng.lognormal(0, 0.5, cx.size)
    weight /= weight.sum()
    lon = np.empty(n)
    lat = np.empty(n)
    idx = np.full(n, OUTSIDE)
    todo = np.arange(n)
    while todo.size:
        # Four in five households live in compounds (~80 m spread); the rest along the streets.
        in_compound = rng.random(todo.size) < 0.8
        c = rng.choice(cx.size, size=todo.size, p=weight)
        lon[todo] = np.where(in_compound, cx[c] + rng.normal(0, 0.0009, todo.size),
                             rng.uniform(minx, maxx, todo.size))
        lat[todo] = np.where(in_compound, cy[c] + rng.normal(0, 0.0007, todo.size),
                             rng.uniform(miny, maxy, todo.size))
        idx[todo] = assign_to_grids(lon[todo], lat[todo], grids)
        todo = todo[idx[todo] == OUTSIDE]
    return np.round(lon, 6), np.round(lat, 6), idx


def _id_numbers(rng, n: int, today: date) -> np.ndarray:
    ids: set[str] = set()
    out = []
    while len(out) < n:
        age_days = int(rng.integers(20 * 365, 90 * 365))
        born = today - timedelta(days=age_days)
        seq = int(rng.integers(0, 1000))
        body = f"{SIYANG_PREFIX}{born:%Y%m%d}{seq:03d}"
        number = body + check_digit(body)
        if number not in ids:
            ids.add(number)
            out.append(number)
    return np.array(out, dtype=object)


def _households(rng, grids, n: int, today: date) -> pd.DataFrame:
    lon, lat, gidx = _place_households(rng, grids, n)
    codes = np.asarray(grids["code"], dtype=object)[gidx]
    members = rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.14, 0.28, 0.28, 0.18, 0.08, 0.04])
    elderly_alone = (members == 1) & (rng.random(n) < 0.55)
    minors = np.where(members >= 3, rng.binomial(2, 0.45, n), 0)
    disability = rng.random(n) < 0.03
    illness = rng.random(n) < 0.045
    income = rng.lognormal(np.log(2600), 0.55, n)
    income = np.where(elderly_alone, income * 0.55, income)
    income = np.where(disability | illness, income * 0.7, income)
    dibao = (income < 900) & (rng.random(n) < 0.6)
    tekun = elderly_alone & (income < 700) & (rng.random(n) < 0.4)
    heads = [SURNAMES[s] + GIVEN[g] for s, g in zip(rng.integers(0, len(SURNAMES), n),
                                                     rng.integers(0, len(GIVEN), n))]
    road = rng.integers(0, len(ROADS), n)
    addresses = [f"众兴镇{ROADS[r]}{int(a)}号{int(b)}栋{int(c)}室"
                 for r, a, b, c in zip(road, rng.integers(1, 300, n), rng.integers(1, 30, n),
                                       rng.integers(101, 1802, n))]
    phones = [f"1700{int(x):07d}" for x in rng.integers(0, 10_000_000, n)]
    return pd.DataFrame({
        "address": addresses, "lon": lon, "lat": lat, "grid_code": codes, "members": members,
        "head_name": heads, "head_id_number": _id_numbers(rng, n, today), "phone": phones,
        "elderly_alone": elderly_alone, "minors": minors, "severe_disability": disability,
        "serious_illness": illness, "dibao": dibao, "tekun": tekun,
        "income_per_capita_yuan": np.round(income, 0),
    })


def _workers(rng, grids, households: pd.DataFrame) -> pd.DataFrame:
    codes = list(grids["code"])
    per_grid = households["grid_code"].value_counts().reindex(codes, fill_value=0).to_numpy()
    rows = []
    for employment, total in ((FULL_TIME, FULL_TIME_TOTAL), (PART_TIME, PART_TIME_TOTAL)):
        for code, count in zip(codes, split_workers(per_grid, total)):
            for _ in range(count):
                name = SURNAMES[rng.integers(0, len(SURNAMES))] + GIVEN[rng.integers(0, len(GIVEN))]
                rows.append({"name": name, "phone": f"1709{int(rng.integers(0, 10**7)):07d}",
                             "employment": employment, "grid_code": code})
    return pd.DataFrame(rows)


def _events(rng, households: pd.DataFrame, start: date, today: date) -> pd.DataFrame:
    """Latent fragility -> monthly shocks. Independent of any scoring weights."""
    n = len(households)
    h = households
    fragility = (0.9 * h["elderly_alone"] + 1.1 * h["severe_disability"] + 1.0 * h["serious_illness"]
                 + 0.6 * (h["minors"] > 0) + 1.2 * (h["income_per_capita_yuan"] < 1500)
                 + rng.normal(0, 0.8, n)).to_numpy(dtype=float)
    yearly = 0.012 * np.exp(0.75 * fragility)
    yearly = np.clip(yearly, 0, 0.6)
    has = rng.random(n) < yearly * 1.3  # events over ~15 months (history plus a little before)
    who = np.flatnonzero(has)
    span = (today - start).days
    offsets = rng.integers(-60, span, who.size)
    cat_p = np.array([0.12, 0.18, 0.40, 0.15, 0.15])
    cats = rng.choice(len(CATEGORIES), size=who.size, p=cat_p)
    causes = {"housing_loss": "房屋失火/漏雨受损", "accidental_injury": "交通事故受伤",
              "illness_or_disaster": "家庭成员突发重病", "care_gap": "老人无人照料",
              "expenditure": "医疗支出过大"}
    return pd.DataFrame({
        "household_idx": who,
        "occurred_on": [start + timedelta(days=int(o)) for o in offsets],
        "category": [CATEGORIES[c] for c in cats],
        "cause": [causes[CATEGORIES[c]] for c in cats],
    })


def _visits(rng, households, workers, events, start: date, today: date) -> pd.DataFrame:
    """Full-time workers visit more often; coverage is imperfect; shocks show warning signs."""
    n = len(households)
    assigned = np.empty(n, dtype=int)
    for code, idx in households.groupby("grid_code").indices.items():
        pool = np.flatnonzero(workers["grid_code"].to_numpy() == code)
        # A full-time worker looks after about three times as many households as a part-timer.
        w = np.where(workers["employment"].to_numpy()[pool] == FULL_TIME, 3.0, 1.0)
        assigned[idx] = rng.choice(pool, size=idx.size, p=w / w.sum())
    full = workers["employment"].to_numpy()[assigned] == FULL_TIME
    vulnerable = (households["elderly_alone"] | households["severe_disability"]
                  | households["serious_illness"] | households["dibao"]).to_numpy()
    interval = np.where(full, 55.0, 110.0) * np.where(vulnerable, 0.7, 1.0)
    never = rng.random(n) < 0.08
    span = (today - start).days
    hh, day = [], []
    t = rng.uniform(0, interval)
    while True:
        alive = (t < span) & ~never
        if not alive.any():
            break
        k = np.flatnonzero(alive)
        miss = rng.random(k.size) < 0.12
        hh.append(k[~miss])
        day.append(t[k[~miss]].astype(int))
        t[k] += interval[k] * rng.uniform(0.6, 1.4, k.size)
        t[~alive] = np.inf
    hh_idx = np.concatenate(hh)
    days = np.concatenate(day)
    v = pd.DataFrame({"household_idx": hh_idx, "worker_idx": assigned[hh_idx], "day": days})
    base_income = households["income_per_capita_yuan"].to_numpy()[hh_idx]
    v["income_per_capita_yuan"] = np.round(base_income * rng.normal(1, 0.05, len(v)), 0)
    for col in ("housing_loss", "accidental_injury", "sudden_illness_or_disaster", "care_gap",
                "lost_job", "new_illness"):
        v[col] = False
    # Background noise: worries that come to nothing.
    noise = rng.random(len(v))
    v.loc[noise < 0.010, "lost_job"] = True
    v.loc[(noise >= 0.010) & (noise < 0.016), "new_illness"] = True
    v.loc[(noise >= 0.016) & (noise < 0.030), "income_per_capita_yuan"] *= 0.75
    _warning_signs(rng, v, events, start)
    v["visited_on"] = [start + timedelta(days=int(d)) for d in v["day"]]
    return v.drop(columns="day")


def _warning_signs(rng, v: pd.DataFrame, events: pd.DataFrame, start: date) -> None:
    """Before a shock, visits may notice it building up; after it, they see it."""
    if events.empty:
        return
    ev_day = pd.Series([(d - start).days for d in events["occurred_on"]], index=events["household_idx"])
    ev_cat = pd.Series(events["category"].to_numpy(), index=events["household_idx"])
    lead = pd.Series(rng.integers(20, 150, len(events)), index=events["household_idx"])
    hit = v["household_idx"].isin(events["household_idx"])
    sub = v[hit]
    e_day = ev_day.reindex(sub["household_idx"]).to_numpy()
    cat = ev_cat.reindex(sub["household_idx"]).to_numpy()
    lead_d = lead.reindex(sub["household_idx"]).to_numpy()
    before = (sub["day"].to_numpy() >= e_day - lead_d) & (sub["day"].to_numpy() < e_day)
    after = sub["day"].to_numpy() >= e_day
    seen = rng.random(len(sub)) < 0.65
    idx = sub.index.to_numpy()
    warn = idx[before & seen]
    warn_cat = cat[before & seen]
    v.loc[warn, "income_per_capita_yuan"] *= rng.uniform(0.45, 0.8, warn.size)
    v.loc[warn[np.isin(warn_cat, ["illness_or_disaster", "expenditure"])], "new_illness"] = True
    v.loc[warn[np.isin(warn_cat, ["accidental_injury", "housing_loss", "expenditure"])], "lost_job"] = True
    v.loc[warn[warn_cat == "care_gap"], "care_gap"] = True
    flag = {"housing_loss": "housing_loss", "accidental_injury": "accidental_injury",
            "illness_or_disaster": "sudden_illness_or_disaster", "care_gap": "care_gap",
            "expenditure": "new_illness"}
    post = idx[after]
    post_cat = cat[after]
    v.loc[post, "income_per_capita_yuan"] *= 0.6
    for c, col in flag.items():
        v.loc[post[post_cat == c], col] = True


def generate(grids: gpd.GeoDataFrame, *, households: int, seed: int, today: date,
             history_days: int = 365) -> DemoWorld:
    if households < 1:
        raise ValueError("households must be at least 1")
    rng = np.random.default_rng(seed)
    grids = grids.sort_values("code", ignore_index=True)
    start = today - timedelta(days=history_days)
    hh = _households(rng, grids, households, today)
    workers = _workers(rng, grids, hh)
    events = _events(rng, hh, start, today)
    visits = _visits(rng, hh, workers, events, start, today)
    events = events[events["occurred_on"] <= today].reset_index(drop=True)
    facts = fact_history(np.random.default_rng([seed, 13]), hh, events, start, today)
    return DemoWorld(workers=workers, households=hh, visits=visits, events=events, facts=facts)


REGISTER_FIELDS = ("members", "elderly_alone", "minors", "severe_disability", "serious_illness",
                   "dibao", "tekun", "income_per_capita_yuan")
# (field, event categories after which the register learns of it, share, lag days low/high)
_RECORDED_AFTER_EVENT = (
    ("serious_illness", ("illness_or_disaster", "expenditure"), 0.6, 7, 60),
    ("severe_disability", ("accidental_injury",), 0.6, 30, 120),
    ("dibao", tuple(CATEGORIES), 0.5, 20, 90),
)


def fact_history(rng, households: pd.DataFrame, events: pd.DataFrame, start: date,
                 today: date) -> pd.DataFrame:
    """When each register fact became true and when the register learned of it.

    Every household entered the register on a day before the history starts (up to eight years
    before); its facts then are the baseline.  Some facts arrive later, the way registers change:
    a serious illness or a disability is recorded after the illness or injury event that caused it
    (the event day is when it became true), a household is admitted to 低保 weeks after a
    hardship event, and some illnesses, disabilities and elderly-living-alone situations simply
    start during the year.  Every fact is recorded on or before `today`, and the final value of
    each field is the household's current value.  A replay that reads current values sees these
    late facts early; one that reads this history does not.
    """
    n = len(households)
    registered = np.array([start - timedelta(days=int(x)) for x in rng.integers(30, 8 * 365, n)])
    first_event: dict[str, dict[int, date]] = {}
    for field, cats, _share, _lo, _hi in _RECORDED_AFTER_EVENT:
        ev = events[events["category"].isin(cats)].sort_values("occurred_on")
        first_event[field] = dict(zip(ev["household_idx"].tolist()[::-1],
                                      ev["occurred_on"].tolist()[::-1]))
    late: dict[str, np.ndarray] = {}
    span = max(1, (today - start).days)
    for field, _cats, share, lo, hi in _RECORDED_AFTER_EVENT:
        current = households[field].to_numpy(dtype=bool)
        late_f = np.zeros(n, dtype=object)
        draw = rng.random(n)
        lag = rng.integers(lo, hi + 1, n)
        for i in np.flatnonzero(current):
            ev_day = first_event[field].get(int(i))
            if ev_day is not None and draw[i] < share:
                late_f[i] = (ev_day, min(today, ev_day + timedelta(days=int(lag[i]))))
        late[field] = late_f
    # facts that start during the year without an event
    for field, share in (("serious_illness", 0.15), ("severe_disability", 0.10),
                         ("elderly_alone", 0.10)):
        current = households[field].to_numpy(dtype=bool)
        late_f = late.setdefault(field, np.zeros(n, dtype=object))
        draw = rng.random(n)
        begin = rng.integers(0, span, n)
        lag = rng.integers(0, 45, n)
        for i in np.flatnonzero(current & (draw < share)):
            if not late_f[i]:
                became = start + timedelta(days=int(begin[i]))
                late_f[i] = (became, min(today, became + timedelta(days=int(lag[i]))))
    parts = []
    for field in REGISTER_FIELDS:
        values = pd.Series(households[field].to_numpy(), dtype=object)
        late_f = late.get(field)
        is_late = (np.array([bool(x) for x in late_f]) if late_f is not None
                   else np.zeros(n, dtype=bool))
        base = values.copy()
        base[is_late] = False      # before the late fact, the register said no
        parts.append(pd.DataFrame({"household_idx": np.arange(n), "field": field, "value": base,
                                   "valid_from": registered, "recorded_on": registered}))
        idx = np.flatnonzero(is_late)
        if idx.size:
            parts.append(pd.DataFrame({
                "household_idx": idx, "field": field, "value": values[idx].to_numpy(),
                "valid_from": [late_f[i][0] for i in idx], "recorded_on": [late_f[i][1] for i in idx]}))
    out = pd.concat(parts, ignore_index=True)
    out["value"] = [v.item() if hasattr(v, "item") else v for v in out["value"]]
    return out
