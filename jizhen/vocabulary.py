"""The platform's words: the one role-label table, Chinese and English. Pure.

Domain messages use ROLE_LABELS (Chinese); the dashboard's texts ("role.<value>") are built from
ROLE_NAMES, so a role has the same name in an error message, a page and an export.
"""
from __future__ import annotations

from jizhen.access import Role

# role: (Chinese, English)
ROLE_NAMES: dict[Role, tuple[str, str]] = {
    Role.GRID_WORKER: ("网格员", "grid worker"),
    Role.GRID_SUPERVISOR: ("网格长", "grid supervisor"),
    Role.TOWNSHIP_LEADER: ("镇街领导", "township leader"),
    Role.COUNTY_STAFF: ("县民政局", "county staff"),
    Role.AUDITOR: ("审计员", "auditor"),
    Role.DEPARTMENT: ("转诊承接部门", "receiving department"),
    Role.SYSTEM: ("系统", "system"),
}
ROLE_LABELS: dict[Role, str] = {role: zh for role, (zh, _en) in ROLE_NAMES.items()}
ROLE_LABELS_EN: dict[Role, str] = {role: en for role, (_zh, en) in ROLE_NAMES.items()}
LANGS = ("zh", "en")


def role_label(role: Role | str, lang: str = "zh") -> str:
    """The name of `role` (a Role or its value) in `lang` ('zh' or 'en'); unknown values as given."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    try:
        pair = ROLE_NAMES[Role(role)]
    except ValueError:
        return str(role)
    return pair[LANGS.index(lang)]
