"""Users of the product, their roles and grids, password login with lockout.

Passwords are hashed with bcrypt (cost from JIZHEN_BCRYPT_ROUNDS, default 12); the clear password
is never stored, logged or put into an audit row. Table `app_user` (migrations 0004_access, and
0005_user_worker for the grid worker an account records visits as).

Login sessions (table `user_session`, migration 0006_user_session) outlive a browser reload: the
dashboard keeps a random token in a cookie, the database keeps only its SHA-256, an idle expiry
that slides forward on use, and a revoked flag (logout, or an administrator ending sessions).
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

import bcrypt
from sqlalchemy import Column
from sqlmodel import Field, Session, SQLModel, select

from grid.access import Actor, Role
from grid.audit import record
from grid.geotypes import UTCDateTime, utcnow

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
HUMAN_ROLES = (Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF,
               Role.AUDITOR)
GRID_ROLES = (Role.GRID_WORKER, Role.GRID_SUPERVISOR)  # scoped to their own grid(s)
ROLE_LABELS = {
    Role.GRID_WORKER: "网格员",
    Role.GRID_SUPERVISOR: "网格长",
    Role.TOWNSHIP_LEADER: "镇（街道）民政",
    Role.COUNTY_STAFF: "县民政局",
    Role.AUDITOR: "审计",
    Role.SYSTEM: "系统",
}
BAD_CREDENTIALS = "用户名或密码错误（连续 5 次错误将锁定账户 15 分钟）"


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=64)
    password_hash: str = Field(max_length=100)
    role: str = Field(max_length=32)
    grid_codes: str = Field(default="", max_length=1000)  # comma-separated community grid codes
    # A grid worker's account is linked to the worker it records visits for (migration 0005).
    worker_id: Optional[int] = Field(default=None, foreign_key="grid_worker.id")
    disabled: bool = False
    failed_attempts: int = 0
    locked_until: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_login_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    password_changed_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def grid_code_set(self) -> frozenset[str]:
        return frozenset(c for c in (self.grid_codes or "").split(",") if c)


class UserError(ValueError):
    """Invalid user data or operation, with a Chinese message."""


# --- passwords -----------------------------------------------------------------------------------

def _rounds() -> int:
    try:
        return max(4, min(16, int(os.environ.get("JIZHEN_BCRYPT_ROUNDS", "12"))))
    except ValueError:
        return 12


def _prepare(password: str) -> bytes:
    # bcrypt only reads 72 bytes (and bcrypt>=5 refuses longer input): pre-hash long passwords.
    raw = password.encode("utf-8")
    if len(raw) > 72:
        raw = hashlib.sha256(raw).hexdigest().encode("ascii")
    return raw


def hash_password(password: str) -> str:
    return bcrypt.hashpw(_prepare(password), bcrypt.gensalt(_rounds())).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prepare(password), password_hash.encode("ascii"))
    except (ValueError, TypeError):
        return False


_DUMMY_HASH: str | None = None


def _burn_time(password: str) -> None:
    """Spend the time of one bcrypt check so unknown usernames are not told apart by timing."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("jizhen-dummy-password")
    check_password(password, _DUMMY_HASH)


def validate_password(password: str) -> None:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if password.strip() != password:
        raise UserError("密码首尾不能有空格")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise UserError("密码须同时包含字母和数字")


# --- users ---------------------------------------------------------------------------------------

def _parse_role(role: str | Role) -> Role:
    try:
        r = Role(str(role))
    except ValueError:
        raise UserError(f"未知角色：{role}（可选：{', '.join(r.value for r in HUMAN_ROLES)}）") from None
    if r not in HUMAN_ROLES:
        raise UserError(f"角色 {r} 不能分配给用户")
    return r


def _normalise_grids(session: Session, role: Role, grid_codes: Iterable[str] | str | None) -> str:
    from grid.models import CommunityGrid

    if isinstance(grid_codes, str):
        grid_codes = [grid_codes]
    codes = sorted({c.strip() for raw in (grid_codes or []) for c in str(raw).split(",") if c.strip()})
    if role in GRID_ROLES:
        if not codes:
            raise UserError(f"{ROLE_LABELS[role]}必须指定所属网格（--grid）")
        known = set(session.exec(select(CommunityGrid.code).where(CommunityGrid.code.in_(codes))).all())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise UserError(f"网格不存在：{', '.join(unknown)}")
        return ",".join(codes)
    if codes:
        raise UserError(f"{ROLE_LABELS[role]}可查看全部网格，不能指定 --grid")
    return ""


def _public(user: User) -> dict:
    """What goes into the audit log about a user (never the password or its hash)."""
    return {"username": user.username, "role": user.role, "grid_codes": user.grid_codes,
            "disabled": user.disabled, "display_name": user.display_name,
            "worker_id": user.worker_id}


def find_worker_id(session: Session, *, worker_id: int | None = None,
                   worker_phone: str | None = None) -> int | None:
    """The grid_worker id given by id or by phone (None when neither is given)."""
    from grid.models import GridWorker

    if worker_id is None and not worker_phone:
        return None
    if worker_id is not None and worker_phone:
        raise UserError("--worker-id 与 --worker-phone 只能给一个")
    if worker_id is not None:
        if session.get(GridWorker, int(worker_id)) is None:
            raise UserError(f"网格员 {worker_id} 不存在")
        return int(worker_id)
    found = session.exec(select(GridWorker.id).where(GridWorker.phone == worker_phone.strip())).all()
    if not found:
        raise UserError(f"没有电话为 {worker_phone} 的网格员")
    if len(found) > 1:
        raise UserError(f"电话 {worker_phone} 对应多名网格员，请用 --worker-id")
    return int(found[0])


def _check_worker(session: Session, role: Role, grid_codes: str, worker_id: int | None,
                  username: str) -> int | None:
    """A worker link is for grid workers only, to an active worker of one of the user's grids,
    and to no other account."""
    from grid.models import CommunityGrid, GridWorker

    if worker_id is None:
        return None
    if role != Role.GRID_WORKER:
        raise UserError(f"只有网格员账号可以关联网格员（当前角色：{ROLE_LABELS[role]}）")
    row = session.exec(select(GridWorker, CommunityGrid.code)
                       .join(CommunityGrid, GridWorker.grid_id == CommunityGrid.id)
                       .where(GridWorker.id == worker_id)).first()
    if row is None or not row[0].active:
        raise UserError(f"网格员 {worker_id} 不存在或已停用")
    if row[1] not in grid_codes.split(","):
        raise UserError(f"网格员 {worker_id} 属于网格 {row[1]}，不在该账号的网格 {grid_codes} 内")
    other = session.exec(select(User.username).where(User.worker_id == worker_id,
                                                     User.username != username)).first()
    if other is not None:
        raise UserError(f"网格员 {worker_id} 已关联账号 {other}")
    return int(worker_id)


def get_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)).all())


def add_user(session: Session, *, username: str, password: str, role: str | Role,
             grid_codes: Iterable[str] | str | None = None, display_name: str = "",
             worker_id: int | None = None, actor: Actor | None = None) -> User:
    """Create a user; raises UserError (Chinese message) on bad input or a duplicate username.
    `worker_id` links a grid worker's account to its grid_worker row (see find_worker_id)."""
    from grid.access import SYSTEM

    actor = actor or SYSTEM
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise UserError("用户名须为 2–64 位字母、数字、下划线、点或连字符")
    r = _parse_role(role)
    validate_password(password)
    if get_user(session, username) is not None:
        raise UserError(f"用户 {username} 已存在")
    now = utcnow()
    grids = _normalise_grids(session, r, grid_codes)
    worker_id = _check_worker(session, r, grids, worker_id, username)
    user = User(username=username, display_name=display_name or "", password_hash=hash_password(password),
                role=r.value, grid_codes=grids, worker_id=worker_id,
                password_changed_at=now, created_at=now)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.add", entity="user", entity_id=user.id,
           before=None, after=_public(user), reason="新增用户")
    return user


def _require_user(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise UserError(f"用户 {username} 不存在")
    return user


def set_password(session: Session, username: str, password: str, *, actor: Actor | None = None) -> User:
    """New password; also clears the failure counter and any lockout."""
    from grid.access import SYSTEM

    validate_password(password)
    user = _require_user(session, username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_attempts = 0
    user.locked_until = None
    user.version += 1
    session.add(user)
    session.flush()
    from grid.user_sessions import revoke_user_sessions

    revoke_user_sessions(session, user.username)  # a new password logs out every browser
    record(session, actor=actor or SYSTEM, action="user.passwd", entity="user", entity_id=user.id,
           before=None, after={"username": user.username}, reason="修改密码")
    return user


def disable_user(session: Session, username: str, *, actor: Actor | None = None,
                 disabled: bool = True, reason: str = "") -> User:
    from grid.access import SYSTEM

    user = _require_user(session, username)
    before = _public(user)
    user.disabled = disabled
    user.version += 1
    session.add(user)
    session.flush()
    if disabled:  # a disabled account's open browser sessions end now, not at their next click
        from grid.user_sessions import revoke_user_sessions

        revoke_user_sessions(session, user.username)
    record(session, actor=actor or SYSTEM, action="user.disable" if disabled else "user.enable",
           entity="user", entity_id=user.id, before=before, after=_public(user),
           reason=reason or ("停用用户" if disabled else "启用用户"))
    return user


def set_role(session: Session, username: str, role: str | Role,
             grid_codes: Iterable[str] | str | None = None, *, actor: Actor | None = None) -> User:
    from grid.access import SYSTEM

    user = _require_user(session, username)
    before = _public(user)
    r = _parse_role(role)
    user.role = r.value
    user.grid_codes = _normalise_grids(session, r, grid_codes)
    user.version += 1
    session.add(user)
    session.flush()
    record(session, actor=actor or SYSTEM, action="user.role", entity="user", entity_id=user.id,
           before=before, after=_public(user), reason="变更角色或网格")
    return user


def set_worker(session: Session, username: str, worker_id: int | None, *,
               actor: Actor | None = None) -> User:
    """Link (or with None unlink) a grid worker's account to its grid_worker row."""
    from grid.access import SYSTEM

    user = _require_user(session, username)
    before = _public(user)
    user.worker_id = _check_worker(session, Role(user.role), user.grid_codes, worker_id, username)
    user.version += 1
    session.add(user)
    session.flush()
    record(session, actor=actor or SYSTEM, action="user.worker", entity="user", entity_id=user.id,
           before=before, after=_public(user), reason="关联网格员")
    return user


def linked_worker_id(engine, username: str) -> int | None:
    """The grid_worker id an enabled account records visits as (None: not linked)."""
    from grid.db import session_scope

    with session_scope(engine) as session:
        user = get_user(session, username)
        return None if user is None or user.disabled else user.worker_id


def actor_for(user: User) -> Actor:
    """The Actor a logged-in user acts as: grid roles see their grid(s), the others every grid.
    A grid worker also carries the grid_worker id the account is linked to (None: not linked)."""
    role = Role(user.role)
    if role == Role.GRID_WORKER:
        return Actor(username=user.username, role=role, grid_codes=user.grid_code_set,
                     worker_id=None if user.worker_id is None else int(user.worker_id))
    if role in GRID_ROLES:
        return Actor(username=user.username, role=role, grid_codes=user.grid_code_set)
    return Actor(username=user.username, role=role, grid_codes=None)


# --- login ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuthResult:
    ok: bool
    message: str
    actor: Actor | None = None
    locked_until: datetime | None = None


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 59) // 60)


def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> AuthResult:
    """Check a login. Never raises for a wrong password: returns AuthResult(ok=False, message).

    After MAX_FAILED_ATTEMPTS consecutive failures the account is locked for LOCKOUT (even the
    right password is refused until then). The caller's transaction must be committed so that the
    failure counter is kept (use grid.db.session_scope). Unknown users get the same message as a
    wrong password, after the same bcrypt time.
    """
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    username = (username or "").strip()
    user = get_user(session, username) if username else None
    if user is None:
        _burn_time(password or "")
        return AuthResult(False, BAD_CREDENTIALS)
    if user.locked_until is not None and user.locked_until > now:
        _burn_time(password or "")
        return AuthResult(False, f"连续 {MAX_FAILED_ATTEMPTS} 次密码错误，账户已锁定，请 "
                                 f"{_minutes_left(user.locked_until, now)} 分钟后再试，或联系管理员重置密码",
                          locked_until=user.locked_until)
    if not check_password(password or "", user.password_hash):
        user.failed_attempts += 1
        left = MAX_FAILED_ATTEMPTS - user.failed_attempts
        if left <= 0:
            user.locked_until = now + LOCKOUT
            user.failed_attempts = 0
            session.add(user)
            record(session, actor=actor_for(user), action="user.locked", entity="user",
                   entity_id=user.id, before=None, after={"locked_until": user.locked_until},
                   reason=f"连续 {MAX_FAILED_ATTEMPTS} 次密码错误")
            session.flush()
            return AuthResult(False, f"连续 {MAX_FAILED_ATTEMPTS} 次密码错误，账户已锁定 "
                                     f"{int(LOCKOUT.total_seconds() // 60)} 分钟",
                              locked_until=user.locked_until)
        session.add(user)
        session.flush()
        # Same message as an unknown username: no hint whether the account exists.
        return AuthResult(False, BAD_CREDENTIALS)
    if user.disabled:
        return AuthResult(False, "账户已停用，请联系管理员")
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    record(session, actor=actor_for(user), action="user.login", entity="user", entity_id=user.id,
           before=None, after=None, reason="登录")
    session.flush()
    return AuthResult(True, "登录成功", actor=actor_for(user))


def login(engine, username: str, password: str, now: datetime | None = None) -> AuthResult:
    """authenticate() in its own committed transaction (what the dashboard calls)."""
    from grid.db import session_scope

    with session_scope(engine) as session:
        return authenticate(session, username, password, now)


def active_actor(engine, username: str) -> Actor | None:
    """The Actor for `username` if the account still exists, is enabled and not locked."""
    from grid.db import session_scope

    with session_scope(engine) as session:
        user = get_user(session, username)
        if user is None or user.disabled:
            return None
        return actor_for(user)


# --- demo ----------------------------------------------------------------------------------------

DEMO_USERS = (
    ("wangge", Role.GRID_WORKER),
    ("wanggezhang", Role.GRID_SUPERVISOR),
    ("zhenmingzheng", Role.TOWNSHIP_LEADER),
    ("xianminzheng", Role.COUNTY_STAFF),
    ("shenji", Role.AUDITOR),
)


def demo_password(username: str, seed: int) -> str:
    """Reproducible demo password (the same seed gives the same logins); printed, never stored."""
    digest = hashlib.sha256(f"jizhen-demo:{seed}:{username}".encode()).hexdigest()
    return f"Jz{digest[:8]}"


def demo_credentials(session: Session, *, seed: int) -> list[dict]:
    """One login per role; the grid worker's is linked to the first active worker of the first grid."""
    from grid.models import CommunityGrid, GridWorker

    first = session.exec(select(CommunityGrid.code).order_by(CommunityGrid.code)).first()
    worker = session.exec(select(GridWorker.id).join(CommunityGrid, GridWorker.grid_id == CommunityGrid.id)
                          .where(CommunityGrid.code == first, GridWorker.active)
                          .order_by(GridWorker.id)).first() if first else None
    rows = []
    for username, role in DEMO_USERS:
        rows.append({"username": username, "password": demo_password(username, seed), "role": role.value,
                     "label": ROLE_LABELS[role], "grids": first if role in GRID_ROLES and first else "",
                     "worker_id": worker if role == Role.GRID_WORKER else None})
    return rows


def demo_step(session: Session, *, today: date, seed: int, echo=None) -> list[dict]:
    """Create one user per role (skips existing usernames) and print how to log in."""
    rows = demo_credentials(session, seed=seed)
    created = []
    for row in rows:
        if get_user(session, row["username"]) is not None:
            continue
        if row["role"] in (r.value for r in GRID_ROLES) and not row["grids"]:
            continue  # no grids in this database
        add_user(session, username=row["username"], password=row["password"], role=row["role"],
                 grid_codes=row["grids"] or None, display_name=f"演示{row['label']}",
                 worker_id=row["worker_id"])
        created.append(row)
    if echo is None:
        import click

        echo = click.echo
    if created:
        echo("演示账号（密码只显示这一次，库中只存哈希）：")
        echo(f"  {'用户名':<14}{'密码':<12}{'角色':<18}网格")
        for row in created:
            echo(f"  {row['username']:<16}{row['password']:<14}{row['role']:<18}{row['grids'] or '全部'}")
    return created
