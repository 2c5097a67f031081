"""UI strings of the 走访登记 form that say which household a message is about, zh-CN first.
Pure (no streamlit). The form's field labels live in dashboard/texts.py (visit.*)."""
from __future__ import annotations

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "income_placeholder": ("不清楚请留空", "leave blank if unknown"),
    "saved": ("已保存住户 {id}（户主 {head}，{address}）的走访记录。该户最新风险分 {score:.0f}（{level}），"
              "所在网格30天覆盖率 {coverage:.1%}。",
              "Saved the visit of household {id} (head {head}, {address}). Risk score now {score:.0f} "
              "({level}); grid 30-day coverage {coverage:.1%}."),
    "duplicate": ("住户 {id}（户主 {head}）的走访记录已保存，重复提交未再登记。",
                  "The visit of household {id} (head {head}) is already saved; the repeated tap "
                  "recorded nothing."),
    "not_saved": ("住户 {id} 的走访记录未保存：{msg}", "The visit of household {id} was not saved: {msg}"),
    "stale": ("该派单刚被他人修改（改派或取消），住户 {id} 的走访记录未保存，请查看最新派单。",
              "Someone just changed this assignment (reassigned or cancelled); the visit of household "
              "{id} was not saved. Check the current assignments."),
}


def tv(key: str, lang: str = "zh", **fmt) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    text = TEXTS[key][LANGS.index(lang)]
    return text.format(**fmt) if fmt else text
