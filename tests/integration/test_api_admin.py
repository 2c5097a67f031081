"""API clients and the schema of the intake API on SQLite and PostgreSQL: migration 0012 matches
the models, the UNIQUE (client, ticket) constraint, `jizhen apikey add|list|revoke`."""
from __future__ import annotations

import click
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

import cases.models  # noqa: F401
import grid.models  # noqa: F401
import grid.risk_models  # noqa: F401
import grid.user_sessions  # noqa: F401
import grid.users  # noqa: F401
from cases.services import intake
from grid.models import AuditEntry
from jizhen.access import SYSTEM
from jizhen.api.clients import add_client, authenticate, hash_key
from jizhen.api.models import ApiClient, ApiTicket
from jizhen.db import session_scope


def test_api_tables_match_migration(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, SQLModel.metadata)

    def table_of(d) -> str:
        if isinstance(d, list):  # modify_* entries: (op, schema, table, column, ...)
            return d[0][2]
        if d[0] in ("add_column", "remove_column"):
            return d[2]
        tbl = getattr(d[1], "table", None)
        return (tbl.name if tbl is not None else getattr(d[1], "name", "")) or ""

    ours = [d for d in diff if str(table_of(d)).startswith("api_")]
    assert ours == []
    assert {"api_client", "api_ticket"} <= set(SQLModel.metadata.tables)


def test_one_case_per_client_and_ticket_is_a_database_rule(engine):
    with session_scope(engine) as s:
        client, _key = add_client(s, "unique-test")
        case = intake(session=s, actor=SYSTEM, channel="hotline_12345", category="care_gap",
                      received_on=__import__("datetime").date(2026, 11, 27), person_name="甲")
        s.add(ApiTicket(client_id=client.id, ticket_no="A1", case_id=case.id, service_code="care_gap"))
    with pytest.raises(IntegrityError):
        with session_scope(engine) as s:
            s.add(ApiTicket(client_id=client.id, ticket_no="A1", case_id=case.id,
                            service_code="care_gap"))


def _cli():
    from jizhen.api_cli import register

    group = click.Group("jizhen")
    register(group)
    return group


def test_apikey_add_list_revoke(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    out = runner.invoke(_cli(), ["apikey", "add", "--name", "12345平台"])
    assert out.exit_code == 0, out.output
    key = out.output.strip().splitlines()[-1]
    assert key.startswith("jz_") and len(key) > 40 and "只显示这一次" in out.output
    with Session(engine) as s:
        row = s.exec(select(ApiClient).where(ApiClient.name == "12345平台")).one()
        assert row.key_hash == hash_key(key) and key not in (row.key_hash, row.key_prefix)
        assert authenticate(s, key).name == "12345平台"
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "api_client.add")).first()

    listed = runner.invoke(_cli(), ["apikey", "list"])
    assert listed.exit_code == 0 and "12345平台" in listed.output and "有效" in listed.output
    assert key not in listed.output

    again = runner.invoke(_cli(), ["apikey", "add", "--name", "12345平台"])
    assert again.exit_code != 0 and "已存在" in again.output
    bad = runner.invoke(_cli(), ["apikey", "add", "--name", "有 空格"])
    assert bad.exit_code != 0 and "客户端名称" in bad.output

    revoked = runner.invoke(_cli(), ["apikey", "revoke", "--name", "12345平台"])
    assert revoked.exit_code == 0, revoked.output
    with Session(engine) as s:
        assert authenticate(s, key) is None
    assert "已吊销" in runner.invoke(_cli(), ["apikey", "list"]).output
    twice = runner.invoke(_cli(), ["apikey", "revoke", "--name", "12345平台"])
    assert twice.exit_code != 0 and "已于先前吊销" in twice.output
    unknown = runner.invoke(_cli(), ["apikey", "revoke", "--name", "nobody"])
    assert unknown.exit_code != 0 and "没有名为" in unknown.output


def test_api_command_is_registered():
    result = CliRunner().invoke(_cli(), ["api", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "8600" in result.output
