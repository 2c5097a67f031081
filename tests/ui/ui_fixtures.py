"""Logging in for the UI tests: real users in the test database, real server-side sessions.

    user = ensure_user(engine, "sup1", "grid_supervisor", grids="G01")
    at = AppTest.from_file(APP)
    log_in(at, user)                      # a real session token where dashboard.auth reads it
    at.run()

or with a password: `fill_login_form(at, "sup1", PASSWORD)` runs the login gateway's own login
(jizhen.gateway: jizhen.users.login, then open_session). In production the token arrives as the
HttpOnly cookie the gateway set; AppTest cannot send cookies, so the token goes into
st.session_state[TOKEN_KEY], which only server code can write. No switch skips the login.
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


def _engine(engine=None):
    if engine is not None:
        return engine, False
    from jizhen.db import make_engine
    from jizhen.settings import get_settings

    return make_engine(get_settings().database_url), True


def log_in(at: AppTest, user, *, engine=None) -> AppTest:
    """Open a real server-side session for `user` (a grid.users.User or a username) in the
    database the app uses (DATABASE_URL, or `engine`) and hand its token to the AppTest."""
    from dashboard.auth import TOKEN_KEY
    from grid.geotypes import utcnow
    from jizhen.settings import get_settings
    from jizhen.users import open_session

    engine, own = _engine(engine)
    try:
        with session_scope(engine) as s:
            token = open_session(s, user, utcnow(), max(1, get_settings().session_minutes))
    finally:
        if own:
            engine.dispose()
    at.session_state[TOKEN_KEY] = token
    return at


def fill_login_form(at: AppTest, username: str, password: str, *, engine=None):
    """Log in as the gateway's /auth/login does (same code: jizhen.gateway); on success the
    session's token goes to the AppTest and it runs. Returns (AppTest, the login's AuthResult)."""
    from dashboard.auth import TOKEN_KEY
    from jizhen.gateway import _Sessions

    engine, own = _engine(engine)
    try:
        result, token = _Sessions(engine).login(username, password, None)
    finally:
        if own:
            engine.dispose()
    if token is not None:
        at.session_state[TOKEN_KEY] = token
    return at.run(timeout=TIMEOUT), result
