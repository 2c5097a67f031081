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


def DEFAULT_WEIGHTS_PATH():
    from risk.config import DEFAULT_WEIGHTS

    return DEFAULT_WEIGHTS


def write_groups_excel(out: str, tables: dict, *, force: bool = False) -> None:
    from grid.replay import write_groups_excel as write

    try:
        write(out, tables, force=force)
    except ValueError as exc:   # jizhen.outputs.OutputError: Chinese, names the path
        raise click.ClickException(str(exc)) from None


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
    @click.option("--register", type=click.Choice(["history", "current"]), default="history",
                  show_default=True, help="登记信息：history=每个月末只用当天已登记的；current=当前值（旧做法）")
    @click.option("--groups", is_flag=True, help="按网格和住户类型分析名单漏掉了谁")
    @click.option("--compare", "compare_path", type=click.Path(exists=True, dir_okay=False),
                  default=None, help="另一个权重文件（如拟合的 v1-lr.toml），在同样的月末上对比")
    @click.option("--excel", "excel_out", default=None, help="把分组结果导出为 Excel（需 --groups）")
    @click.option("--force", is_flag=True, help="允许覆盖非本程序导出的同名文件")
    @WEIGHTS
    def evaluate(as_json, outcomes, seed, top_frac, horizon_days, register, groups, compare_path,
                 excel_out, force, weights) -> None:
        from grid.replay import groups_json, replay_inputs, run_replay

        engine = _engine()
        groups = groups or bool(excel_out)
        with engine.connect() as conn:
            inputs = replay_inputs(conn, outcomes=outcomes, register=register)
            kw = dict(outcomes=outcomes, register=register, seed=seed, top_frac=top_frac,
                      horizon_days=horizon_days, inputs=inputs)
            r = run_replay(conn, config=_config(weights), groups=groups, **kw)
            if compare_path:
                other = _config(compare_path)
                c = run_replay(conn, config=other, **kw)
                r["compare"] = {"version": other.version, "weights": compare_path,
                                "model": c["model"]}
        tables = r.pop("groups_tables", None)
        if excel_out and tables is not None:
            write_groups_excel(excel_out, tables, force=force)
        if as_json:
            if tables is not None:
                r["groups"] = groups_json(tables)
            click.echo(json.dumps(r, ensure_ascii=False, default=str))
            return
        s = r["setup"]
        click.echo(f"回放 {s['snapshots']} 个月末（{s['first_snapshot']} 至 {s['last_snapshot']}），"
                   f"每月标记前 {s['top_frac']:.0%}（{s['flagged_per_snapshot']} 户），"
                   f"{s['horizon_days']} 天内发生的结果 {s['outcomes_in_windows']} 起；登记信息："
                   + ("按当天已登记" if register == "history" else "当前值"))
        names = {"model": "风险评分", "baseline_recency": "仅按走访间隔", "random": "随机"}
        rows = [(names[k], r[k]) for k in names]
        if "compare" in r:
            rows.append((f"拟合权重 {r['compare']['version']}", r["compare"]["model"]))
        for name, m in rows:
            lead = "—" if m["median_lead_days"] is None else f"{m['median_lead_days']:.0f} 天"
            click.echo(f"  {name:　<6} 召回率 {m['recall_at_10pct'] or 0:.1%}  "
                       f"精确率 {m['precision_at_10pct'] or 0:.1%}  提前时间中位数 {lead}")
        for line in r.get("groups_summary", []):
            click.echo(line)
        if excel_out:
            click.echo(f"已导出分组结果：{excel_out}")

    @risk.command(help="在回放历史上拟合逻辑回归权重（同样的输入），写成新的权重文件；不会自动启用")
    @click.option("--out", "out", required=True, help="新权重文件，如 risk/weights/v1-lr.toml")
    @click.option("--outcomes", type=click.Choice(["events", "cases"]), default="events",
                  show_default=True)
    @click.option("--horizon", "horizon_days", default=90, show_default=True, type=int)
    @click.option("--force", is_flag=True, help="允许覆盖已有文件")
    @click.option("--json", "as_json", is_flag=True)
    @WEIGHTS
    def fit(out, outcomes, horizon_days, force, as_json, weights) -> None:
        from grid.replay import fit_and_compare

        base_path = weights or str(DEFAULT_WEIGHTS_PATH())
        try:
            r = fit_and_compare(_engine(), base_path=base_path, out=out, outcomes=outcomes,
                                horizon_days=horizon_days, force=force)
        except ValueError as exc:   # OutputError or too little history: Chinese message
            raise click.ClickException(str(exc)) from None
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False, default=str))
            return
        click.echo(f"已写出拟合权重 {r['version']}：{out}（未启用；启用前请在 [approval] 中记录批准人）")
        for label, key in (("全部月末", "all"), ("未参与拟合的后半段月末", "held_out")):
            b, f = r[key]["base"], r[key]["fitted"]
            click.echo(f"  {label}：{r['base_version']} 召回率 {b['recall_at_10pct'] or 0:.1%}、"
                       f"提前 {b['median_lead_days'] or 0:.0f} 天；{r['version']} 召回率 "
                       f"{f['recall_at_10pct'] or 0:.1%}、提前 {f['median_lead_days'] or 0:.0f} 天")
        for n in r["notes"]:
            click.echo("  " + n)

    @risk.command(help="写出当前权重的模型说明（Markdown，中文），含评估与批准信息")
    @click.option("--out", "out", required=True, help="输出文件（.md）")
    @click.option("--compare", "compare_path", type=click.Path(exists=True, dir_okay=False),
                  default=None, help="一并列出另一个权重文件的评估（如拟合权重）")
    @click.option("--force", is_flag=True, help="允许覆盖已有文件")
    @WEIGHTS
    def card(out, compare_path, force, weights) -> None:
        from grid.replay import write_model_card

        try:
            write_model_card(_engine(), out, weights=weights, compare=compare_path, force=force)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"已写出模型说明：{out}")

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
