"""The Open311 words of the intake API, mapped onto the workflow's vocabulary (cases.vocabulary).

One definition each: the services (one per assistance category, plus "other"), the attributes of a
service definition, the channel values a caller may send, open/closed, and the agency. Pure.
"""
from __future__ import annotations

from dataclasses import dataclass

from cases.rules import FINISHED_STATUSES
from cases.vocabulary import (CATEGORY_LABELS, CHANNEL_LABELS, STATUS_LABELS, Category, Channel,
                              Status)

GROUP = "临时救助"  # every service is a request for temporary assistance (临时救助)
OTHER = "other"


@dataclass(frozen=True)
class Service:
    code: str
    category: Category  # the workflow category the case is recorded under
    name: str
    description: str
    keywords: tuple[str, ...]


_DESCRIPTIONS = {
    Category.housing_loss: ("因火灾、房屋倒塌等造成住房或基本生活设施严重损失，基本生活暂时困难。",
                            ("火灾", "房屋", "住房")),
    Category.accidental_injury: ("因交通事故、刑事案件等突发意外伤害，基本生活暂时困难。",
                                 ("交通事故", "意外", "受伤")),
    Category.illness_or_disaster: ("家庭成员突发重大疾病，或遭受自然灾害，基本生活暂时困难。",
                                   ("重病", "疾病", "灾害")),
    Category.care_gap: ("老年人、未成年人等因无人照料或其他特殊原因陷入困境。",
                        ("老人", "未成年人", "照料")),
    Category.expenditure: ("因医疗、教育等必需支出突然增加，超出家庭承受能力，基本生活暂时困难。",
                           ("支出", "医疗费", "学费")),
}

SERVICES: tuple[Service, ...] = tuple(
    Service(cat.value, cat, CATEGORY_LABELS[cat], desc, kw) for cat, (desc, kw) in _DESCRIPTIONS.items()
) + (
    # The rules' fourth category is the catch-all ("other special causes"); a request the caller
    # cannot classify is recorded under it, and the town reclassifies it on the cases page.
    Service(OTHER, Category.care_gap, "其他困难",
            "以上类别都不符合、或来电人说不清类别的困难求助；由镇街民政人员核实后归类。",
            ("其他", "求助")),
)
SERVICE_BY_CODE = {s.code: s for s in SERVICES}


def service_name(code: str) -> str:
    return SERVICE_BY_CODE[code].name if code in SERVICE_BY_CODE else CATEGORY_LABELS[Category(code)]


# ----------------------------------------------------------------------------- attributes
# Channel values a caller sends (Open311 attribute "channel") → the workflow's channel.
CHANNEL_VALUES: dict[str, Channel] = {
    "110": Channel.hotline_110,
    "12345": Channel.hotline_12345,
    "12349": Channel.hotline_12349,
    "wechat": Channel.wechat,
    "window": Channel.window,
}

TICKET_NO_MAX = 31  # with the client name (≤ 32) the case's work order number fits 64 characters
HOUSEHOLD_SIZE_MAX = 30


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    required: bool
    description: str
    datatype_description: str
    order: int
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for the list types


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("channel", "singlevaluelist", True, "来源渠道", "从列表中选择一项", 1,
              tuple((key, CHANNEL_LABELS[ch]) for key, ch in CHANNEL_VALUES.items())),
    Attribute("ticket_no", "string", True, "来电/工单编号（同一编号重复提交只登记一次）",
              f"1–{TICKET_NO_MAX} 个字符，不含空白", 2),
    Attribute("id_number", "string", False, "求助人身份证号", "18 位居民身份证号码", 3),
    Attribute("household_size", "number", False, "家庭人口数",
              f"1–{HOUSEHOLD_SIZE_MAX} 的整数", 4),
    Attribute("amount_requested", "number", False, "申请救助金额（元）", "非负数，最多两位小数", 5),
)
ATTRIBUTE_BY_CODE = {a.code: a for a in ATTRIBUTES}


# ----------------------------------------------------------------------------- status, agency
def open311_status(status: str) -> str:
    """'closed' once the case has left the workflow (finished or closed), else 'open'."""
    s = Status(status)
    return "closed" if s in FINISHED_STATUSES or s == Status.closed else "open"


def status_notes(status: str) -> str:
    return STATUS_LABELS[Status(status)]


TOWN_AGENCY = "镇（街道）民政办"  # approves ≤ 500 yuan on its own
COUNTY_AGENCY = "县民政局"  # decides above the town limit
