"""Which pages each role sees: one table, read by the app's navigation and its tests.

A page not listed for a role is not in that role's navigation, and Streamlit's router serves only
the pages of ``st.navigation``: typing its URL shows "page not found". The data behind every page
is still scoped in the domain layer (grid/, cases/): hiding a page is not the access control.
"""
from __future__ import annotations

from dataclasses import dataclass

from grid.access import Role

GRID_WORKER, SUPERVISOR = Role.GRID_WORKER, Role.GRID_SUPERVISOR
LEADER, COUNTY, AUDITOR = Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF, Role.AUDITOR
EVERYONE = frozenset({GRID_WORKER, SUPERVISOR, LEADER, COUNTY, AUDITOR})


@dataclass(frozen=True)
class PageSpec:
    file: str  # under dashboard/views/
    title_key: str  # dashboard.texts key
    url_path: str
    roles: frozenset[Role]
    landing_for: frozenset[Role] = frozenset()  # the roles that land on this page after login


# In navigation order. Add a page here (one line) and nowhere else.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("today.py", "nav.today", "today", frozenset({GRID_WORKER, SUPERVISOR}),
             landing_for=frozenset({GRID_WORKER})),
    PageSpec("map.py", "nav.map", "map", EVERYONE, landing_for=EVERYONE - {GRID_WORKER}),
    PageSpec("case_desk.py", "nav.cases", "cases", EVERYONE),
    PageSpec("household.py", "nav.household", "household", EVERYONE),
    PageSpec("assign.py", "nav.assign", "assign", frozenset({SUPERVISOR, LEADER, COUNTY})),
    PageSpec("visit.py", "nav.visit", "visit", frozenset({GRID_WORKER, SUPERVISOR})),
    PageSpec("leaders.py", "nav.leaders", "leaders", frozenset({SUPERVISOR, LEADER, COUNTY, AUDITOR})),
    PageSpec("oversight.py", "nav.oversight", "oversight", frozenset({LEADER, COUNTY, AUDITOR})),
    PageSpec("admin.py", "nav.admin", "admin", frozenset({COUNTY})),
    PageSpec("audit.py", "nav.audit", "audit", frozenset({AUDITOR, COUNTY})),
    PageSpec("referrals.py", "nav.referrals", "referrals", frozenset({Role.DEPARTMENT}),
             landing_for=frozenset({Role.DEPARTMENT})),
)


def pages_for(role: Role | str) -> list[PageSpec]:
    """The pages a role sees, in navigation order (SYSTEM sees every page)."""
    r = Role(role)
    if r == Role.SYSTEM:
        return list(PAGES)
    return [p for p in PAGES if r in p.roles]


def landing_page(role: Role | str) -> PageSpec:
    """Where a role lands after login: its landing page, else its first page."""
    mine = pages_for(role)
    r = Role(role)
    return next((p for p in mine if r in p.landing_for), mine[0])


def may_open(role: Role | str, page_file: str) -> bool:
    """Whether a role may open a page file (a file not in the table is not a page: allowed)."""
    if page_file not in {p.file for p in PAGES}:
        return True
    return any(p.file == page_file for p in pages_for(role))
