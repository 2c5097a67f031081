"""网格地图: grids coloured by a metric, hotspots, pending cases, clustered high-risk households;
clicking a grid (or choosing it) opens its panel."""
from __future__ import annotations

import copy

import streamlit as st
from streamlit_folium import st_folium

from dashboard import maps, outside_panel, state
from dashboard.household_card import household_card
from dashboard.texts import t
from grid.access import Role
from grid.metrics import format_value

_OUTSIDE_WRITES = outside_panel.writes_for("map_results")

lang, actor, url, day = state.page_start()
st.title(t("map.title", lang))

grids = state.grids(url, actor)
workers = state.workers(url, actor)
summary = state.grid_summary(url, actor, day)
names = dict(zip(grids["code"], grids["name"]))

# A language switch keeps the choices below (state.keep_choices_on_language_change, run by
# page_start). The multiselects' defaults are seeded in session state below (not with default=):
# one source of each value, which the switch can give again.

with st.sidebar:
    metric = st.selectbox(t("map.metric", lang), ["coverage_30d", "mean_score", "pending_cases"],
                          format_func=lambda k: t(f"metric.{k}", lang), key="map_metric", placeholder=t("choose", lang))
    layer_keys = ["visit_status", "cases", "hotspots", "heat", "households"]
    if actor.role == Role.GRID_SUPERVISOR:  # every worker's route of the day (optional layer)
        layer_keys.append("routes")
    # hotspots are a planning view: off by default for a supervisor, whose day is the visits
    default_layers = ["visit_status", "cases"] if actor.role == Role.GRID_SUPERVISOR \
        else ["visit_status", "cases", "hotspots"]
    st.session_state.setdefault("map_layers", default_layers)
    layers = st.multiselect(t("map.layers", lang), layer_keys,
                            format_func=lambda k: t(f"layer.{k}", lang), key="map_layers",
                            placeholder=t("choose_many", lang))
    grid_pick = st.multiselect(t("map.filter_grid", lang), list(names),
                               format_func=lambda c: names[c], key="map_grids", placeholder=t("choose_many", lang))
    # "all" rather than None: a selection of None is drawn empty (the placeholder) when relabelled
    worker_ids = ["all", *workers["id"].tolist()]
    worker_names = dict(zip(workers["id"], workers["name"]))
    worker = st.selectbox(t("map.filter_worker", lang), worker_ids, key="map_worker",
                          format_func=lambda w: t("map.all", lang) if w == "all" else worker_names[w], placeholder=t("choose", lang))
    worker = None if worker == "all" else worker
    # every level by default: the visit-status layer then counts what the worklist counts
    st.session_state.setdefault("map_levels", ["red", "orange", "yellow", "green"])
    levels = st.multiselect(t("map.filter_levels", lang), ["red", "orange", "yellow", "green"],
                            format_func=lambda k: t(f"level.{k}", lang),
                            key="map_levels", placeholder=t("choose_many", lang))
    st.session_state.setdefault("map_deadlines", list(maps.DEADLINE_STATUSES))
    deadlines = st.multiselect(t("map.filter_deadline", lang), list(maps.DEADLINE_STATUSES),
                               format_func=lambda k: maps.deadline_label(k, lang), key="map_deadlines", placeholder=t("choose_many", lang))

options = (("metric", metric), ("layers", tuple(sorted(layers))),
           ("grid_codes", tuple(grid_pick) if grid_pick else None), ("worker_id", worker),
           ("levels", tuple(levels)), ("deadlines", tuple(deadlines)), ("lang", lang))
# st_folium renders (and so mutates) the map it is given, and keys its widget on the rendered
# script: a fresh copy of the cached map each run keeps that key stable, so a click survives
# the rerun it causes instead of remounting the component with its value lost.
problem = state.basemap_problem()  # a basemap setting we refuse (no key, a GCJ-02 source, ...)
if problem:
    st.error(problem)
    st.stop()
fmap = copy.deepcopy(state.cached_map(url, actor, day, options))
clicked = st_folium(fmap, height=600, use_container_width=True, key="grid_map",
                    returned_objects=["last_object_clicked", "last_active_drawing"])

# A new click on the map opens that grid's panel; the selectbox stays free to choose otherwise.
code_from_click = maps.grid_code_from_click(clicked, grids)
if code_from_click and code_from_click != st.session_state.get("map_clicked_grid"):
    st.session_state["map_panel_grid"] = code_from_click
st.session_state["map_clicked_grid"] = code_from_click
codes = list(names)
code = st.selectbox(t("map.select_grid", lang), codes, index=None,
                    format_func=lambda c: t("fmt.name_code", lang, name=names[c], code=c), key="map_panel_grid", placeholder=t("choose", lang))

if code:
    row = summary.set_index("grid_code").loc[code]
    st.subheader(t("panel.title", lang, name=row["name"], code=code))
    cols = st.columns(4)
    cols[0].metric(t("panel.households", lang), format_value("households", row["households"]))
    cols[1].metric(t("panel.full_time", lang), int(row["full_time"]))
    cols[2].metric(t("panel.part_time", lang), int(row["part_time"]))
    cols[3].metric(t("panel.coverage", lang), format_value("coverage_30d", row["coverage_30d"]))
    cols = st.columns(3)
    cols[0].metric(t("panel.high_risk_unvisited", lang), int(row["high_risk_overdue"]))
    cols[1].metric(t("panel.pending_cases", lang), int(row["pending_cases"]))
    cols[2].metric(t("panel.mean_score", lang), format_value("mean_score", row["mean_score"]))

    # one household of the grid: masked card, 查看完整信息 for roles that may unmask
    hs = state.household_state(url, actor, day)
    top = hs[hs["grid_code"] == code].sort_values("score", ascending=False).head(200)
    label = {int(r.id): f"{int(r.id)} · {t(f'level.{r.level}', lang)} · {r.score:.0f}"
             for r in top.itertuples() if isinstance(r.level, str)}
    household = st.selectbox(t("map.household_pick", lang), list(label), index=None,
                             format_func=lambda i: label[i], key="map_household", placeholder=t("choose", lang))
    if household is not None:
        household_card(actor, household, lang, key="map_household")
        # the household file (一户一档, dashboard/views/household.py): the id is an integer
        st.markdown(f"[{t('map.household_link', lang)}](household?hh={int(household)})")

# Households outside every grid (no grid on the map holds them): listed here for those who fix
# them (county staff), with the same panel as 系统管理 (dashboard/outside_panel.py).
if outside_panel.may_fix(actor):
    _OUTSIDE_WRITES.show("outside")  # the outcome of a fix, also when none is left
    outside = outside_panel.outside_rows(actor)
    if outside:
        with st.expander(t("map.outside", lang, n=len(outside))):
            outside_panel.draw(actor, lang, codes, _OUTSIDE_WRITES, "map_out", rows=outside)
