"""grid: worklist, routes, idempotent visits — visit.idempotency_key (UNIQUE)

Revision ID: 0015_visit_day
Revises: 0014_officer_desk

The visit form makes a key when it is drawn; a resend of that form (double tap, weak connection)
finds the visit already recorded by this key. A unique index (NULLs allowed: imported and older
visits have none) rather than a table constraint, so SQLite needs no table rebuild.
"""
from alembic import op
import sqlalchemy as sa

revision = "0015_visit_day"
down_revision = "0014_officer_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("visit", sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.create_index("uq_visit_idempotency_key", "visit", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_visit_idempotency_key", table_name="visit")
    with op.batch_alter_table("visit") as batch:
        batch.drop_column("idempotency_key")
