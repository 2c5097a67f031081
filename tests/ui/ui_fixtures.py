"""Logging in for the UI tests: real users in the test database, real sessions.

    user = ensure_user(engine, "sup1", "grid_supervisor", grids="G01")
    at = AppTest.from_file(APP)
    log_in(at, user)                      # the session login_gate would have stored
    at.run()

or through the form: `fill_login_form(at, "sup1", PASSWORD)`. No switch skips the login.
"""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from grid.db import session_scope

PASSWORD = "Uitest2026pw"
TIMEOUT = 120


def ensure_user(engine, username: str, role: str, *, grids: str | list[str] | None = None,
                worker_id: int | None = None, password: str = PASSWORD):
    """The user `username`, created with grid.users.add_user when missing (returned detached)."""
    from grid.users import add_user, get_user

    with session_scope(engine) as s:
        user = get_user(s, username)
        if user is None:
            extra = {"worker_id": worker_id} if worker_id is not None else {}
            user = add_user(s, username=username, password=password, role=role, grid_codes=grids,
                            **extra)
        s.flush()
        s.expunge(user)
    return user


def log_in(at: AppTest, user) -> AppTest:
    """Put the session of `user` (a grid.users.User) into the AppTest, as login_gate does."""
    from dashboard.auth import SESSION_KEY, session_for

    at.session_state[SESSION_KEY] = session_for(user)
    return at


def fill_login_form(at: AppTest, username: str, password: str) -> AppTest:
    """Type into the real login form (用户名 / 密码) and press 登录."""
    by_label = {t.label: t for t in at.text_input}
    by_label["用户名"].input(username)
    by_label["密码"].input(password)
    next(b for b in at.button if b.label == "登录").click()
    return at.run(timeout=TIMEOUT)
