"""English mode, the pure parts: every UI string has an English side without Chinese in it, every
code of the vocabularies the pages show has an English name, and a domain refusal carries its
English text (dashboard.texts.error_text picks the page's language)."""
from __future__ import annotations

import re

import pytest

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Import files keep their Chinese headers; an English instruction quotes them as they are.
FILE_FORMAT_KEYS = {("dashboard.texts_admin", "ad.roster_help")}
# The language switch names each language in its own script on purpose.
BOTH_SCRIPTS_KEYS = {("dashboard.texts", "sidebar.lang")}


@pytest.mark.parametrize("module", ["dashboard.texts", "dashboard.texts_cases", "dashboard.texts_household",
                                    "dashboard.texts_visit", "dashboard.texts_admin"])
def test_every_ui_string_has_an_english_side_without_chinese(module):
    import importlib

    texts = importlib.import_module(module).TEXTS
    bad = [(k, en) for k, (zh, en) in texts.items()
           if CJK.search(en) and (module, k) not in FILE_FORMAT_KEYS | BOTH_SCRIPTS_KEYS]
    assert not bad, bad
    assert all(zh for zh, _en in texts.values())  # Chinese first: never empty


def test_departments_schemes_and_checklist_items_have_english_names():
    from cases.verification import load_items
    from cases.vocabulary import REFERRAL_SCHEMES
    from dashboard.texts_cases import department_label, item_label, scheme_label, scheme_name

    departments = {dept for _name, dept in REFERRAL_SCHEMES.values()} | {i.department for i in load_items()}
    for dept in departments:
        assert department_label(dept, "zh") == dept
        assert not CJK.search(department_label(dept, "en")), dept
    for code, (name, dept) in REFERRAL_SCHEMES.items():
        assert scheme_name(code, "zh") == name and scheme_label(code, "zh") == f"{name}（{dept}）"
        assert not CJK.search(scheme_label(code, "en")), code
    for item in load_items():
        assert item_label(item.code, item.name, "zh") == item.name
        assert not CJK.search(item_label(item.code, item.name, "en")), item.code


def test_the_household_files_vocabulary_and_headers_have_english_names():
    from cases.queries import VISIT_FLAG_LABELS
    from dashboard.texts_household import fact_value, vocab
    from grid.facts import APPEAL_OUTCOMES, APPEAL_SUBJECTS, FACT_FIELDS, SOURCE_LABELS, value_label
    from grid.household_file import ASSIGNMENT_STATUS_LABELS, HEADERS_EN, TIMELINE_KINDS, header_label

    for table, labels in (("fact", {k: v[1] for k, v in FACT_FIELDS.items()}),
                          ("subject", APPEAL_SUBJECTS), ("outcome", APPEAL_OUTCOMES),
                          ("flag", VISIT_FLAG_LABELS), ("kind", TIMELINE_KINDS),
                          ("assignment", ASSIGNMENT_STATUS_LABELS), ("source", SOURCE_LABELS)):
        for code, zh in labels.items():
            assert vocab(table, code, zh, "zh") == zh
            assert not CJK.search(vocab(table, code, zh, "en")), (table, code)
    for zh, en in HEADERS_EN.items():
        assert header_label(zh, "zh") == zh and header_label(zh, "en") == en and not CJK.search(en)
    assert fact_value("dibao", True, "zh") == value_label("dibao", True) == "是"
    assert fact_value("dibao", False, "en") == "no"
    assert fact_value("members", 3, "en") == "3" and not CJK.search(fact_value("members", None, "en"))


@pytest.mark.parametrize("field, value", [("dibao", "maybe"), ("members", "many"), ("members", "-1"),
                                          ("members", "2.5"), ("no_such_fact", "1")])
def test_a_refused_fact_says_why_in_both_languages(field, value):
    from dashboard.texts import error_text
    from grid.facts import FactError, parse_value

    with pytest.raises(FactError) as info:
        parse_value(field, value)
    exc = info.value
    assert str(exc) == exc.zh and CJK.search(exc.zh)  # the Chinese message as before
    assert error_text(exc, "zh") == exc.zh
    assert error_text(exc, "en") == exc.en and not CJK.search(exc.en), exc.en
    assert exc.code != "fact_error"  # each rule has its own code


def test_search_and_not_found_say_why_in_english():
    from dashboard.texts import error_text
    from grid.household_file import HouseholdNotFound, SearchError, search_households

    with pytest.raises(SearchError) as info:
        search_households(None, None, "王")
    assert CJK.search(str(info.value)) and not CJK.search(error_text(info.value, "en"))
    missing = HouseholdNotFound(42)
    assert "42" in error_text(missing, "en") and not CJK.search(error_text(missing, "en"))
    assert error_text(missing, "zh") == str(missing)


def test_error_text_picks_the_language_of_a_domain_error():
    from cases.errors import DomainError
    from dashboard.texts import error_text

    exc = DomainError("金额不能为负", "the amount cannot be negative", code="negative")
    assert error_text(exc, "zh") == "金额不能为负"
    assert error_text(exc, "en") == "the amount cannot be negative"
    assert error_text(ValueError("其他错误"), "en") == "其他错误"  # no English known: as it is
    with pytest.raises(ValueError):
        error_text(exc, "fr")


def test_an_assignment_refusal_keeps_its_message_and_has_its_english():
    from datetime import date

    from dashboard.texts import error_text
    from grid.access import Actor, Role
    from grid.assignments import AssignmentError, OverCapacity, assign_visits

    supervisor = Actor("sup", Role.GRID_SUPERVISOR, frozenset({"G01"}))
    with pytest.raises(AssignmentError) as info:  # refused before the database is touched
        assign_visits(session=None, actor=supervisor, household_ids=[], worker_id=1,
                      due_on=date(2026, 3, 2), today=date(2026, 3, 1))
    exc = info.value
    assert str(exc) == "请至少选择一户 (select at least one household)"  # as before: zh (en)
    assert exc.code == "none_selected"
    assert error_text(exc, "zh") == "请至少选择一户"
    assert error_text(exc, "en") == "select at least one household"
    over = OverCapacity(name="李示例", load=40, adding=5, capacity=44)
    assert over.code == "over_capacity" and not CJK.search(error_text(over, "en"))
    assert str(over).startswith(over.zh) and str(over).endswith(f"({over.en})")


def test_timeline_rows_from_one_template_table():
    """grid.household_file.TIMELINE_TEXTS: every template in English without Chinese, with the
    same fields as its Chinese; a row renders its Chinese exactly as built and its English with
    the vocabulary's English words (user text kept as typed)."""
    import string
    from datetime import date

    import pandas as pd

    from dashboard.texts_household import timeline_cells
    from grid.household_file import TIMELINE_TEXTS, Word, build_timeline, timeline_text

    fields = lambda t: {f for _, f, _, _ in string.Formatter().parse(t) if f}  # noqa: E731
    for code, (zh, en) in TIMELINE_TEXTS.items():
        assert not CJK.search(en) and fields(zh) == fields(en), code
    history = pd.DataFrame({"登记日期": [date(2026, 11, 2)], "事项": ["低保户"], "值": ["是"],
                            "来源": ["更正"], "理由": ["民政局来函"], "登记人": ["sup"],
                            "field": ["dibao"], "value": [True]})
    scores = pd.DataFrame({"level": ["yellow"], "等级": ["黄"], "分数": [31.0], "原因": [""],
                           "scored_at": pd.to_datetime(["2026-11-03T02:00Z"]), "reasons": [[]]})
    assignments = pd.DataFrame({"created_at": pd.to_datetime(["2026-11-04T02:00Z"]), "网格员": ["李四"],
                                "期限": [date(2026, 11, 9)], "状态": ["待走访"], "派单人": ["sup"],
                                "status": ["open"]})
    visit = {"on": date(2026, 11, 1), "kind": "visit", "title": "入户走访", "detail": "发现：失业",
             "title_src": ("visit", {}),
             "detail_src": [("visit.found", {"flags": Word("flags", ("lost_job",), "失业")})]}
    tl = build_timeline(case_items=[visit], history=history, scores=scores, assignments=assignments)
    assert list(tl["事项"]) == ["入户走访", "更正：低保户 = 是", "风险等级 黄（31 分）",
                              "派单给 李四，期限 2026-11-09"]
    assert list(tl["说明"]) == ["发现：失业", "民政局来函；登记人 sup", "无风险因素", "待走访；派单人 sup"]
    for t_src, d_src, title, detail in zip(tl["title_src"], tl["detail_src"], tl["事项"], tl["说明"]):
        assert (timeline_text(t_src), timeline_text(d_src)) == (title, detail)
    assert timeline_cells(tl, "zh") is tl
    en = timeline_cells(tl, "en")
    assert list(en["事项"]) == ["Home visit", "Corrected: receives dibao = yes",
                              "Risk level yellow (score 31)", "Assigned to 李四, due 2026-11-09"]
    assert list(en["说明"]) == ["Observed: lost a job", "民政局来函; recorded by sup", "no risk factors",
                              "to visit; assigned by sup"]
    assert list(en["类别"]) == ["visit", "correction", "risk score", "assignment"]
    # a row without codes (made elsewhere) is shown as it was built
    bare = build_timeline(case_items=[{"on": date(2026, 11, 1), "kind": "visit", "title": "入户走访",
                                       "detail": "未见异常"}])
    assert list(timeline_cells(bare, "en")["事项"]) == ["入户走访"]


def test_the_admission_verdict_and_checklist_message_in_english():
    from cases.admission import AdmissionFacts, assess_admission
    from cases.verification import checklist_state, load_items, missing_message as zh_message
    from dashboard.texts_cases import missing_message

    base = dict(members=3, income_per_capita_yuan=400, dibao_standard_yuan=500, verified=True,
                dependent_severe_member=False, member_can_register_alone=False,
                no_labour_no_income_no_supporter=False)
    for change in ({}, {"verified": False}, {"no_labour_no_income_no_supporter": True},
                   {"income_per_capita_yuan": 800, "dependent_severe_member": True},
                   {"income_per_capita_yuan": 1200}):
        d = assess_admission(AdmissionFacts(**{**base, **change}))
        assert CJK.search(d.reason) and d.reason_en and not CJK.search(d.reason_en), change
    assert "400" in assess_admission(AdmissionFacts(**base)).reason_en
    items = load_items()
    for results in ({}, {i.code: "clear" for i in items[:15]}):
        state = checklist_state(items, results)
        rows = [{"code": i.code, "name": i.name, "department": i.department} for i in state.missing]
        assert missing_message(rows, "zh") == zh_message(state)  # the same Chinese sentence
        assert not CJK.search(missing_message(rows, "en")), missing_message(rows, "en")
