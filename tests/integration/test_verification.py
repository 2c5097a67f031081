"""逢进必核: the verification checklist per application, the admission gate, and a department's
batch result file (all or nothing), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from openpyxl import Workbook
from sqlmodel import select

from cases import services as svc
from cases import verification as ver
from cases.admission import admission_facts, assess_admission
from cases.errors import DomainError
from cases.models import Case, VerificationResult
from grid.access import AccessDenied
from grid.db import StaleEdit, session_scope
from grid.imports.report import InvalidImport
from grid.models import AuditEntry, Household
from tests.cases_fixtures import AUDITOR, COUNTY, LEADER, SUP, WORKER, build_world, ident
from tests.officer_desk_fixtures import FACTS_DIBAO, complete_checklist

DAY = date(2026, 3, 9)


# --------------------------------------------------------------------------- the config (pure)
def test_config_has_the_county_numbers_and_its_source():
    items = ver.load_items()
    assert len(items) == 20 and len(ver.departments()) == 12  # 12 departments, 20 data items
    raw = ver.VERIFICATION_TOML.read_text(encoding="utf-8")
    assert "横向联通12个部门20项数据" in raw  # the county's words are quoted as the source
    assert {i.origin for i in items} <= {"county", "reading"}
    named = {"户籍登记信息", "机动车辆登记", "不动产登记", "市场主体（工商）登记", "个人所得税",
             "住房公积金缴存", "社会保险参保缴费", "银行存款", "证券（股票、基金）"}
    assert named <= {i.name for i in items}


def test_checklist_state_known_answers():
    items = (ver.Item("a", "甲", "部门一", True, "reading"), ver.Item("b", "乙", "部门一", True, "reading"),
             ver.Item("c", "丙", "部门二", False, "reading"))
    st = ver.checklist_state(items, {"a": "clear"})
    assert [i.code for i in st.missing] == ["b"] and not st.complete and st.done == 1
    st = ver.checklist_state(items, {"a": "clear", "b": "issue"})
    assert st.complete and [i.code for i in st.issues] == ["b"] and st.total == 3
    assert ver.parse_result("无异常") is ver.Result.clear and ver.parse_result("有异常") is ver.Result.issue
    assert ver.parse_result("好") is None


def test_admission_facts_are_never_defaulted():
    with pytest.raises(DomainError) as e:
        admission_facts(family_income_yuan=None, members=3, dependent_severe_member=None,
                        member_can_register_alone=None, no_labour_no_income_no_supporter=False,
                        dibao_standard_yuan=640, verified=True)
    assert e.value.code == "facts_required"
    assert "家庭月收入" in e.value.zh and "重残/重病" in e.value.zh and "家庭人口数" not in e.value.zh
    with pytest.raises(DomainError) as e:  # the member's registration is asked when there is one
        admission_facts(family_income_yuan=3000, members=3, dependent_severe_member=True,
                        member_can_register_alone=None, no_labour_no_income_no_supporter=False,
                        dibao_standard_yuan=640, verified=True)
    assert "单独立户" in e.value.zh
    with pytest.raises(DomainError):
        admission_facts(family_income_yuan=100, members=0, dependent_severe_member=False,
                        member_can_register_alone=None, no_labour_no_income_no_supporter=False,
                        dibao_standard_yuan=640, verified=True)
    f = admission_facts(family_income_yuan=3000, members=3, dependent_severe_member=True,
                        member_can_register_alone=False, no_labour_no_income_no_supporter=False,
                        dibao_standard_yuan=640, verified=True)
    d = assess_admission(f)  # 1000/person: above 640, within 2×640 → single-person dibao
    assert str(f.income_per_capita_yuan) == "1000.00" and d.eligible and d.single_person
    f = admission_facts(family_income_yuan=1200, members=3, dependent_severe_member=False,
                        member_can_register_alone=None, no_labour_no_income_no_supporter=False,
                        dibao_standard_yuan=640, verified=False)
    assert not assess_admission(f).eligible


# --------------------------------------------------------------------------- database
@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        w = build_world(s)
        ids = [h.id for h in w["households"]]
    return engine, ids


def _application(s, hh_id, *, id_number=None):
    hh = s.get(Household, hh_id)
    c = svc.intake(session=s, actor=SUP, channel="window", category="expenditure",
                   received_on=date(2026, 3, 2), amount_yuan=300, household_id=hh_id,
                   person_id_number=id_number or hh.head_id_number)
    svc.transition(session=s, actor=SUP, case_id=c.id, name="accept", on_day=date(2026, 3, 2))
    return c.id


def test_admission_blocked_until_every_required_item_has_a_result(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _application(s, hh[0])
    with session_scope(engine) as s:
        complete_checklist(s, cid, day=DAY, skip=("bank_deposits",))
    with session_scope(engine) as s:
        with pytest.raises(DomainError) as e:
            svc.admit(session=s, actor=COUNTY, case_id=cid, on_day=DAY, dibao_standard_yuan=640,
                      verified=True, **FACTS_DIBAO)  # verified=True no longer stands in
        assert e.value.code == "not_verified" and "银行存款" in e.value.zh and "1项" in e.value.zh
    with session_scope(engine) as s:
        assert s.get(Case, cid).status == "accepted"
        ver.record_result(session=s, actor=COUNTY, case_id=cid, item_code="bank_deposits",
                          result="有异常", evidence="银行回执88", note="定期存款2万元", on_day=DAY)
    with session_scope(engine) as s:
        rows = {r["item_code"]: r for r in ver.checklist(session=s, actor=LEADER, case_id=cid)}
        assert rows["bank_deposits"]["result"] == "issue" and rows["bank_deposits"]["checked_by"] == COUNTY.username
        assert rows["disability_certificate"]["result"] is None  # optional, not needed
        assert rows["bank_deposits"]["checked_at"].tzinfo is not None
        d = svc.admit(session=s, actor=COUNTY, case_id=cid, on_day=DAY, dibao_standard_yuan=640,
                      **FACTS_DIBAO)
        assert d.eligible and d.scheme == "dibao"
    with session_scope(engine) as s:
        assert s.get(Case, cid).status == "admitted"
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "household.admit")).one()
        assert "bank_deposits" in str(entry.after_json) and "1200" in str(entry.after_json)
        n = len(s.exec(select(AuditEntry).where(AuditEntry.action == "verification.record")).all())
        required = sum(i.required for i in ver.load_items())
        assert required == 18 and n == required  # 17 by the helper (one skipped) + bank deposits


def test_admission_refuses_missing_facts_and_wrong_roles(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _application(s, hh[0])
        complete_checklist(s, cid, day=DAY)
    with session_scope(engine) as s:
        with pytest.raises(DomainError) as e:
            svc.admit(session=s, actor=COUNTY, case_id=cid, on_day=DAY, dibao_standard_yuan=640)
        assert e.value.code == "facts_required"
        for who in (SUP, WORKER):
            with pytest.raises((DomainError, AccessDenied)):
                svc.admit(session=s, actor=who, case_id=cid, on_day=DAY, **FACTS_DIBAO)
        with pytest.raises(AccessDenied):
            svc.admit(session=s, actor=AUDITOR, case_id=cid, on_day=DAY, **FACTS_DIBAO)
        assert s.get(Case, cid).status == "accepted"


def test_record_result_rules_roles_and_binding(world):
    engine, hh = world
    with session_scope(engine) as s:
        cid = _application(s, hh[0])
    with session_scope(engine) as s:
        for who in (SUP, WORKER):
            with pytest.raises(AccessDenied):
                ver.record_result(session=s, actor=who, case_id=cid, item_code="vehicles",
                                  result="无异常", evidence="x", on_day=DAY)
        with pytest.raises(DomainError) as e:
            ver.record_result(session=s, actor=COUNTY, case_id=cid, item_code="vehicles",
                              result="无异常", evidence="  ", on_day=DAY)
        assert "核对凭证" in e.value.zh
        with pytest.raises(DomainError) as e:
            ver.record_result(session=s, actor=COUNTY, case_id=cid, item_code="vehicles",
                              result="有异常", evidence="回执1", on_day=DAY)
        assert "说明" in e.value.zh
        with pytest.raises(DomainError):
            ver.record_result(session=s, actor=COUNTY, case_id=cid, item_code="nope",
                              result="无异常", evidence="回执1", on_day=DAY)
        assert s.exec(select(VerificationResult)).all() == []
        ver.record_result(session=s, actor=COUNTY, case_id=cid, item_code="vehicles",
                          result="无异常", evidence="回执1", on_day=DAY, expected_version=0)
    with session_scope(engine) as s:  # a form drawn before that write (version 0) is refused
        with pytest.raises(StaleEdit) as e:
            ver.record_result(session=s, actor=LEADER, case_id=cid, item_code="vehicles",
                              result="有异常", evidence="回执2", note="有车", on_day=DAY,
                              expected_version=0)
        assert "已被他人更新" in str(e.value)
    with session_scope(engine) as s:
        row = s.exec(select(VerificationResult)).one()
        assert (row.result, row.evidence, row.version) == ("clear", "回执1", 1)


def _write_xlsx(path, rows, headers=("身份证号", "核对事项", "核对结果", "核对凭证", "核对日期", "说明")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def test_batch_file_is_all_or_nothing_and_matched_by_id_number(world, tmp_path):
    engine, hh = world
    with session_scope(engine) as s:
        a = _application(s, hh[0])
        b = _application(s, hh[4])
        id_a, id_b = s.get(Case, a).person_id_number, s.get(Case, b).person_id_number
    bad = _write_xlsx(tmp_path / "公安.xlsx", [
        (id_a, "户籍登记信息", "无异常", "公安回执1", "2026-03-05", ""),
        (id_b, "机动车辆登记", "有异常", "公安回执2", "2026-03-05", ""),  # issue without a note
        (ident(99), "户籍登记信息", "无异常", "公安回执3", "2026-03-05", ""),  # no application
        (id_a, "银行存款", "无异常", "x", "2026-03-05", ""),  # not this department's item
        (id_a, "户籍登记信息", "无异常", "dup", "2026-03-05", ""),  # same person, same item
        (id_b, "户籍登记信息", "好的", "公安回执4", "2099-01-01", ""),  # result and date
    ])
    with session_scope(engine) as s:
        with pytest.raises(InvalidImport) as e:
            ver.import_results(bad, session=s, actor=COUNTY, department="县公安局", today=DAY)
        text = str(e.value)
        for expected in ("行 3", "说明", "行 4", "没有该身份证号的待纳入申请", "行 5", "不是县公安局的核对事项",
                         "行 6", "与第 2 行是同一人的同一事项", "行 7", "无法识别", "晚于今天"):
            assert expected in text, expected
    with session_scope(engine) as s:
        assert s.exec(select(VerificationResult)).all() == []  # nothing written
    good = tmp_path / "公安.csv"
    good.write_text("身份证号,核对事项,核对结果,核对凭证,核对日期,说明\n"
                    f"{id_a},户籍登记信息,无异常,公安回执1,2026-03-05,\n"
                    f"{id_b},机动车辆登记,有异常,公安回执2,2026-03-05,名下小型客车一辆\n", encoding="gb18030")
    with session_scope(engine) as s:
        with pytest.raises(AccessDenied):
            ver.import_results(good, session=s, actor=SUP, department="县公安局", today=DAY)
        rep = ver.import_results(good, session=s, actor=COUNTY, department="县公安局", today=DAY)
        assert (rep.created, rep.updated) == (2, 0)
    with session_scope(engine) as s:
        rows = s.exec(select(VerificationResult).order_by(VerificationResult.case_id)).all()
        assert [(r.case_id, r.item_code, r.result, r.source) for r in rows] == [
            (a, "household_register", "clear", "file:公安.csv"), (b, "vehicles", "issue", "file:公安.csv")]
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "verification.record")).all()) == 2
