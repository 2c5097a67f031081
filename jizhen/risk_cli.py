"""`jizhen score` (nightly scoring with history) and `jizhen risk evaluate|hotspots|coverage`."""
from __future__ import annotations

import json
from datetime import date

import click

from risk.config import LEVEL_NAMES_ZH


def _engine():
    from grid.db import make_engine

    return make_engine()


def _config(weights: str | None):
    from risk.config import load_config

    return load_config(weights) if weights else load_config()


def _today(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--today") from None


WEIGHTS = click.option("--weights", type=click.Path(exists=True, dir_okay=False), default=None,
                       help="权重文件 (default risk/weights/v1.toml)")
TODAY = click.option("--today", "today_str", default=None, help="评分日期 YYYY-MM-DD（默认今天）")


def register(group: click.Group) -> None:
    @group.command(help="计算并保存全部住户的风险评分（保留历史，适合每晚运行）")
    @click.option("--json", "as_json", is_flag=True, help="输出 JSON")
    @WEIGHTS
    @TODAY
    def score(as_json: bool, weights: str | None, today_str: str | None) -> None:
        from grid.risk_service import run_scoring

        summary = run_scoring(_engine(), config=_config(weights), today=_today(today_str))
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False))
            return
        lv = summary["levels"]
        parts = "，".join(f"{LEVEL_NAMES_ZH[k]} {lv[k]}" for k in ("red", "orange", "yellow", "green"))
        click.echo(f"已评分 {summary['households']} 户（{parts}）；权重版本 "
                   f"{summary['config_version']}；用时 {summary['seconds']:.2f} 秒")

    @group.group(help="风险分析：早发现评估、热点、走访覆盖")
    def risk() -> None:
        pass

    @risk.command(help="按月回放历史，评估评分的早发现能力（对比仅按走访间隔与随机）")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--outcomes", type=click.Choice(["events", "cases"]), default="events",
                  show_default=True, help="以困难事件或救助案件作为结果")
    @click.option("--seed", default=0, show_default=True, type=int)
    @click.option("--top", "top_frac", default=0.10, show_default=True, type=click.FloatRange(0, 1))
    @click.option("--horizon", "horizon_days", default=90, show_default=True, type=int,
                  help="标记后多少天内发生算命中")
    @WEIGHTS
    def evaluate(as_json, outcomes, seed, top_frac, horizon_days, weights) -> None:
        from grid.risk_service import run_evaluation

        r = run_evaluation(_engine(), outcomes=outcomes, config=_config(weights), seed=seed,
                           top_frac=top_frac, horizon_days=horizon_days)
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
            return
        s = r["setup"]
        click.echo(f"回放 {s['snapshots']} 个月末（{s['first_snapshot']} 至 {s['last_snapshot']}），"
                   f"每月标记前 {s['top_frac']:.0%}（{s['flagged_per_snapshot']} 户），"
                   f"{s['horizon_days']} 天内发生的结果 {s['outcomes_in_windows']} 起")
        names = {"model": "风险评分", "baseline_recency": "仅按走访间隔", "random": "随机"}
        for k, name in names.items():
            m = r[k]
            lead = "—" if m["median_lead_days"] is None else f"{m['median_lead_days']:.0f} 天"
            click.echo(f"  {name:　<6} 召回率 {m['recall_at_10pct'] or 0:.1%}  "
                       f"精确率 {m['precision_at_10pct'] or 0:.1%}  提前时间中位数 {lead}")

    @risk.command(help="H3 热点（Getis-Ord Gi*）")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--resolution", type=click.IntRange(0, 15), default=None)
    @click.option("--seed", default=0, show_default=True, type=int)
    @WEIGHTS
    @TODAY
    def hotspots(as_json, resolution, seed, weights, today_str) -> None:
        from grid.risk_service import hotspot_cells

        cells = hotspot_cells(_engine(), config=_config(weights), resolution=resolution,
                              seed=seed, today=_today(today_str))
        counts = cells["label"].value_counts().to_dict()
        if as_json:
            hot = cells[cells["label"].str.startswith("hot")]
            click.echo(json.dumps({
                "cells": int(len(cells)), "labels": {k: int(v) for k, v in counts.items()},
                "hot": [{"cell": format(int(c), "x"), "households": int(h), "gi_z": float(z),
                         "p_value": float(p)} for c, h, z, p in
                        hot[["cell", "households", "gi_z", "p_value"]].itertuples(index=False)],
            }, ensure_ascii=False))
            return
        from risk.hotspots import LABELS_ZH

        click.echo(f"{len(cells)} 个六边形：" + "，".join(
            f"{LABELS_ZH[k]} {v}" for k, v in sorted(counts.items())))

    @risk.command(help="走访覆盖率与超期未访的高风险户")
    @click.option("--json", "as_json", is_flag=True)
    @WEIGHTS
    @TODAY
    def coverage(as_json, weights, today_str) -> None:
        from grid.risk_service import coverage as run_coverage

        cfg = _config(weights)
        rep = run_coverage(_engine(), config=cfg, today=_today(today_str))
        g, w, o = rep["by_grid"], rep["by_worker"], rep["overdue"]
        if as_json:
            click.echo(json.dumps({
                "by_grid": json.loads(g.to_json(orient="records", force_ascii=False)),
                "workers_overloaded": int(w["overloaded"].sum()),
                "overdue_high_risk": int(len(o)),
            }, ensure_ascii=False))
            return
        for row in g.itertuples():
            click.echo(f"  {row.grid_code}: {row.households} 户，30天走访 {row.share_30d:.0%}，"
                       f"90天 {row.share_90d:.0%}，负荷 {row.load_ratio:.0%}")
        click.echo(f"超负荷网格员 {int(w['overloaded'].sum())} 名；"
                   f"超过{cfg.overdue_days}天未走访的高风险户 {len(o)} 户")
