"""Every dashboard download is masked for the actor and formula-safe (dashboard/exports.py), and no
page calls st.download_button with bytes that did not come from dashboard.exports."""
from __future__ import annotations

import ast
import io
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from dashboard import exports
from grid.access import Actor, Role

ROOT = Path(__file__).resolve().parents[2]
SUP = Actor("sup", Role.GRID_SUPERVISOR, frozenset({"G01"}))
ID = "321323197001011234"
LISTING = pd.DataFrame({"assignment_id": [1], "household_id": [7], "due_on": ["2026-12-01"],
                        "grid_code": ["G01"], "address": ["众兴镇幸福村三组18号"], "head_name": ["张小三"],
                        "phone": ["13912345678"], "head_id_number": [ID],
                        "note": ['=HYPERLINK("http://evil","点击")']})
HEADERS = {"address": "地址", "head_name": "户主", "phone": "电话", "head_id_number": "身份证号"}


def _cells(xlsx: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(xlsx)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_public_excel_masks_even_for_a_role_that_sees_personal_data():
    rows = _cells(exports.excel_bytes({"走访清单": LISTING}, SUP, public=True, headers=HEADERS))
    header, row = rows[0], dict(zip(rows[0], rows[1]))
    assert "户主" in header and "head_name" not in header  # masked first, then renamed
    assert row["户主"] == "张*三" and row["电话"] == "139****5678"
    assert row["身份证号"] == "321323********1234" and row["地址"].startswith("众兴镇幸福村")
    assert "三组18号" not in row["地址"]
    assert row["note"].startswith("'=HYPERLINK")  # neutralised, shown verbatim


def test_office_excel_follows_the_role():
    auditor = Actor("a", Role.AUDITOR, None)
    row = dict(zip(*_cells(exports.excel_bytes({"s": LISTING}, auditor, public=False))[:2]))
    assert row["head_id_number"] == "321323********1234" and row["phone"] == "139****5678"
    row = dict(zip(*_cells(exports.excel_bytes({"s": LISTING}, SUP, public=False))[:2]))
    assert row["head_id_number"] == ID


def test_csv_and_printable_page():
    csv = exports.csv_bytes(LISTING, SUP, public=True).decode("utf-8-sig")
    assert ID not in csv and "'=HYPERLINK" in csv
    page = exports.printable_html("清单<script>", LISTING, SUP, headers=HEADERS)
    assert ID not in page and "13912345678" not in page and "张小三" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def _download_calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
            yield node


def test_every_download_button_gets_its_bytes_from_dashboard_exports():
    pages = list((ROOT / "dashboard").rglob("*.py"))
    calls, checked = 0, set()
    for path in pages:
        for call in _download_calls(path):
            calls += 1
            checked.add(path.name)
            data = call.args[1] if len(call.args) > 1 else next(
                k.value for k in call.keywords if k.arg == "data")
            assert isinstance(data, ast.Call), (path.name, call.lineno)
            fn = data.func
            assert isinstance(fn, ast.Attribute) and getattr(fn.value, "id", "") == "exports", \
                (path.name, call.lineno, ast.unparse(data))
    assert calls >= 3
    assert "oversight.py" in checked  # the disclosure download (监督管理), no exemption
