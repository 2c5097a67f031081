"""Resident ID numbers (GB 11643-1999): check digit, birth date, and masking."""
from __future__ import annotations

import re
from datetime import date

from jizhen.errors import Reason

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


_AS_TEXT_EN = "format the column as Text and type the numbers again"


def id_number_problem(raw: object) -> str | None:
    """None if `raw` is a valid 18-digit ID number, else the reason: a str in Chinese (a
    jizhen.errors.Reason, its English in `.en`)."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return Reason("身份证号为空", "the ID number is empty")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Reason("身份证号被存成了数字（Excel 会丢失后几位或把末位 X 丢掉），"
                      "请把该列设为“文本”格式后重新录入",
                      "the ID number was stored as a number (Excel loses the last digits or drops "
                      f"a final X); {_AS_TEXT_EN}")
    text = str(raw).strip()
    if _SCI.match(text):
        return Reason(f"身份证号显示为科学计数法“{text}”，说明 Excel 把它当成数字、后几位已丢失；"
                      "请把该列设为“文本”格式后重新录入",
                      f"the ID number shows in scientific notation “{text}”: Excel took it for a "
                      f"number and its last digits are lost; {_AS_TEXT_EN}")
    if text.endswith(".0") and text[:-2].isdigit():
        return Reason("身份证号被存成了数字（末尾出现“.0”），请把该列设为“文本”格式后重新录入",
                      f"the ID number was stored as a number (it ends in “.0”); {_AS_TEXT_EN}")
    text = text.upper()
    if len(text) != 18:
        return Reason(f"身份证号应为18位，实际为{len(text)}位",
                      f"an ID number has 18 characters, this one {len(text)}")
    if not (text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
        return Reason("身份证号前17位须为数字，末位为数字或X",
                      "the first 17 characters of an ID number are digits, the last a digit or X")
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return Reason(f"身份证号中的出生日期 {text[6:14]} 不存在",
                      f"the birth date {text[6:14]} in the ID number does not exist")
    if check_digit(text[:17]) != text[17]:
        digit = check_digit(text[:17])
        return Reason(f"身份证号校验位错误（应为 {digit}）",
                      f"the ID number's check digit is wrong (it should be {digit})")
    return None


def normalize_id_number(raw: object) -> str:
    return str(raw).strip().upper()
