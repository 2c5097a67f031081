"""Who is acting, and what they may see: every query, export and write takes an Actor."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jizhen.errors import Bilingual


class Role(StrEnum):
    """The one role enum (grid.access.Role and cases.vocabulary.Role are this class).

    Both spellings name the same member: Role.GRID_WORKER is Role.grid_worker, and
    Role("grid_worker") is that member. Iterating gives each role once. Labels: jizhen.vocabulary.
    """

    GRID_WORKER = "grid_worker"
    GRID_SUPERVISOR = "grid_supervisor"
    TOWNSHIP_LEADER = "township_leader"
    COUNTY_STAFF = "county_staff"
    AUDITOR = "auditor"
    DEPARTMENT = "department"  # a receiving department (转诊承接部门), scoped to its scheme (Actor.scheme)
    SYSTEM = "system"  # the CLI and nightly jobs (SYSTEM below): may do everything
    # Aliases (same value = same member): the spelling the cases workflow has always used.
    grid_worker = "grid_worker"
    grid_supervisor = "grid_supervisor"
    township_leader = "township_leader"
    county_staff = "county_staff"
    auditor = "auditor"
    department = "department"
    system = "system"


class AccessDenied(Bilingual, Exception):
    """The actor's role or scope does not allow this (zh/en/code: jizhen.errors.Bilingual;
    ``str()`` is the Chinese message as given). A refusal for a record outside the actor's scope
    uses code "out_of_scope" and the one uniform wording (cases.common.OUT_OF_SCOPE /
    OUT_OF_SCOPE_EN): it never tells whether the record exists."""

    code = "access_denied"


# Roles that see unmasked ID and phone numbers on screen (never in public exports). A department
# sees no grid (Actor.grid_codes is empty): only the referrals sent to its scheme, whose person it
# must identify to take the case over.
_UNMASKED_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.COUNTY_STAFF,
                             Role.DEPARTMENT, Role.SYSTEM})


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    grid_codes: frozenset[str] | None = None  # None: every grid of the town
    worker_id: int | None = None  # a grid worker's linked grid_worker row (None: not linked / other roles)
    scheme: str | None = None  # a department's referral scheme (cases.vocabulary.ReferralScheme value)

    def sees_grid(self, code: str | None) -> bool:
        return self.grid_codes is None or (code is not None and code in self.grid_codes)

    @property
    def sees_personal_data(self) -> bool:
        return Role(self.role) in _UNMASKED_ROLES

    @property
    def may_write(self) -> bool:
        return Role(self.role) != Role.AUDITOR


SYSTEM = Actor(username="system", role=Role.SYSTEM, grid_codes=None)


def grid_filter(actor: Actor, code_column):
    """A SQL condition restricting `code_column` (a grid code column) to the actor's scope."""
    from sqlalchemy import false, true

    if actor.grid_codes is None:
        return true()
    if not actor.grid_codes:
        return false()
    return code_column.in_(sorted(actor.grid_codes))


def require(actor: Actor, *roles: Role) -> None:
    if Role(actor.role) not in {Role(r) for r in roles} | {Role.SYSTEM}:
        raise AccessDenied(f"角色 {actor.role} 无权执行此操作 (role {actor.role} may not do this)",
                           en=f"The role {actor.role} may not do this.", code="role_denied")
