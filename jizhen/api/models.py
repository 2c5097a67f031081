"""Tables of the intake API (schema owned by migration 0012_api_clients).

``api_client``: one calling system (a 12345 platform, a WeChat back end); only a SHA-256 hash of its
key is stored (the key is 32 random bytes: a hash is enough, and fast on every request).
``api_ticket``: the caller's ticket number → the case it created. UNIQUE (client_id, ticket_no) is
what makes a resend safe: of two simultaneous POSTs of one ticket, the database lets one insert.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from jizhen.geotypes import UTCDateTime, utcnow


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_client"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=32, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=12)  # the first characters, to tell keys apart in a list
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ApiTicket(SQLModel, table=True):
    __tablename__ = "api_ticket"
    __table_args__ = (UniqueConstraint("client_id", "ticket_no", name="uq_api_ticket_client_ticket"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="api_client.id")
    ticket_no: str = Field(max_length=64)
    case_id: int = Field(foreign_key="aid_case.id", index=True)
    service_code: str = Field(max_length=32)  # as posted (the "other" service maps to a category)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


API_TABLES = (ApiClient, ApiTicket)
