"""Server-side login sessions (the dashboard's cookie): open, resume with a sliding expiry, and the
cases that end a session — expiry, logout (revoked), a disabled or locked account. The token is
stored only as its SHA-256."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlmodel import select

from grid.audit import AuditEntry
from grid.db import session_scope
from grid.user_sessions import (UserSession, open_session, resume_session, revoke_session,
                                revoke_user_sessions)
from grid.users import add_user, disable_user

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
PASSWORD = "Sessiontest1"


def _user(engine, username="s_staff"):
    with session_scope(engine) as s:
        add_user(s, username=username, password=PASSWORD, role="county_staff")


def _open(engine, username="s_staff", now=NOW, minutes=30) -> str:
    from grid.users import get_user

    with session_scope(engine) as s:
        return open_session(s, get_user(s, username), now, minutes)


def _resume(engine, token, now, minutes=30):
    with session_scope(engine) as s:
        user = resume_session(s, token, now, minutes)
        return None if user is None else user.username


def _expires(engine, token) -> datetime:
    digest = hashlib.sha256(token.encode()).hexdigest()
    with session_scope(engine) as s:
        return s.exec(select(UserSession.expires_at).where(UserSession.token_hash == digest)).one()


def test_open_then_resume_slides_the_expiry(engine):
    _user(engine)
    token = _open(engine)
    assert len(token) >= 40
    assert _expires(engine, token) == NOW + timedelta(minutes=30)
    later = NOW + timedelta(minutes=20)
    assert _resume(engine, token, later) == "s_staff"
    expires = _expires(engine, token)
    assert expires == later + timedelta(minutes=30)
    assert expires.tzinfo is not None
    # 45 minutes after login, but only 25 after the last use: still valid (idle expiry).
    assert _resume(engine, token, NOW + timedelta(minutes=45)) == "s_staff"


def test_expired_session_is_refused(engine):
    _user(engine)
    token = _open(engine)
    assert _resume(engine, token, NOW + timedelta(minutes=30)) is None
    assert _resume(engine, token, NOW + timedelta(minutes=31)) is None


def test_revoked_session_is_refused_and_logout_is_audited(engine):
    _user(engine)
    token = _open(engine)
    with session_scope(engine) as s:
        assert revoke_session(s, token) is True
    with session_scope(engine) as s:
        assert revoke_session(s, token) is False  # already revoked
    assert _resume(engine, token, NOW + timedelta(minutes=1)) is None
    with session_scope(engine) as s:
        actions = s.exec(select(AuditEntry.action).where(AuditEntry.actor == "s_staff")).all()
    assert "user.logout" in actions


def test_disabled_or_locked_or_deleted_user_is_refused(engine):
    from grid.users import get_user

    _user(engine)
    _user(engine, "s_locked")
    token = _open(engine)
    locked = _open(engine, "s_locked")
    with session_scope(engine) as s:
        disable_user(s, "s_staff")
        get_user(s, "s_locked").locked_until = NOW + timedelta(minutes=15)
    assert _resume(engine, token, NOW + timedelta(minutes=1)) is None
    assert _resume(engine, locked, NOW + timedelta(minutes=1)) is None
    assert _resume(engine, locked, NOW + timedelta(minutes=16)) == "s_locked"  # lock over
    with session_scope(engine) as s:
        disable_user(s, "s_staff", disabled=False)
    # Disabling ended the session for good: re-enabling the account does not bring it back.
    assert _resume(engine, token, NOW + timedelta(minutes=2)) is None
    fresh = _open(engine)
    assert _resume(engine, fresh, NOW + timedelta(minutes=2)) == "s_staff"
    with session_scope(engine) as s:
        assert revoke_user_sessions(s, "s_staff") == 1
    assert _resume(engine, fresh, NOW + timedelta(minutes=3)) is None
    # a session of a username that does not exist
    with session_scope(engine) as s:
        ghost = open_session(s, "s_ghost_never_created", NOW, 30)
    assert _resume(engine, ghost, NOW + timedelta(minutes=1)) is None


def test_unknown_or_garbage_tokens_are_refused(engine):
    _user(engine)
    _open(engine)
    for token in (None, "", "x", "a" * 5000, "不是令牌"):
        assert _resume(engine, token, NOW) is None
    with session_scope(engine) as s:
        assert revoke_session(s, "nope") is False


def test_token_is_stored_only_as_its_sha256(engine):
    _user(engine)
    token = _open(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM user_session")).all()
        audit = conn.execute(text("SELECT * FROM audit_entry")).all()
    assert len(rows) == 1
    assert token not in repr(rows) and token not in repr(audit)
    assert rows[0]._mapping["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    # tokens differ per login
    assert _open(engine) != token


def test_disabling_or_a_new_password_ends_open_sessions(engine):
    from datetime import datetime, timezone

    from grid.db import session_scope
    from grid.users import get_user, set_password

    now = datetime(2026, 11, 29, 8, tzinfo=timezone.utc)
    with session_scope(engine) as s:
        add_user(s, username="sun", password="Sunpass2026", role="auditor")
        add_user(s, username="zhou", password="Zhoupass2026", role="auditor")
        t_sun = open_session(s, get_user(s, "sun"), now, 30)
        t_zhou = open_session(s, get_user(s, "zhou"), now, 30)
    with session_scope(engine) as s:
        disable_user(s, "sun")
        set_password(s, "zhou", "Zhounew20261")
    with session_scope(engine) as s:
        rows = {r.username: r.revoked for r in s.exec(select(UserSession)).all()}
        assert rows == {"sun": True, "zhou": True}
        assert resume_session(s, t_sun, now, 30) is None
        assert resume_session(s, t_zhou, now, 30) is None
