"""Reading cases: flat rows with deadlines judged on ``today``, lists, the map layer, one case's
detail, and the household file (一户一档)."""
from __future__ import annotations

from datetime import date
from typing import Iterable

import pandas as pd
from sqlmodel import Session, select

from cases import rules
from cases.common import case_facts, check_scope, get_case, household_grid, scope_filter, yuan
from cases.models import Case, CaseEvent, Payment, Referral, SpotCheck
from cases.rules import (CATEGORY_LABELS, CHANNEL_LABELS, REFERRAL_SCHEMES, STATUS_LABELS, Category,
                         Channel, DomainError, ReferralScheme, ReferralStatus, Status)
from grid.access import Actor
from grid.models import Household, Visit
from grid.privacy import mask_name

VISIT_FLAG_LABELS = {
    "housing_loss": "住房受损",
    "accidental_injury": "意外伤害",
    "sudden_illness_or_disaster": "突发重病或灾害",
    "care_gap": "无人照料",
    "lost_job": "失业",
    "new_illness": "新发疾病",
}


def deadline_facts(case: Case) -> rules.DeadlineFacts:
    """The facts cases.rules.case_deadline needs, read from a stored case."""
    return rules.deadline_facts_from_columns(
        {name: getattr(case, name) for name in rules.DEADLINE_COLUMNS})


def case_deadline(case: Case, today: date) -> rules.CaseDeadline:
    """The deadline status of a stored case on ``today`` (cases.rules.case_deadline)."""
    return rules.case_deadline(deadline_facts(case), today)


def case_row(case: Case, today: date, *, sees_personal: bool = True) -> dict:
    """One case as a flat dict with its deadline judged on ``today`` (finished cases on the day
    their clock stopped: see cases.rules.case_deadline).

    ``deadline_status`` is a cases.vocabulary.DeadlineStatus value and ``deadline_label`` its
    Chinese label; only open cases past due are 'overdue'. ``overdue`` (kept for scripts) is True
    when the case is overdue now or finished late.
    """
    status = Status(case.status)
    dl = case_deadline(case, today)
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
        "deadline_step": dl.step,
        "due_on": dl.due_on.isoformat(),
        "working_days_left": dl.working_days_left,
        "deadline_status": dl.status,
        "deadline_label": dl.label,
        "deadline_done_on": dl.done_on.isoformat() if dl.done_on else None,
        "overdue": dl.late,
        "provisional": dl.provisional,
        "household_id": case.household_id, "grid_code": case.grid_code,
        "match_status": case.match_status, "follow_up": case.follow_up,
        "person_name": case.person_name if sees_personal else mask_name(case.person_name),
        "cause": case.cause, "public_note": getattr(case, "public_note", "") or "",
        "lon": case.lon, "lat": case.lat, "version": case.version,
    }


def list_cases(*, session: Session, actor: Actor, today: date, status: Iterable[str] | None = None,
               category: str | None = None, channel: str | None = None,
               grid_code: str | None = None, match_status: str | None = None,
               overdue_only: bool = False, limit: int | None = None) -> list[dict]:
    stmt = select(Case).where(scope_filter(actor))
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
    """Cases whose clock still runs, for the map's case layer, with working-day countdowns
    (a paid, rejected, referred or closed case is never on it)."""
    cols = ["id", "case_no", "category", "lon", "lat", "grid_code", "status", "due_on",
            "working_days_left", "deadline_status", "deadline_label", "provisional"]
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
        rules.available_transitions(case_facts(case), actor) if actor.may_write else [])
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


def _event_reason_src(case: Case, event: CaseEvent, Word) -> list:
    """A case event's reason as timeline parts: the sentences the workflow writes itself (the
    intake's "channel：cause", a referral's default "转诊：scheme") by their codes, so they read in
    the page's language; anything else (what an officer typed) as it is."""
    reason = event.reason or ""
    if event.transition == "report":
        channel = CHANNEL_LABELS.get(Channel(case.channel)) if case.channel else None
        prefix = f"{channel}：{case.cause}"
        if channel and reason.startswith(prefix):
            rest = reason[len(prefix):]   # the follow-up note the intake adds (Chinese)
            return [("case.report", {"channel": Word("channel", Channel(case.channel).value, channel),
                                     "cause": case.cause}), rest]
    if event.transition == "refer":
        for code, (name, _dept) in REFERRAL_SCHEMES.items():
            if reason == f"转诊：{name}":
                return [("case.refer", {"scheme": Word("scheme", ReferralScheme(code).value, name)})]
    return [reason]


def household_timeline(*, session: Session, actor: Actor, household_id: int) -> list[dict]:
    """一户一档: visits, risk flags, cases, decisions, payments, referrals and spot checks."""
    hh = session.get(Household, household_id)
    if hh is None:
        raise DomainError(f"户{household_id}不存在", f"household {household_id} not found", code="not_found")
    check_scope(actor, household_grid(session, hh))
    from grid.household_file import Word, timeline_text   # one zh/en template table

    items: list[dict] = []

    def add(on, kind: str, title_src, detail_src: list, **extra) -> None:
        """One item: its codes (title_src, detail_src) and its Chinese text made from them."""
        items.append({"on": on, "kind": kind, "title": timeline_text(title_src),
                      "detail": timeline_text(detail_src), "title_src": title_src,
                      "detail_src": detail_src, **extra})

    for v in session.exec(select(Visit).where(Visit.household_id == household_id)).all():
        codes = [f for f in VISIT_FLAG_LABELS if getattr(v, f)]
        flags = Word("flags", tuple(codes), "、".join(VISIT_FLAG_LABELS[f] for f in codes))
        add(v.visited_on, "visit", ("visit", {}),
            [("visit.found", {"flags": flags}) if codes else ("visit.nothing", {})])
        if codes:
            add(v.visited_on, "risk_flag", ("risk_flag", {}), [("risk_flag.detail", {"flags": flags})])
    cases = session.exec(select(Case).where(Case.household_id == household_id)).all()
    case_ids = [c.id for c in cases]
    by_id = {c.id: c for c in cases}
    if case_ids:
        for e in session.exec(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))).all():
            c = by_id[e.case_id]
            status = Status(e.to_status)
            add(e.on_day, "case" if e.transition == "report" else "decision",
                ("case", {"case_no": c.case_no,
                          "status": Word("case_status", status.value, STATUS_LABELS[status])}),
                _event_reason_src(c, e, Word), case_id=c.id)
        for p in session.exec(select(Payment).where(Payment.case_id.in_(case_ids))).all():
            add(p.paid_on, "payment",
                ("payment", {"case_no": by_id[p.case_id].case_no, "amount": f"{p.amount_fen / 100:.2f}"}),
                [("payment.aid_first", {})] if p.aid_first else [], case_id=p.case_id)
        for r in session.exec(select(Referral).where(Referral.case_id.in_(case_ids))).all():
            scheme, status = ReferralScheme(r.scheme), ReferralStatus(r.status)
            status_word = Word("referral_status", status.value, rules.REFERRAL_STATUS_LABELS[status])
            add(r.sent_on, "referral",
                ("referral", {"scheme": Word("scheme", scheme.value, REFERRAL_SCHEMES[scheme][0]),
                              "department": Word("department", r.department, r.department)}),
                [("referral.detail_reason", {"status": status_word, "reason": r.reason}) if r.reason
                 else ("referral.detail", {"status": status_word})], case_id=r.case_id)
        from cases.vocabulary import SPOT_CHECK_RESULTS

        for s in session.exec(select(SpotCheck).where(SpotCheck.case_id.in_(case_ids))).all():
            result = Word("spot_result", s.result, SPOT_CHECK_RESULTS.get(s.result, (s.result,))[0])
            add(s.checked_on or s.drawn_on, "spot_check",
                ("spot_check", {"month": s.month, "inspector": s.inspector}),
                [("spot_check.detail_note", {"result": result, "note": s.result_note}) if s.result_note
                 else ("spot_check.detail", {"result": result})], case_id=s.case_id)
    order = {"visit": 0, "risk_flag": 1, "case": 2, "decision": 3, "payment": 4, "referral": 5,
             "spot_check": 6}
    items.sort(key=lambda x: (x["on"], order[x["kind"]]))
    return items
