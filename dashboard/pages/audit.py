"""审计日志: the append-only audit log for auditors and county staff, and a chain check (hash chain,
row MACs and the signed checkpoints outside the database: jizhen.audit.verify)."""
from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.texts import t
from grid import audit
from grid.access import AccessDenied
from grid.db import session_scope

lang, actor, url, day = state.page_start()
st.title(t("audit.title", lang))
st.caption(t("audit.caption", lang))

c1, c2, c3 = st.columns(3)
who = c1.text_input(t("audit.filter_actor", lang), key="audit_actor").strip()
action = c2.text_input(t("audit.filter_action", lang), key="audit_action").strip()
limit = c3.number_input(t("audit.limit", lang), 10, 5000, 200, step=50, key="audit_limit")
try:
    with state.engine().connect() as conn:
        rows = audit.entries_frame(conn, actor, limit=int(limit), actor_name=who, action=action)
except AccessDenied as exc:
    st.error(str(exc))
    st.stop()
st.dataframe(rows, hide_index=True, width="stretch")

if st.button(t("audit.verify", lang), key="audit_verify"):
    with session_scope(state.engine()) as s:
        result = audit.verify(s)
    if result.ok:
        st.success(t("audit.ok", lang, n=result.checked))
        for note in result.notes:
            st.warning(note)
    elif result.first_bad_id is not None:
        st.error(t("audit.broken", lang, id=result.first_bad_id, why=result.problem))
    else:  # the signed checkpoints outside the database are missing or do not match
        st.error(result.problem)
