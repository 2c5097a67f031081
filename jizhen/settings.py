"""Settings read from the environment, in one place (never at import time)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
GRIDS_GEOJSON = DATA_DIR / "geo" / "zhongxing_grids.geojson"
TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path
    tiles: str  # none | osm | tianditu_vec | tianditu_img | an XYZ URL template
    tianditu_key: str
    session_minutes: int


def default_sqlite_url(var_dir: Path) -> str:
    return f"sqlite:///{var_dir / 'jizhen.db'}"


def get_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("JIZHEN_VAR_DIR", PROJECT_DIR / "var"))
    url = env.get("DATABASE_URL") or default_sqlite_url(var_dir)
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; accept the plain form too.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return Settings(
        database_url=url,
        var_dir=var_dir,
        tiles=env.get("JIZHEN_TILES", "none"),
        tianditu_key=env.get("JIZHEN_TIANDITU_KEY", ""),
        session_minutes=int(env.get("JIZHEN_SESSION_MINUTES", "30")),
    )
