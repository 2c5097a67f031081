"""Fixtures of the intake API tests: a small demo world per backend, API clients, and the API
served by a real uvicorn process on a free 127.0.0.1 port (started and stopped here, its whole
process group included)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import func
from sqlmodel import Session, select

from jizhen.db import init_db, make_engine, session_scope

PROJECT = Path(__file__).resolve().parents[1]
SCHEMAS = json.loads((Path(__file__).parent / "api_schemas" / "georeport_v2.json").read_text("utf-8"))
API_TODAY = date(2026, 11, 27)  # a Friday: 3 working days later is Wednesday 2026-12-02
BASE = "/open311/v2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiServer:
    """`python -m jizhen.api` (the same serve() as `jizhen api`) on a free port."""

    def __init__(self, db_url: str, *, rate_per_minute: int = 100000, today: date = API_TODAY):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": db_url, "JIZHEN_TODAY": today.isoformat(),
               "JIZHEN_API_RATE_PER_MINUTE": str(rate_per_minute), "PYTHONUNBUFFERED": "1"}
        self.log = open(os.devnull, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jizhen.api", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning"], cwd=PROJECT, env=env, stdout=self.log,
            stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("API server exited: " + self.proc.stderr.read().decode(errors="replace"))
            try:
                if requests.get(self.url + BASE + "/services.json", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("API server did not start within 60 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass
        self.proc.stderr.close()
        self.log.close()


@dataclass
class ApiWorld:
    backend: str
    db_url: str
    engine: object
    server: ApiServer
    key: str  # an active client's key
    client_name: str
    revoked_key: str

    @property
    def url(self) -> str:
        return self.server.url + BASE

    def count(self, model) -> int:
        with Session(self.engine) as s:
            return s.exec(select(func.count()).select_from(model)).one()


def make_world_db(backend: str, tmp_dir: Path, pg_templates) -> str:
    from grid.demo import load_demo

    from tests.conftest import PG_ADMIN_URL, missing

    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir / 'api.db'}"
        eng = make_engine(url)
        init_db(eng)
    else:
        if not PG_ADMIN_URL:
            missing("PostgreSQL (set JIZHEN_TEST_PG_URL)")
        url = pg_templates.fresh()
        eng = make_engine(url)
    load_demo(eng, households=150, seed=11, today=API_TODAY, steps=[])
    eng.dispose()
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgres"], name="api_world")
def _api_world(request, tmp_path_factory, _pg_templates):
    from jizhen.api.clients import add_client, revoke_client

    url = make_world_db(request.param, tmp_path_factory.mktemp("api"), _pg_templates)
    engine = make_engine(url)
    with session_scope(engine) as s:
        _c, key = add_client(s, "hotline-12345")
        _r, revoked_key = add_client(s, "old-wechat")
    with session_scope(engine) as s:
        revoke_client(s, "old-wechat")
    server = ApiServer(url)
    try:
        yield ApiWorld(request.param, url, engine, server, key, "hotline-12345", revoked_key)
    finally:
        server.stop()
        engine.dispose()
