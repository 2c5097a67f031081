"""UI strings of the 案件 (cases) page, zh-CN first, English second. Pure (no streamlit)."""
from __future__ import annotations

from cases.rules import (CATEGORY_LABELS, CHANNEL_LABELS, REFERRAL_SCHEMES,
                         REFERRAL_STATUS_LABELS, STATUS_LABELS, TRANSITIONS)
from cases.vocabulary import DEADLINE_STATUS_TEXTS, DEADLINE_STEP_TEXTS

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("救助案件", "Assistance cases"),
    "tab.list": ("案件列表", "Case list"),
    "tab.detail": ("案件详情", "Case detail"),
    "tab.intake": ("窗口受理登记", "Window intake"),
    "tab.match": ("待匹配工单", "To match"),
    "tab.oversight": ("公示·抽查·失信·资金", "Disclosure · spot checks · blacklist · funds"),
    "filter.status": ("状态", "Status"),
    "filter.category": ("类别", "Category"),
    "filter.channel": ("来源渠道", "Channel"),
    "filter.deadline": ("期限", "Deadline"),
    "filter.all": ("全部", "All"),
    "col.case_no": ("案件编号", "Case no."),
    "col.channel": ("来源", "Channel"),
    "col.category": ("类别", "Category"),
    "col.status": ("状态", "Status"),
    "col.amount": ("申请金额（元）", "Amount (yuan)"),
    "col.received_on": ("受理日期", "Received"),
    "col.due_on": ("办理期限", "Due"),
    "col.days_left": ("剩余工作日", "Working days left"),
    "col.deadline": ("期限状态", "Deadline status"),
    "col.provisional": ("期限暂定", "Provisional"),
    "col.person": ("求助人", "Person"),
    "col.grid": ("网格", "Grid"),
    "provisional_note": ("标“暂定”的期限依法定节假日推算（国务院尚未公布该年调休安排），公布后会自动更新。",
                         "Deadlines marked provisional use the statutory holidays (the State Council "
                         "has not published that year's arrangement yet); they update once it is added."),
    "count": ("共 {n} 件，其中逾期 {overdue} 件", "{n} cases, {overdue} overdue"),
    # deadline statuses: the one label table in cases.vocabulary
    **{f"deadline.{k.value}": v for k, v in DEADLINE_STATUS_TEXTS.items()},
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "detail.pick": ("选择案件", "Choose a case"),
    "detail.none": ("请先在列表中筛选出案件。", "Filter the list to find a case first."),
    "detail.summary": ("{case_no}｜{category}｜{status}｜申请 {amount} 元",
                       "{case_no} | {category} | {status} | requested {amount} yuan"),
    "detail.deadline": ("{step}期限：{due}（剩余 {left} 个工作日）{prov}",
                        "{step} due {due} ({left} working days left){prov}"),
    "detail.deadline_done": ("{step}期限：{due}（{state}）", "{step} due {due} ({state})"),
    # which clock a case runs against: the one label table in cases.vocabulary
    **{f"step.{k}": v for k, v in DEADLINE_STEP_TEXTS.items()},
    "detail.prov": ("（暂定）", " (provisional)"),
    "detail.timeline": ("办理经过", "Timeline"),
    "detail.referrals": ("转诊", "Referrals"),
    "detail.payments": ("发放记录", "Payments"),
    "detail.household": ("一户一档", "Household file"),
    "detail.opinion": ("审核意见：{op}；决定：{dec}", "Review: {op}; decision: {dec}"),
    "detail.override": ("失信名单放行理由：{r}", "Blacklist override: {r}"),
    "act.title": ("办理", "Act"),
    "act.none": ("当前身份在此状态下没有可执行的操作。", "Nothing you may do in this state."),
    "act.choose": ("操作", "Action"),
    "act.reason": ("理由 / 意见", "Reason / opinion"),
    "act.amount": ("批准金额（元）", "Approved amount (yuan)"),
    "act.day": ("办理日期", "Date"),
    "act.backdate": ("补录理由（办理日期早于今天一周以上时必填）",
                     "Late-entry reason (required when the date is more than a week ago)"),
    "act.backdate_hint": ("例如：当日系统停机，纸质审批单补录", "e.g. system down that day; entered from the paper form"),
    "act.scheme": ("转诊事项", "Refer to"),
    "act.submit": ("提交", "Submit"),
    "act.done": ("已办理：{what}", "Done: {what}"),
    "ref.update": ("更新转诊状态", "Update referral"),
    "ref.status": ("新状态", "New status"),
    "intake.channel": ("来源渠道", "Channel"),
    "intake.category": ("救助类别", "Category"),
    "intake.id_number": ("身份证号（优先按身份证匹配户籍）", "ID number (matched first)"),
    "intake.name": ("姓名", "Name"),
    "intake.phone": ("联系电话", "Phone"),
    "intake.address": ("地址", "Address"),
    "intake.amount": ("申请金额（元）", "Amount requested (yuan)"),
    "intake.cause": ("事由", "Cause"),
    "intake.day": ("受理日期", "Received on"),
    "intake.follow_up": ("复诊（低保等救助后仍困难的补充临时救助）", "Follow-up (supplementary aid)"),
    "intake.override": ("失信名单放行理由（仅镇街/县级人员）", "Blacklist override reason (officers only)"),
    "intake.submit": ("登记", "Record"),
    "intake.done": ("已登记 {case_no}，审批期限 {due}{prov}；{match}", "Recorded {case_no}, due {due}{prov}; {match}"),
    "intake.matched": ("已匹配到户", "matched to a household"),
    "intake.to_match": ("未能唯一匹配到户，已进入待匹配队列", "no unique household match: queued to match"),
    "match.none": ("没有待匹配的工单。", "Nothing waiting to be matched."),
    "match.household": ("户编号", "Household id"),
    "match.reason": ("匹配依据", "How it was confirmed"),
    "match.submit": ("确认匹配", "Confirm match"),
    "ov.disclosure": ("月度公示（姓名、身份证号已脱敏）", "Monthly disclosure (masked)"),
    "ov.month": ("月份", "Month"),
    "ov.download": ("下载公示表 XLSX", "Download XLSX"),
    "ov.history": ("已公示月份", "Published months"),
    "ov.spot": ("双随机抽查", "Random spot checks"),
    "ov.blacklist": ("失信惩戒名单", "Credit blacklist"),
    "ov.funds": ("资金", "Funds"),
    "ov.year": ("年度", "Year"),
    "ov.funds_line": ("县级储备 {county:,.2f} 元；村（居）备用金 {village:,.2f} 元；捐赠 {don:,.2f} 元；"
                      "镇街已支出 {spent:,.2f} 元；年终结算：县 {sc:,.2f} 元 / 镇街 {st:,.2f} 元（{settled}）",
                      "County reserve {county:,.2f}; village reserves {village:,.2f}; donations {don:,.2f}; "
                      "spent {spent:,.2f}; settlement county {sc:,.2f} / town {st:,.2f} ({settled})"),
    "ov.settled": ("已结算", "settled"),
    "ov.unsettled": ("未结算", "not settled"),
    "err.domain": ("不能办理：{msg}", "Refused: {msg}"),
    "err.denied": ("无权执行此操作：{msg}", "Not allowed: {msg}"),
    "err.stale": ("该案件刚被他人修改，请刷新后重试。", "Someone else just changed this case; reload and retry."),
    "readonly": ("当前身份只读。", "Read-only role."),
}


def tc(key: str, lang: str = "zh", **fmt) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    text = TEXTS[key][LANGS.index(lang)]
    return text.format(**fmt) if fmt else text


_EN_STATUS = {
    "reported": "reported", "accepted": "accepted", "town_approved": "approved by town",
    "escalated": "escalated to county", "county_approved": "approved by county",
    "rejected": "rejected", "paid": "paid", "files_complete": "files complete",
    "referred": "referred", "admitted": "admitted", "closed": "closed",
}
_EN_CATEGORY = {
    "housing_loss": "housing loss", "accidental_injury": "accidental injury",
    "illness_or_disaster": "serious illness or disaster", "care_gap": "care gap",
    "expenditure": "expenditure hardship",
}
_EN_CHANNEL = {"grid_visit": "grid visit", "wechat": "WeChat", "hotline_110": "110",
               "hotline_12345": "12345", "hotline_12349": "12349", "window": "service window"}


def status_label(code: str, lang: str) -> str:
    return STATUS_LABELS[code] if lang == "zh" else _EN_STATUS.get(code, code)  # type: ignore[index]


def category_label(code: str, lang: str) -> str:
    return CATEGORY_LABELS[code] if lang == "zh" else _EN_CATEGORY.get(code, code)  # type: ignore[index]


def channel_label(code: str, lang: str) -> str:
    return CHANNEL_LABELS[code] if lang == "zh" else _EN_CHANNEL.get(code, code)  # type: ignore[index]


def referral_status_label(code: str, lang: str) -> str:
    return REFERRAL_STATUS_LABELS[code] if lang == "zh" else code  # type: ignore[index]


def transition_label(name: str, lang: str) -> str:
    return TRANSITIONS[name].label if lang == "zh" else name.replace("_", " ")


def scheme_label(code: str, lang: str) -> str:
    name, dept = REFERRAL_SCHEMES[code]  # type: ignore[index]
    return f"{name}（{dept}）" if lang == "zh" else f"{code} ({dept})"
