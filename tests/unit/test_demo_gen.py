"""The demo world: deterministic, the pilot's worker numbers, realistic visiting."""
from datetime import date

import numpy as np
import pytest

from grid.demo_gen import generate, split_workers
from grid.geometry import OUTSIDE, assign_to_grids, load_demo_grids
from grid.ids import id_number_problem

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def world():
    return generate(load_demo_grids(), households=3000, seed=11, today=TODAY)


def test_same_seed_same_world():
    a = generate(load_demo_grids(), households=400, seed=5, today=TODAY)
    b = generate(load_demo_grids(), households=400, seed=5, today=TODAY)
    c = generate(load_demo_grids(), households=400, seed=6, today=TODAY)
    assert a.households.equals(b.households) and a.visits.equals(b.visits) and a.events.equals(b.events)
    assert not a.households.equals(c.households)


def test_split_workers_minimum_one_and_proportional():
    out = split_workers(np.array([0, 10, 100, 1000]), 20)
    assert out.sum() == 20 and (out >= 1).all()
    assert list(out) == sorted(out)


def test_pilot_worker_numbers(world):
    w = world.workers
    assert (w["employment"] == "full_time").sum() == 54
    assert (w["employment"] == "part_time").sum() == 308
    ft = w[w["employment"] == "full_time"].groupby("grid_code").size()
    assert len(ft) == 12 and ft.min() >= 1
    per_grid = world.households.groupby("grid_code").size()
    workers = w.groupby("grid_code").size().reindex(per_grid.index)
    assert np.corrcoef(per_grid, workers)[0, 1] > 0.9  # more workers where more households


def test_households_inside_grids_with_valid_ids(world):
    hh = world.households
    grids = load_demo_grids()
    idx = assign_to_grids(hh["lon"].to_numpy(), hh["lat"].to_numpy(), grids)
    assert (idx != OUTSIDE).all()
    assert (grids["code"].to_numpy()[idx] == hh["grid_code"].to_numpy()).all()
    assert hh["head_id_number"].is_unique
    assert hh["head_id_number"].str.startswith("321323").all()
    assert all(id_number_problem(x) is None for x in hh["head_id_number"])


def test_full_time_workers_visit_more_and_coverage_is_imperfect(world):
    v = world.visits.merge(world.workers, left_on="worker_idx", right_index=True)
    per_worker = v.groupby("worker_idx").size().reindex(world.workers.index, fill_value=0)
    emp = world.workers["employment"]
    assert per_worker[emp == "full_time"].mean() > 1.5 * per_worker[emp == "part_time"].mean()
    visited = world.visits["household_idx"].nunique() / len(world.households)
    assert 0.8 < visited < 0.99
    assert world.visits["visited_on"].max() <= TODAY
    assert (TODAY - world.visits["visited_on"].min()).days <= 365


def test_hardship_events_exist_in_every_category(world):
    ev = world.events
    assert 0.01 * len(world.households) < len(ev) < 0.15 * len(world.households)
    assert set(ev["category"]) == {"housing_loss", "accidental_injury", "illness_or_disaster", "care_gap", "expenditure"}
    assert ev["occurred_on"].max() <= TODAY
