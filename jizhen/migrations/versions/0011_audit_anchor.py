"""audit: anchoring — each audit row carries an HMAC made with a key the database does not hold

Revision ID: 0011_audit_anchor
Revises: 0010_case_guards

Rows written before this revision keep mac = NULL; jizhen.audit accepts that only for rows up to
the head recorded in the first signed checkpoint of the database (see jizhen/audit.py).
"""
from alembic import op
import sqlalchemy as sa

revision = "0011_audit_anchor"
down_revision = "0010_case_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild): the append-only triggers on audit_entry stay in place.
    op.add_column("audit_entry", sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE audit_entry DROP COLUMN mac")
