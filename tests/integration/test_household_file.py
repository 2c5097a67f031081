"""一户一档 in the domain (grid.household_file) on SQLite and PostgreSQL: the search stays in the
user's grids and masks per role; a household outside them is "not found" exactly like a missing
one; the file holds facts, visits with observations, score history with reasons, assignments,
cases and appeals on one timeline; a correction shows in it."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from grid.db import session_scope
from grid.facts import correct_fact, decide_appeal, record_appeal
from grid.household_file import (HouseholdNotFound, SearchError, build_timeline, household_file,
                                 parse_household_id, search_households)
from grid.ids import make_id_number
from tests.cases_fixtures import AUDITOR, LEADER, SUP, SUP2, WORKER
from tests.household_file_fixtures import TODAY, household_world


@pytest.fixture
def world(engine):
    return household_world(engine)


def _search(engine, actor, q):
    with engine.connect() as conn:
        return search_households(conn, actor, q)


def test_search_by_name_id_tail_and_address_stays_in_scope(engine, world):
    # 张丙三 heads two households of G02: the G01 supervisor finds neither, the G02 one both
    assert _search(engine, SUP, "张丙三").empty
    assert sorted(_search(engine, SUP2, "张丙三")["id"]) == sorted([world["b3"], world["b4"]])
    # the last 4 digits of an ID (what a masked ID shows)
    tail_a1 = make_id_number("321323", date(1960, 1, 2), 1)[-4:]
    tail_b3 = make_id_number("321323", date(1960, 1, 4), 3)[-4:]
    assert world["a1"] in set(_search(engine, SUP, tail_a1)["id"])
    assert world["b3"] not in set(_search(engine, SUP, tail_b3)["id"])
    assert world["b3"] in set(_search(engine, SUP2, tail_b3)["id"])
    # address: every G01 household on 演示路, none of G02 (样例街)
    found = _search(engine, SUP, "演示路")
    assert sorted(found["id"]) == sorted([world["a1"], world["a2"], world["a5"]])
    assert set(found["grid_code"]) == {"G01"}
    assert _search(engine, SUP, "样例街").empty
    # a LIKE wildcard is a character, not a pattern
    assert _search(engine, LEADER, "%%").empty
    assert _search(engine, LEADER, "__").empty


def test_search_masks_per_role(engine, world):
    sup = _search(engine, SUP, "王甲一").set_index("id")
    assert sup.at[world["a1"], "head_name"] == "王甲一"          # a supervisor visits: clear
    assert sup.at[world["a1"], "address"] == "演示路1号"
    full_id = make_id_number("321323", date(1960, 1, 2), 1)
    assert sup.at[world["a1"], "head_id_number"] == full_id[:6] + "*" * 8 + full_id[-4:]
    for actor in (LEADER, AUDITOR):
        other = _search(engine, actor, "王甲一").set_index("id")
        assert other.at[world["a1"], "head_name"] == "王*一"
        assert full_id not in other.to_string()


def test_search_needs_two_characters(engine, world):
    with pytest.raises(SearchError, match="至少输入 2 个字"):
        _search(engine, SUP, " 王 ")


def test_out_of_scope_is_not_found_like_a_missing_household(engine, world):
    messages = {}
    with session_scope(engine) as s:
        for name, hid in (("other_grid", world["b3"]), ("missing", 987654)):
            with pytest.raises(HouseholdNotFound) as exc:
                household_file(s, SUP, hid)
            messages[name] = str(exc.value).replace(str(hid), "<id>")
        with pytest.raises(HouseholdNotFound):
            household_file(s, SUP, "1 OR 1=1")
    assert messages["other_grid"] == messages["missing"]
    assert "未找到住户" in messages["missing"]


def test_the_file_holds_visits_scores_assignments_cases_and_one_timeline(engine, world):
    with session_scope(engine) as s:
        f = household_file(s, SUP, world["a1"])
    assert f.grid_code == "G01" and f.version == 1
    assert f.facts.set_index("field").at["members", "值"] == "3"
    # every visit with its observations, newest first
    assert list(f.visits["走访日期"].astype(str)) == ["2026-10-12", "2026-06-03"]
    assert f.visits.iloc[0]["发现"] == "无人照料、失业" and f.visits.iloc[1]["发现"] == "未见异常"
    assert f.visits.iloc[0]["人均月收入（元）"] == 420.0
    assert "13912345678" in f.visits.iloc[0]["备注"]              # a supervisor reads notes as typed
    # the score with its reasons
    assert len(f.scores) == 1 and f.score is not None and f.score["reasons"]
    assert f.scores.iloc[0]["原因"] == "；".join(f.score["reasons"])
    assert list(f.assignments["状态"]) == ["待走访"]
    assert list(f.cases["案件编号"]) == [world["case_no"]]
    kinds = list(f.timeline["kind"])
    for kind in ("visit", "risk_flag", "case", "score", "assignment"):
        assert kind in kinds
    days = list(pd.to_datetime(f.timeline["日期"]))
    assert days == sorted(days)


def test_a_leader_reads_notes_with_numbers_masked(engine, world):
    with session_scope(engine) as s:
        f = household_file(s, LEADER, world["a1"])
    assert "13912345678" not in f.visits.iloc[0]["备注"] and "139****5678" in f.visits.iloc[0]["备注"]


def test_a_grid_worker_sees_only_their_own_assignments(engine, world):
    with session_scope(engine) as s:
        f = household_file(s, WORKER, world["a1"])  # WORKER is not linked to a worker record
    assert f.assignments.empty and len(f.visits) == 2


def test_correction_and_appeal_show_in_the_file(engine, world):
    with session_scope(engine) as s:
        correct_fact(session=s, actor=SUP, household_id=world["a1"], field="members", new_value=4,
                     reason="新生儿落户", expected_version=1, today=TODAY)
    with session_scope(engine) as s:
        appeal = record_appeal(session=s, actor=SUP, household_id=world["a1"], subject="score",
                               objection="居民认为评分过高", received_on=TODAY)
    with session_scope(engine) as s:
        decide_appeal(session=s, actor=LEADER, appeal_id=appeal, outcome="kept",
                      note="核实后维持", expected_version=1, decided_on=TODAY)
    with session_scope(engine) as s:
        f = household_file(s, SUP, world["a1"])
    assert f.version == 2 and f.facts.set_index("field").at["members", "值"] == "4"
    members = f.history[f.history["field"] == "members"]
    assert dict(zip(members["值"], members["corrected"])) == {"4": False, "3": True}  # old value kept
    assert len(f.scores) == 2                                       # re-scored at once
    tl = f.timeline
    fix = tl[tl["kind"] == "correction"]
    assert list(fix["事项"]) == ["更正：家庭人口 = 4"] and "新生儿落户" in fix.iloc[0]["说明"]
    appeals = tl[tl["kind"] == "appeal"]
    assert list(appeals["事项"]) == ["居民异议（风险评分）", "异议处理：维持原评分/决定"]
    assert f.appeals.iloc[0]["处理意见"] == "核实后维持" and f.open_appeals.empty


def test_parse_household_id():
    assert parse_household_id("12") == 12 and parse_household_id(" 7 ") == 7
    for bad in (None, "", "0", "-3", "1.5", "1e3", "12;drop", "9" * 13):
        assert parse_household_id(bad) is None


def test_build_timeline_orders_and_keeps_only_level_changes():
    scores = pd.DataFrame({"level": ["yellow", "yellow", "green"], "等级": ["黄", "黄", "绿"],
                           "分数": [30.0, 31.0, 5.0], "原因": ["失业", "失业", ""],
                           "scored_at": pd.to_datetime(["2026-11-03T02:00Z", "2026-11-02T02:00Z",
                                                        "2026-11-01T17:00Z"])})  # newest first
    history = pd.DataFrame({"登记日期": [date(2026, 11, 2), date(2020, 1, 1)], "事项": ["家庭人口"] * 2,
                            "值": ["4", "3"], "来源": ["更正", "演示数据"], "理由": ["落户", ""],
                            "登记人": ["sup", ""]})
    empty = pd.DataFrame(columns=["受理日期", "对象", "异议内容", "status", "处理日期", "处理结果", "处理意见"])
    tl = build_timeline(case_items=[{"on": date(2026, 11, 2), "kind": "visit", "title": "入户走访",
                                     "detail": "未见异常"}],
                        history=history, scores=scores, assignments=pd.DataFrame(
                            columns=["created_at", "网格员", "期限", "状态", "派单人"]),
                        appeals=empty, created_on=date(2020, 1, 1))
    # 2026-11-01T17:00Z is 11-02 01:00 in Shanghai; the later yellow (11-03) is not a change
    assert list(tl["kind"]) == ["visit", "correction", "score", "score"]
    assert list(tl["日期"]) == [date(2026, 11, 2)] * 4
    assert list(tl["事项"][2:]) == ["风险等级 绿（5 分）", "风险等级 黄（31 分）"]
