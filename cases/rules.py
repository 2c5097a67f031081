"""The rules of the emergency-assistance workflow — pure functions, no database, no Streamlit.

Every number comes from ../shared/DOMAIN.md (Siyang County Civil Affairs Bureau, 2020):
town approves temporary aid ≤ 500 yuan within 3 working days; aid-first (先救助、后办理) paperwork
within 15 working days of the day of aid; medical assistance ≥ 70% of compliant costs; follow-up
(复诊) aid at most twice within one year, same person same cause; single-person admission when the
family's per-capita income is within 2× the 低保 standard; spot checks ≥ 30% of recipients; county
reserve 10 million yuan a year, 10,000 yuan per village/community, year-end settlement 50/50.

This module holds the state machine, deadlines, follow-up and blacklist rules. The vocabulary, errors,
money, admission, masking and spot-check rules live in their own modules and are re-exported here,
so ``from cases.rules import ...`` keeps working for every name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping

from cases.admission import (SINGLE_PERSON_INCOME_MULTIPLE, AdmissionDecision,  # noqa: F401
                             AdmissionFacts, assess_admission)
from cases.calendar import add_working_days, deadline, working_days_between
from cases.errors import (Blacklisted, DomainError, FollowUpLimitExceeded,  # noqa: F401
                          IllegalTransition, PermissionDenied)
from cases.masking import mask_id, mask_name, mask_phone  # noqa: F401
from cases.money import (ASSISTANT_STIPEND_MONTHLY_YUAN, COUNTY_RESERVE_YUAN,  # noqa: F401
                         MEDICAL_MIN_REIMBURSEMENT_RATE, SETTLEMENT_COUNTY_SHARE,
                         VILLAGE_RESERVE_YUAN, medical_reimbursement, settlement,
                         village_reserves_total)
from cases.money import to_decimal as _money
from cases.sampling import (SPOT_CHECK_MIN_FRACTION, SpotDraw, draw_spot_checks,  # noqa: F401
                            spot_check_size)
from cases.vocabulary import (CATEGORY_LABELS, CHANNEL_LABELS, HOTLINE_CHANNELS,  # noqa: F401
                              INTAKE_ROLES, OFFICERS, OPEN_STATUSES, REFERRAL_SCHEMES,
                              REFERRAL_STATUS_LABELS, REFERRAL_TRANSITIONS, ROLE_LABELS,
                              STATUS_LABELS, Category, Channel, ReferralScheme, ReferralStatus,
                              Role, Status)

TOWN_APPROVAL_LIMIT_YUAN = Decimal("500")
TOWN_APPROVAL_WORKING_DAYS = 3
AID_FIRST_PAPERWORK_WORKING_DAYS = 15
FOLLOW_UP_MAX_PER_YEAR = 2
DUE_SOON_WORKING_DAYS = 1  # countdown ≤ this many working days → 'due_soon'


def role_name(role: Any) -> str:
    """'grid_worker' from a Role enum (ours or grid.access's), an object with ``.role`` or a str."""
    if hasattr(role, "role") and not isinstance(role, str):
        role = role.role
    return str(getattr(role, "value", role))


def _role(role: Any) -> Role:
    name = role_name(role)
    try:
        return Role(name)
    except ValueError:
        raise PermissionDenied(f"未知角色：{name}", f"unknown role: {name}") from None


# ----------------------------------------------------------------------------- state machine
@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: Status
    roles: frozenset
    needs_reason: bool = False
    # role restriction by source state (e.g. reject: county staff from escalated)
    roles_by_source: Mapping = field(default_factory=dict)


def _t(name, label, sources, target, roles, needs_reason=False, roles_by_source=None):
    return Transition(
        name, label, frozenset(sources), target, frozenset(roles), needs_reason,
        roles_by_source or {},
    )


S, R = Status, Role
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("accept", "受理", [S.reported], S.accepted,
           [R.grid_supervisor, R.township_leader, R.county_staff]),
        _t("approve_town", "镇街审批同意（≤500元）", [S.accepted], S.town_approved,
           [R.township_leader]),
        _t("escalate", "报县审批（>500元）", [S.accepted], S.escalated,
           [R.grid_supervisor, R.township_leader]),
        _t("approve_county", "县民政局审批同意", [S.escalated], S.county_approved, [R.county_staff]),
        _t("reject", "不予救助", [S.reported, S.accepted, S.escalated], S.rejected,
           [R.township_leader, R.county_staff], needs_reason=True,
           roles_by_source={S.reported: {R.township_leader, R.county_staff},
                            S.accepted: {R.township_leader, R.county_staff},
                            S.escalated: {R.county_staff}}),
        _t("pay", "发放救助金", [S.town_approved, S.county_approved], S.paid,
           [R.township_leader, R.county_staff]),
        _t("pay_first", "先救助、后办理（先行发放）", [S.reported, S.accepted], S.paid,
           [R.township_leader, R.county_staff], needs_reason=True),
        _t("complete_files", "补齐/完成档案", [S.paid], S.files_complete,
           [R.grid_supervisor, R.township_leader, R.county_staff]),
        _t("refer", "转诊", [S.accepted, S.rejected, S.files_complete], S.referred,
           [R.grid_supervisor, R.township_leader, R.county_staff]),
        _t("admit", "纳入低保/特困（住院）", [S.accepted, S.rejected, S.files_complete, S.referred],
           S.admitted, [R.township_leader, R.county_staff]),
        _t("close", "结案", [S.files_complete, S.rejected, S.referred, S.admitted], S.closed,
           [R.township_leader, R.county_staff]),
    ]
}
del S, R


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case to allow a transition."""

    status: Status | str
    amount_yuan: Decimal | float | int | str = 0
    matched: bool = True  # household/person identified (hotline cases may wait in "to match")
    aid_first: bool = False


def _guard(t: Transition, facts: CaseFacts, role: Role, reason: str | None) -> None:
    status = Status(facts.status)
    amount = _money(facts.amount_yuan)
    if status not in t.sources:
        allowed = "、".join(STATUS_LABELS[s] for s in sorted(t.sources, key=lambda s: s.value))
        raise IllegalTransition(
            f"案件当前状态为“{STATUS_LABELS[status]}”，不能执行“{t.label}”（仅限：{allowed}）",
            f"cannot '{t.name}' a case in state '{status.value}' "
            f"(allowed from: {', '.join(sorted(s.value for s in t.sources))})",
            transition=t.name, status=status.value,
        )
    allowed_roles = t.roles_by_source.get(status, t.roles)
    if role not in allowed_roles and role != Role.system:
        who = "、".join(ROLE_LABELS[r] for r in sorted(allowed_roles, key=lambda r: r.value))
        raise PermissionDenied(
            f"{ROLE_LABELS[role]}无权执行“{t.label}”（需：{who}）",
            f"role '{role.value}' may not '{t.name}' from '{status.value}' "
            f"(needs one of: {', '.join(sorted(r.value for r in allowed_roles))})",
            transition=t.name, role=role.value,
        )
    if t.needs_reason and not (reason and reason.strip()):
        raise DomainError(f"“{t.label}”必须填写理由", f"'{t.name}' requires a reason",
                          code="reason_required")
    if t.name == "accept" and not facts.matched:
        raise IllegalTransition(
            "案件尚未匹配到户籍/家庭（待匹配），不能受理", "case is not matched to a household yet",
            code="not_matched",
        )
    if t.name in ("approve_town", "escalate", "pay_first") and amount <= 0:
        raise DomainError("申请金额必须大于0元", "requested amount must be positive",
                          code="bad_amount")
    if t.name == "approve_town" and amount > TOWN_APPROVAL_LIMIT_YUAN:
        raise IllegalTransition(
            f"金额{amount}元超过镇街审批权限{TOWN_APPROVAL_LIMIT_YUAN}元，须报县审批",
            f"amount {amount} yuan exceeds the town's limit of {TOWN_APPROVAL_LIMIT_YUAN} yuan; "
            "escalate to the county",
            code="over_town_limit",
        )
    if t.name == "escalate" and amount <= TOWN_APPROVAL_LIMIT_YUAN:
        raise IllegalTransition(
            f"金额{amount}元在镇街审批权限（≤{TOWN_APPROVAL_LIMIT_YUAN}元）内，由镇街直接审批",
            f"amount {amount} yuan is within the town's limit ({TOWN_APPROVAL_LIMIT_YUAN}); "
            "the town approves it",
            code="within_town_limit",
        )
    if (t.name == "pay_first" and role in (Role.township_leader, Role.system)
            and amount > TOWN_APPROVAL_LIMIT_YUAN):
        raise IllegalTransition(
            f"镇街先行救助金额不得超过{TOWN_APPROVAL_LIMIT_YUAN}元（本案{amount}元）",
            f"town aid-first payment may not exceed {TOWN_APPROVAL_LIMIT_YUAN} yuan ({amount})",
            code="over_town_limit",
        )


def check_transition(facts: CaseFacts, name: str, role: Any, *, reason: str | None = None) -> Status:
    """Validate transition ``name`` for ``role``; return the target status or raise DomainError."""
    t = TRANSITIONS.get(name)
    if t is None:
        raise IllegalTransition(f"未知操作：{name}", f"unknown transition: {name}")
    r = _role(role)
    _guard(t, facts, r, reason)
    return t.target


def available_transitions(facts: CaseFacts, role: Any) -> list[str]:
    """Names of the transitions ``role`` may take now (guards that need a reason ignored)."""
    out = []
    for name, t in TRANSITIONS.items():
        try:
            _guard(t, facts, _role(role), "reason" if t.needs_reason else None)
        except DomainError:
            continue
        out.append(name)
    return out


def check_intake_role(role: Any) -> None:
    r = _role(role)
    if r not in INTAKE_ROLES:
        raise PermissionDenied(f"{ROLE_LABELS[r]}无权登记案件", f"role '{r.value}' may not record cases")


def check_referral_transition(current: ReferralStatus | str, new: ReferralStatus | str,
                              *, reason: str | None = None) -> ReferralStatus:
    cur, nxt = ReferralStatus(current), ReferralStatus(new)
    if nxt not in REFERRAL_TRANSITIONS[cur]:
        raise IllegalTransition(
            f"转诊状态不能从“{REFERRAL_STATUS_LABELS[cur]}”变为“{REFERRAL_STATUS_LABELS[nxt]}”",
            f"referral cannot go from '{cur.value}' to '{nxt.value}'",
        )
    if nxt == ReferralStatus.rejected and not (reason and reason.strip()):
        raise DomainError("退回转诊必须写明理由", "a rejected referral needs a reason",
                          code="reason_required")
    return nxt


# ----------------------------------------------------------------------------- deadlines
def approval_due_on(received_on: date) -> date:
    """Town approval is due 3 working days after intake."""
    return add_working_days(received_on, TOWN_APPROVAL_WORKING_DAYS)


def paperwork_due_on(aid_on: date) -> date:
    """Aid-first paperwork is due 15 working days after the day of aid."""
    return add_working_days(aid_on, AID_FIRST_PAPERWORK_WORKING_DAYS)


def approval_deadline(received_on: date):
    return deadline(received_on, TOWN_APPROVAL_WORKING_DAYS)


def paperwork_deadline(aid_on: date):
    return deadline(aid_on, AID_FIRST_PAPERWORK_WORKING_DAYS)


def deadline_status(due_on: date, today: date, done_on: date | None = None) -> str:
    """'on_time', 'due_soon' or 'overdue'. A finished step is judged on the day it was done."""
    if done_on is not None:
        return "overdue" if done_on > due_on else "on_time"
    if today > due_on:
        return "overdue"
    if working_days_between(today, due_on) <= DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "on_time"


# ----------------------------------------------------------------------------- follow-up (复诊)
def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # Feb 29
        return day.replace(year=day.year - 1, day=28)


def check_follow_up(earlier: Iterable[date], on: date) -> None:
    """Refuse a third supplementary aid within 12 months for the same person and cause.

    ``earlier``: dates of earlier follow-up aid to this person for this cause (any order).
    """
    since = one_year_before(on)
    within = sorted(d for d in earlier if since < d <= on)
    if len(within) >= FOLLOW_UP_MAX_PER_YEAR:
        ds = "、".join(d.isoformat() for d in within)
        raise FollowUpLimitExceeded(
            f"同一人同一事由12个月内已获复诊救助{len(within)}次（{ds}），不得再次救助",
            f"the same person received follow-up aid for the same cause {len(within)} times within "
            f"12 months ({', '.join(d.isoformat() for d in within)}); a further one is refused",
            earlier=[d.isoformat() for d in within],
        )


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
        f"申请人在失信惩戒名单上：{entry_reason}。如确需受理，须由镇街或县级人员填写理由后放行",
        f"applicant is on the credit blacklist: {entry_reason}; an officer must override with a reason",
        reason=entry_reason,
    )
