"""Weights that learn: a factor that predicts events gets points, one that does not gets none,
the file is a valid weights file of a new version, and the workload (orange or above) is kept."""
import datetime as dt
import tomllib

import numpy as np
import pytest

from risk.config import DEFAULT_WEIGHTS, FACTORS, load_config
from risk.learn import (_current_score_count, _orange_or_above, config_from_text, fit_weights,
                        fitted_weights_toml)

CFG = load_config()
IDX = {f: i for i, f in enumerate(FACTORS)}


def _synthetic(n=20000, seed=3, density=0.04):
    rng = np.random.default_rng(seed)
    X = rng.random((n, len(FACTORS))) < density
    logit = -4.0 + 2.5 * X[:, IDX["lost_job"]] + 1.2 * X[:, IDX["minors"]] - 1.5 * X[:, IDX["housing_loss"]]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return X, y, np.zeros(n, dtype=bool)


@pytest.fixture(scope="module")
def fit():
    X, y, cov = _synthetic()
    return fit_weights(X, y, config=CFG, X_last=X[:5000], covered_last=cov[:5000],
                       snapshots=["2026-01-31"], fitted_on=dt.date(2026, 11, 29)), X, cov


def test_points_follow_the_fitted_log_odds(fit):
    f, X, cov = fit
    assert f.coefficients["lost_job"] == pytest.approx(2.5, abs=0.3)
    assert f.points["lost_job"] > f.points["minors"] > 0
    # a factor that lowers the odds never lowers the score: 0 points, and said so
    assert f.coefficients["housing_loss"] < 0 and f.points["housing_loss"] == 0
    assert any("住房或生活设施严重损失" in n for n in f.notes)
    ratio = f.points["lost_job"] / f.points["minors"]
    assert ratio == pytest.approx(f.coefficients["lost_job"] / f.coefficients["minors"], rel=0.05)


def test_workload_at_orange_or_above_is_kept(fit):
    f, X, cov = fit
    pts = np.array([f.points[k] for k in FACTORS])
    target = _current_score_count(X[:5000], cov[:5000], CFG)
    got = _orange_or_above(pts, X[:5000], cov[:5000], CFG, 1.0)
    # the smallest scale that keeps the workload: at least the base's count, a little less fails
    assert target > 0 and got >= target
    assert _orange_or_above(np.round(pts * 0.97, 1), X[:5000], cov[:5000], CFG, 1.0) < target
    assert (pts >= 0).all()


def test_written_file_is_a_new_unapproved_version(fit):
    f, _, _ = fit
    text = fitted_weights_toml(DEFAULT_WEIGHTS.read_text(encoding="utf-8"), f)
    cfg = config_from_text(text, CFG.standards)
    assert cfg.version == "v1-lr"
    assert cfg.points("lost_job") == pytest.approx(f.points["lost_job"], abs=0.05)
    assert cfg.levels == CFG.levels and cfg.coverage == CFG.coverage
    raw = tomllib.loads(text)
    assert raw["approval"] == {"approved_by": "", "approved_on": ""}
    assert raw["fitted"]["fitted_on"] == "2026-11-29" and raw["fitted"]["base_version"] == "v1"
    # the base file itself is untouched (nothing switches automatically)
    assert load_config().version == "v1"


def test_unreachable_workload_is_said_and_capped():
    X, y, cov = _synthetic(density=0.3)
    f = fit_weights(X, y, config=CFG, X_last=X[:5000], covered_last=cov[:5000], snapshots=[],
                    fitted_on=dt.date(2026, 11, 29))
    assert max(f.points.values()) == pytest.approx(100.0, abs=0.1)
    assert any("达不到" in n for n in f.notes)


def test_no_events_no_fit():
    X, _, cov = _synthetic(500)
    with pytest.raises(ValueError):
        fit_weights(X, np.zeros(500, bool), config=CFG, X_last=X, covered_last=cov,
                    snapshots=[], fitted_on=dt.date(2026, 1, 1))
