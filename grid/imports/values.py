"""Pure cell parsers. Each returns (value, None) or (None, reason): the reason is a
grid.imports.report.Reason, the Chinese text with its English in `.en`.

Cells come either as text (CSV, read with dtype=str) or as what openpyxl stored in the XLSX
(str, int, float, bool, datetime), so an ID number typed as a number is still visible as a number.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime

from grid.ids import id_number_problem, normalize_id_number
from grid.imports.report import Reason, english_of

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
        return None, Reason(f"内容过长（{len(text)} 字，最多 {max_length} 字）",
                            f"too long ({len(text)} characters, at most {max_length})")
    return text, None


def parse_id(raw: object, *, today: date | None = None):
    problem = id_number_problem(raw)
    if problem is not None:
        text = as_text(raw)
        en = english_of(problem)
        if "校验位" in problem and len(text) == 18 and text.endswith("00"):
            problem += ("；末尾为“00”，很可能是 Excel 把身份证号当成数字而丢失了最后几位，"
                        "请把该列设为“文本”格式后按原件重新录入")
            en += ("; it ends in “00”: Excel probably took the ID number for a number and lost its "
                   "last digits; format the column as Text and type the number again from the original")
        return None, Reason(problem, en)
    value = normalize_id_number(raw)
    if today is not None and date(int(value[6:10]), int(value[10:12]), int(value[12:14])) > today:
        return None, Reason(f"身份证号中的出生日期 {value[6:14]} 晚于今天",
                            f"the birth date {value[6:14]} in the ID number is after today")
    return value, None


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(raw: object):
    if isinstance(raw, bool):
        return None, Reason(f"“{raw}”不是数字", f"“{raw}” is not a number")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = as_text(raw).replace(",", "").replace("，", "").replace("元", "").strip()
        if not _NUMBER.match(text):
            return None, Reason(f"“{as_text(raw)}”不是数字", f"“{as_text(raw)}” is not a number")
        value = float(text)
    if not math.isfinite(value):
        return None, Reason(f"“{as_text(raw)}”不是有效数字", f"“{as_text(raw)}” is not a valid number")
    return value, None


def parse_float(raw: object):
    return _number(raw)


def parse_nonneg(raw: object):
    value, problem = _number(raw)
    if problem:
        return None, problem
    if value < 0:
        return None, Reason(f"金额不能为负数（{as_text(raw)}）",
                            f"an amount cannot be negative ({as_text(raw)})")
    return value, None


def parse_int(raw: object, *, minimum: int | None = None):
    value, problem = _number(raw)
    if problem:
        return None, problem
    if not float(value).is_integer():
        return None, Reason(f"应为整数（{as_text(raw)}）", f"a whole number is expected ({as_text(raw)})")
    value = int(value)
    if minimum is not None and value < minimum:
        return None, Reason(f"不能小于 {minimum}（{as_text(raw)}）",
                            f"cannot be less than {minimum} ({as_text(raw)})")
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
    return None, Reason(f"“{as_text(raw)}”无法识别为是/否（可填 是/否、Y/N、1/0、true/false）",
                        f"“{as_text(raw)}” is not a yes/no answer (write yes/no, Y/N, 1/0 or true/false)")


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
        return None, Reason(f"日期被存成了数字 {as_text(raw)}，请把单元格设为“日期”格式"
                            "或填写成 2026-03-15 这样的文本",
                            f"the date was stored as the number {as_text(raw)}; format the cell as "
                            "Date or write it as text like 2026-03-15")
    else:
        text = as_text(raw)
        value = None
        for pattern in _DATE_PATTERNS:
            m = pattern.match(text)
            if m:
                try:
                    value = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    return None, Reason(f"日期“{text}”不存在", f"the date “{text}” does not exist")
                break
        if value is None:
            return None, Reason(f"“{text}”不是可识别的日期（请写成 2026-03-15）",
                                f"“{text}” is not a date (write it like 2026-03-15)")
    if today is not None and value > today:
        return None, Reason(f"日期 {value.isoformat()} 晚于今天（{today.isoformat()}），不能登记未来的走访",
                            f"the date {value.isoformat()} is after today ({today.isoformat()}); "
                            "a visit in the future cannot be recorded")
    return value, None


def parse_phone(raw: object):
    text = as_text(raw).replace(" ", "").replace("-", "")
    if text and not re.fullmatch(r"\+?\d{5,20}", text):
        return None, Reason(f"电话号码“{as_text(raw)}”格式不对",
                            f"the phone number “{as_text(raw)}” is not well formed")
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
