"""Resident ID numbers (GB 11643-1999): check digit, birth date, and masking."""
from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
SIYANG_PREFIX = "321323"
_SCI = re.compile(r"^\s*\d(\.\d+)?[eE]\+?\d+\s*$")


def check_digit(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("需要17位数字 (17 digits required)")
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def make_id_number(prefix6: str, born: date, seq3: int) -> str:
    body = f"{prefix6}{born:%Y%m%d}{seq3:03d}"
    return body + check_digit(body)


def id_number_problem(raw: object) -> str | None:
    """None if `raw` is a valid 18-digit ID number, else the reason in Chinese."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return "身份证号为空"
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return ("身份证号被存成了数字（Excel 会丢失后几位或把末位 X 丢掉），"
                "请把该列设为“文本”格式后重新录入")
    text = str(raw).strip()
    if _SCI.match(text):
        return (f"身份证号显示为科学计数法“{text}”，说明 Excel 把它当成数字、后几位已丢失；"
                "请把该列设为“文本”格式后重新录入")
    if text.endswith(".0") and text[:-2].isdigit():
        return "身份证号被存成了数字（末尾出现“.0”），请把该列设为“文本”格式后重新录入"
    text = text.upper()
    if len(text) != 18:
        return f"身份证号应为18位，实际为{len(text)}位"
    if not (text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
        return "身份证号前17位须为数字，末位为数字或X"
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return f"身份证号中的出生日期 {text[6:14]} 不存在"
    if check_digit(text[:17]) != text[17]:
        return f"身份证号校验位错误（应为 {check_digit(text[:17])}）"
    return None


def normalize_id_number(raw: object) -> str:
    return str(raw).strip().upper()
