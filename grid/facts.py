"""Register facts with their history, corrections of the record, and residents' appeals.

A register fact (illness, disability, household members, 低保 status, ... every household field the
risk score reads) is kept as a history: one ``household_fact`` row per value, with the date it
became true (``valid_from``) and the business date it entered the register (``recorded_on``,
Asia/Shanghai). Rows are never updated; a correction is a new row that names the row it corrects
(``corrects_id``), so the old value stays. The ``household`` table keeps the current values (what
pages and the nightly score read); the history is what a replay reads: on a snapshot day d it uses
only rows with ``recorded_on <= d`` and ``valid_from <= d`` (risk.history.households_as_of).

    correct_fact(session=s, actor=a, household_id=7, field="severe_disability", new_value=False,
                 reason="残疾证已注销", expected_version=3)     # audited, household re-scored
    facts_timeline(session, actor, household_id)               # for the household file
    record_appeal(...) / decide_appeal(...)                    # residents' objections, audited
    appeal_counts(conn, actor)                                 # per grid and month (leaders' page)
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Optional
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Column, Index, Text, select
from sqlmodel import Field, SQLModel

from jizhen.access import AccessDenied, Actor, Role, require
from jizhen.db import StaleEdit, stale_message, version_column
from jizhen.geotypes import UTCDateTime, utcnow
from jizhen.settings import TIMEZONE

# --- the register fields the score reads: one table (type, Chinese label) -----------------------
FACT_FIELDS: dict[str, tuple[type, str]] = {
    "members": (int, "家庭人口"),
    "elderly_alone": (bool, "独居老人"),
    "minors": (int, "未成年人数"),
    "severe_disability": (bool, "有重度残疾人"),
    "serious_illness": (bool, "有重病患者"),
    "dibao": (bool, "享受低保"),
    "tekun": (bool, "特困供养"),
    "income_per_capita_yuan": (float, "人均月收入（元）"),
}
# the same labels in English (the English pages and the English text of a FactError)
FACT_LABELS_EN = {"members": "household members", "elderly_alone": "elderly person living alone",
                  "minors": "minors", "severe_disability": "severely disabled member",
                  "serious_illness": "seriously ill member", "dibao": "receives dibao",
                  "tekun": "tekun support", "income_per_capita_yuan": "income per head (yuan a month)"}
# where a history row came from
SOURCE_LABELS = {"register": "户籍/名册登记", "import": "名册导入", "demo": "演示数据",
                 "correction": "更正", "household_file": "住户档案"}
# who may correct a fact: a grid supervisor (own grid) or a township officer
CORRECTORS = (Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER)

APPEAL_SUBJECTS = {"score": "风险评分", "decision": "救助决定"}
APPEAL_OPEN = "open"
APPEAL_OUTCOMES = {"changed": "采纳异议，已更正", "partly": "部分采纳", "kept": "维持原评分/决定"}
APPEAL_RECORDERS = (Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF)
APPEAL_DECIDERS = (Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF)

_appeal_version = version_column()


class HouseholdFact(SQLModel, table=True):
    """One value of one register field of one household, from the day it became true."""

    __tablename__ = "household_fact"
    __table_args__ = (Index("ix_household_fact_household_field", "household_id", "field"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    field: str = Field(max_length=32)
    value_json: str = Field(max_length=64)          # JSON: true / 3 / 812.0
    valid_from: date                                # the day the value became true
    recorded_on: date = Field(index=True)           # the day it entered the register (Asia/Shanghai)
    recorded_at: datetime = Field(default_factory=utcnow,
                                  sa_column=Column(UTCDateTime(), nullable=False))
    source: str = Field(max_length=16)              # SOURCE_LABELS
    recorded_by: str = Field(default="", max_length=64)
    reason: str = Field(default="", max_length=500)
    corrects_id: Optional[int] = Field(default=None, foreign_key="household_fact.id")


class Appeal(SQLModel, table=True):
    """A resident's objection to a risk score or a decision, and its outcome."""

    __tablename__ = "appeal"
    __mapper_args__ = {"version_id_col": _appeal_version}
    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    subject: str = Field(max_length=16)             # APPEAL_SUBJECTS
    reference: str = Field(default="", max_length=64)   # e.g. the case number objected to
    objection: str = Field(sa_column=Column(Text(), nullable=False))
    received_on: date = Field(index=True)
    recorded_by: str = Field(max_length=64)
    status: str = Field(default=APPEAL_OPEN, max_length=16)   # open | an APPEAL_OUTCOMES key
    decision_note: str = Field(default="", sa_column=Column(Text(), nullable=False, default=""))
    decided_on: Optional[date] = None
    decided_by: str = Field(default="", max_length=64)
    version: int = Field(default=1, sa_column=_appeal_version)
    created_at: datetime = Field(default_factory=utcnow,
                                 sa_column=Column(UTCDateTime(), nullable=False))


class FactError(ValueError):
    """A correction or appeal that cannot be accepted. ``str()`` is the Chinese message; ``zh``
    and ``en`` the message in each language (an English page shows ``en``, see
    dashboard.texts.error_text); ``code`` names the rule (stable, for callers and tests)."""

    def __init__(self, zh: str, en: str = "", *, code: str = "fact_error"):
        super().__init__(zh)
        self.zh, self.en, self.code = zh, en or zh, code


def local_today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


# --- values -----------------------------------------------------------------------------------
_TRUE = {"1", "true", "yes", "是", "有", "y"}
_FALSE = {"0", "false", "no", "否", "无", "n", ""}


def parse_value(field: str, value: Any):
    """The typed value of `field` (bool / int / float), or FactError in Chinese."""
    if field not in FACT_FIELDS:
        raise FactError(f"未知的登记事项：{field}（可更正：{'、'.join(label for _, label in FACT_FIELDS.values())}）",
                        f"unknown register fact: {field} (one of: {', '.join(FACT_LABELS_EN.values())})",
                        code="unknown_fact")
    kind, label = FACT_FIELDS[field]
    en = FACT_LABELS_EN[field]
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise FactError(f"“{label}”只能填 是 或 否", f"“{en}” must be yes or no", code="not_yes_no")
    try:
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        raise FactError(f"“{label}”应为数字", f"“{en}” must be a number", code="not_a_number") from None
    if number != number or number < 0:
        raise FactError(f"“{label}”不能为负数或空", f"“{en}” cannot be negative or empty",
                        code="negative_or_empty")
    if kind is int:
        if number != int(number):
            raise FactError(f"“{label}”应为整数", f"“{en}” must be a whole number", code="not_whole")
        return int(number)
    return round(number, 2)


def dump_value(value) -> str:
    return json.dumps(value)


def value_label(field: str, value) -> str:
    """A value as plain Chinese text (是/否, numbers)."""
    if value is None:
        return "（无记录）"
    if FACT_FIELDS[field][0] is bool:
        return "是" if value else "否"
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- history rows -----------------------------------------------------------------------------
def fact_rows(household_id: int, values: dict, *, valid_from: date, recorded_on: date,
              source: str, recorded_by: str = "", reason: str = "") -> list[dict]:
    """Insertable rows (one per register field present in `values`)."""
    now = utcnow()
    return [{"household_id": int(household_id), "field": f, "value_json": dump_value(parse_value(f, values[f])),
             "valid_from": valid_from, "recorded_on": recorded_on, "recorded_at": now,
             "source": source, "recorded_by": recorded_by, "reason": reason, "corrects_id": None}
            for f in FACT_FIELDS if f in values]


def write_history(session, rows: list[dict], chunk: int = 5000) -> int:
    from sqlalchemy import insert

    for i in range(0, len(rows), chunk):
        session.execute(insert(HouseholdFact), rows[i:i + chunk])
    return len(rows)


def facts_frame(conn, actor: Actor, *, household_ids=None) -> pd.DataFrame:
    """Every history row in the actor's scope (household_id, field, value, valid_from,
    recorded_on, id), plus a dated baseline for each register field a household has no history
    for: its current value, known since the household was created (so nothing is ever seen before
    it entered the database)."""
    from grid.frames import _read
    from grid.models import CommunityGrid, Household
    from jizhen.access import grid_filter

    F, H, G = HouseholdFact.__table__, Household.__table__, CommunityGrid.__table__
    stmt = (select(F.c.id, F.c.household_id, F.c.field, F.c.value_json, F.c.valid_from,
                   F.c.recorded_on).join(H, F.c.household_id == H.c.id)
            .join(G, H.c.grid_id == G.c.id).where(grid_filter(actor, G.c.code)))
    hstmt = (select(H.c.id, H.c.created_at, *[H.c[f] for f in FACT_FIELDS])
             .join(G, H.c.grid_id == G.c.id).where(grid_filter(actor, G.c.code)))
    if household_ids is not None:
        ids = [int(i) for i in household_ids]
        stmt, hstmt = stmt.where(F.c.household_id.in_(ids)), hstmt.where(H.c.id.in_(ids))
    hist = _read(conn, stmt.order_by(F.c.id))
    cols = ["id", "household_id", "field", "value", "valid_from", "recorded_on"]
    if hist.empty:
        hist = pd.DataFrame(columns=cols)
    else:
        hist["value"] = [json.loads(v) for v in hist.pop("value_json")]
    current = _read(conn, hstmt)
    if not current.empty:
        have = set(zip(hist["household_id"].tolist(), hist["field"].tolist()))
        tz = ZoneInfo(TIMEZONE)
        extra = []
        for row in current.itertuples(index=False):
            created = pd.Timestamp(row.created_at)
            day = (created.tz_convert(tz) if created.tzinfo else created).date()
            for f in FACT_FIELDS:
                if (row.id, f) not in have:
                    extra.append({"id": 0, "household_id": row.id, "field": f,
                                  "value": getattr(row, f), "valid_from": day, "recorded_on": day})
        if extra:
            hist = pd.concat([hist, pd.DataFrame(extra)], ignore_index=True) if len(hist) \
                else pd.DataFrame(extra)
    hist["valid_from"] = pd.to_datetime(hist["valid_from"])
    hist["recorded_on"] = pd.to_datetime(hist["recorded_on"])
    return hist[cols]


# --- access -----------------------------------------------------------------------------------
def _household_in_scope(session, actor: Actor, household_id: int):
    from grid.models import CommunityGrid, Household

    hh = session.get(Household, int(household_id))
    if hh is None:
        raise FactError(f"住户 #{household_id} 不存在", f"household #{household_id} does not exist",
                        code="household_not_found")
    code = session.get(CommunityGrid, hh.grid_id).code if hh.grid_id else None
    if not actor.sees_grid(code):
        raise AccessDenied(f"住户 #{household_id} 不在您负责的网格范围内",
                           en=f"Household #{household_id} is outside your grids.", code="out_of_scope")
    return hh, code


# --- correcting the record ----------------------------------------------------------------------
def correct_fact(*, session, actor: Actor, household_id: int, field: str, new_value, reason: str,
                 expected_version: int, today: date | None = None) -> dict:
    """Correct one register fact of a household the actor sees (a grid supervisor for their own
    grid, or a township officer). `expected_version` is the household version the form showed.
    The old value stays in the history; the correction is audited and the household re-scored at
    once. Returns {'fact_id', 'old', 'new', 'version', 'score'}."""
    from grid.models import Household
    from jizhen import audit

    require(actor, *CORRECTORS)
    if not actor.may_write:
        raise AccessDenied(f"角色 {actor.role} 不能更正登记信息",
                           en=f"The role {actor.role} may not correct register facts.", code="role_denied")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise FactError("请填写更正理由（例如：残疾证已注销、核对低保名单有误）",
                        "give the reason for the correction (e.g. the disability certificate was "
                        "cancelled, the dibao list was checked)", code="reason_missing")
    if len(reason) > 500:
        raise FactError("更正理由不能超过 500 字", "the reason may be at most 500 characters",
                        code="reason_too_long")
    value = parse_value(field, new_value)
    hh, code = _household_in_scope(session, actor, household_id)
    if int(hh.version) != int(expected_version):
        raise StaleEdit(stale_message("household", household_id))
    old = getattr(hh, field)
    old = FACT_FIELDS[field][0](old) if old is not None else None
    if old == value:
        raise FactError(f"“{FACT_FIELDS[field][1]}”已经是 {value_label(field, value)}，无需更正",
                        f"“{FACT_LABELS_EN[field]}” is already {value}: nothing to correct",
                        code="unchanged")
    today = today or local_today()
    F = HouseholdFact
    prev = session.execute(select(F).where(F.household_id == hh.id, F.field == field)
                           .order_by(F.recorded_on.desc(), F.id.desc()).limit(1)).scalars().first()
    if prev is None:   # keep the value that was there, dated when the household was created
        created = pd.Timestamp(hh.created_at)
        day = (created.tz_convert(ZoneInfo(TIMEZONE)) if created.tzinfo else created).date()
        prev = F(household_id=hh.id, field=field, value_json=dump_value(old), valid_from=day,
                 recorded_on=day, source="register", recorded_by="", reason="更正前的登记值")
        session.add(prev)
        session.flush()
    row = F(household_id=hh.id, field=field, value_json=dump_value(value), valid_from=today,
            recorded_on=today, source="correction", recorded_by=actor.username, reason=reason,
            corrects_id=prev.id)
    session.add(row)
    from jizhen.db import update_versioned

    update_versioned(session, Household, hh.id, int(expected_version), **{field: value})
    audit.record(session, actor=actor, action="household.correct_fact", entity="household",
                 entity_id=hh.id, before={field: old, "version": int(expected_version)},
                 after={field: value, "fact_id": row.id, "grid": code}, reason=reason)
    score = rescore_household(session, household_id=hh.id, grid_code=code, today=today)
    return {"fact_id": row.id, "old": old, "new": value, "version": int(expected_version) + 1,
            "score": score}


def rescore_household(session, *, household_id: int, grid_code: str | None,
                      today: date | None = None, config=None) -> dict | None:
    """Score one household now and append the score to its history (grid.risk_service)."""
    from grid import frames
    from grid.risk_service import store_scores
    from jizhen.access import SYSTEM
    from risk.config import load_config
    from risk.scoring import score_households

    if grid_code is None:
        return None
    conn = session.connection()
    hh = frames.households_frame(conn, SYSTEM, grid_codes=[grid_code])
    hh = hh[hh["id"] == household_id]
    if hh.empty:
        return None
    visits = frames.visits_frame(conn, SYSTEM, grid_codes=[grid_code])
    visits = visits[visits["household_id"] == household_id] if len(visits) else visits
    scores = score_households(hh.reset_index(drop=True), visits, today=today or local_today(),
                              config=config or load_config())
    store_scores(conn, scores)
    r = scores.iloc[0]
    return {"score": float(r["score"]), "level": str(r["level"]), "reasons": list(r["reasons"])}


def facts_timeline(session, actor: Actor, household_id: int) -> pd.DataFrame:
    """The household's register history, newest first, in plain Chinese, for the household file:
    columns 登记日期, 事项, 值, 生效日期, 来源, 登记人, 理由 (+ field, value, fact_id, corrected, and
    source: the code of 来源).
    A row that a later correction replaced has corrected=True (it stays in the history)."""
    _household_in_scope(session, actor, household_id)
    F = HouseholdFact.__table__
    rows = session.execute(select(F).where(F.c.household_id == int(household_id))
                           .order_by(F.c.recorded_on.desc(), F.c.id.desc())).mappings().all()
    replaced = {r["corrects_id"] for r in rows if r["corrects_id"]}
    out = [{"登记日期": r["recorded_on"], "事项": FACT_FIELDS.get(r["field"], (None, r["field"]))[1],
            "值": value_label(r["field"], json.loads(r["value_json"])) if r["field"] in FACT_FIELDS
            else r["value_json"],
            "生效日期": r["valid_from"], "来源": SOURCE_LABELS.get(r["source"], r["source"]),
            "登记人": r["recorded_by"], "理由": r["reason"], "field": r["field"],
            "value": json.loads(r["value_json"]), "fact_id": r["id"],
            "corrected": r["id"] in replaced, "source": r["source"]} for r in rows]
    return pd.DataFrame(out, columns=["登记日期", "事项", "值", "生效日期", "来源", "登记人", "理由",
                                      "field", "value", "fact_id", "corrected", "source"])


# --- appeals ------------------------------------------------------------------------------------
def record_appeal(*, session, actor: Actor, household_id: int, subject: str, objection: str,
                  reference: str = "", received_on: date | None = None) -> int:
    """Record a resident's objection to a score or a decision (audited). Returns the appeal id."""
    from jizhen import audit

    require(actor, *APPEAL_RECORDERS)
    if subject not in APPEAL_SUBJECTS:
        raise FactError(f"异议对象只能是：{'、'.join(APPEAL_SUBJECTS.values())}",
                        "an objection is to a risk score or an assistance decision",
                        code="unknown_subject")
    objection = (objection or "").strip()
    if len(objection) < 2:
        raise FactError("请填写居民的异议内容", "write down the resident's objection",
                        code="objection_missing")
    if len(objection) > 2000 or len(reference or "") > 64:
        raise FactError("异议内容不能超过 2000 字，关联编号不能超过 64 字",
                        "the objection may be at most 2000 characters, the reference 64",
                        code="objection_too_long")
    hh, code = _household_in_scope(session, actor, household_id)
    appeal = Appeal(household_id=hh.id, subject=subject, reference=(reference or "").strip(),
                    objection=objection, received_on=received_on or local_today(),
                    recorded_by=actor.username)
    session.add(appeal)
    session.flush()
    audit.record(session, actor=actor, action="appeal.record", entity="appeal", entity_id=appeal.id,
                 after={"household_id": hh.id, "subject": subject, "reference": appeal.reference,
                        "grid": code}, reason=objection[:500])
    return int(appeal.id)


def decide_appeal(*, session, actor: Actor, appeal_id: int, outcome: str, note: str,
                  expected_version: int, decided_on: date | None = None) -> None:
    """Record the outcome of an open appeal (township officer or county staff; audited)."""
    from jizhen import audit
    from jizhen.db import update_versioned

    require(actor, *APPEAL_DECIDERS)
    if outcome not in APPEAL_OUTCOMES:
        raise FactError(f"处理结果只能是：{'、'.join(APPEAL_OUTCOMES.values())}",
                        "choose an outcome: upheld, partly upheld or kept", code="unknown_outcome")
    note = (note or "").strip()
    if len(note) < 2:
        raise FactError("请填写处理意见", "write down the decision note", code="note_missing")
    appeal = session.get(Appeal, int(appeal_id))
    if appeal is None:
        raise FactError(f"异议 #{appeal_id} 不存在", f"objection #{appeal_id} does not exist",
                        code="appeal_not_found")
    _household_in_scope(session, actor, appeal.household_id)
    if appeal.status != APPEAL_OPEN:
        raise FactError(f"异议 #{appeal_id} 已处理（{APPEAL_OUTCOMES.get(appeal.status, appeal.status)}）",
                        f"objection #{appeal_id} is already decided ({appeal.status})",
                        code="appeal_decided")
    update_versioned(session, Appeal, appeal.id, int(expected_version), status=outcome,
                     decision_note=note, decided_on=decided_on or local_today(),
                     decided_by=actor.username)
    audit.record(session, actor=actor, action="appeal.decide", entity="appeal", entity_id=appeal.id,
                 before={"status": APPEAL_OPEN}, after={"status": outcome}, reason=note[:500])


def appeal_counts(conn, actor: Actor) -> pd.DataFrame:
    """Appeals per grid and month received: grid_code, month (YYYY-MM), received, open, changed,
    partly, kept."""
    from grid.frames import _read
    from grid.models import CommunityGrid, Household
    from jizhen.access import grid_filter

    A, H, G = Appeal.__table__, Household.__table__, CommunityGrid.__table__
    stmt = (select(G.c.code.label("grid_code"), A.c.received_on, A.c.status)
            .join(H, A.c.household_id == H.c.id).join(G, H.c.grid_id == G.c.id)
            .where(grid_filter(actor, G.c.code)))
    df = _read(conn, stmt)
    cols = ["grid_code", "month", "received", APPEAL_OPEN, *APPEAL_OUTCOMES]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["month"] = pd.to_datetime(df["received_on"]).dt.strftime("%Y-%m")
    out = pd.crosstab([df["grid_code"], df["month"]], df["status"])
    out = out.reindex(columns=[APPEAL_OPEN, *APPEAL_OUTCOMES], fill_value=0)
    out.insert(0, "received", out.sum(axis=1))
    return out.reset_index()[cols].astype({c: int for c in cols[2:]})
