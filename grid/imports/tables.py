"""Reading a roster (CSV or XLSX) as a stream of rows of raw cells, with the row numbers the user sees.

Nothing reads a whole file into memory: the rows are read one at a time while they are checked,
so a file with too many problems is not read past the problem cap (JIZHEN_IMPORT_MAX_PROBLEMS),
and a file larger than JIZHEN_IMPORT_MAX_BYTES is refused before it is read.

CSV: the encoding is detected from the start of the file, read in chunks (a BOM: UTF-8; else the
first non-ASCII bytes decode as UTF-8: UTF-8; else as GB18030, the superset of GBK: GB18030; else
unreadable); the delimiter (comma, tab or semicolon) is the one the header line uses most; cells
are text, so nothing is turned into numbers. A row further down with bytes that do not decode is
a problem of that row. XLSX: openpyxl in read-only mode, cells as stored (a numeric ID cell stays
a number, so it can be reported). Row 1 is the header; blank rows are skipped but keep the
numbering of the file (a quoted cell with a line break is still one row, as in Excel).

A `Table` is read once: iterate `table.rows`, then close it (`with read_table(p) as table:`;
parse_rows and parse_checked_rows close it when they are done).
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

from grid.imports.columns import (COLUMNS, INSTRUCTIONS_SHEET, Col, column_letter, match_headers)
from grid.imports.report import ImportReport, Progress, Reason
from grid.imports.values import is_blank, parse_cell
from jizhen.errors import Bilingual

CHUNK_BYTES = 64 * 1024  # encoding detection reads the file in chunks of this size ...
DETECT_BYTES = 64 * 1024  # ... and decides on this many bytes from the first non-ASCII byte
XLSX_MAX_EXPANSION = 20  # an XLSX may unpack to at most this many times the size limit (zip bombs)
PROGRESS_EVERY = 1000  # rows between progress calls while checking
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes the encoding could not decode (surrogateescape)
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030"}


class UnreadableFile(Bilingual, Exception):
    """The file cannot be read at all (str(): the reason in Chinese; `.en`: in English)."""

    code = "unreadable_file"


class BadCells(list):
    """The cells of a row that cannot be read (its `problem`: a Reason, Chinese with `.en`);
    reported, not parsed."""

    def __init__(self, cells, problem: str):
        super().__init__(cells)
        self.problem = problem


@dataclass
class Table:
    headers: list[object]
    rows: Iterator[tuple[int, list[object]]]  # (row number as the user sees it, cells); read once
    encoding: str = ""
    sheet: str = ""
    # expected_rows(done): how many rows the file probably has, from what was read so far (for
    # progress); None when unknown.
    expected_rows: Callable[[int], int | None] = lambda done: None
    _close: Callable[[], None] | None = field(default=None, repr=False)

    def close(self) -> None:
        rows, self.rows = self.rows, iter(())
        if hasattr(rows, "close"):
            rows.close()
        if self._close is not None:
            closer, self._close = self._close, None
            closer()

    def __enter__(self) -> "Table":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def max_bytes() -> int:
    from jizhen.settings import get_settings

    return get_settings().import_max_bytes


def _size(n: int, lang: str = "zh") -> str:
    """3 MB, 1.5 MB, 800 KB, 120 字节 (English: 120 bytes)."""
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + " " + unit
    return f"{n} 字节" if lang == "zh" else f"{n} bytes"


def check_size(path: Path, limit: int | None = None) -> None:
    """Refuse a file larger than the import limit (JIZHEN_IMPORT_MAX_BYTES) before reading it,
    and an XLSX that unpacks to more than XLSX_MAX_EXPANSION times the limit."""
    limit = max_bytes() if limit is None else limit
    size = Path(path).stat().st_size
    if size > limit:
        raise UnreadableFile(f"文件过大：{_size(size)}，超过导入上限 {_size(limit)}（JIZHEN_IMPORT_MAX_BYTES）；"
                             "请把文件拆分为几个较小的文件分批导入",
                             en=f"the file is too large: {_size(size, 'en')}, over the import limit of "
                                f"{_size(limit, 'en')} (JIZHEN_IMPORT_MAX_BYTES); split it into smaller "
                                "files and import them one by one")
    if Path(path).suffix.lower() in (".xlsx", ".xlsm", ".zip") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
        if unpacked > limit * XLSX_MAX_EXPANSION:
            raise UnreadableFile(f"压缩文件解压后达 {_size(unpacked)}，超过导入上限 "
                                 f"{_size(limit * XLSX_MAX_EXPANSION)}（JIZHEN_IMPORT_MAX_BYTES 的 "
                                 f"{XLSX_MAX_EXPANSION} 倍）；请把文件拆分为几个较小的文件分批导入",
                                 en=f"the compressed file unpacks to {_size(unpacked, 'en')}, over the "
                                    f"limit of {_size(limit * XLSX_MAX_EXPANSION, 'en')} ({XLSX_MAX_EXPANSION} "
                                    "times JIZHEN_IMPORT_MAX_BYTES); split it into smaller files and "
                                    "import them one by one")


def _unknown_encoding() -> UnreadableFile:
    return UnreadableFile("文件编码无法识别：既不是 UTF-8 也不是 GBK/GB18030，请另存为“CSV UTF-8”",
                          en="the file's encoding is not recognised: neither UTF-8 nor GBK/GB18030; "
                             "save it again as “CSV UTF-8”")


def detect_encoding(data: bytes, *, final: bool = True) -> str:
    """The encoding of `data`: utf-8-sig (a BOM), utf-8, or gb18030. `final=False`: `data` is
    only the start of the file, so a character cut off at its end is not an error."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(data, final)
            return encoding
        except UnicodeDecodeError:
            pass
    raise _unknown_encoding()


def detect_file_encoding(fh) -> str:
    """Detect the encoding of an open binary file from its start, read CHUNK_BYTES at a time:
    ASCII chunks are skipped (they read the same in every candidate); the decision is taken on
    DETECT_BYTES from the first non-ASCII byte (or on the rest of the file, if shorter). The file
    is left at its start."""
    sample = b""
    first = True
    while True:
        chunk = fh.read(CHUNK_BYTES)
        if first and chunk.startswith(codecs.BOM_UTF8):
            fh.seek(0)
            return "utf-8-sig"
        first = False
        if not chunk:  # end of file
            break
        if not sample:
            if chunk.isascii():
                continue
            # The bytes before the first non-ASCII byte are whole characters in every candidate.
            start = next(i for i, b in enumerate(chunk) if b >= 0x80)
            chunk = chunk[start:]
        sample += chunk
        if len(sample) >= DETECT_BYTES:
            fh.seek(0)
            return detect_encoding(sample, final=False)
    fh.seek(0)
    return detect_encoding(sample, final=True)


def read_csv(path: Path) -> Table:
    path = Path(path)
    fh = open(path, "rb", buffering=0)  # unbuffered: fh.tell() is what the decoder has read
    text = None
    try:
        encoding = detect_file_encoding(fh)
        # Undecodable bytes further down become U+DC80..U+DCFF and are reported on their row.
        text = io.TextIOWrapper(fh, encoding=encoding, errors="surrogateescape", newline="")
        first = text.readline()
        delimiter = max([",", "\t", ";"], key=first.count)
        reader = csv.reader(itertools.chain([first], text), delimiter=delimiter)
        try:
            headers = next(reader, None)
        except csv.Error as exc:
            raise UnreadableFile(f"CSV 文件无法解析：{exc}", en=f"the CSV file cannot be parsed: {exc}") from None
    except BaseException:
        (text or fh).close()
        raise
    size = path.stat().st_size

    def rows() -> Iterator[tuple[int, list[object]]]:
        name = _ENCODING_NAMES.get(encoding, encoding)
        number = 1
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise UnreadableFile(f"CSV 文件第 {number + 1} 行无法解析：{exc}",
                                         en=f"row {number + 1} of the CSV file cannot be parsed: {exc}") from None
                number += 1
                if _UNDECODABLE.search("\x1f".join(cells)):
                    cells = BadCells(cells, Reason(
                        f"含有无法识别的字符：文件按 {name} 读取，这一行的编码不同"
                        "（文件可能由几种编码拼接而成），请把整个文件另存为“CSV UTF-8”",
                        f"characters that cannot be read: the file is read as {name}, this row has "
                        "another encoding (the file may be pieced together from several encodings); "
                        "save the whole file again as “CSV UTF-8”"))
                yield number, cells
        finally:
            text.close()

    def expected_rows(done: int) -> int | None:
        if fh.closed:
            return None
        position = fh.tell()  # bytes read so far (plus the decoder's read-ahead)
        return round(done * size / position) if position else None

    if headers is None:  # an empty file
        text.close()
        return Table([], iter(()), encoding)
    return Table(list(headers), rows(), encoding, expected_rows=expected_rows, _close=text.close)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise UnreadableFile(f"Excel 文件无法打开（需要 .xlsx 格式；老式 .xls 请另存为 .xlsx）：{exc}",
                             en="the Excel file cannot be opened (the .xlsx format is needed; save an "
                                f"old .xls file as .xlsx): {exc}") from None
    try:
        if sheet is not None:
            ws = wb[sheet]
        else:
            candidates = [ws for ws in wb.worksheets if ws.title != INSTRUCTIONS_SHEET]
            if not candidates:
                raise UnreadableFile("Excel 文件中没有数据工作表",
                                     en="the Excel file has no data worksheet")
            ws = candidates[0]
        cells_by_row = ws.iter_rows(values_only=True)
        headers = list(next(cells_by_row, ()))
    except BaseException:
        wb.close()
        raise
    max_row = ws.max_row  # from the sheet's dimension record; None when the file has none

    def rows() -> Iterator[tuple[int, list[object]]]:
        try:
            for number, cells in enumerate(cells_by_row, start=2):
                yield number, list(cells)
        finally:
            wb.close()

    def expected_rows(done: int) -> int | None:
        return max(done, max_row - 1) if max_row else None

    return Table(headers, rows(), "", ws.title, expected_rows=expected_rows, _close=wb.close)


def read_table(path: Path) -> Table:
    """Open `path` as a Table (rows not read yet). Raises UnreadableFile for a file of the wrong
    type, one larger than the import limit, or one whose encoding or header cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise UnreadableFile("不支持老式 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV",
                             en="old .xls files are not supported; save it in Excel as .xlsx or CSV")
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt", ".tsv"):
        raise UnreadableFile(f"不支持的文件类型“{suffix}”：请使用 .xlsx 或 .csv",
                             en=f"the file type “{suffix}” is not supported: use .xlsx or .csv")
    check_size(path)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    return read_csv(path)


def column_label(col: Col, pos: int | None, headers: list[object]) -> str:
    if pos is None:
        return col.header
    shown = str(headers[pos]).strip() if pos < len(headers) and headers[pos] is not None else col.header
    return f"{column_letter(pos)}（{shown}）"


TEMPLATE_HINT = Reason("（可下载模板查看列名）", " (download the template to see the column names)")


def check_headers(headers: list[object], columns, report: ImportReport, *, hint: str = "") -> dict:
    """Match the header row to `columns`; duplicate and missing required columns go into
    `report` as row-1 problems. Returns field -> column position. `hint`: added to a missing
    column's reason (a Reason: its `.en` to the English)."""
    found, ignored, clashes = match_headers(headers, columns)
    report.ignored_columns = ignored
    for first, second in clashes:
        report.add(1, second, f"与“{first}”是同一列，请只保留一列",
                   f"the same column as “{first}”; keep only one of them")
    for col in columns:
        if col.required and col.field not in found:
            report.add(1, col.header, f"缺少必填列“{col.header}”{hint}",
                       f"the required column “{col.header}” is missing{getattr(hint, 'en', '')}")
    return found


def blank_required(col: Col) -> Reason:
    """The reason of an empty cell in a required column."""
    return Reason(f"“{col.header}”不能为空", f"“{col.header}” cannot be empty")


def _read(table: Table, report: ImportReport) -> Iterator[tuple[int, list[object]]]:
    """The table's rows until the problem cap is reached (then reading stops) or the file turns
    out unreadable further down (a file problem in `report`); the table is closed at the end."""
    try:
        for number, cells in table.rows:
            if report.stopped:  # too many problems: the rest is not read (nothing is written)
                break
            yield number, cells
    except UnreadableFile as exc:
        report.add(None, "", str(exc), exc.en)
    finally:
        table.close()


class Record:
    """One parsed row, used like a dict: r["f"], r.get("f"), r["f"] = v, "f" in r, dict(r).

    An import keeps every row until the whole file is checked (all or nothing), so a record
    holds its values in __slots__ (one class per kind: `_row`, `_ok`, the kind's fields and the
    fields the importers add while checking) instead of a dict per row; any other key goes
    into a small dict. Measured in benchmarks/import_memory.py."""

    __slots__ = ("_more",)
    ADDED = ("grid_id", "grid_code", "household_id", "worker_id")  # set by the importers

    def __getitem__(self, key: str):
        try:
            return getattr(self, key)
        except (AttributeError, TypeError):
            more = getattr(self, "_more", None)
            if more is not None and key in more:
                return more[key]
            raise KeyError(key) from None

    def __setitem__(self, key: str, value) -> None:
        try:
            setattr(self, key, value)
        except (AttributeError, TypeError):
            more = getattr(self, "_more", None)
            if more is None:
                more = self._more = {}
            more[key] = value

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: str) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def keys(self) -> list[str]:
        names = [k for k in type(self).__slots__ if hasattr(self, k)]
        return names + list(getattr(self, "_more", None) or ())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def items(self) -> list[tuple[str, object]]:
        return [(k, self[k]) for k in self.keys()]

    def __eq__(self, other) -> bool:
        if isinstance(other, (Record, dict)):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # mutable, like a dict

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())!r})"


_RECORD_CLASSES: dict[str, type[Record]] = {}


def record_class(kind: str) -> type[Record]:
    """The Record class of an import kind (households, visits, workers)."""
    cls = _RECORD_CLASSES.get(kind)
    if cls is None:
        fields = [c.field for c in COLUMNS[kind]]
        slots = ("_row", "_ok", *fields, *(f for f in Record.ADDED if f not in fields))
        cls = _RECORD_CLASSES[kind] = type(f"{kind.title()}Record", (Record,), {"__slots__": slots})
    return cls


def parse_rows(table: Table, kind: str, report: ImportReport, *, today: date | None,
               progress: Progress | None = None, example: dict | None = None) -> list[Record]:
    """Parse and check every cell, reading the table row by row (and closing it). Returns one
    Record per non-blank row: field -> value, plus `_row` (row number) and `_ok` (no problem in
    this row). Problems go into `report`; at the problem cap the rest of the file is not read."""
    columns = COLUMNS[kind]
    found = check_headers(table.headers, columns, report, hint=TEMPLATE_HINT)
    if report.problems:
        table.close()
        return []
    labels = {col.field: column_label(col, found.get(col.field), table.headers) for col in columns}
    make = record_class(kind)
    out: list[Record] = []
    index = 0
    for index, (number, cells) in enumerate(_read(table, report), start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress("校验", index, max(index, table.expected_rows(index) or index))
        if isinstance(cells, BadCells):
            report.add(number, "", cells.problem)
            continue
        raw = {f: (cells[p] if p < len(cells) else None) for f, p in found.items()}
        if all(is_blank(v) for v in cells):
            continue
        if example is not None and _is_example(raw, example):
            report.skipped_example_rows.append(number)
            continue
        record = make()
        record._row, record._ok = number, True
        for col in columns:
            value = raw.get(col.field)
            if is_blank(value):
                if col.required:
                    report.add(number, labels[col.field], blank_required(col))
                    record._ok = False
                setattr(record, col.field, None)
                continue
            parsed, problem = parse_cell(col.kind, value, today=today, minimum=col.minimum,
                                          max_length=col.max_length)
            if problem:
                report.add(number, labels[col.field], problem)
                record._ok = False
            setattr(record, col.field, parsed)
        out.append(record)
    if progress and index:
        progress("校验", index, index)
    report.rows = len(out) + len(report.skipped_example_rows)
    report.details["labels"] = labels
    return out


def _is_example(raw: dict, example: dict) -> bool:
    from grid.imports.values import as_text

    return all(as_text(raw.get(f)) == as_text(v) for f, v in example.items() if not is_blank(v))


def open_checked(path: Path, columns: tuple[Col, ...], report: ImportReport):
    """Open `path` and check its headers against `columns` (problems go into `report`).

    Returns (table, found, label): `found` maps a field to its column position, `label(field)` is
    how a column is named in a problem ("C（身份证号）"). On an unreadable file or bad headers the
    table is None and the caller reports. Read the rows with parse_checked_rows (it closes the
    table)."""
    from grid.imports.values import as_text

    try:
        table = read_table(Path(path))
    except UnreadableFile as exc:  # reported like every other problem, not raised
        report.add(None, "", str(exc), exc.en)
        return None, {}, str
    found = check_headers(table.headers, columns, report)
    if report.problems:
        table.close()
        return None, found, str

    def label(field: str) -> str:
        pos = found.get(field)
        hdr = next(c.header for c in columns if c.field == field)
        return hdr if pos is None else f"{column_letter(pos)}（{as_text(table.headers[pos]) or hdr}）"

    return table, found, label


def parse_checked_rows(table: Table, columns: tuple[Col, ...], found: dict, label, report: ImportReport):
    """Each non-blank row of a table opened with open_checked, cells parsed by their column kind:
    yields (row number, {field: value}); a blank required cell or a bad value is a problem in
    `report` (its value None). The caller adds its own cross-field checks. Reading stops at the
    problem cap; the table is closed at the end."""
    for number, cells in _read(table, report):
        if isinstance(cells, BadCells):
            report.add(number, "", cells.problem)
            continue
        if all(is_blank(v) for v in cells):
            continue
        rec: dict = {"_row": number}
        for col in columns:
            pos = found.get(col.field)
            raw = cells[pos] if pos is not None and pos < len(cells) else None
            if is_blank(raw):
                if col.required:
                    report.add(number, label(col.field), blank_required(col))
                rec[col.field] = None
                continue
            value, problem = parse_cell(col.kind, raw, today=None, max_length=col.max_length)
            if problem:
                report.add(number, label(col.field), problem)
                value = None
            rec[col.field] = value
        yield number, rec
