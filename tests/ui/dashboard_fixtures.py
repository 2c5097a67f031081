"""A small demo database for the dashboard's UI tests (AppTest and browser)."""
from __future__ import annotations

import functools
from pathlib import Path

from tests.conftest import DEMO_TODAY

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def make_demo_db(path: Path, households: int = 600, seed: int = 7) -> str:
    """SQLite file with the demo (scores, cases, users; not the demo's open visit assignments:
    tests make their own and count them); returns its URL."""
    from jizhen.cli import demo_steps
    from grid.db import init_db, make_engine
    from grid.demo import load_demo

    steps = []
    for step in demo_steps():
        if step.__module__ == "grid.demo_assignments":
            continue
        if "users" in step.__module__:  # it prints the demo passwords; keep test output quiet
            step = functools.partial(step, echo=lambda *_: None)
        steps.append(step)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    init_db(engine)
    load_demo(engine, households=households, seed=seed, today=DEMO_TODAY, steps=steps)
    engine.dispose()
    return url
