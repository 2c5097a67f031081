"""The login gateway: the only public door of `jizhen dashboard`.

Why it exists. Streamlit's own endpoints cannot set response headers or cookies, so a login done
inside Streamlit can only leave its token in a cookie written by page script — which any script on
the page (one XSS) can read and replay from another browser. So `jizhen dashboard` runs two
supervised children (jizhen.supervise):

    browser ──► gateway (public --host:--port, this module, Starlette on uvicorn)
                   │  /auth/login, /auth/logout, /auth/static/*  served here
                   └─► Streamlit on 127.0.0.1:<internal port> (HTTP via httpx, WebSocket via websockets)

What the gateway does:

* Login. GET /auth/login is a plain HTML form (Chinese first, `?lang=en` switches to English;
  no script). POST /auth/login checks a CSRF token (double submit: a random value in the
  HttpOnly cookie `jizhen_csrf` and in a hidden field, both required and equal) and the Origin,
  then calls jizhen.users.login with client = the real remote address (which only the gateway
  knows). Failures show the service's own uniform message (no username enumeration). Success
  opens a server-side session (jizhen.users.sessions.open_session: the database keeps only the
  token's SHA-256) and sets `jizhen_session` = the token, HttpOnly; SameSite=Strict; Path=/
  (Secure when the request came over https) — a browser-session cookie: the idle expiry
  (JIZHEN_SESSION_MINUTES) is enforced by the server, which slides it on every page load,
  websocket and Streamlit rerun.
* POST /auth/logout (same origin only) revokes the server-side session (audited as user.logout)
  and expires the cookie; the dashboard's 退出登录 button is a plain HTML form posting here.
* Every other path needs a valid session (resume_session: not revoked, not expired, account
  enabled and not locked): Streamlit's page and assets, downloads (/media/*), uploads
  (/_stcore/upload_file), components and the WebSocket (/_stcore/stream). Without one, a page
  request is redirected to /auth/login and anything else gets 401; the WebSocket is refused
  before it opens. Only /_stcore/health is public. /_stcore/metrics is refused (404).
* Downloads (/media/<id>) are served only to the login session whose WebSocket was sent that
  URL (MediaOwners: the gateway reads the media URLs in Streamlit's messages to that browser):
  a URL passed to another account, or computed from a file's content (Streamlit's ids are
  content hashes), gets 404; after logout, or when Streamlit drops the file, it is gone.
* Headers on every response: X-Frame-Options: SAMEORIGIN, Content-Security-Policy (see csp():
  default-src 'self'; the tile host only when JIZHEN_TILES names one), X-Content-Type-Options:
  nosniff, Referrer-Policy: same-origin.

Streamlit itself (dashboard/auth.py) reads the token from the WebSocket request's cookies
(st.context.cookies) and resumes the same server-side session on every run; no page script ever
sees the token. Streamlit listens on 127.0.0.1 only: anyone who can open connections on the
server itself can reach it directly (the machine's local accounts are trusted).
Behind a TLS terminator on the same machine, uvicorn takes X-Forwarded-For/-Proto from 127.0.0.1
(its default), so the client address and the Secure flag follow the real request.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import posixpath
import re
import secrets
import threading
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Iterable
from urllib.parse import parse_qs, quote, urlencode, urlparse

COOKIE_NAME = "jizhen_session"       # the login token (HttpOnly; only the servers read it)
CSRF_COOKIE = "jizhen_csrf"          # the login form's double-submit token
LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
STATIC_PREFIX = "/auth/static/"
PUBLIC_PATHS = frozenset({"/_stcore/health"})  # judged on the normalized path
REFUSED_PREFIXES = ("/_stcore/metrics",)
WEBSOCKET_PATH = "/_stcore/stream"
MAX_FORM_BYTES = 8 * 1024
STATIC_DIR = Path(__file__).resolve().parent / "static" / "gateway"
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host"})
# Request headers the gateway sets itself (a client's own values are dropped).
FORWARDED_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                               "x-real-ip", "forwarded"})
# Headers the gateway owns on every response (Streamlit's own, if any, are replaced).
OWN_HEADERS = frozenset({"x-frame-options", "content-security-policy", "x-content-type-options",
                         "referrer-policy"})

# --- texts: Chinese first, English on request ---------------------------------------------------
TEXTS = {
    "zh": {
        "lang": "zh-CN", "title": "登录 · 急诊网格化急难救助", "heading": "急诊 · 网格化急难救助",
        "sub": "登录", "username": "用户名", "password": "密码", "submit": "登录",
        "switch": "English", "switch_lang": "en", "empty": "请输入用户名和密码",
        "expired_form": "登录页面已过期，请重新输入后登录",
        "logged_out": "已退出登录", "need_login": "请先登录",
    },
    "en": {
        "lang": "en", "title": "Sign in · Jizhen", "heading": "Jizhen · grid emergency assistance",
        "sub": "Sign in", "username": "Username", "password": "Password", "submit": "Sign in",
        "switch": "中文", "switch_lang": "zh", "empty": "Enter your username and password",
        "expired_form": "The sign-in page expired; please sign in again",
        "logged_out": "You have signed out", "need_login": "Please sign in first",
    },
}
NOT_LOGGED_IN = "未登录或登录已过期，请先登录 (not logged in)"
FORBIDDEN_ORIGIN = "请求来源不符 (cross-origin request refused)"
NOT_FOUND = "页面不存在 (not found)"
UPSTREAM_DOWN = "看板服务暂不可用，请稍后重试 (dashboard unavailable)"


def _hint(lang: str) -> str:
    """The hint under the form: the login service's own text, or the same facts in English."""
    from jizhen.users.login import LOCKOUT, LOGIN_HINT, MAX_FAILED_ATTEMPTS

    if lang != "en":
        return LOGIN_HINT
    return (f"Use the account your administrator gave you. {MAX_FAILED_ATTEMPTS} wrong passwords "
            f"in a row lock it for {int(LOCKOUT.total_seconds() // 60)} minutes.")


def _lang(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def login_message(result, lang: str) -> str:
    """Why a login was refused, in the form's language. Chinese: jizhen.users.login's own
    message. English: the same refusal, told by which of login's refusals it is (its message
    constants and the lock's end), never by reading the Chinese text; a refusal this does not
    know keeps login's message."""
    from jizhen.users.login import (BAD_CREDENTIALS, DISABLED, LOCKED_NOW, LOCKOUT,
                                    MAX_FAILED_ATTEMPTS)

    if _lang(lang) != "en":
        return result.message
    minutes = int(LOCKOUT.total_seconds() // 60)
    if result.locked_until is not None:
        left = max(1, int((result.locked_until - _Sessions.now()).total_seconds() + 59) // 60)
        if result.message == LOCKED_NOW:
            left = minutes
        return (f"Too many failed sign-ins: the account is locked; try again in {left} minutes, "
                f"or ask an administrator to reset the password")
    if result.message == BAD_CREDENTIALS:
        return (f"Wrong username or password ({MAX_FAILED_ATTEMPTS} wrong passwords in a row lock "
                f"the account for {minutes} minutes)")
    if result.message == DISABLED:
        return "This account is disabled; contact your administrator"
    return result.message


# --- pure rules (tested without a server) --------------------------------------------------------
def tile_sources(tiles: str) -> list[str]:
    """The CSP sources the map's basemap needs for JIZHEN_TILES (none: nothing beyond 'self')."""
    if tiles in ("", "none"):
        return []
    if tiles == "osm":
        return ["https://tile.openstreetmap.org"]
    if tiles in ("tianditu_vec", "tianditu_img"):
        from dashboard.maps import TIANDITU  # the one definition of the Tianditu URL

        template = TIANDITU
    elif tiles.startswith(("http://", "https://")):
        template = tiles
    else:
        return []
    parsed = urlparse(template.replace("{s}", "subdomain"))
    host = parsed.hostname or ""
    labels = host.split(".")
    # "{s}" anywhere in the first label (t{s}.tianditu.gov.cn): any subdomain of the rest
    if "{s}" in template.split("://", 1)[1].split("/", 1)[0] and len(labels) > 2:
        host = "*." + ".".join(labels[1:])
    port = f":{parsed.port}" if parsed.port else ""
    return [f"{parsed.scheme}://{host}{port}"]


def csp(tiles: str = "none") -> str:
    """The Content-Security-Policy for every response. Streamlit needs inline styles (emotion)
    and the map component (folium's generated page) inline scripts; no eval (the charts draw
    without it); everything else is same-origin. Images may come from the tile host when tiles
    are configured. tests/ui/test_browser.py and test_gateway.py fail on any CSP violation."""
    img = " ".join(["'self'", "data:", "blob:", *tile_sources(tiles)])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {img}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob: data:",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ])


def security_headers(tiles: str = "none") -> list[tuple[str, str]]:
    return [("X-Frame-Options", "SAMEORIGIN"), ("Content-Security-Policy", csp(tiles)),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]


def safe_next(value: str | None) -> str:
    """Where to go after login: a local path only (never another host, never the auth pages)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc or parsed.path.startswith("/auth/"):
        return "/"
    return value


def session_cookie(token: str, *, secure: bool) -> str:
    """The Set-Cookie value of a login: HttpOnly, SameSite=Strict, Path=/ (Secure over https)."""
    parts = [f"{COOKIE_NAME}={token}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def expired_cookie(name: str = COOKIE_NAME, *, path: str = "/", secure: bool = False) -> str:
    parts = [f"{name}=", f"Path={path}", "Max-Age=0", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def normalized_path(path: str) -> str:
    """The request path with "." / ".." segments and repeated slashes resolved (a trailing slash
    kept): what the refusal and the public exemptions are judged on, and what is forwarded."""
    if not path.startswith("/"):
        path = "/" + path
    clean = "/" + posixpath.normpath(path).lstrip("/")
    if clean == "/.":
        clean = "/"
    if path.endswith("/") and not clean.endswith("/"):
        clean += "/"
    return clean


def is_refused(path: str) -> bool:
    """Paths nobody gets, logged in or not (Streamlit's metrics)."""
    return normalized_path(path).lower().startswith(REFUSED_PREFIXES)


def same_origin(origin: str | None, host: str | None, scheme: str) -> bool:
    """A state-changing request must come from our own pages: Origin equals this host (a
    browser always sends Origin on a form POST and a WebSocket; a missing one is refused)."""
    if not origin or not host or origin == "null":
        return False
    parsed = urlparse(origin)
    return parsed.netloc == host and parsed.scheme == scheme


def login_page(lang: str = "zh", *, message: str = "", notice: str = "", csrf: str = "",
               username: str = "", next_path: str = "/") -> str:
    """The login form (no script; every value escaped)."""
    t = TEXTS[_lang(lang)]
    e = html.escape
    switch_q = urlencode({"lang": t["switch_lang"], "next": next_path})
    error = f'<p class="error" role="alert">{e(message)}</p>' if message else ""
    info = f'<p class="notice" role="status">{e(notice)}</p>' if notice else ""
    return f"""<!doctype html>
<html lang="{t['lang']}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(t['title'])}</title>
<link rel="stylesheet" href="{STATIC_PREFIX}login.css">
</head>
<body>
<main class="card">
<nav class="lang"><a href="{LOGIN_PATH}?{e(switch_q)}">{e(t['switch'])}</a></nav>
<h1>{e(t['heading'])}</h1>
<h2>{e(t['sub'])}</h2>
{info}{error}
<form method="post" action="{LOGIN_PATH}" autocomplete="on">
<input type="hidden" name="csrf" value="{e(csrf)}">
<input type="hidden" name="next" value="{e(next_path)}">
<input type="hidden" name="lang" value="{_lang(lang)}">
<label for="username">{e(t['username'])}</label>
<input id="username" name="username" type="text" autocomplete="username" required
       maxlength="64" value="{e(username)}" autofocus>
<label for="password">{e(t['password'])}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
       maxlength="200">
<button type="submit">{e(t['submit'])}</button>
</form>
<p class="hint">{e(_hint(_lang(lang)))}</p>
</main>
</body>
</html>
"""


# --- downloads belong to the login that was shown them ------------------------------------------
MEDIA_PREFIX = "/media/"
# A media URL as Streamlit writes it into its messages (a string inside the protobuf bytes).
MEDIA_URL = re.compile(rb"/media/([0-9A-Za-z_-]{8,128})(?:\.[0-9A-Za-z]{1,12})?")


def media_id(path: str) -> str | None:
    """The file id of a /media/<id>.<ext> path (None for anything else)."""
    if not path.startswith(MEDIA_PREFIX):
        return None
    name = path[len(MEDIA_PREFIX):]
    if "/" in name or not name:
        return None
    return name.split(".", 1)[0] or None


class MediaOwners:
    """Which login sessions (by token hash) were sent each media URL over their WebSocket. A
    download is served only to a session that was shown it: a URL copied to another login (or
    computed from a file's known content, Streamlit's ids are content hashes) is refused.
    Bounded: the oldest ids are forgotten first (Streamlit drops unused files anyway)."""

    def __init__(self, limit: int = 20000):
        self._owners: OrderedDict[str, set[str]] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def grant_from(self, message: bytes, owner: str) -> int:
        ids = {m.group(1).decode("ascii") for m in MEDIA_URL.finditer(message)}
        with self._lock:
            for file_id in ids:
                self._owners.setdefault(file_id, set()).add(owner)
                self._owners.move_to_end(file_id)
            while len(self._owners) > self._limit:
                self._owners.popitem(last=False)
        return len(ids)

    def allowed(self, file_id: str, owner: str | None) -> bool:
        with self._lock:
            return owner is not None and owner in self._owners.get(file_id, ())

    def forget_owner(self, owner: str) -> None:
        with self._lock:
            for owners in self._owners.values():
                owners.discard(owner)


def _owner(token: str | None) -> str | None:
    from jizhen.users import token_hash

    return token_hash(token) if token and len(token) <= 200 else None


# --- the server ----------------------------------------------------------------------------------
class _Sessions:
    """The database side: login, sessions. Sync code, run in the thread pool."""

    def __init__(self, engine=None):
        self._engine = engine

    @property
    def engine(self):
        if self._engine is None:
            from jizhen.db import make_engine
            from jizhen.settings import get_settings

            self._engine = make_engine(get_settings().database_url)
        return self._engine

    @staticmethod
    def minutes() -> int:
        from jizhen.settings import get_settings

        return max(1, get_settings().session_minutes)

    @staticmethod
    def now() -> datetime:
        from grid.geotypes import utcnow

        return utcnow()

    def login(self, username: str, password: str, client: str | None):
        """(AuthResult, token or None): jizhen.users.login, then a new server-side session."""
        from jizhen.db import session_scope
        from jizhen.users import login, open_session

        result = login(self.engine, username, password, client=client)
        if not result.ok:
            return result, None
        with session_scope(self.engine) as session:
            token = open_session(session, result.actor, self.now(), self.minutes())
        return result, token

    def valid(self, token: str | None, *, slide: bool) -> bool:
        """Is `token` a live session? resume_session is the one rule; its sliding of the expiry
        is kept only when `slide` (page loads, the WebSocket), rolled back for assets."""
        from sqlmodel import Session

        from jizhen.users import resume_session

        if not token or len(token) > 200:
            return False
        with Session(self.engine) as session:
            user = resume_session(session, token, self.now(), self.minutes())
            if user is not None and slide:
                session.commit()
            else:
                session.rollback()
            return user is not None

    def logout(self, token: str | None) -> bool:
        from jizhen.db import session_scope
        from jizhen.users import revoke_session

        if not token or len(token) > 200:
            return False
        with session_scope(self.engine) as session:
            return revoke_session(session, token, reason="退出登录")


def create_app(upstream: str, *, engine=None, tiles: str | None = None):
    """The gateway's ASGI app in front of the Streamlit server at `upstream` (http://host:port)."""
    import httpx
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    if tiles is None:
        from jizhen.settings import get_settings

        tiles = get_settings().tiles
    upstream = upstream.rstrip("/")
    ws_upstream = "ws" + upstream[len("http"):]
    sessions = _Sessions(engine)
    media = MediaOwners()
    own_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                   for k, v in security_headers(tiles)]
    state: dict = {}

    def client() -> "httpx.AsyncClient":
        if "http" not in state:
            state["http"] = httpx.AsyncClient(base_url=upstream, trust_env=False, timeout=None,
                                              follow_redirects=False)
        return state["http"]

    def _secure(request) -> bool:
        return request.url.scheme in ("https", "wss")

    def _form_page(request: Request, lang: str, *, message: str = "", notice: str = "",
                   username: str = "", next_path: str = "/", status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        page = login_page(lang, message=message, notice=notice, csrf=token, username=username,
                          next_path=next_path)
        response = HTMLResponse(page, status_code=status,
                                headers={"Cache-Control": "no-store"})
        response.headers.append("set-cookie", "; ".join(
            [f"{CSRF_COOKIE}={token}", f"Path={LOGIN_PATH}", "HttpOnly", "SameSite=Strict"]
            + (["Secure"] if _secure(request) else [])))
        return response

    async def login_get(request: Request) -> Response:
        q = request.query_params
        lang = _lang(q.get("lang"))
        notice = TEXTS[lang]["logged_out"] if q.get("bye") == "1" else ""
        if q.get("expired") == "1":
            notice = TEXTS[lang]["need_login"]
        return _form_page(request, lang, notice=notice, next_path=safe_next(q.get("next")))

    async def login_post(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return PlainTextResponse("请求过大 (request too large)", status_code=413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                               keep_blank_values=True).items()}
        lang = _lang(form.get("lang"))
        next_path = safe_next(form.get("next"))
        username = (form.get("username") or "").strip()[:64]
        password = form.get("password") or ""
        if not same_origin(request.headers.get("origin"), request.headers.get("host"),
                           request.url.scheme):
            return PlainTextResponse(FORBIDDEN_ORIGIN, status_code=403)
        expected = request.cookies.get(CSRF_COOKIE) or ""
        given = form.get("csrf") or ""
        if not expected or not secrets.compare_digest(expected.encode(), given.encode()):
            return _form_page(request, lang, message=TEXTS[lang]["expired_form"],
                              username=username, next_path=next_path, status=400)
        if not username or not password:
            return _form_page(request, lang, message=TEXTS[lang]["empty"], username=username,
                              next_path=next_path, status=400)
        result, token = await run_in_threadpool(
            sessions.login, username, password, request.client.host if request.client else None)
        del password
        if token is None:
            return _form_page(request, lang, message=login_message(result, lang), username=username,
                              next_path=next_path, status=401)
        response = RedirectResponse(next_path, status_code=303)
        response.headers.append("set-cookie", session_cookie(token, secure=_secure(request)))
        response.headers.append("set-cookie", expired_cookie(CSRF_COOKIE, path=LOGIN_PATH,
                                                             secure=_secure(request)))
        response.headers["Cache-Control"] = "no-store"
        return response

    async def logout_post(request: Request) -> Response:
        if not same_origin(request.headers.get("origin"), request.headers.get("host"),
                           request.url.scheme):
            return PlainTextResponse(FORBIDDEN_ORIGIN, status_code=403)
        token = request.cookies.get(COOKIE_NAME)
        await run_in_threadpool(sessions.logout, token)
        owner = _owner(token)
        if owner:
            media.forget_owner(owner)
        response = RedirectResponse(f"{LOGIN_PATH}?bye=1", status_code=303)
        response.headers.append("set-cookie", expired_cookie(secure=_secure(request)))
        response.headers["Cache-Control"] = "no-store"
        return response

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        path = (STATIC_DIR / name).resolve()
        if path.parent != STATIC_DIR or not path.is_file():
            return PlainTextResponse(NOT_FOUND, status_code=404)
        return FileResponse(path)

    def _is_page(request: Request) -> bool:
        dest = request.headers.get("sec-fetch-dest")
        if dest:
            return dest == "document"
        return request.method == "GET" and "text/html" in request.headers.get("accept", "")

    async def proxy(request: Request) -> Response:
        path = normalized_path(request.url.path)
        if is_refused(path):
            return PlainTextResponse(NOT_FOUND, status_code=404)
        if path not in PUBLIC_PATHS:
            token = request.cookies.get(COOKIE_NAME)
            page = _is_page(request)
            if not await run_in_threadpool(sessions.valid, token, slide=page):
                if page and request.method in ("GET", "HEAD"):
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    response = RedirectResponse(
                        f"{LOGIN_PATH}?next={quote(safe_next(target), safe='')}"
                        + ("&expired=1" if token else ""), status_code=303)
                else:
                    response = PlainTextResponse(NOT_LOGGED_IN, status_code=401)
                if token:
                    response.headers.append("set-cookie", expired_cookie(secure=_secure(request)))
                response.headers["Cache-Control"] = "no-store"
                return response
            file_id = media_id(path)
            if file_id is not None and not media.allowed(file_id, _owner(token)):
                return PlainTextResponse(NOT_FOUND, status_code=404)
        headers = [(k, v) for k, v in request.headers.items()
                   if k.lower() not in HOP_BY_HOP and k.lower() not in FORWARDED_HEADERS]
        if request.client:
            headers.append(("x-forwarded-for", request.client.host))
        headers.append(("x-forwarded-proto", request.url.scheme))
        body = request.stream() if request.method not in ("GET", "HEAD") else None
        target = quote(path, safe="/:@!$&'()*+,;=-._~") + (
            f"?{request.url.query}" if request.url.query else "")
        req = client().build_request(request.method, target, headers=headers, content=body)
        try:
            resp = await client().send(req, stream=True)
        except httpx.HTTPError:
            return PlainTextResponse(UPSTREAM_DOWN, status_code=502)
        response = StreamingResponse(resp.aiter_raw(), status_code=resp.status_code,
                                     background=BackgroundTask(resp.aclose))
        response.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                for k, v in resp.headers.multi_items()
                                if k.lower() not in HOP_BY_HOP and k.lower() not in OWN_HEADERS]
        return response

    async def websocket_proxy(websocket: WebSocket) -> None:
        import websockets
        from websockets.asyncio.client import connect

        headers = websocket.headers
        scheme = "https" if websocket.url.scheme == "wss" else "http"
        if (not same_origin(headers.get("origin"), headers.get("host"), scheme)
                or not await run_in_threadpool(sessions.valid,
                                               websocket.cookies.get(COOKIE_NAME), slide=True)):
            await websocket.close(code=1008)  # before accept: the handshake gets 403
            return
        target = ws_upstream + websocket.url.path + (
            f"?{websocket.url.query}" if websocket.url.query else "")
        forward = [("Cookie", headers["cookie"])] if "cookie" in headers else []
        if websocket.client:
            forward.append(("X-Forwarded-For", websocket.client.host))
        try:
            upstream_ws = await connect(target, subprotocols=websocket.scope.get("subprotocols")
                                        or None, additional_headers=forward, max_size=None,
                                        proxy=None, compression=None, ping_interval=None,
                                        open_timeout=30)
        except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
            await websocket.close(code=1011)
            return
        await websocket.accept(subprotocol=upstream_ws.subprotocol)
        owner = _owner(websocket.cookies.get(COOKIE_NAME))

        async def browser_to_streamlit():
            try:
                while True:
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    data = message.get("bytes")
                    await upstream_ws.send(data if data is not None else message.get("text", ""))
            except (WebSocketDisconnect, websockets.ConnectionClosed):
                pass

        async def streamlit_to_browser():
            try:
                async for data in upstream_ws:
                    if isinstance(data, bytes):
                        if b"/media/" in data:
                            media.grant_from(data, owner)
                        await websocket.send_bytes(data)
                    else:
                        await websocket.send_text(data)
            except (WebSocketDisconnect, websockets.ConnectionClosed, RuntimeError):
                pass

        tasks = [asyncio.create_task(browser_to_streamlit()),
                 asyncio.create_task(streamlit_to_browser())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await upstream_ws.close()
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        if "http" in state:
            await state["http"].aclose()

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    app = Starlette(routes=[
        Route(LOGIN_PATH, login_get, methods=["GET", "HEAD"]),
        Route(LOGIN_PATH, login_post, methods=["POST"]),
        Route(LOGOUT_PATH, logout_post, methods=["POST"]),
        Route(STATIC_PREFIX + "{name}", static, methods=["GET", "HEAD"]),
        WebSocketRoute(WEBSOCKET_PATH, websocket_proxy),
        Route("/{path:path}", proxy, methods=methods),
    ], lifespan=lifespan)
    return _HeadersMiddleware(app, own_headers)


class _HeadersMiddleware:
    """Adds the security headers to every HTTP response (replacing any of the same name)."""

    def __init__(self, app, headers: Iterable[tuple[bytes, bytes]]):
        self.app = app
        self.headers = list(headers)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", [])
                        if k.lower().decode("latin-1") not in OWN_HEADERS]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def serve(host: str, port: int, upstream_port: int) -> None:
    """Run the gateway (blocking) in front of Streamlit on 127.0.0.1:upstream_port."""
    import uvicorn

    app = create_app(f"http://127.0.0.1:{upstream_port}")
    uvicorn.run(app, host=host, port=port, log_level="warning", ws="websockets-sansio",
                ws_max_size=64 * 1024 * 1024, ws_ping_interval=None, timeout_graceful_shutdown=5)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="急诊看板登录网关 (the dashboard's login gateway)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.upstream_port)


if __name__ == "__main__":
    main()
