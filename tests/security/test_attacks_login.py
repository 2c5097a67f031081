"""Login security (issue 10 item 2 and hardening), on SQLite and PostgreSQL: the failure count
cannot be raced by parallel attempts (real processes), guesses past the limit are not checked,
a guesser locks only their own client, the account-wide lock needs many clients, unknown names
look like wrong passwords, and every failure and lock is audited."""
from __future__ import annotations

import importlib
import json
import multiprocessing
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from grid.db import make_engine, session_scope
from grid.models import AuditEntry
from jizhen.users import (ACCOUNT_MAX_FAILED, BAD_CREDENTIALS, MAX_FAILED_ATTEMPTS, LoginThrottle,
                          add_user, get_user, login, set_password)

login_module = importlib.import_module("jizhen.users.login")  # the module (jizhen.users.login is also the function)

PW = "Gridpass2026"
WRONG = "Wrongguess2026"
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
FORK = multiprocessing.get_context("fork")


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")


@pytest.fixture
def zhao(engine):
    with session_scope(engine) as s:
        add_user(s, username="zhao", password=PW, role="county_staff")
    return "zhao"


def _audit(engine, action: str) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- real parallel processes -----------------------------------------------------------------------

def _attempt(url, username, password, client, barrier, checks, results):
    """One login in its own process; counts how often a password is checked against a hash."""
    try:
        _attempt_in_child(url, username, password, client, barrier, checks, results)
    except Exception as exc:  # reported to the parent, never swallowed
        results.put(("error", False, repr(exc)))


def _attempt_in_child(url, username, password, client, barrier, checks, results):
    real_check, real_burn = login_module.check_password, login_module.burn_time

    def counted_check(pw, h):
        with checks.get_lock():
            checks.value += 1
        return real_check(pw, h)

    def counted_burn(pw):
        with checks.get_lock():
            checks.value += 1
        return real_burn(pw)

    login_module.check_password, login_module.burn_time = counted_check, counted_burn
    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)
        res = login(engine, username, password, client=client)
        results.put((password == PW, res.ok, res.message))
    finally:
        engine.dispose()


def _parallel(url, username, passwords, client="10.0.0.9"):
    barrier = FORK.Barrier(len(passwords))
    checks = FORK.Value("i", 0)
    results = FORK.Queue()
    procs = [FORK.Process(target=_attempt, args=(url, username, pw, client, barrier, checks, results))
             for pw in passwords]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(r[0] != "error" for r in out), out
    return out, checks.value


def test_ten_parallel_attempts_nine_wrong_end_locked(engine, db_url, zhao):
    out, checked = _parallel(db_url, "zhao", [WRONG] * 9 + [PW])
    assert len(out) == 10
    assert sum(ok for _, ok, _ in out) <= 1
    # At most 5 checks before the right password takes its count back and 5 after it (the
    # consecutive-failures rule, as if the ten had come one after another); never unbounded.
    assert checked <= 2 * MAX_FAILED_ATTEMPTS
    res = login(engine, "zhao", PW, client="10.0.0.9")  # the right password now: still locked
    assert not res.ok and "锁定" in res.message and res.locked_until is not None
    assert len(_audit(engine, "user.locked")) == 1
    assert len(_audit(engine, "user.login_failed")) >= 9


def test_twenty_parallel_guesses_are_not_all_checked(engine, db_url, zhao):
    out, checked = _parallel(db_url, "zhao", [f"{WRONG}{i}" for i in range(20)])
    assert not any(ok for _, ok, _ in out)
    assert 1 <= checked <= MAX_FAILED_ATTEMPTS
    assert sum("锁定" in msg for _, _, msg in out) >= 20 - MAX_FAILED_ATTEMPTS
    assert len(_audit(engine, "user.locked")) == 1
    assert len(_audit(engine, "user.login_failed")) == 20  # every failed attempt is audited
    with Session(engine) as s:
        row = s.exec(select(LoginThrottle).where(LoginThrottle.client_key == "10.0.0.9")).one()
        assert row.failures >= MAX_FAILED_ATTEMPTS and row.locked_until is not None


# --- sequential rules ------------------------------------------------------------------------------

def test_lock_after_five_failures_then_expires(engine, zhao):
    for i in range(MAX_FAILED_ATTEMPTS - 1):
        res = login(engine, "zhao", WRONG, NOW + timedelta(seconds=i))
        assert not res.ok and res.message == BAD_CREDENTIALS
    res = login(engine, "zhao", WRONG, NOW + timedelta(seconds=10))
    assert not res.ok and "锁定" in res.message and "15" in res.message
    res = login(engine, "zhao", PW, NOW + timedelta(minutes=5))
    assert not res.ok and "请 11 分钟后再试" in res.message  # locked at 02:00:10 until 02:15:10
    assert login(engine, "zhao", PW, NOW + timedelta(minutes=15, seconds=11)).ok


def test_a_right_password_resets_the_consecutive_failures(engine, zhao):
    for i in range(MAX_FAILED_ATTEMPTS - 1):
        assert not login(engine, "zhao", WRONG, NOW + timedelta(seconds=i)).ok
    assert login(engine, "zhao", PW, NOW + timedelta(seconds=5)).ok
    for i in range(MAX_FAILED_ATTEMPTS - 1):
        assert login(engine, "zhao", WRONG, NOW + timedelta(seconds=10 + i)).message == BAD_CREDENTIALS
    assert login(engine, "zhao", PW, NOW + timedelta(seconds=20)).ok


def test_a_guesser_locks_only_their_own_client(engine, zhao):
    for i in range(MAX_FAILED_ATTEMPTS + 3):
        login(engine, "zhao", WRONG, NOW + timedelta(seconds=i), client="10.9.9.9")
    assert "锁定" in login(engine, "zhao", PW, NOW + timedelta(minutes=1), client="10.9.9.9").message
    res = login(engine, "zhao", PW, NOW + timedelta(minutes=1), client="192.168.1.20")
    assert res.ok, res.message  # the real user, elsewhere, is not locked out
    with Session(engine) as s:
        assert get_user(s, "zhao").locked_until is None


def test_account_lock_needs_many_clients_and_a_new_password_lifts_it(engine, zhao):
    clients = [f"10.1.0.{k}" for k in range(ACCOUNT_MAX_FAILED // MAX_FAILED_ATTEMPTS)]
    for k, client in enumerate(clients):
        for i in range(MAX_FAILED_ATTEMPTS):
            login(engine, "zhao", WRONG, NOW + timedelta(seconds=k * 10 + i), client=client)
    res = login(engine, "zhao", PW, NOW + timedelta(minutes=2), client="192.168.1.20")
    assert not res.ok and "锁定" in res.message
    with Session(engine) as s:
        assert get_user(s, "zhao").locked_until is not None
    scopes = [json.loads(e.after_json)["scope"] for e in _audit(engine, "user.locked")]
    assert scopes.count("account") == 1 and scopes.count("client") == len(clients)
    with session_scope(engine) as s:
        set_password(s, "zhao", "Freshstart2027")
    assert login(engine, "zhao", "Freshstart2027", NOW + timedelta(minutes=3), client="192.168.1.20").ok


def test_one_client_cannot_reach_the_account_lock(engine, zhao):
    """5 failures per 15 minutes from one client: two hours of it never locks the account."""
    t = NOW
    for _ in range(8):
        for i in range(MAX_FAILED_ATTEMPTS):
            login(engine, "zhao", WRONG, t + timedelta(seconds=i), client="10.9.9.9")
        t += timedelta(minutes=15, seconds=30)
    assert login(engine, "zhao", PW, t, client="192.168.1.20").ok


def test_unknown_usernames_look_like_wrong_passwords(engine, zhao, monkeypatch):
    import bcrypt

    checks = []

    orig = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda *a: checks.append(1) or orig(*a))
    known = login(engine, "zhao", WRONG, NOW)
    unknown = login(engine, "ghost", WRONG, NOW)
    assert known.message == unknown.message == BAD_CREDENTIALS
    assert len(checks) == 2  # a bcrypt check for the unknown name too (same time)
    for i in range(MAX_FAILED_ATTEMPTS):
        k = login(engine, "zhao", WRONG, NOW + timedelta(seconds=1 + i), client="c2")
        u = login(engine, "ghost", WRONG, NOW + timedelta(seconds=1 + i), client="c2")
        assert (k.message, k.locked_until) == (u.message, u.locked_until)
    # The audit log shows the account's name, but never what was typed as an unknown name.
    failed = _audit(engine, "user.login_failed")
    assert any('"zhao"' in e.after_json for e in failed)
    assert not any("ghost" in e.after_json + e.actor + e.reason for e in failed)
    with Session(engine) as s:
        assert not any("ghost" in r.user_key for r in s.exec(select(LoginThrottle)))


def test_disabled_account_is_refused_only_after_the_right_password(engine, zhao):
    from jizhen.users import disable_user

    with session_scope(engine) as s:
        disable_user(s, "zhao")
    assert login(engine, "zhao", WRONG, NOW).message == BAD_CREDENTIALS
    assert "停用" in login(engine, "zhao", PW, NOW).message


# --- the command line --------------------------------------------------------------------------------

def _cli(db_url, args, **kw):
    from click.testing import CliRunner

    from jizhen.cli import main

    return CliRunner().invoke(main, args, env={"DATABASE_URL": db_url}, **kw)


def test_cli_refuses_a_weak_password_in_chinese(engine, db_url):
    r = _cli(db_url, ["user", "add", "--username", "weak", "--password", "password1", "--role", "auditor"])
    assert r.exit_code != 0 and "密码太容易被猜到" in r.output
    with Session(engine) as s:
        assert get_user(s, "weak") is None


def test_cli_password_from_stdin_and_from_a_hidden_prompt(engine, db_url, zhao, monkeypatch):
    import jizhen.user_cli

    r = _cli(db_url, ["user", "passwd", "--username", "zhao", "--password-stdin"], input="Stdinpass2027\n")
    assert r.exit_code == 0, r.output
    assert login(engine, "zhao", "Stdinpass2027", NOW).ok
    monkeypatch.setattr(jizhen.user_cli, "_interactive", lambda: True)
    r = _cli(db_url, ["user", "passwd", "--username", "zhao"], input="Promptpass2027\nPromptpass2027\n")
    assert r.exit_code == 0, r.output
    assert "Promptpass2027" not in r.output  # typed hidden
    assert login(engine, "zhao", "Promptpass2027", NOW).ok
    r = _cli(db_url, ["user", "passwd", "--username", "zhao"], input="Promptpass2028\nPromptpass2029\n")
    assert r.exit_code != 0 and "两次输入的密码不一致" in r.output
    assert login(engine, "zhao", "Promptpass2027", NOW + timedelta(seconds=1)).ok


def test_cli_unlock_ends_every_lock(engine, db_url, zhao):
    for i in range(MAX_FAILED_ATTEMPTS):
        login(engine, "zhao", WRONG, NOW + timedelta(seconds=i))
    assert "锁定" in login(engine, "zhao", PW, NOW + timedelta(seconds=30)).message
    r = _cli(db_url, ["user", "unlock", "--username", "zhao"])
    assert r.exit_code == 0 and "已解除" in r.output
    assert login(engine, "zhao", PW, NOW + timedelta(seconds=31)).ok
    assert len(_audit(engine, "user.unlock")) == 1
