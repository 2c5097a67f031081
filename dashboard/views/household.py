"""一户一档: one household's file (`?hh=<id>`) and a search within the user's grids.

Thin: the file and the search are assembled in grid.household_file (scope applied there: a
household outside the user's grids is "not found" exactly like a missing one); corrections and
appeals are grid.facts' services. Every form is bound to the record and version it was drawn with
(the submit callback's args), and its widget keys carry the household id, so what was typed for
one household never appears in another's form. User text is shown as text (st.dataframe /
st.text, plain() inside messages)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.household_card import household_card
from dashboard.plain_text import plain
from dashboard.texts import error_text, reasons_line, t
from dashboard.texts_cases import category_label, status_label
from dashboard.texts_household import fact_value, th, timeline_cells, timeline_word, vocab
from grid.db import session_scope
from grid.facts import (APPEAL_DECIDERS, APPEAL_OPEN, APPEAL_OUTCOMES, APPEAL_RECORDERS, APPEAL_SUBJECTS,
                        CORRECTORS, FACT_FIELDS, FactError, correct_fact, decide_appeal,
                        record_appeal)
from grid.household_file import (SEARCH_LIMIT, HouseholdNotFound, SearchError,
                                 header_label, household_file, search_households)
from jizhen.access import AccessDenied, Role
from jizhen.db import StaleEdit

FLASH = "hhfile_flash"  # (household id, kind, message) of the last write, shown once on its file

lang, actor, url, day = state.page_start()
st.title(th("title", lang))


def _flash(hid: int, kind: str, text: str) -> None:
    st.session_state[FLASH] = (int(hid), kind, text)


def _may(*roles) -> bool:
    return actor.may_write and Role(actor.role) in {Role(r) for r in roles}


# --------------------------------------------------------------------------- search
def _open(hid: int) -> None:
    st.query_params["hh"] = str(int(hid))


with st.expander(th("search", lang), expanded="hh" not in st.query_params):
    st.caption(th("intro", lang))
    q = st.text_input(th("search", lang), key="hh_search_q", placeholder=th("search.placeholder", lang),
                      max_chars=100, label_visibility="collapsed")
    if q.strip():
        try:
            with state.engine().connect() as conn:
                found = search_households(conn, actor, q)
        except SearchError as exc:
            st.info(error_text(exc, lang))
        else:
            if found.empty:
                st.info(th("search.none", lang, q=plain(q.strip())))
            else:
                st.caption(th("search.found", lang, n=len(found), limit=SEARCH_LIMIT))
                shown = found.rename(columns={"id": "编号", "grid_name": "网格", "head_name": "户主",
                                              "head_id_number": "身份证号", "address": "地址"})
                cols = ["编号", "户主", "身份证号", "地址", "网格"]
                st.dataframe(shown[cols].rename(columns=lambda c: header_label(c, lang)),
                             hide_index=True, width="stretch")
                rows = {int(r.id): th("search.row", lang, id=r.id, head=r.head_name, address=r.address)
                        for r in found.itertuples()}
                pick = st.selectbox(th("search.pick", lang), list(rows), format_func=rows.get,
                                    index=None, key="hh_search_pick", placeholder=th("choose", lang))
                st.button(th("search.open", lang), key="hh_search_open", disabled=pick is None,
                          on_click=_open, args=(pick,) if pick is not None else (0,))

raw = st.query_params.get("hh")
if raw is None:
    st.stop()

try:
    with session_scope(state.engine()) as session:
        f = household_file(session, actor, raw)
except HouseholdNotFound as exc:
    st.error(error_text(exc, lang))
    st.stop()
hid = f.id

flash = st.session_state.pop(FLASH, None)  # shown once, and only on the file it is about
if flash and flash[0] == hid:
    getattr(st, flash[1])(flash[2])

st.subheader(th("head", lang, id=hid, grid=t("fmt.name_code", lang, name=f.grid_name, code=f.grid_code)))
household_card(actor, hid, lang, key=f"hhfile_{hid}_card")
if f.score is None:
    st.caption(th("score.none", lang))
else:
    st.markdown("**" + th("score", lang, level=t(f"level.{f.score['level']}", lang),
                          score=f.score["score"]) + "**")
    st.caption(th("reasons", lang, reasons=plain(reasons_line(f.score["reasons"], lang))
                  if f.score["reasons"] else th("no_reasons", lang)))


def _table(frame: pd.DataFrame, columns: list[str]) -> None:
    if frame.empty:
        st.caption(th("empty", lang))
    else:
        st.dataframe(frame[columns].rename(columns=lambda c: header_label(c, lang)), hide_index=True,
                     width="stretch")


# --------------------------------------------------------------------------- writes (callbacks)
def _fix_keys(h: int) -> tuple[str, str, str]:
    return f"hhfix_{h}_field", f"hhfix_{h}_value", f"hhfix_{h}_reason"


def _correct(h: int, shown_version: int) -> None:
    """Submit of the correction form drawn for household `h` at `shown_version`."""
    k_field, k_value, k_reason = _fix_keys(h)
    ss = st.session_state
    field = ss.get(k_field)
    if field not in FACT_FIELDS:
        _flash(h, "error", th("fix.pick", lang))
        return
    try:
        with session_scope(state.engine()) as s:
            out = correct_fact(session=s, actor=actor, household_id=h, field=field,
                               new_value=ss.get(k_value, ""), reason=ss.get(k_reason, ""),
                               expected_version=shown_version, today=day)
    except StaleEdit:
        _flash(h, "error", th("fix.stale", lang, id=h))
        return
    except (FactError, AccessDenied) as exc:
        _flash(h, "error", th("fix.refused", lang, id=h, msg=plain(error_text(exc, lang))))
        return
    state.clear_after_write()
    label = vocab("fact", field, FACT_FIELDS[field][1], lang)
    old, new = fact_value(field, out["old"], lang), fact_value(field, out["new"], lang)
    score = out.get("score")
    if score:
        _flash(h, "success", th("fix.saved", lang, id=h, label=label, old=old, new=new,
                                level=t(f"level.{score['level']}", lang), score=score["score"]))
    else:
        _flash(h, "success", th("fix.saved_unscored", lang, id=h, label=label, old=old, new=new))
    ss[k_field], ss[k_value], ss[k_reason] = None, "", ""


def _appeal_keys(h: int) -> tuple[str, str, str, str]:
    return (f"hhappeal_{h}_subject", f"hhappeal_{h}_reference", f"hhappeal_{h}_objection",
            f"hhappeal_{h}_received")


def _record_appeal(h: int) -> None:
    k_subject, k_ref, k_text, k_day = _appeal_keys(h)
    ss = st.session_state
    try:
        with session_scope(state.engine()) as s:
            appeal_id = record_appeal(session=s, actor=actor, household_id=h,
                                      subject=ss.get(k_subject) or "", objection=ss.get(k_text, ""),
                                      reference=ss.get(k_ref, ""), received_on=ss.get(k_day) or day)
    except (FactError, AccessDenied) as exc:
        _flash(h, "error", th("appeal.refused", lang, id=h, msg=plain(error_text(exc, lang))))
        return
    state.clear_after_write()
    _flash(h, "success", th("appeal.saved", lang, id=h, appeal=appeal_id))
    ss[k_subject], ss[k_ref], ss[k_text] = None, "", ""


def _decide_keys(h: int) -> tuple[str, str, str]:
    return f"hhdecide_{h}_appeal", f"hhdecide_{h}_outcome", f"hhdecide_{h}_note"


def _decide(h: int, shown_versions: dict[int, int]) -> None:
    """Submit of the decision form drawn for household `h` with its open appeals' versions."""
    k_appeal, k_outcome, k_note = _decide_keys(h)
    ss = st.session_state
    appeal_id, outcome = ss.get(k_appeal), ss.get(k_outcome)
    if appeal_id not in shown_versions or outcome not in APPEAL_OUTCOMES:
        _flash(h, "error", th("decide.choose", lang))
        return
    try:
        with session_scope(state.engine()) as s:
            decide_appeal(session=s, actor=actor, appeal_id=appeal_id, outcome=outcome,
                          note=ss.get(k_note, ""), expected_version=shown_versions[appeal_id],
                          decided_on=day)
    except StaleEdit:
        _flash(h, "error", th("decide.stale", lang, appeal=appeal_id))
        return
    except (FactError, AccessDenied) as exc:
        _flash(h, "error", th("decide.refused", lang, appeal=appeal_id, msg=plain(error_text(exc, lang))))
        return
    state.clear_after_write()
    _flash(h, "success", th("decide.saved", lang, appeal=appeal_id,
                            outcome=vocab("outcome", outcome, APPEAL_OUTCOMES[outcome], lang)))
    ss[k_appeal], ss[k_outcome], ss[k_note] = None, None, ""


# --------------------------------------------------------------------------- the file
tabs = st.tabs([th(k, lang) for k in ("tab.timeline", "tab.facts", "tab.visits", "tab.scores",
                                       "tab.assignments", "tab.cases", "tab.appeals")])
with tabs[0]:
    # newest first; kind, title and detail in the page's language (from each row's codes)
    _table(timeline_cells(f.timeline.iloc[::-1], lang), ["日期", "类别", "事项", "说明"])

with tabs[1]:
    st.markdown("**" + th("facts.now", lang, version=f.version) + "**")
    _table(f.facts.assign(事项=[vocab("fact", k, FACT_FIELDS[k][1], lang) for k in f.facts["field"]],
                          值=[fact_value(k, v, lang) for k, v in zip(f.facts["field"], f.facts["value"])]),
           ["事项", "值"])
    st.markdown("**" + th("facts.history", lang) + "**")
    h = f.history
    _table(h.assign(**{th("facts.corrected", lang): h["corrected"].map({True: th("value.yes", lang), False: ""})},
                    事项=[vocab("fact", k, x, lang) for k, x in zip(h["field"], h["事项"])],
                    值=[fact_value(k, v, lang) if k in FACT_FIELDS else x
                       for k, v, x in zip(h["field"], h["value"], h["值"])],
                    来源=[vocab("source", k, x, lang) for k, x in zip(h["source"], h["来源"])]),
           ["登记日期", "事项", "值", "生效日期", "来源", "登记人", "理由", th("facts.corrected", lang)])
    if _may(*CORRECTORS):
        k_field, k_value, k_reason = _fix_keys(hid)
        with st.form(f"hhfix_{hid}_form"):
            st.markdown("**" + th("fix.title", lang) + "**")
            st.caption(th("fix.help", lang))
            st.selectbox(th("fix.field", lang), list(FACT_FIELDS), index=None, key=k_field,
                         format_func=lambda k: th("fix.option", lang, label=vocab("fact", k, FACT_FIELDS[k][1], lang),
                                                  value=fact_value(k, f.facts.set_index("field").at[k, "value"], lang)),
                         placeholder=th("choose", lang))
            st.text_input(th("fix.value", lang), key=k_value, max_chars=20)
            st.text_area(th("fix.reason", lang), key=k_reason, max_chars=500, height=80)
            st.form_submit_button(th("fix.submit", lang), on_click=_correct, args=(hid, f.version))

with tabs[2]:  # one card per visit (readable at 390 px), newest first; user text via st.text
    if f.visits.empty:
        st.caption(th("empty", lang))
    for v in f.visits.to_dict("records"):
        with st.container(border=True):
            st.markdown("**" + th("visit.head", lang, day=v["走访日期"], worker=plain(v["网格员"])) + "**")
            income = v["人均月收入（元）"]
            st.text("\n".join([
                th("visit.found", lang, found=v["发现"] if lang == "zh" else
                   t("fmt.list_sep", lang).join(vocab("flag", x, x, lang) for x in v["flags"])
                   or th("visit.nothing", lang)),
                th("visit.income", lang, income=f"{income:g}") if income is not None and income == income
                else th("visit.income_unknown", lang),
                th("visit.notes", lang, notes=v["备注"] or "—")]))

with tabs[3]:
    _table(f.scores if lang == "zh" else  # level and reasons in English (reasons: the weights file)
           f.scores.assign(等级=[t(f"level.{v}", lang) for v in f.scores["level"]],
                           原因=[reasons_line(r, lang) for r in f.scores["reasons"]]),
           ["评分时间", "分数", "等级", "原因", "权重版本"])

with tabs[4]:
    _table(f.assignments if lang == "zh" else f.assignments.assign(
        状态=[timeline_word("assignment_status", c, z, lang) for c, z in zip(f.assignments["status"],
                                                                          f.assignments["状态"])]),
        ["期限", "网格员", "状态", "派单人", "派单时间"])

with tabs[5]:
    _table(f.cases if lang == "zh" else f.cases.assign(
        类别=[category_label(c, lang) for c in f.cases["category"]],
        状态=[status_label(c, lang) for c in f.cases["status"]]),
        ["案件编号", "受理日期", "类别", "状态", "申请金额（元）", "批准金额（元）"])

with tabs[6]:
    _table(f.appeals if lang == "zh" else f.appeals.assign(
        对象=[timeline_word("subject", c, z, lang) for c, z in zip(f.appeals["subject"], f.appeals["对象"])],
        处理结果=[vocab("appeal_status" if c == APPEAL_OPEN else "outcome", c, z, lang)
              for c, z in zip(f.appeals["status"], f.appeals["处理结果"])]),
           ["受理日期", "对象", "关联编号", "异议内容", "登记人", "处理结果", "处理意见",
                       "处理日期", "处理人"])
    if _may(*APPEAL_RECORDERS):
        k_subject, k_ref, k_text, k_day = _appeal_keys(hid)
        with st.form(f"hhappeal_{hid}_form"):
            st.markdown("**" + th("appeal.title", lang) + "**")
            st.selectbox(th("appeal.subject", lang), list(APPEAL_SUBJECTS), index=None, key=k_subject,
                         format_func=lambda k: vocab("subject", k, APPEAL_SUBJECTS[k], lang),
                         placeholder=th("choose", lang))
            st.text_input(th("appeal.reference", lang), key=k_ref, max_chars=64)
            st.text_area(th("appeal.objection", lang), key=k_text, max_chars=2000, height=80)
            st.date_input(th("appeal.received", lang), value=day, max_value=day, key=k_day)
            st.form_submit_button(th("appeal.submit", lang), on_click=_record_appeal, args=(hid,))
    open_appeals = f.open_appeals
    if _may(*APPEAL_DECIDERS) and len(open_appeals):
        versions = {int(r.id): int(r.version) for r in open_appeals.itertuples()}
        labels = {int(r.id): f"#{r.id} {r.受理日期} {vocab('subject', r.subject, r.对象, lang)}"
                  for r in open_appeals.itertuples()}
        k_appeal, k_outcome, k_note = _decide_keys(hid)
        with st.form(f"hhdecide_{hid}_form"):
            st.markdown("**" + th("decide.title", lang) + "**")
            st.selectbox(th("decide.pick", lang), list(versions), index=None, key=k_appeal,
                         format_func=labels.get, placeholder=th("choose", lang))
            st.selectbox(th("decide.outcome", lang), list(APPEAL_OUTCOMES), index=None, key=k_outcome,
                         format_func=lambda k: vocab("outcome", k, APPEAL_OUTCOMES[k], lang),
                         placeholder=th("choose", lang))
            st.text_area(th("decide.note", lang), key=k_note, max_chars=2000, height=80)
            st.form_submit_button(th("decide.submit", lang), on_click=_decide, args=(hid, versions))
