"""The access matrix extended to the intake API (issue 10, "How it is checked"): every credential a
caller can bring × every endpoint of the real API server (uvicorn, SQLite and PostgreSQL).

The policy, written once here as the expected table:
- reading (discovery, service list and definitions, a request's status) needs no key, as Open311
  specifies, and never carries personal data (no name, ID number, phone, address or coordinates
  of a household; no free text of a request);
- writing (POST a request) needs an active API key: no key, a wrong key, a revoked key and a
  dashboard login cookie are all refused with 403 and write nothing;
- the docs page and its assets are served by the API itself (nothing from a CDN).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import requests
from sqlmodel import Session, select

from cases.models import Case
from grid.models import AuditEntry, Household
from jizhen.db import session_scope
from jizhen.api.clients import client_actor
from jizhen.gateway import COOKIE_NAME
from jizhen.users import add_user
from jizhen.users.sessions import open_session
from tests.api_fixtures import _api_world  # noqa: F401 (the api_world fixture)

ID_RE = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
PHONE_RE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")

# credential -> whether a POST with it is accepted
CREDENTIALS = {"none": False, "wrong_key": False, "revoked_key": False, "dashboard_cookie": False,
               "active_key": True}
READS = ("/open311/discovery.json", "/open311/discovery.xml", "/open311/v2/services.json",
         "/open311/v2/services.xml", "/open311/v2/services/accidental_injury.json",
         "/open311/v2/requests.json", "/open311/v2/requests.xml", "/open311/v2/requests/{case_no}.json",
         "/open311/v2/requests/{case_no}.xml", "/docs", "/openapi.json",
         "/static/swagger-ui/swagger-ui-bundle.js")


@pytest.fixture(scope="module")
def matrix_world(api_world):
    """The api_world plus one request with personal data in every field, and a logged-in
    county officer's dashboard cookie."""
    with Session(api_world.engine) as s:
        hh = s.exec(select(Household).order_by(Household.id).limit(1)).one()
        secrets = [hh.head_name, hh.phone, hh.head_id_number, hh.address, f"{hh.lat:.4f}", f"{hh.lon:.4f}"]
        data = {"api_key": api_world.key, "service_code": "accidental_injury", "lat": str(hh.lat),
                "long": str(hh.lon), "first_name": hh.head_name, "phone": hh.phone,
                "description": "住院押金交不上，联系 13812345678", "attribute[channel]": "12345",
                "attribute[ticket_no]": "12345-matrix-1", "attribute[id_number]": hh.head_id_number}
    r = requests.post(f"{api_world.url}/requests.json", data=data, timeout=30)
    assert r.status_code == 201, r.text
    case_no = r.json()[0]["service_request_id"]
    with session_scope(api_world.engine) as s:
        add_user(s, username="matrix_county", password="Matrixcounty2026x", role="county_staff")
    with session_scope(api_world.engine) as s:
        token = open_session(s, "matrix_county", datetime.now(timezone.utc), 60)
    return {"world": api_world, "case_no": case_no, "form": data, "token": token,
            "secrets": secrets + ["住院押金", "13812345678"]}


def _post_with(mw, credential: str, n: int) -> requests.Response:
    world = mw["world"]
    form = dict(mw["form"], **{"attribute[ticket_no]": f"12345-matrix-{credential}-{n}"})
    headers = {}
    if credential == "none":
        form.pop("api_key")
    elif credential == "wrong_key":
        form["api_key"] = world.key[:-2] + ("aa" if not world.key.endswith("aa") else "bb")
    elif credential == "revoked_key":
        form["api_key"] = world.revoked_key
    elif credential == "dashboard_cookie":
        form.pop("api_key")
        headers["Cookie"] = f"{COOKIE_NAME}={mw['token']}"
    return requests.post(f"{world.url}/requests.json", data=form, headers=headers, timeout=30)


@pytest.mark.parametrize("credential", list(CREDENTIALS))
def test_writing_needs_an_active_key(matrix_world, credential):
    world = matrix_world["world"]
    before = world.count(Case)
    r = _post_with(matrix_world, credential, 1)
    if CREDENTIALS[credential]:
        assert r.status_code == 201, r.text
        assert world.count(Case) == before + 1
    else:
        assert r.status_code == 403, (credential, r.status_code, r.text)
        assert "api_key" in r.json()[0]["description"]
        assert world.count(Case) == before
    for secret in matrix_world["secrets"]:
        assert secret not in r.text, (credential, secret)


@pytest.mark.parametrize("credential", list(CREDENTIALS))
@pytest.mark.parametrize("path", READS)
def test_reading_is_open_and_carries_no_personal_data(matrix_world, credential, path):
    world = matrix_world["world"]
    url = world.server.url + path.format(case_no=matrix_world["case_no"])
    headers = {"Cookie": f"{COOKIE_NAME}={matrix_world['token']}"} if credential == "dashboard_cookie" else {}
    params = {}
    if credential in ("wrong_key", "revoked_key", "active_key"):
        params["api_key"] = {"wrong_key": "x" * 40, "revoked_key": world.revoked_key,
                             "active_key": world.key}[credential]
    r = requests.get(url, params=params, headers=headers, timeout=30)
    assert r.status_code == 200, (path, credential, r.status_code, r.text[:200])
    if "swagger-ui-bundle" in path:
        return
    body = r.text
    for secret in matrix_world["secrets"]:
        assert secret not in body, (path, credential, secret)
    assert not ID_RE.search(body) and not PHONE_RE.search(body), (path, credential)
    assert "set-cookie" not in {k.lower() for k in r.headers}  # the API never opens a login
    if path == "/docs":  # the docs page loads its script and style from the API itself
        assert "/static/swagger-ui/swagger-ui-bundle.js" in body and "cdn" not in body.lower()
    if "{case_no}" in path:
        assert matrix_world["case_no"] in body


def test_what_the_key_writes_is_the_clients_and_the_cookie_writes_nothing(matrix_world):
    """A stolen dashboard cookie is not an API credential, and an API key is not a login: every
    intake through the API is audited as the API client, none as the logged-in officer."""
    world = matrix_world["world"]
    for n in (2, 3):
        assert _post_with(matrix_world, "dashboard_cookie", n).status_code == 403
    with Session(world.engine) as s:
        ours = s.exec(select(AuditEntry).where(AuditEntry.action == "api.request")).all()
        officer = s.exec(select(AuditEntry).where(AuditEntry.actor == "matrix_county")).all()
    assert ours and {a.actor for a in ours} == {client_actor(world.client_name).username}
    assert not [a for a in officer if a.action.startswith(("api.", "case."))]
