"""Migrations still being written in parallel (0007, 0009-0011); jizhen/migrations holds the rest.

Alembic reads both folders (jizhen.db.VERSION_DIRS); they will be moved to jizhen/migrations/versions."""
