"""Every refusal of the domain carries its English: each `raise AccessDenied(...)` and
`raise UserError(...)` in the product code passes `en=` (a page in English mode shows it through
dashboard.texts.error_text), and the exception keeps its Chinese ``str()`` as given."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard.texts import error_text
from jizhen.access import AccessDenied

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("cases", "grid", "jizhen", "risk", "dashboard")


def _raises(name: str):
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                        and getattr(node.exc.func, "id", getattr(node.exc.func, "attr", None)) == name):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node.exc


@pytest.mark.parametrize("name", ["AccessDenied", "UserError"])
def test_every_refusal_has_english(name):
    found = list(_raises(name))
    assert len(found) > 10, f"the scan found only {len(found)} raises of {name}"
    missing = [where for where, call in found if "en" not in {k.arg for k in call.keywords}]
    assert not missing, f"{name} raised without en=: {missing}"


def test_access_denied_shape():
    exc = AccessDenied("案件不在您负责的网格内，或不存在 / outside your grids or not found",
                       en="The case is outside your grids or does not exist.", code="out_of_scope")
    assert str(exc) == "案件不在您负责的网格内，或不存在 / outside your grids or not found"
    assert exc.code == "out_of_scope"
    assert error_text(exc, "en") == "The case is outside your grids or does not exist."
    assert error_text(exc, "zh") == str(exc)
    old = AccessDenied("只读")  # the constructor as every caller used it before
    assert (str(old), old.zh, old.en, old.code) == ("只读", "只读", "", "access_denied")
    assert error_text(old, "en") == "只读"  # no English given: the Chinese, never an empty line
    assert str(AccessDenied()) == ""


def test_out_of_scope_reads_the_same_for_any_record_in_both_languages():
    """A record outside the actor's grids and one that does not exist get the one uniform refusal,
    in Chinese as always and in English (cases.common.OUT_OF_SCOPE / OUT_OF_SCOPE_EN)."""
    from cases.common import OUT_OF_SCOPE, check_scope
    from jizhen.access import Actor, Role

    sup = Actor(username="sup", role=Role.GRID_SUPERVISOR, grid_codes=frozenset({"G01"}))
    refusals = []
    for grid in ("G02", None):  # another grid; no grid at all (not found)
        with pytest.raises(AccessDenied) as exc:
            check_scope(sup, grid)
        refusals.append((str(exc.value), error_text(exc.value, "en"), exc.value.code))
    assert refusals[0] == refusals[1] == (
        f"案件{OUT_OF_SCOPE}", "The case is outside your grids or does not exist.", "out_of_scope")
