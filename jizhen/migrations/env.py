from alembic import context
from sqlmodel import SQLModel

import grid.models  # noqa: F401  (registers tables)
import grid.risk_models  # noqa: F401
import grid.user_sessions  # noqa: F401
import grid.users  # noqa: F401
import cases.models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from jizhen.db import make_engine

        engine = make_engine()
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        context.run_migrations()


run_migrations_online()
