"""risk: register facts with their history, corrections, appeals

``household_fact`` keeps every value of a register field the risk score reads (illness,
disability, members, 低保, ...) with the day it became true and the day it entered the register;
a correction is a new row naming the row it corrects (``corrects_id``), the old row stays.
``appeal`` records a resident's objection to a score or a decision and its outcome.

Revision ID: 0013_register_facts
Revises: 0012_api_clients
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import jizhen.geotypes

revision = "0013_register_facts"
down_revision = "0012_api_clients"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "household_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value_json", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["corrects_id"], ["household_fact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_household_fact_household_field", "household_fact",
                    ["household_id", "field"], unique=False)
    op.create_index(op.f("ix_household_fact_recorded_on"), "household_fact", ["recorded_on"],
                    unique=False)
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("objection", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_appeal_household_id"), "appeal", ["household_id"], unique=False)
    op.create_index(op.f("ix_appeal_received_on"), "appeal", ["received_on"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_appeal_received_on"), table_name="appeal")
    op.drop_index(op.f("ix_appeal_household_id"), table_name="appeal")
    op.drop_table("appeal")
    op.drop_index(op.f("ix_household_fact_recorded_on"), table_name="household_fact")
    op.drop_index("ix_household_fact_household_field", table_name="household_fact")
    op.drop_table("household_fact")
