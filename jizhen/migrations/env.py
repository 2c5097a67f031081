from alembic import context

from jizhen.db import load_models

config = context.config
target_metadata = load_models()


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
