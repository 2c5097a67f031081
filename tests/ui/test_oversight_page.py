"""AppTest for 监督管理 (dashboard/views/oversight.py): every form saves and audits valid input,
refuses bad input with a Chinese message and writes nothing; roles that do not own a step do not
get its form (and the domain refuses them: tests/integration/test_oversight_services.py)."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from cases import services as svc
from cases.models import AssistantStipend, BlacklistEntry, Disclosure, FundMovement, SpotCheck
from dashboard import state
from dashboard.auth import SESSION_KEY, session_for
from grid.access import SYSTEM
from grid.db import init_db, make_engine, session_scope
from grid.models import AuditEntry
from tests.cases_fixtures import LEADER, build_world, ident
from tests.ui.ui_fixtures import ensure_user, log_in

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "oversight.py")
TODAY = date(2025, 11, 20)
PAID = date(2025, 10, 9)
USERS: dict = {}


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    url = f"sqlite:///{tmp_path / 'ov.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        w = build_world(s)
        for h in w["households"]:
            c = svc.intake(session=s, actor=LEADER, channel="window", category="housing_loss",
                           received_on=PAID, amount_yuan=300, household_id=h.id, cause="房屋受损")
            svc.transition(session=s, actor=SYSTEM, case_id=c.id, name="pay_first", on_day=PAID,
                           today=PAID, reason="急")
    USERS.clear()
    for name, role in [("ui_county", "county_staff"), ("ui_leader", "township_leader"),
                       ("ui_auditor", "auditor")]:
        USERS[role] = ensure_user(engine, name, role)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JIZHEN_TODAY", TODAY.isoformat())
    yield make_engine(url)
    state._engine.clear()


def _run(role, lang="zh"):
    at = AppTest.from_file(PAGE, default_timeout=90)
    log_in(at, USERS[role])
    # pages run without app.py's login_gate here: the session it would have stored as well
    at.session_state[SESSION_KEY] = session_for(USERS[role])
    at.session_state[state.LANG_KEY] = lang
    at.run()
    assert not at.exception, at.exception
    assert at.title, [(e.type, getattr(e, 'value', None)) for e in at.main]
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _messages(at):
    return [m.value for m in [*at.error, *at.success, *at.warning]]


def _audit(engine, action):
    with session_scope(engine) as s:
        return s.exec(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_county_draws_records_and_publishes_spot_checks(db):
    at = _run("county_staff")
    assert at.selectbox(key="ov_spot_month").value == "2025-10"
    at.number_input(key="ov_draw_2025-10_seed").set_value(42)
    _button(at, "抽取（每个网格不少于30%的救助对象）").click()
    at.run()
    assert any("已抽取" in m for m in _messages(at)), _messages(at)
    with session_scope(db) as s:
        checks = s.exec(select(SpotCheck)).all()
        assert checks and {c.seed for c in checks} == {"42"}
    assert len(_audit(db, "spotcheck.draw")) == 1
    sc_id = at.selectbox(key="ov_spot_pick").value
    # a problem without a note: refused in Chinese, nothing written
    at.selectbox(key=f"ov_spot_{sc_id}_result").set_value("problem")
    _button(at, "保存").click()
    at.run()
    assert any("写明" in m for m in _messages(at)), _messages(at)
    with session_scope(db) as s:
        assert s.get(SpotCheck, sc_id).result == "pending"
    at.selectbox(key=f"ov_spot_{sc_id}_result").set_value("ok")
    at.text_input(key=f"ov_spot_{sc_id}_note").input("入户核实无误")
    _button(at, "保存").click()
    at.run()
    with session_scope(db) as s:
        assert s.get(SpotCheck, sc_id).result == "ok"
    assert len(_audit(db, "spotcheck.result")) == 1
    at.download_button(key="ov_spot_dl_2025-10").click()
    at.run()
    assert len(_audit(db, "spotcheck.publish")) == 1
    # the table shows Chinese headers and result labels, never raw field names
    table = next(d.value for d in at.dataframe if "结果" in d.value.columns)
    assert "检查人" in table.columns and "inspector" not in table.columns
    assert "无误" in set(table["结果"])


def test_leader_and_auditor_get_no_draw_form(db):
    at = _run("township_leader")
    assert not [b for b in at.button if b.label.startswith("抽取")]
    at = _run("auditor")
    assert not [b for b in at.button if b.label.startswith("抽取")]
    assert any("只读" in i.value for i in at.info)


def test_blacklist_propose_second_officer_review_and_lift(db):
    at = _run("county_staff")
    at.text_input(key="ov_bl_add_id").input("123")
    at.text_input(key="ov_bl_add_name").input("王甲一")
    at.text_input(key="ov_bl_add_reason").input("骗取救助")
    at.text_area(key="ov_bl_add_evidence").input("决定书")
    _button(at, "提请").click()
    at.run()
    assert any("身份证号无效" in m for m in _messages(at)), _messages(at)
    with session_scope(db) as s:
        assert s.exec(select(BlacklistEntry)).all() == []
    at.text_input(key="ov_bl_add_id").input(ident(1))
    at.text_input(key="ov_bl_add_name").input("王甲一")
    at.text_input(key="ov_bl_add_reason").input("隐瞒收入骗取救助")
    at.text_area(key="ov_bl_add_evidence").input("县民政局〔2025〕3号决定")
    _button(at, "提请").click()
    at.run()
    with session_scope(db) as s:
        e = s.exec(select(BlacklistEntry)).one()
        eid = e.id
        assert e.review_status == "pending" and not e.active
    # the proposer cannot review their own proposal
    at.radio(key=f"ov_bl_{eid}_decision").set_value("approve")
    next(b for b in at.button if b.label == "保存").click()
    at.run()
    assert any("另一名" in m for m in _messages(at)), _messages(at)
    with session_scope(db) as s:
        assert s.get(BlacklistEntry, eid).review_status == "pending"
    lead = _run("township_leader")
    lead.radio(key=f"ov_bl_{eid}_decision").set_value("approve")
    next(b for b in lead.button if b.label == "保存").click()
    lead.run()
    with session_scope(db) as s:
        assert s.get(BlacklistEntry, eid).active
    assert len(_audit(db, "blacklist.review")) == 1
    table = next(d.value for d in lead.dataframe if "状态" in d.value.columns)
    assert "已生效" in set(table["状态"]) and "person_name" not in table.columns
    # lifting needs a reason
    lead = _run("township_leader")
    _button(lead, "移出失信名单").click()
    lead.run()
    assert any("理由" in m for m in _messages(lead))
    lead.text_input(key=f"ov_lift_{eid}_reason").input("信用修复期满")
    _button(lead, "移出失信名单").click()
    lead.run()
    with session_scope(db) as s:
        e = s.get(BlacklistEntry, eid)
        assert not e.active and e.lift_reason == "信用修复期满"
    assert len(_audit(db, "blacklist.lift")) == 1


def test_funds_allocate_once_settle_with_confirmation_and_stipend(db):
    at = _run("county_staff")
    at.selectbox(key="ov_fund_year").set_value(2025)
    at.run()
    _button(at, "下达2025年度资金").click()
    at.run()
    _button(at, "下达2025年度资金").click()
    at.run()
    assert any("不能重复下达" in m for m in _messages(at)), _messages(at)
    with session_scope(db) as s:
        assert len(s.exec(select(FundMovement).where(FundMovement.kind == "county_allocation")).all()) == 1
    assert len(_audit(db, "funds.allocate")) == 1
    # settlement: refused without the confirmation tick, done with it, result shown
    _button(at, "确认年终结算").click()
    at.run()
    assert any("勾选确认" in m for m in _messages(at)), _messages(at)
    assert _audit(db, "funds.settle") == []
    at.checkbox(key="ov_settle_2025_confirm").check()
    _button(at, "确认年终结算").click()
    at.run()
    assert any("2025年度已结算" in m for m in _messages(at)), _messages(at)
    assert len(_audit(db, "funds.settle")) == 1
    # stipend: an empty name is refused; a valid one saved at the configured amount
    _button(at, "登记补贴").click()
    at.run()
    assert any("协理员姓名" in m for m in _messages(at)), _messages(at)
    at.text_input(key="ov_stip_name").input("协理员甲")
    _button(at, "登记补贴").click()
    at.run()
    with session_scope(db) as s:
        row = s.exec(select(AssistantStipend)).one()
        assert row.amount_fen == 20000
    assert len(_audit(db, "funds.stipend")) == 1


def test_leader_cannot_settle_or_allocate_on_the_page(db):
    at = _run("township_leader")
    assert not [b for b in at.button if "下达" in b.label or "结算" in b.label]


def test_disclosure_download_records_the_publication(db):
    at = _run("township_leader")
    at.selectbox(key="ov_disc_month").set_value("2025-10")
    at.run()
    at.download_button(key="ov_disc_dl_2025-10").click()
    at.run()
    with session_scope(db) as s:
        d = s.exec(select(Disclosure)).one()
        assert d.month == "2025-10" and d.rows == 5 and d.published_by == "ui_leader"
    assert len(_audit(db, "disclosure.publish")) == 1
    # the auditor downloads without publishing
    aud = _run("auditor")
    aud.selectbox(key="ov_disc_month").set_value("2025-10")
    aud.run()
    aud.download_button(key="ov_disc_dl_2025-10").click()
    aud.run()
    assert len(_audit(db, "disclosure.publish")) == 1


def test_english_mode_has_english_headers(db):
    at = _run("county_staff", lang="en")
    assert at.title[0].value == "Oversight"
    at.number_input(key="ov_draw_2025-10_seed").set_value(7)
    _button(at, "Draw (at least 30% of recipients per grid)").click()
    at.run()
    table = at.dataframe[0].value
    assert "Inspector" in table.columns and "检查人" not in table.columns
