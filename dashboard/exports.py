"""Every file a page offers for download is made here, and only here: masked for the acting user
(grid.privacy.mask_frame; public=True for anything that leaves the office) and written through
grid.export (formula cells neutralised) or as an escaped printable page. Pure: frames in, bytes out.

Columns are masked under their data names (head_name, phone, ...) and only then renamed to the
user's language with `headers`, so masking never depends on a translated column title.
"""
from __future__ import annotations

import html
from typing import Mapping

import pandas as pd

from grid.access import Actor
from grid.export import to_csv_bytes, to_xlsx_bytes
from grid.privacy import mask_frame


def _masked(frame: pd.DataFrame, actor: Actor, public: bool,
            headers: Mapping[str, str] | None) -> pd.DataFrame:
    out = mask_frame(frame, actor, public=public)
    return out.rename(columns=dict(headers)) if headers else out


def excel_bytes(sheets: Mapping[str, pd.DataFrame], actor: Actor, *, public: bool,
                headers: Mapping[str, str] | None = None) -> bytes:
    """One workbook, a sheet per frame, masked for `actor` (always fully masked when public)."""
    return to_xlsx_bytes({name: _masked(df, actor, public, headers) for name, df in sheets.items()})


def csv_bytes(frame: pd.DataFrame, actor: Actor, *, public: bool,
              headers: Mapping[str, str] | None = None) -> bytes:
    return to_csv_bytes(_masked(frame, actor, public, headers))


def printable_html(title: str, frame: pd.DataFrame, actor: Actor,
                   headers: Mapping[str, str] | None = None) -> str:
    """A self-contained A4 page (no external CSS or fonts) with one table. A printed page leaves
    the office: it is always masked as public (names, IDs, phones, addresses)."""
    frame = _masked(frame, actor, True, headers)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>"
                                    for v in row) + "<td class=sign></td></tr>"
                   for row in frame.itertuples(index=False))
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>@page {{ size: A4; margin: 12mm; }} body {{ font-family: sans-serif; font-size: 12px; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #444; padding: 4px; }}
td.sign {{ width: 18%; }}</style></head>
<body><h2>{html.escape(title)}</h2><table><thead><tr>{head}<th>签字 / 备注</th></tr></thead>
<tbody>{rows}</tbody></table></body></html>"""


def markdown_bytes(text: str) -> bytes:
    """A text document made by the product (e.g. the model card: aggregate figures only, no
    personal data) as UTF-8 bytes, with a BOM so Windows editors show the Chinese correctly."""
    return ("\ufeff" + text).encode("utf-8")
