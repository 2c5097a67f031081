"""AppTest of every dashboard page, and the flow assign -> record visit -> coverage and score."""
from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from grid.access import SYSTEM
from grid.db import make_engine, session_scope
from grid.models import VisitAssignment
from grid.risk_service import latest_scores
from tests.conftest import DEMO_TODAY
from tests.ui.dashboard_fixtures import APP, make_demo_db
from tests.ui.ui_fixtures import PASSWORD, ensure_user, fill_login_form, log_in

PAGES = ["views/map.py", "views/assign.py", "views/visit.py", "views/leaders.py"]
ROLES = {"t_sup": "grid_supervisor", "t_leader": "township_leader", "t_auditor": "auditor"}


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    url = make_demo_db(tmp_path_factory.mktemp("dash") / "jizhen.db")
    engine = make_engine(url)
    first = sorted(all_codes(engine))[0]
    for name, role in ROLES.items():
        ensure_user(engine, name, role, grids=first if role == "grid_supervisor" else None)
    engine.dispose()
    return url


def all_codes(engine) -> list[str]:
    from grid.frames import grids_frame

    return grids_frame(engine, SYSTEM)["code"].tolist()


@pytest.fixture
def app(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("JIZHEN_TODAY", DEMO_TODAY.isoformat())
    return AppTest.from_file(str(APP), default_timeout=120)


def as_user(app: AppTest, demo_url: str, username: str) -> AppTest:
    """The AppTest with the real session of the existing user `username`."""
    from grid.users import get_user

    engine = make_engine(demo_url)
    with session_scope(engine) as s:
        user = get_user(s, username)
        s.expunge(user)
    engine.dispose()
    return log_in(app, user)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", list(ROLES))
def test_every_page_renders_for_each_role(app, demo_url, page, who):
    from dashboard.auth import SESSION_KEY

    from dashboard.navigation import pages_for

    as_user(app, demo_url, who).run()
    assert app.session_state[SESSION_KEY]["username"] == who
    allowed = {f"views/{p.file}" for p in pages_for(ROLES[who])}
    if page not in allowed:  # not in this role's navigation: the router does not serve it
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page)
        return
    if page != "views/map.py":
        app.switch_page(page).run()
    _ok(app)
    assert app.title, "page has a title"


def test_english_switch(app, demo_url):
    as_user(app, demo_url, "t_sup").run()
    assert app.title[0].value == "网格地图"
    app.session_state["jizhen_lang"] = "en"
    app.run()
    _ok(app)
    assert app.title[0].value == "Grid map"


def test_map_panel_shows_grid_counts(app, demo_url):
    as_user(app, demo_url, "t_sup").run()
    code = app.selectbox(key="map_panel_grid").options[0]
    app.selectbox(key="map_panel_grid").select_index(0).run()
    _ok(app)
    labels = {m.label: m.value for m in app.metric}
    assert {"住户", "专职网格员", "兼职网格员", "30天覆盖率", "高风险逾期未访", "在办案件"} <= set(labels)
    assert code  # the supervisor sees exactly one grid
    assert len(app.selectbox(key="map_panel_grid").options) == 1


def test_leader_sees_all_grids_and_can_export(app, demo_url):
    as_user(app, demo_url, "t_leader").run()
    app.switch_page("views/leaders.py").run()
    _ok(app)
    table = app.dataframe[0].value
    assert len(table) == 12
    assert any(b.label == "导出 Excel" for b in app.get("download_button"))


def test_assign_then_record_visit_updates_coverage_and_score(app, demo_url):
    engine = make_engine(demo_url)
    as_user(app, demo_url, "t_sup").run()
    app.switch_page("views/assign.py").run()
    _ok(app)
    table = next(d for d in app.dataframe if "住户档案" in d.value.columns).value
    target_id = int(table["住户档案"].iloc[0].split("=")[1])
    assert table["地址"].iloc[0].startswith("众兴镇")  # the supervisor sees where to go
    before_score = float(latest_scores(engine, SYSTEM).set_index("household_id").loc[target_id, "score"])
    # rows are ticked in the table itself (the selection state a click on the row box sets)
    app.session_state[app.session_state["wl_table_key"]] = {
        "selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    app.date_input(key="wl_due").set_value(DEMO_TODAY + timedelta(days=3))
    next(b for b in app.button if b.label == "派单（1 户）").click().run()
    _ok(app)
    assert any("已派给" in s.value and "1 户" in s.value for s in app.success)

    app.switch_page("views/visit.py").run()
    _ok(app)
    with session_scope(engine) as s:
        a = s.exec(__import__("sqlmodel").select(VisitAssignment)
                   .where(VisitAssignment.household_id == target_id)).one()
    app.selectbox(key="visit_worker").set_value(a.worker_id).run()
    app.selectbox(key="visit_assignment").set_value(a.id).run()
    # coverage shown on the map page before the visit
    app.checkbox(key=f"visit_{a.id}_housing_loss").check()
    app.checkbox(key=f"visit_{a.id}_sudden_illness_or_disaster").check()
    next(b for b in app.button if b.label == "保存走访记录").click().run()
    _ok(app)
    saved = [s.value for s in app.success]
    assert saved and "最新风险分" in saved[0]
    with session_scope(engine) as s:
        assert s.get(VisitAssignment, a.id).status == "done"
    after_score = float(latest_scores(engine, SYSTEM).set_index("household_id").loc[target_id, "score"])
    assert after_score > before_score
    # the map panel's coverage now counts the household
    app.switch_page("views/map.py").run()
    _ok(app)
    from dashboard import state
    from grid.access import Actor, Role

    sup = Actor("t_sup", Role.GRID_SUPERVISOR, frozenset(sorted(all_codes(engine))[:1]))
    summary = state.grid_summary(demo_url, sup, DEMO_TODAY)
    assert summary["coverage_30d"].notna().all()
    engine.dispose()


def test_login_is_always_required(app, monkeypatch):
    # the old development bypass is gone: setting its variables changes nothing
    monkeypatch.setenv("JIZHEN_DEV_NO_LOGIN", "1")
    monkeypatch.setenv("JIZHEN_DEV_ACTOR", "zhenmingzheng")
    app.run()
    assert not app.exception
    assert not app.text_input  # no form in the app: the gateway's /auth/login sets the cookie
    assert any('action="/auth/login"' in m.value for m in app.markdown)
    assert not app.dataframe and not app.metric
    assert "网格地图" not in [t.value for t in app.title]


def test_login_form_lets_a_user_in(app):
    from dashboard.auth import SESSION_KEY

    app.run()
    fill_login_form(app, "t_leader", PASSWORD)
    _ok(app)
    assert app.session_state[SESSION_KEY]["username"] == "t_leader"
    assert app.title[0].value == "网格地图"
    assert not [t for t in app.text_input if t.label == "密码"]


def test_login_form_refuses_a_wrong_password(app):
    from dashboard.auth import SESSION_KEY

    app.run()
    _, result = fill_login_form(app, "t_leader", "Wrong" + PASSWORD)
    assert not result.ok and "用户名或密码错误" in result.message
    assert SESSION_KEY not in app.session_state
    assert not app.dataframe and not app.metric
    assert any('action="/auth/login"' in m.value for m in app.markdown)


def test_grid_workers_land_on_todays_route(app, demo_url):
    as_user(app, demo_url, "wangge").run()  # the demo's grid worker
    _ok(app)
    assert app.title[0].value == "今日任务"


def test_supervisors_land_on_the_map(app, demo_url):
    as_user(app, demo_url, "wanggezhang").run()  # the demo's grid supervisor
    _ok(app)
    assert app.title[0].value == "网格地图"


def test_a_refused_basemap_is_an_error_not_a_crash(app, demo_url, monkeypatch):
    monkeypatch.setenv("JIZHEN_TILES", "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}")
    as_user(app, demo_url, "wanggezhang").run()
    assert not app.exception
    assert any("GCJ-02" in e.value for e in app.error)


def test_dashboard_command_refuses_a_bad_basemap(monkeypatch):
    from click.testing import CliRunner

    from jizhen.cli import main

    monkeypatch.setenv("JIZHEN_TILES", "tianditu_img")
    monkeypatch.delenv("JIZHEN_TIANDITU_KEY", raising=False)
    result = CliRunner().invoke(main, ["dashboard", "--port", "1"])
    assert result.exit_code != 0 and "JIZHEN_TIANDITU_KEY" in result.output


def test_leaders_headline_has_the_count_behind_each_share(app, demo_url):
    from dashboard import state
    from grid.access import Actor, Role
    from grid.metrics import format_value, last_complete_month

    as_user(app, demo_url, "t_leader").run()
    app.switch_page("views/leaders.py").run()
    _ok(app)
    leader = Actor("t_leader", Role.TOWNSHIP_LEADER, None)
    res = state.leader_metrics(demo_url, leader, DEMO_TODAY, 6, last_complete_month(DEMO_TODAY))
    row = res["total"].iloc[0]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["30天走访覆盖率"] == format_value("coverage_30d", row["coverage_30d"])
    captions = [c.value for c in app.caption]
    assert f"{int(row['visited_30d'])}/{int(row['households'])} 户" in captions
    assert f"{int(row['small_aid_on_time'])}/{int(row['small_aid_cases'])} 件" in captions
    assert res["month"] == "2026-10"
    # the grid x month table: one row per grid, one column per month shown
    grid_month = next(d for d in app.dataframe if list(d.value.columns) == sorted(res["trend"]["month"]))
    assert len(grid_month.value) == 12


def test_leaders_early_detection_in_plain_words_with_model_card(app, demo_url):
    from grid.replay import run_replay

    as_user(app, demo_url, "t_leader").run()
    app.switch_page("views/leaders.py").run()
    assert not [x for x in app.text if "漏报" in x.value]  # computed only when asked for
    app.toggle(key="leaders_early").set_value(True).run()
    _ok(app)
    engine = make_engine(demo_url)
    r = run_replay(engine, SYSTEM, groups=True)
    engine.dispose()
    text = " ".join(m.value for m in app.markdown)
    assert f"{r['model']['recall_at_10pct']:.1%}" in text
    assert f"{r['baseline_recency']['recall_at_10pct']:.1%}" in text
    assert [x.value for x in app.text] == r["groups_summary"]
    labels = [b.label for b in app.get("download_button")]
    assert "下载评分模型说明（模型卡）" in labels and "下载名单遗漏分析（Excel）" in labels
