"""UI strings of 监督管理 (oversight), 系统管理 (administration) and the audit table, zh-CN first,
English second; and the column headers of their tables (data name -> label). Pure (no streamlit)."""
from __future__ import annotations

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ oversight page
    "ov.title": ("监督管理", "Oversight"),
    "ov.audience": ("本页供镇街领导、县民政局和审计使用。", "For township leaders, county staff and auditors."),
    "ov.tab.spot": ("双随机抽查", "Random spot checks"),
    "ov.tab.blacklist": ("失信惩戒名单", "Credit blacklist"),
    "ov.tab.funds": ("资金", "Funds"),
    "ov.tab.disclosure": ("月度公示", "Monthly disclosure"),
    "ov.month": ("月份", "Month"),
    "ov.year": ("年度", "Year"),
    "ov.readonly": ("当前身份只读。", "Read-only role."),
    "ov.county_only": ("此项由县民政局办理。", "County staff do this step."),
    "ov.done": ("已保存：{what}", "Saved: {what}"),
    "ov.err": ("不能办理：{msg}", "Refused: {msg}"),
    "ov.denied": ("无权执行此操作：{msg}", "Not allowed: {msg}"),
    "ov.stale": ("记录刚被他人修改，请刷新后重试：{msg}", "Someone else just changed it; reload and retry: {msg}"),
    "ov.seed": ("随机种子（公开，可复核）", "Random seed (published, reproducible)"),
    "ov.draw": ("抽取（每个网格不少于30%的救助对象）", "Draw (at least 30% of recipients per grid)"),
    "ov.drawn": ("已抽取 {n} 户", "{n} drawn"),
    "ov.none_drawn": ("本月尚未抽取，或本月没有救助对象。", "Nothing drawn for this month (or no recipients)."),
    "ov.record": ("登记抽查结果", "Record a result"),
    "ov.pick_check": ("抽查对象", "Spot check"),
    "ov.result": ("结果", "Result"),
    "ov.note": ("情况说明（发现问题时必填）", "Note (required for a problem)"),
    "ov.checked_on": ("抽查日期", "Checked on"),
    "ov.save": ("保存", "Save"),
    "ov.publish": ("公开抽查结果 XLSX（已脱敏）", "Publish results XLSX (masked)"),
    "ov.bl.propose": ("提请列入失信名单（须另一名工作人员复核后生效）",
                      "Propose for the blacklist (in force after a second officer's review)"),
    "ov.bl.id": ("身份证号", "ID number"),
    "ov.bl.name": ("姓名", "Name"),
    "ov.bl.reason": ("理由", "Reason"),
    "ov.bl.evidence": ("证据（文书编号、材料）", "Evidence (document numbers)"),
    "ov.bl.submit": ("提请", "Propose"),
    "ov.bl.review": ("复核", "Review"),
    "ov.bl.pick": ("待复核记录", "Pending entry"),
    "ov.bl.decision": ("复核意见", "Decision"),
    "ov.bl.approve": ("同意列入", "Approve"),
    "ov.bl.reject": ("不同意", "Reject"),
    "ov.bl.note": ("复核说明（不同意时必填）", "Note (required to reject)"),
    "ov.bl.lift": ("移出失信名单", "Remove from the blacklist"),
    "ov.bl.pick_lift": ("在名单中的记录", "Entry in force"),
    "ov.bl.lift_reason": ("移出理由", "Reason"),
    "ov.bl.none_pending": ("没有待复核的记录。", "No entry awaits review."),
    "ov.bl.none_active": ("名单中没有生效的记录。", "No entry in force."),
    "ov.bl.empty": ("失信名单为空。", "The blacklist is empty."),
    "ov.funds.line": ("县级储备 {county:,.2f} 元；村（居）备用金 {village:,.2f} 元；捐赠 {don:,.2f} 元；"
                      "镇街支出 {spent:,.2f} 元；年终结算：县级承担 {sc:,.2f} 元、镇街承担 {st:,.2f} 元（{settled}）",
                      "County reserve {county:,.2f}; village reserves {village:,.2f}; donations {don:,.2f}; "
                      "town spending {spent:,.2f}; settlement: county {sc:,.2f}, town {st:,.2f} ({settled})"),
    "ov.settled": ("已于{on}结算", "settled on {on}"),
    "ov.unsettled": ("未结算", "not settled"),
    "ov.allocate": ("下达年度资金（县级1000万元储备金、每个村居1万元备用金；每年一次）",
                    "Allocate the year's funds (county reserve, village reserves; once a year)"),
    "ov.allocate_btn": ("下达{year}年度资金", "Allocate {year}"),
    "ov.donation": ("登记捐赠", "Record a donation"),
    "ov.amount": ("金额（元）", "Amount (yuan)"),
    "ov.day": ("日期", "Date"),
    "ov.don_note": ("捐赠方及说明", "Donor and note"),
    "ov.settle": ("年终结算（县、镇街各承担50%）", "Year-end settlement (county 50% / town 50%)"),
    "ov.settle_preview": ("将按镇街支出 {spent:,.2f} 元结算：县级承担 {sc:,.2f} 元，镇街承担 {st:,.2f} 元。"
                          "结算后不能撤销。",
                          "Settles town spending of {spent:,.2f}: county {sc:,.2f}, town {st:,.2f}. "
                          "This cannot be undone."),
    "ov.settle_confirm": ("我已核对以上金额，确认结算", "I have checked the amounts; settle"),
    "ov.settle_btn": ("确认年终结算", "Settle the year"),
    "ov.settle_need_confirm": ("请先勾选确认。", "Tick the confirmation first."),
    "ov.settle_done": ("{year}年度已结算：县级承担 {sc:,.2f} 元，镇街承担 {st:,.2f} 元。",
                       "{year} settled: county {sc:,.2f}, town {st:,.2f}."),
    "ov.stipend": ("救助协理员补贴（每村居每月 {amount} 元）", "Assistant stipend ({amount} yuan per community a month)"),
    "ov.stipend_grid": ("村（居）/网格", "Community / grid"),
    "ov.stipend_name": ("协理员姓名", "Assistant's name"),
    "ov.stipend_paid": ("发放日期", "Paid on"),
    "ov.stipend_btn": ("登记补贴", "Record the stipend"),
    "ov.disclosure": ("月度公示（姓名、身份证号已脱敏）", "Monthly disclosure (masked)"),
    "ov.download": ("下载公示表 XLSX（下载即登记为已公示）", "Download XLSX (recorded as published)"),
    "ov.download_ro": ("下载公示表 XLSX", "Download XLSX"),
    "ov.history": ("已公示月份", "Published months"),
    # ------------------------------------------------------------------ admin page
    "ad.title": ("系统管理", "Administration"),
    "ad.tab.workers": ("网格员", "Grid workers"),
    "ad.tab.roster": ("导入名册", "Import a roster"),
    "ad.tab.grids": ("网格边界", "Grid boundaries"),
    "ad.tab.outside": ("网格外住户", "Households outside every grid"),
    "ad.add": ("添加网格员", "Add a worker"),
    "ad.name": ("姓名", "Name"),
    "ad.phone": ("手机号", "Phone"),
    "ad.employment": ("类型", "Employment"),
    "ad.grid": ("网格", "Grid"),
    "ad.add_btn": ("添加", "Add"),
    "ad.pick_worker": ("网格员", "Worker"),
    "ad.move": ("调整网格", "Move to another grid"),
    "ad.move_btn": ("调整", "Move"),
    "ad.deactivate": ("停用", "Deactivate"),
    "ad.deactivate_btn": ("停用该网格员", "Deactivate"),
    "ad.reason": ("原因", "Reason"),
    "ad.show_inactive": ("显示已停用", "Show inactive"),
    "ad.roster_help": ("Excel(.xlsx) 或 CSV，表头：姓名、手机号、类型（专职/兼职）、网格编码。"
                       "整个文件通过校验后才一次性写入；有问题时逐行列出，不写入任何数据。",
                       "Excel (.xlsx) or CSV with the headers 姓名, 手机号, 类型 (专职/兼职), 网格编码. "
                       "Written only if every row is valid; otherwise every problem is listed by row."),
    "ad.roster_file": ("名册文件", "Roster file"),
    "ad.roster_template": ("下载名册模板", "Download the template"),
    "ad.import_btn": ("导入", "Import"),
    "ad.imported": ("已导入 {n} 名网格员。", "{n} workers imported."),
    "ad.invalid": ("文件有 {n} 个问题，未写入任何数据：", "{n} problems; nothing was written:"),
    "ad.grid_help": ("上传 GeoJSON、GeoPackage(.gpkg) 或 Shapefile(.zip，含 .shp/.shx/.dbf/.prj)。"
                     "先预览边界和对住户的影响，确认后才写入。",
                     "Upload GeoJSON, GeoPackage (.gpkg) or a zipped Shapefile. Preview the boundaries "
                     "and the effect on households before confirming."),
    "ad.grid_file": ("边界文件", "Boundary file"),
    "ad.preview": ("预览：新增网格 {created} 个，更新 {updated} 个；{moved} 户将改属其他网格，"
                   "{outside} 户将落在所有网格之外（导入后网格外住户共 {total} 户）；"
                   "{by_hand} 户保留手工指定的网格。",
                   "Preview: {created} new grids, {updated} updated; {moved} households would move, "
                   "{outside} would fall outside every grid ({total} outside in all after the import); "
                   "{by_hand} keep the grid assigned by hand."),
    "ad.moves": ("将改属其他网格的住户（部分）", "Households that would move (sample)"),
    "ad.strays": ("将落在网格外的住户（部分）", "Households that would fall outside (sample)"),
    "ad.confirm_import": ("确认导入边界", "Confirm the import"),
    "ad.grid_done": ("已导入：新增 {created} 个、更新 {updated} 个网格；重新归属 {moved} 户，网格外 {outside} 户。",
                     "Imported: {created} new, {updated} updated; {moved} households moved, {outside} outside."),
    "ad.outside_none": ("没有网格外住户。", "No household lies outside every grid."),
    "ad.pick_household": ("住户", "Household"),
    "ad.fix_location": ("更正位置（按新坐标归入网格）", "Correct the location"),
    "ad.lon": ("经度", "Longitude"),
    "ad.lat": ("纬度", "Latitude"),
    "ad.fix_btn": ("保存位置", "Save the location"),
    "ad.assign": ("手工指定网格（须写明理由）", "Assign a grid by hand (reason required)"),
    "ad.assign_btn": ("指定", "Assign"),
    "ad.county_only": ("系统管理由县民政局办理。", "County staff administer the system."),
    # accounts (jizhen.users.admin)
    "ad.tab.accounts": ("账号", "Accounts"),
    "ad.u.help": ("登录账号及其角色。密码只以哈希保存，任何人（包括管理员）都看不到原密码。",
                  "Login accounts and their roles. Passwords are kept only as hashes; nobody can read them."),
    "ad.u.none": ("还没有账号。", "No account yet."),
    "ad.u.all_grids": ("全部网格", "all grids"),
    "ad.u.yes": ("是", "yes"),
    "ad.u.no": ("否", "no"),
    "ad.u.add": ("新增账号", "Add an account"),
    "ad.u.username": ("用户名（字母、数字、下划线、点或连字符）", "Username (letters, digits, _ . -)"),
    "ad.u.display_name": ("显示名（如姓名、单位）", "Display name (person or office)"),
    "ad.u.role": ("角色", "Role"),
    "ad.u.grids": ("所属网格（网格员、网格长必填）", "Grids (required for grid workers and supervisors)"),
    "ad.u.scheme": ("承接的转诊事项", "Referral scheme received"),
    "ad.u.pick_scheme": ("请选择", "Choose one"),
    "ad.u.worker": ("关联网格员（走访登记记在其名下）", "Linked grid worker (visits are recorded as this worker)"),
    "ad.u.no_worker": ("不关联", "not linked"),
    "ad.u.pwmode": ("初始密码", "Initial password"),
    "ad.u.pw_generated": ("系统生成随机密码（推荐）", "Generate a random password (recommended)"),
    "ad.u.pw_typed": ("自行设定", "Type one"),
    "ad.u.pw1": ("密码（至少 8 位，含字母和数字，不能是常见密码）",
                 "Password (8+ characters, letters and digits, not a common password)"),
    "ad.u.pw2": ("再次输入密码", "Repeat the password"),
    "ad.u.pw_mismatch": ("两次输入的密码不一致", "the two passwords differ"),
    "ad.u.add_btn": ("新增账号", "Add the account"),
    "ad.u.added": ("已新增账号 {user}（{role}）。", "Account {user} added ({role})."),
    "ad.u.pw_once": ("账号 {user} 的密码如下，只显示这一次：请当面或通过安全渠道交给本人，"
                     "并提醒其妥善保管。离开本页后无法再次查看（忘记时只能重置）。",
                     "The password of {user} is shown below this once: hand it to the person directly "
                     "or through a safe channel. It cannot be shown again (only reset)."),
    "ad.u.manage": ("管理已有账号", "Manage an account"),
    "ad.u.pick": ("账号", "Account"),
    "ad.u.own": ("这是您自己的账号：不能停用，也不能取消其县民政局角色；重置密码请由另一名县民政局工作人员办理。",
                 "This is your own account: you cannot disable it or take its county role away; another "
                 "county officer resets its password."),
    "ad.u.reset": ("重置密码", "Reset the password"),
    "ad.u.reset_help": ("生成新的随机密码并只显示一次；该账号所有已登录的浏览器随即退出，锁定同时解除。",
                        "A new random password, shown once; every open login of the account ends and "
                        "its locks are lifted."),
    "ad.u.reset_btn": ("重置密码", "Reset the password"),
    "ad.u.reset_done": ("已重置账号 {user} 的密码。", "Password of {user} reset."),
    "ad.u.state": ("停用或启用", "Disable or enable"),
    "ad.u.reason": ("原因", "Reason"),
    "ad.u.disable_btn": ("停用账号", "Disable the account"),
    "ad.u.enable_btn": ("启用账号", "Enable the account"),
    "ad.u.disabled_done": ("已停用账号 {user}，其登录已全部退出。", "Account {user} disabled; its logins ended."),
    "ad.u.enabled_done": ("已启用账号 {user}。", "Account {user} enabled."),
    "ad.u.lock": ("登录锁定", "Login lock"),
    "ad.u.locked": ("锁定至 {until}（北京时间）。", "Locked until {until} (Asia/Shanghai)."),
    "ad.u.not_locked": ("当前未锁定。", "Not locked."),
    "ad.u.unlock_btn": ("解除锁定", "Unlock"),
    "ad.u.unlocked": ("已解除账号 {user} 的登录锁定。", "Account {user} unlocked."),
    "ad.u.role_edit": ("变更角色、网格或转诊事项", "Change the role, grids or scheme"),
    "ad.u.role_btn": ("保存角色", "Save the role"),
    "ad.u.role_done": ("已变更账号 {user}：{role}。", "Account {user} is now {role}."),
    "ad.u.link": ("关联网格员", "Linked grid worker"),
    "ad.u.link_btn": ("保存关联", "Save the link"),
    "ad.u.link_done": ("已更新账号 {user} 关联的网格员。", "Linked worker of {user} updated."),
}

# Column headers of the tables on these pages and the audit log: data name -> (zh, en).
COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("编号", "ID"), "month": ("月份", "Month"), "seed": ("随机种子", "Seed"),
    "case_no": ("案件编号", "Case no."), "person_name": ("姓名", "Name"),
    "person_id_number": ("身份证号", "ID number"), "grid_code": ("网格编码", "Grid code"),
    "grid_name": ("网格名称", "Grid"), "inspector": ("检查人", "Inspector"), "result": ("结果", "Result"),
    "result_note": ("情况说明", "Note"), "drawn_on": ("抽取日期", "Drawn on"),
    "checked_on": ("抽查日期", "Checked on"), "reason": ("理由", "Reason"), "evidence": ("证据", "Evidence"),
    "listed_on": ("提请日期", "Proposed on"), "listed_by": ("提请人", "Proposed by"),
    "state": ("状态", "State"), "reviewed_by": ("复核人", "Reviewed by"),
    "reviewed_on": ("复核日期", "Reviewed on"), "review_note": ("复核说明", "Review note"),
    "lifted_on": ("移出日期", "Lifted on"), "lift_reason": ("移出理由", "Lift reason"),
    "published_on": ("公示日期", "Published on"), "rows": ("人次", "Rows"),
    "total_yuan": ("金额合计（元）", "Total (yuan)"), "published_by": ("公示人", "Published by"),
    "assistant_name": ("协理员", "Assistant"), "months_paid": ("已发月数", "Months paid"),
    "months_missing": ("未发月份", "Months not paid"), "name": ("姓名", "Name"), "phone": ("手机号", "Phone"),
    "employment": ("类型", "Employment"), "active": ("在岗", "Active"),
    "head_name": ("户主", "Head"), "head_id_number": ("户主身份证号", "Head's ID"),
    "address": ("住址", "Address"), "lon": ("经度", "Longitude"), "lat": ("纬度", "Latitude"),
    "from_code": ("原网格", "From grid"), "to_code": ("新网格", "To grid"), "households": ("户数", "Households"),
    "code": ("网格编码", "Grid code"),
    # accounts
    "username": ("用户名", "Username"), "display_name": ("显示名", "Display name"),
    "grids": ("网格", "Grids"), "scheme": ("转诊事项", "Referral scheme"),
    "worker": ("关联网格员", "Linked worker"), "enabled": ("启用", "Enabled"),
    "locked_until": ("锁定至（北京时间）", "Locked until (Asia/Shanghai)"),
    "last_login_at": ("最近登录（北京时间）", "Last login (Asia/Shanghai)"),
    # audit log
    "at": ("时间（北京时间）", "Time (Asia/Shanghai)"), "actor": ("操作人", "User"), "role": ("角色", "Role"),
    "action": ("操作", "Action"), "entity": ("对象", "Object"), "entity_id": ("对象编号", "Object ID"),
    "before_json": ("修改前", "Before"), "after_json": ("修改后", "After"),
}


# The public disclosure's own headers (cases.oversight.DISCLOSURE_HEADERS, the printed file stays
# Chinese) as the English page shows them.
DISCLOSURE_HEADERS_EN: dict[str, str] = {
    "序号": "No.", "网格": "Grid", "救助对象": "Recipient", "身份证号": "ID number",
    "救助政策": "Policy", "救助类别": "Category", "救助事由": "Reason",
    "救助标准/金额（元）": "Amount (yuan)", "审核意见": "Review opinion", "审批决定": "Decision",
    "发放日期": "Paid on", "监督电话": "Complaints phone",
}


def disclosure_headers(columns, lang: str = "zh") -> dict[str, str]:
    """The disclosure's headers for the page: as printed in Chinese, translated in English."""
    return {c: (c if lang == "zh" else DISCLOSURE_HEADERS_EN[c]) for c in columns}


def ta(key: str, lang: str = "zh", **fmt) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    text = TEXTS[key][LANGS.index(lang)]
    return text.format(**fmt) if fmt else text


def headers(columns, lang: str = "zh") -> dict[str, str]:
    """Labels for the data-named ``columns`` in ``lang`` (a column without a label: KeyError, so a
    raw field name never reaches the table)."""
    return {c: COLUMNS[c][LANGS.index(lang)] for c in columns}


def labelled(frame, columns, lang: str = "zh"):
    """``frame[columns]`` renamed to the labels of ``lang``."""
    return frame[list(columns)].rename(columns=headers(columns, lang))
