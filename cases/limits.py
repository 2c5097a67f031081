"""The configured guards of the case services: late-entry window and amount ceilings.

One place: ``data/case_guards.toml`` (the county edits it). This module reads it; nothing else
holds these numbers. A missing or malformed file is an error, never a silent default.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

CASE_GUARDS_TOML = Path(__file__).resolve().parents[1] / "data" / "case_guards.toml"


@dataclass(frozen=True)
class CaseLimits:
    late_entry_days: int  # a decision/payment dated more than this many days before today is a late entry
    max_case_yuan: Decimal  # ceiling of any single amount of a case
    max_donation_yuan: Decimal  # ceiling of one donation
    max_medical_cost_yuan: Decimal  # ceiling of the compliant medical cost of one referral


def parse_limits(raw: dict) -> CaseLimits:
    """CaseLimits from the parsed TOML; raises ValueError naming the key that is wrong."""
    try:
        days = raw["dates"]["late_entry_days"]
        max_case = raw["amounts"]["max_case_yuan"]
        max_don = raw["amounts"]["max_donation_yuan"]
        max_med = raw["amounts"]["max_medical_cost_yuan"]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{CASE_GUARDS_TOML.name} 缺少配置项 {exc}") from None
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"{CASE_GUARDS_TOML.name}: dates.late_entry_days 须为非负整数（{days!r}）")
    out = []
    for key, v in (("max_case_yuan", max_case), ("max_donation_yuan", max_don),
                   ("max_medical_cost_yuan", max_med)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            raise ValueError(f"{CASE_GUARDS_TOML.name}: amounts.{key} 须为正数（{v!r}）")
        out.append(Decimal(str(v)))
    return CaseLimits(days, *out)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> CaseLimits:
    with open(path, "rb") as fh:
        return parse_limits(tomllib.load(fh))


def case_limits(path: Path | None = None) -> CaseLimits:
    """The limits in force (re-read when the file changes)."""
    p = Path(path or CASE_GUARDS_TOML)
    return _load(str(p), p.stat().st_mtime)
