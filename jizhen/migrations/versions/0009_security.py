"""security: login_throttle (failed-login counters per username and client, and per username over
all clients; see jizhen.users.login)

Revision ID: 0009_security
Revises: 0008_platform
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import jizhen.geotypes

revision = "0009_security"
down_revision = "0008_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("client_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", jizhen.geotypes.UTCDateTime(), nullable=True),
        sa.Column("locked_until", jizhen.geotypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_key", "client_key", name="uq_login_throttle_user_client"),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_throttle_window_start"), ["window_start"], unique=False)
    # Failures are counted in login_throttle from now on; app_user.failed_attempts stays 0.
    op.execute("UPDATE app_user SET failed_attempts = 0")


def downgrade() -> None:
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_window_start"))
    op.drop_table("login_throttle")
