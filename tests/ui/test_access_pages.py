"""AppTest of the dashboard behind the login: logged out, no page shows household data; the login
form works (wrong password refused, lockout message, session expiry); logged in, every page shows
only the role's grids and no unmasked ID number where the role may not see it."""
from __future__ import annotations

import os
import re
from datetime import timedelta

import pandas as pd
import pytest

from grid.geometry import load_demo_grids
from streamlit.testing.v1 import AppTest

from grid.access import SYSTEM, Role
from grid.config import PROJECT_DIR
from grid.db import init_db, make_engine
from grid.frames import households_frame
from grid.geotypes import utcnow
from tests.conftest import DEMO_TODAY

APP = PROJECT_DIR / "dashboard" / "app.py"
GRID_NAMES = dict(load_demo_grids()[["code", "name"]].itertuples(index=False))
PAGES = sorted((PROJECT_DIR / "dashboard" / "views").glob("*.py"))
ID_RE = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
TEXT_TYPES = ["title", "header", "subheader", "markdown", "caption", "text", "code", "info", "warning",
              "error", "success", "exception", "latex", "json"]
TIMEOUT = 120


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo database (SQLite) with its printed demo logins; DATABASE_URL points at it."""
    from jizhen.cli import demo_steps
    from grid.demo import load_demo
    from grid.users import DEMO_USERS, set_password

    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "JIZHEN_BCRYPT_ROUNDS", "JIZHEN_TODAY")}
    os.environ["JIZHEN_BCRYPT_ROUNDS"] = "4"
    os.environ["JIZHEN_TODAY"] = DEMO_TODAY.isoformat()
    url = f"sqlite:///{tmp_path_factory.mktemp('ui') / 'ui.db'}"
    os.environ["DATABASE_URL"] = url
    engine = make_engine(url)
    init_db(engine)
    load_demo(engine, households=300, seed=11, today=DEMO_TODAY, steps=demo_steps(), progress=None)
    from grid.db import session_scope

    # Demo passwords are random and printed once: give the demo users known ones, as an admin would.
    creds = {}
    with session_scope(engine) as s:
        for username, role in DEMO_USERS:
            password = f"Uidemo{role.value.replace('_', '')}2026"
            set_password(s, username, password)
            creds[role.value] = {"username": username, "password": password, "role": role.value}
    with engine.connect() as c:
        hh = households_frame(c, SYSTEM, personal=True)
    yield {"url": url, "engine": engine, "creds": creds, "households": hh}
    engine.dispose()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def texts(at: AppTest) -> list[str]:
    out = []
    for kind in TEXT_TYPES:
        try:
            elements = getattr(at, kind)
        except (AttributeError, KeyError):
            continue
        for el in elements:
            out.append(str(getattr(el, "value", "") or getattr(el, "body", "")))
    for m in at.metric:
        out.append(f"{m.label} {m.value}")
    return out


def frames(at: AppTest) -> list[pd.DataFrame]:
    out = []
    for kind in ("dataframe", "table"):
        for el in getattr(at, kind):
            v = el.value
            out.append(v if isinstance(v, pd.DataFrame) else pd.DataFrame(v))
    return out


def assert_no_household_data(at: AppTest, hh: pd.DataFrame):
    assert not frames(at), "a table is shown while logged out"
    assert not at.metric, "metrics are shown while logged out"
    joined = "\n".join(texts(at))
    assert not ID_RE.search(joined)
    names = set(hh["head_name"]) | set(hh["address"])
    leaked = [n for n in names if n and n in joined]
    assert not leaked, leaked[:3]


def login(at: AppTest, username: str, password: str):
    """Log in as the gateway's /auth/login does (its own code); returns the AuthResult."""
    from tests.ui.ui_fixtures import fill_login_form

    return fill_login_form(at, username, password)[1]


def _leads_to_the_login_page(at: AppTest) -> bool:
    """Logged out: no form in the app (only the gateway can set the HttpOnly cookie), a way to
    the gateway's login page instead."""
    return not at.text_input and any('action="/auth/login"' in m.value for m in at.markdown)


def test_logged_out_app_shows_only_the_way_to_the_login_page(demo):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert any("登录" in t for t in texts(at))
    assert _leads_to_the_login_page(at)
    assert_no_household_data(at, demo["households"])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_logged_out_page_run_directly_shows_no_household_data(demo, page):
    at = AppTest.from_file(str(page), default_timeout=TIMEOUT).run()
    assert_no_household_data(at, demo["households"])


def test_wrong_password_then_right_one(demo):
    from dashboard.auth import SESSION_KEY

    cred = demo["creds"]["township_leader"]
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    result = login(at, cred["username"], "Wrongpass123")
    assert not result.ok and "用户名或密码错误" in result.message
    assert _leads_to_the_login_page(at)
    assert_no_household_data(at, demo["households"])
    assert login(at, cred["username"], cred["password"]).ok
    assert not at.exception, at.exception
    auth = at.session_state[SESSION_KEY]
    assert auth["username"] == cred["username"] and auth["role"] == "township_leader"
    assert cred["password"] not in repr(at.session_state)  # the password is not kept
    assert not _leads_to_the_login_page(at)


def test_expired_session_goes_back_to_login(demo):
    from dashboard.auth import SESSION_KEY

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = {"username": "zhenmingzheng", "role": "township_leader",
                                     "grid_codes": None, "expires_at": utcnow() - timedelta(seconds=1)}
    at.run()
    assert _leads_to_the_login_page(at)
    assert any("超时" in i.value for i in at.info)
    assert_no_household_data(at, demo["households"])


def test_disabled_user_is_logged_out_at_next_run(demo):
    from dashboard.auth import SESSION_KEY
    from grid.db import session_scope
    from grid.users import add_user, disable_user

    with session_scope(demo["engine"]) as s:
        add_user(s, username="temp_staff", password="Tempstaff-2027-xq", role="county_staff")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert login(at, "temp_staff", "Tempstaff-2027-xq").ok
    assert at.session_state[SESSION_KEY]["username"] == "temp_staff"
    with session_scope(demo["engine"]) as s:
        disable_user(s, "temp_staff")
    at.run()
    assert SESSION_KEY not in at.session_state
    # logged out at once: the app's way to the login page, or the page's own "sign in first"
    assert _leads_to_the_login_page(at) or any("请先登录" in w.value for w in at.warning)
    assert_no_household_data(at, demo["households"])


@pytest.mark.parametrize("page, role", [("leaders.py", "grid_worker"), ("assign.py", "grid_worker"),
                                        ("visit.py", "auditor"), ("admin.py", "township_leader")])
def test_a_page_opened_by_its_url_refuses_a_role_it_is_not_for(demo, page, role):
    """Opened directly (no app.py navigation), a page refuses a role dashboard.navigation does
    not give it, and shows no household data."""
    cred = demo["creds"].get(role)
    if cred is None:
        pytest.fail(f"the demo has no {role} login")
    at = AppTest.from_file(str(APP.parent / "views" / page), default_timeout=TIMEOUT)
    assert login(at, cred["username"], cred["password"]).ok
    assert not at.exception, at.exception
    assert any("不属于您的角色" in w.value for w in at.warning)
    assert_no_household_data(at, demo["households"])


def _session_for(engine, cred: dict) -> dict:
    """The session login_gate stores for the demo user of `cred`."""
    from dashboard.auth import session_for
    from grid.db import session_scope
    from grid.users import get_user

    with session_scope(engine) as s:
        return session_for(get_user(s, cred["username"]))


@pytest.mark.parametrize("role", [r.value for r in (Role.GRID_WORKER, Role.GRID_SUPERVISOR,
                                                    Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF, Role.AUDITOR)])
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_each_role_sees_only_its_scope_on_every_page(demo, role, page):
    from dashboard.auth import SESSION_KEY

    cred = demo["creds"][role]
    auth = _session_for(demo["engine"], cred)
    at = AppTest.from_file(str(page), default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = auth
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    scope = None if auth["grid_codes"] is None else set(auth["grid_codes"])
    hh = demo["households"]
    outside_ids = set() if scope is None else set(hh.loc[~hh["grid_code"].isin(scope), "head_id_number"])
    outside_names = set() if scope is None else set(hh.loc[~hh["grid_code"].isin(scope), "address"])
    sees_personal = role in ("grid_worker", "grid_supervisor", "county_staff")
    for df in frames(at):
        for col in df.columns:
            if str(col) in ("grid_code", "网格", "网格编码", "grid"):
                shown = {str(v) for v in df[col].dropna()}
                if scope is not None:  # a grid column holds codes or the grids' names
                    allowed = scope | {GRID_NAMES[c] for c in scope} | {""}
                    assert shown <= allowed, (page.stem, role, col, shown - allowed)
        flat = [str(v) for v in df.astype(str).to_numpy().ravel()]
        if not sees_personal:
            assert not [v for v in flat if ID_RE.search(v)], (page.stem, role)
        assert not (set(flat) & outside_ids), (page.stem, role)
        assert not (set(flat) & outside_names), (page.stem, role, list(set(flat) & outside_names)[:3])
    joined = "\n".join(texts(at))
    if not sees_personal:
        assert not ID_RE.search(joined), (page.stem, role)
    assert not [i for i in outside_ids if i in joined], (page.stem, role)
