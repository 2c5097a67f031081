"""Demo stage: the week's open home-visit assignments, so every worker screen has work on it.

Runs after scoring and users: in each grid the most urgent suggested households are assigned,
three each, to the workers that have a login first (the demo's grid worker) and two more.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlmodel import Session, select

from grid.access import SYSTEM
from grid.assignments import assign_visits, suggest_visits
from grid.frames import households_frame, workers_frame
from grid.risk_service import latest_scores
from grid.users import User

PER_WORKER = 3
WORKERS_PER_GRID = 3


def demo_step(session: Session, *, today: date, seed: int) -> None:
    conn = session.connection()
    households = households_frame(conn, SYSTEM)
    scores = latest_scores(conn, SYSTEM)
    workers = workers_frame(conn, SYSTEM)
    linked = {w for w in session.exec(select(User.worker_id)).all() if w is not None}
    no_open = pd.DataFrame({"household_id": pd.Series(dtype="int64")})
    for code, crew in workers.groupby("grid_code"):
        crew = crew.assign(_linked=~crew["id"].isin(linked)).sort_values(["_linked", "id"])
        chosen = crew["id"].head(WORKERS_PER_GRID).tolist()
        suggested = suggest_visits(households, scores, no_open, grid_code=code, today=today,
                                   limit=PER_WORKER * len(chosen))["household_id"].tolist()
        for n, worker_id in enumerate(chosen):
            batch = suggested[n * PER_WORKER:(n + 1) * PER_WORKER]
            if batch:
                assign_visits(session=session, actor=SYSTEM, household_ids=batch,
                              worker_id=int(worker_id), due_on=today + timedelta(days=7 + n),
                              today=today)
