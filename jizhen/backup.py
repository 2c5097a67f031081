"""Backup and restore of the whole database (public API also as grid.backup).

SQLite: the online backup API (consistent while the dashboard keeps writing); restore copies the
backup into the live file with the same API, in one write transaction, so readers see either the
old or the new database, never a mix. PostgreSQL: pg_dump -Fc / pg_restore --clean in a single
transaction. Passwords go to pg_dump through the environment (PGPASSWORD), never on the command line.

The output goes through jizhen.outputs (never over the live database, a previous backup is
replaced, anything else only with force). Every backup writes a signed audit checkpoint of the
chain it contains; every restore is audited (``restore_with_report``): it reports what it discards
(audit rows after the backup point, row counts per table), writes a ``restore`` checkpoint so that
``jizhen audit verify`` accepts the shorter chain, and appends a ``database.restore`` audit row.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from jizhen.audit import ChainState


class BackupError(RuntimeError):
    """A backup or restore failed; the message is Chinese and names the cause."""


def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


def _sqlite_path(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(db)


def _check_sqlite_file(path: Path) -> str | None:
    """integrity_check must pass and the file must be a Jizhen database; returns its revision."""
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            status = con.execute("PRAGMA integrity_check").fetchone()[0]
            if status != "ok":
                raise BackupError(f"备份文件已损坏：{status}")
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables or "audit_entry" not in tables:
                raise BackupError(f"{path} 不是急诊系统的数据库备份")
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            return row[0] if row else None
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"无法读取备份文件 {path}：{exc}") from exc


def _pg_env(url: str) -> tuple[dict, str]:
    u = make_url(url)
    env = dict(os.environ)
    for key, value in (("PGHOST", u.host), ("PGPORT", u.port), ("PGUSER", u.username),
                       ("PGPASSWORD", u.password)):
        if value is not None:
            env[key] = str(value)
    if not u.database:
        raise BackupError("数据库连接串缺少数据库名")
    return env, u.database


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（postgresql-client）")
    return path


def _run(cmd: list[str], env: dict) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} 失败（退出码 {proc.returncode}）：{proc.stderr.strip()[-2000:]}")


def backup(url: str, out: str | os.PathLike, *, force: bool = False) -> Path:
    """Write a consistent copy of the database at `url` to `out` (atomically: temp file + rename,
    0600) and a signed checkpoint of the audit chain it holds."""
    from jizhen.outputs import OutputError, write_output

    try:
        write_output(out, lambda tmp: _raw_backup(url, tmp, name=Path(out).name), kind="backup", force=force, database_url=url)
    except OutputError as exc:
        raise BackupError(str(exc)) from None
    return Path(out)


def _checkpoint_backup(url: str, copy: Path, name: str) -> None:
    """Checkpoint the chain inside the copy (SQLite: read from the copy itself, exact; PostgreSQL:
    the live head just before pg_dump takes its snapshot)."""
    from jizhen.audit import AnchorError, append_checkpoint, chain_state, checkpoint_engine, db_identity

    try:
        if _backend(url) == "sqlite":
            from sqlalchemy import create_engine

            eng = create_engine(f"sqlite:///file:{copy}?mode=ro&uri=true")
            try:
                with eng.connect() as conn:
                    state = chain_state(conn)
            finally:
                eng.dispose()
            append_checkpoint(db_identity(url), kind="backup", state=state, extra={"file": name})
        else:
            from jizhen.db import make_engine

            eng = make_engine(url)
            try:
                checkpoint_engine(eng, "backup", extra={"file": name})
            finally:
                eng.dispose()
    except (AnchorError, SQLAlchemyError) as exc:
        raise BackupError(f"备份已生成，但无法写入审计检查点：{exc}") from None


def _raw_backup(url: str, out: str | os.PathLike, *, name: str = "") -> Path:
    out = Path(out)
    name = name or out.name
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if _backend(url) == "sqlite":
            src_path = _sqlite_path(url)
            if not src_path.is_file():
                raise BackupError(f"数据库文件不存在：{src_path}")
            src = sqlite3.connect(str(src_path), timeout=30)
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                dst.close()
                src.close()
            _check_sqlite_file(tmp)
            _checkpoint_backup(url, tmp, name)
        else:
            env, db = _pg_env(url)
            _checkpoint_backup(url, tmp, name)
            _run([_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(tmp), db], env)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _raw_restore(url: str, file: str | os.PathLike) -> str | None:
    """Replace the database at `url` by the backup `file`. Returns the restored schema revision
    (SQLite) or None. On any error the database is left as it was."""
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"备份文件不存在：{file}")
    if _backend(url) == "sqlite":
        revision = _check_sqlite_file(file)
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        dst = sqlite3.connect(str(target), timeout=30)
        try:
            dst.execute("PRAGMA busy_timeout=30000")
            # One step (pages=-1): the whole copy is one write transaction on the live file.
            src.backup(dst, pages=-1)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"恢复失败，数据库未改变：{exc}") from exc
        finally:
            dst.close()
            src.close()
        return revision
    env, db = _pg_env(url)
    with open(file, "rb") as fh:
        if fh.read(5) != b"PGDMP":
            raise BackupError(f"{file} 不是 pg_dump -Fc 格式的备份")
    pg_restore = _tool("pg_restore")
    # Leave extensions (PostGIS) alone: they exist already and belong to the superuser.
    listing = subprocess.run([pg_restore, "-l", str(file)], env=env, capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"无法读取备份目录：{listing.stderr.strip()}")
    keep = [line for line in listing.stdout.splitlines()
            if not (" EXTENSION " in line or line.split(";")[-1].strip().startswith("COMMENT - EXTENSION"))]
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as lst:
        lst.write("\n".join(keep) + "\n")
    try:
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", "-L", lst.name, "-d", db, str(file)], env)
    finally:
        os.unlink(lst.name)
    return None


# ----------------------------------------------------------------------------- audited restore
_NOT_COUNTED = {"alembic_version", "spatial_ref_sys"}


def _table_counts(engine) -> dict[str, int]:
    from sqlalchemy import inspect, text

    names = sorted(n for n in inspect(engine).get_table_names() if n not in _NOT_COUNTED)
    with engine.connect() as conn:
        return {n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()) for n in names}


class _Chain:
    """The (id, hash) pairs of an audit chain, compact (8 + 32 bytes a row)."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.hashes = bytearray()

    @classmethod
    def read(cls, engine) -> "_Chain":
        from sqlalchemy import text

        chain = cls()
        with engine.connect() as conn:
            for row_id, row_hash in conn.execute(text("SELECT id, hash FROM audit_entry ORDER BY id")):
                chain.ids.append(int(row_id))
                chain.hashes += bytes.fromhex(row_hash)
        return chain

    def __len__(self) -> int:
        return len(self.ids)

    def at(self, i: int) -> tuple[int, bytes]:
        return self.ids[i], bytes(self.hashes[32 * i: 32 * i + 32])

    def common_prefix(self, other: "_Chain") -> int:
        """How many leading rows the two chains share (same id, same hash)."""
        n, limit = 0, min(len(self), len(other))
        while n < limit and self.at(n) == other.at(n):
            n += 1
        return n


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did: the audit chain before and after, and the rows per table."""

    file: str
    revision: str | None
    before: "ChainState"
    after: "ChainState"
    tables: dict[str, tuple[int, int]]  # table -> (rows before, rows after)
    common: int = 0  # leading audit rows the restored chain shares with the one it replaced
    discarded_ids: tuple[int, int] | None = None  # first and last id of the discarded audit rows
    audit_entry_id: int | None = None

    @property
    def discarded_audit_rows(self) -> int:
        return self.before.count - self.common

    @property
    def foreign(self) -> bool:
        """The backup's chain is not a prefix of the one it replaced (another database or branch)."""
        return self.common < self.after.count

    def summary(self) -> dict:
        ids = self.discarded_ids
        return {"file": Path(self.file).name, "revision": self.revision,
                "backup_point": {"audit_rows": self.after.count, "head_id": self.after.head_id},
                "before_restore": {"audit_rows": self.before.count, "head_id": self.before.head_id},
                "common_audit_rows": self.common, "backup_is_older_copy_of_this_log": not self.foreign,
                "discarded_audit_rows": self.discarded_audit_rows,
                "discarded_audit_ids": list(ids) if ids else None,
                "rows_per_table": {t: {"before": b, "after": a} for t, (b, a) in self.tables.items() if b != a}}

    def lines(self) -> list[str]:
        """Chinese lines for the command line."""
        out = [f"备份点：审计记录 {self.after.count} 条（最后一条 id={self.after.head_id}）；"
               f"恢复前：{self.before.count} 条（最后一条 id={self.before.head_id}）"]
        if self.foreign:
            out.append(f"注意：备份中的审计记录与恢复前只有前 {self.common} 条相同，"
                       "它不是本库较早的备份（来自另一数据库或另一分支）")
        ids = self.discarded_ids
        if ids:
            out.append(f"丢弃备份点之后的审计记录 {self.discarded_audit_rows} 条（id {ids[0]}–{ids[1]}）")
        else:
            out.append("没有丢弃审计记录")
        changed = [(t, b, a) for t, (b, a) in self.tables.items() if b != a and t != "audit_entry"]
        if changed:
            out.append("各表行数（恢复前 → 恢复后）：" + "；".join(f"{t} {b} → {a}" for t, b, a in changed))
        if self.audit_entry_id is not None:
            out.append(f"已写入审计记录 id={self.audit_entry_id}（database.restore）并签名检查点")
        return out


def restore_with_report(url: str, file: str | os.PathLike, *, actor=None) -> RestoreReport:
    """Restore `file` into the database at `url`, then audit it: a signed ``restore`` checkpoint
    (the restored chain is the new baseline; what was cut off is listed) and a ``database.restore``
    audit row chained onto the restored head."""
    from jizhen.access import SYSTEM
    from jizhen.audit import GENESIS, AnchorError, ChainState, append_checkpoint, chain_state, db_identity, record
    from jizhen.db import init_db, make_engine, schema_revision, session_scope

    actor = actor or SYSTEM
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            before = chain_state(conn)
        before_chain = _Chain.read(eng)
        before_counts = _table_counts(eng)
    except SQLAlchemyError:  # nothing (readable) there yet
        before, before_chain, before_counts = ChainState(0, None, None, GENESIS, 0), _Chain(), {}
    finally:
        eng.dispose()
    revision = _raw_restore(url, file)
    eng = make_engine(url)
    try:
        # A backup from an older release is brought to the current schema before the restore is
        # audited (a no-op for a backup at the current revision).
        old_revision = schema_revision(eng)
        try:
            init_db(eng)
        except Exception as exc:
            raise BackupError(f"数据库已恢复（结构版本 {old_revision}），但无法升级到当前结构：{exc}；"
                              "请运行 jizhen init 后再运行 jizhen audit verify") from None
        upgraded = schema_revision(eng)
        if upgraded != old_revision:
            revision = f"{old_revision} → {upgraded}"
        with eng.connect() as conn:
            after = chain_state(conn)
        common = before_chain.common_prefix(_Chain.read(eng))
        after_counts = _table_counts(eng)
        tables = {t: (before_counts.get(t, 0), after_counts.get(t, 0))
                  for t in sorted(set(before_counts) | set(after_counts))}
        discarded = (before_chain.ids[common], before_chain.ids[-1]) if common < len(before_chain) else None
        report = RestoreReport(str(file), revision, before, after, tables, common, discarded)
        try:
            append_checkpoint(db_identity(url), kind="restore", state=after, legacy_upto=after.legacy_upto,
                              extra=report.summary())
        except AnchorError as exc:
            raise BackupError(f"数据库已恢复，但无法写入审计检查点：{exc}") from None
        with session_scope(eng) as s:
            entry = record(s, actor=actor, action="database.restore", entity="database",
                           entity_id=Path(file).name, before=report.summary()["before_restore"],
                           after=report.summary(), reason="从备份恢复：备份点之后的记录被丢弃")
            entry_id = entry.id
    finally:
        eng.dispose()
    return RestoreReport(str(file), revision, before, after, tables, common, discarded, entry_id)


def restore(url: str, file: str | os.PathLike) -> str | None:
    """Restore (audited, see restore_with_report); returns the restored schema revision (SQLite)."""
    return restore_with_report(url, file).revision
