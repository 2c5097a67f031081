"""Households outside every grid, with a way to fix each: correct the location (the grid then
follows by point-in-polygon) or assign a grid by hand with a reason (kept by later boundary
imports: grid.placement.placed_grid). The services (grid.workers) check the role (county staff)
and the version the form showed. Drawn on 系统管理 (its own tab) and on 网格地图 (an expander for
the roles that may fix them), one implementation for both."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.page_writes import PageWrites
from dashboard.plain_text import plain
from dashboard.texts import error_text
from dashboard.texts_admin import labelled, ta
from grid import workers as wk
from grid.access import AccessDenied, Actor
from grid.db import StaleEdit, session_scope

may_fix = wk.may_administer  # who sees the list and its forms


def refusal(exc: Exception, lang: str) -> tuple[str, str]:
    """A refused fix, in the page's language (kind, text)."""
    if isinstance(exc, StaleEdit):
        return "error", ta("ov.stale", lang, msg=plain(str(exc)))
    if isinstance(exc, wk.WorkerError):
        return "error", ta("ov.err", lang, msg=plain(exc.zh if lang == "zh" else exc.en))
    return "error", ta("ov.denied", lang, msg=plain(error_text(exc, lang)))


def writes_for(results_key: str) -> PageWrites:
    return PageWrites(results_key, (wk.WorkerError, AccessDenied, StaleEdit), refusal)


def outside_rows(actor: Actor) -> list[dict]:
    with session_scope(state.engine()) as s:
        return wk.outside_households(session=s, actor=actor)


def _saved(key: str):
    return lambda _out, lang_: ta("ov.done", lang_, what=ta(key, lang_))


def draw(actor: Actor, lang: str, grid_codes: list[str], writes: PageWrites, prefix: str,
         rows: list[dict] | None = None) -> None:
    """The list and, for the household picked, the two fix forms (keys carry ``prefix`` and the
    household id; each submit carries the version shown)."""
    ss = st.session_state

    def relocate(household_id: int, version: int) -> None:
        writes.write("outside", wk.relocate_household, _saved("ad.fix_location"), household_id=household_id,
                     expected_version=version, lon=float(ss.get(f"{prefix}_h_{household_id}_lon") or 0),
                     lat=float(ss.get(f"{prefix}_h_{household_id}_lat") or 0),
                     reason=ss.get(f"{prefix}_h_{household_id}_fix_reason") or "")

    def assign(household_id: int, version: int) -> None:
        writes.write("outside", wk.assign_household_grid, _saved("ad.assign"), household_id=household_id,
                     expected_version=version, grid_code=ss.get(f"{prefix}_h_{household_id}_grid") or "",
                     reason=ss.get(f"{prefix}_h_{household_id}_assign_reason") or "")

    writes.show("outside")
    out = outside_rows(actor) if rows is None else rows
    if not out:
        st.info(ta("ad.outside_none", lang))
        return
    st.dataframe(labelled(pd.DataFrame(out), ["id", "head_name", "head_id_number", "address", "lon", "lat"], lang),
                 hide_index=True, width="stretch")
    by_id = {r["id"]: r for r in out}
    hid = st.selectbox(ta("ad.pick_household", lang), list(by_id), key=f"{prefix}_h_pick",
                       format_func=lambda i: f"#{i} {by_id[i]['head_name']} {by_id[i]['address']}")
    shown = by_id[hid]
    left, right = st.columns(2)
    with left.form(f"{prefix}_fix_form_{hid}"):
        st.markdown(f"**{ta('ad.fix_location', lang)}**")
        st.number_input(ta("ad.lon", lang), value=float(shown["lon"]), format="%.6f", step=0.0001,
                        key=f"{prefix}_h_{hid}_lon")
        st.number_input(ta("ad.lat", lang), value=float(shown["lat"]), format="%.6f", step=0.0001,
                        key=f"{prefix}_h_{hid}_lat")
        st.text_input(ta("ad.reason", lang), key=f"{prefix}_h_{hid}_fix_reason", max_chars=500)
        st.form_submit_button(ta("ad.fix_btn", lang), on_click=relocate, args=(hid, int(shown["version"])))
    with right.form(f"{prefix}_assign_form_{hid}"):
        st.markdown(f"**{ta('ad.assign', lang)}**")
        st.selectbox(ta("ad.grid", lang), grid_codes, key=f"{prefix}_h_{hid}_grid")
        st.text_input(ta("ad.reason", lang), key=f"{prefix}_h_{hid}_assign_reason", max_chars=500)
        st.form_submit_button(ta("ad.assign_btn", lang), on_click=assign, args=(hid, int(shown["version"])))
