"""`jizhen import grids|households|visits FILE` and `jizhen template households|visits --out F`.

Problems are printed to stderr one per line (`行 N，列 X：原因`) and the command exits with
status 1; nothing is written. On success a summary goes to stdout. Progress bars go to stderr.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

EXIT_PROBLEMS = 1


class _Bars:
    """Adapts the importers' progress(stage, done, total) callback to click progress bars."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=stage, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _run(kind: str, path: Path, *, dry_run: bool, quiet: bool, **kwargs) -> None:
    from grid.access import SYSTEM
    from jizhen.cli import engine_from_ctx
    from grid.db import init_db, session_scope
    from grid.imports import InvalidImport
    from grid.imports.grids import import_grids
    from grid.imports.households import import_households
    from grid.imports.visits import import_visits

    importer = {"grids": import_grids, "households": import_households, "visits": import_visits}[kind]
    engine = engine_from_ctx()
    init_db(engine)
    bars = _Bars(enabled=not quiet)
    try:
        with session_scope(engine) as session:
            report = importer(path, session=session, actor=SYSTEM, progress=bars,
                              dry_run=dry_run, **kwargs)
    except InvalidImport as exc:
        bars.close()
        click.echo(str(exc), err=True)
        sys.exit(EXIT_PROBLEMS)
    finally:
        bars.close()
        engine.dispose()
    if dry_run:
        click.echo(f"{report.source}：校验通过，共 {report.rows} 条（--dry-run，未写入）")
    else:
        click.echo(report.summary_zh())


def _today(value: str | None) -> date:
    from jizhen.cli import today_local

    if not value:
        return today_local()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--today") from None


_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_dry = click.option("--dry-run", is_flag=True, help="只校验，不写入")
_quiet = click.option("--quiet", "-q", is_flag=True, help="不显示进度条")


@click.group(name="import", help="导入网格边界、住户名册、走访记录（整个文件校验通过才写入）")
def import_group() -> None:
    pass


@import_group.command(name="grids", help="导入网格边界：GeoJSON、GeoPackage、Shapefile（任意坐标系，自动换算为经纬度）")
@_file
@click.option("--layer", default=None, help="GeoPackage 中网格所在的图层名")
@_dry
@_quiet
def import_grids_cmd(file: Path, layer: str | None, dry_run: bool, quiet: bool) -> None:
    _run("grids", file, dry_run=dry_run, quiet=quiet, layer=layer)


@import_group.command(name="households", help="导入住户名册：.xlsx 或 .csv（UTF-8 或 GBK）")
@_file
@click.option("--today", "today_str", default=None, help="“今天” YYYY-MM-DD（默认为北京时间今天）")
@_dry
@_quiet
def import_households_cmd(file: Path, today_str: str | None, dry_run: bool, quiet: bool) -> None:
    _run("households", file, dry_run=dry_run, quiet=quiet, today=_today(today_str))


@import_group.command(name="visits", help="导入入户走访记录：.xlsx 或 .csv（UTF-8 或 GBK）")
@_file
@click.option("--today", "today_str", default=None, help="“今天” YYYY-MM-DD（默认为北京时间今天）")
@_dry
@_quiet
def import_visits_cmd(file: Path, today_str: str | None, dry_run: bool, quiet: bool) -> None:
    _run("visits", file, dry_run=dry_run, quiet=quiet, today=_today(today_str))


@click.command(name="template", help="生成导入模板 (.xlsx)：households 住户名册，visits 走访记录")
@click.argument("kind", type=click.Choice(["households", "visits"]))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件，如 住户模板.xlsx")
@click.option("--force", is_flag=True, help="覆盖不是同类模板的已有文件（数据库及其备份永远不会被覆盖）")
def template_cmd(kind: str, out: Path, force: bool) -> None:
    from grid.imports.templates import write_template
    from jizhen.outputs import OutputError, write_output

    try:
        write_output(out, lambda tmp: write_template(kind, tmp), kind=f"template-{kind}", force=force)
    except OutputError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"模板已写入 {out}")


def register(group: click.Group) -> None:
    group.add_command(import_group)
    group.add_command(template_cmd)
