"""Every UI string of the dashboard, zh-CN first, English second.

    t("map.title", "zh")  ->  "网格地图"
    t("map.title", "en")  ->  "Grid map"

Pure (no streamlit): maps.py and exports use it too. Strings of the 案件 page live in
dashboard/texts_cases.py (owned by the cases page).
"""
from __future__ import annotations

from cases.vocabulary import DEADLINE_STATUS_TEXTS
from jizhen.vocabulary import ROLE_NAMES

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    # app / navigation
    "app.title": ("急诊 · 网格化急难救助", "Jizhen · grid emergency assistance"),
    "page_not_for_role": ("此页面不属于您的角色，请从左侧菜单选择可用页面。",
                          "This page is not for your role: choose one from the menu."),
    "nav.map": ("网格地图", "Grid map"),
    "nav.assign": ("走访派单", "Visit assignment"),
    "nav.visit": ("走访登记", "Record a visit"),
    "nav.today": ("今日任务", "Today's visits"),
    "nav.leaders": ("领导看板", "Leaders' view"),
    "nav.cases": ("救助案件", "Cases"),
    "nav.household": ("一户一档", "Household file"),
    "sidebar.lang": ("语言 / Language", "Language / 语言"),
    "sidebar.today": ("业务日期", "Business date"),
    "sidebar.refresh": ("刷新数据", "Reload data"),
    "sidebar.actor": ("当前用户：{user}（{role}）", "Signed in: {user} ({role})"),
    "no_actor": ("请先登录。", "Please sign in first."),
    # what dashboard.auth draws around the pages (the sidebar; the way back to the login page),
    # ready for it to use: today it draws the Chinese text itself (see the English-mode test)
    "auth.actor": ("当前用户：{user}（{role}，{grids}）", "Signed in: {user} ({role}, {grids})"),
    "auth.all_grids": ("全部网格", "all grids"),
    "auth.no_grids": ("无", "none"),
    "auth.logout": ("退出登录", "Sign out"),
    "auth.to_login": ("前往登录页", "Go to the sign-in page"),
    "auth.login": ("登录", "Sign in"),
    "auth.prompt": ("请在登录页登录后继续使用。", "Sign in on the sign-in page to continue."),
    "auth.timed_out": ("登录已超时，请重新登录", "Your session timed out; please sign in again."),
    "auth.ended": ("登录已超时或已退出，请重新登录", "Your session timed out or ended; please sign in again."),
    "auth.blocked": ("账户已停用、锁定或登录已结束，请重新登录",
                     "The account is disabled or locked, or the session ended; please sign in again."),
    "auth.gone": ("账户已停用或不存在，请联系管理员",
                  "The account is disabled or does not exist; contact your administrator."),
    # role names: the one table in jizhen.vocabulary ("role.grid_worker", ...)
    **{f"role.{role.value}": pair for role, pair in ROLE_NAMES.items()},
    "error.stale": ("该记录刚被他人修改，请刷新后重试；您的输入未丢失。",
                    "Someone else just changed this record; reload and try again. Your input is kept."),
    "error.denied": ("无权执行此操作。", "You may not do this."),
    "error.invalid": ("输入有误：{msg}", "Invalid input: {msg}"),
    "empty": ("暂无数据", "No data"),
    # a name with its code or detail in brackets: Chinese brackets in Chinese, ASCII in English
    "fmt.name_code": ("{name}（{code}）", "{name} ({code})"),
    "fmt.paren": ("（{text}）", " ({text})"),
    "fmt.label_value": ("{label}：{value}", "{label}: {value}"),
    "fmt.list_sep": ("、", ", "),
    # levels, statuses, categories
    "level.red": ("红色（高）", "red (high)"),
    "level.orange": ("橙色（较高）", "orange"),
    "level.yellow": ("黄色（关注）", "yellow"),
    "level.green": ("绿色（一般）", "green"),
    # deadline statuses: the one label table in cases.vocabulary
    **{f"deadline.{k.value}": v for k, v in DEADLINE_STATUS_TEXTS.items()},
    "cat.housing_loss": ("住房或生活设施严重损失", "loss of housing or facilities"),
    "cat.accidental_injury": ("突发意外伤害", "accidental injury"),
    "cat.illness_or_disaster": ("家庭成员突发重病或自然灾害", "sudden illness or disaster"),
    "cat.care_gap": ("老人、未成年人等无人照料陷入困境", "vulnerable people without care"),
    "cat.expenditure": ("支出型困难", "expenditure hardship"),
    "employment.full_time": ("专职", "full-time"),
    "employment.part_time": ("兼职", "part-time"),
    # map
    "map.title": ("网格地图", "Grid map"),
    "map.metric": ("网格着色指标", "Colour grids by"),
    "metric.coverage_30d": ("30天走访覆盖率", "30-day visit coverage"),
    "metric.mean_score": ("平均风险分", "mean risk score"),
    "metric.pending_cases": ("在办案件数", "pending cases"),
    "map.layers": ("图层", "Layers"),
    "layer.grids": ("网格", "Grids"),
    "layer.hotspots": ("风险聚集区", "Where risk clusters"),
    "layer.heat": ("风险热力图", "Risk heat map"),
    "layer.cases": ("在办案件", "Pending cases"),
    "layer.households": ("所选风险等级住户（聚合）", "Households of the chosen levels (clustered)"),
    "map.filter_grid": ("网格", "Grid"),
    "map.filter_worker": ("网格员", "Grid worker"),
    "map.filter_levels": ("风险等级", "Risk level"),
    "map.filter_deadline": ("案件期限状态", "Case deadline status"),
    "map.all": ("全部", "All"),
    "map.households_total": ("所选风险等级住户 {n} 户（无坐标 {missing} 户）",
                             "{n} households of the chosen levels ({missing} without coordinates)"),
    "map.legend_hot": ("高风险聚集", "hot spot"),
    "map.legend_cold": ("低风险聚集", "cold spot"),
    "map.popup_case": ("案件编号", "Case no."),
    "map.popup_category": ("类别", "Category"),
    "map.popup_days_left": ("剩余工作日", "Working days left"),
    "map.popup_status": ("期限状态", "Deadline"),
    "hotspot.hot_99": ("风险聚集区（很可能）", "high-risk cluster (very likely)"),
    "hotspot.hot_95": ("风险聚集区（可能）", "high-risk cluster (likely)"),
    "hotspot.cold_95": ("低风险聚集区（可能）", "low-risk cluster (likely)"),
    "hotspot.cold_99": ("低风险聚集区（很可能）", "low-risk cluster (very likely)"),
    "map.hotspot_note": ("六边形内高（低）风险住户比周边明显更集中；“很可能”指偶然出现的机会小于1%，“可能”小于5%。",
                         "Hexagons where high (low) risk households are clearly more concentrated than "
                         "around them; 'very likely': less than 1% chance by accident, 'likely': less than 5%."),
    "map.legend": ("图例（点击收起/展开）", "Legend (tap to fold)"),
    "map.no_data": ("无数据", "no data"),
    "map.share_low": ("低于{hi}（需关注）", "below {hi} (needs attention)"),
    "map.share_mid": ("{lo}–{hi}", "{lo}–{hi}"),
    "map.share_good": ("{lo}–{hi}", "{lo}–{hi}"),
    "map.share_high": ("{lo}及以上", "{lo} or more"),
    "map.household_link": ("打开一户一档", "Open the household file"),
    "map.status_missing": ("另有 {n} 户无坐标，未画在图上", "{n} more have no coordinates and are not drawn"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.referrals": ("转诊接收", "Referrals received"),
    "nav.oversight": ("监督管理", "Oversight"),
    "nav.admin": ("系统管理", "Administration"),
    "audit.title": ("审计日志", "Audit log"),
    "audit.caption": ("每次写入都有记录（谁、何时、对象、前后内容、理由），哈希链防篡改；身份证号、手机号已脱敏。",
                      "Every write is recorded (who, when, what, before/after, why) in a hash "
                      "chain; ID and phone numbers are masked."),
    "audit.filter_actor": ("操作人", "User"),
    "audit.filter_action": ("操作（包含）", "Action contains"),
    "audit.limit": ("显示条数", "Rows"),
    "audit.verify": ("校验哈希链", "Verify the chain"),
    "audit.ok": ("哈希链完整：共校验 {n} 条记录，未发现篡改。", "Chain intact: {n} rows checked."),
    "audit.broken": ("哈希链异常：第 {id} 条记录起被篡改或删除（{why}）。", "Chain broken at row {id} ({why})."),
    "choose": ("请选择", "Choose an option"),
    "choose_many": ("请选择（可多选）", "Choose one or more"),
    "map.select_grid": ("查看网格详情（也可点击地图上的网格）", "Grid details (or click a grid on the map)"),
    "map.outside": ("网格外住户：{n} 户（坐标不在任何网格内，请更正位置或手工指定网格）",
                    "Households outside every grid: {n} (correct the location or assign a grid by hand)"),
    "panel.title": ("{name}（{code}）", "{name} ({code})"),
    "panel.households": ("住户", "Households"),
    "panel.full_time": ("专职网格员", "Full-time workers"),
    "panel.part_time": ("兼职网格员", "Part-time workers"),
    "panel.coverage": ("30天覆盖率", "30-day coverage"),
    "panel.high_risk_unvisited": ("高风险逾期未访", "High-risk overdue"),
    "panel.pending_cases": ("在办案件", "Pending cases"),
    "panel.mean_score": ("平均风险分", "Mean risk score"),
    # assign
    "assign.title": ("走访派单", "Visit assignment"),
    "assign.grid": ("网格", "Grid"),
    "assign.suggested": ("建议走访名单（高风险、久未走访优先）", "Suggested visits (high risk, long unvisited first)"),
    "assign.limit": ("显示条数", "Rows shown"),
    "assign.load": ("网格员当前负荷", "Worker load"),
    "assign.worker": ("派给网格员", "Assign to"),
    "assign.due": ("完成期限", "Due on"),
    "assign.submit": ("派单", "Assign"),
    "assign.done": ("已派出 {n} 户。", "{n} households assigned."),
    "assign.none_selected": ("请先在表格中勾选住户。", "Select households in the table first."),
    "assign.open": ("未完成的派单", "Open assignments"),
    "assign.reassign_to": ("改派给", "Reassign to"),
    "assign.reassign": ("改派", "Reassign"),
    "assign.cancel": ("撤销", "Cancel"),
    "assign.cancel_reason": ("撤销原因", "Reason for cancelling"),
    "assign.reassigned": ("已改派。", "Reassigned."),
    "assign.cancelled": ("已撤销。", "Cancelled."),
    "assign.pick": ("选择派单", "Pick an assignment"),
    "assign.export": ("导出网格员走访清单", "Export a worker's visit list"),
    "assign.export_xlsx": ("下载 Excel", "Download Excel"),
    "assign.export_html": ("下载打印版", "Download printable page"),
    "assign.print_title": ("{name} 走访清单（{today}）", "Visit list of {name} ({today})"),
    "col.select": ("选择", "Select"),
    "col.household_id": ("户编号", "Household"),
    "col.grid_code": ("网格", "Grid"),
    "col.level": ("风险等级", "Level"),
    "col.score": ("风险分", "Score"),
    "col.reasons": ("主要原因", "Reasons"),
    "col.days_since_visit": ("距上次走访(天)", "Days since visit"),
    "col.never_visited": ("从未走访", "never visited"),
    "col.address": ("地址", "Address"),
    "col.head_name": ("户主", "Head"),
    "col.phone": ("电话", "Phone"),
    "col.worker": ("网格员", "Worker"),
    "col.employment": ("类别", "Type"),
    "col.open": ("待访户数", "Open"),
    "col.capacity": ("月走访能力", "Visits/month capacity"),
    "col.visits_30d": ("近30天走访", "Visits, 30 days"),
    "col.load_ratio": ("负荷率", "Load"),
    "col.due_on": ("期限", "Due"),
    "col.status": ("状态", "Status"),
    "col.assignment_id": ("派单号", "Assignment"),
    "col.overdue": ("已超期", "Overdue"),
    # visit status (grid.visit_status): one label per status, shared by the map and the worklist
    "vstatus.overdue_assignment": ("派单已超期", "assignment overdue"),
    "vstatus.never": ("从未走访", "never visited"),
    "vstatus.over_90d": ("90天以上未走访", "not visited for 90+ days"),
    "vstatus.over_30d": ("30–90天未走访", "not visited for 30–90 days"),
    "vstatus.recent": ("近30天已走访", "visited in the last 30 days"),
    "layer.visit_status": ("住户走访状态", "Households by visit status"),
    "layer.routes": ("网格员今日路线", "Workers' routes today"),
    "map.route_of": ("{name}：{n} 户", "{name}: {n} stops"),
    # worklist (走访派单)
    "wl.title": ("待走访名单", "Households to visit"),
    "wl.caption": ("在表格左侧勾选住户（可多选），点列标题排序；与地图“住户走访状态”图层同一口径。"
                   "已有派单的住户不能重复派单。",
                   "Tick households in the table (several at once), sort by a column header; the same "
                   "counts as the map's visit-status layer. Households already assigned cannot be "
                   "assigned again."),
    "wl.filter_status": ("走访状态", "Visit status"),
    "wl.filter_levels": ("风险等级", "Risk level"),
    "wl.only_free": ("只看未派单住户", "Only households without an assignment"),
    "wl.count": ("共 {n} 户待走访，显示 {shown} 户", "{n} households need a visit; {shown} shown"),
    "wl.selected": ("已选 {n} 户：{ids}", "{n} selected: {ids}"),
    "wl.selected_busy": ("其中 {n} 户已有派单（{ids}），不会重复派单。",
                         "{n} of them already have an assignment ({ids}); they will not be assigned twice."),
    "wl.worker": ("派给网格员", "Assign to"),
    "wl.worker_option": ("{name}（{employment}）· 负荷 {load}/{capacity:g}",
                         "{name} ({employment}) · load {load}/{capacity:g}"),
    "wl.load_after": ("派单后负荷：{after} / 月走访能力 {capacity:g}（当前待访 {open} 户 + 近30天已访 {visits} 户次）",
                      "Load after assigning: {after} / capacity {capacity:g} ({open} open + {visits} visits in 30 days)"),
    "wl.over": ("超出该网格员的月走访能力 {over:g} 户次。", "Over this worker's monthly capacity by {over:g}."),
    "wl.confirm_over": ("确认超出能力派单", "Assign anyway (over capacity)"),
    "wl.need_confirm": ("超出能力，请先勾选“确认超出能力派单”。", "Over capacity: tick the confirmation first."),
    "wl.submit": ("派单（{n} 户）", "Assign ({n})"),
    "wl.done": ("已派给 {name} {n} 户，期限 {due}。", "{n} households assigned to {name}, due {due}."),
    "wl.meanwhile": ("{n} 户在您查看期间已被他人派单，未重复派单：{ids}",
                     "{n} households were assigned by someone else meanwhile and were left alone: {ids}"),
    "wl.split": ("按能力建议的分工", "A split by capacity"),
    "wl.room": ("本月剩余能力（户次）", "Room this month"),
    "wl.suggested_households": ("建议走访住户（按紧急程度）", "Suggested households (most urgent first)"),
    "wl.split_note": ("每户依次分给剩余能力最多的网格员（月走访能力：专职 {ft:g}、兼职 {pt:g} 户次，取自权重文件），近{days}天内走访过的住户不建议。",
                      "Each household in turn goes to the worker with most room (capacity a month: full-time {ft:g}, "
                      "part-time {pt:g}, from the weights file); "
                      "households visited in the last {days} days are not suggested."),
    "wl.split_left": ("另有 {n} 户超出所有网格员本月剩余能力。", " {n} more exceed every worker's room this month."),
    "wl.due_hint": ("默认下一个工作日", "Default: the next working day"),
    "wl.no_workers": ("该网格没有在岗网格员。", "No active workers in this grid."),
    "wl.coverage": ("走访覆盖率（30天 / 90天）", "Visit coverage (30 / 90 days)"),
    "wl.coverage_grid": ("网格 {name}：30天 {c30}（{v30}/{n} 户），90天 {c90}（{v90}/{n} 户）",
                         "Grid {name}: 30 days {c30} ({v30}/{n}), 90 days {c90} ({v90}/{n})"),
    "wl.coverage_worker_note": ("按网格员：各自走访过的不同住户数 ÷ 网格住户数（两人都访过的户各算一次）。",
                                "Per worker: distinct households they visited ÷ households of the grid "
                                "(a household visited by two workers counts for both)."),
    "col.visit_status": ("走访状态", "Visit status"),
    "col.assigned_worker": ("派单网格员", "Assigned to"),
    "col.household_link": ("住户档案", "Household file"),
    "col.visited_30d": ("30天走访户数", "Households visited, 30 days"),
    "col.visited_90d": ("90天走访户数", "Households visited, 90 days"),
    "col.coverage_30d": ("30天覆盖率", "30-day coverage"),
    "col.coverage_90d": ("90天覆盖率", "90-day coverage"),
    "col.households": ("网格住户", "Households"),
    # visit
    "visit.title": ("走访登记", "Record a visit"),
    "visit.pick": ("选择待访住户", "Household to record"),
    "visit.none": ("您名下暂无待访住户。", "No open assignments for you."),
    "visit.worker": ("网格员", "Grid worker"),
    "visit.date": ("走访日期", "Visit date"),
    "visit.income": ("人均月收入（元，不清楚可留空）", "Monthly income per person (yuan, blank if unknown)"),
    "visit.income_unknown": ("收入不清楚", "Income unknown"),
    "obs.housing_loss": ("住房或生活设施严重损失", "Housing or facilities badly damaged"),
    "obs.accidental_injury": ("有人突发意外伤害", "Someone had a sudden injury"),
    "obs.sudden_illness_or_disaster": ("有人突发重病或遭受自然灾害", "Sudden serious illness or disaster"),
    "obs.care_gap": ("老人、未成年人等无人照料", "Elderly or minors left without care"),
    "obs.lost_job": ("家庭成员失业", "A member lost their job"),
    "obs.new_illness": ("新发疾病", "New illness"),
    "visit.notes": ("情况说明", "Notes"),
    "visit.save": ("保存走访记录", "Save visit"),
    "visit.saved": ("已保存。该户最新风险分 {score:.0f}（{level}），所在网格30天覆盖率 {coverage:.1%}。",
                    "Saved. Risk score now {score:.0f} ({level}); grid 30-day coverage {coverage:.1%}."),
    "visit.household": ("住户 {id} · {address}", "Household {id} · {address}"),
    "visit.not_linked": ("您的账号尚未关联网格员，请联系管理员（jizhen user worker）。",
                         "Your account is not linked to a grid worker; ask an administrator."),
    # a household's personal data: masked, unmasked only on request (audited)
    "hh.card": ("住户 {id} 的信息（已脱敏）", "Household {id} (masked)"),
    "hh.field.head_name": ("户主", "Head"),
    "hh.field.head_id_number": ("身份证号", "ID number"),
    "hh.field.phone": ("电话", "Phone"),
    "hh.field.address": ("地址", "Address"),
    "hh.reveal": ("查看完整信息", "Show full details"),
    "hh.reveal_reason": ("查看理由（记入审计日志）", "Reason (recorded in the audit log)"),
    "hh.revealed": ("完整信息如下，本次查看已记入审计日志。请勿截屏或外传。",
                    "Full details below; this view is recorded in the audit log. Do not copy or share."),
    "map.household_pick": ("查看住户（风险分从高到低）", "Household (highest risk first)"),
    # leaders
    "leaders.title": ("领导看板：早发现、早介入、早救助", "Leaders' view: discover, intervene, aid early"),
    "leaders.months": ("统计月数", "Months"),
    "leaders.metric_month": ("月份：{month}", "Month: {month}"),
    "leaders.by_grid": ("分网格指标", "By grid"),
    "leaders.trend": ("趋势（按月）", "Trends (monthly)"),
    "leaders.export": ("导出 Excel", "Export to Excel"),
    "leaders.map_metric": ("地图指标", "Map metric"),
    "leaders.period": ("统计月份（默认上一个完整月）", "Month (default: the last complete month)"),
    "leaders.headline": ("{month} 全部网格", "{month}, all grids"),
    "leaders.count_of": ("{num}/{den}", "{num}/{den}"),
    "leaders.of_households": ("{num}/{den} 户", "{num}/{den} households"),
    "leaders.of_cases": ("{num}/{den} 件", "{num}/{den} cases"),
    "leaders.backdated": ("其中补录 {n} 件（事后录入，时间可能不准）", "{n} entered late (backdated)"),
    "leaders.unvisited_flags": ("另有 {n} 户被标记后尚未走访", "{n} flagged households not visited yet"),
    "leaders.grid_month": ("各网格逐月走势", "Each grid by month"),
    "leaders.grid_month_metric": ("指标", "Indicator"),
    "leaders.grid_month_note": ("颜色：占比按固定分档（低于30% / 30–60% / 60–80% / 80%及以上，颜色越深越好）；其他指标数值越大颜色越深。",
                                "Colours: shares in fixed classes (below 30% / 30–60% / 60–80% / 80% or more; darker is better); other indicators darker when larger."),
    "leaders.shares_chart": ("占比（%）", "Shares (%)"),
    "leaders.counts_chart": ("户数 / 件数", "Counts"),
    "leaders.early": ("早发现评估：风险名单与“按最久未走访”相比", "Early detection: the risk list against 'longest unvisited first'"),
    "leaders.early_show": ("显示早发现评估与名单遗漏分析（首次计算需十几秒）",
                           "Show the early-detection evaluation and where the list misses people (first time takes a few seconds)"),
    "leaders.early_text": ("回看过去 {snapshots} 个月末（{first} 至 {last}）：每个月末风险分最高的 {top:.0%} 住户（约 {n} 户）中，"
                           "事先包含了此后 {horizon} 天内发生困难事件住户的 {recall}；若只按“最久未走访”排名选同样多的住户，只包含 {recall_b}。"
                           "被名单提前发现的事件，中位提前 {lead} 天（按“最久未走访”为 {lead_b} 天）。",
                           "Looking back over {snapshots} month-ends ({first} to {last}): the top {top:.0%} by risk score "
                           "(about {n} households) held {recall} of the households with a hardship event in the next "
                           "{horizon} days; the same number chosen by 'longest unvisited' held {recall_b}. Median lead "
                           "time {lead} days ({lead_b} by recency)."),
    "leaders.misses": ("名单漏掉了谁", "Where the list misses people"),
    "leaders.misses_by_grid": ("按网格", "By grid"),
    "leaders.misses_by_kind": ("按住户类型", "By kind of household"),
    "leaders.misses_xlsx": ("下载名单遗漏分析（Excel）", "Download the breakdown (Excel)"),
    "leaders.card": ("下载评分模型说明（模型卡）", "Download the model card"),
    "leaders.card_note": ("评分怎样算、用来做什么、不能用来做什么，以及在本库数据上的回看结果。",
                          "How the score is made, what it is for and not for, and its replay on this database."),
    "leaders.appeals": ("异议（申诉）按网格、月份", "Appeals by grid and month"),
    "leaders.no_appeals": ("所选范围内暂无异议。", "No appeals in scope."),
    "appeal.received": ("收到", "received"),
    "appeal.open": ("处理中", "open"),
    "appeal.changed": ("采纳并更正", "upheld, corrected"),
    "appeal.partly": ("部分采纳", "partly upheld"),
    "appeal.kept": ("维持", "kept"),
    "lm.small_aid_backdated": ("其中补录件数", "of which entered late"),
    "lm.small_aid_cases": ("小额救助件数", "small-aid cases"),
    "lm.small_aid_on_time": ("按期审批发放件数", "paid on time"),
    "lm.paperwork_cases": ("先救助后补档件数", "aid-first files"),
    "lm.paperwork_on_time": ("按期补档件数", "files on time"),
    "lm.visited_30d": ("30天内走访户数", "households visited in 30 days"),
    "lm.flags_without_visit": ("标记后未走访户数", "flagged, not visited yet"),
    "lm.households": ("住户数", "households"),
    "lm.flagged": ("被标记户数", "households flagged"),
    "lm.median_days_flag_to_visit": ("标记到首次走访中位天数", "median days flag → first visit"),
    "lm.median_days_intake_to_aid": ("受理到救助中位天数", "median days intake → aid"),
    "lm.small_aid_3wd_share": ("小额救助3个工作日内审批发放占比", "small aid approved and paid within 3 working days"),
    "lm.paperwork_15wd_share": ("先救助后补档15个工作日内完成占比", "aid-first paperwork within 15 working days"),
    "lm.coverage_30d": ("30天走访覆盖率", "30-day visit coverage"),
    "lm.overdue_visits": ("超期未完成走访", "overdue visits"),
    "lm.month": ("月份", "month"),
    "lm.grid": ("网格", "grid"),
    "lm.grid_code": ("网格编码", "grid code"),
}


def error_text(exc: BaseException, lang: str = "zh") -> str:
    """A refusal from the domain in `lang`: an error that carries both languages (cases.errors
    DomainError, and grid's errors built the same way: attributes ``zh`` and ``en``) gives the
    one asked for; any other error its own text (Chinese)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
    if lang == "en" and en:
        return str(en)
    if zh:
        return str(zh)
    return str(exc)


def risk_reasons(reasons, lang: str = "zh") -> list[str]:
    """A household's stored risk reasons (the Chinese sentences the scorer wrote from the weights
    file) in `lang`: as stored in Chinese, the weights file's English (`reason_en`) in English
    (risk.config.RiskConfig.reason_text). Anything that is not a list of reasons gives []."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    if not isinstance(reasons, (list, tuple)) and not hasattr(reasons, "tolist"):
        return []
    reasons = [str(r) for r in list(reasons)]
    if lang == "zh":
        return reasons
    from grid.metrics import default_config  # the weights file, read once per process

    return default_config().reasons_text(reasons, lang)


def reasons_line(reasons, lang: str = "zh", limit: int | None = None) -> str:
    """The reasons (see risk_reasons; the first `limit` of them) as one line: "；"-joined in
    Chinese, "; " in English."""
    shown = risk_reasons(reasons, lang)[:limit]
    return ("；" if lang == "zh" else "; ").join(shown)


def t(key: str, lang: str = "zh", **fmt) -> str:
    """The string for `key` in `lang` ('zh' or 'en'), formatted with `fmt`."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    pair = TEXTS.get(key)
    if pair is None:
        raise KeyError(f"no UI text {key!r}")
    text = pair[LANGS.index(lang)]
    return text.format(**fmt) if fmt else text
