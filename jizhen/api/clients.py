"""API clients (调用系统) and their keys: a key is shown once, only its SHA-256 hash is stored.

A key is 32 random bytes (URL-safe text, prefixed ``jz_``): guessing is hopeless, so a plain hash
(not bcrypt) is enough and keeps every request fast. Adding and revoking a client is audited.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from jizhen import audit
from jizhen.access import SYSTEM, Actor, Role
from jizhen.api.models import ApiClient
from jizhen.geotypes import utcnow

KEY_PREFIX = "jz_"
NAME_MAX = 32
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,32}$")


class ClientError(ValueError):
    """A refused client operation; the message is Chinese."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def client_actor(client_name: str) -> Actor:
    """Who an API client acts as: the system role (intake from every channel), under its own name,
    so every audit row names the calling system."""
    return Actor(username=f"api:{client_name}", role=Role.SYSTEM, grid_codes=None)


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise ClientError(f"客户端名称应为 1–{NAME_MAX} 个字母、数字、汉字或 _ . -：“{name}”")
    return name


def add_client(session: Session, name: str, *, actor: Actor = SYSTEM) -> tuple[ApiClient, str]:
    """A new client and its key (returned once; only the hash is stored)."""
    name = check_name(name)
    if session.exec(select(ApiClient).where(ApiClient.name == name)).first() is not None:
        raise ClientError(f"客户端“{name}”已存在")
    key = new_key()
    client = ApiClient(name=name, key_hash=hash_key(key), key_prefix=key[:10], active=True)
    session.add(client)
    session.flush()
    audit.record(session, actor=actor, action="api_client.add", entity="api_client",
                 entity_id=client.id, after={"name": name, "key_prefix": client.key_prefix})
    return client, key


def revoke_client(session: Session, name: str, *, actor: Actor = SYSTEM) -> ApiClient:
    client = session.exec(select(ApiClient).where(ApiClient.name == (name or "").strip())).first()
    if client is None:
        raise ClientError(f"没有名为“{name}”的客户端")
    if not client.active:
        raise ClientError(f"客户端“{name}”的密钥已于先前吊销")
    client.active = False
    client.revoked_at = utcnow()
    session.add(client)
    session.flush()
    audit.record(session, actor=actor, action="api_client.revoke", entity="api_client",
                 entity_id=client.id, before={"active": True}, after={"active": False})
    return client


@dataclass(frozen=True)
class ClientRow:
    name: str
    key_prefix: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None


def list_clients(session: Session) -> list[ClientRow]:
    rows = session.exec(select(ApiClient).order_by(ApiClient.name)).all()
    return [ClientRow(c.name, c.key_prefix, c.active, c.created_at, c.revoked_at) for c in rows]


@dataclass(frozen=True)
class AuthClient:
    id: int
    name: str


def authenticate(session: Session, key: str | None) -> AuthClient | None:
    """The active client holding ``key``, else None (missing, unknown or revoked key alike)."""
    if not key or len(key) > 200:
        return None
    digest = hash_key(key)
    client = session.exec(select(ApiClient).where(ApiClient.key_hash == digest)).first()
    if client is None or not client.active or not hmac.compare_digest(client.key_hash, digest):
        return None
    return AuthClient(client.id, client.name)
