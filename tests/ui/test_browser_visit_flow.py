"""走访登记 on a phone (390 px wide) in real headless Chromium: a grid worker logs in through the
login form and records two households in a row; each household's stored visit holds exactly what
was typed for it (income included; the second household's income left empty = unknown), and a
double tap on 保存 records the second household once."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from sqlmodel import select

from grid.access import SYSTEM
from grid.assignments import assign_visits
from grid.db import make_engine, session_scope
from grid.frames import VISIT_FLAGS, households_frame, workers_frame
from grid.models import Visit, VisitAssignment
from tests.conftest import DEMO_TODAY, chromium_path
from tests.ui.test_browser import CHROMIUM_ARGS, _log_in, server  # noqa: F401 (fixture)
from tests.ui.ui_fixtures import ensure_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
INCOME = "人均月收入（元，不清楚可留空）"
NOTES = "情况说明"
SAVE = "保存走访记录"
CARE_GAP = "老人、未成年人等无人照料"
LOST_JOB = "家庭成员失业"


@pytest.fixture(scope="module")
def worker_with_two(server):  # noqa: F811 (the fixture imported above)
    """A grid worker of the first grid with two open assignments, households A then B."""
    engine = make_engine(server["url"])
    try:
        workers = workers_frame(engine, SYSTEM)
        code = server["first_grid"]["code"]
        worker_id = int(workers.loc[workers["grid_code"] == code, "id"].tolist()[2])
        with engine.connect() as c:
            hh = households_frame(c, SYSTEM)
        in_grid = hh[hh["grid_code"] == code]["id"].tolist()[-2:]
        with session_scope(engine) as s:
            ids = assign_visits(session=s, actor=SYSTEM, household_ids=in_grid, worker_id=worker_id,
                                due_on=DEMO_TODAY + timedelta(days=2), today=DEMO_TODAY)
        with session_scope(engine) as s:
            order = [s.get(VisitAssignment, i).household_id for i in sorted(ids)]
        ensure_user(engine, "b_worker", "grid_worker", grids=code, worker_id=worker_id)
    finally:
        engine.dispose()
    return {"households": order, "worker_id": worker_id}


def _stored(url: str, household_id: int) -> list[dict]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            rows = s.exec(select(Visit).where(Visit.household_id == household_id,
                                              Visit.visited_on == DEMO_TODAY)).all()
            return [{"income": v.income_per_capita_yuan, "notes": v.notes, "worker_id": v.worker_id,
                     **{k: getattr(v, k) for k in VISIT_FLAGS}} for v in rows]
    finally:
        engine.dispose()


def test_grid_worker_records_two_households_in_a_row_on_a_phone(server, worker_with_two,  # noqa: F811
                                                                tmp_path):
    from playwright.sync_api import sync_playwright

    hh_a, hh_b = worker_with_two["households"]
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
            page.on("pageerror", lambda e: errors.append(str(e)))
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("websocket", lambda ws: (console.append(f"ws open {ws.url}"),
                                             ws.on("close", lambda _w: console.append("ws closed"))))
            page.route("**/*", lambda route: route.continue_()
                       if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort())
            _log_in(page, server["port"], "b_worker")
            # a grid worker lands on 今日任务; the visit form (household A first) is one page away
            page.get_by_role("heading", name="今日任务").wait_for(timeout=90_000)
            page.goto(f"http://127.0.0.1:{server['port']}/visit")
            page.get_by_role("heading", name="走访登记").wait_for(timeout=90_000)
            page.get_by_text(f"住户 {hh_a} 的信息").wait_for(timeout=60_000)
            income = page.get_by_label(INCOME)
            income.wait_for(timeout=30_000)
            assert income.input_value() == ""  # empty = unknown, nothing pre-ticked
            assert page.get_by_text("收入不清楚", exact=True).count() == 0

            income.fill("420")
            page.get_by_text(CARE_GAP, exact=True).click()
            page.get_by_label(NOTES).fill("A户：老人独居，屋顶漏雨")
            page.get_by_role("button", name=SAVE).click()
            page.get_by_text(f"已保存住户 {hh_a}").wait_for(timeout=60_000)

            # the form moved to household B and starts empty
            page.get_by_text(f"住户 {hh_b} 的信息").wait_for(timeout=60_000)
            income = page.get_by_label(INCOME)
            assert income.input_value() == ""
            assert page.get_by_label(NOTES).input_value() == ""
            assert not page.get_by_role("checkbox", name=CARE_GAP).is_checked()
            page.screenshot(path=str(tmp_path / "visit_b_empty.png"), full_page=True)

            page.get_by_text(LOST_JOB, exact=True).click()
            page.get_by_label(NOTES).fill("B户：一人失业，收入不清楚")
            page.get_by_role("button", name=SAVE).dblclick()  # a double tap
            # "已保存住户 B（户主 …）" or, when the second tap reached the server while the first
            # was being saved, "住户 B（户主 …）的走访记录已保存，重复提交未再登记"
            page.get_by_text(re.compile(f"住户 {hh_b}（户主")).wait_for(timeout=60_000)
            page.get_by_text("您名下暂无待访住户").wait_for(timeout=30_000)
            page.screenshot(path=str(tmp_path / "visit_b_saved.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print("\n".join(console[-40:]))
            raise
        finally:
            browser.close()

    assert errors == []
    assert width <= PHONE["width"]  # nothing wider than the phone
    worker = worker_with_two["worker_id"]
    assert _stored(server["url"], hh_a) == [{
        "income": 420.0, "notes": "A户：老人独居，屋顶漏雨", "worker_id": worker,
        **{k: k == "care_gap" for k in VISIT_FLAGS}}]
    assert _stored(server["url"], hh_b) == [{
        "income": None, "notes": "B户：一人失业，收入不清楚", "worker_id": worker,
        **{k: k == "lost_job" for k in VISIT_FLAGS}}]
