"""The attack table (tests/security/attacks.py) names real tests: every pattern is an existing test
file, or a test function of that file; every finding of issue 10 has a replay."""
from __future__ import annotations

import ast

from grid.config import PROJECT_DIR
from tests.security.attacks import FINDINGS, finding_of


def _test_names(path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.name.startswith("test")}


def test_every_pattern_names_an_existing_test():
    dead = []
    for finding, (_title, patterns) in FINDINGS.items():
        for pattern in patterns:
            path, _, prefix = pattern.partition("::")
            file = PROJECT_DIR / path
            if not file.is_file():
                dead.append(pattern)
                continue
            names = _test_names(file)
            if not names or (prefix and not any(n.startswith(prefix) for n in names)):
                dead.append(pattern)
    assert not dead, dead


def test_every_finding_of_the_issue_has_a_replay_and_nodes_map_to_one_finding():
    assert set(FINDINGS) == {"1", "2", "3", "4", "5", "6", "7", "8", "H"}
    assert finding_of("tests/security/test_attacks_audit.py::test_deleting_everything_is_detected[sqlite]") == "4"
    assert finding_of("tests/security/test_attacks_login.py::test_cli_unlock_ends_every_lock[postgres]") == "H"
    assert finding_of("tests/unit/test_calendar.py::test_anything") is None
