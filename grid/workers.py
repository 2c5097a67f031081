"""Administration of grid workers and of households outside every grid (county staff).

Workers: add, move to another grid, deactivate, and import a roster (CSV/XLSX with Chinese
headers, all-or-nothing, every problem as `行 N，列 X（表头）：原因`). A worker's phone is unique
among the active workers (visits name their worker by phone anywhere in the town). A worker with
open visit assignments cannot be moved or deactivated until they are reassigned (走访派单).

Households outside every grid (网格外住户, grid_id NULL): listed with their coordinates; fixed by
correcting the location (the grid follows from point-in-polygon) or by assigning a grid by hand
with a reason. Every write is audited; forms pass the version they showed (``expected_version``).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, select

from grid import audit
from grid.access import AccessDenied, Actor, Role
from grid.db import StaleEdit
from grid.geometry import grid_codes_for
from grid.frames import grids_frame
from grid.imports.columns import WORKER_COLUMNS  # noqa: F401  (the roster's headers)
from grid.imports.report import ImportReport, InvalidImport
from grid.imports.tables import UnreadableFile, parse_rows, read_table
from grid.imports.values import parse_phone
from grid.models import CommunityGrid, GridWorker, Household, VisitAssignment
from grid.privacy import mask_id_number, mask_name
from jizhen.access import SYSTEM

ADMIN_ROLES = frozenset({Role.COUNTY_STAFF, Role.SYSTEM})
EMPLOYMENT = {"full_time": ("专职", "full-time"), "part_time": ("兼职", "part-time")}
_EMPLOYMENT_WORDS = {"专职": "full_time", "专职网格员": "full_time", "full_time": "full_time",
                     "fulltime": "full_time", "兼职": "part_time", "兼职网格员": "part_time",
                     "part_time": "part_time", "parttime": "part_time"}



class WorkerError(Exception):
    """A worker or household form was refused (Chinese message; English after ' / ')."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def may_administer(actor: Actor) -> bool:
    """Whether ``actor`` may administer workers and households outside every grid (pages ask
    this before drawing the forms; the services check it again)."""
    return bool(actor.may_write) and Role(actor.role) in ADMIN_ROLES


def require_admin(actor: Actor, what: str) -> None:
    if not may_administer(actor):
        raise AccessDenied(f"只有县民政局可以{what}（{actor.username}无权） / county staff only",
                           en=f"Only county staff may do this ({actor.username} may not).", code="role_denied")


def employment_of(text: object) -> str | None:
    """full_time | part_time from 专职/兼职 (or the English words), None when unknown."""
    return _EMPLOYMENT_WORDS.get(str(text or "").strip().lower().replace(" ", "").replace("-", ""))


def _grid(session: Session, code: str) -> CommunityGrid:
    g = session.exec(select(CommunityGrid).where(CommunityGrid.code == (code or "").strip())).first()
    if g is None:
        raise WorkerError(f"网格{code}不存在", f"grid {code} not found")
    return g


def _worker(session: Session, worker_id: int, expected_version: int | None) -> GridWorker:
    w = session.get(GridWorker, worker_id)
    if w is None:
        raise WorkerError(f"网格员{worker_id}不存在", f"worker {worker_id} not found")
    if expected_version is not None and w.version != expected_version:
        raise StaleEdit(f"网格员{w.name}已被他人修改，请刷新后重试 (changed by someone else)")
    return w


def _phone_taken(session: Session, phone: str, exclude_id: int | None = None) -> GridWorker | None:
    stmt = select(GridWorker).where(GridWorker.phone == phone, GridWorker.active == True)  # noqa: E712
    if exclude_id is not None:
        stmt = stmt.where(GridWorker.id != exclude_id)
    return session.exec(stmt).first()


def _open_assignments(session: Session, worker_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(VisitAssignment).where(
        VisitAssignment.worker_id == worker_id, VisitAssignment.status == "open")).one())


def _snapshot(w: GridWorker, code: str) -> dict:
    return {"name": w.name, "employment": w.employment, "grid_code": code, "active": w.active}


def add_worker(*, session: Session, actor: Actor, name: str, phone: str, employment: str,
               grid_code: str) -> GridWorker:
    require_admin(actor, "添加网格员")
    name = " ".join((name or "").split())
    if not name or len(name) > 32:
        raise WorkerError("姓名不能为空，且不超过32个字", "a name of 1–32 characters is required")
    parsed, problem = parse_phone(phone)
    if problem or not parsed:
        raise WorkerError(f"手机号无效：{problem}", "invalid phone")
    kind = employment_of(employment)
    if kind is None:
        raise WorkerError("类型只能是“专职”或“兼职”", "employment must be full-time or part-time")
    g = _grid(session, grid_code)
    other = _phone_taken(session, parsed)
    if other is not None:
        raise WorkerError(f"手机号{parsed}已是在岗网格员{other.name}的号码", "phone already used")
    w = GridWorker(name=name, phone=parsed, employment=kind, grid_id=g.id)
    session.add(w)
    session.flush()
    audit.record(session, actor=actor, action="worker.add", entity="grid_worker", entity_id=w.id,
                 after=_snapshot(w, g.code))
    return w


def move_worker(*, session: Session, actor: Actor, worker_id: int, grid_code: str, reason: str,
                expected_version: int | None = None) -> GridWorker:
    require_admin(actor, "调整网格员的网格")
    w = _worker(session, worker_id, expected_version)
    g = _grid(session, grid_code)
    old = session.get(CommunityGrid, w.grid_id)
    if not w.active:
        raise WorkerError(f"网格员{w.name}已停用，不能调整网格", "worker is inactive")
    if old is not None and old.id == g.id:
        raise WorkerError(f"网格员{w.name}已在{g.name}", "already in that grid")
    reason = " ".join((reason or "").split())
    if not reason:
        raise WorkerError("请填写调整原因", "a reason is required")
    n = _open_assignments(session, w.id)
    if n:
        raise WorkerError(f"网格员{w.name}还有{n}个未完成的走访任务，请先在“走访派单”改派",
                          f"{n} open visit assignments: reassign them first")
    before = _snapshot(w, old.code if old else "")
    w.grid_id = g.id
    session.add(w)
    session.flush()
    audit.record(session, actor=actor, action="worker.move", entity="grid_worker", entity_id=w.id,
                 before=before, after=_snapshot(w, g.code), reason=reason[:500])
    return w


def deactivate_worker(*, session: Session, actor: Actor, worker_id: int, reason: str,
                      expected_version: int | None = None) -> GridWorker:
    require_admin(actor, "停用网格员")
    w = _worker(session, worker_id, expected_version)
    if not w.active:
        raise WorkerError(f"网格员{w.name}已停用", "already inactive")
    reason = " ".join((reason or "").split())
    if not reason:
        raise WorkerError("请填写停用原因", "a reason is required")
    n = _open_assignments(session, w.id)
    if n:
        raise WorkerError(f"网格员{w.name}还有{n}个未完成的走访任务，请先在“走访派单”改派",
                          f"{n} open visit assignments: reassign them first")
    g = session.get(CommunityGrid, w.grid_id)
    before = _snapshot(w, g.code if g else "")
    w.active = False
    session.add(w)
    session.flush()
    audit.record(session, actor=actor, action="worker.deactivate", entity="grid_worker", entity_id=w.id,
                 before=before, after=_snapshot(w, g.code if g else ""), reason=reason[:500])
    return w


def worker_rows(*, session: Session, actor: Actor, include_inactive: bool = True) -> list[dict]:
    require_admin(actor, "管理网格员")
    stmt = (select(GridWorker, CommunityGrid.code, CommunityGrid.name)
            .join(CommunityGrid, GridWorker.grid_id == CommunityGrid.id)
            .order_by(CommunityGrid.code, GridWorker.id))
    if not include_inactive:
        stmt = stmt.where(GridWorker.active == True)  # noqa: E712
    return [{"id": w.id, "version": w.version, "name": w.name, "phone": w.phone,
             "employment": w.employment, "grid_code": code, "grid_name": gname, "active": w.active}
            for w, code, gname in session.exec(stmt).all()]


# ----------------------------------------------------------------------------- roster import
def validate_roster(path: Path, *, session: Session) -> tuple[ImportReport, list[dict]]:
    path = Path(path)
    report = ImportReport(kind="workers", source=path.name)
    try:
        table = read_table(path)
    except UnreadableFile as exc:
        report.add(None, "", str(exc), exc.en)
        return report, []
    with table:  # read row by row while checking
        rows = parse_rows(table, "workers", report, today=None)
    if not rows:
        if not report.problems:
            report.add(None, "", "文件中没有数据行", "the file has no data rows")
        return report, []
    labels = report.details["labels"]
    codes = {g.code: g.id for g in session.exec(select(CommunityGrid)).all()}
    first_phone: dict[str, int] = {}
    for r in rows:
        if r.get("employment") is not None:
            kind = employment_of(r["employment"])
            if kind is None:
                report.add(r["_row"], labels["employment"], f"“{r['employment']}”不是“专职”或“兼职”",
                           f"“{r['employment']}” is neither full-time nor part-time (write the "
                           "template's word for one of them, or full_time / part_time)")
            r["employment"] = kind
        if r.get("grid_code") is not None and r["grid_code"] not in codes:
            report.add(r["_row"], labels["grid_code"], f"网格编码 {r['grid_code']} 不存在",
                       f"there is no grid with the code {r['grid_code']}")
        phone = r.get("phone")
        if phone:
            if phone in first_phone:
                report.add(r["_row"], labels["phone"], f"手机号 {phone} 与第 {first_phone[phone]} 行重复",
                           f"the phone {phone} is already in row {first_phone[phone]}")
            else:
                first_phone[phone] = r["_row"]
    if first_phone:
        taken = session.exec(select(GridWorker.phone, GridWorker.name).where(
            GridWorker.phone.in_(sorted(first_phone)), GridWorker.active == True)).all()  # noqa: E712
        for phone, name in taken:
            report.add(first_phone[phone], labels["phone"], f"手机号 {phone} 已是在岗网格员{name}的号码",
                       f"the phone {phone} already belongs to the active grid worker {name}")
    for r in rows:
        r["grid_id"] = codes.get(r.get("grid_code"))
    if not report.problems:
        report.by_grid = dict(Counter(r["grid_code"] for r in rows))
    return report, rows


def import_roster(path: Path, *, session: Session, actor: Actor = SYSTEM,
                  dry_run: bool = False) -> ImportReport:
    """All-or-nothing: every row valid, or InvalidImport listing every problem and nothing written."""
    require_admin(actor, "导入网格员名册")
    report, rows = validate_roster(path, session=session)
    if report.problems:
        raise InvalidImport(report)
    if dry_run:
        return report
    for r in rows:
        session.add(GridWorker(name=r["name"], phone=r["phone"], employment=r["employment"],
                               grid_id=r["grid_id"]))
    session.flush()
    report.created = len(rows)
    audit.record(session, actor=actor, action="import.workers", entity="grid_worker",
                 after={"file": report.source, "created": report.created, "by_grid": report.by_grid},
                 reason=f"导入网格员名册 {report.source}")
    return report


def roster_template_rows() -> list[dict]:
    """The template's header row and one example (Chinese headers)."""
    return [{c.header: c.example for c in WORKER_COLUMNS}]


# ----------------------------------------------------------------------------- households outside
def outside_households(*, session: Session, actor: Actor, limit: int = 500) -> list[dict]:
    """Households outside every grid (grid_id NULL), masked, with their coordinates."""
    require_admin(actor, "处理网格外住户")
    rows = session.exec(select(Household).where(Household.grid_id.is_(None))
                        .order_by(Household.id).limit(limit)).all()
    return [{"id": h.id, "version": h.version, "head_name": mask_name(h.head_name),
             "head_id_number": mask_id_number(h.head_id_number), "address": h.address,
             "lon": h.lon, "lat": h.lat} for h in rows]


def _household(session: Session, household_id: int, expected_version: int | None) -> Household:
    h = session.get(Household, household_id)
    if h is None:
        raise WorkerError(f"住户{household_id}不存在", f"household {household_id} not found")
    if expected_version is not None and h.version != expected_version:
        raise StaleEdit(f"住户{household_id}已被他人修改，请刷新后重试 (changed by someone else)")
    return h


def relocate_household(*, session: Session, actor: Actor, household_id: int, lon: float, lat: float,
                       reason: str, expected_version: int | None = None) -> Household:
    """Correct a household's location; its grid follows by point-in-polygon. A point still
    outside every grid is refused (nothing written)."""
    require_admin(actor, "更正住户位置")
    h = _household(session, household_id, expected_version)
    reason = " ".join((reason or "").split())
    if not reason:
        raise WorkerError("请填写更正原因", "a reason is required")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise WorkerError(f"坐标 ({lon}, {lat}) 不是有效的经纬度", "invalid coordinates")
    grids = grids_frame(session.connection(), SYSTEM)
    code = grid_codes_for(np.array([lon], dtype=float), np.array([lat], dtype=float), grids)[0] \
        if len(grids) else None
    if code is None:
        raise WorkerError(f"坐标 ({lon}, {lat}) 仍不在任何网格内；请核对位置，或手工指定网格",
                          "still outside every grid")
    g = _grid(session, code)
    before = {"lon": h.lon, "lat": h.lat, "grid_id": h.grid_id}
    h.lon, h.lat, h.grid_id, h.grid_by_hand = float(lon), float(lat), g.id, False
    session.add(h)
    session.flush()
    audit.record(session, actor=actor, action="household.relocate", entity="household", entity_id=h.id,
                 before=before, after={"lon": h.lon, "lat": h.lat, "grid_code": g.code},
                 reason=reason[:500])
    return h


def assign_household_grid(*, session: Session, actor: Actor, household_id: int, grid_code: str,
                          reason: str, expected_version: int | None = None) -> Household:
    """Assign a grid by hand to a household whose location lies outside every grid (reason
    required, audited). Boundary imports keep it (grid.placement.placed_grid) until a grid covers
    the location or the grid is removed."""
    require_admin(actor, "手工指定住户网格")
    h = _household(session, household_id, expected_version)
    reason = " ".join((reason or "").split())
    if not reason:
        raise WorkerError("手工指定网格须写明理由", "a reason is required")
    if h.grid_id is not None:
        raise WorkerError(f"住户{h.id}已在网格内，无需手工指定", "the household is already in a grid")
    g = _grid(session, grid_code)
    h.grid_id, h.grid_by_hand = g.id, True
    session.add(h)
    session.flush()
    audit.record(session, actor=actor, action="household.assign_grid", entity="household",
                 entity_id=h.id, before={"grid_id": None}, after={"grid_code": g.code},
                 reason=reason[:500])
    return h
