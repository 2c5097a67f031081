"""Masking of personal data for screens, exports and public lists: the one masking module.

The masks (mask_name, mask_id_number, mask_phone, mask_address) and the rule of who sees what
(shows_clear, mask_frame) are pure; grid.privacy and cases.masking re-export them."""
from __future__ import annotations

import re


# --- the one set of masks (pure; None and blanks give "") --------------------------------------
def _clean(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def mask_id_number(value: str | None) -> str:
    """First 6 and last 4 characters only: 321323********123X (10 or fewer: all hidden)."""
    v = _clean(value)
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str | None) -> str:
    """First 3 and last 4 digits of a number of 11 or more characters (13912345678 → 139****5678,
    length kept); anything shorter (a local number) is hidden entirely."""
    v = _clean(value)
    if len(v) < 11:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_name(value: str | None) -> str:
    """张三 -> 张*, 张小三 -> 张*三, 欧阳小明 -> 欧**明."""
    v = _clean(value)
    if len(v) <= 1:
        return "*" if v else ""
    if len(v) == 2:
        return v[0] + "*"
    return v[0] + "*" * (len(v) - 2) + v[-1]


def mask_address(value: str | None) -> str:
    """Keep the first 6 characters (street/community), hide the rest (at most 8 stars)."""
    v = _clean(value)
    return v if len(v) <= 6 else v[:6] + "*" * min(len(v) - 6, 8)


# --- who sees what: one rule for every page, card, list and export ------------------------------

# Kinds of personal data, the mask of each, and the column names that carry them.
MASKS = {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name, "address": mask_address}
ID_COLUMNS = ("head_id_number", "person_id_number", "id_number")
PHONE_COLUMNS = ("phone", "worker_phone", "contact_phone")
NAME_COLUMNS = ("head_name", "person_name", "payee_name", "name")
ADDRESS_COLUMNS = ("address",)
COLUMN_KINDS = {**{c: "id_number" for c in ID_COLUMNS}, **{c: "phone" for c in PHONE_COLUMNS},
                **{c: "name" for c in NAME_COLUMNS}, **{c: "address" for c in ADDRESS_COLUMNS}}


def shows_clear(actor, kind: str, *, public: bool = False) -> bool:
    """The rule: may `actor` see personal data of `kind` in clear on a screen or an office export?

    Public files (disclosures, printed lists, anything leaving the office): never. On screen: only
    roles that visit and decide (grid worker, supervisor, county staff, system — Actor.sees_personal_data);
    a township leader or an auditor sees every kind masked, on every page. (The household card is
    stricter still: ID and phone start masked for everyone and open only through reveal(), audited.)
    """
    if kind not in MASKS:
        raise ValueError(f"unknown kind of personal data: {kind!r}")
    return not public and actor is not None and bool(actor.sees_personal_data)


def mask_value(value, kind: str, actor=None, *, public: bool = False):
    """`value` as `actor` may see it (non-strings such as NaN pass through unchanged)."""
    if not isinstance(value, str) or shows_clear(actor, kind, public=public):
        return value
    return MASKS[kind](value)


def mask_frame(frame, actor=None, *, public: bool = False):
    """A copy of `frame` masked by the one rule (shows_clear) for `actor`; columns are recognised
    by name (ID_COLUMNS, PHONE_COLUMNS, NAME_COLUMNS, ADDRESS_COLUMNS).

    public=True (public lists, disclosures, any file leaving the office): IDs, phones, names and
    addresses always masked, whatever the role. No actor: everything masked.
    """
    out = frame.copy()
    for col in out.columns:
        kind = COLUMN_KINDS.get(col)
        if kind is not None and not shows_clear(actor, kind, public=public):
            out[col] = out[col].map(lambda v, k=kind: MASKS[k](v) if isinstance(v, str) else v)
    return out


# Fields of a household that reveal() may return, and how they are masked otherwise.
REVEALABLE = {
    "head_id_number": mask_id_number,
    "phone": mask_phone,
    "head_name": mask_name,
    "address": mask_address,
}
FIELD_LABELS = {"head_id_number": "身份证号", "phone": "电话", "head_name": "户主姓名", "address": "地址"}


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
        raise AccessDenied(f"住户 {household_id} 不在您负责的网格内",
                           en=f"Household {household_id} is outside your grids.", code="out_of_scope")
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
        clear = field in FIELD_WORK and shows_clear(actor, COLUMN_KINDS[field])
        out[field] = value if clear else mask(value)
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
        raise AccessDenied(f"角色 {actor.role} 无权查看完整个人信息（{FIELD_LABELS[field]}）",
                           en=f"The role {actor.role} may not see full personal data ({field}).",
                           code="role_denied")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise AccessDenied("查看完整个人信息须填写理由", en="Seeing full personal data needs a reason.",
                           code="reason_required")
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
