"""今日任务 and the visit form it opens, through Streamlit AppTest as a grid worker uses them:
the day's visits in route order with address, reasons, due date and last visit; a stop's button
opens the form bound to that assignment; a resend of a saved form records nothing more; an
ad-hoc visit within the worker's own grid; a supervisor sees a worker's route."""
from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from dashboard import state
from grid.access import SYSTEM
from grid.assignments import assign_visits
from grid.day_plan import worker_day
from grid.db import make_engine, session_scope
from grid.frames import households_frame, workers_frame
from grid.models import Visit, VisitAssignment
from tests.conftest import DEMO_TODAY
from tests.ui.dashboard_fixtures import APP, make_demo_db
from tests.ui.ui_fixtures import ensure_user, log_in

SAVE = "保存走访记录"
N_ASSIGNED = 14  # more than fit a 360-minute day at 25 minutes a visit


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    url = make_demo_db(tmp_path_factory.mktemp("today") / "jizhen.db", households=300, seed=13)
    engine = make_engine(url)
    workers = workers_frame(engine, SYSTEM)
    grid_a, grid_b = sorted(workers["grid_code"].unique())[:2]
    worker_id = int(workers.loc[workers["grid_code"] == grid_a, "id"].tolist()[1])
    hh = households_frame(engine, SYSTEM, personal=True).set_index("id")
    in_grid = hh[hh["grid_code"] == grid_a].index.tolist()
    with session_scope(engine) as s:
        for k, chunk in enumerate((in_grid[:5], in_grid[5:10], in_grid[10:N_ASSIGNED])):
            assign_visits(session=s, actor=SYSTEM, household_ids=chunk, worker_id=worker_id,
                          due_on=DEMO_TODAY + timedelta(days=k), today=DEMO_TODAY)
    user = ensure_user(engine, "td_worker", "grid_worker", grids=grid_a, worker_id=worker_id)
    sup = ensure_user(engine, "td_sup", "grid_supervisor", grids=grid_a)
    yield {"url": url, "engine": engine, "user": user, "sup": sup, "worker_id": worker_id,
           "grid": grid_a, "hh": hh, "unassigned": in_grid[N_ASSIGNED:],
           "other_grid": hh[hh["grid_code"] == grid_b].index.tolist()}
    engine.dispose()


def _app(world, monkeypatch, user) -> AppTest:
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setenv("DATABASE_URL", world["url"])
    monkeypatch.setenv("JIZHEN_TODAY", DEMO_TODAY.isoformat())
    at = AppTest.from_file(str(APP), default_timeout=120)
    log_in(at, user).run()
    _ok(at)
    return at


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def cleanup():
    yield
    state._engine.clear()


def _day(world):
    from grid.users import actor_for, get_user

    with session_scope(world["engine"]) as s:
        actor = actor_for(get_user(s, "td_worker"))
    with world["engine"].connect() as c:
        return actor, worker_day(c, actor, worker_id=world["worker_id"], today=DEMO_TODAY)


def _stop_buttons(at) -> list[int]:
    return [int(b.key.removeprefix("today_go_")) for b in at.button
            if b.key and b.key.startswith("today_go_") and b.label.startswith("登记第")]


def _fill(at, prefix: str, *, ticked: str, notes: str) -> None:
    """Fill every field of the drawn form, as a worker does before tapping 保存 (so the submit
    carries all of the form's values, as a browser's resend does)."""
    from grid.frames import VISIT_FLAGS

    at.date_input(key=f"{prefix}_date").set_value(DEMO_TODAY)
    at.number_input(key=f"{prefix}_income").set_value(800.0)
    for k in VISIT_FLAGS:
        at.checkbox(key=f"{prefix}_{k}").set_value(k == ticked)
    at.text_area(key=f"{prefix}_notes").input(notes)


def _visits(engine, household_id):
    with session_scope(engine) as s:
        return s.exec(select(Visit).where(Visit.household_id == household_id)
                      .order_by(Visit.id)).all()


def test_worker_lands_on_today_and_sees_the_route_in_order(world, monkeypatch, cleanup):
    at = _app(world, monkeypatch, world["user"])
    assert at.title[0].value == "今日任务"
    _, day = _day(world)
    route = day.route
    assert 0 < len(route.planned) < N_ASSIGNED and len(route.dropped) == N_ASSIGNED - len(route.planned)
    assert _stop_buttons(at) == route.keys  # cards in walking order, one button each
    visits = day.visits.set_index("assignment_id")
    shown = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    for p in route.planned:
        r = visits.loc[p.stop.key]
        # the worker sees the address in clear (their own grid); reasons and due date are there
        assert world["hh"].at[int(r["household_id"]), "address"] in shown.replace("\\", "")
        assert f"期限 {r['due_on'].isoformat()}" in shown
        for reason in r["reasons"]:
            assert reason in shown.replace("\\", "")
    assert "今日路线" in shown and f"{len(route.planned)} 户" in shown
    (exp,) = at.expander
    assert f"{len(route.dropped)} 户" in exp.label
    dropped_text = " ".join(c.value for c in exp.caption).replace("\\", "")
    for d in route.dropped:
        assert d.reason in dropped_text


def test_a_stop_opens_its_form_and_a_resend_records_nothing_more(world, monkeypatch, cleanup):
    at = _app(world, monkeypatch, world["user"])
    second = _stop_buttons(at)[1]
    at.button(key=f"today_go_{second}").click().run()
    _ok(at)
    assert at.title[0].value == "走访登记"
    assert at.selectbox(key="visit_assignment").value == second  # bound to the tapped stop
    with session_scope(world["engine"]) as s:
        household = s.get(VisitAssignment, second).household_id
    before = len(_visits(world["engine"], household))
    token = at.session_state[f"visit_{second}_idem"]
    _fill(at, f"visit_{second}", ticked="care_gap", notes="按路线第二户")
    (save,) = [b for b in at.button if b.label == SAVE]
    tap = save.click()
    tap.run()
    _ok(at)
    assert any(f"住户 {household}" in s.value for s in at.success)
    tap.run()  # the same submit again from the old screen (a resend on a weak connection)
    _ok(at)
    assert any("重复提交未再登记" in i.value for i in at.info)
    visits = _visits(world["engine"], household)
    assert len(visits) == before + 1 and visits[-1].idempotency_key == token
    assert visits[-1].care_gap and visits[-1].notes == "按路线第二户"
    assert visits[-1].income_per_capita_yuan == 800.0
    with session_scope(world["engine"]) as s:
        assert s.get(VisitAssignment, second).status == "done"


def test_adhoc_visit_of_a_household_of_the_own_grid(world, monkeypatch, cleanup):
    at = _app(world, monkeypatch, world["user"])
    at.button(key="today_adhoc").click().run()
    _ok(at)
    assert at.radio(key="visit_mode").value == "adhoc"
    pick = at.selectbox(key="visit_adhoc_household")
    offered = {int(o.split(" · ")[0]) for o in pick.options}  # "id · address · head"
    assert offered == set(world["hh"][world["hh"]["grid_code"] == world["grid"]].index)
    assert offered.isdisjoint(world["other_grid"])
    hid = world["unassigned"][0]
    before = len(_visits(world["engine"], hid))
    pick.set_value(hid).run()
    _ok(at)
    _fill(at, f"visit_adhoc_{hid}", ticked="lost_job", notes="路上遇到，户主刚失业")
    (save,) = [b for b in at.button if b.label == SAVE]
    tap = save.click()
    tap.run()
    _ok(at)
    assert any(f"住户 {hid}" in s.value for s in at.success)
    assert at.selectbox(key="visit_adhoc_household").value is None  # the form closed
    tap.run()  # resend
    _ok(at)
    visits = _visits(world["engine"], hid)
    assert len(visits) == before + 1
    assert visits[-1].lost_job and visits[-1].notes == "路上遇到，户主刚失业"
    assert visits[-1].worker_id == world["worker_id"]


def test_supervisor_sees_a_workers_route(world, monkeypatch, cleanup):
    at = _app(world, monkeypatch, world["sup"])
    at.switch_page("views/today.py").run()
    _ok(at)
    at.selectbox(key="today_worker").set_value(world["worker_id"]).run()
    _ok(at)
    from grid.day_plan import routes_for_grid
    from grid.users import actor_for, get_user

    with session_scope(world["engine"]) as s:
        sup = actor_for(get_user(s, "td_sup"))
    with world["engine"].connect() as c:
        days = routes_for_grid(c, sup, world["grid"], today=DEMO_TODAY)
    assert _stop_buttons(at) == days[world["worker_id"]].route.keys
