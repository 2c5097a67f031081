"""Weights that learn, carefully: a logistic regression on the replayed history, same inputs.

    X, y, snap = replay_design(households, visits, outcomes, config=cfg, facts=facts)
    fit = fit_weights(X, y, config=cfg, households_last=..., ...)
    text = fitted_weights_toml(source_text, fit)      # a weights file the county may choose

The inputs are the score's own yes/no factors (risk.config.FACTORS), computed at each month-end
snapshot of the replay with only what was known that day (visits on or before it, the register
history as known then).  The label is "a hardship event within the horizon after the snapshot".
The fitted log-odds are turned into points so that the score stays a capped sum of points:
negative coefficients become 0 (a factor never lowers the score), and one scale factor (points
per unit of log-odds) is the smallest that puts at least as many households at orange or above on
the last training snapshot as the weights they were fitted from (the workload stays about the same;
the count moves in steps, as many households share a combination of factors).
Nothing switches automatically: the result is a new file (version "<base>-lr") that the county
may point `jizhen score --weights` at.  Pure: no database.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from risk.config import FACTORS, RiskConfig, config_from_dict
from risk.evaluation import replay_snapshots
from risk.history import households_as_of, prepare_facts
from risk.scoring import _day_numbers, factor_matrix


@dataclass
class FittedWeights:
    version: str
    points: dict[str, float]
    coefficients: dict[str, float]
    intercept: float
    scale: float                       # points per unit of log-odds
    training_rows: int
    training_positives: int
    snapshots: list[str]
    fitted_on: str
    notes: list[str] = field(default_factory=list)


def replay_design(households: pd.DataFrame, visits: pd.DataFrame, outcomes: pd.DataFrame, *,
                  config: RiskConfig, facts: pd.DataFrame | None = None, horizon_days: int = 90,
                  snapshots: list[dt.date] | None = None, date_column: str = "occurred_on"):
    """Factor matrix and labels stacked over the replay's month-ends.
    Returns (X bool [rows x len(FACTORS)], y bool [rows], snapshot per row, covered per row)."""
    vdays = _day_numbers(visits["visited_on"]) if len(visits) else np.zeros(0, np.int64)
    hh_ids = households["id"].to_numpy()
    out_hh = pd.Index(hh_ids).get_indexer(outcomes["household_id"].to_numpy())
    out_day = _day_numbers(outcomes[date_column]) if len(outcomes) else np.zeros(0, np.int64)
    out_hh, out_day = out_hh[out_hh >= 0], out_day[out_hh >= 0]
    if snapshots is None:
        snapshots = replay_snapshots(vdays, out_day, horizon_days=horizon_days)
    prepared = prepare_facts(facts) if facts is not None else None
    xs, ys, snaps, covs = [], [], [], []
    epoch = dt.date(1970, 1, 1)
    for d in snapshots:
        hh_d = households_as_of(households, prepared, d) if prepared is not None else households
        m, covered, _, _ = factor_matrix(hh_d, visits, today=d, config=config)
        d_n = (d - epoch).days
        win = (out_day > d_n) & (out_day <= d_n + horizon_days)
        y = np.zeros(len(hh_ids), dtype=bool)
        y[out_hh[win]] = True
        xs.append(m)
        ys.append(y)
        covs.append(covered)
        snaps.append(np.full(len(hh_ids), np.datetime64(d, "D")))
    if not xs:
        return (np.zeros((0, len(FACTORS)), bool), np.zeros(0, bool),
                np.zeros(0, "datetime64[D]"), np.zeros(0, bool))
    return np.vstack(xs), np.concatenate(ys), np.concatenate(snaps), np.concatenate(covs)


def _orange_or_above(points: np.ndarray, X: np.ndarray, covered: np.ndarray, config: RiskConfig,
                     scale: float) -> int:
    p = np.outer(np.ones(len(X)), points * scale)
    income = [FACTORS.index("income_below_standard"), FACTORS.index("income_below_2x_standard")]
    p[np.ix_(covered, income)] *= config.covered_share
    score = np.minimum(100.0, (X * p).sum(axis=1))
    return int((score >= config.levels["orange"]).sum())


def _current_score_count(X, covered, config: RiskConfig) -> int:
    pts = np.array([config.points(f) for f in FACTORS], dtype=float)
    return _orange_or_above(pts, X, covered, config, 1.0)


def fit_weights(X: np.ndarray, y: np.ndarray, *, config: RiskConfig, X_last: np.ndarray,
                covered_last: np.ndarray, snapshots: list[str], fitted_on: dt.date,
                C: float = 1.0) -> FittedWeights:
    """Logistic regression (L2, C) of y on X; log-odds -> points (see the module docstring)."""
    if len(y) == 0 or y.all() or not y.any():
        raise ValueError("回放历史中没有足够的正负样本，无法拟合权重")
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(X.astype(float), y.astype(int))
    coef = model.coef_[0]
    raw = np.clip(coef, 0, None)
    target = _current_score_count(X_last, covered_last, config)

    def rounded(scale: float) -> np.ndarray:      # points as written to the file (0.1)
        return np.round(raw * scale, 1)

    top = float(raw.max()) if raw.max() > 0 else 1.0
    lo, hi = 0.0, 100.0 / top          # no single factor above the 100-point cap
    notes = []
    if _orange_or_above(rounded(hi), X_last, covered_last, config, 1.0) < target:
        notes.append("拟合权重达不到原权重的橙色以上户数（有分值的因素太少），已取单项最高 100 分")
        lo = hi
    for _ in range(60):      # bisection: the smallest scale with at least the base's workload
        mid = (lo + hi) / 2
        if _orange_or_above(rounded(mid), X_last, covered_last, config, 1.0) < target:
            lo = mid
        else:
            hi = mid
    scale = hi
    points = {f: float(p) for f, p in zip(FACTORS, rounded(scale))}
    neg = [f for i, f in enumerate(FACTORS) if coef[i] < 0]
    if neg:
        notes.append("系数为负、按 0 分处理的因素：" + "、".join(config.factors[f].reason for f in neg))
    return FittedWeights(version=f"{config.version}-lr", points=points,
                         coefficients={f: float(coef[i]) for i, f in enumerate(FACTORS)},
                         intercept=float(model.intercept_[0]), scale=float(scale),
                         training_rows=int(len(y)), training_positives=int(y.sum()),
                         snapshots=list(snapshots), fitted_on=fitted_on.isoformat(), notes=notes)


def fitted_weights_toml(source_text: str, fit: FittedWeights) -> str:
    """The source weights file with the fitted points, the new version and a [fitted] record of
    how they were made; approval is left empty (the county approves before using it)."""
    text = re.sub(r'(?m)^version\s*=\s*"[^"]*"', f'version = "{fit.version}"', source_text, count=1)
    for name, pts in fit.points.items():
        pat = re.compile(r"(\[factors\." + re.escape(name) + r"\][^\[]*?points\s*=\s*)([0-9.]+)",
                         re.S)
        text, n = pat.subn(lambda m: m.group(1) + f"{pts:g}", text, count=1)
        if n != 1:
            raise ValueError(f"weights file has no [factors.{name}] points")
    text = re.sub(r"(?ms)^\[approval\].*?(?=^\[|\Z)", "", text)
    text = re.sub(r"(?ms)^\[fitted\].*?(?=^\[|\Z)", "", text)
    coef = ", ".join(f"{k} = {v:.4f}" for k, v in fit.coefficients.items())
    header = (f"# Fitted by `jizhen risk fit` on {fit.fitted_on} (logistic regression on the replayed "
              f"history, same inputs).\n# Not in force until the county points `jizhen score "
              f"--weights` at this file and records the approval below.\n")
    text = header + text.rstrip() + "\n\n"
    text += ("[approval]\n"
             'approved_by = ""                  # who approved these weights (empty: not approved)\n'
             'approved_on = ""                  # YYYY-MM-DD\n\n')
    text += (f"[fitted]\nmethod = \"logistic regression (scikit-learn, L2)\"\n"
             f"fitted_on = \"{fit.fitted_on}\"\nbase_version = \"{fit.version[:-3]}\"\n"
             f"snapshots = [{', '.join(repr(s).replace(chr(39), chr(34)) for s in fit.snapshots)}]\n"
             f"training_rows = {fit.training_rows}\ntraining_positives = {fit.training_positives}\n"
             f"points_per_log_odds = {fit.scale:.4f}\nintercept = {fit.intercept:.4f}\n"
             f"coefficients = {{ {coef} }}\n")
    return text


def config_from_text(text: str, standards) -> RiskConfig:
    import tomllib

    return config_from_dict(tomllib.loads(text), standards)
