"""Intake API benchmark: POST requests per second the API sustains on SQLite.

    .venv/bin/python benchmarks/api_bench.py --households 30000 --requests 400 --concurrency 4

A fresh SQLite demo (seed 1, today 2026-11-29) in a temp dir, one API client, and the API served by
`python -m jizhen.api` (the same serve() as `jizhen api`: one uvicorn process) on a free port.
Then ``--requests`` POSTs with distinct ticket numbers, located at registry households (so each is
routed to its grid, matched by name + phone, checked against the blacklist, audited), sent by
``--concurrency`` threads with keep-alive sessions; then the same tickets again (resends: nothing
created). Reports requests/s and latency percentiles for both, and checks one case per ticket.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 29)


def _run(url: str, forms: list[dict], concurrency: int) -> tuple[float, list[float], list[int]]:
    import requests

    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    it = iter(forms)

    def worker():
        session = requests.Session()
        while True:
            with lock:
                form = next(it, None)
            if form is None:
                return
            t0 = time.perf_counter()
            r = session.post(url, data=form, timeout=60)
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                statuses.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, statuses


def _report(label: str, elapsed: float, lat: list[float], statuses: list[int]) -> None:
    lat = sorted(lat)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    codes = {c: statuses.count(c) for c in sorted(set(statuses))}
    print(f"{label}: {len(lat)} requests in {elapsed:.2f} s = {len(lat) / elapsed:.1f} requests/s; "
          f"latency median {statistics.median(lat) * 1000:.0f} ms, p95 {p(0.95):.0f} ms, "
          f"max {lat[-1] * 1000:.0f} ms; status {codes}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=30000)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="jizhen-api-bench-"))
    os.environ.setdefault("JIZHEN_AUDIT_KEY_FILE", str(tmp / "audit.key"))
    os.environ.setdefault("JIZHEN_AUDIT_ANCHOR_DIR", str(tmp / "audit-anchor"))
    from sqlmodel import Session, func, select

    from cases.models import Case
    from grid.demo import load_demo
    from grid.models import Household
    from jizhen.api.clients import add_client
    from jizhen.db import init_db, make_engine, session_scope
    from tests.api_fixtures import ApiServer

    db_url = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(db_url)
    init_db(engine)
    t0 = time.perf_counter()
    load_demo(engine, households=args.households, seed=1, today=TODAY, steps=[])
    print(f"demo: {args.households} households in {time.perf_counter() - t0:.1f} s ({tmp})")
    with session_scope(engine) as s:
        _c, key = add_client(s, "bench")
    with Session(engine) as s:
        people = s.exec(select(Household).order_by(Household.id).limit(args.requests)).all()
    forms = []
    for i in range(args.requests):
        hh = people[i % len(people)]
        forms.append({"api_key": key, "service_code": "illness_or_disaster", "lat": f"{hh.lat:.6f}",
                      "long": f"{hh.lon:.6f}", "last_name": hh.head_name[0],
                      "first_name": hh.head_name[1:], "phone": hh.phone,
                      "description": "家人突发重病住院", "attribute[channel]": "12345",
                      "attribute[ticket_no]": f"B{i:07d}", "attribute[amount_requested]": "400"})
    server = ApiServer(db_url, rate_per_minute=10_000_000, today=TODAY)
    try:
        url = server.url + "/open311/v2/requests.json"
        _report("new requests", *_run(url, forms, args.concurrency))
        _report("resends", *_run(url, forms, args.concurrency))
    finally:
        server.stop()
    with Session(engine) as s:
        cases = s.exec(select(func.count()).select_from(Case)).one()
    print(f"cases in the database: {cases} (demo cases excluded from the demo: steps=[]); "
          f"expected {args.requests}: {'OK' if cases == args.requests else 'MISMATCH'}")


if __name__ == "__main__":
    main()
