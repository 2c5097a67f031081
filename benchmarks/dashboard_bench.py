"""Dashboard benchmark: warm rerun time of each page (AppTest) and map HTML bytes.

    .venv/bin/python benchmarks/dashboard_bench.py --households 30000 100000

Each size gets a fresh SQLite demo (seed 1, today 2026-11-29) in a temp dir; the township leader
(all 12 grids) is the acting user. Cold = first run (cache fill), warm = median of 5 reruns,
after write = the leaders' page and the map (with the written grid's panel open) rerun once
after a visit was saved by someone else: the demo supervisor, in another process (its own
database session), records today's visit of an open assignment in their grid, a high-risk
overdue household if one has an open assignment. Only that grid's cache entries change. The
run then checks that the pages show the write: the map panel's high-risk-overdue count went
down by that household, and the leaders' per-grid table equals the same indicators computed
from the database without any cache.
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
BENCHED = ["views/map.py", "views/case_desk.py", "views/assign.py", "views/visit.py",
           "views/leaders.py"]
AFTER_WRITE = ("views/map.py", "views/leaders.py")
SUPERVISOR = "wanggezhang"  # the demo's grid supervisor (城中社区): saves the visit


def build(households: int, directory: Path) -> str:
    import functools

    from jizhen.cli import demo_steps
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


def demo_copy(households: int, keep: Path, directory: Path) -> str:
    """A fresh copy of the demo kept in `keep` (built there the first time)."""
    import shutil

    kept = keep / f"bench_{households}.db"
    if not kept.exists():
        keep.mkdir(parents=True, exist_ok=True)
        build(households, keep)
    copy = directory / kept.name
    shutil.copyfile(kept, copy)
    return f"sqlite:///{copy}"


LEADER = "zhenmingzheng"  # the demo's township leader: all 12 grids


def leader_session(url: str) -> tuple[dict, object]:
    """A real login session for the demo's township leader, as login_gate would store it."""
    from dashboard.auth import session_for
    from grid.db import make_engine, session_scope
    from grid.users import actor_for, get_user

    with session_scope(make_engine(url)) as s:
        user = get_user(s, LEADER)
        return session_for(user), actor_for(user)


def save_visit_elsewhere(url: str) -> dict:
    """Another user's session records one visit (the write under test), in a separate process:
    nothing of this process's caches or engine takes part. Returns what _save_visit wrote."""
    import json
    import subprocess

    done = subprocess.run([sys.executable, __file__, "--save-visit", url], capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"the other session failed to save its visit:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _save_visit(url: str) -> dict:
    """The demo supervisor records today's visit of an open assignment in their grid: of a
    high-risk overdue household when one has an open assignment."""
    import pandas as pd

    from grid.assignments import open_assignments_frame
    from grid.db import make_engine, session_scope
    from grid.frames import visits_frame
    from grid.metrics import default_config
    from grid.risk_service import latest_scores
    from grid.users import actor_for, get_user
    from grid.visits import VisitObservations, record_visit
    from risk.coverage import overdue_high_risk

    engine = make_engine(url)
    with session_scope(engine) as s:
        actor = actor_for(get_user(s, SUPERVISOR))
    open_a = open_assignments_frame(engine, actor)
    levels = latest_scores(engine, actor).set_index("household_id")["level"]
    last = visits_frame(engine, actor, until=TODAY).groupby("household_id")["visited_on"].max()
    days = (pd.Timestamp(TODAY) - open_a["household_id"].map(last)).dt.days
    overdue = overdue_high_risk(open_a["household_id"].map(levels).to_numpy(dtype=object),
                                days, default_config())
    a = open_a[overdue].iloc[0] if overdue.any() else open_a.iloc[0]
    with session_scope(engine) as s:
        record_visit(session=s, actor=actor, assignment_id=int(a["id"]),
                     expected_version=int(a["version"]), today=TODAY, visited_on=TODAY,
                     observations=VisitObservations(income_per_capita_yuan=None, notes="基准测试",
                                                    lost_job=True))
    engine.dispose()
    return {"household_id": int(a["household_id"]), "grid_code": str(a["grid_code"]),
            "was_high_risk_overdue": bool(overdue.any())}


def supervisor_grid(url: str) -> str:
    from grid.db import make_engine, session_scope
    from grid.users import actor_for, get_user

    with session_scope(make_engine(url)) as s:
        codes = actor_for(get_user(s, SUPERVISOR)).grid_codes
    return sorted(codes)[0]


PANEL = ("panel.high_risk_unvisited", "panel.coverage")


def _panel(at) -> dict:
    """The map page's grid panel as shown (label -> value)."""
    from dashboard.texts import t

    return {k: next(m.value for m in at.metric if m.label == t(k, "zh")) for k in PANEL}


def check_after_write(url: str, apps: dict, written: dict, panel_before: dict) -> None:
    """The reruns after the write show it: the written grid's map panel, and the leaders' table
    equal to the indicators computed from the database with no cache at all."""
    import pandas as pd

    from dashboard.texts import t
    from grid.db import make_engine
    from grid.metrics import leader_metrics, load_metrics_data

    panel = _panel(apps["views/map.py"])
    if written["was_high_risk_overdue"]:
        assert int(panel["panel.high_risk_unvisited"]) == \
            int(panel_before["panel.high_risk_unvisited"]) - 1, (panel_before, panel)
    _, actor = leader_session(url)
    fresh = leader_metrics(load_metrics_data(make_engine(url), actor), today=TODAY, months=6)
    shown = apps["views/leaders.py"].dataframe[0].value.set_index(t("lm.grid_code", "zh"))
    expected = fresh["by_grid"].set_index("grid_code")
    for key in ("coverage_30d", "flagged", "overdue_visits"):
        pd.testing.assert_series_equal(shown[t(f"lm.{key}", "zh")].astype(float),
                                       expected[key].astype(float), check_names=False,
                                       check_index=False)


def bench_pages(url: str) -> dict[str, tuple[float, float, float | None]]:
    from streamlit.testing.v1 import AppTest

    from dashboard.auth import SESSION_KEY

    os.environ.update(DATABASE_URL=url, JIZHEN_TODAY=TODAY.isoformat())
    login, _ = leader_session(url)
    from dashboard.navigation import pages_for
    from grid.access import Role

    out = {}
    apps = {}
    code = supervisor_grid(url)
    # the pages in the leader's navigation (dashboard.navigation), the map (landing page) first
    pages = [p for p in BENCHED
             if p.removeprefix("views/") in {s.file for s in pages_for(Role.TOWNSHIP_LEADER)}]
    for page in pages:
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
        at.session_state[SESSION_KEY] = dict(login)
        started = time.perf_counter()
        at.run()  # the landing page: the map
        cold = time.perf_counter() - started
        if page != "views/map.py":
            at.switch_page(page)
            started = time.perf_counter()
            at.run()
            cold = time.perf_counter() - started
        else:  # the written grid's panel open, as a leader following that grid would have it
            at.selectbox(key="map_panel_grid").set_value(code)
            at.run()
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
    cpu_after = {}  # CPU seconds of this process: what the run cost, whatever else the machine runs
    panel_before = _panel(apps["views/map.py"])
    written = save_visit_elsewhere(url)
    assert written["grid_code"] == code, written
    for page in AFTER_WRITE:  # each page's own session, warm, reruns once after the write
        started, cpu = time.perf_counter(), time.process_time()
        apps[page].run()
        after = time.perf_counter() - started
        assert not apps[page].exception, [e.value for e in apps[page].exception]
        out[page] = (*out[page][:2], after)
        cpu_after[page] = time.process_time() - cpu
    check_after_write(url, apps, written, panel_before)
    print(f"  after-write check passed: visit of household {written['household_id']} in grid "
          f"{written['grid_code']} (high-risk overdue before: {written['was_high_risk_overdue']}; "
          f"map panel {panel_before} -> {_panel(apps['views/map.py'])})")
    print("  after one write, CPU time: " + ", ".join(f"{p} {c:.3f} s" for p, c in cpu_after.items()))
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
    parser.add_argument("--save-visit", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--db-dir", type=Path, help="build each demo once in this directory and "
                        "run on a fresh copy of it (default: build in a temp dir every time)")
    args = parser.parse_args()
    if args.save_visit:  # the other session (see save_visit_elsewhere)
        import json

        print(json.dumps(_save_visit(args.save_visit)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.households:
            started = time.perf_counter()
            url = demo_copy(n, args.db_dir, Path(tmp)) if args.db_dir else build(n, Path(tmp))
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
