"""Public API, kept for good: the database lives in jizhen.db (make_engine, session_scope, init_db,
StaleEdit, update_versioned)."""
from jizhen.db import (  # noqa: F401
    MIGRATIONS_DIR,
    StaleEdit,
    alembic_config,
    init_db,
    is_versioned,
    make_engine,
    schema_revision,
    session_scope,
    stale_message,
    update_versioned,
    version_column,
)
