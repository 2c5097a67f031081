"""Property-based fuzzing of every importer (households, visits, grids, hotline work orders).

For each generated malformed (or occasionally valid) file: the importer either succeeds or raises
InvalidImport with a Chinese message that says nothing was written; it never crashes with any other
exception, and when it refuses a file it has written nothing (row counts and checksums of every
table, read inside the importer's own transaction before rollback). Total examples ≥ 1,000.
"""
from __future__ import annotations

import csv
import re
import io
import json
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import Session

from cases.importer import WORK_ORDER_COLUMNS
from grid.access import SYSTEM, Actor, Role
from grid.db import init_db, make_engine
from grid.imports import InvalidImport
from grid.imports.columns import HOUSEHOLD_COLUMNS, VISIT_COLUMNS
from grid.imports.tables import UnreadableFile
from grid.models import AuditEntry, CommunityGrid, Household, Visit
from tests.access_fixtures import SQUARES, small_world

TODAY = date(2026, 11, 29)
EXAMPLES = {"households": 350, "visits": 300, "work_orders": 250, "grids": 150}
COUNTS: dict[str, int] = {k: 0 for k in EXAMPLES}
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])

NASTY = ["", " ", "0", "-1", "1e308", "NaN", "inf", "是", "否", "Y", "2026-02-30", "2099-01-01",
         "32132319800101001X", "321323198001010010", "3.21323E+17", "13800000000", "abc", "１２３",
         "=HYPERLINK(\"http://x\",\"y\")", "Robert'); DROP TABLE household;--", "<b>x</b>",
         "\x00", "\ufeff", "\u202e", "a" * 300, "118.02", "33.02", "118.12", "333", "-200", "None",
         "null", "TRUE", "1/0", "2026-11-02", "12345", "110", "accidental_injury", "突发意外伤害",
         "网格走访", "12345-202611-0001"]


def _cells():
    return st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                     st.integers(-10**20, 10**20).map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(repr))


def _headers(columns):
    names = [c.header for c in columns] + [a for c in columns for a in c.headers[1:2]]
    return st.lists(st.one_of(st.sampled_from(names), st.text(max_size=12)), min_size=0, max_size=18)


def _table(columns):
    @st.composite
    def build(draw):
        heads = draw(st.one_of(st.just([c.header for c in columns]), _headers(columns)))
        width = max(1, len(heads) + draw(st.integers(-2, 2)))
        rows = draw(st.lists(st.lists(_cells(), min_size=0, max_size=width), max_size=8))
        return heads, rows
    return build()


def _encode(heads, rows, how: str, raw: bytes) -> bytes:
    if how == "raw":
        return raw
    buf = io.StringIO()
    w = csv.writer(buf)
    if heads:
        w.writerow(heads)
    for r in rows:
        w.writerow(r)
    text = buf.getvalue()
    if how == "gbk":
        return text.encode("gbk", errors="replace")
    if how == "bom":
        return text.encode("utf-8-sig")
    return text.encode("utf-8", errors="surrogatepass") if how == "utf8" else text.encode("utf-16")


def _files(columns):
    return st.tuples(_table(columns), st.sampled_from(["utf8", "utf8", "gbk", "bom", "utf16", "raw"]),
                     st.binary(max_size=300), st.sampled_from([".csv", ".csv", ".xlsx", ".CSV", ".txt"]))


def _write(tmp: Path, spec) -> Path:
    (heads, rows), how, raw, suffix = spec
    path = tmp / f"fuzz{suffix}"
    if suffix == ".xlsx" and how != "raw":
        from openpyxl import Workbook

        try:
            wb = Workbook()
            ws = wb.active
            if heads:
                ws.append(list(heads))
            for r in rows:
                ws.append([str(c)[:32000] for c in r])
            wb.save(path)
        except Exception:  # openpyxl refuses some control characters: write raw bytes instead
            path.write_bytes(raw)
    else:
        try:
            path.write_bytes(_encode(heads, rows, how, raw))
        except UnicodeEncodeError:
            path.write_bytes(raw)
    return path


def _counts(session: Session) -> tuple:
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (Household, Visit, CommunityGrid, AuditEntry))


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    engine = make_engine(url)
    init_db(engine)
    small_world(engine)
    yield engine
    engine.dispose()


def _check(engine, kind, path, run, *, strict_no_flush=True, also=()):
    """Run one import in its own transaction; always roll back so the next example starts equal.

    `also`: further exception types that count as a clean refusal (Chinese message, handled by
    the CLI), e.g. UnreadableFile from cases.importer, which does not wrap it in InvalidImport."""
    COUNTS[kind] += 1
    with Session(engine) as s:
        before = _counts(s)
        try:
            run(s, path)
        except InvalidImport as exc:
            message = str(exc)
            assert message.strip(), "InvalidImport without a message"
            assert "未写入" in message, message[:300]
            if strict_no_flush:
                assert _counts(s) == before, "rows were written before the file was refused"
        except also as exc:
            assert re.search(r"[\u4e00-\u9fff]", str(exc)), f"refusal without a Chinese message: {exc!r}"
        finally:
            s.rollback()
    with Session(engine) as s:
        assert _counts(s) == before


@settings(FUZZ, max_examples=EXAMPLES["households"])
@given(spec=_files(HOUSEHOLD_COLUMNS))
def test_fuzz_households(fuzz_engine, spec):
    from grid.imports.households import import_households

    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), spec)
        _check(fuzz_engine, "households", path,
               lambda s, p: import_households(p, session=s, actor=SYSTEM, today=TODAY))


@settings(FUZZ, max_examples=EXAMPLES["visits"])
@given(spec=_files(VISIT_COLUMNS))
def test_fuzz_visits(fuzz_engine, spec):
    from grid.imports.visits import import_visits

    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), spec)
        _check(fuzz_engine, "visits", path,
               lambda s, p: import_visits(p, session=s, actor=SYSTEM, today=TODAY))


@settings(FUZZ, max_examples=EXAMPLES["work_orders"])
@given(spec=_files(WORK_ORDER_COLUMNS))
def test_fuzz_work_orders(fuzz_engine, spec):
    from cases.importer import import_work_orders

    leader = Actor("leader", Role.TOWNSHIP_LEADER, None)
    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), spec)
        # documented: cases may be flushed, then InvalidImport; the caller's rollback removes them
        _check(fuzz_engine, "work_orders", path,
               lambda s, p: import_work_orders(p, session=s, actor=leader, today=TODAY),
               strict_no_flush=False, also=(UnreadableFile,))


def _coords():
    lon0, lat0 = SQUARES["G1"]
    num = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(117.9, 118.2),
                    st.floats(32.9, 33.1), st.sampled_from([0, 1e308, -1e308]))
    ring = st.lists(st.tuples(num, num).map(list), min_size=0, max_size=6)
    return st.one_of(ring.map(lambda r: [r]),
                     st.just([[[lon0 + 0.2, lat0], [lon0 + 0.3, lat0], [lon0 + 0.3, lat0 + 0.1],
                               [lon0 + 0.2, lat0 + 0.1], [lon0 + 0.2, lat0]]]),
                     st.just([[[lon0, lat0], [lon0 + 0.1, lat0 + 0.1], [lon0 + 0.1, lat0], [lon0, lat0 + 0.1],
                               [lon0, lat0]]]))  # bow-tie (self-intersecting)


@st.composite
def _geojson(draw):
    kind = draw(st.sampled_from(["fc", "fc", "fc", "text", "bytes"]))
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", errors="surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    feats = []
    for _ in range(draw(st.integers(0, 4))):
        props = draw(st.dictionaries(st.sampled_from(["code", "name", "网格编码", "网格名称", "x", "CODE"]),
                                     _cells(), max_size=4))
        geom_type = draw(st.sampled_from(["Polygon", "Polygon", "Point", "LineString", "MultiPolygon", "Bogus"]))
        coords = draw(_coords())
        if geom_type == "Point":
            coords = coords[0][0] if coords and coords[0] else []
        elif geom_type == "MultiPolygon":
            coords = [coords]
        feats.append({"type": "Feature", "properties": props,
                      "geometry": draw(st.one_of(st.just({"type": geom_type, "coordinates": coords}), st.none()))})
    doc = {"type": "FeatureCollection", "features": feats}
    if draw(st.booleans()):
        doc["crs"] = {"type": "name", "properties": {"name": draw(st.sampled_from(
            ["EPSG:4326", "EPSG:4490", "EPSG:3857", "EPSG:99999", "urn:ogc:def:crs:OGC:1.3:CRS84"]))}}
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), allow_nan=True)
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]  # truncated file
    return text.encode("utf-8", errors="surrogatepass")


@settings(FUZZ, max_examples=EXAMPLES["grids"])
@given(data=_geojson())
def test_fuzz_grids(fuzz_engine, data):
    from grid.imports.grids import import_grids

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "grids.geojson"
        path.write_bytes(data)
        _check(fuzz_engine, "grids", path,
               lambda s, p: import_grids(p, session=s, actor=Actor("c", Role.COUNTY_STAFF, None)))


def test_zz_fuzz_total_at_least_1000():
    """Runs last in this module: the property tests above really generated ≥ 1,000 inputs."""
    total = sum(COUNTS.values())
    print(f"\nimport fuzz examples: {COUNTS} total={total}")
    if total == 0:
        pytest.fail("run the whole module: the fuzz tests did not run")
    assert total >= 1000, COUNTS
