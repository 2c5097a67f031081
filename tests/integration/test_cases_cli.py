"""Year-end settlement (once, 50/50, county only, audited), `--today` on the dated commands, and
Chinese errors (no tracebacks) from every cases command, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import select

from cases import services as svc
from cases.calendar import add_working_days
from cases.models import Disclosure, FundMovement, SpotCheck
from cases.rules import DomainError
from grid.access import SYSTEM, AccessDenied
from grid.db import session_scope
from grid.models import AuditEntry
from tests.cases_fixtures import COUNTY, LEADER, build_world


@pytest.fixture
def world(engine, monkeypatch):
    with session_scope(engine) as s:
        hh = [h.id for h in build_world(s)["households"]]
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine, hh


def _paid(s, hh_id, day, amount):
    c = svc.intake(session=s, actor=LEADER, channel="window", category="housing_loss",
                   received_on=day, amount_yuan=amount, household_id=hh_id, cause="房屋受损", today=day)
    svc.transition(session=s, actor=SYSTEM, case_id=c.id, name="pay_first", on_day=day, today=day, reason="急")
    return c


def _spend_2025(engine, hh, amounts=(300, "200.01")):
    with session_scope(engine) as s:
        svc.allocate_year(session=s, actor=COUNTY, year=2025, on_day=date(2025, 1, 2))
        for i, amount in enumerate(amounts):
            _paid(s, hh[i], date(2025, 10, 9), amount)


def _cli(*args):
    from jizhen.cli import main

    return CliRunner().invoke(main, list(args))


def _count(engine, model, *where):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


# ------------------------------------------------------------------ settlement
def test_settle_once_splits_50_50_and_is_audited(world):
    engine, hh = world
    _spend_2025(engine, hh)  # 500.01 yuan spent: county 250.00, town 250.01 (odd fen to the town)
    res = _cli("cases", "settle", "--year", "2025", "--today", "2025-12-31", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["settled"] and data["settled_on"] == "2025-12-31"
    assert data["town_spent_yuan"] == 500.01
    assert (data["settlement_county_yuan"], data["settlement_town_yuan"]) == (250.00, 250.01)
    assert data["county_remaining_yuan"] == 10_000_000 - 250.00
    assert _count(engine, AuditEntry, AuditEntry.action == "funds.settle") == 1
    with session_scope(engine) as s:
        moves = s.exec(select(FundMovement).where(FundMovement.kind.like("settlement_%"))).all()
        assert sorted((m.kind, m.amount_fen, m.on_day) for m in moves) == [
            ("settlement_county", -25000, date(2025, 12, 31)),
            ("settlement_town", 25000, date(2025, 12, 31))]

    report = _cli("cases", "funds", "--year", "2025")
    assert report.exit_code == 0, report.output
    assert "县 250.00" in report.output and "镇街 250.01" in report.output
    assert "已于 2025-12-31 结算" in report.output


def test_settle_twice_refused_clearly_and_changes_nothing(world):
    engine, hh = world
    _spend_2025(engine, hh)
    assert _cli("cases", "settle", "--year", "2025", "--today", "2026-01-05").exit_code == 0
    again = _cli("cases", "settle", "--year", "2025", "--today", "2026-01-06")
    assert again.exit_code == 1
    assert "2025年度已于2026-01-05结算，不能重复结算" in again.output
    assert "Traceback" not in again.output
    assert _count(engine, FundMovement, FundMovement.kind.like("settlement_%")) == 2
    assert _count(engine, AuditEntry, AuditEntry.action == "funds.settle") == 1
    with session_scope(engine) as s, pytest.raises(DomainError) as e:
        svc.settle_year(session=s, actor=COUNTY, year=2025, on_day=date(2026, 1, 7))
    assert e.value.code == "already_settled"


def test_settle_county_staff_or_system_only(world):
    engine, hh = world
    _spend_2025(engine, hh)
    with session_scope(engine) as s, pytest.raises(AccessDenied):
        svc.settle_year(session=s, actor=LEADER, year=2025, on_day=date(2025, 12, 31))
    with session_scope(engine) as s, pytest.raises(DomainError) as e:
        svc.settle_year(session=s, actor=COUNTY, year=2026, on_day=date(2025, 12, 31))
    assert e.value.code == "bad_year"
    assert _count(engine, FundMovement, FundMovement.kind.like("settlement_%")) == 0
    with session_scope(engine) as s:
        out = svc.settle_year(session=s, actor=COUNTY, year=2025, on_day=date(2025, 12, 31))
    assert out["settlement_county_yuan"] + out["settlement_town_yuan"] == 500.01


def test_spending_booked_after_settlement_does_not_change_the_recorded_split(world):
    engine, hh = world
    _spend_2025(engine, hh, amounts=(300, 500))
    assert _cli("cases", "settle", "--year", "2025", "--today", "2025-12-30").exit_code == 0
    with session_scope(engine) as s:
        _paid(s, hh[2], date(2025, 12, 31), 100)
        f = svc.fund_summary(session=s, actor=COUNTY, year=2025)
    assert f["town_spent_yuan"] == 900
    assert (f["settlement_county_yuan"], f["settlement_town_yuan"]) == (400, 400)
    assert f["spent_after_settlement_yuan"] == 100
    assert "结算后又支出 100.00 元" in _cli("cases", "funds", "--year", "2025").output


# ------------------------------------------------------------------ --today
def test_today_option_dates_disclosure_and_spot_checks(world, tmp_path):
    engine, hh = world
    with session_scope(engine) as s:
        _paid(s, hh[0], date(2026, 12, 24), 300)
    out = tmp_path / "公示.xlsx"
    res = _cli("export", "disclosure", "--month", "2026-12", "--out", str(out),
               "--today", "2026-12-31")
    assert res.exit_code == 0, res.output
    assert out.exists()
    res = _cli("spotcheck", "--month", "2026-12", "--seed", "7", "--today", "2026-12-31", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["drawn_on"] == "2026-12-31"
    with session_scope(engine) as s:
        assert s.exec(select(Disclosure.published_on)).one() == date(2026, 12, 31)
        assert {sc.drawn_on for sc in s.exec(select(SpotCheck)).all()} == {date(2026, 12, 31)}
    shown = _cli("cases", "show", str(_first_case_id(engine)), "--json", "--today", "2026-12-28")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["paperwork_due_on"] == add_working_days(date(2026, 12, 24), 15).isoformat()


def _first_case_id(engine) -> int:
    from cases.models import Case

    with session_scope(engine) as s:
        return s.exec(select(Case.id).order_by(Case.id)).first()


# ------------------------------------------------------------------ Chinese errors, no tracebacks
BAD_INPUTS = [
    (["export", "disclosure", "--month", "2025-13", "--out", "x.xlsx"], "月份格式应为 YYYY-MM"),
    (["export", "disclosure", "--month", "202510", "--out", "x.xlsx"], "月份格式应为 YYYY-MM"),
    (["export", "disclosure", "--month", "2025-10", "--out", "x.xlsx", "--today", "2025-02-30"],
     "日期格式应为 YYYY-MM-DD"),
    (["spotcheck", "--month", "十月", "--seed", "1"], "月份格式应为 YYYY-MM"),
    (["spotcheck", "--month", "2025-10", "--seed", " "], "种子不能为空"),
    (["cases", "list", "--today", "yesterday"], "日期格式应为 YYYY-MM-DD"),
    (["cases", "list", "--status", "lost"], "未知状态：lost"),
    (["cases", "show", "99999"], "案件99999不存在"),
    (["cases", "show", "abc"], "案件编号应为数字"),
    (["cases", "funds", "--year", "25"], "年份应为四位数字"),
    (["cases", "settle", "--year", "二〇二五"], "年份应为四位数字"),
    (["cases", "settle", "--year", "2030", "--today", "2026-01-01"], "2030年度尚未开始"),
    (["cases", "settle", "--year", "2024", "--today", "2025-01-05"], "2024年度没有任何资金记录"),
    (["cases", "import", "no-such-file.csv"], "找不到文件"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_gives_chinese_message_not_traceback(world, args, message):
    res = _cli(*args)
    assert res.exit_code in (1, 2), res.output
    assert isinstance(res.exception, SystemExit), res.exception  # click handled it
    assert message in res.output
    assert "Traceback" not in res.output


def test_import_bad_file_lists_row_errors_and_writes_nothing(world, tmp_path):
    engine, _hh = world
    bad = tmp_path / "工单.csv"
    bad.write_text("工单号,来源,受理日期,姓名,救助类别\nW1,999,2025-10-40,张三,火星\n", encoding="utf-8")
    res = _cli("cases", "import", str(bad), "--today", "2025-10-20")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "行 2" in res.output and "未写入任何数据" in res.output
    garbage = tmp_path / "坏.xlsx"
    garbage.write_bytes(b"not a workbook")
    res = _cli("cases", "import", str(garbage))
    assert res.exit_code == 1 and "Traceback" not in res.output


def test_disclosure_unwritable_path_and_spotcheck_reseed_are_messages(world, tmp_path):
    engine, hh = world
    with session_scope(engine) as s:
        _paid(s, hh[0], date(2025, 10, 9), 300)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = _cli("export", "disclosure", "--month", "2025-10", "--out", str(blocker / "公示.xlsx"))
    assert res.exit_code == 1 and "无法写出" in res.output and "Traceback" not in res.output
    assert _cli("spotcheck", "--month", "2025-10", "--seed", "1").exit_code == 0
    res = _cli("spotcheck", "--month", "2025-10", "--seed", "2")
    assert res.exit_code == 1 and "已按种子1抽取" in res.output


def test_two_simultaneous_settlements_settle_once(world):
    import threading

    engine, hh = world
    _spend_2025(engine, hh)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def settle():
        try:
            with session_scope(engine) as s:
                barrier.wait(timeout=30)
                svc.settle_year(session=s, actor=COUNTY, year=2025, on_day=date(2025, 12, 31))
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - a lost race must not double-settle; shown below
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=settle) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["already_settled", "ok"], outcomes
    assert _count(engine, FundMovement, FundMovement.kind.like("settlement_%")) == 2
    assert _count(engine, AuditEntry, AuditEntry.action == "funds.settle") == 1
