"""A grid worker's account linked to its grid_worker row: `jizhen user add --worker-id/--worker-phone`,
`jizhen user worker`, the rules of the link, and the demo's linked grid worker."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from jizhen.cli import main
from grid.db import session_scope
from grid.models import AuditEntry, GridWorker
from grid.users import UserError, add_user, demo_step, get_user, linked_worker_id, set_worker
from tests.access_fixtures import small_world

PW = "Gridpass2026"


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")


@pytest.fixture
def world(engine):
    return small_world(engine)


def test_cli_add_with_worker_id_and_phone(engine, db_url, world):
    env = {"DATABASE_URL": db_url}
    w1, w2 = world["workers"]["G1"]
    r = CliRunner().invoke(main, ["user", "add", "--username", "li", "--password", PW, "--role",
                                  "grid_worker", "--grid", "G1", "--worker-id", str(w1)], env=env)
    assert r.exit_code == 0, r.output
    assert f"关联网格员 {w1}" in r.output
    with Session(engine) as s:
        phone = s.get(GridWorker, w2).phone
    r = CliRunner().invoke(main, ["user", "add", "--username", "zhao", "--password", PW, "--role",
                                  "grid_worker", "--grid", "G1", "--worker-phone", phone], env=env)
    assert r.exit_code == 0, r.output
    assert linked_worker_id(engine, "li") == w1
    assert linked_worker_id(engine, "zhao") == w2


def test_cli_worker_link_errors_are_clear(engine, db_url, world):
    env = {"DATABASE_URL": db_url}
    g2_worker = world["workers"]["G2"][0]
    base = ["user", "add", "--password", PW, "--role", "grid_worker", "--grid", "G1"]
    r = CliRunner().invoke(main, [*base, "--username", "a1", "--worker-id", str(g2_worker)], env=env)
    assert r.exit_code != 0 and "不在该账号的网格" in r.output
    r = CliRunner().invoke(main, [*base, "--username", "a2", "--worker-id", "99999"], env=env)
    assert r.exit_code != 0 and "不存在" in r.output
    r = CliRunner().invoke(main, [*base, "--username", "a3", "--worker-phone", "10000000000"], env=env)
    assert r.exit_code != 0 and "没有电话" in r.output
    r = CliRunner().invoke(main, ["user", "add", "--username", "a4", "--password", PW, "--role",
                                  "grid_supervisor", "--grid", "G1", "--worker-id",
                                  str(world["workers"]["G1"][0])], env=env)
    assert r.exit_code != 0 and "只有网格员账号" in r.output
    with Session(engine) as s:
        assert all(get_user(s, u) is None for u in ("a1", "a2", "a3", "a4"))


def test_one_worker_one_account_and_relink(engine, db_url, world):
    w1, w2 = world["workers"]["G1"]
    with session_scope(engine) as s:
        add_user(s, username="li", password=PW, role="grid_worker", grid_codes="G1", worker_id=w1)
        add_user(s, username="zhao", password=PW, role="grid_worker", grid_codes="G1")
    with pytest.raises(UserError, match="已关联账号 li"), session_scope(engine) as s:
        set_worker(s, "zhao", w1)
    r = CliRunner().invoke(main, ["user", "worker", "--username", "zhao", "--worker-id", str(w2)],
                           env={"DATABASE_URL": db_url})
    assert r.exit_code == 0, r.output
    assert linked_worker_id(engine, "zhao") == w2
    r = CliRunner().invoke(main, ["user", "worker", "--username", "zhao", "--unlink"],
                           env={"DATABASE_URL": db_url})
    assert r.exit_code == 0, r.output
    assert linked_worker_id(engine, "zhao") is None
    with Session(engine) as s:
        actions = s.exec(select(AuditEntry.action).where(AuditEntry.action == "user.worker")).all()
    assert len(actions) == 2


def test_demo_grid_worker_is_linked_to_a_worker_of_its_grid(engine, world):
    with session_scope(engine) as s:
        demo_step(s, today=None, seed=3, echo=lambda *_: None)
    wid = linked_worker_id(engine, "wangge")
    assert wid in world["workers"]["G1"]
    assert linked_worker_id(engine, "wanggezhang") is None
