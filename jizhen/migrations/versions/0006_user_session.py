"""user_session: server-side login sessions (a cookie holds the token, the table its SHA-256)

Revision ID: 0006_user_session
Revises: 0005_user_worker
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import jizhen.geotypes


revision = "0006_user_session"
down_revision = "0005_user_worker"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_token_hash"), ["token_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_user_session_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_username"))
        batch_op.drop_index(batch_op.f("ix_user_session_token_hash"))
    op.drop_table("user_session")
