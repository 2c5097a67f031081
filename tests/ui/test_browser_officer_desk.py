"""The officer's desk in real Chromium behind the login gateway (`jizhen dashboard`), one story
by the roles that own each step: a window intake located by a click on the map (supervisor) →
match to the registry and acceptance (supervisor) → town approval and payment (township leader)
→ referral to medical assistance with the amount shown before saving (leader) → accepted by the
medical-insurance department on its own page → verification checklist completed (county: one
department's file uploaded, one item by the form; the other departments' answers arrive through
the same service) → admission with the facts and the rule's verdict (county). Then the server
is started again on the same database with the first working day of December as today (a month is
disclosed after it ends): the county downloads November's public disclosure file on 监督管理 (the
file is read: the story's row is there, name and ID masked, no phone) and the publication is
recorded and audited; the county draws November's 双随机 spot checks with a seed (inspector from
another grid) and records the result for the story's household, stored and audited.
Screenshots at 1440 and 390 px wide go to JIZHEN_SCREENSHOT_DIR (default: the test's tmp dir)."""
from __future__ import annotations

import io
import os
import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import DEMO_TODAY, chromium_path
from tests.ui.test_browser import CHROMIUM_ARGS, start_dashboard, stop_dashboard
from tests.ui.ui_fixtures import PASSWORD

pytestmark = pytest.mark.browser
WIDE, NARROW = {"width": 1440, "height": 1100}, {"width": 390, "height": 844}
T = 90_000
# where a failing step leaves its screenshot (the page as it was when the step gave up)
# The story's payment is made on DEMO_TODAY (November); November's list is published, and its
# recipients drawn for spot checks, once the month has ended: the first working day of December.
STORY_MONTH = f"{DEMO_TODAY:%Y-%m}"
NEXT_MONTH_DAY = date(2026, 12, 1)
SPOT_SEED = 4417  # the seed the county types (not the form's default, today's date)
FAILED_SHOT = Path(os.environ.get("JIZHEN_SCREENSHOT_DIR") or "/tmp") / "officer-desk-failed-step.png"


@pytest.fixture(scope="module")
def story_server(tmp_path_factory):
    from grid.db import init_db, make_engine, session_scope
    from jizhen.users import add_user
    from tests.cases_fixtures import build_world

    tmp = tmp_path_factory.mktemp("desk_browser")
    url = f"sqlite:///{tmp / 'desk.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        w = build_world(s)
        hh = {h.head_name: h.id for h in w["households"]}
        for name, role, grids, scheme in (("d_sup", "grid_supervisor", "G01", None),
                                           ("d_leader", "township_leader", None, None),
                                           ("d_county", "county_staff", None, None),
                                           ("d_yibao", "department", None, "medical")):
            add_user(s, username=name, password=PASSWORD, role=role, grid_codes=grids, scheme=scheme)
    engine.dispose()
    proc, port, _internal = start_dashboard(url, tmp / "dashboard.log")
    shots = Path(os.environ.get("JIZHEN_SCREENSHOT_DIR") or tmp / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    server = {"proc": proc, "port": port, "url": url, "households": hh, "shots": shots,
              "log": tmp / "dashboard.log"}

    def restart_on(today: date) -> int:
        """The same database served again with another business date (JIZHEN_TODAY); the new port."""
        stop_dashboard(server["proc"])
        server["log"] = tmp / f"dashboard-{today.isoformat()}.log"
        server["proc"], server["port"], _ = start_dashboard(url, server["log"],
                                                            JIZHEN_TODAY=today.isoformat())
        return server["port"]

    server["restart_on"] = restart_on
    try:
        yield server
    finally:
        stop_dashboard(server["proc"])


def _log_in(page, port, username):
    page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
    page.get_by_label("用户名").fill(username, timeout=T)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stSidebar"], [data-testid="stMain"]', timeout=T)
    _idle(page)


def _goto(page, port, title):
    """Open a page from the sidebar navigation (as a person does)."""
    page.get_by_role("link", name=title).first.click(timeout=T)
    page.wait_for_selector('[data-testid="stMain"]', timeout=T)
    _idle(page)


def _idle(page):
    """Until Streamlit has finished the run the last action started."""
    page.wait_for_timeout(400)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=T)
    page.wait_for_timeout(300)


def _tab(page, name):
    try:
        page.get_by_role("tab", name=name).click(timeout=15_000)
    except Exception:
        page.screenshot(path=str(FAILED_SHOT), full_page=True)
        raise
    _idle(page)


def _select(page, label, option):
    box = page.locator('[data-testid="stSelectbox"]:visible').filter(
        has=page.get_by_text(label, exact=True)).first
    for attempt in range(3):  # a rerun may redraw the box between the click and the list
        try:
            box.locator("input").click(timeout=T)
            page.get_by_role("option").filter(has_text=option).first.click(timeout=10_000)
            break
        except Exception:
            if attempt == 2:
                page.screenshot(path=str(FAILED_SHOT), full_page=True)
                raise
            page.keyboard.press("Escape")
            _idle(page)
    _idle(page)


def _fill(page, label, value):
    field = page.get_by_label(label, exact=True).locator("visible=true").first
    field.fill(str(value))
    field.press("Tab")
    _idle(page)


def _radio(page, group, choice):
    page.get_by_role("radiogroup", name=group).locator("visible=true").first.get_by_text(
        choice, exact=True).click()
    _idle(page)


def _click(page, name):
    page.get_by_role("button", name=name, exact=True).locator("visible=true").first.click()
    _idle(page)


def _expect(page, text, timeout=T):
    try:
        page.get_by_text(re.compile(re.escape(text))).locator("visible=true").first.wait_for(timeout=timeout)
    except Exception:
        page.screenshot(path=str(FAILED_SHOT), full_page=True)
        raise


def _shots(page, shots: Path, name: str, focus: str | None = None):
    """The page at 1440 and at 390 px wide, scrolled to `focus` (Streamlit scrolls an inner
    container, so a full-page shot is one screen)."""
    for size, suffix in ((WIDE, "1440"), (NARROW, "390")):
        page.set_viewport_size(size)
        page.wait_for_timeout(700)
        if focus:
            page.get_by_text(re.compile(re.escape(focus))).locator("visible=true").first.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
        page.screenshot(path=str(shots / f"{name}-{suffix}.png"), full_page=True)
    page.set_viewport_size(WIDE)
    page.wait_for_timeout(500)


def _household(engine, household_id):
    from grid.db import session_scope
    from grid.models import Household

    with session_scope(engine) as s:
        hh = s.get(Household, household_id)
        s.expunge_all()
        return hh


def _xlsx_cells(path: Path) -> list[dict[str, str]]:
    """The downloaded workbook's first sheet as rows of text, keyed by its header row."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(path.read_bytes()), read_only=True).worksheets[0]  # no suffix
    rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_officer_desk_story_in_chromium(story_server):
    from playwright.sync_api import sync_playwright

    from cases import verification
    from cases.models import Case, Disclosure, Payment, Referral, SpotCheck
    from grid.db import make_engine, session_scope
    from grid.models import AuditEntry, CommunityGrid, GridWorker
    from grid.privacy import mask_id_number, mask_name
    from tests.cases_fixtures import COUNTY

    port, shots = story_server["port"], story_server["shots"]
    engine = make_engine(story_server["url"])
    errors: list[str] = []

    def case():
        with session_scope(engine) as s:
            c = s.exec(select(Case).where(Case.person_name == "外来务工甲")).first()
            s.expunge_all()
            return c

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            contexts = []

            def as_user(username):
                ctx = browser.new_context(viewport=WIDE, locale="zh-CN", accept_downloads=True)
                contexts.append(ctx)
                page = ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                _log_in(page, story_server["port"], username)
                return page

            # 1. the supervisor's window intake, located by a click on the map --------------------
            sup = as_user("d_sup")
            _goto(sup, port, "救助案件")
            _tab(sup, "窗口受理登记")
            frame = sup.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            leaflet = frame.locator(".leaflet-container")
            leaflet.wait_for(timeout=T)
            grid_paths = frame.locator("path.jizhen-grid")
            grid_paths.first.wait_for(timeout=T)
            assert grid_paths.count() == 1  # the supervisor's own grid only
            box = grid_paths.first.bounding_box()
            frame_box = sup.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
            sup.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5)
            _idle(sup)
            _expect(sup, "该位置属于网格：G01")
            assert frame_box is not None
            _fill(sup, "姓名", "外来务工甲")
            _fill(sup, "事由", "工伤后无收入，窗口求助")
            _shots(sup, shots, "1-intake-located", focus="该位置属于网格")
            _click(sup, "登记")
            _expect(sup, "已登记")
            c = case()
            assert (c.grid_code, c.match_status) == ("G01", "to_match") and c.lon is not None

            # 2. matched to the registry and accepted by the supervisor ---------------------------
            _tab(sup, "待匹配工单")
            _select(sup, "选择案件", c.case_no)
            _fill(sup, "户编号", story_server["households"]["赵丁四"])
            _fill(sup, "匹配依据", "窗口核验户口簿")
            _click(sup, "确认匹配")
            _expect(sup, "已办理：确认匹配")
            assert case().match_status == "matched"
            _goto(sup, port, "救助案件")
            _tab(sup, "案件详情")
            _select(sup, "选择案件", c.case_no)
            _select(sup, "操作", "受理")
            _click(sup, "提交")
            _expect(sup, "已办理：受理")
            assert case().status == "accepted"

            # 3. town approval and payment, files, referral to medical assistance (leader) --------
            lead = as_user("d_leader")
            _goto(lead, port, "救助案件")
            _tab(lead, "案件详情")
            _select(lead, "选择案件", c.case_no)
            for step in ("镇街审批同意（≤500元）", "发放救助金", "补齐/完成档案"):
                _select(lead, "操作", step)
                _click(lead, "提交")
                _expect(lead, f"已办理：{step}")
            assert case().status == "files_complete"
            _select(lead, "转诊事项", "大病医疗救助")
            _fill(lead, "合规医疗费用（元）", "12345.67")
            _fill(lead, "医保已报销（元）", "3000")
            _expect(lead, "医疗救助金额：5,641.97 元")
            _shots(lead, shots, "2-referral-amount", focus="医疗救助金额：")
            _click(lead, "转诊")
            _expect(lead, "已办理：转诊")

            # 4. the medical-insurance department accepts it on its own page ----------------------
            dept = as_user("d_yibao")
            _expect(dept, "转诊接收")  # its landing page, the only one in its navigation
            _select(dept, "选择转诊", f"{c.case_no} 外来务工甲（已转出）")  # status in Chinese
            _radio(dept, "答复", "对方已接收")
            _click(dept, "提交答复")
            _expect(dept, "已办理：对方已接收")
            _shots(dept, shots, "3-department-accepted")
            assert dept.get_by_text("（已转出）").count() == 0  # the answered referral left the form
            with session_scope(engine) as s:
                ref = s.exec(select(Referral)).one()
                assert (ref.status, ref.reimbursed_fen) == ("accepted", 564197)

            # 5. verification: one department's file, one item by the form, the rest by service ---
            county = as_user("d_county")
            _goto(county, port, "救助案件")
            _tab(county, "逢进必核")
            _select(county, "选择申请（案件）", c.case_no)
            county.get_by_text("批量导入部门核对结果").click()
            _idle(county)
            _select(county, "核对部门", "县公安局")
            id_number = case().person_id_number  # from the registry, since the match
            assert id_number
            csv = Path(story_server["shots"]) / "公安核对结果.csv"
            csv.write_text("身份证号,核对事项,核对结果,核对凭证,核对日期,说明\n"
                           f"{id_number},户籍登记信息,无异常,公安回执01,{DEMO_TODAY},\n"
                           f"{id_number},机动车辆登记,无异常,公安回执02,{DEMO_TODAY},\n",
                           encoding="utf-8")
            county.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
            _idle(county)
            _click(county, "校验并导入")
            _expect(county, "已导入：新增 2 项")
            _select(county, "核对事项", "不动产登记")
            _radio(county, "核对结果", "无异常")
            _fill(county, "核对凭证（回执编号或文书）", "不动产回执03")
            _click(county, "保存核对结果")
            _expect(county, "已登记")
            with session_scope(engine) as s:
                done = {r["item_code"] for r in verification.checklist(session=s, actor=COUNTY, case_id=c.id)
                        if r["result"]}
                assert done == {"household_register", "vehicles", "real_estate"}
                for item in verification.load_items():  # the other departments' answers
                    if item.required and item.code not in done:
                        verification.record_result(session=s, actor=COUNTY, case_id=c.id,
                                                   item_code=item.code, result="无异常",
                                                   evidence=f"回执-{item.code}", on_day=DEMO_TODAY)
            _goto(county, port, "救助案件")
            _tab(county, "逢进必核")
            _select(county, "选择申请（案件）", c.case_no)
            _shots(county, shots, "4-checklist")

            # 6. admission on the entered facts, with the verdict shown before saving -------------
            _tab(county, "案件详情")
            _select(county, "选择案件", c.case_no)
            _fill(county, "家庭月收入合计（元）", "300")
            _fill(county, "家庭人口数", "1")
            _radio(county, "是否有重残/重病且依靠家庭生活的成员", "否")
            _radio(county, "是否“三无”（无劳动能力、无生活来源、无法定赡养抚养扶养义务人）", "否")
            _expect(county, "规则判定：可以纳入（低保）")
            _shots(county, shots, "5-admission-verdict", focus="规则判定")
            _click(county, "纳入")
            _expect(county, "已办理：纳入低保/特困（住院）")
            assert case().status == "admitted"

            # 7. next month: November has ended, so its list may be published and drawn from -----
            # (a month is disclosed after it ends: desk.disclosure_months offers only past months)
            for ctx in contexts:
                ctx.close()
            contexts.clear()
            port = story_server["restart_on"](NEXT_MONTH_DAY)
            county = as_user("d_county")
            _goto(county, port, "监督管理")
            _tab(county, "月度公示")
            _select(county, "月份", STORY_MONTH)
            _shots(county, shots, "6-disclosure", focus="月度公示（姓名、身份证号已脱敏）")
            c = case()
            household = _household(engine, c.household_id)
            with county.expect_download(timeout=T) as dl:
                county.get_by_role("button", name="下载公示表 XLSX（下载即登记为已公示）").click()
            _idle(county)
            _expect(county, "已保存：下载公示表 XLSX")
            assert dl.value.suggested_filename == f"disclosure-{STORY_MONTH}.xlsx"
            listing = _xlsx_cells(Path(dl.value.path()))
            row = next(r for r in listing if r.get("发放日期") == DEMO_TODAY.isoformat())
            assert (row["网格"], row["救助对象"], row["身份证号"]) == (
                "G01", mask_name(c.person_name), mask_id_number(c.person_id_number))
            assert row["救助对象"] != c.person_name and row["身份证号"] != c.person_id_number
            everything = " ".join(" ".join(r.values()) for r in listing)
            for secret in (c.person_id_number, household.phone, household.head_id_number,
                           household.address):
                assert secret and secret not in everything, secret
            with session_scope(engine) as s:
                pub = s.exec(select(Disclosure).where(Disclosure.month == STORY_MONTH)).one()
                assert (pub.rows, pub.published_by, pub.published_on) == (1, "d_county", NEXT_MONTH_DAY)
                assert pub.total_fen == sum(p.amount_fen for p in s.exec(select(Payment)).all()) > 0
                logged = s.exec(select(AuditEntry).where(AuditEntry.action == "disclosure.publish")).all()
                assert [(a.actor, a.entity_id) for a in logged] == [("d_county", STORY_MONTH)]
            _expect(county, "已公示月份")  # the history table below the download

            # 8. 双随机一公开: the county draws (seeded) and records the result -------------------
            _tab(county, "双随机抽查")
            _select(county, "月份", STORY_MONTH)
            _expect(county, "本月尚未抽取")
            _fill(county, "随机种子（公开，可复核）", SPOT_SEED)
            _click(county, "抽取（每个网格不少于30%的救助对象）")
            _expect(county, "已抽取 1 户")
            with session_scope(engine) as s:
                drawn = s.exec(select(SpotCheck).where(SpotCheck.month == STORY_MONTH)).all()
                assert [(d.case_id, d.grid_code, d.seed) for d in drawn] == [(c.id, "G01", str(SPOT_SEED))]
                worker = s.get(GridWorker, int(drawn[0].inspector.rsplit("#", 1)[1]))
                assert s.get(CommunityGrid, worker.grid_id).code != "G01"  # not from the grid
                spot_id = drawn[0].id
            _select(county, "抽查对象", f"{c.case_no} · G01")
            _select(county, "结果", "无误")
            _fill(county, "情况说明（发现问题时必填）", "入户核实，家庭情况与申报一致")
            _click(county, "保存")
            _expect(county, "已保存：登记抽查结果")
            _shots(county, shots, "7-spot-check", focus="登记抽查结果")
            with session_scope(engine) as s:
                sc = s.get(SpotCheck, spot_id)
                assert (sc.result, sc.result_note, sc.checked_on) == (
                    "ok", "入户核实，家庭情况与申报一致", NEXT_MONTH_DAY)
                logged = s.exec(select(AuditEntry).where(AuditEntry.action.in_(
                    ("spotcheck.draw", "spotcheck.result"))).order_by(AuditEntry.id)).all()
                assert [(a.action, a.actor, a.entity_id) for a in logged] == [
                    ("spotcheck.draw", "d_county", STORY_MONTH),
                    ("spotcheck.result", "d_county", str(spot_id))]
            # ... and publishes the results (一公开): a masked file, the publication audited
            with county.expect_download(timeout=T) as dl:
                county.get_by_role("button", name="公开抽查结果 XLSX（已脱敏）").click()
            _idle(county)
            _expect(county, "已保存：公开抽查结果")
            public = _xlsx_cells(Path(dl.value.path()))
            assert [(r["案件编号"], r["姓名"], r["结果"], r["检查人"]) for r in public] == [
                (c.case_no, mask_name(c.person_name), "无误", worker.name)]
            with session_scope(engine) as s:
                logged = s.exec(select(AuditEntry).where(AuditEntry.action == "spotcheck.publish")).all()
                assert [(a.actor, a.entity_id) for a in logged] == [("d_county", STORY_MONTH)]
        finally:
            browser.close()
            engine.dispose()
    assert not errors, errors
