"""AppTest tests for the 案件 page (dashboard/views/case_desk.py)."""
from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from cases import services as svc
from cases.models import Case
from dashboard import state
from grid.db import init_db, make_engine, session_scope
from tests.cases_fixtures import AUDITOR, LEADER, SUP, build_world
from tests.ui.ui_fixtures import ensure_user, log_in

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "case_desk.py")
TODAY = date(2025, 10, 20)
USERS: dict = {}  # fixture actor -> the app_user logged in for it (filled by the db fixture)


@pytest.fixture
def db(tmp_path, monkeypatch):
    # AppTest runs the page as __main__; put the real one back afterwards, or a later test that
    # starts processes with multiprocessing "spawn" re-runs this page in every child.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    url = f"sqlite:///{tmp_path / 'ui.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        w = build_world(s)
        hh = [h.id for h in w["households"]]
        a = svc.intake(session=s, actor=LEADER, channel="grid_visit", category="housing_loss",
                       received_on=date(2025, 9, 30), amount_yuan=300, household_id=hh[0],
                       cause="房屋倒塌")
        svc.transition(session=s, actor=SUP, case_id=a.id, name="accept", on_day=date(2025, 9, 30))
        svc.intake(session=s, actor=LEADER, channel="hotline_12345", category="care_gap",
                   received_on=date(2025, 10, 17), amount_yuan=200, person_name="张丙三",
                   work_order_no="WO-UI-1")
    # the page runs as real users of this database with the fixtures' roles and grids
    users = {actor: ensure_user(engine, f"ui_{actor.role}", str(actor.role),
                                grids=sorted(actor.grid_codes) if actor.grid_codes else None)
             for actor in (SUP, LEADER, AUDITOR)}
    engine.dispose()
    USERS.clear()
    USERS.update(users)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JIZHEN_TODAY", TODAY.isoformat())
    yield url
    state._engine.clear()


OVERSIGHT = str(Path(PAGE).with_name("oversight.py"))


def _run(actor, lang="zh", page=PAGE):
    at = AppTest.from_file(page, default_timeout=60)
    log_in(at, USERS[actor])
    at.session_state[state.LANG_KEY] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def test_list_shows_cases_with_countdown_and_overdue(db):
    at = _run(LEADER)
    assert at.title[0].value == "救助案件"
    df = at.dataframe[0].value
    assert len(df) == 2
    row = df[df["案件编号"].str.startswith("JZ202509")].iloc[0]
    assert row["办理期限"] == "2025-10-11" and row["期限状态"] == "已逾期"
    assert any("逾期 1 件" in c.value for c in at.caption)


def test_scope_supervisor_sees_own_grid_only(db):
    at = _run(SUP)
    df = at.dataframe[0].value
    assert len(df) == 1 and df.iloc[0]["网格"] == "G01"


def test_leader_approves_from_detail(db):
    engine = make_engine(db)
    with session_scope(engine) as s:
        cid = s.exec(select(Case.id).where(Case.status == "accepted")).one()
        unmatched = s.exec(select(Case.id).where(Case.status == "reported")).one()
    at = _run(LEADER)
    at.selectbox(key="cases_detail_id").set_value(unmatched).run()
    # an unmatched hotline case cannot be accepted: only reject / aid-first are offered
    assert set(at.selectbox(key=f"cases_act_{unmatched}_name").options) == {"不予救助", "先救助、后办理（先行发放）"}
    at.selectbox(key="cases_detail_id").set_value(cid).run()
    names = at.selectbox(key=f"cases_act_{cid}_name").options
    assert "镇街审批同意（≤500元）" in names and "县民政局审批同意" not in names
    assert any("剩余" in m.value or "已逾期" in m.value or "期限" in m.value for m in at.markdown)
    at.selectbox(key=f"cases_act_{cid}_name").set_value("approve_town")
    at.text_input(key=f"cases_act_{cid}_reason").input("入户核实属实")
    at.button[0].click().run()
    assert not at.exception
    assert any("已办理" in s.value for s in at.success)
    with session_scope(engine) as s:
        assert s.get(Case, cid).status == "town_approved"
    engine.dispose()


def test_auditor_is_read_only(db):
    at = _run(AUDITOR)
    assert len(at.dataframe[0].value) == 2
    assert any("只读" in i.value for i in at.info)


def test_window_intake_form(db):
    at = _run(LEADER)
    at.text_input(key="cases_in_name").input("李乙二")
    at.text_input(key="cases_in_phone").input("13800000002")
    at.text_input(key="cases_in_cause").input("窗口申请")
    form_buttons = [b for b in at.button if b.label == "登记"]
    form_buttons[0].click().run()
    assert not at.exception
    assert any("已登记" in s.value and "已匹配到户" in s.value for s in at.success)


def test_english(db):
    at = _run(LEADER, lang="en")
    assert at.title[0].value == "Assistance cases"


def _cells(xlsx: bytes) -> list[list]:
    import io

    from openpyxl import load_workbook

    return [list(r) for r in load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True)]


def test_disclosure_download_goes_through_exports_masked_as_public(db, monkeypatch):
    """Even for a role that sees personal data, and even if the rows came back unmasked, the
    downloaded public list is masked by dashboard.exports; the total and note lines stay whole
    and formula-shaped text is neutralised."""
    from dashboard import exports
    from grid.access import SYSTEM
    from grid.models import Household
    from tests.cases_fixtures import ident

    engine = make_engine(db)
    with session_scope(engine) as s:
        hh = s.exec(select(Household).where(Household.head_name == "王甲一")).one()
        c = svc.intake(session=s, actor=LEADER, channel="window", category="housing_loss",
                       received_on=date(2025, 9, 15), amount_yuan=300, household_id=hh.id,
                       cause='=HYPERLINK("http://evil","点击")')
        svc.transition(session=s, actor=SYSTEM, case_id=c.id, name="pay_first",
                       on_day=date(2025, 9, 15), reason="急",
                       review_opinion='=HYPERLINK("http://evil","点击")')
    engine.dispose()
    real_rows = svc.disclosure_rows

    def clear_rows(**kw):  # as if the query had forgotten to mask: the export must still mask
        return [dict(r, 救助对象="王甲一", 身份证号=ident(1)) for r in real_rows(**kw)]

    made: list[bytes] = []
    real_excel = exports.excel_bytes

    def spy(sheets, actor, **kw):
        assert kw.get("public") is True
        made.append(real_excel(sheets, actor, **kw))
        return made[-1]

    monkeypatch.setattr(svc, "disclosure_rows", clear_rows)
    monkeypatch.setattr(exports, "excel_bytes", spy)
    at = _run(LEADER, page=OVERSIGHT)  # the monthly disclosure lives on 监督管理
    at.selectbox(key="ov_disc_month").set_value("2025-09").run()
    assert not at.exception, at.exception
    tables = [_cells(b) for b in made]
    disclosure = [t for t in tables if t and "救助对象" in t[0]]
    assert disclosure, "the download bytes did not come from dashboard.exports.excel_bytes"
    rows = disclosure[-1]
    header, body = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    assert "救助对象" in header and "身份证号" in header and "person_name" not in header
    flat = "\n".join(str(v) for r in rows for v in r if v is not None)
    assert "王甲一" not in flat and ident(1) not in flat
    person = body[0]
    assert person["救助对象"] == "王*一" and person["身份证号"] == ident(1)[:6] + "*" * 8 + ident(1)[-4:]
    assert person["救助事由"] == "住房或生活设施严重损失"  # the public reason, never the intake text
    assert person["审核意见"].startswith("'=HYPERLINK")
    assert body[1]["序号"] == "合计：1人次" and body[1]["救助标准/金额（元）"] == 300
    assert body[2]["序号"].startswith("说明：2025-09临时救助（急难救助）公示") and "监督电话" in body[2]["序号"]


def test_case_detail_household_card_masked_with_audited_reveal(db):
    from grid.models import AuditEntry

    engine = make_engine(db)
    with session_scope(engine) as s:
        cid, hid = s.exec(select(Case.id, Case.household_id).where(Case.status == "accepted")).one()
    id_re = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")

    def shown(at):
        return "\n".join(x.value for x in at.text)

    at = _run(AUDITOR)
    at.selectbox(key="cases_detail_id").set_value(cid).run()
    assert f"住户 {hid} 的信息（已脱敏）" in "\n".join(m.value for m in at.markdown)
    assert "王*一" in shown(at) and not id_re.search(shown(at))
    assert "查看完整信息" not in [b.label for b in at.button]  # the auditor never unmasks

    at = _run(SUP)
    at.selectbox(key="cases_detail_id").set_value(cid).run()
    # Name and address are clear for field roles (they must find the family); the ID is not.
    assert "王甲一" in shown(at) and not id_re.search(shown(at))
    at.text_input(key="cases_household_reveal_reason").input("核实救助对象身份")
    next(b for b in at.button if b.label == "查看完整信息").click().run()
    assert not at.exception
    assert "王甲一" in shown(at) and id_re.search(shown(at))
    with session_scope(engine) as s:
        rows = s.exec(select(AuditEntry).where(AuditEntry.action == "privacy.reveal")).all()
        assert {r.reason for r in rows} == {"核实救助对象身份"} and {int(r.entity_id) for r in rows} == {hid}
    engine.dispose()
