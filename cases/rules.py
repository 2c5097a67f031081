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

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from cases.admission import (SINGLE_PERSON_INCOME_MULTIPLE, AdmissionDecision,  # noqa: F401
                             AdmissionFacts, assess_admission)
from cases.calendar import add_working_days, deadline, is_provisional, working_days_between
from cases.errors import (Blacklisted, DomainError, FollowUpLimitExceeded,  # noqa: F401
                          IllegalTransition, PermissionDenied, role_of)
from cases.masking import mask_id, mask_name, mask_phone  # noqa: F401
from cases.money import (ASSISTANT_STIPEND_MONTHLY_YUAN, COUNTY_RESERVE_YUAN,  # noqa: F401
                         MEDICAL_MIN_REIMBURSEMENT_RATE, SETTLEMENT_COUNTY_SHARE,
                         VILLAGE_RESERVE_YUAN, medical_reimbursement, settlement,
                         village_reserves_total)
from cases.money import to_decimal as _money
from cases.sampling import (SPOT_CHECK_MIN_FRACTION, SpotDraw, draw_spot_checks,  # noqa: F401
                            spot_check_size)
from cases.vocabulary import (CATEGORY_LABELS, CHANNEL_LABELS,  # noqa: F401
                              DEADLINE_STATUS_LABELS, DEADLINE_STATUS_TEXTS, DEADLINE_STEP_TEXTS,
                              HOTLINE_CHANNELS, OPEN_DEADLINE_STATUSES, DeadlineStatus,
                              deadline_status_label, INTAKE_ROLES, OFFICERS, OPEN_STATUSES, REFERRAL_SCHEMES,
                              REFERRAL_STATUS_LABELS, REFERRAL_TRANSITIONS, ROLE_LABELS,
                              STATUS_LABELS, Category, Channel, ReferralScheme, ReferralStatus,
                              Role, Status)

TOWN_APPROVAL_LIMIT_YUAN = Decimal("500")
TOWN_APPROVAL_WORKING_DAYS = 3  # 审批发放: approved AND paid within 3 working days of receipt
# County decisions (> 500 yuan): the county text gives no number; the value lives only in
# data/standards.toml [deadlines].county_working_days (see the comment there).
STANDARDS_TOML = Path(__file__).resolve().parents[1] / "data" / "standards.toml"
AID_FIRST_PAPERWORK_WORKING_DAYS = 15
DUE_SOON_WORKING_DAYS = 1  # countdown ≤ this many working days → 'due_soon'


def role_name(role: Any) -> str:
    """'grid_worker' from a Role, an object with ``.role`` (an Actor) or a str."""
    if hasattr(role, "role") and not isinstance(role, str):
        role = role.role
    return str(getattr(role, "value", role))


_role = role_of


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
    """Town approval AND payment (审批发放) are due 3 working days after intake."""
    return add_working_days(received_on, TOWN_APPROVAL_WORKING_DAYS)


def paperwork_due_on(aid_on: date) -> date:
    """Aid-first paperwork is due 15 working days after the day of aid."""
    return add_working_days(aid_on, AID_FIRST_PAPERWORK_WORKING_DAYS)


def approval_deadline(received_on: date):
    return deadline(received_on, TOWN_APPROVAL_WORKING_DAYS)


def paperwork_deadline(aid_on: date):
    return deadline(aid_on, AID_FIRST_PAPERWORK_WORKING_DAYS)


@lru_cache(maxsize=8)
def _standards_deadlines(path: str, _mtime: float) -> dict:
    return dict(tomllib.loads(Path(path).read_text(encoding="utf-8")).get("deadlines", {}))


def county_decision_working_days(path: str | Path | None = None) -> int:
    """Working days the county has, from receipt, to approve and pay a case above 500 yuan.

    Read from data/standards.toml ``[deadlines].county_working_days`` and nowhere else (the county
    text gives no number; the file says where its value comes from). A missing file or key, or a
    value that is not a positive whole number, is a ValueError naming the file and key, never a
    silent default."""
    p = Path(path or STANDARDS_TOML)
    try:
        raw = _standards_deadlines(str(p), p.stat().st_mtime).get("county_working_days")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"无法读取 {p}：{exc}") from None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise ValueError(f"{p.name} 缺少或错误的配置项 [deadlines].county_working_days（{raw!r}），"
                         "应为正整数")
    return raw


def county_due_on(received_on: date, working_days: int | None = None) -> date:
    """County approval and payment are due ``working_days`` (default: the configured number)
    working days after the case was received."""
    n = county_decision_working_days() if working_days is None else int(working_days)
    return add_working_days(received_on, n)


def county_deadline(received_on: date, working_days: int | None = None):
    n = county_decision_working_days() if working_days is None else int(working_days)
    return deadline(received_on, n)


def deadline_status(due_on: date, today: date, done_on: date | None = None) -> str:
    """'on_time', 'due_soon' or 'overdue'. A finished step is judged on the day it was done."""
    if done_on is not None:
        return "overdue" if done_on > due_on else "on_time"
    if today > due_on:
        return "overdue"
    if working_days_between(today, due_on) <= DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "on_time"


# statuses in which a case has left the workflow (no clock can still be running)
FINISHED_STATUSES = frozenset({Status.rejected, Status.files_complete, Status.referred,
                               Status.admitted, Status.closed})


@dataclass(frozen=True)
class DeadlineFacts:
    """What the deadline of a case depends on (columns of cases.models.Case, money in yuan)."""

    status: Status | str
    received_on: date
    amount_requested_yuan: Decimal | float | int | str = 0
    amount_approved_yuan: Decimal | float | int | str | None = None
    approval_due_on: date | None = None  # stored town due date (received + 3 working days)
    approval_provisional: bool = False
    aid_first: bool = False
    paid_on: date | None = None  # Case.aid_on: the day of payment
    decided_on: date | None = None  # approval or rejection
    paperwork_due_on: date | None = None
    paperwork_provisional: bool = False
    files_completed_on: date | None = None


@dataclass(frozen=True)
class CaseDeadline:
    """The one deadline that matters for a case, and where the case stands against it.

    step: 'approval' (town: approve and pay, 3 working days), 'county' (county: approve and pay,
    configurable) or 'paperwork' (aid-first files, 15 working days). ``done_on`` is the day the
    clock stopped (payment, rejection, files complete), None while it runs or when not applicable.
    ``working_days_left`` is set only while the clock runs (negative when overdue).
    """

    step: str
    due_on: date
    status: str  # a DeadlineStatus value
    done_on: date | None
    working_days_left: int | None
    provisional: bool

    @property
    def is_open(self) -> bool:
        return self.working_days_left is not None

    @property
    def late(self) -> bool:
        """Overdue now, or finished after its due date."""
        return self.status in (DeadlineStatus.overdue.value, DeadlineStatus.done_late.value)

    @property
    def label(self) -> str:
        return DEADLINE_STATUS_LABELS[DeadlineStatus(self.status)]


# The columns of aid_case (cases.models.Case) a deadline depends on; money in fen as stored.
DEADLINE_COLUMNS = ("status", "received_on", "amount_requested_fen", "amount_approved_fen",
                    "approval_due_on", "approval_provisional", "aid_first", "aid_on", "decided_on",
                    "paperwork_due_on", "paperwork_provisional", "files_completed_on")


def _day(value: Any) -> date | None:
    """A date from a date, a datetime/Timestamp or an ISO string; None for missing (None/NaT/NaN)."""
    if value is None or value != value:  # NaN / NaT
        return None
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def deadline_facts_from_columns(row: Mapping[str, Any]) -> DeadlineFacts:
    """DeadlineFacts from a mapping of aid_case columns (DEADLINE_COLUMNS; a Case's attributes,
    a database row or a pandas row), so metrics and exports judge deadlines exactly like the case
    list: ``rules.case_deadline(rules.deadline_facts_from_columns(row), today)``."""
    def fen_to_yuan(v: Any) -> Decimal | None:
        return None if v is None or v != v else Decimal(int(v)) / 100

    return DeadlineFacts(
        status=str(row["status"]), received_on=_day(row["received_on"]),
        amount_requested_yuan=fen_to_yuan(row.get("amount_requested_fen")) or Decimal(0),
        amount_approved_yuan=fen_to_yuan(row.get("amount_approved_fen")),
        approval_due_on=_day(row.get("approval_due_on")),
        approval_provisional=bool(row.get("approval_provisional") or False),
        aid_first=bool(row.get("aid_first") or False), paid_on=_day(row.get("aid_on")),
        decided_on=_day(row.get("decided_on")), paperwork_due_on=_day(row.get("paperwork_due_on")),
        paperwork_provisional=bool(row.get("paperwork_provisional") or False),
        files_completed_on=_day(row.get("files_completed_on")),
    )


def is_county_decision(facts: DeadlineFacts) -> bool:
    """A case decided by the county: the approved amount (or, before approval, the requested one)
    is above the town's 500-yuan limit. Aid-first cases run on the paperwork clock instead."""
    amount = facts.amount_approved_yuan
    if amount is None or _money(amount) <= 0:
        amount = facts.amount_requested_yuan
    return Status(facts.status) in (Status.escalated, Status.county_approved) or (
        _money(amount) > TOWN_APPROVAL_LIMIT_YUAN)


def _clock_stop(facts: DeadlineFacts, status: Status) -> date | None:
    """The day the town/county clock stopped: payment; or, for a case that left the workflow
    unpaid, its decision (a rejection — approvals are always followed by payment or still open)."""
    if facts.paid_on is not None:
        return facts.paid_on
    if status in FINISHED_STATUSES and facts.decided_on is not None:
        return facts.decided_on
    return None


def case_deadline(facts: DeadlineFacts, today: date, *,
                  county_working_days: int | None = None) -> CaseDeadline:
    """The deadline status of a case on ``today`` — the single definition every page reads.

    - Aid-first (先救助、后办理) cases: files due 15 working days after the day of aid; the clock
      stops when the files are complete.
    - Otherwise the clock runs from receipt and stops at PAYMENT (审批发放), or at a rejection:
      3 working days for the town (≤ 500 yuan), ``county_working_days`` (configured) for the
      county (> 500 yuan). Approval alone does not stop it.
    - A finished case (rejected, paid and filed, referred, admitted, closed) is never judged
      against today: it is judged on the day its clock stopped ('done_on_time' / 'done_late'),
      or 'not_applicable' when it left the workflow without payment or decision (e.g. referred
      or admitted straight from acceptance).
    """
    status = Status(facts.status)
    if facts.aid_first and facts.paperwork_due_on is not None:
        step, due, done = "paperwork", facts.paperwork_due_on, facts.files_completed_on
        provisional = facts.paperwork_provisional
    elif is_county_decision(facts):
        dl = county_deadline(facts.received_on, county_working_days)
        step, due, provisional = "county", dl.due_on, dl.provisional
        done = _clock_stop(facts, status)
    else:
        if facts.approval_due_on is not None:
            due, provisional = facts.approval_due_on, facts.approval_provisional
        else:
            dl = approval_deadline(facts.received_on)
            due, provisional = dl.due_on, dl.provisional
        step = "approval"
        done = _clock_stop(facts, status)
    provisional = bool(provisional or is_provisional(due))
    if done is not None:
        st = DeadlineStatus.done_late if done > due else DeadlineStatus.done_on_time
        return CaseDeadline(step, due, st.value, done, None, provisional)
    if status in FINISHED_STATUSES:
        return CaseDeadline(step, due, DeadlineStatus.not_applicable.value, None, None, provisional)
    left = working_days_between(today, due)
    if today > due:
        st = DeadlineStatus.overdue
    elif left <= DUE_SOON_WORKING_DAYS:
        st = DeadlineStatus.due_soon
    else:
        st = DeadlineStatus.on_time
    return CaseDeadline(step, due, st.value, None, left, provisional)


# ----------------------------------------------------------------------------- follow-up, blacklist
from cases.eligibility import (FOLLOW_UP_MAX_PER_YEAR, check_blacklist,  # noqa: E402,F401
                               check_follow_up, one_year_before)
