"""Random spot checks (双随机): ≥ 30% of recipients in every grid, inspectors drawn at random,
reproducible from a seed. Pure."""
from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from cases.errors import DomainError

SPOT_CHECK_MIN_FRACTION = 0.30


@dataclass(frozen=True)
class SpotDraw:
    recipient_id: Any
    grid_code: str
    inspector: str


def spot_check_size(n: int, fraction: float = SPOT_CHECK_MIN_FRACTION) -> int:
    if n <= 0:
        return 0
    return min(n, max(1, math.ceil(n * max(fraction, SPOT_CHECK_MIN_FRACTION) - 1e-9)))


def draw_spot_checks(
    recipients: Sequence[tuple[Any, str]],
    inspectors: Sequence[str],
    *,
    seed: int | str,
    fraction: float = SPOT_CHECK_MIN_FRACTION,
    conflicts: Mapping[str, Iterable[str]] | None = None,
) -> list[SpotDraw]:
    """Draw ≥30% of recipients in every grid, each with a randomly drawn inspector.

    ``recipients``: (recipient id, grid code); ``conflicts``: grid code → inspectors who may not
    inspect there (e.g. that grid's own staff). Same inputs and seed → same draw.
    """
    if not inspectors:
        raise DomainError("没有可用的抽查人员", "no inspectors available", code="no_inspectors")
    rng = random.Random(f"jizhen-spotcheck:{seed}")
    by_grid: dict[str, list] = defaultdict(list)
    for rid, grid in recipients:
        by_grid[str(grid)].append(rid)
    pool = sorted(set(inspectors))
    conflicts = {k: set(v) for k, v in (conflicts or {}).items()}
    out: list[SpotDraw] = []
    for grid in sorted(by_grid):
        ids = sorted(set(by_grid[grid]), key=lambda x: str(x))
        k = spot_check_size(len(ids), fraction)
        chosen = rng.sample(ids, k)
        eligible = [p for p in pool if p not in conflicts.get(grid, set())] or pool
        for rid in sorted(chosen, key=lambda x: str(x)):
            out.append(SpotDraw(rid, grid, rng.choice(eligible)))
    return out
