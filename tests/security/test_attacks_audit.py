"""Attacks on the audit log by someone with database rights (a superuser who first switches off the
append-only triggers) but without the key file: each must be caught by `jizhen audit verify`,
which names the first bad row. And a restore of an older backup is audited, not flagged.
SQLite and PostgreSQL (the `engine` fixture)."""
from __future__ import annotations

import json
import stat
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import Session, select

from grid.access import SYSTEM
from grid.audit import _iso, entry_hash, record, verify
from jizhen.cli import main
from grid.db import session_scope
from grid.models import AuditEntry
from jizhen.audit import anchor_file, anchor_settings, db_identity, read_checkpoints


@pytest.fixture(autouse=True)
def _anchor_env(tmp_path, monkeypatch):
    """Key and checkpoint files of this test only (outside the database, as in production)."""
    monkeypatch.setenv("JIZHEN_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("JIZHEN_AUDIT_ANCHOR_DIR", str(tmp_path / "anchor"))
    monkeypatch.delenv("JIZHEN_AUDIT_CHECKPOINT_EVERY", raising=False)


def _fill(engine, n, action="test.write", per_commit=1):
    """n audit rows, `per_commit` rows per transaction; returns all ids in order."""
    i = 0
    while i < n:
        with session_scope(engine) as s:
            for _ in range(min(per_commit, n - i)):
                record(s, actor=SYSTEM, action=action, entity="case", entity_id=i,
                       before={"amount": i}, after={"amount": i * 10}, reason=f"第{i}条")
                i += 1
    return _ids(engine)


def _ids(engine):
    with Session(engine) as s:
        return list(s.exec(select(AuditEntry.id).order_by(AuditEntry.id)))


def _drop_guard(engine):
    """What an attacker with database rights does first (a superuser drops the triggers)."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("DROP TRIGGER audit_entry_no_update ON audit_entry"))
        else:
            c.execute(text("DROP TRIGGER audit_entry_no_update"))
            c.execute(text("DROP TRIGGER audit_entry_no_delete"))


def _verify(engine):
    with Session(engine) as s:
        return verify(s, checkpoint=False)


def _cli(db_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": db_url})


def _rechain(engine, keep_mac: bool):
    """Recompute every hash in id order with the product's own function (as an attacker would after
    deleting rows); the MAC column is left as it was or emptied."""
    with session_scope(engine) as s:
        prev = "0" * 64
        for e in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all():
            e.prev_hash = prev
            e.hash = entry_hash(prev, _iso(e), e.actor, e.role, e.action, e.entity, e.entity_id,
                                e.before_json, e.after_json, e.reason)
            if not keep_mac:
                e.mac = None
            s.add(e)
            prev = e.hash


def test_untouched_log_verifies_and_checkpoints(engine, db_url, tmp_path):
    ids = _fill(engine, 4, per_commit=2)
    result = _verify(engine)
    assert result.ok and result.checked == 4
    res = _cli(db_url, "audit", "verify")
    assert res.exit_code == 0, res.output
    assert "校验通过" in res.output
    # One checkpoint per committed transaction plus one for the CLI verify; each signed and chained.
    anchors = read_checkpoints(db_identity(engine.url))
    assert anchors.problem == ""
    assert [ln["kind"] for ln in anchors.lines] == ["append", "append", "verify"]
    assert anchors.lines[-1]["count"] == 4 and anchors.lines[-1]["head_id"] == ids[-1]
    assert [ln["seq"] for ln in anchors.lines] == [0, 1, 2]
    assert all(ln["prev"] == anchors.lines[i - 1]["mac"] for i, ln in enumerate(anchors.lines) if i)
    # The key is a 0600 file outside the database; the checkpoint file too.
    settings = anchor_settings()
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(anchor_file(db_identity(engine.url)).stat().st_mode) == 0o600
    key_hex = settings.key_file.read_text().strip()
    with engine.connect() as c:
        dump = " ".join(str(v) for row in c.execute(text("SELECT * FROM audit_entry")) for v in row)
    assert key_hex not in dump


def test_deleting_the_newest_rows_is_detected(engine, db_url):
    ids = _fill(engine, 6)
    _drop_guard(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entry WHERE id >= :i"), {"i": ids[4]})
    assert [e for e in _ids(engine)] == ids[:4]
    result = _verify(engine)
    assert not result.ok
    assert result.first_bad_id == ids[4]
    assert "截断" in result.problem and f"id={ids[-1]}" in result.problem
    res = _cli(db_url, "audit", "verify")
    assert res.exit_code == 2
    assert f"id={ids[4]}" in res.output and "截断" in res.output


def test_deleting_everything_is_detected(engine, db_url):
    ids = _fill(engine, 3)
    _drop_guard(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entry"))
    result = _verify(engine)
    assert not result.ok and result.checked == 0
    assert result.first_bad_id == ids[0]
    assert "整体删除" in result.problem
    res = _cli(db_url, "audit", "verify")
    assert res.exit_code == 2 and "整体删除" in res.output


@pytest.mark.parametrize("keep_mac", [True, False], ids=["macs-left", "macs-emptied"])
def test_deleting_payments_and_rechaining_is_detected(engine, db_url, keep_mac):
    """The attack from issue 10: delete the payment rows, recompute the hashes with the product's
    own function. The chain is valid again; the MACs (made with a key the database does not hold)
    are not, starting at the first row after the first deleted one."""
    _fill(engine, 3, action="case.open")
    payments = _fill(engine, 5, action="payment.record", per_commit=5)[3:]
    _fill(engine, 3, action="case.close")
    ids = _ids(engine)
    _drop_guard(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entry WHERE action = 'payment.record'"))
    _rechain(engine, keep_mac=keep_mac)
    from jizhen.audit import GENESIS, _row_hash  # the chain itself is consistent again
    with Session(engine) as s:
        prev = GENESIS
        for e in s.exec(select(AuditEntry).order_by(AuditEntry.id)):
            assert e.prev_hash == prev and _row_hash(e, prev) == e.hash
            prev = e.hash
    # With the MACs left, the first re-chained row is named; with them emptied, the first row
    # that lost its MAC (the very first one).
    first_rechained = ids[ids.index(payments[-1]) + 1] if keep_mac else ids[0]
    result = _verify(engine)
    assert not result.ok
    assert result.first_bad_id == first_rechained
    assert "MAC" in result.problem
    res = _cli(db_url, "audit", "verify")
    assert res.exit_code == 2 and f"id={first_rechained}" in res.output


def test_rechaining_the_whole_log_from_scratch_is_detected(engine):
    """Rebuild every row (MACs emptied) after deleting the first ones: the first row is named."""
    ids = _fill(engine, 5)
    _drop_guard(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entry WHERE id < :i"), {"i": ids[2]})
    _rechain(engine, keep_mac=False)
    result = _verify(engine)
    assert not result.ok and result.first_bad_id == ids[2]


def test_deleting_the_newest_rows_and_a_forged_checkpoint_file_is_detected(engine):
    """Editing the checkpoint file (lowering the count) breaks its signature."""
    _fill(engine, 4)
    path = anchor_file(db_identity(engine.url))
    lines = path.read_text().splitlines()
    forged = json.loads(lines[-1])
    forged["count"] = 2
    path.write_text("\n".join(lines[:-1] + [json.dumps(forged, ensure_ascii=False)]) + "\n")
    result = _verify(engine)
    assert not result.ok and "签名不符" in result.problem
    # Dropping lines from the end is caught by the rows themselves (they are MAC'd): no line needed
    path.write_text("")
    result = _verify(engine)
    assert not result.ok and "检查点" in result.problem


def test_a_missing_checkpoint_file_is_reported(engine):
    _fill(engine, 2)
    anchor_file(db_identity(engine.url)).unlink()
    result = _verify(engine)
    assert not result.ok and "找不到签名检查点文件" in result.problem


def test_verify_inside_a_writing_transaction_does_not_checkpoint_uncommitted_rows(engine):
    _fill(engine, 2)
    path = anchor_file(db_identity(engine.url))
    lines_before = path.read_text().count("\n")
    with Session(engine) as s:
        record(s, actor=SYSTEM, action="test.uncommitted", entity="case")
        assert verify(s).ok  # sees its own row, but must not sign a head that may roll back
        s.rollback()
    assert path.read_text().count("\n") == lines_before
    assert _verify(engine).ok
    with Session(engine) as s:
        assert verify(s).ok
    assert path.read_text().count("\n") == lines_before + 1


def test_a_missing_key_is_reported_not_accepted(engine):
    _fill(engine, 2)
    anchor_settings().key_file.unlink()
    result = _verify(engine)
    assert not result.ok and "密钥" in result.problem


def test_restore_of_an_older_backup_is_audited_and_verifies(engine, db_url, tmp_path):
    before = _fill(engine, 3)
    backup_file = tmp_path / "older.backup"
    res = _cli(db_url, "backup", "--out", str(backup_file))
    assert res.exit_code == 0, res.output
    later = _fill(engine, 7)[3:]
    engine.dispose()
    res = _cli(db_url, "restore", str(backup_file), "--yes")
    assert res.exit_code == 0, res.output
    assert f"丢弃备份点之后的审计记录 {len(later)} 条（id {later[0]}–{later[-1]}）" in res.output
    # The log is the backed-up one plus one row that says what the restore discarded.
    with Session(engine) as s:
        rows = s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [r.id for r in rows[:-1]] == before
    last = rows[-1]
    assert last.action == "database.restore"
    after = json.loads(last.after_json)
    assert after["discarded_audit_rows"] == len(later)
    assert after["discarded_audit_ids"] == [later[0], later[-1]]
    assert after["backup_point"]["audit_rows"] == len(before)
    # The checkpoint file records the restore: verify accepts the shorter log ...
    kinds = [ln["kind"] for ln in read_checkpoints(db_identity(engine.url)).lines]
    assert "backup" in kinds and kinds[-2:] == ["restore", "restore_audit"]
    res = _cli(db_url, "audit", "verify")
    assert res.exit_code == 0, res.output
    # ... but not a truncation after it (the restore row itself deleted).
    _drop_guard(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": last.id})
    result = _verify(engine)
    assert not result.ok and result.first_bad_id == last.id and "截断" in result.problem


def test_rows_written_before_anchoring_are_adopted_once(engine):
    """A database from before the MAC column: its rows (mac NULL) are adopted by the first
    checkpoint; a row without a MAC after that point is flagged."""
    _fill(engine, 3)
    _drop_guard(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE audit_entry SET mac = NULL"))
    anchor_file(db_identity(engine.url)).unlink()  # no anchoring had happened yet
    with Session(engine) as s:
        assert verify(s).ok  # adopts: writes the first checkpoint (legacy rows up to the head)
    new = _fill(engine, 2)[3:]
    assert _verify(engine).ok
    with engine.begin() as c:
        c.execute(text("UPDATE audit_entry SET mac = NULL WHERE id = :i"), {"i": new[0]})
    result = _verify(engine)
    assert not result.ok and result.first_bad_id == new[0] and "缺少签名" in result.problem


def test_concurrent_writers_keep_the_checkpoint_file_consistent(engine):
    errors = []

    def writer(k):
        try:
            for i in range(5):
                with session_scope(engine) as s:
                    record(s, actor=SYSTEM, action="test.parallel", entity="case", entity_id=f"{k}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    anchors = read_checkpoints(db_identity(engine.url))
    assert anchors.problem == "" and len(anchors.lines) == 20
    result = _verify(engine)
    assert result.ok and result.checked == 20


def test_checkpoint_every_n_appends(engine, monkeypatch):
    monkeypatch.setenv("JIZHEN_AUDIT_CHECKPOINT_EVERY", "4")
    ids = _fill(engine, 9)
    lines = read_checkpoints(db_identity(engine.url)).lines
    # the first row, then every id that is a multiple of 4
    assert [ln["head_id"] for ln in lines] == [ids[0]] + [i for i in ids if i % 4 == 0]
    # a disclosure always checkpoints
    with session_scope(engine) as s:
        record(s, actor=SYSTEM, action="disclosure.publish", entity="aid_disclosure", entity_id="2026-11")
    assert read_checkpoints(db_identity(engine.url)).lines[-1]["kind"] == "disclosure"


def test_restoring_a_backup_from_before_the_mac_column_is_upgraded_audited_and_verifies(tmp_path):
    """A backup made by the release before migration 0011 (audit rows without MAC): restore brings
    it to the current schema, adopts its rows in the restore checkpoint, audits the restore."""
    from alembic import command
    from datetime import datetime, timezone

    from grid.db import alembic_config, make_engine, schema_revision

    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(old_url)
    command.upgrade(alembic_config(old), "0010_case_guards")
    prev = "0" * 64
    with old.begin() as c:
        for i in range(3):
            at = datetime(2026, 1, 1, 8, i, tzinfo=timezone.utc)
            h = entry_hash(prev, at.isoformat(timespec="microseconds"), "system", "system", "old.write",
                           "case", str(i), "", "", "")
            c.execute(text("INSERT INTO audit_entry (at, actor, role, action, entity, entity_id, before_json, "
                           "after_json, reason, prev_hash, hash) VALUES (:at, 'system', 'system', 'old.write', "
                           "'case', :eid, '', '', '', :p, :h)"), {"at": at, "eid": str(i), "p": prev, "h": h})
            prev = h
    old.dispose()
    live_url = f"sqlite:///{tmp_path / 'live.db'}"
    live = make_engine(live_url)
    from grid.db import init_db

    init_db(live)
    _fill(live, 4)
    live.dispose()
    res = _cli(live_url, "restore", str(tmp_path / "old.db"), "--yes")
    assert res.exit_code == 0, res.output
    assert "0010_case_guards → " in res.output
    # Not an older copy of this log: all four rows it replaces are discarded, and it says so.
    assert "丢弃备份点之后的审计记录 4 条" in res.output and "不是本库较早的备份" in res.output
    assert schema_revision(live) != "0010_case_guards"
    with Session(live) as s:
        rows = s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [r.mac is None for r in rows] == [True, True, True, False]
    assert rows[-1].action == "database.restore"
    res = _cli(live_url, "audit", "verify")
    assert res.exit_code == 0, res.output
    live.dispose()
