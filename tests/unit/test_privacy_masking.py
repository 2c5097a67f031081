"""grid.privacy: masking helpers and mask_frame by role (public lists always masked)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from grid.access import Actor, Role
from grid.privacy import mask_address, mask_frame, mask_id_number, mask_name, mask_phone

ID = "32132319800101123X"
ID_RE = re.compile(r"\d{17}[\dXx]")


def actor(role):
    return Actor("u", role, None)


def frame():
    return pd.DataFrame({"head_id_number": [ID, None], "phone": ["13912345678", ""],
                         "head_name": ["欧阳小明", "张三"], "address": ["众兴街道幸福路18号3栋", "x"],
                         "members": [3, 1]})


def test_basic_masks():
    assert mask_id_number(ID) == "321323********123X"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_address("众兴街道幸福路18号3栋").startswith("众兴街道幸福") and "18号" not in mask_address("众兴街道幸福路18号3栋")


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.TOWNSHIP_LEADER])
def test_roles_without_personal_data_get_masked_ids_and_phones(role):
    out = mask_frame(frame(), actor(role))
    assert not out["head_id_number"].dropna().str.contains(ID_RE).any()
    assert out.loc[0, "phone"] == "139****5678"
    assert out.loc[0, "head_name"] == "欧**明"  # issue 9: the same rule as the household card
    assert list(out["members"]) == [3, 1]


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.COUNTY_STAFF])
def test_roles_with_personal_data_see_clear_values_on_screen(role):
    out = mask_frame(frame(), actor(role))
    assert out.loc[0, "head_id_number"] == ID


@pytest.mark.parametrize("role", list(Role))
def test_public_lists_are_always_masked(role):
    out = mask_frame(frame(), actor(role), public=True)
    assert not out["head_id_number"].dropna().str.contains(ID_RE).any()
    assert out.loc[0, "head_name"] == "欧**明"
    assert "18号" not in out.loc[0, "address"]
    assert out.loc[0, "phone"] == "139****5678"


def test_no_actor_means_masked():
    assert mask_frame(frame(), None).loc[0, "head_id_number"] != ID


def test_screen_card_shows_field_work_details_only_to_visiting_roles(tmp_path):
    """Supervisors and workers see whom and where to visit; IDs and phones stay masked for all."""
    from datetime import date

    from grid.access import Actor, Role
    from grid.db import init_db, make_engine, session_scope
    from grid.demo import load_demo
    from grid.privacy import masked_household
    from grid.models import Household, CommunityGrid
    from sqlmodel import select

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    init_db(engine)
    load_demo(engine, households=30, seed=1, today=date(2026, 11, 29))
    with session_scope(engine) as s:
        h, code = s.exec(select(Household, CommunityGrid.code)
                         .join(CommunityGrid, Household.grid_id == CommunityGrid.id)).first()
        sup = masked_household(s, Actor("s", Role.GRID_SUPERVISOR, frozenset({code})), h.id)
        aud = masked_household(s, Actor("a", Role.AUDITOR, None), h.id)
    assert sup["head_name"] == h.head_name and sup["address"] == h.address
    assert sup["head_id_number"] != h.head_id_number and sup["phone"] != h.phone
    assert aud["head_name"] != h.head_name and aud["address"] != h.address
    assert aud["head_id_number"] != h.head_id_number
