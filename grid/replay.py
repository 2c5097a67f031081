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


# --- outputs (every file through jizhen.outputs.write_output) ----------------------------------
def _register_output_kinds() -> None:
    """The two files this module writes, as jizhen.outputs kinds (label, format)."""
    from jizhen.outputs import KINDS

    KINDS.setdefault("risk-groups", ("风险名单遗漏分析", "xlsx"))
    KINDS.setdefault("risk-card", ("风险评分模型说明", "text"))
    KINDS.setdefault("risk-weights", ("拟合的风险权重文件", "text"))


def write_groups_excel(out, tables: dict, *, force: bool = False) -> None:
    """The breakdown (by grid, by kind of household, overall, calibration) as an Excel file."""
    import pandas as pd

    from jizhen.outputs import write_output
    from risk.groups import to_excel_frames

    _register_output_kinds()
    sheets = to_excel_frames(tables)

    def write(path):
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, df in sheets.items():
                df.to_excel(xw, sheet_name=name, index=False)

    write_output(out, write, kind="risk-groups", force=force)


def _write_text(out, text: str, *, kind: str, force: bool) -> None:
    from jizhen.outputs import write_output

    _register_output_kinds()
    write_output(out, lambda p: p.write_text(text, encoding="utf-8"), kind=kind, force=force)


def fit_and_compare(engine, *, base_path: str, out: str, outcomes: str = "events",
                    horizon_days: int = 90, force: bool = False, today=None) -> dict:
    """Fit logistic-regression weights on the first half of the replay's month-ends, write them
    as a new weights file (not in force), and evaluate the base and the fitted weights on the
    same month-ends: all of them, and the held-out later half."""
    from pathlib import Path

    import numpy as np

    from grid.facts import local_today
    from risk.config import load_config
    from risk.evaluation import replay_snapshots
    from risk.learn import config_from_text, fit_weights, fitted_weights_toml, replay_design
    from risk.scoring import _day_numbers

    base = load_config(base_path)
    with engine.connect() as conn:
        i = replay_inputs(conn, outcomes=outcomes, register="history")
        vdays = _day_numbers(i["visits"]["visited_on"]) if len(i["visits"]) else np.zeros(0, np.int64)
        odays = _day_numbers(i["outcomes"]["occurred_on"]) if len(i["outcomes"]) else np.zeros(0, np.int64)
        snaps = replay_snapshots(vdays, odays, horizon_days=horizon_days)
        if len(snaps) < 2:
            raise ValueError("回放历史不足两个月末，无法拟合并留出检验")
        half = max(1, len(snaps) // 2)
        train, held = snaps[:half], snaps[half:]
        X, y, _, cov = replay_design(i["households"], i["visits"], i["outcomes"], config=base,
                                     facts=i["facts"], horizon_days=horizon_days, snapshots=train)
        n = len(i["households"])
        fit = fit_weights(X, y, config=base, X_last=X[-n:], covered_last=cov[-n:],
                          snapshots=[d.isoformat() for d in train],
                          fitted_on=today or local_today())
        text = fitted_weights_toml(Path(base_path).read_text(encoding="utf-8"), fit)
        fitted = config_from_text(text, base.standards)
        result = {"version": fitted.version, "base_version": base.version, "out": str(out),
                  "points": fit.points, "coefficients": fit.coefficients, "notes": fit.notes,
                  "training_snapshots": fit.snapshots, "training_rows": fit.training_rows}
        for key, (start, end) in (("all", (snaps[0], snaps[-1])), ("held_out", (held[0], held[-1]))):
            result[key] = {}
            for name, cfg in (("base", base), ("fitted", fitted)):
                r = evaluate(i["households"], i["visits"], i["outcomes"], config=cfg,
                             horizon_days=horizon_days, facts=i["facts"], start=start, end=end)
                result[key][name] = r["model"]
            result[key]["snapshots"] = f"{start.isoformat()}..{end.isoformat()}"
    _write_text(out, text, kind="risk-weights", force=force)
    return result


def model_card_markdown(conn, actor: Actor = SYSTEM, *, weights: str | None = None,
                        compare: str | None = None, today=None) -> str:
    """The model card of the weights in force (default risk/weights/v1.toml), with the honest
    replay and its breakdown on this database. For the dashboard: offer it as a download."""
    from grid.facts import local_today
    from risk.card import read_approval, render_card
    from risk.config import DEFAULT_WEIGHTS

    path = weights or str(DEFAULT_WEIGHTS)
    config = load_config(path)
    inputs = replay_inputs(conn, actor)
    r = run_replay(conn, actor, config=config, groups=True, inputs=inputs)
    cmp = None
    if compare:
        other = load_config(compare)
        c = run_replay(conn, actor, config=other, inputs=inputs)
        cmp = {"version": other.version, "model": c["model"]}
    today = today or local_today()
    return render_card(config, approval=read_approval(path), evaluation=r,
                       groups=r.get("groups_tables"), summary=r.get("groups_summary"),
                       compare=cmp, generated_on=today, weights_file=str(path),
                       data_label=f"截至 {today.isoformat()} 的数据库")


def write_model_card(engine, out, *, weights: str | None = None, compare: str | None = None,
                     force: bool = False, today=None) -> None:
    with engine.connect() as conn:
        text = model_card_markdown(conn, weights=weights, compare=compare, today=today)
    _write_text(out, text, kind="risk-card", force=force)
