"""Import problems in English (an English dashboard page), Chinese exactly as before (a Chinese
page, the CLI).

Bad files (CSV/XLSX/GeoJSON made in tmp_path) go through the real validation functions; every
problem must carry an English reason with no Chinese in it except the column name (the file's own
header) and the values the file itself holds, and its Chinese line keeps the `行 N，列 X：原因`
format. A static check makes sure every problem the import modules can add (also the ones no file
here reaches) is given its English where it is made."""
from __future__ import annotations

import ast
import json
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from grid.db import init_db, make_engine, session_scope
from grid.imports.report import ImportReport, InvalidImport, Problem, Reason, format_problems
from tests.cases_fixtures import COUNTY, SUP, build_world, ident

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
TODAY = date(2026, 3, 9)
ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- helpers
def zh_line(p: Problem, unit: str) -> str:
    """The Chinese line as it has always been printed (grid.imports.report before English)."""
    col = f"列 {p.column}" if p.column else "整行"
    if p.row is None:
        return f"文件，{col}：{p.reason_zh}" if p.column else f"文件：{p.reason_zh}"
    if unit == "行":
        return f"行 {p.row}，{col}：{p.reason_zh}"
    return f"第 {p.row} 个{unit}，{col}：{p.reason_zh}"


def en_where(p: Problem, unit: str) -> str:
    what = {"行": "row", "要素": "feature"}[unit]
    if p.row is None:
        return f"file, column {p.column}" if p.column else "file"
    return f"{what} {p.row}, " + (f"column {p.column}" if p.column else "whole row")


def assert_english(report: ImportReport, file_values=()) -> list[str]:
    """Every problem has English without Chinese (but for its column and the file's own values);
    the Chinese line is unchanged. Returns the English lines."""
    assert report.problems, "the file was meant to have problems"
    lines = []
    for p in report.problems:
        assert p.line(report.unit) == zh_line(p, report.unit)
        assert p.line(report.unit, "zh") == zh_line(p, report.unit)
        assert p.reason_en, f"no English for: {p.reason_zh}"
        line = p.line(report.unit, "en")
        assert line == f"{en_where(p, report.unit)}: {p.reason_en}"
        rest = p.reason_en
        header = re.search(r"（(.*)）$", p.column)  # "C（身份证号）": the file's header
        for known in sorted({p.column, header.group(1) if header else "", *file_values}, key=len,
                            reverse=True):
            if known:
                rest = rest.replace(known, "")
        assert not CJK.search(rest), (p.reason_zh, p.reason_en)
        lines.append(line)
    return lines


def xlsx(path: Path, headers, rows) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def csv_file(path: Path, headers, rows, encoding="utf-8") -> Path:
    text = ",".join(headers) + "\n" + "".join(",".join(str(c) for c in r) + "\n" for r in rows)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("JIZHEN_TODAY", TODAY.isoformat())
    engine = make_engine(f"sqlite:///{tmp_path / 'en.db'}")
    init_db(engine)
    with session_scope(engine) as s:
        w = build_world(s)
        ids = [h.id for h in w["households"]]
    yield engine, ids
    engine.dispose()


# --------------------------------------------------------------------------- report and lines
def test_problem_english_is_additive():
    p = Problem(3, "C（类型）", "原因", "reason")
    assert p == Problem(3, "C（类型）", "原因")  # the English is not part of equality or order
    assert sorted([Problem(2, "b", "x", "z"), Problem(1, "a", "y")])[0].row == 1
    assert p.line() == "行 3，列 C（类型）：原因" and p.line("行", "en") == "row 3, column C（类型）: reason"
    assert Problem(3, "geometry", "原因", "reason").line("要素", "en") == "feature 3, column geometry: reason"
    assert Problem(3, "geometry", "原因").line("要素") == "第 3 个要素，列 geometry：原因"
    assert Problem(None, "", "原因", "reason").line(lang="en") == "file: reason"
    assert Problem(None, "编码", "原因", "reason").line(lang="en") == "file, column 编码: reason"
    assert Problem(4, "", "原因", "reason").line(lang="en") == "row 4, whole row: reason"
    # no English: the Chinese line (the page shows it rather than nothing)
    assert Problem(4, "A", "原因").line(lang="en") == "行 4，列 A：原因"
    report = ImportReport(kind="workers", source="f.csv", max_problems=10)
    report.add(2, "A", "甲")  # the old three-argument call still works
    report.add(3, "A", "乙", "b")
    report.add(4, "A", Reason("丙", "c"))
    report.add(row=5, column="A", reason_zh="丁", reason_en="d")
    assert [(p.reason_zh, p.reason_en) for p in report.problems] == [("甲", ""), ("乙", "b"), ("丙", "c"),
                                                                    ("丁", "d")]
    assert all(type(p.reason_zh) is str for p in report.problems)


def test_format_problems_in_english_and_chinese_unchanged():
    report = ImportReport(kind="workers", source="名册.csv", max_problems=10)
    report.add(3, "C（类型）", "“临时”不是“专职”或“兼职”", "“临时” is neither full-time nor part-time")
    report.add(None, "", "文件中没有数据行", "the file has no data rows")
    exc = InvalidImport(report)
    assert str(exc) == exc.text() == exc.text("zh") == (
        "名册.csv：发现 2 个问题，未写入任何数据。\n"
        "文件：文件中没有数据行\n"
        "行 3，列 C（类型）：“临时”不是“专职”或“兼职”\n"
        "请修改文件后重新导入（整个文件通过校验后才会一次性写入）。")
    assert exc.text("en") == format_problems(exc.problems, source="名册.csv", lang="en") == (
        "名册.csv: 2 problems found; nothing was written.\n"
        "file: the file has no data rows\n"
        "row 3, column C（类型）: “临时” is neither full-time nor part-time\n"
        "Please correct the file and import it again (it is written all at once, only after the "
        "whole file passes the checks).")
    report.stopped_at = 40
    head = InvalidImport(report).text("en").splitlines()[0]
    assert head == ("名册.csv: too many problems: the first 2 are listed; checking stopped at row 40 "
                    "(the rows after it were not checked); nothing was written.")
    assert str(InvalidImport(report)).splitlines()[0] == (
        "名册.csv：问题过多：已列出前 2 个，在第 40 行停止检查（其后的行未检查），未写入任何数据。")


# --------------------------------------------------------------------------- cell validators
@pytest.mark.parametrize("raw, today", [
    (None, None), (321323198001010010, None), (3.2132319800101e17, None), ("3.2132E+17", None),
    ("321323198001010010.0", None), ("32132319800101001", None), ("32132319800101001Y", None),
    ("321323198002300011", None), ("321323198001010010", None),
    ("321323198001010000", None),  # check digit wrong and ending in 00: the Excel hint added
    ("32132320990101001" + "1", date(2026, 1, 1)),
])
def test_every_id_number_problem_has_english(raw, today):
    from grid.ids import check_digit
    from grid.imports.values import parse_id

    if today is not None:  # a valid number born after today
        raw = raw[:17] + check_digit(raw[:17])
    value, reason = parse_id(raw, today=today)
    assert value is None and reason
    assert reason.en and not CJK.search(reason.en), (str(reason), reason.en)


def test_id_number_english_known_answers():
    from grid.imports.values import parse_id

    assert parse_id("321323198001010010")[1].en == "the ID number's check digit is wrong (it should be X)"
    assert parse_id("321323198001010010")[1] == "身份证号校验位错误（应为 X）"  # Chinese as before
    assert parse_id("32132319800101001")[1].en == "an ID number has 18 characters, this one 17"


@pytest.mark.parametrize("kind, raw, kw", [
    ("text", "长" * 40, {"max_length": 32}), ("float", "abc", {}), ("float", True, {}),
    ("float", "inf", {}), ("nonneg", "-5", {}), ("int", "1.5", {}), ("int", "0", {"minimum": 1}),
    ("bool", "也许", {}), ("date", 45000, {}), ("date", "2025-02-30", {}), ("date", "明天", {}),
    ("date", "2099-01-01", {"today": TODAY}), ("phone", "电话abc", {}),
])
def test_every_cell_reason_has_english(kind, raw, kw):
    from grid.imports.values import as_text, parse_cell

    value, reason = parse_cell(kind, raw, **kw)
    assert value is None and reason and reason.en, (kind, raw)
    rest = reason.en.replace(as_text(raw), "") if kind != "text" else reason.en
    assert not CJK.search(rest), reason.en


# --------------------------------------------------------------------------- roster (grid workers)
ROSTER = ["姓名", "手机号", "类型", "网格编码"]


def test_bad_roster(world, tmp_path):
    from grid.workers import validate_roster

    engine, _ = world
    values = ["临时", "G09", "无名", "长" * 33]
    path = xlsx(tmp_path / "名册.xlsx", ROSTER, [
        ["甲", "13800001111", "专职", "G01"],
        ["乙", "13800002222", "临时", "G09"],  # employment, grid
        ["丙", "13800001111", "兼职", "G02"],  # phone twice in the file
        ["丁", "13900000000", "专职", "G01"],  # an active worker's phone (build_world: 专职0)
        ["戊", "电话", "专职", "G01"],  # not a phone
        [None, "13800003333", "专职", "G01"],  # name empty
        ["长" * 33, "13800004444", None, "G01"],  # name too long, employment empty
    ])
    with session_scope(engine) as s:
        report, _ = validate_roster(path, session=s)
    lines = assert_english(report, values + ["专职0", "电话"])
    zh = [p.line() for p in report.sorted_problems()]
    # the Chinese lines exactly as before
    assert "行 3，列 C（类型）：“临时”不是“专职”或“兼职”" in zh
    assert "行 3，列 D（网格编码）：网格编码 G09 不存在" in zh
    assert "行 4，列 B（手机号）：手机号 13800001111 与第 2 行重复" in zh
    assert "行 7，列 A（姓名）：“姓名”不能为空" in zh
    assert "row 3, column D（网格编码）: there is no grid with the code G09" in lines
    assert "row 4, column B（手机号）: the phone 13800001111 is already in row 2" in lines
    assert "row 5, column B（手机号）: the phone 13900000000 already belongs to the active grid worker 专职0" in lines
    assert "row 7, column A（姓名）: “姓名” cannot be empty" in lines
    assert len(report.problems) == 8


@pytest.mark.parametrize("name, content", [
    ("名册.xls", b"old"),  # the old Excel format
    ("名册.pdf", b"%PDF"),  # another type
    ("名册.csv", b"\xd0\xd5\xc3\xfb,\xff\xfe\xff\n"),  # neither UTF-8 nor GBK
    ("名册.csv", "姓名,手机号\n甲,13800001111\n".encode()),  # required columns missing
    ("名册.csv", "姓名,网格员姓名,手机号,类型,网格编码\n".encode()),  # the same column twice, no rows
    ("名册.xlsx", b"not a zip"),
])
def test_roster_files_that_cannot_be_read(world, tmp_path, name, content):
    from grid.workers import validate_roster

    engine, _ = world
    (tmp_path / name).write_bytes(content)
    with session_scope(engine) as s:
        report, _ = validate_roster(tmp_path / name, session=s)
    assert_english(report, [Path(name).suffix, "姓名"])  # the file's own header


def test_a_row_in_another_encoding(tmp_path):
    from grid.imports.columns import WORKER_COLUMNS
    from grid.imports.tables import parse_rows, read_table

    head = ",".join(c.header for c in WORKER_COLUMNS) + "\n张三,13900000000,专职,1\n"
    filler = "王五,13900000002,兼职," + "1" * 70_000 + "\n"
    (tmp_path / "m.csv").write_bytes((head + filler).encode() + "李四,13900000001,专职,1\n".encode("gbk"))
    report = ImportReport(kind="workers", source="m.csv", max_problems=10)
    with read_table(tmp_path / "m.csv") as table:
        parse_rows(table, "workers", report, today=None)
    report.problems = [p for p in report.problems if p.row == 4]
    assert [p.line(lang="en") for p in report.problems] == [
        "row 4, whole row: characters that cannot be read: the file is read as UTF-8, this row has "
        "another encoding (the file may be pieced together from several encodings); save the whole "
        "file again as “CSV UTF-8”"]
    assert_english(report)


def test_too_large_files(tmp_path, monkeypatch):
    import zipfile

    from grid.imports.tables import UnreadableFile, check_size

    (tmp_path / "big.csv").write_bytes(b"x" * 3000)
    with pytest.raises(UnreadableFile) as e:
        check_size(tmp_path / "big.csv", limit=1000)
    assert str(e.value).startswith("文件过大：2.9 KB，超过导入上限 1000 字节")
    assert e.value.en.startswith("the file is too large: 2.9 KB, over the import limit of 1000 bytes")
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", "0" * 200_000)
    with pytest.raises(UnreadableFile) as e:
        check_size(tmp_path / "bomb.xlsx", limit=5000)
    assert e.value.en and not CJK.search(e.value.en)


# --------------------------------------------------------------------------- households and visits
HOUSEHOLDS = ["户主姓名", "户主身份证号", "家庭住址", "经度", "纬度", "家庭人口", "联系电话", "独居老人",
              "未成年人数", "重度残疾", "重病", "低保", "特困", "人均月收入（元）"]


def _household(name, number, lon=118.603, lat=33.703, more=None):
    row = {"户主姓名": name, "户主身份证号": number, "家庭住址": "演示路9号", "经度": lon, "纬度": lat,
           "家庭人口": 2, **(more or {})}
    return [row.get(h, "") for h in HOUSEHOLDS]


def test_bad_household_roster(world, tmp_path):
    from grid.imports.households import validate_households

    engine, _ = world
    good = ident(60)
    values = ["也许", "电话x", "两"]
    path = csv_file(tmp_path / "住户.csv", HOUSEHOLDS, [
        _household("甲", "321323198001010010"),  # check digit
        _household("乙", ident(61), more={"家庭人口": "两", "未成年人数": "-1", "独居老人": "也许",
                                          "人均月收入（元）": "-5", "联系电话": "电话x"}),
        _household("丙", ident(62), lon=200, lat=33.7),  # not a coordinate
        _household("丁", ident(63), lon=33.703, lat=118.603),  # swapped
        _household("戊", ident(64), lon=118.70, lat=33.80),  # outside every grid
        _household("己", good), _household("庚", good),  # twice in the file
        _household("辛", ident(1)),  # already stored (build_world)
        _household("壬", ident(65), lon=118.613, lat=33.703),  # G02: not the supervisor's grid
        _household("", ident(66)),  # name empty
    ])
    with session_scope(engine) as s:
        report, _ = validate_households(path, session=s, actor=SUP, today=TODAY)
    lines = assert_english(report, values)
    assert any(line.startswith("row 5, column D（经度）: (33.703, 118.603) is not a valid longitude/latitude; "
                               "are longitude and latitude swapped?") for line in lines), lines
    assert "行 6，列 D（经度）/E（纬度）：坐标 (118.7, 33.8) 不在任何网格内（网格外住户）" in [
        p.line() for p in report.problems]
    assert len(report.problems) >= 12


def test_household_roster_without_grids(tmp_path):
    from grid.imports.households import validate_households

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    init_db(engine)
    path = csv_file(tmp_path / "住户.csv", HOUSEHOLDS, [_household("甲", ident(70))])
    with session_scope(engine) as s:
        report, _ = validate_households(path, session=s, today=TODAY)
    assert [p.line(lang="en") for p in report.problems] == [
        "file: no grid boundaries are stored yet; import the grids first (jizhen import grids FILE)"]
    engine.dispose()
    from grid.imports.columns import HOUSEHOLD_COLUMNS
    from grid.imports.rows import read_rows

    only_example = csv_file(tmp_path / "模板.csv", [c.header for c in HOUSEHOLD_COLUMNS],
                            [[c.example for c in HOUSEHOLD_COLUMNS]])

    report = ImportReport(kind="households", source="模板.csv", max_problems=10)
    assert read_rows(only_example, "households", report, today=TODAY) == []
    assert [p.line(lang="en") for p in report.problems] == [
        "file: the file has no data rows besides the template's example row"]


VISITS = ["户主身份证号", "走访日期", "网格员姓名", "网格员电话"]


def test_bad_visits(world, tmp_path):
    from grid.imports.visits import validate_visits

    engine, _ = world
    values = ["无名", "别人", "专职0", "3.2E+17"]
    path = xlsx(tmp_path / "走访.xlsx", VISITS, [
        [ident(90), "2026-03-01", "专职0", None],  # no such household
        [ident(1), 45000, "专职0", None],  # a date stored as a number
        [ident(1), "2025-02-30", "专职0", None],  # no such day
        [ident(1), "2099-01-01", "无名", None],  # future; nobody of that name in G01
        [ident(1), "2026-03-02", None, None],  # neither name nor phone
        [ident(1), "2026-03-02", None, "13911112222"],  # no worker with that phone
        [ident(1), "2026-03-02", "别人", "13900000000"],  # the phone's worker has another name
        [ident(1), "2026-03-03", "专职0", None], [ident(1), "2026-03-03", "专职0", None],  # twice
        [321323198001010010, "2026-03-03", "专职0", None],  # an ID number stored as a number
        ["3.2E+17", "2026-03-03", "专职0", None],
        [ident(3), "2026-03-03", "专职2", None],  # G02: not the supervisor's grid
    ])
    with session_scope(engine) as s:
        report, _ = validate_visits(path, session=s, actor=SUP, today=TODAY)
    lines = assert_english(report, values)
    assert ("row 10, column B（走访日期）: the same visit as row 9 (same household, grid worker and day "
            "2026-03-03)") in lines
    assert len(report.problems) == 12


# --------------------------------------------------------------------------- grid boundaries
def _square(lon, lat, size=0.01):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                 [lon, lat + size], [lon, lat]]]}


def _feature(code, name, geometry):
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry}


def test_bad_grid_file(world, tmp_path):
    from grid.imports.grids import validate_grids

    engine, _ = world
    bowtie = {"type": "Polygon", "coordinates": [[[118.70, 33.70], [118.71, 33.71], [118.71, 33.70],
                                                  [118.70, 33.71], [118.70, 33.70]]]}
    features = [
        _feature("", "甲网格", _square(118.80, 33.80)),  # 1 code empty
        _feature("A B", "", _square(118.82, 33.80)),  # 2 code characters, name empty
        _feature("G10", "十网格", {"type": "Point", "coordinates": [118.8, 33.8]}),  # 3 a point
        _feature("G10", "十一网格", bowtie),  # 4 code twice, invalid polygon
        _feature("G12", "海外", _square(10.0, 10.0)),  # 5 outside China
        _feature("G13", "压线", _square(118.605, 33.702, 0.004)),  # 6 overlaps the stored G01
        _feature("G14", "十四", _square(118.90, 33.90)),  # 7 and 8 overlap each other
        _feature("G15", "十五", _square(118.905, 33.905)),
        _feature("X" * 33, "长" * 65, _square(118.95, 33.95)),  # 9 code and name too long
        _feature("G16", "空", None),  # 10 no geometry
    ]
    path = tmp_path / "网格.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    with session_scope(engine) as s:
        report, _ = validate_grids(path, session=s)
    assert report.unit == "要素"
    lines = assert_english(report, ["演示一网格"])
    zh = [p.line(report.unit) for p in report.problems]
    assert "第 4 个要素，列 code：网格编码 G10 与第 3 个要素重复" in zh
    assert "feature 4, column code: the grid code G10 is already used by feature 3" in lines
    assert "feature 3, column geometry: the geometry is a Point; a grid must be a polygon (Polygon/MultiPolygon)" in lines
    assert any(line.startswith("feature 6, column geometry: overlaps the stored grid G01 (演示一网格) by about")
               for line in lines), lines
    assert any(line.startswith("feature 8, column geometry: overlaps feature 7 (code G14) by about")
               for line in lines), lines
    assert len(report.problems) == 12
    text = InvalidImport(report).text("en")
    assert text.splitlines()[0] == "网格.geojson: 12 problems found; nothing was written."
    assert "feature 1, column code: the grid code is empty" in text.splitlines()


@pytest.mark.parametrize("name, content", [
    ("g.geojson", {"type": "FeatureCollection", "features": []}),
    ("g.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"编号x": "1", "说明": "无"}, "geometry": _square(118.8, 33.8)}]}),
    ("g.txt", {}),
    ("g.geojson", None),  # not there
    ("g.json", "这不是 JSON"),
])
def test_grid_files_that_cannot_be_read(world, tmp_path, name, content):
    from grid.imports.grids import validate_grids

    engine, _ = world
    path = tmp_path / name
    if isinstance(content, dict):
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    with session_scope(engine) as s:
        report, grids = validate_grids(path, session=s)
    assert grids is None
    # the file's own column names, and GDAL's message quoting the file, are the file's values
    assert_english(report, ["编号x", "说明", str(path), "这不是", "编码", "名称"])


# --------------------------------------------------------------------------- verification batch
VERIFY = ["身份证号", "核对事项", "核对结果", "核对凭证", "核对日期", "说明"]


def _application(s, hh_id):
    from cases import services as svc
    from grid.models import Household

    hh = s.get(Household, hh_id)
    c = svc.intake(session=s, actor=SUP, channel="window", category="expenditure",
                   received_on=date(2026, 3, 2), amount_yuan=300, household_id=hh_id,
                   person_id_number=hh.head_id_number)
    svc.transition(session=s, actor=SUP, case_id=c.id, name="accept", on_day=date(2026, 3, 2))
    return hh.head_id_number


def test_bad_verification_batch(world, tmp_path):
    from cases import verification as ver

    engine, hh = world
    with session_scope(engine) as s:
        id_a, id_b = _application(s, hh[0]), _application(s, hh[4])
    values = ["好的", "银行存款", "户籍登记信息", "机动车辆登记", "无异常", "有异常"]
    path = csv_file(tmp_path / "公安.csv", VERIFY, [
        (id_a, "户籍登记信息", "无异常", "公安回执1", "2026-03-05", ""),
        (id_b, "机动车辆登记", "有异常", "公安回执2", "2026-03-05", ""),  # issue without a note
        (ident(99), "户籍登记信息", "无异常", "公安回执3", "2026-03-05", ""),  # no application
        (id_a, "银行存款", "无异常", "x", "2026-03-05", ""),  # not this department's item
        (id_a, "户籍登记信息", "无异常", "dup", "2026-03-05", ""),  # same person, same item
        (id_b, "户籍登记信息", "好的", "公安回执4", "2099-01-01", ""),  # result and date
        ("12345", "户籍登记信息", "无异常", "", "2026-03-05", ""),  # bad ID number, evidence empty
    ], encoding="gb18030")
    with session_scope(engine) as s:
        with pytest.raises(InvalidImport) as e:
            ver.import_results(path, session=s, actor=COUNTY, department="县公安局", today=TODAY)
    exc = e.value
    lines = assert_english(exc.report, values)
    assert ("row 5, column B（核对事项）: “银行存款” is not a verification item of the chosen department "
            "(write the item's name as in the template, or its code: household_register, "
            "vehicles)") in lines, lines
    # what the case desk shows (dashboard/views/case_desk.py: exc.text(lang))
    en = exc.text("en").splitlines()
    assert en[0] == "公安.csv: 8 problems found; nothing was written."
    assert en[1:-1] == [p.line("行", "en") for p in exc.problems]
    assert not CJK.search(en[-1])
    zh = str(exc).splitlines()
    assert zh[0] == "公安.csv：发现 8 个问题，未写入任何数据。"
    assert "行 3，列 F（说明）：核对结果为“有异常”时须填写说明" in zh
    assert exc.text("zh") == str(exc)


def test_unknown_department(world, tmp_path):
    from cases import verification as ver

    engine, _ = world
    path = csv_file(tmp_path / "x.csv", VERIFY, [])
    with session_scope(engine) as s:
        report, _ = ver.validate_results(path, session=s, actor=COUNTY, department="火星局", today=TODAY)
    # the department names are the checklist's own (data/verification.toml), as the file uses them
    assert_english(report, ["火星局", *ver.departments()])


# --------------------------------------------------------------------------- hotline work orders
ORDERS = ["工单号", "来源", "受理日期", "姓名", "身份证号", "联系电话", "地址", "经度", "纬度", "救助类别",
          "事由", "申请金额"]


def test_bad_work_orders(world, tmp_path):
    from cases.importer import validate_work_orders

    engine, _ = world
    values = ["电报", "天灾", "张三", "W-1"]
    path = csv_file(tmp_path / "工单.csv", ORDERS, [
        ("W-1", "电报", "2026-03-01", "张三", "", "", "", "", "", "天灾", "", ""),  # channel, category
        ("W-2", "12345", "2099-01-01", "张三", "", "", "", "118.6", "", "突发意外伤害", "", "-3"),
        ("W-1", "110", "2026-03-01", "", "", "", "", "", "", "突发意外伤害", "", ""),  # twice, name empty
    ])
    with session_scope(engine) as s:
        report, _ = validate_work_orders(path, session=s, today=TODAY)
    lines = assert_english(report, values)
    assert "row 4, column A（工单号）: the work order number “W-1” is already in row 2" in lines
    assert len(report.problems) == 7


# --------------------------------------------------------------------------- none left without English
MODULES = ["grid/imports/grids.py", "grid/imports/households.py", "grid/imports/visits.py",
           "grid/imports/rows.py", "grid/imports/tables.py", "grid/imports/values.py",
           "grid/imports/columns.py", "cases/importer.py", "cases/verification.py", "grid/workers.py"]
# Third arguments of report.add that carry their English themselves (a Reason).
BILINGUAL_ARGS = {"problem", "cells.problem", "blank_required(col)"}


@pytest.mark.parametrize("module", MODULES)
def test_every_problem_is_made_with_its_english(module):
    """Static: every report.add(...) gives an English reason (a fourth argument, or a Reason from
    the validators); every UnreadableFile / GridFileError is raised with en=...; every reason a
    cell validator returns is a Reason with its English."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    missing = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr == "add" and isinstance(func.value, ast.Name)
                and func.value.id == "report"):
            if len(node.args) < 4 and ast.unparse(node.args[2]) not in BILINGUAL_ARGS:
                missing.append(f"{module}:{node.lineno} {ast.unparse(node)[:80]}")
        elif isinstance(func, ast.Name) and func.id in ("UnreadableFile", "GridFileError"):
            if not any(k.arg == "en" for k in node.keywords):
                missing.append(f"{module}:{node.lineno} {ast.unparse(node)[:80]}")
        elif isinstance(func, ast.Name) and func.id == "BadCells":
            if not (isinstance(node.args[1], ast.Call) and ast.unparse(node.args[1].func) == "Reason"):
                missing.append(f"{module}:{node.lineno} {ast.unparse(node)[:80]}")
    if module == "grid/imports/values.py":  # (None, reason) returns: the reason is a Reason
        for node in ast.walk(tree):
            if (isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple)
                    and len(node.value.elts) == 2 and ast.unparse(node.value.elts[0]) == "None"):
                reason = node.value.elts[1]
                if not (isinstance(reason, ast.Call) and ast.unparse(reason.func) == "Reason") \
                        and ast.unparse(reason) != "problem":
                    missing.append(f"{module}:{node.lineno} {ast.unparse(node)[:80]}")
    assert not missing, "\n".join(missing)
