"""user_worker: a grid worker's account is linked to its grid_worker row (app_user.worker_id)

Revision ID: 0005_user_worker
Revises: 0004_access
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_user_worker"
down_revision = "0004_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a foreign key to an existing table without recreating it.
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_app_user_worker_id", "grid_worker", ["worker_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_constraint("fk_app_user_worker_id", type_="foreignkey")
        batch_op.drop_column("worker_id")
