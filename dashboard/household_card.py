"""A household's personal data on screen: masked for every role, with a 查看完整信息 action (a
reason, then grid.privacy.reveal, one audit row per field) for the roles that may unmask.
The clear values are drawn once, in the run that revealed them, and never kept in session_state."""
from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.texts import error_text, t
from grid.access import AccessDenied, Actor
from grid.db import session_scope
from grid.privacy import REVEALABLE, masked_household, may_reveal, reveal_fields

FIELDS = tuple(REVEALABLE)


def _lines(values: dict[str, str], lang: str) -> str:
    return "\n".join(t("fmt.label_value", lang, label=t(f"hh.field.{f}", lang), value=values[f] or "—")
                     for f in FIELDS)


def household_card(actor: Actor, household_id: int, lang: str, *, key: str) -> None:
    """Draw the masked card of `household_id` and, for roles that may unmask, the reveal form."""
    try:
        with session_scope(state.engine()) as session:
            masked = masked_household(session, actor, int(household_id))
    except (AccessDenied, LookupError) as exc:
        st.error(error_text(exc, lang))
        return
    with st.container(border=True):
        st.markdown(f"**{t('hh.card', lang, id=int(household_id))}**")
        st.text(_lines(masked, lang))  # st.text: data is shown verbatim, never as markdown
        if not may_reveal(actor):
            return
        # The reason belongs to this household: a reason typed for another one is not kept.
        shown_key, reason_key = f"{key}_reveal_household", f"{key}_reveal_reason"
        if st.session_state.get(shown_key) != int(household_id):
            st.session_state[shown_key] = int(household_id)
            st.session_state.pop(reason_key, None)
        with st.form(f"{key}_reveal_form", clear_on_submit=True):
            reason = st.text_input(t("hh.reveal_reason", lang), key=reason_key,
                                   max_chars=200)
            asked = st.form_submit_button(t("hh.reveal", lang))
        if not asked:
            return
        try:
            with session_scope(state.engine()) as session:
                clear = reveal_fields(session, actor, int(household_id), FIELDS, reason)
        except (AccessDenied, LookupError) as exc:
            st.error(error_text(exc, lang))
            return
        st.warning(t("hh.revealed", lang))
        st.text(_lines(clear, lang))
