"""走访派单: suggested households of one grid, worker load, assign / reassign / cancel, exports."""
from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import exports, state
from dashboard.texts import t
from grid.access import AccessDenied
from grid.assignments import (AssignmentError, assign_visits, cancel_visit, reassign_visit,
                              suggest_visits, worker_loads, worker_visit_list)
from grid.db import StaleEdit, session_scope

lang, actor, url, day = state.page_start()
st.title(t("assign.title", lang))

grids = state.grids(url, actor)
names = dict(zip(grids["code"], grids["name"]))
if not names:
    st.info(t("empty", lang))
    st.stop()
code = st.selectbox(t("assign.grid", lang), list(names), format_func=lambda c: f"{names[c]}（{c}）",
                    key="assign_grid", placeholder=t("choose", lang))
hs = state.household_state(url, actor, day)
open_a = state.open_assignments(url, actor)
workers = state.workers(url, actor)
grid_workers = workers[workers["grid_code"] == code]


def write(action, done_key: str, **fmt) -> None:
    """Run one domain write; show the domain error in the user's language."""
    try:
        with session_scope(state.engine()) as session:
            action(session)
    except StaleEdit:
        st.error(t("error.stale", lang))
        return
    except AccessDenied:
        st.error(t("error.denied", lang))
        return
    except (AssignmentError, ValueError) as exc:
        st.error(t("error.invalid", lang, msg=str(exc)))
        return
    state.clear_after_write()
    st.session_state["assign_notice"] = t(done_key, lang, **fmt)
    st.rerun()


notice = st.session_state.pop("assign_notice", None)
if notice:
    st.success(notice)

limit = st.number_input(t("assign.limit", lang), 10, 500, 50, step=10, key="assign_limit")
suggested = suggest_visits(hs, hs.rename(columns={"id": "household_id"}), open_a, grid_code=code,
                           today=day, limit=int(limit))
st.subheader(t("assign.suggested", lang))
labels = state.household_labels(url, actor, code)
view = suggested.assign(
    head_name=suggested["household_id"].map(labels["head_name"]),
    address=suggested["household_id"].map(labels["address"]),
    level=suggested["level"].map(lambda v: t(f"level.{v}", lang)),
    reasons=suggested["reasons"].map(lambda r: "；".join(r[:2]) if isinstance(r, (list, tuple)) else ""),
    days_since_visit=suggested["days_since_visit"].astype("object").where(
        suggested["days_since_visit"].notna(), t("col.never_visited", lang)).astype(str),
)[["household_id", "head_name", "address", "level", "score", "days_since_visit", "reasons"]]
st.dataframe(view.rename(columns={c: t(f"col.{c}", lang) for c in view.columns}),
             hide_index=True, width="stretch")

st.subheader(t("assign.load", lang))
loads = worker_loads(grid_workers, open_a, state.visits_30d_by_worker(url, actor, day))
lv = loads.assign(employment=loads["employment"].map(lambda e: t(f"employment.{e}", lang)))
lv = lv[["name", "employment", "open", "visits_30d", "capacity", "load_ratio"]]
st.dataframe(lv.rename(columns={"name": t("col.worker", lang), "employment": t("col.employment", lang),
                                "open": t("col.open", lang), "visits_30d": t("col.visits_30d", lang),
                                "capacity": t("col.capacity", lang),
                                "load_ratio": t("col.load_ratio", lang)}),
             hide_index=True, width="stretch",
             column_config={t("col.load_ratio", lang): st.column_config.ProgressColumn(
                 min_value=0.0, max_value=1.5, format="%.2f")})

worker_names = dict(zip(grid_workers["id"], grid_workers["name"]))
with st.form("assign_form"):
    picked = st.multiselect(t("col.select", lang), suggested["household_id"].tolist(),
                            format_func=lambda h: f"{h} · {labels['address'].get(h, '')}",
                            key="assign_households", placeholder=t("choose_many", lang))
    worker_id = st.selectbox(t("assign.worker", lang), list(worker_names), key="assign_worker",
                             format_func=lambda w: worker_names[w], placeholder=t("choose", lang))
    due = st.date_input(t("assign.due", lang), day + timedelta(days=7), min_value=day,
                        key="assign_due")
    submitted = st.form_submit_button(t("assign.submit", lang))
if submitted:
    if not picked:
        st.warning(t("assign.none_selected", lang))
    else:
        write(lambda s: assign_visits(session=s, actor=actor, household_ids=picked,
                                      worker_id=worker_id, due_on=due, today=day),
              "assign.done", n=len(picked))

st.subheader(t("assign.open", lang))
mine = open_a[open_a["grid_code"] == code]
st.dataframe(mine[["id", "household_id", "worker_name", "due_on"]].rename(columns={
    "id": t("col.assignment_id", lang), "household_id": t("col.household_id", lang),
    "worker_name": t("col.worker", lang), "due_on": t("col.due_on", lang)}),
    hide_index=True, width="stretch")
if len(mine):
    rows = {int(r.id): r for r in mine.itertuples()}
    aid = st.selectbox(t("assign.pick", lang), list(rows), key="assign_pick",
                       format_func=lambda i: f"{i} · {rows[i].household_id} · {rows[i].worker_name}", placeholder=t("choose", lang))
    c1, c2 = st.columns(2)
    with c1:
        to = st.selectbox(t("assign.reassign_to", lang), list(worker_names), key="assign_to",
                          format_func=lambda w: worker_names[w], placeholder=t("choose", lang))
        new_due = st.date_input(t("assign.due", lang), rows[aid].due_on, key="assign_new_due")
        if st.button(t("assign.reassign", lang), key="assign_reassign"):
            write(lambda s: reassign_visit(session=s, actor=actor, assignment_id=aid,
                                           expected_version=int(rows[aid].version), worker_id=to,
                                           due_on=new_due, today=day), "assign.reassigned")
    with c2:
        reason = st.text_input(t("assign.cancel_reason", lang), key="assign_reason")
        if st.button(t("assign.cancel", lang), key="assign_cancel"):
            write(lambda s: cancel_visit(session=s, actor=actor, assignment_id=aid,
                                         expected_version=int(rows[aid].version), reason=reason),
                  "assign.cancelled")

st.subheader(t("assign.export", lang))
if worker_names:
    ew = st.selectbox(t("col.worker", lang), list(worker_names), key="assign_export_worker",
                      format_func=lambda w: worker_names[w], placeholder=t("choose", lang))
    listing = worker_visit_list(state.engine(), actor, ew)
    headers = {c: t(f"col.{c}", lang) for c in ["assignment_id", "household_id", "due_on",
                                                 "grid_code", "address", "head_name", "phone"]}
    title = t("assign.print_title", lang, name=worker_names[ew], today=day.isoformat())
    # The list goes out with the worker: masked as public (the app unmasks on request, audited).
    c1, c2 = st.columns(2)
    c1.download_button(t("assign.export_xlsx", lang),
                       exports.excel_bytes({"走访清单": listing}, actor, public=True, headers=headers),
                       file_name=f"visits_{ew}_{day}.xlsx", key="assign_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    c2.download_button(t("assign.export_html", lang),
                       exports.printable_html(title, listing, actor, headers=headers),
                       file_name=f"visits_{ew}_{day}.html", mime="text/html", key="assign_html")
