"""The intake API: Open311 GeoReport v2 under /open311/v2/, JSON and XML.

    GET  /open311/v2/services.{json|xml}                  one service per assistance category
    GET  /open311/v2/services/{service_code}.{json|xml}   its attributes (channel, ticket_no, …)
    POST /open311/v2/requests.{json|xml}                  form-encoded; api_key required
    GET  /open311/v2/requests.{json|xml}                  filters of the spec; no personal data
    GET  /open311/v2/requests/{service_request_id}.{json|xml}
    GET  /open311/discovery.{json|xml}                    the spec's service discovery
    GET  /docs                                            interactive docs, served from /static

Errors are GeoReport error lists ([{"code", "description"}], Chinese descriptions): 400 a bad
request, 403 a missing, unknown or revoked key, 404 an unknown request or service, 429 past the
client's rate limit. Rules live in jizhen.api.service (and cases.*); this module is HTTP only.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from jizhen.api import render, service, vocab
from jizhen.api.clients import authenticate
from jizhen.api.ratelimit import RateLimiter

STATIC_DIR = Path(__file__).resolve().parent / "static"
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00+08:00"


class Fmt(str, Enum):
    json = "json"
    xml = "xml"


_ERROR_DOC = {"description": "GeoReport 错误列表 [{code, description}]"}
_ERRORS = {400: _ERROR_DOC, 403: _ERROR_DOC, 404: _ERROR_DOC, 429: _ERROR_DOC}


def _services() -> list[dict]:
    return [{"service_code": s.code, "service_name": s.name, "description": s.description,
             "metadata": True, "type": "realtime", "keywords": ",".join(s.keywords),
             "group": vocab.GROUP} for s in vocab.SERVICES]


def _definition(code: str) -> dict:
    return {"service_code": code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": a.datatype_description, "order": a.order,
         "description": a.description,
         "values": [{"key": k, "name": n} for k, n in a.values]}
        for a in vocab.ATTRIBUTES]}


def _fmt_of(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def create_app(engine: Engine | None = None, *, rate_per_minute: int | None = None) -> FastAPI:
    """The API on ``engine`` (default: the settings' database)."""
    from jizhen.db import make_engine
    from jizhen.settings import get_settings

    engine = engine if engine is not None else make_engine()
    limiter = RateLimiter(rate_per_minute or get_settings().api_rate_per_minute)
    app = FastAPI(title="急诊 Jizhen 救助受理接口（Open311 GeoReport v2）", version="2",
                  description="12345、12349、110、微信等系统推送已定位的救助求助。"
                              "详见 docs/API.md。", docs_url=None, redoc_url=None)
    app.state.engine = engine
    app.state.limiter = limiter
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        items = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "body", "path"))
            items.append((400, f"参数 {where or '请求'} 无效"))
        return render.errors(_fmt_of(request), 400, items or [(400, "请求无效")])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        text = {404: "没有这个地址", 405: "不支持该请求方法"}.get(exc.status_code, "请求无效")
        return render.errors(_fmt_of(request), exc.status_code, [(exc.status_code, text)],
                             headers=getattr(exc, "headers", None))

    @app.exception_handler(service.ApiError)
    async def _api_error(request: Request, exc: service.ApiError):
        return render.errors(_fmt_of(request), exc.status, exc.errors)

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=app.title + " — 接口文档",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None})  # no badge from an outside validator

    @app.get("/open311/discovery.{fmt}", summary="服务发现 (Service Discovery)", responses=_ERRORS)
    def discovery(request: Request, fmt: Fmt):
        base = str(request.base_url).rstrip("/") + "/open311/v2"
        data = {"changeset": CHANGESET, "contact": "县民政局社会救助科",
                "key_service": "由县民政局用 jizhen apikey add 发放密钥",
                "endpoints": [{"specification": SPEC_URL, "url": base, "changeset": CHANGESET,
                               "type": "production", "formats": ["text/xml", "application/json"]}]}
        return render.respond(fmt.value, "discovery", data)

    @app.get("/open311/v2/services.{fmt}", summary="服务列表 (GET Service List)", responses=_ERRORS)
    def services(fmt: Fmt, jurisdiction_id: Optional[str] = Query(None)):
        return render.respond(fmt.value, "services", _services())

    @app.get("/open311/v2/services/{service_code}.{fmt}",
             summary="服务定义 (GET Service Definition)", responses=_ERRORS)
    def definition(service_code: str, fmt: Fmt, jurisdiction_id: Optional[str] = Query(None)):
        if service_code not in vocab.SERVICE_BY_CODE:
            raise service.ApiError(404, [(404, f"未知的 service_code：“{service_code[:40]}”")])
        return render.respond(fmt.value, "service_definition", _definition(service_code))

    @app.post("/open311/v2/requests.{fmt}", summary="提交求助 (POST Service Request)",
              status_code=201, responses={200: {"description": "同一工单号的重复提交：返回原案件号"},
                                          **_ERRORS})
    async def create_request(
        request: Request, fmt: Fmt,
        api_key_query: Optional[str] = Query(None, alias="api_key"),
        jurisdiction_id: Optional[str] = Query(None),
        api_key: Optional[str] = Form(None), service_code: Optional[str] = Form(None),
        lat: Optional[str] = Form(None), long: Optional[str] = Form(None),
        address_string: Optional[str] = Form(None), address_id: Optional[str] = Form(None),
        email: Optional[str] = Form(None), device_id: Optional[str] = Form(None),
        account_id: Optional[str] = Form(None), first_name: Optional[str] = Form(None),
        last_name: Optional[str] = Form(None), phone: Optional[str] = Form(None),
        description: Optional[str] = Form(None), media_url: Optional[str] = Form(None),
        attr_channel: Optional[str] = Form(None, alias="attribute[channel]"),
        attr_ticket_no: Optional[str] = Form(None, alias="attribute[ticket_no]"),
        attr_id_number: Optional[str] = Form(None, alias="attribute[id_number]"),
        attr_household_size: Optional[str] = Form(None, alias="attribute[household_size]"),
        attr_amount: Optional[str] = Form(None, alias="attribute[amount_requested]"),
    ):
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        return await _run(lambda: _post(fmt.value, form, api_key or api_key_query))

    def _post(fmt: str, form: dict, key: Optional[str]):
        with Session(engine) as s:
            client = authenticate(s, key)
        if client is None:
            raise service.ApiError(403, [(403, "api_key 缺失、无效或已吊销")])
        wait = limiter.check(client.name)
        if wait is not None:
            return render.errors(fmt, 429, [(429, f"请求过于频繁：每分钟最多 {limiter.per_minute} 次，"
                                                  f"请 {RateLimiter.retry_after_header(wait)} 秒后重试")],
                                 headers={"Retry-After": RateLimiter.retry_after_header(wait)})
        req = service.parse_new_request(form)
        done = service.submit(engine, client, req)
        return render.respond(fmt, "service_requests", [
            {"service_request_id": done.case_no, "service_notice": service.service_notice(done.due_on),
             "account_id": None}], status=201 if done.created else 200)

    @app.get("/open311/v2/requests.{fmt}", summary="查询求助 (GET Service Requests)", responses=_ERRORS)
    def list_requests(
        request: Request, fmt: Fmt,
        service_request_id: Optional[str] = Query(None), service_code: Optional[str] = Query(None),
        start_date: Optional[str] = Query(None), end_date: Optional[str] = Query(None),
        status: Optional[str] = Query(None), jurisdiction_id: Optional[str] = Query(None),
    ):
        q = service.parse_query({"service_request_id": service_request_id,
                                 "service_code": service_code, "start_date": start_date,
                                 "end_date": end_date, "status": status})
        return render.respond(fmt.value, "service_requests", service.find_requests(engine, q))

    @app.get("/open311/v2/requests/{service_request_id}.{fmt}",
             summary="查询单个求助 (GET Service Request)", responses=_ERRORS)
    def one_request(service_request_id: str, fmt: Fmt, jurisdiction_id: Optional[str] = Query(None)):
        row = service.get_request(engine, service_request_id)
        if row is None:
            raise service.ApiError(404, [(404, f"没有编号为“{service_request_id[:40]}”的求助")])
        return render.respond(fmt.value, "service_requests", [row])

    return app


async def _run(fn):
    """Run the blocking database work off the event loop; ApiError becomes its response."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn)
