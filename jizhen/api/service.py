"""What the intake API does, apart from HTTP: read a GeoReport v2 POST into an intake, record it
once per (client, ticket), and describe requests without personal data.

Intake goes through cases.services.intake (the one implementation): the location routes the case
to its grid (cases.intake.locate_grid), the registry match and the blacklist check are intake's own.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cases import services as case_services
from cases.common import business_today
from cases.errors import Blacklisted, DomainError
from cases.models import Case, CaseEvent
from cases.public_text import public_reason
from cases.queries import case_deadline, deadline_facts
from cases.rules import is_county_decision
from grid.models import Household
from jizhen import audit
from jizhen.api import vocab
from jizhen.api.clients import AuthClient, client_actor
from jizhen.api.models import ApiTicket
from jizhen.db import session_scope
from jizhen.settings import TIMEZONE

TZ = ZoneInfo(TIMEZONE)
DEFAULT_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
NAME_MAX, PHONE_MAX, ADDRESS_MAX, DESCRIPTION_MAX = 32, 20, 200, 400
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class ApiError(Exception):
    """A refused request: HTTP status and the GeoReport error list [(code, description)]."""

    def __init__(self, status: int, errors: list[tuple[int, str]]):
        self.status = status
        self.errors = errors
        super().__init__("; ".join(d for _c, d in errors))


def bad(description: str) -> ApiError:
    return ApiError(400, [(400, description)])


# ----------------------------------------------------------------------------- times
def iso_local(moment: datetime) -> str:
    """ISO 8601 with the +08:00 offset (Asia/Shanghai), to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(TZ).isoformat(timespec="seconds")


def end_of_day(day: date) -> str:
    """A deadline day as a datetime: the end of that day in Asia/Shanghai."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=TZ).isoformat(timespec="seconds")


def parse_when(raw: str, field: str, *, end: bool = False) -> datetime:
    """A w3 datetime (2010-01-01T00:00:00Z, …+08:00), or a date (a whole day in Asia/Shanghai)."""
    value = (raw or "").strip()
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time.max if end else time.min,
                                      tzinfo=TZ)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=TZ)
        if not 1900 <= moment.year <= 2999:
            raise ValueError(value)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise bad(f"{field} 不是有效的 ISO 8601 时间（例如 2026-11-01T00:00:00+08:00）："
                  f"“{_CONTROL.sub('', value[:40])}”") from None


# ----------------------------------------------------------------------------- POST requests
@dataclass(frozen=True)
class NewRequest:
    service: vocab.Service
    channel: str  # cases.vocabulary.Channel value
    ticket_no: str
    lat: float | None
    lon: float | None
    address: str
    person_name: str
    phone: str
    description: str
    id_number: str | None
    household_size: int | None
    amount: str | None


def _text(form: Mapping[str, str], field: str, limit: int, *, multiline: bool = False) -> str:
    value = (form.get(field) or "").strip()
    if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise bad(f"{field} 含有不允许的控制字符")
    if len(value) > limit:
        raise bad(f"{field} 过长：最多 {limit} 个字符，实际 {len(value)} 个")
    return value


def _coordinate(raw: str, field: str, limit: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise bad(f"{field} 不是数字：“{raw[:40]}”") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise bad(f"{field} 超出范围（±{limit:g}）：“{raw[:40]}”")
    return value


def parse_new_request(form: Mapping[str, str]) -> NewRequest:
    """Validate a POST's fields (everything but the key). Every problem is one 400 error."""
    errors: list[str] = []

    def attempt(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            errors.extend(d for _c, d in exc.errors)
            return None

    code = (form.get("service_code") or "").strip()
    service = vocab.SERVICE_BY_CODE.get(code)
    if not code:
        errors.append("缺少 service_code（服务类别代码）")
    elif service is None:
        errors.append(f"未知的 service_code：“{code[:40]}”；可用代码见 GET services")

    lat_raw, lon_raw = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    lat = lon = None
    if lat_raw or lon_raw:
        if not (lat_raw and lon_raw):
            errors.append("lat 与 long 须同时提供")
        else:
            lat = attempt(_coordinate, lat_raw, "lat", 90)
            lon = attempt(_coordinate, lon_raw, "long", 180)
    address = attempt(_text, form, "address_string", ADDRESS_MAX) or ""
    if not (lat_raw or lon_raw) and not address:
        errors.append("缺少位置：请提供 lat 和 long，或 address_string（登记库中的地址）")

    attrs: dict[str, str] = {}
    for key, value in form.items():
        m = re.fullmatch(r"attribute\[(.*)\]", key)
        if m:
            if m.group(1) not in vocab.ATTRIBUTE_BY_CODE:
                errors.append(f"未知属性 attribute[{m.group(1)[:40]}]")
            else:
                attrs[m.group(1)] = (value or "").strip()
    for a in vocab.ATTRIBUTES:
        if a.required and not attrs.get(a.code):
            errors.append(f"缺少必填属性 attribute[{a.code}]（{a.description}）")
    channel = None
    if attrs.get("channel"):
        ch = vocab.CHANNEL_VALUES.get(attrs["channel"])
        if ch is None:
            errors.append(f"attribute[channel] 取值无效：“{attrs['channel'][:40]}”；可选："
                          + "、".join(vocab.CHANNEL_VALUES))
        else:
            channel = ch.value
    ticket = attrs.get("ticket_no", "")
    if ticket and (len(ticket) > vocab.TICKET_NO_MAX or re.search(r"\s", ticket)
                   or _CONTROL.search(ticket)):
        errors.append(f"attribute[ticket_no] 应为 1–{vocab.TICKET_NO_MAX} 个字符且不含空白")
    size = None
    if attrs.get("household_size"):
        raw = attrs["household_size"]
        if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= vocab.HOUSEHOLD_SIZE_MAX:
            errors.append(f"attribute[household_size] 应为 1–{vocab.HOUSEHOLD_SIZE_MAX} 的整数：“{raw[:20]}”")
        else:
            size = int(raw)
    id_number = attrs.get("id_number") or None
    if id_number and (len(id_number) > 18 or _CONTROL.search(id_number)):
        errors.append("attribute[id_number] 不是有效的居民身份证号")

    last = attempt(_text, form, "last_name", NAME_MAX) or ""
    first = attempt(_text, form, "first_name", NAME_MAX) or ""
    name = last + first  # Chinese order: surname, then given name
    if len(name) > NAME_MAX:
        errors.append(f"姓名过长：最多 {NAME_MAX} 个字符")
    phone = attempt(_text, form, "phone", PHONE_MAX) or ""
    description = attempt(_text, form, "description", DESCRIPTION_MAX, multiline=True) or ""
    if errors:
        raise ApiError(400, [(400, e) for e in errors])
    return NewRequest(service=service, channel=channel, ticket_no=ticket, lat=lat, lon=lon,
                      address=address, person_name=name, phone=phone, description=description,
                      id_number=id_number, household_size=size,
                      amount=attrs.get("amount_requested") or None)


def _locate_address(session: Session, address: str) -> tuple[float, float]:
    """The registry's point for an address (exactly as registered); refused when unknown."""
    points = session.exec(select(Household.lon, Household.lat)
                          .where(Household.address == address).limit(2)).all()
    if not points:
        raise bad("address_string 在住户登记库中找不到；请提供 lat 和 long")
    return points[0][0], points[0][1]


@dataclass(frozen=True)
class Submitted:
    case_no: str
    created: bool  # False: a resend of a ticket already recorded (nothing new was created)
    due_on: date | None


def _serialise(session: Session, client_id: int, ticket_no: str) -> None:
    """Take the write lock for this ticket before reading it: PostgreSQL an advisory lock on the
    (client, ticket) pair, SQLite the database write lock. The UNIQUE constraint stays the guarantee."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        digest = hashlib.sha256(f"{client_id}\x1f{ticket_no}".encode()).digest()
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                        {"k": int.from_bytes(digest[:8], "big", signed=True)})
    elif dialect == "sqlite":
        session.execute(text("UPDATE api_ticket SET id = id WHERE 0"))


def _existing(session: Session, client_id: int, ticket_no: str) -> Case | None:
    return session.exec(select(Case).join(ApiTicket, ApiTicket.case_id == Case.id).where(
        ApiTicket.client_id == client_id, ApiTicket.ticket_no == ticket_no)).first()


def _cause(req: NewRequest) -> str:
    parts = [req.description or req.service.name]
    if req.service.code == vocab.OTHER:
        parts.insert(0, "【其他困难，待归类】")
    if req.household_size:
        parts.append(f"（家庭人口：{req.household_size}人）")
    return "".join(parts)[:500]


def submit(engine: Engine, client: AuthClient, req: NewRequest, *, today: date | None = None) -> Submitted:
    """Record the request once per (client, ticket_no); a resend returns the same case number."""
    actor = client_actor(client.name)
    for attempt in range(3):
        try:
            with session_scope(engine) as s:
                _serialise(s, client.id, req.ticket_no)
                case = _existing(s, client.id, req.ticket_no)
                if case is not None:
                    audit.record(s, actor=actor, action="api.resend", entity="aid_case",
                                 entity_id=case.id, after={"client": client.name,
                                                           "ticket_no": req.ticket_no,
                                                           "case_no": case.case_no})
                    return Submitted(case.case_no, False, case.approval_due_on)
                return _create(s, actor, client, req, today or business_today())
        except IntegrityError:
            if attempt == 2:
                raise
            continue  # another POST of this ticket won the race: read its case next round
    raise RuntimeError("unreachable")


def _create(s: Session, actor, client: AuthClient, req: NewRequest, today: date) -> Submitted:
    lon, lat = req.lon, req.lat
    if lat is None:
        lon, lat = _locate_address(s, req.address)
    try:
        case = case_services.intake(
            session=s, actor=actor, channel=req.channel, category=req.service.category.value,
            received_on=today, amount_yuan=req.amount or 0, cause=_cause(req),
            person_name=req.person_name, person_id_number=req.id_number, phone=req.phone,
            address=req.address, lon=lon, lat=lat,
            work_order_no=f"{client.name}:{req.ticket_no}")
    except Blacklisted:
        raise bad("申请人在失信惩戒名单上，不能经接口登记；请引导其到镇（街道）民政窗口办理") from None
    except DomainError as exc:
        raise bad(exc.zh) from None
    s.add(ApiTicket(client_id=client.id, ticket_no=req.ticket_no, case_id=case.id,
                    service_code=req.service.code))
    s.flush()
    audit.record(s, actor=actor, action="api.request", entity="aid_case", entity_id=case.id,
                 after={"client": client.name, "ticket_no": req.ticket_no,
                        "service_code": req.service.code, "case_no": case.case_no})
    return Submitted(case.case_no, True, case.approval_due_on)


def service_notice(due_on: date | None) -> str:
    if due_on is None:
        return "已登记，由镇（街道）民政人员核实处理。"
    return f"已登记，镇（街道）民政人员将核实情况；小额临时救助在 3 个工作日内审批发放（{due_on.isoformat()} 前）。"


# ----------------------------------------------------------------------------- GET requests
@dataclass(frozen=True)
class Query:
    ids: list[str] | None
    service_codes: list[str] | None
    start: datetime
    end: datetime
    statuses: list[str] | None


def _csv(raw: str | None) -> list[str] | None:
    if raw is None or not raw.strip():
        return None
    return [x.strip() for x in raw.split(",") if x.strip()]


def parse_query(params: Mapping[str, str | None], *, now: datetime | None = None) -> Query:
    now = now or datetime.now(timezone.utc)
    for name, value in params.items():
        if value is not None and (_CONTROL.search(value) or len(value) > 20000):
            raise bad(f"{name} 含有不允许的控制字符或过长")
    ids = _csv(params.get("service_request_id"))
    codes = _csv(params.get("service_code"))
    if codes:
        unknown = [c for c in codes if c not in vocab.SERVICE_BY_CODE]
        if unknown:
            raise bad(f"未知的 service_code：“{unknown[0][:40]}”；可用代码见 GET services")
    statuses = _csv(params.get("status"))
    if statuses and any(s not in ("open", "closed") for s in statuses):
        raise bad("status 只能是 open 或 closed（可用逗号分隔）")
    start_raw, end_raw = params.get("start_date"), params.get("end_date")
    start = parse_when(start_raw, "start_date") if start_raw else None
    end = parse_when(end_raw, "end_date", end=True) if end_raw else None
    if start and end:
        if start > end:
            raise bad("start_date 晚于 end_date")
        if end - start > DEFAULT_SPAN + timedelta(days=1):
            raise bad("start_date 至 end_date 的跨度不能超过 90 天")
    elif start:
        end = start + DEFAULT_SPAN
    elif end:
        start = end - DEFAULT_SPAN
    else:
        end, start = now, now - DEFAULT_SPAN
    return Query(ids, codes, start, end, statuses)


def _row(case: Case, code: str, updated: datetime | None, today: date) -> dict:
    dl = case_deadline(case, today)
    county = is_county_decision(deadline_facts(case))
    return {
        "service_request_id": case.case_no,
        "status": vocab.open311_status(case.status),
        "status_notes": vocab.status_notes(case.status),
        "service_name": vocab.service_name(code),
        "service_code": code,
        # the public reason (category label and the officer's public note), never the intake text
        "description": public_reason(case.category, case.public_note,
                                     names=[case.person_name], addresses=[case.address]),
        "agency_responsible": vocab.COUNTY_AGENCY if county else vocab.TOWN_AGENCY,
        "service_notice": "",
        "requested_datetime": iso_local(case.received_at),
        "updated_datetime": iso_local(max(updated, case.received_at) if updated else case.received_at),
        "expected_datetime": end_of_day(dl.due_on),
    }


def find_requests(engine: Engine, q: Query, *, today: date | None = None) -> list[dict]:
    """Requests made through the API, newest first (at most 1,000), with no personal data."""
    today = today or business_today()
    last_event = (select(CaseEvent.case_id, func.max(CaseEvent.at).label("at"))
                  .group_by(CaseEvent.case_id).subquery())
    stmt = (select(Case, ApiTicket.service_code, last_event.c.at)
            .join(ApiTicket, ApiTicket.case_id == Case.id)
            .outerjoin(last_event, last_event.c.case_id == Case.id))
    if q.ids is not None:
        stmt = stmt.where(Case.case_no.in_(q.ids[:MAX_RESULTS]))
    else:
        stmt = stmt.where(Case.received_at >= q.start, Case.received_at <= q.end)
        if q.service_codes:
            stmt = stmt.where(ApiTicket.service_code.in_(q.service_codes))
    stmt = stmt.order_by(Case.received_at.desc(), Case.id.desc())
    out = []
    with Session(engine) as s:
        for case, code, updated in s.exec(stmt):
            if q.ids is None and q.statuses and vocab.open311_status(case.status) not in q.statuses:
                continue
            out.append(_row(case, code, _aware(updated), today))
            if len(out) >= MAX_RESULTS:
                break
    return out


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)  # SQLite's aggregate returns the stored UTC text


def get_request(engine: Engine, case_no: str, *, today: date | None = None) -> dict | None:
    if _CONTROL.search(case_no) or len(case_no) > 64:
        return None
    q = Query([case_no], None, datetime.min.replace(tzinfo=timezone.utc),
              datetime.max.replace(tzinfo=timezone.utc), None)
    rows = find_requests(engine, q, today=today)
    return rows[0] if rows else None
