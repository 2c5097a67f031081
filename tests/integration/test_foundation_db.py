"""The foundation on a real database (SQLite file and PostgreSQL/PostGIS)."""
import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update
from sqlmodel import Session

from grid import audit
from grid.access import SYSTEM, Actor, Role
from grid.db import StaleEdit, init_db, schema_revision, session_scope, update_versioned
from grid.demo import load_demo
from grid.frames import grids_frame, households_frame, visits_frame
from grid.geometry import load_demo_grids
from grid.models import AuditEntry, CommunityGrid, Household
from grid.stats import collect_stats


def test_schema_at_head_and_init_is_idempotent(engine):
    rev = schema_revision(engine)
    init_db(engine)
    assert schema_revision(engine) == rev and rev is not None


def test_demo_and_stats(engine):
    load_demo(engine, households=800, seed=1, today=date(2026, 11, 29))
    s = collect_stats(engine, SYSTEM)
    assert s["grids"] == 12
    assert s["workers"] == {"full_time": 54, "part_time": 308}
    assert s["households"] == 800 and s["households_outside_grids"] == 0
    assert s["visits"] > 800
    assert sum(g["households"] for g in s["by_grid"]) == 800
    assert all(g["full_time"] >= 1 for g in s["by_grid"])
    with pytest.raises(ValueError):
        load_demo(engine, households=10, seed=1, today=date(2026, 11, 29))


def test_geometry_round_trips(engine):
    grids = load_demo_grids()
    with session_scope(engine) as s:
        for row in grids.itertuples():
            s.add(CommunityGrid(code=row.code, name=row.name, geometry_wkt=row.geometry.wkt))
    back = grids_frame(engine, SYSTEM)
    assert list(back["code"]) == list(grids["code"])
    for a, b in zip(back.geometry, grids.geometry):
        assert a.equals_exact(b, 1e-9)
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            kinds = c.execute(text("SELECT DISTINCT GeometryType(geometry), ST_SRID(geometry) FROM community_grid")).all()
        assert kinds == [("POLYGON", 4326)]


def test_scope_filters_rows(engine):
    load_demo(engine, households=300, seed=2, today=date(2026, 11, 29))
    code = "321323100004"
    worker = Actor("w", Role.GRID_WORKER, frozenset({code}))
    hh = households_frame(engine, worker)
    assert len(hh) > 0 and set(hh["grid_code"]) == {code}
    assert set(grids_frame(engine, worker)["code"]) == {code}
    v = visits_frame(engine, worker)
    assert set(v["household_id"]) <= set(hh["id"])
    nobody = Actor("n", Role.GRID_WORKER, frozenset())
    assert households_frame(engine, nobody).empty
    assert collect_stats(engine, worker)["households"] == len(hh)


def test_audit_chain_detects_tampering(engine):
    with session_scope(engine) as s:
        for i in range(3):
            audit.record(s, actor=SYSTEM, action="test", entity="x", entity_id=i, after={"i": i})
    with Session(engine) as s:
        assert audit.verify(s).ok and audit.verify(s).checked == 3
    tamper = (update(AuditEntry.__table__).where(AuditEntry.__table__.c.entity_id == "1")
              .values(after_json='{"i": 99}'))
    with pytest.raises(Exception, match="append-only"):
        with engine.begin() as c:
            c.execute(tamper)  # the database itself refuses edits
    with engine.begin() as c:  # someone with DDL rights drops the guard and edits anyway
        if engine.dialect.name == "postgresql":
            c.execute(text("DROP TRIGGER audit_entry_no_update ON audit_entry"))
        else:
            c.execute(text("DROP TRIGGER audit_entry_no_update"))
        c.execute(tamper)
    with Session(engine) as s:
        result = audit.verify(s)
    assert not result.ok and result.checked == 2


def test_optimistic_locking(engine):
    load_demo(engine, households=20, seed=3, today=date(2026, 11, 29))
    with engine.connect() as c:
        hid, version = c.execute(select(Household.id, Household.version).limit(1)).one()
    with session_scope(engine) as s:
        update_versioned(s, Household, hid, version, members=9)
    with pytest.raises(StaleEdit):
        with session_scope(engine) as s:
            update_versioned(s, Household, hid, version, members=1)
    with engine.connect() as c:
        assert c.execute(select(Household.members).where(Household.id == hid)).scalar() == 9


def test_cli_demo_then_stats_json(db_url, monkeypatch):
    from jizhen.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    runner = CliRunner()
    r = runner.invoke(main, ["demo", "--households", "500", "--seed", "1", "--today", "2026-11-29"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["stats", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["grids"] == 12 and data["households"] == 500
    assert data["workers"] == {"full_time": 54, "part_time": 308}
    assert data["households_outside_grids"] == 0
    assert {"code", "name", "households", "full_time", "part_time", "centroid"} <= set(data["by_grid"][0])
    r = runner.invoke(main, ["demo", "--households", "10", "--if-empty"])
    assert r.exit_code == 0 and "跳过" in r.output
