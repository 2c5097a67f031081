"""The audit log is append-only (database triggers) and hash-chained: `jizhen audit verify` names
the first edited or removed row, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from grid.access import SYSTEM
from grid.audit import record, verify
from jizhen.cli import main
from grid.db import session_scope
from grid.models import AuditEntry


def _fill(engine, n=5):
    with session_scope(engine) as s:
        for i in range(n):
            record(s, actor=SYSTEM, action="test.write", entity="household", entity_id=i,
                   before={"income": i}, after={"income": i + 1}, reason=f"第{i}次")
    with Session(engine) as s:
        return [e.id for e in s.exec(select(AuditEntry).order_by(AuditEntry.id))]


def _drop_guard(engine):
    """What an attacker with database rights does first."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update"))
        else:
            c.execute(text("DROP TRIGGER audit_entry_no_update"))
            c.execute(text("DROP TRIGGER audit_entry_no_delete"))


def _cli_verify(db_url):
    return CliRunner().invoke(main, ["audit", "verify"], env={"DATABASE_URL": db_url})


def test_intact_log_verifies(engine, db_url):
    ids = _fill(engine)
    with Session(engine) as s:
        assert verify(s).ok and verify(s).checked == len(ids)
    res = _cli_verify(db_url)
    assert res.exit_code == 0, res.output
    assert "校验通过" in res.output


@pytest.mark.parametrize("sql", ["UPDATE audit_entry SET reason = 'x'", "DELETE FROM audit_entry"])
def test_database_refuses_edits(engine, sql):
    ids = _fill(engine, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as c:
            c.execute(text(f"{sql} WHERE id = :i"), {"i": ids[0]})


@pytest.mark.parametrize("column,value", [("reason", "无"), ("after_json", '{"income": 9999}'),
                                          ("actor", "someone_else")])
def test_edited_row_is_named(engine, db_url, column, value):
    ids = _fill(engine)
    bad = ids[2]
    _drop_guard(engine)
    with engine.begin() as c:
        c.execute(text(f"UPDATE audit_entry SET {column} = :v WHERE id = :i"), {"v": value, "i": bad})
    with Session(engine) as s:
        result = verify(s)
    assert not result.ok and result.first_bad_id == bad
    res = _cli_verify(db_url)
    assert res.exit_code != 0
    assert f"id={bad}" in res.output and "篡改" in res.output


def test_rehashed_row_breaks_the_next_link(engine, db_url):
    """Editing a row and recomputing its own hash is caught at that row (its MAC, made with a key
    the database does not hold, no longer matches)."""
    from grid.audit import _iso, entry_hash

    ids = _fill(engine)
    _drop_guard(engine)
    with session_scope(engine) as s:
        e = s.get(AuditEntry, ids[1])
        e.reason = "改过"
        e.hash = entry_hash(e.prev_hash, _iso(e), e.actor, e.role, e.action, e.entity, e.entity_id,
                            e.before_json, e.after_json, e.reason)
        s.add(e)
    with Session(engine) as s:
        result = verify(s)
    assert not result.ok and result.first_bad_id == ids[1]
    assert _cli_verify(db_url).exit_code != 0


def test_deleted_row_is_detected(engine, db_url):
    ids = _fill(engine)
    _drop_guard(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": ids[1]})
    with Session(engine) as s:
        result = verify(s)
    assert not result.ok and result.first_bad_id == ids[2]
    res = _cli_verify(db_url)
    assert res.exit_code != 0 and f"id={ids[2]}" in res.output
