"""The benchmark runs end to end on a small N and prints the documented JSON keys last."""

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "risk_bench.py"
KEYS = {"households", "assign_seconds", "assign_points_per_s", "contains_xy_points_per_s",
        "sjoin_points_per_s", "score_seconds", "numpy_score_seconds", "hotspots_seconds",
        "coverage_seconds", "peak_rss_mb"}


def test_bench_small(capsys):
    spec = importlib.util.spec_from_file_location("risk_bench", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    result = mod.main(["--households", "3000", "--repeat", "1", "--json"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == result
    assert KEYS <= set(result) and result["households"] == 3000
    assert all(result[k] > 0 for k in KEYS)
