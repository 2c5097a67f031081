"""Small hand-made world for case tests: two square grids, a few households and workers."""
from __future__ import annotations

from datetime import date

from grid.access import Actor, Role
from grid.ids import make_id_number
from grid.models import CommunityGrid, GridWorker, Household

SUP = Actor("网格长甲", Role.GRID_SUPERVISOR, frozenset({"G01"}))
SUP2 = Actor("网格长乙", Role.GRID_SUPERVISOR, frozenset({"G02"}))
WORKER = Actor("网格员丙", Role.GRID_WORKER, frozenset({"G01"}))
LEADER = Actor("镇领导丁", Role.TOWNSHIP_LEADER, None)
COUNTY = Actor("县民政戊", Role.COUNTY_STAFF, None)
AUDITOR = Actor("审计己", Role.AUDITOR, None)

# G01: lon 118.60–118.61, lat 33.70–33.71; G02: lon 118.61–118.62
G01 = "POLYGON((118.60 33.70, 118.61 33.70, 118.61 33.71, 118.60 33.71, 118.60 33.70))"
G02 = "POLYGON((118.61 33.70, 118.62 33.70, 118.62 33.71, 118.61 33.71, 118.61 33.70))"


def ident(n: int) -> str:
    return make_id_number("321323", date(1960, 1, 1 + n % 28), n)


def build_world(session) -> dict:
    g1 = CommunityGrid(code="G01", name="演示一网格", geometry_wkt=G01)
    g2 = CommunityGrid(code="G02", name="演示二网格", geometry_wkt=G02)
    session.add_all([g1, g2])
    session.flush()
    hh = []
    specs = [
        # name, grid, lon, lat, members, income, phone, address, severe
        ("王甲一", g1, 118.603, 33.703, 3, 600.0, "13800000001", "演示路1号", False),
        ("李乙二", g1, 118.604, 33.704, 4, 1100.0, "13800000002", "演示路2号", True),
        ("张丙三", g2, 118.613, 33.703, 2, 900.0, "13800000003", "样例街3号", False),
        ("张丙三", g2, 118.614, 33.704, 1, 900.0, "13800000004", "样例街4号", False),  # namesake
        ("赵丁四", g1, 118.605, 33.705, 1, 300.0, "13800000005", "演示路5号", False),
    ]
    for i, (name, g, lon, lat, members, income, phone, addr, severe) in enumerate(specs):
        h = Household(address=addr, lon=lon, lat=lat, grid_id=g.id, members=members,
                      head_name=name, head_id_number=ident(i + 1), phone=phone,
                      income_per_capita_yuan=income, severe_disability=severe)
        session.add(h)
        hh.append(h)
    for i, g in enumerate([g1, g1, g2, g2]):
        session.add(GridWorker(name=f"专职{i}", phone=f"1390000000{i}", employment="full_time",
                               grid_id=g.id))
    session.flush()
    return {"households": hh, "grids": (g1, g2)}
