"""Demo logins, one per role. Their passwords come from a cryptographic random source
(secrets), are printed once by `jizhen demo` and kept nowhere but as bcrypt hashes: nothing in the
source, the seed or the user name lets anyone compute them."""
from __future__ import annotations

import secrets
from datetime import date

from sqlmodel import Session, select

from grid.access import Role
from jizhen.users.admin import add_user
from jizhen.users.model import GRID_ROLES, ROLE_LABELS, get_user

DEMO_USERS = (
    ("wangge", Role.GRID_WORKER),
    ("wanggezhang", Role.GRID_SUPERVISOR),
    ("zhenmingzheng", Role.TOWNSHIP_LEADER),
    ("xianminzheng", Role.COUNTY_STAFF),
    ("shenji", Role.AUDITOR),
)
# Unambiguous characters (no 0/O, 1/l/I) so a printed password can be typed from paper.
_LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
DEMO_PASSWORD_LENGTH = 14


def random_password(length: int = DEMO_PASSWORD_LENGTH) -> str:
    """A random password from `secrets` (about 5.6 bits a character) with letters and digits."""
    if length < 8:
        raise ValueError("length must be at least 8")
    while True:
        pw = "".join(secrets.choice(_LETTERS + _DIGITS) for _ in range(length))
        if any(c in _DIGITS for c in pw) and any(c in _LETTERS for c in pw):
            return pw


def demo_credentials(session: Session, *, seed: int | None = None) -> list[dict]:
    """One login per role, each with a NEW random password (`seed` is accepted for old callers
    and ignored: passwords never depend on it). The grid worker's account is linked to the first
    active worker of the first grid."""
    from grid.models import CommunityGrid, GridWorker

    first = session.exec(select(CommunityGrid.code).order_by(CommunityGrid.code)).first()
    worker = session.exec(select(GridWorker.id).join(CommunityGrid, GridWorker.grid_id == CommunityGrid.id)
                          .where(CommunityGrid.code == first, GridWorker.active)
                          .order_by(GridWorker.id)).first() if first else None
    rows = []
    for username, role in DEMO_USERS:
        rows.append({"username": username, "password": random_password(), "role": role.value,
                     "label": ROLE_LABELS[role], "grids": first if role in GRID_ROLES and first else "",
                     "worker_id": worker if role == Role.GRID_WORKER else None})
    return rows


def demo_step(session: Session, *, today: date | None = None, seed: int | None = None, echo=None) -> list[dict]:
    """Create one user per role (skips existing usernames), print how to log in — the only time
    the passwords are shown — and return the created rows (with their passwords) to the caller."""
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
        echo(f"  {'用户名':<14}{'密码':<16}{'角色':<18}网格")
        for row in created:
            echo(f"  {row['username']:<16}{row['password']:<18}{row['role']:<18}{row['grids'] or '全部'}")
    return created
