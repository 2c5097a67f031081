"""走访登记: a phone-width form for one assigned household; saving closes the assignment and
updates the household's score and the grid's coverage."""
from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.household_card import household_card
from dashboard.texts import t
from grid.access import AccessDenied, Role
from grid.assignments import AssignmentError
from grid.db import StaleEdit, session_scope
from grid.visits import VisitObservations, record_visit

OBSERVATIONS = ["housing_loss", "accidental_injury", "sudden_illness_or_disaster", "care_gap",
                "lost_job", "new_illness"]

lang, actor, url, day = state.page_start()
st.title(t("visit.title", lang))

saved = st.session_state.pop("visit_saved", None)
if saved:
    st.success(t("visit.saved", lang, **saved))

# The domain returns only what this actor may record: a grid worker gets their own assignments
# (none when the account is not linked to a worker), a supervisor those of their grid(s).
open_a = state.open_assignments(url, actor)
own_only = actor.role == Role.GRID_WORKER
if open_a.empty:
    st.info(t("visit.not_linked" if own_only and actor.worker_id is None else "visit.none", lang))
    st.stop()
if own_only:
    mine = open_a  # a grid worker records only their own visits: no choice of worker
else:
    workers = dict(zip(open_a["worker_id"], open_a["worker_name"]))
    worker = st.selectbox(t("visit.worker", lang), list(workers), format_func=lambda w: workers[w],
                          key="visit_worker", placeholder=t("choose", lang))
    mine = open_a[open_a["worker_id"] == worker]
rows = {int(r.id): r for r in mine.itertuples()}
aid = st.selectbox(t("visit.pick", lang), list(rows), key="visit_assignment",
                   format_func=lambda i: f"{rows[i].household_id} · {t('col.due_on', lang)} {rows[i].due_on}", placeholder=t("choose", lang))
a = rows[aid]
household_card(actor, int(a.household_id), lang, key="visit_household")

with st.form("visit_form", clear_on_submit=False):
    visited_on = st.date_input(t("visit.date", lang), day, max_value=day, key="visit_date")
    unknown = st.checkbox(t("visit.income_unknown", lang), value=True, key="visit_income_unknown")
    income = st.number_input(t("visit.income", lang), min_value=0.0, max_value=1_000_000.0,
                             value=0.0, step=50.0, key="visit_income")
    flags = {k: st.checkbox(t(f"obs.{k}", lang), key=f"visit_{k}") for k in OBSERVATIONS}
    notes = st.text_area(t("visit.notes", lang), max_chars=1000, key="visit_notes")
    submitted = st.form_submit_button(t("visit.save", lang), width="stretch")

if submitted:
    obs = VisitObservations(income_per_capita_yuan=None if unknown else float(income), notes=notes,
                            **flags)
    try:
        with session_scope(state.engine()) as session:
            record_visit(session=session, actor=actor, assignment_id=aid,
                         expected_version=int(a.version), observations=obs, visited_on=visited_on,
                         today=day)
    except StaleEdit:
        st.error(t("error.stale", lang))
    except AccessDenied as exc:  # the domain says why (another worker's assignment, grid, ...)
        st.error(f"{t('error.denied', lang)}{exc}")
    except (AssignmentError, ValueError) as exc:
        st.error(t("error.invalid", lang, msg=str(exc)))
    else:
        state.clear_after_write()
        hs = state.household_state(url, actor, day)
        row = hs.set_index("id").loc[int(a.household_id)]
        summary = state.grid_summary(url, actor, day).set_index("grid_code").loc[a.grid_code]
        st.session_state["visit_saved"] = {"score": float(row["score"]),
                                           "level": t(f"level.{row['level']}", lang),
                                           "coverage": float(summary["coverage_30d"])}
        st.rerun()
