"""Issue 10 hardening: an import file over the size limit (JIZHEN_IMPORT_MAX_BYTES) is refused up
front with the same Chinese line from the command line and from the domain function the
dashboard's upload calls; nothing is written. A streamed file still imports whole."""
from __future__ import annotations

from datetime import date, timedelta

import click
import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from grid import workers as wk
from grid.access import SYSTEM
from grid.db import session_scope
from grid.geometry import load_demo_grids
from grid.ids import make_id_number
from grid.imports.columns import HOUSEHOLD_COLUMNS, WORKER_COLUMNS
from grid.imports.grids import import_grids
from grid.imports.households import import_households
from grid.imports.report import InvalidImport
from grid.models import AuditEntry, GridWorker, Household
from jizhen.import_cli import register
from tests.cases_fixtures import COUNTY, build_world

TODAY = date(2026, 11, 29)


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(m)).scalar()
                     for m in (Household, GridWorker, AuditEntry))


def _id(i: int, born: date = date(1950, 1, 1)) -> str:
    return make_id_number("321323", born + timedelta(days=i // 999), i % 999 + 1)


def _households_csv(path, n: int):
    demo = load_demo_grids()
    pts = demo.geometry.representative_point()
    lines = [",".join(c.header for c in HOUSEHOLD_COLUMNS)]
    for i in range(n):
        p = pts.iloc[i % len(pts)]
        lines.append(f"户主{i},{_id(i)},众兴镇{i}号,"
                     f"{p.x:.6f},{p.y:.6f},{1 + i % 4},,否,0,否,否,否,否,{300 + i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _refusal(path) -> str:
    size = f"{path.stat().st_size / 1024:.1f}".removesuffix(".0")
    return (f"文件：文件过大：{size} KB，超过导入上限 1.5 KB（JIZHEN_IMPORT_MAX_BYTES）；"
            "请把文件拆分为几个较小的文件分批导入")


@pytest.fixture
def world(engine, tmp_path):
    with session_scope(engine) as s:
        build_world(s)
    return engine


def test_oversized_file_refused_the_same_way_by_cli_and_upload(world, tmp_path, monkeypatch):
    households = _households_csv(tmp_path / "住户.csv", 40)
    roster = tmp_path / "网格员.csv"
    roster.write_text(",".join(c.header for c in WORKER_COLUMNS) + "\n"
                      + "".join(f"网格员{i},137{i:08d},专职,G01\n" for i in range(60)), encoding="utf-8")
    limit = 1500
    assert households.stat().st_size > limit and roster.stat().st_size > limit
    monkeypatch.setenv("JIZHEN_IMPORT_MAX_BYTES", str(limit))
    before = _counts(world)

    group = click.Group()
    register(group)
    env = {"DATABASE_URL": world.url.render_as_string(hide_password=False)}
    result = CliRunner().invoke(group, ["import", "households", str(households), "--today", "2026-11-29"],
                                env=env)
    assert result.exit_code == 1
    assert _refusal(households) in result.stderr.splitlines() and "未写入任何数据" in result.stderr

    # The dashboard's roster upload (系统管理) calls grid.workers.import_roster with the saved file.
    with pytest.raises(InvalidImport) as info:
        with session_scope(world) as s:
            wk.import_roster(roster, session=s, actor=COUNTY)
    (problem,) = info.value.problems
    assert problem.line() == _refusal(roster)  # the page lists problem.line() of each problem
    assert _counts(world) == before

    monkeypatch.setenv("JIZHEN_IMPORT_MAX_BYTES", str(10 * limit))  # under the limit: imported
    with session_scope(world) as s:
        assert wk.import_roster(roster, session=s, actor=COUNTY).created == 60
    assert _counts(world)[1] == before[1] + 60


def test_streamed_csv_and_xlsx_import_whole(engine, tmp_path):
    """More rows than the reader's chunks and the progress interval: every row written once."""
    load_demo_grids().to_file(tmp_path / "grids.geojson")
    with session_scope(engine) as s:
        import_grids(tmp_path / "grids.geojson", session=s, actor=SYSTEM)
    path = _households_csv(tmp_path / "h.csv", 2500)
    calls = []
    with session_scope(engine) as s:
        report = import_households(path, session=s, actor=SYSTEM, today=TODAY,
                                   progress=lambda *a: calls.append(a))
    assert report.created == 2500 and _counts(engine)[0] == 2500
    assert ("校验", 2500, 2500) in calls and calls[-1] == ("写入", 2500, 2500)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("住户")
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        cells = line.split(",")
        if k:  # other households: new ID numbers
            cells[1] = _id(k, date(1990, 1, 1))
        ws.append(cells)
    wb.save(tmp_path / "h.xlsx")
    with session_scope(engine) as s:
        assert import_households(tmp_path / "h.xlsx", session=s, actor=SYSTEM, today=TODAY).created == 2500
    assert _counts(engine)[0] == 5000


def test_a_grid_file_over_the_size_limit_is_refused_before_reading(engine, tmp_path, monkeypatch):
    """Grid boundary files get the same limit as every import: refused with the same Chinese line,
    nothing written."""
    import geopandas as gpd
    from shapely.geometry import box
    from sqlmodel import Session, select

    from grid.imports.grids import import_grids
    from grid.imports.report import InvalidImport
    from grid.models import CommunityGrid

    path = tmp_path / "grids.geojson"
    gpd.GeoDataFrame({"code": ["321323100001"], "name": ["城中社区"]},
                     geometry=[box(118.6, 33.7, 118.61, 33.71)], crs="EPSG:4326").to_file(path, driver="GeoJSON")
    monkeypatch.setenv("JIZHEN_IMPORT_MAX_BYTES", str(path.stat().st_size - 1))
    with Session(engine) as s:
        with pytest.raises(InvalidImport) as e:
            import_grids(path, session=s)
        (problem,) = e.value.report.problems
        assert problem.reason_zh.startswith("文件过大") and "JIZHEN_IMPORT_MAX_BYTES" in problem.reason_zh
        assert s.exec(select(CommunityGrid)).all() == []
