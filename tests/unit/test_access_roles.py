"""grid.access / grid.users without a database: roles, scope, passwords, actor_for."""
from __future__ import annotations

import pytest
from sqlalchemy import column

from grid.access import AccessDenied, Actor, Role, SYSTEM, grid_filter, require
from grid.users import (GRID_ROLES, HUMAN_ROLES, User, UserError, actor_for, check_password,
                        hash_password, random_password, validate_password)


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")


def test_hash_is_bcrypt_and_never_the_password(monkeypatch):
    monkeypatch.delenv("JIZHEN_BCRYPT_ROUNDS")
    h = hash_password("Secret123")
    assert h.startswith("$2b$12$") and "Secret123" not in h
    assert check_password("Secret123", h)
    assert not check_password("secret123", h)
    assert not check_password("Secret123", "not-a-hash")


def test_long_and_unicode_passwords():
    pw = "网格" * 50 + "a1"
    h = hash_password(pw)
    assert check_password(pw, h) and not check_password(pw[:-1], h)


@pytest.mark.parametrize("pw", ["short1", "abcdefghij", "1234567890", " abc12345"])
def test_weak_passwords_refused(pw):
    with pytest.raises(UserError):
        validate_password(pw)


@pytest.mark.parametrize("role", HUMAN_ROLES)
def test_actor_for_scopes_by_role(role):
    u = User(username="u", password_hash="x", role=role.value, grid_codes="G2,G1")
    a = actor_for(u)
    assert a.role == role
    if role in GRID_ROLES:
        assert a.grid_codes == frozenset({"G1", "G2"})
        assert a.sees_grid("G1") and not a.sees_grid("G3") and not a.sees_grid(None)
    elif role == Role.DEPARTMENT:  # no grid at all: only its scheme's referrals
        assert a.grid_codes == frozenset() and not a.sees_grid("G1")
    else:
        assert a.grid_codes is None and a.sees_grid("anything")


def test_grid_role_without_grids_sees_nothing():
    a = actor_for(User(username="u", password_hash="x", role="grid_worker", grid_codes=""))
    assert a.grid_codes == frozenset()
    assert str(grid_filter(a, column("code")).compile(compile_kwargs={"literal_binds": True})) in ("false", "0 = 1")


def test_auditor_never_sees_personal_data_and_may_not_write():
    a = Actor("a", Role.AUDITOR, None)
    assert not a.sees_personal_data and not a.may_write
    with pytest.raises(AccessDenied):
        require(a, Role.COUNTY_STAFF)
    require(SYSTEM, Role.COUNTY_STAFF)


def test_demo_passwords_are_random_and_valid():
    pws = {random_password() for _ in range(20)}
    assert len(pws) == 20  # never the same twice (nothing to compute them from)
    for pw in pws:
        validate_password(pw)
