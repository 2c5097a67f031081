"""Role-specific navigation (issue 11): one table says which pages each role sees."""
from pathlib import Path

import pytest

from dashboard.navigation import PAGES, landing_page, pages_for
from dashboard.texts import TEXTS
from grid.access import Role

PAGES_DIR = Path(__file__).resolve().parents[2] / "dashboard" / "views"


def _names(role):
    return [p.url_path for p in pages_for(role)]


def test_grid_worker_sees_no_leaders_page_and_no_assignment_and_lands_on_todays_route():
    names = _names(Role.GRID_WORKER)
    assert "leaders" not in names and "assign" not in names and "audit" not in names
    assert landing_page(Role.GRID_WORKER).url_path == "today" and "visit" in names


def test_auditor_has_no_visit_form_and_sees_the_audit_log():
    names = _names(Role.AUDITOR)
    assert "visit" not in names and "assign" not in names and "audit" in names
    assert landing_page(Role.AUDITOR).url_path == "map"


@pytest.mark.parametrize("role", [Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF])
def test_officers_land_on_the_map_and_never_on_a_page_they_cannot_see(role):
    assert landing_page(role) in pages_for(role)
    assert landing_page(role).url_path == "map"


def test_every_listed_page_exists_has_a_title_and_a_unique_path():
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    for p in PAGES:
        assert (PAGES_DIR / p.file).is_file(), p.file
        assert p.title_key in TEXTS


def test_every_page_file_is_reachable_by_some_role():
    listed = {p.file for p in PAGES}
    assert {f.name for f in PAGES_DIR.glob("*.py")} <= listed


def test_department_sees_only_the_referrals_sent_to_it():
    assert _names(Role.DEPARTMENT) == ["referrals"]
    assert landing_page(Role.DEPARTMENT).url_path == "referrals"


def test_a_page_opened_by_url_refuses_a_role_it_is_not_for():
    from dashboard.navigation import may_open

    assert not may_open(Role.GRID_WORKER, "leaders.py") and not may_open(Role.GRID_WORKER, "assign.py")
    assert not may_open(Role.AUDITOR, "visit.py") and not may_open(Role.DEPARTMENT, "map.py")
    assert may_open(Role.GRID_WORKER, "today.py") and may_open(Role.COUNTY_STAFF, "admin.py")
    assert may_open(Role.SYSTEM, "admin.py")
