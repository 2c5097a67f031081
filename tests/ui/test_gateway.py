"""The login gateway (jizhen.gateway) in front of Streamlit, attacked from outside.

Pure rules first (CSP sources, where a login may lead, the form escaping what was typed), then
the real `jizhen dashboard` on 127.0.0.1: what needs a session (pages, assets, /media/*, uploads,
the WebSocket), what is refused (/_stcore/metrics), the headers, the login form's CSRF and
Origin checks, uniform failure messages, the cookie's flags, logout revoking the server-side
session; and in Chromium: logging in, the token invisible to page script, a download that only
the logged-in browser can fetch (not a cookieless one, not after logout), every request on
127.0.0.1, and screenshots of the login page at 1440 and 390 px.
"""
from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from jizhen.gateway import (
    COOKIE_NAME, MediaOwners, csp, is_refused, login_page, media_id, normalized_path, safe_next,
    same_origin, session_cookie, tile_sources,
)
from tests.conftest import chromium_path
from tests.ui.dashboard_fixtures import make_demo_db
from tests.ui.test_browser import CHROMIUM_ARGS, start_dashboard, stop_dashboard
from tests.ui.ui_fixtures import PASSWORD, ensure_user

LEADERS_PAGE = "领导看板"
SHOTS = os.environ.get("JIZHEN_KEEP_SCREENSHOTS")  # a folder to keep the login screenshots in


# --- pure rules --------------------------------------------------------------------------------
@pytest.mark.parametrize(("tiles", "sources"), [
    ("none", []),
    ("osm", ["https://tile.openstreetmap.org"]),
    ("tianditu_vec", ["https://*.tianditu.gov.cn"]),
    ("tianditu_img", ["https://*.tianditu.gov.cn"]),
    ("http://tiles.county.local:8080/{z}/{x}/{y}.png", ["http://tiles.county.local:8080"]),
    ("https://{s}.tiles.example.org/{z}/{x}/{y}.png", ["https://*.tiles.example.org"]),
])
def test_tile_sources(tiles, sources):
    assert tile_sources(tiles) == sources


def test_csp_names_the_tile_host_only_when_tiles_are_configured():
    offline = csp("none")
    assert offline.startswith("default-src 'self'")
    assert "tianditu" not in offline and "http" not in offline
    assert "frame-ancestors 'self'" in offline and "object-src 'none'" in offline
    assert "unsafe-eval" not in offline
    img = next(d for d in csp("tianditu_vec").split("; ") if d.startswith("img-src"))
    assert "https://*.tianditu.gov.cn" in img
    connect = next(d for d in csp("tianditu_vec").split("; ") if d.startswith("connect-src"))
    assert connect == "connect-src 'self'"


@pytest.mark.parametrize(("value", "expected"), [
    (None, "/"), ("", "/"), ("/", "/"), ("/cases", "/cases"), ("/leaders?x=1", "/leaders?x=1"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"),
    ("evil", "/"), ("/auth/logout", "/"), ("/auth/login?next=//x", "/"),
])
def test_safe_next_stays_on_this_site(value, expected):
    assert safe_next(value) == expected


@pytest.mark.parametrize(("path", "clean", "refused"), [
    ("/", "/", False), ("/media/ab.xlsx", "/media/ab.xlsx", False),
    ("/component/x/", "/component/x/", False), ("/_stcore/metrics", "/_stcore/metrics", True),
    ("/_stcore/./metrics", "/_stcore/metrics", True), ("//_stcore/metrics", "/_stcore/metrics", True),
    ("/media/../_stcore/METRICS", "/_stcore/METRICS", True), ("/..", "/", False),
    ("/_stcore/health/../metrics", "/_stcore/metrics", True),
])
def test_paths_are_judged_normalized(path, clean, refused):
    assert normalized_path(path) == clean
    assert is_refused(path) is refused


def test_media_ids_and_their_owners():
    assert media_id("/media/0a1b2c3d4e5f60718293.xlsx") == "0a1b2c3d4e5f60718293"
    assert media_id("/media/0a1b2c3d4e5f6071") == "0a1b2c3d4e5f6071"
    assert media_id("/media/a/b.png") is None and media_id("/static/x.js") is None
    owners = MediaOwners(limit=2)
    message = b"\x12\x2a/media/0a1b2c3d4e5f60718293.xlsx\x1a\x05leaders"
    assert owners.grant_from(message, "alice") == 1
    assert owners.allowed("0a1b2c3d4e5f60718293", "alice")
    assert not owners.allowed("0a1b2c3d4e5f60718293", "bob")
    assert not owners.allowed("0a1b2c3d4e5f60718293", None)
    assert not owners.allowed("ffffffffffffffff", "alice")
    owners.grant_from(b"/media/1111111111111111.png /media/2222222222222222.png", "alice")
    assert not owners.allowed("0a1b2c3d4e5f60718293", "alice")  # the oldest forgotten (limit 2)
    owners.forget_owner("alice")
    assert not owners.allowed("2222222222222222", "alice")


def _raw_get(port: int, target: str, cookie: str | None = None) -> int:
    """The status of a GET sent byte for byte (no client-side normalising of the path)."""
    import socket

    extra = f"Cookie: {COOKIE_NAME}={cookie}\r\n" if cookie else ""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}"
                     "Connection: close\r\n\r\n".encode())
        head = sock.recv(64).decode("latin-1")
    return int(head.split()[1])


def test_same_origin():
    assert same_origin("http://127.0.0.1:8501", "127.0.0.1:8501", "http")
    assert not same_origin("http://127.0.0.1:8502", "127.0.0.1:8501", "http")
    assert not same_origin("https://127.0.0.1:8501", "127.0.0.1:8501", "http")
    assert not same_origin("null", "127.0.0.1:8501", "http")
    assert not same_origin(None, "127.0.0.1:8501", "http")


def test_session_cookie_flags():
    assert session_cookie("tok", secure=False) == "jizhen_session=tok; Path=/; HttpOnly; SameSite=Strict"
    assert session_cookie("tok", secure=True).endswith("; Secure")


def test_login_page_is_chinese_first_and_escapes_what_was_typed():
    zh = login_page("zh", message="<b>错</b>", username='"><script>alert(1)</script>',
                    csrf="c", next_path="/cases")
    assert '<html lang="zh-CN">' in zh and "用户名" in zh and "密码" in zh
    assert "<script>" not in zh and "&lt;script&gt;" in zh and "&lt;b&gt;错" in zh
    assert 'href="/auth/login?lang=en&amp;next=%2Fcases"' in zh
    en = login_page("en")
    assert '<html lang="en">' in en and "Username" in en and "Password" in en
    assert "5 wrong passwords in a row lock it for 15 minutes" in en


# --- the running gateway -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gateway")
    url = make_demo_db(tmp / "jizhen.db")
    from grid.db import make_engine

    engine = make_engine(url)
    ensure_user(engine, "g_leader", "township_leader")
    ensure_user(engine, "g_staff", "county_staff")
    engine.dispose()
    proc, port, internal = start_dashboard(url, tmp / "dashboard.log")
    try:
        yield {"port": port, "base": f"http://127.0.0.1:{port}", "url": url, "internal": internal}
    finally:
        stop_dashboard(proc)


def _client(gw) -> httpx.Client:
    return httpx.Client(base_url=gw["base"], trust_env=False, follow_redirects=False, timeout=60)


def _login(gw, username: str, password: str = PASSWORD, *, client=None, origin=None):
    """GET the form (its CSRF cookie and field), POST the credentials; the POST's response."""
    c = client or _client(gw)
    page = c.get("/auth/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return c.post("/auth/login", data={"csrf": csrf, "username": username, "password": password,
                                       "next": "/", "lang": "zh"},
                  headers={"Origin": origin or gw["base"]})


def _ws_status(gw, cookie: str | None) -> int:
    """101 when the gateway opens the WebSocket for this cookie, else the refusal's status."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    async def attempt() -> int:
        headers = [("Cookie", f"{COOKIE_NAME}={cookie}")] if cookie else []
        try:
            async with connect(f"ws://127.0.0.1:{gw['port']}/_stcore/stream", origin=gw["base"],
                               subprotocols=["streamlit"], additional_headers=headers,
                               proxy=None, open_timeout=30) as ws:
                assert ws.subprotocol == "streamlit"
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    return asyncio.run(attempt())


HEADERS = {"x-frame-options": "SAMEORIGIN", "x-content-type-options": "nosniff",
           "referrer-policy": "same-origin"}


def _has_security_headers(response) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name)
    assert response.headers["content-security-policy"] == csp("none")


def test_without_a_session_only_the_login_page_and_health_answer(gw):
    with _client(gw) as c:
        health = c.get("/_stcore/health")
        assert health.status_code == 200
        page = c.get("/", headers={"Accept": "text/html", "Sec-Fetch-Dest": "document"})
        assert page.status_code == 303 and page.headers["location"].startswith("/auth/login")
        _has_security_headers(page)
        sub = c.get("/leaders", headers={"Sec-Fetch-Dest": "document"})
        assert sub.status_code == 303 and "next=%2Fleaders" in sub.headers["location"]
        for path in ("/media/0123456789abcdef.xlsx", "/_stcore/host-config",
                     "/app/static/vendor/leaflet/leaflet.js", "/component/x/index.html"):
            r = c.get(path)
            assert r.status_code == 401, path
            assert "未登录" in r.text
        upload = c.put("/_stcore/upload_file/abc/def", files={"file": ("a.csv", b"x,y\n")})
        assert upload.status_code == 401
        for path in ("/_stcore/metrics", "/_stcore/metrics?x=1"):
            assert c.get(path).status_code == 404
    for target in ("/_stcore/./metrics", "//_stcore/metrics", "/_stcore/health/../metrics"):
        assert _raw_get(gw["port"], target) == 404, target
    for target in ("/media/../media/x.xlsx", "/_stcore/health/../host-config",
                   "/_stcore/health/../upload_file/a/b"):
        assert _raw_get(gw["port"], target) == 401, target
    with _client(gw) as c:
        form = c.get("/auth/login")
        assert form.status_code == 200 and "用户名" in form.text
        _has_security_headers(form)
        english = c.get("/auth/login?lang=en").text
        assert "Username" in english and ">中文</a>" in english  # the switch back stays
        assert c.get("/auth/static/login.css").status_code == 200
        assert c.get("/auth/static/nothing.css").status_code == 404
        for sneaky in ("/auth/static/..%2Fgateway.py", "/auth/static/%2e%2e%2fgateway.py"):
            r = c.get(sneaky)
            assert r.status_code in (401, 404) and "create_app" not in r.text
    assert _ws_status(gw, None) == 403
    assert _ws_status(gw, "made-up-token-" + "x" * 30) == 403


def test_the_login_form_refuses_forged_and_wrong_posts_uniformly(gw):
    with _client(gw) as c:
        # no CSRF field / cookie: refused, nothing counted as a login
        bare = c.post("/auth/login", data={"username": "g_leader", "password": PASSWORD},
                      headers={"Origin": gw["base"]})
        assert bare.status_code == 400 and COOKIE_NAME not in bare.headers.get("set-cookie", "")
    cross = _login(gw, "g_leader", origin="http://evil.example")
    assert cross.status_code == 403 and COOKIE_NAME not in cross.headers.get("set-cookie", "")
    wrong = _login(gw, "g_leader", "Wrong" + PASSWORD)
    nobody = _login(gw, "no_such_user_x", "Wrong" + PASSWORD)
    assert wrong.status_code == nobody.status_code == 401
    message = re.compile(r'<p class="error" role="alert">([^<]*)</p>')
    assert message.search(wrong.text).group(1) == message.search(nobody.text).group(1)
    assert "用户名或密码错误" in message.search(wrong.text).group(1)
    assert COOKIE_NAME not in wrong.headers.get("set-cookie", "")


def test_login_sets_an_httponly_cookie_that_opens_everything_until_logout(gw):
    with _client(gw) as c:
        r = _login(gw, "g_staff", client=c)
        assert r.status_code == 303 and r.headers["location"] == "/"
        set_cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith(COOKIE_NAME))
        assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/" in set_cookie
        assert "Secure" not in set_cookie  # plain http here
        token = c.cookies[COOKIE_NAME]
        assert len(token) >= 40
        page = c.get("/", headers={"Sec-Fetch-Dest": "document"})
        assert page.status_code == 200 and "<div id=\"root\">" in page.text
        _has_security_headers(page)
        assert c.get("/_stcore/host-config").status_code == 200
        assert c.get("/app/static/vendor/leaflet/leaflet.js").status_code == 200
        assert c.get("/_stcore/metrics").status_code == 404  # refused with a session too
        assert _raw_get(gw["port"], "/_stcore/./metrics", token) == 404
        assert _raw_get(gw["port"], "/_stcore/./host-config", token) == 200
        assert _ws_status(gw, token) == 101
        # logout: cross-origin is refused (the session stays), same-origin revokes it
        assert c.post("/auth/logout", headers={"Origin": "http://evil.example"}).status_code == 403
        assert _ws_status(gw, token) == 101
        out = c.post("/auth/logout", headers={"Origin": gw["base"]})
        assert out.status_code == 303 and out.headers["location"].startswith("/auth/login")
        assert any(v.startswith(f"{COOKIE_NAME}=;") and "Max-Age=0" in v
                   for v in out.headers.get_list("set-cookie"))
    # the old value, replayed: refused everywhere
    with _client(gw) as c:
        c.cookies.set(COOKIE_NAME, token)
        assert c.get("/", headers={"Sec-Fetch-Dest": "document"}).status_code == 303
        assert c.get("/_stcore/host-config").status_code == 401
    assert _ws_status(gw, token) == 403


# --- the Streamlit side, without a gateway (AppTest) -------------------------------------------
APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(m.value for m in at.sidebar.markdown)


def test_app_without_a_session_only_points_to_the_login_page(gw, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", gw["url"])
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception, at.exception
    assert 'action="/auth/login"' in _markdown(at)
    assert not at.text_input and not at.dataframe and not at.metric  # no form, no data
    assert "网格地图" not in [t.value for t in at.title]


def test_app_resumes_a_real_session_and_drops_it_when_revoked(gw, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.auth import SESSION_KEY, TOKEN_KEY
    from grid.db import make_engine, session_scope
    from jizhen.users import revoke_session
    from tests.ui.ui_fixtures import log_in

    monkeypatch.setenv("DATABASE_URL", gw["url"])
    at = log_in(AppTest.from_file(str(APP), default_timeout=120), "g_staff").run()
    assert not at.exception, at.exception
    assert at.session_state[SESSION_KEY]["username"] == "g_staff"
    assert at.title[0].value == "网格地图"
    logout_form = '<form method="post" action="/auth/logout"'
    assert logout_form in _markdown(at)  # 退出登录 is a plain form to the gateway
    engine = make_engine(gw["url"])
    try:
        with session_scope(engine) as s:
            assert revoke_session(s, at.session_state[TOKEN_KEY], reason="test")
    finally:
        engine.dispose()
    token = at.session_state[TOKEN_KEY]
    at.run()  # (AppTest reruns the page alone: the page's own check ends the login too)
    assert SESSION_KEY not in at.session_state and TOKEN_KEY not in at.session_state
    assert not at.dataframe and not at.metric
    # a new browser session with the revoked token: the app says why and points to the login
    again = AppTest.from_file(str(APP), default_timeout=120)
    again.session_state[TOKEN_KEY] = token
    again.run()
    assert SESSION_KEY not in again.session_state and not again.dataframe
    assert any("重新登录" in i.value for i in again.info)
    assert 'action="/auth/login"' in _markdown(again)


def test_a_made_up_token_logs_nobody_in(gw, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.auth import SESSION_KEY, TOKEN_KEY

    monkeypatch.setenv("DATABASE_URL", gw["url"])
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[TOKEN_KEY] = "made-up-" + "x" * 40
    at.run()
    assert SESSION_KEY not in at.session_state and not at.dataframe
    assert 'action="/auth/login"' in _markdown(at)


# --- in Chromium -------------------------------------------------------------------------------
def _shot(page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        (Path(SHOTS) / path.name).write_bytes(path.read_bytes())


@pytest.mark.browser
def test_login_page_screens(gw, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            for width, height in ((1440, 900), (390, 844)):
                page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
                page.goto(f"{gw['base']}/", wait_until="domcontentloaded")
                page.wait_for_url("**/auth/login**")
                page.get_by_label("用户名").wait_for()
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                box = page.get_by_role("button", name="登录").bounding_box()
                assert box["width"] >= min(300, width - 80) and box["x"] >= 0
                _shot(page, tmp_path / f"login_{width}.png")
                page.get_by_role("link", name="English").click()
                page.get_by_label("Username").wait_for()
                _shot(page, tmp_path / f"login_{width}_en.png")
                page.close()
        finally:
            browser.close()


@pytest.mark.browser
def test_download_needs_the_session_that_made_it(gw, tmp_path):
    """Log in in Chromium, download the leaders' export (a /media/ URL); page script cannot see
    the token; a browser without the cookie gets 401 for the same URL, another logged-in account
    404 (downloads belong to the session that was shown them), and the logged-in browser 401
    after 退出登录."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    blocked_by_csp: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                          accept_downloads=True)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: "Content Security Policy" in m.text
                    and blocked_by_csp.append(m.text))
            page.route("**/*", lambda route: route.continue_()
                       if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort())
            page.goto(f"{gw['base']}/", wait_until="domcontentloaded")
            page.get_by_label("用户名").fill("g_leader", timeout=60_000)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.get_by_role("heading", name="网格地图").wait_for(timeout=90_000)
            page.get_by_role("link", name=LEADERS_PAGE).click()
            button = page.get_by_role("button", name="导出 Excel")
            button.wait_for(timeout=90_000)
            # the charts draw under the CSP (no eval): vega renders into a canvas or svg
            chart = page.locator(".vega-embed canvas, .vega-embed svg").first
            chart.wait_for(state="attached", timeout=60_000)
            assert (chart.bounding_box() or {}).get("height", 0) > 50
            with page.expect_download(timeout=60_000) as dl:
                button.click()
            media = dl.value.url
            assert "/media/" in media and urlparse(media).hostname == "127.0.0.1"
            assert Path(dl.value.path()).stat().st_size > 1000
            assert "jizhen_session" not in page.evaluate("document.cookie")
            assert context.request.get(media).status == 200  # the logged-in browser

            stranger = browser.new_context()
            assert stranger.request.get(media).status == 401  # no cookie: no file
            stranger.close()
            # another account, logged in: the URL was not shown to its session
            with _client(gw) as other:
                assert _login(gw, "g_staff", client=other).status_code == 303
                assert other.get(urlparse(media).path).status_code == 404
                assert other.get("/_stcore/host-config").status_code == 200  # its session works

            page.get_by_role("button", name="退出登录").click()
            page.wait_for_url("**/auth/login?bye=1", timeout=60_000)
            assert context.request.get(media).status == 401
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert errors == [] and blocked_by_csp == [], (errors, blocked_by_csp)
    outside = [u for u in requests if urlparse(u).hostname != "127.0.0.1"]
    assert outside == []


# A 1×1 PNG: what the stand-in tile server answers for every tile.
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                     "0000000d49444154789c6360f8cfc0f01f0005000201a2d4a4b40000000049454e44ae426082")


@pytest.mark.browser
def test_configured_tiles_load_under_the_csp(gw, tmp_path):
    """With JIZHEN_TILES naming a tile server (here one on another 127.0.0.1 port, i.e. another
    origin), the CSP names that host and the browser loads its tiles; nothing is blocked."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from playwright.sync_api import sync_playwright

    served: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(_PNG)))
            self.end_headers()
            self.wfile.write(_PNG)

        def log_message(self, *args):
            pass

    tile_server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=tile_server.serve_forever, daemon=True).start()
    tiles = f"http://127.0.0.1:{tile_server.server_port}/{{z}}/{{x}}/{{y}}.png"
    proc, port, _internal = start_dashboard(gw["url"], tmp_path / "dashboard.log", JIZHEN_TILES=tiles)
    violations: list[str] = []
    try:
        policy = httpx.get(f"http://127.0.0.1:{port}/auth/login", trust_env=False,
                           timeout=60).headers["content-security-policy"]
        assert policy == csp(tiles)
        assert f"http://127.0.0.1:{tile_server.server_port}" in policy
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS,
                                        headless=True)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                page.on("console", lambda m: "Content Security Policy" in m.text
                        and violations.append(m.text))
                page.route("**/*", lambda route: route.continue_()
                           if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort())
                page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
                page.get_by_label("用户名").fill("g_leader", timeout=60_000)
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
                tile = frame.locator("img.leaflet-tile-loaded").first
                tile.wait_for(state="attached", timeout=90_000)
                assert tile.get_attribute("src").startswith(
                    f"http://127.0.0.1:{tile_server.server_port}/")
            finally:
                browser.close()
    finally:
        stop_dashboard(proc)
        tile_server.shutdown()
    assert served and violations == []
