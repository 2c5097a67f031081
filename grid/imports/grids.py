"""`import_grids`: community-grid boundaries from GeoJSON, GeoPackage or Shapefile.

Reading: any CRS GDAL knows (e.g. CGCS2000 3-degree Gauss-Krüger EPSG:4549 / EPSG:4528) is
reprojected to EPSG:4326 lon/lat; a file without CRS is refused. Shapefile attributes use the
encoding in the `.cpg`; without one, UTF-8 is tried, then GBK (as GB18030, its superset).
Code and name columns are found by their usual Chinese or English names.

Checks: geometry present, (Multi)Polygon and valid (the reason from shapely.is_valid_reason);
coordinates land in China after reprojection (a wrong .prj shows up here); codes present and
unique; names present; no two grids overlap beyond a tiny tolerance (see OVERLAP_TOLERANCE_M2),
in the file or with grids of the database that the file does not replace. Grids are upserted by code.
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from sqlmodel import Session, select

from grid import audit
from grid.placement import placed_grid, regrid_households
from grid.access import Actor, Role, SYSTEM, require
from grid.frames import grids_frame
from grid.imports.report import ImportReport, InvalidImport, Progress
from grid.imports.tables import UnreadableFile, check_size
from grid.imports.values import as_text
from jizhen.errors import Bilingual
from grid.models import CommunityGrid

# Overlap tolerance: an intersection counts only if it is larger than OVERLAP_TOLERANCE_M2 and
# not just a sliver thinner than SLIVER_WIDTH_M along a shared boundary (digitising noise,
# coordinate rounding, reprojection).
OVERLAP_TOLERANCE_M2 = 1.0
SLIVER_WIDTH_M = 0.1
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)  # lon/lat box
# A grid code is an identifier (the 12-digit administrative code, or a county's own letters and
# digits): it goes into map layers, file names and URLs, so nothing else is accepted.
GRID_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")
CODE_NAMES = ("网格编码", "网格代码", "网格编号", "编码", "代码", "编号", "code", "grid_code", "gridcode",
              "wgbm", "bm")
NAME_NAMES = ("网格名称", "网格名", "名称", "社区名称", "社区", "name", "grid_name", "gridname", "wgmc", "mc")
SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")


class GridFileError(Bilingual, Exception):
    """The grid file cannot be read (str(): the reason in Chinese; `.en`: in English)."""

    code = "bad_grid_file"


def _has_cpg(path: Path) -> bool:
    return any(path.with_suffix(s).exists() for s in (".cpg", ".CPG", ".Cpg"))


def _pick_layer(path: Path, layer: str | None) -> str | None:
    if layer is not None:
        return layer
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise GridFileError(f"无法读取文件：{exc}", en=f"the file cannot be read: {exc}") from None
    if len(layers) <= 1:
        return None
    polygon_layers = [str(n) for n, t in layers if t and "polygon" in str(t).lower()]
    if len(polygon_layers) == 1:
        return polygon_layers[0]
    names = "、".join(str(n) for n, _ in layers)
    raise GridFileError(f"文件中有多个图层（{names}），请用 --layer 指定网格所在的图层",
                        en=f"the file has several layers ({', '.join(str(n) for n, _ in layers)}); "
                           "name the layer of the grids with --layer")


def read_grid_file(path: Path, layer: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
    """The file as a GeoDataFrame in its own CRS, and the attribute encoding used."""
    path = Path(path)
    if not path.exists():
        raise GridFileError(f"文件不存在：{path}", en=f"the file does not exist: {path}")
    if path.suffix.lower() not in SUFFIXES:
        raise GridFileError(f"不支持的文件类型“{path.suffix}”：请使用 GeoJSON、GeoPackage(.gpkg) 或 Shapefile(.shp)",
                            en=f"the file type “{path.suffix}” is not supported: use GeoJSON, "
                               "GeoPackage (.gpkg) or Shapefile (.shp)")
    try:  # the same size limit as every import (JIZHEN_IMPORT_MAX_BYTES), before reading
        check_size(path)
    except UnreadableFile as exc:
        raise GridFileError(str(exc), en=exc.en) from None
    if path.suffix.lower() == ".shp":
        for ext in (".shx", ".dbf"):
            if not (path.with_suffix(ext).exists() or path.with_suffix(ext.upper()).exists()):
                raise GridFileError(f"Shapefile 缺少 {ext} 文件（.shp、.shx、.dbf、.prj 须放在同一目录）",
                                    en=f"the Shapefile has no {ext} file (.shp, .shx, .dbf and .prj "
                                       "must be in the same folder)")
    layer = _pick_layer(path, layer)
    kwargs = {"layer": layer} if layer is not None else {}
    if path.suffix.lower() == ".shp" and not _has_cpg(path):
        for encoding in ("utf-8", "gb18030"):
            try:
                return gpd.read_file(path, encoding=encoding, **kwargs), encoding
            except UnicodeDecodeError:
                continue
        raise GridFileError("Shapefile 没有 .cpg 文件，属性表既不是 UTF-8 也不是 GBK 编码；"
                            "请补充 .cpg（内容如 GBK 或 UTF-8）后重新导入",
                            en="the Shapefile has no .cpg file and its attribute table is neither "
                               "UTF-8 nor GBK; add a .cpg (containing e.g. GBK or UTF-8) and import again")
    try:
        frame = gpd.read_file(path, **kwargs)
    except UnicodeDecodeError:
        raise GridFileError("属性表编码与 .cpg 中声明的不一致，请检查 .cpg 文件",
                            en="the attribute table's encoding is not the one the .cpg declares; "
                               "check the .cpg file") from None
    except Exception as exc:
        raise GridFileError(f"无法读取文件：{exc}", en=f"the file cannot be read: {exc}") from None
    return frame, "cpg" if path.suffix.lower() == ".shp" else ""


def _norm(text: str) -> str:
    return str(text).strip().lower().replace(" ", "").replace("_", "")


def find_column(columns, candidates) -> str | None:
    """The first column named like a candidate (exact, case-insensitive); else a column whose
    name is a truncated candidate (DBF field names are cut to 10 bytes)."""
    cols = [c for c in columns if c != "geometry"]
    normed = {_norm(c): c for c in cols}
    for cand in candidates:
        if _norm(cand) in normed:
            return normed[_norm(cand)]
    for cand in candidates:
        for key, col in normed.items():
            if len(key) >= 2 and _norm(cand).startswith(key):
                return col
    return None


def validate_grids(path: Path, *, session: Session | None = None, layer: str | None = None,
                   progress: Progress | None = None
                   ) -> tuple[ImportReport, gpd.GeoDataFrame | None]:
    """Read and check a grid file. Returns the report and the grids (code, name, geometry in
    EPSG:4326); `session` (optional) adds the overlap check against grids already stored."""
    path = Path(path)
    report = ImportReport(kind="grids", source=path.name, unit="要素")
    try:
        raw, encoding = read_grid_file(path, layer)
    except GridFileError as exc:
        report.add(None, "", str(exc), exc.en)
        return report, None
    report.rows = len(raw)
    report.details["encoding"] = encoding
    if raw.empty:
        report.add(None, "", "文件中没有任何要素", "the file has no features")
        return report, None
    if raw.crs is None:
        report.add(None, "", "文件没有坐标系（Shapefile 缺少 .prj，或图层未定义坐标参考系），"
                             "无法换算为经纬度；请向提供方索取带坐标系的文件（如 CGCS2000 / EPSG:4549）",
                   "the file has no coordinate system (a Shapefile without .prj, or a layer without a "
                   "CRS), so it cannot be converted to longitude/latitude; ask the supplier for a "
                   "file with its coordinate system (e.g. CGCS2000 / EPSG:4549)")
        return report, None
    report.details["crs"] = raw.crs.to_string()
    code_col = find_column(raw.columns, CODE_NAMES)
    name_col = find_column(raw.columns, NAME_NAMES)
    present = "、".join(str(c) for c in raw.columns if c != "geometry") or "（无属性列）"
    present_en = ", ".join(str(c) for c in raw.columns if c != "geometry") or "(no attribute columns)"
    if code_col is None:
        report.add(None, "编码", f"找不到网格编码列（可用列名：网格编码、编码、code）；文件中的列：{present}",
                   f"no grid code column (name it code or grid_code, or its usual Chinese "
                   f"name); the file's columns: {present_en}")
    if name_col is None:
        report.add(None, "名称", f"找不到网格名称列（可用列名：网格名称、名称、name）；文件中的列：{present}",
                   f"no grid name column (name it name or grid_name, or its usual Chinese "
                   f"name); the file's columns: {present_en}")
    if code_col is None or name_col is None:
        return report, None
    report.details["columns"] = {"code": code_col, "name": name_col}

    codes = [as_text(v) for v in raw[code_col]]
    names = [as_text(v) for v in raw[name_col]]
    first_code: dict[str, int] = {}
    for i, (code, name) in enumerate(zip(codes, names), start=1):
        if not code:
            report.add(i, code_col, "网格编码为空", "the grid code is empty")
        elif len(code) > 32:
            report.add(i, code_col, f"网格编码过长（{len(code)} 位，最多 32 位）",
                       f"the grid code is too long ({len(code)} characters, at most 32)")
        elif not GRID_CODE.fullmatch(code):
            report.add(i, code_col, "网格编码只能由字母、数字、“-”和“_”组成（如 321323100001）",
                       "a grid code has only letters, digits, “-” and “_” (like 321323100001)")
        elif code in first_code:
            report.add(i, code_col, f"网格编码 {code} 与第 {first_code[code]} 个要素重复",
                       f"the grid code {code} is already used by feature {first_code[code]}")
        else:
            first_code[code] = i
        if not name:
            report.add(i, name_col, "网格名称为空", "the grid name is empty")
        elif len(name) > 64:
            report.add(i, name_col, f"网格名称过长（{len(name)} 字，最多 64 字）",
                       f"the grid name is too long ({len(name)} characters, at most 64)")

    geoms = np.array([None if g is None else shapely.force_2d(g) for g in raw.geometry], dtype=object)
    usable = np.zeros(len(raw), dtype=bool)
    for i, g in enumerate(geoms, start=1):
        if g is None or g.is_empty:
            report.add(i, "geometry", "没有几何图形（空要素）", "no geometry (an empty feature)")
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            report.add(i, "geometry", f"几何类型为 {g.geom_type}，网格必须是面（Polygon/MultiPolygon）",
                       f"the geometry is a {g.geom_type}; a grid must be a polygon (Polygon/MultiPolygon)")
        elif not shapely.is_valid(g):
            reason = shapely.is_valid_reason(g)
            report.add(i, "geometry", f"多边形无效：{reason}（可在 GIS 软件中“修复几何”后再导出）",
                       f"invalid polygon: {reason} (repair the geometry in the GIS software and export again)")
        else:
            usable[i - 1] = True
    if progress:
        progress("校验", len(raw), len(raw))

    lonlat = gpd.GeoSeries(list(geoms), crs=raw.crs).to_crs(4326)
    minx, miny, maxx, maxy = CHINA_BOUNDS
    for i, g in enumerate(lonlat, start=1):
        if not usable[i - 1]:
            continue
        bx0, by0, bx1, by1 = g.bounds
        if not (np.isfinite([bx0, by0, bx1, by1]).all() and minx <= bx0 and bx1 <= maxx
                and miny <= by0 and by1 <= maxy):
            report.add(i, "geometry", f"换算为经纬度后位于 ({bx0:.4f}, {by0:.4f})，不在中国境内；"
                                      f"文件声明的坐标系 {raw.crs.to_string()} 可能与实际坐标不符",
                       f"converted to longitude/latitude it lies at ({bx0:.4f}, {by0:.4f}), outside "
                       f"China; the file's declared coordinate system {raw.crs.to_string()} may not "
                       "be the one of its coordinates")
            usable[i - 1] = False
        elif not shapely.is_valid(g):
            reason = shapely.is_valid_reason(g)
            report.add(i, "geometry", f"换算为经纬度后多边形无效：{reason}",
                       f"the polygon is invalid once converted to longitude/latitude: {reason}")
            usable[i - 1] = False

    # Overlaps, measured in metres (UTM zone of the data).
    idx = np.flatnonzero(usable)
    if idx.size:
        file_ll = lonlat.iloc[idx]
        others = gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=4326)
        if session is not None:
            stored = grids_frame(session.connection(), SYSTEM)
            others = stored[~stored["code"].isin(set(codes))]
        utm = file_ll.estimate_utm_crs()
        file_m = file_ll.to_crs(utm).to_numpy()
        _overlaps_within(report, file_m, idx, codes)
        if len(others):
            _overlaps_with_stored(report, file_m, idx, others.to_crs(utm))

    grids = gpd.GeoDataFrame({"code": codes, "name": names}, geometry=list(lonlat), crs=4326)
    return report, grids


def _overlap_area(a, b) -> float:
    """Area (m²) of a real overlap of a and b, 0 for touching or a thin sliver."""
    inter = shapely.intersection(a, b)
    area = float(shapely.area(inter))
    if area <= OVERLAP_TOLERANCE_M2 or shapely.buffer(inter, -SLIVER_WIDTH_M / 2).is_empty:
        return 0.0
    return area


def _overlaps_within(report: ImportReport, geoms_m, idx, codes) -> None:
    tree = shapely.STRtree(geoms_m)
    left, right = tree.query(geoms_m, predicate="intersects")
    for a, b in zip(left, right):
        if a >= b:
            continue
        area = _overlap_area(geoms_m[a], geoms_m[b])
        if area:
            i, j = int(idx[a]) + 1, int(idx[b]) + 1
            report.add(j, "geometry", f"与第 {i} 个要素（编码 {codes[i - 1]}）重叠约 {area:,.0f} 平方米，"
                                      "网格之间不能重叠",
                       f"overlaps feature {i} (code {codes[i - 1]}) by about {area:,.0f} square "
                       "metres; grids cannot overlap")


def _overlaps_with_stored(report: ImportReport, geoms_m, idx, stored) -> None:
    stored_geoms = stored.geometry.to_numpy()
    tree = shapely.STRtree(stored_geoms)
    left, right = tree.query(geoms_m, predicate="intersects")
    for a, b in zip(left, right):
        area = _overlap_area(geoms_m[a], stored_geoms[b])
        if area:
            row = stored.iloc[b]
            report.add(int(idx[a]) + 1, "geometry",
                       f"与系统中已有网格 {row['code']}（{row['name']}）重叠约 {area:,.0f} 平方米",
                       f"overlaps the stored grid {row['code']} ({row['name']}) by about "
                       f"{area:,.0f} square metres")


# Who imports grid boundaries: county staff (系统管理, the county GIS office; README), and the CLI as SYSTEM.
BOUNDARY_IMPORTERS = (Role.COUNTY_STAFF,)


def import_grids(path: Path, *, session: Session, actor: Actor = SYSTEM, layer: str | None = None,
                 progress: Progress | None = None, dry_run: bool = False) -> ImportReport:
    """Validate the whole file, then insert new grids and update existing ones by code."""
    require(actor, *BOUNDARY_IMPORTERS)
    report, grids = validate_grids(path, session=session, layer=layer, progress=progress)
    if report.problems or grids is None:
        raise InvalidImport(report)
    if dry_run:
        return report
    existing = {g.code: g for g in session.exec(select(CommunityGrid)).all()}
    created, updated = [], []
    for n, row in enumerate(grids.itertuples(), start=1):
        wkt = shapely.to_wkt(row.geometry, rounding_precision=-1)
        grid = existing.get(row.code)
        if grid is None:
            session.add(CommunityGrid(code=row.code, name=row.name, geometry_wkt=wkt))
            created.append(row.code)
        else:
            grid.name, grid.geometry_wkt = row.name, wkt
            session.add(grid)
            updated.append(row.code)
        if progress:
            progress("写入", n, len(grids))
    session.flush()
    report.created, report.updated = len(created), len(updated)
    # New boundaries: households are placed again in the same transaction.
    placement = regrid_households(session)
    report.details["households_moved"] = placement["moved"]
    report.details["households_outside"] = placement["outside"]
    report.details["households_kept_by_hand"] = placement["kept_by_hand"]
    audit.record(session, actor=actor, action="import.grids", entity="community_grid",
                 after={"file": report.source, "created": created, "updated": updated,
                        "households_moved": placement["moved"],
                        "households_outside": placement["outside"],
                        "households_kept_by_hand": placement["kept_by_hand"],
                        "crs": report.details.get("crs"), "encoding": report.details.get("encoding")},
                 reason=f"导入网格边界 {report.source}")
    return report


def preview_grids(path: Path, *, session: Session, actor: Actor, layer: str | None = None,
                  sample: int = 200) -> dict:
    """Dry run of an import: what the new boundaries would do, nothing written.

    Returns the report, the file's grids (lon/lat), which grids would be created or updated, and
    the consequences for the households: how many would move to another grid (by from → to), how
    many would fall outside every grid, and a sample of each (masked). Raises InvalidImport when
    the file has problems (the same checks as import_grids).
    """
    import pandas as pd

    from grid.geometry import grid_codes_for
    from grid.models import Household
    from grid.privacy import mask_name

    require(actor, *BOUNDARY_IMPORTERS)
    report, grids = validate_grids(path, session=session, layer=layer)
    if report.problems or grids is None:
        raise InvalidImport(report)
    stored = grids_frame(session.connection(), SYSTEM)
    new_codes = set(grids["code"])
    kept = stored[~stored["code"].isin(new_codes)][["code", "name", "geometry"]]
    merged = gpd.GeoDataFrame(pd.concat([kept, grids[["code", "name", "geometry"]]], ignore_index=True),
                              geometry="geometry", crs=4326)
    hh = session.exec(select(Household.id, Household.head_name, Household.address, Household.lon,
                             Household.lat, Household.grid_id, Household.grid_by_hand)
                      .order_by(Household.id)).all()
    code_of_id = dict(zip(stored["id"], stored["code"])) if len(stored) else {}
    moved, outside, pairs, outside_total, kept_by_hand = [], [], {}, 0, 0
    if hh:
        lon = np.array([h[3] for h in hh], dtype=float)
        lat = np.array([h[4] for h in hh], dtype=float)
        existing = set(merged["code"])
        placed = [placed_grid(point, code_of_id.get(h[5]) if h[5] is not None else None, bool(h[6]), existing)
                  for h, point in zip(hh, grid_codes_for(lon, lat, merged))]
        outside_total = sum(1 for code, _hand in placed if code is None)
        kept_by_hand = sum(1 for _code, hand in placed if hand)
        for h, (new, _hand) in zip(hh, placed):
            old = code_of_id.get(h[5]) if h[5] is not None else None
            if old == new:
                continue
            row = {"id": h[0], "head_name": mask_name(h[1]), "address": h[2], "from_code": old or "",
                   "to_code": new or ""}
            if new is None:
                outside.append(row)
            else:
                moved.append(row)
            pairs[(old or "", new or "")] = pairs.get((old or "", new or ""), 0) + 1
    stored_codes = set(stored["code"])
    return {"report": report, "grids": grids,
            "created": sorted(new_codes - stored_codes), "updated": sorted(new_codes & stored_codes),
            # moved/outside: households whose grid would change (outside: newly outside every
            # grid); outside_total: all households outside after the import (as import_grids says)
            "moved": len(moved), "outside": len(outside), "outside_total": outside_total,
            "kept_by_hand": kept_by_hand,
            "moved_sample": moved[:sample], "outside_sample": outside[:sample],
            "by_pair": [{"from_code": a, "to_code": b, "households": n}
                        for (a, b), n in sorted(pairs.items())]}
