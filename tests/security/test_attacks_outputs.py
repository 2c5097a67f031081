"""Every `--out` goes through jizhen.outputs.write_output: never over the live database (or its
-wal/-shm, a symlink or hard link to it) or a backup, not even with --force; another file only with
--force; a previous export of the same kind is replaced; unwritable paths give a Chinese error.
The live SQLite database and everything written are 0600."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy.engine import make_url

from jizhen.cli import main
from jizhen.outputs import OutputError, check_output, output_kind, write_output, xlsx_marker

MONTH = "2026-11"


@pytest.fixture(autouse=True)
def _anchor_env(tmp_path, monkeypatch):
    monkeypatch.setenv("JIZHEN_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("JIZHEN_AUDIT_ANCHOR_DIR", str(tmp_path / "anchor"))


@pytest.fixture
def sqlite_url(tmp_path):
    """A fresh SQLite database (the file an export must never replace)."""
    from grid.db import init_db, make_engine

    url = f"sqlite:///{tmp_path / 'live' / 'jizhen.db'}"
    eng = make_engine(url)
    init_db(eng)
    eng.dispose()
    return url


def _cli(db_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": db_url})


def _disclose(db_url, out, *extra):
    return _cli(db_url, "export", "disclosure", "--month", MONTH, "--today", "2026-12-01",
                "--out", str(out), *extra)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sqlite_file(db_url) -> Path:
    return Path(make_url(db_url).database)


def _no_traceback(res):
    assert "Traceback" not in res.output
    assert not (res.exception and not isinstance(res.exception, SystemExit)), repr(res.exception)


def test_disclosure_over_the_live_database_is_refused(sqlite_url, tmp_path):
    db_url = sqlite_url
    db = _sqlite_file(db_url)
    before = _digest(db)
    for target, extra in [(db, ()), (db, ("--force",)), (Path(str(db) + "-wal"), ("--force",)),
                          (Path(str(db) + "-shm"), ())]:
        res = _disclose(db_url, target, *extra)
        assert res.exit_code != 0, (target, res.output)
        _no_traceback(res)
        assert "数据库" in res.output and "拒绝" in res.output
    link = tmp_path / "looks-harmless.xlsx"
    link.symlink_to(db)
    hard = tmp_path / "hard.xlsx"
    os.link(db, hard)
    for target in (link, hard):
        res = _disclose(db_url, target, "--force")
        assert res.exit_code != 0 and "数据库" in res.output, res.output
    assert _digest(db) == before
    assert _cli(db_url, "audit", "verify").exit_code == 0


def test_disclosure_over_a_backup_is_refused_even_with_force(engine, db_url, tmp_path):
    backup = tmp_path / "nightly.backup"
    res = _cli(db_url, "backup", "--out", str(backup))
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    before = _digest(backup)
    res = _disclose(db_url, backup, "--force")
    assert res.exit_code != 0 and "备份" in res.output
    _no_traceback(res)
    assert _digest(backup) == before
    # A newer backup may replace the older one; the backup command never overwrites the database.
    res = _cli(db_url, "backup", "--out", str(backup))
    assert res.exit_code == 0, res.output
    if engine.dialect.name == "sqlite":
        res = _cli(db_url, "backup", "--out", str(_sqlite_file(db_url)), "--force")
        assert res.exit_code != 0 and "正在使用的数据库" in res.output


def test_other_files_need_force_and_same_kind_is_replaced(engine, db_url, tmp_path):
    out = tmp_path / "公示.xlsx"
    res = _disclose(db_url, out)
    assert res.exit_code == 0, res.output
    assert xlsx_marker(out) == "disclosure" and output_kind(out) == "disclosure"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    load_workbook(out)  # still a valid workbook after the marker was written
    res = _disclose(db_url, out)  # a previous disclosure: replaced without --force
    assert res.exit_code == 0, res.output
    # A template is not a disclosure (and vice versa).
    res = _cli(db_url, "template", "households", "--out", str(out))
    assert res.exit_code != 0 and "--force" in res.output
    _no_traceback(res)
    assert xlsx_marker(out) == "disclosure"
    notes = tmp_path / "会议记录.docx"
    notes.write_bytes(b"not ours")
    res = _disclose(db_url, notes)
    assert res.exit_code != 0 and "--force" in res.output and "拒绝覆盖" in res.output
    assert notes.read_bytes() == b"not ours"
    res = _disclose(db_url, notes, "--force")
    assert res.exit_code == 0, res.output
    assert xlsx_marker(notes) == "disclosure"
    tpl = tmp_path / "住户模板.xlsx"
    for _ in range(2):  # a previous template of the same kind is replaced
        res = _cli(db_url, "template", "households", "--out", str(tpl))
        assert res.exit_code == 0, res.output
    assert xlsx_marker(tpl) == "template-households"
    res = _cli(db_url, "template", "visits", "--out", str(tpl))
    assert res.exit_code != 0


@pytest.mark.parametrize("target", ["/proc/self/x.xlsx", "/proc/1/nope/x.xlsx", "/dev/null/x.xlsx"])
def test_unwritable_paths_give_a_chinese_error(sqlite_url, target):
    db_url = sqlite_url
    res = _disclose(db_url, target)
    assert res.exit_code != 0
    _no_traceback(res)
    assert "无法写出" in res.output, res.output
    res = _cli(db_url, "template", "visits", "--out", target)
    assert res.exit_code != 0 and "无法写出" in res.output
    _no_traceback(res)


def test_a_directory_is_not_an_output(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputError, match="无法写出.*目录"):
        check_output(tmp_path / "d", kind="disclosure", force=True, database_url="sqlite:///:memory:")


def test_a_failed_write_leaves_the_old_file_and_no_temp_files(tmp_path):
    out = tmp_path / "a.xlsx"
    out.write_bytes(b"old")

    def boom(_tmp):
        raise RuntimeError("写到一半失败")

    with pytest.raises(RuntimeError):
        write_output(out, boom, kind="disclosure", force=True, database_url="sqlite:///:memory:")
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx"]
    with pytest.raises(OutputError, match="拒绝覆盖"):
        check_output(out, kind="disclosure", database_url="sqlite:///:memory:")


def test_live_database_files_are_owner_only(tmp_path):
    from grid.db import init_db, make_engine
    from grid.access import SYSTEM
    from grid.audit import record
    from grid.db import session_scope

    old = os.umask(0o022)
    try:
        db = tmp_path / "live.db"
        eng = make_engine(f"sqlite:///{db}")
        init_db(eng)
        with session_scope(eng) as s:
            record(s, actor=SYSTEM, action="test.write", entity="database")
        files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
        assert db in files and len(files) >= 2  # WAL mode: the side files exist while connected
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
        eng.dispose()
        # An existing world-readable database is tightened when the product opens it.
        os.chmod(db, 0o644)
        eng = make_engine(f"sqlite:///{db}")
        with eng.connect():
            pass
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        eng.dispose()
    finally:
        os.umask(old)
