"""Reading and checking grid files without a database: encodings, CRSs, geometry rules."""
from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from grid.geometry import load_demo_grids
from grid.imports.grids import find_column, validate_grids

warnings.filterwarnings("ignore", message=".*(Normalized/laundered|truncated).*")


@pytest.fixture(scope="module")
def demo():
    return load_demo_grids()


def as_county_file(demo: gpd.GeoDataFrame, epsg: int, code="网格编码", name="网格名称") -> gpd.GeoDataFrame:
    return demo.to_crs(epsg).rename(columns={"code": code, "name": name})


def assert_same_grids(got: gpd.GeoDataFrame, demo: gpd.GeoDataFrame, tol_deg: float = 1e-7) -> None:
    got = got.sort_values("code", ignore_index=True)
    assert got["code"].tolist() == demo["code"].tolist()
    assert got["name"].tolist() == demo["name"].tolist()
    assert got.crs.to_epsg() == 4326
    for a, b in zip(got.geometry, demo.geometry):
        assert shapely.hausdorff_distance(a, b) < tol_deg  # ~1 cm


def strip_ldid(dbf_path):
    """Zero the DBF language-driver byte, as many county exports do: then only .cpg tells."""
    data = bytearray(dbf_path.read_bytes())
    data[29] = 0
    dbf_path.write_bytes(bytes(data))


def test_shapefile_4549_gbk_with_cpg(tmp_path, demo):
    path = tmp_path / "网格.shp"
    as_county_file(demo, 4549).to_file(path, encoding="GBK")
    assert path.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    report, grids = validate_grids(path)
    assert report.problems == []
    assert report.details["crs"] == "EPSG:4549"
    assert_same_grids(grids, demo)


def test_shapefile_gbk_without_cpg(tmp_path, demo):
    path = tmp_path / "grids.shp"
    as_county_file(demo, 4549).to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    strip_ldid(path.with_suffix(".dbf"))
    # Without help GDAL would read GBK bytes as Latin-1 (mojibake):
    assert "网格编码" not in gpd.read_file(path).columns
    report, grids = validate_grids(path)
    assert report.problems == [] and report.details["encoding"] == "gb18030"
    assert_same_grids(grids, demo)


def test_shapefile_utf8_without_cpg(tmp_path, demo):
    path = tmp_path / "grids.shp"
    as_county_file(demo, 4549, code="code", name="name").to_file(path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    strip_ldid(path.with_suffix(".dbf"))
    report, grids = validate_grids(path)
    assert report.problems == [] and report.details["encoding"] == "utf-8"
    assert_same_grids(grids, demo)


def test_geopackage_4528(tmp_path, demo):
    path = tmp_path / "grids.gpkg"
    as_county_file(demo, 4528, code="编码", name="名称").to_file(path, layer="网格", driver="GPKG")
    report, grids = validate_grids(path)
    assert report.problems == [] and report.details["crs"] == "EPSG:4528"
    assert_same_grids(grids, demo)


def test_geojson_lonlat(tmp_path, demo):
    path = tmp_path / "grids.geojson"
    demo.to_file(path, driver="GeoJSON")
    report, grids = validate_grids(path)
    assert report.problems == []
    assert_same_grids(grids, demo, tol_deg=1e-9)


def test_numeric_codes_become_text(tmp_path, demo):
    frame = demo.copy()
    frame["code"] = frame["code"].astype("int64")
    frame.to_crs(4549).to_file(tmp_path / "g.shp", encoding="UTF-8")
    report, grids = validate_grids(tmp_path / "g.shp")
    assert report.problems == [] and sorted(grids["code"]) == demo["code"].tolist()


def test_missing_crs_is_an_error(tmp_path, demo):
    path = tmp_path / "grids.shp"
    as_county_file(demo, 4549).to_file(path, encoding="GBK")
    path.with_suffix(".prj").unlink()
    report, grids = validate_grids(path)
    assert grids is None
    assert len(report.problems) == 1 and "坐标系" in report.problems[0].reason_zh
    assert report.problems[0].row is None


def test_wrong_crs_lands_outside_china(tmp_path, demo):
    # EPSG:4528 coordinates (easting with zone prefix 40) declared as EPSG:4549.
    frame = demo.to_crs(4528).set_crs(4549, allow_override=True)
    frame.to_file(tmp_path / "g.gpkg", driver="GPKG")
    report, _ = validate_grids(tmp_path / "g.gpkg")
    assert len(report.problems) == 12
    assert all("不在中国境内" in p.reason_zh for p in report.problems)


def test_columns_not_found(tmp_path, demo):
    demo.rename(columns={"code": "foo", "name": "bar"}).to_file(tmp_path / "g.geojson")
    report, grids = validate_grids(tmp_path / "g.geojson")
    assert grids is None
    reasons = " ".join(p.reason_zh for p in report.problems)
    assert "找不到网格编码列" in reasons and "找不到网格名称列" in reasons and "foo" in reasons


def test_find_column_truncated_dbf_names():
    assert find_column(["FID", "网格编", "geometry"], ("网格编码", "code")) == "网格编"
    assert find_column(["Code", "NAME"], ("网格编码", "code")) == "Code"
    assert find_column(["other"], ("网格编码", "code")) is None


def _square_grids(tmp_path, geoms, codes=None, names=None, name="g.geojson"):
    n = len(geoms)
    frame = gpd.GeoDataFrame({"code": codes or [f"G{i:02d}" for i in range(1, n + 1)],
                              "name": names or [f"第{i}网格" for i in range(1, n + 1)]},
                             geometry=geoms, crs=4326)
    path = tmp_path / name
    frame.to_file(path)
    return path


def test_invalid_polygon_explained(tmp_path):
    bowtie = Polygon([(118.68, 33.70), (118.70, 33.72), (118.70, 33.70), (118.68, 33.72)])
    path = _square_grids(tmp_path, [box(118.60, 33.70, 118.62, 33.72), bowtie])
    report, _ = validate_grids(path)
    assert len(report.problems) == 1
    p = report.problems[0]
    assert p.row == 2 and "多边形无效" in p.reason_zh and "Self-intersection" in p.reason_zh


def test_overlapping_polygons(tmp_path):
    a = box(118.60, 33.70, 118.62, 33.72)
    b = box(118.61, 33.70, 118.63, 33.72)  # half of a: ~1 km x 2 km
    c = box(118.62, 33.70, 118.64, 33.72)  # touches a, overlaps b
    report, _ = validate_grids(_square_grids(tmp_path, [a, b, c]))
    rows = sorted((p.row, p.reason_zh.split("（")[0]) for p in report.problems)
    assert rows == [(2, "与第 1 个要素"), (3, "与第 2 个要素")]
    assert all("重叠约" in p.reason_zh for p in report.problems)


def test_sliver_below_tolerance_is_not_an_overlap(tmp_path):
    a = box(118.60, 33.70, 118.62, 33.72)
    b = box(118.62 - 1e-8, 33.70, 118.64, 33.72)  # ~1 mm wide, 2.2 km long sliver (~2 m²)
    report, _ = validate_grids(_square_grids(tmp_path, [a, b]))
    assert report.problems == []
    c = box(118.62 - 1e-4, 33.70, 118.64, 33.72)  # ~9 m wide strip: a real overlap
    report, _ = validate_grids(_square_grids(tmp_path, [a, c], name="c.geojson"))
    assert len(report.problems) == 1 and "重叠约" in report.problems[0].reason_zh


def test_duplicate_codes_and_empty_names(tmp_path):
    geoms = [box(118.60 + i * 0.02, 33.70, 118.62 + i * 0.02, 33.72) for i in range(3)]
    path = _square_grids(tmp_path, geoms, codes=["A", "A", ""], names=["一", " ", "三"])
    report, _ = validate_grids(path)
    got = sorted((p.row, p.reason_zh) for p in report.problems)
    assert got == [(2, "网格名称为空"), (2, "网格编码 A 与第 1 个要素重复"), (3, "网格编码为空")]


def test_points_are_not_grids(tmp_path):
    frame = gpd.GeoDataFrame({"code": ["A"], "name": ["一"]},
                             geometry=[shapely.Point(118.6, 33.7)], crs=4326)
    frame.to_file(tmp_path / "p.geojson")
    report, _ = validate_grids(tmp_path / "p.geojson")
    assert "网格必须是面" in report.problems[0].reason_zh


def test_unsupported_and_incomplete_files(tmp_path, demo):
    (tmp_path / "g.kml").write_text("x")
    assert "不支持" in validate_grids(tmp_path / "g.kml")[0].problems[0].reason_zh
    as_county_file(demo, 4549).to_file(tmp_path / "g.shp", encoding="GBK")
    (tmp_path / "g.dbf").unlink()
    assert ".dbf" in validate_grids(tmp_path / "g.shp")[0].problems[0].reason_zh


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_geojson_with_projected_coordinates_but_no_crs(tmp_path, demo):
    # GeoJSON without a "crs" member is read as lon/lat; metres then land far outside China.
    frame = demo.to_crs(4549)
    frame = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=list(frame.geometry))  # no CRS
    frame.to_file(tmp_path / "g.geojson", driver="GeoJSON")
    report, _ = validate_grids(tmp_path / "g.geojson")
    assert len(report.problems) == 12
    assert all("不在中国境内" in p.reason_zh for p in report.problems)


def test_geopackage_with_several_layers(tmp_path, demo):
    path = tmp_path / "multi.gpkg"
    demo.iloc[:6].to_file(path, layer="旧网格", driver="GPKG")
    demo.to_crs(4528).to_file(path, layer="网格2026", driver="GPKG")
    report, grids = validate_grids(path)
    assert grids is None and "--layer" in report.problems[0].reason_zh
    assert "网格2026" in report.problems[0].reason_zh
    report, grids = validate_grids(path, layer="网格2026")
    assert report.problems == []
    assert_same_grids(grids, demo)
