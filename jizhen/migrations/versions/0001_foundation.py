"""foundation

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-29 11:41:33.423617
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import jizhen.geotypes


revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('before_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('after_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('community_grid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('geometry', jizhen.geotypes.Geometry(), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('community_grid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_grid_code'), ['code'], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_community_grid_geometry ON community_grid USING GIST (geometry)")

    op.create_table('grid_worker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('employment', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['community_grid.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('grid_worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_worker_grid_id'), ['grid_id'], unique=False)

    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('head_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('head_id_number', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('elderly_alone', sa.Boolean(), nullable=False),
    sa.Column('minors', sa.Integer(), nullable=False),
    sa.Column('severe_disability', sa.Boolean(), nullable=False),
    sa.Column('serious_illness', sa.Boolean(), nullable=False),
    sa.Column('dibao', sa.Boolean(), nullable=False),
    sa.Column('tekun', sa.Boolean(), nullable=False),
    sa.Column('income_per_capita_yuan', sa.Float(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['community_grid.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('head_id_number', name='uq_household_head_id')
    )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_grid_id'), ['grid_id'], unique=False)

    op.create_table('hardship_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hardship_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hardship_event_household_id'), ['household_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('income_per_capita_yuan', sa.Float(), nullable=True),
    sa.Column('housing_loss', sa.Boolean(), nullable=False),
    sa.Column('accidental_injury', sa.Boolean(), nullable=False),
    sa.Column('sudden_illness_or_disaster', sa.Boolean(), nullable=False),
    sa.Column('care_gap', sa.Boolean(), nullable=False),
    sa.Column('lost_job', sa.Boolean(), nullable=False),
    sa.Column('new_illness', sa.Boolean(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['grid_worker.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_household_day', ['household_id', 'visited_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_visited_on'), ['visited_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_worker_id'), ['worker_id'], unique=False)

    op.create_table('visit_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('assigned_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['grid_worker.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_assignment_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_assignment_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_assignment_worker_id'), ['worker_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('visit_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_assignment_worker_id'))
        batch_op.drop_index(batch_op.f('ix_visit_assignment_status'))
        batch_op.drop_index(batch_op.f('ix_visit_assignment_household_id'))

    op.drop_table('visit_assignment')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_worker_id'))
        batch_op.drop_index(batch_op.f('ix_visit_visited_on'))
        batch_op.drop_index('ix_visit_household_day')

    op.drop_table('visit')
    with op.batch_alter_table('hardship_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hardship_event_household_id'))

    op.drop_table('hardship_event')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_grid_id'))

    op.drop_table('household')
    with op.batch_alter_table('grid_worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_worker_grid_id'))

    op.drop_table('grid_worker')
    with op.batch_alter_table('community_grid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_grid_code'))

    op.drop_table('community_grid')
    op.drop_table('audit_entry')
    
