"""Alembic migrations and the SQLModel tables describe the same schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from jizhen.db import load_models


def test_models_match_migrations(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, load_models())
    # PostGIS owns spatial_ref_sys; the GiST index on grid polygons exists on PostgreSQL only.
    diff = [d for d in diff
            if not (d[0] == "remove_table" and d[1].name == "spatial_ref_sys")
            and not (d[0] == "remove_index" and d[1].name == "ix_community_grid_geometry")]
    assert diff == []
