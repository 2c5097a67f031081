"""Role × action matrix over every write service a page offers (issues 10 and 12), on SQLite and
PostgreSQL.

Each service is called DIRECTLY (not through its page), with valid arguments, by every role: a grid
worker (linked to a worker of grid G01), a grid supervisor of G01 and one of G02, a township leader,
county staff, an auditor, and a receiving department of the right scheme (medical) and of another
(education). Everything acted on lies in G01, so the G02 supervisor tests the grid scope.

The expected outcome comes from POLICY below — one table, written from the product's rules (README
"Dashboard pages", /work/shared/DOMAIN.md "Who uses the product", dashboard/navigation.py: which
role's page offers the action), never read back from the code under test:
- a refused call raises the domain's AccessDenied, or PermissionDenied / a DomainError with the
  permission code, and writes nothing (row counts and row versions of every table, audit included,
  are the same before and after, in the same transaction);
- an allowed call succeeds and writes its audit entry naming the actor and its role.

One database per backend for the module; each test runs in a transaction that is rolled back.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import MetaData, Table, func, literal, select, union_all
from sqlalchemy.exc import SAWarning
from sqlmodel import Session

from cases import funds, oversight, verification
from cases import intake as intake_mod
from cases import services as svc
from cases.errors import DomainError, PermissionDenied
from cases.models import SpotCheck, VerificationResult
from grid import workers as wk
from grid.access import SYSTEM, AccessDenied, Actor, Role
from grid.assignments import assign_shown, cancel_visit, reassign_visit
from grid.db import init_db, make_engine, session_scope
from grid.facts import Appeal, correct_fact, decide_appeal, record_appeal
from grid.imports.grids import import_grids
from grid.models import AuditEntry, GridWorker, Household, VisitAssignment
from grid.visits import VisitObservations, record_visit, save_adhoc_visit
from jizhen.users import admin as users
from tests.cases_fixtures import build_world, ident
from tests.conftest import BACKENDS, PG_ADMIN_URL, missing

TODAY = date(2026, 11, 20)
MONTH = f"{TODAY:%Y-%m}"
G01_POINT = (118.6035, 33.7035)  # inside G01 (tests.cases_fixtures)
PASSWORD = "Lantern-Orbit-Quarry-2027"
NEW_PASSWORD = "Harbor-Willow-Canyon-2028"

# ------------------------------------------------------------------ the roles tried
WORKER, SUP_OWN, SUP_OTHER = "grid_worker", "grid_supervisor(G01)", "grid_supervisor(G02)"
LEADER, COUNTY, AUDITOR = "township_leader", "county_staff", "auditor"
DEPT, DEPT_OTHER = "department(medical)", "department(education)"
ROLES = (WORKER, SUP_OWN, SUP_OTHER, LEADER, COUNTY, AUDITOR, DEPT, DEPT_OTHER)

# ------------------------------------------------------------------ the policy (product rules)
OFFICERS = frozenset({LEADER, COUNTY})  # 乡镇民政/领导 and 县民政局
CASE_FOLLOWERS = frozenset({SUP_OWN}) | OFFICERS  # 网格长 "opens and follows cases" in its grid
NOBODY: frozenset = frozenset()

POLICY: dict[str, frozenset] = {
    # 救助案件 (everyone but the department): the one-stop intake and the to-match queue are on the
    # page of every role that writes (grid workers "report hardship"); the auditor reads only.
    "case.intake": frozenset({WORKER}) | CASE_FOLLOWERS,
    "case.match": frozenset({WORKER}) | CASE_FOLLOWERS,
    # transitions: the supervisor accepts, escalates (报县审批), completes files and refers in its
    # grid; the town approves small aid (≤ 500 yuan) and pays; the county approves above 500 yuan
    # and pays; rejections, aid-first payments, admissions and closing are the officers'.
    "transition.accept": CASE_FOLLOWERS,
    "transition.approve_town": frozenset({LEADER}),
    "transition.escalate": frozenset({SUP_OWN, LEADER}),
    "transition.approve_county": frozenset({COUNTY}),
    "transition.reject": OFFICERS,
    "transition.reject_escalated": frozenset({COUNTY}),  # a case sent to the county: the county decides
    "transition.pay": OFFICERS,
    "transition.pay_first": OFFICERS,
    "transition.complete_files": CASE_FOLLOWERS,
    "transition.refer": CASE_FOLLOWERS,
    "transition.close": OFFICERS,
    "referral.send": CASE_FOLLOWERS,
    # 转诊接收: the receiving department answers the referrals of ITS scheme; the supervisor and the
    # officers may record an answer the department gave on paper (in their grids).
    "referral.answer": frozenset({DEPT}) | CASE_FOLLOWERS,
    "admission": OFFICERS,  # 住院 (低保/特困): the officers decide
    # 逢进必核: the officers who run the checks (the county with the town's civil-affairs office)
    "verification.record": OFFICERS,
    "verification.import": OFFICERS,
    # 监督管理 (leaders, county staff; auditors read): blacklist, funds, disclosure, spot checks
    "blacklist.add": OFFICERS,
    "blacklist.review": OFFICERS,
    "blacklist.lift": OFFICERS,
    "funds.donation": OFFICERS,
    "funds.allocate": frozenset({COUNTY}),
    "funds.settle": frozenset({COUNTY}),
    "funds.stipend": OFFICERS,
    "disclosure.publish": OFFICERS,
    "disclosure.public_note": OFFICERS,  # the text printed on the public list: its publishers'
    "spotcheck.draw": frozenset({COUNTY}),  # the county draws (双随机)
    "spotcheck.record": OFFICERS,
    "spotcheck.publish": frozenset({COUNTY}),
    # 走访派单 (supervisors, officers) and 今日任务 / 走访登记 (grid workers, supervisors)
    "assignment.assign": CASE_FOLLOWERS,
    "assignment.reassign": CASE_FOLLOWERS,
    "assignment.cancel": CASE_FOLLOWERS,
    "visit.record": frozenset({WORKER, SUP_OWN}),
    "visit.adhoc": frozenset({WORKER}),  # 随访: the worker who met the household
    # 一户一档 (roles with households): the register is corrected by the supervisor of the grid or a
    # township officer; a resident's objection is written down by whoever meets them (grid staff,
    # officers) and decided by the officers.
    "household.correct_fact": frozenset({SUP_OWN, LEADER}),
    "appeal.record": frozenset({WORKER}) | CASE_FOLLOWERS,
    "appeal.decide": OFFICERS,
    # 系统管理 (county staff): workers, rosters, households outside every grid, boundaries, accounts
    "worker.add": frozenset({COUNTY}),
    "worker.move": frozenset({COUNTY}),
    "worker.deactivate": frozenset({COUNTY}),
    "worker.import_roster": frozenset({COUNTY}),
    "household.relocate": frozenset({COUNTY}),
    "household.assign_grid": frozenset({COUNTY}),
    "grid.import": frozenset({COUNTY}),
    "user.add": frozenset({COUNTY}),
    "user.passwd": frozenset({COUNTY}),
    "user.disable": frozenset({COUNTY}),
    "user.role": frozenset({COUNTY}),
    "user.worker": frozenset({COUNTY}),
    "user.unlock": frozenset({COUNTY}),
}


# ------------------------------------------------------------------ the world (one per backend)
@dataclass
class World:
    engine: Any
    households: list[int]  # hh[0], hh[1], hh[4] in G01; hh[2], hh[3] in G02
    workers_g01: list[int]
    files: Path
    tables: list[Table] = field(default_factory=list)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory, _pg_templates):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'jizhen.db'}"
        eng = make_engine(url)
        init_db(eng)
    else:
        if not PG_ADMIN_URL:
            missing("PostgreSQL (set JIZHEN_TEST_PG_URL)")
        eng = make_engine(_pg_templates.fresh())
    with session_scope(eng) as s:
        w = build_world(s)
        hh = [h.id for h in w["households"]]
        g01 = w["grids"][0].id
        workers = [x.id for x in s.execute(select(GridWorker).where(GridWorker.grid_id == g01)
                                        .order_by(GridWorker.id)).scalars().all()]
    md = MetaData()
    with warnings.catch_warnings():  # PostGIS geometry columns: their type does not matter here
        warnings.filterwarnings("ignore", "Did not recognize type", SAWarning)
        md.reflect(eng)
    tables = [t for name, t in sorted(md.tables.items()) if name != "alembic_version"]
    yield World(eng, hh, workers, tmp_path_factory.mktemp("matrix_files"), tables)
    eng.dispose()


def actors(w: World) -> dict[str, Actor]:
    return {
        WORKER: Actor("mx_worker", Role.GRID_WORKER, frozenset({"G01"}), worker_id=w.workers_g01[0]),
        SUP_OWN: Actor("mx_sup_g01", Role.GRID_SUPERVISOR, frozenset({"G01"})),
        SUP_OTHER: Actor("mx_sup_g02", Role.GRID_SUPERVISOR, frozenset({"G02"})),
        LEADER: Actor("mx_leader", Role.TOWNSHIP_LEADER, None),
        COUNTY: Actor("mx_county", Role.COUNTY_STAFF, None),
        AUDITOR: Actor("mx_auditor", Role.AUDITOR, None),
        DEPT: Actor("mx_dept_med", Role.DEPARTMENT, frozenset(), scheme="medical"),
        DEPT_OTHER: Actor("mx_dept_edu", Role.DEPARTMENT, frozenset(), scheme="education"),
    }


# ------------------------------------------------------------------ preparing what a call needs
def _case(s: Session, w: World, *steps: str, amount: int = 300, category: str = "housing_loss") -> int:
    """A case of hh[0] (G01) received TODAY, taken through ``steps`` by the system."""
    c = svc.intake(session=s, actor=SYSTEM, channel="window", category=category, received_on=TODAY,
                   amount_yuan=amount, household_id=w.households[0], cause="房屋受损", today=TODAY)
    for name in steps:
        svc.transition(session=s, actor=SYSTEM, case_id=c.id, name=name, on_day=TODAY, today=TODAY,
                       reason="准备" if name in ("reject", "pay_first") else "")
    return c.id


def _to_match(s: Session, w: World) -> int:
    c = svc.intake(session=s, actor=SYSTEM, channel="hotline_12345", category="housing_loss",
                   received_on=TODAY, amount_yuan=300, person_name="某来电人", lon=G01_POINT[0],
                   lat=G01_POINT[1], work_order_no="12345-MX-1", today=TODAY)
    assert c.household_id is None
    return c.id


def _referral(s: Session, w: World) -> int:
    cid = _case(s, w, "accept", category="illness_or_disaster")
    return svc.refer(session=s, actor=SYSTEM, case_id=cid, scheme="medical", on_day=TODAY,
                     compliant_cost_yuan=10000, insurance_paid_yuan=5000).id


def _verified_application(s: Session, w: World) -> int:
    cid = _case(s, w, "accept")
    for item in verification.load_items():
        s.add(VerificationResult(case_id=cid, item_code=item.code, department=item.department,
                                 result="clear", evidence=f"回执-{item.code}", checked_on=TODAY,
                                 checked_by="system", source="form"))
    s.flush()
    return cid


def _verification_file(s: Session, w: World) -> Path:
    _case(s, w, "accept")
    head = s.get(Household, w.households[0]).head_id_number
    item = next(i for i in verification.load_items() if i.department == "县公安局")
    path = w.files / "verification.csv"
    path.write_text("身份证号,核对事项,核对结果,核对凭证,核对日期\n"
                    f"{head},{item.name},无异常,公安回执2026-001,{TODAY.isoformat()}\n", encoding="utf-8")
    return path


def _blacklist_proposal(s: Session, w: World) -> int:
    return svc.add_to_blacklist(session=s, actor=SYSTEM, person_id_number=ident(60), person_name="钱某",
                                reason="虚报收入骗取救助", evidence="县民政局认定书2026-3",
                                listed_on=TODAY).id


def _blacklist_in_force(s: Session, w: World) -> int:
    eid = _blacklist_proposal(s, w)
    intake_mod.review_blacklist(session=s, actor=Actor("mx_second_officer", Role.SYSTEM, None),
                                entry_id=eid, approve=True, note="复核属实", on_day=TODAY)
    return eid


def _spot_check(s: Session, w: World) -> int:
    cid = _case(s, w, "pay_first")
    sc = SpotCheck(month=MONTH, seed="7", case_id=cid, household_id=w.households[0], grid_code="G01",
                   inspector="专职2#3", drawn_on=TODAY)
    s.add(sc)
    s.flush()
    return sc.id


def _assignment(s: Session, w: World) -> VisitAssignment:
    out = assign_shown(session=s, actor=SYSTEM, household_ids=[w.households[0]],
                       worker_id=w.workers_g01[0], due_on=TODAY + timedelta(days=7), today=TODAY)
    return s.get(VisitAssignment, out.created[0])


def _outside_household(s: Session, w: World) -> int:
    h = Household(address="城外1号", lon=118.70, lat=33.80, grid_id=None, members=2, head_name="周某",
                  head_id_number=ident(70), phone="13800000070", income_per_capita_yuan=800.0)
    s.add(h)
    s.flush()
    return h.id


def _roster_file(s: Session, w: World) -> Path:
    path = w.files / "roster.csv"
    path.write_text("姓名,手机号,类型,网格编码\n吴新员,13987650001,兼职,G01\n", encoding="utf-8")
    return path


def _grid_file(s: Session, w: World) -> Path:
    path = w.files / "grids.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "G03", "name": "演示三网格"},
         "geometry": {"type": "Polygon", "coordinates": [[[118.63, 33.70], [118.64, 33.70],
                                                          [118.64, 33.71], [118.63, 33.71],
                                                          [118.63, 33.70]]]}}]}, ensure_ascii=False),
        encoding="utf-8")
    return path


def _account(role: str, grids: list[str] | None = None):
    def prepare(s: Session, w: World) -> str:
        wid = w.workers_g01[1] if role == "grid_worker" else None
        users.add_user(s, username="mx_target", password=PASSWORD, role=role, grid_codes=grids,
                       worker_id=wid, actor=SYSTEM)
        return "mx_target"
    return prepare


def _appeal(s: Session, w: World) -> tuple[int, int]:
    aid = record_appeal(session=s, actor=SYSTEM, household_id=w.households[0], subject="score",
                        objection="家中已有人就业，评分过高", received_on=TODAY)
    return aid, s.get(Appeal, aid).version


def _nothing(s: Session, w: World) -> None:
    return None


def _transition(name: str, *steps: str, amount: int = 300, **kw) -> tuple:
    def call(s, a, cid, w):
        return svc.transition(session=s, actor=a, case_id=cid, name=name, on_day=TODAY, today=TODAY, **kw)
    return (lambda s, w: _case(s, w, *steps, amount=amount)), call


# ------------------------------------------------------------------ the actions
@dataclass(frozen=True)
class Action:
    prepare: Callable[[Session, World], Any]  # as the system: what the call acts on
    call: Callable[[Session, Actor, Any, World], Any]  # the service, called directly
    audit: str  # the audit action an allowed call writes


def _t(name: str, *steps: str, amount: int = 300, **kw) -> Action:
    prepare, call = _transition(name, *steps, amount=amount, **kw)
    return Action(prepare, call, f"case.{name}")


OBS = VisitObservations(income_per_capita_yuan=700.0, notes="家中正常")

ACTIONS: dict[str, Action] = {
    "case.intake": Action(_nothing, lambda s, a, _, w: svc.intake(
        session=s, actor=a, channel="window", category="housing_loss", received_on=TODAY, amount_yuan=300,
        household_id=w.households[0], cause="房屋漏雨", today=TODAY), "case.intake"),
    "case.match": Action(_to_match, lambda s, a, cid, w: svc.match_case(
        session=s, actor=a, case_id=cid, household_id=w.households[0], reason="电话核实"), "case.match"),
    "transition.accept": _t("accept"),
    "transition.approve_town": _t("approve_town", "accept", amount_yuan=300),
    "transition.escalate": _t("escalate", "accept", amount=800),
    "transition.approve_county": _t("approve_county", "accept", "escalate", amount=800),
    "transition.reject": _t("reject", "accept", reason="收入超过标准"),
    "transition.reject_escalated": Action(*_transition("reject", "accept", "escalate", amount=800,
                                                       reason="收入超过标准"), "case.reject"),
    "transition.pay": _t("pay", "accept", "approve_town"),
    "transition.pay_first": _t("pay_first", "accept", reason="火灾，先行救助"),
    "transition.complete_files": _t("complete_files", "accept", "approve_town", "pay"),
    "transition.refer": _t("refer", "accept"),
    "transition.close": _t("close", "accept", "reject"),
    "referral.send": Action(lambda s, w: _case(s, w, "accept", category="illness_or_disaster"),
                            lambda s, a, cid, w: svc.refer(
                                session=s, actor=a, case_id=cid, scheme="medical", on_day=TODAY,
                                compliant_cost_yuan=10000, insurance_paid_yuan=5000), "referral.send"),
    "referral.answer": Action(_referral, lambda s, a, rid, w: svc.update_referral(
        session=s, actor=a, referral_id=rid, status="accepted", on_day=TODAY), "referral.accepted"),
    "admission": Action(_verified_application, lambda s, a, cid, w: svc.admit(
        session=s, actor=a, case_id=cid, on_day=TODAY, members=3, family_income_yuan=600,
        dependent_severe_member=False, no_labour_no_income_no_supporter=False,
        reason="家庭人均收入低于低保标准"), "household.admit"),
    "verification.record": Action(lambda s, w: _case(s, w, "accept"), lambda s, a, cid, w: (
        verification.record_result(session=s, actor=a, case_id=cid, item_code="household_register",
                                   result="clear", evidence="公安回执2026-002", on_day=TODAY, today=TODAY)),
        "verification.record"),
    "verification.import": Action(_verification_file, lambda s, a, path, w: verification.import_results(
        path, session=s, actor=a, department="县公安局", today=TODAY), "verification.record"),
    "blacklist.add": Action(_nothing, lambda s, a, _, w: svc.add_to_blacklist(
        session=s, actor=a, person_id_number=ident(61), person_name="孙某", reason="伪造证明骗取救助",
        evidence="公安机关认定书2026-7", listed_on=TODAY), "blacklist.add"),
    "blacklist.review": Action(_blacklist_proposal, lambda s, a, eid, w: intake_mod.review_blacklist(
        session=s, actor=a, entry_id=eid, approve=True, note="复核属实", on_day=TODAY), "blacklist.review"),
    "blacklist.lift": Action(_blacklist_in_force, lambda s, a, eid, w: intake_mod.lift_blacklist(
        session=s, actor=a, entry_id=eid, reason="已退回救助金，信用修复", on_day=TODAY), "blacklist.lift"),
    "funds.donation": Action(_nothing, lambda s, a, _, w: svc.record_donation(
        session=s, actor=a, on_day=TODAY, amount_yuan="1000.50", note="爱心企业捐赠"), "funds.donation"),
    "funds.allocate": Action(_nothing, lambda s, a, _, w: svc.allocate_year(
        session=s, actor=a, year=TODAY.year, on_day=TODAY), "funds.allocate"),
    "funds.settle": Action(lambda s, w: _case(s, w, "pay_first"), lambda s, a, _, w: svc.settle_year(
        session=s, actor=a, year=TODAY.year, on_day=TODAY), "funds.settle"),
    "funds.stipend": Action(_nothing, lambda s, a, _, w: funds.record_stipend(
        session=s, actor=a, month=MONTH, grid_code="G01", assistant_name="孙协理", paid_on=TODAY),
        "funds.stipend"),
    "disclosure.publish": Action(
        lambda s, w: (_case(s, w, "pay_first"),
                      svc.disclosure_rows(session=s, actor=SYSTEM, month=MONTH))[1],
        lambda s, a, rows, w: svc.record_disclosure(session=s, actor=a, month=MONTH, rows=rows,
                                                    published_on=TODAY), "disclosure.publish"),
    "disclosure.public_note": Action(lambda s, w: _case(s, w, "pay_first"), lambda s, a, cid, w: (
        svc.set_public_note(session=s, actor=a, case_id=cid, note="房屋受损")), "case.public_note"),
    "spotcheck.draw": Action(lambda s, w: _case(s, w, "pay_first"), lambda s, a, _, w: svc.draw_spot_checks(
        session=s, actor=a, month=MONTH, seed=7, drawn_on=TODAY), "spotcheck.draw"),
    "spotcheck.record": Action(_spot_check, lambda s, a, sid, w: svc.record_spot_check(
        session=s, actor=a, spot_check_id=sid, result="ok", note="", checked_on=TODAY), "spotcheck.result"),
    "spotcheck.publish": Action(_spot_check, lambda s, a, _, w: oversight.publish_spot_checks(
        session=s, actor=a, month=MONTH, published_on=TODAY), "spotcheck.publish"),
    "assignment.assign": Action(_nothing, lambda s, a, _, w: assign_shown(
        session=s, actor=a, household_ids=[w.households[0]], worker_id=w.workers_g01[0],
        due_on=TODAY + timedelta(days=7), today=TODAY), "assignment.create"),
    "assignment.reassign": Action(_assignment, lambda s, a, va, w: reassign_visit(
        session=s, actor=a, assignment_id=va.id, expected_version=va.version, worker_id=w.workers_g01[1]),
        "assignment.reassign"),
    "assignment.cancel": Action(_assignment, lambda s, a, va, w: cancel_visit(
        session=s, actor=a, assignment_id=va.id, expected_version=va.version, reason="住户外出务工"),
        "assignment.cancel"),
    "visit.record": Action(_assignment, lambda s, a, va, w: record_visit(
        session=s, actor=a, assignment_id=va.id, expected_version=va.version, observations=OBS,
        visited_on=TODAY, today=TODAY), "visit.record"),
    "visit.adhoc": Action(_nothing, lambda s, a, _, w: save_adhoc_visit(
        session=s, actor=a, household_id=w.households[0], observations=OBS, visited_on=TODAY, today=TODAY),
        "visit.record"),
    "household.correct_fact": Action(
        lambda s, w: s.get(Household, w.households[0]).version,
        lambda s, a, version, w: correct_fact(
            session=s, actor=a, household_id=w.households[0], field="members", new_value=4,
            reason="新生儿已落户", expected_version=version, today=TODAY), "household.correct_fact"),
    "appeal.record": Action(_nothing, lambda s, a, _, w: record_appeal(
        session=s, actor=a, household_id=w.households[0], subject="decision",
        objection="认为救助金额偏低", received_on=TODAY), "appeal.record"),
    "appeal.decide": Action(_appeal, lambda s, a, ap, w: decide_appeal(
        session=s, actor=a, appeal_id=ap[0], outcome="kept", note="经核实评分无误",
        expected_version=ap[1], decided_on=TODAY), "appeal.decide"),
    "worker.add": Action(_nothing, lambda s, a, _, w: wk.add_worker(
        session=s, actor=a, name="郑新员", phone="13987650002", employment="专职", grid_code="G01"),
        "worker.add"),
    "worker.move": Action(_nothing, lambda s, a, _, w: wk.move_worker(
        session=s, actor=a, worker_id=w.workers_g01[1], grid_code="G02", reason="工作调整"), "worker.move"),
    "worker.deactivate": Action(_nothing, lambda s, a, _, w: wk.deactivate_worker(
        session=s, actor=a, worker_id=w.workers_g01[1], reason="离职"), "worker.deactivate"),
    "worker.import_roster": Action(_roster_file, lambda s, a, path, w: wk.import_roster(
        path, session=s, actor=a), "import.workers"),
    "household.relocate": Action(_outside_household, lambda s, a, hid, w: wk.relocate_household(
        session=s, actor=a, household_id=hid, lon=G01_POINT[0], lat=G01_POINT[1], reason="坐标录错，已现场核实"),
        "household.relocate"),
    "household.assign_grid": Action(_outside_household, lambda s, a, hid, w: wk.assign_household_grid(
        session=s, actor=a, household_id=hid, grid_code="G01", reason="边界外新建小区，暂归G01"),
        "household.assign_grid"),
    "grid.import": Action(_grid_file, lambda s, a, path, w: import_grids(path, session=s, actor=a),
                          "import.grids"),
    "user.add": Action(_nothing, lambda s, a, _, w: users.add_user(
        s, username="mx_new", password=PASSWORD, role="grid_supervisor", grid_codes=["G01"], actor=a),
        "user.add"),
    "user.passwd": Action(_account("grid_supervisor", ["G01"]), lambda s, a, name, w: users.set_password(
        s, name, NEW_PASSWORD, actor=a), "user.passwd"),
    "user.disable": Action(_account("grid_supervisor", ["G01"]), lambda s, a, name, w: users.disable_user(
        s, name, actor=a, reason="调离"), "user.disable"),
    "user.role": Action(_account("grid_supervisor", ["G01"]), lambda s, a, name, w: users.set_role(
        s, name, "grid_supervisor", ["G02"], actor=a), "user.role"),
    "user.worker": Action(_account("grid_worker", ["G01"]), lambda s, a, name, w: users.set_worker(
        s, name, w.workers_g01[0], actor=a), "user.worker"),
    "user.unlock": Action(_account("grid_supervisor", ["G01"]), lambda s, a, name, w: users.unlock_user(
        s, name, actor=a), "user.unlock"),
}


# ------------------------------------------------------------------ what "nothing written" means
def _state(s: Session, w: World) -> dict[str, tuple[int, int]]:
    """Per table: the number of rows and the sum of the row versions (every update of a versioned
    row bumps it). Read through the session, so anything a call added but did not flush counts."""
    parts = []
    for t in w.tables:
        version = func.coalesce(func.sum(t.c.version), 0) if "version" in t.c else literal(0)
        parts.append(select(literal(t.name).label("t"), func.count().label("n"), version.label("v"))
                     .select_from(t))
    return {name: (int(n), int(v)) for name, n, v in s.execute(union_all(*parts)).all()}


def _is_refusal(exc: BaseException) -> bool:
    return isinstance(exc, (AccessDenied, PermissionDenied)) or (
        isinstance(exc, DomainError) and exc.code == PermissionDenied.code)


@pytest.fixture
def tx(world):
    """A session in a transaction that is rolled back after the test (the world stays as built)."""
    conn = world.engine.connect()
    trans = conn.begin()
    s = Session(bind=conn, expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        trans.rollback()
        conn.close()


CELLS = [(action, role) for action in ACTIONS for role in ROLES]


@pytest.mark.parametrize("action, role", CELLS, ids=[f"{a}-{r}" for a, r in CELLS])
def test_role_may_do_exactly_what_its_pages_offer(world, tx, action, role):
    spec = ACTIONS[action]
    actor = actors(world)[role]
    target = spec.prepare(tx, world)
    tx.flush()
    before = _state(tx, world)
    last_audit = tx.execute(select(func.coalesce(func.max(AuditEntry.id), 0))).scalar_one()
    if role in POLICY[action]:
        spec.call(tx, actor, target, world)
        tx.flush()
        mine = tx.execute(select(AuditEntry.action, AuditEntry.role).where(
            AuditEntry.id > last_audit, AuditEntry.actor == actor.username)).all()
        assert (spec.audit, str(actor.role)) in {(a, r) for a, r in mine}, (
            f"{role} did {action} but no {spec.audit} audit entry names them: {mine}")
    else:
        with pytest.raises(Exception) as refused:
            spec.call(tx, actor, target, world)
        assert _is_refusal(refused.value), (
            f"{role} calling {action}: expected a permission refusal, got "
            f"{type(refused.value).__name__}: {refused.value}")
        assert _state(tx, world) == before, f"{role} was refused {action} but something was written"


def test_the_policy_names_every_action_and_only_known_roles():
    assert set(POLICY) == set(ACTIONS)
    for action, allowed in POLICY.items():
        assert allowed <= set(ROLES), action
    # every role is refused somewhere and (but the auditor and a foreign department) allowed somewhere
    for role in ROLES:
        assert any(role not in allowed for allowed in POLICY.values()), role
    assert {r for allowed in POLICY.values() for r in allowed} == set(ROLES) - {SUP_OTHER, AUDITOR, DEPT_OTHER}
