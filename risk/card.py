"""The model card of the weights in force: a readable Markdown document, Chinese first.

    text = render_card(config, approval=read_approval(path), evaluation=r, groups=tables,
                       generated_on=date(2026, 11, 29), weights_file="risk/weights/v1.toml")

What the score predicts and what it does not, each input with its weight and its data source, the
replay evaluation (date, data, the breakdown by kind of household and grid, calibration), known
limits, and who approved the weights and when (the weights file's [approval] table).  Pure.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pandas as pd

from risk.config import FACTORS, LEVEL_NAMES_ZH, RiskConfig

# where each input comes from (one table)
SOURCES: dict[str, str] = {
    "housing_loss": "最近一次入户走访的记录",
    "accidental_injury": "最近一次入户走访的记录",
    "sudden_illness_or_disaster": "最近一次入户走访的记录",
    "care_gap": "最近一次入户走访的记录",
    "income_below_standard": "最近一次走访记录的人均收入（没有则用住户登记收入）；低保标准见 data/standards.toml",
    "income_below_2x_standard": "同上",
    "elderly_alone": "住户登记信息（保留登记日期与更正历史）",
    "minors": "住户登记信息（保留登记日期与更正历史）",
    "severe_disability": "住户登记信息（保留登记日期与更正历史）",
    "serious_illness": "住户登记信息（保留登记日期与更正历史）",
    "income_drop": "最近两次走访记录的人均收入对比",
    "new_illness": "最近一次入户走访的记录",
    "lost_job": "最近一次入户走访的记录",
    "stale_elderly_alone": "走访记录（距上次走访天数）与住户登记信息",
    "stale_vulnerable": "走访记录（距上次走访天数）与住户登记信息",
}
METHOD_NAMES = {"model": "风险评分", "baseline_recency": "仅按走访间隔", "random": "随机抽取"}

LIMITS = [
    "评分只反映已登记、已走访到的情况：从未走访、登记信息缺失的住户得分偏低，可能被漏掉。",
    "“困难事件”来自系统记录（演示数据中为模拟事件）；没有被记录的困难无法用于评估。",
    "评估按月末回放，每次只使用当天已知的走访记录和登记信息；但名单之外的住户仍会被走访，"
    "走访本身会改变后来的结果，因此召回率只是近似。",
    "分组指标在事件很少的网格或住户类型上不稳定，请看置信区间，不要只看百分比。",
    "评分不判断住户是否符合救助条件，也不替代入户核实和“逢进必核”的审核。",
]


def read_approval(weights_path: str | Path) -> dict:
    """approved_by / approved_on from the weights file's [approval] table ('' if missing)."""
    with open(weights_path, "rb") as fh:
        raw = tomllib.load(fh)
    a = raw.get("approval", {}) if isinstance(raw.get("approval"), dict) else {}
    return {"approved_by": str(a.get("approved_by", "") or ""),
            "approved_on": str(a.get("approved_on", "") or ""),
            "fitted": raw.get("fitted") if isinstance(raw.get("fitted"), dict) else None}


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")


def md_text(value) -> str:
    """Data shown as text, never as Markdown or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ")


def _pct(x) -> str:
    return "—" if x is None or (isinstance(x, float) and pd.isna(x)) else f"{x:.1%}"


def _days(x) -> str:
    return "—" if x is None or (isinstance(x, float) and pd.isna(x)) else f"{x:.0f} 天"


def _group_rows(t: pd.DataFrame) -> list[str]:
    rows = ["| 分组 | 住户 | 曾列入名单 | 困难事件 | 未及时列入 | 漏报率（95%区间） | 精确率 | 提前天数中位数 |",
            "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in t.itertuples():
        rows.append(f"| {md_text(r.label)} | {r.households} | {r.flagged_households} | {r.events} | "
                    f"{r.missed} | {_pct(r.missed_need)}（{_pct(r.ci_low)}–{_pct(r.ci_high)}） | "
                    f"{_pct(r.precision)} | {_days(r.median_lead_days)} |")
    return rows


def render_card(config: RiskConfig, *, approval: dict, evaluation: dict | None,
                groups: dict | None = None, summary: list[str] | None = None,
                compare: dict | None = None, generated_on: dt.date,
                weights_file: str = "", data_label: str = "") -> str:
    """The card as Markdown."""
    L: list[str] = []
    L += [f"# 住户风险评分说明（模型卡）· 权重版本 {md_text(config.version)}",
          "", "*Household risk score — model card. Chinese first.*", "",
          f"生成日期：{generated_on.isoformat()}　权重文件：`{weights_file}`　"
          f"低保标准：{config.dibao_standard(generated_on):g} 元/人/月", ""]
    L += ["## 一、评分预测什么，不预测什么", "",
          "- **预测**：一户在今后约 90 天内发生困难事件（住房受损、意外伤害、突发重病或灾害、"
          "无人照料、支出型困难）的可能性高低，用来排定网格员入户走访的先后次序（早发现、早介入）。",
          "- **不预测**：是否符合低保、特困或临时救助条件；救助金额；住户是否诚信。"
          "评分不能作为拒绝或批准救助的依据，也不公开。",
          f"- 评分为各项因素分值之和，最高 100 分；等级：{LEVEL_NAMES_ZH['red']} ≥ {config.levels['red']:g}，"
          f"{LEVEL_NAMES_ZH['orange']} ≥ {config.levels['orange']:g}，{LEVEL_NAMES_ZH['yellow']} ≥ "
          f"{config.levels['yellow']:g}，其余为{LEVEL_NAMES_ZH['green']}。已享受低保/特困的住户，"
          f"收入类因素只计 {config.covered_share:.0%} 的分值。", ""]
    L += ["## 二、输入、分值与数据来源", "", "| 因素 | 分值 | 数据来源 | 代码名 |",
          "| --- | ---: | --- | --- |"]
    for f in FACTORS:
        fac = config.factors[f]
        L.append(f"| {md_text(fac.reason)} | {fac.points:g} | {SOURCES[f]} | `{f}` |")
    L += ["", "登记信息按“何时成立、何时登记”保留历史；更正时旧值保留在历史中，并记入审计日志。", ""]
    L += ["## 三、评估（按月末回放历史）", ""]
    if evaluation:
        s = evaluation["setup"]
        L += [f"- 数据：{md_text(data_label) or '当前数据库'}，{s['households']} 户；结果为"
              f"{'困难事件' if s.get('outcomes', 'events') == 'events' else '救助案件'}。",
              f"- 回放 {s['snapshots']} 个月末（{s['first_snapshot']} 至 {s['last_snapshot']}），"
              f"每个月末列出得分最高的 {s['top_frac']:.0%}（{s['flagged_per_snapshot']} 户），"
              f"看其后 {s['horizon_days']} 天内是否发生；窗口内事件 {s['outcomes_in_windows']} 起。",
              "- 登记信息："
              + ("每个月末只用当天已登记的信息（诚实回放）。" if s.get("register", "").startswith("history")
                 else "使用当前登记值（可能提前看到后来才登记的信息）。"), "",
              "| 方法 | 召回率@10% | 精确率@10% | 提前天数中位数 |", "| --- | ---: | ---: | ---: |"]
        for k, name in METHOD_NAMES.items():
            m = evaluation[k]
            L.append(f"| {name} | {_pct(m['recall_at_10pct'])} | {_pct(m['precision_at_10pct'])} | "
                     f"{_days(m['median_lead_days'])} |")
        if compare:
            m = compare["model"]
            L.append(f"| 拟合权重 {md_text(compare['version'])} | {_pct(m['recall_at_10pct'])} | "
                     f"{_pct(m['precision_at_10pct'])} | {_days(m['median_lead_days'])} |")
        L.append("")
    else:
        L += ["尚未评估。", ""]
    if groups:
        L += ["### 名单漏掉了谁", ""]
        L += [f"- {md_text(x)}" for x in (summary or [])]
        L += ["", "按住户类型（一户可属多类）：", ""] + _group_rows(groups["by_kind"])
        L += ["", "按网格：", ""] + _group_rows(groups["by_grid"])
        cal = groups["calibration"]
        cal = cal[cal["dimension"] == "all"]
        L += ["", "### 校准：各等级其后 90 天的实际事件率", "", "| 等级 | 户·月末数 | 其后发生事件 | 实际事件率 |",
              "| --- | ---: | ---: | ---: |"]
        for r in cal.itertuples():
            L.append(f"| {LEVEL_NAMES_ZH.get(r.level, r.level)} | {r.household_snapshots} | "
                     f"{r.positives} | {_pct(r.observed_rate)} |")
        L.append("")
    L += ["## 四、已知局限", ""] + [f"- {x}" for x in LIMITS] + [""]
    fitted = approval.get("fitted")
    if fitted:
        L += [f"- 本权重由回放历史拟合（{md_text(fitted.get('method', ''))}，{md_text(fitted.get('fitted_on', ''))}），"
              "负系数按 0 分处理；不会自动启用。", ""]
    L += ["## 五、批准", ""]
    if approval.get("approved_by") and approval.get("approved_on"):
        L += [f"批准人：{md_text(approval['approved_by'])}　批准日期：{md_text(approval['approved_on'])}", ""]
    else:
        L += ["**尚未记录批准人和批准日期**：请由县民政局在权重文件的 `[approval]` 中填写 "
              "`approved_by`、`approved_on` 后再启用。", ""]
    return "\n".join(L)
