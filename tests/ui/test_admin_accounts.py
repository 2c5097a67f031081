"""AppTest of the 账号 tab of 系统管理 (dashboard/views/admin.py over jizhen.users.admin): county staff
add a department account that can then log in (the gateway's own login) and lands on 转诊接收; bad
input is refused in Chinese and writes nothing; the forms of an account carry its id in their keys
and the version they showed (a stale one is refused); a county officer cannot disable their own
account. The services' own refusals for other roles: tests/integration/test_account_admin.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.auth import SESSION_KEY, session_for
from grid.db import init_db, make_engine, session_scope
from grid.models import AuditEntry, CommunityGrid
from jizhen.users import authenticate, get_user, list_users, unlock_user
from tests.cases_fixtures import G01, build_world
from tests.ui.dashboard_fixtures import APP
from tests.ui.ui_fixtures import PASSWORD, ensure_user, fill_login_form, log_in

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "views" / "admin.py")
USERS: dict = {}


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")
    url = f"sqlite:///{tmp_path / 'acc.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as s:
        build_world(s)
        s.add(CommunityGrid(code="G09", name="将被撤销的网格", geometry_wkt=G01))
    USERS.clear()
    for name, role in [("ui_county", "county_staff"), ("ui_leader", "township_leader")]:
        USERS[name] = ensure_user(engine, name, role)
    with session_scope(engine) as s:
        USERS["audit_mark"] = max(a.id for a in s.exec(select(AuditEntry)).all())
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JIZHEN_TODAY", "2025-11-20")
    yield make_engine(url)
    state._engine.clear()


def _run(lang="zh", who="ui_county"):
    at = AppTest.from_file(PAGE, default_timeout=90)
    log_in(at, USERS[who])
    at.session_state[SESSION_KEY] = session_for(USERS[who])
    at.session_state[state.LANG_KEY] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def _click(at, key):
    at.button(key=key).click()
    at.run()
    assert not at.exception, at.exception
    return at


def _messages(at):
    """The message boxes as shown (user text in them is markdown-escaped: dashboard.plain_text)."""
    return [m.value.replace("\\", "") for m in [*at.error, *at.success, *at.warning]]


def _errors(at):
    return [e.value.replace("\\", "") for e in at.error]


ADMIN_ACTIONS = {"user.add", "user.passwd", "user.disable", "user.enable", "user.role", "user.worker",
                 "user.unlock"}


def _user_actions(engine):
    """(action, actor) of the account administration audited after the fixture's own accounts."""
    with session_scope(engine) as s:
        return [(a.action, a.actor) for a in s.exec(select(AuditEntry).where(AuditEntry.id > USERS["audit_mark"])
                                                     .order_by(AuditEntry.id)).all()
                if a.action in ADMIN_ACTIONS]


def _usernames(engine):
    with session_scope(engine) as s:
        return {u.username for u in list_users(s)}


def _account_table(at):
    return next(d.value for d in at.dataframe if "用户名" in d.value.columns or "Username" in d.value.columns)


def test_county_adds_a_medical_department_account_that_logs_in_and_lands_on_referrals(db):
    at = _run()
    table = _account_table(at)
    assert {"用户名", "角色", "转诊事项", "启用", "锁定至（北京时间）", "最近登录（北京时间）"} <= set(table.columns)
    assert not {"password_hash", "role", "username"} & set(table.columns)
    assert "县民政局" in set(table["角色"])  # the role's Chinese label (jizhen.vocabulary)
    at.text_input(key="ad_u_add_username").input("yibao_ke")
    at.text_input(key="ad_u_add_name").input("县医保局待遇科")
    at.selectbox(key="ad_u_add_role").set_value("department")
    at.run()
    at.selectbox(key="ad_u_add_scheme").set_value("medical")
    _click(at, "ad_u_add_go")
    assert any("已新增账号 yibao_ke" in m for m in _messages(at)), _messages(at)
    assert any("只显示这一次" in w.value for w in at.warning)
    password = at.code[0].value  # the generated password, shown once
    assert at.text_input(key="ad_u_add_username").value == ""  # the form is empty for the next one
    with session_scope(db) as s:
        user = get_user(s, "yibao_ke")
        assert (user.role, user.scheme, user.display_name) == ("department", "medical", "县医保局待遇科")
        assert password not in user.password_hash
    assert _user_actions(db) == [("user.add", "ui_county")]
    table = _account_table(at)
    row = table[table["用户名"] == "yibao_ke"].iloc[0]
    assert row["角色"] == "转诊承接部门" and row["转诊事项"].startswith("大病医疗救助") and row["启用"] == "是"
    at.run()  # the next run no longer shows it
    assert not at.code and not any("只显示这一次" in w.value for w in at.warning)

    app = AppTest.from_file(str(APP), default_timeout=120)
    app.run()
    _, result = fill_login_form(app, "yibao_ke", password)
    assert result.ok, result.message
    assert not app.exception, app.exception
    assert app.session_state[SESSION_KEY]["username"] == "yibao_ke"
    assert app.title[0].value == "转诊接收"


def _add(at, username, role, **fields):
    at.text_input(key="ad_u_add_username").input(username)
    at.selectbox(key="ad_u_add_role").set_value(role)
    at.run()
    for key, value in fields.items():
        widget = {"grids": at.multiselect, "scheme": at.selectbox, "pwmode": at.radio}.get(key, at.text_input)
        if key == "pwmode":
            widget(key=f"ad_u_add_{key}").set_value(value)
            at.run()
        elif key == "grids":
            widget(key=f"ad_u_add_{key}").set_value(value)
        else:
            widget(key=f"ad_u_add_{key}").input(value) if widget is at.text_input else \
                widget(key=f"ad_u_add_{key}").set_value(value)
    return _click(at, "ad_u_add_go")


def test_bad_input_refused_in_chinese_and_nothing_written(db):
    before = _usernames(db)
    at = _run()
    cases = [
        (("weak1", "auditor"), {"pwmode": "typed", "pw1": "woaini1314", "pw2": "woaini1314"}, "密码太容易被猜到"),
        (("twice1", "auditor"), {"pwmode": "typed", "pw1": "Kq7wPz3mVt9x", "pw2": "Kq7wPz3mVt9y"}, "两次输入的密码不一致"),
        (("ui_leader", "auditor"), {}, "用户 ui_leader 已存在"),
        (("dept1", "department"), {}, "必须指定承接的转诊事项"),
        (("sup1", "grid_supervisor"), {}, "必须指定所属网格"),
        (("bad name!", "auditor"), {}, "用户名须为"),
    ]
    for (username, role), fields, word in cases:
        _add(at, username, role, **fields)
        errors = _errors(at)
        assert any(word in e and e.startswith("不能办理") for e in errors), (word, errors)
        assert not at.code  # no password is shown for a refused account
        assert all(t.value == "" for t in at.text_input if t.key in ("ad_u_add_pw1", "ad_u_add_pw2"))
        at.radio(key="ad_u_add_pwmode").set_value("generated")
        at.run()
    # a grid removed between drawing the form and saving it: the service checks the real codes
    at.text_input(key="ad_u_add_username").input("sup2")
    at.selectbox(key="ad_u_add_role").set_value("grid_supervisor")
    at.run()
    at.multiselect(key="ad_u_add_grids").set_value(["G01", "G09"])
    with session_scope(db) as s:
        s.delete(s.exec(select(CommunityGrid).where(CommunityGrid.code == "G09")).one())
    _click(at, "ad_u_add_go")
    assert any("网格不存在：G09" in e for e in _errors(at)), _errors(at)
    assert _usernames(db) == before
    assert _user_actions(db) == []


def _pick(at, username):
    with session_scope(make_engine(state.db_url())) as s:
        uid = get_user(s, username).id
    at.selectbox(key="ad_u_pick").set_value(uid)
    at.run()
    return uid


def test_two_accounts_in_a_row_each_form_bound_to_its_record(db):
    ensure_user(db, "wz_one", "auditor")
    with session_scope(db) as s:
        USERS["audit_mark"] = max(a.id for a in s.exec(select(AuditEntry)).all())
    at = _run()
    one = _pick(at, "wz_one")
    at.text_input(key=f"ad_u_{one}_reason").input("调离岗位")
    _click(at, f"ad_u_{one}_disable")
    assert any("已停用账号 wz_one" in m for m in _messages(at)), _messages(at)
    leader = _pick(at, "ui_leader")
    assert leader != one and at.text_input(key=f"ad_u_{leader}_reason").value == ""
    _click(at, f"ad_u_{leader}_reset")
    assert any("已重置账号 ui_leader 的密码" in m for m in _messages(at)), _messages(at)
    new_password = at.code[0].value
    with session_scope(db) as s:
        assert get_user(s, "wz_one").disabled and not get_user(s, "ui_leader").disabled
        assert authenticate(s, "ui_leader", new_password).ok
        assert not authenticate(s, "ui_leader", PASSWORD).ok
        reasons = {a.action: a.reason for a in s.exec(select(AuditEntry)).all()}
    assert reasons["user.disable"] == "调离岗位"
    assert _user_actions(db)[:2] == [("user.disable", "ui_county"), ("user.passwd", "ui_county")]
    # the second account's role: a grid supervisor of G02
    at.selectbox(key=f"ad_u_{leader}_role").set_value("grid_supervisor")
    at.run()
    at.multiselect(key=f"ad_u_{leader}_grids").set_value(["G02"])
    _click(at, f"ad_u_{leader}_role_go")
    with session_scope(db) as s:
        u = get_user(s, "ui_leader")
        assert (u.role, u.grid_codes) == ("grid_supervisor", "G02")
    # and the first one enabled again
    _pick(at, "wz_one")
    _click(at, f"ad_u_{one}_enable")
    with session_scope(db) as s:
        assert not get_user(s, "wz_one").disabled


def test_a_stale_form_is_refused_and_writes_nothing(db):
    at = _run()
    leader = _pick(at, "ui_leader")
    with session_scope(db) as s:  # another officer (here the CLI) changes the account meanwhile
        unlock_user(s, "ui_leader")
    at.text_input(key=f"ad_u_{leader}_reason").input("离职")
    _click(at, f"ad_u_{leader}_disable")
    assert any("已被他人修改" in e for e in _errors(at)), _errors(at)
    with session_scope(db) as s:
        assert not get_user(s, "ui_leader").disabled
    assert [a for a, _ in _user_actions(db)] == ["user.unlock"]
    # after the refusal the page shows the new version: the same click now works
    _click(at, f"ad_u_{leader}_disable")
    with session_scope(db) as s:
        assert get_user(s, "ui_leader").disabled


def test_a_county_officer_cannot_disable_or_demote_their_own_account(db):
    at = _run()
    me = _pick(at, "ui_county")
    assert any("您自己的账号" in c.value for c in at.caption)
    assert at.button(key=f"ad_u_{me}_reset").disabled  # it would end this login before showing the password
    _click(at, f"ad_u_{me}_disable")
    assert any("不能停用自己的账号" in e for e in _errors(at)), _errors(at)
    at.selectbox(key=f"ad_u_{me}_role").set_value("auditor")
    at.run()
    _click(at, f"ad_u_{me}_role_go")
    assert any("不能取消自己账号的县民政局角色" in e for e in _errors(at)), _errors(at)
    with session_scope(db) as s:
        u = get_user(s, "ui_county")
        assert (u.role, u.disabled) == ("county_staff", False)
    assert _user_actions(db) == []


def test_english_mode(db):
    at = _run(lang="en")
    assert "Accounts" in [t.label for t in at.tabs]
    table = _account_table(at)
    assert {"Username", "Role", "Referral scheme", "Enabled", "Locked until (Asia/Shanghai)"} <= set(table.columns)
    assert "county staff" in set(table["Role"])
    assert at.button(key="ad_u_add_go").label == "Add the account"
    _add(at, "dept_en", "department")
    assert any(e.startswith("Refused:") for e in _errors(at)), _errors(at)
