"""The `jizhen` command. Other packages add their sub-commands through `register(group)`."""
from __future__ import annotations

import importlib
import json
import sys
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import click

from grid.config import PROJECT_DIR, TIMEZONE, get_settings

# Modules that add sub-commands; each exposes register(group: click.Group).
EXTENSIONS = ["jizhen.import_cli", "jizhen.risk_cli", "jizhen.user_cli", "cases.cli", "jizhen.api_cli"]


def today_local() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def engine_from_ctx():
    from grid.db import make_engine

    return make_engine()


@click.group(help="急诊 Jizhen：网格化急难救助。数据库由环境变量 DATABASE_URL 指定（默认 var/jizhen.db）。")
def main() -> None:
    pass


@main.command(help="创建或升级数据库结构 (create or upgrade the schema)")
def init() -> None:
    from grid.db import init_db, schema_revision

    engine = engine_from_ctx()
    init_db(engine)
    click.echo(f"数据库已就绪 schema={schema_revision(engine)} ({engine.url.render_as_string(hide_password=True)})")


def demo_steps() -> list:
    """Later stages of the demo, in order; each is (session, *, today, seed) -> None."""
    steps = []
    for target in ("grid.risk_service:demo_step", "cases.demo:demo_step", "grid.users:demo_step",
                   "grid.demo_assignments:demo_step"):
        module, name = target.split(":")
        try:
            steps.append(getattr(importlib.import_module(module), name))
        except (ModuleNotFoundError, AttributeError):
            continue
    return steps


@main.command(help="写入众兴镇演示数据 (generate demo data)")
@click.option("--households", default=30000, show_default=True, type=click.IntRange(1, 2_000_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--today", "today_str", default=None, help="演示数据的“今天” YYYY-MM-DD")
@click.option("--if-empty", is_flag=True, help="库中已有数据时跳过而不报错")
def demo(households: int, seed: int, today_str: str | None, if_empty: bool) -> None:
    from grid.db import init_db
    from grid.demo import has_households, load_demo

    engine = engine_from_ctx()
    init_db(engine)
    if has_households(engine):
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据生成。")
            return
        raise click.ClickException("数据库中已有住户数据；演示数据只能写入空库。请换一个 DATABASE_URL 或先清空。")
    try:
        today = date.fromisoformat(today_str) if today_str else today_local()
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--today") from None
    started = time.perf_counter()
    result = load_demo(engine, households=households, seed=seed, today=today, steps=demo_steps())
    click.echo(f"演示数据已生成：{result.grids} 个网格，{result.workers} 名网格员，"
               f"{result.households} 户，{result.visits} 次走访，{result.events} 起困难事件"
               f"（今天={today}，种子={seed}，用时 {time.perf_counter() - started:.1f} 秒）")


@main.command(help="统计 (counts per grid)")
@click.option("--json", "as_json", is_flag=True)
def stats(as_json: bool) -> None:
    from grid.access import SYSTEM
    from grid.stats import collect_stats

    data = collect_stats(engine_from_ctx(), SYSTEM)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"网格 {data['grids']} 个；专职网格员 {data['workers']['full_time']} 名，兼职 "
               f"{data['workers']['part_time']} 名；住户 {data['households']} 户（网格外 "
               f"{data['households_outside_grids']}）；走访 {data['visits']} 次")
    for g in data["by_grid"]:
        click.echo(f"  {g['code']} {g['name']}: {g['households']} 户, 专职 {g['full_time']}, 兼职 {g['part_time']}")


@main.command(help="启动看板：登录网关在公开地址，Streamlit 只在 127.0.0.1 内部端口 "
                   "(start the dashboard behind its login gateway)")
@click.option("--port", default=8501, show_default=True, type=int, help="公开端口 (public port)")
@click.option("--host", default="127.0.0.1", show_default=True, help="公开地址 (public address)")
@click.option("--internal-port", default=0, type=int,
              help="Streamlit 的内部端口，默认自动选择 (Streamlit's port on 127.0.0.1; 0: a free one)")
def dashboard(port: int, host: str, internal_port: int) -> None:
    from dashboard.maps import UnknownTiles, check_tiles

    settings = get_settings()
    try:
        check_tiles(settings.tiles, tianditu_key=settings.tianditu_key)
    except UnknownTiles as exc:
        raise click.ClickException(f"底图设置 JIZHEN_TILES 有误：{exc}") from None
    if internal_port <= 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            internal_port = s.getsockname()[1]
    if internal_port == port:
        raise click.ClickException("内部端口不能与公开端口相同 (--internal-port must differ from --port)")
    app = PROJECT_DIR / "dashboard" / "app.py"
    # Streamlit listens on loopback only; the gateway (jizhen.gateway) is the public door: it
    # serves /auth/login, sets the HttpOnly session cookie and requires a session for the rest.
    streamlit = [sys.executable, "-m", "streamlit", "run", str(app),
                 "--server.port", str(internal_port), "--server.address", "127.0.0.1",
                 "--server.headless", "true", "--browser.gatherUsageStats", "false",
                 "--server.enableStaticServing", "true",
                 # uploads above the import limit get the import's own Chinese refusal, not Streamlit's
                 "--server.maxUploadSize", str(max(1, -(-settings.import_max_bytes // 2**20)))]
    gateway = [sys.executable, "-m", "jizhen.gateway", "--host", host, "--port", str(port),
               "--upstream-port", str(internal_port)]
    click.echo(f"看板地址 http://{host}:{port}  数据库 {settings.database_url}")
    from jizhen.supervise import run_supervised_all

    # SIGTERM/SIGINT/SIGHUP are forwarded to both and waited for: neither outlives us.
    raise SystemExit(run_supervised_all([streamlit, gateway], cwd=PROJECT_DIR))


def _register_extensions() -> None:
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that part of the product is not installed yet
            raise
        module.register(main)


_register_extensions()
