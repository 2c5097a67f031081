"""`jizhen api` (serve the Open311 intake API) and `jizhen apikey add|list|revoke`."""
from __future__ import annotations

import click

from jizhen.api.serve import DEFAULT_HOST, DEFAULT_PORT


def register(group: click.Group) -> None:
    group.add_command(api)
    group.add_command(apikey)


@click.command(help="启动救助受理接口 Open311 GeoReport v2 (start the intake API)")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
def api(host: str, port: int) -> None:
    from jizhen.api.serve import serve
    from jizhen.settings import get_settings

    click.echo(f"受理接口 http://{host}:{port}/open311/v2/  文档 http://{host}:{port}/docs  "
               f"数据库 {get_settings().database_url}")
    serve(host, port)


@click.group(help="接口客户端密钥 (API client keys): add / list / revoke")
def apikey() -> None:
    pass


def _engine():
    from jizhen.db import init_db, make_engine

    engine = make_engine()
    init_db(engine)
    return engine


@apikey.command("add", help="新建客户端并显示其密钥（只显示这一次）")
@click.option("--name", required=True, help="客户端名称，例如 12345-platform")
def apikey_add(name: str) -> None:
    from jizhen.api.clients import ClientError, add_client
    from jizhen.db import session_scope

    try:
        with session_scope(_engine()) as s:
            client, key = add_client(s, name)
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"客户端“{client.name}”已创建。密钥只显示这一次，请妥善保存：")
    click.echo(key)


@apikey.command("list", help="列出客户端（不显示密钥）")
def apikey_list() -> None:
    from sqlmodel import Session

    from jizhen.api.clients import list_clients
    from jizhen.api.service import iso_local

    with Session(_engine()) as s:
        rows = list_clients(s)
    if not rows:
        click.echo("还没有客户端。用 jizhen apikey add --name 名称 新建。")
        return
    for r in rows:
        state = "有效" if r.active else f"已吊销 {iso_local(r.revoked_at)}"
        click.echo(f"{r.name}\t{r.key_prefix}…\t{state}\t创建于 {iso_local(r.created_at)}")


@apikey.command("revoke", help="吊销客户端的密钥")
@click.option("--name", required=True)
def apikey_revoke(name: str) -> None:
    from jizhen.api.clients import ClientError, revoke_client
    from jizhen.db import session_scope

    try:
        with session_scope(_engine()) as s:
            revoke_client(s, name)
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"客户端“{name}”的密钥已吊销。")
