"""grid: worklist, routes, idempotent visits (placeholder)

Revision ID: 0015_visit_day
Revises: 0014_officer_desk
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0015_visit_day"
down_revision = "0014_officer_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
