"""Sub-commands of `jizhen` for cases: `cases list/import/funds`, `export disclosure`, `spotcheck`."""
from __future__ import annotations

import json
from datetime import date

import click


def _today(value: str | None) -> date:
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--today") from None
    from grid.cli import today_local

    return today_local()


def _engine():
    from grid.db import init_db, make_engine

    engine = make_engine()
    init_db(engine)
    return engine


@click.group("cases", help="救助案件 (emergency-assistance cases)")
def cases_group() -> None:
    pass


@cases_group.command("list", help="列出案件（--json 输出 JSON）")
@click.option("--json", "as_json", is_flag=True, help="每个案件一行 JSON 数组")
@click.option("--status", multiple=True, help="只列此状态（可多次）")
@click.option("--today", "today_str", default=None, help="用于计算期限的“今天” YYYY-MM-DD")
def list_cmd(as_json: bool, status: tuple[str, ...], today_str: str | None) -> None:
    from cases import services as svc
    from grid.access import SYSTEM
    from grid.db import session_scope

    today = _today(today_str)
    with session_scope(_engine()) as s:
        rows = svc.list_cases(session=s, actor=SYSTEM, today=today, status=list(status) or None)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    for r in rows:
        flag = "【逾期】" if r["deadline_status"] == "overdue" else ""
        prov = "（暂定）" if r["provisional"] else ""
        click.echo(f"{r['case_no']} {r['channel_label']} {r['category_label']} {r['status_label']} "
                   f"{r['amount_yuan']:.2f}元 受理{r['received_on']} 期限{r['due_on']}{prov}{flag}")
    click.echo(f"共 {len(rows)} 件")


@cases_group.command("import", help="导入热线工单（CSV UTF-8/GBK 或 XLSX）；整文件通过校验才写入")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--today", "today_str", default=None)
def import_cmd(file: str, today_str: str | None) -> None:
    from cases.importer import import_work_orders
    from grid.access import SYSTEM
    from grid.db import session_scope
    from grid.imports.report import InvalidImport
    from grid.imports.tables import UnreadableFile

    try:
        with session_scope(_engine()) as s:
            res = import_work_orders(file, session=s, actor=SYSTEM, today=_today(today_str))
    except InvalidImport as exc:
        raise click.ClickException(str(exc)) from None
    except UnreadableFile as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已导入 {len(res.case_ids)} 个工单：已匹配到户 {res.matched} 个，待匹配 {res.to_match} 个")
    for code, n in sorted(res.report.by_grid.items()):
        click.echo(f"  {code}：{n}")


@cases_group.command("funds", help="资金情况与年终结算报告")
@click.option("--year", type=int, required=True)
@click.option("--json", "as_json", is_flag=True)
def funds_cmd(year: int, as_json: bool) -> None:
    from cases import services as svc
    from grid.access import SYSTEM
    from grid.db import session_scope

    with session_scope(_engine()) as s:
        data = svc.fund_summary(session=s, actor=SYSTEM, year=year)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"{year}年：县级储备 {data['county_reserve_yuan']:.2f} 元，村（居）备用金 "
               f"{data['village_reserves_yuan']:.2f} 元，捐赠 {data['donations_yuan']:.2f} 元；"
               f"镇街支出 {data['town_spent_yuan']:.2f} 元；年终结算 县 {data['settlement_county_yuan']:.2f} "
               f"元 / 镇街 {data['settlement_town_yuan']:.2f} 元"
               + ("（已结算）" if data["settled"] else "（未结算）"))


@click.command("disclosure", help="导出月度公示名单（姓名、身份证号已脱敏）")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@click.option("--phone", default=None, help="监督电话（默认 12345）")
def disclosure_cmd(month: str, out: str, phone: str | None) -> None:
    from cases import services as svc
    from cases.rules import DomainError
    from grid.access import SYSTEM
    from grid.db import session_scope

    try:
        with session_scope(_engine()) as s:
            n = svc.export_disclosure(session=s, actor=SYSTEM, month=month, out_path=out,
                                      published_on=_today(None),
                                      complaint_phone=phone or svc.COMPLAINT_PHONE)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已写出 {out}：{month} 公示 {n} 人次")


@click.command("spotcheck", help="双随机抽查：按网格分层抽取当月受助对象≥30%，随机指派抽查人；种子可复现")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--seed", required=True, help="随机种子（记录在案，同种子结果相同）")
@click.option("--json", "as_json", is_flag=True)
def spotcheck_cmd(month: str, seed: str, as_json: bool) -> None:
    from cases import services as svc
    from cases.rules import DomainError
    from grid.access import SYSTEM
    from grid.db import session_scope

    try:
        with session_scope(_engine()) as s:
            svc.draw_spot_checks(session=s, actor=SYSTEM, month=month, seed=seed, drawn_on=_today(None))
            rows = svc.spot_check_rows(session=s, actor=SYSTEM, month=month)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
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
