"""The one table mapping Chinese headers to fields, for households and visits.

The first header is the one the template writes; the others are accepted aliases (case, spaces,
full-width brackets and a trailing `*` are ignored when matching). `kind` tells the validator how
to parse the cell; `required` columns must exist and be non-empty in every row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Col:
    field: str
    headers: tuple[str, ...]  # headers[0] is the template header
    kind: str  # text | id | float | nonneg | int | bool | date | phone
    required: bool
    help_zh: str
    example: object = ""
    minimum: int | None = None  # for int
    max_length: int | None = None  # for text

    @property
    def header(self) -> str:
        return self.headers[0]


HOUSEHOLD_COLUMNS: tuple[Col, ...] = (
    Col("head_name", ("户主姓名", "户主", "姓名", "head_name"), "text", True, "户主姓名", "张示例",
        max_length=32),
    Col("head_id_number", ("户主身份证号", "户主身份证号码", "身份证号", "身份证号码", "公民身份号码",
                           "head_id_number", "id_number"), "id", True,
        "18位公民身份号码，末位可为X；本列必须是“文本”格式，不能让 Excel 当成数字",
        "32132319800101001X"),
    Col("address", ("家庭住址", "住址", "地址", "address"), "text", True, "详细地址",
        "众兴镇示例路1号", max_length=200),
    Col("lon", ("经度", "lon", "lng", "longitude"), "float", True,
        "经度（CGCS2000/WGS84 十进制度，如 118.69）", 118.6930),
    Col("lat", ("纬度", "lat", "latitude"), "float", True,
        "纬度（十进制度，如 33.72）", 33.7220),
    Col("members", ("家庭人口", "家庭人口数", "人口数", "members"), "int", True, "家庭人口数（≥1）", 3,
        minimum=1),
    Col("phone", ("联系电话", "电话", "手机号", "phone"), "phone", False, "联系电话（文本）",
        "13800000000"),
    Col("elderly_alone", ("独居老人", "是否独居老人", "elderly_alone"), "bool", False,
        "是/否（也可填 Y/N、1/0、true/false；留空视为否）", "否"),
    Col("minors", ("未成年人数", "未成年人", "minors"), "int", False, "家中未成年人人数（≥0，留空为0）", 1,
        minimum=0),
    Col("severe_disability", ("重度残疾", "是否重度残疾", "severe_disability"), "bool", False,
        "家中有重度残疾人：是/否", "否"),
    Col("serious_illness", ("重病", "重特大疾病", "是否重病", "serious_illness"), "bool", False,
        "家中有重病患者：是/否", "否"),
    Col("dibao", ("低保", "是否低保", "低保户", "dibao"), "bool", False, "是否低保：是/否", "否"),
    Col("tekun", ("特困", "是否特困", "特困供养", "tekun"), "bool", False, "是否特困供养：是/否", "否"),
    Col("income_per_capita_yuan", ("人均月收入（元）", "人均月收入", "人均收入", "income_per_capita_yuan"),
        "nonneg", False, "家庭人均月收入，元（≥0，留空为0）", 1500),
)

VISIT_COLUMNS: tuple[Col, ...] = (
    Col("head_id_number", ("户主身份证号", "户主身份证号码", "身份证号", "身份证号码", "head_id_number"),
        "id", True, "被走访住户的户主身份证号（须已在系统中）；本列必须是“文本”格式",
        "32132319800101001X"),
    Col("visited_on", ("走访日期", "日期", "visited_on"), "date", True,
        "走访日期，如 2026-03-15（不能晚于今天）", "2026-03-15"),
    Col("worker_name", ("网格员姓名", "网格员", "走访人", "worker_name"), "text", False,
        "网格员姓名；未填电话时按姓名在该户所在网格内查找", "李示例",
        max_length=32),
    Col("worker_phone", ("网格员电话", "网格员手机号", "worker_phone"), "phone", False,
        "网格员电话；填写后优先按电话查找网格员（全镇范围）", "13900000000"),
    Col("income_per_capita_yuan", ("人均月收入（元）", "人均月收入", "income_per_capita_yuan"), "nonneg",
        False, "本次核实的家庭人均月收入，元（≥0；不清楚可留空）", ""),
    Col("housing_loss", ("住房或生活设施严重损失", "住房损失", "housing_loss"), "bool", False,
        "是/否", "否"),
    Col("accidental_injury", ("突发意外伤害", "意外伤害", "accidental_injury"), "bool", False, "是/否", "否"),
    Col("sudden_illness_or_disaster", ("突发重病或自然灾害", "突发重病", "sudden_illness_or_disaster"),
        "bool", False, "是/否", "否"),
    Col("care_gap", ("无人照料", "老人或未成年人无人照料", "care_gap"), "bool", False, "是/否", "否"),
    Col("lost_job", ("失业", "家庭成员失业", "lost_job"), "bool", False, "是/否", "否"),
    Col("new_illness", ("新发疾病", "新患疾病", "new_illness"), "bool", False, "是/否", "否"),
    Col("notes", ("备注", "走访情况", "notes"), "text", False, "走访情况说明（1000字以内）", "家中一切正常",
        max_length=1000),
)

WORKER_COLUMNS: tuple[Col, ...] = (
    Col("name", ("姓名", "网格员姓名", "name"), "text", True, "网格员姓名", "李示例", max_length=32),
    Col("phone", ("手机号", "联系电话", "电话", "phone"), "phone", True,
        "手机号（文本格式；在全镇在岗网格员中唯一）", "13900000000"),
    Col("employment", ("类型", "专兼职", "人员类型", "employment"), "text", True, "专职 或 兼职", "专职",
        max_length=16),
    Col("grid_code", ("网格编码", "所属网格编码", "网格", "grid_code"), "text", True,
        "所属网格的编码（如 321323100001）", "321323100001", max_length=32),
)
# Grid-worker rosters (系统管理, grid.workers.import_roster).

COLUMNS = {"households": HOUSEHOLD_COLUMNS, "visits": VISIT_COLUMNS, "workers": WORKER_COLUMNS}
SHEET_NAMES = {"households": "住户", "visits": "走访", "workers": "网格员"}
INSTRUCTIONS_SHEET = "填写说明"

_STRIP = re.compile(r"[\s*＊:：]+")
_FULLWIDTH = str.maketrans({"（": "(", "）": ")"})


def normalize_header(text: object) -> str:
    return _STRIP.sub("", str(text if text is not None else "")).translate(_FULLWIDTH).lower()


def match_headers(headers: list[object], columns: tuple[Col, ...]) -> tuple[dict[str, int], list[str],
                                                                             list[tuple[str, str]]]:
    """Map fields to column positions. Returns (field -> position, ignored headers, clashes)."""
    lookup: dict[str, str] = {}
    for col in columns:
        for h in col.headers:
            lookup[normalize_header(h)] = col.field
    found: dict[str, int] = {}
    ignored: list[str] = []
    clashes: list[tuple[str, str]] = []
    for pos, raw in enumerate(headers):
        key = normalize_header(raw)
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            ignored.append(str(raw).strip())
        elif name in found:
            clashes.append((str(headers[found[name]]).strip(), str(raw).strip()))
        else:
            found[name] = pos
    return found, ignored, clashes


def column_letter(pos: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (as Excel labels columns)."""
    letters = ""
    pos += 1
    while pos:
        pos, rem = divmod(pos - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
