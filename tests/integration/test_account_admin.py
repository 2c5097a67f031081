"""Account administration services (jizhen.users.admin, issue 12) called directly: only county
staff and SYSTEM (the CLI) may manage accounts; a county officer cannot disable their own account
or take the county role from it; a form's version is checked; every change is audited with the
actor; the account list has no hash. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import select

from grid.access import AccessDenied, Actor, Role
from grid.db import StaleEdit, session_scope
from grid.geotypes import utcnow
from grid.models import AuditEntry, GridWorker
from jizhen.cli import main
from jizhen.users import UserError, get_user
from jizhen.users import admin as ua
from tests.cases_fixtures import AUDITOR, LEADER, SUP, WORKER, build_world

PW = "Acctpass2026x"
COUNTY = Actor("xian_a", Role.COUNTY_STAFF, None)  # has an account (the fixture's)
DEPT = Actor("医保局甲", Role.DEPARTMENT, frozenset(), scheme="medical")


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        build_world(s)
        ua.add_user(s, username="target", password=PW, role="auditor")
        ua.add_user(s, username=COUNTY.username, password=PW, role="county_staff")
    return engine


def _audit(engine):
    with session_scope(engine) as s:
        return [(a.action, a.actor) for a in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]


CALLS = {
    "add": lambda s, actor: ua.add_user(s, username="newone", password=PW, role="department", scheme="medical",
                                        actor=actor),
    "passwd": lambda s, actor: ua.set_password(s, "target", "Otherpass2027y", actor=actor),
    "disable": lambda s, actor: ua.disable_user(s, "target", actor=actor),
    "role": lambda s, actor: ua.set_role(s, "target", "township_leader", actor=actor),
    "worker": lambda s, actor: ua.set_worker(s, "target", None, actor=actor),
    "unlock": lambda s, actor: ua.unlock_user(s, "target", actor=actor),
    "list": lambda s, actor: ua.account_rows(session=s, actor=actor),
}


@pytest.mark.parametrize("actor", [LEADER, AUDITOR, SUP, WORKER, DEPT], ids=lambda a: str(a.role))
def test_only_county_staff_manage_accounts(world, actor):
    before = _audit(world)
    for call in CALLS.values():
        with pytest.raises(AccessDenied, match="只有县民政局可以管理账号"), session_scope(world) as s:
            call(s, actor)
    assert _audit(world) == before
    with session_scope(world) as s:
        assert get_user(s, "newone") is None
        target = get_user(s, "target")
        assert (target.role, target.disabled, target.version) == ("auditor", False, 1)


def test_county_staff_manage_accounts_audited_with_their_name(world):
    start = len(_audit(world))
    for call in CALLS.values():
        with session_scope(world) as s:
            call(s, COUNTY)
    assert _audit(world)[start:] == [(a, COUNTY.username) for a in
                                     ("user.add", "user.passwd", "user.disable", "user.role", "user.worker",
                                      "user.unlock")]
    with session_scope(world) as s:
        target = get_user(s, "target")
        assert (target.role, target.disabled) == ("township_leader", True)
        assert get_user(s, "newone").scheme == "medical"


def test_own_account_cannot_be_disabled_or_demoted_but_another_officer_can(world):
    for call in (lambda s: ua.disable_user(s, COUNTY.username, actor=COUNTY),
                 lambda s: ua.set_role(s, COUNTY.username, "auditor", actor=COUNTY)):
        with pytest.raises(UserError, match="不能.*自己(的)?账号"), session_scope(world) as s:
            call(s)
    with session_scope(world) as s:
        me = get_user(s, COUNTY.username)
        assert (me.role, me.disabled) == ("county_staff", False)
        ua.set_password(s, COUNTY.username, "Mynewpass2027z", actor=COUNTY)  # own password: fine
    with session_scope(world) as s:
        ua.add_user(s, username="county2", password=PW, role="county_staff", actor=COUNTY)
    colleague = Actor("county2", Role.COUNTY_STAFF, None)
    with session_scope(world) as s:
        ua.disable_user(s, COUNTY.username, actor=colleague, reason="调离")
        assert get_user(s, COUNTY.username).disabled
    with session_scope(world) as s:  # SYSTEM (the CLI) has no account of its own: may do anything
        ua.disable_user(s, COUNTY.username, disabled=False)
        ua.set_role(s, "county2", "auditor")


def test_a_stale_version_is_refused_and_nothing_written(world):
    with session_scope(world) as s:
        v = get_user(s, "target").version
        ua.unlock_user(s, "target", actor=COUNTY, expected_version=v)
    before = _audit(world)
    for call in (lambda s: ua.disable_user(s, "target", actor=COUNTY, expected_version=v),
                 lambda s: ua.set_password(s, "target", "Otherpass2027y", actor=COUNTY, expected_version=v),
                 lambda s: ua.set_role(s, "target", "auditor", actor=COUNTY, expected_version=v),
                 lambda s: ua.unlock_user(s, "target", actor=COUNTY, expected_version=v)):
        with pytest.raises(StaleEdit), session_scope(world) as s:
            call(s)
    assert _audit(world) == before
    with session_scope(world) as s:
        assert get_user(s, "target").version == v + 1 and not get_user(s, "target").disabled


def test_role_change_keeps_scheme_and_worker_link_consistent(world):
    with session_scope(world) as s:
        w = s.exec(select(GridWorker).order_by(GridWorker.id)).first()  # a worker of G01
        ua.add_user(s, username="wg", password=PW, role="grid_worker", grid_codes="G01", worker_id=w.id,
                    actor=COUNTY)
    with pytest.raises(UserError, match="不在该账号的网格"), session_scope(world) as s:
        ua.set_role(s, "wg", "grid_worker", "G02", actor=COUNTY)  # its worker is in G01
    with pytest.raises(UserError, match="必须指定承接的转诊事项"), session_scope(world) as s:
        ua.set_role(s, "wg", "department", actor=COUNTY)
    with pytest.raises(UserError, match="网格不存在：G77"), session_scope(world) as s:
        ua.set_role(s, "wg", "grid_supervisor", ["G01", "G77"], actor=COUNTY)
    with session_scope(world) as s:
        u = ua.set_role(s, "wg", "department", scheme="education", actor=COUNTY)
        assert (u.role, u.grid_codes, u.scheme, u.worker_id) == ("department", "", "education", None)
        u = ua.set_role(s, "wg", "grid_supervisor", "G02", actor=COUNTY)
        assert (u.grid_codes, u.scheme) == ("G02", "")


def test_account_rows_show_locks_and_no_hash(world):
    until = utcnow() + timedelta(minutes=15)
    with session_scope(world) as s:
        u = get_user(s, "target")
        u.locked_until = until
        s.add(u)
    with session_scope(world) as s:
        rows = {r["username"]: r for r in ua.account_rows(session=s, actor=COUNTY)}
    assert set(rows) == {"target", COUNTY.username}
    assert not any("hash" in k or "password" in k for r in rows.values() for k in r)
    assert rows["target"]["locked_until"] is not None and rows[COUNTY.username]["locked_until"] is None
    with session_scope(world) as s:
        ua.unlock_user(s, "target", actor=COUNTY, expected_version=rows["target"]["version"])
    with session_scope(world) as s:
        assert {r["username"]: r for r in ua.account_rows(session=s)}["target"]["locked_until"] is None


def test_the_cli_still_works_as_system(world, db_url):
    env = {"DATABASE_URL": db_url}
    r = CliRunner().invoke(main, ["user", "disable", "--username", "target", "--reason", "离职"], env=env)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["user", "disable", "--username", "target", "--enable"], env=env)
    assert r.exit_code == 0, r.output
    assert _audit(world)[-2:] == [("user.disable", "system"), ("user.enable", "system")]
