"""Visit import: known household and worker, dates, duplicates, all-or-nothing, template."""
from __future__ import annotations

from datetime import date

import click
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from grid.access import SYSTEM
from grid.db import session_scope
from grid.geometry import load_demo_grids
from grid.ids import make_id_number
from jizhen.import_cli import register
from grid.imports import InvalidImport
from grid.imports.columns import VISIT_COLUMNS
from grid.imports.grids import import_grids
from grid.imports.visits import import_visits
from grid.imports.templates import write_template
from grid.models import AuditEntry, CommunityGrid, GridWorker, Household, Visit

TODAY = date(2026, 11, 29)
HEADERS = [c.header for c in VISIT_COLUMNS]
G1, G2 = "321323100001", "321323100002"
ID_A = make_id_number("321323", date(1960, 5, 1), 11)  # household in G1
ID_B = make_id_number("321323", date(1965, 6, 2), 12)  # household in G2


@pytest.fixture
def world(engine, tmp_path):
    """Demo grids; two households; workers: 王芳 in G1 (twice: same name), 李强 in G1, 赵敏 in G2."""
    load_demo_grids().to_file(tmp_path / "grids.geojson")
    with session_scope(engine) as session:
        import_grids(tmp_path / "grids.geojson", session=session, actor=SYSTEM)
    with session_scope(engine) as session:
        ids = dict(session.execute(select(CommunityGrid.code, CommunityGrid.id)).all())
        pts = load_demo_grids().geometry.representative_point()
        session.add_all([
            Household(address="甲路1号", lon=pts.iloc[0].x, lat=pts.iloc[0].y, grid_id=ids[G1],
                      members=2, head_name="甲", head_id_number=ID_A),
            Household(address="乙路2号", lon=pts.iloc[1].x, lat=pts.iloc[1].y, grid_id=ids[G2],
                      members=3, head_name="乙", head_id_number=ID_B),
            GridWorker(name="王芳", phone="13900000001", employment="full_time", grid_id=ids[G1]),
            GridWorker(name="王芳", phone="13900000002", employment="part_time", grid_id=ids[G1]),
            GridWorker(name="李强", phone="13900000003", employment="part_time", grid_id=ids[G1]),
            GridWorker(name="赵敏", phone="13900000004", employment="full_time", grid_id=ids[G2]),
        ])
    return engine


def row(id_number=ID_A, day="2026-11-01", name="李强", phone="", income="", flags=("否",) * 6, notes=""):
    return [id_number, day, name, phone, income, *flags, notes]


def write_csv(tmp_path, rows, encoding="utf-8", name="v.csv"):
    pd.DataFrame(rows, columns=HEADERS).to_csv(tmp_path / name, index=False, encoding=encoding)
    return tmp_path / name


def do_import(engine, path):
    with session_scope(engine) as session:
        return import_visits(path, session=session, actor=SYSTEM, today=TODAY)


def n_visits(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Visit)).scalar()


def rejected(engine, path) -> dict[int, str]:
    before = n_visits(engine)
    with pytest.raises(InvalidImport) as info:
        do_import(engine, path)
    assert n_visits(engine) == before
    out: dict[int, str] = {}
    for p in info.value.problems:
        out[p.row] = (out[p.row] + "；" if p.row in out else "") + p.reason_zh
    return out


def test_valid_gbk_visits(world, tmp_path):
    path = write_csv(tmp_path, [
        row(name="李强", income="850", flags=("是", "否", "N", "0", "Y", "false"), notes="房屋漏雨"),
        row(id_number=ID_B, day="2026/11/2", name="赵敏"),
        row(name="", phone="13900000004", day="2026年11月3日"),  # 赵敏 helps in G1: found by phone
        row(name="王芳", phone="13900000002"),  # same name twice in G1: the phone decides
    ], encoding="gbk")
    report = do_import(world, path)
    assert report.created == 4 and report.by_grid == {G1: 3, G2: 1}
    with world.connect() as conn:
        got = conn.execute(select(Visit.visited_on, GridWorker.phone, Visit.income_per_capita_yuan,
                                  Visit.housing_loss, Visit.lost_job, Visit.notes)
                           .join(GridWorker, Visit.worker_id == GridWorker.id).order_by(Visit.id)).all()
        audits = conn.execute(select(AuditEntry.action)).scalars().all()
    assert [(g.visited_on, g.phone) for g in got] == [
        (date(2026, 11, 1), "13900000003"), (date(2026, 11, 2), "13900000004"),
        (date(2026, 11, 3), "13900000004"), (date(2026, 11, 1), "13900000002")]
    assert got[0].income_per_capita_yuan == 850.0 and got[0].housing_loss and got[0].lost_job
    assert got[0].notes == "房屋漏雨" and got[1].income_per_capita_yuan is None
    assert audits.count("import.visits") == 1


def test_future_dates(world, tmp_path):
    path = write_csv(tmp_path, [row(day="2026-11-29"), row(day="2026-11-30", name="王芳", phone="13900000001")])
    problems = rejected(world, path)
    assert list(problems) == [3] and "晚于今天" in problems[3]


def test_unknown_household_and_worker(world, tmp_path):
    stranger = make_id_number("321323", date(1990, 1, 1), 99)
    path = write_csv(tmp_path, [
        row(id_number=stranger),  # household not in the system
        row(name="赵敏"),  # 赵敏 works in G2, the household is in G1: by name only within the grid
        row(name="王芳"),  # two 王芳 in G1
        row(name="", phone="13999999999"),  # no such phone
        row(name="李强", phone="13900000004"),  # phone belongs to 赵敏
        row(name="", phone=""),  # nobody
    ])
    problems = rejected(world, path)
    assert "没有户主身份证号" in problems[2]
    assert "没有名为“赵敏”" in problems[3]
    assert "2 名网格员叫“王芳”" in problems[4] and "电话" in problems[4]
    assert "没有电话为 13999999999" in problems[5]
    assert "不一致" in problems[6]
    assert "至少填写一项" in problems[7]


def test_duplicates_in_file_and_against_database(world, tmp_path):
    do_import(world, write_csv(tmp_path, [row(day="2026-10-01")], name="first.csv"))
    path = write_csv(tmp_path, [
        row(day="2026-10-01"),  # already stored
        row(day="2026-10-02"),
        row(day="2026-10-02", name="", phone="13900000003"),  # same worker, found by phone
        row(day="2026-10-02", name="王芳", phone="13900000001"),  # another worker: not a duplicate
    ], name="second.csv")
    problems = rejected(world, path)
    assert set(problems) == {2, 4}
    assert "数据库中已有这次走访" in problems[2] and "与第 3 行重复" in problems[4]


def test_bad_cells(world, tmp_path):
    path = write_csv(tmp_path, [
        row(id_number="3.21323E+17"), row(income="-3", day="2026-11-02"),
        row(flags=("可能",) + ("否",) * 5, day="2026-11-03"), row(day="昨天"),
    ])
    problems = rejected(world, path)
    assert "科学计数法" in problems[2] and "负数" in problems[3]
    assert "是/否" in problems[4] and "日期" in problems[5]
    assert len(problems) == 4


def test_template_round_trip(world, tmp_path):
    path = write_template("visits", tmp_path / "走访模板.xlsx")
    wb = load_workbook(path)
    ws = wb["走访"]
    for r, values in enumerate([row(), row(id_number=ID_B, name="赵敏", income=1200)], start=2):
        for c, value in enumerate(values, start=1):  # overwrite the example row
            ws.cell(row=r, column=c, value=value)
    ws["B3"].value = date(2026, 11, 5)  # a real Excel date cell
    wb.save(path)
    group = click.Group()
    register(group)
    env = {"DATABASE_URL": world.url.render_as_string(hide_password=False)}
    result = CliRunner().invoke(group, ["import", "visits", str(path), "--today", "2026-11-29"], env=env)
    assert result.exit_code == 0, result.output
    assert "新增走访记录 2 条" in result.stdout
    with world.connect() as conn:
        assert conn.execute(select(Visit.visited_on).order_by(Visit.id)).scalars().all() == [
            date(2026, 11, 1), date(2026, 11, 5)]

    result = CliRunner().invoke(group, ["import", "visits", str(path), "--today", "2026-11-03"], env=env)
    assert result.exit_code == 1
    assert "行 3，列 B（走访日期）：日期 2026-11-05 晚于今天" in result.stderr


def test_main_cli_has_the_commands():
    from jizhen.cli import main

    assert {"import", "template"} <= set(main.commands)
    assert {"grids", "households", "visits"} <= set(main.commands["import"].commands)
