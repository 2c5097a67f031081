"""api: Open311 API clients and idempotent tickets

``api_client`` holds the calling systems (only a hash of each key); ``api_ticket`` maps a client's
ticket number to the case it created, UNIQUE (client_id, ticket_no): a resend, even two
simultaneous POSTs of one ticket, creates one case.

Revision ID: 0012_api_clients
Revises: 0011_audit_anchor
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import jizhen.geotypes

revision = "0012_api_clients"
down_revision = "0011_audit_anchor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_prefix", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", jizhen.geotypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "api_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("ticket_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["aid_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "ticket_no", name="uq_api_ticket_client_ticket"),
    )
    with op.batch_alter_table("api_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_ticket_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_ticket_case_id"))
    op.drop_table("api_ticket")
    op.drop_table("api_client")
