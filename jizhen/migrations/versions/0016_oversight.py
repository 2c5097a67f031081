"""cases: oversight desk — blacklist review by a second officer, assistant stipends

Revision ID: 0016_oversight
Revises: 0015_visit_day
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from jizhen.geotypes import UTCDateTime

revision = "0016_oversight"
down_revision = "0015_visit_day"
branch_labels = None
depends_on = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("aid_blacklist") as batch_op:
        # entries listed before the review existed stay in force: "approved"
        batch_op.add_column(sa.Column("review_status", _STR(length=16), nullable=False,
                                      server_default="approved"))
        batch_op.add_column(sa.Column("reviewed_by", _STR(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reviewed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("review_note", _STR(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("lifted_by", _STR(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("lift_reason", _STR(length=500), nullable=False, server_default=""))
    op.create_table(
        "aid_assistant_stipend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", _STR(length=7), nullable=False),
        sa.Column("grid_code", _STR(length=32), nullable=False),
        sa.Column("assistant_name", _STR(length=32), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", _STR(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "grid_code", name="uq_stipend_month_grid"),
    )
    op.create_index("ix_aid_assistant_stipend_month", "aid_assistant_stipend", ["month"])


def downgrade() -> None:
    op.drop_index("ix_aid_assistant_stipend_month", table_name="aid_assistant_stipend")
    op.drop_table("aid_assistant_stipend")
    with op.batch_alter_table("aid_blacklist") as batch_op:
        for col in ("lift_reason", "lifted_by", "review_note", "reviewed_on", "reviewed_by",
                    "review_status"):
            batch_op.drop_column(col)
