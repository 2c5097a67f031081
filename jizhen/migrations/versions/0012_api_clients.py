"""api: Open311 API clients and idempotent tickets (placeholder)

Revision ID: 0012_api_clients
Revises: 0011_audit_anchor
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0012_api_clients"
down_revision = "0011_audit_anchor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
