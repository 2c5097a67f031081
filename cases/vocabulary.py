"""The words of the workflow: channels, categories, statuses, roles and referral schemes, with their
Chinese labels. Pure: no database, no Streamlit."""
from __future__ import annotations

from enum import Enum

from jizhen.access import Role  # the one role enum: Role.grid_worker is Role.GRID_WORKER
from jizhen.vocabulary import ROLE_LABELS  # noqa: F401  (the one role-label table)


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


# Roles: the one enum and label table are the platform's (re-exported here).
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


# A spot check's result (双随机抽查): code -> (Chinese, English). Read by the oversight page, its
# export and the household file's timeline.
SPOT_CHECK_RESULTS = {"pending": ("待抽查", "pending"), "ok": ("无误", "no problem"),
                      "problem": ("发现问题", "problem found")}

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


class DeadlineStatus(str, Enum):
    """Where a case stands against its deadline (cases.rules.case_deadline). One definition, read
    by the case list, the map, the CLI and the leaders' metrics."""

    on_time = "on_time"  # open, more than DUE_SOON_WORKING_DAYS left
    due_soon = "due_soon"  # open, due within DUE_SOON_WORKING_DAYS working days (or today)
    overdue = "overdue"  # open and past its due date: the only status that is 【逾期】
    done_on_time = "done_on_time"  # the clock stopped (paid / decided / files done) on or before due
    done_late = "done_late"  # the clock stopped after the due date
    not_applicable = "not_applicable"  # finished without the step (referred, admitted, closed unpaid)


# (Chinese, English) — the one label table for deadline statuses; dashboard pages read it.
DEADLINE_STATUS_TEXTS = {
    DeadlineStatus.on_time: ("未到期", "on time"),
    DeadlineStatus.due_soon: ("即将到期", "due soon"),
    DeadlineStatus.overdue: ("已逾期", "overdue"),
    DeadlineStatus.done_on_time: ("按期办结", "done on time"),
    DeadlineStatus.done_late: ("逾期办结", "done late"),
    DeadlineStatus.not_applicable: ("不适用", "not applicable"),
}
DEADLINE_STATUS_LABELS = {k: v[0] for k, v in DEADLINE_STATUS_TEXTS.items()}
OPEN_DEADLINE_STATUSES = (DeadlineStatus.overdue, DeadlineStatus.due_soon, DeadlineStatus.on_time)


def deadline_status_label(status: str, lang: str = "zh") -> str:
    """The label of a deadline status (DeadlineStatus value) in ``lang`` ('zh' or 'en')."""
    zh, en = DEADLINE_STATUS_TEXTS[DeadlineStatus(status)]
    return en if lang == "en" else zh


# Which clock a case runs against (cases.rules.case_deadline's ``step``).
DEADLINE_STEP_TEXTS = {
    "approval": ("镇街审批发放（3个工作日）", "town approves and pays (3 working days)"),
    "county": ("县民政局审批发放", "county approves and pays"),
    "paperwork": ("先救助后补齐手续（15个工作日）", "aid-first paperwork (15 working days)"),
}
