"""cases: guards on decisions, payments and money — late entries (补录) are marked

Revision ID: 0010_case_guards
Revises: 0009_security
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

revision = "0010_case_guards"
down_revision = "0009_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aid_case") as batch_op:
        batch_op.add_column(sa.Column("backdated", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("aid_case_event") as batch_op:
        batch_op.add_column(sa.Column("backdated", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("backdate_reason", sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("aid_case_event") as batch_op:
        batch_op.drop_column("backdate_reason")
        batch_op.drop_column("backdated")
    with op.batch_alter_table("aid_case") as batch_op:
        batch_op.drop_column("backdated")
