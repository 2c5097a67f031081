"""access: users (app_user) and an append-only guard on audit_entry

Revision ID: 0004_access
Revises: 0003_cases
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import jizhen.geotypes


revision = "0004_access"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

_PG_GUARD = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计日志只允许追加，不能修改或删除 (audit_entry is append-only)';
END;
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("grid_codes", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", jizhen.geotypes.UTCDateTime(), nullable=True),
        sa.Column("last_login_at", jizhen.geotypes.UTCDateTime(), nullable=True),
        sa.Column("password_changed_at", jizhen.geotypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", jizhen.geotypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_username"), ["username"], unique=True)

    # The audit log is append-only at the database level too (the hash chain detects what a
    # superuser does anyway, e.g. after dropping these triggers).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
        op.execute("CREATE TRIGGER audit_entry_no_update BEFORE UPDATE OR DELETE ON audit_entry "
                   "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()")
    else:
        op.execute("CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
                   "BEGIN SELECT RAISE(ABORT, '审计日志只允许追加，不能修改 (audit_entry is append-only)'); END")
        op.execute("CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
                   "BEGIN SELECT RAISE(ABORT, '审计日志只允许追加，不能删除 (audit_entry is append-only)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
    op.drop_table("app_user")
