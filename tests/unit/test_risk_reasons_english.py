"""Risk reasons in English: the weights file carries an English sentence next to each Chinese one
(same placeholders, same values); the scorer still stores the Chinese sentence, and a stored
sentence reads in English through the same file (risk.config.RiskConfig.reason_text), also when it
was scored under other values of a template; the dashboard's line keeps the Chinese as stored."""
from __future__ import annotations

import re
import tomllib

import pytest

from dashboard.texts import reasons_line, risk_reasons
from risk.config import DEFAULT_WEIGHTS, ConfigError, config_from_dict, load_config, load_standards

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _raw() -> dict:
    with open(DEFAULT_WEIGHTS, "rb") as fh:
        return tomllib.load(fh)


def test_every_factor_has_english_with_the_same_placeholders():
    for name, f in _raw()["factors"].items():
        zh, en = f["reason"], f.get("reason_en")
        assert en and not CJK.search(en), name
        assert set(re.findall(r"\{(\w+)\}", en)) == set(re.findall(r"\{(\w+)\}", zh)), name


def test_stored_sentences_read_in_english_and_stay_chinese_in_chinese():
    cfg = load_config()
    days = _raw()["staleness"]["days"]
    for f in cfg.factors.values():
        assert cfg.reason_text(f.reason, "zh") == f.reason
        english = cfg.reason_text(f.reason, "en")
        assert english == f.reason_en and not CJK.search(english), f.name
    assert cfg.reason_text(f"独居老人且{days}天未走访", "en") == \
        f"Elderly person living alone, not visited for {days} days"
    # a row scored when the file said 60 days (or a 25% drop) reads with its own number
    assert cfg.reason_text("独居老人且60天未走访", "en") == "Elderly person living alone, not visited for 60 days"
    assert cfg.reason_text("人均收入较上次走访下降25%以上", "en") == \
        "Income per head down by 25% or more since the last visit"
    # a sentence no template of this file makes is shown as stored, never guessed
    assert cfg.reason_text("别的原因", "en") == "别的原因"


def test_the_dashboard_line():
    stored = ["独居老人", "家中有未成年人", "家庭成员新近失业"]
    assert reasons_line(stored, "zh") == "独居老人；家中有未成年人；家庭成员新近失业"  # as before
    assert reasons_line(stored, "en", limit=2) == "Elderly person living alone; Minors in the household"
    assert risk_reasons(float("nan"), "en") == [] and reasons_line(None, "zh") == ""


def test_english_template_must_use_the_chinese_placeholders():
    raw = _raw()
    raw["factors"]["stale_vulnerable"]["reason_en"] = "Not visited for {weeks} weeks"
    with pytest.raises(ConfigError, match="stale_vulnerable"):
        config_from_dict(raw, load_standards())
