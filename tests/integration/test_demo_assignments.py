"""The demo leaves a week of open visit assignments, the demo grid worker's among them."""
from datetime import date

from sqlalchemy import text

from jizhen.cli import demo_steps
from grid.demo import load_demo
from grid.demo_assignments import PER_WORKER, WORKERS_PER_GRID

TODAY = date(2026, 11, 29)


def test_demo_assigns_urgent_households_in_every_grid(engine):
    load_demo(engine, households=900, seed=3, today=TODAY, steps=demo_steps())
    with engine.connect() as c:
        per_grid = c.execute(text(
            "SELECT g.code, COUNT(*), COUNT(DISTINCT a.worker_id) FROM visit_assignment a "
            "JOIN household h ON h.id = a.household_id JOIN community_grid g ON g.id = h.grid_id "
            "JOIN grid_worker w ON w.id = a.worker_id AND w.grid_id = g.id "
            "WHERE a.status = 'open' GROUP BY g.code")).all()
        mine = c.execute(text(
            "SELECT COUNT(*) FROM visit_assignment a JOIN app_user u ON u.worker_id = a.worker_id "
            "WHERE u.username = 'wangge' AND a.status = 'open'")).scalar()
        due = c.execute(text("SELECT MIN(due_on), MAX(due_on) FROM visit_assignment")).one()
    assert len(per_grid) == 12  # the join also proves no assignment crosses a grid boundary
    assert all(n == PER_WORKER * WORKERS_PER_GRID and w == WORKERS_PER_GRID for _, n, w in per_grid)
    assert mine == PER_WORKER
    assert str(due[0]) > str(TODAY)
