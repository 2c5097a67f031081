"""cases: the verification checklist (逢进必核) and the department account's referral scheme

Revision ID: 0014_officer_desk
Revises: 0013_register_facts
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import jizhen.geotypes

revision = "0014_officer_desk"
down_revision = "0013_register_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.add_column(sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=False, server_default=""))
    op.create_table(
        "aid_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("checked_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checked_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["aid_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "item_code", name="uq_aid_verification_case_item"),
    )
    op.create_index("ix_aid_verification_case_id", "aid_verification", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_aid_verification_case_id", table_name="aid_verification")
    op.drop_table("aid_verification")
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("scheme")
