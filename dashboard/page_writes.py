"""One write from a page form, in its own transaction, with its outcome shown next to the form.

    writes = PageWrites("cases_desk_results", (DomainError, AccessDenied, StaleEdit), error_text)
    writes.write("act_7", svc_fn, done=lambda out, lang: "...", **kwargs)   # in a submit callback
    writes.show("act_7")                                                   # where the form is drawn

`write` runs `fn(session=, actor=, **kw)` as the logged-in user (nothing when logged out), keeps
("success", done(out, lang)) or the refusal (`error_text(exc, lang)` → (kind, text)) for the next
run, and never raises the expected refusals to the page. Used by every page with forms.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

from dashboard import state
from grid.db import session_scope


class PageWrites:
    def __init__(self, results_key: str, refusals: tuple[type[BaseException], ...],
                 error_text: Callable[[Exception, str], tuple[str, str]]):
        self.results_key, self.refusals, self.error_text = results_key, refusals, error_text

    def write(self, where: str, fn, done, **kw) -> None:
        actor_now, lang_now = state.current_actor(), state.lang()
        if actor_now is None:
            return
        results = st.session_state.setdefault(self.results_key, {})
        try:
            with session_scope(state.engine()) as s:
                out = fn(session=s, actor=actor_now, **kw)
                message = done(out, lang_now)
        except self.refusals as exc:
            results[where] = self.error_text(exc, lang_now)
            return
        state.clear_after_write()
        results[where] = ("success", message)

    def show(self, where: str) -> None:
        kind, text = st.session_state.get(self.results_key, {}).pop(where, (None, None))
        if kind:
            getattr(st, kind)(text)
