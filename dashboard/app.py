"""Entry point: page config, who is acting, routes. Nothing else (pages do the work)."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from anywhere
    sys.path.insert(0, str(ROOT))

from dashboard import state  # noqa: E402
from dashboard.auth import login_gate  # noqa: E402
from dashboard.texts import t  # noqa: E402
from grid.access import Role  # noqa: E402

st.set_page_config(page_title=t("app.title"), page_icon="🗺️", layout="wide")

with st.sidebar:
    st.radio(t("sidebar.lang", "zh"), ["zh", "en"], key=state.LANG_KEY, horizontal=True,
             format_func=lambda v: "中文" if v == "zh" else "English")
lang = state.lang()

# Every page sits behind the login: there is no switch that skips it.
actor = login_gate(state.engine())
if actor is None:
    st.stop()

# A grid worker on a phone lands on the visit form; everyone else on the map.
worker_first = actor.role == Role.GRID_WORKER
PAGES = ROOT / "dashboard" / "pages"
pages = [
    st.Page(str(PAGES / "map.py"), title=t("nav.map", lang), url_path="map",
            default=not worker_first),
    st.Page(str(PAGES / "assign.py"), title=t("nav.assign", lang), url_path="assign"),
    st.Page(str(PAGES / "visit.py"), title=t("nav.visit", lang), url_path="visit",
            default=worker_first),
    st.Page(str(PAGES / "leaders.py"), title=t("nav.leaders", lang), url_path="leaders"),
]
pages.insert(1, st.Page(str(PAGES / "case_desk.py"), title=t("nav.cases", lang), url_path="cases"))
if actor.role in (Role.AUDITOR, Role.COUNTY_STAFF):
    pages.append(st.Page(str(PAGES / "audit.py"), title=t("nav.audit", lang), url_path="audit"))
st.navigation(pages).run()
