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

import html
from datetime import datetime, timedelta

import streamlit as st

from dashboard.texts import TEXTS, t
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
    the gateway refuses and expires at the next page load. ``message``: a dashboard.texts key
    (shown in the page's language; its Chinese text is the audit reason) or a text."""
    token = st.session_state.pop(TOKEN_KEY, None)
    st.session_state.pop(SESSION_KEY, None)
    if message:
        st.session_state[NOTICE_KEY] = message
    if token:
        st.session_state[DEAD_COOKIE_KEY] = token_hash_of(token)
        from grid.db import session_scope
        from grid.user_sessions import revoke_session

        with session_scope(engine or _default_engine()) as session:
            reason = t(message, "zh") if message in TEXTS else message
            revoke_session(session, token, reason=reason or "退出登录")


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
def _form(method: str, action: str, label: str, css: str, hidden: dict[str, str] | None = None) -> str:
    fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in (hidden or {}).items())
    return (f'<form method="{method}" action="{html.escape(action)}" class="{css}">{fields}'
            f'<button type="submit" style="{_BUTTON_STYLE}">{html.escape(label)}</button></form>')


def logout_form(lang: str = "zh") -> str:
    return _form("post", LOGOUT_PATH, t("auth.logout", lang), "jizhen-logout")


def login_form(lang: str = "zh") -> str:
    """The way to the gateway's login page, in the page's language (its form then in English too)."""
    return _form("get", LOGIN_PATH, t("auth.to_login", lang), "jizhen-login",
                 {"lang": "en"} if lang == "en" else None)


LOGOUT_FORM = logout_form("zh")
LOGIN_FORM = login_form("zh")


def _lang() -> str:
    from dashboard.state import lang

    return lang()


def _sidebar(actor: Actor, engine=None) -> None:
    from dashboard.plain_text import plain
    from jizhen.vocabulary import role_label

    lang = _lang()
    with st.sidebar:
        sep = "、" if lang == "zh" else ", "
        grids = (t("auth.all_grids", lang) if actor.grid_codes is None
                 else sep.join(sorted(actor.grid_codes)) or t("auth.no_grids", lang))
        st.caption(plain(t("auth.actor", lang, user=actor.username, role=role_label(actor.role, lang),
                           grids=grids)))
        # A plain form: the gateway revokes the session and expires the HttpOnly cookie.
        st.markdown(logout_form(lang), unsafe_allow_html=True)


def _prompt() -> None:
    """Logged out inside the app (the session ended while the page was open): say why and lead
    to the gateway's login page. No form here: only the gateway can set the HttpOnly cookie."""
    lang = _lang()
    st.title(t("app.title", lang))
    st.subheader(t("auth.login", lang))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(t(notice, lang) if notice in TEXTS else notice)
    st.write(t("auth.prompt", lang))
    st.markdown(login_form(lang), unsafe_allow_html=True)


def authenticate(engine=None) -> Actor | None:
    """Who is logged in, checked against the database, without drawing: the session token (from
    session_state, or the HttpOnly cookie the gateway set) is resumed — revoked, expired, a
    disabled or locked account: None, and the login here ends. The idle expiry slides."""
    from grid.users import active_actor

    engine = engine or _default_engine()
    now = _now()
    auth = st.session_state.get(SESSION_KEY)
    if auth is not None and auth["expires_at"] <= now:
        logout("auth.timed_out", engine)
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
        logout("auth.ended" if auth is None else "auth.blocked", engine)
    elif auth is not None:
        # A session put here by server code without a token (tests' and benchmarks' session_for).
        actor = active_actor(engine, auth["username"])
        if actor is not None:
            _store(actor, now)
            return actor
        logout("auth.gone", engine)
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
