"""cases: guards on decisions, payments and money (placeholder)

Revision ID: 0010_case_guards
Revises: 0009_security
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0010_case_guards"
down_revision = "0009_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
