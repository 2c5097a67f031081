"""platform: one optimistic-locking mechanism

Every table people edit has an integer `version` column that its mapper uses as version_id_col
(jizhen.db). household, visit_assignment, app_user, aid_case, aid_referral and aid_spot_check
already had one; this adds it to community_grid, grid_worker and aid_blacklist (1 for existing rows).

Revision ID: 0008_platform
Revises: 0007_cases_trust
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_platform"
down_revision = "0007_cases_trust"
branch_labels = None
depends_on = None

TABLES = ("community_grid", "grid_worker", "aid_blacklist")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
