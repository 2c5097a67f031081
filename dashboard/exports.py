"""Files the pages offer for download: Excel through grid.export (formula cells neutralised) and a
printable HTML page (every value escaped). Pure: frames in, bytes/str out."""
from __future__ import annotations

import html

import pandas as pd

from grid.export import to_xlsx_bytes


def excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    return to_xlsx_bytes(sheets)


def printable_html(title: str, frame: pd.DataFrame) -> str:
    """A self-contained A4 page (no external CSS or fonts) with one table."""
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
