"""Grid import into the database: right grids from county files, upsert by code, all or nothing."""
from __future__ import annotations

import warnings

import click
import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box
from sqlalchemy import func, select

from grid.access import SYSTEM, Actor, AccessDenied, Role
from grid.db import session_scope
from grid.frames import grids_frame
from grid.geometry import load_demo_grids
from jizhen.import_cli import register
from grid.imports import InvalidImport
from grid.imports.grids import import_grids
from grid.models import AuditEntry, CommunityGrid

warnings.filterwarnings("ignore", message=".*(Normalized/laundered|truncated).*")


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar()


def county_shapefile(tmp_path, *, epsg=4549, cpg=True):
    path = tmp_path / "众兴网格.shp"
    demo = load_demo_grids().to_crs(epsg).rename(columns={"code": "网格编码", "name": "网格名称"})
    demo.to_file(path, encoding="GBK")
    if not cpg:
        path.with_suffix(".cpg").unlink()
        data = bytearray(path.with_suffix(".dbf").read_bytes())
        data[29] = 0  # no language-driver byte either
        path.with_suffix(".dbf").write_bytes(bytes(data))
    return path


def stored_matches_demo(engine) -> None:
    demo = load_demo_grids()
    stored = grids_frame(engine, SYSTEM)
    assert stored["code"].tolist() == demo["code"].tolist()
    assert stored["name"].tolist() == demo["name"].tolist()
    for a, b in zip(stored.geometry, demo.geometry):
        assert shapely.hausdorff_distance(a, b) < 1e-7


def cli():
    group = click.Group()
    register(group)
    return group


def cli_env(engine) -> dict:
    return {"DATABASE_URL": engine.url.render_as_string(hide_password=False)}


@pytest.mark.parametrize("cpg", [True, False])
def test_county_shapefile_gives_the_right_grids(engine, tmp_path, cpg):
    path = county_shapefile(tmp_path, cpg=cpg)
    with session_scope(engine) as session:
        report = import_grids(path, session=session, actor=SYSTEM)
    assert (report.created, report.updated) == (12, 0)
    stored_matches_demo(engine)
    with engine.connect() as conn:
        entries = conn.execute(select(AuditEntry.action, AuditEntry.after_json)).all()
    assert [e.action for e in entries] == ["import.grids"]
    assert '"crs": "EPSG:4549"' in entries[0].after_json


def test_geopackage_4528_then_upsert_by_code(engine, tmp_path):
    demo = load_demo_grids()
    gpkg = tmp_path / "grids.gpkg"
    demo.to_crs(4528).to_file(gpkg, driver="GPKG")
    with session_scope(engine) as session:
        import_grids(gpkg, session=session, actor=SYSTEM)
    stored_matches_demo(engine)
    # The county renames one grid and re-sends the file: updated in place, no new rows.
    renamed = demo.copy()
    renamed.loc[0, "name"] = "城中社区（新）"
    renamed.to_file(tmp_path / "v2.geojson")
    with session_scope(engine) as session:
        report = import_grids(tmp_path / "v2.geojson", session=session, actor=SYSTEM)
    assert (report.created, report.updated) == (0, 12)
    assert count(engine, CommunityGrid) == 12
    assert grids_frame(engine, SYSTEM).loc[0, "name"] == "城中社区（新）"


def test_invalid_file_writes_nothing(engine, tmp_path):
    demo = load_demo_grids()
    broken = demo.copy()
    x0, y0, x1, y1 = broken.geometry.iloc[3].bounds
    broken.loc[3, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # bow-tie
    broken.loc[5, "name"] = ""
    broken.to_file(tmp_path / "bad.geojson")
    with pytest.raises(InvalidImport) as info:
        with session_scope(engine) as session:
            import_grids(tmp_path / "bad.geojson", session=session, actor=SYSTEM)
    problems = {(p.row, p.reason_zh.split("：")[0]) for p in info.value.problems}
    assert (4, "多边形无效") in problems and (6, "网格名称为空") in problems
    assert count(engine, CommunityGrid) == 0 and count(engine, AuditEntry) == 0


def test_overlap_with_stored_grid(engine, tmp_path):
    demo = load_demo_grids()
    demo.to_file(tmp_path / "all.geojson")
    with session_scope(engine) as session:
        import_grids(tmp_path / "all.geojson", session=session, actor=SYSTEM)
    centre = demo.geometry.iloc[0].representative_point()
    extra = gpd.GeoDataFrame({"code": ["321323100099"], "name": ["新区"]},
                             geometry=[box(centre.x, centre.y, centre.x + 0.003, centre.y + 0.003)],
                             crs=4326)
    extra.to_file(tmp_path / "extra.geojson")
    with pytest.raises(InvalidImport) as info:
        with session_scope(engine) as session:
            import_grids(tmp_path / "extra.geojson", session=session, actor=SYSTEM)
    assert any("321323100001" in p.reason_zh and "重叠" in p.reason_zh for p in info.value.problems)
    assert count(engine, CommunityGrid) == 12


def test_only_county_or_town_staff_import_grids(engine, tmp_path):
    load_demo_grids().to_file(tmp_path / "all.geojson")
    worker = Actor("w", Role.GRID_WORKER, frozenset({"321323100001"}))
    with pytest.raises(AccessDenied):
        with session_scope(engine) as session:
            import_grids(tmp_path / "all.geojson", session=session, actor=worker)


def test_cli_import_grids(engine, tmp_path):
    path = county_shapefile(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli(), ["import", "grids", str(path), "--quiet"], env=cli_env(engine))
    assert result.exit_code == 0, result.output
    assert "新增网格 12 条" in result.stdout
    stored_matches_demo(engine)

    path.with_suffix(".prj").unlink()
    result = runner.invoke(cli(), ["import", "grids", str(path)], env=cli_env(engine))
    assert result.exit_code == 1
    assert "没有坐标系" in result.stderr and "未写入任何数据" in result.stderr
