"""risk: register facts with their history, corrections, appeals (placeholder)

Revision ID: 0013_register_facts
Revises: 0012_api_clients
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0013_register_facts"
down_revision = "0012_api_clients"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
