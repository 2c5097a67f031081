"""Property-based fuzz of every endpoint of the intake API, generated from its own OpenAPI
description (schemathesis), against the real server on SQLite and PostgreSQL: never a 5xx, and a
refused POST (any 4xx) writes nothing. Bounded: a few dozen examples per operation."""
from __future__ import annotations

import schemathesis
from collections import Counter
from hypothesis import HealthCheck, settings

from cases.models import Case
from grid.models import AuditEntry
from jizhen.api.models import ApiTicket
from tests.api_fixtures import _api_world  # noqa: F401  (fixture)


def _counts(world) -> tuple[int, int, int]:
    return world.count(Case), world.count(ApiTicket), world.count(AuditEntry)


def test_no_server_error_and_refusals_write_nothing(api_world):
    from hypothesis import given

    schema = schemathesis.openapi.from_url(api_world.server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    seen: Counter = Counter()
    assert len(operations) == 6  # discovery, services, definition, POST, GET requests, GET one
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            if case.method == "POST" and isinstance(case.body, dict) and "api_key" not in case.body:
                case.body["api_key"] = api_world.key  # reach the validation behind the key check
            before = _counts(api_world) if case.method == "POST" else None
            response = case.call(base_url=api_world.server.url, timeout=30)
            seen[(case.method, case.path, response.status_code)] += 1
            assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
            if case.method == "POST" and response.status_code >= 400:
                assert _counts(api_world) == before, case.as_curl_command()
            ctype = response.headers.get("content-type") or [""]
            ctype = ctype[0] if isinstance(ctype, list) else ctype
            if response.status_code >= 400 and ctype.startswith("application/json"):
                body = response.json()
                assert isinstance(body, list) and all({"code", "description"} <= set(e) for e in body)

        run()
    # every operation was exercised; POSTs were refused both at the key and behind it
    assert {(m, p) for m, p, _s in seen} == {(o.method.upper(), o.path) for o in operations}
    post_statuses = {st for m, _p, st in seen if m == "POST"}
    assert {400, 403} <= post_statuses


def test_openapi_lists_every_endpoint(api_world):
    import requests

    spec = requests.get(api_world.server.url + "/openapi.json", timeout=10).json()
    assert set(spec["paths"]) == {
        "/open311/discovery.{fmt}", "/open311/v2/services.{fmt}",
        "/open311/v2/services/{service_code}.{fmt}", "/open311/v2/requests.{fmt}",
        "/open311/v2/requests/{service_request_id}.{fmt}"}
    post = spec["paths"]["/open311/v2/requests.{fmt}"]["post"]
    form = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert "attribute[ticket_no]" in str(spec["components"]) or "attribute[ticket_no]" in str(form)
