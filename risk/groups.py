"""Where the list misses people: the replay broken down by grid and by kind of household.

    g = group_metrics(detail, households, levels=("red", "orange", "yellow", "green"))
    g["by_grid"], g["by_kind"], g["calibration"], g["overall"]
    plain_summary(g)   # the same in plain Chinese sentences (leaders' page)

Inputs are the replay's detail tables (risk.evaluation.evaluate(..., detail=True)):
"snapshots" (one row per household and month-end: score, level, flagged, positive) and
"outcomes" (one row per hardship event: in_window, flagged_in_time, lead_days).

Per group (computed with fairlearn's MetricFrame, one frame per table):
- households          households of the group;
- flagged_households  households flagged (top 10%) at one snapshot or more;
- events              hardship events inside a replay window (the need the list could have found);
- missed              of those, events the list did not flag in time (no flag at a snapshot in the
                      horizon before the event);
- missed_need         missed / events, with a 95% Wilson interval (ci_low, ci_high);
- precision           flagged household-snapshots followed by an event within the horizon /
                      flagged household-snapshots;
- median_lead_days    median days from the first flag to the event, over events flagged in time.
Calibration: observed event rate (positive household-snapshots / household-snapshots) per score
band (the levels of the weights file), overall and per group.

Kinds of household (from the register as it is now; a household can be of several kinds and is
then counted in each; "others" is none of the four): KINDS.  Pure: no database.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from scipy.stats import binomtest

KINDS: dict[str, str] = {
    "elderly_alone": "独居老人户",
    "disabled": "有重度残疾人的户",
    "minors": "有未成年人的户",
    "dibao": "低保户",
    "others": "其他住户",
}
COLUMNS_ZH = {
    "group": "分组", "label": "名称", "households": "住户数", "flagged_households": "曾被列入名单的户数",
    "events": "困难事件数", "missed": "未及时列入名单的事件数", "missed_need": "漏报率",
    "ci_low": "漏报率95%区间下限", "ci_high": "漏报率95%区间上限", "precision": "精确率",
    "median_lead_days": "提前天数中位数",
}
LEVEL_LABELS = {"red": "红", "orange": "橙", "yellow": "黄", "green": "绿"}
MIN_EVENTS_FOR_WORDS = 10   # groups with fewer events are named "too few to judge" in plain words


def household_kinds(households: pd.DataFrame) -> pd.DataFrame:
    """One row per (household_id, kind) the household belongs to."""
    flags = {
        "elderly_alone": households["elderly_alone"].to_numpy(dtype=bool, na_value=False),
        "disabled": households["severe_disability"].to_numpy(dtype=bool, na_value=False),
        "minors": households["minors"].to_numpy(dtype=float, na_value=0) > 0,
        "dibao": households["dibao"].to_numpy(dtype=bool, na_value=False),
    }
    any_kind = np.zeros(len(households), dtype=bool)
    for v in flags.values():
        any_kind |= v
    flags["others"] = ~any_kind
    ids = households["id"].to_numpy()
    parts = [pd.DataFrame({"household_id": ids[v], "group": k}) for k, v in flags.items()]
    return pd.concat(parts, ignore_index=True)


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion k/n (scipy); (nan, nan) when n == 0."""
    if n <= 0:
        return (float("nan"), float("nan"))
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


# --- metrics in MetricFrame's (y_true, y_pred) form ---------------------------------------------
def _count(y_true, y_pred) -> int:
    return int(len(y_true))


def _predicted(y_true, y_pred) -> int:
    return int(np.asarray(y_pred, dtype=bool).sum())


def _missed(y_true, y_pred) -> int:
    return int((np.asarray(y_true, dtype=bool) & ~np.asarray(y_pred, dtype=bool)).sum())


def _true_positives(y_true, y_pred) -> int:
    return int((np.asarray(y_true, dtype=bool) & np.asarray(y_pred, dtype=bool)).sum())


def _median_lead(y_true, y_pred, lead) -> float:
    hit = np.asarray(y_pred, dtype=bool)
    lead = np.asarray(lead, dtype=float)[hit]
    return float(np.median(lead)) if lead.size else float("nan")


def _mean_true(y_true, y_pred) -> float:
    y = np.asarray(y_true, dtype=float)
    return float(y.mean()) if y.size else float("nan")


def _frame(table: pd.DataFrame, groups: pd.DataFrame, on: str = "household_id") -> pd.DataFrame:
    """`table` joined to the group memberships (a row per membership)."""
    return table.merge(groups, on=on, how="inner")


def _by_group(frame: pd.DataFrame, metrics: dict, **kw) -> pd.DataFrame:
    """MetricFrame(...).by_group over ``frame``'s "group" column; no rows (a small scope with no
    hardship event or no flagged snapshot yet): an empty table with the metrics' columns, which the
    caller's left join fills as zero / not applicable."""
    if frame.empty:
        return pd.DataFrame(columns=list(metrics), index=pd.Index([], name="group"), dtype=float)
    return MetricFrame(metrics=metrics, sensitive_features=frame["group"], **kw).by_group


def _group_table(hh: pd.DataFrame, ev: pd.DataFrame, snap: pd.DataFrame,
                 groups: pd.DataFrame) -> pd.DataFrame:
    h = _frame(hh, groups)
    e = _frame(ev, groups)
    s = _frame(snap[snap["flagged"]], groups)
    mh = _by_group(h, {"households": _count, "flagged_households": _predicted},
                   y_true=h["had_event"].to_numpy(), y_pred=h["ever_flagged"].to_numpy())
    me = _by_group(e, {"events": _count, "missed": _missed, "median_lead_days": _median_lead},
                   y_true=np.ones(len(e), dtype=bool), y_pred=e["flagged_in_time"].to_numpy(),
                   sample_params={"median_lead_days": {"lead": e["lead_days"].to_numpy()}})
    ms = _by_group(s, {"flagged_snapshots": _count, "flagged_hits": _true_positives},
                   y_true=s["positive"].to_numpy(), y_pred=s["flagged"].to_numpy())
    out = mh.join(me, how="left").join(ms, how="left")
    out.index.name = "group"
    out = out.reset_index()
    for col in ("households", "flagged_households", "events", "missed", "flagged_snapshots",
                "flagged_hits"):
        out[col] = out[col].fillna(0).astype(int)
    out["missed_need"] = np.where(out["events"] > 0, out["missed"] / out["events"].clip(lower=1),
                                  np.nan)
    ci = [wilson_interval(m, n) for m, n in zip(out["missed"], out["events"])]
    out["ci_low"] = [c[0] for c in ci]
    out["ci_high"] = [c[1] for c in ci]
    out["precision"] = np.where(out["flagged_snapshots"] > 0,
                                out["flagged_hits"] / out["flagged_snapshots"].clip(lower=1), np.nan)
    out["median_lead_days"] = out["median_lead_days"].astype(float)
    return out[["group", "households", "flagged_households", "events", "missed", "missed_need",
                "ci_low", "ci_high", "precision", "median_lead_days"]]


def _calibration(snap: pd.DataFrame, groups: pd.DataFrame | None, levels) -> pd.DataFrame:
    s = snap if groups is None else _frame(snap, groups)
    sf = s[["level"]] if groups is None else s[["group", "level"]]
    mf = MetricFrame(metrics={"household_snapshots": _count, "positives": _predicted,
                              "observed_rate": _mean_true},
                     y_true=s["positive"].to_numpy(), y_pred=s["positive"].to_numpy(),
                     sensitive_features=sf)
    out = mf.by_group.reset_index()
    out = out[out["household_snapshots"].notna()]      # group x level pairs with no rows
    if groups is None:
        out.insert(0, "group", "all")
    out["level"] = pd.Categorical(out["level"], categories=list(levels), ordered=True)
    out = out.sort_values(["group", "level"]).reset_index(drop=True)
    out["level"] = out["level"].astype(str)
    out["household_snapshots"] = out["household_snapshots"].astype(int)
    out["positives"] = out["positives"].astype(int)
    return out[["group", "level", "household_snapshots", "positives", "observed_rate"]]


def group_metrics(detail: dict, households: pd.DataFrame, *,
                  levels=("red", "orange", "yellow", "green"),
                  grid_names: dict[str, str] | None = None) -> dict:
    """The breakdown of one replay (see the module docstring). Returns DataFrames:
    overall (one row), by_grid, by_kind (each with a Chinese `label`), calibration (dimension,
    group, level, household_snapshots, positives, observed_rate)."""
    snap = detail["snapshots"]
    ev = detail["outcomes"]
    ev = ev[ev["in_window"]].copy()
    ev["lead_days"] = ev["lead_days"].astype(float)
    ever = snap.groupby("household_id")["flagged"].any()
    hh = pd.DataFrame({"household_id": households["id"].to_numpy()})
    hh["ever_flagged"] = hh["household_id"].map(ever).fillna(False).astype(bool).to_numpy()
    hh["had_event"] = hh["household_id"].isin(ev["household_id"]).to_numpy()
    all_groups = pd.DataFrame({"household_id": hh["household_id"], "group": "all"})
    grid_groups = pd.DataFrame({"household_id": households["id"].to_numpy(),
                                "group": households["grid_code"].astype(str).to_numpy()})
    kind_groups = household_kinds(households)
    overall = _group_table(hh, ev, snap, all_groups)
    overall["label"] = "全部住户"
    by_grid = _group_table(hh, ev, snap, grid_groups)
    names = grid_names or {}
    by_grid["label"] = [names.get(c, c) for c in by_grid["group"]]
    by_kind = _group_table(hh, ev, snap, kind_groups)
    order = {k: i for i, k in enumerate(KINDS)}
    by_kind = by_kind.sort_values("group", key=lambda s: s.map(order)).reset_index(drop=True)
    by_kind["label"] = by_kind["group"].map(KINDS)
    calibration = pd.concat([
        _calibration(snap, None, levels).assign(dimension="all"),
        _calibration(snap, grid_groups, levels).assign(dimension="grid"),
        _calibration(snap, kind_groups, levels).assign(dimension="kind"),
    ], ignore_index=True)
    calibration = calibration[["dimension", "group", "level", "household_snapshots", "positives",
                               "observed_rate"]]
    return {"overall": overall, "by_grid": by_grid, "by_kind": by_kind,
            "calibration": calibration}


def _pct(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{x:.0%}"


def plain_summary(groups: dict, *, worst: int = 3) -> list[str]:
    """Which grids and which kinds of household the list serves worst, in plain Chinese."""
    o = groups["overall"].iloc[0]
    lines = [f"全部住户：{int(o['events'])} 起困难事件中，有 {int(o['missed'])} 起事先没有列入重点名单"
             f"（漏报率 {_pct(o['missed_need'])}，95%区间 {_pct(o['ci_low'])}–{_pct(o['ci_high'])}）。"]
    for key, what in (("by_kind", "住户类型"), ("by_grid", "网格")):
        t = groups[key]
        enough = t[t["events"] >= MIN_EVENTS_FOR_WORDS].sort_values("missed_need", ascending=False)
        if enough.empty:
            lines.append(f"各{what}的困难事件都少于 {MIN_EVENTS_FOR_WORDS} 起，暂不能判断。")
            continue
        parts = []
        for r in enough.head(worst).itertuples():
            worse = "，明显高于全部住户" if r.ci_low > o["missed_need"] else ""
            parts.append(f"{r.label}（漏报 {r.missed}/{r.events} 起，{_pct(r.missed_need)}，"
                         f"95%区间 {_pct(r.ci_low)}–{_pct(r.ci_high)}{worse}）")
        lines.append(f"名单漏掉最多的{what}：" + "；".join(parts) + "。")
        few = t[(t["events"] > 0) & (t["events"] < MIN_EVENTS_FOR_WORDS)]
        if len(few):
            lines.append(f"事件太少、暂不能判断的{what}：" + "、".join(few["label"].astype(str)) + "。")
    return lines


def to_excel_frames(groups: dict) -> dict[str, pd.DataFrame]:
    """Sheets for the Excel export, Chinese headers first."""
    def zh(t: pd.DataFrame) -> pd.DataFrame:
        cols = ["label", "households", "flagged_households", "events", "missed", "missed_need",
                "ci_low", "ci_high", "precision", "median_lead_days"]
        return t[cols].rename(columns=COLUMNS_ZH)

    cal = groups["calibration"].copy()
    cal["level"] = cal["level"].map(LEVEL_LABELS).fillna(cal["level"])
    cal = cal.rename(columns={"dimension": "维度", "group": "分组", "level": "风险等级",
                              "household_snapshots": "户·月末数", "positives": "其后90天内发生事件的户·月末数",
                              "observed_rate": "实际事件率"})
    return {"按网格": zh(groups["by_grid"]), "按住户类型": zh(groups["by_kind"]),
            "全部": zh(groups["overall"]), "校准": cal}
