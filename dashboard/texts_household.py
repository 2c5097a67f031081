"""UI strings of the household file (一户一档, dashboard/views/household.py), zh-CN first.

Pure (no streamlit). Labels of facts, sources, appeal subjects and outcomes come from grid.facts
(their one table); risk levels from dashboard/texts.py (level.*); the file's column headers from
grid.household_file."""
from __future__ import annotations

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("一户一档", "Household file"),
    "link": ("打开住户 {id} 的档案（一户一档）", "Open the file of household {id}"),
    "intro": ("查找本人负责网格内的住户（户主姓名、身份证号后4位、地址或住户编号），或从网格地图、今日任务、"
              "走访派单、救助案件打开住户档案。",
              "Find a household of your grids (head's name, last 4 ID digits, address or household "
              "number), or open its file from the map, today's visits, assignments or cases."),
    "search": ("查找住户", "Find a household"),
    "search.placeholder": ("例如：王建国、3867、演示路12号", "e.g. a name, 3867, an address"),
    "search.none": ("在您负责的网格内没有找到符合“{q}”的住户。", "No household of your grids matches “{q}”."),
    "search.found": ("找到 {n} 户（最多显示 {limit} 户）", "{n} households found (at most {limit} shown)"),
    "search.pick": ("选择住户", "Choose a household"),
    "search.open": ("打开档案", "Open the file"),
    "head": ("住户 {id} · {grid}", "Household {id} · {grid}"),
    "score": ("当前风险：{level}，{score:.0f} 分", "Current risk: {level}, score {score:.0f}"),
    "score.none": ("尚未评分", "Not scored yet"),
    "reasons": ("原因：{reasons}", "Reasons: {reasons}"),
    "no_reasons": ("无风险因素", "no risk factors"),
    # tabs
    "tab.timeline": ("时间线", "Timeline"),
    "tab.facts": ("登记信息", "Register facts"),
    "tab.visits": ("走访记录", "Visits"),
    "tab.scores": ("风险评分", "Risk scores"),
    "tab.assignments": ("派单", "Assignments"),
    "tab.cases": ("救助案件", "Cases"),
    "tab.appeals": ("异议", "Appeals"),
    "empty": ("暂无记录", "Nothing recorded"),
    "visit.head": ("{day} · 网格员 {worker}", "{day} · worker {worker}"),
    "visit.found": ("发现：{found}", "Observed: {found}"),
    "visit.income": ("人均月收入：{income} 元", "Income per head: {income} yuan a month"),
    "visit.income_unknown": ("人均月收入：未填写", "Income per head: not given"),
    "visit.notes": ("情况说明：{notes}", "Notes: {notes}"),
    "facts.now": ("现行登记信息（版本 {version}）", "Register facts in force (version {version})"),
    "facts.history": ("登记历史（更正后原值仍保留）", "History (a corrected value stays)"),
    "facts.corrected": ("已被更正", "Corrected"),
    # correcting the record
    "fix.title": ("更正登记信息", "Correct a register fact"),
    "fix.help": ("更正须写明理由；原值保留在登记历史中，更正记入审计日志，并立即重新评分。",
                 "A correction needs a reason; the old value stays in the history, the correction "
                 "is audited and the household is re-scored at once."),
    "fix.field": ("要更正的事项", "Fact to correct"),
    "fix.value": ("更正后的值（是/否，或数字）", "Correct value (yes/no, or a number)"),
    "fix.reason": ("更正理由", "Reason"),
    "fix.submit": ("保存更正", "Save the correction"),
    "fix.pick": ("请选择要更正的事项。", "Choose the fact to correct."),
    "fix.saved": ("已更正住户 {id} 的“{label}”：{old} → {new}。已重新评分：{level}，{score:.0f} 分。",
                  "Corrected “{label}” of household {id}: {old} → {new}. Re-scored: {level}, {score:.0f}."),
    "fix.saved_unscored": ("已更正住户 {id} 的“{label}”：{old} → {new}。",
                           "Corrected “{label}” of household {id}: {old} → {new}."),
    "fix.stale": ("住户 {id} 的信息在您打开此表后已被他人修改，本次更正未保存。请查看最新信息后重新填写。",
                  "Household {id} was changed by someone else after this form was shown; the "
                  "correction was not saved. Check the current facts and try again."),
    "fix.refused": ("住户 {id} 的更正未保存：{msg}", "The correction of household {id} was not saved: {msg}"),
    # appeals
    "appeal.title": ("登记居民异议", "Record a resident's objection"),
    "appeal.subject": ("异议对象", "Objection to"),
    "appeal.reference": ("关联编号（如案件编号，可不填）", "Reference (e.g. case number, optional)"),
    "appeal.objection": ("异议内容", "Objection"),
    "appeal.received": ("受理日期", "Received on"),
    "appeal.submit": ("保存异议", "Save the objection"),
    "appeal.saved": ("已登记住户 {id} 的异议（编号 {appeal}）。", "Recorded objection {appeal} of household {id}."),
    "appeal.refused": ("住户 {id} 的异议未保存：{msg}", "The objection of household {id} was not saved: {msg}"),
    "decide.title": ("处理异议", "Decide an objection"),
    "decide.pick": ("待处理的异议", "Open objection"),
    "decide.outcome": ("处理结果", "Outcome"),
    "decide.note": ("处理意见", "Decision note"),
    "decide.submit": ("保存处理结果", "Save the decision"),
    "decide.choose": ("请选择异议和处理结果。", "Choose the objection and the outcome."),
    "decide.saved": ("异议 {appeal} 已处理：{outcome}。", "Objection {appeal} decided: {outcome}."),
    "decide.stale": ("异议 {appeal} 在您打开此表后已被他人处理或修改，本次处理未保存。",
                     "Objection {appeal} was changed by someone else after this form was shown; "
                     "nothing was saved."),
    "decide.refused": ("异议 {appeal} 的处理未保存：{msg}", "Objection {appeal} was not decided: {msg}"),
    "choose": ("请选择", "Choose"),
    "fix.option": ("{label}（现为 {value}）", "{label} (now {value})"),
    "value.yes": ("是", "yes"),
    "value.no": ("否", "no"),
    "value.none": ("（无记录）", "(none recorded)"),
    "visit.nothing": ("未见异常", "nothing unusual"),
    "search.row": ("{id} · {head} · {address}", "{id} · {head} · {address}"),
}

# English of the vocabulary the file shows, keyed by the codes of its one Chinese table
# (grid.facts FACT_FIELDS, APPEAL_SUBJECTS, APPEAL_OUTCOMES; cases.queries VISIT_FLAG_LABELS;
# grid.household_file TIMELINE_KINDS, ASSIGNMENT_STATUS_LABELS). tests/unit/test_english_vocabulary.py
# checks every code of those tables has one here.
_EN = {
    "fact": {"members": "household members", "elderly_alone": "elderly person living alone",
             "minors": "minors", "severe_disability": "severely disabled member",
             "serious_illness": "seriously ill member", "dibao": "receives dibao",
             "tekun": "tekun support", "income_per_capita_yuan": "income per head (yuan a month)"},
    "subject": {"score": "risk score", "decision": "assistance decision"},
    "source": {"register": "household register / roster", "import": "roster import", "demo": "demo data",
               "correction": "correction", "household_file": "household file"},
    "outcome": {"changed": "upheld, corrected", "partly": "partly upheld",
                "kept": "score / decision kept"},
    "flag": {"housing_loss": "housing damaged", "accidental_injury": "accidental injury",
             "sudden_illness_or_disaster": "sudden serious illness or disaster",
             "care_gap": "no one to care", "lost_job": "lost a job", "new_illness": "new illness"},
    "kind": {"visit": "visit", "risk_flag": "risk signal", "case": "case", "decision": "decision",
             "payment": "payment", "referral": "referral", "spot_check": "spot check",
             "fact": "register fact", "correction": "correction", "score": "risk score",
             "assignment": "assignment", "appeal": "appeal"},
    "assignment": {"open": "to visit", "done": "visited", "cancelled": "cancelled"},
    "appeal_status": {"open": "pending"},
}


def vocab(table: str, code: str, zh: str, lang: str = "zh") -> str:
    """A code of one of the file's vocabularies (`table`: fact, subject, outcome, flag, kind) in
    `lang`: `zh` (its label in the Chinese table) in Chinese, the English above otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return zh if lang == "zh" else _EN[table].get(code, zh)


def timeline_word(table: str, code, zh: str, lang: str = "zh") -> str:
    """A vocabulary word inside a timeline row (grid.household_file.Word: table, code, Chinese
    label) in `lang`: the Chinese label in Chinese; otherwise the English of its one table (the
    file's vocabularies above, risk levels and reasons of dashboard/texts.py, the case
    vocabulary of dashboard/texts_cases.py). An unknown word stays as it is."""
    if lang == "zh":
        return zh
    from dashboard import texts, texts_cases

    words = {
        "fact": lambda c: vocab("fact", c, zh, lang),
        "fact_value": lambda c: fact_value(c[0], c[1], lang),
        "level": lambda c: texts.t(f"level.{c}", lang),
        "reasons": lambda c: texts.reasons_line(list(c), lang),
        "assignment_status": lambda c: vocab("assignment", c, zh, lang),
        "subject": lambda c: vocab("subject", c, zh, lang),
        "outcome": lambda c: vocab("outcome", c, zh, lang),
        "flags": lambda c: texts.t("fmt.list_sep", lang).join(vocab("flag", f, f, lang) for f in c),
        "case_status": lambda c: texts_cases.status_label(c, lang),
        "category": lambda c: texts_cases.category_label(c, lang),
        "channel": lambda c: texts_cases.channel_label(c, lang),
        "scheme": lambda c: texts_cases.scheme_name(c, lang),
        "department": lambda c: texts_cases.department_label(c, lang),
        "referral_status": lambda c: texts_cases.referral_status_label(c, lang),
        "spot_result": lambda c: texts_cases.spot_result_label(c, lang),
    }
    render = words.get(table)
    return zh if render is None or code is None else render(code)


def timeline_cells(frame, lang: str = "zh"):
    """The timeline frame (grid.household_file.build_timeline) with its kind, title and detail in
    `lang`: as built in Chinese; from each row's codes and values otherwise."""
    from grid.household_file import TIMELINE_KINDS, timeline_text

    if lang == "zh":
        return frame
    def text(src, shown):
        return shown if src is None else timeline_text(src, lang, timeline_word)

    return frame.assign(
        类别=[vocab("kind", k, TIMELINE_KINDS.get(k, k), lang) for k in frame["kind"]],
        事项=[text(s, x) for s, x in zip(frame["title_src"], frame["事项"])],
        说明=[text(s, x) for s, x in zip(frame["detail_src"], frame["说明"])])


def fact_value(field: str, value, lang: str = "zh") -> str:
    """A register value as text in `lang`: grid.facts.value_label in Chinese, the same rule with
    English words otherwise."""
    from grid.facts import FACT_FIELDS, value_label

    if lang == "zh":
        return value_label(field, value)
    if value is None:
        return th("value.none", lang)
    if FACT_FIELDS[field][0] is bool:
        return th("value.yes" if value else "value.no", lang)
    return value_label(field, value)


def th(key: str, lang: str = "zh", **fmt) -> str:
    """The household file's string for `key` in `lang` ('zh' or 'en'), formatted with `fmt`."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    pair = TEXTS.get(key)
    if pair is None:
        raise KeyError(f"no household-file text {key!r}")
    text = pair[LANGS.index(lang)]
    return text.format(**fmt) if fmt else text
