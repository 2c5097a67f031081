"""Register facts as they were known on a day (honest replay).  Pure: DataFrames in and out.

    hh_d = households_as_of(households, facts, day)

`facts` has one row per recorded value: household_id, field, value, valid_from (the day the value
became true), recorded_on (the day it entered the register) and id (the order of writing).  On day
d a value is known when it was recorded on or before d and had become true by d; of the known
values of a field the newest (valid_from, then recorded_on, then id) wins.  A field with no known
value on d takes its "nothing recorded" default (no, 0, income unknown), so a replay never sees a
fact before it was recorded.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

# the register fields the score reads, and their value when nothing is recorded yet
REGISTER_DEFAULTS: dict[str, object] = {
    "members": 0, "elderly_alone": False, "minors": 0, "severe_disability": False,
    "serious_illness": False, "dibao": False, "tekun": False, "income_per_capita_yuan": np.nan,
}
_DTYPES = {"members": "int64", "elderly_alone": bool, "minors": "int64",
           "severe_disability": bool, "serious_illness": bool, "dibao": bool, "tekun": bool,
           "income_per_capita_yuan": float}


def prepare_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Sort once (household, field, valid_from, recorded_on, id) and keep day numbers, so that
    households_as_of is a filter and a drop_duplicates per snapshot."""
    f = facts[facts["field"].isin(list(REGISTER_DEFAULTS))].copy()
    if "id" not in f:
        f["id"] = np.arange(len(f))
    f["_vf"] = pd.to_datetime(f["valid_from"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    f["_rec"] = pd.to_datetime(f["recorded_on"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    f = f.sort_values(["household_id", "field", "_vf", "_rec", "id"], kind="stable")
    f.attrs["prepared"] = True
    return f.reset_index(drop=True)


def households_as_of(households: pd.DataFrame, facts: pd.DataFrame, day) -> pd.DataFrame:
    """`households` with every register field replaced by the value known on `day`."""
    if not facts.attrs.get("prepared"):
        facts = prepare_facts(facts)
    d = (np.datetime64(pd.Timestamp(day).date(), "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    known = facts[(facts["_rec"].to_numpy() <= d) & (facts["_vf"].to_numpy() <= d)]
    last = known.drop_duplicates(["household_id", "field"], keep="last")
    out = households.copy()
    ids = out["id"].to_numpy()
    for field, default in REGISTER_DEFAULTS.items():
        rows = last[last["field"] == field]
        values = pd.Series(rows["value"].to_numpy(), index=rows["household_id"].to_numpy())
        col = values.reindex(ids)
        col = col.where(col.notna(), default) if default is not np.nan else col
        out[field] = col.to_numpy().astype(_DTYPES[field])
    return out


def known_fields_share(households: pd.DataFrame, facts: pd.DataFrame, day) -> float:
    """Share of (household, field) pairs with a value known on `day` (a replay quality figure)."""
    if not len(households):
        return 0.0
    f = facts if facts.attrs.get("prepared") else prepare_facts(facts)
    d = (np.datetime64(pd.Timestamp(day).date(), "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    known = f[(f["_rec"].to_numpy() <= d) & (f["_vf"].to_numpy() <= d)]
    pairs = known.drop_duplicates(["household_id", "field"])
    pairs = pairs[pairs["household_id"].isin(households["id"])]
    return len(pairs) / (len(households) * len(REGISTER_DEFAULTS))


def as_date(day) -> dt.date:
    return pd.Timestamp(day).date()
