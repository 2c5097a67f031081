"""`import_households`: a household roster (CSV/XLSX) into the household table.

Rules: every cell parses (see grid.imports.columns for the headers); the head's ID number passes
GB 11643 (numbers stored by Excel are explained); coordinates lie inside some grid of the database
(else the row is listed as a stray) and inside the actor's grids; the same head ID number appears
once in the file and not yet in the database. Nothing is written unless every row is valid; the
insert runs in the caller's transaction with one audit entry.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlmodel import Session

from grid.access import AccessDenied, Actor, SYSTEM
from grid.frames import grids_frame
from grid.geometry import grid_codes_for
from grid.geotypes import utcnow
from grid.imports.report import ImportReport, InvalidImport, Progress
from grid.imports.rows import insert_rows, read_rows
from grid.models import Household

BOOL_FIELDS = ("elderly_alone", "severe_disability", "serious_illness", "dibao", "tekun")


def existing_id_numbers(session: Session, numbers: list[str]) -> set[str]:
    found: set[str] = set()
    col = Household.__table__.c.head_id_number
    for i in range(0, len(numbers), 500):
        chunk = numbers[i:i + 500]
        found.update(session.execute(select(col).where(col.in_(chunk))).scalars())
    return found


def validate_households(path: Path, *, session: Session, actor: Actor = SYSTEM,
                        today: date | None = None, progress: Progress | None = None
                        ) -> tuple[ImportReport, list[dict]]:
    path = Path(path)
    report = ImportReport(kind="households", source=path.name)
    rows = read_rows(path, "households", report, today=today, progress=progress)
    if not rows:
        return report, []
    labels = report.details["labels"]

    # Duplicates within the file.
    first_seen: dict[str, int] = {}
    for r in rows:
        number = r.get("head_id_number")
        if not number:
            continue
        if number in first_seen:
            report.add(r["_row"], labels["head_id_number"],
                       f"身份证号 {number} 与第 {first_seen[number]} 行重复",
                       f"the ID number {number} is already in row {first_seen[number]}")
            r["_ok"] = False
        else:
            first_seen[number] = r["_row"]
    # Duplicates against the database.
    for number in sorted(existing_id_numbers(session, list(first_seen))):
        report.add(first_seen[number], labels["head_id_number"],
                   f"数据库中已有户主身份证号为 {number} 的住户（重复导入）",
                   f"a household whose head has the ID number {number} is already stored "
                   "(imported twice)")

    # Coordinates: plausible, and inside a grid (vectorised point-in-polygon).
    grids = grids_frame(session.connection(), SYSTEM)
    if grids.empty:
        report.add(None, "", "数据库中还没有网格边界，请先导入网格（jizhen import grids 文件）",
                   "no grid boundaries are stored yet; import the grids first "
                   "(jizhen import grids FILE)")
        return report, rows
    located = [r for r in rows if r.get("lon") is not None and r.get("lat") is not None]
    for r in located:
        lon, lat = r["lon"], r["lat"]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            swapped = -180 <= lat <= 180 and -90 <= lon <= 90
            hint, hint_en = ("；经纬度是否填反了？", "; are longitude and latitude swapped?") if swapped else ("", "")
            report.add(r["_row"], labels["lon"], f"坐标 ({lon}, {lat}) 不是有效的经纬度{hint}",
                       f"({lon}, {lat}) is not a valid longitude/latitude{hint_en}")
            r["_ok"] = False
            r["lon"] = None
    located = [r for r in located if r["lon"] is not None]
    codes = grid_codes_for(np.array([r["lon"] for r in located], dtype=float),
                           np.array([r["lat"] for r in located], dtype=float), grids)
    grid_ids = dict(zip(grids["code"], grids["id"]))
    for r, code in zip(located, codes):
        if code is None:
            lon, lat = r["lon"], r["lat"]
            hint, hint_en = "", ""
            if any(c is not None for c in grid_codes_for(np.array([lat]), np.array([lon]), grids)):
                hint = "；交换经纬度后落在网格内，请检查经度、纬度是否填反"
                hint_en = ("; with longitude and latitude swapped it lies in a grid: check whether "
                           "they are swapped")
            problem = report.add(r["_row"], f"{labels['lon']}/{labels['lat']}",
                                 f"坐标 ({lon}, {lat}) 不在任何网格内（网格外住户）{hint}",
                                 f"({lon}, {lat}) lies outside every grid (a household outside "
                                 f"the grids){hint_en}")
            report.strays.append(problem)
            r["_ok"] = False
        elif not actor.sees_grid(code):
            report.add(r["_row"], labels["lon"], f"该住户位于网格 {code}，不在您负责的网格范围内",
                       f"the household lies in grid {code}, which is not one of your grids")
            r["_ok"] = False
        else:
            r["grid_code"] = code
            r["grid_id"] = int(grid_ids[code])
    if not report.problems:
        report.by_grid = dict(Counter(r["grid_code"] for r in rows))
    return report, rows


def import_households(path: Path, *, session: Session, actor: Actor = SYSTEM,
                      today: date | None = None, progress: Progress | None = None,
                      dry_run: bool = False) -> ImportReport:
    """Validate the whole file, then insert every household (or raise InvalidImport)."""
    if not actor.may_write:
        raise AccessDenied(f"角色 {actor.role} 无权导入数据",
                           en=f"The role {actor.role} may not import data.", code="role_denied")
    report, rows = validate_households(path, session=session, actor=actor, today=today,
                                       progress=progress)
    if report.problems:
        raise InvalidImport(report)
    if dry_run:
        return report
    now = utcnow()
    records = [{
        "address": r["address"], "lon": r["lon"], "lat": r["lat"], "grid_id": r["grid_id"],
        "members": r["members"], "head_name": r["head_name"], "head_id_number": r["head_id_number"],
        "phone": r.get("phone") or "", "minors": r.get("minors") or 0,
        "income_per_capita_yuan": r.get("income_per_capita_yuan") or 0.0,
        **{f: bool(r.get(f)) for f in BOOL_FIELDS},
        "version": 1, "created_at": now,
    } for r in rows]
    report = insert_rows(session, Household, records, report, actor=actor,
                         action="import.households", reason=f"导入住户名册 {report.source}",
                         progress=progress)
    write_import_history(session, records, actor=actor, today=today, source_name=report.source)
    return report


HISTORY_CHUNK = 2000  # households per batch of fact-history rows


def write_import_history(session: Session, records: list[dict], *, actor: Actor,
                         today: date | None, source_name: str) -> int:
    """The imported register facts start their history on the import day (grid.facts): a replay
    of an earlier day does not see them."""
    from grid.facts import FACT_FIELDS, fact_rows, local_today, write_history

    day = today or local_today()
    col = Household.__table__.c
    written = 0
    # In chunks: a county roster of 300k rows would otherwise hold every fact row at once.
    for i in range(0, len(records), HISTORY_CHUNK):
        chunk = records[i:i + HISTORY_CHUNK]
        numbers = [r["head_id_number"] for r in chunk]
        ids: dict[str, int] = {}
        for j in range(0, len(numbers), 500):
            result = session.execute(select(col.head_id_number, col.id)
                                     .where(col.head_id_number.in_(numbers[j:j + 500])))
            ids.update((number, hid) for number, hid in result.all())
        rows = []
        for r in chunk:
            rows.extend(fact_rows(ids[r["head_id_number"]], {f: r[f] for f in FACT_FIELDS},
                                  valid_from=day, recorded_on=day, source="import",
                                  recorded_by=actor.username, reason=f"导入住户名册 {source_name}"))
        written += write_history(session, rows)
    return written
