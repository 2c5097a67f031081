"""Honest replay on the database: the evaluation with the register as it was known on each
snapshot day (grid.facts history), the breakdown by grid and kind of household (risk.groups),
and the fitted weights (risk.learn) on the same snapshots.

    r = run_replay(engine, groups=True)            # jizhen risk evaluate --groups --json
    r = run_replay(engine, register="current")     # the old replay (current register values)
"""
from __future__ import annotations

import time

from grid import frames
from grid.access import SYSTEM, Actor
from grid.facts import facts_frame
from grid.risk_service import case_outcomes, load_frames
from risk.config import LEVELS, RiskConfig, load_config
from risk.evaluation import evaluate

REGISTERS = ("history", "current")


def replay_inputs(conn, actor: Actor = SYSTEM, *, outcomes: str = "events",
                  register: str = "history") -> dict:
    """households, visits, outcomes and (register="history") the facts history of the scope."""
    f = load_frames(conn, actor, events=outcomes == "events")
    hh = f["households"]
    if not len(hh):
        hh = hh.astype({"id": "int64", "lon": float, "lat": float,
                        "income_per_capita_yuan": float, "minors": "int64"})
    out = f["events"] if outcomes == "events" else case_outcomes(conn, hh["id"])
    facts = facts_frame(conn, actor) if register == "history" else None
    return {"households": hh, "visits": f["visits"], "outcomes": out, "facts": facts}


def run_replay(conn, actor: Actor = SYSTEM, *, outcomes: str = "events", register: str = "history",
               config: RiskConfig | None = None, seed: int = 0, top_frac: float = 0.10,
               horizon_days: int = 90, groups: bool = False, inputs: dict | None = None) -> dict:
    """The evaluation (model vs recency vs random); with groups=True also result["groups"]
    (risk.groups tables as records) and result["groups_summary"] (plain Chinese)."""
    if register not in REGISTERS:
        raise ValueError(f"register must be one of {REGISTERS}")
    started = time.perf_counter()
    config = config or load_config()
    i = inputs or replay_inputs(conn, actor, outcomes=outcomes, register=register)
    result = evaluate(i["households"], i["visits"], i["outcomes"], config=config, seed=seed,
                      top_frac=top_frac, horizon_days=horizon_days, facts=i["facts"],
                      detail=groups)
    result["setup"]["outcomes"] = outcomes
    if groups:
        from risk.groups import group_metrics, plain_summary

        names = dict(zip(*frames.grids_frame(conn, actor)[["code", "name"]].to_numpy().T)) \
            if len(i["households"]) else {}
        g = group_metrics(result.pop("detail"), i["households"], levels=LEVELS, grid_names=names)
        result["groups_tables"] = g
        result["groups_summary"] = plain_summary(g)
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def groups_json(tables: dict) -> dict:
    """risk.groups tables as JSON-ready records (NaN -> None)."""
    import json

    return {k: json.loads(v.to_json(orient="records", force_ascii=False)) for k, v in tables.items()}
