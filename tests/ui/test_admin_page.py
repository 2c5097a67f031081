"""AppTest for 系统管理 (dashboard/views/admin.py): worker forms, roster import, boundary preview
and confirmation, households outside every grid. Valid input is saved and audited; bad input is
refused in Chinese and writes nothing; other roles get no forms (the services refuse them too:
tests/integration/test_worker_admin.py). AppTest cannot upload, so the tests put the file where
the uploader puts it (session_state, admin.ROSTER_UPLOAD / GRID_UPLOAD)."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.auth import SESSION_KEY, session_for
from grid.db import init_db, make_engine, session_scope
from grid.models import AuditEntry, CommunityGrid, GridWorker, Household
from tests.cases_fixtures import build_world
from tests.ui.ui_fixtures import ensure_user, log_in

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "admin.py")
USERS: dict = {}


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    url = f"sqlite:///{tmp_path / 'ad.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        build_world(s)
        s.add(Household(address="城外1号", lon=118.70, lat=33.80, grid_id=None, head_name="钱戊五",
                        head_id_number="32132319600101999X", members=1))
    USERS.clear()
    for name, role in [("ui_county", "county_staff"), ("ui_leader", "township_leader")]:
        USERS[role] = ensure_user(engine, name, role)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JIZHEN_TODAY", "2025-11-20")
    yield make_engine(url)
    state._engine.clear()


def _run(role, lang="zh", **session):
    at = AppTest.from_file(PAGE, default_timeout=90)
    log_in(at, USERS[role])
    at.session_state[SESSION_KEY] = session_for(USERS[role])
    at.session_state[state.LANG_KEY] = lang
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _messages(at):
    return [m.value for m in [*at.error, *at.success, *at.warning]]


def _actions(engine):
    with session_scope(engine) as s:
        return [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
                if not a.action.startswith("user.")]  # the fixture's accounts and sessions


def test_leader_gets_no_admin_forms(db):
    at = _run("township_leader")
    assert any("不属于您的角色" in w.value for w in at.warning)  # dashboard.navigation: county staff only
    assert not at.text_input and not at.tabs


def test_add_move_and_deactivate_a_worker(db):
    at = _run("county_staff")
    table = at.dataframe[0].value
    assert {"网格编码", "姓名", "类型"} <= set(table.columns) and "employment" not in table.columns
    at.text_input(key="ad_add_name").input("新网格员")
    at.text_input(key="ad_add_phone").input("1390000000")  # taken by 专职0? no: 10 digits, free
    _button(at, "添加").click()
    at.run()
    # the phone of an active worker is refused, nothing written
    at.text_input(key="ad_add_name").input("重号")
    at.text_input(key="ad_add_phone").input("13900000001")
    _button(at, "添加").click()
    at.run()
    assert any("已是在岗网格员" in m for m in _messages(at)), _messages(at)
    with session_scope(db) as s:
        names = [w.name for w in s.exec(select(GridWorker)).all()]
        assert "新网格员" in names and "重号" not in names
        wid = s.exec(select(GridWorker).where(GridWorker.name == "新网格员")).one().id
    at.selectbox(key="ad_w_pick").set_value(wid)
    at.run()
    # move without a reason: refused
    next(b for b in at.button if b.label == "调整").click()
    at.run()
    assert any("调整原因" in m for m in _messages(at)), _messages(at)
    at.text_input(key=f"ad_w_{wid}_move_reason").input("工作调整")
    next(b for b in at.button if b.label == "调整").click()
    at.run()
    with session_scope(db) as s:
        g2 = s.exec(select(CommunityGrid).where(CommunityGrid.code == "G02")).one()
        assert s.get(GridWorker, wid).grid_id == g2.id
    at.selectbox(key="ad_w_pick").set_value(wid)
    at.run()
    at.text_input(key=f"ad_w_{wid}_off_reason").input("离职")
    _button(at, "停用该网格员").click()
    at.run()
    with session_scope(db) as s:
        assert not s.get(GridWorker, wid).active
    assert _actions(db) == ["worker.add", "worker.move", "worker.deactivate"]


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号", "类型", "网格编码"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_roster_import_lists_row_errors_then_imports(db):
    bad = ("名册.xlsx", _xlsx([["甲", "13800001111", "专职", "G01"], ["乙", "13800002222", "临时", "G09"]]))
    at = _run("county_staff", ad_roster_upload=bad)
    _button(at, "导入").click()
    at.run()
    text = "\n".join(_messages(at))
    assert "未写入任何数据" in text and "行 3" in text and "G09" in text, text
    with session_scope(db) as s:
        assert len(s.exec(select(GridWorker)).all()) == 4
    good = ("名册.xlsx", _xlsx([["甲", "13800001111", "专职", "G01"], ["乙", "13800002222", "兼职", "G02"]]))
    at = _run("county_staff", ad_roster_upload=good)
    _button(at, "导入").click()
    at.run()
    assert any("已导入 2 名" in m for m in _messages(at)), _messages(at)
    assert _actions(db) == ["import.workers"]


def test_roster_problems_listed_in_english_on_an_english_page(db):
    bad = ("名册.xlsx", _xlsx([["甲", "13800001111", "专职", "G01"], ["乙", "13800002222", "临时", "G09"]]))
    at = _run("county_staff", lang="en", ad_roster_upload=bad)
    _button(at, "Import").click()
    at.run()
    text = "\n".join(_messages(at))
    assert "2 problems; nothing was written" in text, text
    # each line in English; the column is the file's own header, the values as the file has them
    assert "row 3, column C（类型）" in text and "“临时” is neither full" in text, text
    assert "row 3, column D（网格编码）" in text and "there is no grid with the code G09" in text, text
    assert "行 3" not in text and "不存在" not in text and "专职" not in text, text
    with session_scope(db) as s:
        assert len(s.exec(select(GridWorker)).all()) == 4  # nothing written


def _grids_file(east_of_g02: float) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "G02", "name": "演示二网格"},
         "geometry": {"type": "Polygon", "coordinates": [[[118.61, 33.70], [east_of_g02, 33.70],
                                                          [east_of_g02, 33.71], [118.61, 33.71], [118.61, 33.70]]]}},
    ]}).encode("utf-8")


def test_boundary_preview_then_confirm(db):
    at = _run("county_staff", ad_grid_upload=("grids.geojson", _grids_file(118.6135)))
    info = "\n".join(i.value for i in at.info)
    assert "1 户将落在所有网格之外" in info, info  # 118.614 falls out of the shrunk G02
    assert _actions(db) == []  # a preview writes nothing
    with session_scope(db) as s:
        assert "118.62" in s.exec(select(CommunityGrid).where(CommunityGrid.code == "G02")).one().geometry_wkt
    _button(at, "确认导入边界").click()
    at.run()
    assert any("已导入" in m for m in _messages(at)), _messages(at)
    assert _actions(db) == ["import.grids"]
    with session_scope(db) as s:
        assert "118.6135" in s.exec(select(CommunityGrid).where(CommunityGrid.code == "G02")).one().geometry_wkt


def test_bad_boundary_file_refused_in_chinese(db):
    at = _run("county_staff", ad_grid_upload=("grids.geojson", b'{"type": "FeatureCollection", "features": []}'))
    assert any("没有任何要素" in e.value for e in at.error), [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "确认导入边界"]


def test_bad_boundary_file_refused_in_english(db):
    at = _run("county_staff", lang="en",
              ad_grid_upload=("grids.geojson", b'{"type": "FeatureCollection", "features": []}'))
    errors = [e.value for e in at.error]
    assert any("the file has no features" in e for e in errors), errors
    assert not any("没有任何要素" in e for e in errors), errors


def test_outside_household_fixed_by_location_and_by_hand(db):
    at = _run("county_staff")
    with session_scope(db) as s:
        hid = s.exec(select(Household).where(Household.grid_id.is_(None))).one().id
    at.selectbox(key="ad_h_pick").set_value(hid)
    at.run()
    at.text_input(key=f"ad_h_{hid}_fix_reason").input("核实坐标")
    _button(at, "保存位置").click()
    at.run()
    assert any("仍不在任何网格内" in m for m in _messages(at)), _messages(at)
    assert _actions(db) == []
    at.number_input(key=f"ad_h_{hid}_lon").set_value(118.605)
    at.number_input(key=f"ad_h_{hid}_lat").set_value(33.702)
    at.text_input(key=f"ad_h_{hid}_fix_reason").input("门牌坐标录错")
    _button(at, "保存位置").click()
    at.run()
    assert any("没有网格外住户" in i.value for i in at.info)
    assert _actions(db) == ["household.relocate"]


def test_english_mode(db):
    at = _run("county_staff", lang="en")
    assert at.title[0].value == "Administration"
    table = at.dataframe[0].value
    assert "Employment" in table.columns and "类型" not in table.columns


AUDIT_PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "audit.py")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_audit_page_headers_in_the_ui_language_and_times_in_shanghai(db, lang):
    from datetime import timedelta, timezone

    from grid import workers as wk
    from jizhen.vocabulary import role_label
    from tests.cases_fixtures import COUNTY

    with session_scope(db) as s:
        wk.add_worker(session=s, actor=COUNTY, name="审计用", phone="13912345678", employment="专职",
                      grid_code="G01")
    with session_scope(db) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "worker.add")).one()
        utc_at = entry.at.astimezone(timezone.utc)
    at = AppTest.from_file(AUDIT_PAGE, default_timeout=90)
    log_in(at, USERS["county_staff"])
    at.session_state[SESSION_KEY] = session_for(USERS["county_staff"])
    at.session_state[state.LANG_KEY] = lang
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    raw = {"before_json", "after_json", "entity_id", "at", "action", "role"}
    assert not raw & set(table.columns)
    time_col, action_col, role_col = (("时间（北京时间）", "操作", "角色") if lang == "zh"
                                      else ("Time (Asia/Shanghai)", "Action", "Role"))
    row = table[table[action_col] == "worker.add"].iloc[0]
    assert row[time_col] == (utc_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert row[role_col] == role_label("county_staff", lang)
