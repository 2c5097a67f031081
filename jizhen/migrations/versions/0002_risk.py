"""risk: household risk score history

Revision ID: 0002_risk
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import jizhen.geotypes


revision = "0002_risk"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("scored_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("reasons_json", sa.Text(), nullable=False),
        sa.Column("config_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("risk_score", schema=None) as batch_op:
        batch_op.create_index("ix_risk_score_household_scored", ["household_id", "scored_at"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_risk_score_scored_at"), ["scored_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_score_level"), ["level"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_score_level"))
        batch_op.drop_index(batch_op.f("ix_risk_score_scored_at"))
        batch_op.drop_index("ix_risk_score_household_scored")
    op.drop_table("risk_score")
