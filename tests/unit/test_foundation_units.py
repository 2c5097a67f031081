"""Configuration, masking and column types."""
from datetime import datetime, timezone

import pytest

from grid.config import get_settings
from grid.geotypes import UTCDateTime
from grid.privacy import mask_id_number, mask_name, mask_phone


def test_settings_default_to_sqlite_under_var(tmp_path):
    s = get_settings({"JIZHEN_VAR_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'jizhen.db'}"
    assert s.tiles == "none"


def test_plain_postgresql_url_uses_psycopg3():
    s = get_settings({"DATABASE_URL": "postgresql://u:p@h/db"})
    assert s.database_url == "postgresql+psycopg://u:p@h/db"


def test_masks():
    assert mask_id_number("32132319500307012X") == "321323********012X"
    assert mask_phone("17001234567") == "170****4567"
    assert mask_name("张小三") == "张*三" and mask_name("张三") == "张*" and mask_name("欧阳小明") == "欧**明"


def test_naive_datetimes_are_refused():
    t = UTCDateTime()
    with pytest.raises(ValueError):
        t.process_bind_param(datetime(2026, 1, 1), dialect=type("D", (), {"name": "sqlite"})())
    aware = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    assert t.process_bind_param(aware, dialect=type("D", (), {"name": "postgresql"})()) == aware
