"""领导看板: the chosen month (default the last complete one) with the count behind every share,
per grid and per month (a grid × month table in colour), trends with % axes, a per-grid map,
the early-detection evaluation and where the list misses people in plain words (the honest
replay, cached per data generation, behind a switch), the model card, appeals, Excel exports.
Every number comes from grid.metrics (the leaders' facts) or grid.replay / grid.facts."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import exports, maps, state
from dashboard.texts import t
from grid.metrics import (MEDIAN_METRICS, SHARE_COUNTS, SHARE_METRICS, complete_months,
                          format_value)

LM = ["flagged", "median_days_flag_to_visit", "median_days_intake_to_aid", "small_aid_3wd_share",
      "paperwork_15wd_share", "coverage_30d", "overdue_visits"]
COUNTS = ["flags_without_visit", "visited_30d", "small_aid_on_time", "small_aid_cases",
          "small_aid_backdated", "paperwork_on_time", "paperwork_cases"]

lang, actor, url, day = state.page_start()
st.title(t("leaders.title", lang))

c1, c2 = st.columns(2)
months = c1.slider(t("leaders.months", lang), 1, 24, 6, key="leaders_months")
# Complete months only, newest first: the default is the last complete month, never today's.
choices = list(reversed(complete_months(day, months)))
month = c2.selectbox(t("leaders.period", lang), choices, format_func=lambda m: m.strftime("%Y-%m"),
                     key="leaders_month", placeholder=t("choose", lang))
result = state.leader_metrics(url, actor, day, months, month)
by_grid, trend, total = result["by_grid"], result["trend"], result["total"]
grids = state.grids(url, actor)
names = dict(zip(grids["code"], grids["name"]))


def labelled(df):
    """Chinese headers; numbers as numbers (the tables sort by value, the Excel keeps them)."""
    out = df.copy()
    for c in ["households", *LM, *COUNTS]:
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce")
    if "grid_code" in out:
        out.insert(1, "name", out["grid_code"].map(names))
    return out.rename(columns={"grid_code": t("lm.grid_code", lang), "month": t("lm.month", lang),
                               "name": t("lm.grid", lang),
                               **{c: t(f"lm.{c}", lang) for c in ["households", *LM, *COUNTS]}})


def formats() -> dict:
    """Shares as percentages, medians with one decimal, counts as integers (numbers stay
    numbers: the tables sort by value)."""
    return {t(f"lm.{c}", lang): st.column_config.NumberColumn(
        format="percent" if c in SHARE_METRICS else ("%.1f" if c in MEDIAN_METRICS else "%d"))
        for c in [*LM, *COUNTS]}


def with_count(key: str, row) -> tuple[str, str | None]:
    """A share with the count behind it ("31.0%", "155/500 户"); other indicators as they are."""
    value = format_value(key, row[key])
    if key not in SHARE_COUNTS:
        return value, None
    num, den = SHARE_COUNTS[key]
    unit = "leaders.of_households" if den == "households" else "leaders.of_cases"
    return value, t(unit, lang, num=int(row[num]), den=int(row[den]))


# ---- the headline: the chosen month for all grids in scope; the per-grid table below is the
# same month, so its counts add up to these
st.subheader(t("leaders.headline", lang, month=result["month"]))
if len(total):
    row = total.iloc[0]
    keys = ["coverage_30d", "small_aid_3wd_share", "paperwork_15wd_share", "flagged",
            "median_days_flag_to_visit", "overdue_visits"]
    cols = st.columns(3)
    for i, key in enumerate(keys):
        value, count = with_count(key, row)
        with cols[i % 3]:
            st.metric(t(f"lm.{key}", lang), value, help=t("leaders.metric_month", lang, month=result["month"]))
            if count:
                st.caption(count)
            if key == "small_aid_3wd_share" and int(row["small_aid_backdated"]):
                st.caption(t("leaders.backdated", lang, n=int(row["small_aid_backdated"])))
            if key == "flagged" and int(row["flags_without_visit"]):
                st.caption(t("leaders.unvisited_flags", lang, n=int(row["flags_without_visit"])))

st.subheader(t("leaders.by_grid", lang))
shown = by_grid[["grid_code", "households", *LM, *COUNTS]]
st.dataframe(labelled(shown), hide_index=True, width="stretch", column_config=formats())

# ---- per-grid trends: a grid × month table in colour (fixed classes for shares)
st.subheader(t("leaders.grid_month", lang))
gm_metric = st.selectbox(t("leaders.grid_month_metric", lang), LM, index=LM.index("coverage_30d"),
                         format_func=lambda k: t(f"lm.{k}", lang), key="leaders_grid_month")
tbg = result["trend_by_grid"]
pivot = tbg.pivot(index="grid_code", columns="month", values=gm_metric) if len(tbg) \
    else pd.DataFrame()
pivot.index = [names.get(c, c) for c in pivot.index]
share = gm_metric in SHARE_METRICS


def cell_style(v) -> str:
    if v is None or pd.isna(v):
        return "color:#999"
    if share:
        return f"background-color:{maps.share_colour(float(v))}"
    hi = pd.to_numeric(pivot.stack(), errors="coerce").max() if len(pivot) else 0
    level = 0 if not hi or pd.isna(hi) else float(v) / float(hi)
    return f"background-color:rgba(49,130,189,{0.1 + 0.6 * level:.2f})"


styled = pivot.style.map(cell_style).format(lambda v: format_value(gm_metric, v))
st.dataframe(styled, width="stretch")
st.caption(t("leaders.grid_month_note", lang))

# ---- trends: shares on a % axis, counts on their own
st.subheader(t("leaders.trend", lang))
shares = trend.melt(id_vars="month", value_vars=["coverage_30d", "small_aid_3wd_share",
                                                 "paperwork_15wd_share"], var_name="k")
shares["指标"] = shares["k"].map(lambda k: t(f"lm.{k}", lang))
counts = trend.melt(id_vars="month", value_vars=["flagged", "overdue_visits"], var_name="k")
counts["指标"] = counts["k"].map(lambda k: t(f"lm.{k}", lang))
c1, c2 = st.columns(2)
c1.altair_chart(alt.Chart(shares).mark_line(point=True).encode(
    x=alt.X("month:N", title=t("lm.month", lang)),
    y=alt.Y("value:Q", title=t("leaders.shares_chart", lang), axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1])),
    color=alt.Color("指标:N", legend=alt.Legend(orient="bottom", columns=1, title=None)),
    tooltip=["month", "指标", alt.Tooltip("value:Q", format=".1%")]), width="stretch")
c2.altair_chart(alt.Chart(counts).mark_bar().encode(
    x=alt.X("month:N", title=t("lm.month", lang)), xOffset="指标:N",
    y=alt.Y("value:Q", title=t("leaders.counts_chart", lang), axis=alt.Axis(format="d")),
    color=alt.Color("指标:N", legend=alt.Legend(orient="bottom", columns=1, title=None)),
    tooltip=["month", "指标", "value"]), width="stretch")
st.dataframe(labelled(trend[["month", *LM, *COUNTS]]), hide_index=True, width="stretch",
             column_config=formats())

metric = st.selectbox(t("leaders.map_metric", lang), LM, format_func=lambda k: t(f"lm.{k}", lang),
                      key="leaders_map_metric", placeholder=t("choose", lang))
values = by_grid.set_index("grid_code")[metric]
fmap = maps.build_map(grids, grid_values=values, metric=metric, lang=lang, height=420)
st_folium(fmap, height=420, use_container_width=True, key="leaders_map", returned_objects=[])

st.download_button(
    t("leaders.export", lang),
    exports.excel_bytes({"分网格": labelled(shown), "按月趋势": labelled(trend),
                         "网格按月": labelled(result["trend_by_grid"])}, actor, public=True),
    file_name=f"leaders_{day}.xlsx", key="leaders_xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

# ---- appeals per grid and month
st.subheader(t("leaders.appeals", lang))
appeals = state.appeal_counts(url, actor)
if len(appeals):
    ap = appeals.assign(grid_code=appeals["grid_code"].map(lambda c: names.get(c, c)))
    st.dataframe(ap.rename(columns={"grid_code": t("lm.grid", lang), "month": t("lm.month", lang),
                                    **{c: t(f"appeal.{c}", lang) for c in
                                       ("received", "open", "changed", "partly", "kept")}}),
                 hide_index=True, width="stretch")
else:
    st.caption(t("leaders.no_appeals", lang))

# ---- early detection and where the list misses people (the honest replay; cached per data
# generation, computed only when asked for: it takes seconds on a county's data)
st.subheader(t("leaders.early", lang))
if st.toggle(t("leaders.early_show", lang), key="leaders_early"):
    with st.spinner("…"):
        r = state.replay_groups(url, actor, day)
    m, b, setup = r["model"], r["baseline_recency"], r["setup"]

    def pct(v):
        return format_value("coverage_30d", v)

    def days(v):
        return format_value("median_days_flag_to_visit", v)

    st.write(t("leaders.early_text", lang, snapshots=setup["snapshots"],
               first=setup["first_snapshot"], last=setup["last_snapshot"], top=setup["top_frac"],
               n=setup["flagged_per_snapshot"], horizon=setup["horizon_days"],
               recall=pct(m["recall_at_10pct"]), recall_b=pct(b["recall_at_10pct"]),
               lead=days(m["median_lead_days"]), lead_b=days(b["median_lead_days"])))
    st.markdown("**" + t("leaders.misses", lang) + "**")
    for sentence in r["groups_summary"]:
        st.text(sentence)
    from risk.groups import to_excel_frames

    frames = to_excel_frames(r["groups_tables"])
    c1, c2 = st.columns(2)
    c1.caption(t("leaders.misses_by_grid", lang))
    c1.dataframe(frames["按网格"], hide_index=True, width="stretch")
    c2.caption(t("leaders.misses_by_kind", lang))
    c2.dataframe(frames["按住户类型"], hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    c1.download_button(t("leaders.misses_xlsx", lang),
                       exports.excel_bytes(frames, actor, public=True),
                       file_name=f"risk_groups_{day}.xlsx", key="leaders_groups_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    # the model card next to where the score is explained
    c2.download_button(t("leaders.card", lang),
                       exports.markdown_bytes(state.model_card(url, actor, day)),
                       file_name=f"model_card_{day}.md", mime="text/markdown",
                       key="leaders_card", help=t("leaders.card_note", lang))
