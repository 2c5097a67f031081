"""`jizhen cases import FILE`: hotline work orders (110 / 12345 / 12349) from CSV (UTF-8/GBK) or XLSX.

Same standard as the other imports: every problem is reported with its row and column in Chinese,
and nothing is written unless the whole file is valid (the caller's transaction is rolled back).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from cases import services as svc
from cases.models import TO_MATCH, Case
from cases.rules import CATEGORY_LABELS, CHANNEL_LABELS, Category, Channel, DomainError
from grid.access import AccessDenied, Actor
from grid.imports.columns import Col
from grid.imports.report import ImportReport, InvalidImport
from grid.imports.tables import open_checked, parse_checked_rows

WORK_ORDER_COLUMNS: tuple[Col, ...] = (
    Col("work_order_no", ("工单号", "工单编号", "work_order_no"), "text", True, "热线工单编号（唯一）",
        "12345-202611-0001"),
    Col("channel", ("来源", "来源渠道", "渠道", "热线", "channel"), "text", True,
        "110、12345、12349、微信扫码、窗口受理 或 网格走访", "12345"),
    Col("received_on", ("受理日期", "来电日期", "日期", "received_on"), "date", True, "YYYY-MM-DD",
        "2026-11-02"),
    Col("person_name", ("姓名", "求助人", "求助人姓名", "person_name"), "text", True, "求助人姓名",
        "张示例"),
    Col("person_id_number", ("身份证号", "身份证号码", "公民身份号码", "id_number"), "id", False,
        "18位，文本格式；可不填", ""),
    Col("phone", ("联系电话", "电话", "手机", "phone"), "phone", False, "联系电话", "13800000000"),
    Col("address", ("地址", "住址", "家庭住址", "address"), "text", False, "详细地址",
        "众兴镇示例路1号"),
    Col("lon", ("经度", "lon", "lng"), "float", False, "十进制度；与纬度同时填写", ""),
    Col("lat", ("纬度", "lat"), "float", False, "十进制度；与经度同时填写", ""),
    Col("category", ("救助类别", "类别", "category"), "text", True,
        "住房或生活设施严重损失 / 突发意外伤害 / 家庭成员突发重病或自然灾害 / "
        "老人、未成年人等无人照料陷入困境 / 支出型困难", "突发意外伤害"),
    Col("cause", ("事由", "求助事由", "诉求内容", "cause"), "text", False, "求助事由", "车祸受伤"),
    Col("amount_yuan", ("申请金额", "金额", "申请金额(元)", "amount_yuan"), "nonneg", False,
        "元，可不填", ""),
)

_CHANNELS = {
    "110": Channel.hotline_110, "12345": Channel.hotline_12345, "12349": Channel.hotline_12349,
    "微信": Channel.wechat, "微信扫码": Channel.wechat, "窗口": Channel.window,
    "窗口受理": Channel.window, "网格走访": Channel.grid_visit, "走访": Channel.grid_visit,
}
_CHANNELS.update({c.value: c for c in Channel})
_CHANNELS.update({lbl: c for c, lbl in CHANNEL_LABELS.items()})
_CATEGORIES = {lbl: c for c, lbl in CATEGORY_LABELS.items()}
_CATEGORIES.update({c.value: c for c in Category})
_CATEGORIES.update({"住房损失": Category.housing_loss, "意外伤害": Category.accidental_injury,
                    "重病": Category.illness_or_disaster, "突发重病": Category.illness_or_disaster,
                    "自然灾害": Category.illness_or_disaster, "无人照料": Category.care_gap,
                    "支出型": Category.expenditure})


@dataclass
class WorkOrderResult:
    report: ImportReport
    case_ids: list[int]
    matched: int
    to_match: int


def validate_work_orders(path: Path, *, session: Session, today: date) -> tuple[ImportReport, list[dict]]:
    path = Path(path)
    report = ImportReport(kind="work_orders", source=path.name)
    table, found, label = open_checked(path, WORK_ORDER_COLUMNS, report)
    if table is None:
        return report, []

    rows: list[dict] = []
    seen: dict[str, int] = {}
    for number, rec in parse_checked_rows(table, WORK_ORDER_COLUMNS, found, label, report):
        if rec.get("channel"):
            ch = _CHANNELS.get(str(rec["channel"]).strip())
            if ch is None:
                report.add(number, label("channel"),
                           f"来源“{rec['channel']}”无法识别，应为 110、12345、12349、微信扫码、窗口受理 或 网格走访",
                           f"the channel “{rec['channel']}” is not recognised; write 110, 12345, 12349, "
                           "wechat, window or grid_visit (or the template's words for them)")
            rec["channel"] = ch
        if rec.get("category"):
            cat = _CATEGORIES.get(str(rec["category"]).strip())
            if cat is None:
                report.add(number, label("category"), f"救助类别“{rec['category']}”无法识别，应为："
                           + "、".join(CATEGORY_LABELS.values()),
                           f"the category “{rec['category']}” is not recognised; write the category's "
                           "name as in the template or its code: " + ", ".join(c.value for c in Category))
            rec["category"] = cat
        if isinstance(rec.get("received_on"), date) and rec["received_on"] > today:
            report.add(number, label("received_on"),
                       f"受理日期 {rec['received_on'].isoformat()} 晚于今天（{today.isoformat()}）",
                       f"the date received {rec['received_on'].isoformat()} is after today "
                       f"({today.isoformat()})")
        if (rec.get("lon") is None) != (rec.get("lat") is None) and not any(
                p.row == number and p.column in (label("lon"), label("lat")) for p in report.problems):
            report.add(number, label("lon" if rec.get("lon") is None else "lat"), "经度和纬度须同时填写",
                       "give both longitude and latitude, or neither")
        wo = rec.get("work_order_no")
        if wo:
            if wo in seen:
                report.add(number, label("work_order_no"), f"工单号“{wo}”与第 {seen[wo]} 行重复",
                           f"the work order number “{wo}” is already in row {seen[wo]}")
            else:
                seen[wo] = number
        rows.append(rec)
    if seen:
        existing = set(session.exec(select(Case.work_order_no).where(
            Case.work_order_no.in_(list(seen)))).all())
        for wo in sorted(existing):
            report.add(seen[wo], label("work_order_no"), f"工单号“{wo}”已导入过，不能重复登记",
                       f"the work order number “{wo}” was imported before and cannot be recorded twice")
    report.rows = len(rows)
    report.details["labels"] = {c.field: label(c.field) for c in WORK_ORDER_COLUMNS}
    return report, rows


def import_work_orders(path: Path, *, session: Session, actor: Actor, today: date) -> WorkOrderResult:
    """Validate the whole file, then record every work order as a case. Raises InvalidImport."""
    report, rows = validate_work_orders(path, session=session, today=today)
    if report.problems:
        raise InvalidImport(report)
    ids, matched, to_match = [], 0, 0
    labels = report.details["labels"]
    for rec in rows:
        try:
            case = svc.intake(
                session=session, actor=actor, channel=rec["channel"].value,
                category=rec["category"].value, received_on=rec["received_on"],
                amount_yuan=rec.get("amount_yuan") or 0, cause=rec.get("cause") or "",
                person_name=rec["person_name"], person_id_number=rec.get("person_id_number"),
                phone=rec.get("phone") or "", address=rec.get("address") or "",
                lon=rec.get("lon"), lat=rec.get("lat"), work_order_no=rec["work_order_no"],
            )
        except DomainError as exc:
            column = labels["amount_yuan"] if exc.code == "bad_amount" else labels["person_name"]
            report.add(rec["_row"], column, exc.zh, exc.en)
            continue
        except AccessDenied as exc:
            report.add(rec["_row"], labels["person_name"], str(exc).split(" / ")[0],
                       getattr(exc, "en", "") or "not allowed for your role or grids")
            continue
        ids.append(case.id)
        if case.match_status == TO_MATCH:
            to_match += 1
        else:
            matched += 1
        report.by_grid[case.grid_code or "待匹配"] = report.by_grid.get(case.grid_code or "待匹配", 0) + 1
    if report.problems:
        raise InvalidImport(report)  # the caller's transaction rolls back every case of this file
    report.created = len(ids)
    return WorkOrderResult(report, ids, matched, to_match)
