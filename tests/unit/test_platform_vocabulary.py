"""One vocabulary: one Role enum, one role-label table, one masking module (issue 9)."""
from __future__ import annotations

import pandas as pd
import pytest

import cases.masking
import cases.vocabulary
import grid.access
import grid.privacy
import jizhen.privacy
from dashboard.texts import t
from jizhen.access import Actor, Role
from jizhen.vocabulary import ROLE_LABELS, ROLE_LABELS_EN, ROLE_NAMES, role_label


# --- one Role enum -----------------------------------------------------------------------------
def test_grid_and_cases_role_are_one_enum():
    assert grid.access.Role is Role
    assert cases.vocabulary.Role is Role


@pytest.mark.parametrize("upper,lower", [("GRID_WORKER", "grid_worker"),
                                         ("GRID_SUPERVISOR", "grid_supervisor"),
                                         ("TOWNSHIP_LEADER", "township_leader"),
                                         ("COUNTY_STAFF", "county_staff"),
                                         ("AUDITOR", "auditor"), ("SYSTEM", "system")])
def test_both_spellings_are_the_same_member(upper, lower):
    assert getattr(Role, upper) is getattr(Role, lower)
    assert Role(lower) is getattr(Role, upper)
    assert getattr(Role, lower) == lower  # a str: stored and compared as its value
    assert f"{getattr(Role, lower)}" == lower


def test_iterating_gives_each_role_once():
    assert [r.value for r in Role] == ["grid_worker", "grid_supervisor", "township_leader",
                                       "county_staff", "auditor", "department", "system"]


def test_department_role_has_both_spellings():
    assert Role("department") is Role.DEPARTMENT is Role.department


def test_cases_role_sets_use_the_one_enum():
    assert Role.TOWNSHIP_LEADER in cases.vocabulary.OFFICERS
    assert Role.auditor not in cases.vocabulary.INTAKE_ROLES


# --- one label table ---------------------------------------------------------------------------
def test_every_role_has_one_chinese_and_one_english_name():
    assert set(ROLE_NAMES) == set(Role)
    assert ROLE_LABELS[Role.TOWNSHIP_LEADER] == "镇街领导"
    assert ROLE_LABELS[Role.AUDITOR] == "审计员"
    assert ROLE_LABELS_EN[Role.COUNTY_STAFF] == "county staff"


def test_cases_messages_and_dashboard_read_the_same_table():
    assert cases.vocabulary.ROLE_LABELS is ROLE_LABELS
    for role in Role:
        assert t(f"role.{role.value}", "zh") == ROLE_LABELS[role] == role_label(role)
        assert t(f"role.{role.value}", "en") == ROLE_LABELS_EN[role] == role_label(role.value, "en")


def test_role_label_of_an_unknown_value_is_the_value():
    assert role_label("nobody") == "nobody"
    with pytest.raises(ValueError):
        role_label(Role.AUDITOR, "fr")


# --- one masking module ------------------------------------------------------------------------
ID = "32132319800101123X"
KNOWN = [  # (value, mask, expected): known answers
    ("32132319800101123X", "id", "321323********123X"),
    (" 32132319800101123X ", "id", "321323********123X"),
    ("1234567890", "id", "**********"),
    ("13912345678", "phone", "139****5678"),
    ("0527-88881234", "phone", "052******1234"),
    ("88881234", "phone", "********"),  # a short local number: nothing shown
    ("张三", "name", "张*"),
    ("张小三", "name", "张*三"),
    ("欧阳小明", "name", "欧**明"),
    ("张", "name", "*"),
    ("众兴街道幸福路18号3栋", "address", "众兴街道幸福******"),
    ("", "phone", ""),
    (None, "name", ""),
]
OLD_PATHS = {"id": [cases.masking.mask_id, grid.privacy.mask_id_number, jizhen.privacy.mask_id_number],
             "phone": [cases.masking.mask_phone, grid.privacy.mask_phone, jizhen.privacy.mask_phone],
             "name": [cases.masking.mask_name, grid.privacy.mask_name, jizhen.privacy.mask_name],
             "address": [grid.privacy.mask_address, jizhen.privacy.mask_address]}


@pytest.mark.parametrize("value,kind,expected", KNOWN)
def test_every_import_path_masks_the_same_value_the_same_way(value, kind, expected):
    assert {fn(value) for fn in OLD_PATHS[kind]} == {expected}


def test_cases_rules_masks_are_the_platform_ones():
    from cases import rules

    assert rules.mask_phone is jizhen.privacy.mask_phone and rules.mask_id is jizhen.privacy.mask_id_number


def _frame():
    return pd.DataFrame({"head_name": ["欧阳小明"], "address": ["众兴街道幸福路18号3栋"],
                         "head_id_number": [ID], "phone": ["13912345678"], "members": [3]})


@pytest.mark.parametrize("role", [Role.TOWNSHIP_LEADER, Role.AUDITOR])
def test_leader_and_auditor_see_every_kind_masked_on_screen(role):
    out = jizhen.privacy.mask_frame(_frame(), Actor("x", role, None))
    assert out.loc[0].to_dict() == {"head_name": "欧**明", "address": "众兴街道幸福******",
                                    "head_id_number": "321323********123X", "phone": "139****5678",
                                    "members": 3}


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.GRID_SUPERVISOR, Role.COUNTY_STAFF])
def test_visiting_roles_see_names_and_addresses_on_screen_never_in_public(role):
    actor = Actor("x", role, None)
    screen = jizhen.privacy.mask_frame(_frame(), actor)
    assert screen.loc[0, "head_name"] == "欧阳小明" and screen.loc[0, "address"] == "众兴街道幸福路18号3栋"
    public = jizhen.privacy.mask_frame(_frame(), actor, public=True)
    assert public.loc[0, "head_name"] == "欧**明" and public.loc[0, "phone"] == "139****5678"
    assert "18号" not in public.loc[0, "address"] and ID not in public.loc[0, "head_id_number"]


def test_the_rule_is_one_function_for_frames_and_values():
    leader, worker = Actor("l", Role.TOWNSHIP_LEADER, None), Actor("w", Role.GRID_WORKER, None)
    for kind in ("id_number", "phone", "name", "address"):
        assert not jizhen.privacy.shows_clear(leader, kind)
        assert jizhen.privacy.shows_clear(worker, kind)
        assert not jizhen.privacy.shows_clear(worker, kind, public=True)
        assert not jizhen.privacy.shows_clear(None, kind)
    assert jizhen.privacy.mask_value("张小三", "name", leader) == "张*三"
    assert jizhen.privacy.mask_value("张小三", "name", worker) == "张小三"
    with pytest.raises(ValueError):
        jizhen.privacy.shows_clear(worker, "income")


# --- one settings object -----------------------------------------------------------------------
def test_settings_hold_every_environment_variable():
    from datetime import date
    from pathlib import Path

    from jizhen.settings import get_settings

    s = get_settings({"DATABASE_URL": "postgresql://u:p@h/db", "JIZHEN_CALENDAR_DIR": "/srv/cal",
                      "JIZHEN_BCRYPT_ROUNDS": "4", "JIZHEN_TODAY": "2026-11-29",
                      "JIZHEN_SESSION_MINUTES": "45", "JIZHEN_TILES": "osm"})
    assert s.database_url == "postgresql+psycopg://u:p@h/db"
    assert s.calendar_dir == Path("/srv/cal") and s.bcrypt_rounds == 4 and s.today == date(2026, 11, 29)
    assert s.session_minutes == 45 and s.tiles == "osm"


def test_settings_defaults_and_bounds():
    from jizhen.settings import CALENDAR_DIR, get_settings

    s = get_settings({})
    assert s.calendar_dir == CALENDAR_DIR and CALENDAR_DIR.name == "calendar"
    assert s.bcrypt_rounds == 12 and s.today is None and s.database_url.startswith("sqlite:///")
    assert get_settings({"JIZHEN_BCRYPT_ROUNDS": "99"}).bcrypt_rounds == 16
    assert get_settings({"JIZHEN_BCRYPT_ROUNDS": "1"}).bcrypt_rounds == 4
    assert get_settings({"JIZHEN_BCRYPT_ROUNDS": "many"}).bcrypt_rounds == 12
    with pytest.raises(ValueError, match="JIZHEN_TODAY"):
        get_settings({"JIZHEN_TODAY": "29.11.2026"})


def test_settings_hold_the_audit_anchor_variables():
    from pathlib import Path

    from jizhen.settings import get_settings

    s = get_settings({"JIZHEN_VAR_DIR": "/srv/jizhen"})
    assert s.audit_key_file == Path("/srv/jizhen/audit.key")
    assert s.audit_anchor_dir == Path("/srv/jizhen/audit-anchor") and s.audit_checkpoint_every == 1
    s = get_settings({"JIZHEN_AUDIT_KEY_FILE": "/etc/k", "JIZHEN_AUDIT_ANCHOR_DIR": "/mnt/a",
                      "JIZHEN_AUDIT_CHECKPOINT_EVERY": "50"})
    assert (s.audit_key_file, s.audit_anchor_dir, s.audit_checkpoint_every) == (Path("/etc/k"), Path("/mnt/a"), 50)
    with pytest.raises(ValueError, match="正整数"):
        get_settings({"JIZHEN_AUDIT_CHECKPOINT_EVERY": "often"})


def test_user_messages_read_the_same_label_table():
    import grid.users

    assert grid.users.ROLE_LABELS is ROLE_LABELS
