"""cases: trustworthy flows (placeholder, filled by the cases work)

Revision ID: 0007_cases_trust
Revises: 0006_user_session
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0007_cases_trust"
down_revision = "0006_user_session"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
