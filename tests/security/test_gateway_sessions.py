"""The login gateway's database side on SQLite and PostgreSQL, in process (Starlette's TestClient;
no Streamlit behind it: a request the gateway lets through gets 502 from the missing upstream,
one it refuses gets 401/303 — so the status tells which side of the door a request ended on)."""
from __future__ import annotations

import re

import pytest

from jizhen.gateway import COOKIE_NAME, create_app

PASSWORD = "Gatewaytest2026pw"
BASE = "http://testserver"
LET_THROUGH = 502  # nothing listens upstream: the request passed the session check


@pytest.fixture
def client(engine, monkeypatch):
    from starlette.testclient import TestClient

    from grid.db import session_scope
    from grid.users import add_user

    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")
    with session_scope(engine) as s:
        add_user(s, username="gw_staff", password=PASSWORD, role="county_staff")
        add_user(s, username="gw_other", password=PASSWORD, role="auditor")
    app = create_app("http://127.0.0.1:9", engine=engine, tiles="none")  # port 9: nobody
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        yield c


def _login(client, username: str, password: str = PASSWORD):
    page = client.get("/auth/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/auth/login", data={"csrf": csrf, "username": username,
                                            "password": password, "next": "/"},
                       headers={"Origin": BASE})


def test_login_opens_a_session_that_logout_revokes(client, engine):
    from sqlalchemy import text

    assert client.get("/media/abc.xlsx").status_code == 401
    response = _login(client, "gw_staff")
    assert response.status_code == 303
    token = client.cookies[COOKIE_NAME]
    with engine.connect() as c:
        rows = c.execute(text("SELECT username, revoked FROM user_session")).all()
    assert [(u, bool(r)) for u, r in rows] == [("gw_staff", False)]
    assert client.get("/_stcore/host-config").status_code == LET_THROUGH
    assert client.get("/", headers={"Sec-Fetch-Dest": "document"}).status_code == LET_THROUGH
    # a download never shown to this session (tests/ui/test_gateway.py: one that was)
    assert client.get("/media/abc0123456789def.xlsx").status_code == 404
    assert client.post("/auth/logout", headers={"Origin": BASE}).status_code == 303
    with engine.connect() as c:
        assert [bool(r) for (r,) in c.execute(text("SELECT revoked FROM user_session"))] == [True]
    client.cookies.set(COOKIE_NAME, token)  # replayed
    assert client.get("/media/abc.xlsx").status_code == 401
    assert client.get("/_stcore/host-config").status_code == 401
    assert client.get("/", headers={"Sec-Fetch-Dest": "document"}).status_code == 303


def test_a_disabled_account_loses_its_open_session(client, engine):
    from grid.db import session_scope
    from grid.users import disable_user

    assert _login(client, "gw_other").status_code == 303
    assert client.get("/_stcore/host-config").status_code == LET_THROUGH
    with session_scope(engine) as s:
        disable_user(s, "gw_other")
    assert client.get("/_stcore/host-config").status_code == 401


def test_failures_are_uniform_and_counted_for_the_client(client, engine):
    from sqlalchemy import text

    wrong = _login(client, "gw_staff", "Wrong" + PASSWORD)
    nobody = _login(client, "gw_nobody", "Wrong" + PASSWORD)
    assert wrong.status_code == nobody.status_code == 401
    pick = re.compile(r'role="alert">([^<]*)<')
    assert pick.search(wrong.text).group(1) == pick.search(nobody.text).group(1)
    assert COOKIE_NAME not in client.cookies
    with engine.connect() as c:
        clients = {k for (k,) in c.execute(text("SELECT client_key FROM login_throttle"))}
    assert "testclient" in clients  # the remote address the gateway saw, not a shared key


def test_idle_expiry_ends_the_session(client, engine):
    from datetime import timedelta

    from sqlalchemy import update

    from grid.geotypes import utcnow
    from jizhen.users import UserSession

    assert _login(client, "gw_staff").status_code == 303
    with engine.begin() as c:
        c.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/media/x.png").status_code == 401
