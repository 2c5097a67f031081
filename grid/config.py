"""Moved to jizhen.settings (the platform); this name keeps old imports working."""
from jizhen.settings import (  # noqa: F401
    CALENDAR_DIR,
    DATA_DIR,
    GRIDS_GEOJSON,
    PROJECT_DIR,
    TIMEZONE,
    Settings,
    default_sqlite_url,
    get_settings,
)
