"""Eligibility rules of temporary aid — pure functions, no database.

- **The same person** (``same_person``): two requests concern the same person when both carry an ID
  number and the (normalised) numbers are equal; when either has no ID number, when both are matched
  to the same household (the household's head is the person a matched request is recorded for).
  Two different ID numbers are two people even in one household.
- **Follow-up (复诊) limit**: at most ``FOLLOW_UP_MAX_PER_YEAR`` (2) grants within one year for the same
  person and the same cause (category). Only grants that were actually *paid* count when a grant is
  decided or paid; a request that was refused, closed or referred without a payment never counts.
  Whether a request is a follow-up is *derived* from the person's paid history (a paid same-cause
  grant within the year before), never taken from a checkbox: a third paid grant is refused
  whether or not the officer ticked "follow-up", and the refusal says so, with the dates.
- **Credit blacklist** (失信惩戒): a listed person is refused unless a township leader or county
  staff overrides with a reason (kept on the case and audited).
- **Dates of decisions and payments**: not before the case was received or its previous step, not
  after today (Asia/Shanghai); more than ``late_entry_days`` (data/case_guards.toml) before today
  is a late entry (补录) that needs a reason and is marked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable

from cases.errors import Blacklisted, DomainError, FollowUpLimitExceeded, PermissionDenied, role_of
from cases.vocabulary import OFFICERS

FOLLOW_UP_MAX_PER_YEAR = 2


_role = role_of


# ----------------------------------------------------------------------------- the same person
@dataclass(frozen=True)
class PersonKey:
    """Who a request is for: the ID number (if known) and the matched household (if any)."""

    id_number: str | None = None
    household_id: int | None = None

    @property
    def id_norm(self) -> str | None:
        v = (self.id_number or "").strip().upper()
        return v or None


def same_person(a: PersonKey, b: PersonKey) -> bool:
    """True when ``a`` and ``b`` are the same person (see the module docstring)."""
    if a.id_norm and b.id_norm:
        return a.id_norm == b.id_norm
    return a.household_id is not None and a.household_id == b.household_id


# ----------------------------------------------------------------------------- follow-up (复诊)
def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # Feb 29
        return day.replace(year=day.year - 1, day=28)


def within_year(dates: Iterable[date], on: date) -> list[date]:
    """The dates in the year ending ``on`` (after the same day a year before, up to ``on``), sorted."""
    since = one_year_before(on)
    return sorted(d for d in dates if since < d <= on)


def check_follow_up(earlier: Iterable[date], on: date, *, derived: bool = False) -> None:
    """Refuse a third grant within 12 months for the same person and cause.

    ``earlier``: dates of the earlier grants to this person for this cause (any order). ``derived``:
    the officer did not tick "follow-up"; the system recognised it from the paid history (the
    refusal says so).
    """
    within = within_year(earlier, on)
    if len(within) >= FOLLOW_UP_MAX_PER_YEAR:
        ds = "、".join(d.isoformat() for d in within)
        note_zh = ("系统根据已发放记录认定本次属复诊（补充）救助（未勾选“复诊”不影响认定）：" if derived else "")
        note_en = ("recognised as a follow-up from the paid history (the box was not ticked): "
                   if derived else "")
        raise FollowUpLimitExceeded(
            f"{note_zh}同一人同一事由12个月内已获救助{len(within)}次（{ds}），不得再次救助",
            f"{note_en}the same person received aid for the same cause {len(within)} times within "
            f"12 months ({', '.join(d.isoformat() for d in within)}); a further one is refused",
            earlier=[d.isoformat() for d in within], derived=derived,
        )


@dataclass(frozen=True)
class EarlierRequest:
    """An earlier request of the same person for the same cause, as the follow-up rule sees it."""

    case_id: int | None
    received_on: date
    paid_on: date | None  # first payment, None when nothing was paid
    open: bool  # still in progress (could still be paid)


def paid_grant_dates(history: Iterable[EarlierRequest], *, exclude_case_id: int | None = None) -> list[date]:
    """Dates of the grants that were actually paid (refused/closed/referred without pay never count)."""
    return [h.paid_on for h in history if h.paid_on is not None and h.case_id != exclude_case_id]


def pending_request_dates(history: Iterable[EarlierRequest]) -> list[date]:
    """Received dates of requests still in progress and not paid yet (a grant they may become)."""
    return [h.received_on for h in history if h.paid_on is None and h.open]


def is_follow_up(paid_dates: Iterable[date], on: date) -> bool:
    """Derived follow-up flag: a same-cause grant was paid to this person within the year before."""
    return bool(within_year(paid_dates, on))


# ----------------------------------------------------------------------------- blacklist
def check_blacklist(entry_reason: str | None, *, role: Any, override_reason: str | None = None) -> bool:
    """Raise Blacklisted unless an officer overrides with a reason. Returns True if overridden."""
    if entry_reason is None:
        return False
    r = _role(role)
    if override_reason and override_reason.strip():
        if r not in OFFICERS:
            raise PermissionDenied(
                "只有镇街领导或县民政局可以解除失信名单拦截",
                "only a township leader or county staff may override the blacklist",
            )
        return True
    raise Blacklisted(
        f"申请人在失信惩戒名单上：{entry_reason}。如确需救助，须由镇街领导或县民政局填写理由后放行",
        f"applicant is on the credit blacklist: {entry_reason}; an officer must override with a reason",
        reason=entry_reason,
    )


# ----------------------------------------------------------------------------- dates of steps
@dataclass(frozen=True)
class StepDate:
    on_day: date
    late: bool  # a late entry (补录): more than the configured days before today
    days_before_today: int


def check_step_date(on_day: date, *, received_on: date, previous_on: date | None, today: date,
                    late_entry_days: int | None, late_reason: str | None = None,
                    step_label: str = "本步骤") -> StepDate:
    """A decision or payment date: ``received_on`` ≤ (``previous_on`` ≤) ``on_day`` ≤ ``today``.

    A date more than ``late_entry_days`` before ``today`` is a late entry: refused without
    ``late_reason``; returned with ``late=True`` so the caller marks and audits it.
    ``late_entry_days=None``: the caller does not know the business date; no late-entry rule.
    """
    if not isinstance(on_day, date):
        raise DomainError(f"{step_label}日期无效：{on_day!r}", f"invalid date: {on_day!r}", code="bad_date")
    if on_day > today:
        raise DomainError(
            f"{step_label}日期{on_day.isoformat()}晚于今天（{today.isoformat()}），不能预填未来日期",
            f"date {on_day.isoformat()} is after today ({today.isoformat()})", code="future_date")
    if on_day < received_on:
        raise DomainError(
            f"{step_label}日期{on_day.isoformat()}早于案件受理日期{received_on.isoformat()}",
            f"date {on_day.isoformat()} is before the case was received ({received_on.isoformat()})",
            code="date_before_received")
    if previous_on is not None and on_day < previous_on:
        raise DomainError(
            f"{step_label}日期{on_day.isoformat()}早于上一步骤的日期{previous_on.isoformat()}",
            f"date {on_day.isoformat()} is before the previous step ({previous_on.isoformat()})",
            code="date_before_previous")
    days = (today - on_day).days
    late = late_entry_days is not None and days > late_entry_days
    if late and not (late_reason and late_reason.strip()):
        earliest = today - timedelta(days=late_entry_days)
        raise DomainError(
            f"{step_label}日期{on_day.isoformat()}早于今天{days}天（超过{late_entry_days}天，"
            f"即早于{earliest.isoformat()}），属补录，须填写补录理由",
            f"date {on_day.isoformat()} is {days} days before today (more than {late_entry_days}); "
            "a late entry needs a reason", code="late_entry_reason_required")
    return StepDate(on_day, late, days)
