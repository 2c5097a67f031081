"""The database: one function builds the engine from DATABASE_URL; Alembic owns the schema.

Public API (also importable as grid.db): make_engine, session_scope, init_db, StaleEdit,
update_versioned."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Column, Integer, event, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, create_engine

from jizhen.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_DIRS = (MIGRATIONS_DIR / "versions",)


class StaleEdit(Exception):
    """Someone else changed the row since it was read (optimistic locking)."""


def stale_message(what: str, row_id=None) -> str:
    ref = f"（{what} #{row_id}）" if row_id is not None else f"（{what}）"
    return (f"该记录{ref}已被他人修改，请刷新后重试；您的修改尚未保存 "
            f"({what} {row_id if row_id is not None else ''} was changed by someone else; reload and retry)")


# --- optimistic locking: one mechanism ----------------------------------------------------------
# Every table people edit has an integer `version` column that is the mapper's version_id_col:
# SQLAlchemy adds `AND version = <the version read>` to each UPDATE/DELETE of the row and bumps it;
# when someone else got there first no row matches and the flush raises StaleDataError, which
# session_scope (and update_versioned) turn into StaleEdit. Declare it as
#     _version = version_column()
#     class Thing(SQLModel, table=True):
#         __mapper_args__ = {"version_id_col": _version}
#         version: int = Field(default=1, sa_column=_version)
def version_column() -> Column:
    """A fresh `version` column for one table (1 for a new row; see the note above)."""
    return Column("version", Integer, nullable=False, default=1, server_default="1")


def is_versioned(model) -> bool:
    """True when `model`'s mapper guards its rows with a version_id_col."""
    return sa_inspect(model).version_id_col is not None


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
            from jizhen.outputs import secure_sqlite_file

            secure_sqlite_file(parsed.database)  # 0600, like backups
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
    """One unit of work: commit on success, roll back on any error. A lost optimistic-locking race
    (another user saved the same row first) is rolled back and raised as StaleEdit."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise StaleEdit(stale_message(_stale_what(exc))) from None
        except BaseException:
            session.rollback()
            raise


def _stale_what(exc: StaleDataError) -> str:
    text_ = str(exc)
    for word in text_.split():
        if word.startswith("'") and word.endswith("'") and "." not in word:
            return word.strip("'")
    return "record"


def update_versioned(session: Session, model, row_id: int, expected_version: int, **values) -> None:
    """Change a row only if its version is still `expected_version` (the version the user saw).

    The same mechanism as every other edit: the row is read, compared with `expected_version`, its
    attributes set and flushed through the mapper's version_id_col (UPDATE ... WHERE id = ? AND
    version = ?, version bumped). A missing row, another version, or a race lost at the flush
    raises StaleEdit and nothing of this call is written. `values` are attribute or column names.
    """
    if not is_versioned(model):
        raise TypeError(f"{model.__name__} has no version_id_col: it is not guarded by optimistic locking")
    obj = session.get(model, row_id, populate_existing=True)
    if obj is None or int(obj.version) != int(expected_version):
        raise StaleEdit(stale_message(model.__tablename__, row_id))
    mapper = sa_inspect(model)
    table = model.__table__
    for key, value in values.items():
        if key in mapper.attrs:
            setattr(obj, key, value)
        elif key in table.c:
            setattr(obj, mapper.get_property_by_column(table.c[key]).key, value)
        else:
            raise AttributeError(f"{model.__name__} has no column {key!r}")
    # Always a write, as before: the version moves on even when the values are unchanged, so a
    # second user holding the old version cannot save "the same" over someone else's save.
    setattr(obj, mapper.get_property_by_column(mapper.version_id_col).key, int(expected_version) + 1)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleEdit(stale_message(model.__tablename__, row_id)) from None


# Every module that defines tables. Alembic's env and the model/migration comparison import them all
# through load_models(); a new module with tables is added here and nowhere else.
MODEL_MODULES = ("grid.models", "grid.risk_models", "grid.facts", "jizhen.users", "jizhen.users.sessions",
                 "cases.models", "jizhen.api.models")


def load_models():
    """Import every module with tables; returns SQLModel.metadata with all of them registered."""
    import importlib

    from sqlmodel import SQLModel

    for name in MODEL_MODULES:
        importlib.import_module(name)
    return SQLModel.metadata
