"""The database: one function builds the engine from DATABASE_URL; Alembic owns the schema.

Public API (also importable as grid.db): make_engine, session_scope, init_db, StaleEdit,
update_versioned."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, text, update
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from jizhen.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Revision files: the platform's folder, plus grid/migrations/versions while the migrations written
# in parallel (0007, 0009-0011) still live there (both are read; a revision id is unique across them).
VERSION_DIRS = tuple(d for d in (MIGRATIONS_DIR / "versions",
                                 Path(__file__).resolve().parent.parent / "grid" / "migrations" / "versions")
                     if d.is_dir())


class StaleEdit(Exception):
    """Someone else changed the row since it was read (optimistic locking)."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Engine for `url` (default: DATABASE_URL, else the SQLite file under var/)."""
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(d) for d in VERSION_DIRS))
    cfg.attributes["engine"] = engine
    return cfg


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            return None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def update_versioned(session: Session, model, row_id: int, expected_version: int, **values) -> None:
    """UPDATE a row only if its version is still `expected_version`; bump it. Else StaleEdit."""
    table = model.__table__
    result = session.execute(
        update(table)
        .where(table.c.id == row_id, table.c.version == expected_version)
        .values(version=expected_version + 1, **values)
    )
    if result.rowcount != 1:
        raise StaleEdit(f"该记录（{model.__tablename__} #{row_id}）已被他人修改，请刷新后重试；"
                        f"您的修改尚未保存 ({model.__name__} {row_id} was changed by someone else)")
    session.expire_all()
