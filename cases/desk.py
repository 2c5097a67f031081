"""The case desk's decisions (what the 救助案件 page used to decide inside itself).

A form on the desk is bound to the record and the version it was shown with:

    shown = shown_case(detail)                       # captured when the form is DRAWN
    ...                                              # the person chooses, types, submits
    submit_action(session=s, actor=a, shown=shown,   # in the submit run
                  action=DeskAction(name="reject", on_day=day, reason="不符合条件"))

`submit_action` writes nothing and raises `FormOutdated` (Chinese + English, saying what changed
and who changed it) when the case moved on since it was shown, or when the chosen action is no
longer offered; the action is named by its transition name, never by a position in a list. Then
it dispatches to the one service that performs that action (cases.services: transition, refer,
admit) with the version the person saw. The same binding holds for a referral's status form
(`update_referral_bound`) and the to-match queue (`match_bound`).

Also here: the list's deadline filter and overdue count, and the monthly disclosure listing.
Pure functions take plain values; the *_bound / submit_* functions take ``*, session, actor``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

import pandas as pd
from sqlmodel import Session, select

from cases import services as svc
from cases.common import case_facts, get_case
from cases.errors import DomainError
from cases.models import Case, CaseEvent, Referral
from cases.referrals import _department_scope as department_scope
from cases.vocabulary import OPEN_DEADLINE_STATUSES
from cases.rules import (REFERRAL_SCHEMES, REFERRAL_STATUS_LABELS, ROLE_LABELS, STATUS_LABELS,
                         TRANSITIONS, ReferralStatus, Status, available_transitions)
from grid.access import Actor
from grid.db import StaleEdit

# Transitions whose form carries an approved / paid amount (the case's own request by default).
AMOUNT_TRANSITIONS = frozenset({"approve_town", "approve_county", "pay_first"})
# Transitions that run their own service (not cases.services.transition).
SERVICE_OF = {"refer": "refer", "admit": "admit"}
# Deadline filters the list offers, in this order: the statuses of a running clock
# (cases.vocabulary.OPEN_DEADLINE_STATUSES, the one definition).
DEADLINE_FILTERS = tuple(str(s.value) for s in OPEN_DEADLINE_STATUSES)
# How an approval is said in a sentence ("案件已被XX批准").
_APPROVALS = frozenset({"approve_town", "approve_county"})


class FormOutdated(DomainError):
    """The form was drawn on data that no longer holds; nothing was written."""

    code = "form_outdated"


# --------------------------------------------------------------------------- what a form shows
@dataclass(frozen=True)
class ShownCase:
    """The case as a form was drawn with it: identity, version, state, the actions offered then,
    and how many timeline events the person could see."""

    case_id: int
    case_no: str
    version: int
    status: str
    offered: tuple[str, ...]
    events_seen: int = 0


def shown_case(detail: dict) -> ShownCase:
    """The binding of a form to the case detail (cases.services.case_detail) it is drawn from."""
    return ShownCase(case_id=int(detail["id"]), case_no=str(detail["case_no"]),
                     version=int(detail["version"]), status=str(detail["status"]),
                     offered=tuple(detail.get("available_transitions") or ()),
                     events_seen=len(detail.get("events") or ()))


@dataclass(frozen=True)
class AdmissionInput:
    """What the admission form holds: every fact the rule needs, None until entered."""

    family_income_yuan: float | None = None
    members: int | None = None
    dependent_severe_member: bool | None = None
    member_can_register_alone: bool | None = None
    no_labour_no_income_no_supporter: bool | None = None

    def kwargs(self) -> dict:
        return {"family_income_yuan": self.family_income_yuan, "members": self.members,
                "dependent_severe_member": self.dependent_severe_member,
                "member_can_register_alone": self.member_can_register_alone,
                "no_labour_no_income_no_supporter": self.no_labour_no_income_no_supporter}


def yes_no(choice: str | None) -> bool | None:
    """A 是/否 radio's value as a fact: None while nothing is chosen (never a silent default)."""
    return None if choice is None else choice == "yes"


@dataclass(frozen=True)
class DeskAction:
    """What the person asked for: a transition by name and its inputs."""

    name: str | None
    on_day: date
    reason: str = ""
    amount_yuan: float | None = None
    scheme: str | None = None
    today: date | None = None  # the business date: a decision dated after it is refused
    backdate_reason: str = ""  # required when on_day is a late entry (cases.limits late_entry_days)
    # refer to medical assistance: the inputs of cases.rules.medical_reimbursement
    compliant_cost_yuan: float | None = None
    insurance_paid_yuan: float | None = None
    # admit: the facts the officer entered (cases.admission.admission_facts; None = not entered)
    facts: AdmissionInput | None = None


def default_amount(detail: dict) -> float:
    """The amount a decision form starts with: the case's own requested amount."""
    return float(detail.get("amount_yuan") or 0.0)


def amount_for(name: str | None, amount_yuan: float | None) -> float | None:
    """The amount a transition carries: only the transitions that decide an amount carry one."""
    return None if name not in AMOUNT_TRANSITIONS or amount_yuan is None else float(amount_yuan)


def _who(event: dict) -> str:
    role = event.get("role") or ""
    try:
        label = ROLE_LABELS[role]  # type: ignore[index]
    except (KeyError, ValueError):
        label = role
    return f"{event.get('actor') or '他人'}（{label}）" if label else str(event.get("actor") or "他人")


def _did(event: dict) -> tuple[str, str]:
    name = event.get("transition") or ""
    if name in _APPROVALS:
        return "批准", "approved"
    t = TRANSITIONS.get(name)
    return (f"办理“{t.label}”" if t else f"办理“{name}”"), f"took '{name}'"


def _label(name: str | None) -> str:
    t = TRANSITIONS.get(name or "")
    return t.label if t else (name or "—")


def outdated(shown: ShownCase, name: str | None, *, version: int, status: str,
             offered_now: Sequence[str], new_events: Sequence[dict] = (),
             me: str | None = None) -> tuple[str, str] | None:
    """Why a submit of action `name` on a form drawn as `shown` must not be written, given the
    case as it is now; None when it still holds. Returns (Chinese, English) messages.

    Refused when: no action was chosen; the case changed since it was shown (its version), told
    with who did what when the timeline says so (when the change is this very action by `me`,
    the submit was a repeated tap: said so); the chosen action was not among those shown, or is
    no longer offered."""
    if not name:
        return "请先选择要办理的操作，未保存。", "Choose an action first; nothing was saved."
    now_label = STATUS_LABELS[Status(status)]
    chosen = _label(name)
    if version != shown.version:
        if new_events and me is not None and [(e.get("transition"), e.get("actor"))
                                              for e in new_events] == [(name, me)]:
            return (f"您的操作“{chosen}”已办理（案件{shown.case_no}现为“{now_label}”），重复提交未再办理。",
                    f"Your '{name}' on case {shown.case_no} is already done; the repeated submit "
                    "did nothing.")
        if new_events:
            last = new_events[-1]
            did_zh, did_en = _did(last)
            return (f"案件{shown.case_no}已被{_who(last)}{did_zh}，现为“{now_label}”。"
                    f"您的操作“{chosen}”未保存，请查看最新状态。",
                    f"Case {shown.case_no} was meanwhile {did_en} by {last.get('actor')}; it is now "
                    f"'{status}'. Your '{name}' was not saved; check the current state.")
        return (f"案件{shown.case_no}已被他人修改，现为“{now_label}”。您的操作“{chosen}”未保存，"
                "请查看最新状态。",
                f"Case {shown.case_no} was changed by someone else; it is now '{status}'. "
                f"Your '{name}' was not saved; check the current state.")
    if name not in shown.offered or name not in offered_now:
        return (f"操作“{chosen}”现在不能办理（案件现为“{now_label}”），未保存，请查看最新状态。",
                f"'{name}' is not possible now (case is '{status}'); nothing was saved.")
    return None


# --------------------------------------------------------------------------- writes, bound
def _events_after(session: Session, case_id: int, seen: int) -> list[dict]:
    rows = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)
                        .order_by(CaseEvent.id)).all()
    return [{"transition": e.transition, "actor": e.actor, "role": e.role, "to_status": e.to_status,
             "on_day": e.on_day} for e in rows[seen:]]


def check_bound(*, session: Session, actor: Actor, shown: ShownCase, name: str | None) -> None:
    """Raise FormOutdated (nothing written) unless action `name` on the case still holds as shown."""
    case = get_case(session=session, actor=actor, case_id=shown.case_id)
    offered_now = available_transitions(case_facts(case), actor) if actor.may_write else []
    why = outdated(shown, name, version=int(case.version), status=case.status,
                   offered_now=offered_now, me=actor.username,
                   new_events=_events_after(session, case.id, shown.events_seen)
                   if case.version != shown.version else ())
    if why:
        raise FormOutdated(*why, case_id=shown.case_id, shown_version=shown.version,
                           version=int(case.version))


def submit_action(*, session: Session, actor: Actor, shown: ShownCase, action: DeskAction):
    """Perform the chosen action on the case as it was shown, or raise FormOutdated / the
    service's own DomainError / StaleEdit (a race after the check). One transaction (the
    caller's session)."""
    check_bound(session=session, actor=actor, shown=shown, name=action.name)
    name = action.name
    if name == "refer":
        if action.scheme not in {str(s.value) for s in REFERRAL_SCHEMES}:
            raise DomainError("请选择转诊事项", "choose a scheme to refer to", code="bad_scheme")
        if action.scheme == "medical" and action.compliant_cost_yuan is None:
            raise DomainError("转诊大病医疗救助须填写合规医疗费用（及医保已报销金额），以计算救助金额",
                              "a medical referral needs the compliant cost", code="cost_required")
        medical = action.scheme == "medical"
        return svc.refer(session=session, actor=actor, case_id=shown.case_id,
                         scheme=str(action.scheme), on_day=action.on_day, reason=action.reason,
                         compliant_cost_yuan=action.compliant_cost_yuan if medical else None,
                         insurance_paid_yuan=(action.insurance_paid_yuan or 0) if medical else 0)
    if name == "admit":
        facts = action.facts or AdmissionInput()
        return svc.admit(session=session, actor=actor, case_id=shown.case_id, on_day=action.on_day,
                         reason=action.reason, **facts.kwargs())
    return svc.transition(session=session, actor=actor, case_id=shown.case_id, name=name,
                          on_day=action.on_day, reason=action.reason,
                          expected_version=shown.version,
                          amount_yuan=amount_for(name, action.amount_yuan), today=action.today,
                          backdate_reason=action.backdate_reason or None)


@dataclass(frozen=True)
class ShownReferral:
    referral_id: int
    version: int
    status: str


def shown_referral(ref: dict, version: int) -> ShownReferral:
    return ShownReferral(int(ref["id"]), int(version), str(ref["status"]))


def referral_versions(*, session: Session, actor: Actor, case_id: int) -> dict[int, int]:
    """Version of each referral of a case in the actor's scope (for binding the referral form)."""
    get_case(session=session, actor=actor, case_id=case_id)  # scope
    return {int(r.id): int(r.version) for r in session.exec(
        select(Referral).where(Referral.case_id == case_id)).all()}


def update_referral_bound(*, session: Session, actor: Actor, shown: ShownReferral, status: str,
                          on_day: date, reason: str = ""):
    """cases.services.update_referral on the referral as it was shown, else FormOutdated."""
    ref = session.get(Referral, shown.referral_id)
    if ref is None:
        raise DomainError(f"转诊{shown.referral_id}不存在", "referral not found", code="not_found")
    if actor.role == "department":
        department_scope(actor, ref)  # its scheme only, before saying anything
    else:
        get_case(session=session, actor=actor, case_id=ref.case_id)  # scope before saying anything
    if int(ref.version) != shown.version or ref.status != shown.status:
        now = REFERRAL_STATUS_LABELS[ReferralStatus(ref.status)]
        raise FormOutdated(f"该转诊已被他人更新，现为“{now}”，您的修改未保存，请查看最新状态。",
                           f"The referral was changed meanwhile (now '{ref.status}'); nothing saved.")
    return svc.update_referral(session=session, actor=actor, referral_id=shown.referral_id,
                               status=status, on_day=on_day, reason=reason)


def match_bound(*, session: Session, actor: Actor, shown: ShownCase, household_id: int,
                reason: str = ""):
    """cases.services.match_case on the queued case as it was shown, else FormOutdated."""
    case = get_case(session=session, actor=actor, case_id=shown.case_id)
    if int(case.version) != shown.version:
        raise FormOutdated(f"案件{shown.case_no}已被他人处理，您的匹配未保存，请查看最新状态。",
                           f"Case {shown.case_no} was changed meanwhile; the match was not saved.")
    case = svc.match_case(session=session, actor=actor, case_id=shown.case_id,
                          household_id=int(household_id), reason=reason)
    return case


# --------------------------------------------------------------------------- intake location
def location_from_click(returned: dict | None) -> tuple[float, float] | None:
    """(lon, lat) of the newest click in st_folium's returned dict (``last_clicked``: {"lat",
    "lng"}), or None when there is none or it is not a finite point on the globe."""
    import math

    where = (returned or {}).get("last_clicked") or {}
    lat, lng = where.get("lat"), where.get("lng")
    if isinstance(lat, bool) or isinstance(lng, bool):
        return None
    if not isinstance(lat, (int, float)) or not isinstance(lng, (int, float)):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng)) or abs(lat) > 90 or abs(lng) > 180:
        return None
    return round(float(lng), 6), round(float(lat), 6)


def located_grid(*, session: Session, actor: Actor, lon: float | None, lat: float | None) -> dict:
    """Where a point falls, as the intake form shows it before saving: the grid (code, name) and
    whether it is one of the actor's grids."""
    from grid.models import CommunityGrid

    code = svc.locate_grid(session, lon, lat)
    name = None
    if code is not None:
        name = session.exec(select(CommunityGrid.name).where(CommunityGrid.code == code)).first()
    return {"grid_code": code, "grid_name": name, "mine": code is not None and actor.sees_grid(code)}


def address_choices(*, session: Session, actor: Actor, text: str, limit: int = 20) -> list[dict]:
    """Registry addresses in the actor's grids containing `text` (at least 2 characters), for the
    intake's "pick an address": the household id, address, grid and the head's masked name."""
    from grid.models import CommunityGrid, Household
    from jizhen.privacy import mask_name

    text = " ".join((text or "").split())
    if len(text) < 2:
        return []
    stmt = (select(Household.id, Household.address, Household.head_name, CommunityGrid.code)
            .join(CommunityGrid, Household.grid_id == CommunityGrid.id)
            .where(Household.address.contains(text, autoescape=True)))
    if actor.grid_codes is not None:
        stmt = stmt.where(CommunityGrid.code.in_(sorted(actor.grid_codes) or [""]))
    rows = session.exec(stmt.order_by(Household.address, Household.id).limit(limit)).all()
    return [{"household_id": int(h), "address": a, "grid_code": g, "head": mask_name(n)}
            for h, a, n, g in rows]


# --------------------------------------------------------------------------- verification
@dataclass(frozen=True)
class ShownItem:
    """A checklist item as the form showed it: case, item, version (0: not yet checked)."""

    case_id: int
    item_code: str
    version: int


def record_result_bound(*, session: Session, actor: Actor, shown: ShownItem, result: str | None,
                        evidence: str, note: str, on_day: date, today: date | None = None):
    """cases.verification.record_result on the item as it was shown (else StaleEdit, nothing
    written)."""
    from cases import verification

    return verification.record_result(session=session, actor=actor, case_id=shown.case_id,
                                      item_code=shown.item_code, result=result or "",
                                      evidence=evidence, note=note, on_day=on_day, today=today,
                                      expected_version=shown.version)


def application_case_ids(*, session: Session, actor: Actor, ids: Sequence[int]) -> list[int]:
    """Of the listed case ids, those that are applications for admission (a checklist applies)."""
    from cases import verification

    if not ids:
        return []
    return [int(i) for i in session.exec(select(Case.id).where(
        Case.id.in_(list(ids)), Case.status.in_(verification.APPLICATION_STATUSES))).all()]


# --------------------------------------------------------------------------- list rules
def deadline_filter(rows: Iterable[dict], statuses: Iterable[str] | None) -> list[dict]:
    """Rows whose deadline is still running and whose deadline status is one of `statuses`;
    no statuses: every row."""
    rows = list(rows)
    wanted = set(statuses or ())
    if not wanted:
        return rows
    unknown = wanted - set(DEADLINE_FILTERS)
    if unknown:
        raise ValueError(f"unknown deadline filter(s): {sorted(unknown)}")
    return [r for r in rows if r["deadline_status"] in wanted and r["working_days_left"] is not None]


def overdue_count(rows: Iterable[dict]) -> int:
    """Cases overdue with their clock still running (the list's 其中逾期 N 件)."""
    return sum(1 for r in rows if r["deadline_status"] == "overdue" and r["working_days_left"] is not None)


def open_referrals(referrals: Iterable[dict]) -> list[dict]:
    """Referrals whose status can still be updated from the desk (sent or accepted)."""
    return [r for r in referrals if r["status"] in (ReferralStatus.sent.value,
                                                    ReferralStatus.accepted.value)]


# --------------------------------------------------------------------------- disclosure listing
# The public list's personal columns under their data names, so dashboard.exports masks them
# (public=True) before they are renamed back to the list's Chinese headers.
DISCLOSURE_PERSONAL = {"person_name": "救助对象", "person_id_number": "身份证号"}


def disclosure_months(today: date, n: int = 12) -> list[str]:
    """The n months before today's month, newest first ("YYYY-MM")."""
    return [f"{(pd.Timestamp(today) - pd.DateOffset(months=i)):%Y-%m}" for i in range(1, n + 1)]


def disclosure_listing(frame: pd.DataFrame, n_rows: int) -> pd.DataFrame:
    """The disclosure table for the download: the first `n_rows` are people; the total and note
    lines after them keep their text in 序号 (not in the name column, where masking would cut it)."""
    body, tail = frame.iloc[:n_rows], frame.iloc[n_rows:].copy()
    name = DISCLOSURE_PERSONAL["person_name"]
    tail["序号"] = [f"{k}：{v}" if isinstance(v, str) and v else k
                   for k, v in zip(tail["序号"], tail[name])]
    tail[name] = None
    listing = pd.concat([body, tail], ignore_index=True)
    return listing.rename(columns={v: k for k, v in DISCLOSURE_PERSONAL.items()})


__all__ = [
    "AMOUNT_TRANSITIONS", "AdmissionInput", "ShownItem", "address_choices", "application_case_ids",
    "located_grid", "location_from_click", "record_result_bound", "yes_no", "DEADLINE_FILTERS", "DISCLOSURE_PERSONAL", "DeskAction", "FormOutdated",
    "ShownCase", "ShownReferral", "StaleEdit", "amount_for", "check_bound", "deadline_filter",
    "default_amount", "disclosure_listing", "disclosure_months", "match_bound", "open_referrals",
    "outdated", "overdue_count", "referral_versions", "shown_case", "shown_referral",
    "submit_action", "update_referral_bound",
]
