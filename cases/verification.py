"""逢进必核: the verification checklist of an application before admission (住院) to 低保/特困.

The county checks the family's income and assets across 12 departments and 20 data items
(data/verification.toml: the items, their department, whether required, and which are the
county's words and which our reading). Per application (a case on its way to admission) each item
gets a result (无异常 / 有异常), its evidence (the department's reply number or document), who
entered it and when (cases.models.VerificationResult). Admission waits until every required item
has a result (``require_complete``, called by cases.referrals.admit).

Results come from a form (``record_result``) or as a department's batch file (CSV/XLSX with
Chinese headers, ``import_results``) matched by ID number, validated row by row and written only
when the whole file is valid (grid.imports report/values helpers, like every other import).

Pure: ``load_items``, ``checklist_state``, ``parse_result``. The rest take ``*, session, actor``,
check the role and scope in this module, and write an audit entry.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from sqlmodel import Session, select

from cases import rules
from cases.common import get_case, require_write, scope_filter
from cases.errors import DomainError
from cases.models import Case, VerificationResult
from cases.vocabulary import Status
from grid import audit
from grid.access import AccessDenied, Actor
from grid.db import StaleEdit
from grid.imports.columns import Col
from grid.imports.report import ImportReport, InvalidImport
from grid.imports.tables import open_checked, parse_checked_rows
from grid.imports.values import as_text

VERIFICATION_TOML = Path(__file__).resolve().parents[1] / "data" / "verification.toml"

# Who enters results: the officers who run the 核对 (the county's civil-affairs bureau and the
# town's civil-affairs office). Grid workers, supervisors, departments and auditors do not.
VERIFY_ROLES = frozenset({"township_leader", "county_staff", "system"})


def may_record(actor) -> bool:
    """Whether ``actor`` may record checklist results (the pages show the forms only then)."""
    return bool(actor.may_write) and rules.role_name(actor) in VERIFY_ROLES
# The applications a checklist belongs to: the statuses from which a case may be admitted.
APPLICATION_STATUSES = tuple(s.value for s in rules.TRANSITIONS["admit"].sources)


class Result(str, Enum):
    clear = "clear"  # 核对无异常
    issue = "issue"  # 核对有异常 (income or assets found: the officer weighs it in the facts)


RESULT_LABELS = {Result.clear: ("无异常", "no finding"), Result.issue: ("有异常", "finding")}
_RESULT_WORDS = {**{zh: r for r, (zh, _en) in RESULT_LABELS.items()},
                 **{r.value: r for r in Result}, "正常": Result.clear, "异常": Result.issue}


def result_label(code: str | None, lang: str = "zh") -> str:
    if not code:
        return "未核对" if lang == "zh" else "not checked"
    zh, en = RESULT_LABELS[Result(code)]
    return zh if lang == "zh" else en


def source_label(source: str, lang: str = "zh") -> str:
    """Where a result came from, as shown: the form, or a department's file (its name)."""
    if not source:
        return ""
    if source.startswith("file:"):
        return ("文件：" if lang == "zh" else "file: ") + source[5:]
    return "表单" if lang == "zh" else "form"


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    department: str
    required: bool
    origin: str  # county | reading


@lru_cache(maxsize=4)
def load_items(path: Path = VERIFICATION_TOML) -> tuple[Item, ...]:
    """The checklist items from the config, in file order. Raises ValueError on a bad file."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    items = tuple(Item(code=str(r["code"]), name=str(r["name"]), department=str(r["department"]),
                       required=bool(r["required"]), origin=str(r["origin"]))
                  for r in raw.get("item", []))
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{path}: duplicate item codes")
    if any(i.origin not in ("county", "reading") for i in items):
        raise ValueError(f"{path}: origin must be 'county' or 'reading'")
    return items


def departments(items: Iterable[Item] | None = None) -> list[str]:
    """The departments of the checklist, in the order they first appear."""
    out: list[str] = []
    for i in items if items is not None else load_items():
        if i.department not in out:
            out.append(i.department)
    return out


def parse_result(text: object) -> Result | None:
    """无异常 / 有异常 (or clear / issue) -> Result; anything else None."""
    return _RESULT_WORDS.get(as_text(text))


@dataclass(frozen=True)
class ChecklistState:
    missing: tuple[Item, ...]  # required items without a result
    issues: tuple[Item, ...]  # items whose result is 有异常
    done: int  # items with a result
    total: int

    @property
    def complete(self) -> bool:
        return not self.missing


def checklist_state(items: Iterable[Item], results: Mapping[str, str]) -> ChecklistState:
    """Where the checklist stands, from the item code -> result mapping. Pure."""
    items = tuple(items)
    return ChecklistState(
        missing=tuple(i for i in items if i.required and not results.get(i.code)),
        issues=tuple(i for i in items if results.get(i.code) == Result.issue.value),
        done=sum(1 for i in items if results.get(i.code)), total=len(items))


def missing_message(state: ChecklistState) -> str:
    names = "、".join(f"{i.department}·{i.name}" for i in state.missing[:6])
    more = f"等{len(state.missing)}项" if len(state.missing) > 6 else ""
    return f"逢进必核：尚有{len(state.missing)}项必核数据未登记核对结果（{names}{more}），暂不能纳入"


# --------------------------------------------------------------------------- reads
def _check_role(actor: Actor) -> None:
    if rules.role_name(actor) not in VERIFY_ROLES:
        raise AccessDenied("只有镇街领导或县民政局可以登记核对结果 / only officers record verification results",
                           en="Only township leaders or county staff record verification results.",
                           code="role_denied")


def _results(session: Session, case_id: int) -> dict[str, VerificationResult]:
    return {r.item_code: r for r in session.exec(
        select(VerificationResult).where(VerificationResult.case_id == case_id)).all()}


def checklist(*, session: Session, actor: Actor, case_id: int) -> list[dict]:
    """The checklist of one application: every configured item with its result (or none yet),
    evidence, who and when, and the version a form binds to (0: nothing recorded yet)."""
    get_case(session=session, actor=actor, case_id=case_id)  # scope
    have = _results(session, case_id)
    out = []
    for i in load_items():
        r = have.get(i.code)
        out.append({"item_code": i.code, "item_name": i.name, "department": i.department,
                    "required": i.required, "origin": i.origin,
                    "result": r.result if r else None, "evidence": r.evidence if r else "",
                    "note": r.note if r else "", "checked_on": r.checked_on if r else None,
                    "checked_by": r.checked_by if r else "", "checked_at": r.checked_at if r else None,
                    "source": r.source if r else "", "version": int(r.version) if r else 0})
    return out


def case_state(session: Session, case_id: int) -> ChecklistState:
    return checklist_state(load_items(), {k: v.result for k, v in _results(session, case_id).items()})


def require_complete(session: Session, case_id: int) -> ChecklistState:
    """Raise DomainError (code not_verified) unless every required item has a result."""
    state = case_state(session, case_id)
    if not state.complete:
        raise DomainError(missing_message(state), f"{len(state.missing)} required verification "
                          "item(s) have no result yet", code="not_verified",
                          missing=[i.code for i in state.missing])
    return state


# --------------------------------------------------------------------------- writes
def _write(session: Session, actor: Actor, case: Case, item: Item, result: Result, evidence: str,
           note: str, on_day: date, source: str, expected_version: int | None) -> VerificationResult:
    row = session.exec(select(VerificationResult).where(
        VerificationResult.case_id == case.id, VerificationResult.item_code == item.code)).first()
    now_version = int(row.version) if row else 0
    if expected_version is not None and expected_version != now_version:
        who = f"（{row.checked_by} 于 {row.checked_on} 登记为“{result_label(row.result)}”）" if row else ""
        raise StaleEdit(f"“{item.name}”的核对结果已被他人更新{who}，您的登记未保存，请查看最新状态 "
                        "(changed by someone else; nothing saved)")
    before = {"result": row.result, "evidence": row.evidence} if row else None
    if row is None:
        row = VerificationResult(case_id=case.id, item_code=item.code, department=item.department,
                                 result=result.value, evidence=evidence, note=note, checked_on=on_day,
                                 checked_by=actor.username, source=source)
    else:
        row.result, row.evidence, row.note = result.value, evidence, note
        row.checked_on, row.checked_by, row.source = on_day, actor.username, source
        from grid.geotypes import utcnow

        row.checked_at = utcnow()
    session.add(row)
    try:
        session.flush()
    except Exception as exc:  # a lost race on the unique (case, item) or the version
        from sqlalchemy.exc import IntegrityError
        from sqlalchemy.orm.exc import StaleDataError

        if isinstance(exc, (IntegrityError, StaleDataError)):
            raise StaleEdit(f"“{item.name}”的核对结果刚被他人登记，请刷新后重试 "
                            "(changed by someone else; reload and retry)") from None
        raise
    audit.record(session, actor=actor, action="verification.record", entity="aid_verification",
                 entity_id=row.id, before=before,
                 after={"case_id": case.id, "item": item.code, "result": row.result,
                        "evidence": evidence, "source": source}, reason=note)
    return row


def _clean(text: str | None, what: str, *, required: bool, limit: int = 500) -> str:
    value = " ".join((text or "").split())
    if required and not value:
        raise DomainError(f"请填写{what}", f"{what} is required", code="required")
    if len(value) > limit:
        raise DomainError(f"{what}过长（{len(value)}字，最多{limit}字）", f"{what} too long",
                          code="too_long")
    return value


def _item(code: str) -> Item:
    item = next((i for i in load_items() if i.code == code), None)
    if item is None:
        raise DomainError(f"未知核对事项：{code}", f"unknown verification item: {code}", code="bad_item")
    return item


def _application(session: Session, actor: Actor, case_id: int) -> Case:
    case = get_case(session=session, actor=actor, case_id=case_id)
    if case.status not in APPLICATION_STATUSES:
        raise DomainError(f"案件状态“{rules.STATUS_LABELS[Status(case.status)]}”下不进行纳入核对",
                          "the case is not an application for admission", code="not_application")
    return case


def record_result(*, session: Session, actor: Actor, case_id: int, item_code: str, result: str,
                  evidence: str, on_day: date, note: str = "", today: date | None = None,
                  expected_version: int | None = None) -> VerificationResult:
    """Record (or correct) one item's result. ``expected_version``: the version the form showed
    (0: shown as not yet checked); a different one now raises StaleEdit, nothing written."""
    require_write(actor)
    _check_role(actor)
    case = _application(session, actor, case_id)
    item = _item(item_code)
    res = parse_result(result)
    if res is None:
        raise DomainError("请选择核对结果（无异常 / 有异常）", "choose a result", code="bad_result")
    evidence = _clean(evidence, "核对凭证（回执编号或文书）", required=True)
    note = _clean(note, "说明", required=res == Result.issue)
    if today is not None and on_day > today:
        raise DomainError(f"核对日期 {on_day} 晚于今天（{today}）", "date in the future",
                          code="future_date")
    return _write(session, actor, case, item, res, evidence, note, on_day, "form", expected_version)


# --------------------------------------------------------------------------- batch file
RESULT_COLUMNS: tuple[Col, ...] = (
    Col("id_number", ("身份证号", "身份证号码", "公民身份号码", "id_number"), "id", True,
        "申请人身份证号（18位，文本格式）", "32132319800101001X"),
    Col("item", ("核对事项", "数据项", "事项", "item"), "text", True,
        "data/verification.toml 中该部门的核对事项名称", "不动产登记"),
    Col("result", ("核对结果", "结果", "result"), "text", True, "无异常 或 有异常", "无异常"),
    Col("evidence", ("核对凭证", "凭证", "回执编号", "evidence"), "text", True,
        "部门回执编号或文书名称", "不动产核对回执2026-001", max_length=500),
    Col("checked_on", ("核对日期", "日期", "checked_on"), "date", True, "YYYY-MM-DD", "2026-11-20"),
    Col("note", ("说明", "备注", "note"), "text", False, "有异常时必填", "", max_length=500),
)


def _applications_by_id(session: Session, actor: Actor, numbers: list[str]) -> dict[str, list[int]]:
    """ID number -> the open applications (cases awaiting admission, in the actor's scope) of
    that person (the case's own ID number)."""
    if not numbers:
        return {}
    rows = session.exec(select(Case.id, Case.person_id_number).where(
        Case.person_id_number.in_(sorted(set(numbers))), Case.status.in_(APPLICATION_STATUSES),
        scope_filter(actor))).all()
    out: dict[str, list[int]] = {}
    for cid, number in rows:
        out.setdefault(number, []).append(int(cid))
    return out


def validate_results(path: Path, *, session: Session, actor: Actor, department: str,
                     today: date) -> tuple[ImportReport, list[dict]]:
    """Every row of a department's result file checked; problems in the report (Chinese, with
    row and column). Nothing written."""
    path = Path(path)
    report = ImportReport(kind="verification", source=path.name)
    own = {i.name: i for i in load_items() if i.department == department}
    if not own:
        report.add(None, "", f"未知核对部门：{department}（可选：{'、'.join(departments())}）",
                   f"unknown verification department: {department} (the departments are named as "
                   f"in data/verification.toml: {', '.join(departments())})")
        return report, []
    own.update({i.code: i for i in list(own.values())})
    table, found, label = open_checked(path, RESULT_COLUMNS, report)
    if table is None:
        return report, []

    rows: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    for number, rec in parse_checked_rows(table, RESULT_COLUMNS, found, label, report):
        if rec.get("item"):
            item = own.get(str(rec["item"]).strip())
            if item is None:
                report.add(number, label("item"), f"“{rec['item']}”不是{department}的核对事项（应为："
                           + "、".join(i.name for i in load_items() if i.department == department) + "）",
                           f"“{rec['item']}” is not a verification item of the chosen department "
                           "(write the item's name as in the template, or its code: "
                           + ", ".join(i.code for i in load_items() if i.department == department) + ")")
            rec["item"] = item
        if rec.get("result"):
            res = parse_result(rec["result"])
            if res is None:
                report.add(number, label("result"), f"核对结果“{rec['result']}”无法识别，应为 无异常 或 有异常",
                           f"the result “{rec['result']}” is not recognised; write clear (no finding) "
                           "or issue (finding), or the template's words for them")
            rec["result"] = res
            if res == Result.issue and not rec.get("note"):
                report.add(number, label("note"), "核对结果为“有异常”时须填写说明",
                           "a result of issue (finding) needs a note")
        if isinstance(rec.get("checked_on"), date) and rec["checked_on"] > today:
            report.add(number, label("checked_on"),
                       f"核对日期 {rec['checked_on'].isoformat()} 晚于今天（{today.isoformat()}）",
                       f"the check date {rec['checked_on'].isoformat()} is after today "
                       f"({today.isoformat()})")
        if rec.get("id_number") and isinstance(rec.get("item"), Item):
            key = (rec["id_number"], rec["item"].code)
            if key in seen:
                report.add(number, label("item"), f"与第 {seen[key]} 行是同一人的同一事项",
                           f"the same person and item as row {seen[key]}")
            else:
                seen[key] = number
        rows.append(rec)
    apps = _applications_by_id(session, actor, [r["id_number"] for r in rows if r.get("id_number")])
    for rec in rows:
        number = rec.get("id_number")
        if not number:
            continue
        found_cases = apps.get(number, [])
        if not found_cases:
            report.add(rec["_row"], label("id_number"),
                       "没有该身份证号的待纳入申请（或不在您负责的范围内）",
                       "no application awaiting admission has this ID number (or it is outside "
                       "your area)")
        elif len(found_cases) > 1:
            report.add(rec["_row"], label("id_number"),
                       f"该身份证号有{len(found_cases)}件待纳入申请，无法自动匹配，请逐件在核对清单中登记",
                       f"this ID number has {len(found_cases)} applications awaiting admission, so "
                       "the row cannot be matched; record the results in each case's checklist")
        else:
            rec["case_id"] = found_cases[0]
    report.rows = len(rows)
    return report, rows


def import_results(path: Path, *, session: Session, actor: Actor, department: str,
                   today: date) -> ImportReport:
    """A department's result file, all or nothing: raises InvalidImport (nothing written) when
    any row has a problem; else records every row (record_result's rules, source file:<name>)."""
    require_write(actor)
    _check_role(actor)
    report, rows = validate_results(path, session=session, actor=actor, department=department,
                                    today=today)
    if report.problems:
        raise InvalidImport(report)
    source = f"file:{Path(path).name}"[:200]
    for rec in rows:
        case = session.get(Case, rec["case_id"])
        existed = session.exec(select(VerificationResult.id).where(
            VerificationResult.case_id == case.id,
            VerificationResult.item_code == rec["item"].code)).first() is not None
        _write(session, actor, case, rec["item"], rec["result"], rec["evidence"], rec.get("note") or "",
               rec["checked_on"], source, None)
        if existed:
            report.updated += 1
        else:
            report.created += 1
    return report


def template_rows(department: str) -> list[dict]:
    """An empty result file's example rows for a department (Chinese headers)."""
    return [{c.header: (i.name if c.field == "item" else c.example) for c in RESULT_COLUMNS}
            for i in load_items() if i.department == department]


__all__ = [
    "APPLICATION_STATUSES", "ChecklistState", "Item", "RESULT_COLUMNS", "RESULT_LABELS", "Result",
    "VERIFICATION_TOML", "VERIFY_ROLES", "case_state", "checklist", "checklist_state", "departments",
    "import_results", "load_items", "missing_message", "parse_result", "record_result",
    "require_complete", "result_label", "source_label", "template_rows", "validate_results",
]
