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
from dashboard.navigation import landing_page, pages_for  # noqa: E402
from dashboard.texts import t  # noqa: E402

st.set_page_config(page_title=t("app.title"), page_icon="🗺️", layout="wide")


def language_switch() -> None:
    st.radio(t("sidebar.lang", "zh"), ["zh", "en"], key=state.LANG_KEY, horizontal=True,
             format_func=lambda v: "中文" if v == "zh" else "English")


# The switch sits at the top of the sidebar, but is drawn only after st.navigation (a widget is
# keyed on the page it is drawn in: drawn before st.navigation, its first click could be dropped).
# Its value is read before it is drawn (state.lang: session state). The pages live in
# dashboard/views/, not pages/: Streamlit treats a folder named pages/ next to the main script as
# a legacy multipage app, and a household link opened first after a restart showed that folder's
# raw page list (no language switch, no sign-out) instead of going through this file.
language_slot = st.sidebar.container()
lang = state.lang()

# Every page sits behind the login: there is no switch that skips it.
actor = login_gate(state.engine())
if actor is None:
    with language_slot:
        language_switch()
    st.stop()

# Each role sees the pages it can use (dashboard.navigation); a grid worker lands on the visit form.
PAGES = ROOT / "dashboard" / "views"
landing = landing_page(actor.role)
pages = [st.Page(str(PAGES / p.file), title=t(p.title_key, lang), url_path=p.url_path,
                 default=p is landing)
         for p in pages_for(actor.role)]
page = st.navigation(pages)
with language_slot:
    language_switch()
page.run()
