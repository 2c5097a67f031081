"""risk/ is pure computation: no database, UI or map imports anywhere in the package."""

import ast
from pathlib import Path

import pytest

RISK = Path(__file__).resolve().parents[2] / "risk"
FORBIDDEN = {"sqlmodel", "sqlalchemy", "streamlit", "streamlit_folium", "folium", "alembic",
             "psycopg", "psycopg2", "sqlite3", "grid", "dashboard", "cases"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            if node.args and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value).split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module"):
            if node.args and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value).split(".")[0])
    return names


MODULES = sorted(RISK.rglob("*.py"))


def test_risk_has_modules():
    names = {p.name for p in MODULES}
    assert {"config.py", "scoring.py", "hotspots.py", "coverage.py", "evaluation.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(RISK)))
def test_no_db_ui_imports(path):
    bad = _imports(path) & FORBIDDEN
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_detector_catches_a_forbidden_import(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("import os\nfrom sqlmodel import Session\ndef f():\n    import streamlit as st\n")
    assert _imports(f) & FORBIDDEN == {"sqlmodel", "streamlit"}
