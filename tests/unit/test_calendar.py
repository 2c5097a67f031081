"""Known-answer tests for cases.calendar (official Chinese working days)."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases import calendar as cal
from cases.calendar import (
    add_working_days,
    deadline,
    holiday_name,
    is_provisional,
    is_working_day,
    statutory_holidays,
    working_days_between,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cal.clear_cache()
    yield
    cal.clear_cache()


# ------------------------------------------------------------------ the brief's known answers
def test_three_working_days_after_national_day_eve_2025_is_tiaoxiu_saturday():
    # Oct 1–8 2025 off; Oct 9 (Thu), Oct 10 (Fri), Oct 11 (Sat, 调休 make-up day)
    assert add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert date(2025, 10, 11).weekday() == 5
    assert is_working_day(date(2025, 10, 11))


def test_fifteen_working_days_across_spring_festival_2026():
    # 2026-02-14 (Sat) is a make-up day, Feb 15–23 off, Feb 28 (Sat) make-up day
    assert add_working_days(date(2026, 1, 30), 15) == date(2026, 2, 27)


def test_fifteen_after_national_day_eve_2025():
    assert add_working_days(date(2025, 9, 30), 15) == date(2025, 10, 28)


def test_national_day_2026():
    for d in range(1, 8):
        assert not is_working_day(date(2026, 10, d)), d
    assert is_working_day(date(2026, 9, 20))  # Sunday make-up day
    assert is_working_day(date(2026, 10, 10))  # Saturday make-up day
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert not deadline(date(2026, 9, 30), 3).provisional


def test_spring_festival_2026_days_off_and_names():
    for d in range(15, 24):
        assert not is_working_day(date(2026, 2, d)), d
    assert is_working_day(date(2026, 2, 14))
    assert holiday_name(date(2026, 2, 17)) == "春节"
    assert holiday_name(date(2026, 3, 2)) is None


# ------------------------------------------------------------------ into 2027 (computed)
def test_2027_is_computed_and_provisional():
    assert cal.year_source(2027) == cal.SOURCE_COMPUTED
    assert is_provisional(date(2027, 3, 1))
    assert not is_provisional(date(2026, 12, 31))


def test_statutory_holidays_2027_from_the_law():
    h = statutory_holidays(2027)
    # lunar new year 2027 is Feb 6; eve Feb 5; days 1–3 Feb 6–8
    assert [d for d, n in sorted(h.items()) if n == "春节"] == [
        date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)
    ]
    assert h[date(2027, 1, 1)] == "元旦"
    assert h[date(2027, 4, 5)] == "清明节"
    assert h[date(2027, 5, 1)] == h[date(2027, 5, 2)] == "劳动节"
    assert h[date(2027, 6, 9)] == "端午节"
    assert h[date(2027, 9, 15)] == "中秋节"
    assert [d for d, n in h.items() if n == "国庆节"] == [date(2027, 10, d) for d in (1, 2, 3)]
    assert len(h) == 13


def test_computed_rules_agree_with_published_lunar_and_solar_term_dates():
    # for years with a published calendar, every computed 清明/端午/中秋 date is a published holiday
    for year in range(2015, 2027):
        published = cal._year_table(year).holidays
        for d, name in statutory_holidays(year).items():
            if name in ("清明节", "端午节", "中秋节", "国庆节", "元旦"):
                assert d in published, (year, d, name)


def test_deadline_crossing_new_year_into_2027():
    # Dec 31 2026 (Thu) working; Jan 1 2027 holiday; Jan 4 (Mon), Jan 5 (Tue)
    res = deadline(date(2026, 12, 30), 3)
    assert res.due_on == date(2027, 1, 5)
    assert res.provisional
    # inside 2026 only: not provisional
    assert not deadline(date(2026, 12, 1), 3).provisional


def test_spring_festival_2027_computed():
    # Feb 4 (Thu) 1; Feb 5 eve, 6–7 weekend+festival, 8 festival; Feb 9–10 补假 for the
    # weekend festival days; Feb 11 (Thu) 2; Feb 12 (Fri) 3
    assert add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 12)
    assert not is_working_day(date(2027, 2, 8))


def test_national_day_2027_computed():
    # Oct 2–3 (Sat–Sun) are made up (补假) on Oct 4–5
    assert add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 6)
    assert not is_working_day(date(2027, 10, 1))


def test_december_demo_deadline_falls_next_year():
    assert add_working_days(date(2026, 12, 28), 15) == date(2027, 1, 19)


# ------------------------------------------------------------------ holiday file
def test_holiday_file_overrides_computed(tmp_path, monkeypatch):
    (tmp_path / "2027.json").write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "test",
                "holidays": {"2027-01-01": "元旦", "2027-02-05": "春节", "2027-02-09": "春节"},
                "workdays": ["2027-02-13"],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("JIZHEN_CALENDAR_DIR", str(tmp_path))
    cal.clear_cache()
    assert cal.year_source(2027) == cal.SOURCE_FILE
    assert not is_provisional(date(2027, 2, 9))
    assert not is_working_day(date(2027, 2, 9))
    assert is_working_day(date(2027, 2, 8))  # not listed in this file → ordinary Monday
    assert is_working_day(date(2027, 2, 13))  # Saturday make-up day
    assert not deadline(date(2027, 2, 1), 10).provisional


def test_broken_holiday_file_falls_back(tmp_path, monkeypatch):
    (tmp_path / "2028.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("JIZHEN_CALENDAR_DIR", str(tmp_path))
    cal.clear_cache()
    assert cal.year_source(2028) == cal.SOURCE_COMPUTED
    assert not is_working_day(date(2028, 10, 2))


def test_shipped_directory_has_no_guessed_2027():
    cal.clear_cache()
    assert not (cal.calendar_dir() / "2027.json").exists()


# ------------------------------------------------------------------ arithmetic properties
def test_zero_and_negative():
    d = date(2025, 10, 11)
    assert add_working_days(d, 0) == d
    assert add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)


def test_working_days_between():
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 11)) == 3
    assert working_days_between(date(2025, 10, 11), date(2025, 9, 30)) == -3
    assert working_days_between(date(2026, 1, 30), date(2026, 2, 27)) == 15
    assert working_days_between(date(2026, 2, 27), date(2026, 2, 27)) == 0


def test_never_crashes_on_extreme_dates():
    for d in (date.min, date.min + timedelta(days=400), date(1899, 12, 31), date(1900, 1, 1),
              date(2099, 12, 31), date(2100, 1, 1), date.max):
        assert isinstance(is_working_day(d), bool)
        assert isinstance(is_provisional(d), bool)
    assert add_working_days(date.min, 3) > date.min
    with pytest.raises(ValueError):
        add_working_days(date.max - timedelta(days=2), 5)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1, 1, 1), max_value=date(9990, 1, 1)), st.integers(0, 30))
def test_property_result_is_working_day_and_count_matches(start, n):
    due = add_working_days(start, n)
    assert due >= start
    if n:
        assert is_working_day(due)
        assert working_days_between(start, due) == n
