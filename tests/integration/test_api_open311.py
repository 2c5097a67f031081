"""The intake API over real HTTP (uvicorn on 127.0.0.1), on SQLite and PostgreSQL: services,
definitions, create, fetch, filters, JSON and XML, every error, resends (also two at once), a
revoked key, the rate limit. JSON responses are validated against tests/api_schemas/georeport_v2.json
(written from the GeoReport v2 spec)."""
from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta

import jsonschema
import pytest
import requests
from sqlmodel import Session, select

from cases.calendar import add_working_days
from cases.intake import locate_grid
from cases.models import Case
from cases.rules import TOWN_APPROVAL_WORKING_DAYS
from cases.vocabulary import CATEGORY_LABELS, Category
from grid.models import AuditEntry, CommunityGrid, Household
from jizhen.api import vocab
from jizhen.api.models import ApiTicket
from tests.api_fixtures import API_TODAY, SCHEMAS, ApiServer, _api_world  # noqa: F401  (fixture)

_ticket_seq = iter(range(1, 1_000_000))


def validate(data, name: str) -> None:
    jsonschema.validate(data, {**SCHEMAS, "$ref": f"#/$defs/{name}"})


def ticket() -> str:
    return f"T{next(_ticket_seq):06d}"


def households(world, n=3) -> list[Household]:
    with Session(world.engine) as s:
        return list(s.exec(select(Household).order_by(Household.id).limit(n)).all())


def grid_code_of(world, hh: Household) -> str:
    with Session(world.engine) as s:
        return s.get(CommunityGrid, hh.grid_id).code


def form_for(world, hh: Household, **over) -> dict:
    data = {"api_key": world.key, "service_code": "accidental_injury", "lat": f"{hh.lat:.6f}",
            "long": f"{hh.lon:.6f}", "last_name": hh.head_name[0], "first_name": hh.head_name[1:],
            "phone": hh.phone, "description": "骑电动车摔伤住院，家里没有收入",
            "attribute[channel]": "12345", "attribute[ticket_no]": ticket(),
            "attribute[household_size]": "3", "attribute[amount_requested]": "300"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def post(world, data, fmt="json", **kw):
    return requests.post(f"{world.url}/requests.{fmt}", data=data, timeout=30, **kw)


def case_by_no(world, case_no) -> Case | None:
    with Session(world.engine) as s:
        return s.exec(select(Case).where(Case.case_no == case_no)).first()


# ----------------------------------------------------------------------------- services
def test_services_json_and_xml(api_world):
    r = requests.get(f"{api_world.url}/services.json", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    data = r.json()
    validate(data, "services")
    by_code = {s["service_code"]: s for s in data}
    assert set(by_code) == {c.value for c in Category} | {"other"}
    for cat in Category:
        assert by_code[cat.value]["service_name"] == CATEGORY_LABELS[cat]
    assert all(s["metadata"] is True and s["type"] == "realtime" for s in data)

    x = requests.get(f"{api_world.url}/services.xml", timeout=10)
    assert x.status_code == 200 and "xml" in x.headers["content-type"]
    assert x.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(x.content)
    assert root.tag == "services"
    assert [e.findtext("service_code") for e in root.findall("service")] == [s["service_code"] for s in data]
    assert root.find("service").findtext("metadata") == "true"


def test_service_definition_json_and_xml(api_world):
    for code in ("housing_loss", "other"):
        data = requests.get(f"{api_world.url}/services/{code}.json", timeout=10).json()
        validate(data, "service_definition")
        attrs = {a["code"]: a for a in data["attributes"]}
        assert set(attrs) == {"channel", "ticket_no", "id_number", "household_size", "amount_requested"}
        assert {v["key"] for v in attrs["channel"]["values"]} == {"110", "12345", "12349", "wechat", "window"}
        assert attrs["ticket_no"]["required"] is True and attrs["id_number"]["required"] is False
    root = ET.fromstring(requests.get(f"{api_world.url}/services/other.xml", timeout=10).content)
    assert root.tag == "service_definition" and root.findtext("service_code") == "other"
    keys = [v.findtext("key") for v in root.find("attributes").find("attribute").find("values")]
    assert keys == ["110", "12345", "12349", "wechat", "window"]
    r = requests.get(f"{api_world.url}/services/no_such.json", timeout=10)
    assert r.status_code == 404
    validate(r.json(), "errors")


# ----------------------------------------------------------------------------- create, fetch
def test_create_routes_matches_and_audits(api_world):
    hh = households(api_world, 1)[0]
    data = form_for(api_world, hh)
    r = post(api_world, data)
    assert r.status_code == 201, r.text
    body = r.json()
    validate(body, "post_response")
    case = case_by_no(api_world, body[0]["service_request_id"])
    assert case is not None
    assert case.channel == "hotline_12345" and case.category == "accidental_injury"
    expected_grid = locate_grid(Session(api_world.engine), hh.lon, hh.lat)
    assert case.grid_code == expected_grid == grid_code_of(api_world, hh)
    assert case.household_id == hh.id and case.match_status == "matched"  # name + phone
    assert case.amount_requested_fen == 30000 and "家庭人口：3人" in case.cause
    assert case.received_on == API_TODAY
    assert case.approval_due_on == add_working_days(API_TODAY, TOWN_APPROVAL_WORKING_DAYS)
    from cases.queries import case_row  # the cases page's row: shown with its channel

    assert case_row(case, API_TODAY)["channel_label"] == "12345"
    with Session(api_world.engine) as s:
        actions = {a.action for a in s.exec(select(AuditEntry).where(
            AuditEntry.entity_id == str(case.id), AuditEntry.actor == "api:" + api_world.client_name))}
    assert {"case.intake", "api.request"} <= actions


def test_create_by_id_number_and_to_match_queue(api_world):
    a, b = households(api_world, 3)[1:3]
    r = post(api_world, form_for(api_world, a, last_name="某", first_name="人", phone="13900000000",
                                 **{"attribute[id_number]": a.head_id_number}))
    assert r.status_code == 201, r.text
    case = case_by_no(api_world, r.json()[0]["service_request_id"])
    assert case.household_id == a.id and case.match_status == "matched"
    # unknown person at a known point: routed to the grid, waiting in the to-match queue
    r = post(api_world, form_for(api_world, b, last_name="无", first_name="此人", phone="13900000001"))
    case = case_by_no(api_world, r.json()[0]["service_request_id"])
    assert case.household_id is None and case.match_status == "to_match"
    assert case.grid_code == grid_code_of(api_world, b)


def test_address_string_is_located_in_the_registry(api_world):
    hh = households(api_world, 4)[3]
    data = form_for(api_world, hh, lat=None, long=None, address_string=hh.address,
                    **{"attribute[channel]": "wechat"})
    r = post(api_world, data, fmt="xml")
    assert r.status_code == 201, r.text
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests"
    case = case_by_no(api_world, root.find("request").findtext("service_request_id"))
    assert case.channel == "wechat" and case.grid_code == grid_code_of(api_world, hh)
    assert (case.lon, case.lat) == (hh.lon, hh.lat)


def test_fetch_one_and_no_personal_data(api_world):
    hh = households(api_world, 5)[4]
    data = form_for(api_world, hh, description="<b>住院</b>押金交不上 13812345678",
                    **{"attribute[id_number]": hh.head_id_number})
    case_no = post(api_world, data).json()[0]["service_request_id"]
    r = requests.get(f"{api_world.url}/requests/{case_no}.json", timeout=10)
    assert r.status_code == 200
    rows = r.json()
    validate(rows, "service_requests")
    row = rows[0]
    assert row["service_request_id"] == case_no and row["status"] == "open"
    assert row["status_notes"] == "已上报" and row["service_code"] == "accidental_injury"
    assert row["agency_responsible"] == vocab.TOWN_AGENCY
    assert row["requested_datetime"].endswith("+08:00")
    due = add_working_days(API_TODAY, TOWN_APPROVAL_WORKING_DAYS)
    assert row["expected_datetime"] == f"{due.isoformat()}T23:59:59+08:00"
    xml = requests.get(f"{api_world.url}/requests/{case_no}.xml", timeout=10)
    assert ET.fromstring(xml.content).find("request").findtext("service_request_id") == case_no
    for text in (r.text, xml.text):
        for secret in (hh.head_name, hh.phone, hh.head_id_number, hh.address, "押金", "13812345678",
                       f"{hh.lat:.4f}"):
            assert secret not in text


def test_county_case_names_the_county(api_world):
    hh = households(api_world, 6)[5]
    case_no = post(api_world, form_for(api_world, hh, **{"attribute[amount_requested]": "3000"})
                   ).json()[0]["service_request_id"]
    row = requests.get(f"{api_world.url}/requests/{case_no}.json", timeout=10).json()[0]
    assert row["agency_responsible"] == vocab.COUNTY_AGENCY


def test_filters(api_world):
    hh = households(api_world, 7)[6]
    other = post(api_world, form_for(api_world, hh, service_code="other")).json()[0]["service_request_id"]
    housing = post(api_world, form_for(api_world, hh, service_code="housing_loss")).json()[0]["service_request_id"]
    url = f"{api_world.url}/requests.json"
    every = requests.get(url, timeout=10).json()
    validate(every, "service_requests")
    ids = [r["service_request_id"] for r in every]
    assert other in ids and housing in ids
    assert len(ids) == len(set(ids))
    got = requests.get(url, params={"service_code": "other"}, timeout=10).json()
    assert [r["service_request_id"] for r in got] == [other]
    assert got[0]["service_name"] == "其他困难"
    both = requests.get(url, params={"service_request_id": f"{other},{housing}"}, timeout=10).json()
    assert {r["service_request_id"] for r in both} == {other, housing}
    assert requests.get(url, params={"status": "closed"}, timeout=10).json() == []
    assert len(requests.get(url, params={"status": "open"}, timeout=10).json()) == len(every)
    with Session(api_world.engine) as s:
        received = s.exec(select(Case.received_at).where(Case.case_no == other)).one()
    before = (received - timedelta(days=2)).isoformat()
    after = (received + timedelta(days=1)).isoformat()
    assert other in [r["service_request_id"] for r in requests.get(
        url, params={"start_date": before, "end_date": after}, timeout=10).json()]
    assert requests.get(url, params={"end_date": before}, timeout=10).json() == []
    x = ET.fromstring(requests.get(f"{api_world.url}/requests.xml", params={"service_code": "other"},
                                   timeout=10).content)
    assert [e.findtext("service_request_id") for e in x.findall("request")] == [other]


# ----------------------------------------------------------------------------- errors
def _refused(world, data, status, fmt="json"):
    cases, tickets = world.count(Case), world.count(ApiTicket)
    r = post(world, data, fmt=fmt)
    assert r.status_code == status, r.text
    if fmt == "json":
        validate(r.json(), "errors")
        assert all(e["code"] == status for e in r.json())
    else:
        root = ET.fromstring(r.content)
        assert root.tag == "errors" and root.find("error").findtext("code") == str(status)
    assert (world.count(Case), world.count(ApiTicket)) == (cases, tickets)  # nothing written
    return r


@pytest.mark.parametrize("change, words", [
    ({"service_code": None}, "缺少 service_code"),
    ({"service_code": "pothole"}, "未知的 service_code"),
    ({"lat": None, "long": None}, "缺少位置"),
    ({"lat": "91", "long": "118"}, "lat 超出范围"),
    ({"lat": None, "long": None, "address_string": "不存在的地址1号"}, "address_string"),
    ({"attribute[channel]": "999"}, "attribute[channel]"),
    ({"attribute[ticket_no]": None}, "attribute[ticket_no]"),
    ({"attribute[household_size]": "0"}, "attribute[household_size]"),
    ({"attribute[amount_requested]": "-5"}, "负数"),
    ({"attribute[id_number]": "123"}, "身份证"),
    ({"attribute[colour]": "red"}, "未知属性"),
])
def test_bad_requests_are_400(api_world, change, words):
    hh = households(api_world, 1)[0]
    r = _refused(api_world, form_for(api_world, hh, **change), 400)
    assert words in " ".join(e["description"] for e in r.json())


def test_bad_request_in_xml(api_world):
    hh = households(api_world, 1)[0]
    _refused(api_world, form_for(api_world, hh, service_code=None), 400, fmt="xml")


def test_keys_missing_wrong_revoked_are_403(api_world):
    hh = households(api_world, 1)[0]
    _refused(api_world, form_for(api_world, hh, api_key=None), 403)
    _refused(api_world, form_for(api_world, hh, api_key=api_world.key + "x"), 403)
    _refused(api_world, form_for(api_world, hh, api_key=api_world.revoked_key), 403)
    _refused(api_world, form_for(api_world, hh, api_key=api_world.revoked_key), 403, fmt="xml")


def test_key_in_query_string_is_accepted(api_world):
    """Some Open311 clients send api_key in the query string and the fields in the body."""
    hh = households(api_world, 1)[0]
    data = form_for(api_world, hh, api_key=None)
    r = requests.post(f"{api_world.url}/requests.json", params={"api_key": api_world.key,
                                                                 "jurisdiction_id": ""},
                      data=data, timeout=30)
    assert r.status_code == 201, r.text


def test_unknown_request_is_404(api_world):
    for fmt in ("json", "xml"):
        r = requests.get(f"{api_world.url}/requests/JZ000000-999999.{fmt}", timeout=10)
        assert r.status_code == 404
    validate(requests.get(f"{api_world.url}/requests/nope.json", timeout=10).json(), "errors")


def test_blacklisted_person_is_refused(api_world):
    from cases.intake import review_blacklist
    from cases.services import add_to_blacklist
    from jizhen.access import SYSTEM, Actor, Role
    from jizhen.db import session_scope

    hh = households(api_world, 9)[8]
    with session_scope(api_world.engine) as s:  # proposed by one officer, approved by another
        entry = add_to_blacklist(session=s, actor=SYSTEM, person_id_number=hh.head_id_number,
                                 person_name=hh.head_name, reason="虚报冒领", evidence="县民政局通报",
                                 listed_on=API_TODAY)
        review_blacklist(session=s, actor=Actor("county2", Role.county_staff), entry_id=entry.id,
                         approve=True, note="核实属实", on_day=API_TODAY)
    r = _refused(api_world, form_for(api_world, hh, **{"attribute[id_number]": hh.head_id_number}), 400)
    assert "失信" in r.json()[0]["description"] and "虚报冒领" not in r.text


# ----------------------------------------------------------------------------- resends
def test_resend_returns_the_same_request(api_world):
    hh = households(api_world, 2)[1]
    data = form_for(api_world, hh)
    first = post(api_world, data)
    cases = api_world.count(Case)
    again = post(api_world, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    assert api_world.count(Case) == cases
    # the same ticket number from another client is another request
    from jizhen.api.clients import add_client
    from jizhen.db import session_scope

    with session_scope(api_world.engine) as s:
        _c, key2 = add_client(s, f"wechat-{api_world.backend}")
    third = post(api_world, {**data, "api_key": key2})
    assert third.status_code == 201
    assert third.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]


def test_simultaneous_sends_of_one_ticket_make_one_case(api_world):
    hh = households(api_world, 3)[2]
    data = form_for(api_world, hh)
    cases = api_world.count(Case)
    n = 6
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def send(i):
        barrier.wait()
        results[i] = post(api_world, data)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r is not None for r in results)
    assert sorted(r.status_code for r in results) == [200] * (n - 1) + [201]
    assert len({r.json()[0]["service_request_id"] for r in results}) == 1
    assert api_world.count(Case) == cases + 1
    with Session(api_world.engine) as s:
        rows = s.exec(select(ApiTicket).where(ApiTicket.ticket_no == data["attribute[ticket_no]"])).all()
    assert len(rows) == 1


# ----------------------------------------------------------------------------- rate limit
def test_rate_limit_is_per_client_and_429_writes_nothing(api_world):
    from jizhen.api.clients import add_client
    from jizhen.db import session_scope

    with session_scope(api_world.engine) as s:
        _a, key_a = add_client(s, f"rl-a-{api_world.backend}")
        _b, key_b = add_client(s, f"rl-b-{api_world.backend}")
    server = ApiServer(api_world.db_url, rate_per_minute=3)
    try:
        hh = households(api_world, 1)[0]
        url = server.url + "/open311/v2/requests.json"
        codes = [requests.post(url, data=form_for(api_world, hh, api_key=key_a), timeout=30).status_code
                 for _ in range(3)]
        assert codes == [201, 201, 201]
        cases = api_world.count(Case)
        r = requests.post(url, data=form_for(api_world, hh, api_key=key_a), timeout=30)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        validate(r.json(), "errors")
        assert api_world.count(Case) == cases
        # another client has its own allowance
        assert requests.post(url, data=form_for(api_world, hh, api_key=key_b), timeout=30).status_code == 201
    finally:
        server.stop()
