"""Risk score history: one row per household per scoring run (nightly `jizhen score`).

Rows are never updated: trends are drawn from the history, and the current score of a household
is its row with the latest `scored_at`.  `config_version` names the weights file and the 低保
standard used (e.g. "v1+dibao640"), so scores made under different weights are never mixed up.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from grid.geotypes import UTCDateTime, utcnow


class RiskScore(SQLModel, table=True):
    __tablename__ = "risk_score"
    __table_args__ = (Index("ix_risk_score_household_scored", "household_id", "scored_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    scored_at: datetime = Field(default_factory=utcnow,
                                sa_column=Column(UTCDateTime(), nullable=False, index=True))
    score: float
    level: str = Field(max_length=8, index=True)          # red | orange | yellow | green
    reasons_json: str = Field(default="[]", sa_column=Column(Text(), nullable=False))
    config_version: str = Field(max_length=64)
