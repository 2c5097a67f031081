"""The real dashboard (`jizhen dashboard`: the login gateway in front of Streamlit) in headless
Chromium, offline, after logging in through the gateway's /auth/login: Leaflet from /app/static,
12 grid polygons for a township leader (one for a grid supervisor), case markers, cluster totals
that add up, and no request leaving 127.0.0.1; a reload of the tab keeps the login (the HttpOnly
jizhen_session cookie, which page script cannot read) until 退出登录."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import DEMO_TODAY, chromium_path
from tests.ui.dashboard_fixtures import APP, make_demo_db
from tests.ui.ui_fixtures import PASSWORD, ensure_user

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(port: int, proc: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the dashboard exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling the health endpoint, not waiting blindly
    raise TimeoutError("the dashboard did not become healthy")


def start_dashboard(url: str, log_path, **extra_env) -> tuple[subprocess.Popen, int, int]:
    """`jizhen dashboard` (gateway + Streamlit, supervised) on free ports; (process, public port,
    Streamlit's internal port) once the public port answers /_stcore/health through the gateway."""
    port, internal = _free_port(), _free_port()
    env = dict(os.environ, DATABASE_URL=url, JIZHEN_TODAY=DEMO_TODAY.isoformat(),
               JIZHEN_TILES="none", JIZHEN_BCRYPT_ROUNDS=os.environ.get("JIZHEN_BCRYPT_ROUNDS", "4"))
    env.update(extra_env)
    env.pop("JIZHEN_DEV_NO_LOGIN", None)
    jizhen = Path(sys.executable).with_name("jizhen")
    log = open(log_path, "w")
    proc = subprocess.Popen([str(jizhen), "dashboard", "--host", "127.0.0.1", "--port", str(port),
                             "--internal-port", str(internal)],
                            cwd=APP.parents[1], env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        _wait_healthy(port, proc)
    except BaseException:
        stop_dashboard(proc)
        raise
    return proc, port, internal


def stop_dashboard(proc: subprocess.Popen) -> None:
    """SIGTERM: the command stops both of its children (tests/integration/test_dashboard_shutdown)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard on free ports, with a township leader, a supervisor of the first grid and
    county staff (b_reload, b_lang)."""
    from grid.access import SYSTEM
    from grid.db import make_engine
    from grid.frames import grids_frame

    tmp_path = tmp_path_factory.mktemp("browser")
    url = make_demo_db(tmp_path / "jizhen.db")
    engine = make_engine(url)
    grids = grids_frame(engine, SYSTEM).sort_values("code")
    first = grids.iloc[0]
    ensure_user(engine, "b_leader", "township_leader")
    ensure_user(engine, "b_sup", "grid_supervisor", grids=first["code"])
    ensure_user(engine, "b_reload", "county_staff")
    ensure_user(engine, "b_lang", "county_staff")
    engine.dispose()
    proc, port, internal = start_dashboard(url, tmp_path / "dashboard.log")
    try:
        yield {"port": port, "internal_port": internal, "first_grid": first, "url": url}
    finally:
        stop_dashboard(proc)


def _log_in(page, port: int, username: str) -> None:
    """Open the app: the gateway sends us to /auth/login; log in through its form."""
    page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
    page.get_by_label("用户名").fill(username, timeout=90_000)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_language_switch_on_the_landing_map(server):
    """语言 / Language on the landing map page: English switches the sidebar (the choices in it too)
    and the page title at the first click, 中文 switches them back. The first test on the module's
    server on purpose: the first script run of a process once ran as a page of a legacy pages/
    folder, and a switch drawn before st.navigation got another widget key after it, so that first
    click was dropped (the radio stayed on 中文); dashboard/app.py draws it after st.navigation
    (and the pages now live in dashboard/views/). The browser keeps a selection as the label it
    showed: dashboard.state.keep_choices_on_language_change sends the labels again in the new
    language (else they stayed Chinese, then emptied)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            _log_in(page, server["port"], "b_lang")
            sidebar = page.get_by_test_id("stSidebar")
            _map_title(page).wait_for(timeout=90_000)
            sidebar.get_by_text("当前用户：b_lang").wait_for(timeout=60_000)
            page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', state="attached",
                                   timeout=90_000)  # the landing run drew everything
            switch = sidebar.get_by_role("radiogroup", name="语言 / Language")
            assert switch.get_by_role("radio", name="中文").is_checked()

            switch.locator("label").filter(has_text="English").click()
            page.get_by_role("heading", name="Grid map").wait_for(timeout=30_000)
            sidebar.get_by_text("Signed in: b_lang").wait_for(timeout=30_000)
            sidebar.get_by_role("link", name="Grid map").wait_for(timeout=30_000)
            # the choices made in Chinese are shown in English (not kept as the labels shown before)
            layers = sidebar.get_by_test_id("stMultiSelect").filter(has_text="Layers")
            layers.get_by_text("Pending cases", exact=True).wait_for(timeout=30_000)
            metric = sidebar.get_by_test_id("stSelectbox").filter(has_text="Colour grids by")
            expect(metric.get_by_role("combobox")).to_have_value("30-day visit coverage")
            assert layers.get_by_text("在办案件").count() == 0
            assert switch.get_by_role("radio", name="English").is_checked()
            assert _map_title(page).count() == 0
            assert sidebar.get_by_text("当前用户：b_lang").count() == 0

            switch.locator("label").filter(has_text="中文").click()
            _map_title(page).wait_for(timeout=30_000)
            sidebar.get_by_text("当前用户：b_lang").wait_for(timeout=30_000)
            sidebar.get_by_role("link", name="网格地图").wait_for(timeout=30_000)
            sidebar.get_by_test_id("stMultiSelect").filter(has_text="图层").get_by_text(
                "在办案件", exact=True).wait_for(timeout=30_000)
            assert switch.get_by_role("radio", name="中文").is_checked()
            assert page.get_by_role("heading", name="Grid map").count() == 0
        finally:
            browser.close()


def test_language_switch_keeps_the_case_desk_filters(server):
    """The filters chosen on 救助案件 stay chosen, in English, after the switch, and in Chinese
    after the switch back (dashboard.state.keep_choices_on_language_change, run by every page):
    before, the browser read its Chinese labels back against the English ones and the filters
    fell back to 全部 / nothing."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            _log_in(page, server["port"], "b_lang")
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_text("当前用户：b_lang").wait_for(timeout=90_000)
            sidebar.get_by_role("link", name="救助案件").click()
            category = page.get_by_test_id("stSelectbox").filter(has_text="类别").first  # the list's filter
            category.wait_for(timeout=60_000)
            category.get_by_role("combobox").click()
            page.get_by_role("option", name="突发意外伤害").click()
            expect(category.get_by_role("combobox")).to_have_value("突发意外伤害")
            status = page.get_by_test_id("stMultiSelect").filter(has_text="状态").first
            status.get_by_role("combobox").click()
            page.get_by_role("option", name="已受理").click()
            page.keyboard.press("Escape")
            status.get_by_text("已受理", exact=True).wait_for(timeout=30_000)

            switch = sidebar.get_by_role("radiogroup", name="语言 / Language")
            switch.locator("label").filter(has_text="English").click()
            en_category = page.get_by_test_id("stSelectbox").filter(has_text="Category").first
            expect(en_category.get_by_role("combobox")).to_have_value("accidental injury", timeout=30_000)
            page.get_by_test_id("stMultiSelect").filter(has_text="Status").first.get_by_text(
                "accepted", exact=True).wait_for(timeout=30_000)
            # a filter left on 全部 reads All (its "all" option is a code too, not None)
            channel = page.get_by_test_id("stSelectbox").filter(has_text="Channel").first
            expect(channel.get_by_role("combobox")).to_have_value("All", timeout=30_000)

            switch.locator("label").filter(has_text="中文").click()
            expect(category.get_by_role("combobox")).to_have_value("突发意外伤害", timeout=30_000)
            status.get_by_text("已受理", exact=True).wait_for(timeout=30_000)
        finally:
            browser.close()


def test_offline_map_in_chromium(server, tmp_path):
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    requests, blocked, errors, csp_violations = [], [], [], []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            # the gateway's Content-Security-Policy must not block anything the app or map needs
            page.on("console", lambda m: "Content Security Policy" in m.text
                    and csp_violations.append(m.text))
            page.route("**/*", guard)
            _log_in(page, server["port"], "b_leader")
            page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', state="attached",
                                   timeout=90_000)
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame.locator("path.jizhen-grid").nth(11).wait_for(state="attached", timeout=90_000)
            frame.locator("path.jizhen-case").first.wait_for(state="attached", timeout=30_000)
            frame.locator(".marker-cluster").first.wait_for(state="attached", timeout=30_000)
            grids = frame.locator("path.jizhen-grid").count()
            cases = frame.locator("path.jizhen-case").count()
            # the visit-status layer (on by default): clusters and single markers add up to the
            # legend's counts once the map has settled (polled, not slept)
            inner = page.frame(url=lambda u: "streamlit_folium" in u)
            drawn = inner.wait_for_function(_VISIT_STATUS_DRAWN, timeout=30_000).json_value()
            page.get_by_role("heading", name="网格地图").wait_for(timeout=30_000)
            shot = tmp_path / "map.png"
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()

    assert errors == []
    assert csp_violations == []
    assert grids == 12
    assert cases > 0
    assert drawn["clustered"] + drawn["single"] == drawn["legend"] > 0, drawn
    assert blocked == [], blocked
    outside = [u for u in requests if urlparse(u).hostname != "127.0.0.1"]
    assert outside == []
    assert any("/app/static/vendor/leaflet/leaflet.js" in u for u in requests)
    assert shot.stat().st_size > 10_000
    os.environ.get("JIZHEN_KEEP_SCREENSHOT") and shot.replace(os.environ["JIZHEN_KEEP_SCREENSHOT"])


# In the map's iframe: the visit-status households drawn (cluster counts + single markers) and the
# legend's count per status summed; returned when they agree (null while the map is settling).
_VISIT_STATUS_DRAWN = """
() => {
    const legend = document.querySelector(".jizhen-legend");
    if (!legend) return null;
    const text = legend.innerText;
    const start = text.indexOf("住户走访状态");
    if (start < 0) return null;
    const section = text.slice(start).split("在办案件")[0];
    const counts = [...section.matchAll(/[:：]\\s*(\\d+)/g)].map(m => parseInt(m[1], 10));
    const legendTotal = counts.reduce((a, b) => a + b, 0);
    const clustered = [...document.querySelectorAll(".marker-cluster span")]
        .reduce((a, el) => a + parseInt(el.textContent, 10), 0);
    const single = document.querySelectorAll(".jizhen-visit-status").length;
    if (counts.length === 0 || clustered + single !== legendTotal) return null;
    return {clustered: clustered, single: single, legend: legendTotal};
}
"""


# In the map's iframe: a point of the (only) grid polygon where the polygon itself is the top
# element (no hotspot, marker or cluster over it), in the iframe's client coordinates.
_FREE_POINT_IN_GRID = """
() => {
    const path = document.querySelector("path.jizhen-grid");
    const box = path.getBoundingClientRect();
    const ctm = path.getScreenCTM().inverse();
    const svg = path.ownerSVGElement;
    for (let i = 1; i < 40; i++) {
        for (let j = 1; j < 40; j++) {
            const x = box.left + box.width * i / 40, y = box.top + box.height * j / 40;
            const p = svg.createSVGPoint();
            p.x = x; p.y = y;
            if (path.isPointInFill(p.matrixTransform(ctm)) && document.elementFromPoint(x, y) === path) {
                return {x: x, y: y};
            }
        }
    }
    return null;
}
"""


def test_supervisor_sees_only_own_grid_and_a_click_opens_its_panel(server, tmp_path):
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    first = server["first_grid"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page.route("**/*", lambda route: route.continue_()
                       if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort())
            _log_in(page, server["port"], "b_sup")
            page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', state="attached",
                                   timeout=90_000)
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame.locator("path.jizhen-grid").first.wait_for(state="attached", timeout=90_000)
            frame.locator(".jizhen-legend").first.wait_for(state="attached", timeout=30_000)
            grids = frame.locator("path.jizhen-grid").count()
            heading = page.get_by_role("heading", name=f"{first['name']}（{first['code']}）")
            assert heading.count() == 0  # no panel before the click
            inner = page.frame(url=lambda u: "streamlit_folium" in u)
            # polls until the map has settled (fit to bounds, clusters drawn) and a point is free
            point = inner.wait_for_function(_FREE_POINT_IN_GRID, timeout=30_000).json_value()
            origin = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
            page.mouse.click(origin["x"] + point["x"], origin["y"] + point["y"])
            heading.wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "supervisor_panel.png"), full_page=False)
        finally:
            browser.close()
    assert grids == 1


def _map_title(page):
    return page.get_by_role("heading", name="网格地图")


def test_reload_keeps_the_login_until_logout(server):
    """F5 (or a phone reloading a backgrounded tab) starts a new Streamlit session: the login comes
    back from the HttpOnly jizhen_session cookie, which page script cannot read; 退出登录 (a form
    posting to /auth/logout) revokes the session: the old cookie value is refused afterwards."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright
    from sqlalchemy import text

    from grid.db import make_engine

    port = server["port"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page = context.new_page()
            page.route("**/*", lambda route: route.continue_()
                       if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort())
            _log_in(page, port, "b_reload")
            _map_title(page).wait_for(timeout=90_000)
            # set by the gateway's response to the login POST, before the app loaded
            cookie = next((c for c in context.cookies() if c["name"] == "jizhen_session"), None)
            assert cookie is not None, "no jizhen_session cookie after login"
            assert cookie["httpOnly"] is True
            assert cookie["path"] == "/" and cookie["sameSite"] == "Strict"
            assert cookie["secure"] is False  # plain http on 127.0.0.1
            token = cookie["value"]
            assert len(token) >= 40 and token not in page.url
            assert "jizhen_session" not in page.evaluate("document.cookie")
            assert token not in page.content()

            page.reload(wait_until="domcontentloaded")
            _map_title(page).wait_for(timeout=90_000)
            assert page.get_by_label("密码").count() == 0
            assert page.get_by_label("用户名").count() == 0
            assert page.get_by_text("当前用户：b_reload").count() == 1
            assert "jizhen_session" not in page.evaluate("document.cookie")

            page.get_by_role("button", name="退出登录").click()
            page.wait_for_url("**/auth/login?bye=1", timeout=60_000)
            page.get_by_text("已退出登录").wait_for(timeout=30_000)
            assert not any(c["name"] == "jizhen_session" for c in context.cookies())

            page.reload(wait_until="domcontentloaded")
            page.get_by_label("用户名").wait_for(timeout=90_000)
            assert _map_title(page).count() == 0

            # the old cookie value, put back by hand, is refused by the gateway
            context.add_cookies([{"name": "jizhen_session", "value": token, "url":
                                  f"http://127.0.0.1:{port}/", "httpOnly": True,
                                  "sameSite": "Strict"}])
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            page.wait_for_url("**/auth/login**", timeout=30_000)
            page.get_by_label("用户名").wait_for(timeout=30_000)
            assert _map_title(page).count() == 0
        finally:
            browser.close()

    engine = make_engine(server["url"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT token_hash, revoked FROM user_session "
                                     "WHERE username = 'b_reload'")).all()
    finally:
        engine.dispose()
    import hashlib

    digest = hashlib.sha256(token.encode()).hexdigest()
    assert [(h, bool(r)) for h, r in rows] == [(digest, True)]
