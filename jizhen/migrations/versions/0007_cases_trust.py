"""cases: trustworthy flows — the public note published instead of the intake text

Revision ID: 0007_cases_trust
Revises: 0006_user_session
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

revision = "0007_cases_trust"
down_revision = "0006_user_session"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aid_case") as batch_op:
        batch_op.add_column(sa.Column("public_note", sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("aid_case") as batch_op:
        batch_op.drop_column("public_note")
