"""Masking of personal data for screens, exports and public lists."""
from __future__ import annotations

import re


def mask_id_number(value: str | None) -> str:
    """First 6 and last 4 characters only: 321323********123X."""
    if not value:
        return ""
    v = str(value)
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    v = str(value)
    return v[:3] + "****" + v[-4:] if len(v) >= 11 else "*" * len(v)


def mask_name(value: str | None) -> str:
    """张三 -> 张*, 张小三 -> 张*三, 欧阳小明 -> 欧**明."""
    if not value:
        return ""
    v = str(value)
    if len(v) == 1:
        return "*"
    if len(v) == 2:
        return v[0] + "*"
    return v[0] + "*" * (len(v) - 2) + v[-1]


# --- frames and explicit unmasking -------------------------------------------------------------

# Column names that carry personal data, by kind (households, cases, workers, payments).
ID_COLUMNS = ("head_id_number", "person_id_number", "id_number")
PHONE_COLUMNS = ("phone", "worker_phone", "contact_phone")
NAME_COLUMNS = ("head_name", "person_name", "payee_name", "name")
ADDRESS_COLUMNS = ("address",)

# Fields of a household that reveal() may return, and how they are masked otherwise.
REVEALABLE = {
    "head_id_number": mask_id_number,
    "phone": mask_phone,
    "head_name": mask_name,
    "address": lambda v: (str(v)[:6] + "…") if v else "",
}
FIELD_LABELS = {"head_id_number": "身份证号", "phone": "电话", "head_name": "户主姓名", "address": "地址"}


def mask_address(value) -> str:
    """Keep the first 6 characters (street/community), hide the rest."""
    if not value:
        return ""
    v = str(value)
    return v if len(v) <= 6 else v[:6] + "*" * min(len(v) - 6, 8)


def mask_frame(frame, actor=None, *, public: bool = False):
    """A copy of `frame` with ID numbers and phones masked unless `actor` may see personal data.

    public=True (public lists, disclosures, any file leaving the office): always mask IDs, phones,
    names and addresses, whatever the role. Columns are recognised by name (ID_COLUMNS etc.).
    """
    out = frame.copy()
    clear = actor is not None and actor.sees_personal_data and not public
    if clear:
        return out
    for col in out.columns:
        if col in ID_COLUMNS:
            out[col] = out[col].map(lambda v: mask_id_number(v) if isinstance(v, str) else v)
        elif col in PHONE_COLUMNS:
            out[col] = out[col].map(lambda v: mask_phone(v) if isinstance(v, str) else v)
        elif public and col in NAME_COLUMNS:
            out[col] = out[col].map(lambda v: mask_name(v) if isinstance(v, str) else v)
        elif public and col in ADDRESS_COLUMNS:
            out[col] = out[col].map(lambda v: mask_address(v) if isinstance(v, str) else v)
    return out


def may_reveal(actor) -> bool:
    return actor is not None and actor.sees_personal_data


def _household_in_scope(session, actor, household_id: int):
    """The Household row, or LookupError / AccessDenied when missing or outside the actor's grids."""
    from sqlmodel import select

    from jizhen.access import AccessDenied
    from grid.models import CommunityGrid, Household

    row = session.exec(
        select(Household, CommunityGrid.code)
        .join(CommunityGrid, Household.grid_id == CommunityGrid.id, isouter=True)
        .where(Household.id == int(household_id))
    ).first()
    if row is None:
        raise LookupError(f"住户 {household_id} 不存在")
    household, grid_code = row
    if not actor.sees_grid(grid_code):
        raise AccessDenied(f"住户 {household_id} 不在您负责的网格内")
    return household


# What field work needs to find the family: shown in clear to roles that see personal data.
FIELD_WORK = ("head_name", "address")


def masked_household(session, actor, household_id: int) -> dict[str, str]:
    """The personal fields of one household in the actor's scope, as a screen shows them until
    the user asks for 查看完整信息 (reveal). ID and phone numbers are masked for every role; the
    head's name and the address are clear for roles that visit (they need them to find the
    family) and masked for the rest. Keys: REVEALABLE's fields."""
    household = _household_in_scope(session, actor, household_id)
    out = {}
    for field, mask in REVEALABLE.items():
        value = getattr(household, field) or ""
        out[field] = value if field in FIELD_WORK and may_reveal(actor) else mask(value)
    return out


def reveal(session, actor, household_id: int, field: str, reason: str) -> str:
    """The clear value of one personal field of one household, for an allowed role, logged.

    Raises AccessDenied when the role never sees personal data (auditor, township leader), when
    the household is outside the actor's grids, or when no reason is given; LookupError when the
    household does not exist. Every successful reveal appends an audit row (action
    "privacy.reveal", the field and the reason; never the clear value itself).
    """
    from jizhen.access import AccessDenied
    from grid.audit import record

    if field not in REVEALABLE:
        raise ValueError(f"不可查看的字段：{field}")
    if not may_reveal(actor):
        raise AccessDenied(f"角色 {actor.role} 无权查看完整个人信息（{FIELD_LABELS[field]}）")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise AccessDenied("查看完整个人信息须填写理由")
    household = _household_in_scope(session, actor, household_id)
    record(session, actor=actor, action="privacy.reveal", entity="household",
           entity_id=household_id, before=None, after={"field": field}, reason=reason[:500])
    return getattr(household, field) or ""


def reveal_fields(session, actor, household_id: int, fields, reason: str) -> dict[str, str]:
    """reveal() for several fields of one household (one audit row per field), all or nothing."""
    return {field: reveal(session, actor, household_id, field, reason) for field in fields}


_ID_IN_TEXT = re.compile(r"(?<![0-9])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9])(1\d{2})\d{4}(\d{4})(?![0-9])")


def mask_text(text: str) -> str:
    """Mask every ID number and mobile number inside free text (e.g. an audit row's JSON)."""
    if not text:
        return text or ""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    return _PHONE_IN_TEXT.sub(lambda m: m.group(1) + "****" + m.group(2), text)
