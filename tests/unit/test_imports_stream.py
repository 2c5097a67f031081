"""Import files are read as a stream: same rows and numbering as the old whole-file reader,
reading stops at the problem cap, encodings detected from chunks, the size limit refuses up front."""
from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook

from grid.imports import tables
from grid.imports.columns import HOUSEHOLD_COLUMNS, WORKER_COLUMNS
from grid.imports.report import ImportReport, InvalidImport
from grid.imports.rows import read_rows
from grid.imports.tables import (UnreadableFile, detect_encoding, parse_rows, read_csv, read_table)
from grid.imports.values import is_blank

TODAY = date(2026, 11, 29)
HEADERS = [c.header for c in HOUSEHOLD_COLUMNS]


def old_read_csv(data: bytes) -> tuple[list, list]:
    """The whole-file reader this module replaced (decode everything, pandas), as the oracle."""
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    delimiter = max([",", "\t", ";"], key=text.split("\n", 1)[0].count)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, header=None,
                        sep=delimiter, skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL, engine="python")
    values = frame.to_numpy(dtype=object).tolist()
    return values[0], [(i + 1, cells) for i, cells in enumerate(values) if i > 0]


def _trimmed(cells) -> list:
    cells = ["" if is_blank(c) else c for c in cells]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


TRICKY = [
    ("utf-8", "户主姓名,户主身份证号,家庭住址\n张三,0321,\"众兴镇\n幸福路1号\"\n\n李四,X,\"说\"\"是\"\"\"\n,,\n王五,1,\n"),
    ("utf-8-sig", "户主姓名;户主身份证号\r\n张三;0321\r\n\r\n李四;\"a;b\"\r\n"),
    ("gbk", "户主姓名\t户主身份证号\n张三\t0321\n  \n李四\t“X”\n"),
    ("gb18030", "户主姓名,备注\n𠮷三,€ 与 ㈠\n"),
]


@pytest.mark.parametrize("encoding, text", TRICKY)
def test_stream_rows_equal_the_old_whole_file_reader(tmp_path, encoding, text):
    """Numbering (a quoted line break stays in its row, blank lines count), quoting, delimiters
    and encodings are those of the reader it replaced."""
    data = text.encode(encoding)
    (tmp_path / "a.csv").write_bytes(data)
    old_headers, old_rows = old_read_csv(data)
    with read_csv(tmp_path / "a.csv") as table:
        rows = list(table.rows)
        assert table.headers == old_headers
    assert [(n, _trimmed(c)) for n, c in rows] == [(n, _trimmed(c)) for n, c in old_rows]
    assert rows  # the comparison compared something


def _bad_households(n: int) -> str:
    lines = [",".join(HEADERS)]
    for i in range(n):  # check digit wrong and head count not a number: two problems per row
        lines.append(f"户主{i},321323198001010011,众兴镇{i}号,118.69,33.72,abc,,,,,,,,")
    return "\n".join(lines) + "\n"


class CountingFile(io.FileIO):
    """A file that counts the bytes read from it (every read of tables.read_csv goes through it)."""
    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        CountingFile.read_bytes += len(data)
        return data

    def readinto(self, buffer):
        n = super().readinto(buffer)
        CountingFile.read_bytes += n or 0
        return n


def test_problem_cap_stops_reading_the_file(tmp_path, monkeypatch):
    """1,000 bad rows (more than the encoding sample), then 2 MB of bytes no encoding reads: the
    whole-file reader refused the file as undecodable; the stream stops at the cap (200 problems,
    row 101) long before the garbage, and reads a small part of the file."""
    monkeypatch.setenv("JIZHEN_IMPORT_MAX_PROBLEMS", "200")
    path = tmp_path / "bad.csv"
    path.write_bytes(_bad_households(1000).encode("utf-8") + b"\xff\xfe\x81" * 700_000)
    with pytest.raises(UnreadableFile):
        old_read_csv(path.read_bytes())
    monkeypatch.setattr(tables, "open", lambda p, mode, buffering: CountingFile(p, "r"), raising=False)
    CountingFile.read_bytes = 0
    report = ImportReport(kind="households", source=path.name)
    read_rows(path, "households", report, today=TODAY)
    assert report.stopped_at == 101 and len(report.problems) == 200
    assert str(InvalidImport(report)).splitlines()[0] == (
        "bad.csv：问题过多：已列出前 200 个，在第 101 行停止检查（其后的行未检查），未写入任何数据。")
    assert not any("编码" in p.reason_zh or "字符" in p.reason_zh for p in report.problems)
    size = path.stat().st_size
    assert 0 < CountingFile.read_bytes < size / 20, (CountingFile.read_bytes, size)


def test_a_row_in_another_encoding_is_a_problem_of_that_row(tmp_path):
    """UTF-8 for the first 64 KB (the encoding sample), then a row saved as GBK."""
    head = ",".join(c.header for c in WORKER_COLUMNS) + "\n张三,13900000000,专职,1\n"
    filler = "王五,13900000002,兼职," + "1" * 70_000 + "\n"
    bad = "李四,13900000001,专职,1\n".encode("gbk")
    (tmp_path / "mixed.csv").write_bytes((head + filler).encode("utf-8") + bad + "赵六,13900000003,专职,1\n".encode())
    report = ImportReport(kind="workers", source="mixed.csv")
    with read_table(tmp_path / "mixed.csv") as table:
        assert table.encoding == "utf-8"
        rows = parse_rows(table, "workers", report, today=None)
    assert [r["_row"] for r in rows] == [2, 3, 5]
    assert [p.line() for p in report.sorted_problems() if p.row != 3] == [
        "行 4，整行：含有无法识别的字符：文件按 UTF-8 读取，这一行的编码不同（文件可能由几种编码拼接而成），"
        "请把整个文件另存为“CSV UTF-8”"]


def test_unparsable_csv_further_down_is_a_file_problem(tmp_path):
    text = ",".join(c.header for c in WORKER_COLUMNS) + "\n" + "李,13900000000,专职,1\n" * 3
    (tmp_path / "w.csv").write_bytes((text + "王," + "9" * (csv.field_size_limit() + 1) + ",专职,1\n")
                                     .encode("utf-8"))
    report = ImportReport(kind="workers", source="w.csv")
    with read_table(tmp_path / "w.csv") as table:
        rows = parse_rows(table, "workers", report, today=None)
    assert [r["_row"] for r in rows] == [2, 3, 4]
    assert [p.line() for p in report.problems if p.row is None] == [
        f"文件：CSV 文件第 5 行无法解析：field larger than field limit ({csv.field_size_limit()})"]


@pytest.mark.parametrize("encoding, text", [
    ("utf-8", "户主姓名,地址\n" + "张三丰,众兴镇幸福路1号\n" * 40),
    ("gb18030", "户主姓名,地址\n" + "张𠮷丰,众兴镇€路1号\n" * 40),  # 2- and 4-byte characters
])
@pytest.mark.parametrize("chunk, detect", [(1, 2), (5, 7), (7, 16), (16, 40), (4096, 4096)])
def test_encoding_detected_across_chunk_boundaries(tmp_path, monkeypatch, encoding, text, chunk, detect):
    """Every chunk and sample size cuts some multi-byte character in two; the encoding found and
    the cells read are the same as from the whole file."""
    monkeypatch.setattr(tables, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(tables, "DETECT_BYTES", detect)
    (tmp_path / "a.csv").write_bytes(text.encode(encoding))
    with read_csv(tmp_path / "a.csv") as table:
        assert table.encoding == encoding
        rows = list(table.rows)
    assert [c for _, c in rows] == [line.split(",") for line in text.splitlines()[1:]]


def test_a_cut_character_at_the_end_of_the_sample_is_not_an_error():
    data = "户主姓名,众兴镇".encode("utf-8")
    cut = data[:4]  # 户 (3 bytes) and the first byte of 主
    assert detect_encoding(cut, final=False) == "utf-8"
    assert detect_encoding(cut, final=True) != "utf-8"  # as a whole file it is not UTF-8


def test_ascii_start_then_gbk(tmp_path, monkeypatch):
    """Chunks of ASCII are skipped, the decision comes from the first non-ASCII bytes."""
    monkeypatch.setattr(tables, "CHUNK_BYTES", 64)
    text = "name,id\n" + "zhang,1\n" * 200 + "张三,2\n"
    (tmp_path / "a.csv").write_bytes(text.encode("gbk"))
    with read_csv(tmp_path / "a.csv") as table:
        assert table.encoding == "gb18030"
        assert list(table.rows)[-1] == (202, ["张三", "2"])


def test_undecodable_start_is_refused(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"\xff\xfe\x00\xd8\x81\x81\xff")
    with pytest.raises(UnreadableFile, match="编码无法识别"):
        read_csv(tmp_path / "a.csv")


def test_size_limit_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setenv("JIZHEN_IMPORT_MAX_BYTES", "1000")
    path = tmp_path / "big.csv"
    path.write_bytes(_bad_households(30).encode("utf-8"))
    monkeypatch.setattr(tables, "open", lambda *a, **k: pytest.fail("the file was opened"), raising=False)
    report = ImportReport(kind="households", source=path.name)
    assert read_rows(path, "households", report, today=TODAY) == []
    size_kb = f"{path.stat().st_size / 1024:.1f}".removesuffix(".0")
    assert [p.line() for p in report.problems] == [
        f"文件：文件过大：{size_kb} KB，超过导入上限 1000 字节（JIZHEN_IMPORT_MAX_BYTES）；"
        "请把文件拆分为几个较小的文件分批导入"]


def test_size_limit_in_megabytes_and_the_default(tmp_path):
    from jizhen.settings import get_settings

    assert get_settings({}).import_max_bytes == 64 * 2**20
    assert get_settings({"JIZHEN_IMPORT_MAX_BYTES": "5000000"}).import_max_bytes == 5_000_000
    with pytest.raises(ValueError, match="JIZHEN_IMPORT_MAX_BYTES"):
        get_settings({"JIZHEN_IMPORT_MAX_BYTES": "64MB"})
    path = tmp_path / "a.csv"
    path.write_bytes(b"a" * 3 * 2**20)
    with pytest.raises(UnreadableFile) as info:
        tables.check_size(path, 2 * 2**20)
    assert str(info.value).startswith("文件过大：3 MB，超过导入上限 2 MB")
    tables.check_size(path, 3 * 2**20)  # at the limit: accepted


def test_xlsx_that_unpacks_far_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    """A small XLSX can hold a huge sheet (a zip bomb): its unpacked size counts too."""
    wb = Workbook()
    wb.active.append(HEADERS)
    wb.active.append(["a" * 30_000] * 14)
    wb.save(tmp_path / "bomb.xlsx")
    size = (tmp_path / "bomb.xlsx").stat().st_size
    monkeypatch.setenv("JIZHEN_IMPORT_MAX_BYTES", str(size + 1))
    report = ImportReport(kind="households", source="bomb.xlsx")
    assert read_rows(tmp_path / "bomb.xlsx", "households", report, today=TODAY) == []
    assert report.problems[0].reason_zh.startswith("压缩文件解压后达")
    monkeypatch.setenv("JIZHEN_IMPORT_MAX_BYTES", str(10**6))
    with read_table(tmp_path / "bomb.xlsx") as table:
        assert len(list(table.rows)) == 1


def test_progress_while_streaming(tmp_path):
    """The total is estimated from the bytes read so far (close to the truth), the last call
    is the final count."""
    lines = [",".join(HEADERS)] + [f"户主{i},x,众兴镇幸福路{i}号,118.69,33.72,1,,,,,,,,"
                                   for i in range(2500)]
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls = []
    report = ImportReport(kind="households", source="p.csv", max_problems=10**6)
    with read_table(tmp_path / "p.csv") as table:
        parse_rows(table, "households", report, today=TODAY,
                   progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert [c[:2] for c in calls] == [("校验", 1000), ("校验", 2000), ("校验", 2500)]
    assert calls[-1][2] == 2500
    assert all(abs(total - 2500) < 250 for _, _, total in calls[:2]), calls


def test_xlsx_rows_are_streamed_with_their_numbers(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["户主姓名", "户主身份证号"])
    ws.append(["张三", "0321"])
    ws.append([None, None])
    ws.append(["李四", 12])
    wb.save(tmp_path / "a.xlsx")
    with read_table(tmp_path / "a.xlsx") as table:
        assert table.expected_rows(0) == 3
        rows = iter(table.rows)
        assert next(rows) == (2, ["张三", "0321"])
        assert [n for n, _ in rows] == [3, 4]


def test_records_are_used_like_dicts(tmp_path):
    """parse_rows keeps lean records (slots, not a dict per row); the importers read and add
    fields as with a dict."""
    from grid.imports.tables import record_class

    lines = [",".join(HEADERS), "张三,32132319800101001X,众兴镇1号,118.69,33.72,3,,是,,,,,,"]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ImportReport(kind="households", source="r.csv")
    with read_table(tmp_path / "r.csv") as table:
        (r,) = parse_rows(table, "households", report, today=TODAY)
    assert not hasattr(r, "__dict__") and isinstance(r, record_class("households"))
    assert r["_row"] == 2 and r["_ok"] is True and r["members"] == 3 and r.get("phone") is None
    assert r["elderly_alone"] is True and r.get("minors") is None
    assert "grid_id" not in r and r.get("grid_id", "none") == "none"
    with pytest.raises(KeyError):
        r["grid_id"]
    r["grid_code"], r["grid_id"] = "321323100001", 7  # what the importers add
    r["something_else"] = [1]
    assert "grid_id" in r and r["grid_id"] == 7 and r["something_else"] == [1]
    as_dict = dict(r.items())
    assert as_dict["head_id_number"] == "32132319800101001X" and as_dict["something_else"] == [1]
    assert r == as_dict and dict(r) == as_dict and len(r) == len(as_dict)
