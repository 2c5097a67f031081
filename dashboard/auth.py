"""Login in front of every page.

    from dashboard.auth import login_gate
    actor = login_gate()          # renders the login form when nobody is logged in
    if actor is None:
        st.stop()

app.py calls it once before st.navigation (so no page runs logged out); pages may call it again
(cheap: no form is drawn when the session is valid). The session lives in st.session_state with
an idle expiry of settings.session_minutes; the account is re-checked on every run, so a disabled
user is thrown out at the next click. The password is never kept in session_state.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from grid.access import Actor, Role

SESSION_KEY = "jizhen_auth"
NOTICE_KEY = "jizhen_auth_notice"


@st.cache_resource(show_spinner=False)
def _engine_for(url: str):
    from grid.db import make_engine

    return make_engine(url)


def _default_engine():
    from grid.config import get_settings

    return _engine_for(get_settings().database_url)


def _now() -> datetime:
    from grid.geotypes import utcnow

    return utcnow()


def _session_minutes() -> int:
    from grid.config import get_settings

    return max(1, get_settings().session_minutes)


def current_actor(engine=None, *, check_db: bool = True) -> Actor | None:
    """The logged-in Actor from session_state, without drawing anything (None when logged out,
    expired, or — with check_db — when the account was disabled or deleted since login). Pages use
    this (through dashboard.state.current_actor); app.py draws the form with login_gate()."""
    auth = st.session_state.get(SESSION_KEY)
    if not auth or auth["expires_at"] <= _now():
        if auth:
            logout("登录已超时，请重新登录")
        return None
    if check_db:
        from grid.users import active_actor

        actor = active_actor(engine or _default_engine(), auth["username"])
        if actor is None:
            logout("账户已停用或不存在，请联系管理员")
        return actor
    return Actor(username=auth["username"], role=Role(auth["role"]),
                 grid_codes=None if auth["grid_codes"] is None else frozenset(auth["grid_codes"]))


def logout(message: str = "") -> None:
    st.session_state.pop(SESSION_KEY, None)
    if message:
        st.session_state[NOTICE_KEY] = message


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


def _sidebar(actor: Actor) -> None:
    from grid.users import ROLE_LABELS

    with st.sidebar:
        grids = "全部网格" if actor.grid_codes is None else "、".join(sorted(actor.grid_codes)) or "无"
        st.caption(f"当前用户：{actor.username}（{ROLE_LABELS.get(Role(actor.role), actor.role)}，{grids}）")
        if st.button("退出登录", key="jizhen_logout"):
            logout("已退出登录")
            st.rerun()


def _form(engine) -> None:
    from grid.users import login

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
        st.caption("请使用管理员分配的账号登录。连续 5 次密码错误将锁定 15 分钟。")
        return
    if not username or not password:
        st.error("请输入用户名和密码")
        return
    result = login(engine, username, password)
    del password
    if not result.ok:
        st.error(result.message)
        return
    _store(result.actor, _now())
    st.rerun()


def login_gate(engine=None, *, show_sidebar: bool = True) -> Actor | None:
    """The Actor of a valid session, or None after drawing the login form (caller then st.stop())."""
    from grid.users import active_actor

    engine = engine or _default_engine()
    now = _now()
    auth = st.session_state.get(SESSION_KEY)
    if auth is not None:
        if auth["expires_at"] <= now:
            logout("登录已超时，请重新登录")
        else:
            actor = active_actor(engine, auth["username"])
            if actor is None:
                logout("账户已停用或不存在，请联系管理员")
            else:
                _store(actor, now)  # sliding expiry; role/grid changes apply at once
                if show_sidebar:
                    _sidebar(actor)
                return actor
    _form(engine)
    return None
