"""The receiving department (role department, scoped to its scheme): the account, the referrals it
sees, its answers; and the window intake located on the map (a supervisor's intake inside the grid
is theirs). SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlmodel import select

from cases import services as svc
from cases.errors import DomainError, PermissionDenied
from cases.models import Case, Referral
from cases.referrals import department_referrals, medical_amounts
from grid.access import AccessDenied, Actor, Role
from grid.db import session_scope
from grid.models import AuditEntry
from jizhen.cli import main
from jizhen.users import UserError, actor_for, add_user, authenticate, get_user
from tests.cases_fixtures import AUDITOR, COUNTY, LEADER, SUP, SUP2, WORKER, build_world

DAY = date(2026, 3, 4)
PW = "Deptpass2026x"
MED = Actor("医保局甲", Role.DEPARTMENT, frozenset(), scheme="medical")
EDU = Actor("教育局乙", Role.DEPARTMENT, frozenset(), scheme="education")


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        w = build_world(s)
        ids = [h.id for h in w["households"]]
    return engine, ids


def _referred(s, hh_id, scheme="medical", **kw):
    c = svc.intake(session=s, actor=SUP, channel="window", category="illness_or_disaster",
                   received_on=date(2026, 3, 2), amount_yuan=300, household_id=hh_id)
    svc.transition(session=s, actor=SUP, case_id=c.id, name="accept", on_day=date(2026, 3, 2))
    return svc.refer(session=s, actor=SUP, case_id=c.id, scheme=scheme, on_day=date(2026, 3, 3), **kw)


def test_department_account_needs_a_known_scheme(world, db_url):
    engine, _ = world
    with session_scope(engine) as s:
        with pytest.raises(UserError, match="必须指定承接的转诊事项"):
            add_user(s, username="yb0", password=PW, role="department")
        with pytest.raises(UserError, match="未知转诊事项"):
            add_user(s, username="yb0", password=PW, role="department", scheme="dental")
        with pytest.raises(UserError, match="只有转诊承接部门账号"):
            add_user(s, username="yb0", password=PW, role="county_staff", scheme="medical")
    r = CliRunner().invoke(main, ["user", "add", "--username", "yibao", "--password", PW, "--role",
                                  "department", "--scheme", "medical"], env={"DATABASE_URL": db_url})
    assert r.exit_code == 0, r.output
    assert "转诊事项 medical" in r.output
    with session_scope(engine) as s:
        u = get_user(s, "yibao")
        assert (u.role, u.scheme, u.grid_codes) == ("department", "medical", "")
        a = actor_for(u)
        assert a.scheme == "medical" and a.grid_codes == frozenset() and a.may_write
        res = authenticate(s, "yibao", PW)
        assert res.ok and res.actor.scheme == "medical"


def test_department_sees_and_answers_only_its_scheme(world):
    engine, hh = world
    with session_scope(engine) as s:
        med = _referred(s, hh[0], compliant_cost_yuan=10000, insurance_paid_yuan=5000).id
        edu = _referred(s, hh[1], scheme="education").id
    with session_scope(engine) as s:
        rows = department_referrals(session=s, actor=MED)
        assert [r["id"] for r in rows] == [med]
        assert rows[0]["status_label"] == "已转出" and rows[0]["reimbursed_yuan"] == 2000.0
        assert rows[0]["person_name"] == "王甲一"
        assert [r["id"] for r in department_referrals(session=s, actor=EDU)] == [edu]
        for who in (SUP, LEADER, WORKER, AUDITOR):
            with pytest.raises(AccessDenied):
                department_referrals(session=s, actor=who)
        # the department sees no case, no grid
        assert svc.list_cases(session=s, actor=MED, today=DAY) == []
        with pytest.raises(AccessDenied):
            svc.case_detail(session=s, actor=MED, case_id=s.get(Referral, med).case_id, today=DAY)
    with session_scope(engine) as s:
        with pytest.raises(AccessDenied):  # another scheme's referral: the one refusal
            svc.update_referral(session=s, actor=MED, referral_id=edu, status="accepted", on_day=DAY)
        with pytest.raises(AccessDenied):
            svc.update_referral(session=s, actor=WORKER, referral_id=med, status="accepted", on_day=DAY)
        with pytest.raises(DomainError, match="退回转诊必须写明理由"):
            svc.update_referral(session=s, actor=EDU, referral_id=edu, status="rejected", on_day=DAY)
    with session_scope(engine) as s:
        assert {r.status for r in s.exec(select(Referral)).all()} == {"sent"}
        svc.update_referral(session=s, actor=MED, referral_id=med, status="accepted", on_day=DAY)
        svc.update_referral(session=s, actor=EDU, referral_id=edu, status="rejected", on_day=DAY,
                            reason="不属于教育救助范围")
    with session_scope(engine) as s:
        assert s.get(Referral, med).status == "accepted" and s.get(Referral, med).responded_on == DAY
        assert s.get(Referral, edu).reason == "不属于教育救助范围"
        acts = [(a.actor, a.action) for a in s.exec(select(AuditEntry).where(
            AuditEntry.action.in_(["referral.accepted", "referral.rejected"]))).all()]
        assert acts == [("医保局甲", "referral.accepted"), ("教育局乙", "referral.rejected")]


def test_medical_amount_shown_is_the_amount_stored(world):
    engine, hh = world
    cost, paid, amount = medical_amounts("12345.67", "3000")
    assert str(amount) == "5641.97"  # ceil(12345.67 × 0.7 to the fen) − 3000
    with pytest.raises(DomainError, match="超过合规医疗费用"):
        medical_amounts(1000, 1200)
    with pytest.raises(DomainError):
        medical_amounts(-5, 0)
    with session_scope(engine) as s:
        ref = _referred(s, hh[0], compliant_cost_yuan="12345.67", insurance_paid_yuan="3000")
        assert ref.reimbursed_fen == 564197 and ref.insurance_paid_fen == 300000


def test_window_intake_located_in_the_supervisors_grid_is_theirs(world):
    engine, _ = world
    base = dict(channel="window", category="accidental_injury", received_on=date(2026, 3, 2),
                amount_yuan=400, person_name="外来甲", cause="车祸")
    with session_scope(engine) as s:
        with pytest.raises(DomainError) as e:  # not in the registry, no location
            svc.intake(session=s, actor=SUP, **base)
        assert e.value.code == "no_location" and "地图" in e.value.zh
        with pytest.raises(AccessDenied):  # located in another grid
            svc.intake(session=s, actor=SUP, lon=118.615, lat=33.705, **base)
        assert s.exec(select(Case)).all() == []
        c = svc.intake(session=s, actor=SUP, lon=118.6051, lat=33.7052, **base)
        assert (c.grid_code, c.match_status, c.household_id) == ("G01", "to_match", None)
        c2 = svc.intake(session=s, actor=SUP2, lon=118.615, lat=33.705, **base)
        assert c2.grid_code == "G02"
        with pytest.raises(PermissionDenied, match="转诊承接部门无权登记案件"):
            svc.intake(session=s, actor=MED, lon=118.6051, lat=33.7052, **base)
        with pytest.raises(AccessDenied):  # read-only
            svc.intake(session=s, actor=AUDITOR, lon=118.6051, lat=33.7052, **base)
    with session_scope(engine) as s:
        assert len(svc.list_cases(session=s, actor=SUP, today=DAY)) == 1
        assert len(svc.list_cases(session=s, actor=COUNTY, today=DAY)) == 2


def test_department_in_the_access_matrix_sees_no_grid_data(demo_engine):
    """The role × query matrix for the new role: a department sees no grid, household, visit,
    case or worker through any domain query, and may take no case step."""
    from grid.frames import events_frame, grids_frame, households_frame, visits_frame, workers_frame
    from grid.stats import collect_stats

    from tests.conftest import DEMO_TODAY

    with demo_engine.connect() as c:
        for frame in (grids_frame, workers_frame, visits_frame, events_frame):
            assert len(frame(c, MED)) == 0, frame.__name__
        assert len(households_frame(c, MED, personal=True)) == 0
    stats = collect_stats(demo_engine, MED)
    assert stats["households"] == 0 and stats["grids"] == 0, stats
    with session_scope(demo_engine) as s:
        assert svc.list_cases(session=s, actor=MED, today=DEMO_TODAY) == []
        assert len(svc.pending_cases_frame(s, MED, DEMO_TODAY)) == 0
        any_case = s.exec(select(Case).where(Case.household_id.is_not(None))).first()
        with pytest.raises(AccessDenied):
            svc.household_timeline(session=s, actor=MED, household_id=any_case.household_id)
        for name in ("accept", "reject", "approve_town", "pay", "close"):
            with pytest.raises((AccessDenied, DomainError)):
                svc.transition(session=s, actor=MED, case_id=any_case.id, name=name, on_day=DEMO_TODAY,
                               reason="x")
        with pytest.raises(AccessDenied):
            svc.refer(session=s, actor=MED, case_id=any_case.id, scheme="medical", on_day=DEMO_TODAY)
        with pytest.raises(AccessDenied):
            svc.admit(session=s, actor=MED, case_id=any_case.id, on_day=DEMO_TODAY)
        # the referrals of its scheme in the demo: all medical, and no other scheme
        rows = department_referrals(session=s, actor=MED)
        n_med = len(s.exec(select(Referral).where(Referral.scheme == "medical")).all())
        assert n_med > 0 and len(rows) == n_med and {r["scheme"] for r in rows} == {"medical"}
