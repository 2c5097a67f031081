"""Public API, kept for good: who is acting and what they may do lives in jizhen.access."""
from jizhen.access import (  # noqa: F401
    SYSTEM,
    AccessDenied,
    Actor,
    Role,
    grid_filter,
    require,
)
