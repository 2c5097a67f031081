"""Import memory benchmark: peak RSS and seconds of household-roster imports of large files.

    .venv/bin/python benchmarks/import_memory.py                      # 300k-row CSVs, 100k-row XLSX
    .venv/bin/python benchmarks/import_memory.py --rows 50000 --xlsx-rows 20000 --json

Generates the files in a temporary directory, then runs each case in a fresh child process
(so one case's memory does not hide the next's) against a temporary SQLite database that holds
the 12 demo grids (data/geo/zhongxing_grids.geojson):
  bad_csv      a --rows CSV where every row is bad (ID check digit, members "abc"): refused,
               the problem cap (JIZHEN_IMPORT_MAX_PROBLEMS) stops the checking;
  good_csv     a --rows valid CSV, --dry-run (validate only);
  good_csv_w   the same file imported for real (households + fact history + audit written);
  xlsx         a --xlsx-rows valid XLSX, --dry-run;
  xlsx_w       the same XLSX imported for real.
Figures per case: the child's peak RSS (ru_maxrss) before the import (interpreter, libraries,
database with grids) and after it, the difference, and the import's wall-clock seconds.
Measured figures, not asserted. With --json the last line is one JSON object.

Peak RSS in MB (interpreter, libraries and the grids are ~231 MB of it), 2 shared cores, 2026-12-02:
  case         whole-file reader   stream, dict rows   stream, lean records
  bad_csv            942                 231                  231       (16.9 s -> 0.1 s)
  good_csv           919                 531                  456
  good_csv_w        1583                1483                 1407       (604 with the fact history
  xlsx               408                 345                  321        written in chunks: see the
  xlsx_w             699                 662                  639        issue-10 report; 378 xlsx_w)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 29)
CASES = ("bad_csv", "good_csv", "good_csv_w", "xlsx", "xlsx_w")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _rows(n: int, *, bad: bool):
    """n roster rows (template headers' order), unique ID numbers, points inside the demo grids."""
    from grid.geometry import load_demo_grids
    from grid.ids import make_id_number

    demo = load_demo_grids()
    pts = [(round(p.x, 6), round(p.y, 6)) for p in demo.geometry.representative_point()]
    born0 = date(1940, 1, 1)
    for i in range(n):
        number = make_id_number("321323", born0 + timedelta(days=i // 999), i % 999 + 1)
        if bad:  # wrong check digit and a non-number head count: two problems per row
            number = number[:17] + ("0" if number[17] != "0" else "1")
        lon, lat = pts[i % len(pts)]
        yield [f"测试户主{i}", number, f"众兴镇测试路{i}号{i % 30}栋", lon, lat,
               "abc" if bad else 1 + i % 5, f"138{i:08d}", "是" if i % 7 == 0 else "否", i % 3,
               "否", "否", "是" if i % 4 == 0 else "否", "否", 300 + i % 2000]


def write_csv(path: Path, n: int, *, bad: bool) -> Path:
    import csv

    from grid.imports.columns import HOUSEHOLD_COLUMNS

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c.header for c in HOUSEHOLD_COLUMNS])
        w.writerows(_rows(n, bad=bad))
    return path


def write_xlsx(path: Path, n: int) -> Path:
    from openpyxl import Workbook

    from grid.imports.columns import HOUSEHOLD_COLUMNS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("住户")
    ws.append([c.header for c in HOUSEHOLD_COLUMNS])
    for row in _rows(n, bad=False):
        ws.append(row)
    wb.save(path)
    return path


def child(case: str, file: Path, db: Path) -> dict:
    """Runs in a fresh process: a SQLite database with the demo grids, then one import."""
    from grid.access import SYSTEM
    from grid.db import init_db, make_engine, session_scope
    from grid.geometry import load_demo_grids
    from grid.imports import InvalidImport
    from grid.imports.grids import import_grids
    from grid.imports.households import import_households

    engine = make_engine(f"sqlite:///{db}")
    init_db(engine)
    grids_file = db.with_suffix(".geojson")
    load_demo_grids().to_file(grids_file)
    with session_scope(engine) as session:
        import_grids(grids_file, session=session, actor=SYSTEM)
    before = _peak_mb()
    outcome = ""
    t0 = time.perf_counter()
    try:
        with session_scope(engine) as session:
            report = import_households(file, session=session, actor=SYSTEM, today=TODAY,
                                       dry_run=not case.endswith("_w"))
        outcome = f"ok: {report.rows} rows, {report.created} written"
    except InvalidImport as exc:
        text = str(exc)
        outcome = f"refused: {len(exc.problems)} problems; {text.splitlines()[0]}"
    seconds = time.perf_counter() - t0
    engine.dispose()
    return {"case": case, "file_mb": round(file.stat().st_size / 2**20, 1),
            "rss_before_mb": round(before), "peak_rss_mb": round(_peak_mb()),
            "import_mb": round(_peak_mb() - before), "seconds": round(seconds, 1), "outcome": outcome}


def run_case(case: str, file: Path, folder: Path) -> dict:
    env = dict(os.environ)
    env.update(JIZHEN_VAR_DIR=str(folder), JIZHEN_AUDIT_KEY_FILE=str(folder / "audit.key"),
               JIZHEN_AUDIT_ANCHOR_DIR=str(folder / "anchor"), JIZHEN_BCRYPT_ROUNDS="4")
    db = folder / f"{case}.db"
    out = subprocess.run([sys.executable, __file__, "--child", case, str(file), str(db)],
                         env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=300_000, help="rows of the CSV files")
    ap.add_argument("--xlsx-rows", type=int, default=100_000, help="rows of the XLSX file")
    ap.add_argument("--cases", nargs="*", default=list(CASES), choices=CASES)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=3, metavar=("CASE", "FILE", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        case, file, db = args.child
        print(json.dumps(child(case, Path(file), Path(db)), ensure_ascii=False))
        return

    results = []
    with tempfile.TemporaryDirectory(prefix="jizhen-import-bench-") as tmp:
        folder = Path(tmp)
        files: dict[str, Path] = {}
        t0 = time.perf_counter()
        if "bad_csv" in args.cases:
            files["bad_csv"] = write_csv(folder / "bad.csv", args.rows, bad=True)
        if {"good_csv", "good_csv_w"} & set(args.cases):
            files["good_csv"] = files["good_csv_w"] = write_csv(folder / "good.csv", args.rows, bad=False)
        if {"xlsx", "xlsx_w"} & set(args.cases):
            files["xlsx"] = files["xlsx_w"] = write_xlsx(folder / "good.xlsx", args.xlsx_rows)
        print(f"files written in {time.perf_counter() - t0:.1f} s "
              f"(CSV {args.rows:,} rows, XLSX {args.xlsx_rows:,} rows)", flush=True)
        print(f"{'case':<11} {'file MB':>8} {'RSS before':>11} {'peak RSS':>9} {'import':>7} "
              f"{'seconds':>8}  outcome", flush=True)
        for case in args.cases:
            r = run_case(case, files[case], folder)
            results.append(r)
            print(f"{r['case']:<11} {r['file_mb']:>8} {r['rss_before_mb']:>8} MB {r['peak_rss_mb']:>6} MB "
                  f"{r['import_mb']:>4} MB {r['seconds']:>8}  {r['outcome'][:90]}", flush=True)
    if args.json:
        print(json.dumps({"rows": args.rows, "xlsx_rows": args.xlsx_rows, "results": results},
                         ensure_ascii=False))


if __name__ == "__main__":
    main()
