"""audit: anchoring (placeholder)

Revision ID: 0011_audit_anchor
Revises: 0010_case_guards
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0011_audit_anchor"
down_revision = "0010_case_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
