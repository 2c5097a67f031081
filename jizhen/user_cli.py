"""`jizhen user …`, `jizhen audit …`, `jizhen backup`, `jizhen restore` (registered by jizhen.cli)."""
from __future__ import annotations

import sys

import click


def _engine():
    from grid.db import make_engine

    return make_engine()


def _schema_error(exc: Exception) -> click.ClickException:
    return click.ClickException(f"数据库未初始化或结构过旧，请先运行 `jizhen init`（{type(exc).__name__}）")


def _interactive() -> bool:
    return sys.stdin.isatty()


def _read_password(password: str | None, password_stdin: bool, *, confirm: bool = True) -> str:
    """--password (scripts; visible in the process list and shell history), --password-stdin (one
    line from standard input), or else a hidden prompt typed twice. Without a terminal and without
    either option: an error, never a wait."""
    if password is not None and password_stdin:
        raise click.UsageError("--password 与 --password-stdin 只能给一个")
    if password is not None:
        return password
    if password_stdin:
        line = sys.stdin.readline()
        if not line.rstrip("\r\n"):
            raise click.UsageError("--password-stdin：标准输入为空")
        return line.rstrip("\r\n")
    if _interactive():
        first = click.prompt("密码", hide_input=True)
        if confirm and click.prompt("再次输入密码", hide_input=True) != first:
            raise click.UsageError("两次输入的密码不一致")
        return first
    raise click.UsageError("非交互运行时须提供 --password 或 --password-stdin")


def _run_db(fn):
    """Run fn(session) in one transaction; turn domain errors into clean CLI errors."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from grid.db import session_scope
    from grid.users import UserError

    engine = _engine()
    try:
        with session_scope(engine) as session:
            return fn(session)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    except (OperationalError, ProgrammingError) as exc:
        if "app_user" in str(exc) or "audit_entry" in str(exc) or "no such table" in str(exc):
            raise _schema_error(exc) from None
        raise
    finally:
        engine.dispose()


def register(group: click.Group) -> None:
    @group.group("user", help="用户管理 (users and roles)")
    def user() -> None:
        pass

    @user.command("add", help="新增用户。角色：grid_worker grid_supervisor township_leader county_staff auditor department")
    @click.option("--username", required=True)
    @click.option("--password", default=None, help="不给时在终端中隐藏输入（输入两次）")
    @click.option("--password-stdin", is_flag=True, help="从标准输入读一行作为密码（脚本用，不留在命令行历史中）")
    @click.option("--role", required=True,
                  type=click.Choice(["grid_worker", "grid_supervisor", "township_leader", "county_staff", "auditor",
                                     "department"]))
    @click.option("--grid", "grids", multiple=True, help="所属网格代码（网格员、网格长必填，可重复或用逗号分隔）")
    @click.option("--name", "display_name", default="", help="显示名")
    @click.option("--worker-id", type=int, default=None, help="网格员账号关联的网格员编号（走访登记只显示其本人的派单）")
    @click.option("--worker-phone", default=None, help="按电话关联网格员（代替 --worker-id）")
    @click.option("--scheme", default=None, help="转诊承接部门账号承接的转诊事项（department 必填，如 medical）")
    def user_add(username, password, password_stdin, role, grids, display_name, worker_id, worker_phone,
                 scheme):
        from grid.users import add_user, find_worker_id

        pw = _read_password(password, password_stdin)
        u = _run_db(lambda s: add_user(s, username=username, password=pw, role=role,
                                       grid_codes=list(grids), display_name=display_name,
                                       worker_id=find_worker_id(s, worker_id=worker_id,
                                                                worker_phone=worker_phone),
                                       scheme=scheme))
        linked = f"，关联网格员 {u.worker_id}" if u.worker_id else ""
        where = ("，转诊事项 " + u.scheme if u.scheme else
                 "，网格 " + u.grid_codes if u.grid_codes else "，全部网格")
        click.echo(f"已新增用户 {u.username}（{u.role}{where}{linked}）")

    @user.command("worker", help="关联（或 --unlink 解除）网格员账号与网格员")
    @click.option("--username", required=True)
    @click.option("--worker-id", type=int, default=None)
    @click.option("--worker-phone", default=None)
    @click.option("--unlink", is_flag=True)
    def user_worker(username, worker_id, worker_phone, unlink):
        from grid.users import find_worker_id, set_worker

        if unlink == (worker_id is not None or bool(worker_phone)):
            raise click.UsageError("请给 --worker-id / --worker-phone 之一，或 --unlink")
        u = _run_db(lambda s: set_worker(s, username, None if unlink else find_worker_id(
            s, worker_id=worker_id, worker_phone=worker_phone)))
        click.echo(f"用户 {u.username}" + (f" 已关联网格员 {u.worker_id}" if u.worker_id else " 已解除关联"))

    @user.command("passwd", help="修改密码（同时解除锁定）")
    @click.option("--username", required=True)
    @click.option("--password", default=None, help="不给时在终端中隐藏输入（输入两次）")
    @click.option("--password-stdin", is_flag=True, help="从标准输入读一行作为密码（脚本用，不留在命令行历史中）")
    def user_passwd(username, password, password_stdin):
        from grid.users import set_password

        pw = _read_password(password, password_stdin)
        _run_db(lambda s: set_password(s, username, pw))
        click.echo(f"已修改用户 {username} 的密码")

    @user.command("unlock", help="解除账户的登录锁定（不改密码）")
    @click.option("--username", required=True)
    def user_unlock(username):
        from grid.users import unlock_user

        _run_db(lambda s: unlock_user(s, username))
        click.echo(f"已解除用户 {username} 的登录锁定")

    @user.command("disable", help="停用用户（--enable 重新启用）")
    @click.option("--username", required=True)
    @click.option("--enable", is_flag=True)
    @click.option("--reason", default="")
    def user_disable(username, enable, reason):
        from grid.users import disable_user

        _run_db(lambda s: disable_user(s, username, disabled=not enable, reason=reason))
        click.echo(f"已{'启用' if enable else '停用'}用户 {username}")

    @user.command("list", help="列出用户")
    def user_list():
        from grid.users import list_users

        def rows(s):
            return [(u.username, u.role, u.grid_codes or "全部", "停用" if u.disabled else "正常",
                     u.locked_until.isoformat(timespec="minutes") if u.locked_until else "")
                    for u in list_users(s)]

        for r in _run_db(rows):
            click.echo("\t".join(r))

    @group.group("audit", help="审计日志 (audit log)")
    def audit() -> None:
        pass

    @audit.command("verify", help="校验审计日志哈希链；被篡改时以非零码退出并指出第一条异常记录")
    def audit_verify():
        from grid.audit import verify

        result = _run_db(verify)
        if result.ok:
            click.echo(f"审计日志完整：共 {result.checked} 条记录，哈希链校验通过"
                       f"（签名检查点 {result.checkpoints} 个：{result.anchor_file}）")
            for note in result.notes:
                click.echo(note, err=True)
            return
        where = f"第 {result.checked} 条记录（id={result.first_bad_id}）" if result.first_bad_id else ""
        click.echo(f"审计日志校验失败：{where}{result.problem}", err=True)
        sys.exit(2)

    @audit.command("show", help="显示最近的审计记录")
    @click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
    def audit_show(limit):
        from sqlmodel import select

        from grid.models import AuditEntry

        def rows(s):
            return list(s.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all())

        for e in reversed(_run_db(rows)):
            click.echo(f"{e.id}\t{e.at.isoformat(timespec='seconds')}\t{e.actor}({e.role})\t{e.action}\t"
                       f"{e.entity}:{e.entity_id}\t{e.reason}")

    @group.command("backup", help="备份数据库（SQLite 在线备份；PostgreSQL 用 pg_dump -Fc）")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
    @click.option("--force", is_flag=True, help="覆盖不是备份的已有文件（数据库文件本身永远不会被覆盖）")
    def backup_cmd(out, force):
        from grid.backup import BackupError, backup
        from grid.config import get_settings

        try:
            path = backup(get_settings().database_url, out, force=force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"已备份到 {path}（{path.stat().st_size} 字节）")

    @group.command("restore", help="用备份文件替换当前数据库（SQLite 原子替换；PostgreSQL 用 pg_restore --clean）")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--yes", is_flag=True, help="不再确认")
    def restore_cmd(file, yes):
        from grid.backup import BackupError, restore_with_report
        from grid.config import get_settings

        url = get_settings().database_url
        if not yes and sys.stdin.isatty():
            click.confirm("恢复将覆盖当前数据库的全部数据，确定继续？", abort=True)
        try:
            report = restore_with_report(url, file)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"已从 {file} 恢复数据库" + (f"（结构版本 {report.revision}）" if report.revision else ""))
        for line in report.lines():
            click.echo(line)
