"""Shared fixtures. Every database test runs on SQLite and on PostgreSQL/PostGIS.

PostgreSQL comes from JIZHEN_TEST_PG_URL (an admin URL, e.g.
postgresql+psycopg://jizhen:jizhen@127.0.0.1:5432/postgres; `.ci/run` sets it). Without it the
PostgreSQL variants skip with a printed reason on a developer's machine, and fail under CI=true.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from grid.db import init_db, make_engine

IN_CI = os.environ.get("CI", "").lower() == "true"
# Cheap password hashing in tests only (production keeps bcrypt's default cost of 12).
os.environ.setdefault("JIZHEN_BCRYPT_ROUNDS", "4")
# The audit chain's HMAC key and checkpoint files (jizhen.audit) of the test databases live in a
# directory of this test run, not in the project's var/ (inherited by servers the tests start).
if "JIZHEN_AUDIT_KEY_FILE" not in os.environ:
    import atexit
    import tempfile

    _AUDIT_DIR = tempfile.mkdtemp(prefix="jizhen-test-audit-")
    atexit.register(shutil.rmtree, _AUDIT_DIR, True)
    os.environ["JIZHEN_AUDIT_KEY_FILE"] = os.path.join(_AUDIT_DIR, "audit.key")
    os.environ["JIZHEN_AUDIT_ANCHOR_DIR"] = os.path.join(_AUDIT_DIR, "audit-anchor")
PG_ADMIN_URL = os.environ.get("JIZHEN_TEST_PG_URL", "")
DEMO_TODAY = date(2026, 11, 29)
BACKENDS = ["sqlite", "postgres"]


def missing(what: str) -> None:
    """Skip on a developer's machine; fail in CI, where everything must be there."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true")
    pytest.skip(f"{what} not available on this machine")


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else "")
    if not path:
        missing("Debian's chromium (/usr/bin/chromium)")
    return path


class _PgTemplates:
    """One migrated template database per session; each test clones it (fast)."""

    def __init__(self) -> None:
        self.admin = None
        self.template = f"jizhen_tpl_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []

    def _admin(self):
        if self.admin is None:
            self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{self.template}"'))
            self.created.append(self.template)
            tpl = make_engine(self._url(self.template))
            init_db(tpl)
            tpl.dispose()
        return self.admin

    def _url(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> str:
        admin = self._admin()
        name = f"jizhen_t_{uuid.uuid4().hex[:10]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self._url(name)

    def drop_all(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as c:
            for name in reversed(self.created):
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(autouse=True)
def _keep_main_module():
    """AppTest leaves a page registered as __main__; spawned processes would re-run it."""
    import sys

    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def _pg_templates():
    templates = _PgTemplates()
    yield templates
    templates.drop_all()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, _pg_templates) -> str:
    """URL of a fresh database with the schema at head."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jizhen.db'}"
        engine = make_engine(url)
        init_db(engine)
        engine.dispose()
        return url
    if not PG_ADMIN_URL:
        missing("PostgreSQL (set JIZHEN_TEST_PG_URL)")
    return _pg_templates.fresh()


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def demo_engine(engine):
    """A small demo world (600 households, fixed seed and today) in a fresh database, without the
    demo's open visit assignments (tests make their own and count them)."""
    from jizhen.cli import demo_steps
    from grid.demo import load_demo

    steps = [s for s in demo_steps() if s.__module__ != "grid.demo_assignments"]
    load_demo(engine, households=600, seed=7, today=DEMO_TODAY, steps=steps)
    return engine


# --- the attack table of issue 10 (tests/security/attacks.py) ------------------------------------
_ATTACK_RESULTS: dict[str, dict[str, set[str]]] = {}


# The longest test files (a real server and Chromium, or a killed 20k-row import) start first,
# so that with several test processes (make test: pytest-xdist, a file per process at a time) the
# run does not end waiting on one of them. Order inside a file is kept.
SLOW_FIRST = ("tests/ui/test_browser", "tests/integration/test_kill_import", "tests/ui/test_gateway")


def _slow_first(item) -> int:
    return 0 if item.nodeid.startswith(SLOW_FIRST) else 1


def pytest_collection_modifyitems(config, items):
    """Start the slowest files first; mark every test the attack table names with
    `attack(<finding>)`."""
    from tests.security.attacks import finding_of

    items.sort(key=_slow_first)   # stable: the order inside each file stays
    for item in items:
        finding = finding_of(item.nodeid)
        if finding is not None:
            item.add_marker(pytest.mark.attack(finding))


def pytest_runtest_logreport(report):
    finding = report.user_properties and dict(report.user_properties).get("attack")
    if not finding or report.skipped:  # a skipped replay was not tried (CI fails on skips anyway)
        return
    runs = _ATTACK_RESULTS.setdefault(finding, {"tried": set(), "held": set(), "broken": set()})
    if report.when == "call" or (report.when == "setup" and not report.passed):
        runs["tried"].add(report.nodeid)
        (runs["held"] if report.passed else runs["broken"]).add(report.nodeid)


@pytest.fixture(autouse=True)
def _attack_property(request):
    """Carry the test's finding into its report (read by pytest_runtest_logreport)."""
    marker = request.node.get_closest_marker("attack")
    if marker is not None:
        request.node.user_properties.append(("attack", marker.args[0]))


def pytest_terminal_summary(terminalreporter):
    if not _ATTACK_RESULTS:
        return
    from tests.security.attacks import FINDINGS

    tr = terminalreporter
    tr.section("attack table (issue 10): each finding replayed as an attack")
    tr.write_line(f"{'finding':<8}{'tried':>7}{'held':>7}{'broken':>8}  what")
    total = [0, 0, 0]
    for finding, (title, _patterns) in FINDINGS.items():
        runs = _ATTACK_RESULTS.get(finding, {"tried": set(), "held": set(), "broken": set()})
        n = [len(runs["tried"]), len(runs["held"]), len(runs["broken"])]
        total = [a + b for a, b in zip(total, n)]
        tr.write_line(f"{finding:<8}{n[0]:>7}{n[1]:>7}{n[2]:>8}  {title}")
    tr.write_line(f"{'total':<8}{total[0]:>7}{total[1]:>7}{total[2]:>8}")
