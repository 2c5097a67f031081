"""platform: one optimistic-locking mechanism (placeholder)

Revision ID: 0008_platform
Revises: 0007_cases_trust
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0008_platform"
down_revision = "0007_cases_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
