"""grid: a household's grid assigned by hand (its location lies outside every grid) is kept by
later boundary imports — household.grid_by_hand

Revision ID: 0017_grid_by_hand
Revises: 0016_oversight
"""
from alembic import op
import sqlalchemy as sa

revision = "0017_grid_by_hand"
down_revision = "0016_oversight"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household") as batch_op:
        batch_op.add_column(sa.Column("grid_by_hand", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("household") as batch_op:
        batch_op.drop_column("grid_by_hand")
