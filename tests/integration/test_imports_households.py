"""Household roster import: Excel numbers, GBK CSV, strays, duplicates, all-or-nothing, template."""
from __future__ import annotations

from datetime import date

import click
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from grid.access import SYSTEM, Actor, Role
from grid.db import session_scope
from grid.geometry import load_demo_grids
from grid.ids import make_id_number
from jizhen.import_cli import register
from grid.imports import InvalidImport
from grid.imports.columns import HOUSEHOLD_COLUMNS
from grid.imports.grids import import_grids
from grid.imports.households import import_households
from grid.models import AuditEntry, CommunityGrid, Household

TODAY = date(2026, 11, 29)
HEADERS = [c.header for c in HOUSEHOLD_COLUMNS]


@pytest.fixture
def grids_engine(engine, tmp_path):
    load_demo_grids().to_file(tmp_path / "grids.geojson")
    with session_scope(engine) as session:
        import_grids(tmp_path / "grids.geojson", session=session, actor=SYSTEM)
    return engine


def counts(engine) -> dict:
    with engine.connect() as conn:
        return {m.__name__: conn.execute(select(func.count()).select_from(m)).scalar()
                for m in (Household, AuditEntry)}


def inside_points(n: int):
    """n points, each inside a demo grid (cycling over the 12), with the expected grid code."""
    demo = load_demo_grids()
    pts = demo.geometry.representative_point()
    return [(pts.iloc[i % 12].x, pts.iloc[i % 12].y, demo["code"].iloc[i % 12]) for i in range(n)]


def roster(n: int, start: int = 1) -> list[list]:
    rows = []
    for i, (lon, lat, _) in enumerate(inside_points(n)):
        rows.append([f"测试户主{start + i}", make_id_number("321323", date(1970, 1, 1), start + i),
                     f"众兴镇测试路{start + i}号", round(lon, 6), round(lat, 6), 1 + i % 5,
                     f"1380000{start + i:04d}", "是" if i % 7 == 0 else "否", i % 3, "N", "0", "Y" if i % 4 == 0 else "N",
                     "否", 300 + 10 * i])
    return rows


def do_import(engine, path, actor=SYSTEM, **kw):
    with session_scope(engine) as session:
        return import_households(path, session=session, actor=actor, today=TODAY, **kw)


def rejected(engine, path, actor=SYSTEM) -> InvalidImport:
    before = counts(engine)
    with pytest.raises(InvalidImport) as info:
        do_import(engine, path, actor)
    assert counts(engine) == before, "nothing may be written when the file has problems"
    return info.value


def test_excel_ids_typed_as_numbers(grids_engine, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in roster(5):
        row[1] = int(row[1]) if row[1][-1] != "X" else row[1]  # typed without text format
        ws.append(row)
    wb.save(tmp_path / "名册.xlsx")
    error = rejected(grids_engine, tmp_path / "名册.xlsx")
    numeric = [p for p in error.problems if "存成了数字" in p.reason_zh]
    assert numeric and all(p.column == "B（户主身份证号）" for p in numeric)
    assert {p.row for p in numeric} == {r + 2 for r, row in enumerate(roster(5)) if row[1][-1] != "X"}
    assert counts(grids_engine)["Household"] == 0


def test_csv_saved_by_excel_with_scientific_ids(grids_engine, tmp_path):
    rows = roster(3)
    rows[1][1] = "3.21323E+17"
    rows[2][1] = rows[2][1][:15] + "000"  # digits lost beyond 15
    pd.DataFrame(rows, columns=HEADERS).to_csv(tmp_path / "r.csv", index=False, encoding="gbk")
    error = rejected(grids_engine, tmp_path / "r.csv")
    by_row = {p.row: p.reason_zh for p in error.problems}
    assert "科学计数法" in by_row[3] and "丢失" in by_row[4] and 2 not in by_row


def test_gbk_csv_imports_and_places_households(grids_engine, tmp_path):
    rows = roster(30)
    pd.DataFrame(rows, columns=HEADERS).to_csv(tmp_path / "名册.csv", index=False, encoding="gbk")
    seen = []
    report = do_import(grids_engine, tmp_path / "名册.csv", progress=lambda *a: seen.append(a))
    assert report.created == 30 and sum(report.by_grid.values()) == 30
    assert seen and seen[-1] == ("写入", 30, 30) and any(s[0] == "校验" for s in seen)
    with grids_engine.connect() as conn:
        stored = conn.execute(
            select(Household.head_name, Household.head_id_number, Household.dibao,
                   Household.elderly_alone, Household.income_per_capita_yuan, CommunityGrid.code)
            .join(CommunityGrid, Household.grid_id == CommunityGrid.id).order_by(Household.id)).all()
    expected_codes = [code for _, _, code in inside_points(30)]
    assert [s.code for s in stored] == expected_codes
    assert stored[0].head_name == "测试户主1" and stored[0].dibao and stored[0].elderly_alone
    assert stored[1].head_id_number == rows[1][1] and not stored[1].dibao
    assert stored[2].income_per_capita_yuan == 320.0
    with grids_engine.connect() as conn:
        actions = conn.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("import.households") == 1


def test_utf8_bom_csv(grids_engine, tmp_path):
    pd.DataFrame(roster(4), columns=HEADERS).to_csv(tmp_path / "r.csv", index=False, encoding="utf-8-sig")
    assert do_import(grids_engine, tmp_path / "r.csv").created == 4


def test_strays_listed_with_row(grids_engine, tmp_path):
    rows = roster(4)
    rows[2][3], rows[2][4] = 118.80, 33.80  # outside the town
    pd.DataFrame(rows, columns=HEADERS).to_csv(tmp_path / "r.csv", index=False)
    error = rejected(grids_engine, tmp_path / "r.csv")
    assert [(p.row, "不在任何网格内" in p.reason_zh) for p in error.report.strays] == [(4, True)]
    assert error.problems == error.report.strays


def test_swapped_coordinates_hinted(grids_engine, tmp_path):
    rows = roster(2)
    rows[1][3], rows[1][4] = rows[1][4], rows[1][3]
    pd.DataFrame(rows, columns=HEADERS).to_csv(tmp_path / "r.csv", index=False)
    error = rejected(grids_engine, tmp_path / "r.csv")
    assert error.problems[0].row == 3 and "填反" in error.problems[0].reason_zh


def test_duplicates_in_file_and_against_database(grids_engine, tmp_path):
    pd.DataFrame(roster(3), columns=HEADERS).to_csv(tmp_path / "first.csv", index=False)
    do_import(grids_engine, tmp_path / "first.csv")
    rows = roster(3, start=10) + [roster(1, start=2)[0]]  # row 5 repeats a stored household
    rows.append(list(rows[0]))  # row 6 repeats row 2
    pd.DataFrame(rows, columns=HEADERS).to_csv(tmp_path / "second.csv", index=False)
    error = rejected(grids_engine, tmp_path / "second.csv")
    reasons = {p.row: p.reason_zh for p in error.problems}
    assert set(reasons) == {5, 6}
    assert "数据库中已有" in reasons[5] and "与第 2 行重复" in reasons[6]


def test_one_bad_row_blocks_the_whole_file(grids_engine, tmp_path):
    rows = roster(200)
    rows[150][5] = "三口"  # members not a number
    rows[170][13] = -100  # negative income
    rows[180][7] = "也许"  # not a yes/no
    pd.DataFrame(rows, columns=HEADERS).to_csv(tmp_path / "r.csv", index=False)
    error = rejected(grids_engine, tmp_path / "r.csv")
    assert [(p.row, p.column) for p in error.problems] == [
        (152, "F（家庭人口）"), (172, "N（人均月收入（元））"), (182, "H（独居老人）")]


def test_actor_scope(grids_engine, tmp_path):
    pd.DataFrame(roster(2), columns=HEADERS).to_csv(tmp_path / "r.csv", index=False)
    supervisor = Actor("sup", Role.GRID_SUPERVISOR, frozenset({"321323100001"}))
    error = rejected(grids_engine, tmp_path / "r.csv", actor=supervisor)
    assert [p.row for p in error.problems] == [3] and "不在您负责的网格" in error.problems[0].reason_zh


def test_no_grids_yet(engine, tmp_path):
    pd.DataFrame(roster(1), columns=HEADERS).to_csv(tmp_path / "r.csv", index=False)
    error = rejected(engine, tmp_path / "r.csv")
    assert "请先导入网格" in error.problems[0].reason_zh


def test_template_round_trip(grids_engine, tmp_path):
    runner = CliRunner()
    group = click.Group()
    register(group)
    path = tmp_path / "住户模板.xlsx"
    result = runner.invoke(group, ["template", "households", "--out", str(path)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(path)
    ws = wb["住户"]
    for r, row in enumerate(roster(6), start=3):  # keep the example in row 2: it is skipped
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    wb.save(path)
    env = {"DATABASE_URL": grids_engine.url.render_as_string(hide_password=False)}
    result = runner.invoke(group, ["import", "households", str(path), "--today", "2026-11-29"], env=env)
    assert result.exit_code == 0, result.output
    assert "新增住户 6 条" in result.stdout and "跳过模板示例行（第 2 行）" in result.stdout
    assert counts(grids_engine)["Household"] == 6


def test_cli_problems_on_stderr(grids_engine, tmp_path):
    rows = roster(3)
    rows[1][1] = int(rows[1][1]) if rows[1][1][-1] != "X" else 321323197001010000
    wb = Workbook()
    wb.active.append(HEADERS)
    for row in rows:
        wb.active.append(row)
    wb.save(tmp_path / "r.xlsx")
    group = click.Group()
    register(group)
    env = {"DATABASE_URL": grids_engine.url.render_as_string(hide_password=False)}
    result = CliRunner().invoke(group, ["import", "households", str(tmp_path / "r.xlsx")], env=env)
    assert result.exit_code == 1
    assert "行 3，列 B（户主身份证号）：身份证号被存成了数字" in result.stderr
    assert "未写入任何数据" in result.stderr
    assert counts(grids_engine)["Household"] == 0


def test_a_file_full_of_errors_stops_after_the_maximum_and_writes_nothing(grids_engine, tmp_path,
                                                                          monkeypatch):
    """Issue 10 hardening: 20,000 bad rows do not make 20,000 lines — checking stops after the
    configured maximum (JIZHEN_IMPORT_MAX_PROBLEMS), says where, and nothing is written."""
    monkeypatch.setenv("JIZHEN_IMPORT_MAX_PROBLEMS", "50")
    good = roster(1)[0]
    bad = [good[0], "123"] + good[2:]  # a wrong ID number on every row
    path = tmp_path / "bad.csv"
    path.write_text(",".join(HEADERS) + "\n" + "\n".join(",".join(map(str, bad)) for _ in range(20_000)),
                    encoding="utf-8")
    err = rejected(grids_engine, path)
    assert len(err.problems) == 50
    text = str(err)
    assert "问题过多" in text and "停止检查" in text and len(text.splitlines()) < 60
    assert all(p.row is not None and p.row <= 60 for p in err.problems)
