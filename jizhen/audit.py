"""The audit log: append-only, hash-chained, and anchored outside the database.

Three layers, each catching what the one before cannot:

1. **Hash chain** (``entry_hash``): every row hashes its content and the previous row's hash, so an
   edited or deleted row breaks the chain at that row or the next one.
2. **Row MAC** (``audit_entry.mac``): HMAC-SHA256 of the row's hash with a key the database does
   not hold (a key file, 0600, created on first use; ``JIZHEN_AUDIT_KEY_FILE``, default
   ``<var dir>/audit.key``). Someone who can write the database can recompute the hash chain with
   the product's own function, but not the MACs: re-chained rows are named.
3. **Signed checkpoints** (an append-only JSON-lines file per database under
   ``JIZHEN_AUDIT_ANCHOR_DIR``, default ``<var dir>/audit-anchor/``): each line records the row
   count and the head (id, hash) of the chain, is HMAC-signed and chained to the previous line.
   Lines are written after every commit that appended audit rows (or only when a commit crosses a
   multiple of ``JIZHEN_AUDIT_CHECKPOINT_EVERY``, default 1 = every commit), at every ``verify``,
   backup, disclosure and restore. Deleting the newest rows, or all of them, leaves the chain
   valid but falls short of a checkpoint: ``verify`` reports the truncation.

A restore of an older backup writes a ``restore`` line (what was discarded) and an audit row; the
checkpoints before the last restore line no longer apply.

Threat model: an attacker with database rights (incl. a superuser who drops the append-only
triggers), without the key file or write access to the checkpoint files. The checkpoint file is
keyed by the database URL (host, port, name / the SQLite file's real path): point every process
at the database with the same URL. Deleting a database on purpose (``make clean``) means deleting
its checkpoint file too (``verify`` names the file).
"""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, select

from jizhen.access import Actor
from jizhen.geotypes import utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64
ANCHOR_VERSION = 1
_TAIL_BYTES = 65536

# Audit actions that force a checkpoint of their own kind (whatever JIZHEN_AUDIT_CHECKPOINT_EVERY is).
CHECKPOINT_ACTIONS = {"disclosure.publish": "disclosure", "database.backup": "backup",
                      "database.restore": "restore_audit"}


class AnchorError(RuntimeError):
    """The key or the checkpoint file cannot be used; the message is Chinese and names the file."""


# ----------------------------------------------------------------------------- hash chain
def _canonical(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def entry_hash(prev_hash: str, at_iso: str, actor: str, role: str, action: str, entity: str,
               entity_id: str, before_json: str, after_json: str, reason: str) -> str:
    payload = "\x1f".join([prev_hash, at_iso, actor, role, action, entity, entity_id,
                           before_json, after_json, reason])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _iso(entry) -> str:
    return entry.at.isoformat(timespec="microseconds")


def _row_hash(entry, prev: str) -> str:
    return entry_hash(prev, _iso(entry), entry.actor, entry.role, entry.action, entry.entity,
                      entry.entity_id, entry.before_json, entry.after_json, entry.reason)


# ----------------------------------------------------------------------------- settings, key
@dataclass(frozen=True)
class AnchorSettings:
    key_file: Path
    anchor_dir: Path
    every: int  # write a checkpoint when a commit crosses a multiple of this (1: every commit)


def anchor_settings(env: Mapping[str, str] | None = None) -> AnchorSettings:
    """The key file, checkpoint directory and interval, from the one Settings object."""
    from jizhen.settings import get_settings

    try:
        s = get_settings(None if env is None else dict(env))
    except ValueError as exc:
        raise AnchorError(str(exc)) from None
    return AnchorSettings(key_file=s.audit_key_file, anchor_dir=s.audit_anchor_dir,
                          every=s.audit_checkpoint_every)


_KEYS: dict[str, tuple[float, bytes]] = {}


def load_key(path: Path | None = None, *, create: bool = True) -> bytes:
    """The HMAC key (32 random bytes, hex in a 0600 file); created on first use."""
    path = Path(path or anchor_settings().key_file)
    try:
        if create and not path.exists():
            _create_key(path)
        st = path.stat()
        cached = _KEYS.get(str(path))
        if cached and cached[0] == st.st_mtime:
            return cached[1]
        if st.st_mode & 0o077:
            os.chmod(path, 0o600)
        raw = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(raw)
    except FileNotFoundError:
        raise AnchorError(f"找不到审计密钥文件 {path}") from None
    except (OSError, ValueError) as exc:
        raise AnchorError(f"无法读取或创建审计密钥文件 {path}：{getattr(exc, 'strerror', None) or exc}") from None
    if len(key) < 16:
        raise AnchorError(f"审计密钥文件 {path} 内容无效")
    _KEYS[str(path)] = (st.st_mtime, key)
    return key


def _create_key(path: Path) -> None:
    """Write a complete key file, then link it into place: a concurrent reader never sees a
    half-written key, and of two creators exactly one wins."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".audit-key-", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(os.urandom(32).hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it a moment ago: use theirs
    finally:
        os.unlink(tmp)


def row_mac(row_hash: str, key: bytes | None = None) -> str:
    key = key if key is not None else load_key()
    return hmac.new(key, b"jizhen-audit-row\x1f" + row_hash.encode("ascii"), hashlib.sha256).hexdigest()


def _line_mac(body: Mapping[str, Any], key: bytes) -> str:
    payload = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, b"jizhen-audit-anchor\x1f" + payload.encode("utf-8"), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- checkpoint file
def db_identity(url) -> str:
    """Which database a checkpoint file belongs to: the SQLite file's real path, or
    backend://host:port/name (no user, no password)."""
    u = make_url(str(url)) if not hasattr(url, "get_backend_name") else url
    backend = u.get_backend_name()
    if backend == "sqlite":
        db = u.database or ":memory:"
        return "sqlite:" + (db if db == ":memory:" else os.path.realpath(db))
    return f"{backend}://{(u.host or 'localhost').lower()}:{u.port or ''}/{u.database or ''}"


def anchor_file(identity: str, settings: AnchorSettings | None = None) -> Path:
    settings = settings or anchor_settings()
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]
    return settings.anchor_dir / f"{identity.split(':', 1)[0]}-{digest}.jsonl"


def _last_line(fh) -> dict | None:
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    if size == 0:
        return None
    fh.seek(max(0, size - _TAIL_BYTES))
    lines = [ln for ln in fh.read().split(b"\n") if ln.strip()]
    if not lines:
        return None
    try:
        return json.loads(lines[-1])
    except ValueError:
        return {"mac": hashlib.sha256(lines[-1]).hexdigest(), "seq": -1}


def append_checkpoint(identity: str, *, kind: str, state: "ChainState", legacy_upto: int | None = None,
                      extra: Mapping[str, Any] | None = None,
                      settings: AnchorSettings | None = None) -> dict:
    """Append one signed checkpoint line (under an exclusive lock; the file is opened O_APPEND)."""
    settings = settings or anchor_settings()
    key = load_key(settings.key_file)
    path = anchor_file(identity, settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise AnchorError(f"无法写入审计检查点文件 {path}：{exc.strerror or exc}") from None
    with os.fdopen(fd, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            last = _last_line(fh)
            if legacy_upto is None:
                legacy_upto = int(last.get("legacy_upto", 0) or 0) if last else state.legacy_upto
            body = {"v": ANCHOR_VERSION, "seq": (int(last.get("seq", -1)) + 1) if last else 0,
                    "prev": last.get("mac", GENESIS) if last else GENESIS,
                    "at": utcnow().isoformat(timespec="microseconds"), "db": identity, "kind": kind,
                    "count": state.count, "first_id": state.first_id, "head_id": state.head_id,
                    "head_hash": state.head_hash, "legacy_upto": int(legacy_upto or 0)}
            if extra:
                body["extra"] = dict(extra)
            line = dict(body, mac=_line_mac(body, key))
            fh.write((json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return line


@dataclass(frozen=True)
class AnchorRead:
    lines: list[dict]
    problem: str = ""
    path: Path | None = None

    @property
    def active(self) -> list[dict]:
        """The lines that bind the database now: from the last restore on."""
        start = 0
        for i, line in enumerate(self.lines):
            if line.get("kind") == "restore":
                start = i
        return self.lines[start:]


def read_checkpoints(identity: str, settings: AnchorSettings | None = None) -> AnchorRead:
    """All lines of the database's checkpoint file, each checked (signature, chain, database)."""
    settings = settings or anchor_settings()
    path = anchor_file(identity, settings)
    if not path.exists():
        return AnchorRead([], "", path)
    key = load_key(settings.key_file, create=False)
    lines: list[dict] = []
    prev = GENESIS
    with open(path, "rb") as fh:
        for no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                body = {k: v for k, v in line.items() if k != "mac"}
                good = hmac.compare_digest(str(line.get("mac", "")), _line_mac(body, key))
            except (ValueError, AttributeError, TypeError):
                good, line = False, {}
            if not good:
                return AnchorRead(lines, f"检查点文件 {path} 第 {no} 行签名不符：检查点被篡改或密钥已更换", path)
            if line.get("prev") != prev or line.get("seq") != len(lines):
                return AnchorRead(lines, f"检查点文件 {path} 第 {no} 行与上一行不衔接：有检查点被删除或插入", path)
            if line.get("db") != identity:
                return AnchorRead(lines, f"检查点文件 {path} 第 {no} 行属于另一个数据库（{line.get('db')}）", path)
            lines.append(line)
            prev = line["mac"]
    return AnchorRead(lines, "", path)


# ----------------------------------------------------------------------------- chain state
@dataclass(frozen=True)
class ChainState:
    count: int
    first_id: int | None
    head_id: int | None
    head_hash: str
    legacy_upto: int = 0  # highest id of a row without a MAC (written before anchoring)


def chain_state(conn) -> ChainState:
    """Count and head of the committed chain (conn: a Connection or a Session)."""
    head = conn.execute(text("SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1")).first()
    if head is None:
        return ChainState(0, None, None, GENESIS, 0)
    count = conn.execute(text("SELECT count(*) FROM audit_entry WHERE id <= :h"), {"h": head[0]}).scalar()
    first = conn.execute(text("SELECT min(id) FROM audit_entry")).scalar()
    legacy = conn.execute(text("SELECT max(id) FROM audit_entry WHERE mac IS NULL AND id <= :h"),
                          {"h": head[0]}).scalar()
    return ChainState(int(count), int(first), int(head[0]), head[1], int(legacy or 0))


def checkpoint_engine(engine: Engine, kind: str, *, extra: Mapping[str, Any] | None = None,
                      legacy_upto: int | None = None) -> dict:
    """Read the committed head with a fresh connection and write a checkpoint for it."""
    with engine.connect() as conn:
        state = chain_state(conn)
    return append_checkpoint(db_identity(engine.url), kind=kind, state=state, legacy_upto=legacy_upto,
                             extra=extra)


# ----------------------------------------------------------------------------- appends
_PENDING = "jizhen_audit_checkpoint"
_HOOKED = "jizhen_audit_hooked"


_DIRTY = "jizhen_audit_appended"  # this transaction appended audit rows (not committed yet)


def _after_commit(session: Session) -> None:
    session.info.pop(_DIRTY, None)
    kind = session.info.pop(_PENDING, None)
    if not kind:
        return
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return  # bound to an outer connection: its commit is not ours; the next verify checkpoints
    try:
        checkpoint_engine(bind, kind)
    except Exception as exc:  # the rows are committed; a missing checkpoint must not fail the caller
        log.warning("审计检查点写入失败：%s", exc)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_DIRTY, None)


def _hook(session: Session) -> None:
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
        session.info[_HOOKED] = True
    session.info[_DIRTY] = True


def _schedule_checkpoint(session: Session, kind: str) -> None:
    current = session.info.get(_PENDING)
    if current is None or current == "append":
        session.info[_PENDING] = kind


def record(session: Session, *, actor: Actor, action: str, entity: str, entity_id: Any = "",
           before: Any = None, after: Any = None, reason: str = ""):
    """Append one audit row in the caller's transaction (hash-chained and MAC'd); after the
    caller commits, a signed checkpoint of the new head is appended to the checkpoint file."""
    from grid.models import AuditEntry

    settings = anchor_settings()
    key = load_key(settings.key_file)
    _lock_chain(session)
    last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    entry = AuditEntry(at=utcnow(), actor=actor.username, role=str(actor.role), action=action,
                       entity=entity, entity_id=str(entity_id), before_json=_canonical(before),
                       after_json=_canonical(after), reason=reason or "", prev_hash=prev, hash="")
    entry.hash = _row_hash(entry, prev)
    entry.mac = row_mac(entry.hash, key)
    session.add(entry)
    session.flush()
    _hook(session)
    kind = CHECKPOINT_ACTIONS.get(action)
    if kind or settings.every == 1 or prev == GENESIS or (entry.id or 0) % settings.every == 0:
        _schedule_checkpoint(session, kind or "append")
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


# ----------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""
    checkpoints: int = 0  # signed checkpoints that were compared with the chain
    anchor_file: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def _local(at_iso: str) -> str:
    """A checkpoint time (UTC, ISO) as Beijing time for messages."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        return datetime.fromisoformat(at_iso).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(at_iso)


def _bind_url(session: Session):
    bind = session.get_bind()
    return bind.engine.url if isinstance(bind, Connection) else bind.url


def verify(session: Session, *, checkpoint: bool = True) -> VerifyResult:
    """Check the chain row by row (link, hash, MAC), then against the signed checkpoints (nothing
    cut off at the end, nothing re-chained). Names the first bad row. When everything holds, a
    ``verify`` checkpoint of the verified head is appended (``checkpoint=False``: read only)."""
    from grid.models import AuditEntry

    settings = anchor_settings()
    identity = db_identity(_bind_url(session))
    try:
        anchors = read_checkpoints(identity, settings)
        key = load_key(settings.key_file, create=False) if (anchors.lines or settings.key_file.exists()) else None
    except AnchorError as exc:
        return VerifyResult(False, 0, None, str(exc))
    path = str(anchors.path or "")
    if anchors.problem:
        return VerifyResult(False, 0, None, anchors.problem, len(anchors.lines), path)
    active = anchors.active
    legacy_upto = int(active[0].get("legacy_upto", 0)) if active else None
    by_head = {}
    for line in active:
        if line.get("head_id") is not None:
            by_head.setdefault(int(line["head_id"]), []).append(line)

    prev = GENESIS
    count = 0
    last_id = None
    macs_seen = 0
    for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != prev:
            return VerifyResult(False, count, entry.id, "链断裂：上一条记录被删除或篡改", len(active), path)
        if _row_hash(entry, prev) != entry.hash:
            return VerifyResult(False, count, entry.id, "内容与哈希不符：该记录被篡改", len(active), path)
        if entry.mac is None:
            # Before the first checkpoint (an old database) rows without a MAC are adopted; after
            # it, only those up to the head it recorded.
            if legacy_upto is not None and entry.id > legacy_upto:
                return VerifyResult(False, count, entry.id,
                                    "缺少签名（MAC）：该记录不是本系统写入的，或其后的哈希链被重算", len(active), path)
        else:
            macs_seen += 1
            if key is None:
                return VerifyResult(False, count, entry.id,
                                    f"找不到审计密钥文件 {settings.key_file}：无法核对签名（MAC）", len(active), path)
            if not hmac.compare_digest(entry.mac, row_mac(entry.hash, key)):
                return VerifyResult(False, count, entry.id,
                                    "签名（MAC）不符：哈希链从这条记录起被重算或伪造", len(active), path)
        for line in by_head.get(entry.id, ()):
            if line["head_hash"] != entry.hash or int(line["count"]) != count:
                return VerifyResult(False, count, entry.id,
                                    f"与 {_local(line['at'])} 的签名检查点不符（检查点记录至此共 {line['count']} 条）："
                                    "之前的记录被删除或哈希链被重算", len(active), path)
        prev = entry.hash
        last_id = entry.id

    if active:
        top = max(active, key=lambda ln: (int(ln.get("count", 0)), int(ln.get("head_id") or 0)))
        if int(top["count"]) > count or (top.get("head_id") and (last_id is None or int(top["head_id"]) > last_id)):
            if count == 0:
                bad = top.get("first_id")
                what = (f"审计日志被整体删除：{_local(top['at'])} 的签名检查点记录有 {top['count']} 条"
                        f"（id {top.get('first_id')}–{top['head_id']}），现在一条也没有")
            else:
                bad = last_id + 1
                what = (f"审计日志末尾被截断：{_local(top['at'])} 的签名检查点记录共 {top['count']} 条、"
                        f"最后一条 id={top['head_id']}，现在只有 {count} 条、最后一条 id={last_id}；"
                        f"id={bad} 起的记录被删除")
            what += f"（如为有意重建数据库，请同时移走检查点文件 {path}）"
            return VerifyResult(False, count, bad, what, len(active), path)
    elif macs_seen:
        return VerifyResult(False, count, None,
                            f"找不到签名检查点文件 {path}：已签名的审计记录必须有检查点（文件被删除或路径设置有误）",
                            0, path)

    notes: tuple[str, ...] = ()
    # Only a committed head is checkpointed: not when this transaction has appended rows itself.
    if checkpoint and count and not session.info.get(_DIRTY):
        try:
            with_first = session.execute(text("SELECT min(id) FROM audit_entry")).scalar()
            state = ChainState(count, with_first, last_id, prev, 0)
            append_checkpoint(identity, kind="verify", state=state,
                              legacy_upto=legacy_upto if legacy_upto is not None else _legacy(session),
                              settings=settings)
        except AnchorError as exc:
            notes = (f"未能写入检查点：{exc}",)
    return VerifyResult(True, count, None, "", len(active), path, notes)


def _legacy(session: Session) -> int:
    return int(session.execute(text("SELECT max(id) FROM audit_entry WHERE mac IS NULL")).scalar() or 0)


# ----------------------------------------------------------------------------- reading
AUDIT_READERS = ("auditor", "county_staff", "system")


def entries_frame(conn, actor: Actor, *, limit: int = 200, actor_name: str = "",
                  action: str = "", entity: str = ""):
    """The newest audit rows (optionally filtered) for roles that oversee: auditors and county
    staff. ID and phone numbers inside before/after/reason are masked for every reader."""
    import pandas as pd
    from sqlalchemy import select as sa_select

    from grid.models import AuditEntry
    from jizhen.access import AccessDenied
    from jizhen.privacy import mask_text

    if str(actor.role) not in AUDIT_READERS:
        raise AccessDenied(f"角色 {actor.role} 无权查看审计日志",
                           en=f"The role {actor.role} may not see the audit log.", code="role_denied")
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


__all__ = ["GENESIS", "AnchorError", "AnchorSettings", "ChainState", "VerifyResult", "anchor_file",
           "anchor_settings", "append_checkpoint", "chain_state", "checkpoint_engine", "db_identity",
           "entries_frame", "entry_hash", "load_key", "read_checkpoints", "record", "row_mac", "verify"]
