"""cases: the emergency-assistance workflow (cases, transitions, referrals, payments, spot checks,
blacklist, fund movements, disclosures)

Revision ID: 0003_cases
Revises: 0002_risk
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import jizhen.geotypes


revision = "0003_cases"
down_revision = "0002_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('aid_blacklist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id_number', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('person_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=False),
    sa.Column('listed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('aid_blacklist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_blacklist_person_id_number'), ['person_id_number'], unique=False)

    op.create_table('aid_disclosure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('month')
    )
    op.create_table('aid_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_no', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('amount_requested_fen', sa.Integer(), nullable=False),
    sa.Column('amount_approved_fen', sa.Integer(), nullable=True),
    sa.Column('person_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('person_id_number', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('grid_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('match_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('work_order_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('hardship_event_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('received_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.Column('approval_due_on', sa.Date(), nullable=False),
    sa.Column('approval_provisional', sa.Boolean(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('aid_first', sa.Boolean(), nullable=False),
    sa.Column('aid_on', sa.Date(), nullable=True),
    sa.Column('paperwork_due_on', sa.Date(), nullable=True),
    sa.Column('paperwork_provisional', sa.Boolean(), nullable=False),
    sa.Column('files_completed_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('follow_up', sa.Boolean(), nullable=False),
    sa.Column('review_opinion', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('blacklist_override_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('reported_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hardship_event_id'], ['hardship_event.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('work_order_no')
    )
    with op.batch_alter_table('aid_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_case_case_no'), ['case_no'], unique=True)
        batch_op.create_index(batch_op.f('ix_aid_case_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_case_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_case_grid_code'), ['grid_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_case_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_case_match_status'), ['match_status'], unique=False)
        batch_op.create_index('ix_aid_case_person_category', ['person_id_number', 'category'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_case_received_on'), ['received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_case_status'), ['status'], unique=False)
        batch_op.create_index('ix_aid_case_status_grid', ['status', 'grid_code'], unique=False)

    op.create_table('aid_case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('transition', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('on_day', sa.Date(), nullable=False),
    sa.Column('at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['aid_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('aid_case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_case_event_case_id'), ['case_id'], unique=False)

    op.create_table('aid_fund_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('on_day', sa.Date(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['aid_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('aid_fund_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_fund_movement_year'), ['year'], unique=False)

    op.create_table('aid_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('payee_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('account_masked', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('aid_first', sa.Boolean(), nullable=False),
    sa.Column('fund_account', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('paid_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['aid_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('aid_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_payment_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_payment_paid_on'), ['paid_on'], unique=False)

    op.create_table('aid_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('scheme', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('responded_on', sa.Date(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('fast_track', sa.Boolean(), nullable=False),
    sa.Column('compliant_cost_fen', sa.Integer(), nullable=True),
    sa.Column('insurance_paid_fen', sa.Integer(), nullable=True),
    sa.Column('reimbursed_fen', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['aid_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('aid_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_referral_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_referral_status'), ['status'], unique=False)

    op.create_table('aid_spot_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('grid_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('inspector', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('drawn_on', sa.Date(), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('result_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', jizhen.geotypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['aid_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('month', 'case_id', name='uq_spot_check_month_case')
    )
    with op.batch_alter_table('aid_spot_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_spot_check_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_spot_check_month'), ['month'], unique=False)


def downgrade() -> None:
    # dropping a table drops its indexes
    op.drop_table('aid_spot_check')
    op.drop_table('aid_referral')
    op.drop_table('aid_payment')
    op.drop_table('aid_fund_movement')
    op.drop_table('aid_case_event')
    op.drop_table('aid_case')
    op.drop_table('aid_disclosure')
    op.drop_table('aid_blacklist')
