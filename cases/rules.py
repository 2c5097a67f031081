"""The rules of the emergency-assistance workflow — pure functions, no database, no Streamlit.

Every number comes from ../shared/DOMAIN.md (Siyang County Civil Affairs Bureau, 2020):
town approves temporary aid ≤ 500 yuan within 3 working days; aid-first (先救助、后办理) paperwork
within 15 working days of the day of aid; medical assistance ≥ 70% of compliant costs; follow-up
(复诊) aid at most twice within one year, same person same cause; single-person admission when the
family's per-capita income is within 2× the 低保 standard; spot checks ≥ 30% of recipients; county
reserve 10 million yuan a year, 10,000 yuan per village/community, year-end settlement 50/50.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from enum import Enum
from typing import Any, Iterable, Mapping, Sequence

from cases.calendar import add_working_days, deadline, working_days_between

# ----------------------------------------------------------------------------- numbers
TOWN_APPROVAL_LIMIT_YUAN = Decimal("500")
TOWN_APPROVAL_WORKING_DAYS = 3
AID_FIRST_PAPERWORK_WORKING_DAYS = 15
MEDICAL_MIN_REIMBURSEMENT_RATE = Decimal("0.70")
FOLLOW_UP_MAX_PER_YEAR = 2
SINGLE_PERSON_INCOME_MULTIPLE = 2
SPOT_CHECK_MIN_FRACTION = 0.30
COUNTY_RESERVE_YUAN = Decimal("10000000")
VILLAGE_RESERVE_YUAN = Decimal("10000")
ASSISTANT_STIPEND_MONTHLY_YUAN = Decimal("200")
SETTLEMENT_COUNTY_SHARE = Decimal("0.5")
DUE_SOON_WORKING_DAYS = 1  # countdown ≤ this many working days → 'due_soon'


# ----------------------------------------------------------------------------- vocabulary
class Channel(str, Enum):
    grid_visit = "grid_visit"
    wechat = "wechat"
    hotline_110 = "hotline_110"
    hotline_12345 = "hotline_12345"
    hotline_12349 = "hotline_12349"
    window = "window"


CHANNEL_LABELS = {
    Channel.grid_visit: "网格走访",
    Channel.wechat: "微信扫码",
    Channel.hotline_110: "110",
    Channel.hotline_12345: "12345",
    Channel.hotline_12349: "12349",
    Channel.window: "窗口受理",
}
HOTLINE_CHANNELS = frozenset({Channel.hotline_110, Channel.hotline_12345, Channel.hotline_12349})


class Category(str, Enum):
    housing_loss = "housing_loss"
    accidental_injury = "accidental_injury"
    illness_or_disaster = "illness_or_disaster"
    care_gap = "care_gap"
    expenditure = "expenditure"


CATEGORY_LABELS = {
    Category.housing_loss: "住房或生活设施严重损失",
    Category.accidental_injury: "突发意外伤害",
    Category.illness_or_disaster: "家庭成员突发重病或自然灾害",
    Category.care_gap: "老人、未成年人等无人照料陷入困境",
    Category.expenditure: "支出型困难",
}


class Status(str, Enum):
    reported = "reported"
    accepted = "accepted"
    town_approved = "town_approved"
    escalated = "escalated"
    county_approved = "county_approved"
    rejected = "rejected"
    paid = "paid"
    files_complete = "files_complete"
    referred = "referred"
    admitted = "admitted"
    closed = "closed"


STATUS_LABELS = {
    Status.reported: "已上报",
    Status.accepted: "已受理",
    Status.town_approved: "镇街已批准",
    Status.escalated: "已报县审批",
    Status.county_approved: "县已批准",
    Status.rejected: "不予救助",
    Status.paid: "已发放",
    Status.files_complete: "档案已完备",
    Status.referred: "已转诊",
    Status.admitted: "已纳入低保/特困",
    Status.closed: "已结案",
}
OPEN_STATUSES = frozenset(
    {Status.reported, Status.accepted, Status.town_approved, Status.escalated,
     Status.county_approved, Status.paid}
)


class Role(str, Enum):
    grid_worker = "grid_worker"
    grid_supervisor = "grid_supervisor"
    township_leader = "township_leader"
    county_staff = "county_staff"
    auditor = "auditor"
    system = "system"  # grid.access.SYSTEM: CLI and nightly jobs, may do every transition


ROLE_LABELS = {
    Role.grid_worker: "网格员",
    Role.grid_supervisor: "网格长",
    Role.township_leader: "镇街领导",
    Role.county_staff: "县民政局",
    Role.auditor: "审计",
    Role.system: "系统",
}
OFFICERS = frozenset({Role.township_leader, Role.county_staff, Role.system})
INTAKE_ROLES = frozenset(
    {Role.grid_worker, Role.grid_supervisor, Role.township_leader, Role.county_staff, Role.system}
)


class ReferralScheme(str, Enum):
    medical = "medical"
    dibao = "dibao"
    tekun = "tekun"
    disability = "disability"
    education = "education"
    housing = "housing"
    charity = "charity"
    worker_hardship = "worker_hardship"
    employment = "employment"


REFERRAL_SCHEMES = {
    # scheme: (Chinese name, receiving department)
    ReferralScheme.medical: ("大病医疗救助", "县医疗保障局"),
    ReferralScheme.dibao: ("最低生活保障", "县民政局社会救助科"),
    ReferralScheme.tekun: ("特困人员供养", "县民政局社会救助科"),
    ReferralScheme.disability: ("残疾人两项补贴", "县残疾人联合会"),
    ReferralScheme.education: ("教育救助", "县教育局学生资助中心"),
    ReferralScheme.housing: ("住房救助", "县住房和城乡建设局"),
    ReferralScheme.charity: ("慈善救助", "县慈善总会"),
    ReferralScheme.worker_hardship: ("困难职工帮扶", "县总工会"),
    ReferralScheme.employment: ("就业救助", "县人力资源和社会保障局"),
}


class ReferralStatus(str, Enum):
    sent = "sent"
    accepted = "accepted"
    rejected = "rejected"
    done = "done"


REFERRAL_STATUS_LABELS = {
    ReferralStatus.sent: "已转出",
    ReferralStatus.accepted: "对方已接收",
    ReferralStatus.rejected: "对方退回",
    ReferralStatus.done: "已办结",
}
REFERRAL_TRANSITIONS = {
    ReferralStatus.sent: {ReferralStatus.accepted, ReferralStatus.rejected},
    ReferralStatus.accepted: {ReferralStatus.done},
    ReferralStatus.rejected: set(),
    ReferralStatus.done: set(),
}


# ----------------------------------------------------------------------------- errors
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


def _money(x: Any) -> Decimal:
    if isinstance(x, Decimal):
        return x
    return Decimal(str(x if x is not None else 0))


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


# ----------------------------------------------------------------------------- medical assistance
def medical_reimbursement(compliant_cost_yuan: Any, *, insurance_paid_yuan: Any = 0,
                          rate: Any = MEDICAL_MIN_REIMBURSEMENT_RATE) -> Decimal:
    """Medical-assistance amount so that total reimbursement ≥ rate (≥70%) of compliant costs.

    Rounded up to the fen so the 70% floor is never missed by rounding.
    """
    cost = _money(compliant_cost_yuan)
    paid = _money(insurance_paid_yuan)
    r = _money(rate)
    if cost < 0 or paid < 0:
        raise DomainError("费用不能为负数", "costs cannot be negative", code="bad_amount")
    if r < MEDICAL_MIN_REIMBURSEMENT_RATE or r > 1:
        raise DomainError(
            f"报销比例须在70%至100%之间（给定{r}）",
            f"reimbursement rate must be between 70% and 100% (got {r})", code="bad_rate",
        )
    target = (cost * r).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    return max(Decimal("0.00"), target - paid).quantize(Decimal("0.01"))


# ----------------------------------------------------------------------------- admission (住院)
@dataclass(frozen=True)
class AdmissionFacts:
    members: int
    income_per_capita_yuan: Any  # monthly, verified (逢进必核)
    dibao_standard_yuan: Any  # monthly 低保 standard of the place
    verified: bool = True  # 12 departments / 20 items checked
    dependent_severe_member: bool = False  # severely disabled or seriously ill dependent member
    member_can_register_alone: bool = False
    no_labour_no_income_no_supporter: bool = False  # 特困: 三无


@dataclass(frozen=True)
class AdmissionDecision:
    eligible: bool
    scheme: str | None  # 'dibao' | 'tekun' | None
    single_person: bool
    reason: str


def assess_admission(f: AdmissionFacts) -> AdmissionDecision:
    if not f.verified:
        return AdmissionDecision(False, None, False,
                                 "逢进必核：家庭经济状况核对未完成，暂不能纳入")
    income = _money(f.income_per_capita_yuan)
    std = _money(f.dibao_standard_yuan)
    if std <= 0:
        raise DomainError("低保标准必须大于0", "the dibao standard must be positive", code="bad_standard")
    if f.no_labour_no_income_no_supporter:
        return AdmissionDecision(True, "tekun", False,
                                 "无劳动能力、无生活来源、无法定赡养抚养扶养义务人：纳入特困供养")
    if income < std:
        return AdmissionDecision(True, "dibao", False,
                                 f"家庭人均收入{income}元低于低保标准{std}元：全户纳入低保")
    if (f.dependent_severe_member and not f.member_can_register_alone and f.members > 1
            and income <= std * SINGLE_PERSON_INCOME_MULTIPLE):
        return AdmissionDecision(
            True, "dibao", True,
            f"家庭人均收入{income}元在低保标准{std}元的2倍以内，重残/重病成员单人户纳入低保",
        )
    return AdmissionDecision(
        False, None, False,
        f"家庭人均收入{income}元不低于低保标准{std}元，且不符合单人户纳入条件",
    )


# ----------------------------------------------------------------------------- disclosure masking
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


# ----------------------------------------------------------------------------- spot checks (双随机)
@dataclass(frozen=True)
class SpotDraw:
    recipient_id: Any
    grid_code: str
    inspector: str


def spot_check_size(n: int, fraction: float = SPOT_CHECK_MIN_FRACTION) -> int:
    if n <= 0:
        return 0
    return min(n, max(1, math.ceil(n * max(fraction, SPOT_CHECK_MIN_FRACTION) - 1e-9)))


def draw_spot_checks(
    recipients: Sequence[tuple[Any, str]],
    inspectors: Sequence[str],
    *,
    seed: int | str,
    fraction: float = SPOT_CHECK_MIN_FRACTION,
    conflicts: Mapping[str, Iterable[str]] | None = None,
) -> list[SpotDraw]:
    """Draw ≥30% of recipients in every grid, each with a randomly drawn inspector.

    ``recipients``: (recipient id, grid code); ``conflicts``: grid code → inspectors who may not
    inspect there (e.g. that grid's own staff). Same inputs and seed → same draw.
    """
    if not inspectors:
        raise DomainError("没有可用的抽查人员", "no inspectors available", code="no_inspectors")
    rng = random.Random(f"jizhen-spotcheck:{seed}")
    by_grid: dict[str, list] = defaultdict(list)
    for rid, grid in recipients:
        by_grid[str(grid)].append(rid)
    pool = sorted(set(inspectors))
    conflicts = {k: set(v) for k, v in (conflicts or {}).items()}
    out: list[SpotDraw] = []
    for grid in sorted(by_grid):
        ids = sorted(set(by_grid[grid]), key=lambda x: str(x))
        k = spot_check_size(len(ids), fraction)
        chosen = rng.sample(ids, k)
        eligible = [p for p in pool if p not in conflicts.get(grid, set())] or pool
        for rid in sorted(chosen, key=lambda x: str(x)):
            out.append(SpotDraw(rid, grid, rng.choice(eligible)))
    return out


# ----------------------------------------------------------------------------- funds
def settlement(total_spent_yuan: Any) -> tuple[Decimal, Decimal]:
    """Year-end settlement of a town's emergency-aid spending: county 50%, town 50%.

    Returns (county share, town share) in yuan; an odd fen goes to the town.
    """
    total = _money(total_spent_yuan).quantize(Decimal("0.01"))
    county = (total * SETTLEMENT_COUNTY_SHARE).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return county, total - county


def village_reserves_total(n_villages: int) -> Decimal:
    return VILLAGE_RESERVE_YUAN * int(n_villages)
