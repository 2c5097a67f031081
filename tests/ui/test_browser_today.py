"""今日任务 on a phone (390 px wide) in real headless Chromium: a grid worker logs in, lands on
today's route, sees the visits in the route's order with numbered pins on the (offline) map, taps
the first stop and records its visit from the form it opens. Screenshots are saved in the test's
temporary directory (paths printed)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from sqlmodel import select

from grid.access import SYSTEM
from grid.assignments import assign_visits
from grid.day_plan import worker_day
from grid.db import make_engine, session_scope
from grid.frames import households_frame, workers_frame
from grid.models import Visit, VisitAssignment
from tests.conftest import DEMO_TODAY, chromium_path
from tests.ui.test_browser import CHROMIUM_ARGS, _log_in, server  # noqa: F401 (fixture)
from tests.ui.ui_fixtures import ensure_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SAVE = "保存走访记录"
CARE_GAP = "老人、未成年人等无人照料"
N_ASSIGNED = 12


@pytest.fixture(scope="module")
def worker_day_world(server):  # noqa: F811 (the fixture imported above)
    """A grid worker of the first grid with more open visits than fit the day; their route as
    the domain computes it."""
    from grid.users import actor_for, get_user

    engine = make_engine(server["url"])
    try:
        workers = workers_frame(engine, SYSTEM)
        code = server["first_grid"]["code"]
        worker_id = int(workers.loc[workers["grid_code"] == code, "id"].tolist()[3])
        with engine.connect() as c:
            hh = households_frame(c, SYSTEM, personal=True).set_index("id")
        in_grid = hh[hh["grid_code"] == code].index.tolist()[:N_ASSIGNED]
        with session_scope(engine) as s:
            assign_visits(session=s, actor=SYSTEM, household_ids=in_grid[:6], worker_id=worker_id,
                          due_on=DEMO_TODAY, today=DEMO_TODAY)
            assign_visits(session=s, actor=SYSTEM, household_ids=in_grid[6:], worker_id=worker_id,
                          due_on=DEMO_TODAY + timedelta(days=3), today=DEMO_TODAY)
        ensure_user(engine, "b_today", "grid_worker", grids=code, worker_id=worker_id)
        with session_scope(engine) as s:
            actor = actor_for(get_user(s, "b_today"))
        with engine.connect() as c:
            day = worker_day(c, actor, worker_id=worker_id, today=DEMO_TODAY)
    finally:
        engine.dispose()
    return {"day": day, "hh": hh, "worker_id": worker_id}


def test_worker_sees_todays_route_in_order_and_records_from_it(server, worker_day_world,  # noqa: F811
                                                              tmp_path):
    from playwright.sync_api import sync_playwright

    day, hh = worker_day_world["day"], worker_day_world["hh"]
    route = day.route
    assert route.planned and route.dropped  # more than fit the day
    visits = day.visits.set_index("assignment_id")
    expected = [hh.at[int(visits.at[k, "household_id"]), "address"] for k in route.keys]
    first_household = int(visits.at[route.keys[0], "household_id"])
    errors: list[str] = []
    shots = {name: tmp_path / f"{name}.png"
             for name in ("today_route", "today_visit_saved", "today_route_1440")}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
        try:
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda r: r.continue_()
                       if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
            _log_in(page, server["port"], "b_today")
            page.get_by_role("heading", name="今日任务").wait_for(timeout=90_000)
            page.get_by_text("今日路线").wait_for(timeout=90_000)
            # the map: one numbered pin per planned visit, and the start
            page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', state="attached",
                                   timeout=90_000)
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame.locator(".route-pin").first.wait_for(state="attached", timeout=90_000)
            frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=30_000)
            pins = frame.locator(".route-pin").all_inner_texts()
            # the cards, top to bottom: "第 n 户 · address"
            headings = page.locator("p", has_text="户 · ").all_inner_texts()
            page.screenshot(path=str(shots["today_route"]), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")

            page.get_by_role("button", name="登记第 1 户走访").click()
            page.get_by_role("heading", name="走访登记").wait_for(timeout=60_000)
            page.get_by_text(f"住户 {first_household} 的信息").wait_for(timeout=60_000)
            page.get_by_text(CARE_GAP, exact=True).click()
            page.get_by_role("button", name=SAVE).click()
            page.get_by_text(f"已保存住户 {first_household}").wait_for(timeout=60_000)
            page.screenshot(path=str(shots["today_visit_saved"]), full_page=True)

            # back on today's route (desktop width): the visited household has left it
            page.set_viewport_size({"width": 1440, "height": 900})
            page.get_by_role("link", name="返回今日任务").click()
            page.get_by_role("heading", name="今日任务").wait_for(timeout=60_000)
            page.get_by_text("今日路线").wait_for(timeout=60_000)
            page.get_by_role("button", name="登记第 1 户走访").wait_for(timeout=60_000)
            after = page.locator("p", has_text="户 · ").all_inner_texts()
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame.locator(".route-pin").first.wait_for(state="visible", timeout=60_000)
            frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=30_000)
            page.screenshot(path=str(shots["today_route_1440"]), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    print("\nscreenshots:", *[str(v) for v in shots.values()])

    assert errors == []
    assert width <= PHONE["width"]  # nothing wider than the phone
    assert sorted(pins) == sorted(["起", *[str(i) for i in range(1, len(route.planned) + 1)]])
    cards = [h for h in headings if h.startswith("第 ")]
    after_cards = [h.split(" · ", 1)[1] for h in after if h.startswith("第 ")]
    assert after_cards and expected[0] not in after_cards
    assert [c.split(" · ", 1)[1] for c in cards] == expected
    assert [c.split(" · ", 1)[0] for c in cards] == [f"第 {i} 户" for i in range(1, len(expected) + 1)]
    engine = make_engine(server["url"])
    try:
        with session_scope(engine) as s:
            saved = s.exec(select(Visit).where(Visit.household_id == first_household,
                                               Visit.visited_on == DEMO_TODAY)).all()
            assert len(saved) == 1 and saved[0].care_gap
            assert saved[0].worker_id == worker_day_world["worker_id"]
            assert saved[0].idempotency_key
            assert s.get(VisitAssignment, route.keys[0]).status == "done"
    finally:
        engine.dispose()
