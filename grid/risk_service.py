"""Risk services: load the DESIGN.md frames from the database, call the pure risk/ package, store
the scores.  Used by `jizhen score`, `jizhen risk ...`, the demo and the dashboard.

    summary = run_scoring(engine)                       # nightly job: score + store, SYSTEM actor
    latest_scores(engine, actor)                        # current score per household in scope
    score_history(engine, actor, household_id)          # trend of one household
    run_evaluation(engine)                              # replay: model vs recency vs random
    hotspot_cells(engine, actor) / grid_risk_density(engine, actor) / coverage(engine, actor)
"""
from __future__ import annotations

import json
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from grid import frames
from grid.access import SYSTEM, AccessDenied, Actor, grid_filter
from grid.config import TIMEZONE
from grid.geotypes import utcnow
from grid.models import CommunityGrid, Household
from grid.risk_models import RiskScore
from risk.config import LEVELS, RiskConfig, load_config
from risk.coverage import coverage_report
from risk.evaluation import evaluate
from risk.hotspots import grid_density, hotspots
from risk.scoring import score_households

R = RiskScore.__table__
H = Household.__table__
G = CommunityGrid.__table__
CHUNK = 10_000


def local_today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def load_frames(conn: Engine | Connection, actor: Actor = SYSTEM, *, workers: bool = False,
                grids: bool = False, events: bool = False) -> dict[str, pd.DataFrame]:
    """households + visits (always), and optionally workers, grids, hardship events."""
    out = {"households": frames.households_frame(conn, actor),
           "visits": frames.visits_frame(conn, actor)}
    if workers:
        out["workers"] = frames.workers_frame(conn, actor)
    if grids:
        out["grids"] = frames.grids_frame(conn, actor)
    if events:
        out["events"] = frames.events_frame(conn, actor)
    return out


def _typed(households: pd.DataFrame) -> pd.DataFrame:
    """Empty frames from the database have object columns; give scoring the dtypes it expects."""
    if len(households):
        return households
    return households.astype({"id": "int64", "lon": float, "lat": float,
                              "income_per_capita_yuan": float, "minors": "int64"})


def compute_scores(conn: Engine | Connection, actor: Actor = SYSTEM, *, today: date | None = None,
                   config: RiskConfig | None = None) -> pd.DataFrame:
    """Score every household in the actor's scope (nothing is stored)."""
    f = load_frames(conn, actor)
    return score_households(_typed(f["households"]), f["visits"], today=today or local_today(),
                            config=config or load_config())


def _rows(scores: pd.DataFrame, scored_at: datetime) -> list[dict]:
    cache: dict[int, str] = {}
    reasons = []
    for r in scores["reasons"].to_numpy():
        key = id(r)
        if key not in cache:
            cache[key] = json.dumps(list(r), ensure_ascii=False)
        reasons.append(cache[key])
    return [{"household_id": int(h), "scored_at": scored_at, "score": float(s), "level": str(lv),
             "reasons_json": rj, "config_version": str(cv)}
            for h, s, lv, rj, cv in zip(scores["household_id"].to_numpy(),
                                        scores["score"].to_numpy(), scores["level"].to_numpy(),
                                        reasons, scores["config_version"].to_numpy())]


def store_scores(conn: Connection, scores: pd.DataFrame, *,
                 scored_at: datetime | None = None) -> int:
    """Append one history row per household (same scored_at for the whole run)."""
    scored_at = scored_at or utcnow()
    rows = _rows(scores, scored_at)
    for i in range(0, len(rows), CHUNK):
        conn.execute(insert(R), rows[i:i + CHUNK])
    return len(rows)


def level_counts(scores: pd.DataFrame) -> dict[str, int]:
    counts = scores["level"].value_counts()
    return {lv: int(counts.get(lv, 0)) for lv in LEVELS}


def score_and_store(session, *, actor: Actor = SYSTEM, today: date | None = None,
                    config: RiskConfig | None = None, scored_at: datetime | None = None) -> dict:
    """Inside the caller's session/transaction: score, store, audit. Returns the summary."""
    from grid import audit

    if not actor.may_write:
        raise AccessDenied(f"角色 {actor.role} 不能保存风险评分",
                           en=f"The role {actor.role} may not store risk scores.", code="role_denied")
    started = time.perf_counter()
    config = config or load_config()
    today = today or local_today()
    conn = session.connection()
    scores = compute_scores(conn, actor, today=today, config=config)
    scored_at = scored_at or utcnow()
    stored = store_scores(conn, scores, scored_at=scored_at)
    summary = {
        "households": int(len(scores)),
        "levels": level_counts(scores),
        "config_version": scores["config_version"].iloc[0] if len(scores)
        else config.version_tag(today),
        "today": today.isoformat(),
        "scored_at": scored_at.isoformat(),
        "stored": stored,
    }
    audit.record(session, actor=actor, action="risk.score", entity="risk_score",
                 entity_id=summary["scored_at"], after=summary, reason="jizhen score")
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def run_scoring(engine: Engine, *, actor: Actor = SYSTEM, today: date | None = None,
                config: RiskConfig | None = None) -> dict:
    """The nightly job: one transaction, one scored_at for every household."""
    from grid.db import session_scope

    started = time.perf_counter()
    with session_scope(engine) as session:
        summary = score_and_store(session, actor=actor, today=today, config=config)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def demo_step(session, *, today: date, seed: int) -> None:
    """`jizhen demo` stage: store a first set of scores so the dashboard has something to show."""
    score_and_store(session, actor=SYSTEM, today=today)


def _scope(stmt, actor: Actor, grid_codes=None):
    stmt = (stmt.join(H, R.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id)
            .where(grid_filter(actor, G.c.code)))
    return stmt if grid_codes is None else stmt.where(G.c.code.in_(list(grid_codes)))


def _frame(conn, stmt) -> pd.DataFrame:
    return frames._read(conn, stmt)


SCORE_COLUMNS = ["household_id", "grid_code", "score", "level", "reasons", "config_version",
                 "scored_at"]


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    df["reasons"] = [json.loads(r) for r in df.pop("reasons_json")]
    return df[SCORE_COLUMNS]


def latest_run_at(conn, actor: Actor = SYSTEM) -> datetime | None:
    """When the newest stored scores of the scope were made (None: never scored)."""
    df = _frame(conn, _scope(select(func.max(R.c.scored_at).label("at")).select_from(R), actor))
    value = df.iloc[0]["at"] if len(df) else None
    return None if value is None or pd.isna(value) else value


def latest_scores(conn: Engine | Connection, actor: Actor = SYSTEM, *,
                  grid_codes=None) -> pd.DataFrame:
    """Each in-scope household's most recent stored score (only the grids `grid_codes`, if
    given)."""
    latest = _scope(select(R.c.household_id, func.max(R.c.scored_at).label("at")).select_from(R),
                    actor, grid_codes)
    latest = latest.group_by(R.c.household_id).subquery()
    stmt = (select(R.c.household_id, G.c.code.label("grid_code"), R.c.score, R.c.level,
                   R.c.reasons_json, R.c.config_version, R.c.scored_at)
            .select_from(R)
            .join(latest, (latest.c.household_id == R.c.household_id)
                  & (latest.c.at == R.c.scored_at)))
    return _finish(_frame(conn, _scope(stmt, actor, grid_codes).order_by(R.c.household_id)))


def score_history(conn: Engine | Connection, actor: Actor, household_id: int) -> pd.DataFrame:
    """All stored scores of one household, oldest first (empty if out of scope)."""
    stmt = (select(R.c.household_id, G.c.code.label("grid_code"), R.c.score, R.c.level,
                   R.c.reasons_json, R.c.config_version, R.c.scored_at).select_from(R)
            .where(R.c.household_id == household_id))
    return _finish(_frame(conn, _scope(stmt, actor).order_by(R.c.scored_at, R.c.id)))


def level_trend(conn: Engine | Connection, actor: Actor = SYSTEM) -> pd.DataFrame:
    """Households per level for every stored run (scored_at x level counts)."""
    stmt = (select(R.c.scored_at, R.c.level, func.count().label("households")).select_from(R))
    stmt = _scope(stmt, actor).group_by(R.c.scored_at, R.c.level).order_by(R.c.scored_at)
    df = _frame(conn, stmt)
    if df.empty:
        return pd.DataFrame(columns=["scored_at", *LEVELS])
    out = df.pivot(index="scored_at", columns="level", values="households").fillna(0)
    return out.reindex(columns=list(LEVELS), fill_value=0).astype(int).reset_index()


def _current_or_computed(conn, actor, today, config) -> pd.DataFrame:
    """Stored latest scores when there are any for the scope, else computed on the fly."""
    stored = latest_scores(conn, actor)
    if len(stored):
        return stored
    return compute_scores(conn, actor, today=today, config=config)


def hotspot_cells(conn: Engine | Connection, actor: Actor = SYSTEM, *, today: date | None = None,
                  config: RiskConfig | None = None, resolution: int | None = None,
                  seed: int = 0) -> pd.DataFrame:
    config = config or load_config()
    hh = _typed(frames.households_frame(conn, actor))
    scores = _current_or_computed(conn, actor, today, config)
    hh = hh[hh["id"].isin(scores["household_id"])]
    return hotspots(hh, scores, config=config, resolution=resolution, seed=seed)


def grid_risk_density(conn: Engine | Connection, actor: Actor = SYSTEM, *,
                      today: date | None = None, config: RiskConfig | None = None) -> pd.DataFrame:
    config = config or load_config()
    hh = _typed(frames.households_frame(conn, actor))
    scores = _current_or_computed(conn, actor, today, config)
    hh = hh[hh["id"].isin(scores["household_id"])]
    return grid_density(hh, scores, frames.grids_frame(conn, actor), config=config)


def coverage(conn: Engine | Connection, actor: Actor = SYSTEM, *, today: date | None = None,
             config: RiskConfig | None = None) -> dict[str, pd.DataFrame]:
    config = config or load_config()
    today = today or local_today()
    f = load_frames(conn, actor, workers=True)
    scores = score_households(_typed(f["households"]), f["visits"], today=today, config=config)
    return coverage_report(_typed(f["households"]), f["visits"], f["workers"], scores,
                           today=today, config=config)


def case_outcomes(conn: Engine | Connection, household_ids) -> pd.DataFrame:
    """Cases opened (received_on) per household, from the cases package's aid_case table."""
    from sqlalchemy import inspect

    stmt = text("SELECT household_id, received_on AS occurred_on FROM aid_case "
                "WHERE household_id IS NOT NULL")
    # the cases tables may not exist (older schema): look first, never fail inside a transaction
    df = _frame(conn, stmt) if inspect(conn).has_table("aid_case") else pd.DataFrame()
    if df.empty:
        return pd.DataFrame({"household_id": pd.Series(dtype="int64"),
                             "occurred_on": pd.Series(dtype="datetime64[ns]")})
    df["occurred_on"] = pd.to_datetime(df["occurred_on"])
    return df[df["household_id"].isin(set(np.asarray(household_ids).tolist()))]


def run_evaluation(conn: Engine | Connection, actor: Actor = SYSTEM, *, outcomes: str = "events",
                   config: RiskConfig | None = None, seed: int = 0, top_frac: float = 0.10,
                   horizon_days: int = 90) -> dict:
    """Replay month by month; outcomes = "events" (hardship events, the demo's ground truth) or
    "cases" (cases opened, from any channel)."""
    started = time.perf_counter()
    config = config or load_config()
    f = load_frames(conn, actor, events=outcomes == "events")
    hh = _typed(f["households"])
    out = f["events"] if outcomes == "events" else case_outcomes(conn, hh["id"])
    result = evaluate(hh, f["visits"], out, config=config, seed=seed, top_frac=top_frac,
                      horizon_days=horizon_days)
    result["setup"]["outcomes"] = outcomes
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
