"""Pure parsing of roster cells, headers, encodings, the problem report and the templates."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from grid.imports.columns import HOUSEHOLD_COLUMNS, VISIT_COLUMNS, column_letter, match_headers
from grid.imports.report import ImportReport, InvalidImport, Problem, format_problems
from grid.imports.tables import UnreadableFile, detect_encoding, parse_rows, read_csv, read_table
from grid.imports.templates import example_row, write_template
from grid.imports.values import (parse_bool, parse_date, parse_id, parse_int, parse_nonneg,
                                 parse_phone)

GOOD_ID = "32132319800101001X"
TODAY = date(2026, 11, 29)


@pytest.mark.parametrize("raw", ["是", "Y", "y", "1", "true", "TRUE", 1, True])
def test_bool_true(raw):
    assert parse_bool(raw) == (True, None)


@pytest.mark.parametrize("raw", ["否", "N", "n", "0", "false", "False", 0, False])
def test_bool_false(raw):
    assert parse_bool(raw) == (False, None)


def test_bool_rejects_other_words():
    value, problem = parse_bool("也许")
    assert value is None and "是/否" in problem


def test_id_valid_and_lowercase_x():
    assert parse_id(GOOD_ID) == (GOOD_ID, None)
    assert parse_id(GOOD_ID.lower()) == (GOOD_ID, None)


def test_id_check_digit():
    value, problem = parse_id("321323198001010011")
    assert value is None and "校验位" in problem


@pytest.mark.parametrize("raw", [321323198001010028, 3.21323198001010e17])
def test_id_stored_as_number_is_explained(raw):
    value, problem = parse_id(raw)
    assert value is None and "数字" in problem and "文本" in problem


def test_id_scientific_notation_text():
    value, problem = parse_id("3.21323E+17")
    assert value is None and "科学计数法" in problem


def test_id_lost_digits_hint():
    # What Excel does to 321323198001010028: keeps 15 significant digits, then zeros.
    value, problem = parse_id("321323198001010000")
    assert value is None and "校验位" in problem and "丢失" in problem


def test_id_birth_in_future():
    value, problem = parse_id("321323203001010012", today=TODAY)
    assert value is None


@pytest.mark.parametrize("raw, expected", [
    ("2026-03-15", date(2026, 3, 15)), ("2026/3/5", date(2026, 3, 5)),
    ("2026年3月15日", date(2026, 3, 15)), ("20260315", date(2026, 3, 15)),
    ("2026-03-15 00:00:00", date(2026, 3, 15)), (datetime(2026, 3, 15, 0, 0), date(2026, 3, 15)),
    (date(2026, 3, 15), date(2026, 3, 15)),
])
def test_date_formats(raw, expected):
    assert parse_date(raw, today=TODAY) == (expected, None)


def test_date_in_future_refused():
    value, problem = parse_date("2026-11-30", today=TODAY)
    assert value is None and "晚于今天" in problem
    assert parse_date("2026-11-29", today=TODAY) == (date(2026, 11, 29), None)


@pytest.mark.parametrize("raw", ["2026-02-30", "上周", 46000])
def test_date_bad(raw):
    value, problem = parse_date(raw, today=TODAY)
    assert value is None and problem


def test_amounts_non_negative():
    assert parse_nonneg("1,200") == (1200.0, None)
    assert parse_nonneg(0) == (0.0, None)
    assert parse_nonneg("-1")[1] and "负数" in parse_nonneg("-1")[1]
    assert parse_nonneg("abc")[1] and parse_nonneg("nan")[1]


def test_int_and_minimum():
    assert parse_int("3", minimum=1) == (3, None)
    assert parse_int(2.0) == (2, None)
    assert parse_int("2.5")[1] and parse_int("0", minimum=1)[1]


def test_phone():
    assert parse_phone(13800000000) == ("13800000000", None)
    assert parse_phone("138-0000-0000") == ("13800000000", None)
    assert parse_phone("abc")[1]


def test_headers_matched_by_aliases_and_fullwidth():
    headers = ["户主", "身份证号码", "地址 ", "经度", "纬度", "家庭人口*", "人均月收入(元)", "其他"]
    found, ignored, clashes = match_headers(headers, HOUSEHOLD_COLUMNS)
    assert found["head_name"] == 0 and found["head_id_number"] == 1 and found["address"] == 2
    assert found["income_per_capita_yuan"] == 6
    assert ignored == ["其他"] and clashes == []
    _, _, clashes = match_headers(["身份证号", "户主身份证号"], HOUSEHOLD_COLUMNS)
    assert clashes == [("身份证号", "户主身份证号")]


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]


def _write_csv(path, text, encoding):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gbk", "gb18030")])
def test_csv_encodings(tmp_path, encoding, detected):
    path = _write_csv(tmp_path / "a.csv", "户主姓名,户主身份证号\n张三,0321\n\n李四,X\n", encoding)
    with read_csv(path) as table:
        assert table.encoding == detected
        assert table.headers == ["户主姓名", "户主身份证号"]
        rows = list(table.rows)  # a stream, read once
    # Cells are text (the leading zero stays); the blank line keeps the numbering of the file.
    assert rows[0] == (2, ["张三", "0321"])
    assert rows[-1] == (4, ["李四", "X"])


def test_csv_undecodable(tmp_path):
    assert detect_encoding("张三".encode("gbk")) == "gb18030"
    with pytest.raises(UnreadableFile):
        detect_encoding(b"\xff\xfe\x00\xd8\x81\x81\xff")


def test_unsupported_suffix(tmp_path):
    (tmp_path / "a.xls").write_bytes(b"")
    with pytest.raises(UnreadableFile, match="xlsx"):
        read_table(tmp_path / "a.xls")


def test_xlsx_cells_are_read_as_stored(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["户主身份证号", "走访日期"])
    ws.append([321323198001010028, datetime(2026, 3, 1)])
    wb.save(tmp_path / "a.xlsx")
    table = read_table(tmp_path / "a.xlsx")
    (number, (id_cell, day)), = table.rows
    # Excel keeps numbers as doubles: the ID comes back as a number (digits already lost).
    assert number == 2 and isinstance(id_cell, (int, float)) and day == datetime(2026, 3, 1)
    assert "数字" in parse_id(id_cell)[1]


def test_parse_rows_reports_row_and_column(tmp_path):
    frame = pd.DataFrame({"户主身份证号": ["3.21323E+17", GOOD_ID], "走访日期": ["2026-01-01", "2027-01-01"],
                          "网格员姓名": ["李", "李"]})
    frame.to_csv(tmp_path / "v.csv", index=False)
    report = ImportReport(kind="visits", source="v.csv")
    rows = parse_rows(read_table(tmp_path / "v.csv"), "visits", report, today=TODAY)
    assert [r["_row"] for r in rows] == [2, 3]
    lines = [p.line() for p in report.sorted_problems()]
    assert lines[0].startswith("行 2，列 A（户主身份证号）：身份证号显示为科学计数法")
    assert lines[1].startswith("行 3，列 B（走访日期）：日期 2027-01-01 晚于今天")


def test_missing_required_column(tmp_path):
    pd.DataFrame({"户主姓名": ["张三"]}).to_csv(tmp_path / "h.csv", index=False)
    report = ImportReport(kind="households", source="h.csv")
    assert parse_rows(read_table(tmp_path / "h.csv"), "households", report, today=TODAY) == []
    missing = {p.column for p in report.problems}
    assert {"户主身份证号", "家庭住址", "经度", "纬度", "家庭人口"} <= missing
    assert all(p.row == 1 for p in report.problems)


def test_format_problems_in_file_order():
    report = ImportReport(kind="households", source="名册.xlsx")
    report.add(5, "B（户主身份证号）", "身份证号校验位错误（应为 8）")
    report.add(None, "", "文件中没有数据行")
    report.add(2, "D（经度）", "坐标不在任何网格内")
    text = str(InvalidImport(report))
    lines = text.splitlines()
    assert lines[0] == "名册.xlsx：发现 3 个问题，未写入任何数据。"
    assert lines[1] == "文件：文件中没有数据行"
    assert lines[2] == "行 2，列 D（经度）：坐标不在任何网格内"
    assert lines[3] == "行 5，列 B（户主身份证号）：身份证号校验位错误（应为 8）"
    assert format_problems([Problem(3, "geometry", "多边形无效")], unit="要素").splitlines()[1] == \
        "第 3 个要素，列 geometry：多边形无效"


@pytest.mark.parametrize("kind, columns, sheet", [("households", HOUSEHOLD_COLUMNS, "住户"),
                                                  ("visits", VISIT_COLUMNS, "走访")])
def test_template_layout(tmp_path, kind, columns, sheet):
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [sheet, "填写说明"]
    ws = wb[sheet]
    assert [c.value for c in ws[1]] == [c.header for c in columns]
    id_pos = [c.field for c in columns].index("head_id_number")
    letter = column_letter(id_pos)
    assert ws.column_dimensions[letter].number_format == "@"
    assert ws[f"{letter}2"].number_format == "@" and isinstance(ws[f"{letter}2"].value, str)
    assert parse_id(ws[f"{letter}2"].value) == (GOOD_ID, None)
    # The example row is what example_row() says, so the importer can recognise and skip it.
    example = example_row(kind)
    for pos, col in enumerate(columns):
        value = ws.cell(row=2, column=pos + 1).value
        assert (value if value is not None else "") == (str(example[col.field]) if col.kind in ("id", "phone")
                                                       else example[col.field])
    info = [row[0] for row in wb["填写说明"].iter_rows(values_only=True)]
    assert any("文本" in (t or "") for t in info)
    assert all(c.header in info for c in columns)


def test_template_unknown_kind(tmp_path):
    with pytest.raises(ValueError):
        write_template("cases", tmp_path / "x.xlsx")
