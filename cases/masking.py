"""Masking of personal data in public lists (disclosures). Pure."""
from __future__ import annotations


def mask_name(name: str | None) -> str:
    """张三丰 → 张*丰, 张三 → 张*, 欧阳小明 → 欧**明."""
    s = (name or "").strip()
    if len(s) <= 1:
        return "*" if s else ""
    if len(s) == 2:
        return s[0] + "*"
    return s[0] + "*" * (len(s) - 2) + s[-1]


def mask_id(id_number: str | None) -> str:
    """Keep the first 6 and last 4 characters only: 321323********123X."""
    s = (id_number or "").strip()
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_phone(phone: str | None) -> str:
    s = (phone or "").strip()
    if len(s) < 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]
