"""Pure parts of the intake API: rate limit, Open311 words, times, field validation, XML text."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone

import pytest

from cases.rules import FINISHED_STATUSES
from cases.vocabulary import Category, Channel, Status
from jizhen.api import render, service, vocab
from jizhen.api.ratelimit import RateLimiter


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_rate_limit_sliding_window_per_client():
    clock = Clock()
    rl = RateLimiter(3, clock=clock)
    assert [rl.check("a") for _ in range(3)] == [None, None, None]
    clock.t += 20
    assert rl.check("a") == pytest.approx(40.0)  # the first hit leaves the window in 40 s
    assert rl.check("b") is None  # another client has its own allowance
    clock.t += 40  # 60 s after the three hits: all have left the window
    assert [rl.check("a") for _ in range(3)] == [None, None, None]
    assert rl.check("a") == pytest.approx(60.0)
    assert RateLimiter.retry_after_header(0.2) == "1"
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_services_cover_every_category_plus_other():
    assert {s.category for s in vocab.SERVICES} == set(Category)
    assert [s.code for s in vocab.SERVICES][-1] == vocab.OTHER
    assert set(vocab.CHANNEL_VALUES.values()) == set(Channel) - {Channel.grid_visit}


@pytest.mark.parametrize("status", list(Status))
def test_open_or_closed(status):
    expected = "closed" if status in FINISHED_STATUSES else "open"
    assert vocab.open311_status(status.value) == expected


def test_times_in_shanghai():
    assert service.iso_local(datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc)) == "2026-11-27T08:00:00+08:00"
    assert service.end_of_day(date(2026, 12, 2)) == "2026-12-02T23:59:59+08:00"
    assert service.parse_when("2026-11-01", "start_date") == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)
    assert service.parse_when("2026-11-01T00:00:00Z", "start_date") == datetime(2026, 11, 1, tzinfo=timezone.utc)
    for bad in ("yesterday", "9999-12-31", "0001-01-01T00:00:00"):
        with pytest.raises(service.ApiError) as exc:
            service.parse_when(bad, "start_date")
        assert exc.value.status == 400


def test_default_window_and_span_limit():
    now = datetime(2026, 11, 27, tzinfo=timezone.utc)
    q = service.parse_query({}, now=now)
    assert (q.end - q.start).days == 90 and q.end == now
    with pytest.raises(service.ApiError):
        service.parse_query({"start_date": "2026-01-01", "end_date": "2026-12-01"}, now=now)
    with pytest.raises(service.ApiError):
        service.parse_query({"status": "pending"}, now=now)


def test_every_problem_of_a_post_is_reported_at_once():
    with pytest.raises(service.ApiError) as exc:
        service.parse_new_request({"service_code": "pothole", "attribute[channel]": "fax",
                                   "phone": "1" * 30})
    text = " ".join(d for _c, d in exc.value.errors)
    for words in ("未知的 service_code", "缺少位置", "attribute[ticket_no]", "attribute[channel]", "phone 过长"):
        assert words in text
    assert {c for c, _d in exc.value.errors} == {400}


def test_a_valid_post_is_read():
    req = service.parse_new_request({
        "service_code": "other", "lat": "33.72", "long": "118.66", "last_name": "王",
        "first_name": "小明", "description": "多行\n说明", "attribute[channel]": "12349",
        "attribute[ticket_no]": "A-1", "attribute[household_size]": "4"})
    assert (req.service.category, req.channel, req.person_name) == (Category.care_gap,
                                                                     "hotline_12349", "王小明")
    assert (req.lat, req.lon, req.household_size) == (33.72, 118.66, 4)


def test_xml_text_is_text():
    xml = render.to_xml("service_requests", [{"description": "<b>x</b> & \x01y", "flag": True}])
    root = ET.fromstring(xml.encode("utf-8"))
    req = root.find("request")
    assert req.findtext("description") == "<b>x</b> & y" and req.findtext("flag") == "true"
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_rate_setting():
    from jizhen.settings import get_settings

    assert get_settings({}).api_rate_per_minute == 60
    assert get_settings({"JIZHEN_API_RATE_PER_MINUTE": "5"}).api_rate_per_minute == 5
    with pytest.raises(ValueError, match="JIZHEN_API_RATE_PER_MINUTE"):
        get_settings({"JIZHEN_API_RATE_PER_MINUTE": "many"})
