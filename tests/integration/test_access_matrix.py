"""The access matrix: every role × every domain query and export. No row from outside the role's
grids, exactly the rows inside them, and no unmasked ID number where the role may not see one.

Queries covered: grid.frames.* , grid.stats.collect_stats, grid.risk_service.latest_scores,
grid.assignments.open_assignments_frame / worker_visit_list, grid.visits.my_open_assignments,
grid.metrics.load_metrics_data, cases.services.list_cases / pending_cases_frame /
household_timeline, and the exports: the monthly public disclosure (always masked) and
grid.export.write_xlsx of what a page shows (masked by role with grid.privacy.mask_frame).
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from grid.access import SYSTEM, AccessDenied, Actor, Role
from grid.export import write_xlsx
from grid.frames import events_frame, grids_frame, households_frame, visits_frame, workers_frame
from grid.privacy import mask_frame
from grid.stats import collect_stats
from tests.conftest import DEMO_TODAY

ID_RE = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
PHONE_RE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
ROLES = [Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.TOWNSHIP_LEADER, Role.COUNTY_STAFF, Role.AUDITOR]


def actors(codes: list[str]) -> list[Actor]:
    """One actor per role; grid roles get the first grid, and one supervisor has two grids."""
    out = []
    for role in ROLES:
        scoped = role in (Role.GRID_WORKER, Role.GRID_SUPERVISOR)
        out.append(Actor(f"{role.value}_1", role, frozenset(codes[:1]) if scoped else None))
    out.append(Actor("grid_supervisor_2", Role.GRID_SUPERVISOR, frozenset(codes[1:3])))
    out.append(Actor("nobody", Role.GRID_WORKER, frozenset()))
    return out


def in_scope(actor: Actor, code) -> bool:
    return actor.grid_codes is None or code in actor.grid_codes


def _text_cells(df: pd.DataFrame) -> list[str]:
    return [str(v) for col in df.columns for v in df[col].tolist() if isinstance(v, str)]


def assert_no_clear_ids(df: pd.DataFrame, what: str):
    bad = [v for v in _text_cells(df) if ID_RE.search(v)]
    assert not bad, f"{what}: unmasked ID numbers {bad[:3]}"


@pytest.fixture
def world(demo_engine):
    with demo_engine.connect() as c:
        codes = sorted(grids_frame(c, SYSTEM)["code"])
        hh = households_frame(c, SYSTEM)
    grid_of = dict(zip(hh["id"], hh["grid_code"]))
    return demo_engine, codes, grid_of


def test_frames_and_stats_by_role(world):
    engine, codes, grid_of = world
    with engine.connect() as c:
        all_hh = households_frame(c, SYSTEM)
        all_workers = workers_frame(c, SYSTEM)
        all_visits = visits_frame(c, SYSTEM)
        all_events = events_frame(c, SYSTEM)
        for actor in actors(codes):
            exp_hh = {h for h, g in grid_of.items() if in_scope(actor, g)}
            g = grids_frame(c, actor)
            assert set(g["code"]) == {x for x in codes if in_scope(actor, x)}, actor
            w = workers_frame(c, actor)
            assert set(w["id"]) == set(all_workers.loc[all_workers["grid_code"].map(
                lambda x: in_scope(actor, x)), "id"]), actor
            hh = households_frame(c, actor, personal=True)
            assert set(hh["id"]) == exp_hh, actor
            assert hh["grid_code"].map(lambda x: in_scope(actor, x)).all()
            shown = mask_frame(hh, actor)
            if not actor.sees_personal_data:
                assert_no_clear_ids(shown, f"households for {actor.role}")
                assert not shown["phone"].astype(str).str.contains(PHONE_RE).any()
            assert_no_clear_ids(mask_frame(hh, actor, public=True), "public household list")
            v = visits_frame(c, actor)
            assert set(v["id"]) == set(all_visits.loc[all_visits["household_id"].isin(exp_hh), "id"])
            e = events_frame(c, actor)
            assert set(e["id"]) == set(all_events.loc[all_events["household_id"].isin(exp_hh), "id"])
            stats = collect_stats(engine, actor)
            assert stats["households"] == len(exp_hh) + stats["households_outside_grids"]
            assert {r["code"] for r in stats["by_grid"]} <= {x for x in codes if in_scope(actor, x)}
            if actor.grid_codes is not None:
                assert stats["households_outside_grids"] == 0
    assert len(all_hh) > 0


def test_risk_assignment_metric_queries_by_role(world):
    from grid.assignments import open_assignments_frame
    from grid.metrics import load_metrics_data
    from grid.risk_service import latest_scores
    from grid.visits import my_open_assignments

    engine, codes, grid_of = world
    with engine.connect() as c:
        for actor in actors(codes):
            scores = latest_scores(c, actor)
            assert scores["household_id"].map(lambda h: in_scope(actor, grid_of.get(h))).all(), actor
            for df in (open_assignments_frame(c, actor), my_open_assignments(c, actor)):
                assert df["grid_code"].map(lambda x: in_scope(actor, x)).all(), actor
                assert_no_clear_ids(df, "assignments")
            data = load_metrics_data(c, actor)
            assert data.households["grid_code"].map(lambda x: in_scope(actor, x)).all()
            assert data.visits["household_id"].map(lambda h: in_scope(actor, grid_of.get(h))).all()
            if len(data.cases):
                assert data.cases["grid_code"].map(lambda x: in_scope(actor, x)).all()


def test_cases_queries_by_role(world):
    from cases import services

    engine, codes, grid_of = world
    with Session(engine) as s:
        everything = services.list_cases(session=s, actor=SYSTEM, today=DEMO_TODAY)
        assert everything, "the demo should contain cases"
        for actor in actors(codes):
            rows = services.list_cases(session=s, actor=actor, today=DEMO_TODAY)
            expected = {r["id"] for r in everything if r["grid_code"] is not None and in_scope(actor, r["grid_code"])}
            if actor.grid_codes is None:
                expected = {r["id"] for r in everything}
            assert {r["id"] for r in rows} == expected, actor
            df = pd.DataFrame(rows)
            if len(df):
                assert_no_clear_ids(df, f"cases for {actor.role}")
                if not actor.sees_personal_data:
                    by_id = {r["id"]: r["person_name"] for r in everything}
                    clear = [r for r in rows if len(r["person_name"]) > 1 and r["person_name"] == by_id[r["id"]]]
                    assert not clear, f"{actor.role} sees clear names {clear[:2]}"
            pending = services.pending_cases_frame(s, actor, DEMO_TODAY)
            assert pending["grid_code"].map(lambda x: in_scope(actor, x)).all()
            # A household outside the actor's grids has no visible timeline.
            outside = [h for h, g in grid_of.items() if not in_scope(actor, g)]
            if outside:
                try:
                    tl = services.household_timeline(session=s, actor=actor, household_id=outside[0])
                except (AccessDenied, Exception) as exc:  # noqa: BLE001 - refusing is fine
                    assert isinstance(exc, AccessDenied) or "不在" in str(exc) or "权" in str(exc), exc
                else:
                    assert not tl, f"{actor.role} sees the timeline of household {outside[0]} outside its grids"


def test_exports_by_role_never_leak(world, tmp_path):
    from cases import services
    from cases.models import Payment

    engine, codes, grid_of = world
    with Session(engine) as s:
        months = sorted({p.paid_on.strftime("%Y-%m") for p in s.exec(select(Payment)).all()})
    assert months, "the demo should contain payments"
    month = months[-1]
    for actor in actors(codes):
        out = tmp_path / f"{actor.username}.xlsx"
        try:
            with Session(engine) as s:
                services.export_disclosure(session=s, actor=actor, month=month, out_path=out,
                                           published_on=DEMO_TODAY)
                s.rollback()
        except AccessDenied:
            continue
        except Exception as exc:  # noqa: BLE001 - a role refused by the domain rules
            if "无权" in str(exc) or "权限" in str(exc):
                continue
            raise
        wb = load_workbook(out)
        cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
                 if c is not None]
        assert not [c for c in cells if ID_RE.search(c)], f"public disclosure by {actor.role} leaks IDs"
        assert not [c for c in cells if PHONE_RE.search(c) and "监督" not in c]
        grids_in_file = {c for c in cells if c in set(codes)}
        assert all(in_scope(actor, g) for g in grids_in_file), (actor, grids_in_file)
    # What a page exports (households on screen) goes through mask_frame + write_xlsx.
    with engine.connect() as c:
        for actor in actors(codes):
            hh = households_frame(c, actor, personal=True)
            path = write_xlsx({"住户": mask_frame(hh, actor)}, tmp_path / f"hh-{actor.username}.xlsx")
            ws = load_workbook(path).worksheets[0]
            values = [str(v) for row in ws.iter_rows(min_row=2, values_only=True) for v in row if v is not None]
            if not actor.sees_personal_data:
                assert not [v for v in values if ID_RE.search(v)]
            header = [c.value for c in ws[1]]
            if "grid_code" in header:
                col = header.index("grid_code")
                assert all(in_scope(actor, row[col]) for row in ws.iter_rows(min_row=2, values_only=True))


def test_injection_strings_stored_verbatim_and_neutralised(engine, tmp_path):
    """SQL-, HTML- and formula-shaped text survives the database unchanged and never becomes a
    formula in an export."""
    from grid.db import session_scope
    from grid.models import Household
    from tests.access_fixtures import small_world

    world = small_world(engine)
    nasty = ["Robert'); DROP TABLE household;--", "<script>alert(1)</script>",
             '=HYPERLINK("http://evil.example","点我")', "+SUM(A1:A9)", "@cmd", "-1+1", "'; --"]
    ids = []
    with session_scope(engine) as s:
        for i, txt in enumerate(nasty):
            h = Household(address=txt, lon=118.02, lat=33.02, grid_id=world["grids"]["G1"],
                          head_name=txt[:32], head_id_number=f"32132319900101{i:03d}X", phone="")
            s.add(h)
            s.flush()
            ids.append(h.id)
    with engine.connect() as c:
        hh = households_frame(c, SYSTEM, personal=True)
    got = hh.set_index("id").loc[ids, "address"].tolist()
    assert got == nasty  # verbatim, and the table still exists
    path = write_xlsx({"住户": hh[hh["id"].isin(ids)][["id", "address", "head_name"]]}, tmp_path / "x.xlsx")
    ws = load_workbook(path).worksheets[0]
    for row in ws.iter_rows(min_row=2):
        for cell in row[1:]:
            assert cell.data_type != "f"
            v = str(cell.value)
            assert not v.startswith(("=", "+", "-", "@")), v
