"""Moved to jizhen.ids (the platform); this name keeps old imports working."""
from jizhen.ids import (  # noqa: F401
    SIYANG_PREFIX,
    check_digit,
    id_number_problem,
    make_id_number,
    normalize_id_number,
)
