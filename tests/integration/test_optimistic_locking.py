"""One optimistic-locking mechanism on every table people edit (issue 9): the mapper's
version_id_col. Two users open the same row; the first saves; the second's save raises StaleEdit and
writes nothing — on SQLite and PostgreSQL (the `engine` fixture runs both)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from cases.models import BlacklistEntry, Case, Referral, SpotCheck
from grid.db import StaleEdit, is_versioned, session_scope, update_versioned
from grid.models import CommunityGrid, GridWorker, Household, VisitAssignment
from grid.users import User

SQUARE = "POLYGON ((118.60 33.70, 118.61 33.70, 118.61 33.71, 118.60 33.71, 118.60 33.70))"
DAY = date(2026, 11, 2)

# Every table people edit, and one field a person changes on it: (model, attribute, first, second)
EDITED = [
    (CommunityGrid, "name", "城中社区", "城南社区"),
    (GridWorker, "phone", "13900000001", "13900000002"),
    (Household, "members", 4, 5),
    (VisitAssignment, "due_on", date(2026, 11, 3), date(2026, 11, 4)),
    (User, "display_name", "甲", "乙"),
    (Case, "review_opinion", "同意", "不同意"),
    (Referral, "reason", "已接收", "退回"),
    (SpotCheck, "result_note", "属实", "不属实"),
    (BlacklistEntry, "reason", "虚报收入", "重复领取"),
]


@pytest.fixture
def world(engine):
    """One row of every edited table; returns the engine and {model: id}."""
    with session_scope(engine) as s:
        grid = CommunityGrid(code="321323100001", name="城中", geometry_wkt=SQUARE)
        s.add(grid)
        s.flush()
        w1 = GridWorker(name="王一", phone="13900000000", employment="full_time", grid_id=grid.id)
        w2 = GridWorker(name="王二", phone="13900000009", employment="part_time", grid_id=grid.id)
        hh = Household(address="众兴街道幸福路1号", lon=118.605, lat=33.705, grid_id=grid.id,
                       head_name="张三", head_id_number="32132319800101123X")
        s.add_all([w1, w2, hh])
        s.flush()
        assignment = VisitAssignment(household_id=hh.id, worker_id=w1.id, due_on=DAY, assigned_by="sup")
        user = User(username="u1", password_hash="x" * 60, role="county_staff")
        case = Case(case_no="TEST-1", channel="window", category="care_gap", received_on=DAY,
                    approval_due_on=date(2026, 11, 5), household_id=hh.id, grid_code=grid.code)
        entry = BlacklistEntry(person_id_number="32132319800101123X", person_name="张三", reason="x",
                               listed_on=DAY, listed_by="county")
        s.add_all([assignment, user, case, entry])
        s.flush()
        referral = Referral(case_id=case.id, scheme="dibao", department="县民政局", sent_on=DAY)
        spot = SpotCheck(month="2026-11", seed="s", case_id=case.id, grid_code=grid.code,
                         inspector="county", drawn_on=DAY)
        s.add_all([referral, spot])
        s.flush()
        ids = {m: r.id for m, r in [(CommunityGrid, grid), (GridWorker, w1), (Household, hh),
                                     (VisitAssignment, assignment), (User, user), (Case, case),
                                     (Referral, referral), (SpotCheck, spot), (BlacklistEntry, entry)]}
    return engine, ids


def test_every_edited_table_is_guarded_by_version_id_col():
    for model, *_ in EDITED:
        assert is_versioned(model), model.__tablename__
        assert model.__table__.c.version.nullable is False


@pytest.mark.parametrize("model,field,first,second", EDITED, ids=[m.__tablename__ for m, *_ in EDITED])
def test_second_of_two_sessions_editing_one_row_gets_stale_edit(world, model, field, first, second):
    engine, ids = world
    row_id = ids[model]
    with pytest.raises(StaleEdit) as exc:
        with session_scope(engine) as late:
            mine = late.get(model, row_id)  # the second user opens the form ...
            assert mine.version == 1
            with session_scope(engine) as early:  # ... the first user saves meanwhile ...
                setattr(early.get(model, row_id), field, first)
            setattr(mine, field, second)  # ... and the second user saves what they saw
    assert "已被他人修改" in str(exc.value)
    with session_scope(engine) as s:
        stored = s.exec(select(model).where(model.id == row_id)).one()
        assert getattr(stored, field) == first and stored.version == 2


@pytest.mark.parametrize("model,field,first,second", EDITED, ids=[m.__tablename__ for m, *_ in EDITED])
def test_update_versioned_is_the_same_mechanism(world, model, field, first, second):
    engine, ids = world
    row_id = ids[model]
    with session_scope(engine) as s:
        update_versioned(s, model, row_id, 1, **{field: first})
    with pytest.raises(StaleEdit):  # a form still showing version 1
        with session_scope(engine) as s:
            update_versioned(s, model, row_id, 1, **{field: second})
    with session_scope(engine) as s:
        stored = s.get(model, row_id)
        assert getattr(stored, field) == first and stored.version == 2
        # An ordinary ORM edit bumps the same counter.
        setattr(stored, field, second)
    with session_scope(engine) as s:
        assert s.get(model, row_id).version == 3
        update_versioned(s, model, row_id, 3, **{field: first})
    with session_scope(engine) as s:
        assert s.get(model, row_id).version == 4


def test_update_versioned_accepts_column_names_and_refuses_missing_rows(world):
    engine, ids = world
    with session_scope(engine) as s:
        update_versioned(s, CommunityGrid, ids[CommunityGrid], 1, geometry=SQUARE.replace("118.60", "118.59"))
    with session_scope(engine) as s:
        assert "118.59" in s.get(CommunityGrid, ids[CommunityGrid]).geometry_wkt
    with pytest.raises(StaleEdit):
        with session_scope(engine) as s:
            update_versioned(s, Household, 999_999, 1, members=2)


def test_update_versioned_writes_even_an_unchanged_value(world):
    """The old core UPDATE always moved the version; so does the mapper path: a second user who
    saves "the same" value over someone else's save is still stopped."""
    engine, ids = world
    with session_scope(engine) as s:
        update_versioned(s, Household, ids[Household], 1, members=1)  # members was already 1
    with session_scope(engine) as s:
        assert s.get(Household, ids[Household]).version == 2
    with pytest.raises(StaleEdit):
        with session_scope(engine) as s:
            update_versioned(s, Household, ids[Household], 1, members=1)
