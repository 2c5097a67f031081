"""Known answers for the deadline of a case (issue 9 defects 5, 9, 10): one definition
(cases.rules.case_deadline + cases.vocabulary.DEADLINE_STATUS_TEXTS), the clock stops at payment,
the county has its own configurable clock, finished cases are never judged against today, and
computed (2027) holidays include the weekend make-up rule (补假)."""
from __future__ import annotations

from datetime import date

import pytest

from cases import calendar as cal
from cases import rules
from cases.calendar import add_working_days, deadline, holiday_name, is_working_day, make_up_days
from cases.rules import DeadlineFacts, case_deadline
from cases.vocabulary import (DEADLINE_STATUS_LABELS, DEADLINE_STATUS_TEXTS, OPEN_DEADLINE_STATUSES,
                              DeadlineStatus, deadline_status_label)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cal.clear_cache()
    yield
    cal.clear_cache()


def town(**kw) -> DeadlineFacts:
    base = dict(status="accepted", received_on=date(2025, 9, 30), amount_requested_yuan=300,
                approval_due_on=date(2025, 10, 11))
    base.update(kw)
    return DeadlineFacts(**base)


# ------------------------------------------------------------------ defect 9: stop at payment
def test_town_due_three_working_days_after_receipt_across_national_day():
    # Oct 1–8 2025 off; Oct 9 (Thu) 1, Oct 10 (Fri) 2, Oct 11 (Sat, 调休 working day) 3
    assert rules.approval_due_on(date(2025, 9, 30)) == date(2025, 10, 11)
    d = case_deadline(town(approval_due_on=None), date(2025, 10, 9))
    assert d.step == "approval" and d.due_on == date(2025, 10, 11)


def test_approval_alone_does_not_stop_the_clock():
    approved = town(status="town_approved", decided_on=date(2025, 10, 10))
    d = case_deadline(approved, date(2025, 10, 13))
    assert d.status == "overdue" and d.working_days_left == -1 and d.done_on is None
    assert case_deadline(approved, date(2025, 10, 10)).status == "due_soon"


def test_paid_within_three_working_days_is_on_time_and_after_is_late():
    on_time = town(status="paid", decided_on=date(2025, 10, 10), paid_on=date(2025, 10, 11))
    d = case_deadline(on_time, date(2026, 6, 1))
    assert (d.status, d.done_on, d.working_days_left) == ("done_on_time", date(2025, 10, 11), None)
    # approved on time (Oct 10) but paid on Monday Oct 13: late, because 审批发放 includes payment
    late = town(status="closed", decided_on=date(2025, 10, 10), paid_on=date(2025, 10, 13))
    d = case_deadline(late, date(2026, 6, 1))
    assert d.status == "done_late" and d.late and not d.is_open


def test_county_has_its_own_clock_not_the_towns_three_days():
    assert rules.county_decision_working_days() == 10
    facts = DeadlineFacts(status="county_approved", received_on=date(2025, 9, 30),
                          amount_requested_yuan=1500, amount_approved_yuan=1200,
                          approval_due_on=date(2025, 10, 11), decided_on=date(2025, 10, 14))
    # 10 working days: Oct 9, 10, 11 (调休 Sat), 13, 14, 15, 16, 17, 20, 21
    d = case_deadline(facts, date(2025, 10, 15))
    assert d.step == "county" and d.due_on == date(2025, 10, 21)
    assert d.status == "on_time" and d.working_days_left == 4
    paid = DeadlineFacts(**{**facts.__dict__, "status": "paid", "paid_on": date(2025, 10, 16)})
    assert case_deadline(paid, date(2025, 12, 1)).status == "done_on_time"
    # a shorter configured county clock: 5 working days → Oct 14; payment on Oct 16 is late
    d5 = case_deadline(paid, date(2025, 12, 1), county_working_days=5)
    assert d5.due_on == date(2025, 10, 14) and d5.status == "done_late"


def test_county_clock_applies_before_escalation_by_amount():
    d = case_deadline(town(amount_requested_yuan=800, approval_due_on=date(2025, 10, 11)),
                      date(2025, 10, 13))
    assert d.step == "county" and d.status == "on_time"
    # the town may approve 500 of an 800-yuan request: then it is the town's decision and clock
    d = case_deadline(town(status="town_approved", amount_requested_yuan=800,
                           amount_approved_yuan=500, decided_on=date(2025, 10, 10)), date(2025, 10, 13))
    assert d.step == "approval" and d.status == "overdue"


def test_county_days_are_read_from_the_standards_file(tmp_path):
    f = tmp_path / "standards.toml"
    f.write_text("[deadlines]\ncounty_working_days = 7\n", encoding="utf-8")
    assert rules.county_decision_working_days(f) == 7
    g = tmp_path / "empty.toml"
    g.write_text("[[dibao]]\ncounty = '321323'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="county_working_days"):  # no silent default
        rules.county_decision_working_days(g)
    h = tmp_path / "zero.toml"
    h.write_text("[deadlines]\ncounty_working_days = 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="county_working_days"):
        rules.county_decision_working_days(h)
    with pytest.raises(ValueError, match="无法读取"):
        rules.county_decision_working_days(tmp_path / "missing.toml")


# ------------------------------------------------------------------ defect 5: finished cases
@pytest.mark.parametrize("status", ["referred", "admitted", "closed"])
def test_case_finished_without_decision_is_not_applicable_for_ever(status):
    facts = town(status=status)
    for today in (date(2025, 10, 13), date(2026, 10, 13), date(2030, 1, 2)):
        d = case_deadline(facts, today)
        assert d.status == "not_applicable" and d.working_days_left is None and not d.late
        assert d.label == "不适用"


def test_rejected_case_is_judged_on_the_day_of_rejection():
    on_time = town(status="rejected", decided_on=date(2025, 10, 10))
    late = town(status="referred", decided_on=date(2025, 10, 14))  # rejected late, then referred
    assert case_deadline(on_time, date(2027, 1, 4)).status == "done_on_time"
    d = case_deadline(late, date(2027, 1, 4))
    assert d.status == "done_late" and d.done_on == date(2025, 10, 14) and d.working_days_left is None
    d = case_deadline(town(status="rejected", decided_on=date(2025, 10, 14)), date(2027, 1, 4))
    assert d.status == "done_late" and d.status != "overdue"


def test_aid_first_runs_on_the_paperwork_clock():
    facts = DeadlineFacts(status="paid", received_on=date(2026, 1, 30), amount_requested_yuan=300,
                          approval_due_on=date(2026, 2, 4), aid_first=True,
                          paid_on=date(2026, 1, 30), paperwork_due_on=date(2026, 2, 27))
    # due Fri Feb 27; Sat Feb 28 2026 is a 调休 working day, so on Mon Mar 2 it is 2 days overdue
    d = case_deadline(facts, date(2026, 3, 2))
    assert (d.step, d.status, d.working_days_left) == ("paperwork", "overdue", -2)
    done = DeadlineFacts(**{**facts.__dict__, "status": "closed",
                            "files_completed_on": date(2026, 3, 3)})
    assert case_deadline(done, date(2027, 3, 1)).status == "done_late"


def test_one_label_table_for_deadline_statuses():
    assert set(DEADLINE_STATUS_TEXTS) == set(DeadlineStatus)
    assert DEADLINE_STATUS_LABELS["overdue"] == "已逾期"
    assert deadline_status_label("due_soon", "en") == "due soon"
    assert [s.value for s in OPEN_DEADLINE_STATUSES] == ["overdue", "due_soon", "on_time"]
    assert len({zh for zh, _ in DEADLINE_STATUS_TEXTS.values()}) == len(DeadlineStatus)


# ------------------------------------------------------------------ defect 10: 2027 补假
def test_make_up_rule_is_pure_and_skips_holidays_and_weekends():
    sat, sun = date(2027, 5, 1), date(2027, 5, 2)
    assert make_up_days({sat: "劳动节", sun: "劳动节"}) == {
        date(2027, 5, 3): "劳动节（补假）", date(2027, 5, 4): "劳动节（补假）"}
    assert make_up_days({date(2027, 1, 1): "元旦"}) == {}  # a Friday: nothing to make up
    # the make-up day skips a weekday that is itself a holiday
    assert make_up_days({date(2027, 1, 2): "x", date(2027, 1, 4): "y"}) == {date(2027, 1, 5): "x（补假）"}


def test_2027_new_year_friday_needs_no_make_up():
    assert date(2027, 1, 1).weekday() == 4 and not is_working_day(date(2027, 1, 1))
    assert is_working_day(date(2027, 1, 4))
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_2027_labour_day_weekend_made_up_on_monday_and_tuesday():
    assert not is_working_day(date(2027, 5, 3)) and not is_working_day(date(2027, 5, 4))
    assert holiday_name(date(2027, 5, 4)) == "劳动节（补假）"
    assert is_working_day(date(2027, 5, 5))
    # Apr 30 (Fri) 1, May 5 (Wed) 2, May 6 (Thu) 3 — later than May 4 without the rule
    res = deadline(date(2027, 4, 29), 3)
    assert res.due_on == date(2027, 5, 6) and res.provisional


def test_2027_national_day_fri_to_sun_made_up_on_monday_and_tuesday():
    assert [is_working_day(date(2027, 10, d)) for d in range(1, 7)] == [False] * 5 + [True]
    # Oct 6 (Wed) 1, Oct 7 (Thu) 2, Oct 8 (Fri) 3
    res = deadline(date(2027, 9, 30), 3)
    assert res.due_on == date(2027, 10, 8) and res.provisional


def test_2027_spring_festival_weekend_days_made_up():
    # eve Feb 5 (Fri), Feb 6–7 (Sat–Sun), Feb 8 (Mon) off; Sat and Sun made up on Feb 9–10
    assert not is_working_day(date(2027, 2, 9)) and not is_working_day(date(2027, 2, 10))
    assert is_working_day(date(2027, 2, 11))
    assert add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)


def test_published_years_keep_the_official_arrangement():
    # 2025 is published: Oct 11 (Sat) is a 调休 working day, no computed make-up is added
    assert cal.year_source(2025) == cal.SOURCE_PUBLISHED
    assert is_working_day(date(2025, 10, 11)) and is_working_day(date(2025, 10, 9))


def test_2027_deadlines_never_earlier_than_without_make_up_days():
    start = date(2027, 1, 1)
    for i in range(0, 365, 3):
        day = date.fromordinal(start.toordinal() + i)
        got = add_working_days(day, 3)
        # a naive count that only skips weekends and statutory holidays
        hol = cal.statutory_holidays(2027)
        n, d = 0, day
        while n < 3:
            d = date.fromordinal(d.toordinal() + 1)
            if d.weekday() < 5 and d not in hol:
                n += 1
        assert got >= d


def test_facts_from_columns_accept_case_rows_and_pandas_rows():
    import pandas as pd

    from cases.rules import deadline_facts_from_columns

    row = {"status": "paid", "received_on": "2025-09-30", "amount_requested_fen": 30000,
           "amount_approved_fen": 30000, "approval_due_on": date(2025, 10, 11),
           "approval_provisional": False, "aid_first": False, "aid_on": pd.Timestamp("2025-10-13"),
           "decided_on": date(2025, 10, 10), "paperwork_due_on": pd.NaT,
           "paperwork_provisional": False, "files_completed_on": None}
    f = deadline_facts_from_columns(row)
    assert f.paid_on == date(2025, 10, 13) and f.paperwork_due_on is None
    assert case_deadline(f, date(2026, 1, 1)).status == "done_late"
    frame = pd.DataFrame([row])
    f2 = deadline_facts_from_columns(frame.iloc[0])
    assert case_deadline(f2, date(2026, 1, 1)) == case_deadline(f, date(2026, 1, 1))
