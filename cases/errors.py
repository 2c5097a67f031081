"""Domain errors of the case workflow (raised by the pure rules and the services)."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule was broken. ``str()`` gives Chinese then English; ``code`` is machine-readable."""

    code = "domain_error"

    def __init__(self, zh: str, en: str, *, code: str | None = None, **details: Any):
        self.zh = zh
        self.en = en
        if code:
            self.code = code
        self.details = details
        super().__init__(f"{zh} / {en}")


class IllegalTransition(DomainError):
    code = "illegal_transition"


class PermissionDenied(DomainError):
    code = "permission_denied"


class FollowUpLimitExceeded(DomainError):
    code = "follow_up_limit"


class Blacklisted(DomainError):
    code = "blacklisted"


def role_of(role: Any):
    """The one Role (jizhen.access) of a Role, an object with ``.role`` (an Actor) or a role name;
    an unknown name is a PermissionDenied."""
    from jizhen.access import Role

    if hasattr(role, "role") and not isinstance(role, str):
        role = role.role
    name = str(getattr(role, "value", role))
    try:
        return Role(name)
    except ValueError:
        raise PermissionDenied(f"未知角色：{name}", f"unknown role: {name}") from None
