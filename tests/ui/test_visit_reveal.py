"""走访登记 as real users: a grid worker sees only their own open assignments; the household card
is masked for everyone, and 查看完整信息 (a reason, an audit row) exists only for roles that may
unmask."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from grid.access import SYSTEM
from grid.assignments import assign_visits
from grid.db import make_engine, session_scope
from grid.frames import households_frame, workers_frame
from grid.models import AuditEntry, VisitAssignment
from tests.conftest import DEMO_TODAY
from tests.ui.dashboard_fixtures import APP, make_demo_db
from tests.ui.ui_fixtures import ensure_user, log_in

FULL_ID = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
MASKED_ID = re.compile(r"\d{6}\*{8}[0-9Xx]{4}")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A demo database; two workers of the first grid with one fresh open assignment each."""
    url = make_demo_db(tmp_path_factory.mktemp("visit") / "jizhen.db", households=300, seed=5)
    engine = make_engine(url)
    workers = workers_frame(engine, SYSTEM)
    first = sorted(workers["grid_code"])[0]
    w_a, w_b = workers.loc[workers["grid_code"] == first, "id"].tolist()[1:3]  # [0]: demo wangge
    with engine.connect() as c:
        hh = households_frame(c, SYSTEM, personal=True)
    in_grid = hh[hh["grid_code"] == first]["id"].tolist()
    with session_scope(engine) as s:
        a_ids = assign_visits(session=s, actor=SYSTEM, household_ids=in_grid[-1:], worker_id=w_a,
                              due_on=DEMO_TODAY + timedelta(days=5), today=DEMO_TODAY)
        b_ids = assign_visits(session=s, actor=SYSTEM, household_ids=in_grid[-2:-1], worker_id=w_b,
                              due_on=DEMO_TODAY + timedelta(days=5), today=DEMO_TODAY)
    users = {
        "v_worker": ensure_user(engine, "v_worker", "grid_worker", grids=first, worker_id=w_a),
        "v_unlinked": ensure_user(engine, "v_unlinked", "grid_worker", grids=first),
        "v_sup": ensure_user(engine, "v_sup", "grid_supervisor", grids=first),
        "v_auditor": ensure_user(engine, "v_auditor", "auditor"),
    }
    yield {"url": url, "engine": engine, "users": users, "a": a_ids, "b": b_ids, "w_a": w_a,
           "hh": hh.set_index("id")}
    engine.dispose()


@pytest.fixture
def visit_page(world, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", world["url"])
    monkeypatch.setenv("JIZHEN_TODAY", DEMO_TODAY.isoformat())

    def open_as(username: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        log_in(at, world["users"][username]).run()
        at.switch_page("views/visit.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_as


def _shown(at: AppTest) -> str:
    return "\n".join([x.value for x in at.text] + [x.value for x in at.markdown])


def test_grid_worker_sees_only_own_assignments(world, visit_page):
    at = visit_page("v_worker")
    assert not [s for s in at.selectbox if s.key == "visit_worker"]  # no choosing another worker
    from grid.assignments import open_assignments_frame

    open_a = open_assignments_frame(world["engine"], SYSTEM)
    mine = open_a[open_a["worker_id"] == world["w_a"]]
    options = at.selectbox(key="visit_assignment").options  # "household · 期限 due"
    assert options
    assert {int(o.split(" ")[0]) for o in options} == set(mine["household_id"])
    assert world["a"][0] in set(mine["id"]) and world["b"][0] not in set(mine["id"])


def test_page_shows_what_the_domain_returns_for_the_worker(world, visit_page):
    """The page does no filtering of its own: its options are the grid worker's domain query."""
    from grid.assignments import open_assignments_frame
    from grid.users import actor_for, get_user

    with session_scope(world["engine"]) as s:
        actor = actor_for(get_user(s, "v_worker"))
    assert actor.worker_id == world["w_a"]
    domain = open_assignments_frame(world["engine"], actor)
    assert set(domain["worker_id"]) == {world["w_a"]}
    at = visit_page("v_worker")
    options = at.selectbox(key="visit_assignment").options
    assert sorted(int(o.split(" ")[0]) for o in options) == sorted(domain["household_id"])


def test_assignment_moved_to_another_worker_is_refused_on_save(world, visit_page):
    """Reassigned while the form was open: the domain refuses the save and says why."""
    from grid.assignments import reassign_visit

    at = visit_page("v_worker")
    at.selectbox(key="visit_assignment").set_value(world["a"][0]).run()
    w_b = int(_open_all(world).set_index("id").loc[world["b"][0], "worker_id"])

    def move(to):
        with session_scope(world["engine"]) as s:
            version = s.get(VisitAssignment, world["a"][0]).version
            reassign_visit(session=s, actor=SYSTEM, assignment_id=world["a"][0],
                           expected_version=version, worker_id=to)

    move(w_b)
    try:
        next(b for b in at.button if b.label == "保存走访记录").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("其他网格员" in e.value for e in at.error), [e.value for e in at.error]
        with session_scope(world["engine"]) as s:
            assert s.get(VisitAssignment, world["a"][0]).status == "open"
    finally:
        move(world["w_a"])


def _open_all(world):
    from grid.assignments import open_assignments_frame

    return open_assignments_frame(world["engine"], SYSTEM)


def test_unlinked_grid_worker_is_told_to_ask_for_a_link(visit_page):
    at = visit_page("v_unlinked")
    assert any("尚未关联网格员" in i.value for i in at.info)
    assert not at.selectbox


def test_auditor_has_no_visit_form(world, monkeypatch):
    """Issue 11: an auditor gets no visit form with a Save button — not in the navigation, and the
    page opened on its own refuses before drawing anything (no ID number, no button)."""
    monkeypatch.setenv("DATABASE_URL", world["url"])
    monkeypatch.setenv("JIZHEN_TODAY", DEMO_TODAY.isoformat())
    at = AppTest.from_file(str(APP), default_timeout=120)
    log_in(at, world["users"]["v_auditor"]).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/visit.py")
    page = AppTest.from_file(str(APP.parent / "views" / "visit.py"), default_timeout=120)
    log_in(page, world["users"]["v_auditor"]).run()
    assert not page.exception
    assert any("不属于您的角色" in w.value for w in page.warning)
    assert not FULL_ID.search(_shown(page)) and not MASKED_ID.search(_shown(page))
    assert not page.button


def test_supervisor_reveals_with_a_reason_and_it_is_audited(world, visit_page):
    at = visit_page("v_sup")
    at.selectbox(key="visit_worker").set_value(world["w_a"]).run()
    at.selectbox(key="visit_assignment").set_value(world["a"][0]).run()
    text = _shown(at)
    assert MASKED_ID.search(text) and not FULL_ID.search(text)  # masked until asked
    button = next(b for b in at.button if b.label == "查看完整信息")
    button.click().run()  # no reason: refused, nothing shown, nothing logged
    assert any("理由" in e.value for e in at.error)
    assert not FULL_ID.search(_shown(at))
    at.text_input(key="visit_household_reveal_reason").input("入户核实身份")
    next(b for b in at.button if b.label == "查看完整信息").click().run()
    assert not at.exception
    with session_scope(world["engine"]) as s:
        rows = s.exec(select(AuditEntry).where(AuditEntry.action == "privacy.reveal",
                                               AuditEntry.actor == "v_sup")).all()
        entity_ids = {int(r.entity_id) for r in rows}
        reasons = {r.reason for r in rows}
    assert len(rows) == 4 and reasons == {"入户核实身份"}
    (household_id,) = entity_ids
    full_id = world["hh"].loc[household_id, "head_id_number"]
    assert full_id in _shown(at)
    assert any("审计日志" in w.value for w in at.warning)
    at.run()  # the clear values are not kept: the next rerun shows the masked card again
    assert full_id not in _shown(at)


def test_map_panel_household_card_reveal(world, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", world["url"])
    monkeypatch.setenv("JIZHEN_TODAY", DEMO_TODAY.isoformat())
    for username, may in (("v_auditor", False), ("v_sup", True)):
        at = AppTest.from_file(str(APP), default_timeout=120)
        log_in(at, world["users"][username]).run()
        at.selectbox(key="map_panel_grid").select_index(0).run()
        picker = at.selectbox(key="map_household")
        picker.select_index(0).run()
        assert not at.exception, [e.value for e in at.exception]
        assert MASKED_ID.search(_shown(at)) and not FULL_ID.search(_shown(at))
        labels = [b.label for b in at.button]
        assert ("查看完整信息" in labels) is may, username
        if may:
            at.text_input(key="map_household_reveal_reason").input("核实困难情况")
            next(b for b in at.button if b.label == "查看完整信息").click().run()
            assert FULL_ID.search(_shown(at))
            with session_scope(world["engine"]) as s:
                assert s.exec(select(AuditEntry).where(AuditEntry.reason == "核实困难情况")).all()
