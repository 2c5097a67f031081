"""The dashboard's state: one cached engine, cached loaders, the acting user, language, today.

Loaders take plain hashable arguments (database URL, Actor, today) -- never globals or
st.session_state -- so a cache entry can only be reused for the same user scope and day.

Invalidation is per write, not global: every write is audited (grid.audit), so the audit log is
the change feed. `generations(url)` reads the audit rows written since it last looked (one
indexed query) and turns each into the grids it touched: a visit or an assignment bumps the
'households' generation of its household's grid, a case write the 'cases' generation of the
case's grid, anything else (a scoring run, a grid or roster import) every grid. Heavy loaders are
cached per grid with that grid's generation in the key, so a visit saved in 城中社区 reloads that
grid only, and every other user's entries stay warm. `clear_after_write()` just reads the feed
at once (so the writer sees the write in the same run); it clears nothing.

What a write costs the next rerun (benchmarks/dashboard_bench.py, "after one write"): the
written grid's households, scores and leaders' data are read again; every other grid's entries
are reused as they are. Per-grid entries are shared resources, not pickled copies (unpickling
twelve grids cost more than reloading the one that changed; pandas' copy-on-write keeps callers
from changing them); the leaders' page keeps each grid's facts per month
(grid.metrics.periods_facts) and combines them (leader_metrics_from_facts), so only the written
grid's facts are recomputed.
"""
from __future__ import annotations

import functools
import os
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from grid.access import Actor
from grid.config import get_settings

TTL_S = 3600  # entries are keyed by data generation; the TTL only bounds memory
MAX_ENTRIES = 512
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
    from jizhen.cli import today_local

    return today_local()


def lang() -> str:
    return st.session_state.get(LANG_KEY, "zh")


def current_actor() -> Actor | None:
    """The logged-in user (dashboard.auth), re-checked against the database; None when logged out."""
    from dashboard.auth import current_actor as logged_in

    return logged_in(engine())


_LANG_SEEN = "_jizhen_lang_seen"   # the language the last run of this session drew
# The option of a selectbox that means "no filter" or "none" (全部, 不关联). Not None: a choice of
# None cannot be given again after a language switch (keep_choices_on_language_change leaves None
# alone, as uploads hold None), and the browser then sent back the old language's label as the
# value. Read a choice with chosen().
NO_CHOICE = "__none__"


def chosen(value):
    """A selectbox's value with NO_CHOICE read as None."""
    return None if value == NO_CHOICE else value


def keep_choices_on_language_change(lang_: str) -> None:
    """After the language switch, give every choice of the session its own value again.

    The browser keeps a selectbox's, multiselect's or radio's choice as the label it showed and
    reads it back against this run's labels: after a switch the choice showed the old language and,
    at the next rerun, fell back to its default (a multiselect emptied). Setting each value again
    makes Streamlit send its labels in the new language. Buttons, ticks (bool), uploads and
    editors are left alone (they carry no label); so is the switch itself, drawn before the page."""
    seen = st.session_state.get(_LANG_SEEN)
    st.session_state[_LANG_SEEN] = lang_
    if seen is None or seen == lang_:
        return
    plain = (str, int, float, date, list, tuple)
    for key in list(st.session_state.keys()):
        if key in (LANG_KEY, _LANG_SEEN) or str(key).startswith("$$"):
            continue
        value = st.session_state[key]
        if isinstance(value, plain) and not isinstance(value, bool):
            st.session_state[key] = value


def page_start() -> tuple[str, Actor, str, date]:
    """Every page's first line: language, the logged-in actor (or a warning and stop),
    database URL and business date."""
    from dashboard.texts import t

    import sys
    from pathlib import Path

    from dashboard.navigation import may_open

    lang_ = lang()
    keep_choices_on_language_change(lang_)
    actor = current_actor()
    if actor is None:
        st.warning(t("no_actor", lang_))
        st.stop()
    # A page opened by its URL runs without app.py's navigation: the page itself refuses a role
    # that dashboard.navigation does not give it (the data stays scoped in the domain anyway).
    page_file = Path(sys._getframe(1).f_code.co_filename).name
    if not may_open(actor.role, page_file):
        st.warning(t("page_not_for_role", lang_))
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


# --------------------------------------------------------------------------- generations
HOUSEHOLDS, CASES = "households", "cases"
# audit entity -> the generation family it changes (found through the row's grid)
_GRID_ENTITIES = {"visit": HOUSEHOLDS, "visit_assignment": HOUSEHOLDS, "household": HOUSEHOLDS,
                  "aid_case": CASES}
# audit entities that change nothing a cached loader reads
_INERT_ENTITIES = {"user", "user_session", "aid_disclosure", "aid_spot_check",
                   "aid_fund_movement", "aid_blacklist", "audit_entry"}
_GRID_OF = {
    "visit": "SELECT v.id, g.code FROM visit v JOIN household h ON v.household_id = h.id "
             "JOIN community_grid g ON h.grid_id = g.id WHERE v.id IN ({ids})",
    "visit_assignment": "SELECT a.id, g.code FROM visit_assignment a JOIN household h "
                        "ON a.household_id = h.id JOIN community_grid g ON h.grid_id = g.id "
                        "WHERE a.id IN ({ids})",
    "household": "SELECT h.id, g.code FROM household h JOIN community_grid g ON h.grid_id = g.id "
                 "WHERE h.id IN ({ids})",
    "aid_case": "SELECT id, grid_code FROM aid_case WHERE id IN ({ids})",
}


def _json_grid_codes(*texts: str) -> set[str]:
    import json

    out = set()
    for text_ in texts:
        try:
            value = json.loads(text_) if text_ else None
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("grid_code"):
            out.add(str(value["grid_code"]))
    return out


class Generations:
    """Per-grid data generations read from the audit log (see the module docstring). A token is
    the id of the newest audit row that changed the grid's data of one family (or of everything)."""

    def __init__(self, engine):
        import threading

        from sqlalchemy import text

        self.engine = engine
        self.lock = threading.Lock()
        with engine.connect() as c:
            self.last = int(c.execute(text("SELECT COALESCE(MAX(id), 0) FROM audit_entry")).scalar())
        self.base = self.last  # everything loaded from now on is as of this row
        self.tokens: dict[tuple[str, str], int] = {}

    def refresh(self) -> None:
        from sqlalchemy import text

        with self.lock, self.engine.connect() as c:
            rows = c.execute(text("SELECT id, entity, entity_id, before_json, after_json "
                                  "FROM audit_entry WHERE id > :last ORDER BY id"),
                             {"last": self.last}).all()
            if not rows:
                return
            by_entity: dict[str, list] = {}
            for row in rows:
                if row.entity in _INERT_ENTITIES:
                    continue
                if row.entity not in _GRID_ENTITIES or not str(row.entity_id).isdigit():
                    self.base = max(self.base, row.id)  # a run, an import: every grid
                    continue
                by_entity.setdefault(row.entity, []).append(row)
            for entity, group in by_entity.items():
                ids = sorted({int(r.entity_id) for r in group})
                codes = dict(c.execute(text(_GRID_OF[entity].format(
                    ids=",".join(str(i) for i in ids)))).all())
                family = _GRID_ENTITIES[entity]
                for r in group:
                    found = {codes[int(r.entity_id)]} if int(r.entity_id) in codes else set()
                    found |= _json_grid_codes(r.before_json, r.after_json)
                    if not found:  # deleted, or no grid: be safe
                        self.base = max(self.base, r.id)
                    for code in found:
                        key = (family, str(code))
                        self.tokens[key] = max(self.tokens.get(key, 0), r.id)
            self.last = rows[-1].id

    def token(self, family: str, code: str) -> int:
        return max(self.base, self.tokens.get((family, code), 0))


@st.cache_resource(show_spinner=False)
def _generations(url: str) -> Generations:
    return Generations(_engine(url))


def generations(url: str) -> Generations:
    """The process's generation tracker for `url`, brought up to date with the audit log."""
    gens = _generations(url)
    gens.refresh()
    return gens


def clear_after_write(*_written, **__) -> None:
    """After a write: read the change feed now, so this run's loaders see the write. Only the
    grids the write touched get new cache keys; nothing is cleared. (Arguments are accepted and
    ignored: the audit log already says what was written.)"""
    generations(db_url())


def scope_codes(url: str, actor: Actor) -> tuple[str, ...]:
    """The grid codes the actor sees."""
    codes = all_grid_codes(url, generations(url).base)
    return tuple(c for c in codes if actor.sees_grid(c))


def _tokens(url: str, codes, family: str) -> tuple:
    gens = generations(url)
    return tuple(gens.token(family, c) for c in codes)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    non_empty = [f for f in frames if len(f)]
    if non_empty:
        return pd.concat(non_empty, ignore_index=True)
    return frames[0].iloc[0:0] if frames else pd.DataFrame()


# --------------------------------------------------------------------------- loaders
@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def all_grid_codes(url: str, token: int = 0) -> list[str]:
    from grid.access import SYSTEM
    from grid.frames import grids_frame

    return grids_frame(_engine(url), SYSTEM)["code"].tolist()


def grids(url: str, actor: Actor):
    """Grid polygons simplified for display (code, name, geometry)."""
    return _grids(url, actor, generations(url).base)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _grids(url: str, actor: Actor, token: int):
    from grid.frames import grids_frame
    from grid.geometry import simplified_for_display

    g = grids_frame(_engine(url), actor)
    return simplified_for_display(g) if len(g) else g


def workers(url: str, actor: Actor) -> pd.DataFrame:
    return _workers(url, actor, generations(url).base)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _workers(url: str, actor: Actor, token: int) -> pd.DataFrame:
    from grid.frames import workers_frame

    return workers_frame(_engine(url), actor)


# Per-grid entries are resources, not pickled copies: reading 12 grids back from pickles cost more
# than recomputing the one grid a write touched. Callers only ever get them combined or through
# pandas (copy-on-write: a change to a returned frame never reaches the cached one).
@st.cache_resource(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _household_state_grid(url: str, code: str, day: date, token: int) -> pd.DataFrame:
    """One grid's households with their current state (all grids of the town share these)."""
    from grid.access import SYSTEM
    from grid.frames import households_frame, visits_frame
    from grid.risk_service import latest_scores
    from risk.scoring import score_households

    eng = _engine(url)
    hh = households_frame(eng, SYSTEM, grid_codes=[code])
    visits = visits_frame(eng, SYSTEM, until=day, grid_codes=[code])
    out = hh[["id", "grid_code", "lon", "lat"]].copy()
    if not len(hh):
        return out.assign(score=[], level=[], reasons=[], days_since_visit=[], worker_id=[])
    live = score_households(hh, visits, today=day)
    stored = latest_scores(eng, SYSTEM, grid_codes=[code])
    # The score and level are the stored ones (the nightly run plus every recorded visit);
    # households never stored fall back to the live score. Days since visit are always live.
    s = live.set_index("household_id")
    if len(stored):
        st_idx = stored.set_index("household_id")
        s.loc[st_idx.index.intersection(s.index), ["score", "level", "reasons"]] = \
            st_idx[["score", "level", "reasons"]]
    out["score"] = s["score"].reindex(out["id"]).to_numpy(dtype=float)
    out["level"] = s["level"].reindex(out["id"]).to_numpy()
    out["reasons"] = _frozen(s["reasons"].reindex(out["id"]).to_numpy())
    out["days_since_visit"] = s["days_since_visit"].reindex(out["id"]).to_numpy()
    last = visits.sort_values(["household_id", "visited_on", "id"]).drop_duplicates(
        "household_id", keep="last").set_index("household_id")["worker_id"]
    out["worker_id"] = out["id"].map(last).fillna(-1).astype("int64").to_numpy()
    return out


def _frozen(values):
    """Each household's reasons as a tuple: a cache holding a list per household of the town
    makes every full garbage collection walk them all (tuples of strings are left alone)."""
    import numpy as np

    out = np.empty(len(values), dtype=object)
    for i, r in enumerate(values):
        out[i] = tuple(r) if isinstance(r, list) else r
    return out


def household_state(url: str, actor: Actor, day: date) -> pd.DataFrame:
    """One row per household in scope: id, grid_code, lon, lat, score, level, reasons,
    days_since_visit (Int64), worker_id (who made the latest visit, -1 if never)."""
    codes = scope_codes(url, actor)
    gens = generations(url)
    parts = [_household_state_grid(url, c, day, gens.token(HOUSEHOLDS, c)) for c in codes]
    if not parts:
        return _household_state_grid(url, "", day, gens.base)
    return _concat(parts)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _household_labels(url: str, actor: Actor, grid_code: str, token: int) -> pd.DataFrame:
    from grid.frames import households_frame
    from grid.privacy import mask_frame

    hh = households_frame(_engine(url), actor, personal=True, grid_codes=[grid_code])
    hh = hh.loc[hh["grid_code"] == grid_code, ["id", "head_name", "address"]]
    return mask_frame(hh, actor).set_index("id")


def household_labels(url: str, actor: Actor, grid_code: str) -> pd.DataFrame:
    """id, head_name, address of one grid's households, masked as the actor's role requires."""
    return _household_labels(url, actor, grid_code,
                             generations(url).token(HOUSEHOLDS, grid_code))


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _visits_30d_by_worker(url: str, actor: Actor, day: date, tokens: tuple) -> pd.Series:
    from grid.frames import visits_frame
    from grid.metrics import COVERAGE_DAYS, visits_by_worker

    v = visits_frame(_engine(url), actor, since=day - timedelta(days=COVERAGE_DAYS), until=day)
    return visits_by_worker(v, today=day)


def visits_30d_by_worker(url: str, actor: Actor, day: date) -> pd.Series:
    """Visits per worker on the 30 days ending `day` (grid.metrics.visits_by_worker)."""
    codes = scope_codes(url, actor)
    return _visits_30d_by_worker(url, actor, day, _tokens(url, codes, HOUSEHOLDS))


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _hotspots(url: str, actor: Actor, day: date, token: int) -> pd.DataFrame:
    from grid.risk_service import hotspot_cells

    try:
        return hotspot_cells(_engine(url), actor, today=day)
    except ValueError:  # too few households in scope for a local statistic
        return pd.DataFrame(columns=["cell", "label", "households", "gi_z"])


def hotspots(url: str, actor: Actor, day: date) -> pd.DataFrame:
    """Gi* hot spots: a town-wide statistic over 999 permutations, refreshed with each scoring
    run or import (the base generation) and at least hourly, not after every single visit."""
    return _hotspots(url, actor, day, generations(url).base)


PENDING_COLUMNS = ["id", "case_no", "category", "lon", "lat", "grid_code", "status", "due_on",
                   "working_days_left", "deadline_status"]


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _pending_cases(url: str, actor: Actor, day: date, tokens: tuple) -> pd.DataFrame:
    from cases.services import pending_cases_frame
    from grid.db import session_scope

    with session_scope(_engine(url)) as session:
        return pending_cases_frame(session, actor, day)


def pending_cases(url: str, actor: Actor, day: date) -> pd.DataFrame:
    codes = scope_codes(url, actor)
    return _pending_cases(url, actor, day, _tokens(url, codes, CASES))


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _open_assignments(url: str, actor: Actor, tokens: tuple) -> pd.DataFrame:
    from grid.assignments import open_assignments_frame

    return open_assignments_frame(_engine(url), actor)


def open_assignments(url: str, actor: Actor) -> pd.DataFrame:
    codes = scope_codes(url, actor)
    return _open_assignments(url, actor, _tokens(url, codes, HOUSEHOLDS))


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _grid_summary(url: str, actor: Actor, day: date, hh_tokens: tuple, case_tokens: tuple):
    from grid.metrics import grid_summary as summarise

    return summarise(grids(url, actor)[["code", "name"]], household_state(url, actor, day),
                     workers(url, actor), pending_cases(url, actor, day))


def grid_summary(url: str, actor: Actor, day: date) -> pd.DataFrame:
    """Per grid: the map's colours and the grid panel (see grid.metrics.grid_summary)."""
    codes = scope_codes(url, actor)
    return _grid_summary(url, actor, day, _tokens(url, codes, HOUSEHOLDS),
                         _tokens(url, codes, CASES))


@st.cache_resource(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _metrics_data_grid(url: str, code: str, hh_token: int, case_token: int):
    """One grid's leaders'-page data, dates converted and flag delays computed."""
    from grid.access import SYSTEM
    from grid.metrics import load_metrics_data, prepare

    return prepare(load_metrics_data(_engine(url), SYSTEM, grid_codes=[code]))


@functools.lru_cache(maxsize=MAX_ENTRIES)
def _leader_facts_grid(url: str, code: str, day: date, starts: tuple, hh_token: int,
                       case_token: int):
    """One grid's facts of the leaders' months `starts` (grid.metrics.periods_facts). A plain
    LRU keyed by the data generations (entries never go stale; old generations fall out)."""
    from grid.metrics import month_periods, periods_facts

    return periods_facts(_metrics_data_grid(url, code, hh_token, case_token),
                         periods=month_periods(list(starts)), today=day)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _leader_metrics(url: str, actor: Actor, day: date, months: int, month, hh_tokens: tuple,
                    case_tokens: tuple) -> dict:
    """The grids' cached facts combined (a write recomputes its grid's facts only)."""
    from grid.metrics import (concat_facts, leader_metrics as compute, leader_metrics_from_facts,
                              leader_months)

    codes = scope_codes(url, actor)
    if not codes:
        from grid.metrics import load_metrics_data

        return compute(load_metrics_data(_engine(url), actor), today=day, months=months,
                       month=month)
    if len(codes) != len(hh_tokens):  # the scope changed since the key was made
        hh_tokens, case_tokens = _tokens(url, codes, HOUSEHOLDS), _tokens(url, codes, CASES)
    starts, shown = leader_months(day, months, month)
    facts = concat_facts([_leader_facts_grid(url, c, day, tuple(starts), ht, ct)
                          for c, ht, ct in zip(codes, hh_tokens, case_tokens)])
    return leader_metrics_from_facts(facts, months=starts, month=shown)


def leader_metrics(url: str, actor: Actor, day: date, months: int,
                   month: date | None = None) -> dict:
    """grid.metrics.leader_metrics for the actor's grids (month: default the last complete)."""
    codes = scope_codes(url, actor)
    return _leader_metrics(url, actor, day, months, month, _tokens(url, codes, HOUSEHOLDS),
                           _tokens(url, codes, CASES))


def cached_map(url: str, actor: Actor, day: date, options: tuple):
    """The folium map for one set of page options (a hashable tuple of key/value pairs)."""
    codes = scope_codes(url, actor)
    gens = generations(url)
    return _cached_map(url, actor, day, options, _tokens(url, codes, HOUSEHOLDS),
                       _tokens(url, codes, CASES), gens.base)


@st.cache_resource(ttl=TTL_S, max_entries=32, show_spinner=False)
def _cached_map(url: str, actor: Actor, day: date, options: tuple, hh_tokens: tuple,
                case_tokens: tuple, base: int):
    """Kept as a resource: st_folium only reads it, and rebuilding it is the costly part of a
    rerun. Keyed by the generations of the grids in scope."""
    from dashboard import maps
    from grid.metrics import default_config

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
        weights = hs["level"].map(default_config().level_weights).fillna(0.0)
        heat = hs.assign(weight=weights)[weights > 0]
    status = None
    if "visit_status" in layers:  # the worklist's statuses (grid.visit_status), same filters
        from grid.visit_status import household_visit_status

        status = household_visit_status(
            maps.filter_households(hs, grid_codes=o.get("grid_codes"), worker_id=o.get("worker_id"),
                                   levels=o.get("levels")),
            open_assignments(url, actor), today=day)
    routes = None
    if "routes" in layers:  # every worker's route of the day (grid.day_plan), by grid in scope
        routes = [r for c in (o.get("grid_codes") or g["code"].tolist())
                  for r in grid_routes(url, actor, c, day)]
    if o.get("grid_codes"):  # centred and fitted to the chosen grids
        g = g[g["code"].isin(list(o["grid_codes"]))]
    settings = get_settings()
    return maps.build_map(
        g, grid_values=summary[o.get("metric", "coverage_30d")], metric=o.get("metric", "coverage_30d"),
        hotspots=hotspots(url, actor, day) if "hotspots" in layers else None,
        heat=heat,
        cases=cases if "cases" in layers else None,
        households=high if "households" in layers else None,
        visit_status=status, routes=routes,
        tiles=settings.tiles, tianditu_key=settings.tianditu_key, lang=o.get("lang", "zh"))


# kept for callers that cleared the map cache themselves
cached_map.clear = _cached_map.clear  # type: ignore[attr-defined]


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _grid_visits(url: str, actor: Actor, code: str, day: date, days: int, token: int) -> pd.DataFrame:
    from grid.frames import visits_frame

    return visits_frame(_engine(url), actor, since=day - timedelta(days=days), until=day,
                        grid_codes=[code])


def grid_visits(url: str, actor: Actor, code: str, day: date, days: int = 90) -> pd.DataFrame:
    """One grid's visits on the `days` days ending `day` (keyed by the grid's data generation)."""
    return _grid_visits(url, actor, code, day, days, generations(url).token(HOUSEHOLDS, code))


# The honest replay behind "where the list misses people" and the early-detection evaluation:
# ~15 s at 30k households, so computed once per data generation of the grids in scope and the
# business date, and only when a page asks for it (the leaders' page, behind a switch).
@st.cache_data(ttl=TTL_S, max_entries=16, show_spinner=False)
def _replay(url: str, actor: Actor, day: date, tokens: tuple) -> dict:
    from grid.replay import run_replay

    return run_replay(_engine(url), actor, groups=True)


def replay_groups(url: str, actor: Actor, day: date) -> dict:
    """grid.replay.run_replay(groups=True) for the actor's scope: model vs visit-recency recall
    and lead time, groups_summary (Chinese sentences), groups_tables (by_grid, by_kind, ...)."""
    codes = scope_codes(url, actor)
    return _replay(url, actor, day, _tokens(url, codes, HOUSEHOLDS) + _tokens(url, codes, CASES))


@st.cache_data(ttl=TTL_S, max_entries=16, show_spinner=False)
def _model_card(url: str, actor: Actor, day: date, tokens: tuple) -> str:
    from grid.replay import model_card_markdown

    return model_card_markdown(_engine(url), actor)


def model_card(url: str, actor: Actor, day: date) -> str:
    """The model card of the weights in force, with the replay on this database (markdown)."""
    codes = scope_codes(url, actor)
    return _model_card(url, actor, day, _tokens(url, codes, HOUSEHOLDS) + _tokens(url, codes, CASES))


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _appeal_counts(url: str, actor: Actor, tokens: tuple) -> pd.DataFrame:
    from grid.facts import appeal_counts

    return appeal_counts(_engine(url), actor)


def appeal_counts(url: str, actor: Actor) -> pd.DataFrame:
    """Appeals per grid and month (grid.facts.appeal_counts) in the actor's scope."""
    codes = scope_codes(url, actor)
    return _appeal_counts(url, actor, _tokens(url, codes, HOUSEHOLDS))


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _grid_routes(url: str, actor: Actor, code: str, day: date, token: int) -> list:
    from grid.day_plan import routes_for_grid

    out = []
    for day_ in routes_for_grid(_engine(url), actor, code, today=day).values():
        v = day_.visits.set_index("assignment_id")
        start = day_.route.start  # lon, lat
        points = [(float(start[1]), float(start[0]))] + [
            (float(v.at[k, "lat"]), float(v.at[k, "lon"])) for k in day_.route.keys
            if pd.notna(v.at[k, "lat"]) and pd.notna(v.at[k, "lon"])]
        name = str(v["worker_name"].iloc[0]) if len(v) else str(day_.worker_id)
        out.append((name, points))
    return out


def grid_routes(url: str, actor: Actor, code: str, day: date) -> list:
    """[(worker name, [(lat, lon) of the start and the planned stops in order])] of one grid's
    workers today (grid.day_plan.routes_for_grid), keyed by the grid's data generation."""
    return _grid_routes(url, actor, code, day, generations(url).token(HOUSEHOLDS, code))
