"""Every file the product writes at a user-given path (`--out`) goes through ``write_output``.

Rules (one place):
- never the live database (its file, -wal, -shm, -journal, also through a symlink or hard link),
  never a database or a backup (an SQLite database, a pg_dump archive), not even with --force;
- an existing file is replaced only if it is a previous output of the same kind (xlsx we wrote
  carry a marker in their document properties, backups are recognised by their content), or with
  ``force=True``;
- the file is written to a temporary file next to the target and renamed into place (a failed
  write leaves the old file alone), readable by the owner only (0600);
- an unwritable path gives a Chinese ``OutputError``, never a traceback.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.engine import make_url

# kind -> (Chinese label, file format)
KINDS: dict[str, tuple[str, str]] = {
    "disclosure": ("月度公示名单", "xlsx"),
    "template-households": ("住户导入模板", "xlsx"),
    "template-visits": ("走访导入模板", "xlsx"),
    "backup": ("数据库备份", "backup"),
}
MARKER_PREFIX = "jizhen-export:"
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
_SIDE_FILES = ("", "-wal", "-shm", "-journal")
_CORE = "docProps/core.xml"


class OutputError(ValueError):
    """The output cannot or must not be written; the message is Chinese and names the path."""


_ERRNO_ZH = {
    errno.EACCES: "没有写入权限", errno.EPERM: "不允许写入", errno.ENOENT: "目录不存在或不可写",
    errno.EROFS: "只读文件系统", errno.ENOSPC: "磁盘空间不足", errno.EISDIR: "这是一个目录",
    errno.ENOTDIR: "路径中有一段不是目录", errno.EEXIST: "路径中有一段是文件而不是目录", errno.ENAMETOOLONG: "文件名过长", errno.EDQUOT: "超出磁盘配额",
}


def _zh_oserror(exc: OSError) -> str:
    return _ERRNO_ZH.get(exc.errno or 0, exc.strerror or str(exc))


def _label(kind: str) -> str:
    return KINDS[kind][0]


# ----------------------------------------------------------------------------- recognising files
def file_magic(path: Path, n: int = 16) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def is_database_file(path: Path) -> bool:
    """An SQLite database or a pg_dump archive (a live database or a backup of one)."""
    head = file_magic(path)
    return head.startswith(SQLITE_MAGIC) or head.startswith(PGDUMP_MAGIC)


def is_jizhen_backup(path: Path) -> bool:
    head = file_magic(path)
    if head.startswith(PGDUMP_MAGIC):
        return True
    if not head.startswith(SQLITE_MAGIC):
        return False
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return {"alembic_version", "audit_entry"} <= names


def xlsx_marker(path: Path) -> str | None:
    """The kind recorded in an xlsx we wrote (document keywords ``jizhen-export:<kind>``)."""
    try:
        with zipfile.ZipFile(path) as zf:
            core = zf.read(_CORE).decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError):
        return None
    m = re.search(r"<cp:keywords>([^<]*)</cp:keywords>", core)
    if not m:
        return None
    for word in m.group(1).split():
        if word.startswith(MARKER_PREFIX):
            return word[len(MARKER_PREFIX):]
    return None


def stamp_xlsx(path: Path, kind: str) -> None:
    """Write the marker into the xlsx's document properties (docProps/core.xml), in place."""
    src = Path(path)
    tmp = src.with_name(src.name + ".stamp")
    marker = f"{MARKER_PREFIX}{kind}"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == _CORE:
                core = data.decode("utf-8")
                if "<cp:keywords>" in core:
                    core = re.sub(r"<cp:keywords>[^<]*</cp:keywords>", f"<cp:keywords>{marker}</cp:keywords>", core)
                elif "<cp:keywords/>" in core:
                    core = core.replace("<cp:keywords/>", f"<cp:keywords>{marker}</cp:keywords>")
                else:
                    core = core.replace("</cp:coreProperties>",
                                        f"<cp:keywords>{marker}</cp:keywords></cp:coreProperties>")
                data = core.encode("utf-8")
            zout.writestr(info, data)
        if _CORE not in names:
            raise OutputError(f"{src} 不是完整的 xlsx 文件（缺少文档属性）")
    os.replace(tmp, src)


def output_kind(path: Path) -> str | None:
    """Which of our outputs an existing file is (None: not one of ours)."""
    if is_jizhen_backup(path):
        return "backup"
    return xlsx_marker(path)


# ----------------------------------------------------------------------------- protected paths
def live_database_files(database_url: str | None) -> list[Path]:
    """The files of the live SQLite database (none for PostgreSQL)."""
    if database_url is None:
        from jizhen.settings import get_settings

        database_url = get_settings().database_url
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    base = os.path.realpath(url.database)
    return [Path(base + suffix) for suffix in _SIDE_FILES]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(out: str | os.PathLike, *, kind: str, force: bool = False,
                 database_url: str | None = None) -> Path:
    """Raise OutputError unless `out` may be written as `kind`; returns the resolved path."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    raw = str(out)
    if not raw.strip():
        raise OutputError("输出文件路径为空")
    path = Path(os.path.realpath(os.path.expanduser(raw)))
    for live in live_database_files(database_url):
        if path == live or (path.exists() and live.exists() and _same_file(path, live)):
            raise OutputError(f"拒绝写出：{raw} 是正在使用的数据库文件，即使加 --force 也不会覆盖")
    if path.exists() or os.path.lexists(raw):
        if path.is_dir():
            raise OutputError(f"无法写出 {raw}：这是一个目录")
        if not path.is_file():
            raise OutputError(f"无法写出 {raw}：这不是普通文件")
        existing = output_kind(path)
        if kind != "backup" and is_database_file(path):
            raise OutputError(f"拒绝写出：{raw} 是数据库或数据库备份，导出文件不能覆盖它（--force 也不行）")
        if existing != kind and not force:
            what = f"之前导出的{_label(existing)}" if existing else "其他文件"
            raise OutputError(f"拒绝覆盖 {raw}：它是{what}，不是之前导出的{_label(kind)}。"
                              "请换一个文件名；确需覆盖请加 --force")
    return path


def write_output(out: str | os.PathLike, write: Callable[[Path], Any], *, kind: str,
                 force: bool = False, database_url: str | None = None) -> Any:
    """Check `out`, call ``write(tmp_path)`` to produce the file next to it, mark it as `kind`,
    rename it into place (0600). Returns what `write` returned. Errors: OutputError (Chinese)."""
    path = check_output(out, kind=kind, force=force, database_url=database_url)
    suffix = ".xlsx" if KINDS[kind][1] == "xlsx" else ".tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".jizhen-out-", suffix=suffix, dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"无法写出 {out}：{_zh_oserror(exc)}") from None
    tmp = Path(tmp_name)
    try:
        result = write(tmp)
        if KINDS[kind][1] == "xlsx":
            stamp_xlsx(tmp, kind)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
        # Checked again just before the rename: the target must not have become the database.
        check_output(out, kind=kind, force=force, database_url=database_url)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"无法写出 {out}：{_zh_oserror(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return result


# ----------------------------------------------------------------------------- live database files
def secure_sqlite_file(database: str | os.PathLike) -> None:
    """Create the SQLite database file 0600 before SQLite does (its -wal/-shm/-journal files take
    the same mode), and take group/other permissions off an existing one and its side files."""
    db = str(database)
    if not db or db == ":memory:" or db.startswith("file:"):
        return
    try:
        fd = os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError:
        return  # SQLite reports the real problem when it opens the file
    for suffix in _SIDE_FILES:
        p = db + suffix
        try:
            mode = os.stat(p).st_mode
            if mode & 0o077 and stat.S_ISREG(mode):
                os.chmod(p, stat.S_IMODE(mode) & 0o700)
        except OSError:
            continue
