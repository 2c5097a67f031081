"""一户一档: everything kept about one household, and the search that finds it, in the user's scope.

    find = search_households(conn, actor, "1234")       # name, the last digits of the ID, address
    f = household_file(session, actor, household_id)    # HouseholdFile (raises HouseholdNotFound)

Scope is applied in the queries (jizhen.access.grid_filter / Actor.sees_grid), never by a page:
a household outside the actor's grids is "not found" with exactly the message of a missing one,
and a search never returns, or counts, a household outside them. Personal data leaves here
masked by the one rule (jizhen.privacy.mask_frame); ID numbers are masked for every role, as on
the household card (jizhen.privacy.masked_household: only 查看完整信息 shows them, audited).

The file: the register facts in force (grid.facts.FACT_FIELDS) and their history
(grid.facts.facts_timeline, corrections included), every visit with its observations, the score
history with its reasons, assignments, cases, appeals, and one timeline of all of it (cases'
decisions, payments, referrals and spot checks from cases.services.household_timeline).
Writes go through grid.facts (correct_fact, record_appeal, decide_appeal).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import or_, select

from grid.facts import (APPEAL_OPEN, APPEAL_OUTCOMES, APPEAL_SUBJECTS, FACT_FIELDS, Appeal,
                        facts_timeline, value_label)
from grid.frames import VISIT_FLAGS, _read
from grid.models import (ASSIGNMENT_CANCELLED, ASSIGNMENT_DONE, ASSIGNMENT_OPEN, CommunityGrid,
                         GridWorker, Household, Visit, VisitAssignment)
from jizhen.access import Actor, Role, grid_filter
from jizhen.privacy import mask_frame, mask_id_number, mask_text
from jizhen.settings import TIMEZONE
from risk.groups import LEVEL_LABELS

G, H = CommunityGrid.__table__, Household.__table__
W, V, A = GridWorker.__table__, Visit.__table__, VisitAssignment.__table__

ASSIGNMENT_STATUS_LABELS = {ASSIGNMENT_OPEN: "待走访", ASSIGNMENT_DONE: "已走访",
                            ASSIGNMENT_CANCELLED: "已取消"}
# The timeline's kinds, in the order of one day (cases.services.household_timeline's kinds first).
TIMELINE_KINDS = {"visit": "走访", "risk_flag": "风险信号", "case": "案件", "decision": "决定",
                  "payment": "发放", "referral": "转诊", "spot_check": "抽查", "fact": "登记信息",
                  "correction": "更正", "score": "风险评分", "assignment": "派单", "appeal": "异议"}
# The headers of the file's tables (the Chinese column names the frames below are built with, and
# grid.facts.facts_timeline's, and the search result's as the page shows it) in English: one
# table for every table of the file. A Chinese page shows the column names as they are.
HEADERS_EN = {
    "日期": "Date", "类别": "Kind", "事项": "Item", "说明": "Detail", "值": "Value",
    "登记日期": "Recorded on", "生效日期": "Valid from", "来源": "Source", "登记人": "Recorded by",
    "理由": "Reason", "走访日期": "Visited on", "网格员": "Grid worker",
    "人均月收入（元）": "Income per head (yuan a month)", "发现": "Observed", "备注": "Notes",
    "评分时间": "Scored at", "分数": "Score", "等级": "Level", "原因": "Reasons",
    "权重版本": "Weights version", "期限": "Due", "状态": "Status", "派单人": "Assigned by",
    "派单时间": "Assigned at", "案件编号": "Case no.", "受理日期": "Received on",
    "申请金额（元）": "Requested (yuan)", "批准金额（元）": "Approved (yuan)", "对象": "Objection to",
    "关联编号": "Reference", "异议内容": "Objection", "处理结果": "Outcome", "处理意见": "Decision note",
    "处理日期": "Decided on", "处理人": "Decided by",
    "编号": "Household no.", "户主": "Head", "身份证号": "ID number", "地址": "Address", "网格": "Grid",
}


# The timeline's titles and details: one template per row code, in Chinese and English. A row
# carries its code and values (title_src = (code, values); detail_src = a list of parts, each a
# (code, values) pair or user text kept as typed); build_timeline renders the Chinese, a page
# renders another language with timeline_text. A value that is a word of a vocabulary is a
# 3-tuple (table, code, Chinese label) (Word): the Chinese page shows its label, another language
# asks the page's translator (dashboard.texts_household.timeline_word). Plain values (names,
# numbers, user text) are shown as they are in both.
TIMELINE_TEXTS: dict[str, tuple[str, str]] = {
    # cases.queries.household_timeline (the case workflow's items)
    "visit": ("入户走访", "Home visit"),
    "visit.found": ("发现：{flags}", "Observed: {flags}"),
    "visit.nothing": ("未见异常", "nothing unusual"),
    "risk_flag": ("风险信号", "Risk signal"),
    "risk_flag.detail": ("{flags}", "{flags}"),
    "case": ("{case_no} {status}", "{case_no} {status}"),
    "case.report": ("{channel}：{cause}", "{channel}: {cause}"),
    "case.refer": ("转诊：{scheme}", "Referred: {scheme}"),
    "payment": ("{case_no} 发放{amount}元", "{case_no} paid {amount} yuan"),
    "payment.aid_first": ("先救助、后办理", "aid first, paperwork after"),
    "referral": ("转诊：{scheme}（{department}）", "Referral: {scheme} ({department})"),
    "referral.detail": ("{status}", "{status}"),
    "referral.detail_reason": ("{status}：{reason}", "{status}: {reason}"),
    "spot_check": ("抽查（{month}，抽查人{inspector}）", "Spot check ({month}, by {inspector})"),
    "spot_check.detail": ("{result}", "{result}"),
    "spot_check.detail_note": ("{result}：{note}", "{result}: {note}"),
    # this module's items
    "fact": ("登记：{label} = {value}", "Recorded: {label} = {value}"),
    "correction": ("更正：{label} = {value}", "Corrected: {label} = {value}"),
    "fact.by": ("登记人 {who}", "recorded by {who}"),
    "score": ("风险等级 {level}（{score:g} 分）", "Risk level {level} (score {score:g})"),
    "score.reasons": ("{reasons}", "{reasons}"),
    "score.none": ("无风险因素", "no risk factors"),
    "assignment": ("派单给 {worker}，期限 {due}", "Assigned to {worker}, due {due}"),
    "assignment.detail": ("{status}；派单人 {by}", "{status}; assigned by {by}"),
    "appeal": ("居民异议（{subject}）", "Resident's objection ({subject})"),
    "appeal.decided": ("异议处理：{outcome}", "Objection decided: {outcome}"),
}
TIMELINE_JOIN = {"zh": "；", "en": "; "}   # between the parts of a detail


class Word(tuple):
    """A vocabulary word inside a timeline value: (table, code, Chinese label)."""

    def __new__(cls, table: str, code, zh: str):
        return super().__new__(cls, (table, code, zh))


def _is_word(value) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], str)


def timeline_text(src, lang: str = "zh", word=None) -> str:
    """One timeline title (a (code, values) pair) or detail (a list of parts: (code, values)
    pairs or user text) in `lang`. `word(table, code, zh, lang)` gives a vocabulary word in a
    language other than Chinese (without it, the Chinese label). Chinese: exactly what the
    Chinese templates give."""
    if src is None:
        return ""
    if isinstance(src, str):
        return src
    if isinstance(src, list):
        return TIMELINE_JOIN.get(lang, "; ").join(
            x for x in (timeline_text(p, lang, word) for p in src) if x)
    code, values = src
    zh, en = TIMELINE_TEXTS[code]

    def value(v):
        if not _is_word(v):
            return v
        table, key, label = v
        return label if lang == "zh" or word is None else word(table, key, label, lang)

    return (zh if lang == "zh" else en).format(**{k: value(v) for k, v in (values or {}).items()})


def header_label(column: str, lang: str = "zh") -> str:
    """A header of the file's tables in `lang` ('zh': as it is)."""
    return HEADERS_EN.get(column, column) if lang == "en" else column


SEARCH_MIN_CHARS = 2
SEARCH_LIMIT = 50
_ID_TAIL = re.compile(r"^[0-9]{3,17}[0-9Xx]$")


class HouseholdNotFound(LookupError):
    """The household does not exist or lies outside the actor's grids (one message for both).
    ``str()`` is the Chinese message; ``zh``/``en`` each language (dashboard.texts.error_text)."""

    code = "household_not_found"

    def __init__(self, household_id) -> None:
        self.zh = f"未找到住户 {household_id}（不存在，或不在您负责的网格内）"
        self.en = f"household {household_id} not found (it does not exist or is outside your grids)"
        super().__init__(self.zh)
        self.household_id = household_id


class SearchError(ValueError):
    """A search that cannot be run. ``str()`` is the Chinese message; ``zh``/``en`` each
    language; ``code`` names the rule."""

    def __init__(self, zh: str, en: str = "", *, code: str = "search_error"):
        super().__init__(zh)
        self.zh, self.en, self.code = zh, en or zh, code


def parse_household_id(value) -> int | None:
    """The household id of a query parameter (`?hh=12`), or None when absent or not a number."""
    if value is None:
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 12):
        return None
    return int(text) or None


# --------------------------------------------------------------------------- search
def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_households(conn, actor: Actor, query: str, *, limit: int = SEARCH_LIMIT) -> pd.DataFrame:
    """Households in the actor's grids whose head's name or address contains `query`, whose ID
    number ends with it (e.g. the last 4 digits: the part a masked ID shows), or whose number it
    is. Columns: id, grid_code, grid_name, head_name, head_id_number, address (masked for the
    actor: jizhen.privacy.mask_frame; the ID number masked for every role). At most `limit` rows,
    by id."""
    q = (query or "").strip()
    if len(q) < SEARCH_MIN_CHARS:
        raise SearchError(f"请至少输入 {SEARCH_MIN_CHARS} 个字：户主姓名、身份证号后几位或地址",
                          f"type at least {SEARCH_MIN_CHARS} characters: the head's name, the last "
                          "digits of the ID number or the address", code="too_short")
    if len(q) > 100:
        raise SearchError("查询内容不能超过 100 字", "a search may be at most 100 characters",
                          code="too_long")
    pattern = f"%{_like(q)}%"
    conds = [H.c.head_name.like(pattern, escape="\\"), H.c.address.like(pattern, escape="\\")]
    if _ID_TAIL.match(q):
        conds.append(H.c.head_id_number.like(f"%{q.upper()}") | H.c.head_id_number.like(f"%{q.lower()}"))
    if q.isdigit() and len(q) <= 12:
        conds.append(H.c.id == int(q))
    stmt = (select(H.c.id, G.c.code.label("grid_code"), G.c.name.label("grid_name"), H.c.head_name,
                   H.c.head_id_number, H.c.address)
            .join(G, H.c.grid_id == G.c.id)
            .where(grid_filter(actor, G.c.code), or_(*conds))
            .order_by(H.c.id).limit(int(limit)))
    df = _read(conn, stmt)
    cols = ["id", "grid_code", "grid_name", "head_name", "head_id_number", "address"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = mask_frame(df[cols], actor)
    df["head_id_number"] = df["head_id_number"].map(mask_id_number)  # as on the household card
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------- the file
@dataclass(frozen=True)
class HouseholdFile:
    id: int
    grid_code: str
    grid_name: str
    version: int                 # the household row's version (a correction form is bound to it)
    facts: pd.DataFrame          # field, 事项, 值, value: the register facts in force
    history: pd.DataFrame        # grid.facts.facts_timeline (newest first)
    visits: pd.DataFrame         # 走访日期, 网格员, 人均月收入（元）, 发现, 备注, visit_id, flags (codes; newest first)
    scores: pd.DataFrame         # 评分时间, 分数, level, 等级, 原因, 权重版本 (newest first)
    assignments: pd.DataFrame    # 期限, 网格员, 状态, 派单人, 派单时间
    cases: pd.DataFrame          # 案件编号, 受理日期, 类别, 状态, 申请金额（元）, 批准金额（元）
    appeals: pd.DataFrame        # id, version, status, 受理日期, 对象, 关联编号, 异议内容, 处理结果, ...
    timeline: pd.DataFrame       # 日期, 类别, 事项, 说明, kind (oldest first)
    score: dict | None = field(default=None)   # the newest score: score, level, reasons

    @property
    def open_appeals(self) -> pd.DataFrame:
        return self.appeals[self.appeals["status"] == APPEAL_OPEN]


def _in_scope(session, actor: Actor, household_id) -> tuple[Household, CommunityGrid]:
    hid = parse_household_id(household_id)
    if hid is None:
        raise HouseholdNotFound(household_id)
    hh = session.get(Household, hid)
    grid = session.get(CommunityGrid, hh.grid_id) if hh is not None and hh.grid_id else None
    if hh is None or grid is None or not actor.sees_grid(grid.code) or Role(actor.role) == Role.DEPARTMENT:
        raise HouseholdNotFound(household_id)
    return hh, grid


def _local(ts) -> str:
    if ts is None or pd.isna(ts):
        return ""
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert(ZoneInfo(TIMEZONE)).strftime("%Y-%m-%d %H:%M")


def _note(text, actor: Actor) -> str:
    """A visit's notes as the actor may read them: ID and phone numbers typed into the text are
    masked for a role that sees personal data masked (jizhen.privacy.mask_text)."""
    text = "" if text is None else str(text)
    return text if actor.sees_personal_data else mask_text(text)


def _facts(hh: Household) -> pd.DataFrame:
    rows = [{"field": f, "事项": label, "值": value_label(f, getattr(hh, f)), "value": getattr(hh, f)}
            for f, (_, label) in FACT_FIELDS.items()]
    return pd.DataFrame(rows, columns=["field", "事项", "值", "value"])


def _visits(conn, actor: Actor, hid: int) -> pd.DataFrame:
    from cases.queries import VISIT_FLAG_LABELS

    stmt = (select(V.c.id, V.c.visited_on, W.c.name.label("worker"), V.c.income_per_capita_yuan,
                   V.c.notes, *[V.c[f] for f in VISIT_FLAGS])
            .join(W, V.c.worker_id == W.c.id, isouter=True)
            .where(V.c.household_id == hid).order_by(V.c.visited_on.desc(), V.c.id.desc()))
    df = _read(conn, stmt)
    cols = ["走访日期", "网格员", "人均月收入（元）", "发现", "备注", "visit_id", "flags"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    flags = [tuple(f for f in VISIT_FLAGS if bool(r[f])) for _, r in df.iterrows()]
    found = ["、".join(VISIT_FLAG_LABELS[f] for f in fs) or "未见异常" for fs in flags]
    return pd.DataFrame({"走访日期": df["visited_on"], "网格员": df["worker"].fillna(""),
                         "人均月收入（元）": df["income_per_capita_yuan"], "发现": found,
                         "备注": [_note(n, actor) for n in df["notes"]], "visit_id": df["id"],
                         "flags": flags})[cols]


def _scores(conn, actor: Actor, hid: int) -> pd.DataFrame:
    from grid.risk_service import score_history

    hist = score_history(conn, actor, hid)
    cols = ["评分时间", "分数", "level", "等级", "原因", "权重版本", "scored_at", "reasons"]
    if hist.empty:
        return pd.DataFrame(columns=cols)
    hist = hist.iloc[::-1].reset_index(drop=True)
    return pd.DataFrame({"评分时间": [_local(t) for t in hist["scored_at"]],
                         "分数": hist["score"].astype(float).round(1), "level": hist["level"],
                         "等级": hist["level"].map(LEVEL_LABELS).fillna(hist["level"]),
                         "原因": ["；".join(r) for r in hist["reasons"]],
                         "权重版本": hist["config_version"], "scored_at": hist["scored_at"],
                         "reasons": hist["reasons"]})[cols]


def _assignments(conn, actor: Actor, hid: int) -> pd.DataFrame:
    from grid.assignments import worker_filter

    stmt = (select(A.c.due_on, W.c.name.label("worker"), A.c.status, A.c.assigned_by, A.c.created_at)
            .join(W, A.c.worker_id == W.c.id)
            .where(A.c.household_id == hid, worker_filter(actor, A.c.worker_id))
            .order_by(A.c.created_at.desc(), A.c.id.desc()))
    df = _read(conn, stmt)
    cols = ["期限", "网格员", "状态", "派单人", "派单时间", "created_at", "status"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame({"期限": df["due_on"], "网格员": df["worker"],
                         "状态": df["status"].map(ASSIGNMENT_STATUS_LABELS).fillna(df["status"]),
                         "派单人": df["assigned_by"], "派单时间": [_local(t) for t in df["created_at"]],
                         "created_at": df["created_at"], "status": df["status"]})[cols]


def _cases(session, hid: int) -> pd.DataFrame:
    from cases.models import Case
    from cases.rules import CATEGORY_LABELS, STATUS_LABELS, Category, Status

    rows = session.execute(select(Case).where(Case.household_id == hid)
                           .order_by(Case.received_on.desc(), Case.id.desc())).scalars().all()
    cols = ["案件编号", "受理日期", "类别", "状态", "申请金额（元）", "批准金额（元）", "case_id",
            "category", "status"]
    return pd.DataFrame([{"案件编号": c.case_no, "受理日期": c.received_on,
                          "类别": CATEGORY_LABELS[Category(c.category)],
                          "状态": STATUS_LABELS[Status(c.status)],
                          "申请金额（元）": (c.amount_requested_fen or 0) / 100,
                          "批准金额（元）": None if c.amount_approved_fen is None else c.amount_approved_fen / 100,
                          "case_id": c.id, "category": c.category, "status": c.status}
                         for c in rows], columns=cols)


def _appeals(session, hid: int) -> pd.DataFrame:
    rows = session.execute(select(Appeal).where(Appeal.household_id == hid)
                           .order_by(Appeal.received_on.desc(), Appeal.id.desc())).scalars().all()
    cols = ["id", "version", "status", "subject", "受理日期", "对象", "关联编号", "异议内容", "登记人",
            "处理结果", "处理意见", "处理日期", "处理人"]
    return pd.DataFrame([{"id": a.id, "version": a.version, "status": a.status, "subject": a.subject,
                          "受理日期": a.received_on, "对象": APPEAL_SUBJECTS.get(a.subject, a.subject),
                          "关联编号": a.reference, "异议内容": a.objection, "登记人": a.recorded_by,
                          "处理结果": "待处理" if a.status == APPEAL_OPEN
                          else APPEAL_OUTCOMES.get(a.status, a.status),
                          "处理意见": a.decision_note, "处理日期": a.decided_on, "处理人": a.decided_by}
                         for a in rows], columns=cols)


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def _local_day(ts) -> date:
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert(ZoneInfo(TIMEZONE)).date()


_RENDER = object()   # build_timeline: render the detail from its parts


def build_timeline(*, case_items: list[dict], history: pd.DataFrame | None = None,
                   scores: pd.DataFrame | None = None, assignments: pd.DataFrame | None = None,
                   appeals: pd.DataFrame | None = None, created_on: date | None = None) -> pd.DataFrame:
    """One timeline (oldest first): the case workflow's items (cases.services.household_timeline:
    visits, risk flags, cases, decisions, payments, referrals, spot checks), register facts that
    entered after the household did (corrections marked), every change of the risk level, the
    assignments and the appeals with their outcomes (each left out when not given: the case desk
    shows the case items alone). Every row carries its title_src/detail_src (timeline_text). Pure."""
    none = pd.DataFrame()
    history, scores = none if history is None else history, none if scores is None else scores
    assignments, appeals = (none if assignments is None else assignments,
                            none if appeals is None else appeals)
    items = [{"on": _day(i["on"]), "kind": i["kind"], "title": i["title"], "detail": i.get("detail") or "",
              "title_src": i.get("title_src"), "detail_src": i.get("detail_src")} for i in case_items]

    def add(on, kind, title_src, detail_src, detail=_RENDER):
        items.append({"on": on, "kind": kind, "title": timeline_text(title_src),
                      "detail": timeline_text(detail_src) if detail is _RENDER else detail,
                      "title_src": title_src,
                      "detail_src": detail_src})

    for r in history.to_dict("records"):
        recorded = _day(r["登记日期"])
        if r["来源"] == "更正" or created_on is None or recorded > created_on:
            correction = r["来源"] == "更正"
            field_code = r.get("field")
            label = Word("fact", field_code, r["事项"]) if field_code else r["事项"]
            value = Word("fact_value", (field_code, r.get("value")), r["值"]) if field_code else r["值"]
            detail = [x for x in (r["理由"] or "", ("fact.by", {"who": r["登记人"]}) if r["登记人"] else "") if x]
            add(recorded, "correction" if correction else "fact",
                ("correction" if correction else "fact", {"label": label, "value": value}), detail)
    last_level = None
    for r in scores.iloc[::-1].to_dict("records"):   # oldest first
        if r["level"] != last_level:
            reasons = r.get("reasons")
            detail = (("score.reasons", {"reasons": Word("reasons", tuple(reasons), r["原因"])})
                      if reasons is not None and len(reasons) else
                      r["原因"] if r["原因"] else ("score.none", {}))
            add(_local_day(r["scored_at"]), "score",
                ("score", {"level": Word("level", r["level"], r["等级"]), "score": r["分数"]}), [detail])
            last_level = r["level"]
    for r in assignments.to_dict("records"):
        status = r.get("status")
        add(_local_day(r["created_at"]), "assignment",
            ("assignment", {"worker": r["网格员"], "due": r["期限"]}),
            [("assignment.detail", {"status": Word("assignment_status", status, r["状态"]) if status
                                    else r["状态"], "by": r["派单人"]})])
    for r in appeals.to_dict("records"):
        add(_day(r["受理日期"]), "appeal",
            ("appeal", {"subject": Word("subject", r.get("subject"), r["对象"])}), [r["异议内容"]],
            detail=r["异议内容"])
        if r["status"] != APPEAL_OPEN and r["处理日期"] is not None:
            add(_day(r["处理日期"]), "appeal",
                ("appeal.decided", {"outcome": Word("outcome", r["status"], r["处理结果"])}),
                [r["处理意见"]], detail=r["处理意见"])
    order = {k: i for i, k in enumerate(TIMELINE_KINDS)}
    items.sort(key=lambda x: (x["on"], order.get(x["kind"], len(order))))
    return pd.DataFrame({"日期": [i["on"] for i in items],
                         "类别": [TIMELINE_KINDS.get(i["kind"], i["kind"]) for i in items],
                         "事项": [i["title"] for i in items], "说明": [i["detail"] for i in items],
                         "kind": [i["kind"] for i in items],
                         "title_src": [i["title_src"] for i in items],
                         "detail_src": [i["detail_src"] for i in items]},
                        columns=["日期", "类别", "事项", "说明", "kind", "title_src", "detail_src"])


def household_file(session, actor: Actor, household_id) -> HouseholdFile:
    """The whole file of one household in the actor's scope, else HouseholdNotFound (the same for
    a missing household and one outside the actor's grids)."""
    from cases.services import household_timeline

    hh, grid = _in_scope(session, actor, household_id)
    conn = session.connection()
    history = facts_timeline(session, actor, hh.id)
    scores = _scores(conn, actor, hh.id)
    assignments = _assignments(conn, actor, hh.id)
    appeals = _appeals(session, hh.id)
    created_on = _local_day(hh.created_at) if hh.created_at is not None else None
    timeline = build_timeline(case_items=household_timeline(session=session, actor=actor,
                                                            household_id=hh.id),
                              history=history, scores=scores, assignments=assignments,
                              appeals=appeals, created_on=created_on)
    score = None
    if len(scores):
        top = scores.iloc[0]
        score = {"score": float(top["分数"]), "level": str(top["level"]), "reasons": list(top["reasons"])}
    return HouseholdFile(id=int(hh.id), grid_code=grid.code, grid_name=grid.name,
                         version=int(hh.version), facts=_facts(hh), history=history,
                         visits=_visits(conn, actor, hh.id), scores=scores, assignments=assignments,
                         cases=_cases(session, hh.id), appeals=appeals, timeline=timeline,
                         score=score)
