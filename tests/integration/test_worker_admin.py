"""Administration services (issue 12): grid workers, roster import, households outside every grid,
and the dry run of a boundary import (grid.workers, grid.imports.grids.preview_grids)."""
from __future__ import annotations

import json
from datetime import date

import pytest
from openpyxl import Workbook
from sqlmodel import select

from grid import workers as wk
from grid.access import AccessDenied
from grid.db import StaleEdit, session_scope
from grid.imports.grids import preview_grids
from grid.imports.report import InvalidImport
from grid.models import AuditEntry, CommunityGrid, GridWorker, Household, VisitAssignment
from tests.cases_fixtures import COUNTY, LEADER, build_world


def _actions(s):
    return [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        build_world(s)
    return engine


def test_add_move_deactivate_audited_and_guarded(world):
    with session_scope(world) as s:
        w = wk.add_worker(session=s, actor=COUNTY, name="新网格员", phone="13911112222", employment="兼职",
                          grid_code="G01")
        wid, v = w.id, w.version
        assert w.employment == "part_time"
    for kw, word in [({"phone": "13911112222"}, "已是在岗"), ({"employment": "临时"}, "专职"),
                     ({"grid_code": "G99"}, "不存在"), ({"name": " "}, "姓名"), ({"phone": "abc"}, "手机号")]:
        args = dict(name="另一人", phone="13933334444", employment="专职", grid_code="G02") | kw
        with pytest.raises(wk.WorkerError) as e, session_scope(world) as s:
            wk.add_worker(session=s, actor=COUNTY, **args)
        assert word in e.value.zh
    with pytest.raises(AccessDenied), session_scope(world) as s:
        wk.add_worker(session=s, actor=LEADER, name="某", phone="13955556666", employment="专职", grid_code="G01")
    with session_scope(world) as s:
        wk.move_worker(session=s, actor=COUNTY, worker_id=wid, grid_code="G02", reason="工作调整",
                       expected_version=v)
    with pytest.raises(StaleEdit), session_scope(world) as s:  # a form that showed the old version
        wk.deactivate_worker(session=s, actor=COUNTY, worker_id=wid, reason="离职", expected_version=v)
    with session_scope(world) as s:
        g2 = s.exec(select(CommunityGrid).where(CommunityGrid.code == "G02")).one()
        w = s.get(GridWorker, wid)
        assert w.grid_id == g2.id and w.active
        hh = s.exec(select(Household).where(Household.grid_id == g2.id)).first()
        s.add(VisitAssignment(household_id=hh.id, worker_id=wid, due_on=date(2025, 10, 30), assigned_by="x"))
    with pytest.raises(wk.WorkerError) as e, session_scope(world) as s:
        wk.deactivate_worker(session=s, actor=COUNTY, worker_id=wid, reason="离职")
    assert "改派" in e.value.zh
    with session_scope(world) as s:
        for a in s.exec(select(VisitAssignment)).all():
            a.status = "cancelled"
            s.add(a)
    with session_scope(world) as s:
        wk.deactivate_worker(session=s, actor=COUNTY, worker_id=wid, reason="离职")
        assert not s.get(GridWorker, wid).active
        assert _actions(s) == ["worker.add", "worker.move", "worker.deactivate"]


def _roster(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号", "类型", "网格编码"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_roster_import_all_or_nothing_with_row_errors(world, tmp_path):
    bad = _roster(tmp_path / "bad.xlsx", [["甲", "13800001111", "专职", "G01"],
                                           ["乙", "13800001111", "兼职", "G02"],
                                           ["丙", "13800002222", "临时工", "G09"],
                                           ["丁", "13900000000", "专职", "G01"]])  # phone of 专职0
    with pytest.raises(InvalidImport) as e, session_scope(world) as s:
        wk.import_roster(bad, session=s, actor=COUNTY)
    text = str(e.value)
    assert "行 3" in text and "重复" in text
    assert "行 4" in text and "临时工" in text and "G09" in text
    assert "行 5" in text and "已是在岗" in text
    with session_scope(world) as s:
        assert len(s.exec(select(GridWorker)).all()) == 4
    good = _roster(tmp_path / "good.xlsx", [["甲", "13800001111", "专职", "G01"],
                                             ["乙", "13800003333", "兼职", "G02"]])
    with pytest.raises(AccessDenied), session_scope(world) as s:
        wk.import_roster(good, session=s, actor=LEADER)
    with session_scope(world) as s:
        rep = wk.import_roster(good, session=s, actor=COUNTY)
        assert rep.created == 2 and rep.by_grid == {"G01": 1, "G02": 1}
    with session_scope(world) as s:
        assert len(s.exec(select(GridWorker)).all()) == 6
        assert _actions(s) == ["import.workers"]


def test_outside_households_fixed_by_location_or_by_hand(world):
    with session_scope(world) as s:
        out = Household(address="城外1号", lon=118.70, lat=33.80, grid_id=None, head_name="钱戊五",
                        head_id_number="32132319600101999X", members=1)
        out2 = Household(address="城外2号", lon=118.71, lat=33.81, grid_id=None, head_name="孙己六",
                         head_id_number="321323196001029990", members=1)
        s.add_all([out, out2])
        s.flush()
        a, b = out.id, out2.id
    with session_scope(world) as s:
        rows = wk.outside_households(session=s, actor=COUNTY)
        assert {r["id"] for r in rows} == {a, b} and all("*" in r["head_name"] for r in rows)
    with pytest.raises(wk.WorkerError) as e, session_scope(world) as s:
        wk.relocate_household(session=s, actor=COUNTY, household_id=a, lon=118.70, lat=33.80, reason="核实")
    assert "仍不在任何网格内" in e.value.zh
    with pytest.raises(wk.WorkerError), session_scope(world) as s:
        wk.assign_household_grid(session=s, actor=COUNTY, household_id=b, grid_code="G02", reason="")
    with session_scope(world) as s:
        wk.relocate_household(session=s, actor=COUNTY, household_id=a, lon=118.605, lat=33.702,
                              reason="门牌坐标录错")
        wk.assign_household_grid(session=s, actor=COUNTY, household_id=b, grid_code="G02",
                                 reason="村委会确认归属演示二网格")
    with session_scope(world) as s:
        codes = {g.id: g.code for g in s.exec(select(CommunityGrid)).all()}
        assert codes[s.get(Household, a).grid_id] == "G01" and codes[s.get(Household, b).grid_id] == "G02"
        assert wk.outside_households(session=s, actor=COUNTY) == []
        assert _actions(s) == ["household.relocate", "household.assign_grid"]


def test_preview_reports_moves_and_strays_and_writes_nothing(world, tmp_path):
    # G01 shrinks to its western half: households at lon 118.603/118.604 stay, 118.605 falls out;
    # G02 grows west to 118.6045, taking 118.605.
    f = tmp_path / "grids.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "G01", "name": "演示一网格"},
         "geometry": {"type": "Polygon", "coordinates": [[[118.60, 33.70], [118.6045, 33.70],
                                                          [118.6045, 33.71], [118.60, 33.71], [118.60, 33.70]]]}},
        {"type": "Feature", "properties": {"code": "G02", "name": "演示二网格"},
         "geometry": {"type": "Polygon", "coordinates": [[[118.6045, 33.70], [118.6135, 33.70],
                                                          [118.6135, 33.71], [118.6045, 33.71], [118.6045, 33.70]]]}},
    ]}), encoding="utf-8")
    with session_scope(world) as s:
        p = preview_grids(f, session=s, actor=COUNTY)
    assert p["updated"] == ["G01", "G02"] and p["created"] == []
    # 118.605 (G01) -> G02; 118.614 (G02) -> outside; 118.613 stays in G02
    assert p["moved"] == 1 and p["moved_sample"][0]["from_code"] == "G01" and p["moved_sample"][0]["to_code"] == "G02"
    assert p["outside"] == 1 and p["outside_sample"][0]["from_code"] == "G02"
    assert "*" in p["moved_sample"][0]["head_name"]
    with session_scope(world) as s:  # nothing written
        assert s.exec(select(AuditEntry)).all() == []
        g1 = s.exec(select(CommunityGrid).where(CommunityGrid.code == "G01")).one()
        assert "118.61" in g1.geometry_wkt


def test_a_grid_assigned_by_hand_survives_boundary_imports_until_a_grid_covers_the_location(world, tmp_path):
    from grid.imports.grids import import_grids
    from grid.placement import placed_grid

    # the rule itself
    assert placed_grid("G01", "G02", True, {"G01", "G02"}) == ("G01", False)  # the map covers it now
    assert placed_grid(None, "G02", True, {"G01", "G02"}) == ("G02", True)    # kept
    assert placed_grid(None, "G02", True, {"G01"}) == (None, False)           # its grid is gone
    assert placed_grid(None, "G02", False, {"G01", "G02"}) == (None, False)   # not by hand: outside

    with session_scope(world) as s:
        stray = Household(address="城外3号", lon=118.70, lat=33.80, grid_id=None, head_name="周庚七",
                          head_id_number="321323196001039996", members=1)
        s.add(stray)
        s.flush()
        hid = stray.id
        wk.assign_household_grid(session=s, actor=COUNTY, household_id=hid, grid_code="G02",
                                 reason="社区确认归属演示二网格")

    def grids_file(name, features):
        f = tmp_path / name
        f.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": code, "name": label},
             "geometry": {"type": "Polygon", "coordinates": [ring]}} for code, label, ring in features]}),
            encoding="utf-8")
        return f

    # G02 again, unchanged (tests/cases_fixtures.py): the stray stays outside it
    same = grids_file("same.geojson", [("G02", "演示二网格", [[118.61, 33.70], [118.62, 33.70], [118.62, 33.71],
                                                             [118.61, 33.71], [118.61, 33.70]])])
    with session_scope(world) as s:
        preview = preview_grids(same, session=s, actor=COUNTY)
        assert preview["kept_by_hand"] == 1
        assert hid not in {r["id"] for r in preview["outside_sample"]}
    with session_scope(world) as s:
        rep = import_grids(same, session=s, actor=COUNTY)
        assert rep.details["households_kept_by_hand"] == 1
    with session_scope(world) as s:
        h = s.get(Household, hid)
        assert h.grid_by_hand and s.get(CommunityGrid, h.grid_id).code == "G02"
    # a new grid now covers the location: placed by the map, no longer by hand
    covering = grids_file("g03.geojson", [("G03", "演示三网格", [[118.69, 33.79], [118.71, 33.79],
                                                                [118.71, 33.81], [118.69, 33.81],
                                                                [118.69, 33.79]])])
    with session_scope(world) as s:
        import_grids(covering, session=s, actor=COUNTY)
    with session_scope(world) as s:
        h = s.get(Household, hid)
        assert not h.grid_by_hand and s.get(CommunityGrid, h.grid_id).code == "G03"
