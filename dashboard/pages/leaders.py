"""领导看板: early-intervention metrics per grid and per month, a per-grid map, Excel export."""
from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import exports, maps, state
from dashboard.texts import t
from grid.metrics import MEDIAN_METRICS, SHARE_METRICS, complete_months, format_value

LM = ["flagged", "median_days_flag_to_visit", "median_days_intake_to_aid", "small_aid_3wd_share",
      "paperwork_15wd_share", "coverage_30d", "overdue_visits"]

lang, actor, url, day = state.page_start()
st.title(t("leaders.title", lang))

c1, c2 = st.columns(2)
months = c1.slider(t("leaders.months", lang), 1, 24, 6, key="leaders_months")
# Complete months only, newest first: the default is the last complete month, never today's.
choices = list(reversed(complete_months(day, months)))
month = c2.selectbox(t("lm.month", lang), choices, format_func=lambda m: m.strftime("%Y-%m"),
                     key="leaders_month", placeholder=t("choose", lang))
result = state.leader_metrics(url, actor, day, months, month)
by_grid, trend, total = result["by_grid"], result["trend"], result["total"]
grids = state.grids(url, actor)
names = dict(zip(grids["code"], grids["name"]))


def labelled(df):
    """Chinese headers; numbers as numbers (NaN shows as empty, not "None")."""
    out = df.copy()
    for c in ["households", *LM]:
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce")
    if "grid_code" in out:
        out.insert(1, "name", out["grid_code"].map(names))
    return out.rename(columns={"grid_code": t("lm.grid_code", lang), "month": t("lm.month", lang),
                               "name": t("lm.grid", lang),
                               **{c: t(f"lm.{c}", lang) for c in ["households", *LM]}})


def formats() -> dict:
    """Shares as percentages, medians with one decimal."""
    return {t(f"lm.{c}", lang): st.column_config.NumberColumn(
        format="percent" if c in SHARE_METRICS else ("%.1f" if c in MEDIAN_METRICS else "%d"))
        for c in LM}


# The headline: the chosen month (default the last complete one) for all grids in scope; the
# per-grid table below is the same month, so its counts add up to these.
st.caption(f"{t('lm.month', lang)}：{result['month']}")
if len(total):
    row = total.iloc[0]
    cols = st.columns(4)
    for col, key in zip(cols, ["flagged", "median_days_flag_to_visit", "coverage_30d",
                               "overdue_visits"]):
        col.metric(t(f"lm.{key}", lang), format_value(key, row[key]))

st.subheader(t("leaders.by_grid", lang))
shown = by_grid[["grid_code", "households", *LM]]
st.dataframe(labelled(shown), hide_index=True, width="stretch", column_config=formats())

metric = st.selectbox(t("leaders.map_metric", lang), LM, format_func=lambda k: t(f"lm.{k}", lang),
                      key="leaders_map_metric", placeholder=t("choose", lang))
values = by_grid.set_index("grid_code")[metric]
fmap = maps.build_map(grids, grid_values=values, metric=metric,
                      lang=lang, height=420)
st_folium(fmap, height=420, use_container_width=True, key="leaders_map", returned_objects=[])

st.subheader(t("leaders.trend", lang))
chart = trend.set_index("month")
c1, c2 = st.columns(2)
c1.line_chart(chart[["coverage_30d", "small_aid_3wd_share", "paperwork_15wd_share"]]
              .rename(columns=lambda c: t(f"lm.{c}", lang)))
c2.bar_chart(chart[["flagged", "overdue_visits"]].rename(columns=lambda c: t(f"lm.{c}", lang)))
st.dataframe(labelled(trend[["month", *LM]]), hide_index=True, width="stretch",
             column_config=formats())

st.download_button(
    t("leaders.export", lang),
    exports.excel_bytes({"分网格": labelled(shown), "按月趋势": labelled(trend),
                         "网格按月": labelled(result["trend_by_grid"])}, actor, public=True),
    file_name=f"leaders_{day}.xlsx", key="leaders_xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
