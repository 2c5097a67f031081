"""走访登记: a phone-width form for one assigned household; saving closes the assignment and
updates the household's score and the grid's coverage.

The form is bound to the assignment it shows: its widgets are keyed by the assignment id (the next
household starts empty, never with the previous one's ticks, income or notes) and the save button
carries the assignment id and version captured when the form was drawn (a callback argument), so
a save can only ever record the household the worker was looking at. Income left empty is
"unknown"; a typed income is stored and scored.

Weak connections: each drawn form carries an idempotency key (made when it is first drawn, kept
until its save succeeds); a double tap or a resend of the same form returns the visit already
recorded (grid.visits.save_visit) and says so -- nothing is recorded twice.

A grid worker may also record an ad-hoc visit (随访): a household of their own grid met without an
assignment (scope checked in grid.visits.save_adhoc_visit). 今日任务 opens this page on the
assignment of the stop it was tapped from (OPEN_KEY)."""
from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.household_card import household_card
from dashboard.household_link import page_link
from dashboard.plain_text import plain
from dashboard.texts import error_text, t
from dashboard.texts_visit import tv
from grid.access import AccessDenied, Role
from grid.assignments import AssignmentError
from grid.db import StaleEdit, session_scope
from grid.privacy import masked_household
from grid.frames import VISIT_FLAGS
from grid.visits import (MAX_INCOME_YUAN, VisitObservations, new_idempotency_key, save_adhoc_visit,
                         save_visit)

OUTCOME_KEY = "visit_outcome"      # what the last save did, shown once on the next run
OPEN_KEY = "visit_open_assignment"  # set by 今日任务: the assignment whose form to open
MODE_KEY = "visit_mode"            # 派单走访 (assigned) | 随访 (adhoc), grid workers only
ADHOC_PICK = "visit_adhoc_household"
MODES = ("assigned", "adhoc")


def field_key(assignment_id: int, field: str) -> str:
    """The widget key of one field of the form of one assignment."""
    return f"visit_{int(assignment_id)}_{field}"


def adhoc_key(household_id: int, field: str) -> str:
    """The widget key of one field of the ad-hoc form of one household."""
    return f"visit_adhoc_{int(household_id)}_{field}"


def form_token(key_of, record_id: int) -> str:
    """The idempotency key of the form drawn for this record: made once, kept until the save
    succeeds, and carried by the save button; a resend of the same form carries the same key."""
    ss = st.session_state
    name = key_of(record_id, "idem")
    if name not in ss:
        ss[name] = new_idempotency_key()
    return ss[name]


def _household_label(actor, household_id: int) -> dict:
    """Head and address of the household as this role may see them (grid.privacy rules)."""
    with session_scope(state.engine()) as session:
        m = masked_household(session, actor, household_id)
    return {"id": household_id, "head": plain(m["head_name"] or "—"),
            "address": plain(m["address"] or "—")}


def _observations(key_of, record_id: int) -> tuple[VisitObservations, object]:
    ss = st.session_state
    obs = VisitObservations.from_form(
        income=ss.get(key_of(record_id, "income")),
        notes=ss.get(key_of(record_id, "notes")) or "",
        **{k: bool(ss.get(key_of(record_id, k))) for k in VISIT_FLAGS})
    return obs, ss.get(key_of(record_id, "date"))


def _store(write, outcome: dict, token_name: str) -> None:
    """Run one save and turn its result into the outcome shown on the next run."""
    ss = st.session_state
    try:
        with session_scope(state.engine()) as session:
            saved = write(session)
    except StaleEdit:
        outcome["kind"] = "stale"
    except AssignmentError as exc:
        outcome.update(kind="error", msg=error_text(exc, state.lang()))
    except AccessDenied as exc:  # the domain says why (another worker's assignment, grid, ...)
        outcome.update(kind="error", msg=t("error.denied", state.lang()) + error_text(exc, state.lang()))
    except (ValueError, LookupError) as exc:
        outcome.update(kind="error", msg=error_text(exc, state.lang()))
    else:
        # a resend of a form already saved: the visit recorded the first time, nothing written
        outcome["kind"] = "duplicate" if saved.already_recorded else "saved"
        ss.pop(token_name, None)  # the next form of this record is a new visit
        state.clear_after_write()
    ss[OUTCOME_KEY] = outcome


def _save(assignment_id: int, version: int, household_id: int, grid_code: str, token: str) -> None:
    """Submit callback: runs before the page, with the assignment, version and idempotency key
    the form was drawn with; reads only this assignment's widgets."""
    actor, day = state.current_actor(), state.today()
    if actor is None:
        return
    outcome = {"assignment_id": assignment_id, "household_id": household_id, "grid_code": grid_code}
    try:
        obs, visited_on = _observations(field_key, assignment_id)
    except ValueError as exc:
        st.session_state[OUTCOME_KEY] = {**outcome, "kind": "error", "msg": error_text(exc, state.lang())}
        return
    _store(lambda session: save_visit(session=session, actor=actor, assignment_id=assignment_id,
                                      expected_version=version, observations=obs,
                                      visited_on=visited_on or day, today=day,
                                      idempotency_key=token),
           outcome, field_key(assignment_id, "idem"))


def _save_adhoc(household_id: int, grid_code: str, token: str) -> None:
    """Submit callback of the ad-hoc form (随访), bound to the household and key it was drawn with."""
    actor, day = state.current_actor(), state.today()
    if actor is None:
        return
    outcome = {"household_id": household_id, "grid_code": grid_code}
    try:
        obs, visited_on = _observations(adhoc_key, household_id)
    except ValueError as exc:
        st.session_state[OUTCOME_KEY] = {**outcome, "kind": "error", "msg": error_text(exc, state.lang())}
        return
    _store(lambda session: save_adhoc_visit(session=session, actor=actor, household_id=household_id,
                                            observations=obs, visited_on=visited_on or day,
                                            today=day, idempotency_key=token),
           outcome, adhoc_key(household_id, "idem"))
    if st.session_state[OUTCOME_KEY]["kind"] in ("saved", "duplicate"):
        st.session_state[ADHOC_PICK] = None  # the form closes; its ticks go with it


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


def _form(key_of, record_id: int, day, lang, on_click, args) -> None:
    """The visit form of one record (assignment or ad-hoc household), keyed by it."""
    with st.form(key_of(record_id, "form"), clear_on_submit=False):
        st.date_input(t("visit.date", lang), day, max_value=day, key=key_of(record_id, "date"))
        # Empty means unknown: there is no "unknown" box that could swallow a typed income.
        st.number_input(t("visit.income", lang), min_value=0.0, max_value=MAX_INCOME_YUAN,
                        value=None, step=50.0, key=key_of(record_id, "income"),
                        placeholder=tv("income_placeholder", lang))
        for k in VISIT_FLAGS:
            st.checkbox(t(f"obs.{k}", lang), key=key_of(record_id, k))
        st.text_area(t("visit.notes", lang), max_chars=1000, key=key_of(record_id, "notes"))
        st.form_submit_button(t("visit.save", lang), width="stretch", on_click=on_click, args=args)


def _adhoc(actor, url, lang, day) -> None:
    """随访: a household of the worker's own grid met without an assignment."""
    workers = state.workers(url, actor)
    mine = workers[workers["id"] == actor.worker_id] if actor.worker_id is not None else workers.iloc[0:0]
    if mine.empty:
        st.info(tv("adhoc.workers_only", lang))
        st.stop()
    grid_code = str(mine["grid_code"].iloc[0])
    st.caption(tv("adhoc.help", lang))
    labels = state.household_labels(url, actor, grid_code)
    hid = st.selectbox(tv("adhoc.pick", lang), labels.index.tolist(), index=None, key=ADHOC_PICK,
                       format_func=lambda h: f"{h} · {labels.at[h, 'address']} · {labels.at[h, 'head_name']}",
                       placeholder=t("choose", lang))
    if hid is None:
        st.stop()
    household_card(actor, int(hid), lang, key="visit_adhoc_household_card")
    token = form_token(adhoc_key, hid)
    _form(adhoc_key, hid, day, lang, _save_adhoc, (int(hid), grid_code, token))


lang, actor, url, day = state.page_start()
st.title(t("visit.title", lang))

outcome = st.session_state.pop(OUTCOME_KEY, None)
if outcome:
    _show_outcome(outcome, actor, url, day, lang)

own_only = actor.role == Role.GRID_WORKER
if own_only:
    page_link("views/today.py", tv("back_to_today", lang), icon="↩")
wanted = st.session_state.pop(OPEN_KEY, None)  # the stop chosen on 今日任务
if own_only:
    mode = st.radio(tv("mode", lang), MODES, key=MODE_KEY, horizontal=True,
                    format_func=lambda m: tv(f"mode.{m}", lang))
    if mode == "adhoc":
        _adhoc(actor, url, lang, day)
        st.stop()

# The domain returns only what this actor may record: a grid worker gets their own assignments
# (none when the account is not linked to a worker), a supervisor those of their grid(s).
open_a = state.open_assignments(url, actor)
if open_a.empty:
    st.info(t("visit.not_linked" if own_only and actor.worker_id is None else "visit.none", lang))
    st.stop()
if wanted is not None and int(wanted) in set(open_a["id"].astype(int)):
    st.session_state["visit_assignment"] = int(wanted)
    if not own_only:
        st.session_state["visit_worker"] = int(open_a.set_index("id").at[int(wanted), "worker_id"])
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
token = form_token(field_key, aid)
_form(field_key, aid, day, lang, _save,
      (aid, int(a.version), int(a.household_id), str(a.grid_code), token))
