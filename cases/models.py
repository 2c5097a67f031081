"""Tables of the emergency-assistance workflow (schema owned by migration 0003_cases).

Money is stored in fen (integer) to stay exact on SQLite and PostgreSQL alike; services expose yuan.
Rows edited concurrently carry ``version`` (SQLAlchemy version_id_col: a stale write raises).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from grid.geotypes import UTCDateTime, utcnow

MATCHED = "matched"
TO_MATCH = "to_match"


def _now() -> datetime:
    return utcnow()


def _version_col() -> Column:
    return Column("version", Integer, nullable=False, default=1)


_case_version = _version_col()


class Case(SQLModel, table=True):
    """One request for help (救助案件), from any channel."""

    __tablename__ = "aid_case"
    __table_args__ = (
        Index("ix_aid_case_person_category", "person_id_number", "category"),
        Index("ix_aid_case_status_grid", "status", "grid_code"),
    )
    __mapper_args__ = {"version_id_col": _case_version}

    id: Optional[int] = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, unique=True, index=True)
    channel: str = Field(max_length=16, index=True)
    category: str = Field(max_length=32, index=True)
    cause: str = Field(default="", max_length=500)
    amount_requested_fen: int = 0
    amount_approved_fen: Optional[int] = None
    person_name: str = Field(default="", max_length=32)
    person_id_number: Optional[str] = Field(default=None, max_length=18)
    phone: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=200)
    lon: Optional[float] = None
    lat: Optional[float] = None
    household_id: Optional[int] = Field(default=None, foreign_key="household.id", index=True)
    grid_code: Optional[str] = Field(default=None, max_length=32, index=True)
    match_status: str = Field(default=MATCHED, max_length=16, index=True)  # matched | to_match
    work_order_no: Optional[str] = Field(default=None, max_length=64, unique=True)
    hardship_event_id: Optional[int] = Field(default=None, foreign_key="hardship_event.id")
    status: str = Field(default="reported", max_length=20, index=True)
    received_on: date = Field(index=True)
    received_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))
    approval_due_on: date
    approval_provisional: bool = False
    decided_on: Optional[date] = None  # town/county approval or rejection
    aid_first: bool = False
    aid_on: Optional[date] = None
    paperwork_due_on: Optional[date] = None
    paperwork_provisional: bool = False
    files_completed_on: Optional[date] = None
    closed_on: Optional[date] = None
    follow_up: bool = False  # 复诊: supplementary aid after 低保 or other aid
    review_opinion: str = Field(default="", max_length=500)
    decision: str = Field(default="", max_length=500)
    # The reason as published (公示): an officer's optional public note, shown next to the category
    # label. Never the intake text (``cause``), which may name people, phones and addresses.
    public_note: str = Field(default="", max_length=200)
    blacklist_override_reason: str = Field(default="", max_length=500)
    # a decision or payment of this case was entered late (补录, see cases.eligibility): migration 0010
    backdated: bool = False
    reported_by: str = Field(default="", max_length=64)
    version: int = Field(default=1, sa_column=_case_version)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class CaseEvent(SQLModel, table=True):
    """One transition of a case: who, when, why."""

    __tablename__ = "aid_case_event"
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="aid_case.id", index=True)
    transition: str = Field(max_length=32)
    from_status: str = Field(default="", max_length=20)
    to_status: str = Field(max_length=20)
    on_day: date  # business date (Asia/Shanghai)
    at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=64)
    role: str = Field(max_length=32)
    reason: str = Field(default="", max_length=500)
    # 补录: dated more than data/case_guards.toml late_entry_days before the day it was recorded
    backdated: bool = False
    backdate_reason: str = Field(default="", max_length=500)


_referral_version = _version_col()


class Referral(SQLModel, table=True):
    """转诊: hand-over to another scheme and its receiving department."""

    __tablename__ = "aid_referral"
    __mapper_args__ = {"version_id_col": _referral_version}
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="aid_case.id", index=True)
    scheme: str = Field(max_length=32)
    department: str = Field(max_length=64)
    status: str = Field(default="sent", max_length=16, index=True)
    sent_on: date
    responded_on: Optional[date] = None
    done_on: Optional[date] = None
    reason: str = Field(default="", max_length=500)
    fast_track: bool = False  # serious illness "ferried" straight in
    compliant_cost_fen: Optional[int] = None
    insurance_paid_fen: Optional[int] = None
    reimbursed_fen: Optional[int] = None
    version: int = Field(default=1, sa_column=_referral_version)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class Payment(SQLModel, table=True):
    """Money paid straight to the person's own account."""

    __tablename__ = "aid_payment"
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="aid_case.id", index=True)
    paid_on: date = Field(index=True)
    amount_fen: int
    payee_name: str = Field(default="", max_length=32)
    account_masked: str = Field(default="", max_length=32)
    aid_first: bool = False
    fund_account: str = Field(default="town", max_length=48)
    paid_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


_spot_version = _version_col()


class SpotCheck(SQLModel, table=True):
    """双随机一公开: a drawn recipient, a drawn inspector, and the result."""

    __tablename__ = "aid_spot_check"
    __table_args__ = (UniqueConstraint("month", "case_id", name="uq_spot_check_month_case"),)
    __mapper_args__ = {"version_id_col": _spot_version}
    id: Optional[int] = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM of the payments
    seed: str = Field(max_length=64)
    case_id: int = Field(foreign_key="aid_case.id", index=True)
    household_id: Optional[int] = Field(default=None, foreign_key="household.id")
    grid_code: str = Field(max_length=32)
    inspector: str = Field(max_length=64)
    drawn_on: date
    result: str = Field(default="pending", max_length=16)  # pending | ok | problem
    result_note: str = Field(default="", max_length=500)
    checked_on: Optional[date] = None
    version: int = Field(default=1, sa_column=_spot_version)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


_blacklist_version = _version_col()


class BlacklistEntry(SQLModel, table=True):
    """失信惩戒: a person on the credit blacklist, with evidence."""

    __tablename__ = "aid_blacklist"
    __mapper_args__ = {"version_id_col": _blacklist_version}  # column: migration 0008_platform
    id: Optional[int] = Field(default=None, primary_key=True)
    person_id_number: str = Field(max_length=18, index=True)
    person_name: str = Field(max_length=32)
    reason: str = Field(max_length=500)
    evidence: str = Field(default="", max_length=1000)
    listed_on: date
    listed_by: str = Field(max_length=64)
    active: bool = True  # blocks intake: an approved entry not lifted (pending/rejected: False)
    lifted_on: Optional[date] = None
    # Review by a second officer (migration 0016_oversight): a proposal is "pending" and does not
    # block until another officer approves it; rows from before the review existed are "approved".
    review_status: str = Field(default="approved", max_length=16)  # pending | approved | rejected
    reviewed_by: str = Field(default="", max_length=64)
    reviewed_on: Optional[date] = None
    review_note: str = Field(default="", max_length=500)
    lifted_by: str = Field(default="", max_length=64)
    lift_reason: str = Field(default="", max_length=500)
    version: int = Field(default=1, sa_column=_blacklist_version)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class FundMovement(SQLModel, table=True):
    """Money in and out of the reserves: allocation, advance, spending, donation, settlement."""

    __tablename__ = "aid_fund_movement"
    id: Optional[int] = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    on_day: date
    kind: str = Field(max_length=32)  # county_allocation | village_reserve | town_spend | donation | settlement_county | settlement_town
    account: str = Field(max_length=48)  # county_reserve | town | village:<grid code>
    amount_fen: int  # positive: money into the account; negative: out
    case_id: Optional[int] = Field(default=None, foreign_key="aid_case.id")
    note: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class AssistantStipend(SQLModel, table=True):
    """The monthly stipend of a village/community assistance assistant (救助协理员, 200 yuan a month,
    data/standards.toml [stipend]); one row per community and month (migration 0016_oversight)."""

    __tablename__ = "aid_assistant_stipend"
    __table_args__ = (UniqueConstraint("month", "grid_code", name="uq_stipend_month_grid"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM
    grid_code: str = Field(max_length=32)
    assistant_name: str = Field(max_length=32)
    amount_fen: int
    paid_on: date
    recorded_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


class Disclosure(SQLModel, table=True):
    """A published monthly disclosure list (公示)."""

    __tablename__ = "aid_disclosure"
    id: Optional[int] = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, unique=True)
    published_on: date
    rows: int
    total_fen: int
    published_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))



_verification_version = _version_col()


class VerificationResult(SQLModel, table=True):
    """逢进必核: the result of one checklist item (data/verification.toml) for one application (a
    case on its way to admission): what the department answered, the evidence, who entered it and
    when. Migration 0014_officer_desk."""

    __tablename__ = "aid_verification"
    __table_args__ = (UniqueConstraint("case_id", "item_code", name="uq_aid_verification_case_item"),)
    __mapper_args__ = {"version_id_col": _verification_version}
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="aid_case.id", index=True)
    item_code: str = Field(max_length=32)
    department: str = Field(max_length=64)
    result: str = Field(max_length=16)  # cases.verification.Result: clear | issue
    evidence: str = Field(max_length=500)
    note: str = Field(default="", max_length=500)
    checked_on: date  # business date (Asia/Shanghai) of the department's answer
    checked_by: str = Field(max_length=64)
    source: str = Field(default="form", max_length=200)  # form | file:<name>
    version: int = Field(default=1, sa_column=_verification_version)
    checked_at: datetime = Field(default_factory=_now, sa_column=Column(UTCDateTime(), nullable=False))


ALL_TABLES = (Case, CaseEvent, Referral, Payment, SpotCheck, BlacklistEntry, FundMovement, Disclosure,
              AssistantStipend, VerificationResult)
