"""The link to a household's file (一户一档, `household?hh=<id>`): the one way other pages (map,
worklist, 今日任务, cases) open it.

    household_link(household_id, lang)

The link is drawn only where the page is in the user's navigation (dashboard/navigation.py): a
role without it, or a page run on its own without st.navigation (`streamlit run page.py`, tests
that run one page), shows no link. The file itself checks the household's scope."""
from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from dashboard.texts_household import th

PAGE = "views/household.py"


def page_link(page: str, label: str, **kw) -> None:
    """st.page_link drawn only when `page` is in this run's navigation (else nothing)."""
    try:
        st.page_link(page, label=label, **kw)
    except StreamlitPageNotFoundError:
        return


def household_link(household_id: int, lang: str) -> None:
    """A link to the file of `household_id` (its label names the household)."""
    page_link(PAGE, th("link", lang, id=int(household_id)), icon="📁",
              query_params={"hh": str(int(household_id))})
