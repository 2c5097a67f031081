"""Column types that behave the same on SQLite and PostgreSQL/PostGIS.

Geometry is WKT text in Python. On PostgreSQL it is stored as a real PostGIS
``geometry(Geometry, 4326)`` (so spatial SQL and indexes work); on SQLite as text.
Datetimes are stored in UTC and always come back timezone-aware.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, UserDefinedType


class PostGISGeometry(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "geometry(Geometry,4326)"


class _wkt_in(FunctionElement):
    inherit_cache = True
    type = Text()


class _wkt_out(FunctionElement):
    inherit_cache = True
    type = Text()


@compiles(_wkt_in)
def _wkt_in_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_wkt_in, "postgresql")
def _wkt_in_pg(element, compiler, **kw):
    return f"ST_GeomFromText({compiler.process(element.clauses, **kw)}, 4326)"


@compiles(_wkt_out)
def _wkt_out_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_wkt_out, "postgresql")
def _wkt_out_pg(element, compiler, **kw):
    return f"ST_AsText({compiler.process(element.clauses, **kw)})"


class Geometry(TypeDecorator):
    """WKT in Python; PostGIS geometry on PostgreSQL, TEXT elsewhere (SRID 4326, lon/lat)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PostGISGeometry())
        return dialect.type_descriptor(Text())

    def bind_expression(self, bindvalue):
        return _wkt_in(bindvalue)

    def column_expression(self, col):
        return _wkt_out(col)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored in UTC; naive input is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass a timezone-aware datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
