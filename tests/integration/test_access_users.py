"""Users in the database: provisioning CLI, bcrypt, lockout, disable, demo users, reveal()."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import Session, select

from grid.access import AccessDenied, Actor, Role
from grid.audit import verify
from jizhen.cli import main
from grid.db import session_scope
from grid.models import AuditEntry, Household
from grid.privacy import reveal
from grid.users import (BAD_CREDENTIALS, MAX_FAILED_ATTEMPTS, UserError, add_user, authenticate,
                        demo_step, get_user, set_password)
from tests.access_fixtures import small_world

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
PW = "Gridpass2026"


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")


@pytest.fixture
def world(engine):
    return small_world(engine)


def _auth(engine, username, password, now=NOW):
    with session_scope(engine) as s:
        return authenticate(s, username, password, now)


def _dump(engine) -> str:
    """Every value in app_user and audit_entry, as text."""
    with engine.connect() as c:
        rows = list(c.execute(text("SELECT * FROM app_user"))) + list(c.execute(text("SELECT * FROM audit_entry")))
    return "\n".join(repr(tuple(r)) for r in rows)


def test_cli_add_user_without_prompts_and_login(engine, db_url, world):
    r = CliRunner().invoke(main, ["user", "add", "--username", "li", "--password", PW, "--role",
                                  "grid_worker", "--grid", "G1"], env={"DATABASE_URL": db_url})
    assert r.exit_code == 0, r.output
    res = _auth(engine, "li", PW)
    assert res.ok and res.actor == Actor("li", Role.GRID_WORKER, frozenset({"G1"}))
    assert PW not in _dump(engine)
    with Session(engine) as s:
        assert get_user(s, "li").password_hash.startswith("$2b$")


def test_cli_errors_are_clear(engine, db_url, world):
    env = {"DATABASE_URL": db_url}
    r = CliRunner().invoke(main, ["user", "add", "--username", "x1", "--password", PW, "--role",
                                  "grid_worker"], env=env)
    assert r.exit_code != 0 and "网格" in r.output
    r = CliRunner().invoke(main, ["user", "add", "--username", "x1", "--password", PW, "--role",
                                  "grid_worker", "--grid", "NOPE"], env=env)
    assert r.exit_code != 0 and "网格不存在" in r.output
    r = CliRunner().invoke(main, ["user", "add", "--username", "x1", "--role", "auditor"], env=env, input="")
    assert r.exit_code != 0 and "--password" in r.output  # no tty: never waits for a prompt
    r = CliRunner().invoke(main, ["user", "add", "--username", "x1", "--password", "short", "--role", "auditor"], env=env)
    assert r.exit_code != 0 and "密码" in r.output
    r = CliRunner().invoke(main, ["user", "add", "--username", "x1", "--password", PW, "--role", "root"], env=env)
    assert r.exit_code != 0


def test_cli_passwd_stdin_and_disable(engine, db_url, world):
    env = {"DATABASE_URL": db_url}
    runner = CliRunner()
    assert runner.invoke(main, ["user", "add", "--username", "wang", "--password-stdin", "--role",
                                "county_staff"], env=env, input=PW + "\n").exit_code == 0
    assert _auth(engine, "wang", PW).ok
    assert runner.invoke(main, ["user", "passwd", "--username", "wang", "--password", "Newpass2027"],
                         env=env).exit_code == 0
    assert not _auth(engine, "wang", PW).ok
    assert _auth(engine, "wang", "Newpass2027").ok
    assert runner.invoke(main, ["user", "disable", "--username", "wang"], env=env).exit_code == 0
    res = _auth(engine, "wang", "Newpass2027")
    assert not res.ok and "停用" in res.message
    assert runner.invoke(main, ["user", "disable", "--username", "nobody"], env=env).exit_code != 0
    assert "Newpass2027" not in _dump(engine) and PW not in _dump(engine)
    with Session(engine) as s:
        assert verify(s).ok


def test_lockout_after_five_failures_for_fifteen_minutes(engine, world):
    with session_scope(engine) as s:
        add_user(s, username="zhao", password=PW, role="township_leader")
    for i in range(MAX_FAILED_ATTEMPTS - 1):
        res = _auth(engine, "zhao", "wrong-pass1", NOW + timedelta(seconds=i))
        assert not res.ok and res.message == BAD_CREDENTIALS
    res = _auth(engine, "zhao", "wrong-pass1", NOW + timedelta(seconds=10))
    assert not res.ok and "锁定" in res.message and "15" in res.message
    # Locked: even the right password is refused, with the minutes left.
    res = _auth(engine, "zhao", PW, NOW + timedelta(minutes=5))
    assert not res.ok and "锁定" in res.message and "分钟后再试" in res.message
    res = _auth(engine, "zhao", PW, NOW + timedelta(minutes=15, seconds=11))
    assert res.ok, res.message
    with Session(engine) as s:
        u = get_user(s, "zhao")
        assert u.failed_attempts == 0 and u.locked_until is None
        actions = [e.action for e in s.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert "user.locked" in actions and actions[-1] == "user.login"


def test_unknown_user_gets_the_same_message(engine, world):
    assert _auth(engine, "ghost", "whatever1").message == BAD_CREDENTIALS


def test_passwd_unlocks(engine, world):
    with session_scope(engine) as s:
        add_user(s, username="qian", password=PW, role="auditor")
    for _ in range(MAX_FAILED_ATTEMPTS):
        _auth(engine, "qian", "nope12345")
    assert not _auth(engine, "qian", PW).ok
    with session_scope(engine) as s:
        set_password(s, "qian", "Freshstart2027")
    assert _auth(engine, "qian", "Freshstart2027").ok


def test_duplicate_and_scope_rules(engine, world):
    with session_scope(engine) as s:
        add_user(s, username="sun", password=PW, role="grid_supervisor", grid_codes=["G1", "G2"])
    with pytest.raises(UserError, match="已存在"):
        with session_scope(engine) as s:
            add_user(s, username="sun", password=PW, role="auditor")
    with pytest.raises(UserError, match="不能指定"):
        with session_scope(engine) as s:
            add_user(s, username="zhou", password=PW, role="auditor", grid_codes="G1")
    assert _auth(engine, "sun", PW).actor.grid_codes == frozenset({"G1", "G2"})


def test_demo_step_creates_one_user_per_role_that_can_log_in(engine, world):
    printed: list[str] = []
    with session_scope(engine) as s:
        created = demo_step(s, today=NOW.date(), seed=3, echo=printed.append)
    assert sorted(r["role"] for r in created) == sorted(
        ["grid_worker", "grid_supervisor", "township_leader", "county_staff", "auditor"])
    text_out = "\n".join(printed)
    for row in created:
        assert row["password"] in text_out and row["username"] in text_out
        res = _auth(engine, row["username"], row["password"])
        assert res.ok and res.actor.role == Role(row["role"])
        assert row["password"] not in _dump(engine)
    worker = next(r for r in created if r["role"] == "grid_worker")
    assert _auth(engine, worker["username"], worker["password"]).actor.grid_codes == frozenset({"G1"})


# --- reveal(): explicit, logged unmasking --------------------------------------------------------

@pytest.mark.parametrize("role,codes,allowed", [
    (Role.GRID_WORKER, {"G1"}, True),
    (Role.GRID_SUPERVISOR, {"G1"}, True),
    (Role.COUNTY_STAFF, None, True),
    (Role.TOWNSHIP_LEADER, None, False),
    (Role.AUDITOR, None, False),
    (Role.GRID_WORKER, {"G2"}, False),  # out of scope
])
def test_reveal_by_role_and_scope(engine, world, role, codes, allowed):
    hid = world["households"]["G1"][0]
    actor = Actor("u1", role, None if codes is None else frozenset(codes))
    with Session(engine) as s:
        clear = s.get(Household, hid).head_id_number
    if allowed:
        with session_scope(engine) as s:
            assert reveal(s, actor, hid, "head_id_number", "核实身份办理救助") == clear
        with Session(engine) as s:
            e = s.exec(select(AuditEntry).where(AuditEntry.action == "privacy.reveal")).one()
            assert e.actor == "u1" and e.entity_id == str(hid) and e.reason == "核实身份办理救助"
            assert clear not in e.after_json + e.before_json + e.reason
    else:
        with pytest.raises(AccessDenied):
            with session_scope(engine) as s:
                reveal(s, actor, hid, "head_id_number", "看看")
        with Session(engine) as s:
            assert s.exec(select(AuditEntry).where(AuditEntry.action == "privacy.reveal")).first() is None


def test_reveal_needs_a_reason(engine, world):
    hid = world["households"]["G1"][0]
    with pytest.raises(AccessDenied, match="理由"):
        with session_scope(engine) as s:
            reveal(s, Actor("u", Role.COUNTY_STAFF, None), hid, "phone", " ")
