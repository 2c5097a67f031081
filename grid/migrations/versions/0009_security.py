"""security: login throttling, audit anchoring (placeholder)

Revision ID: 0009_security
Revises: 0008_platform
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0009_security"
down_revision = "0008_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
