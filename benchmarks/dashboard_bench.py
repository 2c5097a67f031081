"""Dashboard benchmark: warm rerun time of each page (AppTest) and map HTML bytes.

    .venv/bin/python benchmarks/dashboard_bench.py --households 30000 100000

Each size gets a fresh SQLite demo (seed 1, today 2026-11-29) in a temp dir; the township leader
(all 12 grids) is the acting user. Cold = first run (cache fill), warm = median of 5 reruns,
after write = the leaders' page and the map rerun once after a visit was saved by someone else
(the demo supervisor, in another session: only that grid's cache entries change).
Targets (issue 4, issue 9): warm rerun <= 0.5 s per page, after one write <= 1 s, map <= 2 MB at
100k households.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 29)
PAGES = ["pages/map.py", "pages/case_desk.py", "pages/assign.py", "pages/visit.py", "pages/leaders.py"]
AFTER_WRITE = ("pages/map.py", "pages/leaders.py")
SUPERVISOR = "wanggezhang"  # the demo's grid supervisor (城中社区): saves the visit


def build(households: int, directory: Path) -> str:
    import functools

    from grid.cli import demo_steps
    from grid.db import init_db, make_engine
    from grid.demo import load_demo

    url = f"sqlite:///{directory / f'bench_{households}.db'}"
    engine = make_engine(url)
    init_db(engine)
    steps = [functools.partial(s, echo=lambda *_: None) if "users" in s.__module__ else s
             for s in demo_steps()]
    load_demo(engine, households=households, seed=1, today=TODAY, steps=steps)
    engine.dispose()
    return url


LEADER = "zhenmingzheng"  # the demo's township leader: all 12 grids


def leader_session(url: str) -> tuple[dict, object]:
    """A real login session for the demo's township leader, as login_gate would store it."""
    from dashboard.auth import session_for
    from grid.db import make_engine, session_scope
    from grid.users import actor_for, get_user

    with session_scope(make_engine(url)) as s:
        user = get_user(s, LEADER)
        return session_for(user), actor_for(user)


def save_visit_elsewhere(url: str) -> int:
    """Another user's session records one open visit of their grid (the write under test)."""
    from grid.assignments import open_assignments_frame
    from grid.db import make_engine, session_scope
    from grid.users import actor_for, get_user
    from grid.visits import VisitObservations, record_visit

    engine = make_engine(url)
    with session_scope(engine) as s:
        actor = actor_for(get_user(s, SUPERVISOR))
    a = open_assignments_frame(engine, actor).iloc[0]
    with session_scope(engine) as s:
        record_visit(session=s, actor=actor, assignment_id=int(a["id"]),
                     expected_version=int(a["version"]), today=TODAY, visited_on=TODAY,
                     observations=VisitObservations(income_per_capita_yuan=None, notes="基准测试",
                                                    lost_job=True))
    engine.dispose()
    return int(a["household_id"])


def bench_pages(url: str) -> dict[str, tuple[float, float, float | None]]:
    from streamlit.testing.v1 import AppTest

    from dashboard.auth import SESSION_KEY

    os.environ.update(DATABASE_URL=url, JIZHEN_TODAY=TODAY.isoformat())
    login, _ = leader_session(url)
    out = {}
    apps = {}
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
        at.session_state[SESSION_KEY] = dict(login)
        at.run()
        if page != "pages/map.py":
            at.switch_page(page)
        started = time.perf_counter()
        at.run()
        cold = time.perf_counter() - started
        # Measure the page, not the login form.
        assert not any(t.label == "密码" for t in at.text_input), f"{page}: still at the login form"
        assert not at.exception, [e.value for e in at.exception]
        warm = []
        for _ in range(5):
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        out[page] = (cold, statistics.median(warm), None)
        apps[page] = at
    save_visit_elsewhere(url)
    for page in AFTER_WRITE:  # each page's own session, warm, reruns once after the write
        started = time.perf_counter()
        apps[page].run()
        after = time.perf_counter() - started
        assert not apps[page].exception, [e.value for e in apps[page].exception]
        out[page] = (*out[page][:2], after)
    return out


def map_bytes(url: str) -> tuple[int, float]:
    from dashboard import state
    from dashboard.maps import map_html

    _, actor = leader_session(url)
    options = (("metric", "coverage_30d"), ("layers", ("cases", "hotspots", "households")),
               ("grid_codes", None), ("worker_id", None), ("levels", ("orange", "red")),
               ("deadlines", ("due_soon", "on_time", "overdue")), ("lang", "zh"))
    started = time.perf_counter()
    html = map_html(state.cached_map(url, actor, TODAY, options))
    return len(html.encode()), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, nargs="+", default=[30000, 100000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.households:
            started = time.perf_counter()
            url = build(n, Path(tmp))
            print(f"== {n} households (demo built in {time.perf_counter() - started:.1f} s)")
            for page, (cold, warm, after) in bench_pages(url).items():
                flag = "OK" if warm <= 0.5 else "OVER"
                line = f"  {page:<18} cold {cold:6.2f} s   warm {warm:6.3f} s  {flag}"
                if after is not None:
                    line += f"   after one write {after:6.3f} s  {'OK' if after <= 1 else 'OVER'}"
                print(line)
            size, secs = map_bytes(url)
            print(f"  map HTML {size / 1e6:.2f} MB ({'OK' if size <= 2e6 else 'OVER'}), "
                  f"build+render {secs:.2f} s")


if __name__ == "__main__":
    main()
