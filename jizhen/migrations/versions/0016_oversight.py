"""cases: oversight desk — blacklist review, assistant stipends (placeholder)

Revision ID: 0016_oversight
Revises: 0015_visit_day
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0016_oversight"
down_revision = "0015_visit_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
