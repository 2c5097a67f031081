"""The 审计日志 page: auditors read the log with personal numbers masked; the chain check works."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from grid import audit
from grid.access import SYSTEM
from grid.db import make_engine, session_scope
from tests.ui.dashboard_fixtures import make_demo_db
from tests.ui.ui_fixtures import TIMEOUT, ensure_user, log_in

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "audit.py")
FULL_ID = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
CLEAR_ID = "32132319500307012X"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    url = make_demo_db(tmp_path_factory.mktemp("audit") / "jizhen.db", households=200, seed=2)
    engine = make_engine(url)
    with session_scope(engine) as s:  # a write whose record carries personal numbers
        audit.record(s, actor=SYSTEM, action="household.update", entity="household", entity_id=1,
                     before={"head_id_number": CLEAR_ID, "phone": "17001234567"},
                     after={"head_id_number": CLEAR_ID, "phone": "17007654321"}, reason="更正")
    users = {role: ensure_user(engine, f"a_{role}", role,
                               grids="321323100001" if role.startswith("grid") else None)
             for role in ("auditor", "county_staff", "grid_supervisor")}
    return url, engine, users


def _run(monkeypatch, db, role):
    url, _, users = db
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    log_in(at, users[role])
    return at.run()


def test_auditor_reads_the_log_masked(monkeypatch, db):
    at = _run(monkeypatch, db, "auditor")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert "household.update" in set(table["操作"])
    flat = " ".join(table.astype(str).to_numpy().ravel())
    assert not FULL_ID.search(flat) and "17001234567" not in flat
    assert "321323********012X" in flat and "170****4567" in flat


def test_chain_check_reports_intact_then_tampering(monkeypatch, db):
    at = _run(monkeypatch, db, "county_staff")
    at.button(key="audit_verify").click().run()
    assert any("哈希链完整" in s.value for s in at.success)
    _, engine, _ = db
    with engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_entry_no_update"))
        c.execute(text("UPDATE audit_entry SET reason = '改过' WHERE action = 'household.update'"))
    at = _run(monkeypatch, db, "county_staff")
    at.button(key="audit_verify").click().run()
    assert any("哈希链异常" in e.value for e in at.error)


def test_other_roles_are_refused(monkeypatch, db):
    at = _run(monkeypatch, db, "grid_supervisor")
    assert not at.exception
    # refused before the page draws anything (dashboard.navigation: auditors and county staff)
    assert any("不属于您的角色" in w.value for w in at.warning)
    assert not at.dataframe
