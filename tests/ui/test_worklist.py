"""AppTest of the 走访派单 worklist: rows selected in the table itself, the worker's load against
capacity before confirming, over capacity only with a confirmation, a household assigned
meanwhile reported (not assigned twice), due date the next working day, the same counts as the
map's visit-status layer, coverage per grid and per worker."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from cases.calendar import add_working_days
from grid.access import SYSTEM, Actor, Role
from grid.assignments import assign_visits, open_assignments_frame
from grid.db import make_engine, session_scope
from grid.frames import grids_frame, workers_frame
from grid.models import VisitAssignment
from grid.users import get_user
from grid.visit_status import NEEDS_VISIT, household_visit_status, status_counts
from tests.conftest import DEMO_TODAY
from tests.ui.dashboard_fixtures import APP, make_demo_db
from tests.ui.ui_fixtures import ensure_user, log_in


@pytest.fixture
def world(tmp_path, monkeypatch):
    url = make_demo_db(tmp_path / "jizhen.db")
    engine = make_engine(url)
    code = sorted(grids_frame(engine, SYSTEM)["code"])[0]
    ensure_user(engine, "wl_sup", "grid_supervisor", grids=code)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JIZHEN_TODAY", DEMO_TODAY.isoformat())
    yield url, engine, code
    engine.dispose()


def _app(engine, username="wl_sup") -> AppTest:
    with session_scope(engine) as s:
        user = get_user(s, username)
        s.expunge(user)
    at = AppTest.from_file(str(APP), default_timeout=120)
    log_in(at, user).run()
    at.switch_page("views/assign.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _table(at: AppTest):
    return next(d for d in at.dataframe if "住户档案" in d.value.columns).value


def _select(at: AppTest, household_ids) -> None:
    """Tick the worklist rows of these households (what a click on their row boxes does)."""
    key = at.session_state["wl_table_key"]
    ids = [int(v.split("=")[1]) for v in _table(at)["住户档案"]]
    at.session_state[key] = {"selection": {"rows": [ids.index(h) for h in household_ids],
                                           "columns": [], "cells": []}}
    at.run()
    _ok(at)


def _shown_ids(at: AppTest) -> list[int]:
    return [int(v.split("=")[1]) for v in _table(at)["住户档案"]]


def _sup(code):
    return Actor("wl_sup", Role.GRID_SUPERVISOR, frozenset({code}))


def test_counts_are_the_visit_status_counts_and_the_table_lists_them(world):
    url, engine, code = world
    at = _app(engine)
    from dashboard import state

    hs = state.household_state(url, _sup(code), DEMO_TODAY)
    hs = hs[hs["grid_code"] == code]
    counts = status_counts(household_visit_status(hs, open_assignments_frame(engine, _sup(code)),
                                                  today=DEMO_TODAY))
    shown = {m.label.split(" ", 1)[1]: int(m.value) for m in at.metric}
    assert shown == {"派单已超期": counts["overdue_assignment"], "从未走访": counts["never"],
                     "90天以上未走访": counts["over_90d"], "30–90天未走访": counts["over_30d"]}
    assert len(_table(at)) == sum(counts[k] for k in NEEDS_VISIT) > 0
    assert at.date_input(key="wl_due").value == add_working_days(DEMO_TODAY, 1)
    # no multiselect of households, no "select all"
    assert not [m for m in at.multiselect if "住户" in m.label]
    # coverage per grid and per worker, 30 and 90 days
    assert any("30天" in m.value and "90天" in m.value for m in at.markdown)
    cov = next(d for d in at.dataframe if "90天覆盖率" in d.value.columns).value
    assert len(cov) == len(workers_frame(engine, SYSTEM).query("grid_code == @code"))


def test_select_rows_and_assign(world):
    url, engine, code = world
    at = _app(engine)
    picked = _shown_ids(at)[:2]
    _select(at, picked)
    assert any(f"已选 2 户：{picked[0]}、{picked[1]}" in m.value for m in at.markdown)
    workers = workers_frame(engine, SYSTEM).query("grid_code == @code")
    full = int(workers[workers.employment == "full_time"]["id"].iloc[0])
    at.selectbox(key="wl_worker").set_value(full).run()
    next(b for b in at.button if b.label == "派单（2 户）").click().run()
    _ok(at)
    assert any("已派给" in s.value and "2 户" in s.value for s in at.success), [s.value for s in at.success]
    with session_scope(engine) as s:
        rows = s.exec(select(VisitAssignment).where(VisitAssignment.household_id.in_(picked))).all()
    assert sorted(r.household_id for r in rows) == sorted(picked)
    assert {r.worker_id for r in rows} == {full}
    assert {r.due_on for r in rows} == {add_working_days(DEMO_TODAY, 1)}
    # the selection is gone after the write; the table now names the worker of those rows
    assert not any(m.value.startswith("已选") for m in at.markdown)
    t = _table(at)
    assert set(t[t["住户档案"].isin([f"household?hh={h}" for h in picked])]["派单网格员"]) \
        == set(workers.set_index("id").loc[[full], "name"])


def test_over_capacity_needs_a_confirmation(world):
    url, engine, code = world
    workers = workers_frame(engine, SYSTEM).query("grid_code == @code")
    part = int(workers[workers.employment == "part_time"]["id"].iloc[0])
    at = _app(engine)
    shown = _shown_ids(at)
    # load the part-time worker (capacity 30 a month) up to the brim with other households
    from grid.frames import households_frame

    others = [int(h) for h in households_frame(engine, SYSTEM).query("grid_code == @code")["id"]
              if int(h) not in shown[:3]]
    with session_scope(engine) as s:
        assign_visits(session=s, actor=_sup(code), household_ids=others[:29], worker_id=part,
                      due_on=DEMO_TODAY + timedelta(days=5), today=DEMO_TODAY)
    at.run()
    free = [h for h in _shown_ids(at) if h in shown[:3]][:2]
    _select(at, free)
    at.selectbox(key="wl_worker").set_value(part).run()
    assert any("超出该网格员的月走访能力" in w.value for w in at.warning)
    progress = at.get("progress")[0]
    assert "月走访能力 30" in progress.proto.text
    next(b for b in at.button if b.label.startswith("派单（")).click().run()
    assert any("确认超出能力派单" in e.value for e in at.error)
    with session_scope(engine) as s:
        assert not s.exec(select(VisitAssignment).where(VisitAssignment.household_id.in_(free))).all()
    at.checkbox(key="wl_confirm").check().run()
    next(b for b in at.button if b.label.startswith("派单（")).click().run()
    _ok(at)
    assert any("已派给" in s.value for s in at.success)
    # the confirmation was for that assignment only
    assert not [c for c in at.checkbox if c.key == "wl_confirm" and c.value]
    with session_scope(engine) as s:
        assert len(s.exec(select(VisitAssignment).where(VisitAssignment.household_id.in_(free))).all()) == 2


def test_a_household_assigned_meanwhile_is_reported_not_assigned_twice(world):
    url, engine, code = world
    workers = workers_frame(engine, SYSTEM).query("grid_code == @code")
    w1, w2 = (int(i) for i in workers["id"].iloc[:2])
    at = _app(engine)
    picked = _shown_ids(at)[:3]
    _select(at, picked)
    at.selectbox(key="wl_worker").set_value(w1).run()
    with session_scope(engine) as s:  # another supervisor, meanwhile
        assign_visits(session=s, actor=_sup(code), household_ids=picked[:1], worker_id=w2,
                      due_on=DEMO_TODAY + timedelta(days=2), today=DEMO_TODAY)
    next(b for b in at.button if b.label.startswith("派单（")).click().run()
    _ok(at)
    text = " ".join(s.value for s in at.success)
    assert "已被他人派单" in text and str(picked[0]) in text, text
    with session_scope(engine) as s:
        rows = s.exec(select(VisitAssignment).where(VisitAssignment.household_id.in_(picked))).all()
    assert len(rows) == 3
    assert {r.household_id: r.worker_id for r in rows}[picked[0]] == w2


def test_supervisor_sees_each_workers_route_on_the_map(world):
    url, engine, code = world
    from dashboard import maps, state
    from grid.frames import households_frame

    workers = workers_frame(engine, SYSTEM).query("grid_code == @code")
    ids = households_frame(engine, SYSTEM).query("grid_code == @code")["id"].astype(int).tolist()
    w1, w2 = (int(i) for i in workers["id"].iloc[:2])
    with session_scope(engine) as s:
        assign_visits(session=s, actor=_sup(code), household_ids=ids[:3], worker_id=w1,
                      due_on=DEMO_TODAY, today=DEMO_TODAY)
        assign_visits(session=s, actor=_sup(code), household_ids=ids[3:5], worker_id=w2,
                      due_on=DEMO_TODAY, today=DEMO_TODAY)
    at = _app(engine)
    at.switch_page("views/map.py").run()
    assert "网格员今日路线" in at.multiselect(key="map_layers").options
    assert "hotspots" not in at.multiselect(key="map_layers").value  # off by default for them
    assert at.multiselect(key="map_layers").value == ["visit_status", "cases"]
    at.multiselect(key="map_layers").set_value(["visit_status", "routes"]).run()
    _ok(at)
    routes = state.grid_routes(url, _sup(code), code, DEMO_TODAY)
    assert sorted(len(p) - 1 for _, p in routes) == [2, 3]  # the start, then each planned stop
    options = (("metric", "coverage_30d"), ("layers", ("routes", "visit_status")),
               ("grid_codes", None), ("worker_id", None), ("levels", ("red",)),
               ("deadlines", ()), ("lang", "zh"))
    html = maps.map_html(state.cached_map(url, _sup(code), DEMO_TODAY, options))
    assert html.count("jizhen-route") == 2


def test_the_suggested_split_respects_each_workers_capacity(world):
    url, engine, code = world
    from grid.metrics import default_config

    at = _app(engine)
    split = next(d for d in at.dataframe if "本月剩余能力（户次）" in d.value.columns).value
    cfg = default_config()
    caps = {"专职": cfg.capacity("full_time")["visits_per_month"],
            "兼职": cfg.capacity("part_time")["visits_per_month"]}
    for row in split.itertuples(index=False):
        assert 0 < row[2] <= caps[row[1]]
        assert len(str(row[3]).split("、")) <= row[2]
    note = next(c.value for c in at.caption if c.value.startswith("每户依次分给"))
    assert f"专职 {caps['专职']:g}" in note and f"近{cfg.skip_recent_days}天" in note
