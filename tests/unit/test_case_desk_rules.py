"""Known answers for the rules moved out of the 救助案件 page into cases/desk.py, for the escaping
of user text in messages (dashboard/plain_text.py) and for what a visit form stores as income."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from cases import desk
from dashboard.plain_text import plain
from grid.visits import VisitObservations

SHOWN = desk.ShownCase(case_id=7, case_no="JZ202510-000007", version=3, status="accepted",
                       offered=("approve_town", "reject", "refer"), events_seen=2)


# --------------------------------------------------------------------------- the binding
def test_shown_case_captures_id_version_state_offer_and_timeline_length():
    detail = {"id": 7, "case_no": "JZ202510-000007", "version": 3, "status": "accepted",
              "available_transitions": ["approve_town", "reject", "refer"],
              "events": [{"transition": "intake"}, {"transition": "accept"}], "amount_yuan": 300.0}
    assert desk.shown_case(detail) == SHOWN
    assert desk.default_amount(detail) == 300.0
    assert desk.default_amount({"amount_yuan": None}) == 0.0


def test_still_valid_when_nothing_changed():
    assert desk.outdated(SHOWN, "reject", version=3, status="accepted",
                         offered_now=["approve_town", "reject", "refer"]) is None


def test_a_changed_version_is_refused_and_says_who_approved():
    zh, en = desk.outdated(SHOWN, "reject", version=4, status="town_approved",
                           offered_now=["pay"],
                           new_events=[{"transition": "approve_town", "actor": "zhenling",
                                        "role": "township_leader"}])
    assert zh == ("案件JZ202510-000007已被zhenling（镇街领导）批准，现为“镇街已批准”。"
                  "您的操作“不予救助”未保存，请查看最新状态。")
    assert "approved by zhenling" in en


def test_the_action_chosen_is_judged_by_name_even_if_it_is_still_offered_after_a_change():
    """The old page fell back to the first action still offered; a version change is refused
    even when the chosen action happens to be offered again."""
    why = desk.outdated(SHOWN, "refer", version=5, status="rejected", offered_now=["refer", "close"],
                        new_events=[{"transition": "reject", "actor": "x", "role": "county_staff"}])
    assert why is not None and "办理“不予救助”" in why[0] and "“转诊”未保存" in why[0]


def test_a_repeated_submit_of_my_own_action_is_said_to_be_done_already():
    mine = [{"transition": "reject", "actor": "xian", "role": "county_staff"}]
    zh, _ = desk.outdated(SHOWN, "reject", version=4, status="rejected", offered_now=["close"],
                          new_events=mine, me="xian")
    assert zh == "您的操作“不予救助”已办理（案件JZ202510-000007现为“不予救助”），重复提交未再办理。"
    # someone else's identical action, or mine plus another change, is a change like any other
    assert "已被" in desk.outdated(SHOWN, "reject", version=4, status="rejected", offered_now=[],
                                  new_events=mine, me="other")[0]
    both = [*mine, {"transition": "close", "actor": "y", "role": "township_leader"}]
    assert "已被y" in desk.outdated(SHOWN, "reject", version=5, status="closed", offered_now=[],
                                   new_events=both, me="xian")[0]


def test_a_change_without_a_timeline_entry_is_still_refused():
    zh, _ = desk.outdated(SHOWN, "reject", version=4, status="accepted", offered_now=["reject"])
    assert zh.startswith("案件JZ202510-000007已被他人修改，现为“已受理”") and "未保存" in zh


@pytest.mark.parametrize("name, offered_now", [
    ("pay", ["pay"]),                       # never shown on this form
    ("approve_town", ["reject", "refer"]),  # shown, but no longer offered (same version)
    ("no_such_action", ["approve_town"]),
])
def test_an_action_not_shown_or_no_longer_offered_is_refused(name, offered_now):
    why = desk.outdated(SHOWN, name, version=3, status="accepted", offered_now=offered_now)
    assert why is not None and "现在不能办理" in why[0]


@pytest.mark.parametrize("name", [None, ""])
def test_no_action_chosen_is_refused(name):
    assert desk.outdated(SHOWN, name, version=3, status="accepted", offered_now=["reject"])[0] \
        == "请先选择要办理的操作，未保存。"


def test_only_deciding_transitions_carry_an_amount():
    assert desk.amount_for("approve_town", 300) == 300.0
    assert desk.amount_for("pay_first", 120.5) == 120.5
    assert desk.amount_for("reject", 300) is None
    assert desk.amount_for("pay", 300) is None  # pays what was approved
    assert desk.amount_for("approve_county", None) is None
    assert desk.AMOUNT_TRANSITIONS <= set(desk.TRANSITIONS)


# --------------------------------------------------------------------------- the list
ROWS = [
    {"id": 1, "deadline_status": "overdue", "working_days_left": -2},
    {"id": 2, "deadline_status": "overdue", "working_days_left": None},   # finished: clock stopped
    {"id": 3, "deadline_status": "due_soon", "working_days_left": 1},
    {"id": 4, "deadline_status": "on_time", "working_days_left": 3},
    {"id": 5, "deadline_status": "on_time", "working_days_left": None},
]


def test_deadline_filter_keeps_running_clocks_with_the_chosen_statuses():
    assert [r["id"] for r in desk.deadline_filter(ROWS, ["overdue"])] == [1]
    assert [r["id"] for r in desk.deadline_filter(ROWS, ["due_soon", "on_time"])] == [3, 4]
    assert [r["id"] for r in desk.deadline_filter(ROWS, [])] == [1, 2, 3, 4, 5]
    assert [r["id"] for r in desk.deadline_filter(ROWS, None)] == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        desk.deadline_filter(ROWS, ["late"])


def test_overdue_count_counts_only_running_clocks():
    assert desk.overdue_count(ROWS) == 1
    assert desk.overdue_count([]) == 0


def test_open_referrals_are_sent_or_accepted():
    refs = [{"id": 1, "status": "sent"}, {"id": 2, "status": "accepted"},
            {"id": 3, "status": "rejected"}, {"id": 4, "status": "done"}]
    assert [r["id"] for r in desk.open_referrals(refs)] == [1, 2]


def test_disclosure_months_are_the_twelve_before_this_month():
    months = desk.disclosure_months(date(2025, 3, 15))
    assert months[:3] == ["2025-02", "2025-01", "2024-12"] and months[-1] == "2024-03"
    assert len(months) == 12


def test_disclosure_listing_keeps_total_and_note_text_out_of_the_name_column():
    frame = pd.DataFrame({"序号": [1, 2, "合计", "说明"], "救助对象": ["王甲一", "李乙二", "2人次", "监督电话"],
                          "身份证号": ["x", "y", None, None]})
    out = desk.disclosure_listing(frame, 2)
    assert list(out.columns) == ["序号", "person_name", "person_id_number"]
    assert out["person_name"].tolist()[:2] == ["王甲一", "李乙二"]
    assert out["序号"].tolist()[2:] == ["合计：2人次", "说明：监督电话"]
    assert out["person_name"].isna().tolist()[2:] == [True, True]


# --------------------------------------------------------------------------- user text
@pytest.mark.parametrize("raw, shown", [
    ("王甲一", "王甲一"),
    ("**粗体** _斜_", "\\*\\*粗体\\*\\* \\_斜\\_"),
    ("[点我](http://evil)", "\\[点我\\]\\(http\\://evil\\)"),
    ("<img src=x onerror=alert(1)>", "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;"),
    (":red[警告] $x$", "\\:red\\[警告\\] \\$x\\$"),
    ("第一行\n# 标题", "第一行 \\# 标题"),
    (None, ""),
])
def test_plain_escapes_markup_in_user_text(raw, shown):
    assert plain(raw) == shown


def test_plain_leaves_no_unescaped_markup_character():
    text = plain("`*_{}[]()#+-.!|<>~:$\\")
    i = 0
    while i < len(text):  # every special char is preceded by a backslash (or is an entity)
        if text[i] == "\\":
            i += 2
            continue
        assert text[i] not in "`*_{}[]()#+-.!|<>~:$", (text, i)
        i += 1


# --------------------------------------------------------------------------- visit income
@pytest.mark.parametrize("typed, stored", [
    (None, None), ("", None), ("  ", None),      # the empty field is "unknown"
    (420, 420.0), (0, 0.0), ("1,250", 1250.0), (" 800.5 ", 800.5),
])
def test_visit_income_unknown_is_the_empty_field(typed, stored):
    assert VisitObservations.from_form(income=typed).income_per_capita_yuan == stored


def test_visit_form_flags_and_notes():
    obs = VisitObservations.from_form(income=None, notes="  漏雨 ", care_gap=1, lost_job=False)
    assert (obs.care_gap, obs.lost_job, obs.housing_loss, obs.notes) == (True, False, False, "漏雨")
    with pytest.raises(ValueError, match="未知的走访观察项"):
        VisitObservations.from_form(income=None, on_fire=True)


def test_visit_messages_name_the_household_in_both_languages():
    from dashboard.texts_visit import tv

    fields = {"id": 581, "head": "谢甲六", "address": "演示路1号", "score": 26.0, "level": "黄色",
              "coverage": 0.324, "msg": "x"}
    # the outcome messages of a save (saved / duplicate / not saved / stale) name the household
    for key in ("saved", "duplicate", "not_saved", "stale"):
        for lang in ("zh", "en"):
            text = tv(key, lang, **fields)
            assert "{" not in text and "581" in text, (key, lang)
    assert "谢甲六" in tv("saved", "zh", **fields) and "32.4%" in tv("saved", "zh", **fields)
