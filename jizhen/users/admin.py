"""Administering accounts: add, password, role and grids, disable/enable, unlock, the grid-worker
link, and the list of accounts.

Who may: county staff (role county_staff) and SYSTEM (the CLI, which passes no actor). A county
officer cannot disable their own account or take the county role from it (the last administrator
must not lock everybody out; the CLI can still repair anything). A form passes the version it
showed (`expected_version`): an account changed since is refused with StaleEdit. Every change is
audited (grid.audit.record) with the actor, without the password or its hash.
"""
from __future__ import annotations

from typing import Iterable

from sqlmodel import Session, select

from grid.access import SYSTEM, AccessDenied, Actor, Role
from grid.audit import record
from grid.geotypes import utcnow
from jizhen.db import StaleEdit, stale_message
from jizhen.users.login import clear_throttle, user_key
from jizhen.users.model import (GRID_ROLES, HUMAN_ROLES, ROLE_LABELS, USERNAME_RE, LoginThrottle, User,
                                UserError, get_user, list_users)
from jizhen.users.passwords import hash_password, validate_password
from jizhen.users.sessions import revoke_user_sessions
from jizhen.vocabulary import ROLE_LABELS_EN


ACCOUNT_ADMIN_ROLES = (Role.COUNTY_STAFF,)  # and SYSTEM (the CLI)


def _admin(actor: Actor | None) -> Actor:
    """The acting administrator (SYSTEM when none is given: the CLI); refuses every other role."""
    actor = actor or SYSTEM
    role = Role(actor.role)
    if role != Role.SYSTEM and (role not in ACCOUNT_ADMIN_ROLES or not actor.may_write):
        who = ROLE_LABELS.get(role, str(actor.role))
        raise AccessDenied(f"只有{ROLE_LABELS[Role.COUNTY_STAFF]}可以管理账号（{actor.username}，{who}，无权）"
                           " / county staff only",
                           en=f"Only {ROLE_LABELS_EN[Role.COUNTY_STAFF]} manage accounts ({actor.username}, "
                              f"{ROLE_LABELS_EN.get(role, str(actor.role))}, may not).", code="role_denied")
    return actor


def _not_own(actor: Actor, user: User, refusal: str, refusal_en: str) -> None:
    """A county officer may not lock themselves out (SYSTEM has no account of its own)."""
    if Role(actor.role) != Role.SYSTEM and actor.username == user.username:
        raise UserError(f"{refusal}：请由另一名{ROLE_LABELS[Role.COUNTY_STAFF]}工作人员办理"
                        "（防止最后一名管理员把自己锁在系统之外）",
                        en=f"{refusal_en}: another {ROLE_LABELS_EN[Role.COUNTY_STAFF]} officer must do it "
                           "(the last administrator must not lock themselves out).", code="own_account")


def _parse_role(role: str | Role) -> Role:
    try:
        r = Role(str(role))
    except ValueError:
        raise UserError(f"未知角色：{role}（可选：{', '.join(r.value for r in HUMAN_ROLES)}）",
                        en=f"Unknown role: {role} (one of: {', '.join(r.value for r in HUMAN_ROLES)}).",
                        code="unknown_role") from None
    if r not in HUMAN_ROLES:
        raise UserError(f"角色 {r} 不能分配给用户", en=f"The role {r} cannot be given to a user.",
                        code="role_not_assignable")
    return r


def _normalise_grids(session: Session, role: Role, grid_codes: Iterable[str] | str | None) -> str:
    from grid.models import CommunityGrid

    if isinstance(grid_codes, str):
        grid_codes = [grid_codes]
    codes = sorted({c.strip() for raw in (grid_codes or []) for c in str(raw).split(",") if c.strip()})
    if role in GRID_ROLES:
        if not codes:
            raise UserError(f"{ROLE_LABELS[role]}必须指定所属网格",
                            en=f"A {ROLE_LABELS_EN[role]} needs their grid(s).", code="grids_required")
        known = set(session.exec(select(CommunityGrid.code).where(CommunityGrid.code.in_(codes))).all())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise UserError(f"网格不存在：{', '.join(unknown)}",
                            en=f"No such grid: {', '.join(unknown)}.", code="unknown_grid")
        return ",".join(codes)
    if codes:
        raise UserError(f"{ROLE_LABELS[role]}不按网格划分，不能指定网格",
                        en=f"A {ROLE_LABELS_EN[role]} is not tied to grids: give no grid.", code="grids_not_allowed")
    return ""


def _normalise_scheme(role: Role, scheme: str | None) -> str:
    """A department account names the one referral scheme it receives; no other role has one."""
    from cases.vocabulary import REFERRAL_SCHEMES, ReferralScheme  # the one list of schemes

    scheme = (scheme or "").strip()
    if role != Role.DEPARTMENT:
        if scheme:
            raise UserError(f"只有{ROLE_LABELS[Role.DEPARTMENT]}账号可以指定转诊事项",
                            en=f"Only a {ROLE_LABELS_EN[Role.DEPARTMENT]} account has a referral scheme.",
                            code="scheme_not_allowed")
        return ""
    if not scheme:
        raise UserError(f"{ROLE_LABELS[role]}必须指定承接的转诊事项（如 medical：{REFERRAL_SCHEMES[ReferralScheme.medical][0]}）",
                        en=f"A {ROLE_LABELS_EN[role]} needs the referral scheme it receives (e.g. medical).",
                        code="scheme_required")
    try:
        return ReferralScheme(scheme).value
    except ValueError:
        known = "、".join(f"{s.value}（{REFERRAL_SCHEMES[s][0]}）" for s in ReferralScheme)
        raise UserError(f"未知转诊事项：{scheme}（可选：{known}）",
                        en=f"Unknown referral scheme: {scheme} (one of: {', '.join(s.value for s in ReferralScheme)}).",
                        code="unknown_scheme") from None


def _public(user: User) -> dict:
    """What goes into the audit log about a user (never the password or its hash)."""
    return {"username": user.username, "role": user.role, "grid_codes": user.grid_codes,
            "disabled": user.disabled, "display_name": user.display_name,
            "worker_id": user.worker_id, "scheme": user.scheme}


def find_worker_id(session: Session, *, worker_id: int | None = None,
                   worker_phone: str | None = None) -> int | None:
    """The grid_worker id given by id or by phone (None when neither is given)."""
    from grid.models import GridWorker

    if worker_id is None and not worker_phone:
        return None
    if worker_id is not None and worker_phone:
        raise UserError("--worker-id 与 --worker-phone 只能给一个",
                        en="Give either --worker-id or --worker-phone, not both.", code="worker_both")
    if worker_id is not None:
        if session.get(GridWorker, int(worker_id)) is None:
            raise UserError(f"网格员 {worker_id} 不存在", en=f"Grid worker {worker_id} does not exist.",
                            code="unknown_worker")
        return int(worker_id)
    found = session.exec(select(GridWorker.id).where(GridWorker.phone == worker_phone.strip())).all()
    if not found:
        raise UserError(f"没有电话为 {worker_phone} 的网格员",
                        en=f"No grid worker has the phone {worker_phone}.", code="unknown_worker")
    if len(found) > 1:
        raise UserError(f"电话 {worker_phone} 对应多名网格员，请用 --worker-id",
                        en=f"Several grid workers have the phone {worker_phone}: use --worker-id.",
                        code="worker_phone_ambiguous")
    return int(found[0])


def _check_worker(session: Session, role: Role, grid_codes: str, worker_id: int | None,
                  username: str) -> int | None:
    """A worker link is for grid workers only, to an active worker of one of the user's grids,
    and to no other account."""
    from grid.models import CommunityGrid, GridWorker

    if worker_id is None:
        return None
    if role != Role.GRID_WORKER:
        raise UserError(f"只有网格员账号可以关联网格员（当前角色：{ROLE_LABELS[role]}）",
                        en=f"Only a grid worker's account links to a grid worker (this role: "
                           f"{ROLE_LABELS_EN[role]}).", code="worker_link_role")
    row = session.exec(select(GridWorker, CommunityGrid.code)
                       .join(CommunityGrid, GridWorker.grid_id == CommunityGrid.id)
                       .where(GridWorker.id == worker_id)).first()
    if row is None or not row[0].active:
        raise UserError(f"网格员 {worker_id} 不存在或已停用",
                        en=f"Grid worker {worker_id} does not exist or is inactive.", code="unknown_worker")
    if row[1] not in grid_codes.split(","):
        raise UserError(f"网格员 {worker_id} 属于网格 {row[1]}，不在该账号的网格 {grid_codes} 内",
                        en=f"Grid worker {worker_id} belongs to grid {row[1]}, not to this account's "
                           f"grids {grid_codes}.", code="worker_other_grid")
    other = session.exec(select(User.username).where(User.worker_id == worker_id,
                                                     User.username != username)).first()
    if other is not None:
        raise UserError(f"网格员 {worker_id} 已关联账号 {other}",
                        en=f"Grid worker {worker_id} is already linked to the account {other}.",
                        code="worker_linked")
    return int(worker_id)


def add_user(session: Session, *, username: str, password: str, role: str | Role,
             grid_codes: Iterable[str] | str | None = None, display_name: str = "",
             worker_id: int | None = None, actor: Actor | None = None,
             scheme: str | None = None) -> User:
    """Create a user; raises UserError (Chinese message, English in ``en``) on bad input or a duplicate username.
    `worker_id` links a grid worker's account to its grid_worker row (see find_worker_id);
    `scheme` is a department account's referral scheme (required for role department only)."""
    actor = _admin(actor)
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    if not USERNAME_RE.match(username):
        raise UserError("用户名须为 2–64 位字母、数字、下划线、点或连字符",
                        en="A username has 2–64 letters, digits, underscores, dots or hyphens.",
                        code="bad_username")
    if len(display_name) > 64:
        raise UserError("显示名最多 64 个字", en="A display name has at most 64 characters.",
                        code="long_name")
    r = _parse_role(role)
    validate_password(password, user_inputs=(username, display_name))
    if get_user(session, username) is not None:
        raise UserError(f"用户 {username} 已存在", en=f"The user {username} already exists.",
                        code="user_exists")
    now = utcnow()
    grids = _normalise_grids(session, r, grid_codes)
    worker_id = _check_worker(session, r, grids, worker_id, username)
    scheme = _normalise_scheme(r, scheme)
    user = User(username=username, display_name=display_name, password_hash=hash_password(password),
                role=r.value, grid_codes=grids, worker_id=worker_id, scheme=scheme,
                password_changed_at=now, created_at=now)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.add", entity="user", entity_id=user.id,
           before=None, after=_public(user), reason="新增用户")
    return user


def _require_user(session: Session, username: str, expected_version: int | None = None) -> User:
    """The account `username`; with `expected_version` (the version a form showed) also refuses
    an account changed since (StaleEdit)."""
    user = get_user(session, username)
    if user is None:
        raise UserError(f"用户 {username} 不存在", en=f"The user {username} does not exist.",
                        code="unknown_user")
    if expected_version is not None and int(user.version) != int(expected_version):
        raise StaleEdit(stale_message(f"用户 {user.username}", user.id))
    return user


def set_password(session: Session, username: str, password: str, *, actor: Actor | None = None,
                 expected_version: int | None = None, reason: str = "") -> User:
    """New password; also clears the failure counters and every lock of the account."""
    actor = _admin(actor)
    user = _require_user(session, username, expected_version)
    validate_password(password, user_inputs=(user.username, user.display_name or ""))
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_attempts = 0
    user.locked_until = None
    user.version += 1
    session.add(user)
    session.flush()
    clear_throttle(session, user.username)  # a new password unlocks every client
    revoke_user_sessions(session, user.username)  # a new password logs out every browser
    record(session, actor=actor, action="user.passwd", entity="user", entity_id=user.id,
           before=None, after={"username": user.username}, reason=reason or "修改密码")
    return user


def disable_user(session: Session, username: str, *, actor: Actor | None = None,
                 disabled: bool = True, reason: str = "", expected_version: int | None = None) -> User:
    actor = _admin(actor)
    user = _require_user(session, username, expected_version)
    if disabled:
        _not_own(actor, user, "不能停用自己的账号", "You cannot disable your own account")
    before = _public(user)
    user.disabled = disabled
    user.version += 1
    session.add(user)
    session.flush()
    if disabled:  # a disabled account's open browser sessions end now, not at their next click
        revoke_user_sessions(session, user.username)
    record(session, actor=actor, action="user.disable" if disabled else "user.enable",
           entity="user", entity_id=user.id, before=before, after=_public(user),
           reason=(reason or "").strip() or ("停用用户" if disabled else "启用用户"))
    return user


def set_role(session: Session, username: str, role: str | Role,
             grid_codes: Iterable[str] | str | None = None, *, actor: Actor | None = None,
             scheme: str | None = None, expected_version: int | None = None) -> User:
    """New role, grids and (for a department) scheme. A grid worker's link to its worker stays
    only while the worker is in one of the new grids (else refused: change the link first); any
    other role has no link."""
    actor = _admin(actor)
    user = _require_user(session, username, expected_version)
    before = _public(user)
    r = _parse_role(role)
    if r != Role.COUNTY_STAFF and Role(user.role) == Role.COUNTY_STAFF:
        _not_own(actor, user, f"不能取消自己账号的{ROLE_LABELS[Role.COUNTY_STAFF]}角色",
                 f"You cannot take the {ROLE_LABELS_EN[Role.COUNTY_STAFF]} role from your own account")
    grids = _normalise_grids(session, r, grid_codes)
    scheme = _normalise_scheme(r, scheme)
    worker_id = (_check_worker(session, r, grids, user.worker_id, username)
                 if r == Role.GRID_WORKER else None)
    user.role, user.grid_codes, user.scheme, user.worker_id = r.value, grids, scheme, worker_id
    user.version += 1
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.role", entity="user", entity_id=user.id,
           before=before, after=_public(user), reason="变更角色或网格")
    return user


def set_worker(session: Session, username: str, worker_id: int | None, *,
               actor: Actor | None = None, expected_version: int | None = None) -> User:
    """Link (or with None unlink) a grid worker's account to its grid_worker row."""
    actor = _admin(actor)
    user = _require_user(session, username, expected_version)
    before = _public(user)
    user.worker_id = _check_worker(session, Role(user.role), user.grid_codes, worker_id, username)
    user.version += 1
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.worker", entity="user", entity_id=user.id,
           before=before, after=_public(user), reason="关联网格员" if worker_id is not None else "解除关联网格员")
    return user


def linked_worker_id(engine, username: str) -> int | None:
    """The grid_worker id an enabled account records visits as (None: not linked)."""
    from grid.db import session_scope

    with session_scope(engine) as session:
        user = get_user(session, username)
        return None if user is None or user.disabled else user.worker_id


def unlock_user(session: Session, username: str, *, actor: Actor | None = None,
                expected_version: int | None = None) -> User:
    """End every lock of the account (all clients and the account-wide one) without a new
    password; audited."""
    actor = _admin(actor)
    user = _require_user(session, username, expected_version)
    cleared = clear_throttle(session, user.username)
    before = {"locked_until": user.locked_until}
    user.locked_until = None
    user.failed_attempts = 0
    user.version += 1
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.unlock", entity="user", entity_id=user.id,
           before=before, after={"username": user.username, "throttle_rows": cleared}, reason="解除锁定")
    return user


def account_rows(*, session: Session, actor: Actor | None = None) -> list[dict]:
    """Every account for the administration page (county staff and SYSTEM only), by username:
    id, version, username, display_name, role, grid_codes, scheme, worker_id, worker_name,
    disabled, locked_until (the latest lock still running: the account's or any client's; None
    when not locked) and last_login_at. Never the password hash."""
    from grid.models import GridWorker

    _admin(actor)
    now = utcnow()
    users = list_users(session)
    workers = {w.id: w.name for w in session.exec(
        select(GridWorker).where(GridWorker.id.in_([u.worker_id for u in users if u.worker_id]))).all()}
    keys = {user_key(u.username): u.username for u in users}
    client_locks: dict[str, object] = {}
    for key, until in session.exec(select(LoginThrottle.user_key, LoginThrottle.locked_until)
                                   .where(LoginThrottle.locked_until.is_not(None))).all():
        name = keys.get(key)
        if name is not None and until is not None and until > now:
            client_locks[name] = max(until, client_locks.get(name, until))
    rows = []
    for u in users:
        locks = [t for t in (u.locked_until, client_locks.get(u.username)) if t is not None and t > now]
        rows.append({"id": u.id, "version": int(u.version), "username": u.username,
                     "display_name": u.display_name or "", "role": u.role, "grid_codes": u.grid_codes or "",
                     "scheme": u.scheme or "", "worker_id": u.worker_id,
                     "worker_name": workers.get(u.worker_id, "") if u.worker_id else "",
                     "disabled": bool(u.disabled), "locked_until": max(locks) if locks else None,
                     "last_login_at": u.last_login_at})
    return rows
