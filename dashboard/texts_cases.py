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
    "col.cause": ("事由", "Cause"),
    "col.department": ("接收部门", "Department"),
    "col.who": ("办理人", "By"),
    "pay.col.paid_on": ("发放日期", "Paid on"),
    "pay.col.amount": ("发放金额（元）", "Amount (yuan)"),
    "pay.col.aid_first": ("先救助后补档", "Aid first"),
    "intake.addr_option": ("{address}（{grid}，户主 {head}）", "{address} ({grid}, head {head})"),
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
    "intake.where": ("求助人位置（确定所属网格）", "Where the person is (decides the grid)"),
    "intake.loc_mode": ("位置来源", "Location from"),
    "intake.loc.map": ("地图点选", "Click on the map"),
    "intake.loc.registry": ("户籍地址", "Registry address"),
    "intake.loc.none": ("不填位置（按身份证/姓名匹配户籍）", "No location (match by ID / name)"),
    "intake.map_hint": ("在地图上点击求助人所在位置；经纬度可再微调。", "Click where the person is; adjust below if needed."),
    "intake.lon": ("经度", "Longitude"),
    "intake.lat": ("纬度", "Latitude"),
    "intake.located": ("该位置属于网格：{code}（{name}）", "This point is in grid {code} ({name})"),
    "intake.located_other": ("该位置属于网格 {code}，不在您负责的网格内，不能由您登记。",
                             "This point is in grid {code}, outside your grids."),
    "intake.located_none": ("该位置不在任何网格内，请重新点选。", "This point is outside every grid; click again."),
    "intake.no_point": ("尚未选定位置。", "No point chosen yet."),
    "intake.addr_q": ("输入地址关键字（至少2个字）", "Address contains (2+ characters)"),
    "intake.addr_pick": ("选择户籍地址", "Pick the registry address"),
    "intake.addr_none": ("没有匹配的户籍地址。", "No registry address matches."),
    "ref.title": ("转诊（转介到其他救助）", "Refer to another scheme"),
    "ref.cost": ("合规医疗费用（元）", "Compliant medical cost (yuan)"),
    "ref.paid": ("医保已报销（元）", "Paid by insurance (yuan)"),
    "ref.preview": ("医疗救助金额：{amount} 元（合规费用 {cost} 元 × 70% − 医保已报销 {paid} 元，按分向上取整）",
                    "Medical assistance: {amount} yuan (70% of {cost} minus {paid} paid by insurance)"),
    "ref.preview_missing": ("请填写合规医疗费用，保存前显示计算出的医疗救助金额。",
                            "Enter the compliant cost to see the amount before saving."),
    "ref.submit": ("转诊", "Refer"),
    "adm.title": ("纳入低保/特困（住院）", "Admit to dibao / tekun"),
    "adm.income": ("家庭月收入合计（元）", "Family income per month (yuan)"),
    "adm.members": ("家庭人口数", "Household members"),
    "adm.severe": ("是否有重残/重病且依靠家庭生活的成员", "A severely disabled/ill dependent member?"),
    "adm.alone": ("该成员能否单独立户", "Can that member register a household alone?"),
    "adm.sanwu": ("是否“三无”（无劳动能力、无生活来源、无法定赡养抚养扶养义务人）",
                  "No work ability, no income and no legal supporter (the \"three withouts\", sanwu)?"),
    "adm.yes": ("是", "yes"),
    "adm.no": ("否", "no"),
    "adm.verdict_ok": ("规则判定：可以纳入（{scheme}{single}）。{reason}", "Rule: eligible ({scheme}{single}). {reason}"),
    "adm.verdict_no": ("规则判定：不符合纳入条件。{reason}", "Rule: not eligible. {reason}"),
    # cases.verification.missing_message's sentence (the Chinese is the same, checked by
    # tests/unit/test_english_vocabulary.py): names the first 6 missing items, "等N项" beyond
    "adm.missing": ("逢进必核：尚有{n}项必核数据未登记核对结果（{names}{more}），暂不能纳入",
                    "Verification first: {n} required items have no result yet ({names}{more}); "
                    "no admission before they do"),
    "adm.missing_more": ("等{n}项", " and others, {n} in all"),
    "adm.single": ("，单人户", ", single-person household"),
    "adm.checklist": ("逢进必核：已登记 {done}/{total} 项，必核未登记 {missing} 项；有异常 {issues} 项。",
                      "Verification: {done}/{total} recorded, {missing} required missing, {issues} with findings."),
    "adm.submit": ("纳入", "Admit"),
    "scheme.dibao": ("低保", "dibao"),
    "scheme.tekun": ("特困供养", "tekun"),
    "tab.verify": ("逢进必核", "Verification"),
    "ver.none": ("列表中没有待纳入的申请（已受理、不予救助后复核、档案完备或已转诊的案件）。",
                 "No application awaiting admission in the list."),
    "ver.pick": ("选择申请（案件）", "Choose an application"),
    "ver.col.department": ("核对部门", "Department"),
    "ver.col.item": ("核对事项", "Item"),
    "ver.col.required": ("必核", "Required"),
    "ver.col.result": ("核对结果", "Result"),
    "ver.col.evidence": ("核对凭证", "Evidence"),
    "ver.col.note": ("说明", "Note"),
    "ver.col.by": ("登记人", "Entered by"),
    "ver.col.on": ("核对日期", "Checked on"),
    "ver.col.source": ("来源", "Source"),
    "ver.form": ("登记一项核对结果", "Record one result"),
    "ver.item": ("核对事项", "Item"),
    "ver.pick_item": ("请选择核对事项", "choose the item checked"),
    "ver.item_option": ("{dept}·{item}", "{dept} · {item}"),
    "ver.result": ("核对结果", "Result"),
    "ver.evidence": ("核对凭证（回执编号或文书）", "Evidence (reply number or document)"),
    "ver.note": ("说明（有异常时必填）", "Note (required with a finding)"),
    "ver.day": ("核对日期", "Checked on"),
    "ver.submit": ("保存核对结果", "Save result"),
    "ver.done": ("已登记：{item}", "Recorded: {item}"),
    "ver.batch": ("批量导入部门核对结果（CSV/XLSX，中文表头：身份证号、核对事项、核对结果、核对凭证、核对日期、说明）",
                  "Import a department's results (CSV/XLSX, Chinese headers)"),
    "ver.batch_dept": ("核对部门", "Department"),
    "ver.batch_file": ("结果文件", "Result file"),
    "ver.batch_submit": ("校验并导入", "Validate and import"),
    "ver.batch_done": ("已导入：新增 {created} 项、更新 {updated} 项核对结果。",
                       "Imported: {created} new, {updated} updated."),
    "ver.source_note": ("核对事项清单见 data/verification.toml：县里的原文只写“12个部门20项数据”，具体事项为本系统的理解，待县里确认。",
                        "Items: data/verification.toml (the county names 12 departments / 20 items; the list is our reading)."),
    "dept.title": ("转诊接收", "Referrals received"),
    "dept.scope": ("{dept}：{scheme}。只显示转给本部门的转诊。", "{dept}: {scheme}. Only referrals sent to you."),
    "dept.no_scheme": ("账号未指定转诊事项：请县民政局在“系统管理 → 账号”中为本账号指定转诊事项。",
                       "This account has no referral scheme: ask the county civil-affairs bureau to set "
                       "one under Administration → Accounts."),
    "dept.filter": ("状态", "Status"),
    "dept.none": ("暂无转给本部门的转诊。", "No referrals sent to you."),
    "dept.col.case_no": ("案件编号", "Case no."),
    "dept.col.scheme": ("转诊事项", "Scheme"),
    "dept.col.status": ("状态", "Status"),
    "dept.col.sent_on": ("转出日期", "Sent"),
    "dept.col.person": ("救助对象", "Person"),
    "dept.col.id_number": ("身份证号", "ID number"),
    "dept.col.fast": ("绿色通道", "Fast track"),
    "dept.col.cost": ("合规医疗费用（元）", "Compliant cost"),
    "dept.col.paid": ("医保已报销（元）", "Insurance paid"),
    "dept.col.amount": ("医疗救助金额（元）", "Medical assistance"),
    "dept.col.responded_on": ("答复日期", "Answered"),
    "dept.col.reason": ("理由", "Reason"),
    "dept.answer": ("接收或退回", "Accept or return"),
    "dept.pick": ("选择转诊", "Choose a referral"),
    "dept.decision": ("答复", "Answer"),
    "dept.reason": ("理由（退回时必填）", "Reason (required to return)"),
    "dept.submit": ("提交答复", "Submit"),
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


def spot_result_label(code: str, lang: str) -> str:
    """A spot check's result (cases.vocabulary.SPOT_CHECK_RESULTS) in `lang`; an unknown one as stored."""
    from cases.vocabulary import SPOT_CHECK_RESULTS

    zh, en = SPOT_CHECK_RESULTS.get(code, (code, code))
    return zh if lang == "zh" else en


def referral_status_label(code: str, lang: str) -> str:
    return REFERRAL_STATUS_LABELS[code] if lang == "zh" else code  # type: ignore[index]


def transition_label(name: str, lang: str) -> str:
    return TRANSITIONS[name].label if lang == "zh" else name.replace("_", " ")


# English names of the county's departments and of the schemes and checklist items they answer
# for. The Chinese names stay defined once where they are (cases.vocabulary.REFERRAL_SCHEMES;
# data/verification.toml, whose department names are also the batch file's department): these
# tables only give them in English, keyed by the same code or department name.
# tests/unit/test_english_vocabulary.py checks that every scheme, item and department has one.
_EN_DEPARTMENT = {
    "县医疗保障局": "County Healthcare Security Bureau",
    "县民政局": "County Civil Affairs Bureau",
    "县民政局社会救助科": "County Civil Affairs Bureau, Social Assistance Section",
    "县残疾人联合会": "County Disabled Persons' Federation",
    "县教育局学生资助中心": "County Education Bureau, Student Aid Centre",
    "县住房和城乡建设局": "County Housing and Urban-Rural Development Bureau",
    "县慈善总会": "County Charity Federation",
    "县总工会": "County Federation of Trade Unions",
    "县人力资源和社会保障局": "County Human Resources and Social Security Bureau",
    "县公安局": "County Public Security Bureau",
    "县自然资源和规划局": "County Natural Resources and Planning Bureau",
    "县市场监督管理局": "County Market Regulation Bureau",
    "县税务局": "County Tax Bureau",
    "县住房公积金管理中心": "County Housing Provident Fund Centre",
    "银行保险机构": "Banks and insurers",
    "证券登记结算机构": "Securities depository and clearing",
}
_EN_SCHEME = {
    "medical": "medical assistance for serious illness", "dibao": "minimum living allowance (dibao)",
    "tekun": "support for people in extreme poverty (tekun)",
    "disability": "the two disability allowances", "education": "education assistance",
    "housing": "housing assistance", "charity": "charity assistance",
    "worker_hardship": "help for workers in hardship", "employment": "employment assistance",
}
_EN_ITEM = {
    "household_register": "household register", "vehicles": "motor vehicles",
    "real_estate": "real estate", "housing_transactions": "housing transactions and subsidised housing",
    "business_registration": "business registration", "income_tax": "personal income tax",
    "business_tax": "tax on self-employment", "housing_fund": "housing provident fund",
    "social_insurance": "social insurance contributions", "pension": "pension received",
    "unemployment_benefit": "unemployment benefit received",
    "medical_insurance": "medical insurance and costs", "bank_deposits": "bank deposits",
    "wealth_products": "wealth-management products", "commercial_insurance": "commercial insurance",
    "securities": "securities (shares, funds)", "disability_certificate": "disability certificate",
    "marriage": "marriage registration", "assistance_received": "social assistance already received",
    "cremation": "funeral (cremation) records",
}


def department_label(name: str, lang: str) -> str:
    """A department (its Chinese name, as in the config) in `lang`."""
    return name if lang == "zh" else _EN_DEPARTMENT.get(name, name)


def scheme_name(code: str, lang: str) -> str:
    """A referral scheme's name (without its department) in `lang`."""
    return REFERRAL_SCHEMES[code][0] if lang == "zh" else _EN_SCHEME.get(code, code)  # type: ignore[index]


def scheme_label(code: str, lang: str) -> str:
    name, dept = REFERRAL_SCHEMES[code]  # type: ignore[index]
    if lang == "zh":
        return f"{name}（{dept}）"
    return f"{scheme_name(code, lang)} ({department_label(dept, lang)})"


def missing_message(items: list[dict], lang: str) -> str:
    """The admission preview's "checklist incomplete" sentence (cases.referrals.admission_preview's
    checklist_missing_items: code, name, department) in `lang`; the Chinese is
    cases.verification.missing_message's."""
    sep, dot = ("、", "·") if lang == "zh" else (", ", ": ")
    names = sep.join(f"{department_label(i['department'], lang)}{dot}{item_label(i['code'], i['name'], lang)}"
                     for i in items[:6])
    more = tc("adm.missing_more", lang, n=len(items)) if len(items) > 6 else ""
    return tc("adm.missing", lang, n=len(items), names=names, more=more)


def item_label(code: str, name: str, lang: str) -> str:
    """A checklist item (its code and its Chinese name from the config) in `lang`."""
    return name if lang == "zh" else _EN_ITEM.get(code, name)
