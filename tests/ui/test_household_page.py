"""一户一档 (dashboard/views/household.py) through Streamlit AppTest, on SQLite and PostgreSQL:
two households in a row (the form of one never carries into the other); a correction saved,
audited, re-scored and shown; a stale correction refused; an out-of-scope id shows the same
"not found" as a missing one; the search stays in the user's grids; appeals recorded and
decided (bound to the appeal's version); the page in each role's navigation."""
from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.navigation import pages_for
from grid.access import Role
from grid.db import session_scope
from grid.facts import Appeal, HouseholdFact, correct_fact, record_appeal
from grid.models import AuditEntry, Household
from grid.risk_models import RiskScore
from tests.cases_fixtures import LEADER, SUP
from tests.household_file_fixtures import TODAY, household_world
from tests.ui.dashboard_fixtures import APP
from tests.ui.ui_fixtures import ensure_user, log_in

FIX = "保存更正"


@pytest.fixture
def world(engine, db_url, monkeypatch):
    ids = household_world(engine)
    ids["sup"] = ensure_user(engine, "hf_sup", "grid_supervisor", grids="G01")
    ids["leader"] = ensure_user(engine, "hf_leader", "township_leader")
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JIZHEN_TODAY", TODAY.isoformat())
    ids["engine"] = engine
    yield ids
    state._engine.clear()
    state._generations.clear()


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _open(world, user, hid=None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    log_in(at, world[user]).run()
    _ok(at)
    at.switch_page("views/household.py")
    if hid is not None:
        at.query_params["hh"] = str(hid)
    at.run()
    return at


def _goto(at, hid) -> AppTest:
    at.query_params["hh"] = str(hid)
    return at.run()


def _submit(at, label):
    (button,) = [b for b in at.button if b.label == label]
    return button.click().run()


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(parts)


def _fill_fix(at, hid, field, value, reason):
    at.selectbox(key=f"hhfix_{hid}_field").set_value(field)
    at.text_input(key=f"hhfix_{hid}_value").input(value)
    at.text_area(key=f"hhfix_{hid}_reason").input(reason)


def _household(engine, hid) -> Household:
    with session_scope(engine) as s:
        hh = s.get(Household, hid)
        s.expunge(hh)
        return hh


def test_two_households_in_a_row_keep_their_own_forms(world):
    a1, a2 = world["a1"], world["a2"]
    at = _open(world, "sup", a1)
    _ok(at)
    assert at.subheader[0].value.startswith(f"住户 {a1} ")
    _fill_fix(at, a1, "members", "5", "甲户的理由")
    at.text_area(key=f"hhappeal_{a1}_objection").input("甲户的异议")
    _goto(at, a2)
    _ok(at)
    assert at.subheader[0].value.startswith(f"住户 {a2} ")
    keys = {w.key for w in [*at.text_input, *at.text_area, *at.selectbox]}
    assert not any(k and k.startswith((f"hhfix_{a1}_", f"hhappeal_{a1}_")) for k in keys)
    assert at.selectbox(key=f"hhfix_{a2}_field").value is None
    assert at.text_input(key=f"hhfix_{a2}_value").value == ""
    assert at.text_area(key=f"hhfix_{a2}_reason").value == ""
    assert at.text_area(key=f"hhappeal_{a2}_objection").value == ""
    # submitting the second household's (empty) form writes nothing to either household
    _submit(at, FIX)
    assert any("请选择要更正的事项" in e.value for e in at.error)
    assert _household(world["engine"], a1).members == 3 and _household(world["engine"], a1).version == 1
    assert _household(world["engine"], a2).version == 1


def test_a_correction_is_saved_audited_rescored_and_shown(world):
    engine, hid = world["engine"], world["a2"]
    with session_scope(engine) as s:
        scores_before = s.execute(select(func.count()).select_from(RiskScore)
                                  .where(RiskScore.household_id == hid)).scalar()
    at = _open(world, "sup", hid)
    _ok(at)
    assert "版本 1" in _texts(at)
    _fill_fix(at, hid, "severe_disability", "否", "残疾证已注销（2026年11月）")
    _submit(at, FIX)
    assert not at.exception and not at.error, [e.value for e in at.error]
    (msg,) = [m.value for m in at.success]
    assert f"住户 {hid}" in msg and "是 → 否" in msg and "已重新评分" in msg
    hh = _household(engine, hid)
    assert hh.severe_disability is False and hh.version == 2
    with session_scope(engine) as s:
        rows = s.execute(select(HouseholdFact).where(HouseholdFact.household_id == hid,
                                                     HouseholdFact.field == "severe_disability")
                         .order_by(HouseholdFact.id)).scalars().all()
        audit = s.execute(select(AuditEntry).where(AuditEntry.action == "household.correct_fact",
                                                   AuditEntry.entity_id == str(hid))).scalars().all()
        scores_after = s.execute(select(func.count()).select_from(RiskScore)
                                 .where(RiskScore.household_id == hid)).scalar()
    assert [r.value_json for r in rows] == ["true", "false"]        # the old value stays
    assert rows[1].corrects_id == rows[0].id and rows[1].reason == "残疾证已注销（2026年11月）"
    assert len(audit) == 1 and audit[0].actor == "hf_sup"
    assert scores_after == scores_before + 1
    # the page shows it: the fact in force, the history with the reason, the new version
    shown = _texts(at)
    assert "版本 2" in shown and "残疾证已注销（2026年11月）" in shown and "更正：有重度残疾人 = 否" in shown
    facts = next(df.value for df in at.dataframe if list(df.value.columns) == ["事项", "值"])
    assert facts.set_index("事项").at["有重度残疾人", "值"] == "否"
    # the form is empty again and bound to the new version
    assert at.text_area(key=f"hhfix_{hid}_reason").value == ""


def test_a_stale_correction_is_refused(world):
    engine, hid = world["engine"], world["a5"]
    at = _open(world, "sup", hid)
    _ok(at)
    _fill_fix(at, hid, "income_per_capita_yuan", "900", "核对工资流水")
    with session_scope(engine) as s:   # someone else corrects the household meanwhile
        correct_fact(session=s, actor=LEADER, household_id=hid, field="members", new_value=2,
                     reason="户籍核对", expected_version=1, today=TODAY)
    _submit(at, FIX)
    assert not at.exception
    assert any("已被他人修改" in e.value and "未保存" in e.value for e in at.error)
    hh = _household(engine, hid)
    assert hh.income_per_capita_yuan == 300.0 and hh.members == 2 and hh.version == 2
    assert "版本 2" in _texts(at)  # the page now shows the current facts


def test_out_of_scope_shows_the_same_not_found_as_a_missing_household(world):
    shown = {}
    for name, hid in (("other_grid", world["b3"]), ("missing", 987654), ("garbage", "x1")):
        at = _open(world, "sup", hid)
        assert not at.exception
        (err,) = at.error
        shown[name] = err.value.replace(str(hid), "<id>")
        assert not at.subheader and not at.dataframe and not at.tabs  # nothing else of a file
        assert "张丙三" not in _texts(at)
    assert shown["other_grid"] == shown["missing"] == shown["garbage"]
    assert "未找到住户" in shown["missing"]


def test_search_within_scope_opens_the_file(world):
    at = _open(world, "sup")
    _ok(at)
    at.text_input(key="hh_search_q").input("张丙三").run()  # heads two G02 households only
    _ok(at)
    assert any("没有找到" in i.value for i in at.info)
    assert not at.dataframe and "2 户" not in _texts(at)   # not even a count
    at.text_input(key="hh_search_q").input("演示路").run()
    _ok(at)
    (found,) = [df.value for df in at.dataframe]
    assert sorted(found["编号"]) == sorted([world["a1"], world["a2"], world["a5"]])
    assert all("********" in v for v in found["身份证号"])      # masked as on the card
    at.selectbox(key="hh_search_pick").set_value(world["a2"]).run()
    at.button(key="hh_search_open").click().run()
    _ok(at)
    assert at.query_params["hh"] == [str(world["a2"])] or at.query_params["hh"] == str(world["a2"])
    assert at.subheader[0].value.startswith(f"住户 {world['a2']} ")


def test_a_leader_sees_masked_names_and_decides_an_appeal_bound_to_its_version(world):
    engine, hid = world["engine"], world["a1"]
    at = _open(world, "leader")
    at.text_input(key="hh_search_q").input("王甲一").run()
    _ok(at)
    (found,) = [df.value for df in at.dataframe]
    assert list(found["户主"]) == ["王*一"]
    _goto(at, hid)
    _ok(at)
    at.selectbox(key=f"hhappeal_{hid}_subject").set_value("decision")
    at.text_input(key=f"hhappeal_{hid}_reference").input(world["case_no"])
    at.text_area(key=f"hhappeal_{hid}_objection").input("**居民**认为<b>补助太少</b>")
    _submit(at, "保存异议")
    _ok(at)
    with session_scope(engine) as s:
        (appeal,) = s.execute(select(Appeal).where(Appeal.household_id == hid)).scalars().all()
        assert appeal.objection == "**居民**认为<b>补助太少</b>" and appeal.subject == "decision"
        appeal_id = appeal.id
    shown = _texts(at)
    assert "**居民**认为<b>补助太少</b>" in shown  # kept as typed, shown in a table as text
    # a second appeal recorded elsewhere changes nothing of the first one's version
    with session_scope(engine) as s:
        record_appeal(session=s, actor=SUP, household_id=hid, subject="score", objection="评分过高")
    at.run()
    at.selectbox(key=f"hhdecide_{hid}_appeal").set_value(appeal_id)
    at.selectbox(key=f"hhdecide_{hid}_outcome").set_value("partly")
    at.text_area(key=f"hhdecide_{hid}_note").input("补发差额")
    # someone decides it first: this form (drawn at version 1) is refused
    from grid.facts import decide_appeal

    with session_scope(engine) as s:
        decide_appeal(session=s, actor=LEADER, appeal_id=appeal_id, outcome="kept",
                      note="维持", expected_version=1, decided_on=TODAY)
    _submit(at, "保存处理结果")
    assert not at.exception
    assert any(f"异议 {appeal_id}" in e.value and "未保存" in e.value for e in at.error)
    with session_scope(engine) as s:
        assert s.get(Appeal, appeal_id).status == "kept"
    assert "异议处理：维持原评分/决定" in _texts(at)


def test_the_page_is_in_the_navigation_of_every_role_with_households():
    for role in (Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF,
                 Role.AUDITOR):
        assert "household" in [p.url_path for p in pages_for(role)]
    assert "household" not in [p.url_path for p in pages_for(Role.DEPARTMENT)]


def test_visits_with_their_observations_as_text(world):
    at = _open(world, "sup", world["a1"])
    _ok(at)
    cards = [t.value for t in at.text]
    assert any("发现：无人照料、失业" in c and "人均月收入：420 元" in c
               and "情况说明：户主失业，老人无人照料，电话13912345678" in c for c in cards)
    assert any("发现：未见异常" in c and "人均月收入：未填写" in c for c in cards)
    at = _open(world, "leader", world["a1"])
    _ok(at)
    cards = "\n".join(t.value for t in at.text)
    assert "139****5678" in cards and "13912345678" not in cards


def test_the_case_detail_links_to_the_household_file(world):
    """The cases page's household card carries the link (dashboard.household_link)."""
    at = _open(world, "leader")
    at.switch_page("views/case_desk.py").run()
    _ok(at)
    at.selectbox(key="cases_detail_id").set_value(world["case_id"]).run()
    assert not at.exception, [e.value for e in at.exception]
    links = [el.proto for el in at.get("page_link")]
    assert [(lk.page, lk.query_string) for lk in links] == [("household", f"hh={world['a1']}")]


def test_english_switch(world):
    at = _open(world, "sup", world["a1"])
    at.session_state[state.LANG_KEY] = "en"
    at.run()
    _ok(at)
    assert at.title[0].value == "Household file"
    assert [tab.label for tab in at.tabs][:2] == ["Timeline", "Register facts"]
