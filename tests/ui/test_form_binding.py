"""Forms bound to their record (issue 9, defects 1-3), through Streamlit AppTest as people use them.

- 走访登记: a grid worker records two households in a row; the second form starts empty, each
  household gets exactly what was typed for it (income included, empty income = unknown), the
  success message names the household saved, and a repeated tap on 保存 records nothing more.
- 救助案件: two officers on one case (two AppTest sessions). A renders the case and chooses
  不予救助; B approves; A submits: nothing is written and A is told who changed what. And the
  批准金额 field always starts at the shown case's own request, never the previous case's amount.
"""
from __future__ import annotations

import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from cases import services as svc
from cases.models import Case, CaseEvent, Payment
from dashboard import state
from grid.access import SYSTEM
from grid.assignments import assign_visits
from grid.db import init_db, make_engine, session_scope
from grid.frames import VISIT_FLAGS, households_frame, workers_frame
from grid.models import Visit, VisitAssignment
from tests.cases_fixtures import LEADER, SUP, build_world
from tests.conftest import DEMO_TODAY
from tests.ui.dashboard_fixtures import APP, make_demo_db
from tests.ui.ui_fixtures import ensure_user, log_in

FULL_ID = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
SAVE = "保存走访记录"


# ============================================================================ 走访登记
@pytest.fixture(scope="module")
def visit_world(tmp_path_factory):
    """A demo database; one worker of the first grid with two fresh open assignments (A, B)."""
    url = make_demo_db(tmp_path_factory.mktemp("binding") / "jizhen.db", households=300, seed=11)
    engine = make_engine(url)
    workers = workers_frame(engine, SYSTEM)
    first = sorted(workers["grid_code"])[0]
    worker_id = int(workers.loc[workers["grid_code"] == first, "id"].tolist()[1])  # [0]: demo wangge
    with engine.connect() as c:
        hh = households_frame(c, SYSTEM, personal=True)
    in_grid = hh[hh["grid_code"] == first]["id"].tolist()
    with session_scope(engine) as s:
        ids = assign_visits(session=s, actor=SYSTEM, household_ids=in_grid[:2], worker_id=worker_id,
                            due_on=DEMO_TODAY + timedelta(days=3), today=DEMO_TODAY)
        (later,) = assign_visits(session=s, actor=SYSTEM, household_ids=in_grid[2:3],
                                 worker_id=worker_id, due_on=DEMO_TODAY + timedelta(days=6),
                                 today=DEMO_TODAY)
    with session_scope(engine) as s:
        by_id = {a.id: a.household_id for a in
                 s.exec(select(VisitAssignment).where(VisitAssignment.id.in_([*ids, later]))).all()}
    user = ensure_user(engine, "fb_worker", "grid_worker", grids=first, worker_id=worker_id)
    yield {"url": url, "engine": engine, "user": user, "assignments": sorted(ids), "later": later,
           "household_of": by_id, "worker_id": worker_id, "hh": hh.set_index("id")}
    engine.dispose()


@pytest.fixture
def visit_page(visit_world, monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setenv("DATABASE_URL", visit_world["url"])
    monkeypatch.setenv("JIZHEN_TODAY", DEMO_TODAY.isoformat())
    at = AppTest.from_file(str(APP), default_timeout=120)
    log_in(at, visit_world["user"]).run()
    at.switch_page("views/visit.py").run()
    assert not at.exception, [e.value for e in at.exception]
    yield at
    state._engine.clear()


def _visits_of(engine, household_id: int) -> list[Visit]:
    with session_scope(engine) as s:
        rows = s.exec(select(Visit).where(Visit.household_id == household_id,
                                          Visit.visited_on == DEMO_TODAY)
                      .order_by(Visit.id)).all()
        for r in rows:
            s.expunge(r)
    return rows


def _save_button(at):
    (button,) = [b for b in at.button if b.label == SAVE]
    return button


def test_two_households_in_a_row_each_gets_what_was_typed_for_it(visit_world, visit_page):
    at, engine = visit_page, visit_world["engine"]
    a_id, b_id = visit_world["assignments"]
    hh_a, hh_b = visit_world["household_of"][a_id], visit_world["household_of"][b_id]
    assert _visits_of(engine, hh_a) == [] and _visits_of(engine, hh_b) == []
    assert at.selectbox(key="visit_assignment").value == a_id
    # Income starts empty (unknown); there is no pre-ticked 收入不清楚 box to swallow a typed one.
    assert at.number_input(key=f"visit_{a_id}_income").value is None
    assert not [c for c in at.checkbox if "收入不清楚" in c.label]

    at.number_input(key=f"visit_{a_id}_income").set_value(420.0)
    at.checkbox(key=f"visit_{a_id}_care_gap").check()
    at.checkbox(key=f"visit_{a_id}_housing_loss").check()
    at.text_area(key=f"visit_{a_id}_notes").input("A户：老人独居，屋顶漏雨")
    _save_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]

    # The message names the household that was saved, as this role may see it.
    from grid.privacy import masked_household
    from grid.users import actor_for, get_user

    with session_scope(engine) as s:
        actor = actor_for(get_user(s, "fb_worker"))
        shown_a = masked_household(s, actor, hh_a)
    (msg,) = [x.value for x in at.success]
    assert f"住户 {hh_a}" in msg and shown_a["head_name"] in msg and "风险分" in msg
    assert not FULL_ID.search(msg)

    # The form moved on to household B, and B starts empty: none of A's answers are carried over.
    assert at.selectbox(key="visit_assignment").value == b_id
    assert at.number_input(key=f"visit_{b_id}_income").value is None
    assert [at.checkbox(key=f"visit_{b_id}_{k}").value for k in VISIT_FLAGS] == [False] * len(VISIT_FLAGS)
    assert at.text_area(key=f"visit_{b_id}_notes").value == ""

    at.checkbox(key=f"visit_{b_id}_lost_job").check()
    at.text_area(key=f"visit_{b_id}_notes").input("B户：收入不清楚，一人失业")
    _save_button(at).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(f"住户 {hh_b}" in x.value for x in at.success)

    (va,) = _visits_of(engine, hh_a)
    (vb,) = _visits_of(engine, hh_b)
    assert va.income_per_capita_yuan == 420.0
    assert {k: getattr(va, k) for k in VISIT_FLAGS} == {k: k in ("care_gap", "housing_loss")
                                                        for k in VISIT_FLAGS}
    assert va.notes == "A户：老人独居，屋顶漏雨"
    assert vb.income_per_capita_yuan is None  # left empty = unknown
    assert {k: getattr(vb, k) for k in VISIT_FLAGS} == {k: k == "lost_job" for k in VISIT_FLAGS}
    assert vb.notes == "B户：收入不清楚，一人失业"
    assert va.worker_id == vb.worker_id == visit_world["worker_id"]

    # The score sees the typed income: A's newest stored score gives the below-standard reason.
    from grid.risk_service import score_history
    from risk.config import load_config

    config = load_config()
    assert 420.0 < config.dibao_standard(DEMO_TODAY)
    history = score_history(engine, SYSTEM, hh_a)
    assert config.factors["income_below_standard"].reason in history.iloc[-1]["reasons"]


def test_a_double_tap_on_save_records_once(visit_world, visit_page):
    """The same submit arriving twice (a double tap on a slow phone): one visit, one closed
    assignment; the repeat writes nothing and the screen does not show an error."""
    engine = visit_world["engine"]
    aid = visit_world["later"]
    household = visit_world["household_of"][aid]
    at = visit_page
    at.selectbox(key="visit_assignment").set_value(aid).run()
    at.checkbox(key=f"visit_{aid}_new_illness").check()
    tap = _save_button(at).click()
    tap.run()   # first tap
    tap.run()   # the same tap again, sent from the same (old) screen
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    visits = _visits_of(engine, household)
    assert len(visits) == 1 and visits[0].new_illness
    with session_scope(engine) as s:
        assert s.get(VisitAssignment, aid).status == "done"


def test_a_repeated_save_of_the_same_assignment_version_writes_nothing(visit_world):
    """What guards a repeated tap that reaches the save handler while the first is still being
    saved: the form carries the assignment version it was drawn with, so the second record_visit
    is refused by the domain and nothing more is written."""
    from grid.users import actor_for, get_user
    from grid.visits import VisitObservations, record_visit

    engine = visit_world["engine"]
    hh = visit_world["hh"]
    grid_code = hh.loc[visit_world["household_of"][visit_world["assignments"][0]], "grid_code"]
    household = hh[hh["grid_code"] == grid_code].index.tolist()[3]
    with session_scope(engine) as s:
        (aid,) = assign_visits(session=s, actor=SYSTEM, household_ids=[household],
                               worker_id=visit_world["worker_id"], due_on=DEMO_TODAY, today=DEMO_TODAY)
        version = s.get(VisitAssignment, aid).version
        actor = actor_for(get_user(s, "fb_worker"))
    obs = VisitObservations.from_form(income="", notes="x", care_gap=True)
    outcomes = []
    for _ in range(2):
        try:
            with session_scope(engine) as s:
                record_visit(session=s, actor=actor, assignment_id=aid, expected_version=version,
                             observations=obs, visited_on=DEMO_TODAY, today=DEMO_TODAY)
            outcomes.append("saved")
        except Exception as exc:  # noqa: BLE001 - the kind of refusal is what is asserted
            outcomes.append(type(exc).__name__)
    assert outcomes[0] == "saved" and outcomes[1] in ("StaleEdit", "AssignmentError")
    assert len(_visits_of(engine, household)) == 1


# ============================================================================ 救助案件
CASE_PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "case_desk.py")
TODAY = date(2025, 10, 20)


@pytest.fixture
def desk_db(tmp_path, monkeypatch):
    """Two accepted cases: X asks 300 yuan, Y asks 200 yuan; a township leader and county staff."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        w = build_world(s)
        hh = [h.id for h in w["households"]]
        ids = {}
        for key, household, amount in (("X", hh[0], 300), ("Y", hh[1], 200)):
            c = svc.intake(session=s, actor=LEADER, channel="grid_visit", category="housing_loss",
                           received_on=date(2025, 10, 16), amount_yuan=amount, household_id=household,
                           cause="房屋受损")
            svc.transition(session=s, actor=SUP, case_id=c.id, name="accept", on_day=date(2025, 10, 16))
            ids[key] = c.id
    users = {"leader": ensure_user(engine, "fb_leader", "township_leader"),
             "county": ensure_user(engine, "fb_county", "county_staff")}
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JIZHEN_TODAY", TODAY.isoformat())
    yield {"engine": engine, "ids": ids, "users": users}
    engine.dispose()
    state._engine.clear()


def _officer(desk_db, who: str) -> AppTest:
    at = AppTest.from_file(CASE_PAGE, default_timeout=60)
    log_in(at, desk_db["users"][who]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open_case(at: AppTest, case_id: int) -> AppTest:
    at.selectbox(key="cases_detail_id").set_value(case_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _submit(at: AppTest, case_id: int):
    form = f"cases_act_form_{case_id}"
    (button,) = [b for b in at.button if b.proto.form_id == form]
    return button.click()


def test_a_rejection_left_open_while_another_officer_approves_writes_nothing(desk_db):
    x = desk_db["ids"]["X"]
    engine = desk_db["engine"]
    # Officer A (county staff) opens case X and chooses 不予救助 with a reason; not yet submitted.
    a = _open_case(_officer(desk_db, "county"), x)
    assert "不予救助" in a.selectbox(key=f"cases_act_{x}_name").options
    a.selectbox(key=f"cases_act_{x}_name").set_value("reject")
    a.text_input(key=f"cases_act_{x}_reason").input("经核实不符合临时救助条件")
    # Officer B (township leader) approves the same case in their own session.
    b = _open_case(_officer(desk_db, "leader"), x)
    b.selectbox(key=f"cases_act_{x}_name").set_value("approve_town")
    b.text_input(key=f"cases_act_{x}_reason").input("入户核实属实")
    _submit(b, x).run()
    assert any("已办理" in m.value for m in b.success), [e.value for e in b.error]
    with session_scope(engine) as s:
        approved = s.get(Case, x)
        version, events = approved.version, len(s.exec(select(CaseEvent).where(CaseEvent.case_id == x)).all())
        assert approved.status == "town_approved"
    # A now submits the form they were shown: nothing is written, A is told what changed.
    _submit(a, x).run()
    assert not a.exception, [e.value for e in a.exception]
    with session_scope(engine) as s:
        case = s.get(Case, x)
        assert (case.status, case.version) == ("town_approved", version)
        assert len(s.exec(select(CaseEvent).where(CaseEvent.case_id == x)).all()) == events
        assert s.exec(select(Payment).where(Payment.case_id == x)).all() == []
        assert case.decision.startswith("同意救助") and "不符合" not in (case.review_opinion or "")
    told = "\n".join(m.value for m in [*a.warning, *a.error]).replace("\\", "")  # markdown escapes
    assert "已被" in told and "批准" in told and "未保存" in told and "fb_leader" in told, told
    assert not any("已办理" in m.value for m in a.success)
    # A's screen now shows the case as it is: the action list is today's, nothing preselected.
    assert a.selectbox(key=f"cases_act_{x}_name").value is None
    assert "不予救助" not in a.selectbox(key=f"cases_act_{x}_name").options


def test_the_approved_amount_starts_at_the_shown_cases_own_request(desk_db):
    x, y = desk_db["ids"]["X"], desk_db["ids"]["Y"]
    at = _open_case(_officer(desk_db, "leader"), y)
    assert at.number_input(key=f"cases_act_{y}_amount").value == 200.0
    at.number_input(key=f"cases_act_{y}_amount").set_value(150.0)  # typed on Y, never submitted
    _open_case(at, x)
    assert at.number_input(key=f"cases_act_{x}_amount").value == 300.0
    at.selectbox(key=f"cases_act_{x}_name").set_value("approve_town")
    at.text_input(key=f"cases_act_{x}_reason").input("入户核实属实")
    _submit(at, x).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    _open_case(at, y)
    assert at.number_input(key=f"cases_act_{y}_amount").value == 200.0
    with session_scope(desk_db["engine"]) as s:
        assert s.get(Case, x).amount_approved_fen == 30000
        assert s.get(Case, y).amount_approved_fen is None


def test_submit_without_choosing_an_action_writes_nothing(desk_db):
    x = desk_db["ids"]["X"]
    at = _open_case(_officer(desk_db, "leader"), x)
    with session_scope(desk_db["engine"]) as s:
        version = s.get(Case, x).version
    _submit(at, x).run()
    assert any("请先选择" in m.value for m in [*at.warning, *at.error])
    with session_scope(desk_db["engine"]) as s:
        assert s.get(Case, x).version == version


def test_a_reveal_reason_typed_for_one_household_is_not_kept_for_the_next(desk_db):
    x, y = desk_db["ids"]["X"], desk_db["ids"]["Y"]
    at = _open_case(_officer(desk_db, "county"), x)
    at.text_input(key="cases_household_reveal_reason").input("核实X户身份")  # typed, not sent
    _open_case(at, y)
    assert at.text_input(key="cases_household_reveal_reason").value == ""


# ============================================================================ the same, as services
def test_desk_binding_through_the_services(engine):
    """cases.desk on SQLite and PostgreSQL: a submit bound to an old version writes nothing (and
    says who changed what); a current one dispatches by name to its own service."""
    from cases import desk
    from cases.models import Referral
    from tests.cases_fixtures import COUNTY

    with session_scope(engine) as s:
        hh = [h.id for h in build_world(s)["households"]]
        ids = []
        for household in hh[:2]:
            c = svc.intake(session=s, actor=LEADER, channel="grid_visit", category="housing_loss",
                           received_on=date(2025, 10, 16), amount_yuan=300, household_id=household,
                           cause="房屋受损")
            svc.transition(session=s, actor=SUP, case_id=c.id, name="accept", on_day=date(2025, 10, 16))
            ids.append(c.id)
    x, y = ids

    def shown(actor, case_id):
        with session_scope(engine) as s:
            return desk.shown_case(svc.case_detail(session=s, actor=actor, case_id=case_id, today=TODAY))

    county_saw, leader_saw = shown(COUNTY, x), shown(LEADER, x)
    assert {"reject", "refer"} <= set(county_saw.offered)
    with session_scope(engine) as s:
        desk.submit_action(session=s, actor=LEADER, shown=leader_saw,
                           action=desk.DeskAction(name="approve_town", on_day=TODAY, reason="属实",
                                                  amount_yuan=300))
    with pytest.raises(desk.FormOutdated) as twice:  # the leader's double tap: the same submit again
        with session_scope(engine) as s:
            desk.submit_action(session=s, actor=LEADER, shown=leader_saw,
                               action=desk.DeskAction(name="approve_town", on_day=TODAY, reason="属实",
                                                      amount_yuan=300))
    assert "重复提交未再办理" in twice.value.zh
    with pytest.raises(desk.FormOutdated) as refused:
        with session_scope(engine) as s:
            desk.submit_action(session=s, actor=COUNTY, shown=county_saw,
                               action=desk.DeskAction(name="reject", on_day=TODAY, reason="不符合"))
    assert LEADER.username in refused.value.zh
    assert "批准" in refused.value.zh and "未保存" in refused.value.zh
    with session_scope(engine) as s:
        case = s.get(Case, x)
        assert case.status == "town_approved" and case.amount_approved_fen == 30000
        assert s.exec(select(Payment).where(Payment.case_id == x)).all() == []
        events = [e.transition for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == x)
                                               .order_by(CaseEvent.id)).all()]
        assert events[-1] == "approve_town" and events.count("approve_town") == 1

    # refer goes to cases.services.refer (a referral row), named, not by position
    saw_y = shown(COUNTY, y)
    with session_scope(engine) as s:
        desk.submit_action(session=s, actor=COUNTY, shown=saw_y,
                           action=desk.DeskAction(name="refer", on_day=TODAY, scheme="dibao",
                                                  reason="长期困难"))
    with session_scope(engine) as s:
        assert s.get(Case, y).status == "referred"
        (ref,) = s.exec(select(Referral).where(Referral.case_id == y)).all()
        ref_saw = desk.ShownReferral(ref.id, ref.version, ref.status)
    # the referral form is bound too: an update on an old version writes nothing
    with session_scope(engine) as s:
        desk.update_referral_bound(session=s, actor=COUNTY, shown=ref_saw, status="accepted",
                                   on_day=TODAY)
    with pytest.raises(desk.FormOutdated):
        with session_scope(engine) as s:
            desk.update_referral_bound(session=s, actor=COUNTY, shown=ref_saw, status="rejected",
                                       on_day=TODAY, reason="材料不全")
    with session_scope(engine) as s:
        assert s.get(Referral, ref_saw.referral_id).status == "accepted"



def test_a_late_decision_from_the_desk_needs_a_reason_and_is_marked(engine):
    """The desk passes the business date and the late-entry reason to the service: a decision
    dated more than the configured days before today is refused without a reason (nothing
    written) and marked on the case with one; a date after today is refused."""
    from datetime import timedelta

    from cases import desk
    from cases.limits import case_limits
    from cases.rules import DomainError

    late_day = TODAY - timedelta(days=case_limits().late_entry_days + 3)
    with session_scope(engine) as s:
        hh = build_world(s)["households"][0].id
        c = svc.intake(session=s, actor=LEADER, channel="window", category="housing_loss",
                       received_on=late_day - timedelta(days=1), amount_yuan=300, household_id=hh,
                       cause="房屋受损")
        svc.transition(session=s, actor=SUP, case_id=c.id, name="accept", on_day=late_day)
        cid = c.id

    def saw():
        with session_scope(engine) as s:
            return desk.shown_case(svc.case_detail(session=s, actor=LEADER, case_id=cid, today=TODAY))

    for day in (late_day, TODAY + timedelta(days=1)):
        with pytest.raises(DomainError), session_scope(engine) as s:
            desk.submit_action(session=s, actor=LEADER, shown=saw(), action=desk.DeskAction(
                name="approve_town", on_day=day, reason="属实", amount_yuan=300, today=TODAY))
        with session_scope(engine) as s:
            assert s.get(Case, cid).status == "accepted"
    with session_scope(engine) as s:
        desk.submit_action(session=s, actor=LEADER, shown=saw(), action=desk.DeskAction(
            name="approve_town", on_day=late_day, reason="属实", amount_yuan=300, today=TODAY,
            backdate_reason="当日系统停机，纸质审批单补录"))
    with session_scope(engine) as s:
        case = s.get(Case, cid)
        assert case.status == "town_approved" and case.backdated
