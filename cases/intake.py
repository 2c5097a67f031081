"""Intake from every channel (登记), matching to the household registry, and the credit blacklist."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from cases import eligibility, rules
from cases.common import (OUT_OF_SCOPE, OUT_OF_SCOPE_EN, check_scope, fen, flush_versioned, get_case, household_grid,
                          in_scope, listed_entry, person_history, record_event, require_write,
                          snapshot, business_today)
from cases.limits import case_limits
from cases.models import MATCHED, TO_MATCH, BlacklistEntry, Case
from cases.money import parse_amount
from cases.rules import CATEGORY_LABELS, CHANNEL_LABELS, Category, Channel, DomainError, Status
from grid import audit
from grid.access import AccessDenied, Actor
from grid.db import StaleEdit
from jizhen.ids import id_number_problem, normalize_id_number
from grid.models import CommunityGrid, Household


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


def _within(stmt, grid_codes):
    """Restrict a Household query to the grids ``grid_codes`` (None: every grid)."""
    if grid_codes is None:
        return stmt
    return stmt.join(CommunityGrid, Household.grid_id == CommunityGrid.id).where(
        CommunityGrid.code.in_(sorted(grid_codes) or [""]))


def match_household(session: Session, *, person_name: str = "", person_id_number: str | None = None,
                    phone: str = "", address: str = "",
                    grid_codes: frozenset[str] | None = None) -> tuple[Household | None, int]:
    """Match to the registry only when unambiguous: (household, number of candidates).

    The ID number of the head decides on its own. Otherwise a name must agree together with the
    phone or the exact address; two or more candidates → no match (never guessed). ``grid_codes``
    limits the registry to those grids (a grid user never matches, or learns of, anyone outside).
    """
    if person_id_number:
        hh = session.exec(_within(select(Household).where(
            Household.head_id_number == person_id_number.strip().upper()), grid_codes)).all()
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
    cands = session.exec(_within(select(Household).where(Household.head_name == name, or_(*conds)),
                                 grid_codes)).all()
    if len(cands) == 1:
        return cands[0], 1
    return None, len(cands)


def blacklist_entry(session: Session, person_id_number: str | None) -> BlacklistEntry | None:
    return listed_entry(session, [person_id_number])


@dataclass
class _Person:
    """Who asks for help, completed from the registry when the household is known."""

    name: str
    id_number: str | None
    address: str
    lon: float | None
    lat: float | None
    household: Household | None = None


def _parse_request(channel: str, category: str, amount_yuan: Any,
                   person_id_number: str | None) -> tuple[Channel, Category, Decimal, str | None]:
    try:
        ch = Channel(channel)
    except ValueError:
        raise DomainError(f"未知来源渠道：{channel}", f"unknown channel: {channel}", code="bad_channel") from None
    try:
        cat = Category(category)
    except ValueError:
        raise DomainError(f"未知救助类别：{category}", f"unknown category: {category}",
                          code="bad_category") from None
    amount = parse_amount(amount_yuan, max_yuan=case_limits().max_case_yuan, what="申请金额",
                          allow_zero=True, allow_blank=True)
    if person_id_number:
        from grid.ids import id_number_problem, normalize_id_number

        problem = id_number_problem(person_id_number)
        if problem:
            raise DomainError(problem, problem.en, code="bad_id_number")
        person_id_number = normalize_id_number(person_id_number)
    return ch, cat, amount, person_id_number


def scoped_household(session: Session, actor: Actor, household_id: int) -> Household:
    """The household, if the actor may see it. A grid user gets one refusal for "not in your grids"
    and "does not exist" alike (no grid code, no name: nothing to probe)."""
    household = session.get(Household, household_id)
    if actor.grid_codes is not None:
        if household is None or not in_scope(actor, household_grid(session, household)):
            raise AccessDenied(f"该户{OUT_OF_SCOPE}", en=f"The household {OUT_OF_SCOPE_EN}.",
                               code="out_of_scope")
    if household is None:
        raise DomainError(f"户{household_id}不存在", f"household {household_id} not found",
                          code="not_found")
    return household


def _resolve_person(session: Session, actor: Actor, person: _Person, *, household_id: int | None,
                    phone: str) -> _Person:
    """The given household, else an unambiguous registry match within the actor's grids; fill
    blanks from it."""
    if household_id is not None:
        household = scoped_household(session, actor, household_id)
    else:
        household, _n = match_household(session, person_name=person.name,
                                        person_id_number=person.id_number, phone=phone,
                                        address=person.address, grid_codes=actor.grid_codes)
    if household is None:
        return person
    lon, lat = person.lon, person.lat
    if lon is None or lat is None:
        lon, lat = household.lon, household.lat
    return _Person(name=person.name or household.head_name,
                   id_number=person.id_number or household.head_id_number,
                   address=person.address or household.address, lon=lon, lat=lat,
                   household=household)


@dataclass
class _Checked:
    overridden: bool  # an officer overrode the blacklist
    follow_up: bool  # derived from the paid history (or ticked)
    paid_dates: list[date]  # paid same-cause grants within the year before


def _check_refusals(session: Session, actor: Actor, person: _Person, *, category: Category,
                    received_on: date, follow_up: bool, work_order_no: str | None,
                    blacklist_override_reason: str | None) -> _Checked:
    """Blacklist (the person's and the household head's ID), follow-up limit, duplicate work order.

    Follow-up: the flag is derived from the paid history (cases.eligibility). A ticked follow-up is
    refused here when the paid grants plus the requests still in progress reach the limit; an
    unticked request is recorded (一户一档) with the derived flag, and every grant step
    (approve / pay) refuses a grant beyond the limit on the paid history.
    """
    hh = person.household
    entry = listed_entry(session, [person.id_number, hh.head_id_number if hh else None])
    overridden = rules.check_blacklist(entry.reason if entry else None, role=actor,
                                       override_reason=blacklist_override_reason)
    key = eligibility.PersonKey(person.id_number, hh.id if hh else None)
    history = person_history(session, key, category.value)
    paid = eligibility.paid_grant_dates(history)
    if follow_up:
        rules.check_follow_up(paid + eligibility.pending_request_dates(history), received_on)
    if work_order_no:
        dup = session.exec(select(Case.id).where(Case.work_order_no == work_order_no)).first()
        if dup is not None:
            raise DomainError(f"工单号{work_order_no}已登记（案件{dup}）",
                              f"work order {work_order_no} already recorded", code="duplicate")
    return _Checked(overridden, bool(follow_up) or eligibility.is_follow_up(paid, received_on),
                    eligibility.within_year(paid, received_on))


def _follow_up_note(checked: _Checked, ticked: bool) -> str:
    if not checked.follow_up or ticked:
        return ""
    ds = "、".join(d.isoformat() for d in checked.paid_dates)
    note = f"（系统按已发放记录认定为复诊救助：12个月内同一事由已发放{len(checked.paid_dates)}次：{ds}"
    if len(checked.paid_dates) >= eligibility.FOLLOW_UP_MAX_PER_YEAR:
        note += "，已达上限，不得再次批准或发放"
    return note + "）"


def check_received_on(received_on: date, today: date) -> None:
    """A request is received on a real day that has come: a date, not after ``today``."""
    if not isinstance(received_on, date):
        raise DomainError(f"受理日期无效：{received_on!r}", f"invalid date received: {received_on!r}",
                          code="bad_date")
    if received_on > today:
        raise DomainError(f"受理日期{received_on.isoformat()}晚于今天（{today.isoformat()}），不能登记未来日期",
                          f"date received {received_on.isoformat()} is after today ({today.isoformat()})",
                          code="future_date")


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
    today: date | None = None,
) -> Case:
    """Record a request for help from any channel (登记救助案件). ``received_on`` may not be
    after ``today`` (default: the business date, Asia/Shanghai)."""
    require_write(actor)
    rules.check_intake_role(actor)
    check_received_on(received_on, today or business_today())
    ch, cat, amount, person_id_number = _parse_request(channel, category, amount_yuan,
                                                       person_id_number)
    who = _resolve_person(session, actor, _Person(person_name, person_id_number, address, lon, lat),
                          household_id=household_id, phone=phone)
    household = who.household
    grid_code = locate_grid(session, who.lon, who.lat)
    if household is not None and grid_code is None:
        grid_code = household_grid(session, household)
    if grid_code is None and actor.grid_codes is not None:
        # A grid user's intake is theirs when its location (a map click, a registry address or a
        # matched household) lies in their grids: without a location there is nothing to scope by.
        raise DomainError("未能确定求助人所在网格：请在地图上点选所在位置，或从户籍地址中选择",
                          "no location: click the map or pick a registry address",
                          code="no_location")
    if grid_code is not None or actor.grid_codes is not None:
        check_scope(actor, grid_code)
    checked = _check_refusals(session, actor, who, category=cat, received_on=received_on,
                              follow_up=follow_up, work_order_no=work_order_no,
                              blacklist_override_reason=blacklist_override_reason)
    overridden = checked.overridden
    dl = rules.approval_deadline(received_on)
    case = Case(
        case_no=f"TMP-{uuid.uuid4().hex[:20]}",
        channel=ch.value, category=cat.value, cause=cause or CATEGORY_LABELS[cat],
        amount_requested_fen=fen(amount), person_name=who.name or "",
        person_id_number=who.id_number, phone=phone or "", address=who.address or "",
        lon=who.lon, lat=who.lat, household_id=household.id if household else None,
        grid_code=grid_code, match_status=MATCHED if household is not None else TO_MATCH,
        work_order_no=work_order_no or None, hardship_event_id=hardship_event_id,
        status=Status.reported.value, received_on=received_on,
        approval_due_on=dl.due_on, approval_provisional=dl.provisional, follow_up=checked.follow_up,
        blacklist_override_reason=(blacklist_override_reason or "") if overridden else "",
        reported_by=actor.username,
    )
    session.add(case)
    session.flush()
    case.case_no = f"JZ{received_on:%Y%m}-{case.id:06d}"
    record_event(session, case, actor=actor, transition="report", from_status="",
                 on_day=received_on,
                 reason=f"{CHANNEL_LABELS[ch]}：{case.cause}{_follow_up_note(checked, follow_up)}")
    session.flush()
    audit.record(session, actor=actor, action="case.intake", entity="aid_case", entity_id=case.id,
                 after=snapshot(case),
                 reason=("失信名单放行：" + blacklist_override_reason) if overridden else "")
    return case


def match_case(*, session: Session, actor: Actor, case_id: int, household_id: int,
               reason: str = "", blacklist_override_reason: str | None = None) -> Case:
    """Resolve a case in the "to match" queue by hand (an officer picks the household).

    Scoped: a grid user matches only to a household in their grids. The case gains a person here,
    so the credit blacklist is checked (the person's and the household head's ID number): a listed
    person needs an officer's override with a reason (kept on the case, audited).
    """
    require_write(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    hh = scoped_household(session, actor, household_id)
    entry = listed_entry(session, [case.person_id_number, hh.head_id_number])
    overridden = False
    if entry is not None and not case.blacklist_override_reason:
        overridden = rules.check_blacklist(entry.reason, role=actor,
                                           override_reason=blacklist_override_reason)
    before = snapshot(case)
    if overridden:
        case.blacklist_override_reason = blacklist_override_reason.strip()
    case.household_id = hh.id
    case.match_status = MATCHED
    case.grid_code = case.grid_code or household_grid(session, hh)
    if case.lon is None:
        case.lon, case.lat = hh.lon, hh.lat
    if not case.person_id_number:
        case.person_id_number = hh.head_id_number
    paid = eligibility.paid_grant_dates(person_history(
        session, eligibility.PersonKey(case.person_id_number, hh.id), case.category,
        exclude_case_id=case.id))
    case.follow_up = case.follow_up or eligibility.is_follow_up(paid, case.received_on)
    session.add(case)
    flush_versioned(session, f"案件{case.case_no}")
    audit.record(session, actor=actor, action="case.match", entity="aid_case", entity_id=case.id,
                 before=before, after=snapshot(case),
                 reason=reason + (f"（失信名单放行：{case.blacklist_override_reason}）" if overridden else ""))
    return case


BLACKLIST_ROLES = frozenset({"township_leader", "county_staff", "system"})  # propose, review, lift
BLACKLIST_READERS = BLACKLIST_ROLES | {"auditor"}  # the list is visible to officers (and audit)
BLACKLIST_REVIEW = {"pending": ("待复核", "pending review"), "approved": ("已生效", "in force"),
                    "rejected": ("复核未通过", "rejected"), "lifted": ("已移出", "lifted")}


def _blacklist_officer(actor: Actor, what_zh: str) -> None:
    require_write(actor)
    if rules.role_name(actor) not in BLACKLIST_ROLES:
        raise AccessDenied(f"只有镇街领导或县民政局可以{what_zh}（{actor.username}无权） / officers only",
                           en=f"Only township leaders or county staff may do this ({actor.username} may not).",
                           code="role_denied")


def _blacklist_get(session: Session, entry_id: int, expected_version: int | None) -> BlacklistEntry:
    e = session.get(BlacklistEntry, entry_id)
    if e is None:
        raise DomainError(f"失信名单记录{entry_id}不存在", f"blacklist entry {entry_id} not found",
                          code="not_found")
    if expected_version is not None and e.version != expected_version:
        raise StaleEdit(f"失信名单记录{entry_id}已被他人修改，请刷新后重试 (changed by someone else)")
    return e


def add_to_blacklist(*, session: Session, actor: Actor, person_id_number: str, person_name: str,
                     reason: str, evidence: str, listed_on: date) -> BlacklistEntry:
    """Propose a person for the credit blacklist (失信惩戒), with reason and evidence.

    The entry is PENDING until a second officer approves it (review_blacklist): a pending entry
    does not block intake. Officers only; audited."""
    _blacklist_officer(actor, "提请列入失信名单")
    reason, evidence = " ".join((reason or "").split()), (evidence or "").strip()
    if not (reason and evidence):
        raise DomainError("列入失信名单须写明理由并附证据", "reason and evidence are required",
                          code="reason_required")
    problem = id_number_problem((person_id_number or "").strip())
    if problem:
        raise DomainError(f"身份证号无效：{problem}", f"invalid ID number: {problem.en}", code="bad_id_number")
    if not (person_name or "").strip():
        raise DomainError("请填写姓名", "the name is required", code="name_required")
    number = normalize_id_number(person_id_number)
    open_entry = session.exec(select(BlacklistEntry.id).where(
        BlacklistEntry.person_id_number == number,
        BlacklistEntry.review_status.in_(["pending", "approved"]),
        BlacklistEntry.lifted_on.is_(None))).first()
    if open_entry is not None:
        raise DomainError(f"此人已在失信名单中或待复核（记录{open_entry}）",
                          f"already listed or pending (entry {open_entry})", code="already_listed")
    e = BlacklistEntry(person_id_number=number, person_name=person_name.strip()[:32],
                       reason=reason[:500], evidence=evidence[:1000], listed_on=listed_on,
                       listed_by=actor.username, active=False, review_status="pending")
    session.add(e)
    session.flush()
    audit.record(session, actor=actor, action="blacklist.add", entity="aid_blacklist", entity_id=e.id,
                 after={"person": rules.mask_id(e.person_id_number), "reason": reason,
                        "review_status": "pending"}, reason=reason)
    return e


def review_blacklist(*, session: Session, actor: Actor, entry_id: int, approve: bool, note: str,
                     on_day: date, expected_version: int | None = None) -> BlacklistEntry:
    """The second officer's review of a proposal: approve (the entry blocks from now on) or
    reject (with a reason). The reviewer cannot be the proposer. Audited."""
    _blacklist_officer(actor, "复核失信名单")
    e = _blacklist_get(session, entry_id, expected_version)
    if e.review_status != "pending":
        raise DomainError(f"失信名单记录{e.id}已复核（{BLACKLIST_REVIEW[e.review_status][0]}），不能重复复核",
                          "already reviewed", code="already_reviewed")
    if e.listed_by == actor.username:
        raise DomainError("复核须由提请人以外的另一名工作人员办理", "the reviewer cannot be the proposer",
                          code="same_officer")
    note = " ".join((note or "").split())
    if not approve and not note:
        raise DomainError("不同意列入须写明理由", "a rejection needs a reason", code="reason_required")
    before = {"review_status": e.review_status, "active": e.active}
    e.review_status = "approved" if approve else "rejected"
    e.active = bool(approve)
    e.reviewed_by, e.reviewed_on, e.review_note = actor.username, on_day, note[:500]
    session.add(e)
    flush_versioned(session, f"失信名单记录{e.id}")
    audit.record(session, actor=actor, action="blacklist.review", entity="aid_blacklist", entity_id=e.id,
                 before=before, after={"review_status": e.review_status, "active": e.active,
                                       "person": rules.mask_id(e.person_id_number)}, reason=note)
    return e


def lift_blacklist(*, session: Session, actor: Actor, entry_id: int, reason: str, on_day: date,
                   expected_version: int | None = None) -> BlacklistEntry:
    """Remove a person from the blacklist (移出), with a reason. Officers only; audited."""
    _blacklist_officer(actor, "移出失信名单")
    e = _blacklist_get(session, entry_id, expected_version)
    if e.review_status != "approved" or e.lifted_on is not None:
        raise DomainError(f"失信名单记录{e.id}不在名单中（{blacklist_state_label(e)}），无需移出",
                          "not in force", code="not_listed")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("移出失信名单须写明理由", "a reason is required", code="reason_required")
    before = {"active": e.active}
    e.active, e.lifted_on, e.lifted_by, e.lift_reason = False, on_day, actor.username, reason[:500]
    session.add(e)
    flush_versioned(session, f"失信名单记录{e.id}")
    audit.record(session, actor=actor, action="blacklist.lift", entity="aid_blacklist", entity_id=e.id,
                 before=before, after={"active": False, "person": rules.mask_id(e.person_id_number)},
                 reason=reason)
    return e


def blacklist_state(e: BlacklistEntry) -> str:
    """pending | approved | rejected | lifted (the one place this is decided)."""
    return "lifted" if e.lifted_on is not None else e.review_status


def blacklist_state_label(e: BlacklistEntry, lang: str = "zh") -> str:
    return BLACKLIST_REVIEW[blacklist_state(e)][0 if lang == "zh" else 1]


def blacklist_rows(*, session: Session, actor: Actor) -> list[dict]:
    """The blacklist for officers (names and ID numbers masked), newest first."""
    if rules.role_name(actor) not in BLACKLIST_READERS:
        raise AccessDenied(f"只有镇街领导、县民政局和审计可以查看失信名单（{actor.username}无权） / officers only",
                           en=f"Only township leaders, county staff and auditors see the credit blacklist "
                              f"({actor.username} may not).", code="role_denied")
    rows = session.exec(select(BlacklistEntry).order_by(BlacklistEntry.listed_on.desc(),
                                                        BlacklistEntry.id.desc())).all()
    return [{"id": e.id, "version": e.version, "person_name": rules.mask_name(e.person_name),
             "person_id_number": rules.mask_id(e.person_id_number), "reason": e.reason,
             "evidence": e.evidence, "listed_on": e.listed_on, "listed_by": e.listed_by,
             "state": blacklist_state(e), "reviewed_by": e.reviewed_by, "reviewed_on": e.reviewed_on,
             "review_note": e.review_note, "lifted_on": e.lifted_on, "lift_reason": e.lift_reason,
             "active": e.active} for e in rows]


def correct_person_id(*, session: Session, actor: Actor, case_id: int, person_id_number: str,
                      reason: str, expected_version: int | None = None,
                      blacklist_override_reason: str | None = None) -> Case:
    """Correct the ID number of a case's person (a typing error at intake), with a reason.

    The case changes its person here, so the credit blacklist is checked again (an officer's
    override is the only way through) and the follow-up flag is derived again; audited.
    """
    from grid.db import StaleEdit
    from grid.ids import id_number_problem, normalize_id_number

    require_write(actor)
    rules.check_intake_role(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    if expected_version is not None and case.version != expected_version:
        raise StaleEdit(f"案件{case.case_no}已被他人修改，请刷新后重试 (case changed by someone else)")
    if not (reason and reason.strip()):
        raise DomainError("更正身份证号须写明理由", "a reason is required", code="reason_required")
    problem = id_number_problem(person_id_number)
    if problem:
        raise DomainError(problem, problem.en, code="bad_id_number")
    new_id = normalize_id_number(person_id_number)
    hh = session.get(Household, case.household_id) if case.household_id else None
    entry = listed_entry(session, [new_id, hh.head_id_number if hh else None])
    overridden = rules.check_blacklist(entry.reason if entry else None, role=actor,
                                       override_reason=blacklist_override_reason)
    before = snapshot(case)
    old = case.person_id_number
    case.person_id_number = new_id
    if overridden:
        case.blacklist_override_reason = blacklist_override_reason.strip()[:500]
    paid = eligibility.paid_grant_dates(person_history(
        session, eligibility.PersonKey(new_id, case.household_id), case.category,
        exclude_case_id=case.id))
    case.follow_up = case.follow_up or eligibility.is_follow_up(paid, case.received_on)
    session.add(case)
    flush_versioned(session, f"案件{case.case_no}")
    audit.record(session, actor=actor, action="case.correct_person_id", entity="aid_case",
                 entity_id=case.id, before={**before, "person": rules.mask_id(old)},
                 after={**snapshot(case), "person": rules.mask_id(new_id)},
                 reason=reason.strip() + (f"（失信名单放行：{case.blacklist_override_reason}）"
                                          if overridden else ""))
    return case
