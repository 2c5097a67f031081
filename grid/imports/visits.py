"""`import_visits`: home-visit records (CSV/XLSX) into the visit table.

Rules: every cell parses; the visit date is not after `today`; the household is known by its
head's ID number; the worker is known —
  * by phone (网格员电话) when given: the active worker with that phone anywhere in the town
    (a part-time worker may help in a neighbouring grid); if a name is also given it must agree;
  * otherwise by name (网格员姓名) among the active workers of the household's own grid; the
    name must be unique there (if two workers share it, the phone is required).
The same household, worker and day may appear once in the file and not already in the database.
Nothing is written unless every row is valid; one audit entry per import.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from grid.access import AccessDenied, Actor, SYSTEM
from grid.geotypes import utcnow
from grid.imports.report import ImportReport, InvalidImport, Progress
from grid.imports.rows import insert_rows, read_rows
from grid.models import CommunityGrid, GridWorker, Household, Visit

FLAGS = ("housing_loss", "accidental_injury", "sudden_illness_or_disaster", "care_gap", "lost_job",
         "new_illness")
H = Household.__table__
W = GridWorker.__table__
G = CommunityGrid.__table__
V = Visit.__table__


def _households(session: Session, numbers: list[str]) -> dict[str, tuple[int, int, str]]:
    """head ID number -> (household id, grid id, grid code)."""
    out = {}
    for i in range(0, len(numbers), 500):
        stmt = (select(H.c.head_id_number, H.c.id, H.c.grid_id, G.c.code)
                .join(G, H.c.grid_id == G.c.id, isouter=True)
                .where(H.c.head_id_number.in_(numbers[i:i + 500])))
        for number, hid, gid, code in session.execute(stmt):
            out[number] = (hid, gid, code)
    return out


def _existing_visits(session: Session, household_ids: list[int]) -> set[tuple[int, int, date]]:
    out = set()
    for i in range(0, len(household_ids), 500):
        stmt = select(V.c.household_id, V.c.worker_id, V.c.visited_on).where(
            V.c.household_id.in_(household_ids[i:i + 500]))
        out.update((h, w, d) for h, w, d in session.execute(stmt))
    return out


def validate_visits(path: Path, *, session: Session, actor: Actor = SYSTEM, today: date,
                    progress: Progress | None = None) -> tuple[ImportReport, list[dict]]:
    path = Path(path)
    report = ImportReport(kind="visits", source=path.name)
    rows = read_rows(path, "visits", report, today=today, progress=progress)
    if not rows:
        return report, []
    labels = report.details["labels"]

    numbers = sorted({r["head_id_number"] for r in rows if r.get("head_id_number")})
    households = _households(session, numbers)
    workers = session.execute(select(W.c.id, W.c.name, W.c.phone, W.c.grid_id).where(W.c.active)).all()
    by_phone: dict[str, list] = defaultdict(list)
    by_grid_name: dict[tuple[int, str], list] = defaultdict(list)
    for w in workers:
        by_phone[(w.phone or "").replace(" ", "").replace("-", "")].append(w)
        by_grid_name[(w.grid_id, w.name.strip())].append(w)

    for r in rows:
        number = r.get("head_id_number")
        if number:
            hit = households.get(number)
            if hit is None:
                report.add(r["_row"], labels["head_id_number"],
                           f"系统中没有户主身份证号为 {number} 的住户（请先导入住户）",
                           f"no household whose head has the ID number {number} is stored "
                           "(import the households first)")
                r["_ok"] = False
            else:
                r["household_id"], r["grid_id"], r["grid_code"] = hit
                if not actor.sees_grid(r["grid_code"]):
                    report.add(r["_row"], labels["head_id_number"],
                               f"该住户位于网格 {r['grid_code']}，不在您负责的网格范围内",
                               f"the household lies in grid {r['grid_code']}, which is not one of "
                               "your grids")
                    r["_ok"] = False
        phone, name = r.get("worker_phone") or "", (r.get("worker_name") or "").strip()
        if not phone and not name:
            report.add(r["_row"], labels["worker_name"], "网格员姓名和网格员电话至少填写一项",
                       "give the grid worker's name or phone (at least one of them)")
            r["_ok"] = False
            continue
        if phone:
            found = by_phone.get(phone, [])
            if not found:
                report.add(r["_row"], labels["worker_phone"], f"系统中没有电话为 {phone} 的在岗网格员",
                           f"no active grid worker has the phone {phone}")
                r["_ok"] = False
            elif len(found) > 1:
                report.add(r["_row"], labels["worker_phone"],
                           f"电话 {phone} 对应 {len(found)} 名网格员，请联系管理员核对网格员电话",
                           f"{len(found)} grid workers have the phone {phone}; ask the administrator "
                           "to check the workers' phones")
                r["_ok"] = False
            elif name and found[0].name.strip() != name:
                report.add(r["_row"], labels["worker_name"],
                           f"网格员姓名“{name}”与电话 {phone} 登记的姓名“{found[0].name}”不一致",
                           f"the grid worker's name “{name}” is not the name registered with the "
                           f"phone {phone} (“{found[0].name}”)")
                r["_ok"] = False
            else:
                r["worker_id"] = found[0].id
        elif "grid_id" in r:
            found = by_grid_name.get((r["grid_id"], name), [])
            if not found:
                report.add(r["_row"], labels["worker_name"],
                           f"网格 {r['grid_code']} 中没有名为“{name}”的在岗网格员（可改填网格员电话）",
                           f"grid {r['grid_code']} has no active grid worker named “{name}” (give "
                           "the worker's phone instead)")
                r["_ok"] = False
            elif len(found) > 1:
                report.add(r["_row"], labels["worker_name"],
                           f"网格 {r['grid_code']} 中有 {len(found)} 名网格员叫“{name}”，请填写网格员电话以区分",
                           f"grid {r['grid_code']} has {len(found)} grid workers named “{name}”; give "
                           "the worker's phone to tell them apart")
                r["_ok"] = False
            else:
                r["worker_id"] = found[0].id

    # Duplicates: same household, worker and day, within the file and against the database.
    seen: dict[tuple, int] = {}
    for r in rows:
        if r.get("household_id") is None or r.get("worker_id") is None or r.get("visited_on") is None:
            continue
        key = (r["household_id"], r["worker_id"], r["visited_on"])
        if key in seen:
            report.add(r["_row"], labels["visited_on"],
                       f"与第 {seen[key]} 行重复（同一住户、同一网格员、同一天 {r['visited_on']}）",
                       f"the same visit as row {seen[key]} (same household, grid worker and day "
                       f"{r['visited_on']})")
            r["_ok"] = False
        else:
            seen[key] = r["_row"]
    if seen:
        existing = _existing_visits(session, sorted({k[0] for k in seen}))
        for key, row in seen.items():
            if key in existing:
                report.add(row, labels["visited_on"],
                           f"数据库中已有这次走访（同一住户、同一网格员、同一天 {key[2]}），重复导入",
                           f"this visit is already stored (same household, grid worker and day "
                           f"{key[2]}): imported twice")
    if not report.problems:
        counts: dict[str, int] = defaultdict(int)
        for r in rows:
            counts[r["grid_code"]] += 1
        report.by_grid = dict(counts)
    return report, rows


def import_visits(path: Path, *, session: Session, actor: Actor = SYSTEM, today: date,
                  progress: Progress | None = None, dry_run: bool = False) -> ImportReport:
    """Validate the whole file, then insert every visit (or raise InvalidImport)."""
    if not actor.may_write:
        raise AccessDenied(f"角色 {actor.role} 无权导入数据",
                           en=f"The role {actor.role} may not import data.", code="role_denied")
    report, rows = validate_visits(path, session=session, actor=actor, today=today, progress=progress)
    if report.problems:
        raise InvalidImport(report)
    if dry_run:
        return report
    now = utcnow()
    records = [{
        "household_id": r["household_id"], "worker_id": r["worker_id"], "visited_on": r["visited_on"],
        "income_per_capita_yuan": r.get("income_per_capita_yuan"),
        **{f: bool(r.get(f)) for f in FLAGS},
        "notes": (r.get("notes") or "")[:1000], "created_at": now,
    } for r in rows]
    return insert_rows(session, Visit, records, report, actor=actor, action="import.visits",
                       reason=f"导入走访记录 {report.source}", progress=progress)
