"""The grid world's tables: grids, workers, households, visits, assignments, hardship events."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from jizhen.db import version_column
from jizhen.geotypes import Geometry, UTCDateTime, utcnow

FULL_TIME = "full_time"
PART_TIME = "part_time"
EMPLOYMENTS = (FULL_TIME, PART_TIME)

ASSIGNMENT_OPEN = "open"
ASSIGNMENT_DONE = "done"
ASSIGNMENT_CANCELLED = "cancelled"

# The four temporary-aid categories, plus expenditure hardship (支出型).
CATEGORIES = ("housing_loss", "accidental_injury", "illness_or_disaster", "care_gap", "expenditure")


def _created() -> datetime:
    return utcnow()


# Tables people edit carry `version`, the mapper's version_id_col (jizhen.db: optimistic locking).
_grid_version = version_column()
_worker_version = version_column()
_household_version = version_column()
_assignment_version = version_column()


class CommunityGrid(SQLModel, table=True):
    __tablename__ = "community_grid"
    __mapper_args__ = {"version_id_col": _grid_version}
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=64)
    geometry_wkt: str = Field(sa_column=Column("geometry", Geometry(), nullable=False))
    version: int = Field(default=1, sa_column=_grid_version)
    created_at: datetime = Field(default_factory=_created, sa_column=Column(UTCDateTime(), nullable=False))


class GridWorker(SQLModel, table=True):
    __tablename__ = "grid_worker"
    __mapper_args__ = {"version_id_col": _worker_version}
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=32)
    phone: str = Field(max_length=20)
    employment: str = Field(max_length=16)  # full_time | part_time
    grid_id: int = Field(foreign_key="community_grid.id", index=True)
    active: bool = True
    version: int = Field(default=1, sa_column=_worker_version)
    created_at: datetime = Field(default_factory=_created, sa_column=Column(UTCDateTime(), nullable=False))


class Household(SQLModel, table=True):
    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("head_id_number", name="uq_household_head_id"),)
    __mapper_args__ = {"version_id_col": _household_version}
    id: Optional[int] = Field(default=None, primary_key=True)
    address: str = Field(max_length=200)
    lon: float
    lat: float
    grid_id: Optional[int] = Field(default=None, foreign_key="community_grid.id", index=True)
    # the grid was assigned by hand (grid.workers.assign_household_grid) because the location lies
    # outside every grid: boundary imports keep it until a grid covers the location
    grid_by_hand: bool = False
    members: int = 1
    head_name: str = Field(max_length=32)
    head_id_number: str = Field(max_length=18)
    phone: str = Field(default="", max_length=20)
    elderly_alone: bool = False
    minors: int = 0
    severe_disability: bool = False
    serious_illness: bool = False
    dibao: bool = False
    tekun: bool = False
    income_per_capita_yuan: float = 0.0  # monthly
    version: int = Field(default=1, sa_column=_household_version)
    created_at: datetime = Field(default_factory=_created, sa_column=Column(UTCDateTime(), nullable=False))


class Visit(SQLModel, table=True):
    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_household_day", "household_id", "visited_on"),
                      Index("uq_visit_idempotency_key", "idempotency_key", unique=True))
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    worker_id: int = Field(foreign_key="grid_worker.id", index=True)
    visited_on: date = Field(index=True)
    # Structured observations: these feed the risk score.
    income_per_capita_yuan: Optional[float] = None
    housing_loss: bool = False
    accidental_injury: bool = False
    sudden_illness_or_disaster: bool = False
    care_gap: bool = False
    lost_job: bool = False
    new_illness: bool = False
    notes: str = Field(default="", max_length=1000)
    # Made when the visit form is drawn: a resend of the same form finds the visit already
    # recorded (grid.visits) instead of recording it twice. NULL for imports and older visits.
    idempotency_key: Optional[str] = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=_created, sa_column=Column(UTCDateTime(), nullable=False))


class VisitAssignment(SQLModel, table=True):
    __tablename__ = "visit_assignment"
    __mapper_args__ = {"version_id_col": _assignment_version}
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    worker_id: int = Field(foreign_key="grid_worker.id", index=True)
    due_on: date
    status: str = Field(default=ASSIGNMENT_OPEN, max_length=16, index=True)
    assigned_by: str = Field(max_length=64)
    visit_id: Optional[int] = Field(default=None, foreign_key="visit.id")
    version: int = Field(default=1, sa_column=_assignment_version)
    created_at: datetime = Field(default_factory=_created, sa_column=Column(UTCDateTime(), nullable=False))


class HardshipEvent(SQLModel, table=True):
    """What happened to a household (demo ground truth or recorded later); cases follow from it."""

    __tablename__ = "hardship_event"
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    occurred_on: date
    category: str = Field(max_length=32)
    cause: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=_created, sa_column=Column(UTCDateTime(), nullable=False))


class AuditEntry(SQLModel, table=True):
    """Append-only, hash-chained record of every write (see grid.audit)."""

    __tablename__ = "audit_entry"
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=64)
    role: str = Field(max_length=32)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: str = Field(default="", max_length=64)
    before_json: str = ""
    after_json: str = ""
    reason: str = Field(default="", max_length=500)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    mac: Optional[str] = Field(default=None, max_length=64)  # HMAC with a key outside the DB (jizhen.audit)
