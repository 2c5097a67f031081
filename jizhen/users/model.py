"""The user account (table app_user) and the login throttle (table login_throttle).

Passwords are hashed with bcrypt (jizhen.users.passwords); the clear password is never stored,
logged or put into an audit row. app_user: migrations 0004_access, 0005_user_worker (the grid
worker an account records visits as). login_throttle: migration 0009_security (see
jizhen.users.login for how it is used).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from grid.access import Actor, Role
from jizhen.errors import Bilingual
from grid.geotypes import UTCDateTime, utcnow
from jizhen.db import version_column
from jizhen.vocabulary import ROLE_LABELS as _ROLE_LABELS

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
HUMAN_ROLES = (Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF,
               Role.AUDITOR, Role.DEPARTMENT)
GRID_ROLES = (Role.GRID_WORKER, Role.GRID_SUPERVISOR)  # scoped to their own grid(s)
ROLE_LABELS = _ROLE_LABELS  # the one role-label table (jizhen.vocabulary)


_user_version = version_column()


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __mapper_args__ = {"version_id_col": _user_version}  # optimistic locking (jizhen.db)
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=64)
    password_hash: str = Field(max_length=100)
    role: str = Field(max_length=32)
    grid_codes: str = Field(default="", max_length=1000)  # comma-separated community grid codes
    # A grid worker's account is linked to the worker it records visits for (migration 0005).
    worker_id: Optional[int] = Field(default=None, foreign_key="grid_worker.id")
    disabled: bool = False
    # A department account's referral scheme (cases.vocabulary.ReferralScheme value; migration
    # 0014_officer_desk); empty for every other role.
    scheme: str = Field(default="", max_length=32)
    # Kept for old scripts: always 0 since 0009_security (failures are counted in login_throttle).
    failed_attempts: int = 0
    # Set when the whole account is locked (every client, see jizhen.users.login); a locked
    # account's open sessions do not resume either.
    locked_until: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_login_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    password_changed_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    version: int = Field(default=1, sa_column=_user_version)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def grid_code_set(self) -> frozenset[str]:
        return frozenset(c for c in (self.grid_codes or "").split(",") if c)


class LoginThrottle(SQLModel, table=True):
    """Failed-login counter of one (username, client) pair; client_key "*" counts every client
    of the username (the account-wide row). Rows exist for unknown usernames too, so a lock says
    nothing about whether an account exists. user_key is the SHA-256 of the name as typed (a
    password typed into the name field is never stored). Updated only by single atomic UPDATE
    statements (jizhen.users.login)."""
    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("user_key", "client_key", name="uq_login_throttle_user_client"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    user_key: str = Field(max_length=64)
    client_key: str = Field(default="", max_length=128)
    failures: int = 0
    window_start: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True,
                                                                            index=True))
    locked_until: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class UserError(Bilingual, ValueError):
    """Invalid user data or operation (zh/en/code: jizhen.errors.Bilingual; ``str()`` is the
    Chinese message as given)."""

    code = "user_error"


def get_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)).all())


def actor_for(user: User) -> Actor:
    """The Actor a logged-in user acts as: grid roles see their grid(s), a department no grid (its
    scheme's referrals only), the others every grid.
    A grid worker also carries the grid_worker id the account is linked to (None: not linked)."""
    role = Role(user.role)
    if role == Role.GRID_WORKER:
        return Actor(username=user.username, role=role, grid_codes=user.grid_code_set,
                     worker_id=None if user.worker_id is None else int(user.worker_id))
    if role in GRID_ROLES:
        return Actor(username=user.username, role=role, grid_codes=user.grid_code_set)
    if role == Role.DEPARTMENT:  # no grid: only the referrals sent to its scheme (cases.referrals)
        return Actor(username=user.username, role=role, grid_codes=frozenset(),
                     scheme=user.scheme or None)
    return Actor(username=user.username, role=role, grid_codes=None)
