"""Risk services on a real (SQLite) database with demo data: scoring with history, scope,
CLI output, and the early-detection evaluation (the model must clearly beat recency)."""

import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from grid.access import AccessDenied, Actor, Role, SYSTEM
from grid.db import init_db, make_engine, session_scope
from grid.risk_models import RiskScore
from grid import risk_service as rs

TODAY = date(2026, 11, 29)
N = 3000


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from grid.demo import load_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('risk') / 't.db'}"
    engine = make_engine(url)
    init_db(engine)
    # only the grid world itself (no later demo steps): the tests decide when to score
    load_demo(engine, households=N, seed=11, today=TODAY, steps=[])
    yield url, engine
    engine.dispose()


def _count(engine):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(RiskScore)).scalar()


def test_scoring_stores_history_and_latest(demo_db):
    url, engine = demo_db
    before = _count(engine)
    first = rs.run_scoring(engine, today=TODAY)
    assert first["households"] == N and first["stored"] == N
    assert sum(first["levels"].values()) == N
    assert set(first["levels"]) == {"red", "orange", "yellow", "green"}
    assert first["config_version"].startswith("v1")
    second = rs.run_scoring(engine, today=TODAY)
    assert _count(engine) == before + 2 * N
    latest = rs.latest_scores(engine, SYSTEM)
    assert len(latest) == N and latest["household_id"].is_unique
    assert (latest["scored_at"] == latest["scored_at"].max()).all()
    assert latest["scored_at"].iloc[0].tzinfo is not None  # UTC-aware
    assert latest["scored_at"].iloc[0].isoformat() == second["scored_at"]
    nonzero = latest[latest["score"] > 0]
    assert len(nonzero) and nonzero["reasons"].map(len).gt(0).all()
    assert latest[latest["level"] == "red"]["reasons"].map(len).gt(0).all()
    hid = int(nonzero["household_id"].iloc[0])
    hist = rs.score_history(engine, SYSTEM, hid)
    assert len(hist) >= 2 and hist["scored_at"].is_monotonic_increasing
    trend = rs.level_trend(engine, SYSTEM)
    assert len(trend) >= 2 and (trend[["red", "orange", "yellow", "green"]].sum(axis=1) == N).all()


def test_scope_and_write_permission(demo_db):
    url, engine = demo_db
    rs.run_scoring(engine, today=TODAY)
    everyone = rs.latest_scores(engine, SYSTEM)
    code = everyone["grid_code"].iloc[0]
    supervisor = Actor("s1", Role.GRID_SUPERVISOR, frozenset({code}))
    mine = rs.latest_scores(engine, supervisor)
    assert len(mine) == (everyone["grid_code"] == code).sum() and set(mine["grid_code"]) == {code}
    outsider = int(everyone.loc[everyone["grid_code"] != code, "household_id"].iloc[0])
    assert rs.score_history(engine, supervisor, outsider).empty
    auditor = Actor("a1", Role.AUDITOR, None)
    with pytest.raises(AccessDenied):
        with session_scope(engine) as s:
            rs.score_and_store(s, actor=auditor, today=TODAY)


def test_hotspots_density_and_coverage(demo_db):
    url, engine = demo_db
    cells = rs.hotspot_cells(engine, SYSTEM, today=TODAY)
    assert cells["households"].sum() == N
    assert set(cells["label"]) <= {"hot_99", "hot_95", "not_significant", "cold_95", "cold_99",
                                   "too_few"}
    dens = rs.grid_risk_density(engine, SYSTEM, today=TODAY)
    assert len(dens) == 12 and dens["households"].sum() == N and (dens["area_km2"] > 0).all()
    cov = rs.coverage(engine, SYSTEM, today=TODAY)
    assert cov["by_grid"]["households"].sum() == N
    assert cov["by_worker"]["employment"].isin(["full_time", "part_time"]).all()
    assert set(cov["overdue"]["level"]) <= {"red", "orange"}


def test_cli_score_json(demo_db):
    from jizhen.cli import main

    url, engine = demo_db
    res = CliRunner().invoke(main, ["score", "--json", "--today", "2026-11-29"],
                             env={"DATABASE_URL": url})
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["households"] == N and sum(out["levels"].values()) == N
    assert {"households", "levels", "config_version", "seconds"} <= set(out)


def test_cli_evaluate_model_beats_recency(demo_db):
    from jizhen.cli import main

    url, engine = demo_db
    res = CliRunner().invoke(main, ["risk", "evaluate", "--json"], env={"DATABASE_URL": url})
    assert res.exit_code == 0, res.output
    r = json.loads(res.output.strip().splitlines()[-1])
    for k in ("model", "baseline_recency", "random"):
        assert {"recall_at_10pct", "precision_at_10pct", "median_lead_days"} <= set(r[k])
    assert r["setup"]["snapshots"] >= 3 and r["setup"]["outcomes_in_windows"] >= 20
    model, recency = r["model"]["recall_at_10pct"], r["baseline_recency"]["recall_at_10pct"]
    assert model >= 2 * recency and model - recency >= 0.15, r
    assert model > r["random"]["recall_at_10pct"] + 0.15


def test_scoring_on_every_backend(demo_engine):
    """Runs on SQLite and PostgreSQL/PostGIS (conftest): the demo already stored one run."""
    first = rs.latest_scores(demo_engine, SYSTEM)
    assert len(first) == 600 and sum(rs.level_counts(first).values()) == 600
    summary = rs.run_scoring(demo_engine, today=TODAY)
    assert summary["households"] == 600
    latest = rs.latest_scores(demo_engine, SYSTEM)
    assert len(latest) == 600
    assert latest["scored_at"].max().isoformat() == summary["scored_at"]
    assert len(rs.level_trend(demo_engine, SYSTEM)) == 2
    r = rs.run_evaluation(demo_engine, outcomes="cases")
    assert r["setup"]["outcomes"] == "cases"
