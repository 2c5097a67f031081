"""AppTest of the officer's desk (dashboard/views/case_desk.py) and the department's page
(dashboard/views/referrals.py): each form saves valid input with its audit entry, refuses bad
input with a Chinese message and writes nothing, and a role that does not own the step is refused
in the domain (cases.*), not only hidden."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from cases import desk
from cases import services as svc
from cases import verification
from cases.models import Case, Referral, VerificationResult
from dashboard import state
from dashboard.auth import SESSION_KEY, session_for
from grid.access import AccessDenied, Actor, Role
from grid.db import init_db, make_engine, session_scope
from grid.geotypes import utcnow
from grid.models import AuditEntry
from jizhen.users import actor_for, add_user, get_user
from tests.cases_fixtures import LEADER, SUP, build_world
from tests.officer_desk_fixtures import complete_checklist

ROOT = Path(__file__).resolve().parents[2]
DESK = str(ROOT / "dashboard" / "views" / "case_desk.py")
DEPT = str(ROOT / "dashboard" / "views" / "referrals.py")
TODAY = date(2026, 3, 10)
PW = "Officerdesk2026x"
IN_G01 = (118.6051, 33.7052)  # inside grid G01 (tests.cases_fixtures)
IN_G02 = (118.6150, 33.7050)


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        w = build_world(s)
        hh = [h.id for h in w["households"]]
        c = svc.intake(session=s, actor=LEADER, channel="window", category="illness_or_disaster",
                       received_on=date(2026, 3, 2), amount_yuan=300, household_id=hh[0], cause="突发重病")
        svc.transition(session=s, actor=SUP, case_id=c.id, name="accept", on_day=date(2026, 3, 2))
        users = {}
        for name, role, grids, scheme in (("sup", "grid_supervisor", "G01", None),
                                           ("leader", "township_leader", None, None),
                                           ("county", "county_staff", None, None),
                                           ("auditor", "auditor", None, None),
                                           ("yibao", "department", None, "medical"),
                                           ("jiaoyu", "department", None, "education")):
            add_user(s, username=name, password=PW, role=role, grid_codes=grids, scheme=scheme)
            users[name] = name
        cid = c.id
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JIZHEN_TODAY", TODAY.isoformat())
    yield {"url": url, "engine": engine, "case_id": cid, "households": hh}
    engine.dispose()
    state._engine.clear()


def _run(db, username, page=DESK, lang="zh") -> AppTest:
    """The page as the real user `username` of the test database (a server-side login)."""
    at = AppTest.from_file(page, default_timeout=90)
    with session_scope(db["engine"]) as s:
        at.session_state[SESSION_KEY] = session_for(actor_for(get_user(s, username)), utcnow())
    at.session_state[state.LANG_KEY] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def _count(db, model, *where) -> int:
    with session_scope(db["engine"]) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def _audits(db, action) -> list[AuditEntry]:
    with session_scope(db["engine"]) as s:
        rows = s.exec(select(AuditEntry).where(AuditEntry.action == action)).all()
        s.expunge_all()
        return rows


def _texts(at, kind) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def _button(at, label):
    return next(b for b in at.button if b.label == label)


# --------------------------------------------------------------------------- pure: the map click
def test_location_from_click_known_answers():
    assert desk.location_from_click({"last_clicked": {"lat": 33.70521234, "lng": 118.60512345}}) == (
        118.605123, 33.705212)
    for bad in (None, {}, {"last_clicked": None}, {"last_clicked": {"lat": "33", "lng": 118.6}},
                {"last_clicked": {"lat": 95.0, "lng": 118.6}}, {"last_clicked": {"lat": float("nan"), "lng": 1.0}},
                {"last_clicked": {"lat": True, "lng": 118.6}}):
        assert desk.location_from_click(bad) is None, bad


# --------------------------------------------------------------------------- intake
def test_supervisor_window_intake_located_on_the_map(db):
    at = _run(db, "sup")
    assert at.radio(key="cases_in_locmode").value == "map"
    before = _count(db, Case)
    # no point yet: a person not in the registry is refused with the reason, nothing written
    at.text_input(key="cases_in_name").input("外来务工甲")
    at.text_input(key="cases_in_cause").input("工伤后无收入")
    _button(at, "登记").click().run()
    assert any("未能确定求助人所在网格" in e for e in _texts(at, "error")), _texts(at, "error")
    assert _count(db, Case) == before
    # a point in another grid is said before saving, and refused in the domain
    at.number_input(key="cases_in_lon").set_value(IN_G02[0])
    at.number_input(key="cases_in_lat").set_value(IN_G02[1]).run()
    assert any("G02" in w and "不在您负责的网格内" in w for w in _texts(at, "warning"))
    _button(at, "登记").click().run()
    assert any("无权执行此操作" in e for e in _texts(at, "error"))
    assert _count(db, Case) == before
    # the point in the supervisor's grid: the case is theirs, queued to be matched
    at.number_input(key="cases_in_lon").set_value(IN_G01[0])
    at.number_input(key="cases_in_lat").set_value(IN_G01[1]).run()
    assert any("G01" in m and "演示一网格" in m for m in _texts(at, "success"))
    _button(at, "登记").click().run()
    assert any("已登记" in m and "待匹配" in m for m in _texts(at, "success")), _texts(at, "success")
    with session_scope(db["engine"]) as s:
        c = s.exec(select(Case).where(Case.person_name == "外来务工甲")).one()
        assert (c.grid_code, c.match_status, c.lon, c.lat) == ("G01", "to_match", *IN_G01)
        assert c.reported_by == "sup"
    assert [a.entity_id for a in _audits(db, "case.intake")][-1] == str(c.id)


def test_intake_from_a_registry_address(db):
    at = _run(db, "sup")
    at.radio(key="cases_in_locmode").set_value("registry").run()
    at.text_input(key="cases_in_addr_q").input("样例街").run()  # G02's addresses: not the supervisor's
    assert any("没有匹配的户籍地址" in i for i in _texts(at, "info"))
    at.text_input(key="cases_in_addr_q").input("演示路5").run()
    pick = at.selectbox(key="cases_in_hh")
    assert pick.options == ["演示路5号（G01，户主 赵*四）"]  # the head's name masked in the list
    pick.set_value(db["households"][4]).run()
    at.text_input(key="cases_in_cause").input("独居老人无人照料")
    _button(at, "登记").click().run()
    assert any("已匹配到户" in m for m in _texts(at, "success")), _texts(at, "error")
    with session_scope(db["engine"]) as s:
        c = s.exec(select(Case).where(Case.household_id == db["households"][4])).one()
        assert c.grid_code == "G01" and c.person_name == "赵丁四" and c.address == "演示路5号"


# --------------------------------------------------------------------------- referral
def _open_detail(at, cid):
    at.selectbox(key="cases_detail_id").set_value(cid).run()
    assert not at.exception, at.exception
    return at


def test_medical_referral_shows_the_amount_before_saving(db):
    cid = db["case_id"]
    at = _open_detail(_run(db, "leader"), cid)
    # refer and admit have their own forms, not the generic action list
    assert "转诊" not in at.selectbox(key=f"cases_act_{cid}_name").options
    at.selectbox(key=f"cases_act_{cid}_ref_scheme").set_value("medical").run()
    assert any("请填写合规医疗费用" in i for i in _texts(at, "info"))
    _button(at, "转诊").click().run()
    assert any("须填写合规医疗费用" in e for e in _texts(at, "error")), _texts(at, "error")
    at.number_input(key=f"cases_act_{cid}_ref_cost").set_value(1000.0)
    at.number_input(key=f"cases_act_{cid}_ref_paid").set_value(1200.0).run()
    assert any("超过合规医疗费用" in e for e in _texts(at, "error"))
    _button(at, "转诊").click().run()
    assert any("超过合规医疗费用" in e for e in _texts(at, "error"))
    assert _count(db, Referral) == 0  # bad input: nothing written
    at.number_input(key=f"cases_act_{cid}_ref_cost").set_value(12345.67)
    at.number_input(key=f"cases_act_{cid}_ref_paid").set_value(3000.0).run()
    assert any("医疗救助金额：5,641.97 元" in i for i in _texts(at, "info")), _texts(at, "info")
    at.text_input(key=f"cases_act_{cid}_ref_reason").input("重病转大病医疗救助")
    _button(at, "转诊").click().run()
    assert any("已办理：转诊" in m for m in _texts(at, "success")), _texts(at, "error")
    with session_scope(db["engine"]) as s:
        ref = s.exec(select(Referral)).one()
        assert (ref.scheme, ref.reimbursed_fen, ref.status) == ("medical", 564197, "sent")
        assert s.get(Case, cid).status == "referred"
    assert len(_audits(db, "referral.send")) == 1


def test_department_accepts_and_returns_on_its_page(db):
    cid = db["case_id"]
    with session_scope(db["engine"]) as s:
        med = svc.refer(session=s, actor=LEADER, case_id=cid, scheme="medical", on_day=TODAY,
                        compliant_cost_yuan=10000, insurance_paid_yuan=5000).id
        edu = svc.refer(session=s, actor=LEADER, case_id=cid, scheme="education", on_day=TODAY).id
    at = _run(db, "yibao", page=DEPT)
    assert at.title[0].value == "转诊接收"
    df = at.dataframe[0].value
    assert list(df["状态"]) == ["已转出"] and list(df["医疗救助金额（元）"]) == [2000.0]
    assert set(at.selectbox(key="dept_ref_id").options) == {next(iter(at.selectbox(key="dept_ref_id").options))}
    # returning without a reason: refused in Chinese, nothing written
    at.selectbox(key="dept_ref_id").set_value(med)
    at.radio(key="dept_decision").set_value("rejected")
    at.button[0].click().run()
    assert any("退回转诊必须写明理由" in e for e in _texts(at, "error")), _texts(at, "error")
    assert _count(db, Referral, Referral.status != "sent") == 0
    at.selectbox(key="dept_ref_id").set_value(med)
    at.radio(key="dept_decision").set_value("accepted")
    at.button[0].click().run()
    assert any("已办理：对方已接收" in m for m in _texts(at, "success")), _texts(at, "error")
    assert list(at.dataframe[0].value["状态"]) == ["对方已接收"]
    with session_scope(db["engine"]) as s:
        assert s.get(Referral, med).status == "accepted" and s.get(Referral, edu).status == "sent"
    assert [a.actor for a in _audits(db, "referral.accepted")] == ["yibao"]
    # the domain refuses the other scheme's referral to this department, whatever the page shows
    yibao = Actor("yibao", Role.DEPARTMENT, frozenset(), scheme="medical")
    with session_scope(db["engine"]) as s:
        with pytest.raises(AccessDenied):
            desk.update_referral_bound(session=s, actor=yibao, shown=desk.ShownReferral(edu, 1, "sent"),
                                       status="accepted", on_day=TODAY)
    # the education department sees only its own, in English too
    at = _run(db, "jiaoyu", page=DEPT, lang="en")
    assert list(at.dataframe[0].value["Status"]) == ["sent"]


# --------------------------------------------------------------------------- verification
def test_verification_checklist_form(db):
    cid = db["case_id"]
    at = _run(db, "county")
    at.selectbox(key="cases_ver_id").set_value(cid).run()
    table = at.dataframe[-1].value
    assert len(table) == 20 and set(table["核对结果"]) == {"未核对"}
    assert set(table["核对部门"]) == set(verification.departments())
    # no evidence: refused in Chinese, nothing written
    at.selectbox(key=f"cases_ver_{cid}_item").set_value("real_estate")
    at.radio(key=f"cases_ver_{cid}_result").set_value("clear")
    _button(at, "保存核对结果").click().run()
    assert any("核对凭证" in e for e in _texts(at, "error")), _texts(at, "error")
    assert _count(db, VerificationResult) == 0
    at.selectbox(key=f"cases_ver_{cid}_item").set_value("real_estate")
    at.radio(key=f"cases_ver_{cid}_result").set_value("clear")
    at.text_input(key=f"cases_ver_{cid}_evidence").input("不动产核对回执2026-031")
    _button(at, "保存核对结果").click().run()
    assert any("已登记：不动产登记" in m for m in _texts(at, "success")), _texts(at, "error")
    table = at.dataframe[-1].value
    row = table[table["核对事项"] == "不动产登记"].iloc[0]
    assert (row["核对结果"], row["核对凭证"], row["登记人"], row["来源"]) == (
        "无异常", "不动产核对回执2026-031", "county", "表单")
    assert at.selectbox(key=f"cases_ver_{cid}_item").value is None  # a fresh form for the next item
    assert len(_audits(db, "verification.record")) == 1


def test_supervisor_sees_the_checklist_but_no_form_and_the_service_refuses(db):
    """The checklist is the officers' (cases.verification.VERIFY_ROLES): a supervisor reads it,
    is offered no result form and no batch upload, and the service refuses a direct call."""
    cid = db["case_id"]
    at = _run(db, "sup")
    at.selectbox(key="cases_ver_id").set_value(cid).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.dataframe, "the checklist is shown"
    keys = {w.key for w in [*at.selectbox, *at.radio, *at.text_input]}
    assert f"cases_ver_{cid}_item" not in keys and "cases_ver_dept" not in keys
    assert not [b for b in at.button if b.label == "保存核对结果"]
    with session_scope(db["engine"]) as s, pytest.raises(AccessDenied) as e:
        verification.record_result(session=s, actor=SUP, case_id=cid, item_code="vehicles",
                                   result="clear", evidence="回执", on_day=TODAY)
    assert "核对结果" in str(e.value)
    assert _count(db, VerificationResult) == 0


# --------------------------------------------------------------------------- admission
def test_admission_facts_verdict_and_gate(db):
    cid = db["case_id"]
    at = _open_detail(_run(db, "county"), cid)
    k = lambda f: f"cases_act_{cid}_{f}"  # noqa: E731
    assert at.number_input(key=k("adm_income")).value is None  # nothing pre-filled
    assert at.radio(key=k("adm_severe")).value is None
    assert any("纳入评估须填写" in w and "家庭月收入" in w for w in _texts(at, "warning"))
    _button(at, "纳入").click().run()
    assert any("纳入评估须填写" in e for e in _texts(at, "error")), _texts(at, "error")
    at.number_input(key=k("adm_income")).set_value(1200.0)
    at.number_input(key=k("adm_members")).set_value(3)
    at.radio(key=k("adm_severe")).set_value("no")
    at.radio(key=k("adm_sanwu")).set_value("no").run()
    assert any("逢进必核" in w and "18项" in w for w in _texts(at, "warning")), _texts(at, "warning")
    _button(at, "纳入").click().run()
    assert any("逢进必核" in e for e in _texts(at, "error")), _texts(at, "error")
    with session_scope(db["engine"]) as s:
        assert s.get(Case, cid).status == "accepted"  # nothing written
        complete_checklist(s, cid, day=TODAY)
    at = _open_detail(_run(db, "county"), cid)
    at.number_input(key=k("adm_income")).set_value(1200.0)
    at.number_input(key=k("adm_members")).set_value(3)
    at.radio(key=k("adm_severe")).set_value("no")
    at.radio(key=k("adm_sanwu")).set_value("no").run()
    assert any("规则判定：可以纳入（低保）" in m and "家庭人均收入400" in m for m in _texts(at, "success")), \
        _texts(at, "success")
    _button(at, "纳入").click().run()
    assert any("已办理：纳入低保/特困（住院）" in m for m in _texts(at, "success")), _texts(at, "error")
    with session_scope(db["engine"]) as s:
        assert s.get(Case, cid).status == "admitted"
    assert len(_audits(db, "household.admit")) == 1


def test_supervisor_sees_no_admission_form_and_is_refused_in_the_domain(db):
    cid = db["case_id"]
    at = _open_detail(_run(db, "sup"), cid)
    assert not any(b.label == "纳入" for b in at.button)
    with session_scope(db["engine"]) as s:
        complete_checklist(s, cid, day=TODAY)
        shown = desk.shown_case(svc.case_detail(session=s, actor=SUP, case_id=cid, today=TODAY))
    with session_scope(db["engine"]) as s:
        with pytest.raises(desk.FormOutdated):  # not offered to this role: refused, nothing written
            desk.submit_action(session=s, actor=SUP, shown=shown, action=desk.DeskAction(
                name="admit", on_day=TODAY, facts=desk.AdmissionInput(1200, 3, False, None, False)))
        with pytest.raises(Exception) as e:
            svc.admit(session=s, actor=SUP, case_id=cid, on_day=TODAY, family_income_yuan=1200,
                      members=3, dependent_severe_member=False, no_labour_no_income_no_supporter=False)
        assert "网格长无权执行" in str(e.value.zh if hasattr(e.value, "zh") else e.value)
    with session_scope(db["engine"]) as s:
        assert s.get(Case, cid).status == "accepted"


# --------------------------------------------------------------------------- the role × page matrix
PAGES = sorted((ROOT / "dashboard" / "views").glob("*.py"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_department_on_every_page_sees_no_grid_data(db, page):
    """Pages outside the department's navigation are not served to it; run directly anyway, they
    show none of the grids' people or cases (the domain scopes the data, not the menu)."""
    import re

    from dashboard.navigation import pages_for

    assert [p.file for p in pages_for("department")] == ["referrals.py"]
    at = AppTest.from_file(str(page), default_timeout=90)
    with session_scope(db["engine"]) as s:
        at.session_state[SESSION_KEY] = session_for(actor_for(get_user(s, "yibao")), utcnow())
    at.run()
    shown = [str(e.value) for kind in ("markdown", "caption", "text", "info", "success", "warning",
                                       "error", "title", "subheader") for e in getattr(at, kind)]
    shown += [df.value.to_csv() for df in at.dataframe]
    text = "\n".join(shown)
    assert not re.search(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])", text)
    for name in ("王甲一", "李乙二", "张丙三", "赵丁四"):
        assert name not in text, (page.stem, name)
    assert not any(b.label in ("登记", "纳入", "转诊", "保存核对结果") for b in at.button), page.stem
