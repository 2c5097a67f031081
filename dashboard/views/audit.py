"""审计日志: the append-only audit log for auditors and county staff, and a chain check (hash chain,
row MACs and the signed checkpoints outside the database: jizhen.audit.verify)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.texts_admin import labelled
from dashboard.texts import error_text, t
from grid import audit
from grid.access import AccessDenied
from grid.db import session_scope
from jizhen.access import Role
from jizhen.settings import TIMEZONE
from jizhen.vocabulary import role_label

AUDIT_COLUMNS = ["id", "at", "actor", "role", "action", "entity", "entity_id", "before_json", "after_json",
                 "reason"]
ROLE_VALUES = {str(r) for r in Role}

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
    st.error(error_text(exc, lang))
    st.stop()
# Times in Asia/Shanghai (stored UTC-aware), roles by their label, headers in the UI language.
rows = rows.assign(
    at=pd.to_datetime(rows["at"], utc=True).dt.tz_convert(TIMEZONE).dt.strftime("%Y-%m-%d %H:%M:%S"),
    role=[role_label(r, lang) if r in ROLE_VALUES else r for r in rows["role"]])
st.dataframe(labelled(rows, AUDIT_COLUMNS, lang), hide_index=True, width="stretch")

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
