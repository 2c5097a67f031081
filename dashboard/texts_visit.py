"""UI strings of the grid worker's pages, zh-CN first: the 走访登记 form's messages (which
household a message is about), the ad-hoc visit (随访) and 今日任务 (the day's route). Pure (no
streamlit). The form's field labels live in dashboard/texts.py (visit.*); risk reasons come with
the stored score (their one table is risk/weights/*.toml), levels from dashboard/texts.py."""
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
    # 随访: a household met without an assignment
    "mode": ("登记方式", "What to record"),
    "mode.assigned": ("派单走访", "Assigned visit"),
    "mode.adhoc": ("随访（未派单）", "Ad-hoc visit (no assignment)"),
    "adhoc.pick": ("本网格住户（可输入地址或户主查找）", "Household of your grid (type to search)"),
    "adhoc.help": ("随访：在本网格遇到、没有派单的住户。若该户有派给您的待访派单，保存后派单一并完成。",
                   "Ad-hoc: a household of your grid met without an assignment. If it has an open "
                   "assignment of yours, saving completes it too."),
    "adhoc.workers_only": ("只有关联了网格员的网格员账号可以登记随访。",
                           "Only a grid worker account linked to a worker can record ad-hoc visits."),
    # 今日任务
    "back_to_today": ("返回今日任务（按路线走访）", "Back to today's route"),
    "today.title": ("今日任务", "Today's visits"),
    "today.start": ("出发点（网格服务站）", "Start (grid service station)"),
    "today.summary": ("今日路线 {n} 户，预计 {minutes:.0f} 分钟（每天可用 {day} 分钟），步行约 {km:.1f} 公里。",
                      "Today's route: {n} households, about {minutes:.0f} minutes (of {day} a day), "
                      "{km:.1f} km on foot."),
    "today.empty": ("今日没有待访住户。", "No visits to make today."),
    "today.stop": ("第 {order} 户 · {address}", "Stop {order} · {address}"),
    "today.head": ("户主 {head}", "Head {head}"),
    "today.risk": ("风险 {level}，{score:.0f} 分", "Risk {level}, score {score:.0f}"),
    "today.why": ("派单原因：{reasons}", "Why: {reasons}"),
    "today.no_reason": ("无突出风险因素（例行走访）", "no risk factor stands out (routine visit)"),
    "today.due": ("期限 {due}", "Due {due}"),
    "today.overdue": ("已逾期 {days} 天", "{days} days overdue"),
    "today.last": ("上次走访 {day}", "Last visit {day}"),
    "today.never": ("从未走访", "Never visited"),
    "today.walk": ("从上一站步行约 {walk:.0f} 分钟", "About {walk:.0f} min on foot from the last stop"),
    "today.record": ("登记第 {order} 户走访", "Record visit {order}"),
    "today.record_anyway": ("仍要登记这一户", "Record this one anyway"),
    "today.dropped": ("今日排不下的 {n} 户（已说明原因）", "{n} visits that do not fit today (with reasons)"),
    "today.worker": ("查看网格员的路线", "Route of grid worker"),
    "today.adhoc": ("登记随访（未派单住户）", "Record an ad-hoc visit"),
}


def tv(key: str, lang: str = "zh", **fmt) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    text = TEXTS[key][LANGS.index(lang)]
    return text.format(**fmt) if fmt else text
