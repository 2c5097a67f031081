"""The dashboard's state: one cached engine, cached loaders, the acting user, language, today.

Loaders take plain hashable arguments (database URL, Actor, today) -- never globals or
st.session_state -- so a cache entry can only be reused for the same user scope and day.
`clear_after_write()` drops every cached query result after a write.
"""
from __future__ import annotations

import os
from datetime import date

import pandas as pd
import streamlit as st

from grid.access import Actor
from grid.config import get_settings

TTL_S = 300
LANG_KEY = "jizhen_lang"
TODAY_ENV = "JIZHEN_TODAY"  # fixes the business date (demos, tests); default: today in Shanghai


# --------------------------------------------------------------------------- context
def db_url() -> str:
    return get_settings().database_url


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    from grid.db import make_engine

    return make_engine(url)


def engine():
    return _engine(db_url())


def today() -> date:
    fixed = os.environ.get(TODAY_ENV)
    if fixed:
        return date.fromisoformat(fixed)
    from grid.cli import today_local

    return today_local()


def lang() -> str:
    return st.session_state.get(LANG_KEY, "zh")


def current_actor() -> Actor | None:
    """The logged-in user (dashboard.auth), re-checked against the database; None when logged out."""
    from dashboard.auth import current_actor as logged_in

    return logged_in(engine())


def page_start() -> tuple[str, Actor, str, date]:
    """Every page's first line: language, the logged-in actor (or a warning and stop),
    database URL and business date."""
    from dashboard.texts import t

    lang_ = lang()
    actor = current_actor()
    if actor is None:
        st.warning(t("no_actor", lang_))
        st.stop()
    return lang_, actor, db_url(), today()


def basemap_problem() -> str | None:
    """Why the configured basemap (JIZHEN_TILES) cannot be used, or None."""
    from dashboard.maps import UnknownTiles, check_tiles

    settings = get_settings()
    try:
        check_tiles(settings.tiles, tianditu_key=settings.tianditu_key)
    except UnknownTiles as exc:
        return str(exc)
    return None


def clear_after_write() -> None:
    st.cache_data.clear()
    cached_map.clear()


# --------------------------------------------------------------------------- loaders
@st.cache_data(ttl=TTL_S, show_spinner=False)
def all_grid_codes(url: str) -> list[str]:
    from grid.access import SYSTEM
    from grid.frames import grids_frame

    return grids_frame(_engine(url), SYSTEM)["code"].tolist()


@st.cache_data(ttl=TTL_S, show_spinner=False)
def grids(url: str, actor: Actor):
    """Grid polygons simplified for display (code, name, geometry)."""
    from grid.frames import grids_frame
    from grid.geometry import simplified_for_display

    g = grids_frame(_engine(url), actor)
    return simplified_for_display(g) if len(g) else g


@st.cache_data(ttl=TTL_S, show_spinner=False)
def workers(url: str, actor: Actor) -> pd.DataFrame:
    from grid.frames import workers_frame

    return workers_frame(_engine(url), actor)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def household_state(url: str, actor: Actor, day: date) -> pd.DataFrame:
    """One row per household in scope: id, grid_code, lon, lat, score, level, reasons,
    days_since_visit (Int64), worker_id (who made the latest visit, -1 if never), visits_30d."""
    from grid.frames import households_frame, visits_frame
    from grid.risk_service import latest_scores
    from risk.scoring import score_households

    eng = _engine(url)
    hh = households_frame(eng, actor)
    visits = visits_frame(eng, actor, until=day)
    live = score_households(hh, visits, today=day) if len(hh) else None
    stored = latest_scores(eng, actor)
    out = hh[["id", "grid_code", "lon", "lat"]].copy()
    if live is None:
        return out.assign(score=[], level=[], reasons=[], days_since_visit=[], worker_id=[])
    # The score and level are the stored ones (the nightly run plus every recorded visit);
    # households never stored fall back to the live score. Days since visit are always live.
    s = live.set_index("household_id")
    if len(stored):
        st_idx = stored.set_index("household_id")
        s.loc[st_idx.index.intersection(s.index), ["score", "level", "reasons"]] = \
            st_idx[["score", "level", "reasons"]]
    out["score"] = s["score"].reindex(out["id"]).to_numpy(dtype=float)
    out["level"] = s["level"].reindex(out["id"]).to_numpy()
    out["reasons"] = s["reasons"].reindex(out["id"]).to_numpy()
    out["days_since_visit"] = s["days_since_visit"].reindex(out["id"]).to_numpy()
    last = visits.sort_values(["household_id", "visited_on", "id"]).drop_duplicates(
        "household_id", keep="last").set_index("household_id")["worker_id"]
    out["worker_id"] = out["id"].map(last).fillna(-1).astype("int64").to_numpy()
    return out


@st.cache_data(ttl=TTL_S, show_spinner=False)
def household_labels(url: str, actor: Actor, grid_code: str) -> pd.DataFrame:
    """id, head_name, address of one grid's households, masked as the actor's role requires."""
    from grid.frames import households_frame
    from grid.privacy import mask_frame

    hh = households_frame(_engine(url), actor, personal=True)
    hh = hh.loc[hh["grid_code"] == grid_code, ["id", "head_name", "address"]]
    return mask_frame(hh, actor).set_index("id")


@st.cache_data(ttl=TTL_S, show_spinner=False)
def visits_30d_by_worker(url: str, actor: Actor, day: date) -> pd.Series:
    from datetime import timedelta

    from grid.frames import visits_frame

    v = visits_frame(_engine(url), actor, since=day - timedelta(days=30), until=day)
    return v["worker_id"].value_counts()


@st.cache_data(ttl=TTL_S, show_spinner=False)
def hotspots(url: str, actor: Actor, day: date) -> pd.DataFrame:
    from grid.risk_service import hotspot_cells

    try:
        return hotspot_cells(_engine(url), actor, today=day)
    except ValueError:  # too few households in scope for a local statistic
        return pd.DataFrame(columns=["cell", "label", "households", "gi_z"])


PENDING_COLUMNS = ["id", "case_no", "category", "lon", "lat", "grid_code", "status", "due_on",
                   "working_days_left", "deadline_status"]


@st.cache_data(ttl=TTL_S, show_spinner=False)
def pending_cases(url: str, actor: Actor, day: date) -> pd.DataFrame:
    try:
        from cases.services import pending_cases_frame
    except ImportError:
        return pd.DataFrame(columns=PENDING_COLUMNS)
    from grid.db import session_scope

    with session_scope(_engine(url)) as session:
        return pending_cases_frame(session, actor, day)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def open_assignments(url: str, actor: Actor) -> pd.DataFrame:
    from grid.assignments import open_assignments_frame

    return open_assignments_frame(_engine(url), actor)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def grid_summary(url: str, actor: Actor, day: date) -> pd.DataFrame:
    """Per grid: the map's colours and the grid panel (see grid.metrics.grid_summary)."""
    from grid.metrics import grid_summary as summarise

    return summarise(grids(url, actor)[["code", "name"]], household_state(url, actor, day),
                     workers(url, actor), pending_cases(url, actor, day))


@st.cache_data(ttl=TTL_S, show_spinner=False)
def leader_metrics(url: str, actor: Actor, day: date, months: int) -> dict[str, pd.DataFrame]:
    from grid.metrics import leader_metrics as compute, load_metrics_data

    return compute(load_metrics_data(_engine(url), actor), today=day, months=months)


@st.cache_resource(ttl=TTL_S, max_entries=32, show_spinner=False)
def cached_map(url: str, actor: Actor, day: date, options: tuple):
    """The folium map for one set of page options (a hashable tuple of key/value pairs).
    Kept as a resource: st_folium only reads it, and rebuilding it is the costly part of a rerun."""
    from dashboard import maps

    o = dict(options)
    g = grids(url, actor)
    summary = grid_summary(url, actor, day).set_index("grid_code")
    hs = household_state(url, actor, day)
    high = maps.filter_households(hs, grid_codes=o.get("grid_codes"), worker_id=o.get("worker_id"),
                                  levels=o.get("levels"))
    cases = maps.filter_cases(pending_cases(url, actor, day), grid_codes=o.get("grid_codes"),
                              deadline_statuses=o.get("deadlines"))
    layers = o.get("layers", ())
    heat = None
    if "heat" in layers:
        weights = hs["level"].map({"red": 1.0, "orange": 0.6, "yellow": 0.25}).fillna(0.0)
        heat = hs.assign(weight=weights)[weights > 0]
    settings = get_settings()
    return maps.build_map(
        g, grid_values=summary[o.get("metric", "coverage_30d")], metric=o.get("metric", "coverage_30d"),
        hotspots=hotspots(url, actor, day) if "hotspots" in layers else None,
        heat=heat,
        cases=cases if "cases" in layers else None,
        households=high if "households" in layers else None,
        tiles=settings.tiles, tianditu_key=settings.tianditu_key, lang=o.get("lang", "zh"))
