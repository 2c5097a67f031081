"""网格地图 lists the households outside every grid for the county staff who fix them (issue 12:
"a list on the map page with a way to fix each"), with the same panel as 系统管理
(dashboard/outside_panel.py): assigned by hand with a reason, saved and audited; without a reason
refused, nothing written; other roles get no list (the service refuses them too:
tests/security/test_matrix_actions.py). The map itself is checked in the browser tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.auth import SESSION_KEY, session_for
from grid.db import init_db, make_engine, session_scope
from grid.models import AuditEntry, CommunityGrid, Household
from tests.cases_fixtures import build_world
from tests.ui.ui_fixtures import ensure_user, log_in

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "map.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    url = f"sqlite:///{tmp_path / 'map_out.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        build_world(s)
        s.add(Household(address="城外1号", lon=118.70, lat=33.80, grid_id=None, head_name="钱戊五",
                        head_id_number="32132319600101999X", members=1))
    users = {role: ensure_user(engine, f"mo_{role}", role) for role in ("county_staff", "township_leader")}
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JIZHEN_TODAY", "2025-11-20")
    yield make_engine(url), users
    state._engine.clear()


def _run(db, role, lang="zh") -> AppTest:
    engine, users = db
    at = AppTest.from_file(PAGE, default_timeout=90)
    log_in(at, users[role])
    at.session_state[SESSION_KEY] = session_for(users[role])
    at.session_state[state.LANG_KEY] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _actions(engine) -> list[str]:
    with session_scope(engine) as s:
        return [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
                if a.action.startswith("household.")]


def test_county_staff_fix_an_outside_household_from_the_map_page(db):
    engine, _users = db
    at = _run(db, "county_staff")
    (panel,) = [e for e in at.expander if "网格外住户：1 户" in e.label]
    with session_scope(engine) as s:
        hid = s.exec(select(Household).where(Household.grid_id.is_(None))).one().id
    assert at.selectbox(key="map_out_h_pick").value == hid
    at.selectbox(key=f"map_out_h_{hid}_grid").set_value("G02")
    [b for b in at.button if b.proto.form_id == f"map_out_assign_form_{hid}"][0].click().run()
    assert any("理由" in e.value for e in at.error), [e.value for e in at.error]  # no reason: refused
    assert _actions(engine) == []
    at.selectbox(key=f"map_out_h_{hid}_grid").set_value("G02")
    at.text_input(key=f"map_out_h_{hid}_assign_reason").input("社区确认归属演示二网格")
    [b for b in at.button if b.proto.form_id == f"map_out_assign_form_{hid}"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _actions(engine) == ["household.assign_grid"]
    with session_scope(engine) as s:
        h = s.get(Household, hid)
        assert h.grid_by_hand and s.get(CommunityGrid, h.grid_id).code == "G02"
    assert not [e for e in at.expander if "网格外住户" in e.label]  # none left


def test_the_list_is_for_those_who_fix_it_and_speaks_english(db):
    leader = _run(db, "township_leader")
    assert not [e for e in leader.expander if "网格外住户" in e.label]
    county = _run(db, "county_staff", lang="en")
    assert [e for e in county.expander if e.label.startswith("Households outside every grid: 1")]
