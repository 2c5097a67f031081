"""走访登记: a phone-width form for one assigned household; saving closes the assignment and
updates the household's score and the grid's coverage.

The form is bound to the assignment it shows: its widgets are keyed by the assignment id (the next
household starts empty, never with the previous one's ticks, income or notes) and the save button
carries the assignment id and version captured when the form was drawn (a callback argument), so
a save can only ever record the household the worker was looking at. Income left empty is
"unknown"; a typed income is stored and scored."""
from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.household_card import household_card
from dashboard.plain_text import plain
from dashboard.texts import t
from dashboard.texts_visit import tv
from grid.access import AccessDenied, Role
from grid.assignments import AssignmentError
from grid.db import StaleEdit, session_scope
from grid.privacy import masked_household
from grid.frames import VISIT_FLAGS
from grid.visits import MAX_INCOME_YUAN, VisitObservations, record_visit

OUTCOME_KEY = "visit_outcome"      # what the last save did, shown once on the next run
SAVED_KEY = "visit_saved_ids"      # assignment ids saved in this session (a second tap is a no-op)


def field_key(assignment_id: int, field: str) -> str:
    """The widget key of one field of the form of one assignment."""
    return f"visit_{int(assignment_id)}_{field}"


def _household_label(actor, household_id: int) -> dict:
    """Head and address of the household as this role may see them (grid.privacy rules)."""
    with session_scope(state.engine()) as session:
        m = masked_household(session, actor, household_id)
    return {"id": household_id, "head": plain(m["head_name"] or "—"),
            "address": plain(m["address"] or "—")}


def _save(assignment_id: int, version: int, household_id: int, grid_code: str) -> None:
    """Submit callback: runs before the page, with the assignment and version the form was drawn
    with; reads only this assignment's widgets."""
    actor, day = state.current_actor(), state.today()
    if actor is None:
        return
    ss = st.session_state
    obs = VisitObservations.from_form(
        income=ss.get(field_key(assignment_id, "income")),
        notes=ss.get(field_key(assignment_id, "notes")) or "",
        **{k: bool(ss.get(field_key(assignment_id, k))) for k in VISIT_FLAGS})
    visited_on = ss.get(field_key(assignment_id, "date")) or day
    saved = ss.setdefault(SAVED_KEY, [])
    outcome = {"assignment_id": assignment_id, "household_id": household_id,
               "grid_code": grid_code}
    try:
        with session_scope(state.engine()) as session:
            record_visit(session=session, actor=actor, assignment_id=assignment_id,
                         expected_version=version, observations=obs, visited_on=visited_on,
                         today=day)
    except (StaleEdit, AssignmentError) as exc:
        if assignment_id in saved:  # a double tap: the first one was saved, nothing more written
            outcome["kind"] = "duplicate"
        elif isinstance(exc, StaleEdit):
            outcome["kind"] = "stale"
        else:
            outcome.update(kind="error", msg=str(exc))
    except AccessDenied as exc:  # the domain says why (another worker's assignment, grid, ...)
        outcome.update(kind="error", msg=t("error.denied", state.lang()) + str(exc))
    except ValueError as exc:
        outcome.update(kind="error", msg=str(exc))
    else:
        saved.append(assignment_id)
        outcome["kind"] = "saved"
        state.clear_after_write()
    ss[OUTCOME_KEY] = outcome


def _show_outcome(outcome: dict, actor, url, day, lang) -> None:
    hid = int(outcome["household_id"])
    kind = outcome["kind"]
    if kind == "saved":
        label = _household_label(actor, hid)
        row = state.household_state(url, actor, day).set_index("id").loc[hid]
        summary = state.grid_summary(url, actor, day).set_index("grid_code").loc[outcome["grid_code"]]
        st.success(tv("saved", lang, score=float(row["score"]), level=t(f"level.{row['level']}", lang),
                      coverage=float(summary["coverage_30d"]), **label))
    elif kind == "duplicate":
        st.info(tv("duplicate", lang, **_household_label(actor, hid)))
    elif kind == "stale":
        st.error(tv("stale", lang, id=hid))
    else:
        st.error(tv("not_saved", lang, id=hid, msg=plain(outcome.get("msg", ""))))


lang, actor, url, day = state.page_start()
st.title(t("visit.title", lang))

outcome = st.session_state.pop(OUTCOME_KEY, None)
if outcome:
    _show_outcome(outcome, actor, url, day, lang)

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
                   format_func=lambda i: f"{rows[i].household_id} · {t('col.due_on', lang)} {rows[i].due_on}",
                   placeholder=t("choose", lang))
a = rows[aid]
household_card(actor, int(a.household_id), lang, key="visit_household")

with st.form(f"visit_form_{aid}", clear_on_submit=False):
    st.date_input(t("visit.date", lang), day, max_value=day, key=field_key(aid, "date"))
    # Empty means unknown: there is no "unknown" box that could swallow a typed income.
    st.number_input(t("visit.income", lang), min_value=0.0, max_value=MAX_INCOME_YUAN, value=None,
                    step=50.0, key=field_key(aid, "income"), placeholder=tv("income_placeholder", lang))
    for k in VISIT_FLAGS:
        st.checkbox(t(f"obs.{k}", lang), key=field_key(aid, k))
    st.text_area(t("visit.notes", lang), max_chars=1000, key=field_key(aid, "notes"))
    st.form_submit_button(t("visit.save", lang), width="stretch", on_click=_save,
                          args=(aid, int(a.version), int(a.household_id), str(a.grid_code)))
