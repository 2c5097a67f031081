"""Sub-commands of `jizhen` for cases: `cases list/show/import/funds/settle`, `export disclosure`,
`spotcheck`.

Every command that depends on the date takes ``--today YYYY-MM-DD`` (default: today in Asia/Shanghai),
so a demo dated e.g. late December behaves as on that day. Bad input and refused actions end in a
Chinese message (``click.ClickException``, exit code 1; bad options exit 2), never a traceback.
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# ----------------------------------------------------------------------------- option parsing
def _today(value: str | None) -> date:
    if value:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise click.BadParameter(f"日期格式应为 YYYY-MM-DD（收到“{value}”）",
                                     param_hint="--today") from None
    from jizhen.cli import today_local

    return today_local()


def _today_callback(_ctx, _param, value: str | None) -> date:
    return _today(value)


def _month_callback(_ctx, _param, value: str) -> str:
    m = _MONTH.match((value or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise click.BadParameter(f"月份格式应为 YYYY-MM，例如 2026-11（收到“{value}”）")
    return m.group(0)


def _year_callback(_ctx, _param, value: str) -> int:
    text = (value or "").strip()
    if not (text.isdigit() and len(text) == 4 and 2000 <= int(text) <= 2100):
        raise click.BadParameter(f"年份应为四位数字，例如 2026（收到“{value}”）")
    return int(text)


today_option = click.option(
    "--today", "today", default=None, callback=_today_callback,
    help="“今天” YYYY-MM-DD，用于期限、发布和抽取日期（默认为北京时间今天）")
month_option = click.option("--month", required=True, callback=_month_callback, help="YYYY-MM")
year_option = click.option("--year", required=True, callback=_year_callback, help="YYYY")


# ----------------------------------------------------------------------------- plumbing
def _engine():
    from grid.db import init_db, make_engine

    engine = make_engine()
    init_db(engine)
    return engine


@contextmanager
def _session():
    """One transaction as the system actor; domain, scope and database problems become messages."""
    from sqlalchemy.exc import OperationalError

    from cases.errors import DomainError
    from grid.access import AccessDenied
    from grid.db import StaleEdit, session_scope

    engine = None
    try:
        engine = _engine()
        with session_scope(engine) as s:
            yield s
    except DomainError as exc:
        raise click.ClickException(exc.zh) from None
    except (AccessDenied, StaleEdit) as exc:
        raise click.ClickException(str(exc)) from None
    except OperationalError as exc:
        raise click.ClickException(f"数据库不可用：{exc.orig or exc}") from None
    finally:
        if engine is not None:
            engine.dispose()


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


# ----------------------------------------------------------------------------- cases …
@click.group("cases", help="救助案件 (emergency-assistance cases)")
def cases_group() -> None:
    pass


@cases_group.command("list", help="列出案件（--json 输出 JSON）")
@click.option("--json", "as_json", is_flag=True, help="每个案件一行 JSON 数组")
@click.option("--status", multiple=True, help="只列此状态（可多次），如 reported、paid")
@today_option
def list_cmd(as_json: bool, status: tuple[str, ...], today: date) -> None:
    from cases import services as svc
    from cases.vocabulary import Status
    from grid.access import SYSTEM

    known = {s.value for s in Status}
    unknown = [x for x in status if x not in known]
    if unknown:
        raise click.BadParameter(f"未知状态：{'、'.join(unknown)}（可用：{'、'.join(sorted(known))}）",
                                 param_hint="--status")
    with _session() as s:
        rows = svc.list_cases(session=s, actor=SYSTEM, today=today, status=list(status) or None)
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        flag = "【逾期】" if r["deadline_status"] == "overdue" else ""
        prov = "（暂定）" if r["provisional"] else ""
        click.echo(f"{r['case_no']} {r['channel_label']} {r['category_label']} {r['status_label']} "
                   f"{r['amount_yuan']:.2f}元 受理{r['received_on']} 期限{r['due_on']}{prov}{flag}")
    click.echo(f"共 {len(rows)} 件")


@cases_group.command("show", help="一个案件的详情与经过（CASE_ID 为案件编号数字）")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True)
@today_option
def show_cmd(case_id: str, as_json: bool, today: date) -> None:
    from cases import services as svc
    from grid.access import SYSTEM

    if not case_id.strip().isdigit():
        raise click.BadParameter(f"案件编号应为数字（收到“{case_id}”）", param_hint="CASE_ID")
    with _session() as s:
        row = svc.case_detail(session=s, actor=SYSTEM, case_id=int(case_id), today=today)
    if as_json:
        _echo_json(row)
        return
    click.echo(f"{row['case_no']} {row['channel_label']} {row['category_label']} {row['status_label']} "
               f"{row['amount_yuan']:.2f}元 期限{row['due_on']}")
    for e in row["events"]:
        click.echo(f"  {e['on_day']} {e['to_label']}（{e['actor']}）{e['reason']}")


@cases_group.command("import", help="导入热线工单（CSV UTF-8/GBK 或 XLSX）；整文件通过校验才写入")
@click.argument("file")
@today_option
def import_cmd(file: str, today: date) -> None:
    from cases.importer import import_work_orders
    from grid.access import SYSTEM
    from grid.imports.report import InvalidImport
    from grid.imports.tables import UnreadableFile

    if not Path(file).is_file():
        raise click.ClickException(f"找不到文件：{file}")
    try:
        with _session() as s:
            res = import_work_orders(file, session=s, actor=SYSTEM, today=today)
    except (InvalidImport, UnreadableFile) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已导入 {len(res.case_ids)} 个工单：已匹配到户 {res.matched} 个，待匹配 {res.to_match} 个")
    for code, n in sorted(res.report.by_grid.items()):
        click.echo(f"  {code}：{n}")


def _funds_text(data: dict) -> str:
    text = (f"{data['year']}年：县级储备 {data['county_reserve_yuan']:.2f} 元，村（居）备用金 "
            f"{data['village_reserves_yuan']:.2f} 元，捐赠 {data['donations_yuan']:.2f} 元；"
            f"镇街支出 {data['town_spent_yuan']:.2f} 元；年终结算 县 {data['settlement_county_yuan']:.2f} "
            f"元 / 镇街 {data['settlement_town_yuan']:.2f} 元")
    if not data["settled"]:
        return text + "（未结算）"
    text += f"（已于 {data['settled_on']} 结算）"
    if data["spent_after_settlement_yuan"]:
        text += f"；结算后又支出 {data['spent_after_settlement_yuan']:.2f} 元，未计入结算"
    return text


@cases_group.command("funds", help="资金情况与年终结算报告")
@year_option
@click.option("--json", "as_json", is_flag=True)
def funds_cmd(year: int, as_json: bool) -> None:
    from cases import services as svc
    from grid.access import SYSTEM

    with _session() as s:
        data = svc.fund_summary(session=s, actor=SYSTEM, year=year)
    if as_json:
        _echo_json(data)
        return
    click.echo(_funds_text(data))


@cases_group.command("settle", help="年终结算：县、镇街各承担当年镇街救助支出的50%（每年只能结算一次）")
@year_option
@click.option("--json", "as_json", is_flag=True)
@today_option
def settle_cmd(year: int, as_json: bool, today: date) -> None:
    from cases import services as svc
    from grid.access import SYSTEM

    with _session() as s:
        data = svc.settle_year(session=s, actor=SYSTEM, year=year, on_day=today)
    if as_json:
        _echo_json(data)
        return
    click.echo("已结算。" + _funds_text(data))


# ----------------------------------------------------------------------------- oversight
@click.command("disclosure", help="导出月度公示名单（姓名、身份证号已脱敏）")
@month_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="覆盖不是公示名单的已有文件（数据库及其备份永远不会被覆盖）")
@click.option("--phone", default=None, help="监督电话（默认 12345）")
@today_option
def disclosure_cmd(month: str, out: str, force: bool, phone: str | None, today: date) -> None:
    from cases import services as svc
    from grid.access import SYSTEM
    from jizhen.outputs import OutputError, write_output

    try:
        with _session() as s:
            n = write_output(out, lambda tmp: svc.export_disclosure(
                session=s, actor=SYSTEM, month=month, out_path=tmp, published_on=today,
                complaint_phone=phone or svc.COMPLAINT_PHONE), kind="disclosure", force=force)
    except OutputError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已写出 {out}：{month} 公示 {n} 人次")


@click.command("spotcheck", help="双随机抽查：按网格分层抽取当月受助对象≥30%，随机指派抽查人；种子可复现")
@month_option
@click.option("--seed", required=True, help="随机种子（记录在案，同种子结果相同）")
@click.option("--json", "as_json", is_flag=True)
@today_option
def spotcheck_cmd(month: str, seed: str, as_json: bool, today: date) -> None:
    from cases import services as svc
    from grid.access import SYSTEM

    if not seed.strip():
        raise click.BadParameter("种子不能为空", param_hint="--seed")
    with _session() as s:
        svc.draw_spot_checks(session=s, actor=SYSTEM, month=month, seed=seed, drawn_on=today)
        rows = svc.spot_check_rows(session=s, actor=SYSTEM, month=month)
    if as_json:
        _echo_json(rows)
        return
    click.echo(f"{month} 抽查（种子 {seed}）：{len(rows)} 户")
    for r in rows:
        click.echo(f"  {r['grid_code']} {r['case_no']} 抽查人 {r['inspector']} 结果 {r['result']}")


def register(group: click.Group) -> None:
    """Add the case commands to the `jizhen` group."""
    group.add_command(cases_group)
    export = group.commands.get("export")
    if export is None or not isinstance(export, click.Group):
        export = click.Group("export", help="导出 (exports)")
        group.add_command(export)
    export.add_command(disclosure_cmd)
    group.add_command(spotcheck_cmd)
