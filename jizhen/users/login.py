"""Password login with throttling that parallel attempts cannot bypass and nobody can abuse to
lock someone else out.

Design (issue 10):

* Failures are counted per (username, client) — the client is what the caller can name, e.g. the
  dashboard's remote address; scripts and the CLI pass none and share the key "" — and, at a much
  higher threshold, per username over all clients (the account-wide row "*"):
  - MAX_FAILED_ATTEMPTS (5) failures from one client within CLIENT_WINDOW lock that client out of
    that username for LOCKOUT (15 minutes). Someone guessing from another machine cannot lock
    the real user out: their own client is the one that stops.
  - ACCOUNT_MAX_FAILED (50) failures from all clients within ACCOUNT_WINDOW (1 hour) lock the
    account for everyone for ACCOUNT_LOCKOUT. One client can fail at most 5 times per 15 minutes
    (20 an hour), so this needs a guessing campaign from several machines; it caps what such a
    campaign can try (50 an hour) instead of letting it run, and it is what shows on the account
    (app_user.locked_until, `jizhen user list`; its open sessions stop until the lock ends).
* Every attempt is counted in the database BEFORE its password is checked: one atomic
  `UPDATE … SET failures = failures + 1 … RETURNING failures` per row (SQLite and PostgreSQL),
  refused while the row is locked. The count it returns decides: above the limit, the attempt
  is refused without running bcrypt and the row is locked. A wrong password then locks the row
  when the database value has reached the limit (a conditional UPDATE, so exactly one attempt
  fires and audits the lock). A right password takes back its own count and the failures counted
  before it (the "consecutive failures" rule). Ten parallel attempts, nine wrong, therefore end
  locked in every interleaving, and parallel guesses past the limit are never checked.
  login() commits the count before running bcrypt, so attempts do not wait on each other;
  authenticate() does all of it in the caller's transaction.
* Unknown usernames are counted and locked the same way, get the same message and spend the same
  bcrypt time (a dummy hash), so neither the messages nor the timing tell whether an account
  exists. Every failed login and every lock is audited (user.login_failed, user.locked); for
  an unknown name the audit row keeps only a hash prefix of what was typed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, literal, or_, update
from sqlmodel import Session

from grid.access import Actor
from grid.audit import record
from grid.geotypes import UTCDateTime, utcnow
from jizhen.users.model import LoginThrottle, User, actor_for, get_user
from jizhen.users.passwords import burn_time, check_password

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
CLIENT_WINDOW = LOCKOUT
ACCOUNT_MAX_FAILED = 50
ACCOUNT_WINDOW = timedelta(hours=1)
ACCOUNT_LOCKOUT = timedelta(minutes=15)
ALL_CLIENTS = "*"
UNKNOWN_CLIENT = ""

BAD_CREDENTIALS = (f"用户名或密码错误（连续 {MAX_FAILED_ATTEMPTS} 次错误将锁定 "
                   f"{int(LOCKOUT.total_seconds() // 60)} 分钟）")
LOCKED_NOW = (f"连续 {MAX_FAILED_ATTEMPTS} 次登录失败，已锁定 {int(LOCKOUT.total_seconds() // 60)} 分钟，"
              f"请稍后再试，或联系管理员重置密码")
DISABLED = "账户已停用，请联系管理员"
LOGIN_HINT = (f"请使用管理员分配的账号登录。连续 {MAX_FAILED_ATTEMPTS} 次密码错误将锁定 "
              f"{int(LOCKOUT.total_seconds() // 60)} 分钟。")


def locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return f"登录失败次数过多，已锁定，请 {minutes} 分钟后再试，或联系管理员重置密码"


@dataclass(frozen=True)
class AuthResult:
    ok: bool
    message: str
    actor: Actor | None = None
    locked_until: datetime | None = None


def user_key(username: str) -> str:
    """The throttle key of a typed username (its SHA-256; the name itself is not stored)."""
    return hashlib.sha256((username or "").strip().encode("utf-8")).hexdigest()


def client_key(client: str | None) -> str:
    key = str(client or "").strip()[:128]
    return "?*" if key == ALL_CLIENTS else key


# --- the counters (one atomic statement each) ------------------------------------------------------

_T = LoginThrottle.__table__


def _at(value: datetime):
    return literal(value, UTCDateTime())


def purge_throttle(session: Session, now: datetime) -> int:
    """Forget rows whose window and lock are over (they would start again at 1 anyway)."""
    oldest = now - max(ACCOUNT_WINDOW, CLIENT_WINDOW)
    return session.execute(delete(_T).where(
        _T.c.window_start < oldest, or_(_T.c.locked_until.is_(None), _T.c.locked_until <= now))).rowcount or 0


def _ensure_rows(session: Session, ukey: str, keys: tuple[str, ...], now: datetime) -> None:
    """Make sure the rows exist (INSERT … ON CONFLICT DO NOTHING: safe under concurrency)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows = [{"user_key": ukey, "client_key": k, "failures": 0} for k in keys]
    session.execute(insert(_T).values(rows).on_conflict_do_nothing(index_elements=["user_key", "client_key"]))


def _count(session: Session, ukey: str, ckey: str, now: datetime, window: timedelta) -> int | None:
    """Count one attempt on the row unless it is locked; the new count, or None when locked.
    A row whose window or lock has run out starts again at 1."""
    stale = or_(_T.c.window_start.is_(None), _T.c.window_start <= now - window,
                and_(_T.c.locked_until.is_not(None), _T.c.locked_until <= now))
    row = session.execute(
        update(_T)
        .where(_T.c.user_key == ukey, _T.c.client_key == ckey,
               or_(_T.c.locked_until.is_(None), _T.c.locked_until <= now))
        .values(failures=case((stale, 1), else_=_T.c.failures + 1),
                window_start=case((stale, _at(now)), else_=_T.c.window_start),
                locked_until=None)
        .returning(_T.c.failures)).first()
    return None if row is None else int(row[0])


def _lock_if_over(session: Session, ukey: str, ckey: str, now: datetime, limit: int,
                  lockout: timedelta) -> datetime | None:
    """Lock the row when the database count has reached `limit` and it is not locked yet; the
    lock's end when THIS call set it (exactly one caller fires each lock), else None."""
    row = session.execute(
        update(_T)
        .where(_T.c.user_key == ukey, _T.c.client_key == ckey, _T.c.failures >= limit,
               or_(_T.c.locked_until.is_(None), _T.c.locked_until <= now))
        .values(locked_until=_at(now + lockout))
        .returning(_T.c.locked_until)).first()
    return None if row is None else now + lockout


def _current_lock(session: Session, ukey: str, keys: tuple[str, ...], now: datetime) -> datetime | None:
    from sqlalchemy import select

    ends = session.execute(select(_T.c.locked_until).where(
        _T.c.user_key == ukey, _T.c.client_key.in_(keys), _T.c.locked_until > now)).scalars().all()
    return max(ends) if ends else None


def _take_back(session: Session, ukey: str, ckey: str, amount: int) -> None:
    session.execute(update(_T).where(_T.c.user_key == ukey, _T.c.client_key == ckey)
                    .values(failures=case((_T.c.failures > amount, _T.c.failures - amount), else_=0)))


def clear_throttle(session: Session, username: str) -> int:
    """Forget every failure and lock of `username` (all clients): a new password unlocks."""
    return session.execute(delete(_T).where(_T.c.user_key == user_key(username))).rowcount or 0


# --- audit -----------------------------------------------------------------------------------------

def _who(username: str, user: User | None) -> str:
    """The name an audit row shows: the account's, or for an unknown name a hash prefix (what was
    typed may be a password typed into the wrong field)."""
    return user.username if user is not None else f"未知用户名#{user_key(username)[:12]}"


def _audit(session: Session, action: str, username: str, user: User | None, client: str,
           reason: str, **extra) -> None:
    from grid.access import SYSTEM

    after = {"username": _who(username, user), "client": client or "未知", **extra}
    record(session, actor=SYSTEM, action=action, entity="user",
           entity_id="" if user is None else user.id, before=None, after=after, reason=reason)


# --- the two steps of a login ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Ticket:
    """What the first step found: refused (message set) or counted (seen = this attempt's count)."""
    refused: AuthResult | None
    seen: int = 0
    user_id: int | None = None
    password_hash: str | None = None


def _refuse(session: Session, username: str, user: User | None, ckey: str, now: datetime,
            until: datetime | None) -> _Ticket:
    """Refused without checking the password (a lock holds): audited, the same message for every
    name."""
    until = until or now + LOCKOUT
    _audit(session, "user.login_failed", username, user, ckey, "登录失败：已锁定，未校验密码")
    return _Ticket(AuthResult(False, locked_message(until, now), locked_until=until))


def _begin(session: Session, username: str, ckey: str, now: datetime) -> _Ticket:
    ukey = user_key(username)
    _ensure_rows(session, ukey, (ckey, ALL_CLIENTS), now)
    user = get_user(session, username) if username else None
    if user is not None and user.locked_until is not None and user.locked_until > now:
        return _refuse(session, username, user, ckey, now, user.locked_until)
    seen = _count(session, ukey, ckey, now, CLIENT_WINDOW)
    if seen is None:  # this client is locked out of this username
        return _refuse(session, username, user, ckey, now, _current_lock(session, ukey, (ckey,), now))
    if _count(session, ukey, ALL_CLIENTS, now, ACCOUNT_WINDOW) is None:  # the account is locked
        _take_back(session, ukey, ckey, 1)  # not checked: not this client's failure
        return _refuse(session, username, user, ckey, now,
                       _current_lock(session, ukey, (ALL_CLIENTS,), now))
    if seen > MAX_FAILED_ATTEMPTS:  # parallel attempts past the limit: refused unchecked
        fired = _lock_if_over(session, ukey, ckey, now, MAX_FAILED_ATTEMPTS, LOCKOUT)
        if fired is not None:
            _audit(session, "user.locked", username, user, ckey,
                   f"{MAX_FAILED_ATTEMPTS} 次以上登录尝试（并发），锁定该来源", scope="client",
                   locked_until=fired)
        return _refuse(session, username, user, ckey, now, _current_lock(session, ukey, (ckey,), now))
    return _Ticket(None, seen=seen, user_id=None if user is None else user.id,
                   password_hash=None if user is None else user.password_hash)


def _finish(session: Session, username: str, ckey: str, now: datetime, ticket: _Ticket,
            password_ok: bool) -> AuthResult:
    ukey = user_key(username)
    user = session.get(User, ticket.user_id) if ticket.user_id is not None else None
    if not password_ok or user is None:
        # Lock order, the same in every login transaction: throttle rows (client, then "*"), then
        # the app_user row, then the audit chain (PostgreSQL would otherwise deadlock).
        fired = _lock_if_over(session, ukey, ckey, now, MAX_FAILED_ATTEMPTS, LOCKOUT)
        account = _lock_if_over(session, ukey, ALL_CLIENTS, now, ACCOUNT_MAX_FAILED, ACCOUNT_LOCKOUT)
        if account is not None and user is not None:
            user.locked_until = account
            session.add(user)
        session.flush()
        _audit(session, "user.login_failed", username, user, ckey, "登录失败：用户名或密码错误",
               failures=ticket.seen)
        if fired is not None:
            _audit(session, "user.locked", username, user, ckey,
                   f"连续 {MAX_FAILED_ATTEMPTS} 次登录失败，锁定该来源", scope="client", locked_until=fired)
        if account is not None:
            _audit(session, "user.locked", username, user, ckey,
                   f"{int(ACCOUNT_WINDOW.total_seconds() // 3600)} 小时内 {ACCOUNT_MAX_FAILED} 次登录失败，锁定账户",
                   scope="account", locked_until=account)
        session.flush()
        until = fired or account
        if until is not None:
            return AuthResult(False, LOCKED_NOW, locked_until=until)
        return AuthResult(False, BAD_CREDENTIALS)  # the same for an unknown username
    # The right password: take back this attempt and the failures counted before it.
    _take_back(session, ukey, ckey, ticket.seen)
    _take_back(session, ukey, ALL_CLIENTS, 1)
    if user.disabled:
        session.flush()
        return AuthResult(False, DISABLED)
    user.failed_attempts = 0
    if user.locked_until is not None and user.locked_until <= now:
        user.locked_until = None
    user.last_login_at = now
    session.add(user)
    session.flush()
    record(session, actor=actor_for(user), action="user.login", entity="user", entity_id=user.id,
           before=None, after={"client": ckey or "未知"}, reason="登录")
    session.flush()
    return AuthResult(True, "登录成功", actor=actor_for(user))


def _check(ticket: _Ticket, password: str) -> bool:
    if ticket.password_hash is None:
        burn_time(password or "")  # unknown user: the same bcrypt time as a wrong password
        return False
    return check_password(password or "", ticket.password_hash)


def _aware(now: datetime | None) -> datetime:
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def authenticate(session: Session, username: str, password: str, now: datetime | None = None, *,
                 client: str | None = None) -> AuthResult:
    """Check a login in the caller's transaction (commit it: the counters must be kept; use
    grid.db.session_scope). Never raises for a wrong password: returns AuthResult(ok=False,
    message). `client` names where the attempt comes from (e.g. the remote address); see the
    module docstring for the limits."""
    now = _aware(now)
    username = (username or "").strip()
    ckey = client_key(client)
    purge_throttle(session, now)
    ticket = _begin(session, username, ckey, now)
    if ticket.refused is not None:
        return ticket.refused
    session.flush()
    return _finish(session, username, ckey, now, ticket, _check(ticket, password))


def login(engine, username: str, password: str, now: datetime | None = None, *,
          client: str | None = None) -> AuthResult:
    """What the dashboard calls: the attempt is counted and committed first, bcrypt runs outside
    any transaction, the outcome is written in a second short transaction."""
    from grid.db import session_scope

    now = _aware(now)
    username = (username or "").strip()
    ckey = client_key(client)
    with session_scope(engine) as session:
        purge_throttle(session, now)
    with session_scope(engine) as session:
        ticket = _begin(session, username, ckey, now)
    if ticket.refused is not None:
        return ticket.refused
    ok = _check(ticket, password)
    with session_scope(engine) as session:
        return _finish(session, username, ckey, now, ticket, ok)


def active_actor(engine, username: str) -> Actor | None:
    """The Actor for `username` if the account still exists and is enabled."""
    from grid.db import session_scope

    with session_scope(engine) as session:
        user = get_user(session, username)
        if user is None or user.disabled:
            return None
        return actor_for(user)
