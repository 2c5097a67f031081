"""Oversight: the monthly public disclosure (masked) and random spot checks (双随机)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlmodel import Session, select

from cases import rules
from cases.common import (check_spot_check_result, fen, flush_versioned, get_case, month_bounds,
                          require_write, scope_filter,
                          yuan)
from cases.models import Case, Disclosure, Payment, SpotCheck
from cases.public_text import PUBLIC_NOTE_MAX, mask_public_text, public_reason
from cases.rules import DomainError
from cases.vocabulary import SPOT_CHECK_RESULTS  # noqa: F401  (also read as cases.oversight's)
from grid import audit
from grid.access import AccessDenied, Actor
from grid.db import StaleEdit
from grid.models import CommunityGrid, GridWorker, Household
from grid.privacy import mask_id_number, mask_name

COMPLAINT_PHONE = "12345"  # public complaint line printed on disclosures (configurable per call)


def disclosure_rows(*, session: Session, actor: Actor, month: str,
                    complaint_phone: str = COMPLAINT_PHONE) -> list[dict]:
    """The monthly public list: everyone paid in ``month``, masked.

    The reason (救助事由) is the public one — category label and the officer's public note — never
    the intake text; every free-text cell (reason, review opinion, decision) is scanned by
    cases.public_text.mask_public_text for the recipient's and household's names, the addresses,
    ID and phone numbers and house numbers.
    """
    start, end = month_bounds(month)
    stmt = (select(Payment, Case, Household)
            .join(Case, Payment.case_id == Case.id)
            .join(Household, Case.household_id == Household.id, isouter=True)
            .where(Payment.paid_on >= start, Payment.paid_on <= end, scope_filter(actor))
            .order_by(Payment.paid_on, Payment.id))
    out = []
    for p, c, hh in session.exec(stmt).all():
        names = [c.person_name, p.payee_name] + ([hh.head_name] if hh is not None else [])
        addresses = [c.address] + ([hh.address] if hh is not None else [])

        def public(text: str | None) -> str:
            return mask_public_text(text, names=names, addresses=addresses)

        out.append({
            "序号": len(out) + 1,
            "网格": c.grid_code or "",
            "救助对象": mask_name(c.person_name),
            "身份证号": mask_id_number(c.person_id_number),
            "救助政策": "临时救助" + ("（先救助、后办理）" if p.aid_first else ""),
            "救助类别": rules.CATEGORY_LABELS[rules.Category(c.category)],
            "救助事由": public_reason(c.category, c.public_note, names=names, addresses=addresses),
            "救助标准/金额（元）": round(p.amount_fen / 100, 2),
            "审核意见": public(c.review_opinion),
            "审批决定": public(c.decision),
            "发放日期": p.paid_on.isoformat(),
            "监督电话": complaint_phone,
        })
    return out


def set_public_note(*, session: Session, actor: Actor, case_id: int, note: str,
                    expected_version: int | None = None) -> Case:
    """Write the public note (公示说明) printed after the category on the public list.

    Plain text, at most PUBLIC_NOTE_MAX characters; it is still masked when published. Audited;
    ``expected_version`` (the version the form showed) guards against editing a changed case.
    The text is printed on the public list: its publishers (check_publisher) write it."""
    check_publisher(actor)
    case = get_case(session=session, actor=actor, case_id=case_id)
    if expected_version is not None and case.version != expected_version:
        raise StaleEdit(f"案件{case.case_no}已被他人修改，请刷新后重试 (case changed by someone else)")
    text = " ".join((note or "").split())
    if len(text) > PUBLIC_NOTE_MAX:
        raise DomainError(f"公示说明不能超过{PUBLIC_NOTE_MAX}个字（现{len(text)}个字）",
                          f"the public note is limited to {PUBLIC_NOTE_MAX} characters",
                          code="note_too_long")
    before = {"public_note": case.public_note}
    case.public_note = text
    session.add(case)
    flush_versioned(session, f"案件{case.case_no}")
    audit.record(session, actor=actor, action="case.public_note", entity="aid_case",
                 entity_id=case.id, before=before, after={"public_note": text})
    return case


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
    out = pd.concat([df, tail], ignore_index=True)
    out["序号"] = out["序号"].astype(str)  # numbers and the 合计/说明 labels share the column
    return out


def export_disclosure(*, session: Session, actor: Actor, month: str, out_path: str | Path,
                      published_on: date, complaint_phone: str = COMPLAINT_PHONE) -> int:
    """Write the monthly disclosure XLSX (names and IDs masked); returns the number of rows."""
    from grid.export import write_xlsx

    check_publisher(actor)
    rows = disclosure_rows(session=session, actor=actor, month=month, complaint_phone=complaint_phone)
    write_xlsx({f"{month}临时救助公示": disclosure_frame(rows, month, complaint_phone)}, out_path)
    record_disclosure(session=session, actor=actor, month=month, rows=rows, published_on=published_on)
    return len(rows)


DISCLOSURE_ROLES = frozenset({"township_leader", "county_staff", "system"})


def check_publisher(actor: Actor) -> None:
    require_write(actor)
    if rules.role_name(actor) not in DISCLOSURE_ROLES:
        raise AccessDenied(f"只有镇街领导或县民政局可以发布月度公示（{actor.username}无权）"
                           " / only officers publish the disclosure",
                           en=f"Only township leaders or county staff publish the monthly disclosure "
                              f"({actor.username} may not).", code="role_denied")


def record_disclosure(*, session: Session, actor: Actor, month: str, rows: list[dict],
                      published_on: date) -> Disclosure:
    """Record that the month's list was published (rows from ``disclosure_rows``): the officers
    who publish (township leader, county staff) only; audited."""
    check_publisher(actor)
    total = sum(r["救助标准/金额（元）"] for r in rows)
    existing = session.exec(select(Disclosure).where(Disclosure.month == month)).first()
    if existing is None:
        session.add(Disclosure(month=month, published_on=published_on, rows=len(rows),
                               total_fen=fen(total), published_by=actor.username))
    else:
        existing.rows, existing.total_fen, existing.published_on = len(rows), fen(total), published_on
        existing.published_by = actor.username  # the history names who published it last
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
SPOT_CHECK_DRAW_ROLES = frozenset({"county_staff", "system"})


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
    """双随机: ≥30% of the month's recipients per grid, random inspectors, reproducible from seed.

    County staff (or the system) only: the county draws; inspectors are never from the grid."""
    require_write(actor)
    if rules.role_name(actor) not in SPOT_CHECK_DRAW_ROLES:
        raise AccessDenied(f"只有县民政局可以抽取双随机抽查对象（{actor.username}无权）"
                           " / only county staff draw spot checks",
                           en=f"Only county staff draw the spot checks ({actor.username} may not).",
                           code="role_denied")
    existing = session.exec(select(SpotCheck).where(SpotCheck.month == month)
                            .order_by(SpotCheck.id)).all()
    if existing:
        if existing[0].seed != str(seed):
            raise DomainError(
                f"{month}已按种子{existing[0].seed}抽取，不能用另一个种子重抽",
                f"{month} was already drawn with seed {existing[0].seed}", code="already_drawn")
        return list(existing)
    start, end = month_bounds(month)
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
                      note: str, checked_on: date, expected_version: int | None = None) -> SpotCheck:
    """The result of one drawn check (officers of the grid's scope); ``expected_version`` is the
    version the form showed (a changed row is refused, nothing written). A problem needs a note."""
    require_write(actor)
    if result not in ("ok", "problem"):
        raise DomainError("抽查结果只能是“无误”或“发现问题”", "result must be ok or problem",
                          code="bad_result")
    sc = session.get(SpotCheck, spot_check_id)
    if sc is None:
        raise DomainError(f"抽查{spot_check_id}不存在", "spot check not found", code="not_found")
    check_spot_check_result(actor, sc.grid_code)
    if expected_version is not None and sc.version != expected_version:
        raise StaleEdit(f"抽查{sc.id}已被他人修改，请刷新后重试 (changed by someone else)")
    note = " ".join((note or "").split())
    if result == "problem" and not note:
        raise DomainError("“发现问题”须写明情况", "a problem needs a note", code="note_required")
    if checked_on < sc.drawn_on:
        raise DomainError(f"抽查日期不能早于抽取日期{sc.drawn_on.isoformat()}",
                          "checked before it was drawn", code="bad_date")
    before = {"result": sc.result}
    sc.result, sc.result_note, sc.checked_on = result, note, checked_on
    session.add(sc)
    flush_versioned(session, f"抽查{sc.id}")
    audit.record(session, actor=actor, action="spotcheck.result", entity="aid_spot_check",
                 entity_id=sc.id, before=before, after={"result": result}, reason=note)
    return sc


def spot_check_rows(*, session: Session, actor: Actor, month: str | None = None) -> list[dict]:
    stmt = select(SpotCheck, Case).join(Case, SpotCheck.case_id == Case.id).where(scope_filter(actor))
    if month:
        stmt = stmt.where(SpotCheck.month == month)
    return [{"id": s.id, "version": s.version, "month": s.month, "seed": s.seed, "case_no": c.case_no,
             "person_name": c.person_name,
             "grid_code": s.grid_code, "inspector": s.inspector, "result": s.result,
             "result_note": s.result_note, "drawn_on": s.drawn_on.isoformat(),
             "checked_on": s.checked_on.isoformat() if s.checked_on else None}
            for s, c in session.exec(stmt.order_by(SpotCheck.month, SpotCheck.id)).all()]


# The seed is public (双随机一公开): anyone can redraw the month with it and check the draw.
SPOT_CHECK_PUBLIC_COLUMNS = ("month", "seed", "grid_code", "case_no", "person_name", "inspector",
                             "result", "result_note", "checked_on")


def spot_check_public_frame(rows: list[dict]) -> pd.DataFrame:
    """The published results (双随机一公开): data-named columns, the result as its Chinese label;
    masked by the caller's export (jizhen.privacy, public=True), free text through
    mask_public_text (names of the recipient)."""
    out = []
    for r in rows:
        out.append({**{k: r.get(k) for k in SPOT_CHECK_PUBLIC_COLUMNS},
                    "inspector": str(r["inspector"]).split("#")[0],
                    "result": SPOT_CHECK_RESULTS.get(r["result"], (r["result"],))[0],
                    "result_note": mask_public_text(r.get("result_note") or "",
                                                    names=[r.get("person_name") or ""], addresses=[])})
    return pd.DataFrame(out, columns=list(SPOT_CHECK_PUBLIC_COLUMNS))


def publish_spot_checks(*, session: Session, actor: Actor, month: str, published_on: date) -> list[dict]:
    """Record (audited) that the month's spot-check results were published; returns the rows.
    County staff (or the system) only."""
    require_write(actor)
    if rules.role_name(actor) not in SPOT_CHECK_DRAW_ROLES:
        raise AccessDenied(f"只有县民政局可以公开抽查结果（{actor.username}无权） / county staff only",
                           en=f"Only county staff publish the spot-check results ({actor.username} may not).",
                           code="role_denied")
    rows = spot_check_rows(session=session, actor=actor, month=month)
    if not rows:
        raise DomainError(f"{month}没有抽查记录，无可公开", f"no spot checks in {month}", code="nothing")
    audit.record(session, actor=actor, action="spotcheck.publish", entity="aid_spot_check",
                 entity_id=month, after={"rows": len(rows), "published_on": published_on.isoformat(),
                                         "pending": sum(r["result"] == "pending" for r in rows)})
    return rows
