"""The access matrix extended to every download (issue 10, "How it is checked"): each role × each
page it may open × each file the page offers. The bytes of every download button are taken from
Streamlit's media store as the browser would receive them, opened (xlsx, csv, html, markdown) and
checked like the page itself:

- no household from outside the role's grids (ID number or address),
- no full ID number or mobile number where the role may not see them, and none at all in a file
  that leaves the office (public: every download here is built with public=True except the
  leaders' own workbook, which holds aggregates only),
- a blank template (the roster import template) holds no real person at all,
- every download call site in the pages is reached by at least one role (so a new download
  cannot slip past this test).
The gateway half (a /media/ URL only for the session that was shown it, 401 after logout) is
tests/ui/test_gateway.py::test_download_needs_the_session_that_made_it.
"""
from __future__ import annotations

import ast
import io
import re

import pytest
from openpyxl import load_workbook
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard.navigation import pages_for
from grid.access import Role
from grid.config import PROJECT_DIR
from grid.db import session_scope
from jizhen.users import add_user
from tests.ui.test_access_pages import TIMEOUT, _session_for, demo  # noqa: F401 (the demo fixture)

ID_RE = re.compile(r"(?<![0-9.])\d{17}[0-9Xx](?![0-9])")  # not the digits of a float
PHONE_RE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
PAGES_DIR = PROJECT_DIR / "dashboard" / "views"
SEES_PERSONAL = {Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.COUNTY_STAFF}
ROLES = [Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF, Role.AUDITOR,
         Role.DEPARTMENT]
TEMPLATES = {"ad_roster_tpl"}  # blank import templates (an example row, no data)
SEEN: dict[tuple[str, str], int] = {}  # (page, key) -> downloads checked


def download_keys_in_pages() -> set[tuple[str, str]]:
    """(page file, widget key) of every st.download_button call in the pages (keys that are
    f-strings are reduced to their constant prefix)."""
    out = set()
    for path in PAGES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
                key = next((k.value for k in node.keywords if k.arg == "key"), None)
                if isinstance(key, ast.Constant):
                    out.add((path.name, key.value))
                elif isinstance(key, ast.JoinedStr):
                    out.add((path.name, "".join(v.value for v in key.values if isinstance(v, ast.Constant))))
    return out


@pytest.fixture
def captured(monkeypatch):
    """url -> (bytes, mimetype, file name) of every file a page run hands to Streamlit."""
    store: dict[str, tuple[bytes, str, str | None]] = {}
    real_add = MediaFileManager.add

    def add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        url = real_add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)
        data = path_or_data if isinstance(path_or_data, bytes) else str(path_or_data).encode("utf-8")
        store[url] = (data, mimetype, file_name)
        return url

    monkeypatch.setattr(MediaFileManager, "add", add)
    return store


@pytest.fixture(scope="module")
def department_cred(demo):  # noqa: F811
    with session_scope(demo["engine"]) as s:
        add_user(s, username="matrix_yibao", password="Matrixyibao2026x", role="department",
                 scheme="medical")
    return {"username": "matrix_yibao", "password": "Matrixyibao2026x", "role": "department"}


def file_text(data: bytes, mimetype: str, name: str | None) -> str:
    if (name or "").endswith(".xlsx") or "spreadsheet" in (mimetype or ""):
        wb = load_workbook(io.BytesIO(data), read_only=True)
        cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                 for v in row if v is not None]
        wb.close()
        return "\n".join(cells)
    return data.decode("utf-8-sig")


def _run_page(page: str, auth: dict) -> AppTest:
    from dashboard.auth import SESSION_KEY

    at = AppTest.from_file(str(PAGES_DIR / page), default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = auth
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # files made only when asked for: the assignment page's lists once a worker is chosen, the
    # leaders' early-detection files once the replay is switched on
    for box in at.selectbox:
        if box.key == "assign_export_worker" and box.options:
            box.select_index(0).run()
    for toggle in at.toggle:
        if toggle.key == "leaders_early":
            toggle.set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_every_download_of_every_page_is_scoped_and_masked(demo, department_cred, captured, role):  # noqa: F811
    cred = department_cred if role == Role.DEPARTMENT else demo["creds"][role.value]
    auth = _session_for(demo["engine"], cred)
    scope = None if auth["grid_codes"] is None else set(auth["grid_codes"])
    hh = demo["households"]
    outside = hh if scope is None else hh.loc[~hh["grid_code"].isin(scope)]
    outside_ids = set() if scope is None else set(outside["head_id_number"])
    outside_addresses = set() if scope is None else {a for a in outside["address"] if a}
    real_people = {v for col in ("head_id_number", "phone", "head_name", "address") for v in hh[col] if v}
    for spec in pages_for(role):
        at = _run_page(spec.file, auth)
        for button in at.get("download_button"):
            data, mimetype, name = captured[button.proto.url]
            text = file_text(data, mimetype, name)
            where = (spec.file, button.key, role.value)
            prefix = next(k for p, k in download_keys_in_pages() if p == spec.file and button.key.startswith(k))
            SEEN[(spec.file, prefix)] = SEEN.get((spec.file, prefix), 0) + 1
            assert text.strip(), where
            assert not [i for i in outside_ids if i in text], where
            assert not [a for a in outside_addresses if a in text], where
            if button.key in TEMPLATES:  # an empty form with a made-up example row: no real person
                assert not [v for v in real_people if v in text], where
                continue
            public = button.key != "leaders_xlsx"
            if public or role not in SEES_PERSONAL:
                assert not ID_RE.search(text), where
                assert not PHONE_RE.search(text), where


def test_zz_every_download_in_the_pages_was_checked():
    """Runs after the matrix above (pytest keeps file order): every download call site in the
    pages was reached and checked by at least one role."""
    missing = download_keys_in_pages() - set(SEEN)
    assert not missing, f"downloads no role reached in the matrix: {sorted(missing)}"
