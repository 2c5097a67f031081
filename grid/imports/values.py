"""Pure cell parsers. Each returns (value, None) or (None, reason in Chinese).

Cells come either as text (CSV, read with dtype=str) or as what openpyxl stored in the XLSX
(str, int, float, bool, datetime), so an ID number typed as a number is still visible as a number.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime

from grid.ids import id_number_problem, normalize_id_number

TRUE_WORDS = frozenset({"是", "有", "y", "yes", "1", "true", "t", "√", "对"})
FALSE_WORDS = frozenset({"否", "无", "n", "no", "0", "false", "f", "×", "不是", "没有"})


def is_blank(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and raw.strip() == ""


def as_text(raw: object) -> str:
    if is_blank(raw):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def parse_text(raw: object, *, max_length: int | None = None):
    text = as_text(raw)
    if max_length is not None and len(text) > max_length:
        return None, f"内容过长（{len(text)} 字，最多 {max_length} 字）"
    return text, None


def parse_id(raw: object, *, today: date | None = None):
    problem = id_number_problem(raw)
    if problem is not None:
        text = as_text(raw)
        if "校验位" in problem and len(text) == 18 and text.endswith("00"):
            problem += ("；末尾为“00”，很可能是 Excel 把身份证号当成数字而丢失了最后几位，"
                        "请把该列设为“文本”格式后按原件重新录入")
        return None, problem
    value = normalize_id_number(raw)
    if today is not None and date(int(value[6:10]), int(value[10:12]), int(value[12:14])) > today:
        return None, f"身份证号中的出生日期 {value[6:14]} 晚于今天"
    return value, None


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(raw: object):
    if isinstance(raw, bool):
        return None, f"“{raw}”不是数字"
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = as_text(raw).replace(",", "").replace("，", "").replace("元", "").strip()
        if not _NUMBER.match(text):
            return None, f"“{as_text(raw)}”不是数字"
        value = float(text)
    if not math.isfinite(value):
        return None, f"“{as_text(raw)}”不是有效数字"
    return value, None


def parse_float(raw: object):
    return _number(raw)


def parse_nonneg(raw: object):
    value, problem = _number(raw)
    if problem:
        return None, problem
    if value < 0:
        return None, f"金额不能为负数（{as_text(raw)}）"
    return value, None


def parse_int(raw: object, *, minimum: int | None = None):
    value, problem = _number(raw)
    if problem:
        return None, problem
    if not float(value).is_integer():
        return None, f"应为整数（{as_text(raw)}）"
    value = int(value)
    if minimum is not None and value < minimum:
        return None, f"不能小于 {minimum}（{as_text(raw)}）"
    return value, None


def parse_bool(raw: object):
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw), None
    text = as_text(raw).lower()
    if text in TRUE_WORDS:
        return True, None
    if text in FALSE_WORDS:
        return False, None
    return None, f"“{as_text(raw)}”无法识别为是/否（可填 是/否、Y/N、1/0、true/false）"


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(raw: object, *, today: date | None = None):
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return None, (f"日期被存成了数字 {as_text(raw)}，请把单元格设为“日期”格式"
                      "或填写成 2026-03-15 这样的文本")
    else:
        text = as_text(raw)
        value = None
        for pattern in _DATE_PATTERNS:
            m = pattern.match(text)
            if m:
                try:
                    value = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    return None, f"日期“{text}”不存在"
                break
        if value is None:
            return None, f"“{text}”不是可识别的日期（请写成 2026-03-15）"
    if today is not None and value > today:
        return None, f"日期 {value.isoformat()} 晚于今天（{today.isoformat()}），不能登记未来的走访"
    return value, None


def parse_phone(raw: object):
    text = as_text(raw).replace(" ", "").replace("-", "")
    if text and not re.fullmatch(r"\+?\d{5,20}", text):
        return None, f"电话号码“{as_text(raw)}”格式不对"
    return text, None


def parse_cell(kind: str, raw: object, *, today: date | None = None, minimum: int | None = None,
               max_length: int | None = None):
    if kind == "text":
        return parse_text(raw, max_length=max_length)
    if kind == "id":
        return parse_id(raw, today=today)
    if kind == "float":
        return parse_float(raw)
    if kind == "nonneg":
        return parse_nonneg(raw)
    if kind == "int":
        return parse_int(raw, minimum=minimum)
    if kind == "bool":
        return parse_bool(raw)
    if kind == "date":
        return parse_date(raw, today=today)
    if kind == "phone":
        return parse_phone(raw)
    raise ValueError(f"unknown column kind {kind}")
