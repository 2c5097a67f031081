"""Free text that leaves the office (公示 lists, public exports): the public reason and the scan that
masks personal data inside any text cell. Pure: no database, no Streamlit.

Rules (issue 9, defect 8):
- a public list carries a PUBLIC reason: the category label plus the officer's optional public note
  (``Case.public_note``), never the intake text (``Case.cause``);
- every free-text cell that reaches a public file goes through ``mask_public_text``, which masks
  18-digit ID numbers (check digit X included) and 15-digit old ones, mobile and landline phone
  numbers (and any other run of 7 or more digits, e.g. a bank account), the names it is given (the
  recipient, the household head and members), the addresses it is given, and house numbers such as
  3号楼2单元501室 or 12号.
The masks themselves are grid.privacy's (mask_id_number, mask_phone, mask_name, mask_address): one
masking rule for the whole product.
"""
from __future__ import annotations

import re
from typing import Iterable

from cases.vocabulary import CATEGORY_LABELS, Category
from grid.privacy import mask_address, mask_id_number, mask_name, mask_phone

__all__ = ["PUBLIC_NOTE_MAX", "mask_public_text", "public_reason", "public_text_cells"]

PUBLIC_NOTE_MAX = 200  # characters, as Case.public_note

_D = r"[0-9０-９]"
# 18-digit ID (last character may be X) and 15-digit old ID, not inside a longer number
_ID18 = re.compile(rf"(?<![0-9０-９])({_D}{{17}}[0-9０-９Xx×])(?![0-9０-９A-Za-z])")
_ID15 = re.compile(rf"(?<![0-9０-９])({_D}{{15}})(?![0-9０-９])")
# mobile: 1[3-9]x xxxx xxxx, optionally +86 / 86 and spaces or hyphens inside
_MOBILE = re.compile(
    rf"(?<![0-9０-９])(?:(?:\+|＋)?86[ -]?)?(1[3-9]{_D}[ -]?{_D}{{4}}[ -]?{_D}{{4}})(?![0-9０-９])")
# landline: area code 0xx/0xxx (optionally in brackets) + 7–8 digits, optional extension
_LANDLINE = re.compile(
    rf"(?<![0-9０-９])((?:[(（]0{_D}{{2,3}}[)）]|0{_D}{{2,3}})[ -－]?{_D}{{7,8}}(?:[-－转]{_D}{{1,5}})?)"
    rf"(?![0-9０-９])")
# any other run of 7+ digits (a local number without area code, a bank card, an account)
_LONG_DIGITS = re.compile(rf"{_D}{{7,}}")
# house numbers: 3号楼 2单元 501室 12号 5栋 2幢 3层 4弄 (not a day: 10月12号 stays)
_HOUSE = re.compile(rf"(?<![月0-9０-９]){_D}+(?=(?:号楼|单元|室|号|栋|幢|层|楼|弄|户|组))")


def _mask_digits(s: str) -> str:
    return re.sub(_D, "*", s)


def mask_public_text(text: str | None, *, names: Iterable[str | None] = (),
                     addresses: Iterable[str | None] = ()) -> str:
    """``text`` with every piece of personal data masked, for a public file.

    ``names``: people who must not be named (recipient, household head and members); each
    occurrence becomes grid.privacy.mask_name of it (张三丰 → 张*丰). ``addresses``: known
    addresses, replaced by grid.privacy.mask_address. Then ID numbers, phone numbers, long digit
    runs and house numbers are masked wherever they appear. Returns '' for None.
    """
    if not text:
        return ""
    out = str(text)
    for addr in sorted({(a or "").strip() for a in addresses}, key=len, reverse=True):
        if len(addr) >= 4:
            out = out.replace(addr, mask_address(addr))
    out = _ID18.sub(lambda m: mask_id_number(m.group(1)), out)
    out = _ID15.sub(lambda m: mask_id_number(m.group(1)), out)
    out = _MOBILE.sub(lambda m: mask_phone(re.sub(r"[^0-9０-９]", "", m.group(1))), out)
    out = _LANDLINE.sub(lambda m: _mask_digits(m.group(1)), out)
    out = _LONG_DIGITS.sub(lambda m: _mask_digits(m.group(0)), out)
    out = _HOUSE.sub(lambda m: _mask_digits(m.group(0)), out)
    for name in sorted({(n or "").strip() for n in names}, key=len, reverse=True):
        if len(name) >= 2:
            out = out.replace(name, mask_name(name))
    return out


def public_reason(category: str, public_note: str | None = None, *,
                  names: Iterable[str | None] = (), addresses: Iterable[str | None] = ()) -> str:
    """The reason printed on a public list: the category label, then the officer's public note
    (masked like any public text). The intake text is never an input."""
    label = CATEGORY_LABELS[Category(category)]
    note = mask_public_text((public_note or "").strip(), names=names, addresses=addresses)
    return f"{label}：{note}" if note else label


def public_text_cells(row: dict, columns: Iterable[str], *, names: Iterable[str | None] = (),
                      addresses: Iterable[str | None] = ()) -> dict:
    """A copy of ``row`` with the text cells in ``columns`` passed through mask_public_text."""
    names, addresses = list(names), list(addresses)
    out = dict(row)
    for col in columns:
        if isinstance(out.get(col), str):
            out[col] = mask_public_text(out[col], names=names, addresses=addresses)
    return out
