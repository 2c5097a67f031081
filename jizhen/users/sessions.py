"""Login sessions behind the dashboard's cookie: server-side, revocable, idle-expiring."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import Column
from sqlmodel import Field, Session, SQLModel, select

from grid.access import Actor
from grid.audit import record
from grid.geotypes import UTCDateTime, utcnow
from jizhen.users.model import User, actor_for, get_user


class UserSession(SQLModel, table=True):
    """A server-side login session; the browser holds the token, the table only its SHA-256."""
    __tablename__ = "user_session"
    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    username: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked: bool = False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def open_session(session: Session, user: User | Actor | str, now: datetime, minutes: int) -> str:
    """A new session for `user` (a User, an Actor or a username) idle-expiring after `minutes`;
    returns the token for the cookie. Only its SHA-256 is stored."""
    now = _aware(now)
    username = user if isinstance(user, str) else user.username
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=token_hash(token), username=username, created_at=now,
                            expires_at=now + timedelta(minutes=max(1, minutes))))
    session.flush()
    return token


def _session_row(session: Session, token: str | None) -> UserSession | None:
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    return session.exec(select(UserSession).where(UserSession.token_hash == token_hash(token))).first()


def resume_session(session: Session, token: str | None, now: datetime, minutes: int) -> User | None:
    """The user of a valid session (not revoked, not expired, account present, enabled and not
    locked), sliding its expiry to now + minutes; None otherwise (the session is then useless)."""
    now = _aware(now)
    row = _session_row(session, token)
    if row is None or row.revoked or row.expires_at <= now:
        return None
    user = get_user(session, row.username)
    if user is None or user.disabled or (user.locked_until is not None and user.locked_until > now):
        return None
    row.expires_at = now + timedelta(minutes=max(1, minutes))
    session.add(row)
    session.flush()
    return user


def revoke_session(session: Session, token: str | None, *, reason: str = "退出登录") -> bool:
    """End a session (logout); audited as user.logout. False when the token is unknown or was
    already revoked."""
    row = _session_row(session, token)
    if row is None or row.revoked:
        return False
    row.revoked = True
    session.add(row)
    session.flush()
    user = get_user(session, row.username)
    if user is not None:
        record(session, actor=actor_for(user), action="user.logout", entity="user", entity_id=user.id,
               before=None, after=None, reason=reason)
    return True


def revoke_user_sessions(session: Session, username: str) -> int:
    """Revoke every open session of `username` (e.g. after disabling the account)."""
    rows = session.exec(select(UserSession).where(UserSession.username == username,
                                                  UserSession.revoked == False)).all()  # noqa: E712
    for row in rows:
        row.revoked = True
        session.add(row)
    session.flush()
    return len(rows)
