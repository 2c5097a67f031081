"""Risk configuration: versioned weights/thresholds (risk/weights/*.toml) and the 低保 standard
(data/standards.toml).  Pure: reads TOML files with tomllib, no database.

    cfg = load_config()                       # risk/weights/v1.toml + data/standards.toml
    cfg = load_config("risk/weights/v2.toml", standards_path="...")
    cfg.dibao_standard(date(2026, 11, 29))    # yuan / person / month in force on that day
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "v1.toml"
DEFAULT_STANDARDS = Path(__file__).resolve().parents[1] / "data" / "standards.toml"

# Every factor the scorer knows, in a fixed order (bit i of a household's factor mask = FACTORS[i]).
FACTORS: tuple[str, ...] = (
    "housing_loss",
    "accidental_injury",
    "sudden_illness_or_disaster",
    "care_gap",
    "income_below_standard",
    "income_below_2x_standard",
    "elderly_alone",
    "minors",
    "severe_disability",
    "serious_illness",
    "income_drop",
    "new_illness",
    "lost_job",
    "stale_elderly_alone",
    "stale_vulnerable",
)

LEVELS: tuple[str, ...] = ("red", "orange", "yellow", "green")
LEVEL_NAMES_ZH = {"red": "红", "orange": "橙", "yellow": "黄", "green": "绿"}


class ConfigError(ValueError):
    """The weights or standards file is missing something or is inconsistent."""


@dataclass(frozen=True)
class Factor:
    name: str
    points: float
    reason: str          # the Chinese sentence (what the scorer stores)
    reason_en: str = ""  # the same sentence in English (same template values)
    template: str = ""   # the weights file's Chinese template ({days}, {pct}, {multiple})
    template_en: str = ""


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _pattern(template: str) -> re.Pattern:
    """A Chinese reason template as a pattern whose groups are its placeholders: a sentence stored
    under other values of the same template (an older [staleness].days, ...) is still recognised."""
    parts, last = [], 0
    for m in _PLACEHOLDER.finditer(template):
        parts += [re.escape(template[last:m.start()]), f"(?P<{m.group(1)}>[0-9.]+)"]
        last = m.end()
    return re.compile("".join(parts + [re.escape(template[last:])]))


@dataclass(frozen=True)
class DibaoStandard:
    county: str
    since: dt.date
    yuan_per_month: float


@dataclass(frozen=True)
class RiskConfig:
    version: str
    factors: dict[str, Factor]
    levels: dict[str, float]  # red/orange/yellow -> lower bound of the score
    max_reasons: int
    county: str
    near_line_multiple: float
    covered_share: float
    income_drop_share: float
    stale_days: int
    standards: tuple[DibaoStandard, ...]
    hotspots: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)

    def points(self, name: str) -> float:
        return self.factors[name].points

    def reason_text(self, reason: str, lang: str = "zh") -> str:
        """A stored reason (the Chinese sentence the scorer wrote from this weights file) in
        `lang`: Chinese as stored; English from the factor's `reason_en` template, filled with the
        values the stored sentence carries (so rows scored under other [staleness]/[income]
        values read too). A sentence no factor's template produces is returned as stored."""
        if lang != "en":
            return reason
        for f in self.factors.values():
            if reason == f.reason:
                return f.reason_en or reason
        for f in self.factors.values():
            if f.template and f.template_en:
                m = _pattern(f.template).fullmatch(reason)
                if m:
                    return f.template_en.format(**m.groupdict())
        return reason

    def reasons_text(self, reasons, lang: str = "zh") -> list[str]:
        """Each stored reason of a list (see reason_text) in `lang`."""
        return [self.reason_text(str(r), lang) for r in (reasons if reasons is not None else [])]

    # --- the tunables every page and metric reads (one place: the weights file) ------------
    @property
    def high_risk_levels(self) -> tuple[str, ...]:
        """Levels that count as high risk ([coverage].high_risk_levels)."""
        return tuple(self.coverage["high_risk_levels"])

    @property
    def overdue_days(self) -> int:
        """A high-risk household not visited for more than this many days is overdue."""
        return int(self.coverage["overdue_days"])

    @property
    def skip_recent_days(self) -> int:
        """Visit suggestions skip households visited on one of this many last days
        ([coverage].skip_recent_days; 0 skips none)."""
        return int(self.coverage.get("skip_recent_days", 0))

    def capacity(self, employment: str) -> dict[str, float]:
        """{'households', 'visits_per_month'} a worker of this employment can carry
        ([coverage.capacity.<employment>]; an unknown employment counts as part_time)."""
        caps = self.coverage["capacity"]
        return dict(caps.get(employment, caps["part_time"]))

    @property
    def level_weights(self) -> dict[str, float]:
        """A household's weight by level in the risk-weighted count and the heat layer."""
        return {lv: float(self.hotspots.get("level_weights", {}).get(lv, 0.0)) for lv in LEVELS}

    def dibao_standard(self, on: dt.date | None = None) -> float:
        """The county's 低保 standard (yuan/person/month) in force on `on` (default: the newest)."""
        mine = sorted((s for s in self.standards if s.county == self.county), key=lambda s: s.since)
        if not mine:
            raise ConfigError(f"no 低保 standard for county {self.county}")
        if on is None:
            return mine[-1].yuan_per_month
        valid = [s for s in mine if s.since <= on]
        # before the first recorded standard, fall back to the oldest one we know
        return (valid[-1] if valid else mine[0]).yuan_per_month

    def version_tag(self, on: dt.date | None = None) -> str:
        """Version string stored with each score: weights version + the standard used."""
        return f"{self.version}+dibao{self.dibao_standard(on):g}"


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc


def load_standards(path: str | Path | None = None) -> tuple[DibaoStandard, ...]:
    raw = _read(Path(path) if path else DEFAULT_STANDARDS)
    out = []
    for row in raw.get("dibao", []):
        since = row["since"]
        if isinstance(since, str):
            since = dt.date.fromisoformat(since)
        out.append(DibaoStandard(str(row["county"]), since, float(row["yuan_per_month"])))
    if not out:
        raise ConfigError("standards file has no [[dibao]] entries")
    return tuple(out)


def config_from_dict(
    raw: dict[str, Any], standards: tuple[DibaoStandard, ...]
) -> RiskConfig:
    income = raw.get("income", {})
    stale_days = int(raw.get("staleness", {}).get("days", 90))
    near = float(income.get("near_line_multiple", 2.0))
    drop = float(raw.get("deterioration", {}).get("income_drop_share", 0.3))
    fill = {"days": stale_days, "multiple": f"{near:g}", "pct": f"{drop * 100:g}"}
    factors_raw = raw.get("factors", {})
    missing = [f for f in FACTORS if f not in factors_raw]
    unknown = [f for f in factors_raw if f not in FACTORS]
    if missing or unknown:
        raise ConfigError(f"factors missing={missing} unknown={unknown}")
    factors = {}
    for name in FACTORS:
        zh = str(factors_raw[name]["reason"])
        en = str(factors_raw[name].get("reason_en", ""))
        if en and set(_PLACEHOLDER.findall(en)) != set(_PLACEHOLDER.findall(zh)):
            raise ConfigError(f"factor {name}: reason_en must use the placeholders of reason")
        factors[name] = Factor(name, float(factors_raw[name]["points"]), zh.format(**fill),
                               en.format(**fill), zh, en)
    levels = {k: float(raw["levels"][k]) for k in ("red", "orange", "yellow")}
    if not levels["red"] >= levels["orange"] >= levels["yellow"]:
        raise ConfigError(f"level thresholds must decrease: {levels}")
    if "version" not in raw:
        raise ConfigError("weights file has no version")
    cov = raw.get("coverage", {})
    caps = cov.get("capacity", {})
    missing_cov = [k for k in ("overdue_days", "high_risk_levels") if k not in cov]
    missing_cov += [f"capacity.{e}.{k}" for e in ("full_time", "part_time")
                    for k in ("households", "visits_per_month") if k not in caps.get(e, {})]
    if missing_cov:
        raise ConfigError(f"[coverage] is missing {missing_cov}")
    return RiskConfig(
        version=str(raw["version"]),
        factors=factors,
        levels=levels,
        max_reasons=int(raw.get("max_reasons", 3)),
        county=str(income.get("county", "321323")),
        near_line_multiple=near,
        covered_share=float(income.get("covered_share", 0.5)),
        income_drop_share=drop,
        stale_days=stale_days,
        standards=standards,
        hotspots=dict(raw.get("hotspots", {})),
        coverage=dict(raw.get("coverage", {})),
    )


def load_config(
    path: str | Path | None = None, *, standards_path: str | Path | None = None
) -> RiskConfig:
    """Load a weights file (default risk/weights/v1.toml) and the 低保 standards."""
    return config_from_dict(_read(Path(path) if path else DEFAULT_WEIGHTS),
                            load_standards(standards_path))
