"""Time grid.routes.plan_day for a worker with 10 / 30 / 60 open visits (measured, not asserted).

    .venv/bin/python benchmarks/route_bench.py                 # 10 30 60 stops, 3 runs each
    .venv/bin/python benchmarks/route_bench.py --stops 30 --repeat 5 --json

Households are scattered over about 2 km × 2 km around the county seat with random risk scores
and due dates, the shipped data/routes.toml (a 360-minute day) -- so at 30 and 60 stops most of
them do not fit and the drop rule does real work. Target: ≤ 2 s for 30 stops. Wall-clock and CPU
seconds are both printed: on a shared machine the CPU time is the steadier figure.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grid.routes import Stop, plan_day, route_config  # noqa: E402
from risk.config import LEVELS  # noqa: E402

TODAY = date(2026, 12, 2)
START = (118.69, 33.72)


def make_stops(n: int, seed: int) -> list[Stop]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        score = float(rng.integers(0, 100))
        level = LEVELS[0 if score >= 60 else 1 if score >= 40 else 2 if score >= 20 else 3]
        out.append(Stop(key=k + 1, household_id=k + 1, lon=START[0] + rng.uniform(-0.011, 0.011),
                        lat=START[1] + rng.uniform(-0.009, 0.009), score=score, level=level,
                        due_on=TODAY + timedelta(days=int(rng.integers(-7, 7)))))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stops", type=int, nargs="+", default=[10, 30, 60])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    config = route_config()
    rows = []
    for n in args.stops:
        times, cpu, last = [], [], None
        for r in range(args.repeat):
            stops = make_stops(n, args.seed + r)
            t0, c0 = time.perf_counter(), time.process_time()
            last = plan_day(stops, today=TODAY, start=START, config=config, seed=args.seed)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        rows.append({"stops": n, "median_s": round(statistics.median(times), 3),
                     "max_s": round(max(times), 3), "median_cpu_s": round(statistics.median(cpu), 3),
                     "planned": len(last.planned),
                     "dropped": len(last.dropped), "route_minutes": last.total_minutes,
                     "walk_km": last.walk_km, "iterations": config.iterations})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        print(f"{'stops':>5} {'median s':>9} {'max s':>7} {'cpu s':>7} {'planned':>8} {'dropped':>8} "
              f"{'minutes':>8} {'walk km':>8}")
        for r in rows:
            print(f"{r['stops']:>5} {r['median_s']:>9.3f} {r['max_s']:>7.3f} {r['median_cpu_s']:>7.3f} "
                  f"{r['planned']:>8} {r['dropped']:>8} {r['route_minutes']:>8.1f} {r['walk_km']:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
