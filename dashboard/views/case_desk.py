"""救助案件: list with filters and working-day countdowns; detail with timeline and only the
transitions the user may take, referral (with the medical amount shown before saving) and
admission (the entered facts and the rule's verdict); one-stop intake located on the map or by a
registry address; to-match queue; the verification checklist (逢进必核) with a department's
batch file.

Thin: widgets -> one cases.desk / cases.services call -> render. The decisions live in cases.desk:
every form here is bound to the record and the version it was drawn with. The submit button's
callback carries that binding (captured when the form was RENDERED, as callback arguments) and
reads only the widgets of that record (their keys include its id), so a submit acts on what the
person saw or writes nothing and says what changed. User text (names, reasons, opinions) is shown
as text: in tables, or escaped by dashboard.plain_text.plain inside a message."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from cases import desk
from cases import services as svc
from cases.rules import (
    CATEGORY_LABELS, CHANNEL_LABELS, REFERRAL_SCHEMES, STATUS_LABELS, TRANSITIONS, DomainError)
from cases import verification
from cases.referrals import admission_preview, may_answer_referral, medical_amounts
from dashboard import maps, state
from dashboard.household_card import household_card
from dashboard.household_link import household_link
from dashboard.plain_text import plain
from dashboard.page_writes import PageWrites
from dashboard.texts import error_text, t
from dashboard.texts_cases import (
    category_label, channel_label, department_label, item_label, missing_message,
    referral_status_label, scheme_label, scheme_name, status_label, tc, transition_label)
from dashboard.texts_household import timeline_cells
from grid.household_file import build_timeline, header_label
from grid.access import AccessDenied
from grid.db import StaleEdit, session_scope

RESULTS_KEY = "cases_desk_results"  # where -> (kind, message): a submit's outcome, shown once


def act_key(case_id: int, field: str) -> str:
    """Widget key of one field of the action form of one case (a new case: fresh widgets)."""
    return f"cases_act_{int(case_id)}_{field}"


def _error_text(exc: Exception, lang: str) -> str:
    if isinstance(exc, desk.FormOutdated):
        return plain(exc.zh if lang == "zh" else exc.en)
    if isinstance(exc, DomainError):
        return tc("err.domain", lang, msg=plain(exc.zh if lang == "zh" else exc.en))
    if isinstance(exc, AccessDenied):
        return tc("err.denied", lang, msg=plain(error_text(exc, lang)))
    return tc("err.stale", lang)


# A submit callback runs before the page, with the arguments captured when the form was drawn; a form
# drawn on data that no longer holds (FormOutdated, a DomainError) is a warning, other refusals errors.
_WRITES = PageWrites(RESULTS_KEY, (DomainError, AccessDenied, StaleEdit),
                     lambda exc, lang_: ("warning" if isinstance(exc, desk.FormOutdated) else "error",
                                         _error_text(exc, lang_)))
_write, _show_result = _WRITES.write, _WRITES.show


def _submit_action(shown: desk.ShownCase) -> None:
    ss, cid = st.session_state, shown.case_id
    action = desk.DeskAction(
        name=ss.get(act_key(cid, "name")), on_day=ss.get(act_key(cid, "day")) or state.today(),
        reason=ss.get(act_key(cid, "reason")) or "", amount_yuan=ss.get(act_key(cid, "amount")),
        scheme=ss.get(act_key(cid, "scheme")), today=state.today(),
        backdate_reason=ss.get(act_key(cid, "backdate")) or "")
    _write(f"act_{cid}", desk.submit_action, shown=shown, action=action,
           done=lambda _out, lang_: tc("act.done", lang_, what=transition_label(action.name, lang_)))


def _submit_referral(case_id: int, shown: dict) -> None:
    ss = st.session_state
    ref_id = ss.get(f"cases_ref_{case_id}_id")
    new = ss.get(f"cases_ref_{case_id}_status")
    if ref_id not in shown or not new:
        return
    _write(f"ref_{case_id}", desk.update_referral_bound, shown=shown[ref_id], status=new,
           on_day=state.today(), reason=ss.get(f"cases_ref_{case_id}_reason") or "",
           done=lambda _out, lang_: tc("act.done", lang_, what=referral_status_label(new, lang_)))


def _submit_match(shown: dict) -> None:
    ss = st.session_state
    qid = ss.get("cases_match_id")
    if qid not in shown:
        return
    _write("match", desk.match_bound, shown=shown[qid], household_id=int(ss.get("cases_match_hh") or 0),
           reason=ss.get("cases_match_reason") or "",
           done=lambda _out, lang_: tc("act.done", lang_, what=tc("match.submit", lang_)))


def _submit_refer(shown: desk.ShownCase) -> None:
    ss, cid = st.session_state, shown.case_id
    scheme = ss.get(act_key(cid, "ref_scheme"))
    action = desk.DeskAction(
        name="refer", on_day=state.today(), reason=ss.get(act_key(cid, "ref_reason")) or "",
        scheme=scheme, today=state.today(), compliant_cost_yuan=ss.get(act_key(cid, "ref_cost")),
        insurance_paid_yuan=ss.get(act_key(cid, "ref_paid")))
    _write(f"act_{cid}", desk.submit_action, shown=shown, action=action,
           done=lambda _out, lang_: tc("act.done", lang_, what=transition_label("refer", lang_)))


def _admission_input(cid: int) -> desk.AdmissionInput:
    ss = st.session_state
    return desk.AdmissionInput(
        family_income_yuan=ss.get(act_key(cid, "adm_income")), members=ss.get(act_key(cid, "adm_members")),
        dependent_severe_member=desk.yes_no(ss.get(act_key(cid, "adm_severe"))),
        member_can_register_alone=desk.yes_no(ss.get(act_key(cid, "adm_alone"))),
        no_labour_no_income_no_supporter=desk.yes_no(ss.get(act_key(cid, "adm_sanwu"))))


def _submit_admit(shown: desk.ShownCase) -> None:
    cid = shown.case_id
    action = desk.DeskAction(name="admit", on_day=state.today(), today=state.today(),
                             reason=st.session_state.get(act_key(cid, "adm_reason")) or "",
                             facts=_admission_input(cid))
    _write(f"act_{cid}", desk.submit_action, shown=shown, action=action,
           done=lambda _out, lang_: tc("act.done", lang_, what=transition_label("admit", lang_)))


def ver_key(case_id: int, field: str) -> str:
    return f"cases_ver_{int(case_id)}_{field}"


def _submit_result(case_id: int, shown: dict) -> None:
    ss = st.session_state
    code = ss.get(ver_key(case_id, "item"))
    if code not in shown:
        st.session_state.setdefault(RESULTS_KEY, {})[f"ver_{case_id}"] = (
            "error", tc("err.domain", state.lang(), msg=tc("ver.pick_item", state.lang())))
        return
    _write(f"ver_{case_id}", desk.record_result_bound, shown=shown[code],
           result=ss.get(ver_key(case_id, "result")), evidence=ss.get(ver_key(case_id, "evidence")) or "",
           note=ss.get(ver_key(case_id, "note")) or "", on_day=ss.get(ver_key(case_id, "day")) or state.today(),
           today=state.today(),
           done=lambda _out, lang_: tc("ver.done", lang_, item=plain(
               next((item_label(i.code, i.name, lang_) for i in verification.load_items()
                     if i.code == _out.item_code), _out.item_code))))
    if ss.get(RESULTS_KEY, {}).get(f"ver_{case_id}", ("",))[0] == "success":
        for field in ("item", "result", "evidence", "note"):  # a fresh form for the next item
            ss.pop(ver_key(case_id, field), None)


lang, actor, _, day = state.page_start()
engine = state.engine()
st.title(tc("title", lang))


def run_write(fn, **kw):
    """One write in its own transaction, in this run (a form that creates a record: nothing to be
    bound to); errors shown, never raised to the page."""
    try:
        with session_scope(engine) as s:
            out = fn(session=s, actor=actor, **kw)
    except (DomainError, AccessDenied, StaleEdit) as exc:
        st.error(_error_text(exc, lang))
        return None
    state.clear_after_write()
    return out


def read(fn, **kw):
    with session_scope(engine) as s:
        return fn(session=s, actor=actor, **kw)


def refer_form(d: dict) -> None:
    """转诊: the scheme, and for medical assistance the compliant cost and what insurance paid,
    with the amount computed (cases.referrals.medical_amounts, the one computation refer() stores)
    shown before saving. Live widgets (not an st.form) so the amount follows the input."""
    cid = int(d["id"])
    with st.container(border=True):
        st.markdown(f"**{tc('ref.title', lang)}**")
        scheme = st.selectbox(tc("act.scheme", lang), [x.value for x in REFERRAL_SCHEMES], index=None,
                              format_func=lambda s_: scheme_label(s_, lang), key=act_key(cid, "ref_scheme"),
                              placeholder=t("choose", lang))
        if scheme == "medical":
            a, b = st.columns(2)
            cost = a.number_input(tc("ref.cost", lang), min_value=0.0, value=None, step=100.0,
                                  key=act_key(cid, "ref_cost"))
            paid = b.number_input(tc("ref.paid", lang), min_value=0.0, value=None, step=100.0,
                                  key=act_key(cid, "ref_paid"))
            if cost is None:
                st.info(tc("ref.preview_missing", lang))
            else:
                try:
                    c_, p_, amount = medical_amounts(cost, paid or 0)
                    st.info(tc("ref.preview", lang, amount=f"{amount:,.2f}", cost=f"{c_:,.2f}", paid=f"{p_:,.2f}"))
                except DomainError as exc:
                    st.error(_error_text(exc, lang))
        st.text_input(tc("act.reason", lang), key=act_key(cid, "ref_reason"))
        st.button(tc("ref.submit", lang), key=act_key(cid, "ref_submit"), on_click=_submit_refer,
                  args=(desk.shown_case(d),))


def admit_form(d: dict) -> None:
    """住院: every fact the rule needs, entered (nothing pre-filled), the checklist's state and the
    rule's verdict shown before saving (cases.referrals.admission_preview)."""
    cid = int(d["id"])
    yn = ["yes", "no"]
    with st.container(border=True):
        st.markdown(f"**{tc('adm.title', lang)}**")
        a, b = st.columns(2)
        a.number_input(tc("adm.income", lang), min_value=0.0, value=None, step=100.0,
                       key=act_key(cid, "adm_income"))
        b.number_input(tc("adm.members", lang), min_value=1, value=None, step=1,
                       key=act_key(cid, "adm_members"))
        st.radio(tc("adm.severe", lang), yn, index=None, horizontal=True, key=act_key(cid, "adm_severe"),
                 format_func=lambda k: tc(f"adm.{k}", lang))
        if st.session_state.get(act_key(cid, "adm_severe")) == "yes":
            st.radio(tc("adm.alone", lang), yn, index=None, horizontal=True, key=act_key(cid, "adm_alone"),
                     format_func=lambda k: tc(f"adm.{k}", lang))
        st.radio(tc("adm.sanwu", lang), yn, index=None, horizontal=True, key=act_key(cid, "adm_sanwu"),
                 format_func=lambda k: tc(f"adm.{k}", lang))
        facts = _admission_input(cid)
        try:
            pv = read(admission_preview, case_id=cid, on_day=day, **facts.kwargs())
        except DomainError as exc:  # facts still missing or invalid: said, nothing assumed
            st.warning(_error_text(exc, lang))
        else:
            dec = pv["decision"]
            st.caption(tc("adm.checklist", lang, done=pv["checklist_done"], total=pv["checklist_total"],
                          missing=len(pv["checklist_missing"]), issues=len(pv["checklist_issues"])))
            reason = dec["reason"] if lang == "zh" else dec["reason_en"]  # the rule's verdict
            if pv["checklist_missing"]:
                st.warning(plain(pv["message"] if lang == "zh"
                                 else missing_message(pv["checklist_missing_items"], lang)))
            elif dec["eligible"]:
                st.success(tc("adm.verdict_ok", lang, scheme=tc(f"scheme.{dec['scheme']}", lang),
                              single=tc("adm.single", lang) if dec["single_person"] else "",
                              reason=plain(reason)))
            else:
                st.error(tc("adm.verdict_no", lang, reason=plain(reason)))
        st.text_input(tc("act.reason", lang), key=act_key(cid, "adm_reason"))
        st.button(tc("adm.submit", lang), key=act_key(cid, "adm_submit"), on_click=_submit_admit,
                  args=(desk.shown_case(d),))


tab_list, tab_detail, tab_intake, tab_match, tab_verify = st.tabs(
    [tc("tab.list", lang), tc("tab.detail", lang), tc("tab.intake", lang), tc("tab.match", lang),
     tc("tab.verify", lang)])

# ------------------------------------------------------------------ list
with tab_list:
    c1, c2, c3, c4 = st.columns(4)
    statuses = c1.multiselect(tc("filter.status", lang), [x.value for x in STATUS_LABELS],
                              format_func=lambda s: status_label(s, lang), key="cases_f_status", placeholder=t("choose_many", lang))
    category = c2.selectbox(tc("filter.category", lang), [state.NO_CHOICE, *(x.value for x in CATEGORY_LABELS)],
                            format_func=lambda c: tc("filter.all", lang) if c == state.NO_CHOICE else category_label(c, lang),
                            key="cases_f_category", placeholder=t("choose", lang))
    channel = c3.selectbox(tc("filter.channel", lang), [state.NO_CHOICE, *(x.value for x in CHANNEL_LABELS)],
                           format_func=lambda c: tc("filter.all", lang) if c == state.NO_CHOICE else channel_label(c, lang),
                           key="cases_f_channel", placeholder=t("choose", lang))
    deadlines = c4.multiselect(tc("filter.deadline", lang), list(desk.DEADLINE_FILTERS),
                               format_func=lambda k: tc(f"deadline.{k}", lang), key="cases_f_deadline", placeholder=t("choose_many", lang))
    rows = read(svc.list_cases, today=day, status=[str(s) for s in statuses] or None,
                category=state.chosen(category), channel=state.chosen(channel))
    rows = desk.deadline_filter(rows, deadlines)
    st.session_state["cases_listed_ids"] = [r["id"] for r in rows]
    st.caption(tc("count", lang, n=len(rows), overdue=desk.overdue_count(rows)))
    if rows:
        df = pd.DataFrame(rows)
        table = pd.DataFrame({
            tc("col.case_no", lang): df["case_no"],
            tc("col.channel", lang): [channel_label(c, lang) for c in df["channel"]],
            tc("col.category", lang): [category_label(c, lang) for c in df["category"]],
            tc("col.status", lang): [status_label(s, lang) for s in df["status"]],
            tc("col.person", lang): df["person_name"],
            tc("col.grid", lang): df["grid_code"].fillna("—"),
            tc("col.amount", lang): df["amount_yuan"],
            tc("col.received_on", lang): df["received_on"],
            tc("col.due_on", lang): df["due_on"],
            tc("col.days_left", lang): df["working_days_left"],
            tc("col.deadline", lang): [tc(f"deadline.{d}", lang) for d in df["deadline_status"]],
            tc("col.provisional", lang): [tc("yes" if p else "no", lang) for p in df["provisional"]],
        })
        st.dataframe(table, hide_index=True, width="stretch")
        if df["provisional"].any():
            st.info(tc("provisional_note", lang))
    else:
        st.info(t("empty", lang))

# ------------------------------------------------------------------ detail
with tab_detail:
    ids = st.session_state.get("cases_listed_ids") or []
    if not ids:
        st.info(tc("detail.none", lang))
    else:
        labels = {r["id"]: f"{r['case_no']} {r['person_name']} {status_label(r['status'], lang)}"
                  for r in rows}
        case_id = st.selectbox(tc("detail.pick", lang), ids, format_func=lambda i: labels.get(i, str(i)),
                               key="cases_detail_id", placeholder=t("choose", lang))
        d = read(svc.case_detail, case_id=case_id, today=day)
        st.subheader(tc("detail.summary", lang, case_no=d["case_no"],
                        category=category_label(d["category"], lang),
                        status=status_label(d["status"], lang), amount=f"{d['amount_yuan']:.2f}"))
        step = tc(f"step.{d['deadline_step']}", lang)
        if d["working_days_left"] is not None:
            st.markdown(tc("detail.deadline", lang, step=step, due=d["due_on"], left=d["working_days_left"],
                           prov=tc("detail.prov", lang) if d["provisional"] else ""))
        else:
            st.markdown(tc("detail.deadline_done", lang, step=step, due=d["due_on"],
                           state=tc(f"deadline.{d['deadline_status']}", lang)))
        if d["review_opinion"] or d["decision"]:
            st.caption(tc("detail.opinion", lang, op=plain(d["review_opinion"] or "—"),
                          dec=plain(d["decision"] or "—")))
        if d["blacklist_override_reason"]:
            st.warning(tc("detail.override", lang, r=plain(d["blacklist_override_reason"])))
        st.markdown(f"**{tc('detail.timeline', lang)}**")
        st.dataframe(pd.DataFrame([{
            tc("act.day", lang): e["on_day"], tc("act.choose", lang): (
                transition_label(e["transition"], lang) if e["transition"] in TRANSITIONS else e["transition"]),
            tc("col.status", lang): status_label(e["to_status"], lang),
            tc("col.who", lang): t("fmt.name_code", lang, name=e["actor"], code=t(f"role.{e['role']}", lang)),
            tc("act.reason", lang): e["reason"]} for e in d["events"]]), hide_index=True,
            width="stretch")
        if d["referrals"]:
            st.markdown(f"**{tc('detail.referrals', lang)}**")
            st.dataframe(pd.DataFrame([{
                tc("dept.col.scheme", lang): scheme_name(r["scheme"], lang),
                tc("col.department", lang): department_label(r["department"], lang),
                tc("dept.col.status", lang): referral_status_label(r["status"], lang),
                tc("dept.col.sent_on", lang): r["sent_on"],
                tc("dept.col.responded_on", lang): r["responded_on"],
                tc("dept.col.reason", lang): r["reason"],
                tc("dept.col.amount", lang): r["reimbursed_yuan"]} for r in d["referrals"]]),
                hide_index=True, width="stretch")
        if d["payments"]:
            st.markdown(f"**{tc('detail.payments', lang)}**")
            st.dataframe(pd.DataFrame([{
                tc("pay.col.paid_on", lang): p["paid_on"], tc("pay.col.amount", lang): p["amount_yuan"],
                tc("pay.col.aid_first", lang): tc("yes" if p["aid_first"] else "no", lang)}
                for p in d["payments"]]), hide_index=True, width="stretch")

        st.markdown(f"**{tc('act.title', lang)}**")
        _show_result(f"act_{case_id}")
        offered = d["available_transitions"]
        avail = [n for n in offered if n not in desk.SERVICE_OF]  # refer / admit: own forms below
        if not actor.may_write:
            st.info(tc("readonly", lang))
        elif not offered:
            st.info(tc("act.none", lang))
        elif avail:
            with st.form(f"cases_act_form_{case_id}"):
                st.selectbox(tc("act.choose", lang), avail, index=None, key=act_key(case_id, "name"),
                             format_func=lambda n: transition_label(n, lang), placeholder=t("choose", lang))
                st.text_input(tc("act.reason", lang), key=act_key(case_id, "reason"))
                st.number_input(tc("act.amount", lang), min_value=0.0, value=desk.default_amount(d),
                                step=50.0, key=act_key(case_id, "amount"))
                st.date_input(tc("act.day", lang), value=day, max_value=day, key=act_key(case_id, "day"))
                st.text_input(tc("act.backdate", lang), key=act_key(case_id, "backdate"),
                              placeholder=tc("act.backdate_hint", lang))
                st.form_submit_button(tc("act.submit", lang), on_click=_submit_action,
                                      args=(desk.shown_case(d),))
        if actor.may_write and "refer" in offered:
            refer_form(d)
        if actor.may_write and "admit" in offered:
            admit_form(d)
        open_refs = desk.open_referrals(d["referrals"])
        if open_refs and may_answer_referral(actor):
            versions = read(desk.referral_versions, case_id=case_id)
            shown_refs = {r["id"]: desk.shown_referral(r, versions[r["id"]]) for r in open_refs}
            _show_result(f"ref_{case_id}")
            with st.form(f"cases_ref_form_{case_id}"):
                st.markdown(f"**{tc('ref.update', lang)}**")
                st.selectbox(tc("detail.referrals", lang), [r["id"] for r in open_refs],
                             format_func=lambda i: next(f"{scheme_name(r['scheme'], lang)} "
                                                        f"{referral_status_label(r['status'], lang)}"
                                                        for r in open_refs if r["id"] == i),
                             key=f"cases_ref_{case_id}_id", placeholder=t("choose", lang))
                st.selectbox(tc("ref.status", lang), ["accepted", "rejected", "done"],
                             format_func=lambda k: referral_status_label(k, lang), index=None,
                             key=f"cases_ref_{case_id}_status", placeholder=t("choose", lang))
                st.text_input(tc("act.reason", lang), key=f"cases_ref_{case_id}_reason")
                st.form_submit_button(tc("act.submit", lang), on_click=_submit_referral,
                                      args=(case_id, shown_refs))
        if d["household_id"]:
            with st.expander(tc("detail.household", lang)):
                # masked card; 查看完整信息 (a reason, audited) only for roles that may unmask
                household_card(actor, int(d["household_id"]), lang, key="cases_household")
                household_link(int(d["household_id"]), lang)
                try:
                    tl = read(svc.household_timeline, household_id=d["household_id"])
                    # the household file's timeline headers (grid.household_file), one table
                    tl_rows = timeline_cells(build_timeline(case_items=tl), lang)
                    st.dataframe(tl_rows[["日期", "类别", "事项", "说明"]].rename(
                        columns=lambda c: header_label(c, lang)), hide_index=True, width="stretch")
                except AccessDenied as exc:
                    st.error(tc("err.denied", lang, msg=plain(error_text(exc, lang))))

# ------------------------------------------------------------------ intake (one-stop window)
def intake_location() -> dict:
    """Where the person is: a click on the map (cases.desk.location_from_click; the point can be
    adjusted) or an address picked from the registry in the actor's grids. Shows the grid the
    point falls in before saving. Returns the intake's location arguments."""
    st.markdown(f"**{tc('intake.where', lang)}**")
    mode = st.radio(tc("intake.loc_mode", lang), ["map", "registry", "none"], horizontal=True,
                    key="cases_in_locmode", format_func=lambda k: tc(f"intake.loc.{k}", lang))
    if mode == "registry":
        q = st.text_input(tc("intake.addr_q", lang), key="cases_in_addr_q")
        choices = read(desk.address_choices, text=q) if q else []
        if q and not choices:
            st.info(tc("intake.addr_none", lang))
        by_id = {c["household_id"]: c for c in choices}
        hh = st.selectbox(tc("intake.addr_pick", lang), list(by_id), index=None, key="cases_in_hh",
                          format_func=lambda h: tc("intake.addr_option", lang, address=by_id[h]["address"],
                                                   grid=by_id[h]["grid_code"], head=by_id[h]["head"]),
                          placeholder=t("choose", lang))
        return {"household_id": int(hh)} if hh in by_id else {}
    if mode == "none":
        return {}
    from streamlit_folium import st_folium

    st.caption(tc("intake.map_hint", lang))
    problem = state.basemap_problem()
    grids = state.grids(state.db_url(), actor)
    lon0, lat0 = st.session_state.get("cases_in_lon"), st.session_state.get("cases_in_lat")
    fmap = maps.build_map(grids, grid_values=pd.Series(dtype=float), metric="coverage_30d",
                          tiles="none" if problem else state.get_settings().tiles,
                          tianditu_key=state.get_settings().tianditu_key, lang=lang, height=360)
    if lon0 is not None and lat0 is not None:
        import folium

        folium.Marker([lat0, lon0]).add_to(fmap)
    ret = st_folium(fmap, height=360, use_container_width=True, key="cases_in_map",
                    returned_objects=["last_clicked"])
    point = desk.location_from_click(ret)
    if point is not None and point != st.session_state.get("cases_in_click"):
        st.session_state["cases_in_click"] = point  # a new click moves the point
        st.session_state["cases_in_lon"], st.session_state["cases_in_lat"] = point
    a, b = st.columns(2)
    lon = a.number_input(tc("intake.lon", lang), value=None, format="%.6f", key="cases_in_lon")
    lat = b.number_input(tc("intake.lat", lang), value=None, format="%.6f", key="cases_in_lat")
    if lon is None or lat is None:
        st.info(tc("intake.no_point", lang))
        return {}
    where = read(desk.located_grid, lon=lon, lat=lat)
    if where["grid_code"] is None:
        st.warning(tc("intake.located_none", lang))
    elif not where["mine"]:
        st.warning(tc("intake.located_other", lang, code=where["grid_code"]))
    else:
        st.success(tc("intake.located", lang, code=where["grid_code"], name=plain(where["grid_name"])))
    return {"lon": float(lon), "lat": float(lat)}


with tab_intake:
    if not actor.may_write or actor.role == "department":
        st.info(tc("readonly", lang))
    else:
        located = intake_location()
        with st.form("cases_intake_form", clear_on_submit=False):
            a, b = st.columns(2)
            ch = a.selectbox(tc("intake.channel", lang), [x.value for x in CHANNEL_LABELS], index=[x.value for x in CHANNEL_LABELS].index("window"),
                             format_func=lambda c: channel_label(c, lang), key="cases_in_channel", placeholder=t("choose", lang))
            cat = b.selectbox(tc("intake.category", lang), [x.value for x in CATEGORY_LABELS],
                              format_func=lambda c: category_label(c, lang), key="cases_in_category", placeholder=t("choose", lang))
            id_number = a.text_input(tc("intake.id_number", lang), key="cases_in_id")
            name = b.text_input(tc("intake.name", lang), key="cases_in_name")
            phone = a.text_input(tc("intake.phone", lang), key="cases_in_phone")
            address = b.text_input(tc("intake.address", lang), key="cases_in_address")
            amount = a.number_input(tc("intake.amount", lang), min_value=0.0, value=300.0, step=50.0,
                                    key="cases_in_amount")
            received = b.date_input(tc("intake.day", lang), value=day, max_value=day, key="cases_in_day")
            cause = st.text_input(tc("intake.cause", lang), key="cases_in_cause")
            follow = st.checkbox(tc("intake.follow_up", lang), key="cases_in_follow")
            override = st.text_input(tc("intake.override", lang), key="cases_in_override")
            if st.form_submit_button(tc("intake.submit", lang)):
                case = run_write(svc.intake, channel=str(ch), category=str(cat), received_on=received,
                                 amount_yuan=amount, cause=cause, person_name=name,
                                 person_id_number=id_number.strip() or None, phone=phone, address=address,
                                 follow_up=follow, blacklist_override_reason=override.strip() or None,
                                 **located)
                if case is not None:
                    st.success(tc("intake.done", lang, case_no=case.case_no, due=case.approval_due_on,
                                  prov=tc("detail.prov", lang) if case.approval_provisional else "",
                                  match=tc("intake.matched" if case.household_id else "intake.to_match", lang)))

# ------------------------------------------------------------------ to-match queue
with tab_match:
    queue = read(svc.list_cases, today=day, match_status="to_match")
    _show_result("match")
    if not queue:
        st.info(tc("match.none", lang))
    else:
        st.dataframe(pd.DataFrame({
            tc("col.case_no", lang): [q["case_no"] for q in queue],
            tc("col.channel", lang): [channel_label(q["channel"], lang) for q in queue],
            tc("col.person", lang): [q["person_name"] for q in queue],
            tc("col.cause", lang): [q["cause"] for q in queue],
            tc("col.received_on", lang): [q["received_on"] for q in queue],
            tc("col.due_on", lang): [q["due_on"] for q in queue]}), hide_index=True, width="stretch")
        if actor.may_write:
            shown_queue = {q["id"]: desk.ShownCase(case_id=q["id"], case_no=q["case_no"], version=q["version"],
                                                   status=q["status"], offered=())
                           for q in queue}
            with st.form("cases_match_form"):
                st.selectbox(tc("detail.pick", lang), [q["id"] for q in queue], key="cases_match_id",
                             format_func=lambda i: next(q["case_no"] for q in queue if q["id"] == i),
                             placeholder=t("choose", lang))
                st.number_input(tc("match.household", lang), min_value=1, step=1, key="cases_match_hh")
                st.text_input(tc("match.reason", lang), key="cases_match_reason")
                st.form_submit_button(tc("match.submit", lang), on_click=_submit_match, args=(shown_queue,))

# ------------------------------------------------------------------ verification (逢进必核)
VER_COLS = ("department", "item", "required", "result", "evidence", "note", "by", "on", "source")

with tab_verify:
    st.caption(tc("ver.source_note", lang))
    listed = st.session_state.get("cases_listed_ids") or []
    apps = read(desk.application_case_ids, ids=listed) if listed else []
    if not apps:
        st.info(tc("ver.none", lang))
    else:
        labels = {r["id"]: f"{r['case_no']} {r['person_name']} {status_label(r['status'], lang)}" for r in rows}
        vid = st.selectbox(tc("ver.pick", lang), apps, key="cases_ver_id",
                           format_func=lambda i: labels.get(i, str(i)), placeholder=t("choose", lang))
        items = read(verification.checklist, case_id=vid)
        st.dataframe(pd.DataFrame([{
            tc("ver.col.department", lang): department_label(it["department"], lang),
            tc("ver.col.item", lang): item_label(it["item_code"], it["item_name"], lang),
            tc("ver.col.required", lang): tc("yes" if it["required"] else "no", lang),
            tc("ver.col.result", lang): verification.result_label(it["result"], lang),
            tc("ver.col.evidence", lang): it["evidence"], tc("ver.col.note", lang): it["note"],
            tc("ver.col.by", lang): it["checked_by"],
            tc("ver.col.on", lang): it["checked_on"].isoformat() if it["checked_on"] else "",
            tc("ver.col.source", lang): verification.source_label(it["source"], lang)} for it in items]),
            hide_index=True, width="stretch")
        _show_result(f"ver_{vid}")
        if verification.may_record(actor):
            names = {it["item_code"]: tc("ver.item_option", lang,
                                         dept=department_label(it["department"], lang),
                                         item=item_label(it["item_code"], it["item_name"], lang))
                     for it in items}
            shown_items = {it["item_code"]: desk.ShownItem(int(vid), it["item_code"], it["version"])
                           for it in items}
            with st.form(f"cases_ver_form_{vid}"):
                st.markdown(f"**{tc('ver.form', lang)}**")
                st.selectbox(tc("ver.item", lang), list(names), index=None, key=ver_key(vid, "item"),
                             format_func=lambda c: names[c], placeholder=t("choose", lang))
                st.radio(tc("ver.result", lang), [r.value for r in verification.Result], index=None,
                         horizontal=True, key=ver_key(vid, "result"),
                         format_func=lambda r: verification.result_label(r, lang))
                st.text_input(tc("ver.evidence", lang), key=ver_key(vid, "evidence"))
                st.text_input(tc("ver.note", lang), key=ver_key(vid, "note"))
                st.date_input(tc("ver.day", lang), value=day, max_value=day, key=ver_key(vid, "day"))
                st.form_submit_button(tc("ver.submit", lang), on_click=_submit_result, args=(vid, shown_items))
    if verification.may_record(actor):
        with st.expander(tc("ver.batch", lang)):
            dept = st.selectbox(tc("ver.batch_dept", lang), verification.departments(), index=None,
                                format_func=lambda d_: department_label(d_, lang),
                                key="cases_ver_dept", placeholder=t("choose", lang))
            up = st.file_uploader(tc("ver.batch_file", lang), type=["csv", "xlsx"], key="cases_ver_file")
            if st.button(tc("ver.batch_submit", lang), key="cases_ver_batch") and dept and up is not None:
                import tempfile
                from pathlib import Path

                from grid.imports.report import InvalidImport

                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / Path(up.name).name
                    path.write_bytes(up.getvalue())
                    try:
                        rep = run_write(verification.import_results, path=path, department=dept, today=day)
                    except InvalidImport as exc:  # every problem, in the page's language
                        lines = exc.text(lang).splitlines()
                        st.error(plain(lines[0]))
                        st.text("\n".join(lines[1:]))
                        rep = None
                if rep is not None:
                    st.success(tc("ver.batch_done", lang, created=rep.created, updated=rep.updated))
