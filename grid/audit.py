"""Append-only audit log, hash-chained: editing or deleting a row breaks the chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from grid.access import Actor
from grid.geotypes import utcnow
from grid.models import AuditEntry

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def entry_hash(prev_hash: str, at_iso: str, actor: str, role: str, action: str, entity: str,
               entity_id: str, before_json: str, after_json: str, reason: str) -> str:
    payload = "\x1f".join([prev_hash, at_iso, actor, role, action, entity, entity_id,
                           before_json, after_json, reason])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _iso(entry: AuditEntry) -> str:
    return entry.at.isoformat(timespec="microseconds")


def record(session: Session, *, actor: Actor, action: str, entity: str, entity_id: Any = "",
           before: Any = None, after: Any = None, reason: str = "") -> AuditEntry:
    """Append one audit row in the caller's transaction."""
    _lock_chain(session)
    last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    entry = AuditEntry(at=utcnow(), actor=actor.username, role=str(actor.role), action=action,
                       entity=entity, entity_id=str(entity_id), before_json=_canonical(before),
                       after_json=_canonical(after), reason=reason or "", prev_hash=prev, hash="")
    entry.hash = entry_hash(prev, _iso(entry), entry.actor, entry.role, entry.action, entry.entity,
                            entry.entity_id, entry.before_json, entry.after_json, entry.reason)
    session.add(entry)
    session.flush()
    return entry


_CHAIN_LOCK_KEY = 0x4A5A_4155  # "JZAU": one advisory lock for the audit chain


def _lock_chain(session: Session) -> None:
    """Serialise appends so two concurrent writers never chain onto the same previous row.

    PostgreSQL: a transaction-scoped advisory lock (released at commit/rollback; sequence ids are
    then drawn in chain order). SQLite: take the database write lock now, before reading the last
    row (a no-op UPDATE starts the write transaction; another writer waits on busy_timeout).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_entry SET id = id WHERE 0"))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def verify(session: Session) -> VerifyResult:
    prev = GENESIS
    count = 0
    for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != prev:
            return VerifyResult(False, count, entry.id, "链断裂：上一条记录被删除或篡改")
        expected = entry_hash(prev, _iso(entry), entry.actor, entry.role, entry.action, entry.entity,
                              entry.entity_id, entry.before_json, entry.after_json, entry.reason)
        if expected != entry.hash:
            return VerifyResult(False, count, entry.id, "内容与哈希不符：该记录被篡改")
        prev = entry.hash
    return VerifyResult(True, count)


AUDIT_READERS = ("auditor", "county_staff", "system")


def entries_frame(conn, actor: Actor, *, limit: int = 200, actor_name: str = "",
                  action: str = "", entity: str = ""):
    """The newest audit rows (optionally filtered) for roles that oversee: auditors and county
    staff. ID and phone numbers inside before/after/reason are masked for every reader."""
    import pandas as pd
    from sqlalchemy import select as sa_select

    from grid.access import AccessDenied
    from grid.privacy import mask_text

    if str(actor.role) not in AUDIT_READERS:
        raise AccessDenied(f"角色 {actor.role} 无权查看审计日志")
    table = AuditEntry.__table__
    stmt = sa_select(table.c.id, table.c.at, table.c.actor, table.c.role, table.c.action,
                     table.c.entity, table.c.entity_id, table.c.before_json, table.c.after_json,
                     table.c.reason)
    if actor_name:
        stmt = stmt.where(table.c.actor == actor_name)
    if action:
        stmt = stmt.where(table.c.action.like(f"%{action}%"))
    if entity:
        stmt = stmt.where(table.c.entity == entity)
    rows = conn.execute(stmt.order_by(table.c.id.desc()).limit(int(limit))).mappings().all()
    df = pd.DataFrame(rows, columns=["id", "at", "actor", "role", "action", "entity", "entity_id",
                                     "before_json", "after_json", "reason"])
    for col in ("before_json", "after_json", "reason", "entity_id"):
        df[col] = df[col].map(lambda v: mask_text(str(v)) if v is not None else "")
    return df
