"""The interactive API docs work offline: /docs and everything it loads come from this server
(Swagger UI vendored under jizhen/api/static with its licence), checked in headless Chromium."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from jizhen.db import init_db, make_engine
from tests.api_fixtures import ApiServer
from tests.conftest import chromium_path

STATIC = Path(__file__).resolve().parents[2] / "jizhen" / "api" / "static" / "swagger-ui"


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('apidocs') / 'docs.db'}"
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    server = ApiServer(url)
    yield server
    server.stop()


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


def test_docs_page_refers_only_to_this_server(docs_server):
    r = requests.get(docs_server.url + "/docs", timeout=10)
    assert r.status_code == 200
    parser = _Refs()
    parser.feed(r.text)
    assert parser.refs, "the docs page loads its script and styles"
    for ref in parser.refs:
        assert ref.startswith("/static/"), ref
        assert requests.get(docs_server.url + ref, timeout=10).status_code == 200
    assert not re.search(r"https?://(?!127\.0\.0\.1)", r.text.replace("http://www.w3.org", ""))
    assert "validatorUrl" in r.text and "null" in r.text  # no badge fetched from a validator site


def test_vendored_swagger_ui_has_its_licence():
    assert "Apache License" in (STATIC / "LICENSE").read_text("utf-8")
    assert (STATIC / "swagger-ui-bundle.js").stat().st_size > 100_000


@pytest.mark.browser
def test_docs_render_offline_in_a_browser(docs_server):
    from playwright.sync_api import sync_playwright

    seen: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True,
                                    args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda req: seen.append(req.url))
            page.goto(docs_server.url + "/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            blocks = page.locator(".opblock").count()
            text = page.inner_text("body")
        finally:
            browser.close()
    assert blocks >= 6  # discovery, services, definition, POST, GET requests, GET one
    assert "open311" in text
    outside = [u for u in seen if not u.startswith(docs_server.url) and not u.startswith("data:")]
    assert outside == []
