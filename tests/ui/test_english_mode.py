"""The dashboard in English and in Chinese, role by role and page by page (AppTest).

English chosen: every page of every role (dashboard.navigation) is opened through the app's own
navigation as a real logged-in user, and every visible label is collected (titles, headers,
captions, markdown and alerts, widget labels, placeholders and help, the options of choice
widgets, tab and expander labels, metric labels, table headers). None may hold a Chinese
character, except the demo's own data: the names, addresses and free text that people typed
(read from the demo database below, column by column, with their masked forms). Vocabulary (a
status, a category, a department, a risk reason) is not user data and must be in English.

Chinese chosen: no table shows a raw field name (a snake_case identifier) as a header.

Also: the pages that refuse a bad input say why in the chosen language (a domain message), and
the gateway's login page is in English with ?lang=en (Chinese without it).
"""
from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard.navigation import pages_for
from grid.access import Role
from grid.db import make_engine, session_scope
from tests.conftest import DEMO_TODAY
from tests.ui.dashboard_fixtures import APP, make_demo_db
from tests.ui.ui_fixtures import log_in

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# A raw field name: lower-case words joined by underscores (person_name, published_on, ...).
FIELD_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
TIMEOUT = 120
DEMO_ROLES = ("grid_worker", "grid_supervisor", "township_leader", "county_staff", "auditor")
DEPT_USER = "en_dept"


# --------------------------------------------------------------------------- the demo's own data
def _user_data(engine) -> list[str]:
    """What people typed into the demo database (names, addresses, free text), each also in the
    masked form a role that may not see it gets; longest first (so a name inside an address is
    not cut out of it first)."""
    from cases.models import (AssistantStipend, BlacklistEntry, Case, CaseEvent, FundMovement,
                              Payment, Referral, SpotCheck, VerificationResult)
    from grid.facts import Appeal
    from grid.models import AuditEntry, CommunityGrid, GridWorker, HardshipEvent, Household, Visit
    from jizhen.privacy import mask_address, mask_name
    from jizhen.users.model import User

    typed = {  # column -> how a role that may not see it gets it
        Household.head_name: mask_name, Household.address: mask_address,
        CommunityGrid.name: None, GridWorker.name: mask_name, User.display_name: None,
        Case.person_name: mask_name, Case.address: mask_address, Case.cause: None,
        Case.review_opinion: None, Case.decision: None, Case.public_note: None,
        Case.blacklist_override_reason: None, CaseEvent.reason: None, CaseEvent.backdate_reason: None,
        Referral.reason: None, Payment.payee_name: mask_name, Visit.notes: None,
        HardshipEvent.cause: None, BlacklistEntry.person_name: mask_name,
        BlacklistEntry.reason: None, BlacklistEntry.evidence: None, BlacklistEntry.review_note: None,
        BlacklistEntry.lift_reason: None, FundMovement.note: None,
        AssistantStipend.assistant_name: mask_name, SpotCheck.result_note: None,
        VerificationResult.evidence: None, VerificationResult.note: None, AuditEntry.reason: None,
        Appeal.objection: None, Appeal.reference: None,
    }
    out: set[str] = set()
    with engine.connect() as c:
        for column, mask in typed.items():
            for (value,) in c.execute(select(column).distinct()):
                if value and CJK.search(value):
                    out.add(value)
                    if mask is not None:
                        out.add(mask(value))
    return sorted(out, key=len, reverse=True)


def _without_user_data(text: str, data: list[str]) -> str:
    for value in data:
        if value in text:
            text = text.replace(value, "")
    return text


# --------------------------------------------------------------------------- what a page shows
def shown_labels(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of every visible label of the page as AppTest sees it. The language switch
    is left out: it names each language in its own script on purpose (中文 / English), so that
    someone who cannot read the current language can still find it."""
    from dashboard.state import LANG_KEY

    out: list[tuple[str, str]] = []

    def add(where: str, value) -> None:
        if value is None:
            return
        text = str(value)
        if text.strip():
            out.append((where, text))

    for node in at._tree:
        if getattr(node, "key", None) == LANG_KEY:
            continue
        kind = getattr(node, "type", type(node).__name__)
        if kind in ("tab", "expander", "status"):
            add(kind, getattr(node, "label", None))
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        if kind in ("dataframe", "table"):
            value = node.value
            frame = value if isinstance(value, pd.DataFrame) else pd.DataFrame(value)
            for col in frame.columns:
                add(f"{kind} header", col)
            for name in frame.index.names:
                add(f"{kind} index", name)
            continue
        fields = proto.DESCRIPTOR.fields_by_name
        for field in ("label", "body", "placeholder", "help", "caption", "text", "message"):
            if field in fields and isinstance(getattr(proto, field), str):
                add(f"{kind}.{field}", getattr(proto, field))
        if "options" in fields:
            for option in proto.options:
                add(f"{kind} option", option)
    return out


def table_headers(at: AppTest) -> list[str]:
    return [text for where, text in shown_labels(at) if where.endswith("header")]


def _file_words() -> list[str]:
    """The Chinese words an import file must literally carry (the template headers of
    grid.imports.columns and the roster's employment words of grid.workers): an English caption
    or help text that tells which headers to use quotes them as they are."""
    from grid.imports.columns import COLUMNS
    from grid.workers import EMPLOYMENT

    words = {c.header for cols in COLUMNS.values() for c in cols}
    words |= {zh for zh, _en in EMPLOYMENT.values()}
    return sorted(words, key=len, reverse=True)


INSTRUCTIONS = ("caption.body",)  # where a file's headers may be quoted (plus any .help)


def chinese_left(at: AppTest, data: list[str]) -> list[tuple[str, str]]:
    """The labels that still hold a Chinese character once the demo's own data is taken out
    (and, in an instruction, the import files' literal Chinese words)."""
    out = []
    for where, text in shown_labels(at):
        rest = _without_user_data(text, data)
        if where in INSTRUCTIONS or where.endswith(".help"):
            rest = _without_user_data(rest, _file_words())
        if CJK.search(rest):
            out.append((where, text))
    return out


# --------------------------------------------------------------------------- the demo
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo (300 households) with a medical-assistance department account; the app reads it."""
    import os

    from grid.users import add_user, get_user
    from jizhen.users.demo import DEMO_USERS

    url = make_demo_db(tmp_path_factory.mktemp("english") / "jizhen.db", households=300, seed=5)
    engine = make_engine(url)
    with session_scope(engine) as s:
        add_user(s, username=DEPT_USER, password="Englishmode2026x", role="department",
                 scheme="medical")
    users = {}
    with session_scope(engine) as s:
        for username, role in list(DEMO_USERS) + [(DEPT_USER, Role.DEPARTMENT)]:
            user = get_user(s, username)
            s.expunge(user)
            users[Role(role).value] = user
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "JIZHEN_TODAY")}
    os.environ["DATABASE_URL"] = url
    os.environ["JIZHEN_TODAY"] = DEMO_TODAY.isoformat()
    yield {"url": url, "engine": engine, "users": users, "data": _user_data(engine)}
    engine.dispose()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _page(demo, role: str, page_file: str, lang: str) -> AppTest:
    """One page run as the real logged-in user of `role` (a server-side session), in `lang`. Run
    on its own, the page shows what it draws itself (the app's sidebar, drawn by app.py and
    dashboard.auth, is checked once in test_the_app_around_the_pages_in_english)."""
    from dashboard import state

    at = AppTest.from_file(str(APP.parent / "views" / page_file), default_timeout=TIMEOUT)
    log_in(at, demo["users"][role])
    at.session_state[state.LANG_KEY] = lang
    at.run()
    assert not at.exception, (page_file, [e.value for e in at.exception])
    return at


def _app(demo, role: str, lang: str) -> AppTest:
    from dashboard import state

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    log_in(at, demo["users"][role])
    at.session_state[state.LANG_KEY] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


ROLE_PAGES = [(role, p.file) for role in DEMO_ROLES + ("department",)
              for p in pages_for(role)]


@pytest.mark.parametrize("role, page", ROLE_PAGES, ids=[f"{r}-{p[:-3]}" for r, p in ROLE_PAGES])
def test_english_mode_shows_no_chinese_but_the_demo_data(demo, role, page):
    at = _page(demo, role, page, "en")
    assert at.title, "the page has a title"
    left = chinese_left(at, demo["data"])
    assert not left, (role, page, left)
    raw = [h for h in table_headers(at) if FIELD_NAME.match(h)]
    assert not raw, (role, page, raw)


@pytest.mark.parametrize("role, page", ROLE_PAGES, ids=[f"{r}-{p[:-3]}" for r, p in ROLE_PAGES])
def test_chinese_mode_tables_have_chinese_headers(demo, role, page):
    at = _page(demo, role, page, "zh")
    headers = table_headers(at)
    raw = [h for h in headers if FIELD_NAME.match(h)]
    assert not raw, (role, page, raw)
    english = [h for h in headers if re.search(r"[A-Za-z]{3,}", h) and not CJK.search(h)]
    assert not english, (role, page, english)


@pytest.mark.parametrize("role", DEMO_ROLES + ("department",))
def test_the_app_around_the_pages_in_english(demo, role):
    """What app.py and dashboard.auth draw around every page (the sidebar: who is signed in, the
    way to sign out; the navigation's page titles) is in English too."""
    at = _app(demo, role, "en")
    assert not chinese_left(at, demo["data"]), chinese_left(at, demo["data"])


def test_signed_out_prompt_in_english(demo):
    """Signed out (the session ended while the page was open): the app's way to the login page,
    in English when English is chosen."""
    from dashboard import state

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[state.LANG_KEY] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = shown_labels(at)
    assert labels and not [(w, x) for w, x in labels if CJK.search(x)], labels


def _household_with_history(demo) -> int:
    """A household of the supervisor's grid with visits and a case (its file has every tab)."""
    from cases.models import Case
    from grid.models import CommunityGrid, Household, Visit

    from grid.users import actor_for

    grid = sorted(actor_for(demo["users"]["grid_supervisor"]).grid_codes)[0]
    with demo["engine"].connect() as c:
        q = (select(Household.id).join(CommunityGrid, Household.grid_id == CommunityGrid.id)
             .where(Household.id.in_(select(Visit.household_id)))
             .where(Household.id.in_(select(Case.household_id))))
        q = q.where(CommunityGrid.code == grid)
        return int(c.execute(q.order_by(Household.id)).scalars().first())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_household_file_in_both_languages(demo, lang):
    """The household file with its tabs filled (visits, scores, cases): English labels and
    headers in English mode, Chinese headers in Chinese mode."""
    hid = _household_with_history(demo)
    _with_an_assignment(demo, hid)
    at = _app(demo, "grid_supervisor", lang)
    at.switch_page("views/household.py")
    at.query_params["hh"] = str(hid)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    headers = table_headers(at)
    assert headers, "the file shows tables"
    assert not [h for h in headers if FIELD_NAME.match(h)], headers
    if lang == "en":
        assert not chinese_left(at, demo["data"])
    else:
        assert all(CJK.search(h) for h in headers if re.search(r"[A-Za-z]{3,}", h)), headers
    # the cells: the timeline's kind, title and detail, the status / category of the
    # assignments and cases tabs (vocabulary, not user data) in the page's language
    tables = {tuple(df.value.columns): df.value for df in at.dataframe}
    date, kind, item, detail, status, category = (  # a case's category: the 类别 column
        ("Date", "Kind", "Item", "Detail", "Status", "Kind") if lang == "en"
        else ("日期", "类别", "事项", "说明", "状态", "类别"))
    (timeline,) = [v for k, v in tables.items() if k[:4] == (date, kind, item, detail)]
    fact, value, source = ("Item", "Value", "Source") if lang == "en" else ("事项", "值", "来源")
    (history,) = [v for k, v in tables.items() if source in k]   # the register's history
    with_status = [v for k, v in tables.items() if status in k]
    assert len(timeline) and len(with_status) == 2, list(tables)  # assignments and cases
    assert len(history)
    values = [*history[value]] if lang == "en" else []   # in Chinese: 是 / 否, or a number
    cells = ([*timeline[kind], *timeline[item], *timeline[detail], *history[fact], *values,
              *history[source]]
             + [x for v in with_status for c in (status, category) if c in v for x in v[c]])
    assert cells
    # what is left of a cell once people's own text is taken out: the product's words
    words = [w for w in (_without_user_data(str(x), demo["data"]).strip() for x in cells) if w]
    assert words
    chinese = [w for w in words if CJK.search(w)]
    if lang == "en":
        assert not chinese, chinese
    else:
        assert len(chinese) == len(words), [w for w in words if w not in chinese]
    # the case workflow's rows (cases.queries.household_timeline) are there, in the page's language
    case_kinds = {"en": {"case", "decision", "payment"}, "zh": {"案件", "决定", "发放"}}[lang]
    assert case_kinds & set(timeline[kind]), set(timeline[kind])


def _with_an_assignment(demo, hid: int) -> None:
    """An open visit assignment of household `hid` to a worker of its grid (once)."""
    from grid.access import SYSTEM
    from grid.assignments import assign_visits
    from grid.models import GridWorker, Household, VisitAssignment

    with session_scope(demo["engine"]) as s:
        if s.execute(select(VisitAssignment.id).where(VisitAssignment.household_id == hid)).first():
            return
        grid_id = s.get(Household, hid).grid_id
        worker = s.execute(select(GridWorker.id).where(GridWorker.grid_id == grid_id)
                           .order_by(GridWorker.id)).scalars().first()
        assign_visits(session=s, actor=SYSTEM, household_ids=[hid], worker_id=worker,
                      due_on=DEMO_TODAY + timedelta(days=7), today=DEMO_TODAY)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_admission_verdict_in_the_page_language(demo, lang):
    """The case desk's admission preview: the checklist's "not complete" message, then (every
    check recorded) the rule's verdict, in English in English mode (the department and item
    names too) and in Chinese in Chinese mode."""
    from cases.models import Case, VerificationResult
    from cases.verification import load_items, record_result
    from grid.users import actor_for

    county = actor_for(demo["users"]["county_staff"])
    required = {i.code for i in load_items() if i.required}

    def recorded(s, case_id) -> set[str]:
        return set(s.execute(select(VerificationResult.item_code)
                             .where(VerificationResult.case_id == case_id)).scalars())

    with session_scope(demo["engine"]) as s:  # one case per language, its checklist not complete
        open_cases = [c for c in s.execute(select(Case.id).where(Case.status == "accepted")
                                           .order_by(Case.id)).scalars()
                      if required - recorded(s, c)]
    assert len(open_cases) >= 2, "the demo has accepted cases not yet verified"
    cid = open_cases[["en", "zh"].index(lang)]
    k = lambda f: f"cases_act_{cid}_{f}"  # noqa: E731

    def preview():
        at = _app(demo, "county_staff", lang)
        at.switch_page("views/case_desk.py").run()
        at.selectbox(key="cases_detail_id").set_value(cid).run()
        at.number_input(key=k("adm_income")).set_value(1200.0)
        at.number_input(key=k("adm_members")).set_value(3)
        at.radio(key=k("adm_severe")).set_value("no")
        at.radio(key=k("adm_sanwu")).set_value("no").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    def check(messages, zh_word, en_word):
        assert messages, "the preview says something"
        if lang == "en":
            assert any(en_word in m for m in messages), messages
            assert not [m for m in messages if CJK.search(_without_user_data(m, demo["data"]))], messages
        else:
            assert any(zh_word in m for m in messages), messages

    at = preview()
    check([w.value for w in at.warning], "逢进必核：尚有", "required items have no result")
    with session_scope(demo["engine"]) as s:  # every required check recorded: the verdict
        for code in sorted(required - recorded(s, cid)):
            record_result(session=s, actor=county, case_id=cid, item_code=code, result="clear",
                          evidence="EN-TEST-1", on_day=DEMO_TODAY)
    at = preview()
    check([m.value for m in [*at.success, *at.error]], "家庭人均收入400", "income per head 400")


def test_a_refused_correction_says_why_in_english(demo):
    """A domain refusal (grid.facts: a correction needs a reason) shown in English mode is in
    English; nothing is written."""
    from grid.facts import HouseholdFact

    hid = _household_with_history(demo)
    at = _app(demo, "grid_supervisor", "en")
    at.switch_page("views/household.py")
    at.query_params["hh"] = str(hid)
    at.run()
    with demo["engine"].connect() as c:
        before = c.execute(select(HouseholdFact.id)).all()
    field = next(sb for sb in at.selectbox if sb.key == f"hhfix_{hid}_field")
    field.select_index(0)
    at.text_input(key=f"hhfix_{hid}_value").input("1")
    (submit,) = [b for b in at.button if b.label == "Save the correction"]
    submit.click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert errors and "not saved" in errors[0], errors
    assert not CJK.search(_without_user_data(errors[0], demo["data"])), errors
    with demo["engine"].connect() as c:
        assert c.execute(select(HouseholdFact.id)).all() == before


def test_gateway_login_page_in_english_on_request():
    from jizhen.gateway import login_page

    zh = login_page()
    assert '<html lang="zh-CN">' in zh and "用户名" in zh and "密码" in zh
    en = login_page("en", message="", notice="")
    text = re.sub(r"<[^>]+>", " ", en)
    assert '<html lang="en">' in en
    assert not CJK.search(text.replace("中文", "")), text  # the only Chinese: the way back to 中文


def test_gateway_refused_login_in_english(demo):
    """A wrong password on the English form is refused in English (jizhen.users.login's own
    refusal, in the form's language); the Chinese form keeps the Chinese message."""
    from jizhen.gateway import _Sessions, login_message

    user = demo["users"]["auditor"].username
    result, token = _Sessions(demo["engine"]).login(user, "Wrongpass-2026", None)
    assert token is None and not result.ok
    assert login_message(result, "zh") == result.message and CJK.search(result.message)
    en = login_message(result, "en")
    assert en and not CJK.search(en), en


def test_gateway_locked_login_in_english(demo):
    from jizhen.gateway import _Sessions, login_message
    from jizhen.users.login import MAX_FAILED_ATTEMPTS

    from grid.users import add_user

    user = "en_locked"  # its own account: the demo users stay usable
    with session_scope(demo["engine"]) as s:
        add_user(s, username=user, password="Englishmode2026y", role="auditor")
    sessions = _Sessions(demo["engine"])
    for _ in range(MAX_FAILED_ATTEMPTS):
        result, _token = sessions.login(user, "Wrongpass-2026", "10.0.0.9")
    result, _token = sessions.login(user, "Wrongpass-2026", "10.0.0.9")
    assert result.locked_until is not None
    en = login_message(result, "en")
    assert "lock" in en.lower() and not CJK.search(en), en
    assert timedelta(0) < result.locked_until - sessions.now() <= timedelta(minutes=16)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_audit_times_are_shown_in_shanghai_time(demo, lang):
    """The audit log's times: the stored UTC instant of each row shown in Asia/Shanghai."""
    from zoneinfo import ZoneInfo

    from dashboard.texts_admin import headers
    from grid.models import AuditEntry

    at = _page(demo, "auditor", "audit.py", lang)
    labels = headers(["id", "at"], lang)
    table = next(d.value for d in at.dataframe if labels["at"] in d.value.columns)
    shown = dict(zip(table[labels["id"]].astype(int), table[labels["at"]]))
    with demo["engine"].connect() as c:
        stored = dict(c.execute(select(AuditEntry.id, AuditEntry.at)
                                .where(AuditEntry.id.in_(list(shown)))).all())
    assert shown and set(shown) == set(stored)
    for row_id, at_utc in stored.items():
        if at_utc.tzinfo is None:
            at_utc = at_utc.replace(tzinfo=ZoneInfo("UTC"))
        expected = at_utc.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
        assert shown[row_id] == expected, (row_id, shown[row_id], expected)


# --------------------------------------------------------------------------- refusals and risk reasons
def _shown(at: AppTest) -> str:
    """Every text the page shows (markdown is escaped on the way: dashboard.plain_text)."""
    return " ".join(str(getattr(e, "value", "")) for e in
                    [*at.title, *at.markdown, *at.caption, *at.error, *at.info]).replace("\\", "")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_refused_account_and_reveal_in_the_page_language(demo, lang):
    """jizhen.users' refusals (the zxcvbn one too) on the 账号 tab and an AccessDenied of
    jizhen.privacy on the household card: in the page's language; nothing written."""
    from grid.models import AuditEntry
    from jizhen.users.model import User

    with demo["engine"].connect() as c:
        users, audit = c.execute(select(User.id)).all(), c.execute(select(AuditEntry.id)).all()
    at = _page(demo, "county_staff", "admin.py", lang)
    expected = {"en": [("Refused: ", "The password is too easy to guess"),
                       ("Refused: ", "A receiving department needs the referral scheme it receives")],
                "zh": [("不能办理：", "密码太容易被猜到"), ("不能办理：", "转诊承接部门必须指定承接的转诊事项")]}[lang]
    for (username, role, typed), (start, words) in zip(
            [("weak_en", "auditor", "woaini1314"), ("dept_en", "department", None)], expected):
        at.text_input(key="ad_u_add_username").input(username)
        at.selectbox(key="ad_u_add_role").set_value(role)
        at.run()
        if typed:
            at.radio(key="ad_u_add_pwmode").set_value("typed")
            at.run()
            at.text_input(key="ad_u_add_pw1").input(typed)
            at.text_input(key="ad_u_add_pw2").input(typed)
        at.button(key="ad_u_add_go").click().run()
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value.replace("\\", "") for e in at.error]
        assert any(e.startswith(start) and words in e for e in errors), errors
        if lang == "en":
            assert not [e for e in errors if CJK.search(e)], errors
        if typed:
            at.radio(key="ad_u_add_pwmode").set_value("generated")
            at.run()

    hid = _household_with_history(demo)
    at = _app(demo, "grid_supervisor", lang)
    at.switch_page("views/household.py")
    at.query_params["hh"] = str(hid)
    at.run()
    key = f"hhfile_{hid}_card"
    at.text_input(key=f"{key}_reveal_reason").input("x")  # a reason of one character is refused
    (reveal,) = [b for b in at.button if b.label == ("Show full details" if lang == "en" else "查看完整信息")]
    reveal.click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert errors == [{"en": "Seeing full personal data needs a reason.",
                       "zh": "查看完整个人信息须填写理由"}[lang]], errors
    with demo["engine"].connect() as c:
        assert c.execute(select(User.id)).all() == users
        assert c.execute(select(AuditEntry.id)).all() == audit


def _english_reasons() -> dict[str, str]:
    """Each Chinese reason sentence of the weights file and its English sentence, filled in from
    the file itself (read here with tomllib, not through risk.config)."""
    import tomllib

    from risk.config import DEFAULT_WEIGHTS

    with open(DEFAULT_WEIGHTS, "rb") as fh:
        raw = tomllib.load(fh)
    fill = {"days": raw["staleness"]["days"], "multiple": f"{raw['income']['near_line_multiple']:g}",
            "pct": f"{raw['deterioration']['income_drop_share'] * 100:g}"}
    return {f["reason"].format(**fill): f["reason_en"].format(**fill) for f in raw["factors"].values()}


def _scored_household(demo, many: int = 2) -> tuple[int, list[str]]:
    """A household of the supervisor's grid whose newest stored score has `many`+ reasons."""
    import json

    from grid.models import CommunityGrid, Household
    from grid.risk_models import RiskScore
    from grid.users import actor_for

    grid = sorted(actor_for(demo["users"]["grid_supervisor"]).grid_codes)[0]
    with demo["engine"].connect() as c:
        rows = c.execute(select(RiskScore.household_id, RiskScore.reasons_json)
                         .join(Household, Household.id == RiskScore.household_id)
                         .join(CommunityGrid, Household.grid_id == CommunityGrid.id)
                         .where(CommunityGrid.code == grid)
                         .order_by(RiskScore.household_id, RiskScore.scored_at.desc())).all()
    newest: dict[int, list[str]] = {}
    for hid, reasons in rows:
        newest.setdefault(int(hid), json.loads(reasons))
    return next((h, r) for h, r in newest.items() if len(r) >= many)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_risk_reasons_in_the_page_language(demo, lang):
    """The stored reasons of a household (Chinese sentences of the weights file) on its file
    (the score line and the scores tab) and on the supervisor's worklist: English in English mode
    (the weights file's reason_en), exactly as stored in Chinese mode."""
    hid, stored = _scored_household(demo)
    english = _english_reasons()
    want = "; ".join(english[r] for r in stored) if lang == "en" else "；".join(stored)
    at = _app(demo, "grid_supervisor", lang)
    at.switch_page("views/household.py")
    at.query_params["hh"] = str(hid)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    label = {"en": "Reasons: ", "zh": "原因："}[lang]
    assert label + want in _shown(at), _shown(at)
    scores = next(d.value for d in at.dataframe if ("Reasons" if lang == "en" else "原因") in d.value.columns)
    assert scores.iloc[0]["Reasons" if lang == "en" else "原因"] == want
    if lang == "en":
        assert not any(CJK.search(str(x)) for x in scores["Reasons"]), scores["Reasons"].tolist()
        assert not any(CJK.search(str(x)) for x in scores["Level"]), set(scores["Level"])

    at = _page(demo, "grid_supervisor", "assign.py", lang)
    column = {"en": "Reasons", "zh": "主要原因"}[lang]  # the worklist's column (dashboard.texts col.reasons)
    table = next(d.value for d in at.dataframe if column in d.value.columns)
    cells = [str(x) for x in table[column] if str(x)]
    assert cells, table.columns
    if lang == "en":
        assert not [x for x in cells if CJK.search(x)], cells[:5]
        assert set("; ".join(cells).split("; ")) <= set(english.values())
    else:
        assert set("；".join(cells).split("；")) <= set(english), cells[:5]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_todays_route_gives_the_reasons_in_the_page_language(demo, lang):
    """The grid worker's route (今日任务): each stop's stored reasons, in English in English mode."""
    import json

    from grid.access import SYSTEM
    from grid.assignments import assign_visits
    from grid.models import GridWorker, Household, VisitAssignment
    from grid.risk_models import RiskScore

    worker_id = demo["users"]["grid_worker"].worker_id
    english = _english_reasons()
    with demo["engine"].connect() as c:
        own_grid = c.execute(select(GridWorker.grid_id).where(GridWorker.id == worker_id)).scalar()
        rows = c.execute(select(RiskScore.household_id, RiskScore.reasons_json)
                         .join(Household, Household.id == RiskScore.household_id)
                         .where(Household.grid_id == own_grid)).all()
        due = c.execute(select(VisitAssignment.household_id)
                        .where(VisitAssignment.worker_id == worker_id, VisitAssignment.status == "open",
                               VisitAssignment.due_on == DEMO_TODAY)).scalars().all()
    with_reasons = sorted({int(h) for h, r in rows if json.loads(r)} - set(due))
    if len(due) < 2:  # two households with reasons due today (given once, for both languages)
        with session_scope(demo["engine"]) as s:
            assign_visits(session=s, actor=SYSTEM, household_ids=with_reasons[:2], worker_id=worker_id,
                          due_on=DEMO_TODAY, today=DEMO_TODAY)
    at = _page(demo, "grid_worker", "today.py", lang)
    why = {"en": "Why: ", "zh": "派单原因："}[lang]
    lines = [c.value.replace("\\", "")[len(why):] for c in at.caption
             if c.value.replace("\\", "").startswith(why)]
    routine = {"en": "no risk factor stands out (routine visit)", "zh": "无突出风险因素（例行走访）"}[lang]
    words = set(english.values()) if lang == "en" else set(english)
    parts = [p for line in lines for p in line.split("; " if lang == "en" else "；")]
    assert set(parts) <= words | {routine}, lines
    assert set(parts) & words, lines  # at least one stop with its reasons
