"""Settings read from the environment, in one place (never at import time): the one Settings.

Every JIZHEN_* variable (and DATABASE_URL) is a field here; modules call get_settings() instead of
reading os.environ. The README's configuration table lists the same variables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
GRIDS_GEOJSON = DATA_DIR / "geo" / "zhongxing_grids.geojson"
CALENDAR_DIR = DATA_DIR / "calendar"
TIMEZONE = "Asia/Shanghai"
DEFAULT_BCRYPT_ROUNDS = 12
BCRYPT_ROUNDS_RANGE = (4, 16)


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path
    tiles: str  # none | osm | tianditu_vec | tianditu_img | an XYZ URL template
    tianditu_key: str
    session_minutes: int
    calendar_dir: Path = CALENDAR_DIR  # JIZHEN_CALENDAR_DIR: holiday files beyond chinesecalendar
    bcrypt_rounds: int = DEFAULT_BCRYPT_ROUNDS  # JIZHEN_BCRYPT_ROUNDS, clamped to 4..16
    today: date | None = None  # JIZHEN_TODAY: a fixed business date (demos, tests); None = real today
    # The audit log's anchor (jizhen.audit): HMAC key file, checkpoint folder, checkpoint interval.
    audit_key_file: Path | None = None  # JIZHEN_AUDIT_KEY_FILE, default <var>/audit.key
    audit_anchor_dir: Path | None = None  # JIZHEN_AUDIT_ANCHOR_DIR, default <var>/audit-anchor
    audit_checkpoint_every: int = 1  # JIZHEN_AUDIT_CHECKPOINT_EVERY (≥ 1; 1: every commit)
    # The intake API (jizhen.api): POST requests per minute per API client (429 past it).
    api_rate_per_minute: int = 60  # JIZHEN_API_RATE_PER_MINUTE (≥ 1)
    # Imports stop checking after this many problems (all or nothing still holds).
    import_max_problems: int = 200  # JIZHEN_IMPORT_MAX_PROBLEMS (≥ 1)
    # Import files larger than this are refused before they are read (100,000 households are ~13 MB
    # of CSV; a year of visits for them ~50 MB).
    import_max_bytes: int = 64 * 2**20  # JIZHEN_IMPORT_MAX_BYTES (≥ 1), in bytes


def default_sqlite_url(var_dir: Path) -> str:
    return f"sqlite:///{var_dir / 'jizhen.db'}"


def _bcrypt_rounds(raw: str | None) -> int:
    """Invalid or missing: the default (12); otherwise clamped to the range bcrypt accepts here."""
    try:
        rounds = int(raw) if raw not in (None, "") else DEFAULT_BCRYPT_ROUNDS
    except ValueError:
        return DEFAULT_BCRYPT_ROUNDS
    low, high = BCRYPT_ROUNDS_RANGE
    return max(low, min(high, rounds))


def _today(raw: str | None) -> date | None:
    if not raw or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"环境变量 JIZHEN_TODAY 应为 YYYY-MM-DD 格式的日期，实际为“{raw}” "
                         f"(JIZHEN_TODAY must be YYYY-MM-DD)") from None


def _positive_int(raw: str | None, name: str, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        return max(1, int(raw))
    except ValueError:
        raise ValueError(f"{name} 应为正整数，实际为“{raw}” ({name} must be a positive integer)") from None


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
        calendar_dir=Path(env["JIZHEN_CALENDAR_DIR"]) if env.get("JIZHEN_CALENDAR_DIR") else CALENDAR_DIR,
        bcrypt_rounds=_bcrypt_rounds(env.get("JIZHEN_BCRYPT_ROUNDS")),
        today=_today(env.get("JIZHEN_TODAY")),
        audit_key_file=Path(env.get("JIZHEN_AUDIT_KEY_FILE") or var_dir / "audit.key"),
        audit_anchor_dir=Path(env.get("JIZHEN_AUDIT_ANCHOR_DIR") or var_dir / "audit-anchor"),
        audit_checkpoint_every=_positive_int(env.get("JIZHEN_AUDIT_CHECKPOINT_EVERY"),
                                             "JIZHEN_AUDIT_CHECKPOINT_EVERY", 1),
        api_rate_per_minute=_positive_int(env.get("JIZHEN_API_RATE_PER_MINUTE"),
                                          "JIZHEN_API_RATE_PER_MINUTE", 60),
        import_max_problems=_positive_int(env.get("JIZHEN_IMPORT_MAX_PROBLEMS"),
                                          "JIZHEN_IMPORT_MAX_PROBLEMS", 200),
        import_max_bytes=_positive_int(env.get("JIZHEN_IMPORT_MAX_BYTES"),
                                       "JIZHEN_IMPORT_MAX_BYTES", 64 * 2**20),
    )
