"""Login in front of every page.

    from dashboard.auth import login_gate
    actor = login_gate()          # nobody logged in: says why and leads to /auth/login
    if actor is None:
        st.stop()

app.py calls it once before st.navigation; pages check again with current_actor (the same
authenticate(): a page rerun on its own still ends a revoked session). The login lives in
st.session_state with an idle expiry of settings.session_minutes; the session and the account are
re-checked on every run, so a revoked session or a disabled user is thrown out at the next
click. No password ever reaches Streamlit.

Logging in happens outside Streamlit, in the login gateway (jizhen.gateway) that `jizhen dashboard`
puts in front of it: its /auth/login form calls jizhen.users.login, opens a server-side session
(jizhen.users.sessions, table user_session) and sets the random token as the cookie
`jizhen_session` — HttpOnly (no page script can read it), SameSite=Strict, Path=/. The gateway
lets nothing through without a valid session. Here, login_gate reads that token from the
request that opened this browser session (st.context.cookies: the WebSocket's cookies) and
resumes the session on every run (resume_session: revoked, expired or disabled ends the login;
the idle expiry slides). A reload of the tab (a new Streamlit session) resumes it again.
The 退出登录 button is a plain HTML form posting to /auth/logout (the gateway revokes the session
and expires the cookie); no page script writes or reads the cookie. The token never goes into
the URL, the log or an audit row; the database keeps only its SHA-256.

Tests run pages without a gateway (AppTest cannot send cookies): they put a real server-side
session token into st.session_state[TOKEN_KEY] (tests/ui/ui_fixtures.log_in), which only server
code can write; there is no switch that skips the login.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from grid.access import Actor, Role
from jizhen.gateway import COOKIE_NAME, LOGIN_PATH, LOGOUT_PATH  # noqa: F401 (one definition)

SESSION_KEY = "jizhen_auth"
NOTICE_KEY = "jizhen_auth_notice"
TOKEN_KEY = "jizhen_auth_token"          # the session token (server side only)
DEAD_COOKIE_KEY = "jizhen_auth_dead_cookie"  # sha256 of a cookie token found invalid


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
    """The logged-in Actor, without drawing anything (None when logged out, expired, or — with
    check_db — when the session was revoked or the account disabled/locked since). Pages use
    this (through dashboard.state.current_actor); app.py draws the way in with login_gate().
    With check_db it is the same check as login_gate's (authenticate), so a page run on its own
    (a Streamlit rerun of the page alone) still ends a revoked session."""
    if check_db:
        return authenticate(engine)
    auth = st.session_state.get(SESSION_KEY)
    if not auth or auth["expires_at"] <= _now():
        return None
    return Actor(username=auth["username"], role=Role(auth["role"]),
                 grid_codes=None if auth["grid_codes"] is None else frozenset(auth["grid_codes"]))


def logout(message: str = "", engine=None) -> None:
    """End the login here (expiry, a disabled account): revoke the server-side session (audited
    as user.logout) and forget it in session_state. The cookie then names a dead session, which
    the gateway refuses and expires at the next page load."""
    token = st.session_state.pop(TOKEN_KEY, None)
    st.session_state.pop(SESSION_KEY, None)
    if message:
        st.session_state[NOTICE_KEY] = message
    if token:
        st.session_state[DEAD_COOKIE_KEY] = token_hash_of(token)
        from grid.db import session_scope
        from grid.user_sessions import revoke_session

        with session_scope(engine or _default_engine()) as session:
            revoke_session(session, token, reason=message or "退出登录")


# --- the cookie (set by the gateway, HttpOnly) ------------------------------------------------

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


# Plain HTML forms (no script): only a response from the gateway can set or expire the HttpOnly
# cookie. Styled like Streamlit's secondary button.
_BUTTON_STYLE = ("font:inherit;padding:.3rem .8rem;margin:.25rem 0 .75rem;border-radius:.5rem;"
                 "border:1px solid rgba(49,51,63,.2);background:#fff;color:inherit;cursor:pointer")
LOGOUT_FORM = (f'<form method="post" action="{LOGOUT_PATH}" class="jizhen-logout">'
               f'<button type="submit" style="{_BUTTON_STYLE}">退出登录</button></form>')
LOGIN_FORM = (f'<form method="get" action="{LOGIN_PATH}" class="jizhen-login">'
              f'<button type="submit" style="{_BUTTON_STYLE}">前往登录页</button></form>')


def _sidebar(actor: Actor, engine=None) -> None:
    from jizhen.vocabulary import role_label

    with st.sidebar:
        grids = "全部网格" if actor.grid_codes is None else "、".join(sorted(actor.grid_codes)) or "无"
        st.caption(f"当前用户：{actor.username}（{role_label(actor.role)}，{grids}）")
        # A plain form: the gateway revokes the session and expires the HttpOnly cookie.
        st.markdown(LOGOUT_FORM, unsafe_allow_html=True)


def _prompt() -> None:
    """Logged out inside the app (the session ended while the page was open): say why and lead
    to the gateway's login page. No form here: only the gateway can set the HttpOnly cookie."""
    st.title("急诊 · 网格化急难救助")
    st.subheader("登录")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    st.write("请在登录页登录后继续使用。")
    st.markdown(LOGIN_FORM, unsafe_allow_html=True)


def authenticate(engine=None) -> Actor | None:
    """Who is logged in, checked against the database, without drawing: the session token (from
    session_state, or the HttpOnly cookie the gateway set) is resumed — revoked, expired, a
    disabled or locked account: None, and the login here ends. The idle expiry slides."""
    from grid.users import active_actor

    engine = engine or _default_engine()
    now = _now()
    auth = st.session_state.get(SESSION_KEY)
    if auth is not None and auth["expires_at"] <= now:
        logout("登录已超时，请重新登录", engine)
        auth = None
    token = st.session_state.get(TOKEN_KEY)
    if token is None:
        cookie = _cookie_token()
        # st.context.cookies is the request that opened this browser session: after a logout
        # here it still names the old (now revoked) session, so a dead token is not tried again.
        if cookie and token_hash_of(cookie) != st.session_state.get(DEAD_COOKIE_KEY):
            token = cookie
    if token:
        actor = _resume(engine, token, now)  # slides the expiry; revoked/expired/disabled: None
        if actor is not None:
            if st.session_state.get(TOKEN_KEY) != token:
                st.session_state.pop(NOTICE_KEY, None)
            st.session_state[TOKEN_KEY] = token
            _store(actor, now)  # sliding expiry; role/grid changes apply at once
            return actor
        st.session_state[DEAD_COOKIE_KEY] = token_hash_of(token)
        logout("登录已超时或已退出，请重新登录" if auth is None else
               "账户已停用、锁定或登录已结束，请重新登录", engine)
    elif auth is not None:
        # A session put here by server code without a token (tests' and benchmarks' session_for).
        actor = active_actor(engine, auth["username"])
        if actor is not None:
            _store(actor, now)
            return actor
        logout("账户已停用或不存在，请联系管理员", engine)
    return None


def login_gate(engine=None, *, show_sidebar: bool = True) -> Actor | None:
    """The Actor of a valid session (authenticate), or None after drawing the way to the login
    page (the caller then st.stop())."""
    engine = engine or _default_engine()
    actor = authenticate(engine)
    if actor is None:
        _prompt()
        return None
    if show_sidebar:
        _sidebar(actor, engine)
    return actor
