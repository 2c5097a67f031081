"""cases: verification checklist, blacklist review, stipends (placeholder)

Revision ID: 0014_officer_desk
Revises: 0013_register_facts
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0014_officer_desk"
down_revision = "0013_register_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
