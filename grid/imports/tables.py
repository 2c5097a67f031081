"""Reading a roster (CSV or XLSX) into rows of raw cells, with the row numbers the user sees.

CSV: encoding detected (UTF-8 with or without BOM, else GB18030, the superset of GBK), read with
dtype=str so nothing is turned into numbers. XLSX: openpyxl, cells as stored (a numeric ID cell
stays a number, so it can be reported). Row 1 is the header; blank rows are skipped but keep the
numbering of the file.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from grid.imports.columns import (COLUMNS, INSTRUCTIONS_SHEET, Col, column_letter, match_headers)
from grid.imports.report import ImportReport, Progress
from grid.imports.values import is_blank, parse_cell


class UnreadableFile(Exception):
    """The file cannot be read at all (reason in Chinese)."""


@dataclass
class Table:
    headers: list[object]
    rows: list[tuple[int, list[object]]]  # (row number as the user sees it, cells)
    encoding: str = ""
    sheet: str = ""


def detect_encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise UnreadableFile("文件编码无法识别：既不是 UTF-8 也不是 GBK/GB18030，请另存为“CSV UTF-8”") from None


def read_csv(path: Path) -> Table:
    data = Path(path).read_bytes()
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    first = text.split("\n", 1)[0]
    delimiter = max([",", "\t", ";"], key=first.count)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, header=None,
                            sep=delimiter, skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL,
                            engine="python")
    except Exception as exc:  # malformed quoting and the like
        raise UnreadableFile(f"CSV 文件无法解析：{exc}") from None
    if frame.empty:
        return Table([], [], encoding)
    values = frame.to_numpy(dtype=object).tolist()
    headers = values[0]
    rows = [(i + 1, cells) for i, cells in enumerate(values) if i > 0]
    return Table(headers, rows, encoding)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise UnreadableFile(f"Excel 文件无法打开（需要 .xlsx 格式；老式 .xls 请另存为 .xlsx）：{exc}") from None
    try:
        if sheet is not None:
            ws = wb[sheet]
        else:
            candidates = [ws for ws in wb.worksheets if ws.title != INSTRUCTIONS_SHEET]
            if not candidates:
                raise UnreadableFile("Excel 文件中没有数据工作表")
            ws = candidates[0]
        headers: list[object] = []
        rows: list[tuple[int, list[object]]] = []
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            if number == 1:
                headers = list(cells)
                continue
            rows.append((number, list(cells)))
        return Table(headers, rows, "", ws.title)
    finally:
        wb.close()


def read_table(path: Path) -> Table:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv(path)
    if suffix == ".xls":
        raise UnreadableFile("不支持老式 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV")
    raise UnreadableFile(f"不支持的文件类型“{suffix}”：请使用 .xlsx 或 .csv")


def column_label(col: Col, pos: int | None, headers: list[object]) -> str:
    if pos is None:
        return col.header
    shown = str(headers[pos]).strip() if pos < len(headers) and headers[pos] is not None else col.header
    return f"{column_letter(pos)}（{shown}）"


def check_headers(headers: list[object], columns, report: ImportReport, *, hint: str = "") -> dict:
    """Match the header row to `columns`; duplicate and missing required columns go into
    `report` as row-1 problems. Returns field -> column position."""
    found, ignored, clashes = match_headers(headers, columns)
    report.ignored_columns = ignored
    for first, second in clashes:
        report.add(1, second, f"与“{first}”是同一列，请只保留一列")
    for col in columns:
        if col.required and col.field not in found:
            report.add(1, col.header, f"缺少必填列“{col.header}”{hint}")
    return found


def parse_rows(table: Table, kind: str, report: ImportReport, *, today: date | None,
               progress: Progress | None = None, example: dict | None = None) -> list[dict]:
    """Parse and check every cell. Returns one dict per non-blank row: field -> value, plus
    `_row` (row number) and `_ok` (no problem in this row). Problems go into `report`."""
    columns = COLUMNS[kind]
    found = check_headers(table.headers, columns, report, hint="（可下载模板查看列名）")
    if report.problems:
        return []
    labels = {col.field: column_label(col, found.get(col.field), table.headers) for col in columns}
    out: list[dict] = []
    total = len(table.rows)
    for index, (number, cells) in enumerate(table.rows, start=1):
        if report.stopped:  # too many problems: the rest is not checked (and nothing is written)
            break
        raw = {f: (cells[p] if p < len(cells) else None) for f, p in found.items()}
        if all(is_blank(v) for v in cells):
            continue
        if example is not None and _is_example(raw, example):
            report.skipped_example_rows.append(number)
            continue
        record: dict = {"_row": number, "_ok": True}
        for col in columns:
            value = raw.get(col.field)
            if is_blank(value):
                if col.required:
                    report.add(number, labels[col.field], f"“{col.header}”不能为空")
                    record["_ok"] = False
                record[col.field] = None
                continue
            parsed, problem = parse_cell(col.kind, value, today=today, minimum=col.minimum,
                                          max_length=col.max_length)
            if problem:
                report.add(number, labels[col.field], problem)
                record["_ok"] = False
            record[col.field] = parsed
        out.append(record)
        if progress and (index % 1000 == 0 or index == total):
            progress("校验", index, total)
    report.rows = len(out) + len(report.skipped_example_rows)
    report.details["labels"] = labels
    return out


def _is_example(raw: dict, example: dict) -> bool:
    from grid.imports.values import as_text

    return all(as_text(raw.get(f)) == as_text(v) for f, v in example.items() if not is_blank(v))


def open_checked(path: Path, columns: tuple[Col, ...], report: ImportReport):
    """Read `path` and check its headers against `columns` (problems go into `report`).

    Returns (table, found, label): `found` maps a field to its column position, `label(field)` is
    how a column is named in a problem ("C（身份证号）"). On an unreadable file or bad headers the
    table is None and the caller reports."""
    from grid.imports.values import as_text

    try:
        table = read_table(Path(path))
    except UnreadableFile as exc:  # reported like every other problem, not raised
        report.add(None, "", str(exc))
        return None, {}, str
    found = check_headers(table.headers, columns, report)
    if report.problems:
        return None, found, str

    def label(field: str) -> str:
        pos = found.get(field)
        hdr = next(c.header for c in columns if c.field == field)
        return hdr if pos is None else f"{column_letter(pos)}（{as_text(table.headers[pos]) or hdr}）"

    return table, found, label


def parse_checked_rows(table: Table, columns: tuple[Col, ...], found: dict, label, report: ImportReport):
    """Each non-blank row of a table opened with open_checked, cells parsed by their column kind:
    yields (row number, {field: value}); a blank required cell or a bad value is a problem in
    `report` (its value None). The caller adds its own cross-field checks."""
    for number, cells in table.rows:
        if report.stopped:
            break
        if all(is_blank(v) for v in cells):
            continue
        rec: dict = {"_row": number}
        for col in columns:
            pos = found.get(col.field)
            raw = cells[pos] if pos is not None and pos < len(cells) else None
            if is_blank(raw):
                if col.required:
                    report.add(number, label(col.field), f"“{col.header}”不能为空")
                rec[col.field] = None
                continue
            value, problem = parse_cell(col.kind, raw, today=None, max_length=col.max_length)
            if problem:
                report.add(number, label(col.field), problem)
                value = None
            rec[col.field] = value
        yield number, rec
