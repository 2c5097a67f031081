"""Backup and restore of the whole database.

SQLite: the online backup API (consistent while the dashboard keeps writing); restore copies the
backup into the live file with the same API, in one write transaction, so readers see either the
old or the new database, never a mix. PostgreSQL: pg_dump -Fc / pg_restore --clean in a single
transaction. Passwords go to pg_dump through the environment (PGPASSWORD), never on the command line.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url


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


def backup(url: str, out: str | os.PathLike) -> Path:
    """Write a consistent copy of the database at `url` to `out` (atomically: temp file + rename)."""
    out = Path(out)
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
        else:
            env, db = _pg_env(url)
            _run([_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(tmp), db], env)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def restore(url: str, file: str | os.PathLike) -> str | None:
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
