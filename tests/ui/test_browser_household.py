"""一户一档 in real headless Chromium: a grid worker records a visit through the visit form on a
phone (390 px), then the household file (`/household?hh=<id>`) shows that visit with what was
typed, for the worker at 390 px and for the grid's supervisor at 1440 px. Screenshots of both
widths are written to the test's tmp_path (printed), to be looked at."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest

from grid.access import SYSTEM
from grid.assignments import assign_visits
from grid.db import make_engine, session_scope
from grid.frames import households_frame, workers_frame
from tests.conftest import DEMO_TODAY, chromium_path
from tests.ui.test_browser import CHROMIUM_ARGS, _log_in, server  # noqa: F401 (fixture)
from tests.ui.ui_fixtures import PASSWORD, ensure_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 1000}
INCOME = "人均月收入（元，不清楚可留空）"
NOTES = "情况说明"
SAVE = "保存走访记录"
CARE_GAP = "老人、未成年人等无人照料"
TYPED_NOTES = "一户一档测试：老人独居，子女在外地"


@pytest.fixture(scope="module")
def assigned(server):  # noqa: F811 (the fixture imported above)
    """A grid worker of the first grid with one open assignment (the grid's last household)."""
    engine = make_engine(server["url"])
    try:
        code = server["first_grid"]["code"]
        workers = workers_frame(engine, SYSTEM)
        worker_id = int(workers.loc[workers["grid_code"] == code, "id"].tolist()[3])
        with engine.connect() as c:
            hh = households_frame(c, SYSTEM)
        household = int(hh[hh["grid_code"] == code]["id"].tolist()[-3])
        with session_scope(engine) as s:
            assign_visits(session=s, actor=SYSTEM, household_ids=[household], worker_id=worker_id,
                          due_on=DEMO_TODAY + timedelta(days=1), today=DEMO_TODAY)
        ensure_user(engine, "hb_worker", "grid_worker", grids=code, worker_id=worker_id)
    finally:
        engine.dispose()
    return {"household": household}


def _guard(page, errors):
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda route: route.continue_()
               if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort())


def _open_visits_tab(page, port, hid):
    page.goto(f"http://127.0.0.1:{port}/household?hh={hid}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="一户一档").wait_for(timeout=90_000)
    page.get_by_text(f"住户 {hid} ·").wait_for(timeout=60_000)
    page.get_by_role("tab", name="走访记录").click()
    page.get_by_text(f"情况说明：{TYPED_NOTES}").wait_for(timeout=30_000)


def test_a_household_link_opened_first_after_a_start_goes_through_the_app(server):  # noqa: F811
    """The first visit of this module's fresh server is a household link (a bookmark after a
    restart): after the login it shows the household file inside the app, with the role's
    navigation and the language switch. With the pages in a folder named pages/, Streamlit served
    that folder as a legacy multipage app (its raw file list: app, admin, assign…), also on
    reload, until someone opened the landing page."""
    from playwright.sync_api import sync_playwright

    port = server["port"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=DESK, locale="zh-CN")
            page.goto(f"http://127.0.0.1:{port}/household?hh=5", wait_until="domcontentloaded")
            page.get_by_label("用户名").fill("b_leader", timeout=90_000)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.get_by_role("heading", name="一户一档").wait_for(timeout=90_000)
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_role("radiogroup", name="语言 / Language").wait_for(timeout=30_000)
            links = sidebar.get_by_role("link").all_inner_texts()
            assert "网格地图" in links and "一户一档" in links, links
            assert not {"app", "admin", "household"} & set(links), links
            assert urlparse(page.url).path == "/household"
        finally:
            browser.close()


def test_the_household_file_shows_a_visit_recorded_through_the_visit_form(server, assigned,  # noqa: F811
                                                                          tmp_path):
    from playwright.sync_api import sync_playwright

    hid, port = assigned["household"], server["port"]
    errors: list[str] = []
    shots = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            phone = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
            _guard(phone, errors)
            _log_in(phone, port, "hb_worker")
            phone.get_by_role("heading", name="今日任务").wait_for(timeout=90_000)
            phone.goto(f"http://127.0.0.1:{port}/visit", wait_until="domcontentloaded")
            phone.get_by_role("heading", name="走访登记").wait_for(timeout=90_000)
            phone.get_by_text(f"住户 {hid} 的信息").wait_for(timeout=60_000)
            phone.get_by_label(INCOME).fill("515")
            phone.get_by_text(CARE_GAP, exact=True).click()
            phone.get_by_label(NOTES).fill(TYPED_NOTES)
            phone.get_by_role("button", name=SAVE).click()
            phone.get_by_text(f"已保存住户 {hid}").wait_for(timeout=60_000)

            # the worker opens the household's file on the phone: the visit is there as typed
            _open_visits_tab(phone, port, hid)
            card = phone.get_by_text(f"情况说明：{TYPED_NOTES}")
            text = card.inner_text()
            assert "发现：无人照料" in text and "人均月收入：515 元" in text
            assert f"{DEMO_TODAY.isoformat()} · 网格员" in phone.inner_text("body")
            card.scroll_into_view_if_needed()
            shots["390"] = tmp_path / "household_390.png"
            phone.screenshot(path=str(shots["390"]), full_page=True)
            phone_width = phone.evaluate("document.documentElement.scrollWidth")

            desk = browser.new_page(viewport=DESK, locale="zh-CN")
            _guard(desk, errors)
            _log_in(desk, port, "b_sup")
            desk.get_by_role("heading", name="网格地图").wait_for(timeout=90_000)
            _open_visits_tab(desk, port, hid)
            shots["1440"] = tmp_path / "household_1440.png"
            desk.screenshot(path=str(shots["1440"]), full_page=True)
            desk.get_by_role("tab", name="时间线").click()
            grid = desk.locator("[data-testid='stDataFrame']:visible").first
            grid.wait_for(timeout=30_000)
            # the timeline holds the visit just recorded (the grid's cells, as its accessible table)
            desk.locator("[role='gridcell']", has_text="发现：无人照料").first.wait_for(
                state="attached", timeout=30_000)
            desk.screenshot(path=str(tmp_path / "household_1440_timeline.png"), full_page=True)
            desk_width = desk.evaluate("document.documentElement.scrollWidth")
        except Exception:
            for name, pg in (("phone", locals().get("phone")), ("desk", locals().get("desk"))):
                if pg is not None:
                    pg.screenshot(path=str(tmp_path / f"failure_{name}.png"), full_page=True)
            raise
        finally:
            browser.close()
    print(f"\nscreenshots: {shots['390']} {shots['1440']} {tmp_path / 'household_1440_timeline.png'}")
    assert errors == []
    assert phone_width <= PHONE["width"]  # nothing wider than the phone
    assert desk_width <= DESK["width"]
