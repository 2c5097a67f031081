"""The supervisor's day in real headless Chromium: on 走访派单 a supervisor ticks households in the
worklist table itself, picks a part-time worker who is near capacity, sees the load warning,
confirms and assigns; the map's visit-status layer (its legend counts) changes after a visit.
Screenshots of the map, 走访派单 and 领导看板 at 1440 and 390 px are saved in the test's temporary
directory (paths printed); on a phone the sidebar closes after a page is chosen."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from sqlmodel import select

from grid.access import SYSTEM, Actor, Role
from grid.assignments import assign_visits
from grid.db import make_engine, session_scope
from grid.frames import households_frame, workers_frame
from grid.models import VisitAssignment
from tests.conftest import DEMO_TODAY, chromium_path
from tests.ui.dashboard_fixtures import make_demo_db
from tests.ui.test_browser import CHROMIUM_ARGS, _log_in, start_dashboard, stop_dashboard
from tests.ui.ui_fixtures import ensure_user

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# a phone's browser says so in its user agent (Streamlit closes the sidebar after a page is chosen
# when the device is a phone: the user agent, not the window width, decides)
PHONE_UA = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Mobile Safari/537.36")
FOLIUM = 'iframe[title="streamlit_folium.st_folium"]'


@pytest.fixture(scope="module")
def sup_world(tmp_path_factory):
    """The dashboard with a supervisor of the first grid whose part-time worker is one visit
    short of capacity (29 open visits of a monthly capacity of 30, minus their recent visits)."""
    tmp = tmp_path_factory.mktemp("browser_sup")
    url = make_demo_db(tmp / "jizhen.db")
    engine = make_engine(url)
    try:
        hh = households_frame(engine, SYSTEM)
        code = sorted(hh["grid_code"].unique())[0]
        workers = workers_frame(engine, SYSTEM)
        part = workers[(workers.grid_code == code) & (workers.employment == "part_time")]
        worker = part.iloc[0]
        sup = Actor("bs_sup", Role.GRID_SUPERVISOR, frozenset({code}))
        from grid.frames import visits_frame

        visits = visits_frame(engine, SYSTEM, since=DEMO_TODAY - timedelta(days=29), until=DEMO_TODAY)
        v30 = int((visits["worker_id"] == int(worker["id"])).sum())
        recent = set(visits["household_id"])
        ids = hh.loc[hh.grid_code == code, "id"].astype(int).tolist()
        # recently visited households first (they are not on the worklist), then others
        ids.sort(key=lambda h: (h not in recent, -h))
        load = ids[: max(0, 29 - v30)]  # load + 2 more > 30
        with session_scope(engine) as s:
            assign_visits(session=s, actor=SYSTEM, household_ids=load, worker_id=int(worker["id"]),
                          due_on=DEMO_TODAY + timedelta(days=10), today=DEMO_TODAY)
        ensure_user(engine, "bs_sup", "grid_supervisor", grids=code)
        ensure_user(engine, "bs_leader", "township_leader")
    finally:
        engine.dispose()
    proc, port, _ = start_dashboard(url, tmp / "dashboard.log")
    try:
        yield {"port": port, "url": url, "code": code, "worker": worker, "sup": sup}
    finally:
        stop_dashboard(proc)


def _legend_counts(page) -> dict[str, int]:
    """The visit-status section of the map's one legend: {status label: count}."""
    frame = page.frame_locator(FOLIUM)
    legend = frame.locator(".jizhen-legend")
    legend.wait_for(state="attached", timeout=90_000)
    text = legend.inner_text()
    return {k: int(v) for k, v in re.findall(r"(派单已超期|从未走访|90天以上未走访|30–90天未走访)：(\d+)", text)}


def _wait_map(page) -> None:
    page.wait_for_selector(FOLIUM, state="attached", timeout=90_000)
    frame = page.frame_locator(FOLIUM)
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=90_000)
    frame.locator(".jizhen-grid-label").first.wait_for(state="attached", timeout=30_000)
    frame.locator(".jizhen-legend").wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(2500)  # fitBounds' zoom animation and the clusters settle


def _click_rows(page, rows: list[int]) -> None:
    """Tick rows of the worklist (the first table on the page) by their row box."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    for i in rows:
        page.mouse.click(box["x"] + 18, box["y"] + 36 + 35 * i + 17)
        page.wait_for_timeout(400)


def test_supervisor_assigns_from_the_worklist_with_a_capacity_warning(sup_world, tmp_path):
    from playwright.sync_api import sync_playwright

    port, worker = sup_world["port"], sup_world["worker"]
    errors: list[str] = []
    shots = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        try:
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda r: r.continue_()
                       if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
            _log_in(page, port, "bs_sup")
            page.get_by_role("heading", name="网格地图").wait_for(timeout=90_000)
            _wait_map(page)
            before = _legend_counts(page)
            shots["map_1440"] = tmp_path / "map_1440.png"
            page.screenshot(path=str(shots["map_1440"]), full_page=True)

            page.goto(f"http://127.0.0.1:{port}/assign", wait_until="domcontentloaded")
            page.get_by_role("heading", name="待走访名单").wait_for(timeout=90_000)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            page.get_by_text("只看未派单住户").click()
            page.wait_for_timeout(1500)
            _click_rows(page, [0, 1])
            page.get_by_text("已选 2 户").wait_for(timeout=30_000)
            selected = page.get_by_text("已选 2 户").inner_text()
            picked = [int(x) for x in re.findall(r"\d+", selected.split("：", 1)[1])]
            # the part-time worker: their load against capacity is shown before confirming
            box = page.get_by_role("combobox", name=re.compile("派给网格员"))
            box.scroll_into_view_if_needed()
            box.click()
            page.keyboard.type(str(worker["name"]))
            page.get_by_role("option", name=re.compile(re.escape(str(worker["name"])))).first.click()
            page.get_by_text("超出该网格员的月走访能力").wait_for(timeout=30_000)
            assert page.get_by_text(re.compile(r"派单后负荷：\d+ / 月走访能力 30")).count() == 1
            page.get_by_text("超出该网格员的月走访能力").scroll_into_view_if_needed()
            shots["assign_warning_1440"] = tmp_path / "assign_warning_1440.png"
            page.screenshot(path=str(shots["assign_warning_1440"]), full_page=True)
            page.get_by_text("确认超出能力派单").click()
            page.get_by_role("button", name="派单（2 户）").click()
            page.get_by_test_id("stAlertContentSuccess").get_by_text(re.compile("已派给 .* 2 户")).wait_for(
                timeout=60_000)  # (a toast may say the same: the alert next to the form counts)
            shots["assign_done_1440"] = tmp_path / "assign_done_1440.png"
            page.screenshot(path=str(shots["assign_done_1440"]), full_page=True)

            # a visit to one of them: the map's visit-status layer counts it
            from grid.visits import VisitObservations, record_visit

            engine = make_engine(sup_world["url"])
            try:
                with session_scope(engine) as s:
                    a = s.exec(select(VisitAssignment).where(
                        VisitAssignment.household_id == picked[0])).one()
                    record_visit(session=s, actor=SYSTEM, assignment_id=a.id,
                                 expected_version=a.version, observations=VisitObservations(),
                                 visited_on=DEMO_TODAY, today=DEMO_TODAY)
                with session_scope(engine) as s:
                    rows = s.exec(select(VisitAssignment).where(
                        VisitAssignment.household_id.in_(picked))).all()
            finally:
                engine.dispose()
            page.goto(f"http://127.0.0.1:{port}/map", wait_until="domcontentloaded")
            page.get_by_role("heading", name="网格地图").wait_for(timeout=90_000)
            _wait_map(page)
            after = _legend_counts(page)

            page.goto(f"http://127.0.0.1:{port}/leaders", wait_until="domcontentloaded")
            page.get_by_text("各网格逐月走势").wait_for(timeout=90_000)
            page.wait_for_timeout(1500)
            shots["leaders_1440"] = tmp_path / "leaders_1440.png"
            page.screenshot(path=str(shots["leaders_1440"]), full_page=True)
            page.get_by_text("各网格逐月走势").scroll_into_view_if_needed()
            page.wait_for_timeout(800)
            shots["leaders_grid_month_1440"] = tmp_path / "leaders_grid_month_1440.png"
            page.screenshot(path=str(shots["leaders_grid_month_1440"]))
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    print("\nscreenshots:", *[str(v) for v in shots.values()])

    assert errors == []
    assert len(rows) == 2 and {r.worker_id for r in rows} == {int(worker["id"])}
    assert sum(after.values()) == sum(before.values()) - 1, (before, after)


def test_pages_on_a_phone_and_the_sidebar_closes_after_choosing_a_page(sup_world, tmp_path):
    from playwright.sync_api import sync_playwright

    port = sup_world["port"]
    errors: list[str] = []
    shots, widths = {}, {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True,
                                user_agent=PHONE_UA)
        try:
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda r: r.continue_()
                       if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
            _log_in(page, port, "bs_leader")
            page.get_by_role("heading", name="网格地图").wait_for(timeout=90_000)
            _wait_map(page)
            legend_open = page.frame_locator(FOLIUM).locator(".jizhen-legend details").get_attribute("open")
            shots["map_390"] = tmp_path / "map_390.png"
            page.screenshot(path=str(shots["map_390"]), full_page=True)
            widths["map"] = page.evaluate("document.documentElement.scrollWidth")
            # choose a page in the sidebar: it closes again on a phone
            page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button').first.click()
            sidebar = page.locator('[data-testid="stSidebar"]')
            page.wait_for_timeout(800)
            right = "(() => { const e = document.querySelector('[data-testid=\"stSidebar\"]');" \
                    " return e ? e.getBoundingClientRect().right : 0; })()"
            opened = page.evaluate(right)
            sidebar.get_by_role("link", name="走访派单").click()
            page.get_by_role("heading", name="待走访名单").wait_for(timeout=90_000)
            page.wait_for_timeout(1200)
            closed = page.evaluate(right)
            shots["assign_390"] = tmp_path / "assign_390.png"
            page.screenshot(path=str(shots["assign_390"]), full_page=True)
            page.locator('[data-testid="stDataFrame"]').first.scroll_into_view_if_needed()
            page.wait_for_timeout(800)
            shots["assign_table_390"] = tmp_path / "assign_table_390.png"
            page.screenshot(path=str(shots["assign_table_390"]))
            widths["assign"] = page.evaluate("document.documentElement.scrollWidth")
            page.goto(f"http://127.0.0.1:{port}/leaders", wait_until="domcontentloaded")
            page.get_by_text("各网格逐月走势").wait_for(timeout=90_000)
            page.wait_for_timeout(1500)
            shots["leaders_390"] = tmp_path / "leaders_390.png"
            page.screenshot(path=str(shots["leaders_390"]), full_page=True)
            page.get_by_text("各网格逐月走势").scroll_into_view_if_needed()
            page.wait_for_timeout(800)
            shots["leaders_grid_month_390"] = tmp_path / "leaders_grid_month_390.png"
            page.screenshot(path=str(shots["leaders_grid_month_390"]))
            widths["leaders"] = page.evaluate("document.documentElement.scrollWidth")
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    print("\nscreenshots:", *[str(v) for v in shots.values()])

    assert errors == []
    assert legend_open is None  # the one legend starts folded on a phone
    assert opened > 200 and closed <= 0, (opened, closed)  # open to choose, closed after
    assert all(w <= PHONE["width"] for w in widths.values()), widths
