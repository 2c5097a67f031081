"""An import killed with SIGKILL half-way through writing leaves the database exactly as before
(every table: row count and checksum), and the same file then imports cleanly."""
from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from grid.config import PROJECT_DIR
from grid.ids import make_id_number
from grid.models import Household
from tests.access_fixtures import SQUARES, small_world, snapshot

ROWS = 20_000  # writing takes seconds: the kill lands mid-write (asserted below)
HEADERS = ["户主姓名", "户主身份证号", "家庭住址", "经度", "纬度", "家庭人口", "联系电话", "低保"]


def _roster(path: Path, rows: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    codes = list(SQUARES)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        for i in range(rows):
            lon0, lat0 = SQUARES[codes[i % 2]]
            born = date(1950, 1, 1) + timedelta(days=i // 900)
            w.writerow([f"户主{i}", make_id_number("321323", born, i % 900 + 1), f"幸福路{i}号",
                        f"{lon0 + 0.001 + rng.random() * 0.048:.6f}", f"{lat0 + 0.001 + rng.random() * 0.048:.6f}",
                        rng.randint(1, 6), f"139{i:08d}", rng.choice(["是", "否"])])
    return path


def _start_import(db_url: str, path: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-c", "from jizhen.cli import main; main()", "import", "households", str(path),
         "--today", "2026-11-29"],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_writing(proc: subprocess.Popen, timeout: float = 300) -> list[str]:
    """Read stderr until the importer reports its write stage (first chunk inserted, uncommitted)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line.rstrip())
        if "写入" in line:
            return seen
    proc.kill()
    raise AssertionError(f"importer never reached its write stage: {seen} rc={proc.poll()}")


def _households(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(Household.__table__)).scalar_one()


@pytest.mark.parametrize("delay", [0.0, 0.4])
def test_sigkill_during_import_leaves_database_unchanged(engine, db_url, tmp_path, delay):
    small_world(engine)
    roster = _roster(tmp_path / "roster.csv", ROWS)
    before = snapshot(engine)
    proc = _start_import(db_url, roster)
    _wait_for_writing(proc)
    time.sleep(delay)
    assert proc.poll() is None, "the import finished before it could be killed; make ROWS larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            assert c.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert snapshot(engine) == before  # counts and checksums of every table
    # Nothing half-written blocks a retry: the same file now imports completely.
    retry = _start_import(db_url, roster)
    out, err = retry.communicate(timeout=600)
    assert retry.returncode == 0, err[-2000:]
    assert _households(engine) == before["household"][0] + ROWS
