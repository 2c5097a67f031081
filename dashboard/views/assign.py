"""走访派单: the grid's households that need a visit (grid.visit_status: the map's statuses and
counts), selected in the table itself, assigned to a worker whose load against capacity is shown
first (over capacity needs a confirmation; grid.assignments.assign_shown); coverage per grid and
per worker (30/90 days); reassign / cancel; exports."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from cases.calendar import add_working_days
from dashboard import exports, state
from dashboard.plain_text import plain
from dashboard.texts import error_text, reasons_line, t
from grid.access import AccessDenied
from grid.assignments import (AssignmentError, assign_shown, cancel_visit, load_after,
                              reassign_visit, split_by_capacity, worker_loads, worker_visit_list)
from grid.db import StaleEdit, session_scope
from grid.metrics import default_config, format_value
from grid.visit_status import (NEEDS_VISIT, STATUS_SYMBOLS, coverage_by_worker,
                               household_visit_status, status_counts,
                               worklist)
from risk.config import LEVELS

lang, actor, url, day = state.page_start()
st.title(t("assign.title", lang))

grids = state.grids(url, actor)
names = dict(zip(grids["code"], grids["name"]))
if not names:
    st.info(t("empty", lang))
    st.stop()
code = st.selectbox(t("assign.grid", lang), list(names), format_func=lambda c: t("fmt.name_code", lang, name=names[c], code=c),
                    key="assign_grid", placeholder=t("choose", lang))
hs = state.household_state(url, actor, day)
open_a = state.open_assignments(url, actor)
workers = state.workers(url, actor)
grid_workers = workers[workers["grid_code"] == code]
worker_names = dict(zip(grid_workers["id"], grid_workers["name"]))


def write(action, done_key: str | None, **fmt) -> bool:
    """Run one domain write; show the domain error in the user's language. With a done_key,
    say it and rerun; without, return True and let the caller say what was done."""
    try:
        with session_scope(state.engine()) as session:
            action(session)
    except StaleEdit:
        st.error(t("error.stale", lang))
        return False
    except AccessDenied:
        st.error(t("error.denied", lang))
        return False
    except (AssignmentError, ValueError) as exc:
        st.error(t("error.invalid", lang, msg=error_text(exc, lang)))
        return False
    state.clear_after_write()
    if done_key is None:
        return True
    st.session_state["assign_notice"] = t(done_key, lang, **fmt)
    st.rerun()


notice = st.session_state.pop("assign_notice", None)
if notice:
    st.success(notice)
    st.toast(notice)  # seen where the button was, too

# ---- the worklist: the grid's households that need a visit (grid.visit_status), the same
# statuses and counts as the map's visit-status layer
config = default_config()
hs = hs[hs["grid_code"] == code]
status = household_visit_status(hs, open_a, today=day)
counts = status_counts(status)
wl = worklist(hs, open_a, today=day, config=config)
labels = state.household_labels(url, actor, code)

st.subheader(t("wl.title", lang))
cols = st.columns(len(NEEDS_VISIT))
for col, key in zip(cols, NEEDS_VISIT):
    col.metric(f"{STATUS_SYMBOLS[key][0]} {t(f'vstatus.{key}', lang)}", counts[key])
st.caption(t("wl.caption", lang))
f1, f2, f3 = st.columns([2, 2, 1])
want_status = f1.multiselect(t("wl.filter_status", lang), list(NEEDS_VISIT), default=list(NEEDS_VISIT),
                             format_func=lambda k: t(f"vstatus.{k}", lang), key="wl_status",
                             placeholder=t("choose_many", lang))
want_levels = f2.multiselect(t("wl.filter_levels", lang), list(LEVELS), default=list(LEVELS),
                             format_func=lambda k: t(f"level.{k}", lang), key="wl_levels",
                             placeholder=t("choose_many", lang))
only_free = f3.toggle(t("wl.only_free", lang), value=False, key="wl_only_free")
shown = wl[wl["visit_status"].isin(want_status) & wl["level"].isin(want_levels)]
if only_free:
    shown = shown[shown["suggested"]]
shown = shown.reset_index(drop=True)
st.caption(t("wl.count", lang, n=sum(counts[k] for k in NEEDS_VISIT), shown=len(shown)))

never = t("col.never_visited", lang)
table = pd.DataFrame({
    "household_link": [f"household?hh={int(h)}" for h in shown["id"]],
    "visit_status": [f"{STATUS_SYMBOLS[k][0]} {t(f'vstatus.{k}', lang)}" for k in shown["visit_status"]],
    "level": [t(f"level.{v}", lang) if isinstance(v, str) else "" for v in shown["level"]],
    "score": pd.to_numeric(shown["score"], errors="coerce").round(0),
    "reasons": [reasons_line(r, lang, limit=3) for r in shown["reasons"]],  # English from the weights file
    "days_since_visit": pd.to_numeric(shown["days_since_visit"], errors="coerce"),
    "assigned_worker": shown["assigned_worker"].fillna(""),
    "due_on": [d.isoformat() if hasattr(d, "isoformat") else "" for d in shown["due_on"]],
    "address": shown["id"].map(labels["address"]).fillna(""),
})
headers = {c: t(f"col.{c}", lang) for c in table.columns}
# Selection is held by row position of what is shown; the key changes with every write and
# with the filters, so a selection never lands on rows that moved.
sel_key = f"worklist_{code}_{st.session_state.get('wl_round', 0)}_" \
          f"{'-'.join(want_status)}_{'-'.join(want_levels)}_{only_free}"
st.session_state["wl_table_key"] = sel_key
picked_rows = st.dataframe(
    table.rename(columns=headers), hide_index=True, width="stretch",
    height=min(420, 38 + 35 * max(len(table), 1)),
    on_select="rerun", selection_mode="multi-row", key=sel_key,
    column_config={
        headers["household_link"]: st.column_config.LinkColumn(display_text=r"hh=(\d+)"),
        headers["score"]: st.column_config.NumberColumn(format="%d"),
        headers["days_since_visit"]: st.column_config.NumberColumn(
            format="%d", help=t("col.days_since_visit", lang) + "；" + never + "：空"),
    })
rows = list(picked_rows.selection.rows) if picked_rows is not None else []
chosen = shown.iloc[sorted(r for r in rows if r < len(shown))]
picked = [int(h) for h in chosen["id"]]
busy = [int(h) for h in chosen.loc[~chosen["suggested"], "id"]]

loads = worker_loads(grid_workers, open_a, state.visits_30d_by_worker(url, actor, day), config=config)
if not len(loads):
    st.info(t("wl.no_workers", lang))
else:
    ld = loads.set_index("id")
    emp = {i: t(f"employment.{e}", lang) for i, e in ld["employment"].items()}
    st.write(t("wl.selected", lang, n=len(picked), ids="、".join(map(str, picked[:20]))
               + ("…" if len(picked) > 20 else "")) if picked else t("assign.none_selected", lang))
    if busy:
        st.warning(t("wl.selected_busy", lang, n=len(busy), ids="、".join(map(str, busy[:10]))))
    c1, c2 = st.columns(2)
    worker_id = c1.selectbox(
        t("wl.worker", lang), list(ld.index), key="wl_worker",
        format_func=lambda w: t("wl.worker_option", lang, name=ld.loc[w, "name"], employment=emp[w],
                                load=int(ld.loc[w, "open"] + ld.loc[w, "visits_30d"]),
                                capacity=float(ld.loc[w, "capacity"])))
    due = c2.date_input(t("assign.due", lang), add_working_days(day, 1), min_value=day,
                        key="wl_due", help=t("wl.due_hint", lang))
    w = ld.loc[worker_id]
    adding = len(picked) - len(busy)
    after, over = load_after(int(w["open"] + w["visits_30d"]), adding, float(w["capacity"]))
    st.progress(min(after / float(w["capacity"]), 1.0),
                text=t("wl.load_after", lang, after=after, capacity=float(w["capacity"]),
                       open=int(w["open"]), visits=int(w["visits_30d"])))
    confirmed = False
    if over and adding > 0:
        st.warning(t("wl.over", lang, over=after - float(w["capacity"])))
        confirmed = st.checkbox(t("wl.confirm_over", lang), key="wl_confirm")
    if st.button(t("wl.submit", lang, n=adding), key="wl_submit", type="primary",
                 disabled=not picked):
        if over and adding > 0 and not confirmed:
            st.error(t("wl.need_confirm", lang))
        else:
            result = {}

            def run(session):
                result["out"] = assign_shown(session=session, actor=actor, household_ids=picked,
                                             worker_id=int(worker_id), due_on=due, today=day,
                                             confirm_over_capacity=confirmed, config=config)

            if write(run, None):
                out = result["out"]
                msg = [t("wl.done", lang, name=plain(w["name"]), n=len(out.created), due=due.isoformat())]
                if out.already_assigned:
                    msg.append(t("wl.meanwhile", lang, n=len(out.already_assigned),
                                 ids=t("fmt.list_sep", lang).join(
                                     t("fmt.name_code", lang, name=h, code=plain(n))
                                     for h, n in out.already_assigned.items())))
                st.session_state["assign_notice"] = " ".join(msg)
                st.session_state["wl_round"] = st.session_state.get("wl_round", 0) + 1
                st.session_state.pop("wl_confirm", None)  # a confirmation is for one assignment
                st.rerun()

# ---- a suggested split of the unassigned households by each worker's room (capacity from the
# weights file, full-time and part-time differ); recently visited households are already out
if len(loads):
    with st.expander(t("wl.split", lang)):
        split = split_by_capacity(wl.loc[wl["suggested"], "id"].tolist(), loads)
        if len(split):
            st.dataframe(pd.DataFrame({
                t("col.worker", lang): split["name"],
                t("col.employment", lang): split["employment"].map(lambda e: t(f"employment.{e}", lang)),
                t("wl.room", lang): split["room"],
                t("wl.suggested_households", lang): split["households"].map(
                    lambda hs: "、".join(map(str, hs))),
            }), hide_index=True, width="stretch")
        left = int(wl["suggested"].sum()) - int(sum(len(h) for h in split["households"]))
        st.caption(t("wl.split_note", lang, days=config.skip_recent_days,
                     ft=config.capacity("full_time")["visits_per_month"],
                     pt=config.capacity("part_time")["visits_per_month"])
                   + (t("wl.split_left", lang, n=left) if left > 0 else ""))

# ---- coverage per grid and per worker, 30 and 90 days
st.subheader(t("wl.coverage", lang))
summary = state.grid_summary(url, actor, day).set_index("grid_code")
if code in summary.index:
    g = summary.loc[code]
    st.write(t("wl.coverage_grid", lang, name=names[code], n=int(g["households"]),
               c30=format_value("coverage_30d", g["coverage_30d"]), v30=int(g["visited_30d"]),
               c90=format_value("coverage_90d", g["coverage_90d"]), v90=int(g["visited_90d"])))
cov = coverage_by_worker(hs, state.grid_visits(url, actor, code, day, 90), grid_workers, today=day)
cov = cov.assign(employment=cov["employment"].map(lambda e: t(f"employment.{e}", lang)))
cov_cols = ["name", "employment", "households", "visited_30d", "coverage_30d", "visited_90d",
            "coverage_90d"]
cov_headers = {"name": t("col.worker", lang), "employment": t("col.employment", lang),
               **{c: t(f"col.{c}", lang) for c in cov_cols[2:]}}
for c in ("coverage_30d", "coverage_90d"):  # printed as every page prints a coverage
    cov[c] = cov[c].map(lambda v, k=c: format_value(k, v))
st.dataframe(cov[cov_cols].rename(columns=cov_headers), hide_index=True, width="stretch")
st.caption(t("wl.coverage_worker_note", lang))

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
