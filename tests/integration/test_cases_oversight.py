"""Import, disclosure, spot checks, funds, CLI and the demo's case history."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlmodel import select

from cases import services as svc
from cases.intake import review_blacklist
from cases.calendar import add_working_days
from cases.importer import import_work_orders
from cases.models import Case, CaseEvent, SpotCheck
from cases.rules import CATEGORY_LABELS, CHANNEL_LABELS, STATUS_LABELS, DomainError
from grid.access import SYSTEM
from grid.db import session_scope
from grid.imports.report import InvalidImport
from tests.cases_fixtures import COUNTY, LEADER, build_world, ident

HEADER = "工单号,来源,受理日期,姓名,身份证号,联系电话,地址,救助类别,事由,申请金额\n"


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        w = build_world(s)
        ids = [h.id for h in w["households"]]
    return engine, ids


def _paid_case(s, hh_id, day, amount=300, name_actor=LEADER):
    c = svc.intake(session=s, actor=name_actor, channel="window", category="housing_loss",
                   received_on=day, amount_yuan=amount, household_id=hh_id, cause="房屋受损", today=day)
    svc.transition(session=s, actor=SYSTEM, case_id=c.id, name="pay_first", on_day=day, today=day, reason="急")
    return c


# ------------------------------------------------------------------ import
def test_import_all_or_nothing_with_row_errors_gbk(world, tmp_path):
    engine, hh = world
    bad = tmp_path / "bad.csv"
    bad.write_bytes((HEADER
                     + "W1,12345,2025-10-09,李乙二,,13800000002,,突发意外伤害,车祸,300\n"
                     + "W2,999,2025-10-09,张丙三,32132319600101001X,,,火星,,abc\n").encode("gbk"))
    with session_scope(engine) as s, pytest.raises(InvalidImport) as e:
        import_work_orders(bad, session=s, actor=SYSTEM, today=date(2025, 10, 20))
    text = str(e.value)
    assert "行 3" in text and "来源" in text and "救助类别" in text and "身份证号" in text
    assert "未写入任何数据" in text
    with session_scope(engine) as s:
        assert s.exec(select(Case)).all() == []

    good = tmp_path / "good.csv"
    good.write_text(HEADER
                    + "W1,12345,2025-10-09,李乙二,,13800000002,,突发意外伤害,车祸,300\n"
                    + "W2,110,2025-10-10,张丙三,,,,老人、未成年人等无人照料陷入困境,,\n"
                    + f"W3,12349,2025-10-10,赵丁四,{ident(5)},,,支出型困难,药费,200\n",
                    encoding="utf-8-sig")
    with session_scope(engine) as s:
        res = import_work_orders(good, session=s, actor=SYSTEM, today=date(2025, 10, 20))
        assert (res.matched, res.to_match) == (2, 1)
    with session_scope(engine) as s, pytest.raises(InvalidImport) as e:
        import_work_orders(good, session=s, actor=SYSTEM, today=date(2025, 10, 20))
    assert "已导入过" in str(e.value)


def test_import_blacklisted_row_rolls_back_whole_file(world, tmp_path):
    engine, hh = world
    with session_scope(engine) as s:
        e = svc.add_to_blacklist(session=s, actor=COUNTY, person_id_number=ident(5), person_name="赵丁四",
                                 reason="骗取救助", evidence="决定书", listed_on=date(2024, 1, 1))
        review_blacklist(session=s, actor=LEADER, entry_id=e.id, approve=True, note="", on_day=date(2024, 1, 2))
    f = tmp_path / "wo.xlsx"
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(["X1", "12345", "2025-10-09", "李乙二", None, "13800000002", None, "突发意外伤害", "车祸", 300])
    ws.append(["X2", "12349", "2025-10-10", "赵丁四", ident(5), None, None, "支出型困难", "药费", 200])
    wb.save(f)
    with pytest.raises(InvalidImport) as e:
        with session_scope(engine) as s:
            import_work_orders(f, session=s, actor=SYSTEM, today=date(2025, 10, 20))
    assert "失信" in str(e.value) and "行 3" in str(e.value)
    with session_scope(engine) as s:
        assert s.exec(select(Case)).all() == []


# ------------------------------------------------------------------ disclosure
def test_disclosure_masks_names_and_ids(world, tmp_path):
    engine, hh = world
    with session_scope(engine) as s:
        for i in (0, 1, 2):
            _paid_case(s, hh[i], date(2025, 10, 9))
        _paid_case(s, hh[4], date(2025, 11, 3))  # other month
        out = tmp_path / "d.xlsx"
        n = svc.export_disclosure(session=s, actor=SYSTEM, month="2025-10", out_path=out,
                                  published_on=date(2025, 11, 5))
        assert n == 3
        full = [(c.person_name, c.person_id_number) for c in s.exec(select(Case)).all()]
    cells = [str(c) for row in load_workbook(out).active.iter_rows(values_only=True) for c in row
             if c is not None]
    text = "\n".join(cells)
    for name, idn in full:
        assert idn not in text
        assert name not in cells
    assert "王*一" in text and "321323********" in text and "12345" in text
    assert "临时救助" in text


# ------------------------------------------------------------------ spot checks
def test_spotcheck_stratified_reproducible(world, tmp_path):
    engine, hh = world
    with session_scope(engine) as s:
        for i in range(5):
            _paid_case(s, hh[i], date(2025, 10, 9 + i % 3))
    with session_scope(engine) as s:
        draws = svc.draw_spot_checks(session=s, actor=SYSTEM, month="2025-10", seed=42,
                                     drawn_on=date(2025, 11, 5))
        per = Counter(d.grid_code for d in draws)
        assert per["G01"] >= 1 and per["G02"] >= 1  # G01 has 3 recipients → 1, G02 has 2 → 1
        assert per["G01"] >= 0.3 * 3 and per["G02"] >= 0.3 * 2
        first = [(d.case_id, d.inspector) for d in draws]
        # inspectors never from the grid they inspect
        for d in draws:
            assert d.inspector.startswith("专职")
        with pytest.raises(DomainError, match="不能用另一个种子重抽"):
            svc.draw_spot_checks(session=s, actor=SYSTEM, month="2025-10", seed=43, drawn_on=date(2025, 11, 5))
        svc.record_spot_check(session=s, actor=COUNTY, spot_check_id=draws[0].id, result="ok",
                              note="入户核实无误", checked_on=date(2025, 11, 10))
    # same seed on a copy of the data → same draw
    with session_scope(engine) as s:
        for sc in s.exec(select(SpotCheck)).all():
            s.delete(sc)
    with session_scope(engine) as s:
        again = svc.draw_spot_checks(session=s, actor=SYSTEM, month="2025-10", seed=42, drawn_on=date(2025, 11, 5))
        assert [(d.case_id, d.inspector) for d in again] == first


# ------------------------------------------------------------------ funds
def test_funds_and_settlement(world):
    engine, hh = world
    with session_scope(engine) as s:
        svc.allocate_year(session=s, actor=COUNTY, year=2025, on_day=date(2025, 1, 2))
        _paid_case(s, hh[0], date(2025, 10, 9), amount=300)
        _paid_case(s, hh[1], date(2025, 10, 9), amount=500)
        f = svc.fund_summary(session=s, actor=COUNTY, year=2025)
        assert f["county_reserve_yuan"] == 10_000_000 and f["village_reserves_yuan"] == 20_000
        assert f["town_spent_yuan"] == 800 and f["settlement_county_yuan"] == 400
        f2 = svc.settle_year(session=s, actor=COUNTY, year=2025, on_day=date(2025, 12, 31))
        assert f2["settled"] and f2["county_remaining_yuan"] == 10_000_000 - 400


# ------------------------------------------------------------------ CLI
def test_cli_list_json(world, monkeypatch):
    engine, hh = world
    with session_scope(engine) as s:
        _paid_case(s, hh[0], date(2026, 12, 24))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    from jizhen.cli import main

    res = CliRunner().invoke(main, ["cases", "list", "--json", "--today", "2026-12-28"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    keys = {"id", "channel", "category", "status", "amount_yuan", "received_on", "approval_due_on",
            "paperwork_due_on", "overdue", "provisional"}
    assert keys <= set(rows[0])
    assert rows[0]["paperwork_due_on"] == add_working_days(date(2026, 12, 24), 15).isoformat()
    assert rows[0]["provisional"] is True


# ------------------------------------------------------------------ demo
def test_demo_cases_cover_every_channel_category_and_state(demo_engine):
    with session_scope(demo_engine) as s:
        cases = s.exec(select(Case)).all()
        assert {c.channel for c in cases} == {c.value for c in CHANNEL_LABELS}
        assert {c.category for c in cases} == {c.value for c in CATEGORY_LABELS}
        assert {c.status for c in cases} == {c.value for c in STATUS_LABELS}
        for c in cases:
            assert c.approval_due_on == add_working_days(c.received_on, 3)
            if c.aid_first:
                assert c.paperwork_due_on == add_working_days(c.aid_on, 15)
        assert any(c.match_status == "to_match" for c in cases)
        assert any(c.blacklist_override_reason for c in cases)
        refused = s.exec(select(CaseEvent).where(CaseEvent.transition == "reject",
                                                 CaseEvent.reason.contains("12个月内"))).all()
        assert refused
        rows = svc.list_cases(session=s, actor=SYSTEM, today=date(2026, 11, 29))
        stat = Counter(r["deadline_status"] for r in rows if r["working_days_left"] is not None)
        assert stat["overdue"] and stat["on_time"]
        assert any(r["aid_first"] and r["overdue"] for r in rows)
        assert svc.disclosure_history(session=s, actor=SYSTEM)
        assert svc.spot_check_rows(session=s, actor=SYSTEM)
        assert svc.fund_summary(session=s, actor=SYSTEM, year=2026)["town_spent_yuan"] > 0
        assert svc.blacklist_rows(session=s, actor=SYSTEM)
