"""Case services: apply cases.rules inside a database session, with scope checks and audit.

Every function takes ``*, session, actor``; every write calls ``grid.audit.record``. The caller owns
the transaction (``grid.db.session_scope``). Domain problems raise ``cases.rules.DomainError``
(Chinese + English message); scope problems raise ``grid.access.AccessDenied``.
"""
from __future__ import annotations

import tomllib
import uuid
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
from sqlalchemy import func, or_
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from cases import rules
from cases.calendar import is_provisional, working_days_between
from cases.models import (
    MATCHED,
    TO_MATCH,
    BlacklistEntry,
    Case,
    CaseEvent,
    Disclosure,
    FundMovement,
    Payment,
    Referral,
    SpotCheck,
)
from cases.rules import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    HOTLINE_CHANNELS,
    REFERRAL_SCHEMES,
    STATUS_LABELS,
    CaseFacts,
    Category,
    Channel,
    DomainError,
    ReferralScheme,
    ReferralStatus,
    Status,
)
from grid import audit
from grid.access import AccessDenied, Actor
from grid.db import StaleEdit
from grid.models import CommunityGrid, GridWorker, Household, Visit

COMPLAINT_PHONE = "12345"  # public complaint line printed on disclosures (configurable per call)
DEFAULT_DIBAO_YUAN = 640.0
STANDARDS_TOML = Path(__file__).resolve().parents[1] / "data" / "standards.toml"
VISIT_FLAG_LABELS = {
    "housing_loss": "住房受损",
    "accidental_injury": "意外伤害",
    "sudden_illness_or_disaster": "突发重病或灾害",
    "care_gap": "无人照料",
    "lost_job": "失业",
    "new_illness": "新发疾病",
}


# ----------------------------------------------------------------------------- helpers
def fen(yuan: Any) -> int:
    return int((Decimal(str(yuan or 0)) * 100).quantize(Decimal("1")))


def yuan(fen_value: int | None) -> float | None:
    return None if fen_value is None else round(fen_value / 100.0, 2)


def dibao_standard(on: date | None = None, county: str = "321323") -> float:
    """The 低保 standard (yuan/person/month) in force on ``on``, from data/standards.toml."""
    try:
        raw = tomllib.loads(STANDARDS_TOML.read_text(encoding="utf-8"))
        rows = [r for r in raw.get("dibao", []) if str(r.get("county")) == county]
        rows.sort(key=lambda r: str(r["since"]))
        best = None
        for r in rows:
            since = r["since"] if isinstance(r["since"], date) else date.fromisoformat(str(r["since"]))
            if on is None or since <= on:
                best = float(r["yuan_per_month"])
        if best is not None:
            return best
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError):
        pass
    return DEFAULT_DIBAO_YUAN


def _require_write(actor: Actor) -> None:
    if not actor.may_write:
        raise AccessDenied(f"{actor.username}（审计）只读，不能修改数据 / read-only role")


def _check_scope(actor: Actor, grid_code: str | None) -> None:
    if actor.grid_codes is None:
        return
    if grid_code is None or grid_code not in actor.grid_codes:
        raise AccessDenied(
            f"案件不在{actor.username}负责的网格内 / case outside the actor's grids ({grid_code})"
        )


def _scope_filter(actor: Actor):
    if actor.grid_codes is None:
        return True
    if not actor.grid_codes:
        return False
    return Case.grid_code.in_(sorted(actor.grid_codes))


def _snapshot(case: Case) -> dict:
    return {
        "status": case.status, "amount_requested_fen": case.amount_requested_fen,
        "amount_approved_fen": case.amount_approved_fen, "household_id": case.household_id,
        "grid_code": case.grid_code, "match_status": case.match_status, "aid_first": case.aid_first,
        "version": case.version,
    }


def _flush_versioned(session: Session, what: str) -> None:
    """Flush; a lost optimistic-locking race becomes StaleEdit with a clear message."""
    try:
        session.flush()
    except StaleDataError:
        raise StaleEdit(f"{what}已被他人修改，请刷新后重试 (changed by someone else; reload and retry)") from None


def _facts(case: Case) -> CaseFacts:
    return CaseFacts(case.status, Decimal(case.amount_requested_fen) / 100,
                     matched=case.match_status == MATCHED, aid_first=case.aid_first)


def get_case(*, session: Session, actor: Actor, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise DomainError(f"案件{case_id}不存在", f"case {case_id} not found", code="not_found")
    _check_scope(actor, case.grid_code)
    return case


def _grid_polygons(session: Session):
    cached = session.info.get("cases_grid_polygons")
    if cached is not None:
        return cached
    import shapely

    rows = session.exec(select(CommunityGrid.code, CommunityGrid.geometry_wkt)
                        .order_by(CommunityGrid.code)).all()
    out = ([r[0] for r in rows], [shapely.from_wkt(r[1]) for r in rows])
    if rows:
        session.info["cases_grid_polygons"] = out  # grids do not change within one unit of work
    return out


def locate_grid(session: Session, lon: float | None, lat: float | None) -> str | None:
    """Grid code holding the point (point-in-polygon), None outside every grid or without a point."""
    if lon is None or lat is None:
        return None
    import numpy as np

    from grid.geometry import OUTSIDE, assign_to_grids

    codes, polys = _grid_polygons(session)
    if not polys:
        return None
    idx = assign_to_grids(np.array([lon]), np.array([lat]), polys)[0]
    return None if idx == OUTSIDE else codes[idx]


def _household_grid(session: Session, household: Household) -> str | None:
    if household.grid_id is None:
        return None
    g = session.get(CommunityGrid, household.grid_id)
    return g.code if g else None


def match_household(session: Session, *, person_name: str = "", person_id_number: str | None = None,
                    phone: str = "", address: str = "") -> tuple[Household | None, int]:
    """Match to the registry only when unambiguous: (household, number of candidates).

    The ID number of the head decides on its own. Otherwise a name must agree together with the
    phone or the exact address; two or more candidates → no match (never guessed).
    """
    if person_id_number:
        hh = session.exec(select(Household).where(
            Household.head_id_number == person_id_number.strip().upper())).all()
        if len(hh) == 1:
            return hh[0], 1
    name = (person_name or "").strip()
    if not name:
        return None, 0
    conds = []
    if phone and phone.strip():
        conds.append(Household.phone == phone.strip())
    if address and address.strip():
        conds.append(Household.address == address.strip())
    if not conds:
        return None, 0
    cands = session.exec(select(Household).where(Household.head_name == name, or_(*conds))).all()
    if len(cands) == 1:
        return cands[0], 1
    return None, len(cands)


def blacklist_entry(session: Session, person_id_number: str | None) -> BlacklistEntry | None:
    if not person_id_number:
        return None
    return session.exec(select(BlacklistEntry).where(
        BlacklistEntry.person_id_number == person_id_number.strip().upper(),
        BlacklistEntry.active == True,  # noqa: E712
    ).order_by(BlacklistEntry.id.desc())).first()


def _follow_up_dates(session: Session, *, person_id_number: str | None, household_id: int | None,
                     category: str, exclude_case_id: int | None = None) -> list[date]:
    stmt = select(Case).where(Case.follow_up == True, Case.category == category,  # noqa: E712
                              Case.status != Status.rejected.value)
    if person_id_number:
        stmt = stmt.where(Case.person_id_number == person_id_number)
    elif household_id is not None:
        stmt = stmt.where(Case.household_id == household_id)
    else:
        return []
    out = []
    for c in session.exec(stmt).all():
        if c.id == exclude_case_id:
            continue
        out.append(c.aid_on or c.received_on)
    return out


def _event(session: Session, case: Case, *, actor: Actor, transition: str, from_status: str,
           on_day: date, reason: str = "") -> CaseEvent:
    ev = CaseEvent(case_id=case.id, transition=transition, from_status=from_status,
                   to_status=case.status, on_day=on_day, actor=actor.username,
                   role=rules.role_name(actor), reason=reason or "")
    session.add(ev)
    return ev


# ----------------------------------------------------------------------------- intake
def intake(
    *,
    session: Session,
    actor: Actor,
    channel: str,
    category: str,
    received_on: date,
    amount_yuan: Any = 0,
    cause: str = "",
    person_name: str = "",
    person_id_number: str | None = None,
    phone: str = "",
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
    household_id: int | None = None,
    work_order_no: str | None = None,
    follow_up: bool = False,
    hardship_event_id: int | None = None,
    blacklist_override_reason: str | None = None,
) -> Case:
    """Record a request for help from any channel (登记救助案件)."""
    _require_write(actor)
    rules.check_intake_role(actor)
    try:
        ch = Channel(channel)
    except ValueError:
        raise DomainError(f"未知来源渠道：{channel}", f"unknown channel: {channel}", code="bad_channel") from None
    try:
        cat = Category(category)
    except ValueError:
        raise DomainError(f"未知救助类别：{category}", f"unknown category: {category}",
                          code="bad_category") from None
    amount = Decimal(str(amount_yuan or 0))
    if amount < 0:
        raise DomainError("申请金额不能为负数", "amount cannot be negative", code="bad_amount")
    if person_id_number:
        from grid.ids import id_number_problem, normalize_id_number

        problem = id_number_problem(person_id_number)
        if problem:
            raise DomainError(problem, "invalid ID number", code="bad_id_number")
        person_id_number = normalize_id_number(person_id_number)

    household: Household | None = None
    if household_id is not None:
        household = session.get(Household, household_id)
        if household is None:
            raise DomainError(f"户{household_id}不存在", f"household {household_id} not found",
                              code="not_found")
    else:
        household, _n = match_household(session, person_name=person_name,
                                        person_id_number=person_id_number, phone=phone,
                                        address=address)
    if household is not None:
        if not person_name:
            person_name = household.head_name
        if not person_id_number:
            person_id_number = household.head_id_number
        if not address:
            address = household.address
        if lon is None or lat is None:
            lon, lat = household.lon, household.lat
    grid_code = locate_grid(session, lon, lat)
    if household is not None and grid_code is None:
        grid_code = _household_grid(session, household)
    if grid_code is not None or actor.grid_codes is not None:
        _check_scope(actor, grid_code)

    entry = blacklist_entry(session, person_id_number)
    overridden = rules.check_blacklist(entry.reason if entry else None, role=actor,
                                       override_reason=blacklist_override_reason)
    if follow_up:
        rules.check_follow_up(
            _follow_up_dates(session, person_id_number=person_id_number,
                             household_id=household.id if household else None,
                             category=cat.value),
            received_on,
        )
    if work_order_no:
        dup = session.exec(select(Case.id).where(Case.work_order_no == work_order_no)).first()
        if dup is not None:
            raise DomainError(f"工单号{work_order_no}已登记（案件{dup}）",
                              f"work order {work_order_no} already recorded", code="duplicate")

    dl = rules.approval_deadline(received_on)
    case = Case(
        case_no=f"TMP-{uuid.uuid4().hex[:20]}",
        channel=ch.value, category=cat.value, cause=cause or CATEGORY_LABELS[cat],
        amount_requested_fen=fen(amount), person_name=person_name or "",
        person_id_number=person_id_number, phone=phone or "", address=address or "",
        lon=lon, lat=lat, household_id=household.id if household else None, grid_code=grid_code,
        match_status=MATCHED if household is not None else TO_MATCH,
        work_order_no=work_order_no or None, hardship_event_id=hardship_event_id,
        status=Status.reported.value, received_on=received_on,
        approval_due_on=dl.due_on, approval_provisional=dl.provisional, follow_up=bool(follow_up),
        blacklist_override_reason=(blacklist_override_reason or "") if overridden else "",
        reported_by=actor.username,
    )
    session.add(case)
    session.flush()
    case.case_no = f"JZ{received_on:%Y%m}-{case.id:06d}"
    _event(session, case, actor=actor, transition="report", from_status="", on_day=received_on,
           reason=f"{CHANNEL_LABELS[ch]}：{case.cause}")
    session.flush()
    audit.record(session, actor=actor, action="case.intake", entity="aid_case", entity_id=case.id,
                 after=_snapshot(case),
                 reason=("失信名单放行：" + blacklist_override_reason) if overridden else "")
    return case


def match_case(*, session: Session, actor: Actor, case_id: int, household_id: int,
               reason: str = "") -> Case:
    """Resolve a case in the "to match" queue by hand (an officer picks the household)."""
    _require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    hh = session.get(Household, household_id)
    if hh is None:
        raise DomainError(f"户{household_id}不存在", f"household {household_id} not found", code="not_found")
    before = _snapshot(case)
    case.household_id = hh.id
    case.match_status = MATCHED
    case.grid_code = case.grid_code or _household_grid(session, hh)
    if case.lon is None:
        case.lon, case.lat = hh.lon, hh.lat
    if not case.person_id_number:
        case.person_id_number = hh.head_id_number
    session.add(case)
    _flush_versioned(session, f"案件{case.case_no}")
    audit.record(session, actor=actor, action="case.match", entity="aid_case", entity_id=case.id,
                 before=before, after=_snapshot(case), reason=reason)
    return case


# ----------------------------------------------------------------------------- transitions
def transition(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    name: str,
    on_day: date,
    reason: str = "",
    expected_version: int | None = None,
    amount_yuan: Any = None,
    review_opinion: str | None = None,
) -> Case:
    """Take the named transition (see cases.rules.TRANSITIONS) on ``on_day``."""
    _require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    if expected_version is not None and case.version != expected_version:
        raise StaleEdit(f"案件{case.case_no}已被他人修改，请刷新后重试 (case changed by someone else)")
    facts = _facts(case)
    if amount_yuan is not None and name in ("approve_town", "approve_county", "pay_first"):
        facts = CaseFacts(case.status, Decimal(str(amount_yuan)),
                          matched=facts.matched, aid_first=facts.aid_first)
    target = rules.check_transition(facts, name, actor, reason=reason)
    before = _snapshot(case)
    src = case.status
    amount_fen = fen(amount_yuan) if amount_yuan is not None else case.amount_requested_fen
    if name in ("approve_town", "approve_county"):
        case.decided_on = on_day
        case.amount_approved_fen = amount_fen
        case.review_opinion = review_opinion or reason or "经核实，情况属实，符合临时救助条件"
        case.decision = f"同意救助{amount_fen / 100:.2f}元"
    elif name == "reject":
        case.decided_on = on_day
        case.review_opinion = review_opinion or reason
        case.decision = f"不予救助：{reason}"
    elif name in ("pay", "pay_first"):
        if name == "pay_first":
            case.aid_first = True
            case.amount_approved_fen = amount_fen
            case.review_opinion = review_opinion or f"紧急情况先行救助：{reason}"
            case.decision = f"先行救助{amount_fen / 100:.2f}元"
            dl = rules.paperwork_deadline(on_day)
            case.paperwork_due_on, case.paperwork_provisional = dl.due_on, dl.provisional
        case.aid_on = on_day
        paid = case.amount_approved_fen or 0
        session.add(Payment(case_id=case.id, paid_on=on_day, amount_fen=paid,
                            payee_name=case.person_name, account_masked="本人账户",
                            aid_first=name == "pay_first", fund_account="town",
                            paid_by=actor.username))
        session.add(FundMovement(year=on_day.year, on_day=on_day, kind="town_spend", account="town",
                                 amount_fen=-paid, case_id=case.id,
                                 note=f"{case.case_no} {CATEGORY_LABELS[Category(case.category)]}"))
    elif name == "complete_files":
        case.files_completed_on = on_day
        if case.aid_first and not case.decided_on:
            case.decided_on = on_day
    elif name == "close":
        case.closed_on = on_day
    case.status = target.value
    session.add(case)
    _flush_versioned(session, f"案件{case.case_no}")
    _event(session, case, actor=actor, transition=name, from_status=src, on_day=on_day, reason=reason)
    audit.record(session, actor=actor, action=f"case.{name}", entity="aid_case", entity_id=case.id,
                 before=before, after=_snapshot(case), reason=reason)
    return case


# ----------------------------------------------------------------------------- referral
def refer(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    scheme: str,
    on_day: date,
    reason: str = "",
    compliant_cost_yuan: Any = None,
    insurance_paid_yuan: Any = 0,
) -> Referral:
    """转诊 to another scheme; medical referrals compute the ≥70% reimbursement."""
    _require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    try:
        sch = ReferralScheme(scheme)
    except ValueError:
        raise DomainError(f"未知转诊事项：{scheme}", f"unknown scheme: {scheme}", code="bad_scheme") from None
    name, department = REFERRAL_SCHEMES[sch]
    if case.status in rules.TRANSITIONS["refer"].sources:
        transition(session=session, actor=actor, case_id=case.id, name="refer", on_day=on_day,
                   reason=reason or f"转诊：{name}")
    elif case.status not in (Status.paid.value, Status.referred.value, Status.admitted.value):
        raise rules.IllegalTransition(
            f"案件状态“{STATUS_LABELS[Status(case.status)]}”下不能转诊",
            f"cannot refer a case in state '{case.status}'")
    else:
        rules.check_transition(CaseFacts(Status.accepted), "refer", actor)  # role check only
    ref = Referral(case_id=case.id, scheme=sch.value, department=department,
                   status=ReferralStatus.sent.value, sent_on=on_day, reason=reason or "",
                   fast_track=sch == ReferralScheme.medical
                   and case.category == Category.illness_or_disaster.value)
    if compliant_cost_yuan is not None:
        amount = rules.medical_reimbursement(compliant_cost_yuan, insurance_paid_yuan=insurance_paid_yuan)
        ref.compliant_cost_fen = fen(compliant_cost_yuan)
        ref.insurance_paid_fen = fen(insurance_paid_yuan)
        ref.reimbursed_fen = fen(amount)
    session.add(ref)
    session.flush()
    audit.record(session, actor=actor, action="referral.send", entity="aid_referral", entity_id=ref.id,
                 after={"case_id": case.id, "scheme": sch.value, "department": department,
                        "reimbursed_fen": ref.reimbursed_fen}, reason=reason)
    return ref


def update_referral(*, session: Session, actor: Actor, referral_id: int, status: str, on_day: date,
                    reason: str = "") -> Referral:
    _require_write(actor)
    ref = session.get(Referral, referral_id)
    if ref is None:
        raise DomainError(f"转诊{referral_id}不存在", f"referral {referral_id} not found", code="not_found")
    get_case(session=session, actor=actor, case_id=ref.case_id)  # scope
    new = rules.check_referral_transition(ref.status, status, reason=reason)
    before = {"status": ref.status}
    ref.status = new.value
    if new in (ReferralStatus.accepted, ReferralStatus.rejected):
        ref.responded_on = on_day
    if new == ReferralStatus.done:
        ref.done_on = on_day
    if reason:
        ref.reason = reason
    session.add(ref)
    _flush_versioned(session, f"转诊{ref.id}")
    audit.record(session, actor=actor, action=f"referral.{new.value}", entity="aid_referral",
                 entity_id=ref.id, before=before, after={"status": ref.status}, reason=reason)
    return ref


# ----------------------------------------------------------------------------- admission
def admit(*, session: Session, actor: Actor, case_id: int, on_day: date, verified: bool = True,
          dependent_severe_member: bool | None = None, member_can_register_alone: bool = False,
          no_labour_no_income_no_supporter: bool = False,
          dibao_standard_yuan: float | None = None, reason: str = "") -> rules.AdmissionDecision:
    """住院: assess 低保/特困 admission (incl. the single-person rule) and record it."""
    _require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    hh = session.get(Household, case.household_id) if case.household_id else None
    if hh is None:
        raise DomainError("案件未匹配到家庭，无法评估纳入", "case has no household", code="not_matched")
    std = dibao_standard_yuan if dibao_standard_yuan is not None else dibao_standard(on_day)
    facts = rules.AdmissionFacts(
        members=hh.members, income_per_capita_yuan=hh.income_per_capita_yuan,
        dibao_standard_yuan=std, verified=verified,
        dependent_severe_member=(hh.severe_disability or hh.serious_illness)
        if dependent_severe_member is None else dependent_severe_member,
        member_can_register_alone=member_can_register_alone,
        no_labour_no_income_no_supporter=no_labour_no_income_no_supporter,
    )
    decision = rules.assess_admission(facts)
    if not decision.eligible:
        raise DomainError(f"不符合纳入条件：{decision.reason}", "not eligible for admission",
                          code="not_eligible", decision=asdict(decision))
    transition(session=session, actor=actor, case_id=case.id, name="admit", on_day=on_day,
               reason=reason or decision.reason)
    before = {"dibao": hh.dibao, "tekun": hh.tekun}
    if decision.scheme == "dibao":
        hh.dibao = True
    elif decision.scheme == "tekun":
        hh.tekun = True
    session.add(hh)
    session.flush()
    audit.record(session, actor=actor, action="household.admit", entity="household", entity_id=hh.id,
                 before=before, after={"dibao": hh.dibao, "tekun": hh.tekun,
                                       "single_person": decision.single_person},
                 reason=decision.reason)
    return decision


# ----------------------------------------------------------------------------- blacklist
def add_to_blacklist(*, session: Session, actor: Actor, person_id_number: str, person_name: str,
                     reason: str, evidence: str, listed_on: date) -> BlacklistEntry:
    _require_write(actor)
    if rules.role_name(actor) not in ("township_leader", "county_staff", "system"):
        raise AccessDenied("只有镇街领导或县民政局可以列入失信名单 / officers only")
    if not (reason.strip() and evidence.strip()):
        raise DomainError("列入失信名单须写明理由并附证据", "reason and evidence are required",
                          code="reason_required")
    e = BlacklistEntry(person_id_number=person_id_number.strip().upper(), person_name=person_name,
                       reason=reason, evidence=evidence, listed_on=listed_on,
                       listed_by=actor.username)
    session.add(e)
    session.flush()
    audit.record(session, actor=actor, action="blacklist.add", entity="aid_blacklist", entity_id=e.id,
                 after={"person": rules.mask_id(e.person_id_number), "reason": reason}, reason=reason)
    return e


def blacklist_rows(*, session: Session, actor: Actor) -> list[dict]:
    rows = session.exec(select(BlacklistEntry).order_by(BlacklistEntry.listed_on.desc())).all()
    return [{"id": e.id, "person_name": rules.mask_name(e.person_name),
             "person_id_number": rules.mask_id(e.person_id_number), "reason": e.reason,
             "evidence": e.evidence, "listed_on": e.listed_on, "active": e.active} for e in rows]


# ----------------------------------------------------------------------------- reading
def case_row(case: Case, today: date, *, sees_personal: bool = True) -> dict:
    """One case as a flat dict with its deadlines judged on ``today``."""
    status = Status(case.status)
    if case.aid_first and case.paperwork_due_on is not None:
        due, done = case.paperwork_due_on, case.files_completed_on
        provisional = case.paperwork_provisional
        step = "paperwork"
    else:
        due, done = case.approval_due_on, case.decided_on
        provisional = case.approval_provisional
        step = "approval"
    open_ = status in rules.OPEN_STATUSES and done is None
    dstat = rules.deadline_status(due, today, done_on=None if open_ else done)
    approval_overdue = (case.decided_on or today) > case.approval_due_on if not case.aid_first else False
    paperwork_overdue = bool(case.paperwork_due_on and (case.files_completed_on or today) > case.paperwork_due_on)
    return {
        "id": case.id, "case_no": case.case_no, "channel": case.channel,
        "channel_label": CHANNEL_LABELS[Channel(case.channel)],
        "category": case.category, "category_label": CATEGORY_LABELS[Category(case.category)],
        "status": case.status, "status_label": STATUS_LABELS[status],
        "amount_yuan": yuan(case.amount_requested_fen),
        "approved_yuan": yuan(case.amount_approved_fen),
        "received_on": case.received_on.isoformat(),
        "approval_due_on": case.approval_due_on.isoformat(),
        "decided_on": case.decided_on.isoformat() if case.decided_on else None,
        "aid_first": case.aid_first,
        "aid_on": case.aid_on.isoformat() if case.aid_on else None,
        "paperwork_due_on": case.paperwork_due_on.isoformat() if case.paperwork_due_on else None,
        "files_completed_on": case.files_completed_on.isoformat() if case.files_completed_on else None,
        "deadline_step": step,
        "due_on": due.isoformat(),
        "working_days_left": working_days_between(today, due) if open_ else None,
        "deadline_status": dstat,
        "overdue": approval_overdue or paperwork_overdue,
        "provisional": bool(provisional or is_provisional(due)),
        "household_id": case.household_id, "grid_code": case.grid_code,
        "match_status": case.match_status, "follow_up": case.follow_up,
        "person_name": case.person_name if sees_personal else rules.mask_name(case.person_name),
        "cause": case.cause, "lon": case.lon, "lat": case.lat, "version": case.version,
    }


def list_cases(*, session: Session, actor: Actor, today: date, status: Iterable[str] | None = None,
               category: str | None = None, channel: str | None = None,
               grid_code: str | None = None, match_status: str | None = None,
               overdue_only: bool = False, limit: int | None = None) -> list[dict]:
    stmt = select(Case).where(_scope_filter(actor))
    if status:
        stmt = stmt.where(Case.status.in_(list(status)))
    if category:
        stmt = stmt.where(Case.category == category)
    if channel:
        stmt = stmt.where(Case.channel == channel)
    if grid_code:
        stmt = stmt.where(Case.grid_code == grid_code)
    if match_status:
        stmt = stmt.where(Case.match_status == match_status)
    stmt = stmt.order_by(Case.received_on.desc(), Case.id.desc())
    if limit and not overdue_only:
        stmt = stmt.limit(limit)
    sees = getattr(actor, "sees_personal_data", True)
    rows = [case_row(c, today, sees_personal=sees) for c in session.exec(stmt).all()]
    if overdue_only:
        rows = [r for r in rows if r["deadline_status"] == "overdue"]
        if limit:
            rows = rows[:limit]
    return rows


def pending_cases_frame(session: Session, actor: Actor, today: date) -> pd.DataFrame:
    """Open cases for the map's case layer, with working-day countdowns."""
    cols = ["id", "case_no", "category", "lon", "lat", "grid_code", "status", "due_on",
            "working_days_left", "deadline_status", "provisional"]
    rows = list_cases(session=session, actor=actor, today=today,
                      status=[s.value for s in rules.OPEN_STATUSES])
    rows = [r for r in rows if r["working_days_left"] is not None]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)[cols]
    df["due_on"] = pd.to_datetime(df["due_on"]).dt.date
    return df.reset_index(drop=True)


def case_detail(*, session: Session, actor: Actor, case_id: int, today: date) -> dict:
    case = get_case(session=session, actor=actor, case_id=case_id)
    row = case_row(case, today, sees_personal=getattr(actor, "sees_personal_data", True))
    events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                          .order_by(CaseEvent.on_day, CaseEvent.id)).all()
    row["events"] = [{"on_day": e.on_day.isoformat(), "transition": e.transition,
                      "from_status": e.from_status, "to_status": e.to_status,
                      "to_label": STATUS_LABELS[Status(e.to_status)], "actor": e.actor,
                      "role": e.role, "reason": e.reason} for e in events]
    row["referrals"] = [_referral_dict(r) for r in session.exec(
        select(Referral).where(Referral.case_id == case.id).order_by(Referral.id)).all()]
    row["payments"] = [{"paid_on": p.paid_on.isoformat(), "amount_yuan": yuan(p.amount_fen),
                        "aid_first": p.aid_first} for p in session.exec(
        select(Payment).where(Payment.case_id == case.id).order_by(Payment.id)).all()]
    row["review_opinion"], row["decision"] = case.review_opinion, case.decision
    row["blacklist_override_reason"] = case.blacklist_override_reason
    row["available_transitions"] = (
        rules.available_transitions(_facts(case), actor) if actor.may_write else [])
    return row


def _referral_dict(r: Referral) -> dict:
    return {"id": r.id, "case_id": r.case_id, "scheme": r.scheme,
            "scheme_label": REFERRAL_SCHEMES[ReferralScheme(r.scheme)][0],
            "department": r.department, "status": r.status,
            "status_label": rules.REFERRAL_STATUS_LABELS[ReferralStatus(r.status)],
            "sent_on": r.sent_on.isoformat(),
            "responded_on": r.responded_on.isoformat() if r.responded_on else None,
            "reason": r.reason, "fast_track": r.fast_track,
            "reimbursed_yuan": yuan(r.reimbursed_fen)}


def household_timeline(*, session: Session, actor: Actor, household_id: int) -> list[dict]:
    """一户一档: visits, risk flags, cases, decisions, payments, referrals and spot checks."""
    hh = session.get(Household, household_id)
    if hh is None:
        raise DomainError(f"户{household_id}不存在", f"household {household_id} not found", code="not_found")
    _check_scope(actor, _household_grid(session, hh))
    items: list[dict] = []
    for v in session.exec(select(Visit).where(Visit.household_id == household_id)).all():
        flags = [lbl for f, lbl in VISIT_FLAG_LABELS.items() if getattr(v, f)]
        items.append({"on": v.visited_on, "kind": "visit", "title": "入户走访",
                      "detail": ("发现：" + "、".join(flags)) if flags else "未见异常"})
        if flags:
            items.append({"on": v.visited_on, "kind": "risk_flag", "title": "风险信号",
                          "detail": "、".join(flags)})
    cases = session.exec(select(Case).where(Case.household_id == household_id)).all()
    case_ids = [c.id for c in cases]
    by_id = {c.id: c for c in cases}
    if case_ids:
        for e in session.exec(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))).all():
            c = by_id[e.case_id]
            kind = "case" if e.transition == "report" else "decision"
            items.append({"on": e.on_day, "kind": kind,
                          "title": f"{c.case_no} {STATUS_LABELS[Status(e.to_status)]}",
                          "detail": e.reason, "case_id": c.id})
        for p in session.exec(select(Payment).where(Payment.case_id.in_(case_ids))).all():
            items.append({"on": p.paid_on, "kind": "payment",
                          "title": f"{by_id[p.case_id].case_no} 发放{p.amount_fen / 100:.2f}元",
                          "detail": "先救助、后办理" if p.aid_first else "", "case_id": p.case_id})
        for r in session.exec(select(Referral).where(Referral.case_id.in_(case_ids))).all():
            items.append({"on": r.sent_on, "kind": "referral",
                          "title": f"转诊：{REFERRAL_SCHEMES[ReferralScheme(r.scheme)][0]}（{r.department}）",
                          "detail": rules.REFERRAL_STATUS_LABELS[ReferralStatus(r.status)]
                          + (f"：{r.reason}" if r.reason else ""), "case_id": r.case_id})
        for s in session.exec(select(SpotCheck).where(SpotCheck.case_id.in_(case_ids))).all():
            items.append({"on": s.checked_on or s.drawn_on, "kind": "spot_check",
                          "title": f"抽查（{s.month}，抽查人{s.inspector}）",
                          "detail": {"pending": "待核查", "ok": "核查无误",
                                     "problem": "发现问题"}.get(s.result, s.result)
                          + (f"：{s.result_note}" if s.result_note else ""),
                          "case_id": s.case_id})
    order = {"visit": 0, "risk_flag": 1, "case": 2, "decision": 3, "payment": 4, "referral": 5,
             "spot_check": 6}
    items.sort(key=lambda x: (x["on"], order[x["kind"]]))
    return items


# ----------------------------------------------------------------------------- disclosure
def _month_bounds(month: str) -> tuple[date, date]:
    try:
        y, m = (int(x) for x in month.split("-"))
        start = date(y, m, 1)
    except (ValueError, TypeError):
        raise DomainError(f"月份格式应为YYYY-MM：{month}", f"month must be YYYY-MM: {month}",
                          code="bad_month") from None
    end = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
    return start, end


def disclosure_rows(*, session: Session, actor: Actor, month: str,
                    complaint_phone: str = COMPLAINT_PHONE) -> list[dict]:
    """The monthly public list: everyone paid in ``month``, masked."""
    start, end = _month_bounds(month)
    stmt = (select(Payment, Case).join(Case, Payment.case_id == Case.id)
            .where(Payment.paid_on >= start, Payment.paid_on <= end, _scope_filter(actor))
            .order_by(Payment.paid_on, Payment.id))
    out = []
    for p, c in session.exec(stmt).all():
        out.append({
            "序号": len(out) + 1,
            "网格": c.grid_code or "",
            "救助对象": rules.mask_name(c.person_name),
            "身份证号": rules.mask_id(c.person_id_number),
            "救助政策": "临时救助" + ("（先救助、后办理）" if p.aid_first else ""),
            "救助类别": CATEGORY_LABELS[Category(c.category)],
            "救助事由": c.cause,
            "救助标准/金额（元）": round(p.amount_fen / 100, 2),
            "审核意见": c.review_opinion,
            "审批决定": c.decision,
            "发放日期": p.paid_on.isoformat(),
            "监督电话": complaint_phone,
        })
    return out


DISCLOSURE_HEADERS = ["序号", "网格", "救助对象", "身份证号", "救助政策", "救助类别", "救助事由",
                      "救助标准/金额（元）", "审核意见", "审批决定", "发放日期", "监督电话"]


def disclosure_frame(rows: list[dict], month: str, complaint_phone: str = COMPLAINT_PHONE) -> pd.DataFrame:
    """The public list as a table, with a total line and the policy/complaint note."""
    df = pd.DataFrame(rows, columns=DISCLOSURE_HEADERS)
    total = round(float(df["救助标准/金额（元）"].sum()), 2) if len(df) else 0.0
    tail = pd.DataFrame([
        {"序号": "合计", "救助对象": f"{len(rows)}人次", "救助标准/金额（元）": total},
        {"序号": "说明", "救助对象": f"{month}临时救助（急难救助）公示。临时救助500元以下（含）由镇街审批，"
                                 f"500元以上报县民政局审批。如有异议请拨打监督电话{complaint_phone}。"},
    ], columns=DISCLOSURE_HEADERS)
    return pd.concat([df, tail], ignore_index=True)


def export_disclosure(*, session: Session, actor: Actor, month: str, out_path: str | Path,
                      published_on: date, complaint_phone: str = COMPLAINT_PHONE) -> int:
    """Write the monthly disclosure XLSX (names and IDs masked); returns the number of rows."""
    from grid.export import write_xlsx

    rows = disclosure_rows(session=session, actor=actor, month=month, complaint_phone=complaint_phone)
    write_xlsx({f"{month}临时救助公示": disclosure_frame(rows, month, complaint_phone)}, out_path)
    record_disclosure(session=session, actor=actor, month=month, rows=rows, published_on=published_on)
    return len(rows)


def record_disclosure(*, session: Session, actor: Actor, month: str, rows: list[dict],
                      published_on: date) -> Disclosure:
    """Record that the month's list was published (rows from ``disclosure_rows``)."""
    total = sum(r["救助标准/金额（元）"] for r in rows)
    existing = session.exec(select(Disclosure).where(Disclosure.month == month)).first()
    if existing is None:
        session.add(Disclosure(month=month, published_on=published_on, rows=len(rows),
                               total_fen=fen(total), published_by=actor.username))
    else:
        existing.rows, existing.total_fen, existing.published_on = len(rows), fen(total), published_on
        session.add(existing)
    session.flush()
    audit.record(session, actor=actor, action="disclosure.publish", entity="aid_disclosure",
                 entity_id=month, after={"rows": len(rows), "total_yuan": round(total, 2)})
    return session.exec(select(Disclosure).where(Disclosure.month == month)).one()


def disclosure_history(*, session: Session, actor: Actor) -> list[dict]:
    return [{"month": d.month, "published_on": d.published_on.isoformat(), "rows": d.rows,
             "total_yuan": yuan(d.total_fen), "published_by": d.published_by}
            for d in session.exec(select(Disclosure).order_by(Disclosure.month.desc())).all()]


# ----------------------------------------------------------------------------- spot checks
def _inspector_pool(session: Session) -> tuple[list[str], dict[str, set[str]]]:
    """Full-time grid workers (name#id), each barred from inspecting their own grid."""
    rows = session.exec(select(GridWorker.id, GridWorker.name, CommunityGrid.code)
                        .join(CommunityGrid, GridWorker.grid_id == CommunityGrid.id)
                        .where(GridWorker.active == True,  # noqa: E712
                               GridWorker.employment == "full_time")).all()
    pool, conflicts = [], {}
    for wid, name, code in rows:
        label = f"{name}#{wid}"
        pool.append(label)
        conflicts.setdefault(code, set()).add(label)
    return pool, conflicts


def draw_spot_checks(*, session: Session, actor: Actor, month: str, seed: int | str, drawn_on: date,
                     inspectors: list[str] | None = None) -> list[SpotCheck]:
    """双随机: ≥30% of the month's recipients per grid, random inspectors, reproducible from seed."""
    _require_write(actor)
    existing = session.exec(select(SpotCheck).where(SpotCheck.month == month)
                            .order_by(SpotCheck.id)).all()
    if existing:
        if existing[0].seed != str(seed):
            raise DomainError(
                f"{month}已按种子{existing[0].seed}抽取，不能用另一个种子重抽",
                f"{month} was already drawn with seed {existing[0].seed}", code="already_drawn")
        return list(existing)
    start, end = _month_bounds(month)
    recips = session.exec(select(Case.id, Case.grid_code, Case.household_id)
                          .join(Payment, Payment.case_id == Case.id)
                          .where(Payment.paid_on >= start, Payment.paid_on <= end)
                          .distinct()).all()
    if not recips:
        return []
    if inspectors:
        pool, conflicts = list(inspectors), {}
    else:
        pool, conflicts = _inspector_pool(session)
    hh = {cid: h for cid, _g, h in recips}
    draws = rules.draw_spot_checks([(cid, g or "未定位") for cid, g, _h in recips], pool,
                                   seed=seed, conflicts=conflicts)
    out = []
    for d in draws:
        sc = SpotCheck(month=month, seed=str(seed), case_id=d.recipient_id,
                       household_id=hh[d.recipient_id], grid_code=d.grid_code,
                       inspector=d.inspector, drawn_on=drawn_on)
        session.add(sc)
        out.append(sc)
    session.flush()
    audit.record(session, actor=actor, action="spotcheck.draw", entity="aid_spot_check",
                 entity_id=month, after={"seed": str(seed), "drawn": len(out),
                                         "recipients": len(recips)})
    return out


def record_spot_check(*, session: Session, actor: Actor, spot_check_id: int, result: str,
                      note: str, checked_on: date) -> SpotCheck:
    _require_write(actor)
    if result not in ("ok", "problem"):
        raise DomainError("抽查结果只能是“无误”或“发现问题”", "result must be ok or problem",
                          code="bad_result")
    sc = session.get(SpotCheck, spot_check_id)
    if sc is None:
        raise DomainError(f"抽查{spot_check_id}不存在", "spot check not found", code="not_found")
    before = {"result": sc.result}
    sc.result, sc.result_note, sc.checked_on = result, note, checked_on
    session.add(sc)
    _flush_versioned(session, f"抽查{sc.id}")
    audit.record(session, actor=actor, action="spotcheck.result", entity="aid_spot_check",
                 entity_id=sc.id, before=before, after={"result": result}, reason=note)
    return sc


def spot_check_rows(*, session: Session, actor: Actor, month: str | None = None) -> list[dict]:
    stmt = select(SpotCheck, Case).join(Case, SpotCheck.case_id == Case.id).where(_scope_filter(actor))
    if month:
        stmt = stmt.where(SpotCheck.month == month)
    return [{"id": s.id, "month": s.month, "seed": s.seed, "case_no": c.case_no,
             "grid_code": s.grid_code, "inspector": s.inspector, "result": s.result,
             "result_note": s.result_note, "drawn_on": s.drawn_on.isoformat(),
             "checked_on": s.checked_on.isoformat() if s.checked_on else None}
            for s, c in session.exec(stmt.order_by(SpotCheck.month, SpotCheck.id)).all()]


# ----------------------------------------------------------------------------- funds
def allocate_year(*, session: Session, actor: Actor, year: int, on_day: date,
                  village_codes: Iterable[str] | None = None) -> list[FundMovement]:
    """County reserve (10 million yuan) and a 10,000-yuan petty reserve per village/community."""
    _require_write(actor)
    if village_codes is None:
        village_codes = session.exec(select(CommunityGrid.code).order_by(CommunityGrid.code)).all()
    moves = [FundMovement(year=year, on_day=on_day, kind="county_allocation", account="county_reserve",
                          amount_fen=fen(rules.COUNTY_RESERVE_YUAN), note="县级急难救助专项储备金")]
    for code in village_codes:
        moves.append(FundMovement(year=year, on_day=on_day, kind="village_reserve",
                                  account=f"village:{code}", amount_fen=fen(rules.VILLAGE_RESERVE_YUAN),
                                  note="村（居）备用金，预拨至镇街"))
    session.add_all(moves)
    session.flush()
    audit.record(session, actor=actor, action="funds.allocate", entity="aid_fund_movement",
                 entity_id=str(year), after={"movements": len(moves)})
    return moves


def record_donation(*, session: Session, actor: Actor, on_day: date, amount_yuan: Any,
                    note: str) -> FundMovement:
    _require_write(actor)
    m = FundMovement(year=on_day.year, on_day=on_day, kind="donation", account="town",
                     amount_fen=fen(amount_yuan), note=note)
    session.add(m)
    session.flush()
    audit.record(session, actor=actor, action="funds.donation", entity="aid_fund_movement",
                 entity_id=m.id, after={"amount_fen": m.amount_fen}, reason=note)
    return m


def fund_summary(*, session: Session, actor: Actor, year: int) -> dict:
    rows = session.exec(select(FundMovement.kind, FundMovement.account, func.sum(FundMovement.amount_fen))
                        .where(FundMovement.year == year)
                        .group_by(FundMovement.kind, FundMovement.account)).all()
    by_kind: dict[str, int] = {}
    village = 0
    for kind, account, total in rows:
        by_kind[kind] = by_kind.get(kind, 0) + int(total or 0)
        if account.startswith("village:"):
            village += int(total or 0)
    spent = -by_kind.get("town_spend", 0)
    county_share, town_share = rules.settlement(Decimal(spent) / 100)
    return {
        "year": year,
        "county_reserve_yuan": yuan(by_kind.get("county_allocation", 0)),
        "village_reserves_yuan": yuan(village),
        "donations_yuan": yuan(by_kind.get("donation", 0)),
        "town_spent_yuan": yuan(spent),
        "county_remaining_yuan": yuan(by_kind.get("county_allocation", 0)
                                      + by_kind.get("settlement_county", 0)),
        "settlement_county_yuan": float(county_share),
        "settlement_town_yuan": float(town_share),
        "settled": "settlement_county" in by_kind,
    }


def settle_year(*, session: Session, actor: Actor, year: int, on_day: date) -> dict:
    """Year-end settlement: county and town each bear 50% of the town's spending."""
    _require_write(actor)
    summary = fund_summary(session=session, actor=actor, year=year)
    if summary["settled"]:
        raise DomainError(f"{year}年度已结算", f"year {year} already settled", code="already_settled")
    share = fen(summary["settlement_county_yuan"])
    session.add(FundMovement(year=year, on_day=on_day, kind="settlement_county", account="county_reserve",
                             amount_fen=-share, note="年终结算：县级承担50%，拨付镇街"))
    session.add(FundMovement(year=year, on_day=on_day, kind="settlement_town", account="town",
                             amount_fen=share, note="年终结算：收到县级承担的50%，其余50%由镇街承担"))
    session.flush()
    audit.record(session, actor=actor, action="funds.settle", entity="aid_fund_movement",
                 entity_id=str(year), after=summary)
    return fund_summary(session=session, actor=actor, year=year)
