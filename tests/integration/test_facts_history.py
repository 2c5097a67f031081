"""Register facts with history, corrections and appeals on SQLite and PostgreSQL: the demo and
imports write history, a replay sees only what was recorded by its snapshot day, a correction
keeps the old value, re-scores, is audited and shows in the household file; appeals are counted."""
import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from grid.access import AccessDenied, Actor, Role, SYSTEM
from grid.db import session_scope
from grid.facts import (FACT_FIELDS, FactError, HouseholdFact, appeal_counts, correct_fact,
                        decide_appeal, facts_frame, facts_timeline, record_appeal)
from grid.models import AuditEntry, CommunityGrid, Household
from grid.risk_models import RiskScore
from jizhen.db import StaleEdit
from risk.history import households_as_of

TODAY = date(2026, 11, 29)


def _household(engine, **where):
    with session_scope(engine) as s:
        q = select(Household, CommunityGrid.code).join(CommunityGrid, Household.grid_id == CommunityGrid.id)
        for k, v in where.items():
            q = q.where(getattr(Household, k) == v)
        hh, code = s.execute(q.order_by(Household.id).limit(1)).first()
        return hh.id, code, hh.version


def _supervisor(code):
    return Actor(username="wgz", role=Role.GRID_SUPERVISOR, grid_codes=frozenset({code}))


LEADER = Actor(username="zhen", role=Role.TOWNSHIP_LEADER)


def test_demo_writes_a_history_that_ends_at_the_current_values(demo_engine):
    with demo_engine.connect() as conn:
        f = facts_frame(conn, SYSTEM)
        hh = conn.execute(select(Household.__table__)).mappings().all()
    assert (f["id"] > 0).all()                       # all from the table, no synthesised rows
    assert len(f.drop_duplicates(["household_id", "field"])) == 600 * len(FACT_FIELDS)
    latest = f.sort_values(["valid_from", "recorded_on", "id"]).drop_duplicates(
        ["household_id", "field"], keep="last").set_index(["household_id", "field"])["value"]
    for row in hh[:200]:
        for field, (kind, _) in FACT_FIELDS.items():
            assert kind(latest[(row["id"], field)]) == kind(row[field])
    assert (f["recorded_on"] <= str(TODAY)).all()
    late = f[f["recorded_on"] > "2025-11-29"]
    assert len(late) > 0 and set(late["field"]) <= {"serious_illness", "severe_disability", "dibao",
                                                     "elderly_alone"}


def test_replay_cannot_see_a_fact_recorded_after_its_snapshot(demo_engine):
    hid, code, _ = _household(demo_engine, serious_illness=False, elderly_alone=False)
    with session_scope(demo_engine) as s:
        s.add(HouseholdFact(household_id=hid, field="serious_illness", value_json="true",
                            valid_from=date(2026, 5, 2), recorded_on=date(2026, 6, 15),
                            source="register"))
    with demo_engine.connect() as conn:
        f = facts_frame(conn, SYSTEM)
        from grid.frames import households_frame
        hh = households_frame(conn, SYSTEM)
    row = hh.index[hh["id"] == hid][0]
    assert not households_as_of(hh, f, date(2026, 5, 31)).loc[row, "serious_illness"]
    assert not households_as_of(hh, f, date(2026, 6, 14)).loc[row, "serious_illness"]
    assert households_as_of(hh, f, date(2026, 6, 30)).loc[row, "serious_illness"]


def test_a_correction_keeps_the_old_value_rescores_audits_and_shows(demo_engine):
    hid, code, version = _household(demo_engine, severe_disability=False)
    sup = _supervisor(code)
    with session_scope(demo_engine) as s:
        before_scores = s.execute(select(func.count()).select_from(RiskScore)
                                  .where(RiskScore.household_id == hid)).scalar()
        out = correct_fact(session=s, actor=sup, household_id=hid, field="severe_disability",
                           new_value="是", reason="核对残联名单，漏登重度残疾", expected_version=version,
                           today=TODAY)
    assert out["old"] is False and out["new"] is True and out["version"] == version + 1
    assert "家中有重度残疾人" in out["score"]["reasons"]
    with session_scope(demo_engine) as s:
        hh = s.get(Household, hid)
        assert hh.severe_disability is True and hh.version == version + 1
        scores = s.execute(select(RiskScore).where(RiskScore.household_id == hid)
                           .order_by(RiskScore.scored_at)).scalars().all()
        assert len(scores) == before_scores + 1
        assert scores[-1].score == out["score"]["score"]
        audit = s.execute(select(AuditEntry).where(AuditEntry.action == "household.correct_fact")
                          ).scalars().all()
        assert len(audit) == 1 and audit[0].actor == "wgz" and audit[0].entity_id == str(hid)
        assert json.loads(audit[0].before_json)["severe_disability"] is False
        assert audit[0].reason == "核对残联名单，漏登重度残疾"
        t = facts_timeline(s, sup, hid)
    dis = t[t["field"] == "severe_disability"]
    assert dis.iloc[0]["值"] == "是" and dis.iloc[0]["来源"] == "更正" and not dis.iloc[0]["corrected"]
    assert dis.iloc[0]["理由"] == "核对残联名单，漏登重度残疾" and dis.iloc[0]["登记人"] == "wgz"
    assert "否" in dis["值"].tolist() and dis[dis["值"] == "否"]["corrected"].any()   # old value kept


def test_corrections_are_guarded(demo_engine):
    hid, code, version = _household(demo_engine, dibao=False)
    with session_scope(demo_engine) as s:
        other = s.execute(select(CommunityGrid.code).where(CommunityGrid.code != code)).scalars().first()
    kw = dict(household_id=hid, field="dibao", new_value=True, reason="民政核对",
              expected_version=version, today=TODAY)
    for actor in (_supervisor(other), Actor(username="w", role=Role.GRID_WORKER,
                                            grid_codes=frozenset({code})),
                  Actor(username="a", role=Role.AUDITOR)):
        with pytest.raises(AccessDenied), session_scope(demo_engine) as s:
            correct_fact(session=s, actor=actor, **kw)
    with pytest.raises(FactError, match="理由"), session_scope(demo_engine) as s:
        correct_fact(session=s, actor=LEADER, **{**kw, "reason": " "})
    with pytest.raises(FactError), session_scope(demo_engine) as s:
        correct_fact(session=s, actor=LEADER, **{**kw, "field": "head_name"})
    with pytest.raises(StaleEdit), session_scope(demo_engine) as s:
        correct_fact(session=s, actor=LEADER, **{**kw, "expected_version": version + 5})
    with session_scope(demo_engine) as s:   # nothing of the refused attempts was written
        assert s.get(Household, hid).dibao is False
        assert not s.execute(select(HouseholdFact).where(HouseholdFact.source == "correction")).first()
    with session_scope(demo_engine) as s:   # the officer may
        correct_fact(session=s, actor=LEADER, **kw)


def test_appeals_recorded_decided_and_counted(demo_engine):
    hid, code, _ = _household(demo_engine)
    worker = Actor(username="w", role=Role.GRID_WORKER, grid_codes=frozenset({code}))
    with session_scope(demo_engine) as s:
        a1 = record_appeal(session=s, actor=worker, household_id=hid, subject="score",
                           objection="家中已无重病人，评分偏高", received_on=date(2026, 11, 3))
        a2 = record_appeal(session=s, actor=worker, household_id=hid, subject="decision",
                           objection="<b>不服</b>不予救助的决定", reference="JZ-2026-001",
                           received_on=date(2026, 11, 20))
    with pytest.raises(AccessDenied), session_scope(demo_engine) as s:
        decide_appeal(session=s, actor=_supervisor(code), appeal_id=a1, outcome="kept",
                      note="维持", expected_version=1)
    with session_scope(demo_engine) as s:
        decide_appeal(session=s, actor=LEADER, appeal_id=a1, outcome="changed",
                      note="核实后更正登记信息", expected_version=1, decided_on=date(2026, 11, 10))
    with pytest.raises(FactError, match="已处理"), session_scope(demo_engine) as s:
        decide_appeal(session=s, actor=LEADER, appeal_id=a1, outcome="kept", note="再次",
                      expected_version=2)
    with pytest.raises(FactError), session_scope(demo_engine) as s:
        record_appeal(session=s, actor=worker, household_id=hid, subject="other", objection="x y")
    with demo_engine.connect() as conn:
        c = appeal_counts(conn, LEADER)
        assert appeal_counts(conn, _supervisor("nothing")).empty
    row = c[(c["grid_code"] == code) & (c["month"] == "2026-11")].iloc[0]
    assert (row["received"], row["open"], row["changed"], row["kept"]) == (2, 1, 1, 0)
    with session_scope(demo_engine) as s:
        actions = s.execute(select(AuditEntry.action).where(AuditEntry.entity == "appeal")).scalars().all()
    assert sorted(actions) == ["appeal.decide", "appeal.record", "appeal.record"]
    with session_scope(demo_engine) as s:   # the resident's words are kept as typed (text)
        from grid.facts import Appeal
        a = s.get(Appeal, a2)
        assert a.objection == "<b>不服</b>不予救助的决定" and a.status == "open"
        assert a.reference == "JZ-2026-001"


def test_cli_evaluate_groups_card_and_fit(demo_engine, tmp_path):
    from jizhen.cli import main

    env = {"DATABASE_URL": demo_engine.url.render_as_string(hide_password=False)}
    run = CliRunner()
    res = run.invoke(main, ["risk", "evaluate", "--groups", "--json",
                            "--excel", str(tmp_path / "g.xlsx")], env=env)
    assert res.exit_code == 0, res.output
    r = json.loads(res.output.strip().splitlines()[-1])
    assert r["setup"]["register"].startswith("history")
    kinds = {k["group"]: k for k in r["groups"]["by_kind"]}
    assert set(kinds) == {"elderly_alone", "disabled", "minors", "dibao", "others"}
    o = r["groups"]["overall"][0]
    assert o["events"] == r["setup"]["outcomes_in_windows"]
    assert o["events"] - o["missed"] >= 1 and 0 <= o["ci_low"] <= o["missed_need"] <= o["ci_high"]
    assert len(r["groups"]["by_grid"]) == 12 and r["groups_summary"][0].startswith("全部住户")
    from openpyxl import load_workbook
    assert set(load_workbook(tmp_path / "g.xlsx").sheetnames) == {"按网格", "按住户类型", "全部", "校准"}
    res = run.invoke(main, ["risk", "fit", "--out", str(tmp_path / "v1-lr.toml")], env=env)
    assert res.exit_code == 0, res.output
    res = run.invoke(main, ["risk", "card", "--out", str(tmp_path / "card.md"),
                            "--compare", str(tmp_path / "v1-lr.toml")], env=env)
    assert res.exit_code == 0, res.output
    card = (tmp_path / "card.md").read_text(encoding="utf-8")
    assert "权重版本 v1" in card and "| 家庭成员新近失业 | 18 |" in card
    assert "尚未记录批准人" in card and "拟合权重 v1-lr" in card and "名单漏掉了谁" in card
    # an existing file that is not ours is not overwritten without --force
    res = run.invoke(main, ["risk", "card", "--out", str(tmp_path / "card.md")], env=env)
    assert res.exit_code != 0 and "拒绝覆盖" in res.output
