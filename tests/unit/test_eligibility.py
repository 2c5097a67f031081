"""Known answers for the pure eligibility rules (cases.eligibility), the amount validator
(cases.money.parse_amount) and the guards config (cases.limits)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cases import eligibility as el
from cases import rules
from cases.errors import Blacklisted, DomainError, FollowUpLimitExceeded, PermissionDenied
from cases.limits import CASE_GUARDS_TOML, case_limits, parse_limits
from cases.money import parse_amount
from grid.access import Role

A = "32132319600101001X"
B = "321323196001020027"


# ------------------------------------------------------------------ the same person
def test_same_person_by_id_number_first():
    assert el.same_person(el.PersonKey(A, 1), el.PersonKey(A.lower(), 2))  # ID decides; case-insensitive
    assert not el.same_person(el.PersonKey(A, 1), el.PersonKey(B, 1))  # two IDs, one household: two people


def test_same_person_by_household_when_an_id_is_missing():
    assert el.same_person(el.PersonKey(None, 7), el.PersonKey(A, 7))
    assert el.same_person(el.PersonKey("  ", 7), el.PersonKey(None, 7))
    assert not el.same_person(el.PersonKey(None, 7), el.PersonKey(None, 8))
    assert not el.same_person(el.PersonKey(None, None), el.PersonKey(None, None))  # nobody known


# ------------------------------------------------------------------ follow-up
def _req(cid, received, paid=None, open_=False):
    return el.EarlierRequest(cid, received, paid, open_)


def test_only_paid_grants_count_and_pending_ones_are_separate():
    history = [
        _req(1, date(2025, 6, 1), paid=date(2025, 6, 4)),
        _req(2, date(2025, 8, 1)),  # rejected then closed: never paid, not open
        _req(3, date(2025, 9, 1), open_=True),  # still in progress
        _req(4, date(2025, 10, 1), paid=date(2025, 10, 3)),
    ]
    assert el.paid_grant_dates(history) == [date(2025, 6, 4), date(2025, 10, 3)]
    assert el.paid_grant_dates(history, exclude_case_id=4) == [date(2025, 6, 4)]
    assert el.pending_request_dates(history) == [date(2025, 9, 1)]


def test_follow_up_is_derived_from_the_paid_history():
    assert not el.is_follow_up([], date(2026, 3, 1))
    assert el.is_follow_up([date(2025, 3, 2)], date(2026, 3, 1))
    assert not el.is_follow_up([date(2025, 3, 1)], date(2026, 3, 1))  # exactly a year before: outside


def test_third_grant_refused_with_dates_and_says_it_was_derived():
    paid = [date(2025, 11, 20), date(2025, 6, 1)]
    el.check_follow_up(paid[:1], date(2026, 3, 1), derived=True)
    with pytest.raises(FollowUpLimitExceeded) as e:
        el.check_follow_up(paid, date(2026, 3, 1), derived=True)
    assert "2025-06-01、2025-11-20" in e.value.zh and "已发放记录" in e.value.zh
    assert "复诊" in e.value.zh and e.value.details["derived"] is True
    with pytest.raises(FollowUpLimitExceeded) as e:
        el.check_follow_up(paid, date(2026, 3, 1))
    assert "已发放记录" not in e.value.zh  # a ticked follow-up is not called derived


def test_rules_reexport_the_one_definition():
    assert rules.check_follow_up is el.check_follow_up
    assert rules.check_blacklist is el.check_blacklist
    assert rules.FOLLOW_UP_MAX_PER_YEAR == el.FOLLOW_UP_MAX_PER_YEAR == 2


def test_blacklist_override_is_for_officers_with_a_reason():
    assert el.check_blacklist(None, role=Role.GRID_WORKER) is False
    with pytest.raises(Blacklisted):
        el.check_blacklist("骗取救助", role=Role.COUNTY_STAFF, override_reason="  ")
    with pytest.raises(PermissionDenied):
        el.check_blacklist("骗取救助", role=Role.GRID_SUPERVISOR, override_reason="紧急")
    assert el.check_blacklist("骗取救助", role=Role.TOWNSHIP_LEADER, override_reason="火灾") is True


# ------------------------------------------------------------------ dates of decisions and payments
def _step(on, **kw):
    base = dict(received_on=date(2026, 11, 16), previous_on=date(2026, 11, 17), today=date(2026, 11, 30),
                late_entry_days=7)
    base.update(kw)
    return el.check_step_date(on, **base)


def test_step_date_bounds():
    with pytest.raises(DomainError) as e:
        _step(date(2025, 1, 1))
    assert e.value.code == "date_before_received" and "2026-11-16" in e.value.zh
    with pytest.raises(DomainError) as e:
        _step(date(2026, 12, 1))
    assert e.value.code == "future_date" and "晚于今天" in e.value.zh
    with pytest.raises(DomainError) as e:
        _step(date(2026, 11, 16))
    assert e.value.code == "date_before_previous"
    ok = _step(date(2026, 11, 30))
    assert not ok.late and ok.days_before_today == 0


def test_late_entry_needs_a_reason_and_is_marked():
    assert not _step(date(2026, 11, 23)).late  # exactly 7 days before: not late
    with pytest.raises(DomainError) as e:
        _step(date(2026, 11, 22))
    assert e.value.code == "late_entry_reason_required" and "补录" in e.value.zh
    late = _step(date(2026, 11, 22), late_reason="系统故障，纸质审批单补录")
    assert late.late and late.days_before_today == 8
    assert not _step(date(2026, 11, 18), late_entry_days=None).late  # business date unknown


# ------------------------------------------------------------------ amounts
MAX = Decimal("50000")


@pytest.mark.parametrize("value, expected", [
    (300, Decimal("300.00")), ("12.3", Decimal("12.30")), (0.1, Decimal("0.10")),
    (Decimal("49999.99"), Decimal("49999.99")), (" 7 ", Decimal("7.00")),
])
def test_amount_accepted(value, expected):
    assert parse_amount(value, max_yuan=MAX) == expected


@pytest.mark.parametrize("value", [
    0.001, "0.001", float("nan"), "NaN", float("inf"), "-inf", -5_000_000, -0.01, 0, None, "",
    True, "abc", [1], 999_999, 1e300, Decimal("50000.01"),
])
def test_amount_refused_with_a_chinese_message(value):
    with pytest.raises(DomainError) as e:
        parse_amount(value, max_yuan=MAX, what="发放金额")
    assert e.value.code == "bad_amount" and e.value.zh.startswith("发放金额")


def test_amount_zero_and_blank_only_when_allowed():
    assert parse_amount(None, max_yuan=MAX, allow_blank=True, allow_zero=True) == 0
    assert parse_amount(0, max_yuan=MAX, allow_zero=True) == 0
    with pytest.raises(DomainError):
        parse_amount(0.001, max_yuan=MAX, allow_zero=True)  # never rounded to 0


# ------------------------------------------------------------------ config
def test_config_file_holds_the_limits():
    lim = case_limits()
    assert CASE_GUARDS_TOML.exists()
    assert lim.late_entry_days >= 0 and Decimal(999_999) > lim.max_case_yuan > 500
    assert lim.max_donation_yuan > 0


def test_config_problems_are_errors_not_defaults():
    with pytest.raises(ValueError, match="缺少配置项"):
        parse_limits({"dates": {"late_entry_days": 7}})
    with pytest.raises(ValueError, match="late_entry_days"):
        parse_limits({"dates": {"late_entry_days": -1},
                      "amounts": {"max_case_yuan": 1, "max_donation_yuan": 1, "max_medical_cost_yuan": 1}})
    with pytest.raises(ValueError, match="max_case_yuan"):
        parse_limits({"dates": {"late_entry_days": 1},
                      "amounts": {"max_case_yuan": 0, "max_donation_yuan": 1, "max_medical_cost_yuan": 1}})
