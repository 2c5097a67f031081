"""Login in front of every page.

    from dashboard.auth import login_gate
    actor = login_gate()          # renders the login form when nobody is logged in
    if actor is None:
        st.stop()

app.py calls it once before st.navigation (so no page runs logged out); pages may call it again
(cheap: no form is drawn when the session is valid). The session lives in st.session_state with
an idle expiry of settings.session_minutes; the account is re-checked on every run, so a disabled
user is thrown out at the next click. The password is never kept in session_state.

A reload of the browser tab (F5, or a phone reloading a backgrounded tab) starts a new Streamlit
session with an empty session_state. So a login also opens a server-side session (grid.users
.open_session, table user_session) and the browser keeps its random token in the cookie
`jizhen_session` (Path=/, SameSite=Strict, Max-Age = the idle minutes; written by a zero-height
components iframe, which is same-origin). With no session in session_state, login_gate resumes
the one named by that cookie (st.context.cookies); every run slides its expiry in the database
and, at most once a minute, the cookie's Max-Age. Logout revokes it in the database and expires
the cookie. The token never goes into the URL, the log or an audit row; the database keeps only
its SHA-256.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import streamlit as st

from grid.access import Actor, Role

SESSION_KEY = "jizhen_auth"
NOTICE_KEY = "jizhen_auth_notice"
COOKIE_NAME = "jizhen_session"
TOKEN_KEY = "jizhen_auth_token"          # the session token (server side only, for the cookie/logout)
COOKIE_STAMP_KEY = "jizhen_auth_cookie_at"  # when the cookie was last (re)written
CLEAR_COOKIE_KEY = "jizhen_auth_clear_cookie"
DEAD_COOKIE_KEY = "jizhen_auth_dead_cookie"  # sha256 of a cookie token found invalid
COOKIE_REFRESH = timedelta(seconds=60)


def _default_engine():
    """The dashboard's one cached engine (dashboard.state.engine)."""
    from dashboard.state import engine

    return engine()


def _now() -> datetime:
    from grid.geotypes import utcnow

    return utcnow()


def _session_minutes() -> int:
    from jizhen.settings import get_settings

    return max(1, get_settings().session_minutes)


def current_actor(engine=None, *, check_db: bool = True) -> Actor | None:
    """The logged-in Actor from session_state, without drawing anything (None when logged out,
    expired, or — with check_db — when the account was disabled or deleted since login). Pages use
    this (through dashboard.state.current_actor); app.py draws the form with login_gate()."""
    auth = st.session_state.get(SESSION_KEY)
    if not auth or auth["expires_at"] <= _now():
        if auth:
            logout("登录已超时，请重新登录", engine)
        return None
    if check_db:
        from grid.users import active_actor

        actor = active_actor(engine or _default_engine(), auth["username"])
        if actor is None:
            logout("账户已停用或不存在，请联系管理员", engine)
        return actor
    return Actor(username=auth["username"], role=Role(auth["role"]),
                 grid_codes=None if auth["grid_codes"] is None else frozenset(auth["grid_codes"]))


def logout(message: str = "", engine=None) -> None:
    """End the login: revoke the server-side session (audited as user.logout), forget it in
    session_state and expire the cookie on the next run."""
    token = st.session_state.pop(TOKEN_KEY, None)
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(COOKIE_STAMP_KEY, None)
    st.session_state[CLEAR_COOKIE_KEY] = True
    if message:
        st.session_state[NOTICE_KEY] = message
    if token:
        st.session_state[DEAD_COOKIE_KEY] = token_hash_of(token)
        from grid.db import session_scope
        from grid.user_sessions import revoke_session

        with session_scope(engine or _default_engine()) as session:
            revoke_session(session, token, reason=message or "退出登录")


# --- the cookie ----------------------------------------------------------------------------------

_COOKIE_JS = """<script>
(function () {
  var doc = window.parent.document;
  var secure = window.parent.location.protocol === "https:" ? "; Secure" : "";
  doc.cookie = %(name)s + "=" + %(value)s + "; Path=/; Max-Age=" + %(max_age)d
               + "; SameSite=Strict" + secure;
})();
</script><!-- %(stamp)s -->"""


def _cookie_html(value: str, max_age: int, stamp: str) -> str:
    return _COOKIE_JS % {"name": json.dumps(COOKIE_NAME), "value": json.dumps(value),
                         "max_age": max_age, "stamp": stamp}


def _write_cookie(html: str) -> None:
    import streamlit.components.v1 as components

    components.html(html, height=0)


def _sync_cookie(now: datetime) -> None:
    """Logged in: (re)write the cookie with the session token when it is new or a minute old, so
    its Max-Age follows the sliding expiry. Logged out after a logout: expire the cookie once."""
    token = st.session_state.get(TOKEN_KEY)
    if token and st.session_state.get(SESSION_KEY):
        st.session_state.pop(CLEAR_COOKIE_KEY, None)
        stamp = st.session_state.get(COOKIE_STAMP_KEY)
        if stamp is None or now - stamp >= COOKIE_REFRESH:
            stamp = st.session_state[COOKIE_STAMP_KEY] = now
        # The same html on every run keeps the same iframe (no rewrite) until the stamp changes.
        _write_cookie(_cookie_html(token, _session_minutes() * 60, stamp.isoformat()))
    elif st.session_state.pop(CLEAR_COOKIE_KEY, False):
        _write_cookie(_cookie_html("", 0, now.isoformat()))


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # no browser request behind this run (bare mode, some test harnesses)
        return None
    # Only a plausible token (AppTest hands out a stand-in object instead of real cookies).
    return value if isinstance(value, str) and 0 < len(value) <= 200 else None


def token_hash_of(token: str) -> str:
    from grid.user_sessions import token_hash

    return token_hash(token)


def _resume(engine, token: str, now: datetime) -> Actor | None:
    from grid.db import session_scope
    from grid.user_sessions import resume_session
    from grid.users import actor_for

    with session_scope(engine) as session:
        user = resume_session(session, token, now, _session_minutes())
        return None if user is None else actor_for(user)


def session_for(user, now: datetime | None = None) -> dict:
    """The value of st.session_state[SESSION_KEY] for a logged-in user (a grid.users.User or the
    Actor that login returned): who, role, grids and the idle expiry. login_gate stores exactly
    this after a successful login; tests use it to start a page as a real, existing user."""
    from grid.users import User, actor_for

    actor = actor_for(user) if isinstance(user, User) else user
    now = now or _now()
    return {
        "username": actor.username,
        "role": str(actor.role),
        "grid_codes": None if actor.grid_codes is None else sorted(actor.grid_codes),
        "expires_at": now + timedelta(minutes=_session_minutes()),
    }


def _store(actor: Actor, now: datetime) -> None:
    st.session_state[SESSION_KEY] = session_for(actor, now)


def _sidebar(actor: Actor, engine=None) -> None:
    from jizhen.vocabulary import role_label

    with st.sidebar:
        grids = "全部网格" if actor.grid_codes is None else "、".join(sorted(actor.grid_codes)) or "无"
        st.caption(f"当前用户：{actor.username}（{role_label(actor.role)}，{grids}）")
        if st.button("退出登录", key="jizhen_logout"):
            logout("已退出登录", engine)
            st.rerun()


def _client() -> str | None:
    """Where this login comes from, for the per-client login limit (jizhen.users.login): the
    browser's address as Streamlit saw it (None on localhost or without a request)."""
    try:
        ip = st.context.ip_address
    except Exception:  # no browser request behind this run (bare mode, some test harnesses)
        return None
    return ip if isinstance(ip, str) and ip else None


def _form(engine) -> None:
    from grid.users import LOGIN_HINT, login

    st.title("急诊 · 网格化急难救助")
    st.subheader("登录")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    with st.form("jizhen_login", clear_on_submit=True):
        username = st.text_input("用户名")
        password = st.text_input("密码", type="password")
        submitted = st.form_submit_button("登录")
    if not submitted:
        st.caption(LOGIN_HINT)
        return
    if not username or not password:
        st.error("请输入用户名和密码")
        return
    result = login(engine, username, password, client=_client())
    del password
    if not result.ok:
        st.error(result.message)
        return
    now = _now()
    from grid.db import session_scope
    from grid.user_sessions import open_session

    with session_scope(engine) as session:
        token = open_session(session, result.actor, now, _session_minutes())
    _store(result.actor, now)
    st.session_state[TOKEN_KEY] = token
    st.session_state.pop(COOKIE_STAMP_KEY, None)
    st.rerun()


def login_gate(engine=None, *, show_sidebar: bool = True) -> Actor | None:
    """The Actor of a valid session, or None after drawing the login form (caller then st.stop())."""
    from grid.users import active_actor

    engine = engine or _default_engine()
    now = _now()
    auth = st.session_state.get(SESSION_KEY)
    if auth is not None:
        if auth["expires_at"] <= now:
            logout("登录已超时，请重新登录", engine)
        else:
            token = st.session_state.get(TOKEN_KEY)
            # With a server-side session its expiry slides too (and a revoked one ends this login).
            actor = _resume(engine, token, now) if token else active_actor(engine, auth["username"])
            if actor is None:
                logout("账户已停用或不存在，请联系管理员", engine)
            else:
                return _logged_in(actor, now, show_sidebar, engine)
    else:
        token = _cookie_token()
        # st.context.cookies is the request that opened this browser session: after a logout
        # it still names the old (now revoked) session, so a dead token is not tried again.
        if token and token_hash_of(token) != st.session_state.get(DEAD_COOKIE_KEY):
            actor = _resume(engine, token, now)
            if actor is not None:  # a reloaded tab: the cookie's session is still valid
                st.session_state[TOKEN_KEY] = token
                st.session_state.pop(COOKIE_STAMP_KEY, None)
                st.session_state.pop(NOTICE_KEY, None)
                return _logged_in(actor, now, show_sidebar, engine)
            # expired, revoked or the account stopped: expire the cookie, don't try it again
            st.session_state[DEAD_COOKIE_KEY] = token_hash_of(token)
            st.session_state[CLEAR_COOKIE_KEY] = True
    _sync_cookie(now)
    _form(engine)
    return None


def _logged_in(actor: Actor, now: datetime, show_sidebar: bool, engine) -> Actor:
    _store(actor, now)  # sliding expiry; role/grid changes apply at once
    _sync_cookie(now)
    if show_sidebar:
        _sidebar(actor, engine)
    return actor
